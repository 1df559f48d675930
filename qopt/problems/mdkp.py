"""Multidimensional knapsack (MDKP): maximise p.x subject to W x <= c, x binary.

File format (SAC-94 / OR-Library, whitespace separated, line breaks carry no meaning):
``n m opt``, then n profits, then the m x n weight matrix row by row, then m capacities;
``opt`` is the proven optimum, 0 when unknown. Variable j is item j.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qopt.errors import OptionError
from qopt.model.program import BinaryProgram
from qopt.problems.base import Problem, flip_neighbours
from qopt.problems.knapsack_repair import greedy_repair
from qopt.problems.reader import TokenReader, format_number, format_row, require_finite
from qopt.problems.registry import register


@register
class MDKP(Problem):
    """Multidimensional 0-1 knapsack.

    Args:
        profits: shape (n,), non-negative.
        weights: shape (m, n), non-negative, row i = resource i.
        capacities: shape (m,).
    """

    kind = "mdkp"
    sense = "max"
    moves = ("flip", "swap")

    def __init__(self, profits, weights, capacities, name: str | None = None,
                 optimum: float | None = None, source: str | None = None):
        super().__init__(name, optimum, source)
        self.profits = np.asarray(profits, dtype=float).reshape(-1)
        self.weights = np.atleast_2d(np.asarray(weights, dtype=float))
        self.capacities = np.asarray(capacities, dtype=float).reshape(-1)
        n, m = self.profits.size, self.capacities.size
        if self.weights.shape != (m, n):
            raise OptionError(f"weights have shape {self.weights.shape}, expected ({m}, {n})")
        if n == 0 or m == 0:
            raise OptionError("an MDKP needs at least one item and one constraint")
        require_finite("MDKP profits, weights and capacities", self.profits, self.weights,
                       self.capacities)
        # profit per unit of normalised weight: the greedy order of repair
        scale = np.where(self.capacities > 0, self.capacities, 1e-9)
        load = (self.weights / scale[:, None]).sum(axis=0)
        self._ratio = self.profits / np.maximum(load, 1e-12)

    @property
    def num_vars(self) -> int:
        return self.profits.size

    @property
    def num_constraints(self) -> int:
        return self.capacities.size

    # ---- I/O ----------------------------------------------------------------------------------
    @classmethod
    def read(cls, path, name: str | None = None, optimum: float | None = None) -> MDKP:
        """Read an OR-Library / SAC-94 ``.dat`` file (see module docstring)."""
        r = TokenReader(path)
        n = r.integer("the number of items", minimum=1)
        m = r.integer("the number of constraints", minimum=1)
        opt = r.number("the optimum")
        profits = r.take(n, "profits", float)
        weights = r.take(m * n, "weights", float).reshape(m, n)
        capacities = r.take(m, "capacities", float)
        r.expect_end("capacities")
        if optimum is None and opt != 0:
            optimum = opt
        return cls(profits, weights, capacities, name=name or Path(path).stem, optimum=optimum,
                   source=str(path))

    def write(self, path) -> None:
        """Write in the format :meth:`read` reads (``opt`` 0 when the optimum is unknown)."""
        opt = self.optimum if self.optimum is not None else 0
        lines = [f"{self.num_vars} {self.num_constraints} {format_number(opt)}",
                 format_row(self.profits), *(format_row(w) for w in self.weights),
                 format_row(self.capacities)]
        Path(path).write_text("\n".join(lines) + "\n")

    @classmethod
    def generate(cls, size, seed: int | None = None, tightness: float = 0.5) -> MDKP:
        """Chu–Beasley style instance: ``size`` = n items or (n, m) (m = 5 by default).

        Weights uniform integers in [1, 1000], capacities ``floor(tightness * row sum)``,
        profits ``floor(sum_i w_ij / m + 500 u_j)`` with u_j uniform in [0, 1).
        """
        n, m = (int(size), 5) if np.ndim(size) == 0 else (int(size[0]), int(size[1]))
        if n < 1 or m < 1:
            raise OptionError(f"mdkp size needs n >= 1 items and m >= 1 constraints, got {size}")
        rng = np.random.default_rng(seed)
        weights = rng.integers(1, 1001, size=(m, n))
        capacities = np.floor(tightness * weights.sum(axis=1))
        profits = np.floor(weights.sum(axis=0) / m + 500 * rng.random(n))
        return cls(profits, weights, capacities, name=f"mdkp_n{n}_m{m}_s{seed}")

    # ---- native objective ----------------------------------------------------------------------
    def evaluate_batch(self, X):
        return X @ self.profits

    def violation_batch(self, X):
        return np.maximum(X @ self.weights.T - self.capacities, 0.0).sum(axis=1)

    def build_program(self) -> BinaryProgram:
        prog = BinaryProgram(self.num_vars, self.profits, sense="max", name=self.name,
                             var_names=[f"item{j}" for j in range(self.num_vars)])
        prog.add_constraints(self.weights, "<=", self.capacities,
                             names=[f"capacity{i}" for i in range(self.num_constraints)])
        return prog

    def decode(self, bits) -> list[int]:
        """Chosen items, sorted indices 0..n-1."""
        return [int(j) for j in np.flatnonzero(np.asarray(bits).reshape(-1))]

    def encode(self, solution) -> np.ndarray:
        items = np.asarray(list(solution), dtype=np.int64)
        if items.size and (items.min() < 0 or items.max() >= self.num_vars):
            raise OptionError(f"item index outside 0..{self.num_vars - 1}")
        x = np.zeros(self.num_vars, dtype=np.uint8)
        x[items] = 1
        return x

    # ---- post-processing -----------------------------------------------------------------------
    def repair(self, x) -> np.ndarray:
        """Drop the chosen items of lowest profit per normalised weight until feasible, then
        add the unchosen items of highest ratio that still fit."""
        x = np.asarray(x, dtype=np.uint8).reshape(-1).copy()
        W, c = self.weights, self.capacities
        load = W @ x
        if np.any(load > c):
            chosen = np.flatnonzero(x)
            order = chosen[np.argsort(self._ratio[chosen], kind="stable")]
            # load after dropping the first k items of ``order``, k = 0..len(order)
            after = load[:, None] - np.concatenate(
                [np.zeros((W.shape[0], 1)), np.cumsum(W[:, order], axis=1)], axis=1)
            ok = np.all(after <= c[:, None] + 1e-9, axis=0)
            k = int(np.argmax(ok)) if ok.any() else len(order)
            x[order[:k]] = 0
            load = after[:, k]
        for j in np.argsort(-self._ratio, kind="stable"):
            if not x[j] and np.all(load + W[:, j] <= c + 1e-9):
                x[j] = 1
                load = load + W[:, j]
        return x

    def repair_batch(self, X) -> np.ndarray:
        """:meth:`repair` of every row of X (k, n), compiled or vectorised over rows
        (:func:`qopt.problems.knapsack_repair.greedy_repair`, the same results)."""
        X = np.atleast_2d(np.asarray(X, dtype=np.uint8))
        return greedy_repair(X, self.weights, self.capacities, self._ratio)

    def neighbours(self, x) -> np.ndarray:
        """1-flips (n rows) then every swap of a chosen item for an unchosen one."""
        return flip_swap_neighbours(x)

    def describe(self) -> dict:
        d = super().describe()
        d.update(n=self.num_vars, m=self.num_constraints, profits=self.profits.tolist(),
                 weights=self.weights.tolist(), capacities=self.capacities.tolist(),
                 tightness=(self.capacities / np.maximum(self.weights.sum(axis=1), 1e-12)
                            ).tolist())
        return d


def flip_swap_neighbours(x) -> np.ndarray:
    """All 1-flips of one bit vector (n rows, row i flips bit i), then every swap of a 1 for
    a 0 (|ones| * |zeros| rows, chosen bit in row-major order); shape (k, n) uint8."""
    x = np.asarray(x, dtype=np.uint8).reshape(-1)
    flips = flip_neighbours(x)
    ones, zeros = np.flatnonzero(x), np.flatnonzero(x == 0)
    if not ones.size or not zeros.size:
        return flips
    oi, zi = np.meshgrid(ones, zeros, indexing="ij")
    swaps = np.repeat(x[None, :], oi.size, axis=0)
    rows = np.arange(oi.size)
    swaps[rows, oi.ravel()] = 0
    swaps[rows, zi.ravel()] = 1
    return np.concatenate([flips, swaps])
