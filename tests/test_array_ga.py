"""The vectorised pieces of the binary GA: batch repair, duplicate keys, tournaments."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qopt
from qopt.problems.base import Problem
from qopt.problems.independent_set_repair import greedy_independent_repair
from qopt.problems.knapsack_repair import greedy_repair
from qopt.solvers.classical.array_ga import new_rows, order_crossover, tournament
from qopt.solving import as_problem


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), m=st.integers(1, 6), seed=st.integers(0, 10_000),
       density=st.floats(0.0, 1.0))
def test_batch_repair_is_the_row_repair(n, m, seed, density):
    problem = qopt.generate("mdkp", (n, m), seed)
    X = (np.random.default_rng(seed).random((30, n)) < density).astype(np.uint8)
    rows = Problem.repair_batch(problem, X)               # the protocol's row-by-row default
    np.testing.assert_array_equal(problem.repair_batch(X), rows)
    np.testing.assert_array_equal(
        greedy_repair(X, problem.weights, problem.capacities, problem._ratio, kernel="numpy"),
        rows)
    assert problem.is_feasible(rows[0]) and (problem.violation_batch(rows) == 0).all()


@settings(max_examples=25, deadline=None)
@given(n=st.integers(4, 40), p=st.floats(0.05, 0.9), seed=st.integers(0, 10_000),
       density=st.floats(0.0, 1.0))
def test_batch_independent_set_repair_is_the_row_repair(n, p, seed, density):
    import networkx as nx

    problem = as_problem(nx.gnp_random_graph(n, p, seed=seed), kind="mis")
    X = (np.random.default_rng(seed).random((20, n)) < density).astype(np.uint8)
    rows = Problem.repair_batch(problem, X)
    np.testing.assert_array_equal(problem.repair_batch(X), rows)
    np.testing.assert_array_equal(
        greedy_independent_repair(X, problem.adjacency, problem.degree, kernel="numpy"), rows)
    assert (problem.violation_batch(rows) == 0).all()


@pytest.mark.parametrize("n", [3, 64, 65, 200])
def test_new_rows_marks_first_unseen_rows(n):
    rng = np.random.default_rng(n)
    known = rng.random((6, n)) < 0.5
    cand = np.concatenate([known[:2], rng.random((5, n)) < 0.5, known[3:4]])
    cand = np.concatenate([cand, cand[2:4]])              # repeats among the candidates
    seen, expected = {k.tobytes() for k in known}, []
    for row in cand:
        expected.append(row.tobytes() not in seen)
        seen.add(row.tobytes())
    assert new_rows(cand, known).tolist() == expected


def test_tournament_prefers_feasible_then_lower_objective():
    f = np.array([5.0, 1.0, 0.0, 3.0])
    v = np.array([0.0, 0.0, 2.0, 0.0])
    wins = tournament(np.random.default_rng(0), f, v, 4000)
    counts = np.bincount(wins, minlength=4)
    # expected shares 7/16, 5/16, 3/16, 1/16: row 1 wins every tournament it enters, row 3
    # all but those against row 1, row 0 only against itself and row 2, row 2 only against
    # itself
    np.testing.assert_allclose(counts / 4000, [3 / 16, 7 / 16, 1 / 16, 5 / 16], atol=0.03)


def test_order_crossover_is_pymoos_ox():
    from pymoo.operators.crossover.ox import ox

    rng = np.random.default_rng(3)
    A = np.argsort(rng.random((60, 9)), axis=1)
    B = np.argsort(rng.random((60, 9)), axis=1)
    kids = order_crossover(np.random.default_rng(5), A, B, 1.0)
    # the same draws give the same segments [start, end] (two distinct cut positions)
    ends = np.sort(np.argsort(np.random.default_rng(5).random((60, 9)), axis=1)[:, :2], axis=1)
    for i, (s, e) in enumerate(ends):
        np.testing.assert_array_equal(kids[i], ox(A[i], B[i], seq=(s, e)))
        np.testing.assert_array_equal(kids[60 + i], ox(B[i], A[i], seq=(s, e)))
    copies = order_crossover(rng, A, B, 0.0)
    np.testing.assert_array_equal(copies, np.concatenate([A, B]))


def test_qap_batch_encoding_is_the_row_encoding():
    problem = qopt.load("qap", "chr12a")
    P = np.argsort(np.random.default_rng(0).random((40, 12)), axis=1)
    P[3, 4] = -1                                          # an empty row is allowed
    np.testing.assert_array_equal(problem.encode_batch(P), Problem.encode_batch(problem, P))
