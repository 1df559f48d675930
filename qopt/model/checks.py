"""Argument checks shared by the model classes: each raises an OptionError naming the argument
(``what``) instead of letting numpy / scipy fail with a raw ValueError or TypeError."""

from __future__ import annotations

import numpy as np

from qopt.errors import OptionError, SizeLimitError

#: most variables a BinaryProgram / HUBO / QUBO holds
MAX_VARS = 1 << 24


def number(value, what: str, error: type[OptionError] = OptionError) -> float:
    """A finite real number (else ``error``, an OptionError subclass, naming ``what``)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number) \
            or isinstance(value, complex | np.complexfloating):
        raise error(f"{what} {value!r} is not a real number")
    v = float(value)
    if not np.isfinite(v):
        raise error(f"{what} {v} is not finite")
    return v


def count(value, what: str, limit: int | None = None) -> int:
    """A non-negative integer, at most ``limit`` (SizeLimitError past it)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer) or value < 0:
        raise OptionError(f"{what} must be a non-negative integer, got {value!r}")
    if limit is not None and value > limit:
        raise SizeLimitError(f"{what} = {value} is over the limit {limit:,}")
    return int(value)


def vector(values, n: int | None, what: str) -> np.ndarray:
    """A finite float vector of length n (any length for None); zeros for None."""
    if values is None:
        return np.zeros(n or 0)
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise OptionError(f"{what} must be a sequence of real numbers") from None
    if arr.ndim > 1 and sum(d > 1 for d in arr.shape) > 1:
        raise OptionError(f"{what} must be one-dimensional, got shape {arr.shape}")
    arr = arr.reshape(-1)
    if n is not None and arr.shape != (n,):
        raise OptionError(f"{what} has {arr.size} entries, expected {n}")
    if not np.all(np.isfinite(arr)):
        raise OptionError(f"{what} has a non-finite entry")
    return arr


def bit_rows(x, n: int, what: str = "bitstrings") -> tuple[np.ndarray, bool]:
    """``x`` as a (k, n) uint8 matrix of 0/1 and whether it was one row (shape (n,)); values
    are checked to be 0/1 unless already uint8 / bool (the toolkit's own bit arrays)."""
    try:
        arr = np.asarray(x)
        if arr.dtype.kind not in "biuf":
            raise TypeError
        single = arr.ndim == 1
        X = np.atleast_2d(arr)
    except (TypeError, ValueError):
        raise OptionError(f"{what} must be an array of 0/1 of shape ({n},) or (k, {n})") \
            from None
    if X.ndim != 2 or X.shape[1] != n:
        raise OptionError(f"{what} have shape {arr.shape}, expected ({n},) or (k, {n})")
    if X.dtype not in (np.uint8, np.bool_) and X.size and not np.all((X == 0) | (X == 1)):
        raise OptionError(f"{what} must hold only 0 and 1")
    return X.astype(np.uint8, copy=False), single


def file_path(value, what: str = "path"):
    """A ``pathlib.Path`` of a str / os.PathLike ``value`` (else an OptionError naming it)."""
    import os
    from pathlib import Path

    if not isinstance(value, str | os.PathLike) or not str(value):
        raise OptionError(f"{what} must be a file path (str or os.PathLike), got {value!r}")
    return Path(value)
