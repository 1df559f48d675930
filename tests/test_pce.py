"""PCE: FWHT correlators, encoding, loss and regulariser, bit-swap search, solver end to end."""

from __future__ import annotations

from math import comb

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit.quantum_info import SparsePauliOp, Statevector, random_statevector
from scipy.linalg import hadamard

from qopt.model.qubo import QUBO
from qopt.problems.maxcut import MaxCut
from qopt.solvers.base import Task
from qopt.solvers.quantum.pce_encoding import (
    CorrelatorEncoding,
    basis_rotation_circuit,
    pce_num_qubits,
    rotate_to_basis,
    unrotate_from_basis,
    z_parities,
)
from qopt.solvers.quantum.pce_loss import (
    PCELoss,
    bit_swap_search,
    default_alpha,
    poljak_turzik_nu,
    sign_round,
)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 8), seed=st.integers(0, 2**31))
def test_parities_are_the_hadamard_transform_and_rotations_invert(n, seed):
    rng = np.random.default_rng(seed)
    p = rng.random(1 << n)
    assert np.allclose(z_parities(p), hadamard(1 << n) @ p)
    psi = rng.normal(size=1 << n) + 1j * rng.normal(size=1 << n)
    for b in range(3):
        assert np.allclose(unrotate_from_basis(rotate_to_basis(psi, b), b), psi)
    # the X-basis rotation is H on every qubit: the normalised Hadamard transform
    assert np.allclose(rotate_to_basis(psi, 1), hadamard(1 << n) @ psi / 2 ** (n / 2))


@settings(max_examples=25, deadline=None)
@given(m=st.integers(1, 3000), k=st.integers(1, 4))
def test_num_qubits_is_smallest_with_enough_correlators(m, k):
    n = pce_num_qubits(m, k)
    assert 3 * comb(n, k) >= m
    assert n == k or 3 * comb(n - 1, k) < m


def test_num_qubits_examples():
    assert pce_num_qubits(2000, 3) == 17
    assert pce_num_qubits(2000, 2) == 38
    assert pce_num_qubits(144, 2) == 11
    assert pce_num_qubits(144, 3) == 8


@pytest.mark.parametrize("k", [2, 3])
def test_encoding_uses_distinct_k_body_correlators(k):
    enc = CorrelatorEncoding.pce(3 * comb(7, k) - 2, k)
    assert enc.num_qubits == 7
    pairs = set(zip(enc.bases.tolist(), enc.masks.tolist()))
    assert len(pairs) == enc.num_vars
    assert all(bin(int(m)).count("1") == k for m in enc.masks)


@settings(max_examples=12, deadline=None)
@given(k=st.sampled_from([1, 2, 3]), m=st.integers(3, 60), seed=st.integers(0, 2**31))
def test_fwht_correlators_equal_qiskit_pauli_expectations(k, m, seed):
    """Acceptance: correlators from the one-WHT-per-basis path equal direct SparsePauliOp
    expectations on random states."""
    enc = CorrelatorEncoding.pce(m, k)
    sv = random_statevector(2 ** enc.num_qubits, seed=seed % (2**31))
    ours = enc.correlators(sv.data)
    ref = np.array([sv.expectation_value(op).real for op in enc.to_sparse_pauli_ops()])
    assert np.allclose(ours, ref, atol=1e-12)


def test_measurement_settings_give_the_same_correlators():
    """Three rotated-basis distributions (the sampling-backend path) reproduce the correlators."""
    enc = CorrelatorEncoding.pce(30, 2)
    sv = random_statevector(2 ** enc.num_qubits, seed=3)
    probs = {b: sv.evolve(basis_rotation_circuit(enc.num_qubits, b)).probabilities()
             for b in range(3)}
    assert np.allclose(enc.correlators_from_probabilities(probs), enc.correlators(sv.data))
    # sampled counts converge to the exact values
    rng = np.random.default_rng(0)
    counts = {}
    for b, p in probs.items():
        c = rng.multinomial(200_000, p)
        idx = np.flatnonzero(c)
        counts[b] = (idx, c[idx])
    assert np.allclose(enc.correlators_from_counts(counts), enc.correlators(sv.data), atol=0.02)


@pytest.mark.parametrize("k", [2, 3])
def test_apply_observable_equals_sparse_pauli_op(k):
    enc = CorrelatorEncoding.pce(25, k)
    n = enc.num_qubits
    rng = np.random.default_rng(k)
    coeffs = rng.normal(size=enc.num_vars)
    op = SparsePauliOp(enc.labels(), coeffs)
    psi = random_statevector(2 ** n, seed=k).data
    assert np.allclose(enc.apply_observable(psi, coeffs), op.to_matrix(sparse=True) @ psi)
    # <psi|O|psi> is the coefficient-weighted sum of the correlators
    val = np.vdot(psi, enc.apply_observable(psi, coeffs)).real
    assert val == pytest.approx(coeffs @ enc.correlators(psi))


def test_z_parities_of_basis_state():
    p = np.zeros(8)
    p[0b101] = 1.0
    par = z_parities(p)
    assert par[0b001] == -1 and par[0b010] == 1 and par[0b101] == 1 and par[0b111] == 1


# ---- loss --------------------------------------------------------------------------------------


def random_qubo(n: int, seed: int) -> QUBO:
    rng = np.random.default_rng(seed)
    M = np.triu(rng.normal(size=(n, n)) * (rng.random((n, n)) < 0.5), 1)
    return QUBO(M, rng.normal(size=n), float(rng.normal()))


def test_loss_gradient_matches_finite_differences():
    qubo = random_qubo(12, 1)
    loss = PCELoss(qubo, alpha=2.0, beta=0.5)
    c = np.random.default_rng(2).uniform(-0.6, 0.6, size=12)
    val, grad = loss.value_and_grad(c)
    eps = 1e-6
    fd = np.array([(loss(c + eps * e) - loss(c - eps * e)) / (2 * eps) for e in np.eye(12)])
    assert np.allclose(grad, fd, atol=1e-6)
    assert val == pytest.approx(loss.relaxed_energy(c) + loss.regulariser(c))


def test_relaxed_energy_is_qubo_energy_of_relaxed_bits_and_of_sign_rounding():
    qubo = random_qubo(10, 3)
    loss = PCELoss(qubo, alpha=1.0, beta=0.0)
    c = np.random.default_rng(4).uniform(-1, 1, size=10)
    # multilinear: E of the relaxed bits (1 - tanh) / 2 through the QUBO's own matrices
    xr = (1 - np.tanh(c)) / 2
    direct = xr @ qubo.linear + xr @ (qubo.quadratic @ xr) + qubo.offset
    assert loss.relaxed_energy(c) == pytest.approx(direct)
    # saturated correlators: the relaxed energy tends to the energy of the sign rounding
    sharp = PCELoss(qubo, alpha=1e4, beta=0.0)
    assert sharp.relaxed_energy(c) == pytest.approx(qubo.energy(sign_round(c)), rel=1e-6)
    assert np.array_equal(sign_round(c), (c < 0).astype(np.uint8))


def test_nu_is_poljak_turzik_bound_for_maxcut():
    G = nx.random_regular_graph(3, 20, seed=1)
    qubo = Task(MaxCut.from_graph(G)).qubo
    ising = qubo.to_ising()
    nu = poljak_turzik_nu(ising.h, ising.J)
    # paper: |E|/2 + (N-1)/4 for the loss sum_E z_i z_j; our Ising couplings are w/2
    assert np.allclose(ising.h, 0)
    assert nu == pytest.approx((G.number_of_edges() / 2 + (20 - 1) / 4) / 2)
    assert default_alpha(10, 2) == pytest.approx(15.0)
    assert default_alpha(10, 3) == pytest.approx(15.0)


def test_bit_swap_reaches_one_flip_local_minimum():
    qubo = random_qubo(40, 5)
    x0 = np.random.default_rng(6).integers(0, 2, 40).astype(np.uint8)
    x, rec = bit_swap_search(qubo, x0)
    e = qubo.energy(x)
    assert rec["energy_after"] == pytest.approx(e) and e <= qubo.energy(x0) + 1e-12
    flips = x[None, :] ^ np.eye(40, dtype=np.uint8)
    assert np.all(qubo.energy(flips) >= e - 1e-9)


# ---- solver ------------------------------------------------------------------------------------

import qopt  # noqa: E402
from qopt.backends.registry import get_backend  # noqa: E402
from qopt.problems import shipped_index  # noqa: E402
from qopt.solvers.quantum.pce import (  # noqa: E402
    CorrelatorEvaluator,
    PCEOptions,
    ansatz_adjoint_gradient,
    make_pce_ansatz,
)

MDKP = list(shipped_index("mdkp"))
MIS = ["1tc.8", "1tc.16", "1tc.32"]


@pytest.mark.parametrize(("kind", "name"), [("mdkp", n) for n in MDKP] + [("mis", n) for n in MIS])
def test_pce_solves_shipped_instances_end_to_end(kind, name):
    problem = qopt.load(kind, name)
    k = 3 if name in ("pb5", "1tc.32") else 2
    res = qopt.solve(problem, solver="pce", seed=3, budget=24, k=k, maxiter=50)
    m = Task(problem).qubo.num_vars
    assert res.num_qubits == pce_num_qubits(m, k) < m
    assert res.evaluations <= 24 and res.history
    assert res.feasible and len(res.solution) == problem.num_vars
    assert res.raw is not None and res.info["num_vars"] == m
    assert res.two_qubit_gates > 0 and res.depth > 0


@pytest.mark.parametrize(("k", "entangler"), [(2, "cz"), (3, "cz"), (3, "cx")])
def test_adjoint_gradient_equals_parameter_shift_and_backends_agree(k, entangler):
    enc = CorrelatorEncoding.pce(20, k)
    ansatz = make_pce_ansatz(PCEOptions(k=k, entangler=entangler), enc.num_qubits, 20)
    theta = np.random.default_rng(k).uniform(-3, 3, ansatz.num_parameters)
    coeffs = np.random.default_rng(7).normal(size=20)
    sv = CorrelatorEvaluator(ansatz, enc, get_backend("statevector"), None, 0)
    ref = np.array([Statevector(ansatz.circuit.assign_parameters(theta)).expectation_value(op).real
                    for op in enc.to_sparse_pauli_ops()])
    assert np.allclose(sv.correlators(theta), ref, atol=1e-10)
    grad = sv.gradient(theta, coeffs, "adjoint")
    assert np.allclose(grad, sv.gradient(theta, coeffs, "parameter-shift"), atol=1e-10)
    # the layered engine sweep equals the gate-by-gate one
    psi = sv.state(theta).copy()
    gate_by_gate = ansatz_adjoint_gradient(sv.engine, sv.ops, theta, psi,
                                           lambda v: enc.apply_observable(v, coeffs))
    assert np.allclose(grad, gate_by_gate, atol=1e-10)
    # the three-setting path on another backend (Aer, exact probabilities) gives the same
    aer = CorrelatorEvaluator(ansatz, enc, get_backend("aer"), None, 0)
    assert not aer.has_state
    assert np.allclose(aer.correlators(theta), ref, atol=1e-10)
    # odd k needs complex amplitudes: Y^k correlators are not all zero
    assert np.abs(ref[enc.bases == 2]).max() > 1e-3


def test_pce_sampling_mode_counts_three_settings_per_evaluation():
    problem = qopt.load("mis", "1tc.8")
    # every measured shot is one evaluation: 12 parameter sets x 3 settings x 256 shots
    res = qopt.solve(problem, solver="pce", seed=1, budget=12 * 3 * 256 + 100, shots=256,
                     gradient="none", optimizer="COBYLA", maxiter=20)
    assert res.info["circuit_evaluations"] <= 12
    assert res.evaluations == res.shots == 3 * 256 * res.info["circuit_evaluations"]
    with pytest.raises(qopt.OptionError, match="budget 700"):
        qopt.solve(problem, solver="pce", budget=700, shots=256, gradient="none")
    assert res.info["gradient"] == "none" and res.feasible


def test_pce_finds_maxcut_optimum_and_bit_swap_is_recorded():
    G = nx.random_regular_graph(3, 12, seed=2)
    problem = MaxCut.from_graph(G)
    best = qopt.solve(problem, solver="exact").objective
    res = qopt.solve(problem, solver="pce", seed=0, k=2, maxiter=150, bit_swap=True,
                     postprocess=False)
    assert res.num_qubits == 4
    assert res.info["rows"] == ["sign_at_best_loss", "best_sign_seen", "bit_swap"]
    rec = res.info["bit_swap"]
    assert rec["energy_after"] <= rec["energy_before"]
    assert res.objective == best
    losses = [h["loss"] for h in res.history]
    assert min(losses) < losses[0]


def test_pce_same_seed_same_result_and_budget_status():
    problem = qopt.load("mis", "1tc.16")
    a = qopt.solve(problem, solver="pce", seed=5, budget=10)
    b = qopt.solve(problem, solver="pce", seed=5, budget=10)
    assert a.raw.solution == b.raw.solution and a.history == b.history
    assert a.status == "budget" and a.evaluations <= 10
    with pytest.raises(qopt.OptionError):
        qopt.solve(problem, solver="pce", k=7)
