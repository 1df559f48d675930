"""Two acceptance runs of the feasible-subspace simulator (issue 22).

1. **Threads after load** (``--load-seconds``, default 60): one busy-loop process per core
   runs for that long (the 1-minute load average climbs to about the core count), then,
   with the busy loops still running, a subspace QAOA solve of MIS on a G(n, p) graph large
   enough for every thread (``--threads-graph``, default 30 vertices, p = 0.2: 97005
   independent sets, more than ``STATES_PER_THREAD`` = 16384 per core on 2 to 5 cores). It
   prints the load average and ``info["threads"]``, which must equal the cores numba may
   use (the thread count never follows the load).
2. **Karate MIS at p = 3** (``--karate``): Zachary's karate-club graph (``networkx``'s
   ``karate_club_graph``, 34 vertices, 78 edges) as MIS with the ``independent-set`` mixer,
   p = 3, the default optimizer and budget: the subspace holds every independent set
   (1.3e7). Prints the subspace size, build / compile / solve seconds, evaluations and the
   result (optimum 20).

    python benchmarks/subspace_acceptance.py                    # both
    python benchmarks/subspace_acceptance.py --load-seconds 0   # karate only
    python benchmarks/subspace_acceptance.py --no-karate        # threads only
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time


def _busy(stop_at: float) -> None:
    x = 0
    while time.time() < stop_at:
        x += 1


def threads_after_load(seconds: float, n: int) -> dict:
    import qopt
    from qopt import threads

    cores = threads.available()
    stop_at = time.time() + seconds + 600          # outlive the solve; terminated below
    procs = [mp.Process(target=_busy, args=(stop_at,), daemon=True) for _ in range(cores)]
    for p in procs:
        p.start()
    try:
        print(f"[threads] {cores} busy loops for {seconds:g} s ...", flush=True)
        time.sleep(seconds)
        load = os.getloadavg()[0]
        problem = qopt.generate("mis", (n, 0.2), seed=0)
        t0 = time.perf_counter()
        res = qopt.solve(problem, "qaoa", mixer="independent-set", p=1, seed=0, budget=10)
        wall = time.perf_counter() - t0
    finally:
        for p in procs:
            p.terminate()
    out = {"load": load, "threads": res.info.get("threads"), "cores": cores,
           "subspace": res.info.get("subspace_size"), "wall_s": wall}
    print(f"[threads] 1-min load {load:.2f} after the busy minute (cores {cores}); MIS "
          f"G({n}, 0.2) subspace QAOA: info['threads'] = {out['threads']} "
          f"({'OK' if out['threads'] == cores else 'NOT the core count'}), "
          f"solve {wall:.1f} s", flush=True)
    return out


def karate(p: int, seed: int) -> dict:
    import networkx as nx

    import qopt
    from qopt.problems.mis import MIS

    problem = MIS.from_graph(nx.karate_club_graph(), name="karate", optimum=20)
    print(f"[karate] p = {p}, default optimizer, load {os.getloadavg()[0]:.2f} ...",
          flush=True)
    t0, c0 = time.perf_counter(), time.process_time()
    res = qopt.solve(problem, "qaoa", mixer="independent-set", p=p, seed=seed)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    info = res.info
    out = {"wall_s": wall, "cpu_s": cpu, "compile_s": res.compile_time, "solve_s": res.wall_time,
           "evaluations": res.evaluations, "objective": res.objective,
           "parameter_sets": info.get("circuit_evaluations"),
           "threads": info.get("threads"), "subspace": info.get("subspace_size"),
           "optimizer": info.get("optimizer")}
    print(f"[karate] subspace {out['subspace']} states, threads {out['threads']}, optimizer "
          f"{out['optimizer']}: {wall:.1f} s in all, CPU {cpu:.1f} s (all threads; CPU / threads "
          f"is about the wall time on an idle machine) (compile {res.compile_time:.1f} s, solve "
          f"{res.wall_time:.1f} s), {res.evaluations} evaluations ({out['parameter_sets']} "
          f"parameter sets), objective {res.objective} "
          f"(optimum 20), time split {res.time}; load after {os.getloadavg()[0]:.2f}",
          flush=True)
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--load-seconds", type=float, default=60.0,
                    help="busy-loop seconds before the threads check (0: skip it)")
    ap.add_argument("--threads-graph", type=int, default=30)
    ap.add_argument("--no-karate", action="store_true")
    ap.add_argument("--p", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    out = {}
    if args.load_seconds > 0:
        out["threads"] = threads_after_load(args.load_seconds, args.threads_graph)
    if not args.no_karate:
        out["karate"] = karate(args.p, args.seed)
    return out


if __name__ == "__main__":
    main()
