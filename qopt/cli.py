"""The ``qopt`` command: list | solve | sweep | report | partition.

Solver options are flags named after the solver's option fields (``--p 3``, ``--alpha 0.25``);
``qopt list`` and ``qopt solve --help`` show them.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
import types
import typing
import warnings
from collections.abc import Sequence

from qopt.errors import OptionError, QoptError, QoptWarning
from qopt.solvers.status import status_table
from qopt.stdio import stdout_to_stderr
from qopt.suggest import did_you_mean

COMMON_SOLVE_FLAGS = ("seed", "budget", "backend", "optimizer")


# ---- solver option flags ---------------------------------------------------------------------
def _field_parser(tp):
    """A string -> value converter for a dataclass field type (None-able types accept 'none')."""
    origin = typing.get_origin(tp)
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if origin in (typing.Union, types.UnionType) and args:
        inner = _field_parser(args[0]) if len(args) == 1 else _literal

        def maybe(text: str):
            return None if text.lower() in ("none", "null") else inner(text)
        # argparse names the type in "invalid <name> value": e.g. "int or none"
        maybe.__name__ = f"{getattr(inner, '__name__', 'value')} or none"
        return maybe
    if tp is bool:
        return _parse_bool
    if tp in (int, float, str):
        return tp
    return _literal


def _parse_bool(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true/false, got {text!r}")


def _literal(text: str):
    """JSON if it parses (numbers, lists, objects), else the plain string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _solver_fields(name: str) -> list[tuple[dataclasses.Field, object]]:
    from qopt.solvers.registry import solver_class

    opts = solver_class(name).Options
    if opts is None:
        return []
    hints = typing.get_type_hints(opts)
    return [(f, hints.get(f.name, str)) for f in dataclasses.fields(opts)]


def _default_text(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        return repr(f.default)
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return repr(f.default_factory())  # type: ignore[misc]
    return "required"


def _describe_solvers() -> str:
    from qopt.solvers.registry import names

    lines = ["solvers and their options (flags: --NAME VALUE):"]
    for name in names():
        try:
            fields = _solver_fields(name)
        except Exception as exc:  # a solver whose optional dependency is missing
            lines.append(f"  {name:<12} (unavailable: {exc})")
            continue
        opts = ", ".join(f"{f.name}={_default_text(f)}" for f, _ in fields) or "no options"
        lines.append(f"  {name:<12} {opts}")
    return "\n".join(lines)


class _Parser(argparse.ArgumentParser):
    """argparse reporting a bad command line as an OptionError: one ``qopt: error:`` line
    naming the option (not argparse's usage block), exit code 2."""

    def error(self, message: str):
        raise OptionError(f"{self.prog}: {message}")


def _parse_solver_options(solver: str, extra: Sequence[str], solve_flags: Sequence[str] = ()
                          ) -> dict:
    """Parse the flags left after the common ones against the solver's option dataclass;
    an unknown flag's error suggests the closest of the solver's flags and ``solve_flags``
    (the flags of ``qopt solve`` itself)."""
    parser = _Parser(prog=f"qopt solve --solver {solver}", add_help=False, allow_abbrev=False)
    dests = {}
    for f, tp in _solver_fields(solver):
        flag = "--" + f.name.replace("_", "-")
        flags = [flag] if flag == f"--{f.name}" else [flag, f"--{f.name}"]
        parser.add_argument(*flags, dest=f.name, type=_field_parser(tp), default=argparse.SUPPRESS)
        dests[f.name] = f
    try:
        ns, unknown = parser.parse_known_args(list(extra))
    except SystemExit:
        raise OptionError(f"bad value for an option of solver {solver!r}") from None
    if unknown:
        known = ", ".join("--" + n.replace("_", "-") for n in dests) or "none"
        flags = [*("--" + n.replace("_", "-") for n in dests), *solve_flags]
        hint = did_you_mean(unknown[0].split("=")[0], flags)
        raise OptionError(f"solver {solver!r} has no option {unknown[0]!r}{hint or ';'} "
                          f"its options: {known}")
    return vars(ns)


# ---- commands --------------------------------------------------------------------------------
def cmd_list(args) -> int:
    from qopt import catalog
    from qopt.problems import kinds, problem_class, shipped_index

    out = {"problems": {}, "solvers": {}, "backends": catalog.backends(),
           "optimizers": catalog.optimizers()}
    for kind in kinds():
        cls = problem_class(kind)
        out["problems"][kind] = {"sense": cls.sense, "instances": shipped_index(kind)}
    if args.json:
        from qopt.solvers.registry import names

        for name in names():
            try:
                out["solvers"][name] = {f.name: _default_text(f) for f, _ in _solver_fields(name)}
            except Exception as exc:
                out["solvers"][name] = {"unavailable": str(exc)}
        print(json.dumps(out, indent=2))
        return 0
    for kind, info in out["problems"].items():
        print(f"{kind} ({info['sense']}imise)")
        if not info["instances"]:
            print("  generated only: qopt solve", kind, "--size N --seed S")
        for name, entry in info["instances"].items():
            size = " ".join(f"{k}={v}" for k, v in (entry.get("size") or {}).items())
            print(f"  {name:<10} {size:<22} optimum={entry.get('optimum')}")
    print()
    print(_describe_solvers())
    print()
    print(catalog.describe_backends())
    print()
    print(catalog.describe_optimizers())
    return 0


def _load_target(args):
    import qopt

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
        raise OptionError(f"{args.kind}: give --instance NAME|PATH or --size N (with --seed)")
    size = _literal(args.size)
    parts = size if isinstance(size, list) else [size]
    if not parts or not all(isinstance(v, int) and not isinstance(v, bool) for v in parts):
        raise OptionError(f"--size must be an integer or a JSON list of integers, got "
                          f"{args.size!r}")
    try:
        return qopt.generate(args.kind, tuple(size) if isinstance(size, list) else size,
                             args.seed)
    except OptionError as exc:      # name the flag: "--size 7: a 3-regular graph needs ..."
        flag = "--seed" if "seed" in str(exc) else f"--size {args.size}"
        raise OptionError(f"{flag}: {exc}") from None


def _print_result(result) -> None:
    from qopt.solvers.summary import table_rows

    rows = table_rows(result)
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        if value not in (None, ""):
            print(f"{key:<{width}}  {value}")


def cmd_solve(args, extra: Sequence[str], solve_flags: Sequence[str] = ()) -> int:
    import qopt

    options = _parse_solver_options(args.solver, extra, solve_flags)
    penalty = args.penalty
    if penalty != "auto":
        try:
            penalty = float(penalty)
        except ValueError:
            raise OptionError(f"--penalty must be 'auto' or a number, got {penalty!r}") from None
    # with --json, stdout carries one JSON document only: anything native libraries print
    # (HiGHS's banner, ...) while loading and solving goes to stderr
    quiet = stdout_to_stderr() if args.json else contextlib.nullcontext()
    with quiet:
        target = _load_target(args)
        result = qopt.solve(target, solver=args.solver, seed=args.seed, budget=args.budget,
                            backend=args.backend, optimizer=args.optimizer, penalty=penalty,
                            encoding=args.encoding, postprocess=args.postprocess,
                            progress=args.progress, **options)
    if args.json:
        payload = result.to_dict()
        payload["num_qubits"] = result.num_qubits
        print(json.dumps(payload))
    else:
        _print_result(result)
    return 0


def build_parser(solver_help: str = "") -> argparse.ArgumentParser:
    """The argument parser; ``solver_help`` is appended to ``qopt solve --help``."""
    parser = _Parser(prog="qopt", description=__doc__.splitlines()[0], allow_abbrev=False)
    sub = parser.add_subparsers(dest="command", required=True)

    p_list = sub.add_parser("list", help="problem classes, shipped instances, solvers and options")
    p_list.add_argument("--json", action="store_true", help="print one JSON object")

    p_solve = sub.add_parser(
        "solve", help="solve one instance", formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
        epilog="Solver options are given as flags, e.g. --p 3 --alpha 0.25.\n\n"
               "Run 'qopt list' to see every solver's options.\n\n" + status_table()
               + solver_help)
    p_solve.add_argument("kind", nargs="?", help="problem class: mdkp, mis, qap, maxcut, msp")
    p_solve.add_argument("--instance", help="a shipped instance name or a file path")
    p_solve.add_argument("--size", help="generate an instance of this size (with --seed)")
    p_solve.add_argument("--lp", help="a model file (LP / MPS / QOBLIB .qs) instead of a "
                         "problem class")
    p_solve.add_argument("--solver", default="exact", help="solver name (see 'qopt list')")
    p_solve.add_argument("--seed", type=int, default=None, help="seed of generator and solver")
    p_solve.add_argument("--budget", type=int, default=None, help="objective evaluations")
    p_solve.add_argument("--backend", default=None, help="statevector | aer | lightning | ...")
    p_solve.add_argument("--optimizer", default=None, help="cobyla | aqgd | spsa | ...")
    p_solve.add_argument("--penalty", default="auto", help="'auto' or a number")
    p_solve.add_argument("--encoding", default="slack", choices=("slack", "unbalanced"))
    p_solve.add_argument("--no-postprocess", dest="postprocess", action="store_false",
                         help="report the raw best sample only")
    p_solve.add_argument("--json", action="store_true", help="print the SolveResult as JSON")
    p_solve.add_argument("--no-progress", dest="progress", action="store_false",
                         help="no live status line on stderr (shown after ~2 s: evaluations / "
                              "budget, best value, elapsed)")
    _add_experiment_commands(sub)
    return parser


def _add_experiment_commands(sub) -> None:
    """sweep / report / partition: thin wrappers over qopt.experiments and qopt.partition."""
    p_sweep = sub.add_parser("sweep", help="run a benchmark sweep from a TOML config (resumable)")
    p_sweep.add_argument("config", help="sweep config, e.g. experiments/quickstart.toml")
    p_sweep.add_argument("--results", default="results", help="results directory")
    p_sweep.add_argument("--workers", type=int, default=None, help="processes (default: cores)")
    p_sweep.add_argument("--engine", default="local", choices=("local", "ray"))
    p_sweep.add_argument("--address", default=None,
                         help="Ray cluster: HOST:PORT as printed by 'ray start --head', or "
                         "'auto' (a cluster on this machine); without it --engine ray starts "
                         "a private Ray. Token auth: set RAY_AUTH_MODE=token and the token "
                         "(~/.ray/auth_token, RAY_AUTH_TOKEN) in the shell")
    p_sweep.add_argument("--no-progress", dest="progress", action="store_false",
                         help="no live progress bar on stderr")
    p_sweep.add_argument("--compile-timeout", type=float, default=600.0, metavar="SECONDS",
                         help="limit of one stretch of numba kernel compiling inside a run, "
                              "which the run's own timeout never counts (default 600)")
    p_sweep.add_argument("--retry-failed", action="store_true",
                         help="run this sweep's failed rows (errors, timeouts) again")
    p_sweep.add_argument("--only-solver", action="append", default=None, metavar="NAME",
                         help="run only these solvers (name or label; repeatable)")
    p_sweep.add_argument("--only-problem", action="append", default=None,
                         metavar="KIND[:INSTANCE]", help="run only these problems (repeatable)")
    p_sweep.add_argument("--only-seed", action="append", default=None, type=int, metavar="N",
                         help="run only these seeds (repeatable)")
    p_sweep.set_defaults(handler=cmd_sweep)

    p_report = sub.add_parser("report", help="tables and plots from a results directory")
    p_report.add_argument("results", help="results directory (or its results.sqlite)")
    p_report.add_argument("--out", default=None, help="output directory (default: RESULTS/report)")
    p_report.add_argument("--format", action="append", dest="formats", default=None,
                          help="md, html, png, csv, parquet, qoblib (repeatable; "
                          "default md+html+png+csv+qoblib)")
    p_report.set_defaults(handler=cmd_report)

    p_part = sub.add_parser("partition", help="distribute a circuit over k QPUs (KaHyPar)")
    p_part.add_argument("circuit", nargs="?", help="OpenQASM 2/3 file")
    p_part.add_argument("--problem", help="build the circuit of a solver for a generated problem")
    p_part.add_argument("--size", type=int, default=None)
    p_part.add_argument("--seed", type=int, default=None)
    p_part.add_argument("--solver", default="qaoa")
    p_part.add_argument("--p", type=int, default=1)
    p_part.add_argument("--k", type=int, required=True, help="number of QPUs")
    p_part.add_argument("--qubits-per-qpu", type=int, default=None, help="capacity of each QPU")
    p_part.add_argument("--epsilon", type=float, default=0.03, help="allowed imbalance")
    p_part.add_argument("--engine", default="kahypar", choices=("kahypar", "mtkahypar"))
    p_part.add_argument("--keep-diagonal", action="store_true",
                        help="keep each RZZ as one two-qubit gate instead of two CZs")
    p_part.add_argument("--preset", default=None, help="KaHyPar .ini preset (default: shipped)")
    p_part.add_argument("--threads", type=int, default=None, help="Mt-KaHyPar threads")
    p_part.add_argument("--json", action="store_true", help="print one JSON object")
    p_part.set_defaults(handler=cmd_partition)


def cmd_sweep(args) -> int:
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


def cmd_report(args) -> int:
    from qopt.experiments import write_report

    kwargs = {} if args.formats is None else {"formats": tuple(args.formats)}
    for path in write_report(args.results, args.out, **kwargs):
        print(path)
    return 0


def cmd_partition(args) -> int:
    from qopt.partition import distribute, problem_circuit

    if (args.circuit is None) == (args.problem is None):
        raise OptionError("give either a circuit file or --problem KIND --size N")
    if args.problem is not None:
        if args.size is None:
            raise OptionError("--problem needs --size")
        circuit = problem_circuit(args.problem, args.size, args.seed, solver=args.solver, p=args.p)
    else:
        circuit = args.circuit
    dist = distribute(circuit, k=args.k, qubits_per_qpu=args.qubits_per_qpu,
                      epsilon=args.epsilon, engine=args.engine, seed=args.seed,
                      keep_diagonal=args.keep_diagonal, preset=args.preset, threads=args.threads)
    print(json.dumps(dist.to_dict()) if args.json else dist.table())
    return 0


def _subcommand_flags(parser: argparse.ArgumentParser, command: str) -> list[str]:
    """The long option flags of one subcommand (for "did you mean" on a mistyped flag)."""
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        sub = getattr(action, "choices", {}).get(command)
        if sub is not None:
            return [f for f in sub._option_string_actions if f.startswith("--")]
    return []


def main(argv: Sequence[str] | None = None) -> int:
    with warnings.catch_warnings():
        previous = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None) -> None:
            """qopt's own warnings (e.g. repeated edges merged) as one ``qopt: warning:``
            line; any other warning as Python shows it."""
            if issubclass(category, QoptWarning):
                print(f"qopt: warning: {message}", file=sys.stderr)
            else:
                previous(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        return _main(argv)


def _main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    wants_solver_help = argv[:1] == ["solve"] and ("-h" in argv or "--help" in argv)
    parser = build_parser("\n\n" + _describe_solvers() if wants_solver_help else "")
    try:
        args, extra = parser.parse_known_args(argv)
    except QoptError as exc:
        print(f"qopt: error: {exc}", file=sys.stderr)
        return 2
    flags = _subcommand_flags(parser, args.command)
    try:
        if args.command == "solve":
            return cmd_solve(args, extra, flags)
        if extra:
            parser.error(f"unrecognised arguments: {' '.join(extra)}"
                         f"{did_you_mean(extra[0].split('=')[0], flags)}")
        if args.command == "list":
            return cmd_list(args)
        return args.handler(args)
    except QoptError as exc:
        print(f"qopt: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
