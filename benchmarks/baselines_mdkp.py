"""Black-box baselines on the shipped MDKP set under one evaluation budget.

Runs every solver (default: random, ga, map-elites) with seeds 0..S-1 on every shipped MDKP
instance with ``budget`` objective evaluations per run (default 20,000), no post-processing
(the raw result of the budgeted search), and prints a table of per-instance median gaps, the
worst gap, feasibility and evaluations, then the median gap per solver over all runs.

    python benchmarks/baselines_mdkp.py                     # 5 seeds, budget 20000
    python benchmarks/baselines_mdkp.py --seeds 3 --solvers ga,map-elites --log runs.jsonl
    python benchmarks/baselines_mdkp.py --report runs.jsonl more_runs.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import qopt
from qopt.problems import load, shipped_index


def run(solvers: list[str], seeds: int, budget: int, instances: list[str],
        log: str | None = None) -> list[dict]:
    """Every (instance, solver, seed) run; each finished run is appended to ``log`` (JSON
    lines) at once, so nothing is lost if the sweep is stopped."""
    rows = []
    for name in instances:
        problem = load("mdkp", name)
        for solver in solvers:
            for seed in range(seeds):
                t0 = time.perf_counter()
                r = qopt.solve(problem, solver=solver, seed=seed, budget=budget,
                               postprocess=False)
                rows.append({"instance": name, "solver": solver, "seed": seed,
                             "objective": r.objective, "optimum": r.optimum,
                             "gap": r.gap if r.feasible else None, "feasible": r.feasible,
                             "evaluations": r.evaluations, "budget": budget,
                             "time": time.perf_counter() - t0})
                if log:
                    with open(log, "a") as fh:
                        fh.write(json.dumps(rows[-1]) + "\n")
                if r.evaluations is None or r.evaluations > budget:
                    raise SystemExit(f"{solver} on {name} spent {r.evaluations} > {budget}")
            done = [x for x in rows if x["instance"] == name and x["solver"] == solver]
            gaps = [x["gap"] for x in done if x["gap"] is not None]
            print(f"  {name:5s} {solver:11s} median gap {100 * statistics.median(gaps):6.2f} %"
                  f"  ({sum(x['time'] for x in done):.1f} s)", file=sys.stderr, flush=True)
    return rows


def pct(v) -> str:
    return "—" if v is None else f"{100 * v:.2f}"


def table(rows: list[dict], solvers: list[str], instances: list[str]) -> str:
    """Markdown table: per instance, each solver's median gap % (worst gap %)."""
    head = "| instance | optimum | " + " | ".join(f"{s} median (max) gap %" for s in solvers)
    lines = [head + " |", "|---|---|" + "---|" * len(solvers)]
    for name in instances:
        sel = [r for r in rows if r["instance"] == name]
        cells = []
        for s in solvers:
            rs = [r for r in sel if r["solver"] == s]
            if not all(r["feasible"] for r in rs):
                cells.append(f"infeasible in {sum(not r['feasible'] for r in rs)} runs")
                continue
            g = [r["gap"] for r in rs]
            cells.append(f"{pct(statistics.median(g))} ({pct(max(g))})")
        lines.append(f"| {name} | {sel[0]['optimum']:g} | " + " | ".join(cells) + " |")
    med = []
    for s in solvers:
        g = [r["gap"] for r in rows if r["solver"] == s and r["gap"] is not None]
        med.append(f"**{pct(statistics.median(g))}** ({pct(max(g))})")
    lines.append("| **all runs** | | " + " | ".join(med) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--solvers", default="random,ga,map-elites")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--budget", type=int, default=20_000)
    ap.add_argument("--instances", default=None, help="comma-separated (default: all shipped)")
    ap.add_argument("--log", default=None, help="append every finished run to this JSON-lines "
                    "file")
    ap.add_argument("--report", nargs="+", default=None, metavar="LOG",
                    help="run nothing: print the table of the runs in these JSON-lines files")
    args = ap.parse_args(argv)
    solvers = args.solvers.split(",")
    instances = args.instances.split(",") if args.instances else list(shipped_index("mdkp"))
    t0 = time.perf_counter()
    if args.report:
        rows = [json.loads(line) for f in args.report
                for line in Path(f).read_text().splitlines() if line.strip()]
        solvers = [s for s in solvers if any(r["solver"] == s for r in rows)]
        instances = [i for i in instances if any(r["instance"] == i for r in rows)]
        seeds = sorted({r["seed"] for r in rows})
        args.budget = max(r["budget"] for r in rows)
        what = f"seeds {seeds[0]}..{seeds[-1]}"
    else:
        rows = run(solvers, args.seeds, args.budget, instances, args.log)
        what = f"seeds 0..{args.seeds - 1}"
    print(f"MDKP, {len(instances)} shipped instances, {what}, budget {args.budget} "
          f"evaluations per run, no post-processing ({time.perf_counter() - t0:.0f} s)\n")
    print(table(rows, solvers, instances))
    for s in solvers:
        rs = [r for r in rows if r["solver"] == s]
        gaps = [r["gap"] for r in rs if r["gap"] is not None]
        print(f"\n{s}: median gap {pct(statistics.median(gaps) if gaps else None)} % over "
              f"{len(rs)} runs; all feasible: {all(r['feasible'] for r in rs)}; max "
              f"evaluations {max(r['evaluations'] for r in rs)} <= {args.budget}; "
              f"mean time {statistics.mean(r['time'] for r in rs):.1f} s", end="")
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
