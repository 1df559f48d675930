"""Quadratic assignment (QAP): minimise sum_{i,j} A[i][j] B[p(i)][p(j)] over permutations p.

File format (QAPLIB ``.dat``, whitespace separated): ``n``, the n x n flow matrix A, the
n x n distance matrix B. Variable ``i * n + k`` is 1 when facility i sits at location k.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from qopt.errors import OptionError
from qopt.model.program import BinaryProgram
from qopt.model.structure import ConstraintStructure
from qopt.problems.base import Problem, flip_neighbours
from qopt.problems.reader import TokenReader, format_row, require_finite
from qopt.problems.registry import register


@register
class QAP(Problem):
    """Quadratic assignment of n facilities to n locations, n^2 binary variables.

    Args:
        flow: A, shape (n, n).
        distance: B, shape (n, n).
    """

    kind = "qap"
    sense = "min"
    moves = ("swap", "flip")

    def __init__(self, flow, distance, name: str | None = None, optimum: float | None = None,
                 source: str | None = None):
        super().__init__(name, optimum, source)
        self.flow = np.asarray(flow, dtype=float)
        self.distance = np.asarray(distance, dtype=float)
        n = self.flow.shape[0] if self.flow.ndim == 2 else 0
        if n == 0 or self.flow.shape != (n, n) or self.distance.shape != (n, n):
            raise OptionError(f"flow {self.flow.shape} and distance {self.distance.shape} must "
                              "be square matrices of the same size")
        require_finite("QAP flows and distances", self.flow, self.distance)
        self.n = n

    @property
    def num_vars(self) -> int:
        return self.n * self.n

    def permutation_size(self) -> int:
        """Bits one-hot encode a permutation of ``n`` facilities (index i*n + k)."""
        return self.n

    def constraint_structure(self) -> ConstraintStructure:
        """A permutation encoding: ``index[i, k] = i * n + k`` (facility i at location k);
        the facility and location rows of ``build_program`` are its rows; the facility rows
        are also its one-hot groups (for XY mixers, which keep only those)."""
        n = self.n
        index = np.arange(n * n, dtype=np.int64).reshape(n, n)
        return ConstraintStructure(num_vars=n * n, num_rows=2 * n, permutation=index,
                                   permutation_rows=tuple(range(2 * n)),
                                   one_hot_groups=tuple(tuple(int(v) for v in row)
                                                        for row in index),
                                   one_hot_rows=tuple(range(n)))

    # ---- I/O ----------------------------------------------------------------------------------
    @classmethod
    def read(cls, path, name: str | None = None, optimum: float | None = None) -> QAP:
        """Read a QAPLIB ``.dat`` file (see module docstring)."""
        r = TokenReader(path)
        n = r.integer("the size n", minimum=1)
        flow = r.take(n * n, "flow matrix entries", float).reshape(n, n)
        distance = r.take(n * n, "distance matrix entries", float).reshape(n, n)
        r.expect_end("distance matrix")
        return cls(flow, distance, name=name or Path(path).stem, optimum=optimum,
                   source=str(path))

    def write(self, path) -> None:
        def block(M):
            return "\n".join(format_row(row) for row in M)
        Path(path).write_text(f"{self.n}\n\n{block(self.flow)}\n\n{block(self.distance)}\n")

    @classmethod
    def generate(cls, size, seed: int | None = None) -> QAP:
        """Random symmetric integer matrices with zero diagonal: flows in [0, 9], distances in
        [1, 9] off the diagonal; ``size`` = n."""
        n = int(size)
        if n < 1:
            raise OptionError(f"qap size must be at least 1, got {size}")
        rng = np.random.default_rng(seed)

        def sym(lo, hi):
            M = np.triu(rng.integers(lo, hi + 1, size=(n, n)), 1)
            return M + M.T

        return cls(sym(0, 9), sym(1, 9), name=f"qap_n{n}_s{seed}")

    # ---- native objective ----------------------------------------------------------------------
    def assignment(self, X) -> np.ndarray:
        """Bit rows (k, n^2) as assignment tensors (k, n, n): [b, i, k] = facility i at k."""
        return np.asarray(X, dtype=float).reshape(-1, self.n, self.n)

    def evaluate_batch(self, X):
        """``x' (A kron B) x`` for each row: the QAP cost on permutations, the same quadratic
        form elsewhere."""
        T = self.assignment(X)
        return np.einsum("bil,bil->b", T @ self.distance, self.flow @ T)

    def violation_batch(self, X):
        """Sum over facilities and locations of |assignments - 1|."""
        T = self.assignment(X)
        return (np.abs(T.sum(axis=2) - 1).sum(axis=1) + np.abs(T.sum(axis=1) - 1).sum(axis=1))

    def build_program(self) -> BinaryProgram:
        n = self.n
        prog = BinaryProgram(n * n, None, np.kron(self.flow, self.distance), sense="min",
                             name=self.name,
                             var_names=[f"f{i}_l{k}" for i in range(n) for k in range(n)])
        eye = np.eye(n)
        prog.add_constraints(np.kron(eye, np.ones((1, n))), "==", 1.0,
                             names=[f"facility{i}" for i in range(n)])
        prog.add_constraints(np.kron(np.ones((1, n)), eye), "==", 1.0,
                             names=[f"location{k}" for k in range(n)])
        return prog

    def decode(self, bits) -> list[int]:
        """``perm[i]`` = location of facility i, -1 where row i is not one-hot."""
        T = np.asarray(bits, dtype=np.uint8).reshape(self.n, self.n)
        one_hot = T.sum(axis=1) == 1
        return [int(k) for k in np.where(one_hot, T.argmax(axis=1), -1)]

    def encode(self, solution) -> np.ndarray:
        """Bits of ``perm`` (facility i at location perm[i]; -1 leaves row i empty)."""
        perm = np.asarray(list(solution), dtype=np.int64)
        if perm.shape != (self.n,) or perm.min(initial=0) < -1 or perm.max(initial=0) >= self.n:
            raise OptionError(f"a QAP solution is {self.n} locations in -1..{self.n - 1}")
        T = np.zeros((self.n, self.n), dtype=np.uint8)
        rows = np.flatnonzero(perm >= 0)
        T[rows, perm[rows]] = 1
        return T.reshape(-1)

    def encode_batch(self, solutions) -> np.ndarray:
        """:meth:`encode` of each row of a (k, n) array of locations, vectorised -> (k, n^2)."""
        P = np.asarray(solutions, dtype=np.int64)
        P = P.reshape(0, self.n) if P.size == 0 else np.atleast_2d(P)
        if (P.ndim != 2 or P.shape[1] != self.n or P.min(initial=0) < -1
                or P.max(initial=0) >= self.n):   # rows of another length are not refolded
            raise OptionError(f"a QAP solution is {self.n} locations in -1..{self.n - 1}")
        T = np.zeros((len(P), self.n, self.n), dtype=np.uint8)
        r, i = np.nonzero(P >= 0)
        T[r, i, P[r, i]] = 1
        return T.reshape(len(P), self.n * self.n)

    # ---- post-processing -----------------------------------------------------------------------
    def repair(self, x) -> np.ndarray:
        """Nearest permutation: the assignment agreeing with most set bits of x."""
        T = np.asarray(x, dtype=float).reshape(self.n, self.n)
        rows, cols = linear_sum_assignment(T, maximize=True)
        perm = np.empty(self.n, dtype=np.int64)
        perm[rows] = cols
        return self.encode(perm)

    def swap_neighbours(self, perm) -> np.ndarray:
        """Bit vectors of every permutation one transposition from ``perm``, (n(n-1)/2, n^2)."""
        perm = np.asarray(perm, dtype=np.int64)
        n = self.n
        ii, jj = np.triu_indices(n, 1)
        P = np.repeat(perm[None, :], ii.size, axis=0)
        r = np.arange(ii.size)
        P[r, ii], P[r, jj] = perm[jj], perm[ii]
        out = np.zeros((ii.size, n * n), dtype=np.uint8)
        out[r[:, None], np.arange(n)[None, :] * n + P] = 1
        return out

    def neighbours(self, x) -> np.ndarray:
        """All pairwise swaps for a permutation; 1-flips otherwise."""
        x = np.asarray(x, dtype=np.uint8).reshape(-1)
        if self.n > 1 and self.violation(x) == 0:
            return self.swap_neighbours(self.decode(x))
        return flip_neighbours(x)

    def describe(self) -> dict:
        d = super().describe()
        d.update(n=self.n, flow=self.flow.tolist(), distance=self.distance.tolist())
        return d
