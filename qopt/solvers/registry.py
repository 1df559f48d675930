"""Solver registry: kebab-case names -> solver classes, imported on first use."""

from __future__ import annotations

import dataclasses
from importlib import import_module

from qopt.errors import OptionError
from qopt.suggest import unknown

#: name -> "module:Class"; modules are imported only when the solver is asked for
_SOLVERS: dict[str, str] = {
    "exact": "qopt.solvers.classical.exact:ExactSolver",
    "milp": "qopt.solvers.classical.milp:MilpSolver",
    "anneal": "qopt.solvers.classical.anneal:AnnealSolver",
    "pce": "qopt.solvers.quantum.pce:PCESolver",
    "qrao": "qopt.solvers.quantum.qrao:QRAOSolver",
    "random": "qopt.solvers.classical.random_search:RandomSearchSolver",
    "ga": "qopt.solvers.classical.evolutionary:GASolver",
    "map-elites": "qopt.solvers.classical.map_elites:MapElitesSolver",
    "tabu": "qopt.solvers.classical.tabu:TabuSolver",
    "mts": "qopt.solvers.classical.mts:MTSSolver",
    "gw": "qopt.solvers.classical.gw:GWSolver",
    "burer-monteiro": "qopt.solvers.classical.burer_monteiro:BurerMonteiroSolver",
    "vqe": "qopt.solvers.quantum.vqe:VQESolver",
    "cvar-vqe": "qopt.solvers.quantum.vqe:CVaRVQESolver",
    "qaoa": "qopt.solvers.quantum.qaoa:QAOASolver",
    "cvar-qaoa": "qopt.solvers.quantum.qaoa:CVaRQAOASolver",
    "ma-qaoa": "qopt.solvers.quantum.qaoa:MAQAOASolver",
    "ws-qaoa": "qopt.solvers.quantum.qaoa:WSQAOASolver",
    "rqaoa": "qopt.solvers.quantum.qaoa_recursive:RQAOASolver",
    "th-qaoa": "qopt.solvers.quantum.grover:ThresholdQAOASolver",
}


def register(name: str, target: str | type) -> None:
    """Register a solver class (or a "module:Class" path) under ``name``."""
    _SOLVERS[name] = target  # type: ignore[assignment]


def names() -> list[str]:
    return list(_SOLVERS)


def solver_class(name: str):
    try:
        target = _SOLVERS[name]
    except KeyError:
        raise OptionError(unknown("solver", name, names())) from None
    if isinstance(target, str):
        module, cls = target.split(":")
        target = getattr(import_module(module), cls)
        _SOLVERS[name] = target
    return target


def option_fields(name: str) -> list[dataclasses.Field]:
    """The option fields of a solver, for ``--help`` and ``qopt list``."""
    opts = solver_class(name).Options
    return list(dataclasses.fields(opts)) if opts is not None else []


def make_solver(solver, **options):
    """A Solver instance from a name, a class or an instance (options only with a name/class)."""
    from qopt.solvers.base import Solver

    if isinstance(solver, Solver):
        if options:
            raise OptionError("pass options either to the solver instance or to solve(), not both")
        return solver
    cls = solver_class(solver) if isinstance(solver, str) else solver
    return cls(**options)
