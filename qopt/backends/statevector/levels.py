"""Integer-valued cost diagonals as one byte (or two) per basis state.

The QAOA cost diagonal of most problems here is integer-valued with few distinct values
(MaxCut on n vertices: at most |E| + 1; MIS, MDKP, QAP with integer weights). Stored as
``levels[s] = d[s] - lo`` in uint8 (up to 256 levels) or uint16 (up to 65536), it takes 1/8 or
1/4 of a float64 diagonal: at n = 30, 1 GiB instead of 8 GiB, which is what lets a complex64
state of 30 or 31 qubits and its cost fit in memory, and every pass that reads the cost moves
that much less. The engine's kernels read the levels like any diagonal: the phase of level k
comes from the per-layer table ``exp(-i gamma (lo + k))`` and expectations are taken of the
levels, then shifted by ``lo`` (the state is normalised; adjoint gradients need no shift: a
constant added to the cost changes neither ``d<H>/dbeta`` nor ``d<H>/dgamma``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qopt.errors import OptionError
from qopt.limits import check_allocation

#: most levels stored (uint16)
MAX_LEVELS = 1 << 16
#: fewest qubits whose QAOA evaluators store an integer cost as levels (below, the float64
#: diagonal is small anyway: 128 MiB at n = 24)
LEVELS_MIN_QUBITS = 24


@dataclass(frozen=True)
class LevelDiagonal:
    """``d[s] = lo + levels[s]`` for an integer-valued diagonal; ``levels`` uint8 or uint16,
    shape (2^n,); ``count`` = 1 + the largest level."""

    levels: np.ndarray
    lo: float
    count: int

    @property
    def size(self) -> int:
        return int(self.levels.size)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.levels.shape

    @property
    def nbytes(self) -> int:
        return int(self.levels.nbytes)

    def values(self) -> np.ndarray:
        """The diagonal as float64, shape (2^n,) (a new full-size array)."""
        return self.lo + self.levels.astype(np.float64)

    @staticmethod
    def dtype_for(count: int) -> np.dtype:
        """uint8 for at most 256 levels, else uint16 (at most :data:`MAX_LEVELS`)."""
        if count > MAX_LEVELS:
            raise OptionError(f"{count} levels: a level diagonal holds at most {MAX_LEVELS}")
        return np.dtype(np.uint8 if count <= 256 else np.uint16)

    @classmethod
    def from_array(cls, d) -> LevelDiagonal | None:
        """The level form of a float diagonal, or None when it is not integer-valued with at
        most :data:`MAX_LEVELS` levels."""
        d = np.asarray(d)
        if d.size == 0 or not np.all(np.isfinite(d)):
            return None
        lo, hi = float(d.min()), float(d.max())
        if hi - lo >= MAX_LEVELS or not np.array_equal(d, np.floor(d)):
            return None
        count = int(hi - lo) + 1
        return cls((d - lo).astype(cls.dtype_for(count)), lo, count)

    @classmethod
    def from_cost(cls, cost, *, chunk_bits: int = 20, memory_limit: int | None = None
                  ) -> LevelDiagonal | None:
        """The level form of ``cost.diagonal()`` (a QUBO / HUBO with integer coefficients),
        built chunk by chunk: the float diagonal is never held whole. Levels count from the
        lower bound ``offset + sum of negative coefficients``; None when a coefficient is not
        an integer or the span ``sum |coefficients|`` exceeds :data:`MAX_LEVELS`."""
        n = int(cost.num_vars)
        lo, span = _integer_bounds(cost)
        if lo is None or span + 1 > MAX_LEVELS:
            return None
        count = int(span) + 1
        dtype = cls.dtype_for(count)
        check_allocation((1 << n) * dtype.itemsize,
                         f"the cost levels of {n} qubits (2^{n} {dtype.name})", memory_limit)
        levels = np.empty(1 << n, dtype=dtype)
        top = 0.0
        for start, chunk in cost.iter_diagonal_chunks(min(chunk_bits, n)):
            k = chunk - lo
            top = max(top, float(k.max()))
            levels[start:start + chunk.size] = k
        return cls(levels, float(lo), int(top) + 1)


def level_dtype(cost) -> np.dtype | None:
    """The level dtype :meth:`LevelDiagonal.from_cost` would use for ``cost`` (uint8 or
    uint16), or None when its coefficients are not integers or span too many levels; from the
    coefficients alone (nothing 2^n)."""
    lo, span = _integer_bounds(cost)
    if lo is None or span + 1 > MAX_LEVELS:
        return None
    return LevelDiagonal.dtype_for(int(span) + 1)


def _integer_bounds(cost) -> tuple[float | None, float]:
    """(lower bound of the diagonal, span sum |coefficients|) of a cost with integer
    coefficients (terms of any degree), or (None, 0) when one is not an integer."""
    coefs = [np.asarray(cost.linear, dtype=float)]
    quad = getattr(cost, "quadratic", None)
    if quad is not None:
        coefs.append(np.asarray(quad.data if hasattr(quad, "data") else quad, dtype=float))
    for _idx, c in getattr(cost, "terms", {}).values():
        coefs.append(np.asarray(c, dtype=float))
    allc = np.concatenate([c.ravel() for c in coefs]) if coefs else np.zeros(0)
    offset = float(cost.offset)
    if not (np.all(allc == np.floor(allc)) and math.isfinite(offset)
            and offset == math.floor(offset)):
        return None, 0.0
    return offset + float(allc[allc < 0].sum()), float(np.abs(allc).sum())


__all__ = ["LEVELS_MIN_QUBITS", "MAX_LEVELS", "LevelDiagonal", "level_dtype"]
