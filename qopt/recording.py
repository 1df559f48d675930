"""Device runs inside ``qopt.solve``: ``mitigation=`` and ``record=``, and :func:`replay`.

``qopt.solve(..., mitigation="readout,zne")`` applies the mitigation to every device backend the
solver runs on (:mod:`qopt.backends.mitigation`); ``record=DIR`` writes the run to ``DIR``
(:mod:`qopt.backends.record`): the solve call, every executed ISA circuit, bound parameters,
raw counts, job ids, options and versions, and finally the result. Running the same solve
with the same ``record=DIR`` after the process was killed *resumes* it: the recorded jobs are
served from the record (a job that was only submitted to IBM Quantum is read back by its id),
not run again, and the run continues where it stopped. :func:`~qopt.records.replay`
(``qopt replay DIR``)
recomputes the result from the record alone, without a device or credentials, and says
whether it is identical to the recorded one (timings and versions aside).

A record reproduces a run because a solve with a given seed is deterministic given the counts
its jobs return: the replay asks for the same jobs in the same order (checked against the
record: circuit, shots, seed, bound values) and gets the recorded counts. Hence ``record=``
needs an explicit ``seed`` and an optimizer given by name.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
from pathlib import Path, PurePath
from typing import Any

from qopt.errors import OptionError

#: result keys that differ between a run and its replay by nature (seconds, versions)
VOLATILE = frozenset({"wall_time", "compile_time", "time", "versions", "record", "replay",
                      "setup_time", "simulation_time", "qpu_time", "seconds"})


def is_device(backend) -> bool:
    """Whether ``backend`` names or is a sampling device backend (ibm:, fake:, primitive)."""
    if isinstance(backend, str):
        return backend.strip().lower().split(":")[0] in ("ibm", "fake")
    from qopt.backends.base import Backend

    if isinstance(backend, Backend):
        from qopt.backends.primitive import PrimitiveBackend

        return isinstance(backend, PrimitiveBackend)
    if backend is None:
        return False
    try:
        from qiskit.primitives import BaseSamplerV2
    except ImportError:  # pragma: no cover - qiskit is a core dependency
        return False
    return isinstance(backend, BaseSamplerV2) or (isinstance(backend, tuple)
                                                  and any(isinstance(b, BaseSamplerV2)
                                                          for b in backend))


def check_device_options(*, quantum: bool, backend, mitigation, record, seed, optimizer,
                         solver_name: str, mitigates: bool = True):
    """Refuse, before any work, ``mitigation`` / ``record`` where they cannot apply
    (``mitigates``: whether the solver charges and reads mitigated estimates, its
    ``supports_mitigation`` class attribute); returns the parsed
    :class:`~qopt.backends.mitigation.Mitigation` (or None)."""
    mit = None
    given = [k for k, v in (("mitigation", mitigation), ("record", record)) if v is not None]
    if given and not quantum:
        raise OptionError(f"solver {solver_name!r} is classical: {' and '.join(given)}= "
                          "apply only to quantum solvers on a device backend")
    from qopt.backends.mitigation import Mitigation

    own = getattr(backend, "mitigation", None)     # a device backend object's own
    own = own if isinstance(own, Mitigation) and own.spec != "none" else None
    if mitigation is not None:
        mit = Mitigation.parse(mitigation)
        if own is not None and mit.spec not in ("none", own.spec):
            raise OptionError(f"backend {backend.spec!r} was made with "
                              f"mitigation={own.spec!r} but the solve asks for "
                              f"mitigation={mit.spec!r}")
    effective = mit if mit is not None and mit.spec != "none" else own
    if effective is not None and effective.active and not mitigates:
        whose = " (the backend's own)" if effective is own else ""
        raise OptionError(f"solver {solver_name!r} reads raw counts and does not take "
                          f"mitigation={effective.spec!r}{whose} yet; the QAOA family, vqe, "
                          "cvar-vqe and pce do (twirling / dd alone pass through)")
    if mit is not None and mit.spec != "none" and not is_device(backend):
        raise OptionError(f"mitigation={mit.spec!r} needs a sampling device backend "
                          "(ibm:<device>, fake:<name> or a Qiskit sampler); backend "
                          f"{backend!r} is a simulator without device noise")
    if record is not None:
        from qopt.backends.record import Record

        if isinstance(record, Record):
            return mit
        if not is_device(backend):
            raise OptionError(f"record= records device jobs: use backend='ibm:<device>', "
                              f"'fake:<name>' or a Qiskit sampler (got {backend!r})")
        if seed is None:
            raise OptionError("record= needs an explicit seed: a resumed or replayed run "
                              "repeats the same solve")
        if optimizer is not None and not isinstance(optimizer, str):
            raise OptionError("record= needs the optimizer by name (e.g. optimizer='cobyla'), "
                              "so the record can repeat the call")
    return mit


def _target_entry(target, problem, kind) -> tuple[dict, bytes | None]:
    """How the record names the problem: its spec / file (with a digest), or a pickle."""
    if isinstance(target, str | PurePath):
        entry: dict[str, Any] = {"spec": str(target), "kind": kind}
        path = Path(str(target).split(":", 1)[-1]) if ":" in str(target) else Path(target)
        if path.is_file():
            entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        return entry, None
    blob = pickle.dumps(problem)
    return {"pickle": "problem.pkl", "sha256": hashlib.sha256(blob).hexdigest()}, blob


def _backend_entry(backend) -> dict:
    if backend is None or isinstance(backend, str):
        return {"spec": backend}
    from qopt.backends.registry import backend_spec

    spec = backend_spec(backend)
    out: dict[str, Any] = {"spec": spec, "object": True}
    mit = getattr(backend, "mitigation", None)
    if mit is not None and mit.spec != "none":
        out["mitigation"] = mit.spec
    if getattr(backend, "shots", None) is not None:
        out["shots"] = int(backend.shots)
    return out


class DeviceSession:
    """The device side of one solve: opens the record (new, resumed or replayed) and the
    :func:`~qopt.backends.device_run.device_run` context; :meth:`finish` adds
    ``info["device"]``, ``info["mitigation"]``, ``info["record"]`` and closes the record."""

    def __init__(self, *, mitigation=None, record=None):
        self.mitigation = mitigation
        self.record_arg = record
        self.record = None
        self._ctx = None
        self.run = None

    def open(self, *, target, problem, solver, options: dict, kind, backend, optimizer, seed,
             budget, penalty, encoding, postprocess, versions: dict, optimum=None,
             reference=None):
        from qopt.backends.device_run import device_run
        from qopt.backends.record import Record
        from qopt.solvers.result import plain

        if isinstance(self.record_arg, Record):
            self.record = self.record_arg
        elif self.record_arg is not None:
            tentry, blob = _target_entry(target, problem, kind)
            call = {"target": tentry, "solver": solver, "options": options,
                    "backend": _backend_entry(backend), "optimizer": optimizer, "seed": seed,
                    "budget": budget, "penalty": penalty, "encoding": encoding,
                    "postprocess": postprocess, "optimum": optimum, "reference": reference,
                    "mitigation": None if self.mitigation is None else self.mitigation.spec}
            call = json.loads(json.dumps(plain(call)))
            self.record = Record.start(self.record_arg, call, versions)
            if blob is not None and not (self.record.path / "problem.pkl").exists():
                from qopt.backends.record import _write_atomic

                _write_atomic(self.record.path / "problem.pkl", blob)
        self._ctx = device_run(mitigation=self.mitigation, record=self.record)
        self.run = self._ctx.__enter__()
        return self

    def close(self, *exc) -> None:
        if self._ctx is not None:
            self._ctx.__exit__(*(exc or (None, None, None)))
            self._ctx = None

    def finish(self, result) -> None:
        """Add the device facts to ``result.info`` and write the record's result."""
        if self.run is not None:
            result.info.update(self.run.facts())
        if self.record is not None:
            result.info["record"] = self.record.summary()
            self.record.finish(result.to_dict())


def solver_options(slv) -> dict:
    """A solver's options as the plain dict ``make_solver(name, **options)`` takes back."""
    return dataclasses.asdict(slv.options) if slv.options is not None else {}


__all__ = ["VOLATILE", "DeviceSession", "check_device_options", "is_device", "solver_options"]
