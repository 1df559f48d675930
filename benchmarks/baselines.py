"""Every classical baseline at one evaluation budget on the shipped MDKP, MIS and QAP sets and
generated MaxCut: raw and post-processed gap, time.

Solvers (default: every registered classical one): ``exact`` (only where 2^n fits:
``--exact-max-vars``), ``milp``, ``anneal``, ``random``, ``ga``, ``map-elites``, ``tabu``,
``gw``, ``burer-monteiro``. Budgeted solvers run seeds 0..S-1 with ``--budget`` evaluations;
exact, milp, gw and burer-monteiro are not budgeted (``--time-limit`` seconds each where the
solver takes one; exact and milp run seed 0 only, being deterministic). A solver that refuses
an instance (gw / burer-monteiro on constrained problems, exact past its size) is recorded as
skipped with its message. MaxCut: random 3-regular graphs, n = 40, 80, 160 (seed 0).

Gap = |reference - objective| / |reference|, where the reference is the instance's optimum,
or (MaxCut, no proven optimum) the best feasible objective any run found; an infeasible result
counts as a gap of 100 % in medians. "raw" is the solver's own best sample, "post" after the
problem's repair and local search. Time: wall time of ``qopt.solve`` per run less the numba
compile / cache-load time it reports apart (``SolveResult.time["compile"]``), mean and range
over the runs of all instances of the set (``--warm`` runs each solver once on a tiny instance
first, so imports are not in the first run either).

Every finished run is appended to ``--log`` (JSON lines) at once; a re-run with the same log
skips the (instance, solver, seed, budget) runs already there, so a stopped sweep resumes.

    python benchmarks/baselines.py --log baselines.jsonl                 # everything
    python benchmarks/baselines.py --problems mdkp --solvers anneal,ga   # a part
    python benchmarks/baselines.py --report baselines.jsonl              # the table only
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from pathlib import Path

import qopt
from qopt.errors import QoptError
from qopt.problems import load, shipped_index
from qopt.solvers.registry import names as solver_names

CLASSICAL = ["exact", "milp", "anneal", "random", "ga", "map-elites", "tabu", "gw",
             "burer-monteiro"]
#: solvers that are not budgeted in evaluations (deterministic ones run seed 0 only)
UNBUDGETED = {"exact", "milp", "gw", "burer-monteiro"}
DETERMINISTIC = {"exact", "milp"}
TIME_LIMITED = {"milp", "gw", "burer-monteiro"}
PROBLEM_SETS = ["mdkp", "mis", "qap", "maxcut"]
MAXCUT_SIZES = (40, 80, 160)


def instances(which: str) -> list[tuple[str, object]]:
    """(label, problem) of one problem set."""
    if which in ("mdkp", "mis", "qap"):
        return [(f"{which}:{n}", load(which, n)) for n in shipped_index(which)]
    if which == "maxcut":
        return [(f"maxcut:reg3_{n}", qopt.generate("maxcut", n, 0)) for n in MAXCUT_SIZES]
    raise SystemExit(f"unknown problem set {which!r}; known: {PROBLEM_SETS}")


def solver_options(solver: str, args) -> dict:
    if solver in TIME_LIMITED:
        return {"time_limit": args.time_limit}
    if solver == "exact":
        return {"max_vars": args.exact_max_vars}
    return {}


def run_key(row: dict) -> tuple:
    return (row["instance"], row["solver"], row["seed"], row["budget"])


def run(args, log: Path | None) -> list[dict]:
    """Every (set, instance, solver, seed) run not already in ``log``; returns all rows."""
    rows = read_logs([log]) if log is not None and log.exists() else []
    done = {run_key(r) for r in rows}
    for which in args.problems:
        for label, problem in instances(which):
            for solver in args.solvers:
                seeds = [0] if solver in DETERMINISTIC else range(args.seeds)
                for seed in seeds:
                    budget = None if solver in UNBUDGETED else args.budget
                    key = (label, solver, seed, budget)
                    if key in done:
                        continue
                    row = one_run(which, label, problem, solver, seed, budget,
                                  solver_options(solver, args))
                    rows.append(row)
                    done.add(key)
                    if log is not None:
                        with log.open("a") as fh:
                            fh.write(json.dumps(row) + "\n")
            print(f"  {label} done", file=sys.stderr, flush=True)
    return rows


def one_run(which, label, problem, solver, seed, budget, options) -> dict:
    row = {"set": which, "instance": label, "solver": solver, "seed": seed, "budget": budget,
           "sense": problem.sense, "optimum": problem.optimum}
    t0 = time.perf_counter()
    try:
        r = qopt.solve(problem, solver, seed=seed, budget=budget, **options)
    except QoptError as exc:
        row.update(status="skipped", error=f"{type(exc).__name__}: {exc}"[:300])
        return row
    compiled = float((r.time or {}).get("compile", 0.0))
    row.update(status=r.status, raw_objective=r.raw.objective, raw_feasible=r.raw.feasible,
               objective=r.objective, feasible=r.feasible, evaluations=r.evaluations,
               time=time.perf_counter() - t0 - compiled, compile=compiled,
               bound=(r.info or {}).get("bound"))
    if budget is not None and (r.evaluations is None or r.evaluations > budget):
        raise SystemExit(f"{solver} on {label} spent {r.evaluations} > {budget}")
    return row


def read_logs(paths) -> list[dict]:
    return [json.loads(line) for p in paths for line in Path(p).read_text().splitlines()
            if line.strip()]


def references(rows: list[dict]) -> dict[str, float | None]:
    """Per instance: its optimum, else the best feasible objective of any run."""
    ref: dict[str, float | None] = {}
    for r in rows:
        if r["instance"] in ref:
            continue
        if r["optimum"] is not None:
            ref[r["instance"]] = r["optimum"]
            continue
        found = [x[k] for x in rows if x["instance"] == r["instance"] and x.get("status") !=
                 "skipped" for k, f in (("raw_objective", "raw_feasible"),
                                        ("objective", "feasible")) if x[f]]
        pick = max if r["sense"] == "max" else min
        ref[r["instance"]] = pick(found) if found else None
    return ref


def gap(row: dict, ref: float | None, raw: bool) -> float:
    """Relative gap of the raw or post-processed result (1.0 when infeasible); at a
    reference of 0, 0 when hit else 1."""
    value = row["raw_objective" if raw else "objective"]
    feasible = row["raw_feasible" if raw else "feasible"]
    if not feasible or ref is None or value is None:
        return 1.0
    if ref == 0:
        return 0.0 if value == 0 else 1.0
    return abs(ref - value) / abs(ref)


def pct(v) -> str:
    return "—" if v is None else f"{100 * v:.2f}"


def table(rows: list[dict], sets, solvers) -> str:
    """One Markdown table: per problem set and solver, median raw / post-processed gap %
    (worst in brackets), feasible raw results, optima hit, time mean (min-max)."""
    ref = references(rows)
    head = ("| set | solver | runs | median raw gap % (max) | median post-processed gap % (max) "
            "| raw feasible | optimum hit (post) | time s: mean (min-max) |")
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    for which in sets:
        for s in solvers:
            rs = [r for r in rows if r["set"] == which and r["solver"] == s]
            ran = [r for r in rs if r.get("status") != "skipped"]
            if not rs:
                continue
            if not ran:
                why = rs[0].get("error", "")
                lines.append(f"| {which} | {s} | 0 | skipped: {why[:70]} | | | | |")
                continue
            raw = [gap(r, ref[r["instance"]], True) for r in ran]
            post = [gap(r, ref[r["instance"]], False) for r in ran]
            t = [r["time"] for r in ran]
            hits = sum(g <= 1e-12 for g in post)
            skipped = len(rs) - len(ran)
            lines.append(
                f"| {which} | {s} | {len(ran)}{f' ({skipped} skipped)' if skipped else ''} | "
                f"{pct(statistics.median(raw))} ({pct(max(raw))}) | "
                f"{pct(statistics.median(post))} ({pct(max(post))}) | "
                f"{sum(r['raw_feasible'] for r in ran)}/{len(ran)} | {hits}/{len(ran)} | "
                f"{statistics.mean(t):.3f} ({min(t):.3f}-{max(t):.3f}) |")
    return "\n".join(lines)


def warm_up(solvers) -> None:
    """One tiny run per solver: imports and numba cache loads outside the measured runs."""
    tiny = qopt.generate("maxcut", 6, 0)
    for s in solvers:
        with contextlib.suppress(QoptError):
            qopt.solve(tiny, s, seed=0, budget=None if s in UNBUDGETED else 200)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", default=",".join(PROBLEM_SETS))
    ap.add_argument("--solvers", default=None, help="comma-separated (default: every "
                    "registered classical solver)")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--budget", type=int, default=20_000)
    ap.add_argument("--time-limit", type=float, default=60.0,
                    help="seconds for milp / gw / burer-monteiro")
    ap.add_argument("--exact-max-vars", type=int, default=24)
    ap.add_argument("--warm", action="store_true", help="warm every solver up first")
    ap.add_argument("--log", default=None, help="JSON-lines log: appended, and resumed from")
    ap.add_argument("--report", nargs="+", default=None, metavar="LOG",
                    help="run nothing: print the table of the runs in these logs")
    args = ap.parse_args(argv)
    args.problems = args.problems.split(",")
    known = [s for s in CLASSICAL if s in solver_names()]
    args.solvers = args.solvers.split(",") if args.solvers else known
    unknown = [s for s in args.solvers if s not in known]
    if unknown:
        raise SystemExit(f"unknown solvers {unknown}; registered classical: {known}")
    t0 = time.perf_counter()
    if args.report:
        rows = read_logs(args.report)
    else:
        if args.warm:
            warm_up(args.solvers)
        rows = run(args, Path(args.log) if args.log else None)
    rows = [r for r in rows if r["set"] in args.problems and r["solver"] in args.solvers
            and r["budget"] in (None, args.budget)]
    print(f"budget {args.budget} evaluations per budgeted run, seeds 0..{args.seeds - 1}, "
          f"{len(rows)} runs ({time.perf_counter() - t0:.0f} s)\n")
    print(table(rows, args.problems, args.solvers))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
