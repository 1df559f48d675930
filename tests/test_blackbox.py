"""Black-box view: the evaluation counter, the budget, the incumbent; random search; every
budgeted classical baseline honours ``budget`` in the same unit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qopt
from qopt.errors import OptionError
from qopt.problems import load
from qopt.solvers.base import Task
from qopt.solvers.classical.blackbox import (
    DEFAULT_BUDGET,
    BlackBox,
    BudgetExhausted,
    check_budget,
    random_permutations,
)
from qopt.solvers.classical.random_search import RandomSearchSolver
from qopt.solvers.registry import make_solver

MDKP = ["hp1", "hp2", "pb1", "pb2", "pb4", "pb5", "pet2", "pet3", "pet4", "pet5", "pet6", "pet7"]
MIS = ["1tc.8", "1tc.16", "1tc.32", "1tc.64"]


def test_counter_and_budget_refusal(counted):
    p = load("mdkp", "pet2")
    bb = BlackBox(p, budget=10)
    seen = counted(p)
    X = np.zeros((4, p.num_vars), dtype=np.uint8)
    f, v = bb.evaluate(X)
    assert f.shape == (4,) and np.all(v == 0) and np.all(f == 0)
    assert bb.evaluations == 4 and bb.remaining == 6
    with pytest.raises(BudgetExhausted):
        bb.evaluate(np.zeros((7, p.num_vars), dtype=np.uint8))
    assert bb.evaluations == 4 and seen["rows"] == 4  # the refused batch was not evaluated
    f, _ = bb.evaluate_upto(np.ones((9, p.num_vars), dtype=np.uint8))
    assert len(f) == 6 and bb.exhausted and bb.evaluations == 10 == seen["rows"]
    f, _ = bb.evaluate_upto(np.ones((3, p.num_vars), dtype=np.uint8))
    assert len(f) == 0 and bb.evaluations == 10 == seen["rows"]


def test_objective_is_minimisation_and_incumbent_is_best_feasible():
    p = load("mdkp", "pet3")  # maximisation
    rng = np.random.default_rng(0)
    X = (rng.random((200, p.num_vars)) < 0.5).astype(np.uint8)
    bb = BlackBox(p, budget=1000)
    f, v = bb.evaluate(X)
    np.testing.assert_allclose(f, -p.evaluate(X))
    np.testing.assert_allclose(v, p.violation(X))
    feas = v <= 1e-9
    assert feas.any() and not feas.all()
    assert bb.best_v == 0 and bb.best_f == f[feas].min()
    assert p.evaluate(bb.best_x) == p.evaluate(X[feas]).max()
    assert bb.history[-1] == {"evaluations": 200, "best": p.evaluate(bb.best_x),
                              "feasible": True}
    # a worse batch leaves the incumbent alone
    best = bb.best_x.copy()
    bb.evaluate(np.zeros((1, p.num_vars), dtype=np.uint8))
    assert np.array_equal(bb.best_x, best)


def test_incumbent_prefers_smaller_violation_when_nothing_is_feasible():
    p = load("mis", "1tc.8")
    bb = BlackBox(p, budget=5)
    full = np.ones((1, 8), dtype=np.uint8)
    bb.evaluate(full)
    y = full.copy()
    y[0, :4] = 0
    bb.evaluate(y)
    assert p.violation(bb.best_x) == min(p.violation(full[0]), p.violation(y[0]))


@pytest.mark.parametrize("bad", [0, -3, 1.5, True, "10"])
def test_bad_budget(bad):
    with pytest.raises(OptionError):
        check_budget(bad)
    with pytest.raises(OptionError):
        RandomSearchSolver().run(Task(load("mdkp", "pet2")), budget=bad)


def test_default_budget():
    assert BlackBox(load("mdkp", "pet2")).budget == DEFAULT_BUDGET


def test_repair_is_the_problems_and_not_counted():
    p = load("mdkp", "hp1")
    bb = BlackBox(p, budget=3)
    X = np.ones((5, p.num_vars), dtype=np.uint8)
    R = bb.repair(X)
    assert bb.evaluations == 0 and bb.has_repair
    assert np.array_equal(R[0], p.repair(X[0])) and p.is_feasible(R).all()


def test_permutation_view():
    q = load("qap", "tai10a")
    bb = BlackBox(q, budget=100)
    assert bb.permutation_size == 10
    assert BlackBox(load("mdkp", "hp1")).permutation_size is None
    assert BlackBox(load("mis", "1tc.16")).permutation_size is None
    P = random_permutations(np.random.default_rng(1), 20, 10)
    assert np.array_equal(np.sort(P, axis=1), np.tile(np.arange(10), (20, 1)))
    B = bb.encode_permutations(P)
    assert q.is_feasible(B).all()
    assert [q.decode(b) for b in B] == P.tolist()
    f, _ = bb.evaluate_permutations(P)
    np.testing.assert_allclose(f, q.evaluate(B))
    assert bb.evaluations == 20
    with pytest.raises(OptionError):
        BlackBox(load("mdkp", "hp1")).encode_permutations(P)


@pytest.mark.parametrize("name", MDKP)
def test_random_search_feasible_on_every_mdkp(name, counted):
    p = load("mdkp", name)
    seen = counted(p)
    out = RandomSearchSolver(batch_size=64).run(Task(p), seed=0, budget=300)
    assert out.evaluations == 300 == seen["rows"]
    assert p.is_feasible(out.samples.bits[0])


@pytest.mark.parametrize("name", MIS)
def test_random_search_feasible_on_mis(name, counted):
    p = load("mis", name)
    seen = counted(p)
    out = RandomSearchSolver().run(Task(p), seed=1, budget=300)
    assert out.evaluations == 300 == seen["rows"]
    assert p.is_feasible(out.samples.bits[0])


def test_random_search_on_qap_gives_permutations():
    q = load("qap", "nug12")
    r = qopt.solve(q, solver="random", seed=3, budget=500, postprocess=False)
    assert r.feasible and sorted(r.decoded) == list(range(12)) and r.evaluations == 500


def test_random_search_seeded():
    p = load("mdkp", "pb1")
    a = RandomSearchSolver().run(Task(p), seed=5, budget=400)
    b = RandomSearchSolver().run(Task(p), seed=5, budget=400)
    assert np.array_equal(a.samples.bits, b.samples.bits) and a.history == b.history


SMALL = {"random": {"batch_size": 32}, "ga": {"pop_size": 16},
         "map-elites": {"batch_size": 8, "initial": 20, "cells": 5}}


@settings(max_examples=8, deadline=None)
@given(solver=st.sampled_from(sorted(SMALL)), budget=st.integers(1, 230),
       seed=st.integers(0, 2**16),
       instance=st.sampled_from(["mdkp:pet3", "mis:1tc.16", "msp:msp_m3_s1", "qap:tai10a"]))
def test_budget_never_exceeded(solver, budget, seed, instance, counted):
    kind, name = instance.split(":")
    p = load(kind, name)
    seen = counted(p)
    out = make_solver(solver, **SMALL[solver]).run(Task(p), seed=seed, budget=budget)
    assert seen["rows"] == out.evaluations <= budget  # repair's own evaluations included
    assert out.info["budget"] == budget
    assert out.history[-1]["evaluations"] == out.evaluations


@pytest.mark.parametrize("solver", ["random", "ga", "map-elites", "anneal"])
def test_every_baseline_honours_budget_through_solve(solver):
    """Random search, GA, MAP-Elites and simulated annealing behind the same interface:
    ``qopt.solve(..., budget=B)`` records the budget and spends at most B evaluations."""
    r = qopt.solve("mdkp:pet2", solver=solver, seed=0, budget=1500)
    assert r.budget == 1500 and r.evaluations is not None and 0 < r.evaluations <= 1500
    assert r.feasible
