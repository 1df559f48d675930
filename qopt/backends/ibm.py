"""Qiskit V2 primitives as backends: any user sampler / estimator, IBM Runtime, fake IBM devices.

* :class:`PrimitiveBackend` wraps any ``BaseSamplerV2`` (and optionally ``BaseEstimatorV2``).
* :class:`IBMBackend` (``"ibm:<device>"``) runs qiskit-ibm-runtime SamplerV2 / EstimatorV2 in
  Session or Batch mode on a real device. Credentials come only from the user's saved account
  or the environment (``QISKIT_IBM_TOKEN``, ``QISKIT_IBM_INSTANCE``, ``QISKIT_IBM_CHANNEL``);
  they are checked (locally) when the backend is made, before any work, and are never stored
  in results or logs: ``str(backend)`` is just the spec.
* :class:`FakeIBMBackend` (``"fake:<name>"``, e.g. ``fake:sherbrooke``) is the offline mode:
  circuits are transpiled to the fake device's ISA exactly as for hardware (depth and two-qubit
  gates are those of the device circuit), then run through qiskit-ibm-runtime's local testing
  mode on Aer with the device's noise model restricted to the physical qubits the circuit uses
  (noise on idle qubits cannot change the measured bits; restricting keeps a 127-qubit device
  fast).

Circuits are transpiled with ``generate_preset_pass_manager`` to the device ISA; measurements
land in register ``meas`` with bit i = logical qubit i. A failed or cancelled job raises
:class:`~qopt.backends.base.JobFailedError` with its job id; :meth:`IBMBackend.retrieve` reads a
finished job back, and solvers resume from their last parameters (see the VQE solver).
"""

from __future__ import annotations

import types
import warnings
from typing import Any, ClassVar

import numpy as np

from qopt.backends.aer import bitarray_counts
from qopt.backends.base import Backend, BackendError, CredentialsError, JobFailedError, Observable
from qopt.errors import OptionError

MODES = ("session", "batch", "job")
_FAILED = {"ERROR", "CANCELLED", "FAILED"}


class _Prepared:
    def __init__(self, measured, unmeasured=None):
        self.measured = measured          # circuit the sampler runs (register "meas")
        self.unmeasured = unmeasured      # ISA circuit for the estimator (None: not built yet)
        self.compact = measured           # what actually executes (fake mode: idle qubits cut)


def _status_name(job) -> str:
    try:
        st = job.status()
    except Exception:  # the status call itself failed (network, local job crashed)
        return "ERROR"
    return str(getattr(st, "name", st)).upper().split(".")[-1]


class PrimitiveBackend(Backend):
    """Any Qiskit ``BaseSamplerV2`` (sampling) and ``BaseEstimatorV2`` (non-diagonal
    expectation values) as a backend. Sampling mode only.

    Args:
        sampler: a ``BaseSamplerV2``; needed for expectation of diagonal observables, CVaR,
            correlators and samples.
        estimator: an optional ``BaseEstimatorV2`` for non-diagonal observables.
        pass_manager: transpiles circuits before they run (e.g. to a device ISA); default none.
    """

    name: ClassVar[str] = "primitive"
    supports_exact: ClassVar[bool] = False
    #: whether this backend makes its own primitives per call (runtime / fake devices)
    _own_primitives: ClassVar[bool] = False

    def __init__(self, sampler=None, estimator=None, *, shots: int | None = None, seed=None,
                 pass_manager=None):
        from qiskit.primitives import BaseEstimatorV2, BaseSamplerV2

        if sampler is None and estimator is None:
            raise OptionError("a primitive backend needs a sampler or an estimator")
        if sampler is not None and not isinstance(sampler, BaseSamplerV2):
            raise OptionError(f"expected a Qiskit BaseSamplerV2, got {type(sampler).__name__}")
        if estimator is not None and not isinstance(estimator, BaseEstimatorV2):
            raise OptionError(f"expected a Qiskit BaseEstimatorV2, got "
                              f"{type(estimator).__name__}")
        super().__init__(shots=shots, seed=seed)
        self.sampler = sampler
        self.estimator = estimator
        self.pass_manager = pass_manager if pass_manager is not None else \
            _isa_pass_manager(sampler if sampler is not None else estimator)

    @property
    def spec(self) -> str:
        prim = self.sampler if self.sampler is not None else self.estimator
        return f"primitive:{type(prim).__name__}"

    # ---- preparation ------------------------------------------------------------------------
    def _transpile(self, circuit):
        return circuit if self.pass_manager is None else self.pass_manager.run(circuit)

    def _prepare(self, circuit):
        base = circuit.remove_final_measurements(inplace=False)
        measured = base.copy()
        measured.measure_all()
        return _Prepared(self._transpile(measured))

    def _compiled_circuit(self, prepared):
        return prepared.measured

    def _unmeasured(self, prepared, circuit):
        if prepared.unmeasured is None:
            prepared.unmeasured = self._transpile(circuit.remove_final_measurements(inplace=False))
        return prepared.unmeasured

    # ---- jobs ---------------------------------------------------------------------------------
    def _sampler_for(self, seed: int):
        return self.sampler

    def _estimator_for(self, seed: int):
        return self.estimator

    def _result(self, job) -> Any:
        """Wait for ``job``; record its id and QPU time; raise JobFailedError on failure."""
        job_id = None
        try:
            job_id = str(job.job_id())
        except Exception:  # some primitives have no job id
            job_id = None
        if job_id:
            self.usage.jobs.append(job_id)
        try:
            result = job.result()
        except Exception as exc:
            raise JobFailedError(job_id, _status_name(job), f"{type(exc).__name__}: {exc}"
                                 ) from None
        status = _status_name(job)
        if status in _FAILED:
            raise JobFailedError(job_id, status)
        self._record_qpu_time(job, result)
        return result

    def _record_qpu_time(self, job, result) -> None:
        seconds = None
        metrics = getattr(job, "metrics", None)
        if callable(metrics):
            try:
                seconds = metrics().get("usage", {}).get("quantum_seconds")
            except Exception:  # local jobs have no usage metrics
                seconds = None
        if seconds is not None:
            self.usage.qpu_time = (self.usage.qpu_time or 0.0) + float(seconds)

    def _counts(self, prepared, circuit, theta, shots, seed):
        if self.sampler is None and not self._own_primitives:
            raise OptionError(f"backend {self.spec!r} has no sampler; CVaR, correlators and "
                              "samples need one")
        k = theta.shape[0]
        run_circ = prepared.compact
        if circuit.num_parameters:
            pubs = [(run_circ, theta)]
        else:
            pubs = [(run_circ,)] * k
        result = self._result(self._sampler_for(seed).run(pubs, shots=shots))
        if circuit.num_parameters:
            bits = result[0].data.meas
            return [bitarray_counts(bits[i]) for i in range(k)]
        return [bitarray_counts(r.data.meas) for r in result]

    def _expectation_sampled(self, circuit, theta, obs: Observable, shots, seed):
        if self.estimator is None and not self._own_primitives:
            raise OptionError(f"backend {self.spec!r} has no estimator for a non-diagonal "
                              "observable")
        prepared = self.prepare(circuit)
        isa = self._unmeasured(prepared, circuit)
        op = obs.pauli()
        if isa.layout is not None:
            op = op.apply_layout(isa.layout)
        pub = (isa, op, theta) if circuit.num_parameters else (isa, op)
        result = self._result(self._estimator_for(seed).run([pub],
                                                            precision=1.0 / np.sqrt(shots)))
        self.usage.shots += shots * theta.shape[0]
        self.usage.executions += theta.shape[0]
        evs = np.asarray(result[0].data.evs, float).reshape(-1)
        return evs if evs.size == theta.shape[0] else np.full(theta.shape[0], evs[0])


def _isa_pass_manager(primitive):
    """A preset pass manager to the device behind a primitive bound to a backend (runtime
    primitives in job / session / batch mode, Aer's, BackendSamplerV2), else None."""
    device = getattr(primitive, "_backend", None)
    if device is None:
        device = getattr(primitive, "backend", None)
    mode = getattr(primitive, "mode", None)
    if device is None and mode is not None:
        device = mode if hasattr(mode, "target") else getattr(mode, "_backend", None)
    if callable(device) and not hasattr(device, "target"):
        try:
            device = device()
        except TypeError:
            device = None
    if device is None or getattr(device, "target", None) is None:
        return None
    from qiskit.transpiler import generate_preset_pass_manager

    return generate_preset_pass_manager(optimization_level=2, backend=device)


# ---- IBM Runtime ------------------------------------------------------------------------------


def _check_runtime_installed():
    try:
        import qiskit_ibm_runtime  # noqa: F401
    except ImportError:
        raise BackendError("IBM backends need qiskit-ibm-runtime: pip install 'qopt[ibm]'"
                           ) from None


def check_credentials(channel: str | None = None, account: str | None = None) -> None:
    """Raise :class:`CredentialsError` unless a saved account or the environment has
    credentials. Local check only (no network); the credentials are not read into qopt."""
    _check_runtime_installed()
    from qiskit_ibm_runtime.accounts import AccountManager
    from qiskit_ibm_runtime.accounts.exceptions import AccountsError

    try:
        found = AccountManager.get(name=account, channel=channel)
    except (AccountsError, ValueError, OSError) as exc:
        found = None
        reason = type(exc).__name__
    else:
        reason = "none found"
    if found is None:
        raise CredentialsError(
            "no IBM Quantum credentials (" + reason + "): save an account once with "
            "QiskitRuntimeService.save_account(...) or set QISKIT_IBM_TOKEN (and "
            "QISKIT_IBM_INSTANCE); qopt reads them only through qiskit-ibm-runtime and never "
            "stores them")


class _RuntimeBackend(PrimitiveBackend):
    """Shared by IBM and fake-IBM backends: device ISA transpilation and runtime primitives."""

    _own_primitives: ClassVar[bool] = True

    def __init__(self, *, shots: int | None = None, seed=None, optimization_level: int = 2,
                 options: dict | None = None, dynamical_decoupling: str | bool | None = None,
                 twirling: bool | None = None):
        if optimization_level not in (0, 1, 2, 3):
            raise OptionError(f"optimization_level must be 0..3, got {optimization_level!r}")
        Backend.__init__(self, shots=shots, seed=seed)
        self.sampler = self.estimator = None
        self.optimization_level = optimization_level
        self.options = _suppression_options(options, dynamical_decoupling, twirling)
        self._device = None
        self._pm = None

    def device(self):
        raise NotImplementedError

    @property
    def num_device_qubits(self) -> int:
        return int(self.device().num_qubits)

    def check_circuit(self, circuit, *, exact=None) -> None:
        n = self.num_device_qubits
        if circuit.num_qubits > n:
            raise OptionError(f"the circuit needs {circuit.num_qubits} qubits; {self.spec} has "
                              f"{n}")

    def _transpile(self, circuit):
        if self._pm is None:
            from qiskit.transpiler import generate_preset_pass_manager

            self._pm = generate_preset_pass_manager(optimization_level=self.optimization_level,
                                                    backend=self.device())
        return self._pm.run(circuit)

    def _runtime_options(self, seed: int) -> dict:
        return dict(self.options)

    def _mode(self):
        return self.device()

    def _sampler_for(self, seed: int):
        from qiskit_ibm_runtime import SamplerV2

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*no effect in local testing mode.*")
            warnings.filterwarnings("ignore", message=".*SamplerV2 class is deprecated.*",
                                    category=DeprecationWarning)
            return SamplerV2(mode=self._mode(), options=self._runtime_options(seed))

    def _estimator_for(self, seed: int):
        from qiskit_ibm_runtime import EstimatorV2

        opts = self._runtime_options(seed)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*no effect in local testing mode.*")
            warnings.filterwarnings("ignore", message=".*EstimatorV2 class is deprecated.*",
                                    category=DeprecationWarning)
            return EstimatorV2(mode=self._mode(), options=opts)


def _suppression_options(options, dd, twirling) -> dict:
    """Runtime options with error-suppression shortcuts merged in (passed through verbatim)."""
    out: dict = {k: (dict(v) if isinstance(v, dict) else v) for k, v in (options or {}).items()}
    if dd:
        seq = "XX" if dd is True else str(dd)
        out.setdefault("dynamical_decoupling", {}).update(enable=True, sequence_type=seq)
    elif dd is False:
        out.setdefault("dynamical_decoupling", {}).update(enable=False)
    if twirling is not None:
        out.setdefault("twirling", {}).update(enable_gates=bool(twirling),
                                              enable_measure=bool(twirling))
    return out


class IBMBackend(_RuntimeBackend):
    """An IBM Quantum device through qiskit-ibm-runtime (``"ibm:<device>"``).

    Args:
        device: device name, e.g. "ibm_torino".
        mode: "batch" (default), "session" or "job" (each call its own job).
        options: runtime SamplerV2 / EstimatorV2 options, passed through (e.g.
            ``{"dynamical_decoupling": {"enable": True, "sequence_type": "XY4"}}``).
        dynamical_decoupling, twirling: shortcuts merged into ``options``.
        optimization_level: preset pass manager level (0..3).
        channel, instance, account: which saved account / instance to use (else the default).
    """

    name: ClassVar[str] = "ibm"

    def __init__(self, device: str, *, mode: str = "batch", shots: int | None = None, seed=None,
                 optimization_level: int = 2, options: dict | None = None,
                 dynamical_decoupling: str | bool | None = None, twirling: bool | None = None,
                 channel: str | None = None, instance: str | None = None,
                 account: str | None = None):
        if mode not in MODES:
            raise OptionError(f"IBM mode must be one of {', '.join(MODES)}, got {mode!r}")
        if not device:
            raise OptionError("name the IBM device: 'ibm:<device>', e.g. 'ibm:ibm_torino'")
        check_credentials(channel, account)     # before anything else: no work without them
        super().__init__(shots=shots, seed=seed, optimization_level=optimization_level,
                         options=options, dynamical_decoupling=dynamical_decoupling,
                         twirling=twirling)
        self.device_name = device
        self.mode = mode
        self._account = {"channel": channel, "instance": instance, "name": account}
        self._service = None
        self._context = None

    @property
    def spec(self) -> str:
        return f"ibm:{self.device_name}"

    def service(self):
        if self._service is None:
            from qiskit_ibm_runtime import QiskitRuntimeService

            kwargs = {k: v for k, v in self._account.items() if v is not None}
            try:
                self._service = QiskitRuntimeService(**kwargs)
            except Exception as exc:
                raise CredentialsError(f"IBM Quantum sign-in failed ({type(exc).__name__}); "
                                       "check the saved account / environment") from None
        return self._service

    def device(self):
        if self._device is None:
            try:
                self._device = self.service().backend(self.device_name)
            except CredentialsError:
                raise
            except Exception as exc:
                raise BackendError(f"IBM device {self.device_name!r} is not available to this "
                                   f"account ({type(exc).__name__})") from None
        return self._device

    def _mode(self):
        if self.mode == "job":
            return self.device()
        if self._context is None:
            from qiskit_ibm_runtime import Batch, Session

            self._context = (Session if self.mode == "session" else Batch)(backend=self.device())
        return self._context

    def close(self) -> None:
        if self._context is not None:
            try:
                self._context.close()
            finally:
                self._context = None

    def retrieve(self, job_id: str) -> list[tuple[np.ndarray, np.ndarray]]:
        """Counts of a finished sampler job by id (to resume after a client-side failure)."""
        job = self.service().job(job_id)
        result = self._result(job)
        out = []
        for pub in result:
            bits = pub.data.meas
            if bits.ndim == 0:
                out.append(bitarray_counts(bits))
            else:
                out.extend(bitarray_counts(bits[i]) for i in range(bits.shape[0]))
        return out


# ---- fake devices -----------------------------------------------------------------------------


def fake_backend_names() -> list[str]:
    """Names accepted by ``fake:<name>`` (e.g. "sherbrooke", "torino", "manila")."""
    _check_runtime_installed()
    from qiskit_ibm_runtime import fake_provider

    out = []
    for attr in dir(fake_provider):
        if attr.startswith("Fake") and attr not in ("FakeProviderForBackendV2",
                                                    "FakeFractionalBackend"):
            out.append(attr[4:].removesuffix("V2").lower())
    return sorted(out)


def fake_device(name: str):
    """A qiskit-ibm-runtime fake backend by short name ("sherbrooke", "fake_sherbrooke",
    "ibm_sherbrooke" or "FakeSherbrooke")."""
    _check_runtime_installed()
    from qiskit_ibm_runtime import fake_provider

    key = name.strip().lower().removeprefix("fake").removeprefix("_").removeprefix("ibm_")
    key = key.removesuffix("v2")
    for attr in dir(fake_provider):
        if attr.startswith("Fake") and attr[4:].removesuffix("V2").lower() == key:
            return getattr(fake_provider, attr)()
    raise OptionError(f"unknown fake IBM device {name!r}; known: {', '.join(fake_backend_names())}")


class FakeIBMBackend(_RuntimeBackend):
    """A fake IBM device (``"fake:<name>"``): device-ISA transpilation, then qiskit-ibm-runtime
    local testing mode on Aer with the device's noise model on the qubits the circuit uses.

    Args:
        name: fake device name, e.g. "sherbrooke" (127 qubits), "torino", "kyiv".
        noise: False runs the same ISA circuit without noise.
        mode: "batch", "session" or "job", accepted as for ``ibm:<device>`` (local testing mode
            runs every job at once, without sessions).
        options, dynamical_decoupling, twirling: passed through to the runtime primitives
            (local testing mode ignores the error-suppression ones, as hardware would not).
    """

    name: ClassVar[str] = "fake"

    def __init__(self, name: str = "sherbrooke", *, shots: int | None = None, seed=None,
                 optimization_level: int = 2, options: dict | None = None,
                 dynamical_decoupling: str | bool | None = None, twirling: bool | None = None,
                 noise: bool = True, mode: str = "batch"):
        if mode not in MODES:
            raise OptionError(f"IBM mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.mode = mode      # accepted for parity with ibm:<device>; local mode has no sessions
        super().__init__(shots=shots, seed=seed, optimization_level=optimization_level,
                         options=options, dynamical_decoupling=dynamical_decoupling,
                         twirling=twirling)
        self._device = fake_device(name)
        self.device_name = name
        self.noise = bool(noise)

    @property
    def spec(self) -> str:
        return f"fake:{self.device_name}"

    def device(self):
        return self._device

    def _prepare(self, circuit):
        prepared = super()._prepare(circuit)
        prepared.compact, prepared.simulator = self._compact(prepared.measured)
        return prepared

    def _compact(self, isa):
        """(circuit on the used physical qubits only, Aer simulator with their noise)."""
        from qiskit import QuantumCircuit, QuantumRegister
        from qiskit.transpiler import Target
        from qiskit_aer import AerSimulator
        from qiskit_aer.noise import NoiseModel

        used = sorted({isa.find_bit(q).index for inst in isa.data for q in inst.qubits
                       if inst.operation.name != "barrier"})
        remap = {q: i for i, q in enumerate(used)}
        small = QuantumCircuit(QuantumRegister(len(used), "q"), *isa.cregs,
                               global_phase=isa.global_phase)
        for inst in isa.data:
            if inst.operation.name == "barrier":
                continue
            small.append(inst.operation, [remap[isa.find_bit(q).index] for q in inst.qubits],
                         [isa.find_bit(c).index for c in inst.clbits])
        if not self.noise:
            return small, AerSimulator()
        full = self._device.target
        qprops = full.qubit_properties
        sub = Target(num_qubits=len(used), dt=full.dt,
                     qubit_properties=[qprops[q] for q in used] if qprops else None)
        for name in full.operation_names:
            props = {}
            for qargs, p in (full[name] or {}).items():
                if qargs is not None and set(qargs) <= remap.keys():
                    props[tuple(remap[q] for q in qargs)] = p
            if props:
                sub.add_instruction(full.operation_from_name(name), props, name=name)
        view = types.SimpleNamespace(version=2, operation_names=list(sub.operation_names),
                                     target=sub, dt=full.dt)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = NoiseModel.from_backend(view)
        return small, AerSimulator(noise_model=model, basis_gates=model.basis_gates)

    def _counts(self, prepared, circuit, theta, shots, seed):
        self._sim = prepared.simulator
        return super()._counts(prepared, circuit, theta, shots, seed)

    def _mode(self):
        return self._sim

    def _runtime_options(self, seed: int) -> dict:
        opts = dict(self.options)
        opts["simulator"] = {**opts.get("simulator", {}), "seed_simulator": int(seed)}
        return opts

    def _expectation_sampled(self, circuit, theta, obs, shots, seed):
        raise OptionError("fake IBM backends estimate diagonal observables (QUBO / Ising) from "
                          "samples; non-diagonal observables are not supported here")


__all__ = ["FakeIBMBackend", "IBMBackend", "PrimitiveBackend", "check_credentials",
           "fake_backend_names", "fake_device"]
