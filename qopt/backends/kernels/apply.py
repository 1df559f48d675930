"""Forward passes: one pass over the state applies the one-qubit gates of a group of qubits
(and, in the first pass of a layer, the cost phase; in the last, the expectation).

:func:`low_apply` serves the X-rotation group at qubit 0 on contiguous chunks;
:func:`group_apply` any group (tiles gathered from strided rows), any 2x2 gates.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from qopt.backends.kernels.phase import sincos_run
from qopt.backends.kernels.tiles import (
    gather,
    gather_rows,
    lanes_xt,
    layout,
    rows_rot,
    scatter_rows,
    scatter_x,
    tile_base,
    xfactors,
    xt2,
    xt4,
)

_OPTS = {"cache": True, "nogil": True}
#: qubits of the low pass applied per L1-sized block (2^11 amplitudes: 16 KiB of float32 or
#: 32 KiB of float64 tiles) before the qubits above them are applied over the whole chunk
L1_QUBITS = 11


@nb.njit(inline="always", **_OPTS)
def _x_sweeps(re, im, size, k0, k1, tq):
    """Unnormalised X rotations (tq) of tile qubits k0..k1-1 on re / im[:size], two qubits
    per sweep (:func:`xt4`), an odd last one alone (:func:`xt2`)."""
    k = k0
    while k + 1 < k1:
        h = 1 << k
        for blk in range(0, size, 4 * h):
            xt4(re, im, blk, h, h, tq[k], tq[k + 1])
        k += 2
    if k < k1:
        h = 1 << k
        for blk in range(0, size, 2 * h):
            xt2(re, im, blk, blk + h, h, tq[k])


@nb.njit(inline="always", **_OPTS)
def _tiles(psi, n, q0, nbits, tile):
    """Layout of a group's tiles (:func:`layout`) and their buffers in the state's precision:
    (c0, lbits, rs, cs, L, rows, ntiles, re, im, cbuf, sbuf)."""
    c0, lbits, rs, cs = layout(n, q0, nbits, tile)
    L = 1 << lbits
    rows = 1 << nbits
    ntiles = 1 << (n - nbits - lbits)
    re = np.empty(rows * L, psi.real.dtype)
    im = np.empty(rows * L, psi.real.dtype)
    cbuf = np.empty(max(rows, L), psi.real.dtype)
    sbuf = np.empty(max(rows, L), psi.real.dtype)
    return c0, lbits, rs, cs, L, rows, ntiles, re, im, cbuf, sbuf


@nb.njit(fastmath=True, **_OPTS)
def group_apply(psi, n, q0, nbits, mats, mode, diag, gamma, do_phase, tile, expect, amp, tab,
                tmin, out1, out2, nparts, partial, lo, hi):
    """Optional phase exp(-i gamma diag) (do it only in a pass that touches every amplitude
    once), then the one-qubit gates ``mats`` (general 2x2, ``mode`` 1; X rotations go to
    :func:`x_group_apply`) of qubits q0..q0+nbits-1, one pass over the state.

    ``do_phase``: 0 no phase, 1 phase, 2 phase applied to the uniform state of amplitude
    ``amp`` (the input psi is ignored: |+>^n and the first cost layer in one pass). Returns
    ``sum |psi|^2 diag`` of the output when ``expect`` (else 0). ``tab``, ``tmin``: phase
    table of an integer-valued diagonal (:func:`sincos_run`; empty: polynomial sincos).
    ``out1``, ``out2``: used by :func:`x_group_apply` only (same signature).

    Tiles hold 2^nbits rows (the group's qubits) x L = ``tile`` columns (other qubits: the
    lowest ones, or, for the group at q0 = 0, the qubits just above it). The tiles are
    shared out over ``nparts`` parts; this call does parts ``lo..hi-1`` and writes each
    part's expectation sum to ``partial[part]`` (see :func:`qopt.threads.run_parts`). The
    two kernels are separate so that a solve compiles only the one it uses."""
    c0, lbits, rs, cs, L, rows, ntiles, re, im, cbuf, sbuf = _tiles(psi, n, q0, nbits, tile)
    for part in range(lo, hi):
        acc = 0.0
        for t in range(part * ntiles // nparts, (part + 1) * ntiles // nparts):
            base = tile_base(t, q0, nbits, c0, lbits)
            gather(psi, re, im, base, rows, L, rs, cs, diag, gamma, do_phase, cbuf, sbuf,
                   amp, tab, tmin)
            for k in range(nbits):
                h = 1 << k
                for blk in range(0, rows, 2 * h):     # rows blk.. and blk+h.. are contiguous
                    rows_rot(re, im, blk * L, (blk + h) * L, h * L, mats, q0 + k, mode)
            acc += scatter_x(psi, re, im, base, rows, L, rs, cs, 0, 1.0, 1.0, False,
                             diag, expect)
        partial[part] = acc


@nb.njit(fastmath=True, **_OPTS)
def x_group_apply(psi, n, q0, nbits, mats, mode, diag, gamma, do_phase, tile, expect, amp,
                  tab, tmin, out1, out2, nparts, partial, lo, hi):
    """:func:`group_apply` for X rotations (``mode`` 0): run unnormalised (``R_t = I - i t
    X``, one FMA per output, see :func:`xfactors`), two qubits per sweep; the common factor
    and the flips are applied when the tile is written back. On the plain high pass (rows of
    contiguous runs, no phase, real factor) with ``expect``, non-empty ``out1`` / ``out2``
    (state-sized) also receive psi and diag * psi (the adjoint's phi and lam) while the tile
    is written back."""
    c0, lbits, rs, cs, L, rows, ntiles, re, im, cbuf, sbuf = _tiles(psi, n, q0, nbits, tile)
    tq = np.zeros(max(nbits, 1), re.dtype)
    mask, fr, nmi = xfactors(mats, q0, nbits, tq)
    # fr (-i)^nmi (x + iy): 0 -> (fr x, fr y); 1 -> (fr y, -fr x); 2 -> negated; 3 -> ...
    r = nmi % 4
    swap = r % 2 == 1
    g1 = fr if r in (0, 1) else -fr
    g2 = fr if r in (0, 3) else -fr
    plain = rs != 1 and do_phase == 0 and not swap and g1 == g2
    for part in range(lo, hi):
        acc = 0.0
        for t in range(part * ntiles // nparts, (part + 1) * ntiles // nparts):
            base = tile_base(t, q0, nbits, c0, lbits)
            if plain:
                gather_rows(psi, re, im, base, rows, L, rs)
            else:
                gather(psi, re, im, base, rows, L, rs, cs, diag, gamma, do_phase, cbuf, sbuf,
                       amp, tab, tmin)
            k = 0
            while k + 1 < nbits:
                h = 1 << k
                for blk in range(0, rows, 4 * h):
                    xt4(re, im, blk * L, h * L, h * L, tq[k], tq[k + 1])
                k += 2
            if k < nbits:
                h = 1 << k
                for blk in range(0, rows, 2 * h):
                    xt2(re, im, blk * L, (blk + h) * L, h * L, tq[k])
            if plain:
                acc += scatter_rows(psi, re, im, base, rows, L, rs, mask, g1, diag, expect,
                                    out1, out2)
            else:
                acc += scatter_x(psi, re, im, base, rows, L, rs, cs, mask, g1, g2, swap,
                                 diag, expect)
        partial[part] = acc


@nb.njit(fastmath=True, **_OPTS)
def low_apply(x, n, nbits, mats, diag, gamma, do_phase, expect, amp, tab, tmin, nparts, partial,
              lo, hi):
    """:func:`group_apply` for the X rotations (mode 0) of qubits 0..nbits-1 (nbits >= 2) on
    contiguous chunks of 2^nbits amplitudes: the chunk is only de-interleaved into re / im
    (no transposition), qubits 0 and 1 act inside each run of 4 amplitudes, qubits 2.. on
    runs of 4h. ``x``: the state as interleaved (real, imaginary) floats, shape (2^(n+1),)
    (``psi.view(float64)``, or float32 for a complex64 state). Same ``do_phase``,
    ``expect``, ``amp``, ``tab``, ``tmin``, parts as group_apply."""
    chunk = 1 << nbits
    nch = 1 << (n - nbits)
    tq = np.zeros(nbits, x.dtype)
    mask, fr, nmi = xfactors(mats, 0, nbits, tq)
    r = nmi % 4
    swap = r % 2 == 1
    gg = np.empty(2, x.dtype)                   # write-back factors in the tiles' precision
    gg[0] = fr if r in (0, 1) else -fr
    gg[1] = fr if r in (0, 3) else -fr
    g1 = gg[0]
    g2 = gg[1]
    plain = mask == 0 and not swap
    t1 = tq[0]
    t2 = tq[1]
    inner = min(nbits, L1_QUBITS)
    if (nbits - inner) % 2 and inner > 2:
        inner -= 1                              # qubits in pairs on both sides of the split
    blk1 = 1 << inner
    sub = min(blk1, 512)
    re = np.empty(chunk, x.dtype)               # tiles in the state's precision
    im = np.empty(chunk, x.dtype)
    cb = np.empty(sub, x.dtype)
    sb = np.empty(sub, x.dtype)
    for part in range(lo, hi):
        acc = 0.0
        for t in range(part * nch // nparts, (part + 1) * nch // nparts):
            base = t * chunk
            xv = x[2 * base:2 * base + 2 * chunk]
            for s0 in range(0, chunk, blk1):
                # one L1-sized block: loaded (phase applied), its qubits rotated
                if do_phase == 0:
                    for j in range(s0, s0 + blk1):
                        re[j] = xv[2 * j]
                        im[j] = xv[2 * j + 1]
                else:
                    for j0 in range(s0, s0 + blk1, sub):
                        sincos_run(diag, base + j0, sub, gamma, cb, sb, tab, tmin)
                        rr = re[j0:j0 + sub]
                        ii = im[j0:j0 + sub]
                        if do_phase == 2:
                            for j in range(sub):
                                rr[j] = amp * cb[j]
                                ii[j] = -amp * sb[j]
                        else:
                            xs = xv[2 * j0:2 * j0 + 2 * sub]
                            for j in range(sub):
                                vr = xs[2 * j]
                                vi = xs[2 * j + 1]
                                c = cb[j]
                                s = sb[j]
                                rr[j] = vr * c + vi * s
                                ii[j] = vi * c - vr * s
                rb = re[s0:s0 + blk1]
                ib = im[s0:s0 + blk1]
                lanes_xt(rb, ib, blk1, t1, t2)          # qubits 0 and 1: runs of 4
                _x_sweeps(rb, ib, blk1, 2, inner, tq)
            _x_sweeps(re, im, chunk, inner, nbits, tq)  # the rest over the whole chunk
            if plain and not expect:
                for j in range(chunk):
                    xv[2 * j] = re[j] * g1
                    xv[2 * j + 1] = im[j] * g2
            elif plain:
                d = diag[base:base + chunk]
                for j in range(chunk):
                    a = re[j] * g1
                    e = im[j] * g2
                    xv[2 * j] = a
                    xv[2 * j + 1] = e
                    acc += (a * a + e * e) * d[j]
            else:
                for j in range(chunk):
                    a = re[j]
                    e = im[j]
                    if swap:
                        a, e = e, a
                    a *= g1
                    e *= g2
                    jj = j ^ mask
                    xv[2 * jj] = a
                    xv[2 * jj + 1] = e
                    if expect:
                        acc += (a * a + e * e) * diag[base + jj]
        partial[part] = acc


__all__ = ["group_apply", "low_apply", "x_group_apply"]
