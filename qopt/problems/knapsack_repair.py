"""Greedy knapsack repair of many rows at once: MDKP's ``repair`` vectorised.

Per row x (items j, weights W (m, n), capacities c, ratios r_j = profit / normalised weight):
while some capacity is exceeded, drop the chosen item of lowest ratio (ties: lower index);
then add, in falling ratio order (ties: lower index), every unchosen item that still fits
(with a 1e-9 tolerance). Compiled with numba (a loop over rows and items, no temporaries);
without numba the same steps run vectorised over rows in numpy.
"""

from __future__ import annotations

import numpy as np

try:  # pragma: no cover - exercised when numba is installed
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False

_TOL = 1e-9


def greedy_repair(X: np.ndarray, weights: np.ndarray, capacities: np.ndarray,
                  ratio: np.ndarray, kernel: str = "auto") -> np.ndarray:
    """Repaired copy of X (k, n) uint8; ``kernel`` "auto" (numba when installed) or "numpy"."""
    X = np.ascontiguousarray(X, dtype=np.uint8).copy()
    W = np.ascontiguousarray(weights, dtype=np.float64)
    c = np.ascontiguousarray(capacities, dtype=np.float64)
    asc = np.argsort(ratio, kind="stable").astype(np.int64)
    desc = np.argsort(-np.asarray(ratio), kind="stable").astype(np.int64)
    if HAVE_NUMBA and kernel != "numpy":
        _repair_numba(X, W, c, asc, desc)
    else:
        _repair_numpy(X, W, c, asc, desc)
    return X


def _repair_numpy(X, W, c, asc, desc) -> None:
    """In place, vectorised over rows (loops over the n items)."""
    load = X @ W.T                                                   # (k, m)
    over = np.any(load > c[None, :], axis=1)
    if over.any():
        rows = np.flatnonzero(over)
        Xo = X[rows][:, asc]                                         # items by rising ratio
        # load after dropping the chosen items among the first j + 1, shape (k', m, n)
        after = load[rows][:, :, None] - np.cumsum(Xo[:, None, :] * W[None, :, asc], axis=2)
        ok = np.all(after <= c[None, :, None] + _TOL, axis=1)        # (k', n)
        stop = np.where(ok.any(axis=1), np.argmax(ok, axis=1), len(asc) - 1)
        Xo[np.arange(len(asc))[None, :] <= stop[:, None]] = 0
        X[np.ix_(rows, asc)] = Xo
        load[rows] = after[np.arange(len(rows)), :, stop]
    for j in desc:
        fits = (X[:, j] == 0) & np.all(load + W[:, j][None, :] <= c[None, :] + _TOL, axis=1)
        X[fits, j] = 1
        load[fits] += W[:, j]


if HAVE_NUMBA:
    @numba.njit(cache=True, nogil=True)
    def _repair_numba(X, W, c, asc, desc):  # pragma: no cover
        """In place, one row at a time (the per-row algorithm of the module docstring)."""
        k, n = X.shape
        m = W.shape[0]
        load = np.empty(m)
        for r in range(k):
            over = False
            for i in range(m):
                s = 0.0
                for j in range(n):
                    if X[r, j]:
                        s += W[i, j]
                load[i] = s
                if s > c[i]:
                    over = True
            if over:
                for j in asc:
                    if X[r, j]:
                        X[r, j] = 0
                        fine = True
                        for i in range(m):
                            load[i] -= W[i, j]
                            if load[i] > c[i] + _TOL:
                                fine = False
                        if fine:
                            break
            for j in desc:
                if X[r, j] == 0:
                    fits = True
                    for i in range(m):
                        if load[i] + W[i, j] > c[i] + _TOL:
                            fits = False
                            break
                    if fits:
                        X[r, j] = 1
                        for i in range(m):
                            load[i] += W[i, j]
else:  # pragma: no cover
    _repair_numba = None


__all__ = ["greedy_repair"]
