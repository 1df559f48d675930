"""Backward passes of the adjoint gradient: one pass undoes a group's gates (and the cost
phase) on the two states phi and lam and returns the overlaps ``Im <lam|G_q|phi>`` of the
group's generators (and ``Im <lam|diag|phi>``) on the way.

:func:`x_backward` serves X-rotation mixers without flips (the QAOA case) above the low pass
(:mod:`.low_backward` has the group at qubit 0), :func:`group_backward` any 2x2 gates with
Hermitian generators.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from qopt.backends.kernels.phase import sincos
from qopt.backends.kernels.tiles import (
    gather,
    layout,
    quad,
    rows_rot,
    scatter,
    tile_base,
    xfactors,
    xt2,
    xt4,
)

_OPTS = {"cache": True, "nogil": True}


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


@nb.njit(fastmath=True, **_OPTS)
def group_backward(phi, lam, n, q0, nbits, mats_inv, mode, gens, diag, gamma, do_phase, tile,
                   nparts, partial, lo, hi):
    """Backward step of the adjoint method through one pass of :func:`group_apply`.

    Undoes the group's gates (``mats_inv``) on phi and lam and writes, for each of the
    parts ``lo..hi-1`` of ``nparts``, ``partial[part]`` of shape (nbits + 1,): ``[k] =
    Im <lam|G_{q0+k}|phi>`` and, if ``do_phase``, ``[nbits] = Im <lam|diag|phi>`` taken before
    the phase is undone on both (summed over the part's tiles)."""
    c0, lbits, rs, cs = layout(n, q0, nbits, tile)
    L = 1 << lbits
    rows = 1 << nbits
    ntiles = 1 << (n - nbits - lbits)
    pre = np.empty(rows * L)
    pim = np.empty(rows * L)
    lre = np.empty(rows * L)
    lim = np.empty(rows * L)
    dloc = np.empty(rows * L)
    acc = np.zeros(nbits + 1)
    for part in range(lo, hi):
        acc[:] = 0.0
        for t in range(part * ntiles // nparts, (part + 1) * ntiles // nparts):
            base = tile_base(t, q0, nbits, c0, lbits)
            gather(phi, pre, pim, base, rows, L, rs, cs, diag, gamma, 0, dloc, dloc, 0.0,
                    dloc, 0.0)
            gather(lam, lre, lim, base, rows, L, rs, cs, diag, gamma, 0, dloc, dloc, 0.0,
                    dloc, 0.0)
            for k in range(nbits):
                # separate vectorised loops (a fused loop over phi and lam does not vectorise)
                h = 1 << k
                for blk in range(0, rows, 2 * h):
                    ia = blk * L
                    ib = (blk + h) * L
                    acc[k] += _rows_imov(pre, pim, lre, lim, ia, ib, h * L, gens, q0 + k, mode)
                    rows_rot(pre, pim, ia, ib, h * L, mats_inv, q0 + k, mode)
                    rows_rot(lre, lim, ia, ib, h * L, mats_inv, q0 + k, mode)
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
            scatter(phi, pre, pim, base, rows, L, rs, cs)
            scatter(lam, lre, lim, base, rows, L, rs, cs)
        partial[part, :] = acc


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
    pra, prb, prc, prd = quad(pr, ia, count, h)
    pia, pib, pic, pid = quad(pi, ia, count, h)
    lra, lrb, lrc, lrd = quad(lr, ia, count, h)
    lia, lib, lic, lid = quad(li, ia, count, h)
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
def _ovl_sweeps(pre, pim, lre, lim, size, k0, k1, L, tq, acc):
    """Overlaps ``acc[k] += Im <lam|X_k|phi>`` of tile qubits k0..k1-1 (rows of L columns)
    on the tiles [:size], each taken just before the qubit's undo rotation (tq) on both
    states; two qubits per sweep, an odd last one alone."""
    k = k0
    while k + 1 < k1:
        h = (1 << k) * L
        for blk in range(0, size, 4 * h):
            o1, o2 = _ovl_quad(pre, pim, lre, lim, blk, h, h)
            acc[k] += o1
            acc[k + 1] += o2
            xt4(pre, pim, blk, h, h, tq[k], tq[k + 1])
            xt4(lre, lim, blk, h, h, tq[k], tq[k + 1])
        k += 2
    if k < k1:
        h = (1 << k) * L
        for blk in range(0, size, 2 * h):
            acc[k] += _ovl_pair(pre, pim, lre, lim, blk, blk + h, h)
            xt2(pre, pim, blk, blk + h, h, tq[k])
            xt2(lre, lim, blk, blk + h, h, tq[k])


@nb.njit(fastmath=True, **_OPTS)
def x_backward(phi, lam, n, q0, nbits, mats_inv, tile, nparts, partial, lo, hi):
    """:func:`group_backward` for X-rotation mixers (mode 0) whose factors (see
    :func:`xfactors`) have no flips, for a group above qubit 0 (the group at qubit 0, which
    also undoes the phase, is :func:`.low_backward.x_backward_low`): unnormalised undo
    rotations, overlaps of every qubit of the group taken from the tiles as gathered (the
    group's X_q commute with its rotations).

    Returns ``out`` (nbits + 1,): ``Im <lam|X_{q0+k}|phi>`` (and 0); phi and lam are stepped
    back through the group."""
    c0, lbits, rs, _ = layout(n, q0, nbits, tile)
    L = 1 << lbits
    rows = 1 << nbits
    ntiles = 1 << (n - nbits - lbits)
    f = phi.real.dtype                     # tiles in the states' precision
    tq = np.zeros(nbits, f)
    _, fr, _ = xfactors(mats_inv, q0, nbits, tq)
    size = rows * L
    pre = np.empty(size, f)
    pim = np.empty(size, f)
    lre = np.empty(size, f)
    lim = np.empty(size, f)
    acc = np.zeros(nbits + 1)
    for part in range(lo, hi):
        acc[:] = 0.0
        for t in range(part * ntiles // nparts, (part + 1) * ntiles // nparts):
            base = tile_base(t, q0, nbits, c0, lbits)
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
            _ovl_sweeps(pre, pim, lre, lim, size, 0, nbits, L, tq, acc)
            for m in range(rows):
                off = base + m * rs
                xp = phi[off:off + L]
                xl = lam[off:off + L]
                for col in range(L):
                    xp[col] = complex(pre[m * L + col] * fr, pim[m * L + col] * fr)
                for col in range(L):
                    xl[col] = complex(lre[m * L + col] * fr, lim[m * L + col] * fr)
        partial[part, :] = acc


def x_backward_scale(out, mats_inv, q0: int, nbits: int):
    """Scale the summed ``out`` of :func:`x_backward` in place (and return it): the overlaps
    of qubits k, k+1 were taken after the unnormalised undo of qubits < k (each ``R_t = U /
    c`` on both states multiplies the overlap by 1 / c^2), the phase overlap after all of
    them."""
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


__all__ = ["group_backward", "x_backward", "x_backward_scale"]
