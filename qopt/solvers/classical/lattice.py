"""Lattice reformulation of equality systems A x = d over binaries (Aardal, Hurkens and
Lenstra, Math. Oper. Res. 25 (2000) 427-442), used by the ``milp`` solver.

For an integral A (m x n) and d, the rows of

    [ I_n   0    N2 A^T  ]
    [ 0     N1   -N2 d^T ]

are LLL-reduced (fplll through fpylll). With N2 >> N1 large enough, n - rank(A) reduced rows end
in zeros with a zero N1 entry: a basis Q of the kernel lattice {x in Z^n : A x = 0} made of
short vectors; one more row has N1 entry +-N1 and gives an integral x0 with A x0 = d. Every
integral solution is x = x0 + Q lam, lam in Z^k, so branch and bound over lam (bounds
0 <= x0 + Q lam <= 1) replaces branch and bound over x. On market-split systems, whose LP
relaxation tells B&B over x almost nothing, this is the difference between seconds and hours
(``benchmarks/msp_planted_milp.py``).

LLL comes from fplll; this module only builds the lattice and checks what comes back: when
any check fails (no x0, A Q != 0, the wrong kernel dimension, values too large for int64)
:func:`kernel_lattice` returns None and the caller keeps the plain model, so a failed
reformulation never decides feasibility.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: LLL scalings: N2 weights the equations, N1 the right-hand side (AHL's N2 >> N1 >> 1)
N1 = 10**3
N2 = 10**6
#: largest |entry| of A or d taken (the lattice's entries are N2 times larger and stay int64)
MAX_ENTRY = 2**31


@dataclass(frozen=True)
class KernelLattice:
    """``x0`` (n,) int64 with A x0 = d; ``basis`` (n, k) int64 with A basis = 0, k = n - rank A;
    every integral solution of A x = d is ``x0 + basis @ lam`` for an integral lam (k,)."""

    x0: np.ndarray
    basis: np.ndarray

    def solution(self, lam) -> np.ndarray:
        """x = x0 + basis lam, lam rounded to integers, shape (n,) int64."""
        return self.x0 + self.basis @ np.rint(np.asarray(lam, dtype=float)).astype(np.int64)


def is_integral(values) -> bool:
    """All finite, integral and at most :data:`MAX_ENTRY` in magnitude."""
    v = np.asarray(values, dtype=float)
    return bool(np.all(np.isfinite(v)) and np.all(v == np.rint(v))
                and np.all(np.abs(v) <= MAX_ENTRY))


def kernel_lattice(A, d) -> KernelLattice | None:
    """The reformulation of A x = d (A dense (m, n), d (m,), integral), or None when it
    cannot be built and checked (see the module docstring)."""
    from fpylll import LLL, IntegerMatrix

    A = np.asarray(A, dtype=float)
    d = np.asarray(d, dtype=float).reshape(-1)
    m, n = A.shape
    if m == 0 or d.shape != (m,) or not (is_integral(A) and is_integral(d)):
        return None
    Ai, di = np.rint(A).astype(np.int64), np.rint(d).astype(np.int64)
    rank = int(np.linalg.matrix_rank(A))
    lattice = np.zeros((n + 1, n + 1 + m), dtype=np.int64)
    lattice[:n, :n] = np.eye(n, dtype=np.int64)
    lattice[:n, n + 1:] = N2 * Ai.T
    lattice[n, n] = N1
    lattice[n, n + 1:] = -N2 * di
    M = IntegerMatrix.from_matrix(lattice.tolist())
    LLL.reduction(M)
    rows = [[int(v) for v in M[i]] for i in range(M.nrows)]
    if max(abs(v) for r in rows for v in r) >= 2**62:
        return None
    R = np.array(rows, dtype=np.int64)
    zero_tail = np.all(R[:, n + 1:] == 0, axis=1)
    kernel = R[zero_tail & (R[:, n] == 0), :n]
    particular = R[zero_tail & (np.abs(R[:, n]) == N1)]
    if len(kernel) != n - rank or not len(particular):
        return None
    x0 = particular[0, :n] * np.sign(particular[0, n])   # (x, N1, 0) with A x = d
    basis = kernel.T
    if not (np.array_equal(Ai @ x0, di) and not np.any(Ai @ basis)
            and np.linalg.matrix_rank(basis.astype(float)) == n - rank):
        return None
    return KernelLattice(x0, basis)


__all__ = ["MAX_ENTRY", "KernelLattice", "is_integral", "kernel_lattice"]
