"""Tabu search: optimum of small instances, exact budget (independent counter), same seed same
result, numba and numpy kernels identical."""

from __future__ import annotations

import numpy as np
import pytest

import qopt
from qopt import QUBO, OptionError
from qopt.problems.maxcut import MaxCut
from qopt.solvers.classical import tabu as tabu_module
from qopt.solvers.classical.tabu import tabu_qubo


def random_qubo(n: int, seed: int) -> QUBO:
    rng = np.random.default_rng(seed)
    M = rng.integers(-10, 11, size=(n, n)) * (rng.random((n, n)) < 0.6)
    return QUBO.from_matrix(M, offset=float(rng.integers(-5, 6)))


def signed_maxcut(n: int, seed: int) -> MaxCut:
    rng = np.random.default_rng(seed)
    iu = np.triu_indices(n, 1)
    keep = rng.random(iu[0].size) < 0.5
    edges = np.stack([iu[0][keep], iu[1][keep]], axis=1)
    return MaxCut(n, edges, rng.normal(size=len(edges)))


def brute_max(problem) -> float:
    n = problem.num_vars
    X = ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1).astype(np.uint8)
    return float(problem.evaluate_batch(X).max())


@pytest.mark.parametrize("seed", range(3))
def test_finds_maxcut_optimum(seed):
    problem = signed_maxcut(12, seed)
    res = qopt.solve(problem, "tabu", seed=seed, budget=20000, postprocess=False)
    assert res.raw.objective == pytest.approx(brute_max(problem), abs=1e-9)
    assert res.evaluations == 20000


@pytest.mark.parametrize("seed", range(3))
def test_finds_qubo_optimum(seed):
    q = random_qubo(14, 50 + seed)
    best = qopt.solve(q, "exact").objective
    out = tabu_qubo(q, seed=seed, budget=30000)
    assert q.energy(out.samples.bits).min() == pytest.approx(best)


@pytest.mark.parametrize("budget", [1, 7, 16, 17, 1000, 4321])
def test_budget_exact_with_independent_counter(budget):
    """Every delta the kernel reads and every full energy evaluation is counted outside the
    solver; the total is the budget exactly."""
    q = random_qubo(16, 3)
    seen = {"flips": 0, "states": 0}
    deltas, energy = tabu_module._candidate_deltas, q.energy

    def spy_deltas(x, f, order, blocks):
        seen["flips"] += len(order)
        return deltas(x, f, order, blocks)

    def spy_energy(X):
        seen["states"] += len(np.atleast_2d(X))
        return energy(X)

    tabu_module._candidate_deltas = spy_deltas
    q.energy = spy_energy
    try:
        out = tabu_qubo(q, seed=0, budget=budget, kernel="numpy", stall=5)
    finally:
        tabu_module._candidate_deltas = deltas
    assert seen["flips"] + seen["states"] == out.evaluations == budget
    assert seen["states"] == 1 + out.info["restarts"]


def test_iterations_without_budget():
    q = random_qubo(10, 4)
    out = tabu_qubo(q, seed=0, iterations=37, stall=1000)
    assert out.info["iterations"] == 37
    assert out.evaluations == 1 + 37 * 10


def test_same_seed_same_result_and_kernels_agree():
    q = random_qubo(30, 9)
    a = tabu_qubo(q, seed=5, budget=9000, stall=20)
    b = tabu_qubo(q, seed=5, budget=9000, stall=20)
    c = tabu_qubo(q, seed=5, budget=9000, stall=20, kernel="numpy")
    d = tabu_qubo(q, seed=6, budget=9000, stall=20)
    assert a.info["restarts"] > 0
    np.testing.assert_array_equal(a.samples.bits, b.samples.bits)
    np.testing.assert_array_equal(a.samples.bits, c.samples.bits)
    assert a.info == {**c.info, "kernel": a.info["kernel"]}
    assert not np.array_equal(a.samples.bits, d.samples.bits)


@pytest.mark.parametrize("seed", range(3))
def test_slack_moves_reach_brute_forced_mdkp_optimum(seed):
    """Slack-aware moves: the raw best sample of a small MDKP is its optimum, and the reported
    energy is the slack-completed QUBO energy."""
    problem = qopt.generate("mdkp", 12, seed)
    exact = qopt.solve(problem, "exact", postprocess=False)
    res = qopt.solve(problem, "tabu", seed=seed, budget=20000, postprocess=False)
    assert res.info["slack_moves"] and res.info["searched_vars"] == 12
    assert res.raw.feasible and res.raw.objective == exact.objective
    task = qopt.solvers.base.Task(problem)
    out = tabu_qubo(task.qubo, seed=seed, budget=20000)
    assert task.qubo.energy(out.samples.bits)[0] == pytest.approx(out.info["min_energy"])


def test_slack_kernels_agree():
    q = qopt.solvers.base.Task(qopt.generate("mdkp", 15, 4)).qubo
    a = tabu_qubo(q, seed=2, budget=6000, stall=15)
    b = tabu_qubo(q, seed=2, budget=6000, stall=15, kernel="numpy")
    np.testing.assert_array_equal(a.samples.bits, b.samples.bits)
    assert a.info["restarts"] > 0 and a.info["slack_moves"]
    c = tabu_qubo(q, seed=2, budget=6000, stall=15, slack_moves=False)
    assert not c.info["slack_moves"] and c.info["searched_vars"] == q.num_vars


def test_elite_rows_distinct_and_sorted():
    q = random_qubo(20, 2)
    out = tabu_qubo(q, seed=1, budget=20000, stall=10, elite=5)
    bits = out.samples.bits
    assert len(np.unique(bits, axis=0)) == len(bits) <= 5
    e = q.energy(bits)
    assert np.all(np.diff(e) >= 0)
    assert e[0] == pytest.approx(out.info["min_energy"])


def test_constrained_problem_through_solve():
    problem = qopt.generate("mis", 12, 3)
    exact = qopt.solve(problem, "exact", postprocess=False)
    res = qopt.solve(problem, "tabu", seed=0, budget=5000, postprocess=False)
    assert res.raw.feasible and res.raw.objective == exact.objective
    assert res.evaluations == 5000


@pytest.mark.parametrize("bad", [{"tenure": 0}, {"elite": -1}, {"iterations": 1.5},
                                 {"stall": True}, {"kernel": "c"}, {"slack_moves": 1}])
def test_bad_options(bad):
    with pytest.raises(OptionError):
        qopt.solve(random_qubo(4, 0), "tabu", **bad)
