"""Seconds per QAOA layer on the feasible-subspace simulator against the feasible-set size,
and against Aer on the same circuit (<= 20 qubits).

For each instance: the problem's ``feasible`` mixer (MIS: independent-set, QAP: swap, MDKP:
capacity) and its default initial state (QAP: the identity permutation, see below); the cost
of :func:`constrained_cost`; standard angles (linear ramp, p layers). Timed:

* ``sub_s``: one expectation value (``SubspaceEvaluator.value``: p cost layers and p times all
  partial mixers, then <H>), divided by p -> seconds per layer; ``ns/state`` = that per
  subspace state (flat when the cost grows linearly with the feasible set);
* ``grad_s``: one adjoint value + gradient (all 2p angles), per layer;
* ``aer_s``: the same ansatz as a circuit (:mod:`qopt.solvers.quantum.mixer_circuits`,
  transpiled once by qopt's AerBackend, then ``expectation`` with exact probabilities) per
  layer, for instances of at most ``--aer-max`` qubits; the capacity mixer has no circuit (—).

Subspace enumeration and partner tables are built once (``build_s``, not in the per-layer
time). Each time is the min over ``--repeats`` runs after a warm-up; the max is printed too
(spread). Both simulators get ``--threads`` threads (default 1: on a shared, oversubscribed
machine a parallel region waits for its slowest thread and timings scatter by 100x). Run with
``nice``; the machine load (``os.getloadavg``) is printed first.

    nice python benchmarks/subspace_speed.py --p 2 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import time

#: (label, problem spec or generator) in order of growing feasible set
DEFAULT_CASES = (
    "mis:1tc.8", "mis:gnp16", "mis:1tc.16", "mis:gnp20", "mis:1tc.32", "mis:1dc.64",
    "qap:gen4", "qap:gen5", "qap:gen6", "qap:gen7", "qap:gen8", "qap:gen9", "qap:tai10a",
    "mdkp:gen12", "mdkp:gen16", "mdkp:gen20", "mdkp:pet4", "mdkp:gen24", "mdkp:pb1",
)


def make_problem(case: str):
    """A shipped instance ('kind:name') or a generated one ('kind:genN', seed 0)."""
    from qopt.problems import load, problem_class

    kind, _, name = case.partition(":")
    if name.startswith("gen"):
        return problem_class(kind).generate(int(name[3:]), seed=0)
    if name.startswith("gnp"):
        return problem_class(kind).generate((int(name[3:]), 0.3), seed=0)
    return load(case)


def timings(fn, repeats: int) -> tuple[float, float]:
    fn()                                              # warm-up (numba, caches)
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t), max(t)


def run_case(case: str, p: int, repeats: int, aer_max: int, threads: int) -> dict:
    from qopt.solvers.quantum.initialisation import linear_ramp
    from qopt.solvers.quantum.qaoa import Ansatz, CircuitEvaluator
    from qopt.solvers.quantum.qaoa_subspace import (
        SubspaceEvaluator,
        constrained_cost,
        setup_constrained,
    )

    problem = make_problem(case)
    mixer, _ = setup_constrained(problem, "feasible")
    # permutations start from the identity (X gates): the uniform superposition has no
    # scalable circuit (a generic StatePreparation of 2^16 amplitudes would dominate Aer)
    mixer, init = setup_constrained(problem, "feasible",
                                    "identity" if mixer.subspace == "permutation" else "default")
    cost = constrained_cost(problem.to_program(), mixer)
    ansatz = Ansatz(cost, p, False, None, mixer, init)
    x = ansatz.join(*linear_ramp(p))
    t0 = time.perf_counter()
    ev = SubspaceEvaluator(ansatz, context=f"benchmark {case}", threads=threads)
    build = time.perf_counter() - t0
    lo, hi = timings(lambda: ev.value(x), repeats)
    glo, ghi = timings(lambda: ev.value_and_grad(x), repeats)
    row = {"case": case, "mixer": mixer.name, "n": ansatz.n, "partials": mixer.num_partials,
           "states": ev.size, "build_s": build, "sub_s": lo / p, "sub_max": hi / p,
           "grad_s": glo / p, "grad_max": ghi / p, "aer_s": None, "aer_max": None}
    if ansatz.n <= aer_max and mixer.has_circuit:
        from qopt.backends.aer import AerBackend

        aer = AerBackend(backend_options={"max_parallel_threads": threads})
        cev = CircuitEvaluator(ansatz, aer, seed=0)
        alo, ahi = timings(lambda: cev.value(x), repeats)
        row.update(aer_s=alo / p, aer_max=ahi / p,
                   agree=abs(cev.value(x) - ev.value(x)))
    return row


def fmt(v, spec=".3g"):
    return "—" if v is None else format(v, spec)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--p", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--aer-max", type=int, default=20, help="largest circuit (qubits) for Aer")
    ap.add_argument("--cases", nargs="*", default=list(DEFAULT_CASES))
    ap.add_argument("--threads", type=int, default=1,
                    help="threads of both simulators (numba kernels and Aer); 1 keeps timings "
                         "stable on a shared machine")
    args = ap.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} on "
          f"{os.cpu_count()} cores; p={args.p}, {args.threads} thread(s) per simulator, "
          f"min (max) of {args.repeats} runs")
    head = ("| instance | mixer | qubits | partial mixers | feasible states | build s | "
            "s / layer | ns / state / partial | grad s / layer | Aer s / layer | Aer / subspace |")
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for case in args.cases:
        r = run_case(case, args.p, args.repeats, args.aer_max, args.threads)
        per_state = r["sub_s"] / r["states"] / max(1, r["partials"]) * 1e9
        ratio = None if r["aer_s"] is None else r["aer_s"] / r["sub_s"]
        print(f"| {r['case']} | {r['mixer']} | {r['n']} | {r['partials']} | {r['states']:,} | "
              f"{r['build_s']:.3g} | {fmt(r['sub_s'])} ({fmt(r['sub_max'])}) | {per_state:.3g} | "
              f"{fmt(r['grad_s'])} ({fmt(r['grad_max'])}) | "
              f"{fmt(r['aer_s'])} ({fmt(r['aer_max'])}) | {fmt(ratio, '.1f')} |", flush=True)
        if r.get("agree") is not None and r["agree"] > 1e-8:
            print(f"  WARNING: Aer and subspace expectations differ by {r['agree']:.3g}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
