"""QRAO: QRAC encoding, relaxed Hamiltonian, roundings (against qiskit-optimization) and the
solver end to end."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp, Statevector, random_statevector

from qopt.bits import indices_to_bits
from qopt.model.qubo import QUBO
from qopt.problems.maxcut import MaxCut
from qopt.solvers.base import Task
from qopt.solvers.quantum.qrac import (
    QRACEncoding,
    apply_one_qubit_gates,
    color_variables,
    magic_basis_unitaries,
    semideterministic_rounding,
)

qo = pytest.importorskip("qiskit_optimization")
from qiskit_optimization import QuadraticProgram  # noqa: E402
from qiskit_optimization.algorithms.qrao import (  # noqa: E402
    MagicRounding,
    QuantumRandomAccessEncoding,
    RoundingContext,
    SemideterministicRounding,
)


def maxcut_qubo(n: int, seed: int, weighted: bool = False) -> QUBO:
    G = nx.gnp_random_graph(n, 0.4, seed=seed)
    rng = np.random.default_rng(seed)
    for u, v in G.edges:
        G[u][v]["weight"] = float(rng.integers(1, 5)) if weighted else 1.0
    return Task(MaxCut.from_graph(G)).qubo


def qiskit_program(qubo: QUBO) -> QuadraticProgram:
    qp = QuadraticProgram()
    for i in range(qubo.num_vars):
        qp.binary_var(f"x{i}")
    U = qubo.quadratic.tocoo()
    qp.minimize(constant=qubo.offset, linear=qubo.linear,
                quadratic={(int(i), int(j)): float(w) for i, j, w in zip(U.row, U.col, U.data)})
    return qp


def reversed_op(op: SparsePauliOp) -> SparsePauliOp:
    """Qubit order reversed (qiskit-optimization's qubit i is our qubit n-1-i)."""
    return SparsePauliOp([label[::-1] for label in op.paulis.to_labels()], op.coeffs)


@pytest.mark.parametrize("q", [1, 2, 3])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_relaxed_hamiltonian_matches_qiskit_optimization(q, seed):
    qubo = maxcut_qubo(7 + seed, seed, weighted=seed == 2)
    ref = QuantumRandomAccessEncoding(q)
    ref.encode(qiskit_program(qubo))
    enc = QRACEncoding.from_qubo(qubo, q)
    assert enc.q2vars == ref.q2vars
    assert enc.num_qubits == ref.num_qubits
    H = enc.relaxed_hamiltonian(qubo)
    expected = reversed_op(ref.qubit_op + SparsePauliOp("I" * ref.num_qubits, ref.offset))
    diff = (H - expected).simplify(atol=1e-10)
    assert np.allclose(diff.coeffs, 0.0)


@pytest.mark.parametrize("q", [1, 2, 3])
def test_qrac_states_reproduce_energy_and_qiskit_states(q):
    qubo = maxcut_qubo(8, 3, weighted=True)
    enc = QRACEncoding.from_qubo(qubo, q)
    ref = QuantumRandomAccessEncoding(q)
    ref.encode(qiskit_program(qubo))
    H = enc.relaxed_hamiltonian(qubo)
    rng = np.random.default_rng(q)
    for x in rng.integers(0, 2, size=(6, qubo.num_vars)):
        psi = enc.encoded_state(x)
        assert Statevector(psi).expectation_value(H).real == pytest.approx(qubo.energy(x))
        theirs = Statevector(ref.state_preparation_circuit(list(map(int, x)))).reverse_qargs()
        assert abs(np.vdot(theirs.data, psi)) == pytest.approx(1.0)
        # Pauli (semideterministic) rounding recovers x from its own QRAC state
        assert np.array_equal(semideterministic_rounding(enc.expectations(psi), seed=0), x)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), q=st.sampled_from([1, 2, 3]))
def test_colouring_puts_no_shared_term_on_a_qubit(seed, q):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 25))
    M = np.triu(rng.normal(size=(n, n)) * (rng.random((n, n)) < 0.3), 1)
    qubo = QUBO(M, rng.normal(size=n))
    enc = QRACEncoding.from_qubo(qubo, q)
    enc.check_commuting(qubo)
    U = qubo.quadratic.tocoo()
    assert not np.any(enc.qubit_of[U.row] == enc.qubit_of[U.col])
    assert sorted(v for vs in enc.q2vars for v in vs) == list(range(n))
    assert max(len(vs) for vs in enc.q2vars) <= q
    groups = color_variables(qubo)
    assert enc.num_qubits == sum(-(-len(v) // q) for v in groups.values())


def test_expectations_match_qiskit_on_random_states():
    qubo = maxcut_qubo(9, 4)
    enc = QRACEncoding.from_qubo(qubo, 3)
    sv = random_statevector(2 ** enc.num_qubits, seed=11)
    letters = {0: "Z", 1: "X", 2: "Y"}
    for i, e in enumerate(enc.expectations(sv.data)):
        op = SparsePauliOp.from_sparse_list([(letters[int(enc.pauli_of[i])],
                                              [int(enc.qubit_of[i])], 1.0)], enc.num_qubits)
        assert e == pytest.approx(sv.expectation_value(op).real, abs=1e-12)


def test_semideterministic_rounding_matches_qiskit():
    qubo = maxcut_qubo(8, 5)
    ref = QuantumRandomAccessEncoding(3)
    ref.encode(qiskit_program(qubo))
    rng = np.random.default_rng(0)
    values = rng.uniform(-1, 1, size=qubo.num_vars)
    values[[1, 4]] = 0.0   # ties go to a coin in both
    theirs = SemideterministicRounding(seed=1).round(RoundingContext(ref, list(values)))
    ours = semideterministic_rounding(values, seed=1)
    decided = np.abs(values) > 1e-8
    assert np.array_equal(ours[decided], np.asarray(theirs.samples[0].x)[decided])
    assert set(np.unique(ours[~decided])) <= {0, 1}


@pytest.mark.parametrize("q", [2, 3])
def test_magic_rounding_distribution_matches_qiskit(q):
    """For random states and magic-basis assignments, the exact distribution of decoded variable
    rows equals the one of qiskit-optimization's MagicRounding circuits and decoding."""
    qubo = maxcut_qubo(8, 6)
    ref = QuantumRandomAccessEncoding(q)
    ref.encode(qiskit_program(qubo))
    enc = QRACEncoding.from_qubo(qubo, q)
    nq = enc.num_qubits
    from qiskit.primitives import StatevectorSampler

    magic = MagicRounding(StatevectorSampler(default_shots=8))
    V = magic_basis_unitaries(q)
    Vdag = np.conj(np.transpose(V, (0, 2, 1)))
    rng = np.random.default_rng(q)
    psi = random_statevector(2 ** nq, seed=q).data
    outcomes = indices_to_bits(np.arange(2 ** nq), nq)
    for _ in range(4):
        row = rng.integers(len(V), size=nq)
        p = np.abs(apply_one_qubit_gates(psi, Vdag[row])) ** 2
        X = enc.decode_magic(np.broadcast_to(row, outcomes.shape), outcomes)
        ours: dict[str, float] = {}
        for xr, pr in zip(X, p):
            key = "".join(map(str, xr))
            ours[key] = ours.get(key, 0.0) + pr
        qc = QuantumCircuit(nq)
        qc.initialize(Statevector(psi).reverse_qargs().data)
        circ = magic._make_circuits(qc, [list(row)], q)[0]
        circ.remove_final_measurements()
        theirs: dict[str, float] = {}
        for bits, pr in Statevector(circ).probabilities_dict().items():
            sol = magic._unpack_measurement_outcome(bits, list(row), ref.var2op, q)
            key = "".join(map(str, sol))
            theirs[key] = theirs.get(key, 0.0) + pr
        for key in set(ours) | set(theirs):
            assert ours.get(key, 0.0) == pytest.approx(theirs.get(key, 0.0), abs=1e-10)


@pytest.mark.parametrize("q", [1, 2, 3])
def test_magic_rounding_sampled_is_seeded_and_recovers_encoded_bits(q):
    qubo = maxcut_qubo(9, 7)
    enc = QRACEncoding.from_qubo(qubo, q)
    x = np.random.default_rng(1).integers(0, 2, qubo.num_vars)
    psi = enc.encoded_state(x)
    a = enc.magic_rounding_statevector(psi, 400, seed=5)
    b = enc.magic_rounding_statevector(psi, 400, seed=5)
    assert np.array_equal(a.bits, b.bits) and np.array_equal(a.weights, b.weights)
    assert a.weights.sum() == 400
    hit = np.all(a.bits == x, axis=1)
    # a qubit in its own QRAC state decodes correctly when its basis is the matching one, i.e.
    # with probability >= 1/2^(q-1) per qubit; x itself must show up
    assert hit.any()
    if q == 1:
        assert hit.all()


@pytest.mark.parametrize("q", [1, 2, 3])
def test_product_relaxation_equals_relaxed_hamiltonian_on_product_states(q):
    from qopt.solvers.quantum.qrac import ProductRelaxation, bloch_state

    qubo = maxcut_qubo(9, 8, weighted=True)
    enc = QRACEncoding.from_qubo(qubo, q)
    model = ProductRelaxation(enc, qubo)
    rng = np.random.default_rng(q)
    angles = rng.uniform(0, np.pi, size=model.num_params)
    psi = np.ones(1, dtype=complex)
    for r in model.bloch(angles):
        psi = np.kron(bloch_state(r), psi)
    value, grad = model.value_and_grad(angles)
    H = enc.relaxed_hamiltonian(qubo)
    assert value == pytest.approx(Statevector(psi).expectation_value(H).real)
    assert np.allclose(model.expectations(angles), enc.expectations(psi))
    eps = 1e-6
    fd = [(model.value_and_grad(angles + eps * e)[0] - model.value_and_grad(angles - eps * e)[0])
          / (2 * eps) for e in np.eye(len(angles))]
    assert np.allclose(grad, fd, atol=1e-6)
    # product magic rounding samples the same distribution as the statevector one
    a = model.magic_rounding(angles, 4000, seed=1)
    b = enc.magic_rounding_statevector(psi, 4000, seed=2)
    mean = [qubo.energy(s.bits) @ s.weights / s.weights.sum() for s in (a, b)]
    spread = np.abs(qubo.energy(a.bits)).max()
    assert mean[0] == pytest.approx(mean[1], abs=0.1 * spread)


# ---- solver ------------------------------------------------------------------------------------

import qopt  # noqa: E402
from qopt.problems import shipped_index  # noqa: E402

MDKP = list(shipped_index("mdkp"))
MIS = ["1tc.8", "1tc.16", "1tc.32"]


@pytest.mark.parametrize(("kind", "name"), [("mdkp", n) for n in MDKP] + [("mis", n) for n in MIS])
def test_qrao_solves_shipped_instances_end_to_end(kind, name):
    problem = qopt.load(kind, name)
    res = qopt.solve(problem, solver="qrao", seed=2, budget=220, rounding_shots=200)
    qubo = Task(problem).qubo
    enc = QRACEncoding.from_qubo(qubo, 3)
    assert res.num_qubits == enc.num_qubits < qubo.num_vars
    # budget: the 200 rounding shots first, then 20 exact parameter sets
    assert res.info["circuit_evaluations"] <= 20 and res.history
    assert res.evaluations == res.info["circuit_evaluations"] + 200
    assert res.feasible and len(res.solution) == problem.num_vars
    # MIS graphs are sparse: a circuit on the statevector engine; the dense MDKP QUBOs need
    # more qubits than max_circuit_qubits and run on product states
    assert res.info["relaxation"] == ("circuit" if kind == "mis" else "product")
    assert res.shots == 200


def test_qrao_circuit_and_product_relaxations_on_maxcut():
    G = nx.random_regular_graph(3, 10, seed=4)
    problem = MaxCut.from_graph(G)
    best = qopt.solve(problem, solver="exact").objective
    qubo = Task(problem).qubo
    for relaxation in ("circuit", "product"):
        res = qopt.solve(problem, solver="qrao", seed=1, relaxation=relaxation, maxiter=100,
                         rounding_shots=500, postprocess=False)
        # the relaxation's minimum is a lower bound of every QRAC state's energy, E(x) included
        assert res.info["best_relaxed_energy"] <= qubo.energy(np.zeros(10)) + 1e-9
        assert res.objective >= 0.8 * best
        assert res.shots == 500 and res.info["relaxation"] == relaxation


def test_qrao_on_a_sampling_backend_counts_shots():
    problem = qopt.load("mis", "1tc.8")
    kw = dict(solver="qrao", seed=3, shots=128, rounding_shots=64, max_vars_per_qubit=2)
    res = qopt.solve(problem, maxiter=15, **kw)
    circuits = res.info["circuit_evaluations"]
    assert res.info["gradient"] == "none" and circuits <= 15
    # training: one setting per qubit-wise commuting group per evaluation; Pauli rounding:
    # one setting per Pauli in use (X and Z for a (2,1) QRAC) of 128 shots; magic: 64 draws
    groups = res.info["measurement_groups"]
    assert res.shots == groups * 128 * circuits + 2 * 128 + 64
    assert res.evaluations == res.shots          # every measured shot is one evaluation
    # a budget pays the rounding first (64 + up to 3 x 128), then 5 estimates
    budget = 64 + 3 * 128 + 5 * groups * 128
    capped = qopt.solve(problem, budget=budget, **kw)
    assert capped.info["circuit_evaluations"] <= 5 and capped.evaluations <= budget
    assert res.feasible


def test_qrao_semideterministic_only_and_bad_options():
    problem = qopt.load("mis", "1tc.16")
    res = qopt.solve(problem, solver="qrao", seed=0, rounding="semideterministic", budget=10)
    assert res.shots is None and res.probability_optimum in (0.0, 1.0)
    with pytest.raises(qopt.OptionError):
        qopt.solve(problem, solver="qrao", max_vars_per_qubit=4)
    with pytest.raises(qopt.OptionError):
        qopt.solve(problem, solver="qrao", rounding="sometimes")
    # ansatz options are checked when the solver is made (also in product mode, which
    # builds no circuit), not after the encoding
    from qopt.solvers.quantum.qrao import QRAOSolver

    for bad in ({"ansatz": "nope"}, {"entanglement": "star"}, {"entangler": "cy"},
                {"reps": -1}):
        with pytest.raises(qopt.OptionError, match=next(iter(bad))):
            QRAOSolver(relaxation="product", **bad)
