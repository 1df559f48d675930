"""MILP (HiGHS): shipped optima, agreement with exact enumeration, linearisation, limits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qopt
from qopt import BinaryProgram, OptionError, SizeLimitError
from qopt.problems import shipped_index
from qopt.problems.custom import ProgramProblem
from qopt.problems.msp import MarketSplit
from qopt.solvers.base import Task
from qopt.solvers.classical.milp import MilpSolver, linearise
from qopt.solvers.classical.milp_model import _clique_cover

MDKP = sorted(shipped_index("mdkp"))
MIS = ["1tc.8", "1tc.16", "1tc.32", "1tc.64"]


def test_all_twelve_mdkp_instances_are_shipped():
    assert len(MDKP) == 12


@pytest.mark.parametrize("name", MDKP)
def test_mdkp_listed_optimum(name):
    problem = qopt.load("mdkp", name)
    assert problem.optimum is not None
    res = qopt.solve(problem, "milp", postprocess=False)
    assert res.status == "optimal" and res.feasible
    assert res.objective == problem.optimum and res.gap == 0.0
    assert res.raw.objective == problem.optimum       # straight from HiGHS, no post-processing


@pytest.mark.parametrize("name", MIS)
def test_mis_listed_optimum(name):
    problem = qopt.load("mis", name)
    res = qopt.solve(problem, "milp", postprocess=False)
    assert res.status == "optimal" and res.feasible
    assert res.objective == problem.optimum


def test_clique_cuts_keep_the_optimum():
    problem = qopt.load("mis", "1tc.32")
    res = qopt.solve(problem, "milp", clique_cuts=True, postprocess=False)
    assert res.info["clique_rows"] > 0
    assert res.objective == problem.optimum
    # every clique found is a clique of the conflict graph
    program = problem.to_program()
    edges = {tuple(sorted(np.flatnonzero(program.A.getrow(r).toarray().ravel())))
             for r in range(program.num_constraints)}
    for clique in _clique_cover(program):
        assert len(clique) >= 3
        assert all((a, b) in edges for i, a in enumerate(clique) for b in clique[i + 1:])


CLASSES = [("mdkp", (10, 3)), ("mis", 12), ("qap", 3), ("maxcut", 10), ("msp", (2, 10))]


@pytest.mark.parametrize("kind,size", CLASSES)
@pytest.mark.parametrize("seed", [0, 1])
def test_exact_and_milp_agree_on_random_instances(kind, size, seed):
    problem = qopt.generate(kind, size, seed)
    a = qopt.solve(problem, "exact", postprocess=False)
    b = qopt.solve(problem, "milp", postprocess=False)
    if a.status == "optimal":
        assert b.status == "optimal" and b.feasible
        assert b.objective == pytest.approx(a.objective)
    else:                               # random market split instances are often infeasible
        assert kind == "msp" and b.status == "infeasible"
        assert b.solution == [0] * problem.num_vars


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_and_milp_agree_on_feasible_market_split(seed):
    problem = MarketSplit.generate((2, 12), seed, planted=True)
    a = qopt.solve(problem, "exact", postprocess=False)
    b = qopt.solve(problem, "milp", postprocess=False)
    assert a.status == b.status == "optimal"
    assert a.objective == b.objective == 0.0


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 9), m=st.integers(0, 3))
def test_exact_and_milp_agree_on_random_programs(seed, n, m):
    rng = np.random.default_rng(seed)
    quad = rng.normal(size=(n, n)) * (rng.random((n, n)) < 0.5)
    p = BinaryProgram(n, rng.normal(size=n), quad, offset=1.25, sense=("min", "max")[seed % 2])
    for k in range(m):
        p.add_constraint(rng.integers(-2, 5, size=n), ("<=", "==", ">=")[k % 3],
                         int(rng.integers(-1, 2 + n)))
    a = qopt.solve(p, "exact", postprocess=False)
    b = qopt.solve(p, "milp", postprocess=False)
    if a.status == "optimal":
        assert b.status == "optimal"
        assert b.objective == pytest.approx(a.objective, abs=1e-6)
        assert b.info["objective_value"] == pytest.approx(a.objective, abs=1e-6)
    else:
        assert b.status == "infeasible" and b.solution == [0] * n


def test_linearisation_uses_only_needed_mccormick_rows():
    # minimise 3 x0 x1 - 2 x1 x2: one row for the positive term, two for the negative one
    p = BinaryProgram(3, None, {(0, 1): 3.0, (1, 2): -2.0})
    model = linearise(p)
    assert model.num_linearised == 2 and model.A.shape == (3, 5)
    # maximisation flips the signs: now the (1, 2) term is positive in minimisation form
    q = BinaryProgram(3, None, {(0, 1): 3.0, (1, 2): -2.0, (0, 2): 1.0}, sense="max")
    assert linearise(q).A.shape == (5, 6)          # (0,1),(0,2): 2 rows each; (1,2): 1
    res = qopt.solve(q, "milp")
    assert res.objective == 3.0 and res.solution == [1, 1, 0]


def test_linearisation_limit_names_terms_and_option():
    n = 12
    p = BinaryProgram(n, None, np.triu(np.ones((n, n)), 1))      # 66 terms
    with pytest.raises(SizeLimitError, match=r"66 terms.*max_linearised_terms = 50"):
        qopt.solve(p, "milp", max_linearised_terms=50)


def test_time_limit_status():
    # a hard market-split instance (infeasibility is slow to prove by branch and bound)
    problem = qopt.generate("msp", (4, 30), 1)
    res = qopt.solve(problem, "milp", time_limit=0.5, lattice=False, postprocess=False)
    assert res.status in ("time_limit", "time_limit_no_incumbent")
    assert res.info["highs_status"] == "kTimeLimit"


def test_options_are_validated_by_name():
    for bad in ({"time_limit": -1}, {"mip_rel_gap": 2.0}, {"node_limit": 0},
                {"max_linearised_terms": -5}):
        with pytest.raises(OptionError, match=next(iter(bad))):
            MilpSolver(**bad)


def test_budget_is_recorded_as_ignored():
    out = MilpSolver().run(Task(ProgramProblem(BinaryProgram(2, [1.0, -1.0]))), budget=10)
    assert out.status == "optimal" and out.samples.bits.tolist() == [[0, 1]]
    assert out.info["budget_ignored"] is True
