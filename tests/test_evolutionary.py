"""pymoo genetic algorithms: binary GA with repair, permutation GA for QAP."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qopt
from qopt.errors import OptionError
from qopt.problems import generate, load
from qopt.solvers.base import Task
from qopt.solvers.classical.evolutionary import (
    GASolver,
    inversion_mutation,
    permutation_mutation,
    swap_mutation,
)

MDKP = ["hp1", "hp2", "pb1", "pb2", "pb4", "pb5", "pet2", "pet3", "pet4", "pet5", "pet6", "pet7"]
MIS = ["1tc.8", "1tc.16", "1tc.32", "1tc.64"]


@pytest.mark.parametrize("name", MDKP)
def test_ga_feasible_on_every_mdkp(name, counted):
    p = load("mdkp", name)
    seen = counted(p)
    out = GASolver(pop_size=24).run(Task(p), seed=0, budget=400)
    assert seen["rows"] == out.evaluations <= 400
    x = out.samples.bits[0]
    assert p.is_feasible(x)
    # binary variables stay binary: every evaluated candidate is a 0/1 row
    X = np.concatenate(seen["X"])
    assert X.dtype == np.uint8 and set(np.unique(X)) <= {0, 1}
    # the returned solution is the best evaluated one
    feas = p.is_feasible(X)
    assert p.evaluate(x) == p.evaluate(X[feas]).max()


@pytest.mark.parametrize("name", MIS)
def test_ga_feasible_on_mis(name, counted):
    p = load("mis", name)
    seen = counted(p)
    out = GASolver(pop_size=24).run(Task(p), seed=1, budget=400)
    assert seen["rows"] == out.evaluations <= 400
    assert p.is_feasible(out.samples.bits[0])


def test_ga_finds_small_optima():
    r = qopt.solve("mdkp:pet2", solver="ga", seed=0, budget=1000, postprocess=False)
    assert r.feasible and r.objective == r.optimum == 87061
    r = qopt.solve("mis:1tc.16", solver="ga", seed=0, budget=600, postprocess=False)
    assert r.feasible and r.objective == r.optimum == 8


def test_ga_two_point_and_unconstrained():
    p = load("maxcut", "reg3_16")
    r = qopt.solve(p, solver="ga", crossover="two-point", seed=2, budget=600,
                   postprocess=False)
    assert r.evaluations <= 600 and r.feasible and r.info["crossover"] == "two-point"
    exact = qopt.solve(p, solver="exact", postprocess=False)
    assert r.objective <= exact.objective


def test_ga_seeded():
    p = load("mdkp", "pb2")
    a = GASolver(pop_size=20).run(Task(p), seed=9, budget=500)
    b = GASolver(pop_size=20).run(Task(p), seed=9, budget=500)
    assert np.array_equal(a.samples.bits, b.samples.bits) and a.history == b.history


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**20), mutation=st.sampled_from(["swap", "inversion", "mixed"]),
       name=st.sampled_from(["tai10a", "nug12", "chr12a"]), budget=st.integers(1, 300))
def test_permutation_ga_returns_valid_permutation(seed, mutation, name, budget, counted):
    q = load("qap", name)
    seen = counted(q)
    out = GASolver(pop_size=20, mutation=mutation).run(Task(q), seed=seed, budget=budget)
    assert out.info["encoding"] == "permutation"
    assert seen["rows"] == out.evaluations <= budget
    X = np.concatenate(seen["X"])
    assert q.is_feasible(X).all()  # every candidate evaluated was a permutation
    x = out.samples.bits[0]
    assert q.is_feasible(x) and sorted(q.decode(x)) == list(range(q.n))


def test_permutation_ga_beats_random_on_qap():
    q = load("qap", "nug12")
    ga = qopt.solve(q, solver="ga", seed=0, budget=3000, postprocess=False)
    rnd = qopt.solve(q, solver="random", seed=0, budget=3000, postprocess=False)
    assert ga.feasible and sorted(ga.decoded) == list(range(12))
    assert ga.objective < rnd.objective and ga.gap < 0.10


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**20), m=st.integers(1, 15), k=st.integers(1, 20))
def test_permutation_mutations_keep_permutations(seed, m, k):
    rng = np.random.default_rng(seed)
    P = np.argsort(rng.random((k, m)), axis=1)
    rows = rng.random(k) < 0.7
    for Y in (swap_mutation(P, rows, rng), inversion_mutation(P, rows, rng),
              permutation_mutation(P, "mixed", 0.8, rng)):
        assert np.array_equal(np.sort(Y, axis=1), np.sort(P, axis=1))
    S = swap_mutation(P, rows, rng)
    if m >= 2:  # a swap moves exactly two items of every selected row
        assert np.all((S != P).sum(axis=1)[rows] == 2)
    assert np.array_equal(S[~rows], P[~rows])
    inv = inversion_mutation(P, np.ones(k, bool), rng)
    diff = np.flatnonzero(inv[0] != P[0])
    if diff.size:  # the changed positions form one reversed segment
        a, b = diff.min(), diff.max()
        assert np.array_equal(inv[0, a:b + 1], P[0, a:b + 1][::-1])


def test_ga_options_checked():
    with pytest.raises(OptionError):
        GASolver(pop_size=1)
    with pytest.raises(OptionError):
        GASolver(crossover="pmx")
    with pytest.raises(OptionError):
        GASolver(mutation_rate=0.0)
    with pytest.raises(OptionError):
        GASolver(genome="permutation").run(Task(load("mdkp", "pet2")), budget=10)
    with pytest.raises(OptionError):
        GASolver(crossover="order").run(Task(load("mdkp", "pet2")), budget=10)
    with pytest.raises(OptionError):
        GASolver(mutation="bitflip").run(Task(load("qap", "tai10a")), budget=10)


def test_ga_on_generated_msp_counts_budget(counted):
    p = generate("msp", 3, seed=1)
    seen = counted(p)
    out = GASolver(pop_size=30).run(Task(p), seed=4, budget=777)
    assert seen["rows"] == out.evaluations <= 777
    assert out.info["repair_evaluations"] > 0  # a local-search repair is charged


def test_permutation_ga_on_a_one_facility_qap(counted):
    q = generate("qap", 1, 0)
    seen = counted(q)
    out = GASolver().run(Task(q), seed=0, budget=50)
    assert seen["rows"] == out.evaluations == 1
    assert out.samples.bits[0].tolist() == [1] and q.is_feasible(out.samples.bits[0])


def test_genome_option_is_reachable_from_python_and_the_cli(capsys):
    """ga's genome is its own option: qopt.solve's QUBO ``encoding`` never shadows it."""
    import json

    from qopt import cli
    r = qopt.solve("qap:chr12a", solver="ga", genome="binary", budget=400, seed=0,
                   postprocess=False)
    assert r.info["encoding"] == "binary"
    assert cli.main(["solve", "qap", "--instance", "chr12a", "--solver", "ga", "--genome",
                     "permutation", "--budget", "400", "--json", "--no-progress"]) == 0
    assert json.loads(capsys.readouterr().out)["info"]["encoding"] == "permutation"
