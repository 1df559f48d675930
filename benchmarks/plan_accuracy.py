"""How close qopt.plan's estimated time comes to the real solve's wall time.

For each case: ``qopt.plan(...)`` (its own wall time too: a dry run must answer in well under
10 s), then ``qopt.solve(...)`` with the same keywords, ``repeats`` times; prints the estimate,
the median measured wall time with its spread (min-max), their ratio, the CPU time of the
solves and the load average before and after each case. Run it in a quiet window:

    nice -n 5 python benchmarks/plan_accuracy.py [--repeats 3] [--large]

``--large`` adds 20- and 22-qubit cases (minutes on a loaded machine).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import qopt

CASES = [
    ("maxcut", 12, {"p": 1}),
    ("maxcut", 16, {"p": 2, "maxiter": 60}),
    ("maxcut", 18, {"p": 1, "maxiter": 40}),
    ("mis", 14, {"p": 1, "mixer": "independent-set"}),
    ("mis", 16, {"p": 2, "maxiter": 80}),
    ("maxcut", 14, {"p": 3, "maxiter": 40, "optimizer": "l-bfgs-b"}),
]
LARGE = [
    ("maxcut", 20, {"p": 1, "maxiter": 30}),
    ("maxcut", 22, {"p": 1, "maxiter": 20}),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--large", action="store_true")
    args = ap.parse_args()
    qopt.solve(qopt.generate("maxcut", 8, 1), solver="qaoa", p=1, maxiter=3, seed=0)  # warm
    print(f"# {time.strftime('%Y-%m-%d %H:%M')}  {os.cpu_count()} cores")
    print("| case | plan [s] | estimate [s] | solve median [s] (min-max) | ratio | solve CPU [s] "
          "| load before / after |")
    print("|---|---|---|---|---|---|---|")
    for kind, size, opts in CASES + (LARGE if args.large else []):
        opts = dict(opts)
        optimizer = opts.pop("optimizer", None)
        problem = qopt.generate(kind, size, 3)
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        plan = qopt.plan(problem, "qaoa", optimizer=optimizer, **opts)
        t_plan = time.perf_counter() - t0
        walls, cpus = [], []
        for r in range(args.repeats):
            c0 = time.process_time()
            res = qopt.solve(problem, solver="qaoa", optimizer=optimizer, seed=r, **opts)
            cpus.append(time.process_time() - c0)
            walls.append(res.wall_time)
        med = statistics.median(walls)
        label = f"{kind} {size}, " + ", ".join(f"{k}={v}" for k, v in
                                                {**opts, "optimizer": optimizer}.items() if v)
        print(f"| {label} | {t_plan:.2f} | {plan.estimated_seconds:.3g} | {med:.3g} "
              f"({min(walls):.3g}-{max(walls):.3g}) | {plan.estimated_seconds / med:.2f} | "
              f"{statistics.median(cpus):.3g} | {load0:.1f} / {os.getloadavg()[0]:.1f} |",
              flush=True)


if __name__ == "__main__":
    main()
