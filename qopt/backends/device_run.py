"""The device run of one solve: what ``qopt.solve(..., mitigation=..., record=...)`` hands to
the device backends the solver makes, and what it collects back for the result.

:func:`device_run` opens the context for the duration of a solve (a context variable, so
threads and nested solves keep their own). Device backends (:mod:`qopt.backends.primitive`)
read :func:`active_run` when they run: its ``mitigation`` (unless the backend has its own), its
``record`` (:class:`~qopt.backends.record.Record`: every job is written there, or read back
when resuming / replaying), and register the circuits they prepare, so that the solve reports
``info["device"]`` and ``info["mitigation"]`` whatever the solver.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

_ACTIVE: ContextVar[DeviceRun | None] = ContextVar("qopt_device_run", default=None)


@dataclass
class DeviceRun:
    """Settings and collected facts of the device work of one solve."""

    mitigation: Any = None            # a Mitigation, or None (each backend's own)
    record: Any = None                # a Record, or None
    backends: list = field(default_factory=list)
    #: per backend (same order): [last circuit prepared in this run, fingerprints prepared]
    prepared: list = field(default_factory=list)

    def register(self, backend, prepared=None) -> None:
        """Note that ``backend`` runs in this solve and, when given, that it uses the
        prepared circuit ``prepared`` (with its ``fingerprint``)."""
        i = next((k for k, b in enumerate(self.backends) if b is backend), None)
        if i is None:
            self.backends.append(backend)
            self.prepared.append([None, set()])
            i = len(self.backends) - 1
        if prepared is not None:
            self.prepared[i][0] = prepared
            self.prepared[i][1].add(prepared.fingerprint)

    def facts(self) -> dict[str, Any]:
        """``{"device": ..., "mitigation": ...}`` of the backends that ran in this solve (the
        device facts of the last circuit it prepared; how many distinct circuits it
        prepared)."""
        out: dict[str, Any] = {}
        for b, (last, fps) in zip(self.backends, self.prepared):
            facts = b.device_facts(last, len(fps)) if last is not None else None
            if facts is not None:
                out["device"] = facts
            mit = b.mitigation_info(self.mitigation, run=self)
            if mit is not None:
                out["mitigation"] = mit
        return out


def active_run() -> DeviceRun | None:
    """The device run of the solve in progress, or None."""
    return _ACTIVE.get()


@contextmanager
def device_run(*, mitigation=None, record=None):
    """Open a :class:`DeviceRun` for the body (a solve)."""
    run = DeviceRun(mitigation=mitigation, record=record)
    token = _ACTIVE.set(run)
    try:
        yield run
    finally:
        _ACTIVE.reset(token)


__all__ = ["DeviceRun", "active_run", "device_run"]
