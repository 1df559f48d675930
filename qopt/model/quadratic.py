"""Normalised storage of a quadratic form over binary variables.

Every quadratic form ``x' M x`` is stored as a strictly upper-triangular CSR matrix ``U``
(``U[i, j]`` for ``i < j`` is the coefficient of ``x_i x_j``) plus the diagonal of ``M``,
which the callers fold into the linear part since ``x_i**2 == x_i`` for binary ``x``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

from qopt.errors import OptionError


def split_quadratic(matrix, num_vars: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """``x'Mx`` as (strictly upper CSR, shape (n, n); diagonal, shape (n,)).

    ``matrix`` is a dense array, a scipy sparse matrix, a mapping ``{(i, j): w}`` (each pair
    counted once as ``w x_i x_j``) or ``None`` (zero).
    """
    n = num_vars
    if matrix is None:
        return sp.csr_matrix((n, n)), np.zeros(n)
    if isinstance(matrix, Mapping):
        keys = np.zeros((len(matrix), 2), dtype=np.int64)
        vals = np.zeros(len(matrix))
        for r, (key, w) in enumerate(matrix.items()):
            if not (isinstance(key, tuple | list) and len(key) == 2 and all(
                    isinstance(i, int | np.integer) and not isinstance(i, bool) for i in key)):
                more = (" (terms of degree 3 or more go in HUBO / BinaryProgram(terms=...))"
                        if isinstance(key, tuple | list) and len(key) > 2 else "")
                raise OptionError(f"quadratic: key {key!r} is not a pair (i, j) of variable "
                                  f"indices{more}")
            if isinstance(w, bool) or not isinstance(w, int | float | np.number) \
                    or not np.isfinite(float(w)):
                raise OptionError(f"quadratic[{key!r}] = {w!r} is not a finite number")
            keys[r] = key
            vals[r] = float(w)
        if keys.size and (keys.min() < 0 or keys.max() >= n):
            raise OptionError(f"quadratic: a variable index is outside 0..{n - 1}")
        m = sp.coo_matrix((vals, (keys[:, 0], keys[:, 1])), shape=(n, n))
    else:
        try:
            m = sp.coo_matrix(matrix, dtype=float) if sp.issparse(matrix) else sp.coo_matrix(
                np.asarray(matrix, dtype=float))
        except (TypeError, ValueError) as err:
            raise OptionError(f"quadratic must be a square matrix or a {{(i, j): w}} mapping "
                              f"({err})") from None
    if m.shape != (n, n):
        raise OptionError(f"quadratic matrix has shape {m.shape}, expected {(n, n)}")
    if m.nnz and not np.all(np.isfinite(m.data)):
        raise OptionError("quadratic has a non-finite entry")
    if m.nnz and (m.row.min() < 0 or m.col.min() < 0):
        raise OptionError("quadratic indices must be non-negative")
    diag = np.bincount(m.row[m.row == m.col], weights=m.data[m.row == m.col], minlength=n)
    off = m.row != m.col
    rows = np.minimum(m.row[off], m.col[off])
    cols = np.maximum(m.row[off], m.col[off])
    upper = sp.csr_matrix((m.data[off], (rows, cols)), shape=(n, n))
    upper.sum_duplicates()
    upper.eliminate_zeros()
    return upper, diag


def quadratic_values(upper: sp.csr_matrix, X: np.ndarray) -> np.ndarray:
    """``sum_{i<j} U_ij x_i x_j`` for each row of X, shape (k, n) -> (k,)."""
    Xf = X.astype(np.float64, copy=False)
    return np.einsum("ij,ij->i", np.asarray(upper.T.dot(Xf.T).T), Xf) if upper.nnz else np.zeros(
        X.shape[0])
