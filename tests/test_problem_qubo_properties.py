"""Property tests for every problem class: native objective, BinaryProgram and QUBO agree.

Instances are small (at most 14 program variables), so every x in {0,1}^n is enumerated; the
QUBO's full diagonal (every slack value too) is checked when it has at most 20 variables, else
the best-slack completion of every x (the slack blocks are independent, so the completion is
the minimum over all slack values).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from qopt.bits import indices_to_bits
from qopt.model import program_to_qubo
from qopt.problems import MDKP, MIS, QAP, MarketSplit, MaxCut
from qopt.problems.mis import gnp_edges

SEEDS = st.integers(0, 2**32 - 1)
FULL_DIAGONAL_VARS = 20


@st.composite
def mdkp_instances(draw):
    if draw(st.booleans()):
        return MDKP.generate((draw(st.integers(1, 8)), draw(st.integers(1, 3))), draw(SEEDS))
    n, m = draw(st.integers(1, 8)), draw(st.integers(1, 2))
    W = draw(arrays(np.int64, (m, n), elements=st.integers(0, 6)))
    p = draw(arrays(np.int64, n, elements=st.integers(0, 9)))
    c = [draw(st.integers(0, int(W[i].sum()))) for i in range(m)]
    return MDKP(p, W, c)


@st.composite
def mis_instances(draw):
    n = draw(st.integers(1, 14))
    return MIS.generate((n, draw(st.floats(0.0, 1.0))), draw(SEEDS))


@st.composite
def qap_instances(draw):
    if draw(st.booleans()):
        return QAP.generate(draw(st.sampled_from([2, 3])), draw(SEEDS))
    A = draw(arrays(np.int64, (3, 3), elements=st.integers(-3, 6)))
    B = draw(arrays(np.int64, (3, 3), elements=st.integers(-3, 6)))
    return QAP(A, B)


@st.composite
def maxcut_instances(draw):
    if draw(st.booleans()):
        return MaxCut.generate(draw(st.sampled_from([4, 6, 8, 10, 12, 14])), draw(SEEDS))
    n = draw(st.integers(1, 14))
    edges = gnp_edges(n, draw(st.floats(0.0, 1.0)), np.random.default_rng(draw(SEEDS)))
    w = draw(arrays(np.int64, len(edges), elements=st.integers(-3, 3)))
    return MaxCut(n, edges, w)


@st.composite
def msp_instances(draw):
    choice = draw(st.integers(0, 2))
    if choice == 0:
        return MarketSplit.generate(2, draw(SEEDS))                  # n = 10(m - 1) = 10
    if choice == 1:
        return MarketSplit.generate((draw(st.integers(1, 3)), draw(st.integers(1, 12))),
                                    draw(SEEDS))
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 12))
    A = draw(arrays(np.int64, (m, n), elements=st.integers(0, 4)))
    return MarketSplit(A, A.sum(axis=1) // 2)


INSTANCES = {"mdkp": mdkp_instances(), "mis": mis_instances(), "qap": qap_instances(),
             "maxcut": maxcut_instances(), "msp": msp_instances()}
KINDS = sorted(INSTANCES)


def enumerate_all(problem):
    """(X all 2^n rows, native objective, feasibility mask)."""
    X = indices_to_bits(np.arange(1 << problem.num_vars), problem.num_vars)
    return X, problem.evaluate(X), problem.is_feasible(X)


def test_every_registered_class_is_covered():
    from qopt.problems import kinds

    assert set(kinds()) >= set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_feasible_energy_equals_native_objective(kind, data):
    """(a) E(complete(x)) == to_minimisation(evaluate(x)) for every feasible x."""
    problem = data.draw(INSTANCES[kind])
    X, f, feas = enumerate_all(problem)
    qubo = program_to_qubo(problem.to_program())
    if feas.any():
        energies = qubo.energy(qubo.complete(X[feas]))
        np.testing.assert_allclose(energies, problem.to_minimisation(f[feas]), atol=1e-7)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_auto_penalty_keeps_infeasible_above_optimum(kind, data):
    """(b) no infeasible x, with any slack, has energy at or below the optimum's energy."""
    problem = data.draw(INSTANCES[kind])
    X, f, feas = enumerate_all(problem)
    if not feas.any():
        return                                   # nothing to compare with (msp without solution)
    qubo = program_to_qubo(problem.to_program())
    e_opt = float(np.min(problem.to_minimisation(f[feas])))
    n = problem.num_vars
    if qubo.num_vars <= FULL_DIAGONAL_VARS:
        diag = qubo.diagonal()
        program_state = np.arange(diag.size) & ((1 << n) - 1)
        infeasible = ~feas[program_state]
        # the best feasible state of the whole QUBO is the optimum itself
        assert diag[~infeasible].min() == pytest.approx(e_opt, abs=1e-7)
        if infeasible.any():
            assert diag[infeasible].min() > e_opt + 1e-9
    elif (~feas).any():
        assert qubo.energy(qubo.complete(X[~feas])).min() > e_opt + 1e-9


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_encode_decode_roundtrip(kind, data):
    """(c) decode(encode(s)) == s for native solutions; encode(decode(x)) == x if feasible."""
    problem = data.draw(INSTANCES[kind])
    X, _, feas = enumerate_all(problem)
    rng = np.random.default_rng(data.draw(SEEDS))
    for x in X[feas][rng.permutation(int(feas.sum()))[:50]]:
        np.testing.assert_array_equal(problem.encode(problem.decode(x)), x)
    if kind == "qap":
        natives = [list(rng.permutation(problem.n)) for _ in range(10)]
        natives.append([*natives[0][:-1], -1])            # partial assignment
    else:
        natives = [problem.decode(x) for x in X[rng.integers(0, len(X), size=20)]]
    for s in natives:
        assert problem.decode(problem.encode(s)) == [int(v) if not isinstance(v, list) else v
                                                     for v in s]


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_native_agrees_with_program(kind, data):
    """(d) evaluate == program objective on feasible x; feasibility agrees everywhere."""
    problem = data.draw(INSTANCES[kind])
    X, f, feas = enumerate_all(problem)
    program = problem.to_program()
    assert program.num_vars == problem.num_vars
    assert program.sense == problem.sense
    np.testing.assert_array_equal(program.is_feasible(X), feas)
    np.testing.assert_allclose(program.objective(X[feas]), f[feas], atol=1e-9)
    np.testing.assert_allclose(problem.violation(X), program.violation(X), atol=1e-9)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_repair_returns_feasible(kind, data):
    """(e) repair gives feasible bits (msp: never a larger deviation, feasible x kept)."""
    problem = data.draw(INSTANCES[kind])
    X = indices_to_bits(np.arange(1 << problem.num_vars), problem.num_vars)
    rng = np.random.default_rng(data.draw(SEEDS))
    rows = rng.integers(0, len(X), size=25)
    for x in X[rows]:
        y = problem.repair(x)
        assert y.shape == x.shape and y.dtype == np.uint8
        if kind == "msp":
            assert problem.violation(y) <= problem.violation(x)
            if problem.is_feasible(x):
                np.testing.assert_array_equal(y, x)
        else:
            assert problem.is_feasible(y), (x, y)
    if kind == "mdkp":                               # repair ends maximal: nothing else fits
        y = problem.repair(X[rows[0]])
        assert not problem.is_feasible(problem.neighbours(y)[: problem.num_vars][y == 0]).any()
