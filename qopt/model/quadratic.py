"""Normalised storage of a quadratic form over binary variables.

Every quadratic form ``x' M x`` is stored as a strictly upper-triangular CSR matrix ``U``
(``U[i, j]`` for ``i < j`` is the coefficient of ``x_i x_j``) plus the diagonal of ``M``,
which the callers fold into the linear part since ``x_i**2 == x_i`` for binary ``x``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

from qopt.bits import indices_to_bits
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


def quadratic_diagonal_chunks(upper: sp.csr_matrix, linear: np.ndarray, offset: float,
                              chunk_bits: int):
    """Yield (start index, energies) of ``x'Ux + linear.x + offset`` over consecutive chunks of
    the 2^n basis states (entry s of the whole is the energy of the bits of s): the low
    ``chunk_bits`` bits by doubling, one chunk per setting of the high bits."""
    n = len(linear)
    b = min(n, max(int(chunk_bits), 0))
    h = n - b
    U = upper.tocsc()
    low_upper = U[:b, :b].toarray()
    low_diag = np.empty(1 << b)
    low_diag[0] = 0.0
    for i in range(b):
        half = 1 << i
        low_diag[half:2 * half] = (low_diag[:half] + linear[i]
                                   + linear_diagonal(low_upper[:i, i]))
    if h == 0:
        yield 0, low_diag + offset
        return
    cross = U[:b, b:].toarray()                 # (b, h): coupling low j to high k
    high_upper = U[b:, b:]
    high_lin = linear[b:]
    chunk_high = min(h, 10)                     # high configurations handled per batch
    for hs in range(0, 1 << h, 1 << chunk_high):
        H = indices_to_bits(np.arange(hs, min(hs + (1 << chunk_high), 1 << h)), h)
        const = H @ high_lin + quadratic_values(high_upper, H) + offset
        lin_low = H.astype(float) @ cross.T    # (batch, b)
        for r in range(H.shape[0]):
            yield (hs + r) << b, low_diag + const[r] + linear_diagonal(lin_low[r])


def linear_diagonal(weights: np.ndarray) -> np.ndarray:
    """``v[s] = sum_i weights[i] * bit_i(s)`` over all 2^len(weights) states, by doubling."""
    k = len(weights)
    out = np.empty(1 << k)
    out[0] = 0.0
    for i in range(k):
        half = 1 << i
        np.add(out[:half], weights[i], out=out[half:2 * half])
    return out
