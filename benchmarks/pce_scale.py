"""PCE at scale: a 2000-node random MaxCut graph on <= 20 qubits, and every shipped QAP instance.

Part 1 (``maxcut``): a random graph with ``--nodes`` vertices, ``--graph reg3`` (random
3-regular, qopt's MaxCut generator, seeded) or ``--graph gnp`` (G(n, p) with ``--p``, unit
weights: like Gset's G22-G26, 2000 vertices at p = 0.01). PCE with k = 3 (17 qubits for 2000
nodes) trains on the statevector engine with a wall-clock limit, then reports the cut of its
sign rounding (raw), after PCE's bit-swap search, and after qopt's generic post-processing,
next to the references on the same graph in the same process: burer-monteiro (its certified
upper bound is the denominator of every ratio), tabu and anneal at the same evaluation budget
(``--classical-budget``), and gw on smaller graphs of the same family (``--gw-sizes``: a dense
SDP does not fit 2000 vertices; the table says how far it gets within ``--gw-time-limit``).
Each ratio is cut / best proven bound, so a ratio >= 16/17 = 0.941 (the NP-hardness threshold
of approximating MaxCut, Hastad 2001) certifies that approximation on this instance.

Part 2 (``qap``): PCE (k = 2) on every shipped QAP instance (100-144 binary variables, 9-11
qubits): whether the raw sign rounding is a feasible permutation, and the optimality gap after
qopt's repair + local search.

Run: ``python benchmarks/pce_scale.py [--part maxcut|qap|gw|all] [--graph reg3|gnp]
[--time-limit 480] ...`` (``gw``: the gw size sweep alone).
Timings are wall-clock on this machine; print a JSON record with ``--json PATH``.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import qopt
from qopt.problems import shipped_index
from qopt.problems.maxcut import MaxCut
from qopt.solvers.base import Task


def warm_up() -> None:
    """Tiny PCE, tabu and anneal runs so that their numba kernels are compiled (or loaded
    from numba's cache) before anything is timed."""
    small = MaxCut.generate(20, seed=0)
    qopt.solve(small, solver="pce", seed=0, k=3, budget=3)
    for solver in ("tabu", "anneal"):           # numba kernels of the references
        qopt.solve(small, solver=solver, seed=0, budget=1000)


HARDNESS = 16 / 17   # approximating MaxCut above this ratio is NP-hard (Hastad 2001)


def make_graph(kind: str, nodes: int, seed: int, p: float) -> MaxCut:
    """The benchmark graph: random 3-regular or G(n, p) with unit weights."""
    if kind == "reg3":
        return MaxCut.generate(nodes, seed=seed)
    import networkx as nx

    G = nx.gnp_random_graph(nodes, p, seed=seed)
    return MaxCut.from_graph(G, name=f"maxcut_gnp_n{nodes}_p{p}_s{seed}")


def timed_solve(problem, solver: str, **kwargs):
    t0 = time.perf_counter()
    res = qopt.solve(problem, solver=solver, **kwargs)
    return res, time.perf_counter() - t0


def reference_row(name: str, res, seconds: float) -> dict:
    return {"method": name, "cut_raw": res.raw.objective, "cut_post": res.objective,
            "seconds": seconds, "evaluations": res.evaluations, "status": res.status,
            "bound": res.info.get("bound"), "relaxation_value": res.info.get("relaxation_value")}


def run_maxcut(nodes: int, seed: int, time_limit: float, budget: int, reps: int | None,
               graph: str = "reg3", p: float = 0.01, classical_budget: int = 10 ** 8,
               bm_time_limit: float = 300.0, skip_pce: bool = False) -> dict:
    warm_up()
    problem = make_graph(graph, nodes, seed, p)
    qubo = Task(problem).qubo
    rows = []
    out: dict = {"graph": graph, "nodes": nodes, "edges": len(problem.edges), "seed": seed,
                 "qubo_vars": qubo.num_vars}
    if not skip_pce:
        pce, t_pce = timed_solve(problem, "pce", seed=seed, k=3, budget=budget,
                                 time_limit=time_limit, bit_swap=True, reps=reps)
        energy_to_cut = -1.0   # MaxCut QUBO energy = -cut
        out.update({
            "qubits": pce.num_qubits, "parameters": pce.info["ansatz"]["parameters"],
            "evaluations": pce.evaluations, "status": pce.status, "time_pce_s": t_pce,
            "cut_pce_sign_rounding": energy_to_cut * pce.info["energy_at_best_loss"],
            "cut_pce_best_sign_seen": energy_to_cut * pce.info["best_energy_seen"],
            "cut_pce_bit_swap": energy_to_cut * pce.info["bit_swap"]["energy_after"],
            "cut_pce_raw_reported": pce.raw.objective,
            "cut_pce_postprocessed": pce.objective, "rows": pce.info["rows"]})
        rows += [
            {"method": f"PCE k=3, {pce.num_qubits} qubits: sign rounding at best loss",
             "cut_raw": out["cut_pce_sign_rounding"], "seconds": t_pce,
             "evaluations": pce.evaluations, "status": pce.status},
            {"method": "PCE + its bit-swap search", "cut_raw": out["cut_pce_bit_swap"],
             "cut_post": pce.objective, "seconds": t_pce, "evaluations": pce.evaluations,
             "status": pce.status}]
    bm, t_bm = timed_solve(problem, "burer-monteiro", seed=seed, rounds=256,
                           time_limit=bm_time_limit)
    rows.append(reference_row(f"burer-monteiro (rank {bm.info['rank']}, 256 roundings)",
                              bm, t_bm))
    tabu, t_tabu = timed_solve(problem, "tabu", seed=seed, budget=classical_budget)
    rows.append(reference_row("tabu", tabu, t_tabu))
    sa, t_sa = timed_solve(problem, "anneal", seed=seed, budget=classical_budget)
    rows.append(reference_row("anneal", sa, t_sa))
    bound = min(r["bound"] for r in rows if r.get("bound") is not None)
    best = max(max(r["cut_raw"], r.get("cut_post") or 0.0) for r in rows)
    for r in rows:
        r["ratio_raw"] = r["cut_raw"] / bound
        r["ratio_post"] = None if r.get("cut_post") is None else r["cut_post"] / bound
    out.update(rows_table=rows, best_bound=bound, best_cut=best,
               best_cut_over_bound=best / bound, hardness_threshold=HARDNESS,
               anneal_info={k: sa.info.get(k) for k in ("reads", "sweeps", "lanes")},
               tabu_info={k: tabu.info.get(k) for k in ("iterations", "restarts", "tenure")})
    if not skip_pce:
        out["ratio_pce_to_anneal"] = out["cut_pce_postprocessed"] / sa.objective
    return out


def run_gw_sizes(graph: str, sizes: list[int], seed: int, p_edge: float, time_limit: float
                 ) -> list[dict]:
    """gw and burer-monteiro on graphs of the benchmark's family at increasing sizes (G(n, p)
    keeps the average degree of the 2000-node graph: p scaled by 2000 / n)."""
    from qopt.errors import SizeLimitError

    out = []
    for n in sizes:
        problem = make_graph(graph, n, seed, min(1.0, p_edge * 2000 / n))
        bm, t_bm = timed_solve(problem, "burer-monteiro", seed=seed, rounds=256,
                               postprocess=False)
        row = {"nodes": n, "edges": len(problem.edges), "bm_cut": bm.raw.objective,
               "bm_bound": bm.info["bound"], "bm_seconds": t_bm}
        try:
            gw, t_gw = timed_solve(problem, "gw", seed=seed, rounds=256, postprocess=False,
                                   time_limit=time_limit)
            row.update(gw_cut=gw.raw.objective, gw_bound=gw.info["bound"], gw_seconds=t_gw,
                       gw_status=gw.status, gw_sdp_seconds=gw.info.get("sdp_seconds"))
        except SizeLimitError as exc:
            row.update(gw_status=f"refused: {exc}")
        out.append(row)
        print(f"  gw size sweep n={n}: {row}", flush=True)
    return out


def print_maxcut(mc: dict) -> None:
    print(f"MaxCut {mc['graph']} n={mc['nodes']} |E|={mc['edges']}; best proven bound "
          f"{mc['best_bound']:.1f}; best cut {mc['best_cut']:.0f} (/bound "
          f"{mc['best_cut_over_bound']:.4f}; 16/17 = {HARDNESS:.4f})")
    print("| method | cut raw | / bound | cut post-processed | / bound | time s | "
          "evaluations | status |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for r in mc["rows_table"]:
        post = "-" if r.get("cut_post") is None else f"{r['cut_post']:.0f}"
        rpost = "-" if r.get("ratio_post") is None else f"{r['ratio_post']:.4f}"
        ev = "-" if r.get("evaluations") is None else f"{r['evaluations']:.3g}"
        print(f"| {r['method']} | {r['cut_raw']:.0f} | {r['ratio_raw']:.4f} | {post} | "
              f"{rpost} | {r['seconds']:.1f} | {ev} | {r['status']} |")


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
    ap.add_argument("--part", choices=("maxcut", "qap", "gw", "all"), default="all")
    ap.add_argument("--graph", choices=("reg3", "gnp"), default="reg3")
    ap.add_argument("--p", type=float, default=0.01, help="edge probability of --graph gnp")
    ap.add_argument("--nodes", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=480.0,
                    help="PCE training wall-clock limit on the MaxCut graph (s)")
    ap.add_argument("--budget", type=int, default=2000, help="PCE evaluations on MaxCut")
    ap.add_argument("--reps", type=int, default=None, help="ansatz reps (default: ~m/2 params)")
    ap.add_argument("--no-pce", action="store_true", help="references only")
    ap.add_argument("--classical-budget", type=int, default=10 ** 8,
                    help="evaluations of tabu and anneal on the MaxCut graph")
    ap.add_argument("--gw-sizes", default="100,200,400,800",
                    help="comma-separated graph sizes of the gw sweep")
    ap.add_argument("--gw-time-limit", type=float, default=120.0)
    ap.add_argument("--qap-budget", type=int, default=150, help="PCE evaluations per QAP")
    ap.add_argument("--json", default=None, help="write the results to this file")
    args = ap.parse_args(argv)
    record: dict = {"cpus": os.cpu_count(), "load_average_start": os.getloadavg()}
    if args.part in ("maxcut", "all"):
        t0 = time.perf_counter()
        mc = run_maxcut(args.nodes, args.seed, args.time_limit, args.budget, args.reps,
                        args.graph, args.p, args.classical_budget, skip_pce=args.no_pce)
        mc["total_time_s"] = time.perf_counter() - t0
        record["maxcut"] = mc
        print_maxcut(mc)
        if not args.no_pce:
            print(f"PCE: {mc['qubits']} qubits, {mc['parameters']} parameters, "
                  f"{mc['evaluations']} evaluations in {mc['time_pce_s']:.0f} s "
                  f"({mc['status']}); PCE post-processed / anneal = "
                  f"{mc['ratio_pce_to_anneal']:.4f}")
    if args.part in ("gw", "all"):
        sizes = [int(v) for v in args.gw_sizes.split(",") if v]
        record["gw_sizes"] = run_gw_sizes(args.graph, sizes, args.seed, args.p,
                                          args.gw_time_limit)
        print("| n | edges | gw cut | gw bound | gw s (status) | bm cut | bm bound | bm s |")
        print("|---:|---:|---:|---:|---|---:|---:|---:|")
        for r in record["gw_sizes"]:
            if "gw_cut" in r:
                gw = (f"{r['gw_cut']:.0f} | {r['gw_bound']:.1f} | {r['gw_seconds']:.1f} "
                      f"({r['gw_status']})")
            else:
                gw = f"- | - | {r['gw_status']}"
            print(f"| {r['nodes']} | {r['edges']} | {gw} | {r['bm_cut']:.0f} | "
                  f"{r['bm_bound']:.1f} | {r['bm_seconds']:.1f} |")
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
    record["load_average_end"] = os.getloadavg()
    print(f"load average at start {record['load_average_start']}, at end "
          f"{record['load_average_end']} ({record['cpus']} cpus)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(record, fh, indent=1, default=float)


if __name__ == "__main__":
    main()
