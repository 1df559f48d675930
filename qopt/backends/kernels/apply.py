"""Forward passes: one pass over the state applies the one-qubit gates of a group of qubits
(and, in the first pass of a layer, the cost phase; in the last, the expectation).

:func:`group_apply` serves any group (tiles gathered from strided rows), any 2x2 gates;
:func:`x_group_apply` X rotations above the low pass (the group at qubit 0 is
:func:`qopt.backends.kernels.low_pass.low_apply`).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from qopt.backends.kernels.tiles import (
    gather,
    gather_rows,
    layout,
    rows_rot,
    scatter_rows,
    scatter_x,
    tile_base,
    write_back,
    xfactors,
    xt2,
    xt4,
)

_OPTS = {"cache": True, "nogil": True}


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
    swap, g1, g2 = write_back(fr, nmi)
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


__all__ = ["group_apply", "x_group_apply"]
