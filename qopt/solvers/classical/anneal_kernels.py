"""Annealing kernels: lanes of sequential reads with restarts, compiled (numba) or numpy.

A *lane* is one chain of states; it spends ``total_steps`` proposals (one proposal = one
proposed flip = one evaluation) on a sequence of *reads*. Step t of a lane proposes a flip of
variable ``t % n``; a sweep is n consecutive steps. Each read follows a geometric schedule of
``rlen`` sweeps, inverse temperature ``beta = table[(pos * R) // (rlen - 1)]`` at sweep ``pos``
(integer index into a precomputed table of R + 1 points, so both kernels use the same betas).
A read ends when its schedule is done or, in its cold quarter (``pos / rlen >= 3 / 4``), when
its best energy has not improved for ``patience`` sweeps (it stalls); the read's best state is
written out and the lane *restarts* from its current state with a fresh schedule (reheating
to ``table[0]``), shortened to the sweeps the lane has left. The last read is written out by
the caller.

The move energy is ``delta = (1 - 2 x_i) F_i`` (F the local field of the annealed QUBO) plus,
for each slack block b holding i, ``P_b (min(g_b, 0)^2 - min(g_b + a_bi dx, 0)^2)`` with
``g_b = a_b.x - rhs_b`` (see :mod:`qopt.solvers.classical.slack_energy`); without blocks it is
plain single-flip annealing. Terms of degree >= 3 (a HUBO) add their state-dependent share to
the fields through ``poly`` (see :mod:`qopt.solvers.classical.poly_fields`; empty for a QUBO).
A flip is accepted when ``delta <= 0 or beta delta < T`` with
``T ~ Exp(1)`` (the Metropolis rule). Both kernels draw nothing themselves: thresholds come
from the caller, one per proposal, so they give identical results on integer QUBOs.

State arrays (L lanes, n variables, m blocks): X (L, n) int8, F (L, n) float64, G (L, m)
float64, E (L,) float64 current energy; ``pos``, ``rlen``, ``since`` (L,) int64; ``best_e``
(L,) float64 and ``best_x`` (L, n) int8 of the current read; ``out`` (L, R, n) int8 and
``count`` (L,) int64 the finished reads' best states.
"""

from __future__ import annotations

import numpy as np

from qopt.solvers.classical.poly_fields import flip_lanes, flip_row_nb

try:  # pragma: no cover - exercised when numba is installed
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False

#: a read may stall (and restart) only in the cold part: pos / rlen >= COLD_NUM / COLD_DEN
COLD_NUM, COLD_DEN = 3, 4
#: resolution of the beta table (its length is this + 1)
BETA_TABLE_STEPS = 1 << 12


def beta_table(beta_min: float, beta_max: float) -> np.ndarray:
    """Geometric inverse temperatures, shape (BETA_TABLE_STEPS + 1,), table[0] = beta_min."""
    return np.geomspace(beta_min, beta_max, BETA_TABLE_STEPS + 1)


def anneal_numpy(X, F, G, E, indptr, indices, data, bptr, bidx, bcoef, pen, poly, betas,
                 thresholds, step0, total_steps, sweeps, patience,
                 pos, rlen, since, best_e, best_x, out, count):
    """Steps ``step0 .. step0 + thresholds.shape[1] - 1`` of every lane, vectorised over lanes
    (thresholds: (L, steps) Exp(1) variates); same arithmetic as the numba kernel."""
    n = X.shape[1]
    res = betas.shape[0] - 1
    lanes = np.arange(X.shape[0])
    for k in range(thresholds.shape[1]):
        step = step0 + k
        i = step % n
        idx = (pos * res) // np.maximum(rlen - 1, 1)
        beta = betas[np.where(rlen > 1, idx, res)]
        xi = X[:, i]
        dx = np.where(xi == 0, 1.0, -1.0)
        delta = dx * F[:, i]
        lo, hi = bptr[i], bptr[i + 1]
        if hi > lo:
            g = G[:, bidx[lo:hi]]
            h = g + dx[:, None] * bcoef[lo:hi][None, :]
            g_lo, h_lo = np.minimum(g, 0.0), np.minimum(h, 0.0)
            delta = delta + (pen[bidx[lo:hi]][None, :] * (g_lo * g_lo - h_lo * h_lo)).sum(axis=1)
        flip = (delta <= 0.0) | (beta * delta < thresholds[:, k])
        if flip.any():
            d = np.where(flip, dx, 0.0)
            X[:, i] = np.where(flip, 1 - xi, xi)
            E += np.where(flip, delta, 0.0)
            a, b = indptr[i], indptr[i + 1]
            if b > a:
                F[:, indices[a:b]] += d[:, None] * data[a:b][None, :]
            if hi > lo:
                G[:, bidx[lo:hi]] += d[:, None] * bcoef[lo:hi][None, :]
            if poly[1][i + 1] > poly[1][i]:
                flip_lanes(X, F, poly, i, d)
        if i == n - 1:
            pos += 1
            since += 1
            better = best_e > E
            best_e[better] = E[better]
            best_x[better] = X[better]
            since[better] = 0
            remaining = total_steps - (step + 1)
            if remaining <= 0:
                continue
            done = (pos >= rlen) | ((COLD_DEN * pos >= COLD_NUM * rlen) & (since >= patience))
            if done.any():
                r = lanes[done]
                kept = r[count[r] < out.shape[1]]           # never past the buffer
                out[kept, count[kept]] = best_x[kept]
                count[kept] += 1
                pos[r] = 0
                since[r] = 0
                rlen[r] = max(1, min(sweeps, remaining // n))
                best_e[r] = E[r]
                best_x[r] = X[r]


if HAVE_NUMBA:
    @numba.njit(cache=True, nogil=True)
    def anneal_numba(X, F, G, E, indptr, indices, data, bptr, bidx, bcoef, pen, poly, betas,
                     thresholds, step0, total_steps, sweeps, patience,
                     pos, rlen, since, best_e, best_x, out, count):  # pragma: no cover
        """Same steps as :func:`anneal_numpy`, one lane at a time, compiled."""
        L, n = X.shape
        res = betas.shape[0] - 1
        steps = thresholds.shape[1]
        Z, hptr, hterm, tptr, tvar, tcoef = poly
        for r in range(L):
            k = 0
            while k < steps:
                i = (step0 + k) % n
                length = rlen[r]
                beta = betas[(pos[r] * res) // (length - 1)] if length > 1 else betas[res]
                stop = min(steps, k + (n - i))                 # to the end of this sweep
                while k < stop:
                    xi = X[r, i]
                    dx = 1.0 if xi == 0 else -1.0
                    delta = dx * F[r, i]
                    for p in range(bptr[i], bptr[i + 1]):
                        g = G[r, bidx[p]]
                        h = g + dx * bcoef[p]
                        g_lo = g if g < 0.0 else 0.0
                        h_lo = h if h < 0.0 else 0.0
                        delta += pen[bidx[p]] * (g_lo * g_lo - h_lo * h_lo)
                    if delta <= 0.0 or beta * delta < thresholds[r, k]:
                        X[r, i] = 1 - xi
                        E[r] += delta
                        for p in range(indptr[i], indptr[i + 1]):
                            F[r, indices[p]] += dx * data[p]
                        for p in range(bptr[i], bptr[i + 1]):
                            G[r, bidx[p]] += dx * bcoef[p]
                        if hptr[i + 1] > hptr[i]:
                            flip_row_nb(X[r], F[r], Z[r], i, dx, hptr, hterm, tptr, tvar,
                                        tcoef)
                    k += 1
                    i += 1
                if i < n:
                    continue                                   # batch ended mid-sweep
                pos[r] += 1
                since[r] += 1
                if E[r] < best_e[r]:
                    best_e[r] = E[r]
                    best_x[r, :] = X[r, :]
                    since[r] = 0
                remaining = total_steps - (step0 + k)
                if remaining > 0 and (pos[r] >= rlen[r] or (
                        COLD_DEN * pos[r] >= COLD_NUM * rlen[r] and since[r] >= patience)):
                    if count[r] < out.shape[1]:          # never past the buffer
                        out[r, count[r], :] = best_x[r, :]
                        count[r] += 1
                    pos[r] = 0
                    since[r] = 0
                    rlen[r] = max(1, min(sweeps, remaining // n))
                    best_e[r] = E[r]
                    best_x[r, :] = X[r, :]
else:  # pragma: no cover
    anneal_numba = None


__all__ = ["BETA_TABLE_STEPS", "HAVE_NUMBA", "anneal_numba", "anneal_numpy", "beta_table"]
