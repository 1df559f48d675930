"""One QAOA expectation on the same MaxCut instance and angles: qopt's engine beside QOKit's C
simulator, Qiskit Aer and PennyLane Lightning, values checked to agree, ratios printed.

Simulators (each timed min / max over ``--repeats`` runs after one warm-up, in one process):

* ``qopt c128`` / ``qopt c64``: :class:`qopt.backends.statevector.StatevectorEngine` in
  complex128 / complex64 on the cost the QAOA solver uses (uint8 levels of the integer MaxCut
  cost from 24 qubits on, float64 below), all cores numba may use;
* ``qokit wheel``: QOKit's fastest CPU simulator, its C state-vector code
  (``apply_qaoa_furx``: phase then the X mixer in groups of 10 qubits, real / imaginary
  arrays), as the PyPI wheel ships it: ``pip install qokit`` compiles it into a top-level
  extension ``simulator.*.so`` (gcc 10.2 ``-O3 -march=x86-64 -fwrapv -fPIC``, no OpenMP:
  one thread) that QOKit 0.1.4 itself does not find (it looks for ``csim/libcsim.so`` and falls
  back to its numpy simulator), so it is loaded here with ctypes; QOKit's own expectation
  ``costs . (re^2 + im^2)`` follows, as in QOKit. Skipped with a message when qokit is not
  installed (it is not a qopt dependency);
* ``--qokit-lib PATH [--qokit-label TEXT]`` (repeatable): other builds of the same C code,
  e.g. QOKit's ``make`` in ``qokit/fur/c/csim/src`` of its repository (``-fopenmp -fPIC
  -Wall``, no ``-O``) or rebuilt with ``-O3 -march=native``; both use OpenMP threads;
* ``aer``: ``qiskit_aer.primitives.EstimatorV2`` on the bound QAOA circuit, cost as a
  ``SparsePauliOp``; ``lightning``: PennyLane ``lightning.qubit``, ``qml.expval`` (both from
  :mod:`qaoa_speed`), skipped above ``--peer-max`` qubits or with ``--no-circuits``.

QOKit's angles are qopt's converted by
:func:`qopt.solvers.quantum.labs_angles.qopt_to_qokit` (gamma x 2; its phase is
``exp(-i gamma / 2 H)``); its diagonal is the float64 cost.

    python benchmarks/qaoa_peers.py --n 24 --p 4 --repeats 3

Last line: ``n=.. p=.. qopt_c128_s=.. qopt_c64_s=.. <peer>_s=.. <peer>/qopt_c128=..``.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import time

from labs_scaling import QOKitC
from qaoa_speed import aer_time, instance, lightning_time


def timed(fn, repeats: int) -> tuple[float, float, float]:
    """(value, min seconds, max seconds) over ``repeats`` runs after one warm-up."""
    value = fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return value, min(times), max(times)


def wheel_simulator() -> str | None:
    """Path of the C simulator the qokit wheel compiles (``simulator.*.so``), or None with
    the reason printed."""
    try:
        dist = importlib.metadata.distribution("qokit")
    except importlib.metadata.PackageNotFoundError:
        print("# qokit not installed (pip install qokit): its C simulator skipped", flush=True)
        return None
    for f in dist.files or []:
        if f.name.startswith("simulator.") and f.name.endswith(".so"):
            return str(dist.locate_file(f))
    print(f"# qokit {dist.version} installed without its compiled simulator: skipped",
          flush=True)
    return None


def main(argv=None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--p", type=int, default=4)
    ap.add_argument("--graph", choices=("regular3", "complete"), default="regular3")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--qokit-lib", action="append", default=[],
                    help="another build of QOKit's libcsim.so (repeatable)")
    ap.add_argument("--qokit-label", action="append", default=[])
    ap.add_argument("--no-circuits", action="store_true", help="skip Aer and Lightning")
    ap.add_argument("--peer-max", type=int, default=26,
                    help="largest n for Aer and Lightning (complex128 states of their own)")
    args = ap.parse_args(argv)
    n, p = args.n, args.p

    from qopt.backends.statevector import StatevectorEngine
    from qopt.solvers.quantum.labs_angles import qopt_to_qokit
    from qopt.solvers.quantum.qaoa_evaluators import engine_diagonal

    qubo, gammas, betas = instance(args.graph, n, p)
    print(f"# n={n} p={p} {args.graph} MaxCut; load average before: "
          f"{os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})", flush=True)

    rows: list[tuple[str, float, float, float]] = []     # (name, value, min s, max s)
    diag = engine_diagonal(qubo)
    for dtype in ("complex128", "complex64"):
        eng = StatevectorEngine(n, dtype=dtype)
        v, t_min, t_max = timed(lambda e=eng: e.qaoa_expectation(diag, gammas, betas),
                                args.repeats)
        rows.append((f"qopt_{dtype.replace('complex', 'c')}", v, t_min, t_max))
        del eng
    ref = rows[0][1]

    libs = [(path, "qokit_wheel") for path in [wheel_simulator()] if path]
    labels = args.qokit_label + [f"lib{i}" for i in range(len(args.qokit_label),
                                                          len(args.qokit_lib))]
    libs += [(path, f"qokit_{label.replace(' ', '_')}")
             for path, label in zip(args.qokit_lib, labels)]
    if libs:
        d64 = qubo.diagonal()
        qg, qb = qopt_to_qokit(gammas, betas)
        for path, name in libs:
            sim = QOKitC(path)
            v, t_min, t_max = timed(lambda s=sim: s.expectation(d64, qg, qb, n), args.repeats)
            rows.append((name, v, t_min, t_max))
        del d64
    if not args.no_circuits and n <= args.peer_max:
        for name, fn in (("aer", aer_time), ("lightning", lightning_time)):
            runs = [fn(qubo, gammas, betas, 1) for _ in range(args.repeats)]   # warm-up + 1
            spans = [t for t, _ in runs]
            rows.append((name, runs[-1][1], min(spans), max(spans)))
    elif not args.no_circuits:
        print(f"# aer / lightning skipped above --peer-max {args.peer_max} qubits", flush=True)

    print(f"# load average after: {os.getloadavg()[0]:.2f}", flush=True)
    print(f"# {'simulator':<24} {'value':>20} {'min s':>9} {'max s':>9} {'/ qopt_c128':>11}")
    base = rows[0][2]
    for name, v, t_min, t_max in rows:
        tol = 1e-5 if name == "qopt_c64" else 1e-8
        agree = abs(v - ref) <= tol * max(1.0, abs(ref))
        print(f"# {name:<24} {v:20.12f} {t_min:9.4g} {t_max:9.4g} {t_min / base:11.3g}"
              f"{'' if agree else '  VALUE DIFFERS'}", flush=True)
        if not agree:
            raise SystemExit(f"{name} gives {v}, qopt complex128 {ref}: not the same circuit")
    line = f"n={n} p={p} " + " ".join(f"{name}_s={t:.4g}" for name, _, t, _ in rows) + " " + \
        " ".join(f"{name}/qopt_c128={t / base:.3g}" for name, _, t, _ in rows[1:])
    print(line)
    return line


if __name__ == "__main__":
    main()
