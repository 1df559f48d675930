"""VQE / CVaR-VQE: ansätze (circuit and op list agree), objective, budget, backends, resume."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import Statevector

import qopt
from qopt.backends.adapter import apply_gate, gate_matrix
from qopt.backends.registry import get_backend
from qopt.errors import OptionError
from qopt.model.qubo import QUBO
from qopt.solvers.quantum.ansatz import Ansatz, entangling_pairs


def op_list_state(ansatz: Ansatz, theta: np.ndarray) -> np.ndarray:
    """Run the ansatz's op list directly (independent of the Qiskit circuit)."""
    n = ansatz.num_qubits
    psi = np.zeros(1 << n, complex)
    psi[0] = 1
    for gate, qubits, k in ansatz.ops:
        m = gate_matrix(gate, [] if k is None else [theta[k]])
        psi = apply_gate(psi, n, m, qubits)
    return psi


@pytest.mark.parametrize("kind,ent,gate", [("real-amplitudes", "linear", "cx"),
                                           ("real-amplitudes", "full", "cz"),
                                           ("efficient-su2", "circular", "cx"),
                                           ("efficient-su2", "pairwise", "cz"),
                                           ("brickwork", "linear", "cx")])
def test_ansatz_circuit_and_op_list_agree(kind, ent, gate):
    a = Ansatz(5, kind, 2, ent, gate)
    rng = np.random.default_rng(0)
    theta = rng.uniform(-np.pi, np.pi, a.num_parameters)
    sv = Statevector(a.circuit.assign_parameters(theta)).data
    assert abs(np.vdot(sv, op_list_state(a, theta))) == pytest.approx(1.0, abs=1e-12)
    assert a.circuit.num_parameters == a.num_parameters
    assert a.circuit.count_ops().get(gate, 0) == a.num_two_qubit_gates
    # the same op list on the engine's generic gate path
    from qopt.backends.statevector import StatevectorEngine

    eng = StatevectorEngine(5)
    psi = eng.run_circuit(a.engine_ops(), theta)
    assert abs(np.vdot(sv, psi)) == pytest.approx(1.0, abs=1e-12)


def test_ansatz_sizes_and_errors():
    assert Ansatz(4, "real-amplitudes", 3).num_parameters == 16
    assert Ansatz(4, "efficient-su2", 1).num_parameters == 16
    assert Ansatz(4, "brickwork", 2).num_parameters == 20
    assert entangling_pairs(4, "circular") == [(0, 1), (1, 2), (2, 3), (3, 0)]
    assert len(entangling_pairs(5, "full")) == 10
    for bad in ({"kind": "nope"}, {"entanglement": "star"}, {"entangler": "swap"},
                {"reps": -1}):
        with pytest.raises(OptionError):
            Ansatz(3, **bad)


def small_qubo(n=5, seed=3) -> QUBO:
    rng = np.random.default_rng(seed)
    return QUBO.from_matrix(np.triu(rng.integers(-3, 4, size=(n, n)).astype(float)))


@pytest.mark.parametrize("backend", ["statevector", "aer", "lightning"])
def test_cvar_vqe_finds_optimum_of_small_qubo(backend):
    q = small_qubo()
    best = q.diagonal().min()
    r = qopt.solve(q, solver="cvar-vqe", alpha=0.25, backend=backend, seed=4, maxiter=80,
                   postprocess=False)
    assert r.raw.energy == pytest.approx(best)
    circuits = r.info["circuit_evaluations"]
    assert circuits <= 80 and r.evaluations == circuits + 1024     # + the final samples
    assert r.num_qubits == 5 and r.two_qubit_gates >= 4 and r.depth >= 3
    assert r.backend == backend
    assert r.options["alpha"] == 0.25
    assert len(r.history) == circuits


def test_same_seed_same_result_and_budget_respected():
    q = small_qubo(4, 8)
    kw = dict(solver="vqe", budget=1100, shots=200, final_shots=100, reps=1, postprocess=False)
    a = qopt.solve(q, seed=11, **kw)
    b = qopt.solve(q, seed=11, **kw)
    assert a.history == b.history and a.solution == b.solution
    # sampled mode: every measured shot is one evaluation (5 estimates + the final samples)
    assert a.evaluations == a.shots == 200 * a.info["circuit_evaluations"] + 100 <= 1100
    assert a.info["circuit_evaluations"] <= 5 and a.budget == 1100
    with pytest.raises(OptionError, match="budget 299"):
        qopt.solve(q, **{**kw, "budget": 299})


def test_vqe_objective_matches_backend_expectation():
    q = small_qubo(4, 1)
    r = qopt.solve(q, solver="vqe", seed=2, maxiter=30, reps=1, postprocess=False)
    theta = np.array(r.info["optimal_parameters"])
    ansatz = Ansatz(4, "real-amplitudes", 1)
    e = get_backend("aer").expectation(ansatz.circuit, theta, q)
    assert e == pytest.approx(r.info["best_value"], abs=1e-8)
    assert min(r.history) == pytest.approx(r.info["best_value"])


def test_aqgd_and_gradient_paths():
    pytest.importorskip("qopt.solvers.optimizers")      # the shared optimizers module
    q = small_qubo(4, 5)
    for backend in ("lightning", "statevector"):
        r = qopt.solve(q, solver="vqe", optimizer="aqgd", backend=backend, seed=1, budget=60,
                       reps=1, postprocess=False)
        assert r.evaluations == r.info["circuit_evaluations"] + 30 <= 60
        assert r.info["best_value"] <= r.history[0] + 1e-12


def test_resume_from_initial_point():
    q = small_qubo(4, 2)
    r1 = qopt.solve(q, solver="vqe", seed=3, maxiter=20, reps=1, postprocess=False)
    r2 = qopt.solve(q, solver="vqe", seed=3, maxiter=20, reps=1, postprocess=False,
                    initial_point=r1.info["optimal_parameters"])
    assert r2.history[0] == pytest.approx(r1.info["best_value"], abs=1e-9)
    with pytest.raises(OptionError):
        qopt.solve(q, solver="vqe", initial_point=[0.0, 1.0])


def test_bad_options_fail_before_work():
    q = small_qubo(3, 0)
    for bad in ({"alpha": 0.0}, {"ansatz": "x"}, {"reps": -2}, {"shots": 0},
                {"entanglement": "star"}, {"nonsense": 1}):
        with pytest.raises(OptionError):
            qopt.solve(q, solver="cvar-vqe", **bad)
    with pytest.raises(OptionError):
        qopt.solve(q, solver="vqe", backend="nosuch")


def test_mis_instance_cli_path_on_aer():
    p = qopt.load("mis", "1tc.8")
    r = qopt.solve(p, solver="cvar-vqe", alpha=0.25, backend="aer", seed=1, maxiter=40)
    assert r.feasible and r.num_qubits == 8
    assert r.objective <= p.optimum
    assert r.raw.feasible in (True, False) and r.postprocess is not None
    assert "simulation" in r.time
    back = qopt.SolveResult.from_json(r.to_json())
    assert back.two_qubit_gates == r.two_qubit_gates and back.backend == "aer"


def test_wide_vqe_on_mps_and_exact_cvar_refused_before_work():
    rng = np.random.default_rng(0)
    q = QUBO.from_matrix(np.triu(rng.normal(size=(32, 32))))
    r = qopt.solve(q, solver="vqe", backend="aer:mps", reps=0, maxiter=3, final_shots=50,
                   seed=1, postprocess=False)
    assert r.num_qubits == 32 and r.info["circuit_evaluations"] == 3 and r.evaluations == 53
    assert r.raw.energy == pytest.approx(float(q.energy(np.array(r.raw.solution))))
    with pytest.raises(qopt.SizeLimitError):
        qopt.solve(q, solver="cvar-vqe", backend="aer:mps", reps=0, maxiter=3)


def test_backend_object_reused_reports_each_runs_own_usage():
    q = small_qubo(4, 6)
    b = get_backend("aer", seed=1)
    r1 = qopt.solve(q, solver="vqe", backend=b, seed=1, maxiter=5, shots=100, reps=1,
                    final_shots=100)
    r2 = qopt.solve(q, solver="vqe", backend=b, seed=2, maxiter=5, shots=100, reps=1,
                    final_shots=100)
    assert r1.shots == r2.shots == 100 * 5 + 100
    assert b.usage.shots == r1.shots + r2.shots
