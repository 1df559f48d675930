"""Greedy independent-set repair of many rows at once: MIS's ``repair`` vectorised.

Per row x over a graph (CSR adjacency, symmetric, no self-loops): while two chosen vertices
are adjacent, drop the chosen vertex with the most chosen neighbours (ties: lowest index);
then add, in order of increasing degree (ties: lower index), every vertex with no chosen
neighbour. Compiled with numba (a loop over rows and vertices); without numba the same steps
run vectorised over rows in numpy (one dropped vertex per conflicting row per step).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

try:  # pragma: no cover - exercised when numba is installed
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False


def greedy_independent_repair(X: np.ndarray, adjacency: sp.csr_matrix, degree: np.ndarray,
                              kernel: str = "auto") -> np.ndarray:
    """Repaired copy of X (k, n) uint8; ``kernel`` "auto" (numba when installed) or "numpy"."""
    X = np.ascontiguousarray(X, dtype=np.uint8).copy()
    A = adjacency.tocsr()
    order = np.argsort(degree, kind="stable").astype(np.int64)
    if HAVE_NUMBA and kernel != "numpy":
        _repair_numba(X, A.indptr.astype(np.int64), A.indices.astype(np.int64), order)
    else:
        _repair_numpy(X, A, order)
    return X


def _repair_numpy(X: np.ndarray, A: sp.csr_matrix, order: np.ndarray) -> None:
    """In place, vectorised over rows."""
    Xf = X.astype(np.float64)
    conflicts = np.asarray((A @ Xf.T).T) * Xf                     # chosen neighbours
    live = np.flatnonzero(conflicts.max(axis=1, initial=0.0) > 0)
    while live.size:
        v = np.argmax(conflicts[live], axis=1)
        X[live, v] = 0
        conflicts[live] -= A[v].toarray() * X[live]
        conflicts[live, v] = 0.0
        live = live[conflicts[live].max(axis=1) > 0]
    blocked = np.asarray((A @ X.T.astype(np.float64)).T) > 0
    for v in order:
        add = np.flatnonzero((X[:, v] == 0) & ~blocked[:, v])
        if add.size:
            X[add, v] = 1
            blocked[np.ix_(add, A.indices[A.indptr[v]:A.indptr[v + 1]])] = True


if HAVE_NUMBA:
    @numba.njit(cache=True, nogil=True)
    def _repair_numba(X, indptr, indices, order):  # pragma: no cover
        """In place, one row at a time (the per-row algorithm of the module docstring)."""
        k, n = X.shape
        conflicts = np.zeros(n, dtype=np.int64)
        blocked = np.zeros(n, dtype=np.bool_)
        for r in range(k):
            v = 0                                        # first vertex of most conflicts
            for u in range(n):
                c = 0
                if X[r, u]:
                    for p in range(indptr[u], indptr[u + 1]):
                        c += X[r, indices[p]]
                conflicts[u] = c
                if c > conflicts[v]:
                    v = u
            while conflicts[v] > 0:
                X[r, v] = 0
                for p in range(indptr[v], indptr[v + 1]):
                    conflicts[indices[p]] -= X[r, indices[p]]
                conflicts[v] = 0
                for u in range(n):
                    if conflicts[u] > conflicts[v]:
                        v = u
            for v in range(n):
                blocked[v] = False
            for v in range(n):
                if X[r, v]:
                    for p in range(indptr[v], indptr[v + 1]):
                        blocked[indices[p]] = True
            for v in order:
                if X[r, v] == 0 and not blocked[v]:
                    X[r, v] = 1
                    for p in range(indptr[v], indptr[v + 1]):
                        blocked[indices[p]] = True
else:  # pragma: no cover
    _repair_numba = None


__all__ = ["greedy_independent_repair"]
