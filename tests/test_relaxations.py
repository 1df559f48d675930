"""gw and burer-monteiro: the spin form, proven bounds >= brute-forced optima (signed weights,
QUBOs with an extra spin), optimum found on small MaxCut graphs, refusals and resource plans."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

import qopt
from qopt import QUBO, OptionError
from qopt.errors import SizeLimitError
from qopt.problems.custom import QUBOProblem
from qopt.problems.maxcut import MaxCut
from qopt.solvers.base import Task
from qopt.solvers.classical.burer_monteiro import BurerMonteiroSolver
from qopt.solvers.classical.spin_relaxation import SpinForm, certified_lower_bound


def _have_cvxpy() -> bool:
    try:
        import cvxpy  # noqa: F401
    except ImportError:
        return False
    return True


needs_cvxpy = pytest.mark.skipif(not _have_cvxpy(), reason="cvxpy (extra 'sdp') not installed")
SOLVERS = ["burer-monteiro", pytest.param("gw", marks=needs_cvxpy)]


def signed_maxcut(n: int, seed: int, p: float = 0.5) -> MaxCut:
    rng = np.random.default_rng(seed)
    iu = np.triu_indices(n, 1)
    keep = rng.random(iu[0].size) < p
    edges = np.stack([iu[0][keep], iu[1][keep]], axis=1)
    return MaxCut(n, edges, rng.normal(size=len(edges)))


def all_bits(n: int) -> np.ndarray:
    return ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1).astype(np.uint8)


def test_spin_form_reproduces_qubo_energies():
    rng = np.random.default_rng(0)
    for homogenised in (False, True):
        if homogenised:
            q = QUBO.from_matrix(np.triu(rng.normal(size=(7, 7))), offset=1.5)
            task = Task(QUBOProblem(q))
        else:
            task = Task(signed_maxcut(7, 1))
        form = SpinForm.from_task(task, "gw")
        assert form.homogenised is homogenised
        X = all_bits(7)
        S = 1.0 - 2.0 * X.T                      # z = +1 for x = 0
        if homogenised:
            S = np.vstack([S, np.ones(len(X))])
        np.testing.assert_allclose(form.energies(S), task.qubo.energy(X), atol=1e-9)
        np.testing.assert_array_equal(form.bits(S), X)
        if homogenised:          # the extra spin's sign is fixed; MaxCut: -S is the mirror cut
            np.testing.assert_array_equal(form.bits(-S), X)


def test_certificate_is_a_bound_for_any_y():
    task = Task(signed_maxcut(9, 2))
    form = SpinForm.from_task(task, "gw")
    best = task.qubo.energy(all_bits(9)).min()
    rng = np.random.default_rng(3)
    for _ in range(20):
        assert certified_lower_bound(form, rng.normal(scale=3.0, size=9)) <= best


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", range(4))
def test_bound_above_brute_forced_optimum_signed_weights(solver, seed):
    problem = signed_maxcut(10, 10 + seed)
    opt = float(problem.evaluate_batch(all_bits(10)).max())
    res = qopt.solve(problem, solver, seed=seed, postprocess=False)
    assert res.info["bound_kind"] == "upper"
    assert res.info["bound"] >= opt >= res.raw.objective - 1e-12   # (summation order)
    assert res.info["bound"] <= res.info["relaxation_value"] + 1e-3 * (1 + abs(opt))


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", range(2))
def test_qubo_with_extra_spin_lower_bound(solver, seed):
    rng = np.random.default_rng(seed)
    q = QUBO.from_matrix(np.triu(rng.integers(-5, 6, size=(9, 9))), offset=2.0)
    best = float(q.energy(all_bits(9)).min())
    res = qopt.solve(q, solver, seed=seed, postprocess=False)
    assert res.info["extra_spin"] and res.info["spins"] == 10
    assert res.info["bound_kind"] == "lower"
    assert res.info["bound"] <= best <= res.raw.objective + 1e-12


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", range(3))
def test_finds_optimum_of_small_maxcut(solver, seed):
    G = nx.gnp_random_graph(11, 0.5, seed=seed)
    problem = MaxCut.from_graph(G)
    opt = float(problem.evaluate_batch(all_bits(11)).max())
    res = qopt.solve(problem, solver, seed=seed, postprocess=False)
    assert res.raw.objective == opt
    assert res.info["bound"] >= opt


def test_burer_monteiro_time_limit_still_certified():
    problem = MaxCut.generate(300, seed=1)
    res = qopt.solve(problem, "burer-monteiro", seed=0, time_limit=1e-3, postprocess=False)
    assert res.status == "time_limit"
    assert res.info["bound"] >= res.raw.objective


def test_burer_monteiro_no_certify_reports_no_bound():
    res = qopt.solve(signed_maxcut(6, 0), "burer-monteiro", seed=0, certify=False)
    assert res.info["bound"] is None


@pytest.mark.parametrize("solver", ["burer-monteiro", "gw"])
def test_constrained_program_refused(solver):
    with pytest.raises(OptionError, match="constraint"):
        qopt.solve(qopt.generate("mis", 8, 0), solver)


def test_resource_plan_refuses_before_work():
    task = Task(MaxCut.generate(3000, seed=0))
    plan = BurerMonteiroSolver().resource_plan(task)
    with pytest.raises(SizeLimitError, match="--certify"):
        plan.check(limit=150 * 2 ** 20)
    BurerMonteiroSolver(certify=False).resource_plan(task).check(limit=150 * 2 ** 20)


@needs_cvxpy
def test_gw_plan_names_sdp_solver():
    from qopt.solvers.classical.gw import GWSolver

    task = Task(MaxCut.generate(400, seed=0))
    with pytest.raises(SizeLimitError, match="--sdp-solver"):
        GWSolver(sdp_solver="clarabel").resource_plan(task).check(limit=10 ** 9)
    GWSolver().resource_plan(task).check(limit=10 ** 9)            # SCS: ~130 MB
    with pytest.raises(SizeLimitError, match="--sdp-solver"):      # SCS at 2000: ~3 GB
        GWSolver().resource_plan(Task(MaxCut.generate(2000, seed=0))).check(limit=10 ** 9)


@pytest.mark.parametrize("bad", [{"rank": 0}, {"rounds": 0}, {"time_limit": -1},
                                 {"certify": "yes"}, {"gtol": 0}])
def test_bad_options(bad):
    with pytest.raises(OptionError):
        qopt.solve(signed_maxcut(4, 0), "burer-monteiro", **bad)
