"""Samples: bit rows with optional weights, the one currency between backends and solvers.

It lives below both layers: a backend's ``sample`` returns :class:`Samples`, a solver's
:class:`~qopt.solvers.base.SolverOutput` carries them, :func:`qopt.solve` decodes them.
Bit order as in :mod:`qopt.bits`: column i is variable (qubit) i.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Samples:
    """Bit rows, shape (k, n) uint8, with optional weights, shape (k,): counts or probabilities.

    Rows need not be unique. ``weights=None`` means each row counts once.
    """

    bits: np.ndarray
    weights: np.ndarray | None = None

    def __post_init__(self):
        self.bits = np.atleast_2d(np.asarray(self.bits, dtype=np.uint8))
        if self.weights is not None:
            self.weights = np.asarray(self.weights, dtype=float).reshape(-1)
            if self.weights.shape[0] != self.bits.shape[0]:
                raise ValueError("one weight per sample row is needed")

    def unique(self) -> Samples:
        """Rows merged: unique bit rows with summed weights, normalised to probabilities."""
        w = np.ones(len(self.bits)) if self.weights is None else self.weights
        rows, inverse = np.unique(self.bits, axis=0, return_inverse=True)
        total = np.bincount(inverse.reshape(-1), weights=w, minlength=len(rows))
        s = total.sum()
        return Samples(rows, total / s if s > 0 else total)


__all__ = ["Samples"]
