"""The exceptions qopt raises. Every one derives from :class:`QoptError`."""

from __future__ import annotations


class QoptError(Exception):
    """Base class of every error qopt raises on purpose."""


class InstanceFormatError(QoptError):
    """A malformed instance file; names the file and, where known, the line (1-based)."""

    def __init__(self, path: object, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class OptionError(QoptError, ValueError):
    """A bad option value or an option name a solver or command does not know."""


class ModelError(OptionError):
    """A malformed user model (:class:`qopt.Program`): names the variable, constraint or
    argument at fault."""


class SizeLimitError(QoptError, MemoryError):
    """A request that would not fit (memory, qubits, variables); raised before allocating."""


class SolverError(QoptError, RuntimeError):
    """A solver could not produce a result (infeasible model, backend failure, ...)."""


class ConfigError(QoptError, ValueError):
    """A malformed configuration (sweep TOML, partitioner preset); names the file and key."""


class StoreError(QoptError):
    """A results store that cannot be used (damaged, not a store, locked); names the file and
    how to recover."""


class QoptWarning(UserWarning):
    """Something qopt did on purpose that changes the input (e.g. repeated edges merged)."""
