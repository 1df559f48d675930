"""Local fields of higher-order terms for the single-flip kernels (anneal, tabu).

For a HUBO ``E(x) = ... + sum_T c_T prod_{i in T} x_i`` the local field of variable j is
``F_j = dE / dx_j`` at the other bits, so flipping x_j changes E by ``(1 - 2 x_j) F_j``. A term
T containing j adds ``c_T`` to F_j exactly when every other bit of T is 1, i.e. when ``z_T``,
the number of zero bits of T, equals ``1 - x_j``. The kernels keep ``z_T`` per term and, on a
flip of i (``dx = +1`` for 0 -> 1), update it (``z_T -= dx``) and the fields of the other members
of each term T containing i: O(sum of |T| over T containing i) per accepted flip, nothing per
rejected one. Terms of degree <= 2 stay in the kernels' CSR couplings, whose update does not
depend on the state.

``PolyTerms.arrays(Z)`` is the tuple the kernels take: ``(Z, hptr, hterm, tptr, tvar, tcoef)``
with ``hptr`` / ``hterm`` the terms of each variable (CSR, (n + 1,), (nnz,)), ``tptr`` / ``tvar``
the variables of each term (CSR, (T + 1,), (nnz,)) and ``tcoef`` (T,). ``Z`` is (L, T) int64 for
lanes of states, (T,) for one state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

try:  # pragma: no cover - exercised when numba is installed
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False


@dataclass
class PolyTerms:
    """The degree >= 3 terms of a HUBO in the kernels' layout (see module docstring)."""

    n: int
    hptr: np.ndarray
    hterm: np.ndarray
    tptr: np.ndarray
    tvar: np.ndarray
    tcoef: np.ndarray

    @classmethod
    def of(cls, hubo) -> PolyTerms:
        n = hubo.num_vars
        groups = [g for d, g in sorted(hubo.terms.items()) if d >= 3]
        sizes = np.concatenate([np.full(len(c), idx.shape[1]) for idx, c in groups]) \
            if groups else np.zeros(0, np.int64)
        tvar = np.concatenate([idx.ravel() for idx, _ in groups]).astype(np.int64) \
            if groups else np.zeros(0, np.int64)
        tcoef = np.concatenate([c for _, c in groups]).astype(np.float64) if groups \
            else np.zeros(0)
        tptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        term_of_entry = np.repeat(np.arange(len(tcoef), dtype=np.int64), sizes)
        inc = sp.csr_matrix((np.ones(tvar.size), (tvar, term_of_entry)),
                            shape=(n, len(tcoef)))
        inc.sort_indices()
        return cls(n, inc.indptr.astype(np.int64), inc.indices.astype(np.int64), tptr, tvar,
                   tcoef)

    @property
    def num_terms(self) -> int:
        return len(self.tcoef)

    def _entries(self) -> sp.csr_matrix:
        """(nnz, T) indicator of each CSR entry's term."""
        sizes = np.diff(self.tptr)
        rows = np.arange(self.tvar.size)
        return sp.csr_matrix((np.ones(rows.size), (rows, np.repeat(np.arange(self.num_terms),
                                                                     sizes))),
                             shape=(self.tvar.size, self.num_terms))

    def zeros(self, X: np.ndarray) -> np.ndarray:
        """Zero bits per term of each row of X, (L, n) -> (L, T) int64."""
        X = np.atleast_2d(X)
        zero = (X[:, self.tvar] == 0).astype(np.float64)          # (L, nnz)
        return np.rint(np.asarray(self._entries().T.dot(zero.T)).T).astype(np.int64)

    def fields(self, X: np.ndarray, Z: np.ndarray) -> np.ndarray:
        """The terms' contribution to the local fields, (L, n) float64."""
        X = np.atleast_2d(X)
        sizes = np.diff(self.tptr)
        term = np.repeat(np.arange(self.num_terms), sizes)
        need = 1 - X[:, self.tvar].astype(np.int64)                   # (L, nnz)
        on = (Z[:, term] == need) * self.tcoef[term][None, :]         # (L, nnz)
        scatter = sp.csr_matrix((np.ones(self.tvar.size), (np.arange(self.tvar.size),
                                                           self.tvar)),
                                shape=(self.tvar.size, self.n))
        return np.asarray(scatter.T.dot(on.T)).T

    def arrays(self, Z: np.ndarray):
        return (np.ascontiguousarray(Z, dtype=np.int64), self.hptr, self.hterm, self.tptr,
                self.tvar, self.tcoef)


def flip_lanes(X, F, poly, i: int, d: np.ndarray) -> None:
    """Update the lanes' fields and zero counts for a flip of bit i by ``d`` (L,) (+1: 0 -> 1,
    -1: 1 -> 0, 0: no flip), X already flipped; numpy, vectorised over lanes."""
    Z, hptr, hterm, tptr, tvar, tcoef = poly
    dz = d.astype(np.int64)
    for p in range(hptr[i], hptr[i + 1]):
        t = hterm[p]
        old = Z[:, t].copy()
        Z[:, t] -= dz
        new = Z[:, t]
        for q in range(tptr[t], tptr[t + 1]):
            j = tvar[q]
            if j != i:
                need = 1 - X[:, j].astype(np.int64)
                F[:, j] += tcoef[t] * ((new == need).astype(np.float64)
                                       - (old == need).astype(np.float64))


def _flip_row(x, f, z, i, dx, hptr, hterm, tptr, tvar, tcoef):  # pragma: no cover - numba
    """Same update for one state (x (n,), f (n,), z (T,)), x already flipped; dx = +-1."""
    step = 1 if dx > 0 else -1
    for p in range(hptr[i], hptr[i + 1]):
        t = hterm[p]
        old = z[t]
        new = old - step
        z[t] = new
        for q in range(tptr[t], tptr[t + 1]):
            j = tvar[q]
            if j != i:
                need = 1 - x[j]
                if old == need:
                    f[j] -= tcoef[t]
                if new == need:
                    f[j] += tcoef[t]


flip_row = _flip_row
if HAVE_NUMBA:
    flip_row_nb = numba.njit(cache=True, nogil=True)(_flip_row)
else:  # pragma: no cover
    flip_row_nb = None
