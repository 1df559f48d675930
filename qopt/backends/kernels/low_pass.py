"""The low pass of an X-rotation mixer: qubits 0..nbits-1 of the state, chunk by contiguous
chunk, in place on the interleaved amplitudes with explicit SIMD vectors (:mod:`.simd`).

A vector holds 4 (float32) or 2 (float64) complex amplitudes; the qubits inside a vector (0
and 1, or 0) are lane swaps, every qubit above it pairs whole vectors ``2^(k+1)`` floats
apart. Each chunk of ``2^nbits`` amplitudes is taken in blocks of :data:`L1_BYTES`: a block
gets the phase (first touch) and the rotations of its own qubits while it sits in L1, then
the qubits above the block are applied over the whole chunk (L2-sized at the engine's 16),
two qubits per sweep. The rotations run unnormalised (``R_t = I - i t X``, one FMA per float,
see :func:`.tiles.xfactors`); the common real factor rides on the phase, the flips and the
``-i`` factors (qubits with ``|s| > |c|``) are applied when the chunk is finished.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from qopt.backends.kernels import simd
from qopt.backends.kernels.phase import sincos_run
from qopt.backends.kernels.tiles import write_back, xfactors

_OPTS = {"cache": True, "nogil": True}
#: bytes of the block whose own qubits are applied before it leaves L1 (2^11 complex64)
L1_BYTES = 1 << 14
#: amplitudes whose phase factors are looked up per run (two small buffers)
PHASE_RUN = 512


@nb.njit(inline="always", **_OPTS)
def in_vector(v, w, a0, a1):
    """``R_t`` of the qubits inside the vector v of w lanes: qubit 0 (``a0``), and qubit 1
    (``a1``) when w = 8 (float32: four amplitudes per vector)."""
    v = simd.fma(a0, simd.swap_xor1(v), v)
    if w == 8:
        v = simd.fma(a1, simd.swap_xor2(v), v)
    return v


@nb.njit(inline="always", **_OPTS)
def _lanes(x, s, size, a0, a1):
    """The in-vector qubits (:func:`in_vector`) on x[s:s+size]."""
    w = simd.width(x)
    for j in range(s, s + size, w):
        simd.store(x, j, in_vector(simd.load(x, j), w, a0, a1))


@nb.njit(inline="always", **_OPTS)
def rot2(a, b, a1):
    """``R_t`` of one qubit on the vector pair (a, b) (``a1 = splat_alt(x, t)``)."""
    return simd.fma(a1, simd.swap_pairs(b), a), simd.fma(a1, simd.swap_pairs(a), b)


@nb.njit(inline="always", **_OPTS)
def rot4(a, b, c, d, a1, a2):
    """Two qubits on four vectors: the first on (a, b), (c, d), the second on (a, c), (b, d)."""
    a, b = rot2(a, b, a1)
    c, d = rot2(c, d, a1)
    a, c = rot2(a, c, a2)
    b, d = rot2(b, d, a2)
    return a, b, c, d


@nb.njit(inline="always", **_OPTS)
def _pairs(x, s, size, h, a1, a2):
    """Two qubits whose partners lie h and 2h floats apart (h >= a vector) on x[s:s+size]
    (:func:`rot4`)."""
    w = simd.width(x)
    for blk in range(s, s + size, 4 * h):
        for j in range(blk, blk + h, w):
            a, b, c, d = rot4(simd.load(x, j), simd.load(x, j + h), simd.load(x, j + 2 * h),
                              simd.load(x, j + 3 * h), a1, a2)
            simd.store(x, j, a)
            simd.store(x, j + h, b)
            simd.store(x, j + 2 * h, c)
            simd.store(x, j + 3 * h, d)


@nb.njit(inline="always", **_OPTS)
def _single(x, s, size, h, a1):
    """One qubit whose partners lie h floats apart (h >= a vector) on x[s:s+size]."""
    w = simd.width(x)
    for blk in range(s, s + size, 2 * h):
        for j in range(blk, blk + h, w):
            a, b = rot2(simd.load(x, j), simd.load(x, j + h), a1)
            simd.store(x, j, a)
            simd.store(x, j + h, b)


@nb.njit(inline="always", **_OPTS)
def _sweeps(x, s, size, k0, k1, tq):
    """Qubits k0..k1-1 (above the in-vector ones) on x[s:s+size], two per sweep."""
    k = k0
    while k + 1 < k1:
        _pairs(x, s, size, 2 << k, simd.splat_alt(x, tq[k]), simd.splat_alt(x, tq[k + 1]))
        k += 2
    if k < k1:
        _single(x, s, size, 2 << k, simd.splat_alt(x, tq[k]))


@nb.njit(inline="always", **_OPTS)
def _phase_block(x, f0, count, diag, d0, gamma, do_phase, amp, g, tab, tmin, ptab, cb, sb):
    """Amplitudes d0..d0+count-1 (floats from f0 of x) times ``g exp(-i gamma diag)``, or set
    to ``g amp exp(-i gamma diag)`` (``do_phase == 2``: the uniform state). ``ptab``: the
    phase table (:func:`sincos_run`) as interleaved ``(c, -s)`` in x's dtype, scaled by g
    (and amp), or empty (polynomial sincos through ``cb``, ``sb``)."""
    if ptab.size:
        d = diag[d0:d0 + count]
        xs = x[f0:f0 + 2 * count]
        for j in range(count):
            k = 2 * int(d[j] - tmin)
            c = ptab[k]
            s = ptab[k + 1]
            if do_phase == 2:
                xs[2 * j] = c
                xs[2 * j + 1] = s
            else:
                vr = xs[2 * j]
                vi = xs[2 * j + 1]
                xs[2 * j] = vr * c - vi * s
                xs[2 * j + 1] = vi * c + vr * s
        return
    run = cb.size
    for j0 in range(0, count, run):
        sincos_run(diag, d0 + j0, run, gamma, cb, sb, tab, tmin)
        xs = x[f0 + 2 * j0:f0 + 2 * j0 + 2 * run]
        if do_phase == 2:
            ga = g * amp
            for j in range(run):
                xs[2 * j] = ga * cb[j]
                xs[2 * j + 1] = -ga * sb[j]
        else:
            for j in range(run):
                vr = xs[2 * j]
                vi = xs[2 * j + 1]
                c = g * cb[j]
                s = g * sb[j]
                xs[2 * j] = vr * c + vi * s
                xs[2 * j + 1] = vi * c - vr * s


@nb.njit(inline="always", **_OPTS)
def _scaled_table(tab, scale, dtype):
    """``scale * (cos, -sin)`` of a phase table, interleaved, in ``dtype`` (exp(-i gamma k))."""
    out = np.empty(tab.size, dtype)
    for k in range(0, tab.size, 2):
        out[k] = scale * tab[k]
        out[k + 1] = -scale * tab[k + 1]
    return out


@nb.njit(fastmath=True, **_OPTS)
def low_apply(x, n, nbits, mats, diag, gamma, do_phase, expect, amp, tab, tmin, nparts, partial,
              lo, hi):
    """Optional phase ``exp(-i gamma diag)``, then the X rotations (``mats``, mode 0) of
    qubits 0..nbits-1 (nbits >= 2), one pass over the state; returns nothing, writes
    ``sum |psi|^2 diag`` of the output per part to ``partial`` when ``expect``.

    ``x``: the state as interleaved (real, imaginary) floats, shape (2^(n+1),)
    (``psi.view(float64)``, or float32 for a complex64 state). ``do_phase``: 0 none, 1 phase,
    2 phase on the uniform state of amplitude ``amp`` (x is not read). ``tab``, ``tmin``:
    phase table of an integer-valued diagonal (:func:`sincos_run`; empty: polynomial
    sincos). Parts as :func:`qopt.backends.kernels.group_apply`."""
    chunk = 1 << nbits                          # amplitudes per chunk
    nch = 1 << (n - nbits)
    w = simd.width(x)
    vq = 2 if w == 8 else 1                     # qubits inside a vector
    tq = np.zeros(nbits, np.float64)
    mask, fr, nmi = xfactors(mats, 0, nbits, tq)
    swap, g1, g2 = write_back(fr, nmi)
    plain = mask == 0 and not swap
    g = fr if plain else 1.0                    # factor applied with the phase
    inner = nbits
    while inner > vq and (x.itemsize << (inner + 1)) > L1_BYTES:
        inner -= 1                              # 2^inner amplitudes fill L1_BYTES
    if (nbits - inner) % 2 and inner - vq > 2:
        inner -= 1                              # qubits in pairs on both sides of the split
    blk = 2 << inner                            # floats of an L1 block
    run = min(1 << inner, PHASE_RUN)
    cb = np.empty(run, x.dtype)
    sb = np.empty(run, x.dtype)
    a0 = simd.splat_alt(x, tq[0])
    a1 = simd.splat_alt(x, tq[1])
    gv = simd.splat(x, g)
    ptab = _scaled_table(tab, g * amp if do_phase == 2 else g, x.dtype)
    for part in range(lo, hi):
        acc = 0.0
        for t in range(part * nch // nparts, (part + 1) * nch // nparts):
            base = t * chunk
            f0 = 2 * base
            for s0 in range(f0, f0 + 2 * chunk, blk):
                if do_phase:
                    _phase_block(x, s0, blk // 2, diag, s0 // 2, gamma, do_phase, amp, g, tab,
                                 tmin, ptab, cb, sb)
                elif g != 1.0:
                    for j in range(s0, s0 + blk, w):
                        simd.store(x, j, simd.mul(simd.load(x, j), gv))
                _lanes(x, s0, blk, a0, a1)
                _sweeps(x, s0, blk, vq, inner, tq)
            _sweeps(x, f0, 2 * chunk, inner, nbits, tq)
            xc = x[f0:f0 + 2 * chunk]
            if plain:
                if expect:
                    d = diag[base:base + chunk]
                    for j in range(chunk):
                        a = xc[2 * j]
                        e = xc[2 * j + 1]
                        acc += (a * a + e * e) * d[j]
                continue
            for j in range(chunk):
                jj = j ^ mask
                if jj < j:
                    continue                    # done with its partner
                a = xc[2 * j]
                e = xc[2 * j + 1]
                b = xc[2 * jj]
                c = xc[2 * jj + 1]
                if swap:
                    a, e = e, a
                    b, c = c, b
                a *= g1
                e *= g2
                b *= g1
                c *= g2
                xc[2 * jj] = a
                xc[2 * jj + 1] = e
                xc[2 * j] = b
                xc[2 * j + 1] = c
                if expect:
                    acc += (a * a + e * e) * diag[base + jj]
                    if jj != j:
                        acc += (b * b + c * c) * diag[base + j]
        partial[part] = acc


__all__ = ["L1_BYTES", "PHASE_RUN", "in_vector", "low_apply", "rot2", "rot4"]
