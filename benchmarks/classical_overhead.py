"""Fixed cost of the classical baselines: GA / MAP-Elites driver time and anneal's per call.

1. ``ga`` and ``map-elites`` on MDKP pet7 at budget 20,000 (the issue-15 targets: <= 1 s and
   <= 2 s): wall time of ``qopt.solve`` (no post-processing) per seed, after one warm-up run
   (imports, numba cache loads), mean and range over ``--repeats`` seeds.
2. ``anneal`` on small random QUBOs with fixed reads x sweeps, against dwave-samplers'
   ``SimulatedAnnealingSampler`` (when installed) with the same reads x sweeps: median of
   ``--repeats`` calls of ``anneal_qubo`` (the solver alone), of ``qopt.solve`` (conversion,
   decoding, metrics) and of ``sample_qubo``. The first call in the process is shown apart
   (it loads the compiled kernel from numba's cache).

    python benchmarks/classical_overhead.py
    python benchmarks/classical_overhead.py --part anneal --repeats 9
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

import qopt
from qopt import QUBO
from qopt.solvers.classical.anneal import anneal_qubo


def load_average() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(fn, *args, **kwargs) -> float:
    """Wall seconds of one call ``fn(*args, **kwargs)``."""
    t0 = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - t0


def drivers(repeats: int) -> None:
    problem = qopt.load("mdkp", "pet7")
    print("| solver | budget | target s | first call s | mean s (min-max) over seeds | "
          "median gap % |")
    print("|---|---|---|---|---|---|")
    for solver, target in (("ga", 1.0), ("map-elites", 2.0)):
        first = timed(qopt.solve, problem, solver, seed=99, budget=20_000, postprocess=False)
        times, gaps = [], []
        for seed in range(repeats):
            t0 = time.perf_counter()
            r = qopt.solve(problem, solver, seed=seed, budget=20_000, postprocess=False)
            times.append(time.perf_counter() - t0)
            gaps.append(r.gap)
        print(f"| {solver} | 20000 | {target:g} | {first:.2f} | {statistics.mean(times):.3f} "
              f"({min(times):.3f}-{max(times):.3f}) | {100 * statistics.median(gaps):.2f} |")


def random_qubo(n: int, seed: int) -> QUBO:
    rng = np.random.default_rng(seed)
    return QUBO.from_matrix(np.triu(rng.integers(-10, 11, (n, n))))


def anneal(repeats: int) -> None:
    try:
        from dwave.samplers import SimulatedAnnealingSampler
    except ImportError:  # pragma: no cover - optional peer
        SimulatedAnnealingSampler = None
    q0 = random_qubo(16, 0)
    first = timed(anneal_qubo, q0, seed=0, reads=10, sweeps=100)
    print(f"first anneal_qubo call in this process: {first * 1e3:.1f} ms (numba cache load)\n")
    print("| n | reads x sweeps | anneal_qubo ms | qopt.solve ms | dwave-samplers ms |")
    print("|---|---|---|---|---|")
    for n in (16, 32, 64):
        q = random_qubo(n, n)
        M = q.to_matrix()
        Q = {(i, j): float(M[i, j]) for i, j in zip(*np.nonzero(M))}
        for reads, sweeps in ((10, 100), (100, 100), (100, 1000)):
            ours = [timed(anneal_qubo, q, seed=s, reads=reads, sweeps=sweeps)
                    for s in range(repeats)]
            full = [timed(qopt.solve, q, "anneal", seed=s, reads=reads, sweeps=sweeps,
                          postprocess=False) for s in range(repeats)]
            peer = "—"
            if SimulatedAnnealingSampler is not None:
                sampler = SimulatedAnnealingSampler()
                sampler.sample_qubo(Q, num_reads=1, num_sweeps=1, seed=0)
                peer_t = [timed(sampler.sample_qubo, Q, num_reads=reads, num_sweeps=sweeps,
                                seed=s) for s in range(repeats)]
                peer = f"{1e3 * statistics.median(peer_t):.1f}"
            print(f"| {n} | {reads} x {sweeps} | {1e3 * statistics.median(ours):.1f} | "
                  f"{1e3 * statistics.median(full):.1f} | {peer} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("all", "drivers", "anneal"), default="all")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    print(f"start: {load_average()}\n")
    if args.part in ("all", "drivers"):
        drivers(args.repeats)
        print()
    if args.part in ("all", "anneal"):
        anneal(args.repeats)
    print(f"\nend: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
