"""Time whole QAOA solves through ``qopt.solve`` (set-up, optimisation, samples, report), to
compare the QAOA run skeleton of two checkouts: run it with each on ``PYTHONPATH``.

Cases (seeded, same results every run): qaoa on 3-regular MaxCut (x mixer, engine), ma-qaoa
on the same graph, qaoa with the feasible mixer on a shipped MIS instance (subspace
simulator), rqaoa on MIS. Every time is the minimum over ``--repeats`` runs after one warm-up
run; CPU time (``time.process_time``) beside wall time, and the load average.

    PYTHONPATH=/path/to/checkout python benchmarks/qaoa_solve_time.py --n 16 --repeats 5

The last line is ``qopt=<path> load=.. <case>_wall_s=.. <case>_cpu_s=.. ...``.
"""

from __future__ import annotations

import argparse
import os
import time

import networkx as nx


def cases(n: int, p: int):
    from qopt.problems.maxcut import MaxCut

    graph = MaxCut.from_graph(nx.random_regular_graph(3, n, seed=0))
    return {
        "qaoa": lambda: ("qaoa", graph, {"p": p, "maxiter": 200}),
        "ma_qaoa": lambda: ("ma-qaoa", graph, {"p": 1, "maxiter": 200}),
        "feasible": lambda: ("qaoa", "mis:1tc.16", {"p": p, "maxiter": 100,
                                                    "mixer": "feasible"}),
        "rqaoa": lambda: ("rqaoa", "mis:1tc.16", {"p": 1, "maxiter": 60, "n_cutoff": 8}),
    }


def best(fn, repeats: int) -> tuple[float, float, object]:
    out = fn()                                   # warm-up (kernels compiled / loaded)
    walls, cpus = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus), out


def main() -> None:
    import qopt

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--p", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    parts = [f"qopt={os.path.dirname(os.path.dirname(qopt.__file__))}",
             f"load={os.getloadavg()[0]:.1f}"]
    for name, make in cases(args.n, args.p).items():
        solver, target, opts = make()
        wall, cpu, res = best(lambda s=solver, t=target, o=opts: qopt.solve(
            t, s, seed=0, shots=256, **o), args.repeats)
        print(f"{name:10s} wall {wall:.3f} s  cpu {cpu:.3f} s  objective {res.objective}  "
              f"<H> {res.info.get('expectation', res.info.get('energy'))}", flush=True)
        parts += [f"{name}_wall_s={wall:.4f}", f"{name}_cpu_s={cpu:.4f}"]
    print(" ".join(parts))


if __name__ == "__main__":
    main()
