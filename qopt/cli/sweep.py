"""``qopt sweep``: run a benchmark sweep from a TOML config (resumable; local pool or Ray)."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("sweep", help="run a benchmark sweep from a TOML config (resumable)")
    p.add_argument("config", help="sweep config, e.g. experiments/quickstart.toml")
    p.add_argument("--results", default="results", help="results directory")
    p.add_argument("--workers", type=int, default=None, help="processes (default: cores)")
    p.add_argument("--engine", default="local", choices=("local", "ray"))
    p.add_argument("--address", default=None,
                   help="Ray cluster: HOST:PORT as printed by 'ray start --head', or "
                   "'auto' (a cluster on this machine); without it --engine ray starts "
                   "a private Ray. Token auth: set RAY_AUTH_MODE=token and the token "
                   "(~/.ray/auth_token, RAY_AUTH_TOKEN) in the shell")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no live progress bar on stderr")
    p.add_argument("--compile-timeout", type=float, default=600.0, metavar="SECONDS",
                   help="limit of one stretch of numba kernel compiling inside a run, "
                        "which the run's own timeout never counts (default 600)")
    p.add_argument("--retry-failed", action="store_true",
                   help="run this sweep's failed rows (errors, timeouts) again")
    p.add_argument("--only-solver", action="append", default=None, metavar="NAME",
                   help="run only these solvers (name or label; repeatable)")
    p.add_argument("--only-problem", action="append", default=None,
                   metavar="KIND[:INSTANCE]", help="run only these problems (repeatable)")
    p.add_argument("--only-seed", action="append", default=None, type=int, metavar="N",
                   help="run only these seeds (repeatable)")
    p.set_defaults(handler=run)


def run(args) -> int:
    from qopt.experiments import run_sweep

    s = run_sweep(args.config, args.results, workers=args.workers, engine=args.engine,
                  address=args.address, progress=args.progress, retry_failed=args.retry_failed,
                  solvers=args.only_solver, problems=args.only_problem, seeds=args.only_seed,
                  compile_timeout=args.compile_timeout)
    print(f"{s['sweep']}: {s['ran']} runs ({s['done']} done, {s['failed']} failed, "
          f"{s['skipped']} skipped), {s['already_stored']} already stored -> {s['store']} "
          f"[{s['elapsed']:.1f} s; compiling kernels {s['compile_time']:.1f} s summed over "
          f"runs, not in their times]")
    return 0
