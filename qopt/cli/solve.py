"""``qopt solve``: one instance (shipped, a file, an LP / MPS model or generated) with one solver;
solver options are flags named after the solver's option fields."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence

from qopt.cli.options import literal, parse_solver_options
from qopt.errors import OptionError
from qopt.solvers.status import status_table
from qopt.stdio import stdout_to_stderr


def add_parser(sub, solver_help: str = "") -> None:
    """The ``solve`` subcommand; ``solver_help`` is appended to its ``--help``."""
    p = sub.add_parser(
        "solve", help="solve one instance", formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
        epilog="Solver options are given as flags, e.g. --p 3 --alpha 0.25.\n\n"
               "Run 'qopt list' to see every solver's options.\n\n" + status_table()
               + solver_help)
    from qopt.problems.registry import kinds

    p.add_argument("kind", nargs="?", help=f"problem class ({', '.join(kinds())}) or a model "
                   "file (LP / MPS / QOBLIB .qs)")
    p.add_argument("--instance", help="a shipped instance name or a file path")
    p.add_argument("--size", help="generate an instance of this size (with --instance-seed)")
    p.add_argument("--lp", help="a model file (LP / MPS / QOBLIB .qs) instead of a "
                   "problem class")
    p.add_argument("--solver", default="exact", help="solver name (see 'qopt list')")
    p.add_argument("--instance-seed", type=int, default=None, metavar="N",
                   help="seed of the instance generator (--size; default 0): the instance "
                        "does not change with --seed")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the solver (not of a generated instance: --instance-seed)")
    p.add_argument("--reference", default=None, choices=("exact", "milp", "best-known"),
                   help="what gap and ratios are measured against: exact enumeration, a "
                        "proven MILP optimum, or the instance's shipped best-known value "
                        "(default: the shipped value if any)")
    p.add_argument("--optimum", type=float, default=None, metavar="VALUE",
                   help="the optimum C* (native objective) to measure gap and ratios against")
    p.add_argument("--dry-run", action="store_true",
                   help="print the plan (qubits, memory, depth, estimated time) and stop")
    p.add_argument("--budget", type=int, default=None, help="objective evaluations")
    p.add_argument("--backend", default=None, help="statevector | aer | lightning | ...")
    p.add_argument("--optimizer", default=None, help="cobyla | aqgd | spsa | ...")
    p.add_argument("--penalty", default="auto", help="'auto' or a number")
    p.add_argument("--encoding", default="slack", choices=("slack", "unbalanced"))
    p.add_argument("--no-postprocess", dest="postprocess", action="store_false",
                   help="report the raw best sample only")
    p.add_argument("--mitigation", default=None,
                   help="device backends: none | readout | zne | readout,zne (+ twirling, "
                        "dd:XY4; zne:1:3:5, zne:linear)")
    p.add_argument("--record", default=None, metavar="DIR",
                   help="device backends: record the run in DIR (needs --seed); the same "
                        "command again resumes an unfinished record; 'qopt replay DIR' "
                        "recomputes the result from it")
    p.add_argument("--threads", type=int, default=None,
                   help="threads of the compiled kernels (default: every core numba may use; "
                        "NUMBA_NUM_THREADS caps it)")
    p.add_argument("--json", action="store_true", help="print the SolveResult as JSON")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no live status line on stderr (shown after ~2 s: evaluations / "
                        "budget, best value, elapsed)")
    # the flags argparse does not know are the solver's options (parse_solver_options)
    p.set_defaults(handler=run, takes_extra=True)


def load_target(args):
    """The instance the command line names: ``--lp``, a model file, a shipped instance or file
    (``--instance``), or a generated one (``--size``, ``--seed``)."""
    import qopt

    if args.instance_seed is not None and args.size is None:
        raise OptionError(f"--instance-seed {args.instance_seed} seeds a generated instance "
                          "(--size N); a shipped instance, file or model is not generated")
    if args.lp:
        from qopt.problems.model_files import file_kind, load_model_file

        return load_model_file(args.lp, file_kind(args.lp) or "lp")
    if args.kind is not None and args.instance is None and args.size is None:
        from qopt.problems.model_files import split_model_spec

        if split_model_spec(args.kind) is not None:
            return qopt.load(args.kind)        # qopt solve model.lp / model.qs / mps:PATH
    if args.kind is None:
        raise OptionError("name a problem class (e.g. 'qopt solve mdkp --instance hp1') or --lp")
    if args.instance is not None:
        return qopt.load(args.kind, args.instance)
    if args.size is None:
        raise OptionError(f"{args.kind}: give --instance NAME|PATH or --size N (with "
                          "--instance-seed)")
    size = literal(args.size)
    parts = size if isinstance(size, list) else [size]
    if not parts or not all(isinstance(v, int) and not isinstance(v, bool) for v in parts):
        raise OptionError(f"--size must be an integer or a JSON list of integers, got "
                          f"{args.size!r}")
    try:
        return qopt.generate(args.kind, tuple(size) if isinstance(size, list) else size,
                             args.instance_seed)
    except OptionError as exc:      # name the flag: "--size 7: a 3-regular graph needs ..."
        flag = "--instance-seed" if "seed" in str(exc) else f"--size {args.size}"
        raise OptionError(f"{flag}: {exc}") from None


def print_result(result) -> None:
    """The result as an aligned two-column table (rows without a value left out)."""
    from qopt.solvers.summary import table_rows

    rows = table_rows(result)
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        if value not in (None, ""):
            print(f"{key:<{width}}  {value}")


def run(args, extra: Sequence[str], solve_flags: Sequence[str] = ()) -> int:
    """``extra``: the solver option flags; ``solve_flags``: this command's own flags (for the
    did-you-mean hint of a mistyped one)."""
    import qopt

    options = parse_solver_options(args.solver, extra, solve_flags)
    if isinstance(options.get("angles"), str):      # --angles FILE.json (or inline JSON)
        from qopt.solvers.quantum.angles import read_angles

        options["angles"] = read_angles(options["angles"])
    penalty = args.penalty
    if penalty != "auto":
        try:
            penalty = float(penalty)
        except ValueError:
            raise OptionError(f"--penalty must be 'auto' or a number, got {penalty!r}") from None
    # with --json, stdout carries one JSON document only: anything native libraries print
    # (HiGHS's banner, ...) while loading and solving goes to stderr
    def quiet():
        return stdout_to_stderr() if args.json else contextlib.nullcontext()

    keywords = dict(solver=args.solver, budget=args.budget, backend=args.backend,
                    optimizer=args.optimizer, penalty=penalty, encoding=args.encoding,
                    optimum=args.optimum, reference=args.reference, **options)
    with quiet():
        target = load_target(args)
        plan = qopt.plan(target, measure=True if args.dry_run else "auto", **keywords)
    if args.dry_run:
        print(json.dumps(plan.to_dict()) if args.json else plan)
        return 0
    if plan.warnings:       # one line before a long (or refused) run, naming a cheaper one
        print(f"qopt: warning: {plan.warnings[0]}", file=sys.stderr, flush=True)
    with quiet():
        result = qopt.solve(target, seed=args.seed, postprocess=args.postprocess,
                            progress=args.progress, mitigation=args.mitigation,
                            record=args.record, threads=args.threads, **keywords)
    show_result(result, args.json)
    return 0


def show_result(result, as_json: bool) -> None:
    """Print ``result`` as JSON (one document) or as the two-column table."""
    if as_json:
        payload = result.to_dict()
        payload["num_qubits"] = result.num_qubits
        print(json.dumps(payload))
    else:
        print_result(result)
