"""Option parsing shared by the ``qopt`` commands: argparse reporting errors as
:class:`~qopt.errors.OptionError`, value converters, and the solver option flags (one per field of
a solver's option dataclass: ``--p 3``, ``--alpha 0.25``)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import types
import typing
from collections.abc import Sequence

from qopt.errors import OptionError
from qopt.suggest import did_you_mean

#: actions that may be given more than once (they collect or count)
_REPEATABLE = (argparse._AppendAction, argparse._AppendConstAction, argparse._CountAction,
               argparse._HelpAction, argparse._VersionAction)


class Parser(argparse.ArgumentParser):
    """argparse reporting a bad command line as an OptionError: one ``qopt: error:`` line
    naming the option (not argparse's usage block), exit code 2. An option given twice is an
    error too (argparse keeps the last silently), unless it collects values (``append``)."""

    def error(self, message: str):
        raise OptionError(f"{self.prog}: {message}")

    def parse_known_args(self, args=None, namespace=None):
        check_repeats(self, list(args) if args is not None else [])
        return super().parse_known_args(args, namespace)


def check_repeats(parser: argparse.ArgumentParser, args: Sequence[str]) -> None:
    """OptionError naming an option of ``parser`` that ``args`` give more than once
    (``--seed 1 ... --seed 2``, also under another of its names, ``--no-x`` / ``--x``, or
    abbreviated where the parser allows it, ``--ou`` / ``--out``);
    options that collect values are exempt. Tokens after ``--`` are not options."""
    seen: dict[int, str] = {}
    for token in args:
        if token == "--":
            break
        if not token.startswith("-") or token == "-":
            continue
        flag = token.split("=", 1)[0]
        action = parser._option_string_actions.get(flag) or _abbreviated(parser, flag)
        if action is None or isinstance(action, _REPEATABLE):
            continue
        if id(action) in seen:
            first = seen[id(action)]
            also = "" if first == flag else f" (as {first})"
            raise OptionError(f"{parser.prog}: option {flag} given more than once{also}; give "
                              "it once")
        seen[id(action)] = flag


def _abbreviated(parser: argparse.ArgumentParser, flag: str):
    """The action a unique prefix of a long option names where ``parser`` allows
    abbreviations (``--ou`` for ``--out``), else None (argparse reports ambiguity itself)."""
    if not parser.allow_abbrev or not flag.startswith("--"):
        return None
    hits = {id(a): a for s, a in parser._option_string_actions.items() if s.startswith(flag)}
    return next(iter(hits.values())) if len(hits) == 1 else None


def field_parser(tp):
    """A string -> value converter for a dataclass field type (None-able types accept 'none')."""
    origin = typing.get_origin(tp)
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if origin in (typing.Union, types.UnionType) and args:
        inner = field_parser(args[0]) if len(args) == 1 else literal

        def maybe(text: str):
            return None if text.lower() in ("none", "null") else inner(text)
        # argparse names the type in "invalid <name> value": e.g. "int or none"
        maybe.__name__ = f"{getattr(inner, '__name__', 'value')} or none"
        return maybe
    if tp is bool:
        return parse_bool
    if tp in (int, float, str):
        return tp
    return literal


def parse_bool(text: str) -> bool:
    """true/false, yes/no, on/off, 1/0 (any case)."""
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true/false, got {text!r}")


def literal(text: str):
    """JSON if it parses (numbers, lists, objects), else the plain string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def solver_fields(name: str) -> list[tuple[dataclasses.Field, object]]:
    """The option fields of solver ``name`` with their resolved type hints."""
    from qopt.solvers.registry import solver_class

    opts = solver_class(name).Options
    if opts is None:
        return []
    hints = typing.get_type_hints(opts)
    return [(f, hints.get(f.name, str)) for f in dataclasses.fields(opts)]


def default_text(f: dataclasses.Field) -> str:
    """A field's default as shown by ``qopt list``, or "required"."""
    if f.default is not dataclasses.MISSING:
        return repr(f.default)
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return repr(f.default_factory())  # type: ignore[misc]
    return "required"


def describe_solvers() -> str:
    """Every registered solver with its options and defaults, one line each."""
    from qopt.solvers.registry import names

    lines = ["solvers and their options (flags: --NAME VALUE):"]
    for name in names():
        try:
            fields = solver_fields(name)
        except Exception as exc:  # a solver whose optional dependency is missing
            lines.append(f"  {name:<12} (unavailable: {exc})")
            continue
        opts = ", ".join(f"{f.name}={default_text(f)}" for f, _ in fields) or "no options"
        lines.append(f"  {name:<12} {opts}")
    return "\n".join(lines)


def parse_solver_options(solver: str, extra: Sequence[str], solve_flags: Sequence[str] = ()
                         ) -> dict:
    """Parse the flags left after the common ones against the solver's option dataclass;
    an unknown flag's error suggests the closest of the solver's flags and ``solve_flags``
    (the flags of ``qopt solve`` itself)."""
    parser = Parser(prog=f"qopt solve --solver {solver}", add_help=False, allow_abbrev=False)
    dests = {}
    for f, tp in solver_fields(solver):
        flag = "--" + f.name.replace("_", "-")
        flags = [flag] if flag == f"--{f.name}" else [flag, f"--{f.name}"]
        parser.add_argument(*flags, dest=f.name, type=field_parser(tp), default=argparse.SUPPRESS)
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


def subcommand_flags(parser: argparse.ArgumentParser, command: str) -> list[str]:
    """The long option flags of one subcommand (for "did you mean" on a mistyped flag)."""
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        sub = getattr(action, "choices", {}).get(command)
        if sub is not None:
            return [f for f in sub._option_string_actions if f.startswith("--")]
    return []


__all__ = ["Parser", "default_text", "describe_solvers", "field_parser", "literal",
           "parse_bool", "parse_solver_options", "solver_fields", "subcommand_flags"]
