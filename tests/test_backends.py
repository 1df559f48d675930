"""Backends agree: statevector engine adapter, Aer (statevector, MPS), PennyLane Lightning,
user-supplied Qiskit primitives; exact within 1e-8, sampled within shot noise."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import SparsePauliOp, Statevector

from qopt.backends.base import (
    BackendError,
    Observable,
    cvar_from_distribution,
    shift_rule_applies,
)
from qopt.backends.registry import circuit_evaluator, get_backend
from qopt.errors import OptionError, SizeLimitError
from qopt.model.qubo import QUBO
from qopt.solvers.quantum.ansatz import Ansatz
from qopt.solvers.quantum.circuits import qaoa_circuit

EXACT = ["statevector", "aer", "aer:mps", "lightning"]


def random_qubo(n: int, seed: int) -> QUBO:
    rng = np.random.default_rng(seed)
    m = np.triu(rng.normal(size=(n, n)))
    m[rng.random((n, n)) < 0.3] = 0.0
    return QUBO.from_matrix(m, offset=float(rng.normal()))


def qaoa_template(qubo: QUBO, p: int):
    return qaoa_circuit(qubo, ParameterVector("g", p), ParameterVector("b", p))


def circuits_for(qubo: QUBO, seed: int):
    n = qubo.num_vars
    rng = np.random.default_rng(seed)
    out = []
    for qc in (qaoa_template(qubo, 2),
               Ansatz(n, "real-amplitudes", 2, "linear").circuit,
               Ansatz(n, "efficient-su2", 1, "circular", "cz").circuit,
               Ansatz(n, "brickwork", 2).circuit):
        out.append((qc, rng.uniform(-np.pi, np.pi, qc.num_parameters)))
    return out


@settings(max_examples=3, deadline=None)
@given(n=st.integers(2, 8), seed=st.integers(0, 10_000))
def test_exact_expectation_and_cvar_agree_across_backends(n, seed):
    qubo = random_qubo(n, seed)
    backends = {s: get_backend(s) for s in EXACT}
    for qc, theta in circuits_for(qubo, seed):
        ref = Statevector(qc.assign_parameters(theta)).probabilities() @ qubo.diagonal()
        for name, b in backends.items():
            assert b.expectation(qc, theta, qubo) == pytest.approx(ref, abs=1e-8), name
        cvars = [b.cvar(qc, theta, qubo, 0.3) for b in backends.values()]
        assert np.ptp(cvars) < 1e-8
        assert min(cvars) >= qubo.diagonal().min() - 1e-9
        assert max(cvars) <= ref + 1e-8           # CVaR (lower tail) <= mean


def test_qaoa_and_vqe_at_n10_batch_and_correlators_agree():
    qubo = random_qubo(10, 7)
    terms = [(0,), (3,), (0, 1), (2, 9), (1, 4, 7)]
    for qc, theta in circuits_for(qubo, 3)[:2]:
        batch = np.vstack([theta, theta * 0.5, -theta])
        ref = np.array([Statevector(qc.assign_parameters(t)).probabilities() for t in batch])
        want_e = ref @ qubo.diagonal()
        for name in EXACT:
            b = get_backend(name)
            np.testing.assert_allclose(b.expectation(qc, batch, qubo), want_e, atol=1e-8)
            corr = b.correlators(qc, batch, terms)
            assert corr.shape == (3, len(terms))
            # <Z_0> = P(bit0 = 0) - P(bit0 = 1)
            z0 = ref[:, ::2].sum(1) - ref[:, 1::2].sum(1)
            np.testing.assert_allclose(corr[:, 0], z0, atol=1e-8)
            if name == "statevector":
                first = corr
            else:
                np.testing.assert_allclose(corr, first, atol=1e-8)


def test_probabilities_follow_qopt_bit_order():
    # X on qubit 0 only: basis state index 1, bitstring "...001"
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(3)
    qc.x(0)
    for name in EXACT:
        p = get_backend(name).probabilities(qc)
        assert p.argmax() == 1 and p[1] == pytest.approx(1.0), name
        s = get_backend(name, seed=1).sample(qc, None, 50)
        assert s.bits.tolist() == [[1, 0, 0]]


@pytest.mark.parametrize("name", ["statevector", "aer", "aer:mps", "lightning"])
@pytest.mark.parametrize("which", [0, 2])          # QAOA template, efficient-su2 ansatz
def test_sampled_estimates_within_shot_noise(name, which):
    qubo = random_qubo(6, 11)
    qc, theta = circuits_for(qubo, 5)[which]
    shots = 4000
    p = Statevector(qc.assign_parameters(theta)).probabilities()
    diag = qubo.diagonal()
    mean = p @ diag
    sigma = np.sqrt(p @ (diag - mean) ** 2 / shots)
    b = get_backend(name, seed=123)
    est = b.expectation(qc, theta, qubo, shots)
    assert abs(est - mean) < 5 * sigma
    assert b.usage.shots == shots
    cv_exact = cvar_from_distribution(diag, p, 0.5)
    cv = b.cvar(qc, theta, qubo, 0.5, shots)
    assert abs(cv - cv_exact) < 10 * sigma + 0.05 * np.ptp(diag)
    # same seed, same samples; different seeds differ
    s1 = get_backend(name, seed=5).sample(qc, theta, 200)
    s2 = get_backend(name, seed=5).sample(qc, theta, 200)
    assert np.array_equal(s1.bits, s2.bits) and np.array_equal(s1.weights, s2.weights)
    assert s1.weights.sum() == 200


def test_user_supplied_primitives():
    from qiskit.primitives import StatevectorEstimator, StatevectorSampler

    qubo = random_qubo(5, 2)
    qc, theta = circuits_for(qubo, 1)[1]
    exact = get_backend("statevector").expectation(qc, theta, qubo)
    b = get_backend(StatevectorSampler(seed=4), shots=8000)
    assert str(b).startswith("primitive:")
    p = get_backend("statevector").probabilities(qc, theta)
    sigma = np.sqrt(p @ (qubo.diagonal() - exact) ** 2 / 8000)
    assert abs(b.expectation(qc, theta, qubo) - exact) < 5 * sigma
    assert len(b.usage.jobs) == 1 and b.usage.shots == 8000
    # a non-diagonal observable goes to the estimator
    op = qubo.to_sparse_pauli_op() + SparsePauliOp.from_sparse_list([("XY", [0, 3], 0.7)], 5)
    est = get_backend((StatevectorSampler(seed=1), StatevectorEstimator(seed=1)))
    want = get_backend("aer").expectation(qc, theta, op)
    assert want == pytest.approx(get_backend("lightning").expectation(qc, theta, op), abs=1e-8)
    assert want == pytest.approx(get_backend("statevector").expectation(qc, theta, op), abs=1e-8)
    assert abs(est.expectation(qc, theta, op, 10_000) - want) < 0.2
    with pytest.raises(OptionError):
        get_backend(StatevectorSampler()).expectation(qc, theta, op, 100)


def test_gradients_agree():
    qubo = random_qubo(6, 21)
    for qc, theta in circuits_for(qubo, 9):
        val_l, g_l = get_backend("lightning").gradient(qc, theta, qubo)   # adjoint
        val_s, g_s = get_backend("statevector").gradient(qc, theta, qubo)  # layered adjoint
        assert val_l == pytest.approx(val_s, abs=1e-9)
        np.testing.assert_allclose(g_l, g_s, atol=1e-9)
        # and both against central differences of the exact expectation
        h = 1e-5
        k = len(theta) // 2
        e = np.zeros_like(theta)
        e[k] = h
        aer = get_backend("aer")
        fd = (aer.expectation(qc, theta + e, qubo) - aer.expectation(qc, theta - e, qubo)) / (2 * h)
        assert g_s[k] == pytest.approx(fd, abs=1e-5)
        assert get_backend("lightning").supports_gradient
    ansatz = Ansatz(4, "real-amplitudes", 1).circuit
    assert shift_rule_applies(ansatz)
    assert not shift_rule_applies(qaoa_template(random_qubo(4, 1), 1))


def test_cvar_definition():
    v = np.array([3.0, 1.0, 2.0, 5.0])
    w = np.array([0.25, 0.25, 0.25, 0.25])
    assert cvar_from_distribution(v, w, 1.0) == pytest.approx(v.mean())
    assert cvar_from_distribution(v, w, 0.25) == pytest.approx(1.0)
    assert cvar_from_distribution(v, w, 0.5) == pytest.approx(1.5)
    assert cvar_from_distribution(v, w, 0.375) == pytest.approx((0.25 * 1 + 0.125 * 2) / 0.375)
    assert cvar_from_distribution(v, w * 40, 0.5) == pytest.approx(1.5)   # counts
    with pytest.raises(OptionError):
        cvar_from_distribution(v, w, 0.0)


def test_observable_forms_agree():
    qubo = random_qubo(5, 4)
    diag = qubo.diagonal()
    a = Observable(qubo, 5)
    b = Observable(diag.copy(), 5)
    c = Observable(qubo.to_sparse_pauli_op(), 5)
    idx = np.arange(32)
    np.testing.assert_allclose(a.energies(idx), diag)
    np.testing.assert_allclose(c.energies(idx), diag, atol=1e-12)
    np.testing.assert_allclose(np.real(b.pauli().to_matrix().diagonal()), diag, atol=1e-12)
    with pytest.raises(OptionError):
        Observable(qubo, 6)


def test_specs_errors_and_limits():
    assert str(get_backend("aer:mps")) == "aer:mps"
    assert str(get_backend("lightning")) == "lightning"
    assert str(get_backend(None)) == "statevector"
    assert circuit_evaluator("aer").spec == "aer"
    for bad in ("nosuch", "aer:weird", "lightning:nosuch"):
        with pytest.raises(OptionError):
            get_backend(bad)
    with pytest.raises(OptionError):
        get_backend(42)
    with pytest.raises(BackendError):
        get_backend("aer:gpu")          # no GPU on this machine: clear error up front
    from qiskit import QuantumCircuit

    with pytest.raises(SizeLimitError):
        get_backend("statevector").expectation(QuantumCircuit(40), None, SparsePauliOp("I" * 40))
    qubo = random_qubo(3, 0)
    qc = qaoa_template(qubo, 1)
    with pytest.raises(OptionError):
        get_backend("aer").expectation(qc, [0.1], qubo)       # wrong parameter count
    with pytest.raises(OptionError):
        get_backend("aer").expectation(qc, [0.1, 0.2], qubo, 0)
    b = get_backend("aer")
    b.expectation(qc, [0.1, 0.2], qubo)
    assert b.usage.num_qubits == 3 and b.usage.two_qubit_gates >= 1 and b.usage.depth >= 3


def test_engine_generic_path_and_numpy_fallback():
    from qiskit import QuantumCircuit

    b = get_backend("statevector")
    qubo = random_qubo(4, 3)
    for qc, theta in circuits_for(qubo, 2):
        assert b.prepare(qc).ops is not None          # QAOA and ansätze: the engine's path
        overlap = np.vdot(b.state(qc, theta), Statevector(qc.assign_parameters(theta)).data)
        assert abs(overlap) == pytest.approx(1.0, abs=1e-10)     # equal up to global phase
    odd = QuantumCircuit(3)
    odd.u(0.3, 0.2, 0.1, 0)
    odd.cp(0.4, 0, 2)
    odd.sx(1)
    odd.ryy(0.7, 1, 2)
    assert b.prepare(odd).ops is None                  # gates outside the engine: numpy path
    np.testing.assert_allclose(b.probabilities(odd), Statevector(odd).probabilities(),
                               atol=1e-12)
    np.testing.assert_allclose(get_backend("lightning").probabilities(odd),
                               Statevector(odd).probabilities(), atol=1e-12)


def test_qaoa_template_parameter_order_and_bound_circuits():
    from qopt.backends.registry import parameter_values

    qubo = random_qubo(5, 17)
    g, b = ParameterVector("γ", 2), ParameterVector("β", 2)
    template = qaoa_circuit(qubo, g, b)
    gammas, betas = [0.4, -0.9], [0.3, 0.8]
    theta = parameter_values(template, {g: gammas, b: betas})
    bound = qaoa_circuit(qubo, gammas, betas)            # float angles: no free parameters
    want = Statevector(bound).probabilities() @ qubo.diagonal()
    for name in EXACT:
        ev = circuit_evaluator(name)
        assert ev.expectation(template, theta, qubo) == pytest.approx(want, abs=1e-8), name
        assert ev.expectation(bound, None, qubo) == pytest.approx(want, abs=1e-8), name
    with pytest.raises(OptionError):
        parameter_values(template, {g: gammas})


def test_mps_exact_expectation_beyond_statevector_width():
    # a product state RY(theta_i)|0>: P(x_i = 1) = sin^2(theta_i / 2), bits independent
    n = 34
    rng = np.random.default_rng(8)
    qubo = QUBO.from_matrix(np.triu(rng.normal(size=(n, n))), offset=0.5)
    ansatz = Ansatz(n, "real-amplitudes", 0)
    theta = rng.uniform(-np.pi, np.pi, n)
    p = np.sin(theta / 2) ** 2
    want = qubo.linear @ p + p @ qubo.quadratic.toarray() @ p + qubo.offset
    got = get_backend("aer:mps").expectation(ansatz.circuit, theta, qubo)
    assert got == pytest.approx(want, abs=1e-8)
    with pytest.raises(SizeLimitError):
        get_backend("statevector").expectation(ansatz.circuit, theta, qubo)
    with pytest.raises(SizeLimitError):
        get_backend("aer:mps").cvar(ansatz.circuit, theta, qubo, 0.5)   # needs 2^n probabilities
