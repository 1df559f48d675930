"""The backend of a replay: ``ibm:<device>`` / ``fake:<name>`` served from a record.

Inside :func:`qopt.replay` (a record in replay mode is active), :func:`qopt.get_backend` gives
a :class:`ReplayBackend` for device specs: it takes every prepared and derived circuit and every
job's counts from the record (:mod:`qopt.backends.record`), never contacts a device, needs no
credentials, and raises :class:`~qopt.backends.record.ReplayError` when the run asks for a
circuit or job the record does not hold.
"""

from __future__ import annotations

from typing import ClassVar

from qopt.backends.record import ReplayError
from qopt.backends.runtime import RuntimeBackend

#: constructor keywords of the device backends that a replay keeps
_KEPT = ("shots", "seed", "optimization_level", "options", "dynamical_decoupling", "twirling",
         "mitigation", "seed_transpiler")


class ReplayBackend(RuntimeBackend):
    """A device backend spec (``spec``) replayed from the active record."""

    name: ClassVar[str] = "replay"

    def __init__(self, spec: str, **kwargs):
        super().__init__(**{k: v for k, v in kwargs.items() if k in _KEPT})
        self._spec = spec
        self.mode = kwargs.get("mode", "batch")

    @property
    def spec(self) -> str:
        return self._spec

    def device(self):
        raise ReplayError(f"a replay of {self._spec} never contacts a device: the run asked "
                          "for something only the device could give (the record is "
                          "incomplete or the solve call changed)")

    def check_circuit(self, circuit, *, exact=None) -> None:
        """Nothing to check: the record's circuits ran on the device."""

    def submit_job(self, pubs, shots: int, seed: int):
        return self.device()


__all__ = ["ReplayBackend"]
