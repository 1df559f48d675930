"""How fast does milp (HiGHS) find the planted solution of QOBLIB-layout market-split instances?

Each instance is generated with ``planted=True`` (x* uniform in {0,1}^n, b = A x*), written in
QOBLIB's layout, read back and solved by ``milp`` under a time limit. Prints one line per
(m, n, seed) and a summary per size: solved (deviation 0) within the limit, median time.

    nice python benchmarks/msp_planted_milp.py [--sizes 3x20 4x30] [--seeds 10] [--limit 30]
                                               [--lattice auto|off]

``--lattice off`` is branch and bound over x; ``auto`` (milp's default) over the kernel lattice
when fpylll is installed (``qopt-toolkit[lattice]``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import qopt
from qopt.problems.msp import MarketSplit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["3x20", "4x30"], help="m x n, e.g. 4x30")
    ap.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 per size")
    ap.add_argument("--limit", type=float, default=30.0, help="milp time_limit in seconds")
    ap.add_argument("--lattice", choices=("auto", "off"), default="auto")
    args = ap.parse_args()
    lattice = None if args.lattice == "auto" else False
    print(f"lattice={args.lattice}; load average at start: {os.getloadavg()[0]:.1f} "
          f"(cores: {os.cpu_count()})")
    print(f"{'m':>2} {'n':>3} {'seed':>4} {'status':>24} {'deviation':>9} {'time [s]':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            m, n = (int(v) for v in size.lower().split("x"))
            times, solved = [], 0
            for seed in range(args.seeds):
                path = Path(tmp) / f"ms_{m}_{n}_{seed}.dat"
                MarketSplit.generate((m, n), seed=seed, planted=True).write(path)
                problem = MarketSplit.read(path)
                t0 = time.perf_counter()
                res = qopt.solve(problem, "milp", time_limit=args.limit, lattice=lattice,
                                 postprocess=False)
                dt = time.perf_counter() - t0
                ok = res.feasible and res.objective == 0
                solved += ok
                times.append(dt)
                print(f"{m:>2} {n:>3} {seed:>4} {res.status:>24} {res.objective:>9g} {dt:>8.2f}",
                      flush=True)
            print(f"m={m} n={n}: {solved}/{args.seeds} solved to deviation 0 within "
                  f"{args.limit:g} s, median time {statistics.median(times):.2f} s")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
