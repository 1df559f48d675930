"""Checks of a sweep config: the table parser that collects problems, value types of options,
run defaults, and the checks that need the rest of qopt (names, instances, penalties, labels).

:mod:`qopt.experiments.config` calls these while it parses; the ``*_problem`` functions return
the problem as a message (or None) so that the parser can list every problem of a config at
once, each under its file and key, before anything is run or stored. Checking an instance
means building it: each file is parsed with its reader and each ``sizes`` entry generated with
its seed, so a malformed file or a size the generator cannot make is reported here, not as a
failed run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import string
import types
import typing
from typing import Any

from qopt.errors import ConfigError, QoptError
from qopt.experiments.output_safety import output_path_fields, output_path_problem
from qopt.suggest import did_you_mean, unknown

#: parts of an ``aer:...`` spec (see :func:`qopt.backends.registry.get_backend`)
_AER_PARTS = {"mps", "matrix_product_state", "statevector", "gpu", "cpu"}
_LIGHTNING_DEVICES = {"", "qubit", "gpu", "kokkos"}


def backend_problem(spec: Any) -> str | None:
    """Why ``spec`` is not a backend spec string of :func:`~qopt.backends.registry.get_backend`
    (checked without constructing the backend: no simulator import, no IBM login)."""
    from qopt.backends.registry import _NAMED, SPECS

    if not isinstance(spec, str) or not spec:
        return f"expected a backend name, got {spec!r}"
    if spec == "statevector":    # exactly, as get_backend takes it ("Statevector" fails there)
        return None
    kind, _, rest = spec.strip().lower().partition(":")
    if kind == "aer":
        bad = [p for p in rest.split(":") if p and p not in _AER_PARTS]
        return (f"unknown aer option {bad[0]!r} in backend {spec!r}; use aer, aer:mps, aer:gpu "
                "or aer:mps:gpu") if bad else None
    if kind == "lightning":
        return None if rest in _LIGHTNING_DEVICES else (
            f"unknown lightning device {rest!r} in backend {spec!r}; use lightning, "
            "lightning:gpu or lightning:kokkos")
    if kind == "ibm":
        return None if rest else "name the IBM device: 'ibm:<device>', e.g. 'ibm:ibm_torino'"
    if kind == "fake":
        return None
    return unknown("backend", spec, SPECS, candidates=_NAMED)


def optimizer_problem(name: Any) -> str | None:
    """Why ``name`` is not an optimizer of :mod:`qopt.solvers.optimizers`."""
    from qopt.solvers.optimizers import get_optimizer

    if not isinstance(name, str):
        return f"expected an optimizer name, got {name!r}"
    try:
        get_optimizer(name)
    except QoptError as exc:
        return str(exc)
    return None


def solver_problem(name: str) -> str | None:
    """Why ``name`` is not a registered solver (with a "did you mean")."""
    from qopt.solvers import registry

    known = registry.names()
    if name in known:
        return None
    return unknown("solver", name, known)


def penalty_problem(penalty: Any) -> str | None:
    """Why a ``penalty`` ("auto", a number or a table of numbers per constraint) is invalid:
    negative or non-finite weights would reward violations (or poison every energy)."""
    values = penalty.values() if isinstance(penalty, dict) else [penalty]
    for v in values:
        if isinstance(v, str):
            if v != "auto":
                return f"expected 'auto' or a number, got {v!r}"
            continue
        if isinstance(v, bool) or not isinstance(v, int | float):
            return f"expected 'auto' or a number, got {v!r}"
        if not v >= 0 or v == float("inf"):
            return f"must be a finite number >= 0 (a penalty weight), got {v!r}"
    return None


def label_problem(label: str, options: dict) -> str | None:
    """Why ``label.format(**options)`` fails: a field that is no option of the entry."""
    fields = [f for _, f, _, _ in string.Formatter().parse(label) if f is not None]
    try:
        label.format(**options)
    except (KeyError, IndexError, AttributeError) as exc:
        missing = exc.args[0] if exc.args else "?"
        hint = did_you_mean(str(missing), options)
        return (f"{{{missing}}} names no option of this entry{hint or ''} (fields may use "
                f"the entry's options and grid keys: {', '.join(sorted(options)) or 'none'})")
    except ValueError as exc:
        return f"not a valid format string: {exc} (fields: {fields})"
    return None


def instance_problem(spec) -> str | None:
    """Why a sweep's :class:`~qopt.experiments.config.ProblemSpec` cannot be built: the file's
    reader error (with its line) or the generator's refusal of the size / seed."""
    from qopt.problems import generate, load

    try:
        if spec.instance is not None:
            load(spec.kind, spec.path if spec.path is not None else spec.instance)
        else:
            generate(spec.kind, spec.size, spec.generator_seed)
    except QoptError as exc:
        return str(exc)
    except Exception as exc:     # a reader / generator bug, reported as such
        what = "read" if spec.instance is not None else "generate"
        return f"cannot {what} it: {type(exc).__name__}: {exc}"
    return None


# ---- type checking of option values ----------------------------------------------------------
def _type_name(tp: Any) -> str:
    if isinstance(tp, type):
        return tp.__name__
    return str(tp).replace("typing.", "")


def _matches(value: Any, tp: Any) -> bool:
    """Whether a TOML value fits a dataclass annotation (unknown annotations always fit)."""
    if tp is Any or tp is object:
        return True
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return any(_matches(value, a) for a in typing.get_args(tp))
    if origin is typing.Literal:
        return value in typing.get_args(tp)
    if tp is type(None):
        return value is None
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if tp is str:
        return isinstance(value, str)
    if origin in (list, tuple, typing.Sequence) or tp in (list, tuple):
        if not isinstance(value, list | tuple):
            return False
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        return all(_matches(v, args[0]) for v in value) if len(args) == 1 else True
    if origin is dict or tp is dict:
        return isinstance(value, dict)
    return True


def _option_hints(options_cls) -> dict[str, Any]:
    try:
        return typing.get_type_hints(options_cls)
    except Exception:  # unresolvable forward references: fall back to no type checks
        return {f.name: Any for f in dataclasses.fields(options_cls)}


# ---- the parser ------------------------------------------------------------------------------
class TableParser:
    def __init__(self, source: str):
        self.source = source
        self.errors: list[str] = []     # problems noted so far (all reported together)

    def fail(self, key: str, message: str) -> ConfigError:
        where = f"{self.source}: {key}" if key else self.source
        return ConfigError(f"{where}: {message}")

    def note(self, key: str, message: str | None) -> None:
        """Record a problem (if ``message``) and go on checking."""
        if message:
            self.errors.append(str(self.fail(key, message)))

    @contextlib.contextmanager
    def collect(self):
        """Record the ConfigError that stops one table and go on with the next table."""
        try:
            yield
        except ConfigError as exc:
            self.errors.append(str(exc))

    def raise_errors(self) -> None:
        if len(self.errors) == 1:
            raise ConfigError(self.errors[0])
        if self.errors:
            raise ConfigError(f"{len(self.errors)} problems in sweep config {self.source}:\n"
                              + "\n".join(f"  {e}" for e in self.errors))

    def check_keys(self, table: dict, allowed: set[str], where: str) -> None:
        for k in table:
            if k not in allowed:
                path = f"{where}.{k}" if where else k
                raise self.fail(path, f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def get(self, table: dict, key: str, where: str, kind: type | tuple, default=None,
            what: str | None = None):
        if key not in table:
            return default
        value = table[key]
        path = f"{where}.{key}" if where else key
        ok = isinstance(value, kind) and not (isinstance(value, bool) and bool not in _tuple(kind))
        if not ok:
            raise self.fail(path, f"expected {what or _kind_name(kind)}, got "
                                  f"{type(value).__name__} {value!r}")
        return value

    def int_list(self, table: dict, key: str, where: str, default=None,
                 minimum: int | None = None) -> list[int] | None:
        if key not in table:
            return default
        value = table[key]
        path = f"{where}.{key}" if where else key
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list) or not value:
            raise self.fail(path, f"expected a non-empty list of int, got {value!r}")
        for i, v in enumerate(value):
            if not isinstance(v, int) or isinstance(v, bool):
                raise self.fail(f"{path}[{i}]", f"expected int, got {type(v).__name__} {v!r}")
            if minimum is not None and v < minimum:
                raise self.fail(f"{path}[{i}]", f"must be >= {minimum}, got {v}")
        return value


def _tuple(kind) -> tuple:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind) -> str:
    names = {int: "int", float: "number", str: "string", bool: "bool", list: "list",
             dict: "table"}
    return " or ".join(names.get(k, k.__name__) for k in _tuple(kind))


def run_defaults(p: TableParser, table: dict, where: str, parent: dict | None) -> dict:
    """budget / seeds / backends / timeout / postprocess of a table, inheriting ``parent``.

    A bad key is noted (:meth:`TableParser.note`) and keeps the parent's value; the other keys are
    still read, so that every problem of the table is reported."""
    d = dict(parent or {"budget": None, "seeds": [0], "backends": None, "timeout": None,
                        "postprocess": True})
    pre = f"{where}." if where else ""
    for read in (_read_budget, _read_seeds, _read_backends, _read_timeout):
        with p.collect():
            read(p, table, where, pre, d)
    if "postprocess" in table:
        with p.collect():
            d["postprocess"] = p.get(table, "postprocess", where, bool)
    return d


def _read_budget(p: TableParser, table: dict, where: str, pre: str, d: dict) -> None:
    if "budget" in table:
        b = table["budget"]
        if not isinstance(b, int) or isinstance(b, bool) or b <= 0:
            raise p.fail(f"{pre}budget", f"expected a positive int (evaluations), got {b!r}")
        d["budget"] = b


def _read_seeds(p: TableParser, table: dict, where: str, pre: str, d: dict) -> None:
    seeds = p.int_list(table, "seeds", where, minimum=0)
    if seeds is not None and ("seed" in table or "repetitions" in table):
        raise p.fail(f"{pre}seeds", "give either seeds = [...] or seed + repetitions, not both")
    if "seed" in table or "repetitions" in table:
        s0 = p.get(table, "seed", where, int, default=0)
        if s0 < 0:
            raise p.fail(f"{pre}seed", f"must be >= 0, got {s0}")
        reps = p.get(table, "repetitions", where, int, default=1)
        if reps < 1:
            raise p.fail(f"{pre}repetitions", f"must be >= 1, got {reps}")
        seeds = list(range(s0, s0 + reps))
    if seeds is not None:
        if len(set(seeds)) != len(seeds):
            raise p.fail(f"{pre}seeds", f"repeated seed in {seeds}")
        d["seeds"] = seeds


def _read_backends(p: TableParser, table: dict, where: str, pre: str, d: dict) -> None:
    if "backends" not in table:
        return
    backends = table["backends"]
    if isinstance(backends, str):
        backends = [backends]
    if not isinstance(backends, list) or not backends:
        raise p.fail(f"{pre}backends", f"expected a non-empty list of names, got {backends!r}")
    problems = [(j, backend_problem(b)) for j, b in enumerate(backends)]
    for j, message in problems:
        p.note(f"{pre}backends[{j}]", message)
    if not any(message for _, message in problems):
        d["backends"] = list(backends)


def _read_timeout(p: TableParser, table: dict, where: str, pre: str, d: dict) -> None:
    if "timeout" in table:
        t = table["timeout"]
        if not isinstance(t, int | float) or isinstance(t, bool) or not 0 < t < float("inf"):
            raise p.fail(f"{pre}timeout", f"expected a positive number of seconds, got {t!r}")
        d["timeout"] = float(t)


def check_options(p: TableParser, cls: type, name: str, options: dict, grid: dict,
                   where: str) -> None:
    """Option names and value types against the solver's Options dataclass, then its own
    validation for every grid point."""
    from qopt.solvers.base import make_options

    opts_cls = getattr(cls, "Options", None)
    if opts_cls is None:
        if options or grid:
            first = next(iter(options or grid))
            raise p.fail(f"{where}.{'options' if options else 'grid'}.{first}",
                         f"solver {name!r} takes no options")
        return
    hints = _option_hints(opts_cls)
    known = [f.name for f in dataclasses.fields(opts_cls)]
    output_paths = output_path_fields(opts_cls)      # confined to the results directory
    for section, table in (("options", options), ("grid", grid)):
        for k, v in table.items():
            path = f"{where}.{section}.{k}"
            if k not in hints:
                raise p.fail(path, f"solver {name!r} has no option {k!r}; its options are: "
                                   f"{', '.join(known) or 'none'}")
            values = v if section == "grid" else [v]
            for j, val in enumerate(values):
                at = f"{path}[{j}]" if section == "grid" else path
                if not _matches(val, hints[k]):
                    raise p.fail(at, f"expected {_type_name(hints[k])}, got "
                                     f"{type(val).__name__} {val!r}")
                if k in output_paths and (problem := output_path_problem(val)):
                    raise p.fail(at, problem)
    keys = sorted(grid)
    for combo in itertools.product(*(grid[k] for k in keys)):
        try:
            make_options(opts_cls, {**options, **dict(zip(keys, combo))}, name)
        except (QoptError, ValueError, TypeError) as exc:
            point = ", ".join(f"{k}={c!r}" for k, c in zip(keys, combo))
            raise p.fail(f"{where}.options", f"{exc}" + (f" (grid point {point})" if point
                                                          else "")) from None


__all__ = [
    "TableParser",
    "backend_problem",
    "check_options",
    "instance_problem",
    "label_problem",
    "optimizer_problem",
    "penalty_problem",
    "run_defaults",
    "solver_problem",
]
