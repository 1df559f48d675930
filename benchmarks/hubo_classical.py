"""Higher order on the classical side: native HUBO moves against the quadratised QUBO.

Random HUBOs (n bits; n linear, n quadratic, n cubic and n / 2 quartic terms, integer
coefficients in -5..5, generator seeds 0..) are solved by ``anneal`` and ``tabu`` twice with the
same budget of evaluated flips: on the HUBO itself (local fields of any order, no auxiliary
bits) and on its Rosenberg quadratisation (auxiliary bits, safe strengths; the result mapped
back to the HUBO's energy). Printed per n and solver: median best HUBO energy over the seeds
(lower is better), the median's spread (min..max), auxiliary bits, wall and CPU seconds per
run, and the load average. Exact optima are added for n <= 24 (enumeration of the diagonal).

    python benchmarks/hubo_classical.py                    # n = 20, 40, 80; 3 seeds
    python benchmarks/hubo_classical.py --sizes 24 --seeds 5 --budget 200000
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from qopt.model import HUBO
from qopt.solvers.classical.anneal import anneal_qubo
from qopt.solvers.classical.tabu import tabu_qubo


def random_hubo(n: int, seed: int) -> HUBO:
    rng = np.random.default_rng(seed)
    terms: dict = {}
    for d, count in ((1, n), (2, n), (3, n), (4, n // 2)):
        for _ in range(count):
            key = tuple(rng.choice(n, d, replace=False).tolist())
            terms[key] = terms.get(key, 0.0) + float(rng.integers(-5, 6))
    return HUBO(terms, num_vars=n)


def run(fn, model: HUBO, hubo: HUBO, budget: int, seed: int) -> tuple[float, float, float]:
    """(best HUBO energy, wall s, CPU s) of one run."""
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn(model, seed=seed, budget=budget)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    bits = out.samples.bits[:, :hubo.num_vars]
    return float(hubo.energy(bits).min()), wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="20,40,80")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--budget", type=int, default=100_000)
    args = ap.parse_args()
    # warm the numba kernels once (compile time is not solve time)
    warm = random_hubo(8, 99)
    anneal_qubo(warm, seed=0, budget=1000)
    tabu_qubo(warm, seed=0, budget=1000)
    anneal_qubo(warm.quadratise(), seed=0, budget=1000)
    print(f"load average before: {os.getloadavg()}  budget {args.budget:,} flips per run")
    print(f"{'n':>4} {'solver':>7} {'form':>10} {'aux':>4} {'median E':>9} {'min..max':>14} "
          f"{'exact':>7} {'wall s':>7} {'cpu s':>7}")
    for n in (int(s) for s in args.sizes.split(",")):
        models = [random_hubo(n, s) for s in range(args.seeds)]
        t0 = time.perf_counter()
        quads = [h.quadratise() for h in models]
        tq = (time.perf_counter() - t0) / len(models)
        exact = [h.diagonal().min() for h in models] if n <= 24 else None
        for name, fn in (("anneal", anneal_qubo), ("tabu", tabu_qubo)):
            for form, inputs in (("hubo", models), ("quadratised", quads)):
                rows = [run(fn, m, h, args.budget, seed=s)
                        for s, (m, h) in enumerate(zip(inputs, models, strict=True))]
                e = [r[0] for r in rows]
                aux = statistics.median(q.num_aux for q in quads) if form != "hubo" else 0
                ex = f"{statistics.median(exact):7.1f}" if exact else "      -"
                print(f"{n:>4} {name:>7} {form:>10} {aux:>4.0f} {statistics.median(e):9.1f} "
                      f"{min(e):6.1f}..{max(e):6.1f} {ex} "
                      f"{statistics.median(r[1] for r in rows):7.3f} "
                      f"{statistics.median(r[2] for r in rows):7.3f}")
        print(f"     quadratisation: {tq * 1e3:.1f} ms per model")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
