"""Elementwise kernels over the whole state, one parallel pass each: phase, expectation of a
diagonal, diagonal products, probabilities, fills and product states.
"""

from __future__ import annotations

import numba as nb
from numba import prange

from qopt.backends.kernels.phase import sincos

_OPTS = {"cache": True, "nogil": True}


@nb.njit(parallel=True, **_OPTS)
def phase_apply(psi, diag, gamma):
    """psi *= exp(-i gamma diag), in place."""
    for j in prange(psi.size):
        c, s = sincos(gamma * diag[j])
        v = psi[j]
        psi[j] = complex(v.real * c + v.imag * s, v.imag * c - v.real * s)


@nb.njit(parallel=True, **_OPTS)
def expval_diag(psi, diag):
    """sum_s |psi_s|^2 diag_s (float64 accumulation)."""
    acc = 0.0
    for j in prange(psi.size):
        v = psi[j]
        acc += (v.real * v.real + v.imag * v.imag) * diag[j]
    return acc


@nb.njit(parallel=True, **_OPTS)
def mul_diag(out, psi, weights):
    """out = weights * psi (weights real)."""
    for j in prange(psi.size):
        out[j] = psi[j] * weights[j]


@nb.njit(parallel=True, **_OPTS)
def copy_mul(out1, out2, psi, weights):
    """out1 = psi, out2 = weights * psi (weights real), one pass."""
    for j in prange(psi.size):
        v = psi[j]
        out1[j] = v
        out2[j] = v * weights[j]


@nb.njit(parallel=True, **_OPTS)
def probabilities(psi, out):
    """out = |psi|^2 (float64)."""
    for j in prange(psi.size):
        v = psi[j]
        out[j] = v.real * v.real + v.imag * v.imag


@nb.njit(parallel=True, **_OPTS)
def fill(psi, value):
    for j in prange(psi.size):
        psi[j] = value


@nb.njit(parallel=True, **_OPTS)
def product_state(psi, n, amps0, amps1):
    """psi = tensor product of (amps0[i] |0> + amps1[i] |1>) over qubits i."""
    for j in prange(psi.size):
        v = 1.0 + 0j
        for i in range(n):
            v *= amps1[i] if (j >> i) & 1 else amps0[i]
        psi[j] = v


__all__ = [
    "copy_mul", "expval_diag", "fill", "mul_diag", "phase_apply", "probabilities", "product_state",
]
