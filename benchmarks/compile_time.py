"""Cold start per solver: each solve in a fresh Python process on an empty numba cache.

For every case, a new interpreter runs ``qopt.solve`` once with ``NUMBA_CACHE_DIR`` pointing
at a new empty directory (so every kernel the solve needs is compiled, as on a new machine,
container or CI runner) and reports:

* ``compile_s``: the solve's ``compile_time`` (wall seconds inside numba's compiler lock, see
  :mod:`qopt.compilation`), reported apart from ``solve_s`` (its ``wall_time``);
* ``import_s``: ``import qopt`` in that process; ``process_s``: the process's whole life as the
  parent saw it (interpreter start to exit); ``cpu_s``: the CPU seconds the process used
  (all its threads; compiling is single-threaded, so on a loaded machine ``cpu_s`` moves
  far less than the wall times and is the number to compare between runs);
* with ``--warm``: the same solve again in another new process on the cache the first one
  filled (``warm_compile_s``: loading the cached kernels).

    python benchmarks/compile_time.py                 # every case
    python benchmarks/compile_time.py --only qaoa pce --warm

The machine's load average is printed before and after; run it on a quiet machine (compiling
is single-threaded CPU work and slows down in proportion to the load).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

#: (label, problem, solver, options): small instances, short budgets
CASES = (
    ("qaoa maxcut 8", "maxcut:8", "qaoa", {"p": 1, "budget": 30}),
    ("pce maxcut 8", "maxcut:8", "pce", {"budget": 30}),
    ("qaoa maxcut 16", "maxcut:16", "qaoa", {"p": 1, "budget": 30}),
    ("qaoa maxcut 16 complex64", "maxcut:16", "qaoa",
     {"p": 1, "budget": 30, "precision": "complex64"}),
    ("qaoa mis 16 subspace", "mis:16", "qaoa",
     {"p": 1, "budget": 30, "mixer": "independent-set"}),
    ("cvar-qaoa maxcut 16", "maxcut:16", "cvar-qaoa", {"p": 1, "budget": 30}),
    ("pce maxcut 16", "maxcut:16", "pce", {"budget": 30}),
    ("qrao maxcut 16", "maxcut:16", "qrao", {"budget": 30}),
    ("vqe maxcut 16", "maxcut:16", "vqe", {"budget": 30}),
    ("anneal maxcut 16", "maxcut:16", "anneal", {}),
    ("tabu maxcut 16", "maxcut:16", "tabu", {}),
    ("exact maxcut 16", "maxcut:16", "exact", {}),
    ("ga maxcut 16", "maxcut:16", "ga", {}),
    ("map-elites maxcut 16", "maxcut:16", "map-elites", {}),
    ("random maxcut 16", "maxcut:16", "random", {}),
)

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import qopt
t_import = time.perf_counter() - t0
kind, _, size = sys.argv[1].partition(":")
problem = qopt.generate(kind, int(size), seed=0)
res = qopt.solve(problem, sys.argv[2], seed=0, **json.loads(sys.argv[3]))
print(json.dumps({"compile_s": res.compile_time, "solve_s": res.wall_time,
                  "import_s": t_import, "threads": res.info.get("threads")}))
"""


def run_child(problem: str, solver: str, options: dict, cache: str) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, problem, solver, json.dumps(options)],
                         env=env, capture_output=True, text=True)
    process = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if out.returncode:
        raise SystemExit(f"{solver} on {problem} failed:\n{out.stderr[-2000:]}")
    row = json.loads(out.stdout.strip().splitlines()[-1])
    row["process_s"] = process
    row["cpu_s"] = cpu
    return row


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", default=None,
                    help="solver names (or case labels) to run; default every case")
    ap.add_argument("--warm", action="store_true",
                    help="also run each case again on the cache its cold run filled")
    args = ap.parse_args(argv)
    cases = [c for c in CASES
             if not args.only or c[2] in args.only or c[0] in args.only]
    print(f"# load average before: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()}); "
          f"python {sys.version.split()[0]}", flush=True)
    head = (f"{'case':<28} {'compile_s':>9} {'solve_s':>8} {'import_s':>8} {'process_s':>9} "
            f"{'cpu_s':>6}")
    print(head + (f" {'warm_compile_s':>14} {'warm_process_s':>14}" if args.warm else ""))
    rows = []
    for label, problem, solver, options in cases:
        with tempfile.TemporaryDirectory(prefix="qopt-cold-") as cache:
            row = run_child(problem, solver, options, cache)
            warm = run_child(problem, solver, options, cache) if args.warm else None
        row["case"] = label
        line = (f"{label:<28} {row['compile_s']:9.2f} {row['solve_s']:8.2f} "
                f"{row['import_s']:8.2f} {row['process_s']:9.2f} {row['cpu_s']:6.2f}")
        if warm is not None:
            row["warm_compile_s"], row["warm_process_s"] = warm["compile_s"], warm["process_s"]
            line += f" {warm['compile_s']:14.2f} {warm['process_s']:14.2f}"
        print(line, flush=True)
        rows.append(row)
    print(f"# load average after: {os.getloadavg()[0]:.2f}", flush=True)
    return rows


if __name__ == "__main__":
    main()
