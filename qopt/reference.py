"""References: the optimum C* a solve's gap and ratios are measured against.

Every metric that compares a solution with the best possible one (``gap``,
``approximation_ratio``, ``expectation_ratio``, ``probability_optimum`` and
``probability_optimum_exact``) needs C*. It comes from, in this order:

- ``optimum=VALUE`` (``--optimum``): given by the user, in the problem's native sense;
- ``reference="exact"`` (``--reference exact``): enumeration of all 2^n states by the
  ``exact`` solver (refused before any work above its ``max_vars`` limit or the time limit,
  naming ``reference="milp"`` as the alternative);
- ``reference="milp"``: HiGHS on the binary program, accepted only when it proves optimality;
- ``reference="best-known"``: the value shipped with the instance (``qopt list``), an error
  when there is none;
- nothing given: the shipped best-known value when there is one, else **no reference**, and
  every metric that needs one is None with the reason in ``SolveResult.unavailable``
  (``gap: no reference (pass optimum= or reference="exact")``).

The reference is computed before the solver runs (its time is reported apart, in
``SolveResult.reference["seconds"]``), so solvers that measure exact optimum probabilities
(``info["probability_optimum_exact"]``) see it.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, dataclass

from qopt.errors import OptionError, SizeLimitError, SolverError

#: the values of ``reference=``
REFERENCES = ("exact", "milp", "best-known")
#: what a result says when it has no reference
NO_REFERENCE = 'no reference (pass optimum= or reference="exact")'
#: the same for the command line
NO_REFERENCE_CLI = "no reference (pass --optimum VALUE or --reference exact|milp)"


@dataclass(frozen=True)
class Reference:
    """C* (native sense) and where it came from: ``source`` "given" | "exact" | "milp" |
    "best-known" | None (no reference); ``seconds`` spent computing it."""

    value: float | None
    source: str | None
    seconds: float = 0.0

    @property
    def known(self) -> bool:
        return self.value is not None

    def to_dict(self) -> dict:
        d = asdict(self)
        if self.value is None:
            d["note"] = NO_REFERENCE
        return d


def check_reference(reference: str | None, optimum) -> None:
    """OptionError for a bad ``reference=`` / ``optimum=`` (before any work)."""
    if reference is not None and optimum is not None:
        raise OptionError("give optimum= or reference=, not both (optimum= is the reference)")
    if reference is not None and reference not in REFERENCES:
        raise OptionError(f"reference must be one of {', '.join(REFERENCES)}, got "
                          f"{reference!r}")
    if optimum is not None and (isinstance(optimum, bool)
                                or not isinstance(optimum, int | float)
                                or not math.isfinite(float(optimum))):
        raise OptionError(f"optimum must be a finite number (the native objective of an "
                          f"optimal solution), got {optimum!r}")


def plan_reference(problem, reference: str | None, *, penalty="auto",
                   encoding: str = "slack"):
    """The reference solver's :class:`~qopt.resources.ResourcePlan` (checked), or None when
    nothing is computed. An exact enumeration too large is refused here, before any work,
    with the alternative named."""
    if reference not in ("exact", "milp"):
        return None
    from qopt.solvers.base import Task
    from qopt.solvers.registry import make_solver

    solver = make_solver(reference)
    n = int(problem.num_vars)
    limit = getattr(solver.options, "max_vars", None)
    if limit is not None and n > limit:
        raise SizeLimitError(
            f'reference="exact" would enumerate 2^{n} states of {problem.name} (the exact '
            f"solver's limit is {limit} variables); use reference=\"milp\" (HiGHS), "
            "reference=\"best-known\" or optimum=VALUE")
    plan = solver.resource_plan(Task(problem, penalty=penalty, encoding=encoding))
    plan.context = f'reference="{reference}" on {problem.name}'
    try:
        plan.check()
    except SizeLimitError as exc:
        raise SizeLimitError(f"{exc} -- or use reference=\"milp\" or optimum=VALUE") from None
    return plan


def resolve_reference(problem, *, optimum=None, reference: str | None = None,
                      penalty="auto", encoding: str = "slack", solve=None) -> Reference:
    """The reference of ``problem`` (module docstring); runs the exact / MILP solver through
    ``solve`` (:func:`qopt.solve`, passed in by its caller so that this module imports no
    higher layer) when asked. SizeLimitError / SolverError when an asked-for reference
    cannot be had."""
    check_reference(reference, optimum)
    if optimum is not None:
        return Reference(float(optimum), "given")
    if reference == "best-known":
        if problem.optimum is None:
            raise OptionError(f"{problem.name} has no best-known value shipped; use "
                              'reference="exact" or "milp", or optimum=VALUE')
        return Reference(float(problem.optimum), "best-known")
    if reference is None:
        known = problem.optimum
        return Reference(None if known is None else float(known),
                         None if known is None else "best-known")
    plan_reference(problem, reference, penalty=penalty, encoding=encoding)
    if solve is None:
        raise OptionError(f'reference="{reference}" needs the solve function (qopt.solve)')
    bare = copy.copy(problem)
    bare.optimum = None
    t0 = time.perf_counter()
    res = solve(bare, solver=reference, seed=0, postprocess=False, penalty=penalty,
                encoding=encoding)
    seconds = time.perf_counter() - t0
    if res.status != "optimal":
        raise SolverError(f'reference="{reference}" did not prove an optimum of '
                          f"{problem.name} (status {res.status!r}); pass optimum=VALUE or "
                          "use another reference")
    if problem.optimum_needs_feasible and not res.feasible:
        raise SolverError(f'reference="{reference}": {problem.name} has no feasible '
                          "solution, so no optimum to measure against")
    return Reference(float(res.objective), reference, seconds)


def with_reference(problem, ref: Reference):
    """``problem`` with ``optimum`` set to the reference (a shallow copy when it changes, so
    the caller's object keeps its own value)."""
    if ref.value == problem.optimum:
        return problem
    out = copy.copy(problem)
    out.optimum = ref.value
    return out


__all__ = ["NO_REFERENCE", "NO_REFERENCE_CLI", "REFERENCES", "Reference", "check_reference",
           "plan_reference", "resolve_reference", "with_reference"]
