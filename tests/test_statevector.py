"""The in-house statevector engine against Qiskit, Aer and PennyLane Lightning."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qopt.backends.statevector import (
    Op,
    StatevectorEngine,
    fwht,
    rotation_matrix,
    warm_start_angles,
)
from qopt.backends.statevector import engine as engine_module
from qopt.bits import bits_to_indices, indices_to_bits
from qopt.errors import OptionError, SizeLimitError
from qopt.model.qubo import QUBO
from qopt.solvers.quantum.circuits import qaoa_circuit


@pytest.fixture(autouse=True)
def numba_at_every_size(monkeypatch):
    """The engine's numba kernels on every size here (by default small states take numpy)."""
    monkeypatch.setattr(engine_module, "NUMBA_MIN_QUBITS", 1)


def random_qubo(n: int, seed: int, density: float = 0.6, offset: float = 0.0) -> QUBO:
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(n, n)) * (rng.random((n, n)) < density)
    return QUBO.from_matrix(np.triu(M), offset=offset)


def qiskit_state(qubo, gammas, betas, warm_start=None) -> np.ndarray:
    from qiskit.quantum_info import Statevector

    return Statevector(qaoa_circuit(qubo, gammas, betas, warm_start=warm_start)).data


# ---- correctness against peers ---------------------------------------------------------------

@settings(max_examples=6, deadline=None)
@given(n=st.integers(2, 12), p=st.integers(1, 3), seed=st.integers(0, 10_000))
def test_expectation_matches_aer_statevector(n, p, seed):
    from qiskit_aer import AerSimulator

    qubo = random_qubo(n, seed, offset=0.5)
    rng = np.random.default_rng(seed)
    g, b = rng.uniform(-1, 1, p), rng.uniform(-1, 1, p)
    qc = qaoa_circuit(qubo, g, b)
    qc.save_statevector()
    sim = AerSimulator(method="statevector")
    psi = np.asarray(sim.run(qc).result().get_statevector())
    ref = float(np.real(np.vdot(psi, qubo.to_sparse_pauli_op().to_matrix(sparse=True) @ psi)))
    eng = StatevectorEngine(n)
    val = eng.qaoa_expectation(qubo.diagonal(), g, b)
    assert abs(val - ref) <= 1e-9 * max(1.0, abs(ref))
    assert np.allclose(eng.state, psi, atol=1e-10)   # same global phase too


@settings(max_examples=4, deadline=None)
@given(n=st.integers(2, 12), p=st.integers(1, 3), seed=st.integers(0, 10_000))
def test_expectation_matches_lightning(n, p, seed):
    import pennylane as qml

    qubo = random_qubo(n, seed, offset=-0.25)
    ising = qubo.to_ising()
    rng = np.random.default_rng(seed)
    g, b = rng.uniform(-1, 1, p), rng.uniform(-1, 1, p)
    terms, coeffs = ising.terms()
    dev = qml.device("lightning.qubit", wires=n)

    @qml.qnode(dev)
    def circuit():
        for i in range(n):
            qml.Hadamard(i)
        for layer in range(p):
            for q, c in zip(terms, coeffs):
                if len(q) == 1:
                    qml.RZ(2 * g[layer] * c, wires=q[0])
                else:
                    qml.IsingZZ(2 * g[layer] * c, wires=list(q))
            for i in range(n):
                qml.RX(2 * b[layer], wires=i)
        return qml.expval(qubo.to_pennylane())

    ref = float(circuit())
    val = StatevectorEngine(n).qaoa_expectation(qubo.diagonal(), g, b)
    assert abs(val - ref) <= 1e-9 * max(1.0, abs(ref))


@pytest.mark.parametrize("use_numba", [True, False])
@pytest.mark.parametrize("n", [1, 3, 6, 11])
def test_state_matches_qiskit_both_paths_and_warm_start(use_numba, n):
    qubo = random_qubo(n, 7 + n, offset=1.5)
    rng = np.random.default_rng(n)
    g, b = rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3)
    c = rng.uniform(0.1, 0.9, n)
    eng = StatevectorEngine(n, use_numba=use_numba, block=4)
    d = qubo.diagonal()
    assert np.allclose(eng.qaoa_state(d, g, b), qiskit_state(qubo, g, b), atol=1e-12)
    assert np.allclose(eng.qaoa_state(d, g, b, warm_start=c), qiskit_state(qubo, g, b, c),
                       atol=1e-12)


def test_per_qubit_betas_and_complex64():
    n = 7
    qubo = random_qubo(n, 3)
    d = qubo.diagonal()
    rng = np.random.default_rng(1)
    g, b = rng.uniform(-1, 1, 2), rng.uniform(-1, 1, (2, n))
    from qiskit.quantum_info import Statevector

    T = len(qubo.to_ising().terms()[0])
    ref = Statevector(qaoa_circuit(qubo, np.repeat(g[:, None], T, 1), b)).data
    s = StatevectorEngine(n).qaoa_state(d, g, b)
    # multi-angle circuits drop the offset's global phase: compare up to phase
    assert abs(abs(np.vdot(ref, s)) - 1) < 1e-12
    s64 = StatevectorEngine(n, dtype=np.complex64).qaoa_state(d, g, b)
    assert s64.dtype == np.complex64
    assert np.allclose(s64, s, atol=1e-5)


def test_numba_and_numpy_gradients_agree():
    n = 12
    qubo = random_qubo(n, 5)
    d = qubo.diagonal()
    g, b = [0.2, -0.4, 0.7], [0.5, 0.1, -0.3]
    c = np.linspace(0.2, 0.8, n)
    fast = StatevectorEngine(n, block=5)
    slow = StatevectorEngine(n, use_numba=False, block=5)
    assert fast.uses_numba and not slow.uses_numba
    for ws in (None, c):
        a, b1, c1 = fast.qaoa_gradient(d, g, b, warm_start=ws)
        a2, b2, c2 = slow.qaoa_gradient(d, g, b, warm_start=ws)
        assert abs(a - a2) < 1e-10
        assert np.allclose(b1, b2, atol=1e-9) and np.allclose(c1, c2, atol=1e-9)


# ---- gradients -------------------------------------------------------------------------------

def qaoa_ops(qubo, p: int):
    """QAOA as generic Ops with one parameter per gate, and the chain-rule map to (g, b)."""
    ising = qubo.to_ising()
    n = ising.num_spins
    terms, coeffs = ising.terms()
    ops, slope = [Op("h", (i,)) for i in range(n)], []
    for layer in range(p):
        for q, c in zip(terms, coeffs):
            slope.append((layer, 2 * c))
            ops.append(Op("rz" if len(q) == 1 else "rzz", tuple(q), len(slope) - 1))
        for i in range(n):
            slope.append((p + layer, 2.0))
            ops.append(Op("rx", (i,), len(slope) - 1))
    return ops, slope


def test_adjoint_gradient_equals_parameter_shift_qaoa():
    n, p = 6, 2
    qubo = random_qubo(n, 11)
    d = qubo.diagonal()
    g, b = np.array([0.3, -0.6]), np.array([0.4, 0.2])
    eng = StatevectorEngine(n)
    val, dg, db = eng.qaoa_gradient(d, g, b)
    ops, slope = qaoa_ops(qubo, p)
    angles = np.array([s * (g[k] if k < p else b[k - p]) for k, s in slope])
    ref = np.zeros(2 * p)
    for j, (k, s) in enumerate(slope):
        up, dn = angles.copy(), angles.copy()
        up[j] += math.pi / 2
        dn[j] -= math.pi / 2
        shift = 0.5 * (eng.circuit_expectation(ops, up, d) - eng.circuit_expectation(ops, dn, d))
        ref[k] += s * shift
    assert abs(val - eng.circuit_expectation(ops, angles, d)) < 1e-10
    assert np.allclose(np.concatenate([dg, db]), ref, atol=1e-9)


def test_adjoint_gradient_equals_parameter_shift_hardware_efficient():
    n = 5
    rng = np.random.default_rng(2)
    d = random_qubo(n, 2).diagonal()
    ops, k = [], 0
    for _layer in range(2):
        for i in range(n):
            ops += [Op("ry", (i,), k), Op("rz", (i,), k + 1, angle=0.1, scale=1.0)]
            k += 2
        ops += [Op("cz", (i, i + 1)) for i in range(n - 1)] + [Op("cx", (n - 1, 0))]
        ops += [Op("rx", (0,), k), Op("rzz", (1, 3), k + 1)]
        k += 2
    params = rng.uniform(-np.pi, np.pi, k)
    eng = StatevectorEngine(n)
    val, grad = eng.circuit_gradient(ops, params, d)
    ref = np.empty(k)
    for j in range(k):
        e = np.zeros(k)
        e[j] = math.pi / 2
        ref[j] = 0.5 * (eng.circuit_expectation(ops, params + e, d)
                        - eng.circuit_expectation(ops, params - e, d))
    assert np.allclose(grad, ref, atol=1e-10)
    assert abs(val - eng.circuit_expectation(ops, params, d)) < 1e-12


def test_generic_gates_match_qiskit():
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Statevector

    n = 4
    ops = [Op("h", (0,)), Op("ry", (1,), 0), Op("cx", (0, 2)), Op("cx", (3, 1)), Op("rx", (3,), 1),
           Op("cz", (2, 3)), Op("rz", (0,), 2), Op("rzz", (0, 3), 3), Op("x", (2,))]
    params = [0.3, -1.1, 0.7, 2.0]
    qc = QuantumCircuit(n)
    qc.h(0)
    qc.ry(0.3, 1)
    qc.cx(0, 2)
    qc.cx(3, 1)
    qc.rx(-1.1, 3)
    qc.cz(2, 3)
    qc.rz(0.7, 0)
    qc.rzz(2.0, 0, 3)
    qc.x(2)
    eng = StatevectorEngine(n)
    assert np.allclose(eng.run_circuit(ops, params), Statevector(qc).data, atol=1e-12)
    assert np.allclose(rotation_matrix("ry", 0.4) @ rotation_matrix("ry", -0.4), np.eye(2))


def test_cvar_gradient_matches_finite_differences():
    n = 6
    qubo = random_qubo(n, 4)
    d = qubo.diagonal()
    eng = StatevectorEngine(n)
    g, b = np.array([0.35]), np.array([0.45])
    val, dg, db = eng.qaoa_gradient(d, g, b, alpha=0.3)
    assert abs(val - eng.cvar(d, 0.3)) < 1e-12

    def cv(gg, bb):
        eng.qaoa_state(d, gg, bb)
        return eng.cvar(d, 0.3)

    h = 1e-6
    assert abs(dg[0] - (cv(g + h, b) - cv(g - h, b)) / (2 * h)) < 1e-5
    assert abs(db[0] - (cv(g, b + h) - cv(g, b - h)) / (2 * h)) < 1e-5


# ---- readout ---------------------------------------------------------------------------------

@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 8), seed=st.integers(0, 1000), alpha=st.floats(0.01, 1.0))
def test_cvar_definition_and_cvar_one_is_expectation(n, seed, alpha):
    qubo = random_qubo(n, seed)
    d = qubo.diagonal()
    eng = StatevectorEngine(n)
    eng.qaoa_state(d, [0.4], [0.3])
    e = eng.expectation(d)
    assert abs(eng.cvar(d, 1.0) - e) < 1e-12
    p = eng.probabilities()
    order = np.argsort(d, kind="stable")
    ps, ds = p[order], d[order]
    k = int(np.searchsorted(np.cumsum(ps), alpha))
    k = min(k, len(ps) - 1)
    mass = ps[:k].sum()
    ref = (ps[:k] @ ds[:k] + (alpha - mass) * ds[k]) / alpha
    assert abs(eng.cvar(d, alpha) - ref) < 1e-9
    assert eng.cvar(d, alpha) <= e + 1e-12


def test_sampling_frequencies_converge_and_are_seeded():
    n = 5
    d = random_qubo(n, 9).diagonal()
    eng = StatevectorEngine(n)
    eng.qaoa_state(d, [0.5, 0.2], [0.3, 0.6])
    p = eng.probabilities()
    shots = 200_000
    bits, counts = eng.sample(shots, 123)
    assert counts.sum() == shots and bits.shape[1] == n
    freq = np.zeros(1 << n)
    freq[bits_to_indices(bits)] = counts / shots
    sigma = np.sqrt(p * (1 - p) / shots)
    assert np.all(np.abs(freq - p) <= 5 * sigma + 1e-12)
    bits2, counts2 = eng.sample(shots, 123)
    assert np.array_equal(bits, bits2) and np.array_equal(counts, counts2)


def test_z_expectations_match_direct_sums():
    n = 6
    d = random_qubo(n, 1).diagonal()
    eng = StatevectorEngine(n)
    eng.qaoa_state(d, [0.7], [0.2])
    p = eng.probabilities()
    z = 1 - 2 * indices_to_bits(np.arange(1 << n), n).astype(float)
    masks = [0b1, 0b100000, 0b11, 0b101010]
    ref = [p @ np.prod(z[:, [i for i in range(n) if (m >> i) & 1]], axis=1) for m in masks]
    assert np.allclose(eng.z_expectations(masks), ref, atol=1e-12)
    v = np.random.default_rng(0).normal(size=8)
    assert np.allclose(fwht(fwht(v)) / 8, v)


def test_diagonal_is_the_qubo_diagonal_and_warm_start_angles():
    qubo = random_qubo(5, 3, offset=2.0)
    X = indices_to_bits(np.arange(32), 5)
    assert np.allclose(qubo.diagonal(), qubo.energy(X))
    th = warm_start_angles([0.0, 0.25, 1.0])
    assert np.allclose(np.sin(th / 2) ** 2, [0.0, 0.25, 1.0])


# ---- guards ----------------------------------------------------------------------------------

def test_memory_guard_refuses_before_allocating():
    with pytest.raises(SizeLimitError, match="statevector"):
        StatevectorEngine(30, memory_limit=1 << 20)
    with pytest.raises(SizeLimitError):
        StatevectorEngine(60)
    with pytest.raises(OptionError):
        StatevectorEngine(3, dtype=np.float64)
    eng = StatevectorEngine(3)
    with pytest.raises(OptionError):
        eng.qaoa_state(np.zeros(4), [0.1], [0.2])
    with pytest.raises(OptionError):
        eng.cvar(np.zeros(8), 0.0)
    with pytest.raises(OptionError):
        eng.apply_cz(1, 1)


# ---- threads, precision, routing ------------------------------------------------------------

def test_results_are_bit_identical_for_any_thread_count():
    """Every kernel splits its work into fixed parts and sums the partials in part order, so
    one and two threads give the same bits (expectation, gradient, state)."""
    n = 14
    d = random_qubo(n, 21).diagonal()
    g, b = [0.3, -0.2], [0.5, 0.25]
    out = []
    for threads in (1, 2):
        eng = StatevectorEngine(n, threads=threads, parallel_min_qubits=1)
        assert eng.threads_in_use == threads
        val = eng.qaoa_expectation(d, g, b)
        grad = eng.qaoa_gradient(d, g, b)
        state = eng.qaoa_state(d, g, b).copy()
        out.append((val, grad[1], grad[2], state, eng.expectation(d)))
    (v1, g1, b1, s1, e1), (v2, g2, b2, s2, e2) = out
    assert v1 == v2 and e1 == e2
    assert np.array_equal(g1, g2) and np.array_equal(b1, b2) and np.array_equal(s1, s2)


@pytest.mark.parametrize("integer", [True, False])
def test_complex64_matches_complex128(integer):
    """complex64 stores each amplitude to 2^-24 relative (the X-mixer tiles compute in float32
    too, sums in float64); over the 3 passes of each of p = 3 layers the rounding errors add
    up to a few 1e-7 of each amplitude, so values and gradients agree to 1e-5 of the
    diagonal's scale."""
    n = 15
    d = random_qubo(n, 8).diagonal()
    if integer:
        d = np.rint(4 * d)
    g, b = [0.2, -0.35, 0.1], [0.6, 0.3, -0.2]
    wide = StatevectorEngine(n)
    narrow = StatevectorEngine(n, dtype=np.complex64)
    scale = float(np.abs(d).max())
    assert narrow.state.dtype == np.complex64 and narrow.uses_numba
    assert abs(narrow.qaoa_expectation(d, g, b) - wide.qaoa_expectation(d, g, b)) < 1e-5 * scale
    v1, dg1, db1 = wide.qaoa_gradient(d, g, b)
    v2, dg2, db2 = narrow.qaoa_gradient(d, g, b)
    assert abs(v1 - v2) < 1e-5 * scale
    assert np.allclose(dg1, dg2, atol=1e-5 * scale) and np.allclose(db1, db2, atol=1e-5 * scale)
    assert np.allclose(narrow.qaoa_state(d, g, b), wide.qaoa_state(d, g, b), atol=1e-6)


def test_small_states_take_numpy_and_compile_nothing(monkeypatch):
    monkeypatch.setattr(engine_module, "NUMBA_MIN_QUBITS", 12)
    assert not StatevectorEngine(11).uses_numba
    assert StatevectorEngine(12).uses_numba
    assert StatevectorEngine(4, use_numba=True).uses_numba
    assert StatevectorEngine(11, threads=1).threads_in_use == 1


def test_level_diagonal_gives_the_float_diagonals_values_and_gradients():
    """An integer-valued cost stored as uint8 levels (lo + k): same expectation, CVaR,
    gradient and samples as the float64 diagonal; built chunk by chunk from the cost."""
    from qopt.backends.statevector import LevelDiagonal

    n = 13
    rng = np.random.default_rng(4)
    M = np.triu(rng.integers(-3, 4, (n, n))).astype(float)
    qubo = QUBO.from_matrix(M, offset=-2.0)
    d = qubo.diagonal()
    lev = LevelDiagonal.from_cost(qubo)
    assert lev is not None and lev.levels.dtype == np.uint8
    assert np.array_equal(lev.values(), d)
    assert LevelDiagonal.from_array(d + 0.5) is None
    assert LevelDiagonal.from_cost(QUBO.from_matrix(M / 3)) is None
    g, b = [0.3, -0.7], [0.2, 0.45]
    eng = StatevectorEngine(n)
    v1 = eng.qaoa_expectation(d, g, b)
    v2 = eng.qaoa_expectation(lev, g, b)
    assert abs(v1 - v2) < 1e-12 * max(1.0, abs(v1))
    _, dg1, db1 = eng.qaoa_gradient(d, g, b)
    _, dg2, db2 = eng.qaoa_gradient(lev, g, b)
    assert np.allclose(dg1, dg2, atol=1e-11) and np.allclose(db1, db2, atol=1e-11)
    eng.qaoa_state(lev, g, b)
    assert abs(eng.expectation(lev) - v1) < 1e-12 * max(1.0, abs(v1))
    assert abs(eng.cvar(lev, 0.2) - eng.cvar(d, 0.2)) < 1e-12
    numpy_eng = StatevectorEngine(n, use_numba=False)
    assert abs(numpy_eng.qaoa_expectation(lev, g, b) - v1) < 1e-10


def test_gradient_in_the_state_buffer_needs_one_buffer_less():
    n = 18                                 # > 16 qubits: the last pass is a high pass
    d = random_qubo(n, 3).diagonal()
    g, b = [0.25, -0.4], [0.3, 0.1]
    keep = StatevectorEngine(n)
    lean = StatevectorEngine(n)
    v1, dg1, db1 = keep.qaoa_gradient(d, g, b)
    v2, dg2, db2 = lean.qaoa_gradient(d, g, b, keep_state=False)
    assert len(keep._aux) == 2 and len(lean._aux) == 1
    assert v1 == v2 and np.allclose(dg1, dg2, atol=1e-12) and np.allclose(db1, db2, atol=1e-12)
    plus = np.full(1 << n, 2.0 ** (-n / 2))
    assert np.allclose(lean.state, plus, atol=1e-10)     # stepped back to |+>^n


def test_streamed_samples_follow_the_probabilities_without_a_probability_array():
    """The numba path samples by parts (masses, then sorted draws): frequencies converge to
    |psi|^2, and the same seed gives the same samples."""
    n = 12
    d = random_qubo(n, 5).diagonal()
    eng = StatevectorEngine(n, dtype=np.complex64)
    eng.qaoa_state(d, [0.4, 0.3], [0.5, 0.2])
    p = np.abs(eng.state.astype(np.complex128)) ** 2
    p /= p.sum()
    shots = 400_000
    bits, counts = eng.sample(shots, 7)
    freq = np.zeros(1 << n)
    freq[bits_to_indices(bits)] = counts / shots
    assert counts.sum() == shots
    assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / shots) + 1e-6)
    again = eng.sample(shots, 7)
    assert np.array_equal(again[0], bits) and np.array_equal(again[1], counts)
