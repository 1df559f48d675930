"""One budget unit for every solver: objective evaluations, shots converted, both recorded."""

from __future__ import annotations

import pytest

import qopt
from qopt.errors import OptionError
from qopt.solvers.budget import final_shots, plan_quantum_budget

BUDGET = 300

# (solver, options): quantum solvers at small sizes, classical black-box baselines
QUANTUM = [("qaoa", {"p": 1}), ("cvar-qaoa", {"p": 1}), ("ma-qaoa", {"p": 1}),
           ("ws-qaoa", {"p": 1}), ("rqaoa", {"p": 1, "n_cutoff": 5}),
           ("vqe", {"reps": 1}), ("cvar-vqe", {"reps": 1}), ("pce", {"k": 2}), ("qrao", {})]
CLASSICAL = [("random", {}), ("ga", {"pop_size": 20}), ("map-elites", {}), ("anneal", {})]


@pytest.mark.parametrize(("solver", "options"), QUANTUM + CLASSICAL)
def test_every_solver_honours_the_same_budget(solver, options):
    problem = qopt.load("mis", "1tc.8")
    res = qopt.solve(problem, solver=solver, seed=1, budget=BUDGET, postprocess=False,
                     **options)
    assert res.budget == BUDGET
    assert 0 < res.evaluations <= BUDGET
    circuits = res.info.get("circuit_evaluations")
    if (solver, options) in QUANTUM:
        assert circuits is not None and circuits >= 1
        # exact simulation: one evaluation per parameter set, plus every measured shot
        extra = res.evaluations - circuits
        assert extra == (res.shots or 0) + (2 ** 5 if solver == "rqaoa" else 0)


def test_plan_reserves_the_final_step_and_converts_shots():
    exact = plan_quantum_budget(1000, 50, shots=None, reserved=400)
    assert (exact.cost, exact.limit) == (1, 600)
    sampled = plan_quantum_budget(1000, 50, shots=100, settings=3, reserved=100)
    assert (sampled.cost, sampled.limit) == (300, 3)
    assert sampled.charged(3, 100) == 1000
    # no budget: maxiter parameter sets, the final step on top
    assert plan_quantum_budget(None, 50, shots=None, reserved=400).limit == 50
    with pytest.raises(OptionError, match=r"budget 399 .*final samples"):
        plan_quantum_budget(399, 50, shots=None, reserved=399)
    assert final_shots(None, None) == 1024 and final_shots(None, 300) == 150
    assert final_shots(77, 300) == 77


def test_too_small_budget_is_refused_before_any_circuit_runs(monkeypatch):
    from qopt.backends import statevector

    def no_engine(*args, **kwargs):
        raise AssertionError("an engine was built before the budget was checked")

    problem = qopt.load("mis", "1tc.8")
    monkeypatch.setattr(statevector.StatevectorEngine, "__init__", no_engine)
    with pytest.raises(OptionError, match="budget 64"):
        qopt.solve(problem, solver="vqe", budget=64, final_shots=64)
    with pytest.raises(OptionError, match="budget 64"):
        qopt.solve(problem, solver="qaoa", budget=64, shots=64)
