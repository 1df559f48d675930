"""Market split (Cornuéjols–Dawande): find x in {0,1}^n with A x = d.

m products, n = 10(m - 1) retailers, a_ij uniform integers in [0, 99], d_i = floor(sum_j a_ij
/ 2). The native objective (minimised) is the total absolute deviation sum_i |a_i.x - d_i|; x is
feasible iff every deviation is 0. Variable j is 1 when retailer j goes to division 1.

File format (whitespace separated): ``m n``, then the m x n coefficients row by row, then the m
targets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qopt.errors import OptionError
from qopt.model.program import BinaryProgram
from qopt.problems.base import Problem
from qopt.problems.mdkp import flip_swap_neighbours
from qopt.problems.reader import TokenReader, format_number, format_row
from qopt.problems.registry import register


@register
class MarketSplit(Problem):
    """Market split feasibility as minimisation of the total deviation.

    Args:
        coefficients: A, shape (m, n), integers.
        targets: d, shape (m,).
    """

    kind = "msp"
    sense = "min"
    optimum_needs_feasible = False
    moves = ("flip", "swap")

    def __init__(self, coefficients, targets, name: str | None = None,
                 optimum: float | None = None, source: str | None = None):
        super().__init__(name, optimum, source)
        self.coefficients = np.atleast_2d(np.asarray(coefficients, dtype=float))
        self.targets = np.asarray(targets, dtype=float).reshape(-1)
        m, n = self.coefficients.shape
        if m == 0 or n == 0 or self.targets.shape != (m,):
            raise OptionError(f"coefficients {self.coefficients.shape} need one target per row, "
                              f"got {self.targets.size}")

    @property
    def num_vars(self) -> int:
        return self.coefficients.shape[1]

    @property
    def num_products(self) -> int:
        return self.coefficients.shape[0]

    # ---- I/O ----------------------------------------------------------------------------------
    @classmethod
    def read(cls, path, name: str | None = None, optimum: float | None = None) -> MarketSplit:
        """Read the text format of the module docstring (as written by :meth:`write`)."""
        r = TokenReader(path)
        m = r.integer("the number of products m", minimum=1)
        n = r.integer("the number of retailers n", minimum=1)
        A = r.take(m * n, "coefficients").reshape(m, n)
        d = r.take(m, "targets")
        r.expect_end("targets")
        return cls(A, d, name=name or Path(path).stem, optimum=optimum, source=str(path))

    def write(self, path) -> None:
        m, n = self.coefficients.shape
        lines = [f"{m} {n}", *(format_row(row) for row in self.coefficients),
                 " ".join(format_number(v) for v in self.targets)]
        Path(path).write_text("\n".join(lines) + "\n")

    @classmethod
    def generate(cls, size, seed: int | None = None) -> MarketSplit:
        """Cornuéjols–Dawande instance: ``size`` = m products (n = 10(m - 1)) or (m, n)."""
        if np.ndim(size) == 0:
            m = int(size)
            n = 10 * (m - 1)
        else:
            m, n = int(size[0]), int(size[1])
        if m < 1 or n < 1:
            raise OptionError(f"msp size needs m >= 2 products (or an explicit n >= 1), got {size}")
        rng = np.random.default_rng(seed)
        A = rng.integers(0, 100, size=(m, n))
        d = A.sum(axis=1) // 2
        return cls(A, d, name=f"msp_m{m}_n{n}_s{seed}")

    # ---- native objective ----------------------------------------------------------------------
    def deviations(self, X) -> np.ndarray:
        """a_i.x - d_i for each row of X, shape (k, m)."""
        return np.asarray(X, dtype=float) @ self.coefficients.T - self.targets

    def evaluate_batch(self, X):
        return np.abs(self.deviations(X)).sum(axis=1)

    def violation_batch(self, X):
        return np.abs(self.deviations(X)).sum(axis=1)

    def build_program(self) -> BinaryProgram:
        m = self.num_products
        prog = BinaryProgram(self.num_vars, np.zeros(self.num_vars), sense="min", name=self.name,
                             var_names=[f"retailer{j}" for j in range(self.num_vars)])
        prog.add_constraints(self.coefficients, "==", self.targets,
                             names=[f"product{i}" for i in range(m)])
        return prog

    def decode(self, bits) -> list[int]:
        """Retailers of division 1, sorted indices 0..n-1."""
        return [int(j) for j in np.flatnonzero(np.asarray(bits).reshape(-1))]

    def encode(self, solution) -> np.ndarray:
        idx = np.asarray(list(solution), dtype=np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_vars):
            raise OptionError(f"retailer index outside 0..{self.num_vars - 1}")
        x = np.zeros(self.num_vars, dtype=np.uint8)
        x[idx] = 1
        return x

    # ---- post-processing -----------------------------------------------------------------------
    def neighbours(self, x) -> np.ndarray:
        """1-flips then swaps of a chosen retailer for an unchosen one."""
        return flip_swap_neighbours(x)

    def repair(self, x, max_steps: int = 1000) -> np.ndarray:
        """Steepest descent of the total deviation over flips and swaps.

        Market split feasibility is NP-complete, so this cannot promise a feasible x: it returns
        x unchanged when already feasible and never increases the deviation.
        """
        cur = np.asarray(x, dtype=np.uint8).reshape(-1).copy()
        dev = float(self.evaluate_batch(cur[None, :])[0])
        for _ in range(max_steps):
            if dev == 0:
                break
            nb = self.neighbours(cur)
            vals = self.evaluate_batch(nb)
            best = int(np.argmin(vals))
            if vals[best] >= dev:
                break
            cur, dev = nb[best].copy(), float(vals[best])
        return cur

    def describe(self) -> dict:
        d = super().describe()
        d.update(m=self.num_products, n=self.num_vars, coefficients=self.coefficients.tolist(),
                 targets=self.targets.tolist())
        return d
