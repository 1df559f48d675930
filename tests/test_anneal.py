"""Simulated annealing: determinism, exact budget accounting, optimum of small QUBOs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qopt
from qopt import QUBO, OptionError
from qopt.model.convert import program_to_qubo
from qopt.solvers.base import Task
from qopt.solvers.classical import anneal_kernels as kernels
from qopt.solvers.classical.anneal import (
    AnnealSolver,
    _Landscape,
    anneal_qubo,
    auto_beta_range,
    plan_budget,
)
from qopt.solvers.classical.slack_energy import slack_reduction


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
    # slack-aware moves, several chains with restarts (short reads, patience 1)
    mdkp = Task(qopt.generate("mdkp", 15, 1)).qubo
    a, b = (anneal_qubo(mdkp, seed=4, budget=9000, sweeps=30, patience=1, kernel=k)
            for k in ("numpy", "auto"))
    assert a.info["slack_moves"] and a.info["restarts"] > 0
    np.testing.assert_array_equal(a.samples.bits, b.samples.bits)
    assert a.info == {**b.info, "kernel": "numpy", "threads": 1}


@pytest.fixture
def counted(monkeypatch):
    """Count every proposed flip the kernels make (one Exp(1) threshold per proposal, each
    used exactly once), independently of the solver's own ``evaluations``."""
    calls = {"proposals": 0}
    for name in ("anneal_numba", "anneal_numpy"):
        original = getattr(kernels, name)
        if original is None:
            continue

        def spy(*args, _orig=original):
            calls["proposals"] += args[KERNEL_THRESHOLDS].size
            return _orig(*args)

        monkeypatch.setattr(kernels, name, spy)
    return calls


#: position of ``thresholds`` in the kernels' arguments
KERNEL_THRESHOLDS = 13


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 25), reads=st.one_of(st.none(), st.integers(1, 40)),
       budget=st.integers(1, 30_000), kernel=st.sampled_from(["numpy", "auto"]))
def test_budget_never_exceeded(n, reads, budget, kernel):
    q = random_qubo(n, n)
    calls = {"proposals": 0}
    name = "anneal_numpy" if kernel == "numpy" or kernels.anneal_numba is None else "anneal_numba"
    original = getattr(kernels, name)

    def spy(*args):
        calls["proposals"] += args[KERNEL_THRESHOLDS].size
        return original(*args)

    setattr(kernels, name, spy)
    try:
        out = anneal_qubo(q, seed=0, reads=reads, budget=budget, kernel=kernel)
    finally:
        setattr(kernels, name, original)
    chains = out.info["chains"]
    assert calls["proposals"] == out.evaluations == chains * (budget // chains) <= budget
    assert budget - out.evaluations < chains             # the whole budget but a remainder
    assert out.samples.bits.shape == (out.info["reads"], n)
    assert out.info["reads"] == chains + out.info["restarts"]


def test_budget_counter_through_solve(counted):
    res = qopt.solve(qopt.generate("mis", 10, 0), "anneal", budget=5000, seed=1, reads=16)
    assert res.evaluations == counted["proposals"] <= 5000
    assert res.budget == 5000
    before = counted["proposals"]
    res = qopt.solve(qopt.generate("mdkp", 12, 0), "anneal", budget=7001, seed=1)
    assert res.info["slack_moves"] and res.evaluations == counted["proposals"] - before <= 7001


def test_plan_budget():
    assert plan_budget(10, 99, 5, None) == (10, 99, 495)
    assert plan_budget(None, None, 5, None) == (100, 1000, 5000)    # unbudgeted defaults
    assert plan_budget(10, None, 5, 120) == (10, 2, 12)     # 2 sweeps and 2 steps per chain
    assert plan_budget(10, 99, 5, 27) == (5, 1, 5)          # fewer chains, one sweep each
    assert plan_budget(10, 99, 5, 3) == (1, 1, 3)           # a partial sweep of one chain
    # the budget rule: 10 chains of >= 10 sweeps, reads of at most 1000 sweeps
    assert plan_budget(None, None, 50, 20_000) == (10, 40, 2000)
    assert plan_budget(None, None, 50, 10_000_000) == (10, 1000, 1_000_000)
    assert plan_budget(None, None, 144, 20_000) == (10, 13, 2000)
    assert plan_budget(None, None, 144, 2_000) == (1, 13, 2000)


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


@pytest.mark.parametrize("seed", range(3))
def test_slack_moves_reach_brute_forced_optimum(seed):
    problem = qopt.generate("mdkp", (12, 3), seed)
    best = qopt.solve(problem, "exact", postprocess=False)     # 2^12 program vectors
    res = qopt.solve(problem, "anneal", seed=seed, budget=20_000, postprocess=False)
    assert res.info["slack_moves"] and res.info["annealed_vars"] == 12
    assert res.raw.feasible and res.raw.objective == best.objective


def random_packing_qubo(n, m, seed, encoding="slack") -> QUBO:
    """A random program with m packing / covering rows (mixed signs) and a quadratic
    objective, converted with slack bits."""
    rng = np.random.default_rng(seed)
    prog = qopt.BinaryProgram(n, rng.integers(-20, 21, n),
                              np.triu(rng.integers(-5, 6, (n, n)), 1), sense="min")
    for r in range(m):
        coef = rng.integers(-3, 10, n) * (rng.random(n) < 0.7)
        sense = "<=" if r % 3 else ">="
        rhs = int(coef.sum() // 2) if sense == "<=" else int(coef[coef > 0].sum() // 3)
        prog.add_constraint(coef, sense, rhs)
    return program_to_qubo(prog, encoding=encoding)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 12), m=st.integers(1, 4), seed=st.integers(0, 10_000))
def test_slack_move_energy_is_completed_qubo_energy(n, m, seed):
    q = random_packing_qubo(n, m, seed)
    red = slack_reduction(q)
    if q.num_slack == 0:
        assert red is None
        return
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 2, (6, n)).astype(np.int8)
    np.testing.assert_allclose(red.energy(X), q.energy(q.complete(X)), rtol=1e-12, atol=1e-9)
    # the kernels' incremental energy is the sum of their move energies: after any run it
    # must equal the QUBO energy of the completed state (hot schedule: most moves accepted)
    land = _Landscape.of(q, True)
    for kernel in {kernels.anneal_numpy, kernels.anneal_numba} - {None}:
        Y = X.copy()
        F, G, consts = land.arrays(Y)
        E = land.energy(Y).astype(np.float64)
        L = len(Y)
        state = [np.zeros(L, np.int64), np.full(L, 3, np.int64), np.zeros(L, np.int64),
                 E.copy(), Y.copy(), np.zeros((L, 50, n), np.int8), np.zeros(L, np.int64)]
        thresholds = rng.standard_exponential((L, 7 * n))
        kernel(Y, F, G, E, *consts, kernels.beta_table(1e-3, 1.0), thresholds, 0, 7 * n,
               3, 1, *state)
        np.testing.assert_allclose(E, q.energy(q.complete(Y.astype(np.uint8))), rtol=1e-12,
                                   atol=1e-9)
        np.testing.assert_allclose(G, red.excess(Y), atol=1e-9)


def test_slack_reduction_only_for_exact_slack_squares():
    q = random_packing_qubo(8, 3, 1)
    assert slack_reduction(q) is not None
    assert slack_reduction(random_packing_qubo(8, 3, 1, encoding="unbalanced")) is None
    tampered = QUBO(q.quadratic.copy(), q.linear.copy(), q.offset, num_vars=q.num_vars,
                    num_program_vars=q.num_program_vars, slack_blocks=q.slack_blocks,
                    penalties=q.penalties)
    tampered.linear[-1] += 1.0                  # a slack bit with a term of its own
    assert slack_reduction(tampered) is None
    out = anneal_qubo(tampered, seed=0, budget=2000)
    assert not out.info["slack_moves"] and out.info["annealed_vars"] == q.num_vars


def test_auto_beta_range():
    q = QUBO.from_matrix(np.array([[1.0, 4.0], [0.0, -0.5]]))
    lo, hi = auto_beta_range(q)
    assert lo == pytest.approx(np.log(2) / 5.0)        # largest |delta|: |1| + |4|
    assert hi == pytest.approx(np.log(100) / 0.5)      # smallest coefficient 0.5
    assert auto_beta_range(QUBO(num_vars=3)) == (1.0, 1.0)


def test_options_are_validated_by_name():
    for bad in ({"reads": 0}, {"sweeps": -1}, {"beta_min": -1.0}, {"kernel": "gpu"},
                {"beta_min": 2.0, "beta_max": 1.0}, {"patience": 0}, {"slack_moves": "yes"},
                {"beta_max": float("inf")}):
        with pytest.raises(OptionError, match=next(iter(bad))):
            AnnealSolver(**bad)


def test_lanes_on_any_thread_count_give_the_same_reads():
    """Lanes are independent and their thresholds drawn before the kernel runs, so one and
    two kernel threads give the same reads (the numba kernel runs lane ranges in parallel)."""
    from qopt import threads

    q = random_qubo(25, 6)
    runs = []
    for count in (1, threads.available()):
        with threads.using(count):
            runs.append(anneal_qubo(q, seed=11, reads=7, sweeps=60))
    a, b = runs
    np.testing.assert_array_equal(a.samples.bits, b.samples.bits)
    assert a.info["threads"] == 1 and b.info["threads"] == min(7, threads.available())
