"""Qiskit V2 primitives as backends: any user sampler / estimator, IBM Runtime, fake IBM devices.

* :class:`~qopt.backends.primitive.PrimitiveBackend` wraps any ``BaseSamplerV2`` (and
  optionally ``BaseEstimatorV2``).
* :class:`IBMBackend` (``"ibm:<device>"``) runs qiskit-ibm-runtime SamplerV2 / EstimatorV2 in
  Session or Batch mode on a real device. Credentials come only from the user's saved account
  or the environment (``QISKIT_IBM_TOKEN``, ``QISKIT_IBM_INSTANCE``, ``QISKIT_IBM_CHANNEL``);
  they are checked (locally) when the backend is made, before any work, and are never stored
  in results, records or logs: ``str(backend)`` is just the spec.
* :class:`~qopt.backends.fake.FakeIBMBackend` (``"fake:<name>"``, e.g. ``fake:sherbrooke``) is
  the offline mode (see :mod:`qopt.backends.fake`).

Circuits are transpiled with ``generate_preset_pass_manager`` (fixed ``seed_transpiler``) to the
device ISA; measurements land in register ``meas`` with bit i = logical qubit i. A failed or
cancelled job raises :class:`~qopt.backends.base.JobFailedError` with its job id;
:meth:`IBMBackend.retrieve` reads a finished job back, and a run recorded with
``qopt.solve(..., record=DIR)`` resumes from its record (finished jobs read back by id).
Mitigation (:mod:`qopt.backends.mitigation`) post-processes sampler counts; for non-diagonal
observables (EstimatorV2 jobs) it is passed to the Runtime's own resilience options instead
(readout: TREX measurement mitigation; zne: the Runtime's ZNE with the same noise factors).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from qopt.backends.aer import bitarray_counts
from qopt.backends.base import BackendError, CredentialsError
from qopt.backends.fake import FakeIBMBackend, fake_backend_names, fake_device
from qopt.backends.primitive import PrimitiveBackend
from qopt.backends.runtime import (
    MODES,
    RuntimeBackend,
    check_credentials,
    check_mode,
    suppression_options,
)
from qopt.errors import OptionError

#: kept for callers of the old private names
_RuntimeBackend = RuntimeBackend
_suppression_options = suppression_options


class IBMBackend(RuntimeBackend):
    """An IBM Quantum device through qiskit-ibm-runtime (``"ibm:<device>"``).

    Args:
        device: device name, e.g. "ibm_torino".
        mode: "batch" (default), "session" or "job" (each call its own job).
        options: runtime SamplerV2 / EstimatorV2 options, passed through (e.g.
            ``{"dynamical_decoupling": {"enable": True, "sequence_type": "XY4"}}``).
        dynamical_decoupling, twirling: shortcuts merged into ``options``.
        mitigation: "none" | "readout" | "zne" | "readout,zne" (+ "twirling", "dd").
        optimization_level: preset pass manager level (0..3); seed_transpiler: its seed.
        channel, instance, account: which saved account / instance to use (else the default).
    """

    name: ClassVar[str] = "ibm"

    def __init__(self, device: str, *, mode: str = "batch", shots: int | None = None, seed=None,
                 optimization_level: int = 2, options: dict | None = None,
                 dynamical_decoupling: str | bool | None = None, twirling: bool | None = None,
                 mitigation=None, seed_transpiler: int = 0, channel: str | None = None,
                 instance: str | None = None, account: str | None = None):
        check_mode(mode)
        if not device:
            raise OptionError("name the IBM device: 'ibm:<device>', e.g. 'ibm:ibm_torino'")
        check_credentials(channel, account)     # before anything else: no work without them
        super().__init__(shots=shots, seed=seed, optimization_level=optimization_level,
                         options=options, dynamical_decoupling=dynamical_decoupling,
                         twirling=twirling, mitigation=mitigation,
                         seed_transpiler=seed_transpiler)
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

    def _estimator_options(self, seed: int) -> dict:
        """Runtime options plus the Runtime's own resilience for the mitigation asked for."""
        opts = self._runtime_options(seed)
        mit = self.active_mitigation()
        res = dict(opts.get("resilience", {}))
        if mit.readout:
            res.setdefault("measure_mitigation", True)
        if mit.zne:
            res.setdefault("zne_mitigation", True)
            res.setdefault("zne", {"noise_factors": list(mit.scales),
                                   "extrapolator": ("linear" if mit.extrapolation == "linear"
                                                    else f"polynomial_degree_"
                                                    f"{len(mit.scales) - 1}")})
        if res:
            opts["resilience"] = res
        return opts

    def close(self) -> None:
        if self._context is not None:
            try:
                self._context.close()
            finally:
                self._context = None

    def fetch_job(self, job_id: str | None):
        """The runtime job ``job_id`` (resume reads finished jobs back instead of rerunning)."""
        if not job_id:
            return None
        try:
            return self.service().job(job_id)
        except CredentialsError:
            raise
        except Exception as exc:
            raise BackendError(f"cannot read job {job_id} back from IBM Quantum "
                               f"({type(exc).__name__}: {exc})") from None

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


__all__ = ["MODES", "FakeIBMBackend", "IBMBackend", "PrimitiveBackend", "check_credentials",
           "fake_backend_names", "fake_device"]
