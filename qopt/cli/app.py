"""The ``qopt`` command's parser and dispatch: one subcommand per module of :mod:`qopt.cli`.

A new command is a module with ``add_parser(sub)`` (which sets ``handler=run`` on its parser)
and ``run(args) -> int``, listed in :func:`build_parser`. A command that takes flags argparse
does not know (``solve``: the solver's options) also sets ``takes_extra=True`` and has
``run(args, extra, own_flags)``.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence

from qopt.cli import list as list_cmd
from qopt.cli import partition, replay, report, solve, sweep
from qopt.cli.options import Parser, describe_solvers, subcommand_flags
from qopt.errors import QoptError, QoptWarning
from qopt.suggest import did_you_mean

DESCRIPTION = "The ``qopt`` command: list | solve | sweep | report | partition | replay."


def build_parser(solver_help: str = "") -> argparse.ArgumentParser:
    """The argument parser; ``solver_help`` is appended to ``qopt solve --help``."""
    parser = Parser(prog="qopt", description=DESCRIPTION, allow_abbrev=False)
    sub = parser.add_subparsers(dest="command", required=True)
    list_cmd.add_parser(sub)
    solve.add_parser(sub, solver_help)
    sweep.add_parser(sub)
    report.add_parser(sub)
    partition.add_parser(sub)
    replay.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``qopt`` command line (``argv`` without the program name; default
    ``sys.argv[1:]``) and return its exit code: 0, or 2 after one ``qopt: error:`` line."""
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
        try:
            return _main(argv)
        except BrokenPipeError:
            # the reader went away (`qopt solve ... --json | head`): nothing left to say, and
            # Python's flush at exit must not fail on the closed pipe either
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1


def _main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    wants_solver_help = argv[:1] == ["solve"] and ("-h" in argv or "--help" in argv)
    parser = build_parser("\n\n" + describe_solvers() if wants_solver_help else "")
    try:
        args, extra = parser.parse_known_args(argv)
    except QoptError as exc:
        print(f"qopt: error: {exc}", file=sys.stderr)
        return 2
    flags = subcommand_flags(parser, args.command)
    try:
        if getattr(args, "takes_extra", False):
            return args.handler(args, extra, flags)
        if extra:
            parser.error(f"unrecognised arguments: {' '.join(extra)}"
                         f"{did_you_mean(extra[0].split('=')[0], flags)}")
        return args.handler(args)
    except QoptError as exc:
        print(f"qopt: error: {exc}", file=sys.stderr)
        return 2


__all__ = ["build_parser", "main"]
