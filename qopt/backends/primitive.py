"""Any Qiskit V2 sampler / estimator as a backend; the job, record and mitigation plumbing
shared with the IBM Runtime and fake-device backends (:mod:`qopt.backends.ibm`,
:mod:`qopt.backends.fake`).

A circuit is prepared once: final measurements into register ``meas`` (bit i = logical qubit
i), transpiled by the backend's pass manager (the device ISA). Every execution is one *job* of
one or more pubs ``(ISA circuit, parameter values (k, P))``: :meth:`PrimitiveBackend.submit_job`
and :meth:`~PrimitiveBackend.collect_job`. Inside ``qopt.solve(..., record=DIR)`` each job goes
through the :class:`~qopt.backends.record.Record` (written, or read back on resume / replay),
and prepared circuits are taken from the record when it has them, so a resumed or replayed run
executes exactly the recorded ISA circuits. Mitigation: :mod:`qopt.backends.mitigation`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from qopt.backends.aer import bitarray_counts
from qopt.backends.base import Backend, JobFailedError, Observable
from qopt.backends.device_run import active_run
from qopt.backends.mitigated import MitigatedSampling
from qopt.backends.mitigation import Mitigation
from qopt.errors import OptionError

_FAILED = {"ERROR", "CANCELLED", "FAILED"}


class Prepared:
    """A circuit prepared for a primitive backend.

    measured: the measured ISA circuit (what the sampler runs); measured_qubits: physical
    qubit read into each bit; fingerprint: the logical circuit's
    (:func:`~qopt.backends.record.circuit_fingerprint`); derived: circuits made from it by role
    (``measured``, ``fold3``, ``cal0``, ...); facts: its device facts (or None).
    """

    def __init__(self, measured, fingerprint: str, measured_qubits: tuple[int, ...],
                 facts: dict | None = None):
        self.measured = measured
        self.fingerprint = fingerprint
        self.measured_qubits = measured_qubits
        self.facts = facts
        self.unmeasured = None            # ISA circuit for the estimator (built on demand)
        self.derived: dict[str, Any] = {"measured": measured}


def _status_name(job) -> str:
    try:
        st = job.status()
    except Exception:  # the status call itself failed (network, local job crashed)
        return "ERROR"
    return str(getattr(st, "name", st)).upper().split(".")[-1]


class PrimitiveBackend(MitigatedSampling, Backend):
    """Any Qiskit ``BaseSamplerV2`` (sampling) and ``BaseEstimatorV2`` (non-diagonal
    expectation values) as a backend. Sampling mode only.

    Args:
        sampler: a ``BaseSamplerV2``; needed for expectation of diagonal observables, CVaR,
            correlators and samples.
        estimator: an optional ``BaseEstimatorV2`` for non-diagonal observables.
        pass_manager: transpiles circuits before they run (default: to the device of a
            primitive bound to one, else none).
        mitigation: "none" | "readout" | "zne" | "readout,zne" (see
            :mod:`qopt.backends.mitigation`).
    """

    name: ClassVar[str] = "primitive"
    supports_exact: ClassVar[bool] = False
    #: whether this backend makes its own primitives per call (runtime / fake devices)
    _own_primitives: ClassVar[bool] = False

    def __init__(self, sampler=None, estimator=None, *, shots: int | None = None, seed=None,
                 pass_manager=None, mitigation=None):
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
        self.mitigation = Mitigation.parse(mitigation)
        prim = sampler if sampler is not None else estimator
        self._facts_device = _bound_device(prim)
        self.pass_manager = pass_manager if pass_manager is not None else \
            _isa_pass_manager(self._facts_device)
        self._last: Prepared | None = None
        self._ids: dict[int, tuple[Any, str]] = {}

    @property
    def spec(self) -> str:
        prim = self.sampler if self.sampler is not None else self.estimator
        return f"primitive:{type(prim).__name__}"

    # ---- devices ----------------------------------------------------------------------------
    def _target(self):
        """The device target (basis and error rates), or None."""
        dev = self._facts_device
        return getattr(dev, "target", None) if dev is not None else None

    def _device_name(self) -> str:
        dev = self._facts_device
        return str(getattr(dev, "name", None) or self.spec)

    def _calibrated(self) -> str | None:
        from qopt.backends.device_facts import calibration_time

        return calibration_time(self._facts_device) if self._facts_device is not None else None

    # ---- preparation ------------------------------------------------------------------------
    def _transpile(self, circuit):
        return circuit if self.pass_manager is None else self.pass_manager.run(circuit)

    def _prepare(self, circuit):
        from qopt.backends.device_facts import device_facts
        from qopt.backends.readout import measured_qubits
        from qopt.backends.record import circuit_fingerprint

        fp = circuit_fingerprint(circuit)
        record = _record()
        hit = record.load_circuit(f"{fp}_measured") if record is not None else None
        if hit is not None:
            isa, meta = hit
            return Prepared(isa, fp, tuple(meta["measured_qubits"]), meta.get("facts"))
        base = circuit.remove_final_measurements(inplace=False)
        measured = base.copy()
        measured.measure_all()
        isa = self._transpile(measured)
        mq = measured_qubits(isa)
        facts = device_facts(isa, name=self._device_name(), measured=mq, target=self._target(),
                             calibrated=self._calibrated())
        if record is not None:
            record.save_circuit(f"{fp}_measured", isa, {"measured_qubits": list(mq),
                                                       "facts": facts})
        return Prepared(isa, fp, mq, facts)

    def _compiled_circuit(self, prepared):
        return prepared.measured

    def prepare(self, circuit):
        """The prepared circuit (cached per circuit object); noted in the solve's device run,
        so its ``info["device"]`` describes the circuits this solve ran."""
        prepared = super().prepare(circuit)
        run = active_run()
        if run is not None:
            run.register(self, prepared)
        return prepared

    def _record_circuit(self, circuit, prepared) -> None:
        super()._record_circuit(circuit, prepared)
        self._last = prepared
        self._ids[id(prepared.measured)] = (prepared.measured, f"{prepared.fingerprint}_measured")

    def _derived(self, prepared: Prepared, role: str, make):
        """The circuit of ``role`` derived from ``prepared``: cached, else from the record,
        else ``make()`` (then recorded)."""
        circ = prepared.derived.get(role)
        if circ is not None:
            return circ
        cid = f"{prepared.fingerprint}_{role}"
        record = _record()
        hit = record.load_circuit(cid) if record is not None else None
        if hit is not None:
            circ = hit[0]
        else:
            circ = make()
            if record is not None:
                record.save_circuit(cid, circ, {"role": role})
        prepared.derived[role] = circ
        self._ids[id(circ)] = (circ, cid)
        return circ

    def _folded(self, prepared: Prepared, scale: int):
        if int(scale) == 1:
            return prepared.measured
        from qopt.backends.folding import fold_global

        return self._derived(prepared, f"fold{int(scale)}",
                             lambda: fold_global(prepared.measured, scale, self._target()))

    def _calibration_circuits(self, prepared: Prepared):
        from qopt.backends.readout import calibration_circuits

        made: list = []

        def make(i):
            if not made:
                made.extend(calibration_circuits(prepared.measured, prepared.measured_qubits,
                                                 self._target()))
            return made[i]

        return [self._derived(prepared, f"cal{i}", lambda i=i: make(i)) for i in (0, 1)]

    def _unmeasured(self, prepared, circuit):
        if prepared.unmeasured is None:
            prepared.unmeasured = self._transpile(circuit.remove_final_measurements(inplace=False))
        return prepared.unmeasured

    def device_facts(self, prepared: Prepared | None = None, circuits: int | None = None
                     ) -> dict | None:
        """``info["device"]``: facts of ``prepared`` (default: the last circuit prepared; None
        before any) and ``circuits``, how many distinct circuits were prepared (default: by
        this backend so far)."""
        last = prepared if prepared is not None else self._last
        if last is None or last.facts is None:
            return None
        return {**last.facts, "circuits": len(self._prepared) if circuits is None else circuits}

    # ---- jobs ---------------------------------------------------------------------------------
    def _sampler_for(self, seed: int):
        return self.sampler

    def _estimator_for(self, seed: int):
        return self.estimator

    def record_options(self) -> dict:
        """The options recorded with each job."""
        return {}

    def _execute(self, kind: str, pubs, shots: int, seed: int):
        """Run one job of ``pubs`` [(circuit, values (k, P) or None)]: [per pub: [per row:
        (indices, counts)]]; through the solve's record when there is one."""
        if self.sampler is None and not self._own_primitives:
            raise OptionError(f"backend {self.spec!r} has no sampler; CVaR, correlators and "
                              "samples need one")
        record = _record()
        if record is None:
            return self.collect_job(self.submit_job(pubs, shots, seed), pubs)
        named = [(self._ids.get(id(c), (None, None))[1] or f"anon{i}", c, v)
                 for i, (c, v) in enumerate(pubs)]
        return record.job(self, kind, named, shots, seed)

    @staticmethod
    def _sampler_pubs(pubs):
        out = []
        for circ, values in pubs:
            if circ.num_parameters:
                out.append((circ, np.asarray(values, dtype=float)))
            else:
                out.extend([(circ,)] * _rows(values))
        return out

    def submit_job(self, pubs, shots: int, seed: int):
        """Submit one sampler job of ``pubs``; returns the job handle."""
        return self._sampler_for(seed).run(self._sampler_pubs(pubs), shots=shots)

    def collect_job(self, job, pubs):
        """Wait for ``job`` (of ``pubs``) and return its counts per pub and row."""
        result = self._result(job)
        out, r = [], 0
        for circ, values in pubs:
            if circ.num_parameters:
                bits = result[r].data.meas
                r += 1
                out.append([bitarray_counts(bits[i]) for i in range(_rows(values))]
                           if bits.ndim else [bitarray_counts(bits)])
            else:
                k = _rows(values)
                out.append([bitarray_counts(result[r + i].data.meas) for i in range(k)])
                r += k
        return out

    def fetch_job(self, job_id: str | None):
        """A finished or running job by id, to collect on resume (None: rerun it)."""
        return None

    @staticmethod
    def job_id(job) -> str | None:
        try:
            return str(job.job_id())
        except Exception:  # some primitives have no job id
            return None

    def _result(self, job) -> Any:
        """Wait for ``job``; record its id and QPU time; raise JobFailedError on failure."""
        job_id = self.job_id(job)
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
        self.last_quantum_seconds = None if seconds is None else float(seconds)
        if seconds is not None:
            self.usage.qpu_time = (self.usage.qpu_time or 0.0) + float(seconds)

    def _counts(self, prepared, circuit, theta, shots, seed):
        return self._execute("sample", [(prepared.measured, theta)], shots, seed)[0]

    def _expectation_sampled(self, circuit, theta, obs: Observable, shots, seed):
        if self.estimator is None and not self._own_primitives:
            raise OptionError(f"backend {self.spec!r} has no estimator for a non-diagonal "
                              "observable")
        if _record() is not None:
            raise OptionError("record= covers sampler jobs; a non-diagonal observable needs "
                              "estimator jobs, which are not recorded")
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


def _rows(values) -> int:
    """Parameter sets in a pub's values ((k, P) array, or None / 1-D for one set)."""
    if values is None:
        return 1
    arr = np.asarray(values)
    return int(arr.shape[0]) if arr.ndim == 2 else 1


def _record():
    run = active_run()
    return None if run is None else run.record


def _bound_device(primitive):
    """The device behind a primitive bound to one (runtime primitives in job / session /
    batch mode, Aer's, BackendSamplerV2), else None."""
    if primitive is None:
        return None
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
    return device


def _isa_pass_manager(device, seed_transpiler: int = 0):
    """A preset pass manager (level 2, fixed seed) to ``device``, or None without one."""
    if device is None:
        return None
    from qiskit.transpiler import generate_preset_pass_manager

    return generate_preset_pass_manager(optimization_level=2, backend=device,
                                        seed_transpiler=seed_transpiler)


__all__ = ["Prepared", "PrimitiveBackend"]
