"""Readout of the engine's state: probabilities, expectation of a diagonal observable,
exact CVaR (and its gradient observable), seeded sampling, Z-string expectations.
"""

from __future__ import annotations

import numpy as np

from qopt.backends.statevector.levels import LevelDiagonal
from qopt.bits import indices_to_bits
from qopt.errors import OptionError
from qopt.limits import check_allocation


def fwht(v, xp=np):
    """Walsh–Hadamard transform of a length-2^n real vector (new array).

    ``out[mask] = sum_s v[s] * (-1)^popcount(s & mask)``: for ``v = |psi|^2`` this is the
    expectation of the Z-string on the qubits of ``mask``.
    """
    out = xp.array(v, dtype=np.float64, copy=True)
    n = int(out.size).bit_length() - 1
    for i in range(n):
        w = out.reshape(-1, 2, 1 << i)
        a = w[:, 0, :].copy()
        w[:, 0, :] += w[:, 1, :]
        w[:, 1, :] = a - w[:, 1, :]
    return out


class ReadoutMixin:
    """Readout methods of :class:`~qopt.backends.statevector.StatevectorEngine` (mixed in;
    they use its ``state``, ``xp``, ``_k``, ``_run`` and ``_sum``)."""

    def probabilities(self, psi=None) -> np.ndarray:
        """|psi|^2, shape (2^n,) float64 (on the engine's array module)."""
        psi = self.state if psi is None else psi
        if self._k is not None:
            out = np.empty(psi.size)
            self._run(self._k.probabilities, psi, out)
            return out
        return (psi.real.astype(np.float64) ** 2 + psi.imag.astype(np.float64) ** 2)

    def expectation(self, diag, psi=None) -> float:
        """<psi| D |psi> for a diagonal observable D (e.g. the QUBO energies)."""
        psi = self.state if psi is None else psi
        d = self._check_diag(diag)
        if self._k is not None:
            return float(self._sum(self._k.expval_diag, psi, self._kd(d))) + self._shift(d)
        return float(self.xp.dot(self.probabilities(psi), self._values(d)))

    def _sort_order(self, diag):
        if self._order is None or self._order[0] is not diag:
            check_allocation(8 * (1 << self.num_qubits), "the CVaR sort order (int64 indices)",
                             self.memory_limit)
            keys = diag.levels if isinstance(diag, LevelDiagonal) else self.asarray(diag)
            self._order = (diag, self.xp.argsort(keys, kind="stable"))
        return self._order[1]

    def cvar_weights(self, diag, alpha: float, probs=None) -> tuple[float, np.ndarray]:
        """(CVaR_alpha, O): the CVaR of the diagonal observable under |psi|^2 and the diagonal
        observable O, shape (2^n,), whose expectation has the same derivative as the CVaR.

        CVaR_alpha is the mean of the lowest-energy alpha tail of the distribution (the
        boundary state counted fractionally). With the tail set held fixed,
        ``CVaR = D_k + sum_{s below k} p_s (D_s - D_k) / alpha`` (k the boundary state), so
        ``O_s = (D_s - D_k) / alpha`` on the states wholly inside the tail and 0 elsewhere."""
        if not 0.0 < alpha <= 1.0:
            raise OptionError(f"alpha must be in (0, 1], got {alpha}")
        xp = self.xp
        d = self._values(diag)
        p = self.probabilities() if probs is None else probs
        order = self._sort_order(diag)
        ps = p[order]
        ds = d[order]
        total = float(xp.sum(ps))
        a = alpha * total                                  # tail mass (normalised state: alpha)
        before = xp.cumsum(ps) - ps                       # mass of strictly lower states
        take = xp.clip(a - before, 0.0, ps)               # mass of each state inside the tail
        value = float(xp.dot(take, ds)) / a
        inside = (before + ps) < a                        # wholly inside the tail
        k = min(int(xp.count_nonzero(inside)), ds.size - 1)
        obs_sorted = xp.where(inside, (ds - ds[k]) / a, 0.0)
        obs = xp.empty_like(obs_sorted)
        obs[order] = obs_sorted
        return value, obs

    def cvar(self, diag, alpha: float, probs=None) -> float:
        """Exact CVaR_alpha of the diagonal observable under |psi|^2 (alpha = 1: expectation)."""
        return self.cvar_weights(diag, alpha, probs)[0]

    def sample(self, shots: int, rng, psi=None) -> tuple[np.ndarray, np.ndarray]:
        """``shots`` measurements in the computational basis, seeded by ``rng``.

        Returns (bits, counts): unique outcomes as bit rows, shape (k, n) uint8 (column i =
        qubit i), sorted by state index, and their counts, shape (k,), summing to ``shots``."""
        if int(shots) < 1:
            raise OptionError(f"shots must be >= 1, got {shots}")
        from qopt.seeds import rng_from

        if self._k is not None:
            idx = self._sample_indices(self.state if psi is None else psi, int(shots),
                                       rng_from(rng))
        else:
            p = self.probabilities(psi)
            cdf = np.cumsum(p if self.xp is np else self.xp.asnumpy(p))
            u = rng_from(rng).random(int(shots)) * cdf[-1]
            idx = np.minimum(np.searchsorted(cdf, u, side="right"), cdf.size - 1)
        uniq, counts = np.unique(idx, return_counts=True)
        return indices_to_bits(uniq, self.num_qubits), counts

    def _sample_indices(self, psi, shots: int, rng) -> np.ndarray:
        """Basis-state indices of ``shots`` draws, inverse CDF without a probability array:
        one pass for the mass of each work part, then, over the sorted draws, one read of
        each part that holds a draw (memory: O(shots), no second full-size buffer)."""
        mass = self._partials(self._k.part_mass, psi)
        start = np.zeros(mass.size + 1)
        np.cumsum(mass, out=start[1:])
        u = np.sort(rng.random(shots) * start[-1])
        uptr = np.searchsorted(u, start, side="left").astype(np.int64)
        uptr[0], uptr[-1] = 0, shots
        out = np.empty(shots, dtype=np.int64)
        self._run(self._k.sample_parts, psi, start, u, uptr, out)
        return out

    def z_expectations(self, masks, probs=None) -> np.ndarray:
        """<prod_{i in mask} Z_i> for each bit mask (int), shape (len(masks),)."""
        p = self.probabilities() if probs is None else probs
        w = fwht(p, self.xp)
        out = w[self.xp.asarray(np.asarray(masks, dtype=np.int64))]
        return np.asarray(out if self.xp is np else self.xp.asnumpy(out), dtype=float)


__all__ = ["ReadoutMixin", "fwht"]
