"""All 2^n values of a polynomial over bits or spins, of any degree, in O(n 2^n).

A polynomial ``f(s) = offset + sum_T c_T prod_{i in T} s_i`` over spins ``s_i = 1 - 2 x_i =
(-1)^{x_i}`` takes at basis state z (bit i of z = x_i, :mod:`qopt.bits`) the value
``offset + sum_T c_T (-1)^{|T & z|}``: the unnormalised Walsh-Hadamard transform (WHT) of the
coefficient vector indexed by the term masks T. Over bits, ``f(x) = offset + sum_T a_T
prod_{i in T} x_i`` is ``offset + sum_{T subset of z} a_T``: the zeta (subset-sum) transform.
Both are n butterfly levels over 2^n entries, whatever the number of terms.

Blocking: the index splits into ``low`` bits (a block of 2^low entries that stays in cache) and
``high`` bits. For each high pattern h (the blocks run in parallel, :func:`qopt.threads.run_parts`
over a serial ``nogil`` kernel: a third of the compile time of numba's ``prange``) the block
is filled directly with the low transform's input, each term adding ``c_T`` times its high
factor (``(-1)^{|T_high & h|}`` for spins, ``[T_high subset of h]`` for bits) at ``T_low``, and
the ``low`` levels then run in cache. The high levels are thereby folded into the fill: one
write pass over the result, ``O(terms)`` per block. ``low`` is chosen so that this fill costs at
most about as much as the levels (``2^low >= terms / low``), which keeps the whole O(n 2^n).

float32 when exact: when every coefficient and the offset are integers and ``|offset| + sum
|c_T|`` is below 2^24, every partial sum is an integer float32 holds exactly (LABS energies),
half the memory of float64; otherwise float64. The result's memory is checked against the limit
(:func:`qopt.limits.check_allocation`) before it is allocated.

Hand-written (numba) because no library computes a polynomial's full diagonal this way:
Qiskit's ``SparsePauliOp.to_matrix`` and PennyLane build it term by term, O(terms 2^n).
"""

from __future__ import annotations

import math

import numpy as np

from qopt import threads as _threads
from qopt.errors import OptionError, SizeLimitError
from qopt.limits import check_allocation

try:  # numba is a core dependency; the numpy path below is the reference and the fallback
    from numba import njit

    _HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    _HAVE_NUMBA = False

#: fewest variables the numba kernel serves by default: below, the numpy levels take well under
#: a second (about 0.1 s at n = 20), less than compiling the kernel (2-3 s, once per cache)
NUMBA_MIN_VARS = 20
#: most variables whose 2^n diagonal is built at all (before the memory check)
MAX_DIAGONAL_VARS = 40
#: most variables of an int64 term bit mask (:func:`term_masks`)
MAX_MASK_VARS = 63
#: float32 holds every integer of magnitude below this exactly
FLOAT32_EXACT = 2**24
#: smallest in-cache block (2^16 float32 = 256 KiB, in L2)
MIN_LOW_BITS = 16
#: largest block chosen for a sparse polynomial (2^18 float64 = 2 MiB, in L2 / L3)
MAX_LOW_BITS = 18

SPIN, BINARY = 0, 1


def term_masks(terms, num_vars: int, vartype: str = "spin") -> tuple[np.ndarray, np.ndarray]:
    """Bit masks and coefficients of ``terms`` ``{degree: (idx (k, d) int, coef (k,))}`` (or a
    list of such pairs), merged: (masks (m,) int64, coefs (m,) float64), masks unique.

    A variable repeated inside a term is reduced as the algebra says: ``s_i^2 = 1`` (its bit
    cancels, XOR) for spins, ``x_i^2 = x_i`` (OR) for bits. A mask is one int64, so at most
    :data:`MAX_MASK_VARS` variables (refused beyond).
    """
    if int(num_vars) > MAX_MASK_VARS:
        raise OptionError(f"term bit masks hold at most {MAX_MASK_VARS} variables, got "
                          f"{num_vars}")
    pairs = terms.values() if isinstance(terms, dict) else terms
    masks, coefs = [np.zeros(0, dtype=np.int64)], [np.zeros(0)]
    for idx, coef in pairs:
        idx = np.asarray(idx, dtype=np.int64)
        coef = np.asarray(coef, dtype=np.float64).reshape(-1)
        if idx.ndim == 1:
            idx = idx.reshape(len(coef), -1) if len(coef) else idx.reshape(0, 0)
        if idx.shape[0] != coef.shape[0]:
            raise OptionError(f"{idx.shape[0]} index rows for {coef.shape[0]} coefficients")
        if idx.size and (idx.min() < 0 or idx.max() >= num_vars):
            raise OptionError(f"term index outside 0..{num_vars - 1}")
        if not np.all(np.isfinite(coef)):
            raise OptionError("polynomial coefficients must be finite")
        bits = np.left_shift(np.int64(1), idx)
        if vartype == "spin":
            m = np.bitwise_xor.reduce(bits, axis=1) if idx.shape[1] else np.zeros(len(coef),
                                                                                  np.int64)
        else:
            m = np.bitwise_or.reduce(bits, axis=1) if idx.shape[1] else np.zeros(len(coef),
                                                                                 np.int64)
        masks.append(m.astype(np.int64))
        coefs.append(coef)
    m, c = np.concatenate(masks), np.concatenate(coefs)
    uniq, inverse = np.unique(m, return_inverse=True)
    return uniq, np.bincount(inverse.ravel(), weights=c, minlength=len(uniq))


def exact_dtype(coefs: np.ndarray, offset: float = 0.0) -> np.dtype:
    """float32 when every partial sum of the transform is an integer below 2^24, else float64."""
    c = np.asarray(coefs, dtype=np.float64)
    integral = np.all(c == np.rint(c)) and float(offset) == round(float(offset))
    if integral and float(np.abs(c).sum()) + abs(float(offset)) < FLOAT32_EXACT:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def diagonal_nbytes(num_vars: int, dtype=np.float64) -> int:
    """Bytes of a 2^n diagonal of ``dtype``."""
    return (1 << int(num_vars)) * np.dtype(dtype).itemsize


def check_diagonal(num_vars: int, dtype=np.float64, memory_limit: int | None = None,
                   what: str = "polynomial") -> None:
    """Refuse (:class:`SizeLimitError`) before allocating a diagonal that would not fit."""
    n = int(num_vars)
    if n > MAX_DIAGONAL_VARS:
        raise SizeLimitError(f"the diagonal of a {n}-variable {what} has 2^{n} entries; the "
                             f"limit is {MAX_DIAGONAL_VARS} variables")
    check_allocation(diagonal_nbytes(n, dtype), f"the diagonal of a {n}-variable {what} "
                     f"(2^{n} {np.dtype(dtype).name})", memory_limit)


def low_bits_for(num_vars: int, num_terms: int) -> int:
    """Bits of one in-cache block: at least ``MIN_LOW_BITS`` and enough that filling a block
    term by term costs no more than its levels (``2^low * low >= terms``), at most n."""
    n = int(num_vars)
    low = MIN_LOW_BITS
    while low < MAX_LOW_BITS and (1 << low) * low < num_terms:
        low += 1
    while low < n and (1 << low) * low < num_terms:   # dense polynomials: bigger blocks
        low += 1
    return min(n, low)


def polynomial_diagonal(terms, num_vars: int, offset: float = 0.0, *, vartype: str = "spin",
                        dtype=None, memory_limit: int | None = None, out=None,
                        low_bits: int | None = None, use_numba: bool | None = None
                        ) -> np.ndarray:
    """Values of a polynomial at all 2^n basis states, shape (2^n,): entry z is f(bits of z).

    Args:
        terms: ``{degree: (idx (k, d) int, coef (k,))}`` (HUBO layout) or a list of such pairs;
            a degree-0 entry adds to the offset.
        num_vars: n.
        offset: constant term.
        vartype: ``"spin"`` (``s_i = 1 - 2 x_i``) or ``"binary"`` (``x_i``).
        dtype: None (float32 when exact, see :func:`exact_dtype`), float32 or float64.
        memory_limit: bytes (default: :func:`qopt.limits.memory_limit`).
        out: preallocated result, shape (2^n,).
        low_bits: bits of one in-cache block (default :func:`low_bits_for`).
        use_numba: False runs the numpy reference (whole-array butterflies); None (default)
            the numba kernel from :data:`NUMBA_MIN_VARS` variables on.
    """
    if vartype not in ("spin", "binary"):
        raise OptionError(f"vartype must be 'spin' or 'binary', got {vartype!r}")
    n = int(num_vars)
    if n < 0:
        raise OptionError(f"num_vars must be >= 0, got {num_vars}")
    masks, coefs = term_masks(terms, n, vartype)
    zero = masks == 0
    offset = float(offset) + float(coefs[zero].sum())
    masks, coefs = masks[~zero], coefs[~zero]
    dtype = exact_dtype(coefs, offset) if dtype is None else np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise OptionError(f"dtype must be float32 or float64, got {dtype}")
    if out is None:
        check_diagonal(n, dtype, memory_limit)
        out = np.empty(1 << n, dtype=dtype)
    elif out.shape != (1 << n,) or out.dtype != dtype:
        raise OptionError(f"out must have shape {(1 << n,)} and dtype {dtype}, got "
                          f"{out.shape} {out.dtype}")
    mode = SPIN if vartype == "spin" else BINARY
    if use_numba is None:
        use_numba = n >= NUMBA_MIN_VARS
    if not (use_numba and _HAVE_NUMBA):
        return _diagonal_numpy(out, masks, coefs, n, mode, offset)
    low = low_bits_for(n, len(masks)) if low_bits is None else max(0, min(n, int(low_bits)))
    low_mask = (1 << low) - 1
    _threads.run_parts(_diagonal_kernel, 1 << (n - low), out,
                       (masks & low_mask).astype(np.int64), (masks >> low).astype(np.int64),
                       coefs.astype(dtype), low, mode, dtype.type(offset))
    return out


def _diagonal_numpy(out, masks, coefs, n, mode, offset):
    """Reference: scatter the coefficients, then n whole-array butterfly levels."""
    out[:] = 0
    np.add.at(out, masks, coefs.astype(out.dtype))
    for level in range(n):
        v = out.reshape(-1, 2, 1 << level)
        a, b = v[:, 0, :].copy(), v[:, 1, :]
        if mode == SPIN:
            v[:, 0, :] += b
            v[:, 1, :] = a - b
        else:
            v[:, 1, :] += a
    out += out.dtype.type(offset)
    return out


if _HAVE_NUMBA:
    @njit(cache=True, inline="always")
    def _parity(x):
        p = 0
        while x:
            x &= x - 1
            p ^= 1
        return p

    @njit(cache=True, inline="always")
    def _wht_block(g, low):
        """In-place unnormalised WHT of one block: levels 0-2 as 8-point transforms, then
        pairs of levels as radix-4 butterflies (half the passes over the block)."""
        size = g.shape[0]
        level = 0
        if low >= 3:
            for j in range(0, size, 8):
                a0, a1, a2, a3 = g[j], g[j + 1], g[j + 2], g[j + 3]
                a4, a5, a6, a7 = g[j + 4], g[j + 5], g[j + 6], g[j + 7]
                b0, b1, b2, b3 = a0 + a1, a0 - a1, a2 + a3, a2 - a3
                b4, b5, b6, b7 = a4 + a5, a4 - a5, a6 + a7, a6 - a7
                c0, c1, c2, c3 = b0 + b2, b1 + b3, b0 - b2, b1 - b3
                c4, c5, c6, c7 = b4 + b6, b5 + b7, b4 - b6, b5 - b7
                g[j], g[j + 1], g[j + 2], g[j + 3] = c0 + c4, c1 + c5, c2 + c6, c3 + c7
                g[j + 4], g[j + 5], g[j + 6], g[j + 7] = c0 - c4, c1 - c5, c2 - c6, c3 - c7
            level = 3
        while level + 1 < low:
            q = 1 << level
            for base in range(0, size, 4 * q):
                for j in range(base, base + q):
                    a, b, c, d = g[j], g[j + q], g[j + 2 * q], g[j + 3 * q]
                    s0, s1, s2, s3 = a + b, a - b, c + d, c - d
                    g[j], g[j + q], g[j + 2 * q], g[j + 3 * q] = s0 + s2, s1 + s3, s0 - s2, s1 - s3
            level += 2
        while level < low:
            half = 1 << level
            for base in range(0, size, 2 * half):
                for j in range(base, base + half):
                    a, b = g[j], g[j + half]
                    g[j], g[j + half] = a + b, a - b
            level += 1

    @njit(cache=True, inline="always")
    def _zeta_block(g, low):
        """In-place subset-sum (zeta) transform of one block, radix-4 pairs of levels."""
        size = g.shape[0]
        level = 0
        while level + 1 < low:
            q = 1 << level
            for base in range(0, size, 4 * q):
                for j in range(base, base + q):
                    a, b, c, d = g[j], g[j + q], g[j + 2 * q], g[j + 3 * q]
                    g[j + q], g[j + 2 * q], g[j + 3 * q] = a + b, a + c, a + b + c + d
            level += 2
        while level < low:
            half = 1 << level
            for base in range(0, size, 2 * half):
                for j in range(base, base + half):
                    g[j + half] += g[j]
            level += 1

    @njit(nogil=True, cache=True)
    def _diagonal_kernel(out, low_masks, high_masks, coefs, low, mode, offset, lo, hi):
        size = 1 << low
        for h in range(lo, hi):
            g = out[h * size:(h + 1) * size]
            g[:] = 0
            for t in range(coefs.shape[0]):
                hm = high_masks[t]
                if mode == 0:
                    if _parity(hm & h):
                        g[low_masks[t]] -= coefs[t]
                    else:
                        g[low_masks[t]] += coefs[t]
                elif (hm & ~h) == 0:
                    g[low_masks[t]] += coefs[t]
            if mode == 0:
                _wht_block(g, low)
            else:
                _zeta_block(g, low)
            for j in range(size):
                g[j] += offset
else:  # pragma: no cover
    _diagonal_kernel = None


def transform_flops(num_vars: int) -> float:
    """Butterfly additions of one diagonal, ``n 2^n`` (for the time plans)."""
    return float(num_vars) * math.ldexp(1.0, int(num_vars))


__all__ = ["MAX_DIAGONAL_VARS", "MAX_MASK_VARS", "check_diagonal", "diagonal_nbytes", "exact_dtype",
           "low_bits_for", "polynomial_diagonal", "term_masks"]
