"""Grover-mixer and threshold QAOA simulated exactly from a cost histogram.

GM-QAOA (Bärtschi & Eidenbenz 2020) starts in |F> = |F|^(-1/2) sum_{x in F} |x>, the uniform
superposition over the feasible set F, and alternates the cost layer exp(-i gamma H_C) with the
Grover mixer exp(-i beta |F><F|). Threshold QAOA (Golden, Bärtschi, O'Malley, Eidenbenz 2023)
replaces the cost layer by exp(-i gamma H_th), H_th = sum_{x: C(x) <= th} |x><x| (a phase on
the states at or below the threshold), with the same mixer.

Why the histogram is exact: both layers treat states of equal cost alike (the cost layer is a
function of C(x); |F><F| is symmetric under every permutation of F), so from |F> the state
stays in the span of the level states |c> = m_c^(-1/2) sum_{C(x) = c} |x>, one per distinct
cost level c of multiplicity m_c. In that basis |F> = sum_c w_c |c> with w_c = sqrt(m_c / |F|),
the cost layer multiplies a_c by exp(-i gamma c) and the mixer is
``a <- a + (exp(-i beta) - 1) w (w . a)`` (exp(-i beta P) = 1 + (exp(-i beta) - 1) P for the
projector P = |F><F|). Every state of level c has amplitude a_c / sqrt(m_c); the probability of
level c is |a_c|^2. The cost of a layer is O(levels), whatever |F| is.

:class:`GroverSimulator` gives the level amplitudes, expectation, CVaR, level probabilities,
the exact adjoint gradient (one gamma and one beta per layer) and the concentration
diagnostics (largest single-state probability, entropy of the state's distribution over F in
bits). Sampling draws levels here and states from the histogram's second pass.
"""

from __future__ import annotations

import math

import numpy as np

from qopt.errors import OptionError


def grover_bound(p: int, share: float) -> float:
    """Upper bound on P(optimum) of any depth-p Grover-type search from |F>: at most
    (2p + 1)^2 m_opt / |F| (each of p oracle calls grows the amplitude by at most
    2 sqrt(share); Zalka 1999), capped at 1."""
    return float(min(1.0, (2 * int(p) + 1) ** 2 * float(share)))


def level_entropy_bits(prob: np.ndarray, counts: np.ndarray) -> float:
    """Shannon entropy (bits) of the distribution over F in which each of the m_c states of
    level c has probability prob_c / m_c."""
    prob = np.asarray(prob, dtype=float)
    ok = prob > 0
    p, m = prob[ok], np.asarray(counts, dtype=float)[ok]
    return float(-(p * (np.log2(p) - np.log2(m))).sum())


def cvar_of_levels(levels: np.ndarray, prob: np.ndarray, alpha: float) -> float:
    """CVaR_alpha (mean of the lowest alpha share) of a distribution over ascending levels."""
    a = float(alpha) * float(prob.sum())
    before = np.cumsum(prob) - prob
    take = np.clip(a - before, 0.0, prob)
    return float(take @ levels / a)


class GroverSimulator:
    """GM-QAOA (``threshold`` None) or threshold QAOA on a histogram (``levels`` ascending,
    ``counts`` multiplicities). Angles are true angles: cost layer exp(-i gamma H), mixer
    exp(-i beta |F><F|)."""

    def __init__(self, levels, counts, *, threshold: float | None = None):
        self.levels = np.asarray(levels, dtype=float)
        self.counts = np.asarray(counts, dtype=np.int64)
        if self.levels.ndim != 1 or self.levels.shape != self.counts.shape or \
                self.levels.size == 0 or np.any(self.counts < 1):
            raise OptionError("a histogram needs matching non-empty levels and counts >= 1")
        self.size = int(self.counts.sum())
        self.w = np.sqrt(self.counts / float(self.size))
        self.threshold = None if threshold is None else float(threshold)
        self.phase_diag = self.levels if threshold is None else \
            (self.levels <= self.threshold).astype(float)
        self.amps = self.w.astype(np.complex128)

    # ---- the state ---------------------------------------------------------------------------
    def _mix(self, a: np.ndarray, beta: float) -> np.ndarray:
        return a + (np.exp(-1j * beta) - 1.0) * self.w * (self.w @ a)

    def state(self, gammas, betas) -> np.ndarray:
        """Level amplitudes a_c (complex128, shape (levels,)) after the p layers; also kept
        in ``amps``."""
        gammas, betas = np.asarray(gammas, float), np.asarray(betas, float)
        if gammas.shape != betas.shape or gammas.ndim != 1:
            raise OptionError("gammas and betas must be two sequences of length p")
        a = self.w.astype(np.complex128)
        for g, b in zip(gammas, betas, strict=True):
            a = self._mix(a * np.exp(-1j * g * self.phase_diag), b)
        self.amps = a
        return a

    def probabilities(self) -> np.ndarray:
        """Probability of each level, |a_c|^2."""
        return np.abs(self.amps) ** 2

    def expectation(self) -> float:
        return float(self.probabilities() @ self.levels)

    def cvar(self, alpha: float) -> float:
        return cvar_of_levels(self.levels, self.probabilities(), alpha)

    def value_and_grad(self, gammas, betas, alpha: float = 1.0
                       ) -> tuple[float, np.ndarray, np.ndarray]:
        """(<C> or CVaR_alpha, d/d gammas (p,), d/d betas (p,)) by the adjoint method on the
        level amplitudes (CVaR: the derivative of the CVaR with its quantile level held)."""
        gammas, betas = np.asarray(gammas, float), np.asarray(betas, float)
        p = gammas.size
        a = self.w.astype(np.complex128)
        after_phase = []
        for g, b in zip(gammas, betas, strict=True):
            a = a * np.exp(-1j * g * self.phase_diag)
            after_phase.append(a)
            a = self._mix(a, b)
        self.amps = a
        prob = np.abs(a) ** 2
        if alpha >= 1.0:
            value, obs = float(prob @ self.levels), self.levels
        else:
            value = cvar_of_levels(self.levels, prob, alpha)
            tot = alpha * prob.sum()
            before = np.cumsum(prob) - prob
            inside = before + prob < tot
            k = min(int(np.count_nonzero(inside)), prob.size - 1)
            obs = np.where(inside, (self.levels - self.levels[k]) / tot, 0.0)
        lam = obs * a                       # d value / d conj(a) = O a
        dg, db = np.zeros(p), np.zeros(p)
        for layer in range(p - 1, -1, -1):
            phi = after_phase[layer]        # the state before this layer's mixer
            e = np.exp(-1j * betas[layer])
            # d(mixed)/d beta = -i e w (w . phi)
            db[layer] = 2.0 * float(np.real(np.conj(lam) @ (-1j * e * self.w * (self.w @ phi))))
            lam = lam + (np.conj(e) - 1.0) * self.w * (self.w @ lam)     # mixer adjoint
            dg[layer] = 2.0 * float(np.real(np.conj(lam) @ (-1j * self.phase_diag * phi)))
            lam = lam * np.exp(1j * gammas[layer] * self.phase_diag)
        return value, dg, db

    # ---- diagnostics -------------------------------------------------------------------------
    def max_state_probability(self) -> float:
        """Largest probability of one basis state of F: max_c |a_c|^2 / m_c."""
        return float(np.max(self.probabilities() / self.counts))

    def state_entropy(self) -> float:
        """Entropy (bits) of the state's distribution over F (log2 |F| for |F>)."""
        return level_entropy_bits(self.probabilities(), self.counts)

    def draw_levels(self, shots: int, rng, prob: np.ndarray | None = None) -> np.ndarray:
        """Draws per level (int64, shape (levels,)) of ``shots`` shots: multinomial on the
        level probabilities (``prob``, default the current state's)."""
        prob = self.probabilities() if prob is None else np.asarray(prob, float)
        return rng.multinomial(int(shots), prob / prob.sum()).astype(np.int64)

    def uniform_probabilities(self) -> np.ndarray:
        """Level probabilities of |F> (uniform sampling of F): m_c / |F|."""
        return self.counts / float(self.size)


def probability_best_of_shots(prob_opt: float, shots: int) -> float:
    """P(at least one of ``shots`` independent draws hits an event of probability prob_opt)."""
    return float(-math.expm1(int(shots) * math.log1p(-min(float(prob_opt), 1.0)))
                 if prob_opt < 1.0 else 1.0)
