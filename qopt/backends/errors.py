"""Errors of the backend layer (all :class:`~qopt.errors.SolverError`)."""

from __future__ import annotations

from qopt.errors import SolverError


class BackendError(SolverError):
    """A backend could not be set up or could not run a circuit."""


class CredentialsError(BackendError):
    """No IBM Quantum credentials were found (saved account or environment)."""


class JobFailedError(BackendError):
    """A primitive job failed or was cancelled; ``job_id`` names it for retrieval or resume."""

    def __init__(self, job_id: str | None, status: str, message: str = ""):
        self.job_id = job_id
        self.status = status
        super().__init__(f"job {job_id or '<unknown>'} ended with status {status}"
                         + (f": {message}" if message else ""))


__all__ = ["BackendError", "CredentialsError", "JobFailedError"]
