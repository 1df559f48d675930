"""Benchmark: ebits of hypergraph partitioning vs naive baselines for QAOA p=1 MaxCut circuits.

Circuits: ``qopt.partition.problem_circuit("maxcut", n, seed, solver="qaoa", p=1)`` on random
3-regular graphs (n = 100, 300, 1000), distributed over k = 2, 4, 8 QPUs of capacity
``floor(1.03 * ceil(n / k))`` qubits.

Two rewrites ("gates" column): CZ, the paper's model (each RZZ becomes two CZs with flips of one
wire between them), and RZZ, ``keep_diagonal=True`` (RZZ kept as one diagonal gate vertex).
Columns: ebits of the partitioner (recomputed from its assignment); the contiguous and the
interaction-graph baselines (one ebit per cut two-qubit gate of the rewritten circuit); the graph
baseline's count of cut RZZ gates of the original circuit (one ebit per cut RZZ);
the saving against the contiguous baseline (target >= 40 %); wall time of the partitioner and of
the whole ``distribute`` call (CZ rewrite + hypergraph + partition + baselines).

Usage: ``python benchmarks/partition_ebits.py [--sizes 100 300 1000] [--ks 2 4 8]
[--engines kahypar mtkahypar] [--seed 0] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

from qopt.partition import distribute, mtkahypar_engine, problem_circuit


def cut_two_qubit_gates(circuit, qubit_to_qpu) -> int:
    """Two-qubit gates of ``circuit`` whose qubits sit on different QPUs."""
    q = np.asarray(qubit_to_qpu)
    cut = 0
    for inst in circuit.data:
        if len(inst.qubits) == 2:
            a, b = (circuit.find_bit(x).index for x in inst.qubits)
            cut += int(q[a] != q[b])
    return cut


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    ap.add_argument("--ks", type=int, nargs="+", default=[2, 4, 8])
    ap.add_argument("--engines", nargs="+", default=["kahypar", "mtkahypar"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--modes", nargs="+", default=["cz", "rzz"],
                    help="cz: rewrite RZZ into CZs (the paper's model); rzz: keep_diagonal=True")
    ap.add_argument("--json", default=None, help="write all rows to this JSON file")
    args = ap.parse_args(argv)
    engines = [e for e in args.engines if e != "mtkahypar" or mtkahypar_engine.available()]

    rows = []
    header = ("| n | k | gates | engine | ebits | contiguous | graph | graph, cut RZZ "
              "| saved vs contiguous | saved vs graph | partition s | total s |")
    print(f"# partition_ebits  ({platform.processor() or platform.machine()}, "
          f"seed {args.seed})\n")
    print(header)
    print("|" + "---|" * 12)
    for n in args.sizes:
        t0 = time.perf_counter()
        qc = problem_circuit("maxcut", n, seed=args.seed, solver="qaoa", p=1)
        build = time.perf_counter() - t0
        for k in args.ks:
            for mode, engine in ((m, e) for m in args.modes for e in engines):
                d = distribute(qc, k=k, engine=engine, seed=args.seed,
                               keep_diagonal=(mode == "rzz"))
                rzz = cut_two_qubit_gates(qc, d.baseline_qubit_to_qpu["graph"])
                row = {
                    "n": n, "k": k, "mode": mode, "engine": engine, "ebits": d.ebits,
                    "baseline_contiguous_ebits": d.baseline_contiguous_ebits,
                    "baseline_graph_ebits": d.baseline_graph_ebits,
                    "baseline_graph_cut_rzz": rzz,
                    "saved_vs_contiguous": d.reduction("contiguous"),
                    "saved_vs_graph": d.reduction("graph"),
                    "partition_s": d.times["partition"], "total_s": d.wall_time,
                    "circuit_build_s": build, "capacity": d.capacity,
                    "max_load": int(d.qpu_loads.max()),
                }
                assert row["max_load"] <= d.capacity
                rows.append(row)
                print(f"| {n} | {k} | {mode.upper()} | {engine} | {d.ebits} | "
                      f"{d.baseline_contiguous_ebits} | "
                      f"{d.baseline_graph_ebits} | {rzz} | "
                      f"{100 * row['saved_vs_contiguous']:.1f} % | "
                      f"{100 * row['saved_vs_graph']:.1f} % | {row['partition_s']:.2f} | "
                      f"{row['total_s']:.2f} |", flush=True)
    worst = min(r["saved_vs_contiguous"] for r in rows)
    big = [r["total_s"] for r in rows if r["n"] == max(args.sizes) and r["k"] == max(args.ks)]
    print(f"\nsmallest saving vs contiguous: {100 * worst:.1f} % (target >= 40 %)")
    if big:
        print(f"n={max(args.sizes)}, k={max(args.ks)} total wall time: "
              f"{', '.join(f'{t:.2f} s' for t in big)} (target < 30 s)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return rows


if __name__ == "__main__":
    main()
