"""Elementwise kernels over the whole state: phase, expectation of a diagonal, diagonal
products, probabilities, and the integer range of a diagonal.

Each runs over parts ``lo..hi-1`` of ``nparts`` equal index ranges (see
:func:`qopt.threads.run_parts`); reductions write one partial per part, which the caller
sums in part order (the same sum for any thread count). The state may be complex128 or
complex64 (a kernel is compiled per dtype on first use); arithmetic and sums are float64.
"""

from __future__ import annotations

import math

import numba as nb

from qopt.backends.kernels.phase import sincos

_OPTS = {"cache": True, "nogil": True}


@nb.njit(inline="always", **_OPTS)
def _bounds(size, nparts, part):
    """Index range [start, stop) of ``part`` of ``nparts`` near-equal ranges of ``size``."""
    return part * size // nparts, (part + 1) * size // nparts


@nb.njit(**_OPTS)
def phase_apply(psi, diag, gamma, nparts, lo, hi):
    """psi *= exp(-i gamma diag), in place."""
    for part in range(lo, hi):
        a, b = _bounds(psi.size, nparts, part)
        for j in range(a, b):
            c, s = sincos(gamma * diag[j])
            v = psi[j]
            psi[j] = complex(v.real * c + v.imag * s, v.imag * c - v.real * s)


@nb.njit(fastmath={"reassoc", "contract"}, **_OPTS)
def expval_diag(psi, diag, nparts, partial, lo, hi):
    """partial[part] = sum over the part of |psi_s|^2 diag_s (float64 accumulation)."""
    for part in range(lo, hi):
        a, b = _bounds(psi.size, nparts, part)
        acc = 0.0
        for j in range(a, b):
            v = psi[j]
            re = float(v.real)
            im = float(v.imag)
            acc += (re * re + im * im) * diag[j]
        partial[part] = acc


@nb.njit(**_OPTS)
def mul_diag(out, psi, weights, nparts, lo, hi):
    """out = weights * psi (weights real)."""
    for part in range(lo, hi):
        a, b = _bounds(psi.size, nparts, part)
        for j in range(a, b):
            out[j] = psi[j] * weights[j]


@nb.njit(**_OPTS)
def copy_mul(out1, out2, psi, weights, nparts, lo, hi):
    """out1 = psi, out2 = weights * psi (weights real), one pass."""
    for part in range(lo, hi):
        a, b = _bounds(psi.size, nparts, part)
        for j in range(a, b):
            v = psi[j]
            out1[j] = v
            out2[j] = v * weights[j]


@nb.njit(**_OPTS)
def probabilities(psi, out, nparts, lo, hi):
    """out = |psi|^2 (float64)."""
    for part in range(lo, hi):
        a, b = _bounds(psi.size, nparts, part)
        for j in range(a, b):
            v = psi[j]
            re = float(v.real)
            im = float(v.imag)
            out[j] = re * re + im * im


@nb.njit(**_OPTS)
def part_mass(psi, nparts, partial, lo, hi):
    """partial[part] = sum over the part of |psi_s|^2 (float64, in index order)."""
    for part in range(lo, hi):
        a, b = _bounds(psi.size, nparts, part)
        acc = 0.0
        for j in range(a, b):
            v = psi[j]
            re = float(v.real)
            im = float(v.imag)
            acc += re * re + im * im
        partial[part] = acc


@nb.njit(**_OPTS)
def sample_parts(psi, start, u, uptr, out, nparts, lo, hi):
    """Inverse-CDF sampling without a probability array: for each part in ``lo..hi-1``, the
    sorted draws ``u[uptr[part]:uptr[part + 1]]`` (cumulative masses in the part's range,
    which begins at ``start[part]``) become ``out[i]`` = the first state of the part whose
    running cumulative mass exceeds ``u[i]`` (the part's last state for a draw at its very
    end). One read of the part, only for parts that hold draws."""
    for part in range(lo, hi):
        i = uptr[part]
        end = uptr[part + 1]
        if i == end:
            continue
        a, b = _bounds(psi.size, nparts, part)
        acc = start[part]
        j = a
        while i < end:
            while j < b - 1:
                v = psi[j]
                re = float(v.real)
                im = float(v.imag)
                p = re * re + im * im
                if acc + p > u[i]:
                    break
                acc += p
                j += 1
            out[i] = j
            i += 1


@nb.njit(**_OPTS)
def range_parts(diag, nparts, out, lo, hi):
    """out[part] = (entries differing from their floor, min, max) over the part (no
    fast-math: a NaN counts as not integer)."""
    for part in range(lo, hi):
        a, b = _bounds(diag.size, nparts, part)
        count = 0
        mn = math.inf
        mx = -math.inf
        for j in range(a, b):
            v = diag[j]
            count += v != math.floor(v)
            mn = v if v < mn else mn
            mx = v if v > mx else mx
        out[part, 0] = count
        out[part, 1] = mn
        out[part, 2] = mx


__all__ = [
    "copy_mul", "expval_diag", "mul_diag", "part_mass", "phase_apply", "probabilities",
    "range_parts", "sample_parts",
]
