"""Phase factors ``exp(-i gamma d)`` of the cost layer, for the pass kernels.

:func:`sincos` is a branch-free polynomial (exact Cody-Waite reduction to [-pi, pi], Taylor at
x / 8, three doublings), inlined into the vectorised loops; under ``fastmath`` its error is
about one ulp of ``|gamma d|``. :func:`sincos_run` serves a run of the diagonal either from it
or, for an integer-valued diagonal, from a per-layer table of ``(cos, sin)(gamma k)`` (built by
the engine with numpy; :func:`qopt.backends.kernels.elementwise.range_parts` tells whether
the diagonal is integer-valued).
"""

from __future__ import annotations

import math

import numba as nb

_INV_2PI = 1.0 / (2.0 * math.pi)
# 2 pi split Cody-Waite style: HI has 33 significant bits, so k * HI is exact for |k| < 2^20
_TWO_PI_HI = float.fromhex("0x1.921fb544p+2")
_TWO_PI_LO = 2.0 * math.pi - _TWO_PI_HI
# Taylor coefficients of cos y and sin y / y in y^2, |y| <= pi/8 (truncation < 1e-17)
_C = [(-1.0) ** k / math.factorial(2 * k) for k in range(8)]
_S = [(-1.0) ** k / math.factorial(2 * k + 1) for k in range(8)]
C0, C1, C2, C3, C4, C5, C6, C7 = _C
S0, S1, S2, S3, S4, S5, S6, S7 = _S

_OPTS = {"cache": True, "nogil": True}


@nb.njit(inline="always", **_OPTS)
def sincos(x):
    """(cos x, sin x): exact reduction to t in [-1/2, 1/2] turns, Taylor at x/8, 3 doublings."""
    k = math.floor(x * _INV_2PI + 0.5)
    y = ((x - k * _TWO_PI_HI) - k * _TWO_PI_LO) * 0.125
    y2 = y * y
    c = C0 + y2 * (C1 + y2 * (C2 + y2 * (C3 + y2 * (C4 + y2 * (C5 + y2 * (C6 + y2 * C7))))))
    s = y * (S0 + y2 * (S1 + y2 * (S2 + y2 * (S3 + y2 * (S4 + y2 * (S5 + y2 * (S6 + y2 * S7)))))))
    c, s = c * c - s * s, 2.0 * c * s
    c, s = c * c - s * s, 2.0 * c * s
    c, s = c * c - s * s, 2.0 * c * s
    return c, s


@nb.njit(inline="always", **_OPTS)
def sincos_run(diag, start, count, gamma, cbuf, sbuf, tab, tmin):
    """cbuf[:count], sbuf[:count] = cos, sin of gamma * diag[start:start+count] (vectorised).

    With a non-empty ``tab`` (see :func:`phase_table`) the diagonal is integer-valued and
    ``(cos, sin)(gamma * d) = tab[2k], tab[2k + 1]`` with ``k = d - tmin``."""
    d = diag[start:start + count]
    if tab.size:
        for j in range(count):
            k = int(d[j] - tmin)
            cbuf[j] = tab[2 * k]
            sbuf[j] = tab[2 * k + 1]
        return
    for j in range(count):
        c, s = sincos(gamma * d[j])
        cbuf[j] = c
        sbuf[j] = s


__all__ = ["sincos", "sincos_run"]
