"""PCE at scale: a 2000-node random MaxCut graph on <= 20 qubits, and every shipped QAP instance.

Part 1 (``maxcut``): a random 3-regular graph with ``--nodes`` vertices (qopt's MaxCut
generator, seeded). PCE with k = 3 (17 qubits for 2000 nodes) trains on the statevector engine
with a wall-clock limit, then reports the cut of its sign rounding (raw), after PCE's bit-swap
search, and after qopt's generic post-processing, next to simulated annealing (qopt's
``anneal`` solver, default schedule) on the same graph in the same process.

Part 2 (``qap``): PCE (k = 2) on every shipped QAP instance (100-144 binary variables, 9-11
qubits): whether the raw sign rounding is a feasible permutation, and the optimality gap after
qopt's repair + local search.

Run: ``python benchmarks/pce_scale.py [--part maxcut|qap|all] [--time-limit 540] ...``.
Timings are wall-clock on this machine; print a JSON record with ``--json PATH``.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

import qopt
from qopt.problems import shipped_index
from qopt.problems.maxcut import MaxCut
from qopt.solvers.base import Task


def warm_up() -> None:
    """One tiny PCE run so that the engine's numba kernels are compiled (or loaded from
    numba's cache) before anything is timed."""
    qopt.solve(MaxCut.generate(20, seed=0), solver="pce", seed=0, k=3, budget=3)


def run_maxcut(nodes: int, seed: int, time_limit: float, budget: int, reps: int | None) -> dict:
    warm_up()
    problem = MaxCut.generate(nodes, seed=seed)
    qubo = Task(problem).qubo
    t0 = time.perf_counter()
    pce = qopt.solve(problem, solver="pce", seed=seed, k=3, budget=budget,
                     time_limit=time_limit, bit_swap=True, reps=reps)
    t_pce = time.perf_counter() - t0
    rows = pce.info["rows"]
    # cuts of PCE's own rows: sign rounding at the best loss and after the bit-swap search
    bits_raw = np.asarray(pce.raw.solution, dtype=np.uint8)
    t0 = time.perf_counter()
    sa = qopt.solve(problem, solver="anneal", seed=seed)
    t_sa = time.perf_counter() - t0
    energy_to_cut = -1.0   # MaxCut QUBO energy = -cut
    out = {
        "nodes": nodes, "edges": len(problem.edges), "seed": seed,
        "qubits": pce.num_qubits, "parameters": pce.info["ansatz"]["parameters"],
        "evaluations": pce.evaluations, "status": pce.status, "time_pce_s": t_pce,
        "cut_pce_sign_rounding": energy_to_cut * pce.info["energy_at_best_loss"],
        "cut_pce_best_sign_seen": energy_to_cut * pce.info["best_energy_seen"],
        "cut_pce_bit_swap": energy_to_cut * pce.info["bit_swap"]["energy_after"],
        "cut_pce_raw_reported": float(problem.evaluate(bits_raw)),
        "cut_pce_postprocessed": pce.objective,
        "cut_anneal": sa.objective, "time_anneal_s": t_sa,
        "anneal_reads": sa.info.get("reads"), "anneal_sweeps": sa.info.get("sweeps"),
        "rows": rows, "qubo_vars": qubo.num_vars,
    }
    out["ratio_pce_to_anneal"] = out["cut_pce_postprocessed"] / out["cut_anneal"]
    out["ratio_pce_sign_to_anneal"] = out["cut_pce_sign_rounding"] / out["cut_anneal"]
    return out


def run_qap(seed: int, budget: int) -> list[dict]:
    out = []
    for name in shipped_index("qap"):
        problem = qopt.load("qap", name)
        t0 = time.perf_counter()
        res = qopt.solve(problem, solver="pce", seed=seed, k=2, budget=budget)
        elapsed = time.perf_counter() - t0
        out.append({
            "instance": name, "variables": problem.num_vars, "qubits": res.num_qubits,
            "evaluations": res.evaluations, "raw_feasible": res.raw.feasible,
            "raw_violation": res.raw.violation, "raw_objective": res.raw.objective,
            "objective": res.objective, "feasible": res.feasible, "optimum": problem.optimum,
            "gap": res.gap, "time_s": elapsed,
        })
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("maxcut", "qap", "all"), default="all")
    ap.add_argument("--nodes", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=480.0,
                    help="PCE training wall-clock limit on the MaxCut graph (s)")
    ap.add_argument("--budget", type=int, default=2000, help="PCE evaluations on MaxCut")
    ap.add_argument("--reps", type=int, default=None, help="ansatz reps (default: ~m/2 params)")
    ap.add_argument("--qap-budget", type=int, default=150, help="PCE evaluations per QAP")
    ap.add_argument("--json", default=None, help="write the results to this file")
    args = ap.parse_args(argv)
    record: dict = {"cpus": os.cpu_count(), "load_average": os.getloadavg()}
    if args.part in ("maxcut", "all"):
        t0 = time.perf_counter()
        mc = run_maxcut(args.nodes, args.seed, args.time_limit, args.budget, args.reps)
        mc["total_time_s"] = time.perf_counter() - t0
        record["maxcut"] = mc
        print(f"MaxCut n={mc['nodes']} |E|={mc['edges']}: PCE k=3 on {mc['qubits']} qubits, "
              f"{mc['parameters']} parameters, {mc['evaluations']} evaluations in "
              f"{mc['time_pce_s']:.0f} s ({mc['status']})")
        print(f"  cut: PCE sign rounding {mc['cut_pce_sign_rounding']:.0f}, best sign seen "
              f"{mc['cut_pce_best_sign_seen']:.0f}, + bit-swap {mc['cut_pce_bit_swap']:.0f}, "
              f"+ generic post-processing {mc['cut_pce_postprocessed']:.0f}; simulated "
              f"annealing {mc['cut_anneal']:.0f} ({mc['time_anneal_s']:.1f} s); "
              f"PCE/SA = {mc['ratio_pce_to_anneal']:.4f}")
    if args.part in ("qap", "all"):
        rows = run_qap(args.seed, args.qap_budget)
        record["qap"] = rows
        print(f"{'instance':10} {'vars':>4} {'qubits':>6} {'evals':>5} {'raw feasible':>12} "
              f"{'objective':>10} {'optimum':>10} {'gap %':>7} {'time s':>6}")
        for r in rows:
            gap = "-" if r["gap"] is None else f"{100 * r['gap']:.2f}"
            print(f"{r['instance']:10} {r['variables']:4d} {r['qubits']:6d} {r['evaluations']:5d} "
                  f"{r['raw_feasible']!s:>12} {r['objective']:10.0f} {r['optimum']:10.0f} "
                  f"{gap:>7} {r['time_s']:6.1f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(record, fh, indent=1, default=float)


if __name__ == "__main__":
    main()
