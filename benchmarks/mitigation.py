"""Error mitigation on a fake IBM device: error of <H> for fixed-angle QAOA p = 1.

An 8-node 3-regular MaxCut (``qopt.generate("maxcut", 8, graph_seed)``); the angles are
optimised on the statevector engine, and its exact <H> at those angles is the noiseless
reference. Each mitigation then evaluates the same fixed angles on ``fake:sherbrooke``
(``qopt.solve(..., angles=..., maxiter=0, shots=20000, mitigation=...)``: one estimate of the
given angles plus the final samples, whose mitigated quasi-distribution gives <H>), once per
seed (the seed drives Aer's noise and sampling). Printed: mean / max of |<H> - noiseless| over
the seeds, the ratio to the unmitigated error, shots spent per solve, wall and CPU seconds,
with the load average.

Run: ``nice -n 5 python benchmarks/mitigation.py`` (about 2 CPU minutes with the defaults;
``--seeds 3 --shots 4000`` for a quick look).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import qopt

MITIGATIONS = ("none", "readout", "zne", "readout,zne")


def measure(graph, angles, noiseless, *, device: str, shots: int, seeds, mitigation: str):
    errs, values, walls, cpus, spent = [], [], [], [], []
    for seed in seeds:
        w0, c0 = time.perf_counter(), time.process_time()
        r = qopt.solve(graph, "qaoa", p=1, angles=angles, maxiter=0, backend=f"fake:{device}",
                       shots=shots, seed=seed, mitigation=mitigation, postprocess=False)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
        values.append(r.info["expectation"])
        errs.append(abs(r.info["expectation"] - noiseless))
        spent.append(r.shots)
    return {"mitigation": mitigation, "errs": errs, "values": values, "wall": walls,
            "cpu": cpus, "shots": spent}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=8)
    ap.add_argument("--graph-seed", type=int, default=1)
    ap.add_argument("--device", default="sherbrooke")
    ap.add_argument("--shots", type=int, default=20_000)
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args(argv)

    graph = qopt.generate("maxcut", args.nodes, args.graph_seed)
    ref = qopt.solve(graph, "qaoa", p=1, seed=0, maxiter=200, restarts=3)
    angles = {"gamma": ref.info["gammas"], "beta": ref.info["betas"]}
    exact = qopt.solve(graph, "qaoa", p=1, angles=angles, maxiter=0, seed=0)
    noiseless = exact.info["expectation"]
    seeds = list(range(args.seeds))
    print(f"# {time.strftime('%Y-%m-%d %H:%M')}  load average {os.getloadavg()}  "
          f"cpus {os.cpu_count()}")
    print(f"# {graph.name}: QAOA p=1, angles gamma={angles['gamma']} beta={angles['beta']}; "
          f"noiseless <H> = {noiseless:.5f}; fake:{args.device}, {args.shots} shots per "
          f"circuit, seeds {seeds}")
    rows = [measure(graph, angles, noiseless, device=args.device, shots=args.shots,
                    seeds=seeds, mitigation=m) for m in MITIGATIONS]
    base = statistics.fmean(rows[0]["errs"])
    print("| mitigation | mean <H> | mean error | max error | error / none | shots per solve "
          "| wall s (median) | CPU s (median) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        mean_err = statistics.fmean(r["errs"])
        print(f"| {r['mitigation']} | {statistics.fmean(r['values']):.4f} | {mean_err:.4f} | "
              f"{max(r['errs']):.4f} | {mean_err / base:.3f} | {r['shots'][0]} | "
              f"{statistics.median(r['wall']):.1f} | {statistics.median(r['cpu']):.1f} |")
    print("# per-seed errors: " + "; ".join(
        f"{r['mitigation']}: " + ", ".join(f"{e:.4f}" for e in r["errs"]) for r in rows))
    print(f"# load average at the end {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
