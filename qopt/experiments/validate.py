"""Checks of a sweep config that need the rest of qopt: names, instances, penalties, labels.

:mod:`qopt.experiments.config` calls these while it parses; each returns the problem as a
message (or None) so that the parser can list every problem of a config at once, each under
its file and key, before anything is run or stored. Checking an instance means building it:
each file is parsed with its reader and each ``sizes`` entry generated with its seed, so a
malformed file or a size the generator cannot make is reported here, not as a failed run.
"""

from __future__ import annotations

import string
from typing import Any

from qopt.errors import QoptError
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
    kind, _, rest = spec.strip().lower().partition(":")
    if kind == "statevector" and not rest:
        return None
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


__all__ = ["backend_problem", "instance_problem", "label_problem", "optimizer_problem",
           "penalty_problem", "solver_problem"]
