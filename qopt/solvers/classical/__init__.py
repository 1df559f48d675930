"""Classical solvers: exact enumeration, MILP (HiGHS), simulated annealing, tabu search,
memetic tabu search for LABS (mts), the
MaxCut / Ising relaxations (gw, burer-monteiro) and the black-box baselines. Imported lazily:
``from qopt.solvers.classical import ExactSolver``."""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "ExactSolver": "qopt.solvers.classical.exact",
    "ExactOptions": "qopt.solvers.classical.exact",
    "MilpSolver": "qopt.solvers.classical.milp",
    "MilpOptions": "qopt.solvers.classical.milp",
    "linearise": "qopt.solvers.classical.milp",
    "AnnealSolver": "qopt.solvers.classical.anneal",
    "AnnealOptions": "qopt.solvers.classical.anneal",
    "anneal_qubo": "qopt.solvers.classical.anneal",
    "TabuSolver": "qopt.solvers.classical.tabu",
    "TabuOptions": "qopt.solvers.classical.tabu",
    "tabu_qubo": "qopt.solvers.classical.tabu",
    "MTSSolver": "qopt.solvers.classical.mts",
    "MTSOptions": "qopt.solvers.classical.mts",
    "GWSolver": "qopt.solvers.classical.gw",
    "GWOptions": "qopt.solvers.classical.gw",
    "BurerMonteiroSolver": "qopt.solvers.classical.burer_monteiro",
    "BMOptions": "qopt.solvers.classical.burer_monteiro",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
