"""Tiles of the pass kernels: where a tile lies in the state, moving it in and out, and the
one-qubit gates applied inside it (all inlined into :mod:`.apply` and :mod:`.adjoint`;
:func:`xfactors` into the SIMD low passes too).

A tile holds ``rows = 2^nbits`` rows (the group's qubits) x ``L`` columns as two float64
buffers (structure of arrays: real parts, imaginary parts), row m at ``m * L``. The X-rotation
helpers (:func:`xt4`, :func:`xt2`) apply the unnormalised ``R_t = I - i t X``
of :func:`xfactors`; :func:`rows_rot` applies a general 2x2 gate.
"""

from __future__ import annotations

import numba as nb

from qopt.backends.kernels.phase import sincos_run

_OPTS = {"cache": True, "nogil": True}


@nb.njit(inline="always", **_OPTS)
def _insert_zeros(t, pos, count):
    """t with ``count`` zero bits inserted at bit position ``pos``."""
    low = t & ((1 << pos) - 1)
    return ((t >> pos) << (pos + count)) | low


@nb.njit(inline="always", **_OPTS)
def tile_base(t, q0, nbits, c0, lbits):
    """First state index of tile t: group bits [q0, q0+nbits) and column bits [c0, c0+lbits)
    zero, the other bits taken from t in order."""
    if c0 < q0:
        return _insert_zeros(_insert_zeros(t, c0, lbits), q0, nbits)
    return _insert_zeros(_insert_zeros(t, q0, nbits), c0, lbits)


@nb.njit(inline="always", **_OPTS)
def layout(n, q0, nbits, tile):
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
def gather(psi, re, im, base, rows, L, rs, cs, diag, gamma, do_phase, cbuf, sbuf, amp,
            tab, tmin):
    """Tile (rows x L) of psi at base + m*rs + col*cs into SoA buffers, phase applied.

    ``do_phase``: 0 none, 1 ``exp(-i gamma diag)``, 2 the same phase on a uniform state of
    amplitude ``amp`` (psi is not read)."""
    if rs == 1:
        for col in range(L):
            off = base + col * cs
            if do_phase:
                sincos_run(diag, off, rows, gamma, cbuf, sbuf, tab, tmin)
            for m in range(rows):
                vr, vi = _phased(psi, off + m, amp, do_phase, cbuf[m], sbuf[m])
                re[m * L + col] = vr
                im[m * L + col] = vi
    else:
        for m in range(rows):
            off = base + m * rs
            if do_phase:
                sincos_run(diag, off, L, gamma, cbuf, sbuf, tab, tmin)
            for col in range(L):
                vr, vi = _phased(psi, off + col, amp, do_phase, cbuf[col], sbuf[col])
                re[m * L + col] = vr
                im[m * L + col] = vi


@nb.njit(inline="always", **_OPTS)
def scatter(psi, re, im, base, rows, L, rs, cs):
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
def gather_rows(psi, re, im, base, rows, L, rs):
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
def scatter_rows(psi, re, im, base, rows, L, rs, mask, g, diag, expect, out1, out2):
    """Tile rows back (row m to row m ^ mask), every amplitude scaled by the real g; returns
    sum |out|^2 diag over the tile when ``expect``. With ``expect``, a non-empty ``out2``
    also receives diag times the amplitudes, and a non-empty ``out1`` the amplitudes."""
    acc = 0.0
    for m in range(rows):
        off = base + (m ^ mask) * rs
        dst = psi[off:off + L]
        rr = re[m * L:m * L + L]
        ii = im[m * L:m * L + L]
        if expect and out1.size and out2.size:
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
        elif expect and out2.size:
            dd = diag[off:off + L]
            o2 = out2[off:off + L]
            for col in range(L):
                x = rr[col] * g
                y = ii[col] * g
                dst[col] = complex(x, y)
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
def scatter_x(psi, re, im, base, rows, L, rs, cs, mask, g1, g2, swap, diag, expect):
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
def rows_rot(re, im, ia, ib, L, mats, q, mode):
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
def xfactors(mats, q0, nbits, tq):
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
def write_back(fr, nmi):
    """(swap, g1, g2): ``fr (-i)^nmi (x + iy)`` of :func:`xfactors` as ``g1 x + i g2 y``
    (``swap``: ``g1 y + i g2 x``): 0 -> (fr x, fr y); 1 -> (fr y, -fr x); 2 -> negated; 3."""
    r = nmi % 4
    return r % 2 == 1, fr if r in (0, 1) else -fr, fr if r in (0, 3) else -fr


@nb.njit(inline="always", **_OPTS)
def quad(a, ia, count, h):
    """Views of the four row blocks of ``a`` at ia, ia + h, ia + 2h, ia + 3h, each ``count``
    long."""
    return (a[ia:ia + count], a[ia + h:ia + h + count], a[ia + 2 * h:ia + 2 * h + count],
            a[ia + 3 * h:ia + 3 * h + count])


@nb.njit(inline="always", **_OPTS)
def xt4(re, im, ia, count, h, t1, t2):
    """Unnormalised X rotations ``R_t = I - i t X`` of two qubits at once (radix 4, one FMA
    per output): row blocks a, b = a+h, c = a+2h, d = a+3h (each ``count`` long); qubit 1 on
    (a, b), (c, d); qubit 2 on (a, c), (b, d)."""
    ra, rb, rc, rd = quad(re, ia, count, h)
    xa, xb, xc, xd = quad(im, ia, count, h)
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
def xt2(re, im, ia, ib, count, t):
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


__all__ = [
    "gather", "gather_rows", "layout", "quad", "rows_rot", "scatter", "scatter_rows",
    "scatter_x", "tile_base", "write_back", "xfactors", "xt2", "xt4",
]
