"""BinaryProgram, QUBO, Ising and the program -> QUBO conversion."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from qopt.bits import bits_to_bitstring, bits_to_indices, bitstring_to_bits, indices_to_bits
from qopt.errors import OptionError, SizeLimitError
from qopt.model import QUBO, BinaryProgram, auto_penalty, program_to_qubo, slack_weights
from qopt.model.convert import program_to_hubo
from qopt.model.penalty import resolve_penalties


def all_states(n):
    return indices_to_bits(np.arange(1 << n), n)


def brute_energy(M, offset, X):
    Xf = X.astype(float)
    return np.einsum("ki,ij,kj->k", Xf, M, Xf) + offset


def test_bit_order_is_little_endian():
    bits = bitstring_to_bits("011")
    assert bits.tolist() == [1, 1, 0]
    assert bits_to_bitstring([1, 0, 0, 1]) == "1001"
    assert bits_to_bitstring([1, 1, 0, 0]) == "0011"
    assert bits_to_indices([[1, 0, 1]]).tolist() == [5]
    assert indices_to_bits([6], 3).tolist() == [[0, 1, 1]]


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 11), st.integers(0, 2**31 - 1), st.integers(1, 12))
def test_diagonal_equals_energies(n, seed, chunk_bits):
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(n, n)) * (rng.random((n, n)) < 0.6)
    q = QUBO.from_matrix(M, offset=rng.normal())
    X = all_states(n)
    expected = brute_energy(M, q.offset, X)
    assert np.allclose(q.energy(X), expected, atol=1e-10)
    assert np.allclose(q.diagonal(chunk_bits=chunk_bits), expected, atol=1e-10)


def test_diagonal_from_sparse_and_mapping_agree():
    rng = np.random.default_rng(3)
    n = 9
    M = sp.random(n, n, density=0.3, random_state=4, format="csr")
    q1 = QUBO.from_matrix(M)
    coo = M.tocoo()
    q2 = QUBO({(int(i), int(j)): float(v) for i, j, v in zip(coo.row, coo.col, coo.data)},
              num_vars=n)
    assert np.allclose(q1.diagonal(), q2.diagonal())
    assert np.allclose(q1.diagonal(), brute_energy(M.toarray(), 0.0, all_states(n)))
    x = rng.integers(0, 2, n)
    assert q1.energy(x) == pytest.approx(float(x @ M.toarray() @ x))


def test_memory_guard_refuses_40_variables_without_allocating():
    q = QUBO(np.zeros((40, 40)), num_vars=40)
    tracemalloc.start()
    try:
        with pytest.raises(SizeLimitError, match="40") as info:
            q.diagonal()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "2^40" in str(info.value)
    assert peak < 50 * 2**20  # nothing near the 8 TiB it would need


def test_memory_guard_honours_explicit_limit():
    q = QUBO(np.eye(20))
    with pytest.raises(SizeLimitError, match="memory limit"):
        q.diagonal(memory_limit=1 << 20)  # 8 MiB needed, 1 MiB allowed


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 9), st.integers(0, 2**31 - 1))
def test_ising_and_pauli_spectrum_equal_qubo(n, seed):
    rng = np.random.default_rng(seed)
    q = QUBO.from_matrix(rng.normal(size=(n, n)), offset=rng.normal())
    d = q.diagonal()
    ising = q.to_ising()
    z = 1.0 - 2.0 * all_states(n)
    assert np.allclose(ising.energy(z), d)
    op = q.to_sparse_pauli_op()
    diag = op.to_matrix(sparse=True).diagonal()
    assert np.allclose(diag.real, d) and np.allclose(diag.imag, 0)


def test_pennylane_hamiltonian_spectrum_equals_qubo():
    import pennylane as qml

    rng = np.random.default_rng(5)
    n = 5
    q = QUBO.from_matrix(rng.normal(size=(n, n)), offset=0.7)
    H = q.to_pennylane()
    mat = qml.matrix(H, wire_order=list(range(n)))
    # PennyLane's wire 0 is the most significant bit of the matrix index
    order = bits_to_indices(all_states(n)[:, ::-1])
    assert np.allclose(np.diag(mat).real[order], q.diagonal())


def test_slack_weights_span_exactly():
    for upper in range(0, 70):
        w = slack_weights(upper)
        sums = all_states(len(w)) @ w if len(w) else np.array([0])
        assert set(sums.tolist()) == set(range(upper + 1))


def random_program(rng, n, sense):
    p = BinaryProgram(n, rng.integers(-5, 6, n), sense=sense)
    Q = np.triu(rng.integers(-3, 4, (n, n)) * (rng.random((n, n)) < 0.3), 1)
    p = BinaryProgram(n, p.linear, Q, offset=2.0, sense=sense)
    p.add_constraint(rng.integers(0, 5, n), "<=", int(rng.integers(3, 10)))
    p.add_constraint(rng.integers(-2, 4, n), ">=", 1)
    p.add_constraint({0: 1, 1: 1}, "==", 1)
    return p


@settings(max_examples=30, deadline=None)
@given(st.integers(3, 7), st.integers(0, 2**31 - 1), st.sampled_from(["min", "max"]))
def test_slack_qubo_exact_on_feasible_and_safe_on_infeasible(n, seed, sense):
    rng = np.random.default_rng(seed)
    p = random_program(rng, n, sense)
    q = program_to_qubo(p)
    X = all_states(n)
    feas = p.is_feasible(X)
    target = p.objective(X) * (1 if sense == "min" else -1)
    E = q.energy(q.complete(X))
    assert np.allclose(E[feas], target[feas])
    if feas.any() and q.num_vars <= 18:
        full = q.diagonal().reshape(-1, 1 << n)    # rows: slack values, columns: x
        assert np.allclose(full.min(axis=0), E)    # complete() finds the best slack
        assert E[~feas].min(initial=np.inf) > target[feas].min()


def test_packing_penalty_is_tight_and_safe():
    # knapsack: max 5x0 + 4x1 + 3x2 s.t. 2x0 + 3x1 + x2 <= 3
    p = BinaryProgram(3, [5, 4, 3], sense="max")
    p.add_constraint([2, 3, 1], "<=", 3)
    assert auto_penalty(p) == 6.0
    q = program_to_qubo(p)
    X = all_states(3)
    feas = p.is_feasible(X)
    E = q.energy(q.complete(X))
    assert E[~feas].min() > (-p.objective(X)[feas]).min()


def test_at_most_one_rows_need_no_slack():
    p = BinaryProgram(3, [1, 1, 1], sense="max")
    p.add_constraint([1, 1, 0], "<=", 1)
    p.add_constraint([0, 1, 1], "<=", 1)
    q = program_to_qubo(p)
    assert q.num_slack == 0
    assert q.penalties.tolist() == [2.0, 2.0]
    assert q.energy([1, 0, 1]) == -2.0 and q.energy([1, 1, 0]) == 0.0


def test_unbalanced_needs_no_slack_and_penalises_violation():
    p = BinaryProgram(4, [3, 4, 5, 6], sense="max")
    p.add_constraint([2, 3, 4, 5], "<=", 7)
    q = program_to_qubo(p, encoding="unbalanced", penalty=10.0)
    assert q.num_slack == 0
    X = all_states(4)
    h = 7 - X @ np.array([2, 3, 4, 5])
    expected = -(X @ np.array([3, 4, 5, 6])) + 10.0 * (-0.96 * h + 0.0371 * h**2)
    assert np.allclose(q.energy(X), expected)


def test_penalty_policies():
    p = BinaryProgram(2, [1, 1])
    p.add_constraint([1, 1], "==", 1, name="one")
    p.add_constraint([1, -1], "<=", 0, name="order")
    assert resolve_penalties(p, 5).tolist() == [5.0, 5.0]
    assert resolve_penalties(p, [1, 2]).tolist() == [1.0, 2.0]
    auto = auto_penalty(p)
    assert resolve_penalties(p, {"one": 7}).tolist() == [7.0, auto]
    with pytest.raises(OptionError, match="unknown constraint 'nope'"):
        resolve_penalties(p, {"nope": 1})
    with pytest.raises(OptionError, match="positive"):
        resolve_penalties(p, -1)
    with pytest.raises(OptionError, match="2 constraints"):
        resolve_penalties(p, [1, 2, 3])
    for bad in ([1, 0], [1, -2], [np.nan, 1], {"one": -7}, {"order": 0}, float("nan"),
                float("inf")):
        with pytest.raises(OptionError, match="positive"):
            resolve_penalties(p, bad)


def test_fractional_slack_is_refused_with_advice():
    p = BinaryProgram(2, [1, 1], sense="max")
    p.add_constraint([0.5, 0.7], "<=", 1.0, name="frac")
    with pytest.raises(OptionError, match=r"'frac'.*unbalanced"):
        program_to_qubo(p)
    assert program_to_qubo(p, encoding="unbalanced").num_slack == 0


def test_program_validation_errors():
    with pytest.raises(OptionError, match="sense"):
        BinaryProgram(2, sense="maximise")
    p = BinaryProgram(2)
    with pytest.raises(OptionError, match="expected 2"):
        p.add_constraint([1, 2, 3], "<=", 1)
    with pytest.raises(OptionError, match="sense"):
        p.add_constraint([1, 2], "!=", 1)
    with pytest.raises(OptionError, match="square"):
        QUBO.from_matrix(np.zeros((2, 3)))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from([10, 20, 100]), st.booleans())
def test_auto_penalty_is_safe_for_fractional_equality_rows(seed, denominator, products):
    """Rows with decimal coefficients (an LP's 0.5 x + 0.3 y == 0.6): an infeasible x can miss
    the rhs by less than the smallest coefficient, so the penalty must scale with the data's
    common denominator; every infeasible x stays above the feasible optimum (brute force)."""
    rng = np.random.default_rng(seed)
    n = 6
    p = BinaryProgram(n, rng.integers(-20, 21, n), sense="min")
    if products:      # a polynomial row: products of bits with fractional weights
        c = rng.integers(1, denominator, 3) / denominator
        row, rhs = {(0, 1): c[0], 2: c[1], (3, 4): c[2]}, c[0] + c[1]     # x = 111000 feasible
    else:
        row = rng.integers(1, denominator, n) / denominator
        rhs = float(row @ (rng.random(n) < 0.5))
    p.add_constraint(row, "==", rhs, name="frac")
    h = program_to_hubo(p)
    X = all_states(n)
    feas = p.is_feasible(X)
    assert feas.any() and h.constraint_handling == {"frac": "penalty (square)"}
    E = h.energy(X)
    assert E[~feas].min() > p.objective(X)[feas].min()
