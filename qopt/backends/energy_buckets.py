"""Exact CVaR, mean and best state of a diagonal observable from one histogram pass over the
amplitudes (:class:`EnergyBuckets`), for the statevector adapter's exact mode. The kernels are
numba (parallel over chunks for the pass); without numba the same runs on numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qopt.limits import check_allocation

try:  # numba is a core dependency; the numpy paths below keep working without it
    import numba as nb
    from numba import prange
except ImportError:  # pragma: no cover
    nb = None


if nb is not None:
    _OPTS = {"cache": True, "nogil": True}

    @nb.njit(parallel=True, **_OPTS)
    def _bucket_masses_nb(psi, bucket, num_buckets, diag, with_diag, nparts):
        """Per bucket: sum of |psi[s]|^2 and (``with_diag``) of |psi[s]|^2 diag[s]."""
        N = psi.size
        per = (N + nparts - 1) // nparts
        hist = np.zeros((nparts, 2, num_buckets))
        for p in prange(nparts):
            for j in range(p * per, min(N, (p + 1) * per)):
                v = psi[j]
                w = v.real * v.real + v.imag * v.imag
                hist[p, 0, bucket[j]] += w
                if with_diag:
                    hist[p, 1, bucket[j]] += w * diag[j]
        out = hist.sum(axis=0)
        return out[0], out[1]

    @nb.njit(**_OPTS)
    def _partial_nb(psi, order, sorted_diag, start, stop, rem):
        """Walk order[start:stop] taking probability until ``rem`` is taken: (sum of taken
        probability x energy, probability taken)."""
        acc = 0.0
        tot = 0.0
        for i in range(start, stop):
            v = psi[order[i]]
            w = v.real * v.real + v.imag * v.imag
            if acc + w >= rem:
                tot += (rem - acc) * sorted_diag[i]
                return tot, rem
            tot += w * sorted_diag[i]
            acc += w
        return tot, acc

    @nb.njit(**_OPTS)
    def _int_range_nb(diag):
        """(all values integers, min, max) of a diagonal (False on NaN / non-integers)."""
        lo = np.inf
        hi = -np.inf
        for v in diag:
            if v != math.floor(v):
                return False, 0.0, 0.0
            lo = min(lo, v)
            hi = max(hi, v)
        return True, lo, hi

    @nb.njit(**_OPTS)
    def _int_counts_nb(diag, lo, span):
        counts = np.zeros(span + 1, dtype=np.int64)
        for v in diag:
            counts[int(v - lo)] += 1
        return counts

    @nb.njit(**_OPTS)
    def _counting_order_nb(diag, lo, level_of_value, starts):
        """Stable counting sort by level: (order, level of each state)."""
        N = diag.size
        order = np.empty(N, dtype=np.int64)
        bucket = np.empty(N, dtype=np.uint16)
        pos = starts[:-1].copy()
        for s in range(N):
            lv = level_of_value[int(diag[s] - lo)]
            bucket[s] = lv
            order[pos[lv]] = s
            pos[lv] += 1
        return order, bucket

    @nb.njit(**_OPTS)
    def _first_seen_nb(psi, order, start, stop, thresh):
        for i in range(start, stop):
            v = psi[order[i]]
            if v.real * v.real + v.imag * v.imag > thresh:
                return i
        return -1
else:  # pragma: no cover
    _bucket_masses_nb = _partial_nb = _first_seen_nb = None
    _int_range_nb = _int_counts_nb = _counting_order_nb = None


#: most energy buckets of the CVaR histogram (one sequential pass per evaluation)
MAX_BUCKETS = 4096


@dataclass(frozen=True)
class EnergyBuckets:
    """The stable energy order of a diagonal cut into at most :data:`MAX_BUCKETS` contiguous
    buckets, for exact CVaR from one histogram pass.

    When the diagonal has at most that many distinct energies (MaxCut, most penalty QUBOs) the
    buckets are the energy levels (``pure``); otherwise they are runs of equal length of the
    order. ``bucket`` (2^n,) uint16: bucket of each basis state; ``starts`` (B + 1,): bucket b
    holds positions ``starts[b]:starts[b+1]`` of the order; ``energies`` (B,): the level
    energies (pure) or each bucket's lowest energy. Built once per observable.

    Per evaluation one pass adds up each bucket's probability (and, unless pure, probability x
    energy); the CVaR takes whole buckets below the alpha boundary and walks the order only
    inside the boundary bucket; the best state is the first state above the threshold in the
    lowest bucket that has one."""

    energies: np.ndarray
    bucket: np.ndarray
    starts: np.ndarray
    pure: bool

    @staticmethod
    def build(order: np.ndarray, sorted_diag: np.ndarray, max_buckets: int | None = None
              ) -> EnergyBuckets:
        cap = max(1, min(MAX_BUCKETS if max_buckets is None else int(max_buckets), 1 << 16))
        N = sorted_diag.size
        check_allocation(2 * N, f"the energy-bucket index of {N} basis states (uint16)")
        change = sorted_diag[1:] != sorted_diag[:-1]
        pure = int(np.count_nonzero(change)) + 1 <= cap
        if pure:
            first = np.concatenate(([0], np.flatnonzero(change) + 1))
        else:
            first = np.unique((np.arange(cap, dtype=np.int64) * N) // cap)
        in_sorted = np.zeros(N, dtype=np.uint16)
        in_sorted[first[1:]] = 1
        np.cumsum(in_sorted, out=in_sorted)
        bucket = np.empty_like(in_sorted)
        bucket[order] = in_sorted
        return EnergyBuckets(energies=np.ascontiguousarray(sorted_diag[first]), bucket=bucket,
                             starts=np.concatenate((first, [N])).astype(np.int64), pure=pure)

    @staticmethod
    def integer_levels(diag: np.ndarray, max_buckets: int | None = None, max_span: int = 1 << 22
                       ) -> tuple[np.ndarray, np.ndarray, EnergyBuckets] | None:
        """(stable argsort of ``diag``, ``diag`` in that order, its pure buckets) by a counting
        sort, when every energy is an integer (MaxCut, integer-weight QUBOs), the range is at
        most ``max_span`` and there are at most ``max_buckets`` distinct values; else None.
        Linear time instead of a comparison sort of 2^n floats (same permutation)."""
        if _int_range_nb is None or diag.size == 0:
            return None
        cap = max(1, min(MAX_BUCKETS if max_buckets is None else int(max_buckets), 1 << 16))
        d = np.ascontiguousarray(diag, dtype=np.float64)
        ok, lo, hi = _int_range_nb(d)
        if not ok or hi - lo > max_span:
            return None
        counts = _int_counts_nb(d, lo, int(hi - lo))
        present = np.flatnonzero(counts)
        if present.size > cap:
            return None
        check_allocation(10 * d.size, f"the energy order of {d.size} basis states")
        level_of_value = np.zeros(counts.size, dtype=np.int64)
        level_of_value[present] = np.arange(present.size)
        starts = np.concatenate(([0], np.cumsum(counts[present]))).astype(np.int64)
        order, bucket = _counting_order_nb(d, lo, level_of_value, starts)
        energies = lo + present.astype(np.float64)
        sorted_diag = np.repeat(energies, counts[present])
        return order, sorted_diag, EnergyBuckets(energies=energies, bucket=bucket,
                                                 starts=starts, pure=True)

    @property
    def size(self) -> int:
        return int(self.energies.size)

    def masses(self, psi, diag, *, use_numba: bool = True, xp=np
               ) -> tuple[np.ndarray, np.ndarray]:
        """(probability, probability x energy) of each bucket under |psi|^2, shape (B,) each
        (one pass; ``diag`` is read only when not pure)."""
        B = self.size
        if use_numba and _bucket_masses_nb is not None and xp is np:
            parts = max(1, min(nb.get_num_threads(), psi.size >> 12))
            m, f = _bucket_masses_nb(psi, self.bucket, B, diag, not self.pure, parts)
        else:
            p = psi.real ** 2 + psi.imag ** 2
            if xp is not np:
                p = xp.asnumpy(p)
            m = np.bincount(self.bucket, weights=p, minlength=B)
            f = (None if self.pure else
                 np.bincount(self.bucket, weights=p * np.asarray(diag), minlength=B))
        if self.pure:
            f = m * self.energies
        return m, f

    def cvar(self, psi, order, sorted_diag, masses: np.ndarray, firsts: np.ndarray,
             alpha: float, *, use_numba: bool = True, xp=np) -> float:
        """Exact CVaR_alpha (as :func:`qopt.backends.base.cvar_from_distribution` on the
        normalised distribution) from the bucket sums of :meth:`masses`."""
        mass = float(masses.sum())
        a = alpha * mass
        cum = np.cumsum(masses)
        k = min(int(np.searchsorted(cum, a, side="left")), self.size - 1)
        before = float(cum[k - 1]) if k > 0 else 0.0
        rem = a - before
        whole = float(firsts[:k].sum())
        if self.pure:
            part, taken = min(rem, float(masses[k])) * float(self.energies[k]), min(
                rem, float(masses[k]))
        else:
            lo, hi = int(self.starts[k]), int(self.starts[k + 1])
            if use_numba and _partial_nb is not None and xp is np:
                part, taken = _partial_nb(psi, order, sorted_diag, lo, hi, float(rem))
            else:
                amp = psi[order[lo:hi]]
                w = amp.real ** 2 + amp.imag ** 2
                if xp is not np:
                    w = xp.asnumpy(w)
                take = np.clip(rem - (np.cumsum(w) - w), 0.0, w)
                part, taken = float(take @ sorted_diag[lo:hi]), float(take.sum())
        total = before + taken
        return (whole + part) / (a if total >= a else total)

    def best(self, psi, order, masses: np.ndarray, thresh: float, *, use_numba: bool = True,
             xp=np) -> int:
        """Position in ``order`` of the lowest-energy state with probability > ``thresh``
        (-1 if none): the first such state of the lowest bucket that has one."""
        for b in np.flatnonzero(masses > thresh):
            lo, hi = int(self.starts[b]), int(self.starts[b + 1])
            if use_numba and _first_seen_nb is not None and xp is np:
                pos = int(_first_seen_nb(psi, order, lo, hi, float(thresh)))
            else:
                amp = psi[order[lo:hi]]
                hit = xp.flatnonzero(amp.real ** 2 + amp.imag ** 2 > thresh)
                pos = lo + int(hit[0]) if hit.size else -1
            if pos >= 0:
                return pos
        return -1


__all__ = ["MAX_BUCKETS", "EnergyBuckets"]
