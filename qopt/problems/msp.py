"""Market split (Cornuéjols–Dawande): find x in {0,1}^n with A x = d.

m products, n = 10(m - 1) retailers, a_ij uniform integers in [0, 99], d_i = floor(sum_j a_ij
/ 2). The native objective (minimised) is the total absolute deviation sum_i |a_i.x - d_i|; x is
feasible iff every deviation is 0. Variable j is 1 when retailer j goes to division 1.

File format (QOBLIB's ``.dat`` layout, whitespace separated, line oriented): a line ``m n``,
then m lines of n + 1 integers each, the row a_i of A followed by its target d_i. Blank lines
and lines starting with ``#`` are skipped. A file whose rows do not have n + 1 integers, or
that has other than m rows, is refused naming the file and the line.

qopt before this layout wrote all of A (m lines of n) and then the m targets on one line. That
layout is read only where the file says so: a third word ``legacy`` on the header line
(``m n legacy``); :meth:`MarketSplit.write` writes it with ``layout="legacy"``. An unmarked file
is always read as QOBLIB's layout (an unmarked older qopt file is then refused, its first row
having n numbers instead of n + 1).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qopt.errors import OptionError
from qopt.model.program import BinaryProgram
from qopt.problems.base import Problem
from qopt.problems.mdkp import flip_swap_neighbours
from qopt.problems.reader import TokenReader, format_row, require_finite
from qopt.problems.registry import register

#: third word of the header line that marks qopt's legacy layout (all of A, then the targets)
LEGACY_KEYWORD = "legacy"


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
        require_finite("market split coefficients and targets", self.coefficients, self.targets)

    @property
    def num_vars(self) -> int:
        return self.coefficients.shape[1]

    @property
    def num_products(self) -> int:
        return self.coefficients.shape[0]

    # ---- I/O ----------------------------------------------------------------------------------
    @classmethod
    def read(cls, path, name: str | None = None, optimum: float | None = None) -> MarketSplit:
        """Read QOBLIB's layout, or qopt's legacy layout when the header says ``legacy`` (see
        the module docstring)."""
        r = TokenReader(path, comment_prefixes=("#",))
        if not r.records:
            raise r.error(1, "empty file: expected a line 'm n'")
        line, header = r.records[0]
        if len(header) not in (2, 3) or (len(header) == 3 and header[2] != LEGACY_KEYWORD):
            raise r.error(line, f"expected 'm n' (or 'm n {LEGACY_KEYWORD}' for qopt's legacy "
                                f"layout), got {' '.join(header)!r}")
        m, n = r.parse_ints(line, header[:2], "header 'm n'")
        if m < 1 or n < 1:
            raise r.error(line, f"bad sizes m={m}, n={n} (both must be at least 1)")
        if len(header) == 3:
            A, d = _read_legacy(r, m, n)
        else:
            A, d = _read_qoblib(r, m, n)
        return cls(A, d, name=name or Path(path).stem, optimum=optimum, source=str(path))

    def write(self, path, layout: str = "qoblib") -> None:
        """Write ``layout`` "qoblib" (each row of A followed by its target) or "legacy" (all of
        A, then the targets; marked ``m n legacy`` so :meth:`read` knows it)."""
        m, n = self.coefficients.shape
        if layout == "qoblib":
            rows = np.column_stack([self.coefficients, self.targets])
            lines = [f"{m} {n}", *(format_row(row) for row in rows)]
        elif layout == "legacy":
            lines = [f"{m} {n} {LEGACY_KEYWORD}", *(format_row(row) for row in self.coefficients),
                     format_row(self.targets)]
        else:
            raise OptionError(f"layout must be 'qoblib' or 'legacy', got {layout!r}")
        Path(path).write_text("\n".join(lines) + "\n")

    @classmethod
    def generate(cls, size, seed: int | None = None, planted: bool = False) -> MarketSplit:
        """Cornuéjols–Dawande instance: ``size`` = m products (n = 10(m - 1)), (m, n), or a
        table ``{"m": m, "n": n, "planted": bool}`` (n and planted optional; sweeps use it).

        ``planted``: instead of d_i = floor(sum_j a_ij / 2), pick x* uniformly in {0,1}^n and
        set d = A x*, so the instance is feasible (optimum 0) at any size.
        """
        if isinstance(size, dict):
            unknown = set(size) - {"m", "n", "planted"}
            if unknown or "m" not in size:
                raise OptionError(f"msp size table takes m (required), n and planted, got "
                                  f"{size}")
            planted = bool(size.get("planted", planted))
            size = (size["m"], size["n"]) if "n" in size else size["m"]
        if np.ndim(size) == 0:
            m = int(size)
            n = 10 * (m - 1)
        else:
            m, n = int(size[0]), int(size[1])
        if m < 1 or n < 1:
            raise OptionError(f"msp size needs m >= 2 products (or an explicit n >= 1), got {size}")
        rng = np.random.default_rng(seed)
        A = rng.integers(0, 100, size=(m, n))
        if planted:
            x = rng.integers(0, 2, size=n)
            return cls(A, A @ x, name=f"msp_m{m}_n{n}_planted_s{seed}", optimum=0.0)
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


def _read_qoblib(r: TokenReader, m: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(A (m, n), d (m,)) from the m lines after the header, each ``a_i1 .. a_in d_i``."""
    body = r.records[1:]
    for i, (line, fields) in enumerate(body[:m]):  # every length first: nothing is allocated
        if len(fields) != n + 1:                   # for a header that the rows do not hold
            hint = (f"; a file in qopt's legacy layout (all of A, then the targets) needs "
                    f"'{m} {n} {LEGACY_KEYWORD}' as its header" if len(fields) == n else "")
            raise r.error(line, f"row {i + 1} has {len(fields)} numbers, expected n + 1 = "
                                f"{n + 1} (the row of A then its target){hint}")
    if len(body) < m:
        raise r.error(r.last_line, f"expected {m} rows of {n + 1} integers (a row of A then its "
                                   f"target), file ends at line {r.last_line} after {len(body)}")
    if len(body) > m:
        raise r.error(body[m][0], f"more than the {m} rows the header announces")
    r.pos = len(r.records[0][1])
    rows = r.take(m * (n + 1), "row entries (integers)").reshape(m, n + 1)
    return rows[:, :n], rows[:, n]


def _read_legacy(r: TokenReader, m: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(A, d) of the legacy layout: m * n coefficients, then m targets, any line breaks."""
    r.pos = len(r.records[0][1])
    A = r.take(m * n, "coefficients").reshape(m, n)
    d = r.take(m, "targets")
    r.expect_end("targets")
    return A, d
