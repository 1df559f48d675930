"""How `anneal` should spend a budget: raw quality of budget splits and move sets.

Each *configuration* is a set of anneal options (``reads`` chains, ``sweeps`` per read,
``patience``, ``slack_moves``); all run with the same budget (default 20,000 proposed flips)
and seeds on the shipped MDKP set, the shipped QAP set, planted market-split instances and
generated MaxCut graphs, without post-processing. Printed: per problem set and configuration the
median raw gap (%), how many raw results are feasible, the median post-processed gap, and the
mean time per run. The ``auto`` configuration is the solver's default budget rule.

    python benchmarks/anneal_budget.py                              # every configuration
    python benchmarks/anneal_budget.py --configs auto,old --sets mdkp --seeds 3
    python benchmarks/anneal_budget.py --log anneal.jsonl           # append each run (JSONL)
    python benchmarks/anneal_budget.py --report anneal.jsonl        # table from a log only
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from baselines import gap, references  # same directory: gaps to the optimum / best found

import qopt
from qopt.problems import load, shipped_index

#: name -> anneal options (None values: the solver's budget rule decides)
CONFIGS: dict[str, dict] = {
    "old": {"reads": 100, "slack_moves": False},          # the rule before issue 15
    "1x all bits": {"reads": 1, "slack_moves": False},
    "4x bits": {"reads": 4, "slack_moves": False},
    "100x slack": {"reads": 100},
    "10x slack": {"reads": 10},
    "1x all slack": {"reads": 1, "patience": 1_000_000},
    "1x 100-sweep reads": {"reads": 1, "sweeps": 100},
    "1x 25-sweep reads": {"reads": 1, "sweeps": 25},
    "4x no restarts": {"reads": 4, "patience": 1_000_000},
    "10x no restarts": {"reads": 10, "patience": 1_000_000},
    "25x no restarts": {"reads": 25, "patience": 1_000_000},
    "auto": {},
}


def instances(which: str) -> list[tuple[str, object]]:
    """(label, problem) of one problem set."""
    if which in ("mdkp", "qap"):
        return [(f"{which}:{n}", load(which, n)) for n in shipped_index(which)]
    if which == "msp":           # planted market split (optimum 0): m = 3, n = 20 and m = 4, n = 30
        return [(f"msp:m{m}n{n}.{s}", qopt.generate("msp", {"m": m, "n": n, "planted": True}, s))
                for m, n in ((3, 20), (4, 30)) for s in range(3)]
    if which == "maxcut":
        return [(f"maxcut:gen{n}.{s}", qopt.generate("maxcut", n, s)) for n in (40, 80)
                for s in range(2)]
    raise SystemExit(f"unknown set {which!r}: mdkp, qap, msp, maxcut")


def run(sets, configs, seeds, budget, log):
    rows = []
    for which in sets:
        for label, problem in instances(which):
            for cname in configs:
                for seed in range(seeds):
                    t0 = time.perf_counter()
                    r = qopt.solve(problem, "anneal", seed=seed, budget=budget,
                                   postprocess=True, **CONFIGS[cname])
                    row = {"set": which, "instance": label, "config": cname, "seed": seed,
                           "sense": r.sense, "optimum": r.optimum,
                           "raw_objective": r.raw.objective, "raw_feasible": r.raw.feasible,
                           "objective": r.objective, "feasible": r.feasible,
                           "evaluations": r.evaluations,
                           "budget": budget, "time": time.perf_counter() - t0}
                    if r.evaluations > budget:
                        raise SystemExit(f"{cname} on {label} spent {r.evaluations} > {budget}")
                    rows.append(row)
                    if log:
                        with open(log, "a") as fh:
                            fh.write(json.dumps(row) + "\n")
            print(f"  {label} done", file=sys.stderr, flush=True)
    return rows


def pct(v) -> str:
    return "—" if v is None else f"{100 * v:.2f}"


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def table(rows, sets, configs) -> str:
    head = ("| set | configuration | median raw gap % | raw feasible | median post-processed "
            "gap % | mean time s |")
    lines = [head, "|---|---|---|---|---|---|"]
    for which in sets:
        everything = [r for r in rows if r["set"] == which]
        ref = references(everything)
        raw_all = [gap(r, ref[r["instance"]], True) for r in everything]
        post_all = [gap(r, ref[r["instance"]], False) for r in everything]
        for c in configs:
            pick = [i for i, r in enumerate(everything) if r["config"] == c]
            if not pick:
                continue
            raw = med([raw_all[i] for i in pick])
            post = med([post_all[i] for i in pick])
            feas = sum(everything[i]["raw_feasible"] for i in pick)
            t = statistics.mean(everything[i]["time"] for i in pick)
            lines.append(f"| {which} | {c} | {pct(raw)} | {feas}/{len(pick)} | {pct(post)} | "
                         f"{t:.3f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="mdkp,qap,msp,maxcut")
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--budget", type=int, default=20_000)
    ap.add_argument("--log", default=None, help="append every finished run to this JSONL file")
    ap.add_argument("--report", nargs="+", default=None, metavar="LOG")
    args = ap.parse_args(argv)
    sets, configs = args.sets.split(","), args.configs.split(",")
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        raise SystemExit(f"unknown configurations {unknown}; known: {list(CONFIGS)}")
    if args.report:
        rows = [json.loads(line) for f in args.report
                for line in Path(f).read_text().splitlines() if line.strip()]
    else:
        rows = run(sets, configs, args.seeds, args.budget, args.log)
    print(f"anneal, budget {args.budget} flips per run, seeds 0..{args.seeds - 1} "
          "(an infeasible result counts as a 100 % gap)\n")
    print(table(rows, sets, configs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
