"""Backward pass of the adjoint gradient through the low pass (qubits 0..nbits-1 of an
X-rotation mixer without flips, then the cost phase), in place on the interleaved phi and
lam with explicit SIMD vectors, like :func:`.low_pass.low_apply`.

Overlaps ``Im <lam|X_k|phi>`` are taken from the vectors as loaded, two qubits at a time and
before either is undone (qubits {0, 1}, {2, 3}, ...; the L1 split is kept even), which is
the order :func:`.adjoint.x_backward_scale` corrects for. ``Im(conj(l) p)`` per complex is
the even lane minus the odd lane of ``l * swap_pairs(p)``: four such products are summed in
the state's precision, then widened into float64 accumulators (:func:`.simd.widen_add`).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from qopt.backends.kernels import simd
from qopt.backends.kernels.low_pass import L1_BYTES, PHASE_RUN, in_vector, rot2, rot4
from qopt.backends.kernels.phase import sincos_run
from qopt.backends.kernels.tiles import xfactors

_OPTS = {"cache": True, "nogil": True}


@nb.njit(inline="always", **_OPTS)
def _ovl(la, pb, lb, pa):
    """``l_a * swap(p_b) + l_b * swap(p_a)``: Im(conj(lam) X phi) of one pair, in lanes."""
    return simd.fma(la, simd.swap_pairs(pb), simd.mul(lb, simd.swap_pairs(pa)))


@nb.njit(inline="always", **_OPTS)
def _undo_store(xp, xl, j, h, pa, pb, la, lb, a1):
    """``R_t`` (``a1``) on the pairs (pa, pb) and (la, lb), stored at j and j + h."""
    pa, pb = rot2(pa, pb, a1)
    la, lb = rot2(la, lb, a1)
    simd.store(xp, j, pa)
    simd.store(xp, j + h, pb)
    simd.store(xl, j, la)
    simd.store(xl, j + h, lb)


@nb.njit(inline="always", **_OPTS)
def _first(xp, xl, s, size, a0, a1):
    """Overlaps of qubits 0 and 1 on xp / xl[s:s+size], then both undone (``a0``, ``a1``):
    inside each float32 vector, or qubit 0 inside and qubit 1 across float64 vector pairs."""
    w = simd.width(xp)
    acc0 = simd.zeros64(xp)
    acc1 = simd.zeros64(xp)
    if w == 8:
        for j in range(s, s + size, w):
            p = simd.load(xp, j)
            ll = simd.load(xl, j)
            acc0 = simd.widen_add(acc0, simd.mul(ll, simd.swap_xor1(p)))
            acc1 = simd.widen_add(acc1, simd.mul(ll, simd.swap_xor2(p)))
            simd.store(xp, j, in_vector(p, w, a0, a1))
            simd.store(xl, j, in_vector(ll, w, a0, a1))
    else:
        for j in range(s, s + size, 2 * w):
            pa = simd.load(xp, j)
            pb = simd.load(xp, j + w)
            la = simd.load(xl, j)
            lb = simd.load(xl, j + w)
            acc0 = simd.widen_add(acc0, simd.fma(la, simd.swap_xor1(pa),
                                                 simd.mul(lb, simd.swap_xor1(pb))))
            acc1 = simd.widen_add(acc1, _ovl(la, pb, lb, pa))
            _undo_store(xp, xl, j, w, in_vector(pa, w, a0, a1), in_vector(pb, w, a0, a1),
                        in_vector(la, w, a0, a1), in_vector(lb, w, a0, a1), a1)
    return simd.alt_sum(acc0), simd.alt_sum(acc1)


@nb.njit(inline="always", **_OPTS)
def _pairs(xp, xl, s, size, h, a1, a2):
    """Overlaps of two qubits (partners h and 2h floats apart), then both undone."""
    w = simd.width(xp)
    acc1 = simd.zeros64(xp)
    acc2 = simd.zeros64(xp)
    for blk in range(s, s + size, 4 * h):
        for j in range(blk, blk + h, w):
            pa = simd.load(xp, j)
            pb = simd.load(xp, j + h)
            pc = simd.load(xp, j + 2 * h)
            pd = simd.load(xp, j + 3 * h)
            la = simd.load(xl, j)
            lb = simd.load(xl, j + h)
            lc = simd.load(xl, j + 2 * h)
            ld = simd.load(xl, j + 3 * h)
            u1 = _ovl(la, pb, lb, pa)
            u1 = simd.fma(lc, simd.swap_pairs(pd), simd.fma(ld, simd.swap_pairs(pc), u1))
            u2 = _ovl(la, pc, lc, pa)
            u2 = simd.fma(lb, simd.swap_pairs(pd), simd.fma(ld, simd.swap_pairs(pb), u2))
            acc1 = simd.widen_add(acc1, u1)
            acc2 = simd.widen_add(acc2, u2)
            pa, pb, pc, pd = rot4(pa, pb, pc, pd, a1, a2)
            la, lb, lc, ld = rot4(la, lb, lc, ld, a1, a2)
            simd.store(xp, j, pa)
            simd.store(xp, j + h, pb)
            simd.store(xp, j + 2 * h, pc)
            simd.store(xp, j + 3 * h, pd)
            simd.store(xl, j, la)
            simd.store(xl, j + h, lb)
            simd.store(xl, j + 2 * h, lc)
            simd.store(xl, j + 3 * h, ld)
    return simd.alt_sum(acc1), simd.alt_sum(acc2)


@nb.njit(inline="always", **_OPTS)
def _single(xp, xl, s, size, h, a1):
    """Overlap of one qubit (partners h floats apart), then undone."""
    w = simd.width(xp)
    acc = simd.zeros64(xp)
    for blk in range(s, s + size, 2 * h):
        for j in range(blk, blk + h, w):
            pa = simd.load(xp, j)
            pb = simd.load(xp, j + h)
            la = simd.load(xl, j)
            lb = simd.load(xl, j + h)
            acc = simd.widen_add(acc, _ovl(la, pb, lb, pa))
            _undo_store(xp, xl, j, h, pa, pb, la, lb, a1)
    return simd.alt_sum(acc)


@nb.njit(inline="always", **_OPTS)
def _sweeps(xp, xl, s, size, k0, k1, tq, acc):
    """``acc[k] +=`` the overlap of qubit k, then its undo, for k0..k1-1, two per sweep."""
    k = k0
    while k + 1 < k1:
        o1, o2 = _pairs(xp, xl, s, size, 2 << k, simd.splat_alt(xp, tq[k]),
                        simd.splat_alt(xp, tq[k + 1]))
        acc[k] += o1
        acc[k + 1] += o2
        k += 2
    if k < k1:
        acc[k] += _single(xp, xl, s, size, 2 << k, simd.splat_alt(xp, tq[k]))


@nb.njit(fastmath=True, **_OPTS)
def x_backward_low(xp, xl, n, nbits, mats_inv, diag, gamma, do_phase, tab, tmin, nparts,
                   partial, lo, hi):
    """:func:`.adjoint.x_backward` for the group at qubit 0 (nbits >= 2): ``xp``, ``xl`` are
    phi and lam as interleaved floats (``psi.view(float32 / float64)``). Writes
    ``partial[part]`` (nbits + 1,): the overlaps ``Im <lam|X_k|phi>`` (unscaled, see
    :func:`.adjoint.x_backward_scale`) and, if ``do_phase``, ``Im <lam|diag|phi>`` after the
    mixer is undone and before the phase is."""
    chunk = 1 << nbits
    nch = 1 << (n - nbits)
    tq = np.zeros(nbits, np.float64)
    _, fr, _ = xfactors(mats_inv, 0, nbits, tq)
    inner = nbits                               # phi and lam blocks share L1
    while inner > 2 and (xp.itemsize << (inner + 2)) > L1_BYTES:
        inner -= 1
    if inner % 2 and inner < nbits:
        inner -= 1                              # pairs {0, 1}, {2, 3}, ... on both sides
    blk = 2 << inner
    run = min(chunk, PHASE_RUN)
    cb = np.empty(run, xp.dtype)
    sb = np.empty(run, xp.dtype)
    a0 = simd.splat_alt(xp, tq[0])
    a1 = simd.splat_alt(xp, tq[1])
    gv = simd.splat(xp, fr)
    acc = np.zeros(nbits + 1)
    for part in range(lo, hi):
        acc[:] = 0.0
        for t in range(part * nch // nparts, (part + 1) * nch // nparts):
            base = t * chunk
            f0 = 2 * base
            for s0 in range(f0, f0 + 2 * chunk, blk):
                o0, o1 = _first(xp, xl, s0, blk, a0, a1)
                acc[0] += o0
                acc[1] += o1
                _sweeps(xp, xl, s0, blk, 2, inner, tq, acc)
            _sweeps(xp, xl, f0, 2 * chunk, inner, nbits, tq, acc)
            if not do_phase:
                for j in range(f0, f0 + 2 * chunk, simd.width(xp)):
                    simd.store(xp, j, simd.mul(simd.load(xp, j), gv))
                    simd.store(xl, j, simd.mul(simd.load(xl, j), gv))
                continue
            od = 0.0
            for j0 in range(0, chunk, run):
                sincos_run(diag, base + j0, run, gamma, cb, sb, tab, tmin)
                d = diag[base + j0:base + j0 + run]
                ps = xp[f0 + 2 * j0:f0 + 2 * j0 + 2 * run]
                ls = xl[f0 + 2 * j0:f0 + 2 * j0 + 2 * run]
                for j in range(run):
                    pr = ps[2 * j]
                    pi = ps[2 * j + 1]
                    lr = ls[2 * j]
                    li = ls[2 * j + 1]
                    od += d[j] * (lr * pi - li * pr)
                    c = fr * cb[j]
                    s = fr * sb[j]
                    ps[2 * j] = pr * c - pi * s
                    ps[2 * j + 1] = pi * c + pr * s
                    ls[2 * j] = lr * c - li * s
                    ls[2 * j + 1] = li * c + lr * s
            acc[nbits] += od
        partial[part, :] = acc


__all__ = ["x_backward_low"]
