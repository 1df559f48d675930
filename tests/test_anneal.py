"""Simulated annealing: determinism, exact budget accounting, optimum of small QUBOs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qopt
from qopt import QUBO, OptionError
from qopt.solvers.classical import anneal as anneal_module
from qopt.solvers.classical.anneal import AnnealSolver, anneal_qubo, auto_beta_range, plan_budget


def random_qubo(n: int, seed: int, density: float = 0.6) -> QUBO:
    rng = np.random.default_rng(seed)
    M = rng.integers(-10, 11, size=(n, n)) * (rng.random((n, n)) < density)
    return QUBO.from_matrix(M, offset=float(rng.integers(-5, 6)))


def test_same_seed_same_result():
    q = random_qubo(20, 1)
    a = anneal_qubo(q, seed=7, reads=30, sweeps=50)
    b = anneal_qubo(q, seed=7, reads=30, sweeps=50)
    c = anneal_qubo(q, seed=8, reads=30, sweeps=50)
    np.testing.assert_array_equal(a.samples.bits, b.samples.bits)
    assert not np.array_equal(a.samples.bits, c.samples.bits)
    assert a.evaluations == 30 * 50 * 20


def test_numba_and_numpy_kernels_agree():
    q = random_qubo(15, 2)
    a = anneal_qubo(q, seed=3, reads=20, sweeps=40, kernel="numpy")
    b = anneal_qubo(q, seed=3, reads=20, sweeps=40, kernel="auto")
    np.testing.assert_array_equal(a.samples.bits, b.samples.bits)


@pytest.fixture
def counted(monkeypatch):
    """Count every proposed flip the kernels make (one threshold per proposal)."""
    calls = {"proposals": 0}
    for name in ("_anneal_numba", "_anneal_numpy"):
        if not hasattr(anneal_module, name):
            continue
        original = getattr(anneal_module, name)

        def spy(X, F, indptr, indices, data, betas, thresholds, step0, _orig=original):
            calls["proposals"] += thresholds.size
            return _orig(X, F, indptr, indices, data, betas, thresholds, step0)

        monkeypatch.setattr(anneal_module, name, spy)
    return calls


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 25), reads=st.integers(1, 40), budget=st.integers(1, 30_000))
def test_budget_never_exceeded(n, reads, budget):
    q = random_qubo(n, n)
    calls = {"proposals": 0}
    original = anneal_module._anneal_numpy

    def spy(X, F, indptr, indices, data, betas, thresholds, step0):
        calls["proposals"] += thresholds.size
        return original(X, F, indptr, indices, data, betas, thresholds, step0)

    anneal_module._anneal_numpy = spy
    try:
        out = anneal_qubo(q, seed=0, reads=reads, sweeps=10, budget=budget, kernel="numpy")
    finally:
        anneal_module._anneal_numpy = original
    assert calls["proposals"] == out.evaluations <= budget
    assert out.samples.bits.shape == (out.info["reads"], n)
    if budget >= reads * n:
        assert out.info["sweeps"] == budget // (reads * n)
        assert out.evaluations == reads * n * (budget // (reads * n))


def test_budget_counter_through_solve(counted):
    res = qopt.solve(qopt.generate("mis", 10, 0), "anneal", budget=5000, seed=1, reads=16)
    assert res.evaluations == counted["proposals"] <= 5000
    assert res.budget == 5000


def test_plan_budget():
    assert plan_budget(10, 99, 5, None) == (10, 99, 495)
    assert plan_budget(10, 99, 5, 120) == (10, 2, 10)        # 2 sweeps of 10 reads x 5 vars
    assert plan_budget(10, 99, 5, 27) == (5, 1, 5)           # fewer reads, one sweep each
    assert plan_budget(10, 99, 5, 3) == (1, 1, 3)            # a partial sweep of one read


@pytest.mark.parametrize("seed", range(4))
def test_finds_optimum_of_small_random_qubos(seed):
    q = random_qubo(14, 100 + seed)
    best = qopt.solve(q, "exact").objective
    res = qopt.solve(q, "anneal", seed=seed, reads=200, sweeps=300, postprocess=False)
    assert res.raw.objective == pytest.approx(best)
    assert min(q.energy(anneal_qubo(q, seed=seed, reads=200, sweeps=300).samples.bits)) == \
        pytest.approx(best)


def test_constrained_problem_reaches_feasible_optimum():
    problem = qopt.generate("mis", 14, 3)
    exact = qopt.solve(problem, "exact", postprocess=False)
    res = qopt.solve(problem, "anneal", seed=0, reads=100, sweeps=200, postprocess=False)
    assert res.raw.feasible and res.raw.objective == exact.objective


def test_auto_beta_range():
    q = QUBO.from_matrix(np.array([[1.0, 4.0], [0.0, -0.5]]))
    lo, hi = auto_beta_range(q)
    assert lo == pytest.approx(np.log(2) / 5.0)        # largest |delta|: |1| + |4|
    assert hi == pytest.approx(np.log(100) / 0.5)      # smallest coefficient 0.5
    assert auto_beta_range(QUBO(num_vars=3)) == (1.0, 1.0)


def test_options_are_validated_by_name():
    for bad in ({"reads": 0}, {"sweeps": -1}, {"beta_min": -1.0}, {"kernel": "gpu"},
                {"beta_min": 2.0, "beta_max": 1.0}):
        with pytest.raises(OptionError, match=next(iter(bad))):
            AnnealSolver(**bad)
