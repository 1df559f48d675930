"""Grover-mixer / threshold QAOA study rows, the tai12a acceptance run, and the greedy-collapse
measurement of sequential mixers (issue 24). Run by hand, from the repository root:

    nice -n 5 python benchmarks/grover_qaoa.py study [--solver qaoa|th-qaoa] [--p 3]
        [--kind qap|mis|mdkp] [--instances a,b] [--json OUT]
    nice -n 5 python benchmarks/grover_qaoa.py tai12a
    nice -n 5 python benchmarks/grover_qaoa.py collapse [--p 3] [--sizes 16,24] [--seeds 101,102]
    nice -n 5 python benchmarks/grover_qaoa.py pass [--instance tai10a] [--repeats 5]
        [--compare DIR ...]

``study``: the rows of experiments/paper.toml's Grover section (all 11 QAP, MIS up to 1et.64,
MDKP pb1 / pb4) with the paper's budget (1000 evaluations: 500 final shots): |F|, cost levels,
pass time, raw feasible share, raw gap, uniform-sampling gap (same shots), P(opt) exact and
initial, the Grover bound, p, wall and CPU time, load average.
``tai12a``: the acceptance command ``qopt solve qap --instance tai12a --solver qaoa --mixer
grover --p 3 --seed 1 --json`` run through the CLI, its pass time printed apart.
``collapse``: held-out MDKP (generated, seeds not among the shipped instances; 3-5 rows) with
the capacity mixer at p = 3: default (fixed order, from the empty set) against
``mixer_order`` reversed / random and ``init_state="uniform"``; raw gap, <H> vs the raw sample's
energy, max_state_probability, entropy (bits), and anneal's gap beside.
``pass``: the histogram pass alone (one thread, warm kernels) on a QAP instance, plain and
with a side row left to a penalty (the tracked pass: objective and row followed too); with
``--compare DIR`` the same plain pass of the qopt tree at DIR (e.g. an older commit's
``git archive``) in alternating rounds of the same run: wall min / median / max of the
repeats, CPU ns per permutation, the second (sampling) pass for 500 uniform draws, load before
and after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import qopt

QAP = ["chr12a", "chr12b", "chr12c", "had12", "nug12", "rou12", "scr12", "tai10a", "tai10b",
       "tai12a", "tai12b"]
MIS = ["1tc.8", "1tc.16", "1tc.32", "1tc.64", "1et.64"]
MDKP = ["pb1", "pb4"]
BUDGET = 1000


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.2f} %"


def _sci(x) -> str:
    return "-" if x is None else f"{x:.3g}"


def study_row(kind: str, inst: str, solver: str, p: int, seed: int) -> dict:
    opts = {"mixer": "grover"} if solver in ("qaoa", "cvar-qaoa") else {}
    t0, c0 = time.perf_counter(), time.process_time()
    r = qopt.solve(f"{kind}:{inst}", solver, p=p, seed=seed, budget=BUDGET, **opts)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    i, h = r.info, r.info["histogram"]
    raw_gap = None if r.optimum is None else abs(r.raw.objective - r.optimum) / abs(r.optimum)
    return {"instance": f"{kind}:{inst}", "solver": solver, "p": p,
            "feasible_size": h["feasible_size"], "levels": h["cost_levels"],
            "pass_s": h["histogram_pass_time"], "raw_feasible_share":
            i["sample_feasible_fraction"], "raw_gap": raw_gap,
            "uniform_gap": i.get("uniform_best_gap"),
            "p_opt": i.get("probability_optimum_exact"),
            "p_opt_initial": i.get("probability_optimum_initial"),
            "grover_bound": i.get("grover_bound"), "max_state_probability":
            i["max_state_probability"], "threshold": i.get("threshold"), "wall_s": wall,
            "cpu_s": cpu, "compile_s": r.compile_time, "load": _load()}


def print_header() -> None:
    print("| instance | solver | p | feasible states | levels | pass (s) | raw feasible | "
          "raw gap | uniform gap | P(opt) exact | P(opt) initial | Grover bound | "
          "wall (s) | CPU (s) | load |")
    print("|" + "---|" * 15)


def print_study(rows: list[dict]) -> None:
    for r in rows:
        print(f"| {r['instance']} | {r['solver']} | {r['p']} | {r['feasible_size']:.3g} | "
              f"{r['levels']} | {r['pass_s']:.1f} | {r['raw_feasible_share']:.2f} | "
              f"{_pct(r['raw_gap'])} | {_pct(r['uniform_gap'])} | {_sci(r['p_opt'])} | "
              f"{_sci(r['p_opt_initial'])} | {_sci(r['grover_bound'])} | {r['wall_s']:.1f} | "
              f"{r['cpu_s']:.1f} | {r['load']} |", flush=True)


def study(args) -> None:
    kinds = {"qap": QAP, "mis": MIS, "mdkp": MDKP}
    todo = [(k, i) for k in (args.kind or ["qap", "mis", "mdkp"]) for i in kinds[k]]
    if args.instances:
        wanted = set(args.instances.split(","))
        todo = [(k, i) for k, i in todo if i in wanted]
    rows = []
    print_header()
    for k, i in todo:
        try:
            rows.append(study_row(k, i, args.solver, args.p, args.seed))
        except qopt.QoptError as e:          # refused by the plan: say so and go on
            print(f"{k}:{i}: refused: {e}", file=sys.stderr)
            continue
        print_study(rows[-1:])
        if args.json:
            with open(args.json, "w") as f:
                json.dump(rows, f, indent=1)


def tai12a(args) -> None:
    cmd = [sys.executable, "-m", "qopt.cli", "solve", "qap", "--instance", "tai12a", "--solver",
           "qaoa", "--mixer", "grover", "--p", "3", "--seed", "1", "--json"]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - t0
    r = json.loads(out)
    i = r["info"]
    print(f"load {_load()}  wall {wall:.1f} s  (pass {i['histogram']['histogram_pass_time']:.1f}"
          f" s, second pass {i['sampling_time']:.1f} s, compile {r['compile_time']:.1f} s)")
    print(f"|F| = {i['histogram']['feasible_size']:,}  levels {i['histogram']['cost_levels']:,}"
          f"  every sample a permutation: {i['sample_feasible_fraction'] == 1.0}")
    print(f"P(opt) exact {i['probability_optimum_exact']:.4g} > initial "
          f"{i['probability_optimum_initial']:.4g}: "
          f"{i['probability_optimum_exact'] > i['probability_optimum_initial']}; "
          f"Grover bound {i['grover_bound']:.4g}; raw objective {r['raw']['objective']}")


def collapse(args) -> None:
    from qopt.problems.mdkp import MDKP as MDKPClass

    variants = [("fixed, empty", {}), ("reversed, empty", {"mixer_order": "reversed"}),
                ("random, empty", {"mixer_order": "random"}),
                ("fixed, uniform", {"init_state": "uniform"})]
    print("| instance | variant | raw gap | <H> | raw energy | max state prob. | "
          "entropy (bits) | note | anneal gap | wall (s) | load |")
    print("|" + "---|" * 11)
    for n in [int(s) for s in args.sizes.split(",")]:
        for rows in (3, 4, 5):
            for seed in [int(s) for s in args.seeds.split(",")]:
                prob = MDKPClass.generate((n, rows), seed=seed)
                prob.optimum = qopt.solve(prob, "milp").objective
                ann = qopt.solve(prob, "anneal", seed=0, budget=4096)
                for label, opts in variants:
                    t0 = time.perf_counter()
                    r = qopt.solve(prob, "qaoa", mixer="capacity", p=args.p, seed=0,
                                   budget=BUDGET, **opts)
                    i = r.info
                    raw_gap = abs(r.raw.objective - prob.optimum) / prob.optimum
                    print(f"| {prob.name} | {label} | {_pct(raw_gap)} | "
                          f"{i['expectation']:.1f} | {r.raw.energy:.1f} | "
                          f"{i['max_state_probability']:.3f} | {i['state_entropy']:.2f} | "
                          f"{'yes' if 'concentration_note' in i else 'no'} | "
                          f"{_pct(ann.gap)} | {time.perf_counter() - t0:.1f} | {_load()} |",
                          flush=True)


def _pass_child(instance: str, tracked: bool, repeats: int) -> dict:
    """Wall and CPU seconds of ``repeats`` histogram passes (after one warm-up)."""
    import numpy as np

    from qopt.backends.histogram import build_histogram
    from qopt.solvers.base import Task
    from qopt.solvers.quantum.grover import feasible_mixer
    from qopt.solvers.quantum.qaoa_subspace import constrained_cost

    problem = qopt.load(f"qap:{instance}")
    extra = {}
    if tracked:
        from qopt.solvers.quantum.grover import tracking

        program = problem.to_program().copy()
        w = np.random.default_rng(0).integers(-3, 6, program.num_vars).astype(float)
        program.add_constraint(w, "<=", float(w.clip(0).sum() // 3), "side")
        problem = qopt.load(program)
    task = Task(problem)
    mixer = feasible_mixer(task)
    cost = constrained_cost(task.program, mixer)
    if tracked:
        extra = dict(zip(("objective", "rows"), tracking(task.program, mixer), strict=True))
    h = build_histogram(mixer, cost, threads=1, **extra)
    draws = np.random.default_rng(0).multinomial(500, h.counts / h.size)
    h.sample_states(draws, np.random.default_rng(1))
    walls, cpus, samples = [], [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        build_histogram(mixer, cost, threads=1, **extra)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        t0 = time.perf_counter()
        h.sample_states(draws, np.random.default_rng(1))
        samples.append(time.perf_counter() - t0)
    return {"size": h.size, "levels": h.num_levels, "walls": walls, "cpus": cpus,
            "samples": samples}


def pass_times(args) -> None:
    if args.child:
        print(json.dumps(_pass_child(args.instance, args.tracked, args.repeats)))
        return
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    runs = [("this tree, plain", here, False), ("this tree, tracked (side row)", here, True)]
    runs += [(f"{d}, plain", d, False) for d in args.compare or []]
    out: dict[str, list] = {label: [] for label, _, _ in runs}
    load0 = _load()
    for _ in range(args.rounds):
        for label, tree, tracked in runs:
            cmd = [sys.executable, os.path.abspath(__file__), "pass", "--child", "--instance",
                   args.instance, "--repeats", str(args.repeats)] + (["--tracked"] if tracked
                                                                     else [])
            env = {**os.environ, "PYTHONPATH": tree}
            r = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True,
                                          env=env).stdout)
            out[label].append(r)
    print(f"qap:{args.instance}, one thread, {args.rounds} rounds x {args.repeats} passes; "
          f"load {load0} -> {_load()}")
    print("| code | feasible states | levels | pass wall min / median / max (s) | "
          "CPU ns / state (median) | 500 samples: second pass min / median / max (s) |")
    print("|" + "---|" * 6)

    def spread(xs):
        xs = sorted(xs)
        return f"{xs[0]:.3f} / {xs[len(xs) // 2]:.3f} / {xs[-1]:.3f}"

    for label, rs in out.items():
        cpus = sorted(c for r in rs for c in r["cpus"])
        size = rs[0]["size"]
        print(f"| {label} | {size:.3g} | {rs[0]['levels']} | "
              f"{spread([w for r in rs for w in r['walls']])} | "
              f"{1e9 * cpus[len(cpus) // 2] / size:.0f} | "
              f"{spread([w for r in rs for w in r['samples']])} |")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("study")
    s.add_argument("--solver", default="qaoa")
    s.add_argument("--p", type=int, default=3)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--kind", action="append", choices=["qap", "mis", "mdkp"])
    s.add_argument("--instances")
    s.add_argument("--json")
    sub.add_parser("tai12a")
    c = sub.add_parser("collapse")
    c.add_argument("--p", type=int, default=3)
    c.add_argument("--sizes", default="16,24")
    c.add_argument("--seeds", default="101,102")
    t = sub.add_parser("pass")
    t.add_argument("--instance", default="tai10a")
    t.add_argument("--repeats", type=int, default=5)
    t.add_argument("--rounds", type=int, default=2)
    t.add_argument("--compare", action="append")
    t.add_argument("--tracked", action="store_true")
    t.add_argument("--child", action="store_true")
    args = ap.parse_args(argv)
    {"study": study, "tai12a": tai12a, "collapse": collapse, "pass": pass_times}[args.cmd](args)


if __name__ == "__main__":
    main()
