"""Solver protocol: options as a dataclass, ``run(task, ...) -> SolverOutput``.

Like dimod's samplers, every solver returns the same thing, a :class:`SolverOutput` whose
:class:`Samples` are bit rows over the variables the solver was given (the QUBO's, slack
included, for ``input = "qubo"``; the program's for ``"program"`` and ``"problem"``).
:func:`qopt.solve` turns that into a :class:`~qopt.solvers.result.SolveResult`.

:class:`~qopt.samples.Samples` and :func:`~qopt.seeds.rng_from` live a layer below (backends
use them too) and are re-exported here. :func:`qopt.solve` sits above this layer, so it
installs itself here (:func:`install_solve`) instead of being imported: ``Solver.solve`` and the
did-you-mean hints of :func:`make_options` reach it without an upward import.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from qopt.errors import OptionError
from qopt.resources import ResourcePlan
from qopt.samples import Samples
from qopt.seeds import check_seed, rng_from
from qopt.suggest import did_you_mean

if TYPE_CHECKING:
    from qopt.model.hubo import HUBO
    from qopt.model.program import BinaryProgram
    from qopt.model.qubo import QUBO
    from qopt.problems.base import Problem


@dataclass
class SolverOutput:
    """What a solver run produced, before decoding and metrics."""

    samples: Samples
    status: str = "done"
    evaluations: int | None = None
    shots: int | None = None
    history: list[Any] = field(default_factory=list)
    num_qubits: int | None = None
    depth: int | None = None
    two_qubit_gates: int | None = None
    time: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)


class Task:
    """What a solver is handed: the problem and, built on first use, its program, its HUBO
    (any degree) and its QUBO (quadratised, with a proven-safe strength, when the HUBO is of
    higher degree).

    ``penalty`` and ``encoding`` are the conversion options of
    :func:`qopt.model.convert.program_to_hubo`; ``max_degree`` is the solver's
    (:attr:`Solver.max_degree`): :attr:`cost` is the HUBO for None, else the QUBO.
    """

    def __init__(self, problem: Problem, *, penalty="auto", encoding: str = "slack",
                 qubo: QUBO | None = None, max_degree: int | None = 2):
        self.problem = problem
        self.penalty = penalty
        self.encoding = encoding
        self.max_degree = max_degree
        if qubo is not None:
            self.__dict__["qubo"] = qubo

    @property
    def program(self) -> BinaryProgram:
        return self.problem.to_program()

    @cached_property
    def hubo(self) -> HUBO:
        """The problem's cost over bits, any degree (a QUBO when its degree is <= 2)."""
        from qopt.model.convert import program_to_hubo

        given = getattr(self.problem, "qubo", None)
        if given is not None:
            return given
        if "qubo" in self.__dict__:
            return self.__dict__["qubo"]
        return program_to_hubo(self.program, penalty=self.penalty, encoding=self.encoding)

    @cached_property
    def qubo(self) -> QUBO:
        """The problem's QUBO: the HUBO itself when of degree <= 2, else its quadratisation
        (auxiliary bits after the slack bits; ``qubo.quadratisation`` says how)."""
        from qopt.model.qubo import QUBO

        h = self.hubo
        return h if isinstance(h, QUBO) else h.quadratise()

    @property
    def cost(self) -> HUBO:
        """The form the solver declared it takes: :attr:`hubo` for ``max_degree`` None,
        :attr:`qubo` for 2."""
        return self.hubo if self.max_degree is None else self.qubo


class Solver:
    """Base class. Subclasses set ``name``, ``Options`` (a dataclass), ``input`` and ``run``.

    ``input`` is ``"qubo"`` (samples over the cost's variables: ``task.cost``), ``"program"``
    or ``"problem"`` (samples over the program's variables). ``max_degree`` is the degree of
    cost the solver takes: 2 (it gets ``task.qubo``, quadratised when the problem is of higher
    degree) or None (any degree: ``task.hubo``). No work happens in ``__init__`` beyond
    validating options.
    """

    name: ClassVar[str] = ""
    input: ClassVar[str] = "qubo"
    max_degree: ClassVar[int | None] = 2
    Options: ClassVar[type] = None  # type: ignore[assignment]

    def __init__(self, **options):
        self.options = make_options(self.Options, options, self.name)

    def run(self, task: Task, *, backend=None, optimizer=None, seed: int | None = None,
            budget: int | None = None) -> SolverOutput:
        raise NotImplementedError

    def plan_resources(self, plan: ResourcePlan, task: Task, *, backend=None, optimizer=None,
                       budget: int | None = None) -> None:
        """Add this solver's peak memory (and any unbounded run time) for ``task`` to ``plan``.

        Called by :meth:`resource_plan` before :meth:`run`, from the instance's size and the
        options only: nothing large may be built here. The default states nothing.
        """

    def resource_plan(self, task: Task, *, backend=None, optimizer=None,
                      budget: int | None = None) -> ResourcePlan:
        """This solve's :class:`~qopt.resources.ResourcePlan` (unchecked)."""
        plan = ResourcePlan(f"{self.name or type(self).__name__} on {task.problem.name}")
        self.plan_resources(plan, task, backend=backend, optimizer=optimizer, budget=budget)
        return plan

    def solve(self, target, **kwargs):
        """Shortcut for ``qopt.solve(target, solver=self, **kwargs)``."""
        return _installed_solve()(target, solver=self, **kwargs)


#: the pipeline's entry point, :func:`qopt.solve`, once :mod:`qopt.solving` has installed it
_SOLVE: list[Callable[..., Any]] = []


def install_solve(solve: Callable[..., Any]) -> None:
    """Make ``solve`` the function ``Solver.solve`` delegates to and whose keyword-only
    parameters :func:`solve_keywords` lists. :mod:`qopt.solving` calls it once at import (and
    ``import qopt`` imports qopt.solving, so it is in place before any solver exists)."""
    _SOLVE[:] = [solve]


def _installed_solve() -> Callable[..., Any]:
    if not _SOLVE:
        raise RuntimeError("qopt.solve is not installed: import qopt first")
    return _SOLVE[0]


def solve_keywords() -> list[str]:
    """The keywords every solve takes beside a solver's own options (``qopt.solve(..., seed=1)``),
    read off :func:`qopt.solve`'s signature so that the list cannot drift from it."""
    import inspect

    return [p.name for p in inspect.signature(_installed_solve()).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY]


def make_options(options_cls, given: dict, solver_name: str):
    """Validate ``given`` against the dataclass ``options_cls``; unknown names are an error."""
    if options_cls is None:
        if given:
            raise OptionError(f"solver {solver_name!r} takes no options, got {sorted(given)}")
        return None
    known = {f.name: f for f in dataclasses.fields(options_cls)}
    unknown = sorted(set(given) - set(known))
    keywords = [k for k in unknown if k in solve_keywords()]
    if keywords:
        raise OptionError(f"{keywords[0]!r} is a keyword of qopt.solve, not an option of solver "
                          f"{solver_name!r}: pass it as qopt.solve(..., {keywords[0]}=...); "
                          f"the solver's options are: {', '.join(known) or 'none'}")
    if unknown:
        hint = did_you_mean(unknown[0], [*known, *solve_keywords()])
        raise OptionError(f"solver {solver_name!r} has no option {', '.join(map(repr, unknown))}"
                          f"{hint or ';'} its options are: {', '.join(known) or 'none'}")
    nan = [k for k, v in given.items() if isinstance(v, float) and v != v]
    if nan:
        raise OptionError(f"solver {solver_name!r}: option {nan[0]!r} is nan; give a number")
    opts = options_cls(**given)
    check = getattr(opts, "validate", None)
    if check is not None:
        check()
    return opts


__all__ = ["Samples", "Solver", "SolverOutput", "Task", "check_seed", "install_solve",
           "make_options", "rng_from", "solve_keywords"]
