"""Exact enumeration: size guard, ties, infeasible programs, equality with brute force."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qopt
from qopt import BinaryProgram, OptionError, SizeLimitError
from qopt.bits import indices_to_bits
from qopt.problems.base import Problem
from qopt.problems.custom import ProgramProblem, QUBOProblem
from qopt.solvers.base import Task
from qopt.solvers.classical.exact import ExactSolver


def brute_force(program: BinaryProgram):
    """(optimal native value or None, optimal state indices, least violation) by full table."""
    n = program.num_vars
    X = indices_to_bits(np.arange(1 << n), n)
    obj, viol = program.objective(X), program.violation(X)
    feasible = viol <= 1e-9
    if not feasible.any():
        return None, np.zeros(0, dtype=np.int64), float(viol.min())
    vals = obj if program.sense == "min" else -obj
    best = vals[feasible].min()
    idx = np.flatnonzero(feasible & np.isclose(vals, best, rtol=1e-9, atol=1e-9))
    return float(obj[idx[0]]), idx, 0.0


def random_program(seed: int, n: int, m: int, quadratic: bool = True) -> BinaryProgram:
    rng = np.random.default_rng(seed)
    quad = rng.integers(-3, 4, size=(n, n)) * (rng.random((n, n)) < 0.5) if quadratic else None
    p = BinaryProgram(n, rng.integers(-5, 6, size=n), quad, offset=float(rng.integers(-3, 4)),
                      sense=("min", "max")[seed % 2])
    for k in range(m):
        p.add_constraint(rng.integers(-2, 5, size=n), ("<=", "==", ">=")[k % 3],
                         int(rng.integers(-1, 2 + n)))
    return p


class _Untouchable(Problem):
    """A problem that fails the test if the solver does any work on it."""

    kind = "untouchable"

    def __init__(self, n: int):
        super().__init__("untouchable")
        self._n = n

    @property
    def num_vars(self) -> int:
        return self._n

    def evaluate_batch(self, X):
        raise AssertionError("evaluated although too large")

    def violation_batch(self, X):
        raise AssertionError("evaluated although too large")

    def build_program(self):
        raise AssertionError("built the program although too large")

    def decode(self, bits):
        return list(bits)

    def encode(self, solution):
        return np.asarray(solution, dtype=np.uint8)


def test_size_guard_refuses_before_any_work():
    with pytest.raises(SizeLimitError, match=r"n = 31.*max_vars = 30"):
        ExactSolver().run(Task(_Untouchable(31)))
    with pytest.raises(SizeLimitError, match=r"n = 11.*max_vars = 10"):
        ExactSolver(max_vars=10).run(Task(_Untouchable(11)))
    # a 40-variable QUBO through qopt.solve is refused too (no 2^40 table is built)
    with pytest.raises(SizeLimitError, match="40"):
        qopt.solve(np.eye(40), "exact")


def test_bad_options_name_the_option():
    for bad in ({"max_vars": 0}, {"max_samples": 0}, {"chunk_bits": 2}, {"method": "magic"}):
        with pytest.raises(OptionError, match=next(iter(bad))):
            ExactSolver(**bad)


def test_all_ties_returned_and_capped():
    # zero objective: all 16 states tie
    flat = BinaryProgram(4)
    out = ExactSolver().run(Task(ProgramProblem(flat)))
    assert out.status == "optimal" and out.info["num_optimal"] == 16
    assert len(np.unique(out.samples.bits, axis=0)) == 16
    capped = ExactSolver(max_samples=5).run(Task(ProgramProblem(flat)))
    assert len(capped.samples.bits) == 5 and capped.info["samples_capped"]
    # MaxCut-style symmetry: x and its complement tie (QUBO path)
    G = [(0, 1), (1, 2), (2, 3), (3, 0), (0, 2)]
    M = np.zeros((4, 4))
    for i, j in G:
        M[i, i] -= 1
        M[j, j] -= 1
        M[i, j] += 2
    out = ExactSolver().run(Task(QUBOProblem(qopt.QUBO.from_matrix(M))))
    rows = {tuple(r) for r in out.samples.bits}
    assert out.info["method"] == "qubo-diagonal"
    assert rows == {tuple(1 - np.array(r)) for r in rows}  # closed under complement
    assert out.info["optimal_value"] == -4.0 and out.evaluations == 16


def test_infeasible_returns_least_violation():
    p = BinaryProgram(3, [1.0, 2.0, 3.0], sense="max")
    p.add_constraint([1, 1, 0], ">=", 3)            # best possible: x0 = x1 = 1, violation 1
    p.add_constraint([0, 0, 1], "<=", 1)
    out = ExactSolver().run(Task(ProgramProblem(p)))
    assert out.status == "infeasible"
    assert out.info["least_violation"] == 1.0
    # ties in violation are broken by the objective: x2 = 1 is better for a maximisation
    assert out.samples.bits.tolist() == [[1, 1, 1]]
    res = qopt.solve(p, "exact", postprocess=False)
    assert res.status == "infeasible" and not res.feasible and res.violation == 1.0


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 9), m=st.integers(0, 3))
def test_equals_brute_force(seed, n, m):
    program = random_program(seed, n, m)
    value, optimal, least = brute_force(program)
    for method in ("auto", "batch"):
        out = ExactSolver(method=method, chunk_bits=4).run(Task(ProgramProblem(program)))
        assert out.evaluations == 1 << n
        found = np.sort(np.asarray(out.samples.bits, dtype=np.int64) @ (1 << np.arange(n)))
        if value is None:
            assert out.status == "infeasible"
            assert program.violation(out.samples.bits[0]) == pytest.approx(least)
        else:
            assert out.status == "optimal"
            assert out.info["optimal_value"] == pytest.approx(value)
            np.testing.assert_array_equal(found, optimal)


def test_chunked_matches_single_chunk_on_larger_program():
    """18 variables, 4 chunks of 2^16: doubling over chunks equals the problem's own batch."""
    program = random_program(7, 18, 2)
    a = ExactSolver(chunk_bits=16).run(Task(ProgramProblem(program)))
    b = ExactSolver(method="batch", chunk_bits=16).run(Task(ProgramProblem(program)))
    assert a.info["method"] == "program-doubling" and b.info["method"] == "batch-evaluate"
    assert a.info["optimal_value"] == pytest.approx(b.info["optimal_value"])
    np.testing.assert_array_equal(a.samples.bits, b.samples.bits)
    assert program.objective(a.samples.bits[0]) == pytest.approx(a.info["optimal_value"])


def test_registered_problem_optimum():
    p = qopt.load("mdkp", "pet2")
    res = qopt.solve(p, "exact", postprocess=False)
    assert res.status == "optimal" and res.objective == p.optimum and res.gap == 0.0
