"""Numba kernels of the statevector engine (CPU, in place, cache-blocked).

State layout: ``psi[s]`` is the amplitude of basis state ``s``; qubit ``i`` is bit ``i`` of
``s`` (:mod:`qopt.bits`). Qubits are processed in *groups*: the first group (qubits
``0..b0-1``) acts on contiguous chunks of ``2^b0`` amplitudes; a higher group (qubits
``q0..q0+nb-1``) gathers tiles of ``2^nb`` rows x ``L`` consecutive amplitudes into a small
buffer, applies all of the group's one-qubit gates there and scatters back. One pass over the
state therefore applies a whole group of qubits, not one qubit.

One-qubit gates on every qubit are given as ``mats``, shape (n, 2, 2) complex128, with
``mode == 0`` meaning "each matrix is an X rotation ``[[c, -is], [-is, c]]``" (the QAOA mixer,
taken from ``mats[k, 0, 0].real`` and ``-mats[k, 0, 1].imag``) and ``mode == 1`` a general 2x2
matrix. X rotations run unnormalised, ``c (I - i t X)`` with ``|t| <= 1`` (one FMA per output;
the factor ``c`` of every qubit of a pass, and the flip of the qubits with ``|s| > |c|``, are
applied when the tile is written back: a scaled unitary per step, so the rounding error stays
at a few ulp per gate, and at n = 24 the engine matches numpy / Aer to ~1e-12 relative). The
phase ``exp(-i gamma d)`` comes from a per-layer table ``(cos, sin)(gamma k)`` (numpy, exact to
an ulp) when the diagonal is integer-valued with at most 2^14 levels (checked per call), else
from a branch-free polynomial ``sincos``. ``fastmath`` is on in the pass kernels: it licenses
FMA contraction, reassociation of the tile sums (expectation, overlaps: float64 accumulation
per part) and vectorisation; measured phase error of the inlined ``sincos`` under it: about one
ulp of ``|gamma d|`` (2.7e-15 at |gamma d| ~ 30, 4e-13 at ~ 3000), i.e. the rounding of the
product itself. No kernel relies on NaN / inf semantics (:func:`integer_range`, which must see
NaN, is compiled without it).

Everything here is imported lazily by :mod:`qopt.backends.statevector` when numba is present.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from numba import prange

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


@nb.njit(parallel=True, **_OPTS)
def phase_apply(psi, diag, gamma):
    """psi *= exp(-i gamma diag), in place."""
    for j in prange(psi.size):
        c, s = sincos(gamma * diag[j])
        v = psi[j]
        psi[j] = complex(v.real * c + v.imag * s, v.imag * c - v.real * s)



@nb.njit(inline="always", **_OPTS)
def _insert_zeros(t, pos, count):
    """t with ``count`` zero bits inserted at bit position ``pos``."""
    low = t & ((1 << pos) - 1)
    return ((t >> pos) << (pos + count)) | low


@nb.njit(inline="always", **_OPTS)
def _tile_base(t, q0, nbits, c0, lbits):
    """First state index of tile t: group bits [q0, q0+nbits) and column bits [c0, c0+lbits)
    zero, the other bits taken from t in order."""
    if c0 < q0:
        return _insert_zeros(_insert_zeros(t, c0, lbits), q0, nbits)
    return _insert_zeros(_insert_zeros(t, q0, nbits), c0, lbits)


@nb.njit(inline="always", **_OPTS)
def _sincos_run(diag, start, count, gamma, cbuf, sbuf, tab, tmin):
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


@nb.njit(parallel=True, **_OPTS)
def _non_integers(diag, nparts):
    """How many entries differ from their floor (NaN counts; no fast-math here)."""
    counts = np.zeros(nparts, dtype=np.int64)
    for part in prange(nparts):
        d = diag[part * diag.size // nparts:(part + 1) * diag.size // nparts]
        c = 0
        for j in range(d.size):
            c += d[j] != math.floor(d[j])
        counts[part] = c
    return counts.sum()


@nb.njit(parallel=True, fastmath={"nnan", "nsz", "reassoc", "contract"}, **_OPTS)
def _min_max(diag, nparts):
    """(min, max) of a NaN-free array (vectorised reductions)."""
    lo = np.empty(nparts)
    hi = np.empty(nparts)
    for part in prange(nparts):
        d = diag[part * diag.size // nparts:(part + 1) * diag.size // nparts]
        mn = np.inf
        mx = -np.inf
        for j in range(d.size):
            v = d[j]
            mn = v if v < mn else mn
            mx = v if v > mx else mx
        lo[part] = mn
        hi[part] = mx
    return lo.min(), hi.max()


def integer_range(diag):
    """(min, max, all integer) of a float64 diagonal (two parallel reads of it; NaN makes
    it not integer, +-inf shows in min / max)."""
    nparts = 64 if diag.size >= 4096 else 1
    if _non_integers(diag, nparts):
        return 0.0, 0.0, False
    lo, hi = _min_max(diag, nparts)
    return float(lo), float(hi), True


@nb.njit(inline="always", **_OPTS)
def _phased(psi, idx, amp, do_phase, c, s):
    """(re, im) of ``psi[idx]`` (or the uniform amplitude ``amp`` when ``do_phase == 2``) times
    ``exp(-i phi)`` with ``(cos phi, sin phi) = (c, s)`` when ``do_phase``."""
    if do_phase == 2:
        vr = amp
        vi = 0.0
    else:
        v = psi[idx]
        vr = v.real
        vi = v.imag
    if do_phase:
        vr, vi = vr * c + vi * s, vi * c - vr * s
    return vr, vi


@nb.njit(inline="always", **_OPTS)
def _gather(psi, re, im, base, rows, L, rs, cs, diag, gamma, do_phase, cbuf, sbuf, amp,
            tab, tmin):
    """Tile (rows x L) of psi at base + m*rs + col*cs into SoA buffers, phase applied.

    ``do_phase``: 0 none, 1 ``exp(-i gamma diag)``, 2 the same phase on a uniform state of
    amplitude ``amp`` (psi is not read)."""
    if rs == 1:
        for col in range(L):
            off = base + col * cs
            if do_phase:
                _sincos_run(diag, off, rows, gamma, cbuf, sbuf, tab, tmin)
            for m in range(rows):
                vr, vi = _phased(psi, off + m, amp, do_phase, cbuf[m], sbuf[m])
                re[m * L + col] = vr
                im[m * L + col] = vi
    else:
        for m in range(rows):
            off = base + m * rs
            if do_phase:
                _sincos_run(diag, off, L, gamma, cbuf, sbuf, tab, tmin)
            for col in range(L):
                vr, vi = _phased(psi, off + col, amp, do_phase, cbuf[col], sbuf[col])
                re[m * L + col] = vr
                im[m * L + col] = vi


@nb.njit(inline="always", **_OPTS)
def _scatter(psi, re, im, base, rows, L, rs, cs):
    if rs == 1:
        for col in range(L):
            off = base + col * cs
            for m in range(rows):
                psi[off + m] = complex(re[m * L + col], im[m * L + col])
    else:
        for m in range(rows):
            off = base + m * rs
            for col in range(L):
                psi[off + col * cs] = complex(re[m * L + col], im[m * L + col])


@nb.njit(inline="always", **_OPTS)
def _rows_rot(re, im, ia, ib, L, mats, q, mode):
    """Gate of qubit q on row pair (ia, ib) of SoA tiles: L contiguous pairs (vectorised)."""
    ra = re[ia:ia + L]
    rb = re[ib:ib + L]
    xa = im[ia:ia + L]
    xb = im[ib:ib + L]
    if mode == 0:
        c = mats[q, 0, 0].real
        s = -mats[q, 0, 1].imag
        for col in range(L):
            ar = ra[col]
            ai = xa[col]
            br = rb[col]
            bi = xb[col]
            ra[col] = c * ar + s * bi
            xa[col] = c * ai - s * br
            rb[col] = c * br + s * ai
            xb[col] = c * bi - s * ar
    else:
        m00r = mats[q, 0, 0].real
        m00i = mats[q, 0, 0].imag
        m01r = mats[q, 0, 1].real
        m01i = mats[q, 0, 1].imag
        m10r = mats[q, 1, 0].real
        m10i = mats[q, 1, 0].imag
        m11r = mats[q, 1, 1].real
        m11i = mats[q, 1, 1].imag
        for col in range(L):
            ar = ra[col]
            ai = xa[col]
            br = rb[col]
            bi = xb[col]
            ra[col] = m00r * ar - m00i * ai + m01r * br - m01i * bi
            xa[col] = m00r * ai + m00i * ar + m01r * bi + m01i * br
            rb[col] = m10r * ar - m10i * ai + m11r * br - m11i * bi
            xb[col] = m10r * ai + m10i * ar + m11r * bi + m11i * br


@nb.njit(inline="always", **_OPTS)
def _rows_imov(pre, pim, lre, lim, ia, ib, L, gens, q, mode):
    """Im <lam| G_q |phi> summed over row pair (ia, ib) of SoA tiles (G = X for mode 0)."""
    pra = pre[ia:ia + L]
    prb = pre[ib:ib + L]
    pia = pim[ia:ia + L]
    pib = pim[ib:ib + L]
    lra = lre[ia:ia + L]
    lrb = lre[ib:ib + L]
    lia = lim[ia:ia + L]
    lib = lim[ib:ib + L]
    acc = 0.0
    if mode == 0:
        for col in range(L):
            acc += (lra[col] * pib[col] - lia[col] * prb[col]
                    + lrb[col] * pia[col] - lib[col] * pra[col])
    else:
        g00 = gens[q, 0, 0].real
        g11 = gens[q, 1, 1].real
        g01r = gens[q, 0, 1].real
        g01i = gens[q, 0, 1].imag
        g10r = gens[q, 1, 0].real
        g10i = gens[q, 1, 0].imag
        for col in range(L):
            # (G phi)_a, (G phi)_b for Hermitian G (real diagonal)
            ur = g00 * pra[col] + g01r * prb[col] - g01i * pib[col]
            ui = g00 * pia[col] + g01r * pib[col] + g01i * prb[col]
            wr = g10r * pra[col] - g10i * pia[col] + g11 * prb[col]
            wi = g10r * pia[col] + g10i * pra[col] + g11 * pib[col]
            acc += lra[col] * ui - lia[col] * ur + lrb[col] * wi - lib[col] * wr
    return acc


@nb.njit(inline="always", **_OPTS)
def _xfactors(mats, q0, nbits, tq):
    """Factor the group's X rotations ``exp(-i b X) = c I - i s X`` as ``f X^flip R_t`` with
    ``R_t = I - i t X`` and ``|t| <= 1``: ``t = s / c``, ``f = c`` when ``|c| >= |s|``, else
    ``t = -c / s``, ``f = -i s``, ``flip = 1`` (all X's commute with all R_t). Fills ``tq``
    (nbits,) and returns (flip mask over the group's bits, real part product, number of -i)."""
    mask = 0
    fr = 1.0
    m = 0
    for k in range(nbits):
        c = mats[q0 + k, 0, 0].real
        s = -mats[q0 + k, 0, 1].imag
        if abs(c) >= abs(s):
            tq[k] = s / c
            fr *= c
        else:
            tq[k] = -c / s
            fr *= s
            mask |= 1 << k
            m += 1
    return mask, fr, m


@nb.njit(inline="always", **_OPTS)
def _quad(a, ia, count, h):
    """Views of the four row blocks of ``a`` at ia, ia + h, ia + 2h, ia + 3h, each ``count``
    long."""
    return (a[ia:ia + count], a[ia + h:ia + h + count], a[ia + 2 * h:ia + 2 * h + count],
            a[ia + 3 * h:ia + 3 * h + count])


@nb.njit(inline="always", **_OPTS)
def _xt4(re, im, ia, count, h, t1, t2):
    """Unnormalised X rotations ``R_t = I - i t X`` of two qubits at once (radix 4, one FMA
    per output): row blocks a, b = a+h, c = a+2h, d = a+3h (each ``count`` long); qubit 1 on
    (a, b), (c, d); qubit 2 on (a, c), (b, d)."""
    ra, rb, rc, rd = _quad(re, ia, count, h)
    xa, xb, xc, xd = _quad(im, ia, count, h)
    for col in range(count):
        ar, ai, br, bi = ra[col], xa[col], rb[col], xb[col]
        cr, ci, dr, di = rc[col], xc[col], rd[col], xd[col]
        ar, ai, br, bi = ar + t1 * bi, ai - t1 * br, br + t1 * ai, bi - t1 * ar
        cr, ci, dr, di = cr + t1 * di, ci - t1 * dr, dr + t1 * ci, di - t1 * cr
        ra[col] = ar + t2 * ci
        xa[col] = ai - t2 * cr
        rc[col] = cr + t2 * ai
        xc[col] = ci - t2 * ar
        rb[col] = br + t2 * di
        xb[col] = bi - t2 * dr
        rd[col] = dr + t2 * bi
        xd[col] = di - t2 * br


@nb.njit(inline="always", **_OPTS)
def _xt2(re, im, ia, ib, count, t):
    """Unnormalised X rotation ``R_t`` on row blocks (ia, ib), each ``count`` long."""
    ra = re[ia:ia + count]
    rb = re[ib:ib + count]
    xa = im[ia:ia + count]
    xb = im[ib:ib + count]
    for col in range(count):
        ar = ra[col]
        ai = xa[col]
        br = rb[col]
        bi = xb[col]
        ra[col] = ar + t * bi
        xa[col] = ai - t * br
        rb[col] = br + t * ai
        xb[col] = bi - t * ar


@nb.njit(inline="always", **_OPTS)
def _scatter_x(psi, re, im, base, rows, L, rs, cs, mask, g1, g2, swap, diag, expect):
    """Tile back into psi with row m going to row ``m ^ mask`` and every amplitude z = x + iy
    mapped to ``g1 x + i g2 y`` (``swap``: ``g1 y + i g2 x``); returns sum |out|^2 diag over
    the tile when ``expect``."""
    acc = 0.0
    if rs == 1:
        for col in range(L):
            off = base + col * cs
            for m in range(rows):
                x = re[m * L + col]
                y = im[m * L + col]
                if swap:
                    x, y = y, x
                x *= g1
                y *= g2
                j = off + (m ^ mask)
                psi[j] = complex(x, y)
                if expect:
                    acc += (x * x + y * y) * diag[j]
    else:
        for m in range(rows):
            off = base + (m ^ mask) * rs
            rr = re[m * L:m * L + L]
            ii = im[m * L:m * L + L]
            if expect:
                dd = diag[off:off + L]
                for col in range(L):
                    x = rr[col]
                    y = ii[col]
                    if swap:
                        x, y = y, x
                    x *= g1
                    y *= g2
                    psi[off + col] = complex(x, y)
                    acc += (x * x + y * y) * dd[col]
            else:
                for col in range(L):
                    x = rr[col]
                    y = ii[col]
                    if swap:
                        x, y = y, x
                    psi[off + col] = complex(x * g1, y * g2)
    return acc


@nb.njit(inline="always", **_OPTS)
def _gather_rows(psi, re, im, base, rows, L, rs):
    """Plain gather of a tile whose rows are runs of L contiguous amplitudes (no phase)."""
    for m in range(rows):
        src = psi[base + m * rs:base + m * rs + L]
        rr = re[m * L:m * L + L]
        ii = im[m * L:m * L + L]
        for col in range(L):
            v = src[col]
            rr[col] = v.real
            ii[col] = v.imag


@nb.njit(inline="always", **_OPTS)
def _scatter_rows(psi, re, im, base, rows, L, rs, mask, g, diag, expect, out1, out2):
    """Tile rows back (row m to row m ^ mask), every amplitude scaled by the real g; returns
    sum |out|^2 diag over the tile when ``expect``. Non-empty ``out1``, ``out2`` (with
    ``expect``) also receive the amplitudes and diag times them."""
    acc = 0.0
    for m in range(rows):
        off = base + (m ^ mask) * rs
        dst = psi[off:off + L]
        rr = re[m * L:m * L + L]
        ii = im[m * L:m * L + L]
        if expect and out1.size:
            dd = diag[off:off + L]
            o1 = out1[off:off + L]
            o2 = out2[off:off + L]
            for col in range(L):
                x = rr[col] * g
                y = ii[col] * g
                dst[col] = complex(x, y)
                o1[col] = complex(x, y)
                o2[col] = complex(x * dd[col], y * dd[col])
                acc += (x * x + y * y) * dd[col]
        elif expect:
            dd = diag[off:off + L]
            for col in range(L):
                x = rr[col] * g
                y = ii[col] * g
                dst[col] = complex(x, y)
                acc += (x * x + y * y) * dd[col]
        else:
            for col in range(L):
                dst[col] = complex(rr[col] * g, ii[col] * g)
    return acc


@nb.njit(inline="always", **_OPTS)
def _layout(n, q0, nbits, tile):
    """(column qubit c0, column bits, row stride, column stride) of a group's tiles.

    The group at q0 = 0 takes its columns from the qubits just above it; any other group
    needs q0 >= log2(tile) and takes the lowest qubits (the engine guarantees this)."""
    lbits = 0
    while (1 << (lbits + 1)) <= tile:
        lbits += 1
    if q0 >= lbits:
        return 0, lbits, 1 << q0, 1
    c0 = q0 + nbits
    lbits = min(lbits, n - c0)
    return c0, lbits, 1, 1 << c0


@nb.njit(parallel=True, fastmath=True, **_OPTS)
def group_apply(psi, n, q0, nbits, mats, mode, diag, gamma, do_phase, tile, nparts,
                expect, amp, tab, tmin, out1, out2):
    """Optional phase exp(-i gamma diag) (do it only in a pass that touches every amplitude
    once), then the one-qubit gates of qubits q0..q0+nbits-1, one pass over the state.

    ``do_phase``: 0 no phase, 1 phase, 2 phase applied to the uniform state of amplitude
    ``amp`` (the input psi is ignored: |+>^n and the first cost layer in one pass). Returns
    ``sum |psi|^2 diag`` of the output when ``expect`` (else 0). ``tab``, ``tmin``: phase
    table of an integer-valued diagonal (:func:`_sincos_run`; empty: polynomial sincos).
    ``out1``, ``out2``: empty, or (with ``expect``, on the plain high pass only, see
    ``plain`` below) state-sized arrays that also receive psi and diag * psi (the adjoint's
    phi and lam) while the tile is written back.

    Tiles hold 2^nbits rows (the group's qubits) x L = ``tile`` columns (other qubits: the
    lowest ones, or, for the group at q0 = 0, the qubits just above it); ``nparts`` work
    parts (a few per thread) share the tiles. Mode 0 (X rotations) runs the rotations
    unnormalised (``R_t = I - i t X``, one FMA per output, see :func:`_xfactors`) and applies
    the common factor and the flips when the tile is written back."""
    c0, lbits, rs, cs = _layout(n, q0, nbits, tile)
    L = 1 << lbits
    rows = 1 << nbits
    ntiles = 1 << (n - nbits - lbits)
    nparts = max(1, min(ntiles, nparts))
    tq = np.zeros(max(nbits, 1))
    mask = 0
    g1 = g2 = 1.0
    swap = False
    if mode == 0:
        mask, fr, nmi = _xfactors(mats, q0, nbits, tq)
        # fr (-i)^nmi (x + iy): 0 -> (fr x, fr y); 1 -> (fr y, -fr x); 2 -> negated; 3 -> ...
        r = nmi % 4
        swap = r % 2 == 1
        g1 = fr if r in (0, 1) else -fr
        g2 = fr if r in (0, 3) else -fr
    # the common high pass: rows of contiguous runs, no phase, real factor
    plain = mode == 0 and rs != 1 and do_phase == 0 and not swap and g1 == g2
    partial = np.zeros(nparts)
    for part in prange(nparts):
        re = np.empty(rows * L)
        im = np.empty(rows * L)
        cbuf = np.empty(max(rows, L))
        sbuf = np.empty(max(rows, L))
        acc = 0.0
        for t in range(part * ntiles // nparts, (part + 1) * ntiles // nparts):
            base = _tile_base(t, q0, nbits, c0, lbits)
            if plain:
                _gather_rows(psi, re, im, base, rows, L, rs)
            else:
                _gather(psi, re, im, base, rows, L, rs, cs, diag, gamma, do_phase, cbuf, sbuf,
                        amp, tab, tmin)
            k = 0
            if mode == 0:                             # X rotations: two qubits per sweep
                while k + 1 < nbits:
                    h = 1 << k
                    for blk in range(0, rows, 4 * h):
                        _xt4(re, im, blk * L, h * L, h * L, tq[k], tq[k + 1])
                    k += 2
                if k < nbits:
                    h = 1 << k
                    for blk in range(0, rows, 2 * h):
                        _xt2(re, im, blk * L, (blk + h) * L, h * L, tq[k])
                if plain:
                    got = _scatter_rows(psi, re, im, base, rows, L, rs, mask, g1, diag, expect,
                                        out1, out2)
                else:
                    got = _scatter_x(psi, re, im, base, rows, L, rs, cs, mask, g1, g2, swap,
                                     diag, expect)
                acc += got
                continue
            while k < nbits:
                h = 1 << k
                for blk in range(0, rows, 2 * h):     # rows blk.. and blk+h.. are contiguous
                    _rows_rot(re, im, blk * L, (blk + h) * L, h * L, mats, q0 + k, mode)
                k += 1
            acc += _scatter_x(psi, re, im, base, rows, L, rs, cs, 0, 1.0, 1.0, False,
                              diag, expect)
        partial[part] = acc
    return partial.sum()


@nb.njit(parallel=True, fastmath=True, **_OPTS)
def low_apply(psi, n, nbits, mats, diag, gamma, do_phase, nparts, expect, amp, tab, tmin):
    """:func:`group_apply` for the X rotations (mode 0) of qubits 0..nbits-1 (nbits >= 2) on
    contiguous chunks of 2^nbits amplitudes: the chunk is only de-interleaved into re / im
    (no transposition), qubits 0 and 1 act inside each run of 4 amplitudes, qubits 2.. on
    runs of 4h. Same ``do_phase``, ``expect``, ``amp``, ``tab``, ``tmin`` as group_apply."""
    x = psi.view(np.float64)
    chunk = 1 << nbits
    nch = 1 << (n - nbits)
    nparts = max(1, min(nch, nparts))
    tq = np.zeros(nbits)
    mask, fr, nmi = _xfactors(mats, 0, nbits, tq)
    r = nmi % 4
    swap = r % 2 == 1
    g1 = fr if r in (0, 1) else -fr
    g2 = fr if r in (0, 3) else -fr
    plain = mask == 0 and not swap
    t1 = tq[0]
    t2 = tq[1]
    sub = min(chunk, 512)
    partial = np.zeros(nparts)
    for part in prange(nparts):
        re = np.empty(chunk)
        im = np.empty(chunk)
        cb = np.empty(sub)
        sb = np.empty(sub)
        acc = 0.0
        for t in range(part * nch // nparts, (part + 1) * nch // nparts):
            base = t * chunk
            xv = x[2 * base:2 * base + 2 * chunk]
            if do_phase == 0:
                for j in range(chunk):
                    re[j] = xv[2 * j]
                    im[j] = xv[2 * j + 1]
            else:
                for j0 in range(0, chunk, sub):
                    _sincos_run(diag, base + j0, sub, gamma, cb, sb, tab, tmin)
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
            _lanes_xt(re, im, chunk, t1, t2)              # qubits 0 and 1: runs of 4
            k = 2
            while k + 1 < nbits:
                h = 1 << k
                for blk in range(0, chunk, 4 * h):
                    _xt4(re, im, blk, h, h, tq[k], tq[k + 1])
                k += 2
            if k < nbits:
                h = 1 << k
                for blk in range(0, chunk, 2 * h):
                    _xt2(re, im, blk, blk + h, h, tq[k])
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
    return partial.sum()


@nb.njit(parallel=True, fastmath=True, **_OPTS)
def group_backward(phi, lam, n, q0, nbits, mats_inv, mode, gens, diag, gamma, do_phase, tile,
                   nparts):
    """Backward step of the adjoint method through one pass of :func:`group_apply`.

    Undoes the group's gates (``mats_inv``) on phi and lam and returns ``out`` of shape
    (nbits + 1,): ``out[k] = Im <lam|G_{q0+k}|phi>`` and, if ``do_phase``,
    ``out[nbits] = Im <lam|diag|phi>`` taken before the phase is undone on both."""
    c0, lbits, rs, cs = _layout(n, q0, nbits, tile)
    L = 1 << lbits
    rows = 1 << nbits
    ntiles = 1 << (n - nbits - lbits)
    nparts = max(1, min(ntiles, nparts))
    partial = np.zeros((nparts, nbits + 1))
    for part in prange(nparts):
        pre = np.empty(rows * L)
        pim = np.empty(rows * L)
        lre = np.empty(rows * L)
        lim = np.empty(rows * L)
        dloc = np.empty(rows * L)
        acc = np.zeros(nbits + 1)
        for t in range(part * ntiles // nparts, (part + 1) * ntiles // nparts):
            base = _tile_base(t, q0, nbits, c0, lbits)
            _gather(phi, pre, pim, base, rows, L, rs, cs, diag, gamma, 0, dloc, dloc, 0.0,
                    dloc, 0.0)
            _gather(lam, lre, lim, base, rows, L, rs, cs, diag, gamma, 0, dloc, dloc, 0.0,
                    dloc, 0.0)
            for k in range(nbits):
                # separate vectorised loops (a fused loop over phi and lam does not vectorise)
                h = 1 << k
                for blk in range(0, rows, 2 * h):
                    ia = blk * L
                    ib = (blk + h) * L
                    acc[k] += _rows_imov(pre, pim, lre, lim, ia, ib, h * L, gens, q0 + k, mode)
                    _rows_rot(pre, pim, ia, ib, h * L, mats_inv, q0 + k, mode)
                    _rows_rot(lre, lim, ia, ib, h * L, mats_inv, q0 + k, mode)
            if do_phase:
                for m in range(rows):
                    for col in range(L):
                        dloc[m * L + col] = diag[base + m * rs + col * cs]
                od = 0.0
                for j in range(rows * L):
                    d = dloc[j]
                    pr = pre[j]
                    pi = pim[j]
                    lr = lre[j]
                    li = lim[j]
                    od += d * (lr * pi - li * pr)
                    c, s = sincos(gamma * d)
                    pre[j] = pr * c - pi * s
                    pim[j] = pi * c + pr * s
                    lre[j] = lr * c - li * s
                    lim[j] = li * c + lr * s
                acc[nbits] += od
            _scatter(phi, pre, pim, base, rows, L, rs, cs)
            _scatter(lam, lre, lim, base, rows, L, rs, cs)
        partial[part, :] = acc
    return partial.sum(axis=0)


@nb.njit(inline="always", **_OPTS)
def _lanes_xt(re, im, count, t1, t2):
    """R_t of qubits 0 (t1) and 1 (t2) inside every run of 4 elements of re / im."""
    for b in range(0, count, 4):
        r0, r1, r2, r3 = re[b], re[b + 1], re[b + 2], re[b + 3]
        i0, i1, i2, i3 = im[b], im[b + 1], im[b + 2], im[b + 3]
        r0, r1, r2, r3, i0, i1, i2, i3 = (
            r0 + t1 * i1, r1 + t1 * i0, r2 + t1 * i3, r3 + t1 * i2,
            i0 - t1 * r1, i1 - t1 * r0, i2 - t1 * r3, i3 - t1 * r2)
        re[b] = r0 + t2 * i2
        re[b + 1] = r1 + t2 * i3
        re[b + 2] = r2 + t2 * i0
        re[b + 3] = r3 + t2 * i1
        im[b] = i0 - t2 * r2
        im[b + 1] = i1 - t2 * r3
        im[b + 2] = i2 - t2 * r0
        im[b + 3] = i3 - t2 * r1


@nb.njit(inline="always", **_OPTS)
def _ovl_pair(pr, pi, lr, li, ia, ib, count):
    """sum over the pairs (ia + j, ib + j) of Im(conj(lam_a) phi_b + conj(lam_b) phi_a)."""
    pra = pr[ia:ia + count]
    prb = pr[ib:ib + count]
    pia = pi[ia:ia + count]
    pib = pi[ib:ib + count]
    lra = lr[ia:ia + count]
    lrb = lr[ib:ib + count]
    lia = li[ia:ia + count]
    lib = li[ib:ib + count]
    acc = 0.0
    for j in range(count):
        acc += lra[j] * pib[j] - lia[j] * prb[j] + lrb[j] * pia[j] - lib[j] * pra[j]
    return acc


@nb.njit(inline="always", **_OPTS)
def _ovl_quad(pr, pi, lr, li, ia, count, h):
    """Overlaps of two qubits from one read of row blocks a, b = a+h, c = a+2h, d = a+3h:
    (pairs (a, b) + (c, d), pairs (a, c) + (b, d)), as in :func:`_ovl_pair`."""
    pra, prb, prc, prd = _quad(pr, ia, count, h)
    pia, pib, pic, pid = _quad(pi, ia, count, h)
    lra, lrb, lrc, lrd = _quad(lr, ia, count, h)
    lia, lib, lic, lid = _quad(li, ia, count, h)
    a1 = 0.0
    a2 = 0.0
    for j in range(count):
        ar, ai, br, bi = pra[j], pia[j], prb[j], pib[j]
        cr, ci, dr, di = prc[j], pic[j], prd[j], pid[j]
        xr, xi, yr, yi = lra[j], lia[j], lrb[j], lib[j]
        ur, ui, vr, vi = lrc[j], lic[j], lrd[j], lid[j]
        a1 += (xr * bi - xi * br + yr * ai - yi * ar) + (ur * di - ui * dr + vr * ci - vi * cr)
        a2 += (xr * ci - xi * cr + ur * ai - ui * ar) + (yr * di - yi * dr + vr * bi - vi * br)
    return a1, a2


@nb.njit(inline="always", **_OPTS)
def _ovl_lanes(pr, pi, lr, li, count):
    """Overlaps Im <lam|X_q|phi> of qubits 0 and 1 inside runs of 4 elements."""
    a0 = 0.0
    a1 = 0.0
    for b in range(0, count, 4):
        for u in range(2):
            j = b + 2 * u
            a0 += lr[j] * pi[j + 1] - li[j] * pr[j + 1] + lr[j + 1] * pi[j] - li[j + 1] * pr[j]
            j = b + u
            a1 += lr[j] * pi[j + 2] - li[j] * pr[j + 2] + lr[j + 2] * pi[j] - li[j + 2] * pr[j]
    return a0, a1


@nb.njit(parallel=True, fastmath=True, **_OPTS)
def x_backward(phi, lam, n, q0, nbits, mats_inv, diag, gamma, do_phase, tile, nparts, tab,
               tmin):
    """:func:`group_backward` for X-rotation mixers (mode 0) whose factors (see
    :func:`_xfactors`) have no flips: unnormalised undo rotations, overlaps of every qubit of
    the group taken from the tiles as gathered (the group's X_q commute with its rotations),
    the group at q0 = 0 on contiguous chunks (nbits >= 2) like :func:`low_apply`.

    Returns ``out`` (nbits + 1,): ``Im <lam|X_{q0+k}|phi>`` and, if ``do_phase``,
    ``Im <lam|diag|phi>`` between the mixer and the phase; phi and lam are stepped back
    through the group (and the phase)."""
    if q0 == 0:
        c0, lbits, rs = 0, 0, 1
        L = 1
    else:
        c0, lbits, rs, _ = _layout(n, q0, nbits, tile)
        L = 1 << lbits
    rows = 1 << nbits
    ntiles = 1 << (n - nbits - lbits)
    nparts = max(1, min(ntiles, nparts))
    tq = np.zeros(nbits)
    _, fr, _ = _xfactors(mats_inv, q0, nbits, tq)
    size = rows * L
    sub = min(size, 512)
    partial = np.zeros((nparts, nbits + 1))
    for part in prange(nparts):
        pre = np.empty(size)
        pim = np.empty(size)
        lre = np.empty(size)
        lim = np.empty(size)
        cb = np.empty(max(sub, L))
        sb = np.empty(max(sub, L))
        acc = np.zeros(nbits + 1)
        for t in range(part * ntiles // nparts, (part + 1) * ntiles // nparts):
            if q0 == 0:
                base = t * rows
                xp = phi[base:base + rows]
                xl = lam[base:base + rows]
                for j in range(rows):
                    v = xp[j]
                    pre[j] = v.real
                    pim[j] = v.imag
                for j in range(rows):
                    v = xl[j]
                    lre[j] = v.real
                    lim[j] = v.imag
                a0, a1 = _ovl_lanes(pre, pim, lre, lim, rows)
                acc[0] += a0
                acc[1] += a1
                _lanes_xt(pre, pim, rows, tq[0], tq[1])
                _lanes_xt(lre, lim, rows, tq[0], tq[1])
                k = 2
            else:
                base = _tile_base(t, q0, nbits, c0, lbits)
                for m in range(rows):
                    off = base + m * rs
                    xp = phi[off:off + L]
                    xl = lam[off:off + L]
                    for col in range(L):
                        v = xp[col]
                        pre[m * L + col] = v.real
                        pim[m * L + col] = v.imag
                    for col in range(L):
                        v = xl[col]
                        lre[m * L + col] = v.real
                        lim[m * L + col] = v.imag
                k = 0
            while k + 1 < nbits:
                h = (1 << k) * L
                for blk in range(0, size, 4 * h):
                    o1, o2 = _ovl_quad(pre, pim, lre, lim, blk, h, h)
                    acc[k] += o1
                    acc[k + 1] += o2
                    _xt4(pre, pim, blk, h, h, tq[k], tq[k + 1])
                    _xt4(lre, lim, blk, h, h, tq[k], tq[k + 1])
                k += 2
            if k < nbits:
                h = (1 << k) * L
                for blk in range(0, size, 2 * h):
                    acc[k] += _ovl_pair(pre, pim, lre, lim, blk, blk + h, h)
                    _xt2(pre, pim, blk, blk + h, h, tq[k])
                    _xt2(lre, lim, blk, blk + h, h, tq[k])
            if do_phase:
                od = 0.0
                for j0 in range(0, size, sub):      # q0 == 0 here: contiguous chunk
                    _sincos_run(diag, base + j0, sub, gamma, cb, sb, tab, tmin)
                    d = diag[base + j0:base + j0 + sub]
                    for j in range(sub):
                        pr = pre[j0 + j]
                        pi = pim[j0 + j]
                        lr = lre[j0 + j]
                        li = lim[j0 + j]
                        od += d[j] * (lr * pi - li * pr)
                        c = cb[j]
                        s = sb[j]
                        pre[j0 + j] = pr * c - pi * s
                        pim[j0 + j] = pi * c + pr * s
                        lre[j0 + j] = lr * c - li * s
                        lim[j0 + j] = li * c + lr * s
                acc[nbits] += od
            if q0 == 0:
                for j in range(rows):
                    xp[j] = complex(pre[j] * fr, pim[j] * fr)
                for j in range(rows):
                    xl[j] = complex(lre[j] * fr, lim[j] * fr)
            else:
                for m in range(rows):
                    off = base + m * rs
                    xp = phi[off:off + L]
                    xl = lam[off:off + L]
                    for col in range(L):
                        xp[col] = complex(pre[m * L + col] * fr, pim[m * L + col] * fr)
                    for col in range(L):
                        xl[col] = complex(lre[m * L + col] * fr, lim[m * L + col] * fr)
        partial[part, :] = acc
    out = partial.sum(axis=0)
    # overlaps of qubits k, k+1 were taken after the undo of qubits < k (each R_t = U / c on
    # both states multiplies the overlap by 1 / c^2); the phase overlap after all of them
    scale = 1.0
    k = 0
    first = 2 if q0 == 0 else 0
    while k < nbits:
        w = 2 if (k < first or k + 1 < nbits) else 1
        for j in range(k, min(k + w, nbits)):
            out[j] *= scale
        for j in range(k, min(k + w, nbits)):
            c = mats_inv[q0 + j, 0, 0].real
            scale *= c * c
        k += w
    out[nbits] *= scale
    return out


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
    "copy_mul", "expval_diag", "fill", "group_apply", "group_backward", "integer_range",
    "low_apply", "mul_diag", "phase_apply", "probabilities", "product_state", "sincos",
    "x_backward",
]
