"""VQE evaluation time: the engine's generic gate path vs Aer vs PennyLane Lightning.

One "evaluation" is what a VQE optimizer step asks for: the exact expectation of a random dense
QUBO (n variables) in the state of a RealAmplitudes-like ansatz (reps=2, linear CX entangler),
at fresh random parameters, through ``Backend.expectation`` (circuit preparation is cached and
not timed). Also timed: one CVaR (alpha=0.25) evaluation and, where the backend has one, an
analytic gradient. Median of ``--repeats`` runs after one warm-up; ratios are other / engine.

Second table (``--solve-sizes``, default 16 20 24; ``--solve-sizes`` with no value skips it): the
comparative-study workload, ``qopt.solve("maxcut:reg3_N", solver="cvar-vqe", alpha=0.25,
budget=20, seed=0, postprocess=False)`` (default ansatz: real-amplitudes reps 2, linear CX;
half the budget pays the final samples, so 10 exact evaluations), wall seconds per evaluation
(solve wall time / exact evaluations, after a warm-up solve) and the marginal seconds per
evaluation (from a second solve with twice the budget: setup and sampling cancel), on the
engine with fused Clifford runs and the fused CVaR scan ("statevector"), the same backend with
both turned off (``StatevectorBackend(fused=False)``: the per-gate path, "statevector-pergate")
and Aer; the objective column is the solve's reported objective (the engine's two paths agree;
Aer's final samples come from its own sampler).

Run: ``python benchmarks/vqe_speed.py [--sizes 16 20] [--repeats 5] [--reps 2]
[--solve-sizes 16 20 24] [--solve-budget 20]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np


def timed(fn, repeats: int) -> float:
    fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    from qopt.backends.registry import get_backend
    from qopt.model.qubo import QUBO
    from qopt.solvers.quantum.ansatz import Ansatz

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[16, 20])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--backends", nargs="+", default=["statevector", "aer", "lightning"])
    ap.add_argument("--solve-sizes", type=int, nargs="*", default=[16, 20, 24])
    ap.add_argument("--solve-budget", type=int, default=20)
    ap.add_argument("--solve-backends", nargs="+",
                    default=["statevector", "statevector-pergate", "aer"])
    args = ap.parse_args()

    print(f"cores: {os.cpu_count()}; ansatz real-amplitudes reps={args.reps}; dense QUBO; "
          f"median of {args.repeats}")
    header = f"{'n':>3} {'backend':<12} {'expectation s':>14} {'cvar s':>10} {'gradient s':>11}"
    print(header)
    rows = {}
    for n in args.sizes:
        rng = np.random.default_rng(n)
        qubo = QUBO.from_matrix(np.triu(rng.normal(size=(n, n))))
        qubo.diagonal()
        ansatz = Ansatz(n, "real-amplitudes", args.reps, "linear")
        qc = ansatz.circuit
        ref = None
        theta0 = rng.uniform(-np.pi, np.pi, qc.num_parameters)
        for spec in args.backends:
            b = get_backend(spec, seed=0)

            def draw(r=rng, p=qc.num_parameters):
                return r.uniform(-np.pi, np.pi, p)

            value = b.expectation(qc, theta0, qubo)
            if ref is None:
                ref = value
            elif abs(value - ref) > 1e-6 * max(1.0, abs(ref)):
                raise SystemExit(f"{spec} disagrees at n={n}: {value} vs {ref}")
            t_e = timed(lambda b=b, qc=qc, q=qubo: b.expectation(qc, draw(), q), args.repeats)
            t_c = timed(lambda b=b, qc=qc, q=qubo: b.cvar(qc, draw(), q, 0.25), args.repeats)
            t_g = (timed(lambda b=b, qc=qc, q=qubo: b.gradient(qc, draw(), q),
                         max(1, args.repeats // 2))
                   if b.supports_gradient else float("nan"))
            rows[(n, spec)] = (t_e, t_c, t_g)
            print(f"{n:>3} {spec:<12} {t_e:>14.4f} {t_c:>10.4f} {t_g:>11.4f}", flush=True)
    base = args.backends[0]
    print(f"\nratios (other / {base}; > 1 means {base} is faster)")
    for n in args.sizes:
        for spec in args.backends[1:]:
            e0, c0, _ = rows[(n, base)]
            e1, c1, _ = rows[(n, spec)]
            print(f"n={n:<3} {spec:<12} expectation x{e1 / e0:.2f}  cvar x{c1 / c0:.2f}")
    if args.solve_sizes:
        solve_table(args.solve_sizes, args.solve_budget, args.solve_backends)


def _solve_backend(spec: str):
    from qopt.backends.registry import get_backend

    if spec == "statevector-pergate":
        from qopt.backends.adapter import StatevectorBackend

        try:
            return StatevectorBackend(seed=0, fused=False)
        except TypeError:           # a qopt without the fused paths: the plain backend
            return StatevectorBackend(seed=0)
    return get_backend(spec, seed=0)


def _timed_solve(target: str, budget: int, backend):
    import qopt

    t0 = time.perf_counter()
    res = qopt.solve(target, solver="cvar-vqe", alpha=0.25, budget=budget, seed=0,
                     postprocess=False, backend=backend)
    return time.perf_counter() - t0, len(res.history), res.objective


def solve_table(sizes, budget: int, specs) -> None:
    """Seconds per cvar-vqe evaluation in ``qopt.solve`` on reg3_N MaxCut (see module doc)."""
    print(f"\ncvar-vqe (alpha 0.25) on maxcut:reg3_N, seed 0, default ansatz. 'per evaluation': "
          f"wall time of the budget-{budget} solve / its exact evaluations (half the budget; "
          f"setup and final samples included); 'marginal': extra wall time of a budget-"
          f"{2 * budget} solve per extra evaluation (setup cancels)")
    print(f"{'n':>3} {'backend':<20} {'evals':>5} {'s / evaluation':>15} {'marginal s':>11} "
          f"{'objective':>10}")
    rows = {}
    for n in sizes:
        target = f"maxcut:reg3_{n}"
        for spec in specs:
            backend = _solve_backend(spec)
            _timed_solve(target, 2, backend)                       # warm-up (compile)
            t1, k1, obj = _timed_solve(target, budget, backend)
            t2, k2, _ = _timed_solve(target, 2 * budget, backend)
            per, marginal = t1 / max(1, k1), (t2 - t1) / max(1, k2 - k1)
            rows[(n, spec)] = (per, marginal)
            print(f"{n:>3} {spec:<20} {k1:>5} {per:>15.4f} {marginal:>11.4f} {obj:>10}",
                  flush=True)
    base = specs[0]
    print(f"\nratios (other / {base}; > 1 means {base} is faster): per evaluation, marginal")
    for n in sizes:
        for spec in specs[1:]:
            a, b = rows[(n, spec)], rows[(n, base)]
            print(f"n={n:<3} {spec:<20} x{a[0] / b[0]:.2f}  x{a[1] / b[1]:.2f}")


if __name__ == "__main__":
    main()
