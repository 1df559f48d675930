"""MAP-Elites on a pyribs grid archive: feasibility, coverage, best vs elites, features,
permutation emitter, heatmap, budget."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qopt
from qopt.errors import OptionError
from qopt.problems import load
from qopt.solvers.base import Task
from qopt.solvers.classical.blackbox import better
from qopt.solvers.classical.map_elites import (
    DEFAULT_FEATURES,
    FEATURES,
    MapElitesSolver,
    default_feature_names,
    resolve_features,
)

MDKP = ["hp1", "hp2", "pb1", "pb2", "pb4", "pb5", "pet2", "pet3", "pet4", "pet5", "pet6", "pet7"]
MIS = ["1tc.8", "1tc.16", "1tc.32", "1tc.64"]
FAST = {"batch_size": 25, "initial": 50, "cells": 10}


def check_best_vs_elites(problem, out, solver):
    """The returned best is never worse, in (violation, objective) order, than any elite."""
    x = out.samples.bits[0]
    fb = problem.to_minimisation(problem.evaluate(x))
    vb = problem.violation(x)
    el = out.info["archive"]["elites"]
    data = solver.archive_.data()
    assert len(el["objective"]) == len(data["index"]) == out.info["archive"]["filled"]
    for f, v in zip(el["objective"], el["violation"], strict=True):
        assert not better(v, problem.to_minimisation(f), vb, fb)
    # the elites' stored objective and violation are the problem's own
    m = problem.permutation_size() if hasattr(problem, "permutation_size") else None
    sol = data["solution"]
    if sol.shape[1] == problem.num_vars and not m:
        np.testing.assert_allclose(data["native"], problem.evaluate(sol.astype(np.uint8)))
        np.testing.assert_allclose(data["violation"], problem.violation(sol.astype(np.uint8)))


@pytest.mark.parametrize("name", MDKP)
def test_map_elites_feasible_on_every_mdkp(name, counted):
    p = load("mdkp", name)
    seen = counted(p)
    s = MapElitesSolver(**FAST)
    out = s.run(Task(p), seed=0, budget=400)
    assert seen["rows"] == out.evaluations <= 400
    assert p.is_feasible(out.samples.bits[0])
    a = out.info["archive"]
    assert a["features"] == ["ones", "constraint_use"]
    assert a["filled"] > 1
    assert a["coverage"] == pytest.approx(a["filled"] / a["num_cells"])
    check_best_vs_elites(p, out, s)


@pytest.mark.parametrize("name", MIS)
def test_map_elites_feasible_on_mis(name, counted):
    p = load("mis", name)
    seen = counted(p)
    s = MapElitesSolver(**FAST)
    out = s.run(Task(p), seed=1, budget=400)
    assert seen["rows"] == out.evaluations <= 400
    assert p.is_feasible(out.samples.bits[0])
    assert out.info["archive"]["features"] == ["ones", "degree"]
    # on 1tc.8 every repaired candidate is a 4-vertex set with the same degree mix: one cell
    assert out.info["archive"]["filled"] > (1 if name != "1tc.8" else 0)
    check_best_vs_elites(p, out, s)


def test_map_elites_on_qap_permutations(tmp_path, counted):
    q = load("qap", "tai10a")
    seen = counted(q)
    s = MapElitesSolver(batch_size=20, initial=40, heatmap=str(tmp_path / "qap.png"))
    out = s.run(Task(q), seed=2, budget=700)
    assert seen["rows"] == out.evaluations <= 700
    x = out.samples.bits[0]
    assert q.is_feasible(x) and sorted(q.decode(x)) == list(range(10))
    a = out.info["archive"]
    assert a["features"] == ["displacement", "objective"] and a["filled"] > 1
    P = s.archive_.data()["solution"]
    assert np.array_equal(np.sort(P, axis=1), np.tile(np.arange(10), (len(P), 1)))
    np.testing.assert_allclose(s.archive_.data()["native"],
                               q.evaluate(np.stack([q.encode(p) for p in P])))
    check_best_vs_elites(q, out, s)
    assert (tmp_path / "qap.png").stat().st_size > 1000 and a["heatmap"].endswith("qap.png")


def test_map_elites_maxcut_and_heatmap(tmp_path):
    p = load("maxcut", "reg3_16")
    path = tmp_path / "cut.png"
    r = qopt.solve(p, solver="map-elites", seed=0, budget=600, heatmap=str(path),
                   postprocess=False, **FAST)
    assert r.info["archive"]["features"] == ["balance", "objective"]
    assert r.info["archive"]["filled"] > 1 and r.evaluations <= 600
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    exact = qopt.solve(p, solver="exact", postprocess=False)
    assert r.objective <= exact.objective


def test_map_elites_reaches_small_optimum():
    r = qopt.solve("mdkp:pet3", solver="map-elites", seed=0, budget=3000, postprocess=False)
    assert r.feasible and r.gap < 0.02


def test_default_features_by_kind():
    assert default_feature_names(load("mdkp", "pet2"), False) == DEFAULT_FEATURES["mdkp"]
    assert default_feature_names(load("mis", "1tc.8"), False) == ("ones", "degree")
    assert default_feature_names(load("qap", "tai10a"), True) == ("displacement", "objective")
    assert default_feature_names(load("maxcut", "reg3_16"), False) == ("balance", "objective")
    assert default_feature_names(load("msp", "msp_m2_s1"), False) == ("ones", "objective")

    class Own:
        kind = "mdkp"
        map_elites_features = ("ones", "objective")

    assert default_feature_names(Own(), False) == ("ones", "objective")


def test_feature_errors():
    with pytest.raises(OptionError):
        resolve_features(["nope"], load("mdkp", "pet2"), False)
    with pytest.raises(OptionError):
        resolve_features("displacement", load("mdkp", "pet2"), False)
    with pytest.raises(OptionError):  # maxcut has no <= constraints
        resolve_features("constraint_use", load("maxcut", "reg3_16"), False)
    with pytest.raises(OptionError):
        MapElitesSolver(cells=0)
    with pytest.raises(OptionError):
        MapElitesSolver(permutation_mutation="scramble")
    with pytest.raises(OptionError):
        MapElitesSolver(features="ones,objective", cells=(4, 4, 4)).run(
            Task(load("mdkp", "pet2")), budget=50)


def test_degree_feature_is_graph_degree():
    p = load("mis", "1tc.16")
    ft = resolve_features("degree", p, False)[0]
    deg = np.asarray(p.adjacency.sum(axis=1)).reshape(-1)
    X = np.zeros((p.num_vars, p.num_vars), dtype=np.uint8)
    np.fill_diagonal(X, 1)  # row i chooses vertex i alone
    np.testing.assert_allclose(ft.compute(X, np.ones(len(X)), None), deg / deg.max())


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**20), name=st.sampled_from(["ones", "balance", "constraint_use"]))
def test_bounded_features_in_unit_range(seed, name):
    p = load("mdkp", "hp1")
    ft = FEATURES[name](p)
    X = (np.random.default_rng(seed).random((30, p.num_vars)) < 0.5).astype(np.uint8)
    vals = ft.compute(X, p.evaluate(X), None)
    assert vals.shape == (30,) and np.all((vals >= 0) & (vals <= 1))
    if name == "constraint_use":
        prog = p.to_program()
        np.testing.assert_allclose(
            vals, np.clip((prog.A @ X.T.astype(float)).T / prog.rhs, 0, 1).mean(axis=1))


@settings(max_examples=6, deadline=None)
@given(budget=st.integers(1, 260), seed=st.integers(0, 2**16))
def test_map_elites_budget_never_exceeded(budget, seed, counted):
    p = load("mdkp", "pb5")
    seen = counted(p)
    out = MapElitesSolver(batch_size=30, initial=70, cells=8).run(Task(p), seed=seed,
                                                                   budget=budget)
    assert seen["rows"] == out.evaluations <= budget
    assert out.evaluations == budget  # it spends what it is given


def test_map_elites_seeded():
    p = load("mdkp", "pet4")
    a = MapElitesSolver(**FAST).run(Task(p), seed=3, budget=300)
    b = MapElitesSolver(**FAST).run(Task(p), seed=3, budget=300)
    assert np.array_equal(a.samples.bits, b.samples.bits)
    assert a.info["archive"] == b.info["archive"]
