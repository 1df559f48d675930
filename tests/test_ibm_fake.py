"""IBM Runtime backends offline: credentials checked before any work, never recorded; a
CVaR-VQE run on a noisy fake 127-qubit device end to end; failed jobs reported with their id."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("qiskit_ibm_runtime")

import qopt
from qopt.backends.base import CredentialsError, JobFailedError
from qopt.backends.ibm import (
    FakeIBMBackend,
    IBMBackend,
    _suppression_options,
    fake_backend_names,
    fake_device,
)
from qopt.backends.registry import get_backend
from qopt.errors import OptionError, QoptError
from qopt.solvers.quantum.ansatz import Ansatz

TOKEN = "qopt-test-token-must-never-leak-1234567890"


@pytest.fixture
def no_credentials(tmp_path, monkeypatch):
    """A HOME without a saved IBM account and no IBM variables in the environment."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    for var in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_INSTANCE", "QISKIT_IBM_CHANNEL",
                "QISKIT_IBM_URL", "QISKIT_IBM_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("qiskit_ibm_runtime.accounts.management._DEFAULT_ACCOUNT_CONFIG_JSON_FILE",
                        str(tmp_path / ".qiskit" / "qiskit-ibm.json"), raising=False)
    return tmp_path


def test_ibm_without_credentials_fails_clearly_before_any_work(no_credentials, monkeypatch):
    calls = []
    monkeypatch.setattr("qopt.solvers.quantum.vqe.Ansatz", lambda *a, **k: calls.append(a))
    with pytest.raises(CredentialsError) as err:
        get_backend("ibm:ibm_brisbane")
    msg = str(err.value)
    assert "credentials" in msg and "QISKIT_IBM_TOKEN" in msg
    assert isinstance(err.value, QoptError)
    with pytest.raises(CredentialsError):
        qopt.solve(qopt.load("mis", "1tc.8"), solver="cvar-vqe", backend="ibm:ibm_brisbane")
    assert calls == []                   # no ansatz was built: the error came first
    with pytest.raises(OptionError):
        get_backend("ibm:")


def test_credentials_never_recorded(no_credentials, monkeypatch):
    monkeypatch.setenv("QISKIT_IBM_TOKEN", TOKEN)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", "crn:v1:test-instance")
    b = get_backend("ibm:ibm_torino", mode="session",
                    options={"dynamical_decoupling": {"enable": True}})
    assert isinstance(b, IBMBackend)
    text = " ".join([str(b), repr(b), str(vars(b)), str(b.usage.as_dict())])
    assert TOKEN not in text
    assert str(b) == "ibm:ibm_torino" and b.mode == "session"
    with pytest.raises(OptionError):
        get_backend("ibm:ibm_torino", mode="forever")


def test_error_suppression_options_pass_through():
    opts = _suppression_options({"default_shots": 100}, "XY4", True)
    assert opts["dynamical_decoupling"] == {"enable": True, "sequence_type": "XY4"}
    assert opts["twirling"] == {"enable_gates": True, "enable_measure": True}
    assert opts["default_shots"] == 100
    b = FakeIBMBackend("manila", dynamical_decoupling=True, twirling=False)
    assert b.options["dynamical_decoupling"]["sequence_type"] == "XX"
    assert b.options["twirling"]["enable_gates"] is False


def test_fake_names():
    names = fake_backend_names()
    assert {"sherbrooke", "torino", "manila"} <= set(names)
    assert fake_device("ibm_sherbrooke").num_qubits == 127
    with pytest.raises(OptionError):
        fake_device("atlantis")
    with pytest.raises(OptionError):
        FakeIBMBackend("manila").check_circuit(__import__("qiskit").QuantumCircuit(6))


def test_cvar_vqe_on_noisy_fake_127_qubit_device_end_to_end():
    p = qopt.load("mis", "1tc.8")
    r = qopt.solve(p, solver="cvar-vqe", alpha=0.25, backend="fake:sherbrooke", seed=7,
                   maxiter=6, shots=128, final_shots=256, reps=1,
                   backend_options={"mode": "session", "dynamical_decoupling": "XY4",
                                    "twirling": True, "optimization_level": 1})
    assert r.backend == "fake:sherbrooke"
    assert r.num_qubits == 8
    # transpiled to the device ISA (ECR two-qubit gates): depth above the logical circuit's
    logical = Ansatz(8, "real-amplitudes", 1)
    assert r.two_qubit_gates >= logical.num_two_qubit_gates
    assert r.depth > logical.circuit.depth()
    circuits = r.info["circuit_evaluations"]
    assert circuits <= 6
    # every measured shot is one evaluation: 128 per estimate plus the 256 final samples
    assert r.evaluations == 128 * circuits + 256
    assert r.shots >= r.evaluations - 1
    assert len(r.info["usage"]["jobs"]) == circuits + 1
    assert r.feasible                    # post-processing repairs noisy samples
    assert r.raw is not None and r.objective <= p.optimum


class _FlakySampler:
    """A BaseSamplerV2 whose jobs fail after ``ok`` successful runs."""

    def __new__(cls, ok: int):
        from qiskit.primitives import BaseSamplerV2, StatevectorSampler

        class Flaky(BaseSamplerV2):
            def __init__(self):
                self.inner = StatevectorSampler(seed=1)
                self.left = ok

            def run(self, pubs, *, shots=None):
                self.left -= 1
                if self.left >= 0:
                    return self.inner.run(pubs, shots=shots)
                return _FailedJob()

        return Flaky()


class _FailedJob:
    def job_id(self):
        return "job-failed-42"

    def result(self):
        raise RuntimeError("cancelled by the provider")

    def status(self):
        return "CANCELLED"


def test_failed_job_reported_with_id_and_resumable():
    q = qopt.QUBO.from_matrix(np.triu(np.random.default_rng(0).normal(size=(4, 4))))
    b = get_backend(_FlakySampler(5), shots=64)
    with pytest.raises(JobFailedError):
        for _ in range(7):
            b.expectation(Ansatz(4).circuit, np.zeros(12), q)
    r = qopt.solve(q, solver="vqe", backend=get_backend(_FlakySampler(5), shots=64), seed=1,
                   maxiter=20, reps=1)
    assert r.status == "failed"
    assert r.info["failed_job_id"] == "job-failed-42"
    resume = r.info["resume"]
    assert resume["evaluations"] == 5 and len(resume["initial_point"]) == 8
    r2 = qopt.solve(q, solver="vqe", backend=get_backend(_FlakySampler(50), shots=64), seed=1,
                    maxiter=5, reps=1, initial_point=resume["initial_point"])
    assert r2.status in ("done", "budget") and r2.info["circuit_evaluations"] == 5
    assert r2.evaluations == 64 * 5 + 1024


def test_user_runtime_sampler_is_transpiled_to_its_device():
    from qiskit_ibm_runtime import SamplerV2
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    q = qopt.QUBO.from_matrix(np.triu(np.random.default_rng(3).normal(size=(4, 4))))
    circuit = Ansatz(4, "real-amplitudes", 1).circuit
    theta = np.linspace(-1, 1, circuit.num_parameters)
    exact = get_backend("statevector").expectation(circuit, theta, q)
    b = get_backend(SamplerV2(mode=FakeManilaV2()), shots=4000, seed=2)
    assert b.pass_manager is not None
    value = b.expectation(circuit, theta, q)
    assert b.usage.depth > circuit.depth()            # ISA circuit of the 5-qubit device
    assert abs(value - exact) < 0.15 * np.ptp(q.diagonal())   # noisy, but the same state


class _StubService:
    """Stands in for QiskitRuntimeService: a fake device and stored jobs (no network)."""

    def __init__(self, device, jobs=None):
        self.device = device
        self.jobs = jobs or {}

    def backend(self, name):
        return self.device

    def job(self, job_id):
        return self.jobs[job_id]


@pytest.mark.parametrize("mode", ["batch", "session", "job"])
def test_ibm_backend_modes_offline(no_credentials, monkeypatch, mode):
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    monkeypatch.setenv("QISKIT_IBM_TOKEN", TOKEN)
    b = get_backend("ibm:ibm_fake_manila", mode=mode, seed=1, shots=500)
    monkeypatch.setattr(b, "_service", _StubService(FakeManilaV2()))
    q = qopt.QUBO.from_matrix(np.triu(np.ones((3, 3))))
    circuit = Ansatz(3, "real-amplitudes", 1).circuit
    theta = np.linspace(0.2, 1.4, circuit.num_parameters)
    exact = get_backend("statevector").expectation(circuit, theta, q)
    value = b.expectation(circuit, np.vstack([theta, theta]), q)
    assert value.shape == (2,) and np.all(np.abs(value - exact) < 1.0)
    assert len(b.usage.jobs) == 1 and b.usage.shots == 1000
    assert b.usage.depth > circuit.depth()
    assert (b._context is not None) == (mode != "job")
    b.close()
    assert b._context is None
    # a finished job read back by id (resume after a client-side failure)
    from qiskit.primitives import StatevectorSampler

    measured = circuit.assign_parameters(theta)
    measured.measure_all()
    done = StatevectorSampler(seed=1).run([measured], shots=64)
    b._service.jobs["job-7"] = done
    (_idx, counts), = b.retrieve("job-7")
    assert counts.sum() == 64 and b.usage.jobs[-1] == done.job_id()
