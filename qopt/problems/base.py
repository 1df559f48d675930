"""The Problem protocol every problem class implements.

A problem holds its native data and speaks its native objective; ``to_program()`` gives the
BinaryProgram whose variables are the problem's ``num_vars`` bits (same order, see
:mod:`qopt.bits`). ``sense`` says whether the native objective is minimised or maximised.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from qopt.bits import as_bit_matrix
from qopt.model.program import BinaryProgram
from qopt.model.structure import ConstraintStructure, detect_structure


class Problem(ABC):
    """Base class of the problem classes in the registry.

    Subclasses set ``kind`` (the registry key, e.g. ``"mdkp"``), ``sense`` and implement
    ``num_vars``, ``evaluate``, ``violation``, ``build_program``, ``decode`` and ``encode``.
    ``evaluate`` / ``violation`` / ``is_feasible`` take x of shape (n,) (-> scalar) or (k, n)
    (-> shape (k,)), vectorised over rows.
    """

    kind: ClassVar[str] = ""
    sense: ClassVar[str] = "min"
    #: False where the native objective of an infeasible x is still a meaningful score against
    #: ``optimum`` (market split: the optimum is the least total deviation, often above 0)
    optimum_needs_feasible: ClassVar[bool] = True
    #: kinds of neighbourhood move ``local_search`` may use: "flip" and/or "swap"
    moves: ClassVar[tuple[str, ...]] = ("flip",)

    def __init__(self, name: str | None = None, optimum: float | None = None,
                 source: str | None = None):
        self.name = name or self.kind
        self.optimum = optimum
        self.source = source

    # ---- required -------------------------------------------------------------------------
    @property
    @abstractmethod
    def num_vars(self) -> int: ...

    @abstractmethod
    def evaluate_batch(self, X: np.ndarray) -> np.ndarray:
        """Native objective of each row of X, shape (k, n) uint8 -> (k,) float."""

    @abstractmethod
    def violation_batch(self, X: np.ndarray) -> np.ndarray:
        """Total constraint violation of each row, shape (k,), 0 when feasible."""

    @abstractmethod
    def build_program(self) -> BinaryProgram:
        """The BinaryProgram of this problem (called once, cached by ``to_program``)."""

    @abstractmethod
    def decode(self, bits) -> Any:
        """Native, JSON-serialisable solution of one bit vector (list of items, permutation ...)."""

    @abstractmethod
    def encode(self, solution) -> np.ndarray:
        """Inverse of ``decode``: bits, shape (n,) uint8."""

    # ---- provided ---------------------------------------------------------------------------
    def evaluate(self, x):
        X, single = as_bit_matrix(x)
        v = self.evaluate_batch(X)
        return float(v[0]) if single else v

    def violation(self, x):
        X, single = as_bit_matrix(x)
        v = self.violation_batch(X)
        return float(v[0]) if single else v

    def is_feasible(self, x, tol: float = 1e-9):
        v = self.violation(x)
        return bool(v <= tol) if np.ndim(x) == 1 else v <= tol

    def to_program(self) -> BinaryProgram:
        return self._program

    @cached_property
    def _program(self) -> BinaryProgram:
        return self.build_program()

    def to_minimisation(self, values):
        """Native objective value(s) mapped to the minimisation the toolkit uses."""
        if self.sense == "min":
            return values
        return -np.asarray(values) if np.ndim(values) else -values

    def repair(self, x) -> np.ndarray:
        """A feasible solution near x (default: x unchanged; classes override)."""
        return np.asarray(x, dtype=np.uint8).copy()

    def values(self, bits) -> dict:
        """One bit row in the user's terms, ``{variable name: value}`` (``SolveResult.values``):
        by default the program's variable names with their 0/1 bits; a user model's own
        variables (integers, spins) in :class:`~qopt.problems.custom.ModelProblem`."""
        names = self.to_program().var_names
        return {name: int(b) for name, b in zip(names, np.asarray(bits).reshape(-1),
                                                strict=True)}

    def encode_batch(self, solutions) -> np.ndarray:
        """:meth:`encode` of each solution (e.g. rows of a (k, m) permutation array) -> (k, n)
        uint8 (default: one by one; classes with a vectorised encoding override it)."""
        rows = [np.asarray(self.encode([int(i) for i in s]), dtype=np.uint8) for s in solutions]
        return np.stack(rows) if rows else np.zeros((0, self.num_vars), dtype=np.uint8)

    def repair_batch(self, X) -> np.ndarray:
        """:meth:`repair` of every row of X, shape (k, n) -> (k, n) uint8 (default: row by row;
        classes with a vectorised repair override it, with the same results)."""
        X = np.atleast_2d(np.asarray(X, dtype=np.uint8))
        out = X.copy()
        for r in range(len(X)):
            out[r] = self.repair(X[r])
        return out

    def permutation_size(self) -> int | None:
        """m when the bits one-hot encode a permutation of m items (``decode`` gives it as a
        list, ``encode`` takes one back), else None (default). Permutation solvers use it."""
        return None

    def constraint_structure(self) -> ConstraintStructure:
        """What the program's constraint rows are (permutation, conflict pairs, packing rows,
        one-hot groups), for constraint-preserving mixers; default: read off ``to_program()``
        by :func:`qopt.model.structure.detect_structure`. Classes may declare it directly."""
        return detect_structure(self.to_program())

    def neighbours(self, x) -> np.ndarray:
        """Neighbourhood of one bit vector for local search, shape (k, n); default 1-flips."""
        return flip_neighbours(x)

    def describe(self) -> dict:
        """Plain data for reports and plots (sizes, graph / matrix summaries)."""
        return {"kind": self.kind, "name": self.name, "num_vars": self.num_vars,
                "sense": self.sense, "optimum": self.optimum}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, num_vars={self.num_vars})"


def flip_neighbours(x) -> np.ndarray:
    """All 1-flip neighbours of one bit vector x, shape (n,) -> (n, n) uint8 (row i flips bit i)."""
    x = np.asarray(x, dtype=np.uint8)
    return x[None, :] ^ np.eye(len(x), dtype=np.uint8)
