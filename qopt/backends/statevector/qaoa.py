"""QAOA on the engine: layers, the fused numba sweep (a few passes per layer, phase and
expectation riding on the passes), exact values and adjoint gradients.
"""

from __future__ import annotations

import math

import numpy as np

from qopt.backends.statevector.gates import (
    warm_start_angles,
    warm_start_generators,
    warm_start_mixers,
    x_rotation_matrices,
)
from qopt.backends.statevector.levels import LevelDiagonal
from qopt.errors import OptionError

_NO_TABLE = np.zeros(0)


class QAOAMixin:
    """QAOA methods of :class:`~qopt.backends.statevector.StatevectorEngine` (mixed in; they
    use its passes ``apply_product`` / ``_pass``, groups, buffers and readout)."""

    def qaoa_layer(self, diag, gamma: float, betas, psi=None, *, mixers=None):
        """One layer: exp(-i beta sum X) exp(-i gamma D) (or the given per-qubit ``mixers``)."""
        if mixers is None:
            return self.apply_product(x_rotation_matrices(betas, self.num_qubits), psi, mode=0,
                                      diag=diag, gamma=gamma)
        return self.apply_product(mixers, psi, mode=1, diag=diag, gamma=gamma)

    def qaoa_state(self, diag, gammas, betas, *, warm_start=None, psi=None):
        """The QAOA state for angles ``gammas``, ``betas`` (shape (p,); ``betas`` may be
        (p, n) for per-qubit mixer angles), in the engine's ``state`` (returned).

        ``warm_start``: relaxed values c, shape (n,): initial state ``prod RY(theta_i)|0>`` and
        mixer ``exp(-i beta R_i)`` (see :mod:`qopt.solvers.quantum.circuits`)."""
        psi = self.state if psi is None else psi
        gam, bet = self._angles(gammas, betas)
        if self._fused(psi, gam):
            self._qaoa_fused(self._check_diag(diag), gam, bet, warm_start, psi, False)
            return psi
        if warm_start is None:
            self.reset_plus(psi)
            for g, b in zip(gam, bet):
                self.qaoa_layer(diag, g, b, psi)
            return psi
        th = warm_start_angles(warm_start)
        self.reset_product(np.cos(th / 2), np.sin(th / 2), psi)
        for g, b in zip(gam, bet):
            self.qaoa_layer(diag, g, b, psi, mixers=warm_start_mixers(th, b))
        return psi

    def _fused(self, psi, gam) -> bool:
        """Whether the fused numba QAOA sweep applies (numba, p >= 1)."""
        return self._k is not None and len(gam) > 0

    def _qaoa_fused(self, d, gam, bet, warm_start, psi, expect: bool, levels=False,
                    outs=None) -> float:
        """All p layers with the numba kernels, a few passes per layer: without a warm
        start, |+>^n is never written (the first pass builds exp(-i gamma_1 D)|+> directly);
        with ``expect`` the last pass also returns <psi|D|psi>. ``outs`` = (phi, lam): the
        last pass also writes psi and D psi there when it is a plain X-mixer high pass (see
        :func:`kernels.x_group_apply`; ``phi`` may be None); returns (value, whether it did).
        ``d``: a checked diagonal (float64 or :class:`LevelDiagonal`)."""
        n = self.num_qubits
        kd = self._kd(d)
        if warm_start is None:
            groups = self._xgroups()
            start = 2
            mode = 0
        else:
            th = warm_start_angles(warm_start)
            self.reset_product(np.cos(th / 2), np.sin(th / 2), psi)
            start = 1
            mode = 1
            groups = [(q0, k, self.tile) for q0, k in self._groups()]
        amp = 1.0 / math.sqrt(psi.size)
        value = 0.0
        if levels is False:
            levels = self._integer_levels(d)
        for layer, (g, b) in enumerate(zip(gam, bet)):
            mats = (x_rotation_matrices(b, n) if warm_start is None
                    else warm_start_mixers(th, b))
            tab, tmin = self._phase_table(levels, g)
            for i, (q0, k, tile) in enumerate(groups):
                last = expect and layer == len(gam) - 1 and i == len(groups) - 1
                phase = 0 if i else (start if layer == 0 else 1)
                extra = None
                if last and outs is not None and mode == 0 and q0 > 0:
                    c = mats[q0:q0 + k, 0, 0].real
                    if np.all(np.abs(c) >= np.abs(mats[q0:q0 + k, 0, 1].imag)):
                        extra = outs        # no flip, no -i: the plain high pass
                value = self._pass(psi, q0, k, mats, mode, kd, float(g), phase, last, amp, tab,
                                   tmin, tile, extra)
        return float(value) + (self._shift(d) if expect else 0.0), extra is not None

    #: most distinct levels of an integer-valued diagonal served by a phase table
    TABLE_LEVELS = 1 << 14

    def _integer_levels(self, d) -> tuple[float, int, float] | None:
        """(lowest value, number of levels, what the kernels subtract from an entry to get
        its level) when ``d`` is integer-valued with at most :attr:`TABLE_LEVELS` levels
        (checked on every call: one read of ``d``), else None. A :class:`LevelDiagonal`
        needs no check: its entries are the levels."""
        if isinstance(d, LevelDiagonal):
            return d.lo, d.count, 0.0
        out = self._partials(self._k.range_parts, d, width=3)
        lo, hi = float(out[:, 1].min()), float(out[:, 2].max())
        if out[:, 0].any() or not hi - lo < self.TABLE_LEVELS:
            return None
        return lo, int(hi - lo) + 1, lo

    @staticmethod
    def _phase_table(levels, gamma) -> tuple[np.ndarray, float]:
        """Interleaved (cos, sin)(gamma * (lo + k)) for the levels k of an integer-valued
        diagonal (numpy's correctly rounded-ish cos / sin) and the kernels' level offset,
        or an empty table."""
        if levels is None:
            return _NO_TABLE, 0.0
        lo, count, tmin = levels
        x = float(gamma) * (lo + np.arange(count, dtype=np.float64))
        tab = np.empty(2 * count)
        tab[0::2] = np.cos(x)
        tab[1::2] = np.sin(x)
        return tab, tmin

    def _angles(self, gammas, betas) -> tuple[np.ndarray, np.ndarray]:
        gam = np.atleast_1d(np.asarray(gammas, dtype=float))
        bet = np.asarray(betas, dtype=float)
        bet = bet.reshape(-1) if bet.ndim <= 1 else bet
        if gam.ndim != 1 or len(gam) != len(bet) or (bet.ndim == 2 and bet.shape[1] !=
                                                    self.num_qubits):
            raise OptionError(f"need gammas of shape (p,) and betas of shape (p,) or "
                              f"(p, {self.num_qubits}); got {gam.shape} and {bet.shape}")
        return gam, bet

    # ---- QAOA values and adjoint gradients -------------------------------------------------
    def qaoa_expectation(self, diag, gammas, betas, *, warm_start=None) -> float:
        gam, bet = self._angles(gammas, betas)
        if self._fused(self.state, gam):
            return self._qaoa_fused(self._check_diag(diag), gam, bet, warm_start, self.state,
                                    True)[0]
        self.qaoa_state(diag, gam, bet, warm_start=warm_start)
        return self.expectation(diag)

    def qaoa_gradient(self, diag, gammas, betas, *, warm_start=None, alpha: float = 1.0,
                      keep_state: bool = True) -> tuple[float, np.ndarray, np.ndarray]:
        """(value, d value / d gammas, d value / d betas) by the adjoint method.

        value is the expectation of ``diag`` (``alpha=1``) or its CVaR_alpha (gradient of the
        CVaR with the tail weights held fixed, exact wherever the tail set does not change).
        ``d/dbetas`` has the shape of ``betas`` ((p,) or (p, n)). Costs one forward pass and
        one backward sweep over two states (about 3 expectations). ``keep_state=False``
        (expectation only) runs the sweep in the engine's state itself, which afterwards
        holds the initial state again instead of the QAOA state: one state buffer less
        (what lets the gradient of 30 qubits in complex64 fit in 24 GiB)."""
        gam, bet = self._angles(gammas, betas)
        d = self._check_diag(diag)
        levels = False
        fused = self._fused(self.state, gam) and alpha >= 1.0
        if fused and not keep_state:
            # phi is the state itself; lam = D psi from the last pass when it can
            (lam,) = self._buffers(1)
            phi = psi = self.state
            levels = self._integer_levels(d)
            value, done = self._qaoa_fused(d, gam, bet, warm_start, psi, True, levels,
                                           (None, lam))
            if not done:
                self._run(self._k.mul_diag, lam, psi, self._kd(d))
        elif fused:
            # fused sweep: value, phi = psi and lam = D psi from its last pass when it can
            phi, lam = self._buffers(2)
            levels = self._integer_levels(d)
            psi = self.state
            value, done = self._qaoa_fused(d, gam, bet, warm_start, psi, True, levels,
                                           (phi, lam))
            if not done:
                self._run(self._k.copy_mul, phi, lam, psi, self._kd(d))
        else:
            phi, lam = self._buffers(2)
            psi = self.qaoa_state(diag, gam, bet, warm_start=warm_start)
            phi[...] = psi
            if alpha >= 1.0:
                value = self.expectation(d, psi)
                self._mul(lam, psi, self._values(d))
            else:
                value, obs = self.cvar_weights(diag, alpha)
                self._mul(lam, psi, obs)
        th = None if warm_start is None else warm_start_angles(warm_start)
        n = self.num_qubits
        p = len(gam)
        dg = np.zeros(p)
        db = np.zeros((p, n))
        for layer in range(p - 1, -1, -1):
            b = bet[layer]
            if th is None:
                mats_inv = x_rotation_matrices(-np.asarray(b), n)
                gens = np.zeros((n, 2, 2), dtype=np.complex128)
                mode = 0
            else:
                mats_inv = warm_start_mixers(th, -np.asarray(b))
                gens = warm_start_generators(th)
                mode = 1
            imov, imd = self.backward_layer(phi, lam, mats_inv, gens, mode, d, gam[layer],
                                            levels=levels)
            db[layer] = 2.0 * imov
            dg[layer] = 2.0 * imd
        dbet = db if bet.ndim == 2 else db.sum(axis=1)
        return value, dg, dbet

    def gradient_buffers(self):
        """(phi, lam): two preallocated state-sized work buffers for adjoint sweeps."""
        return tuple(self._buffers(2))

    def multiply_diagonal(self, out, psi, weights):
        """out = weights * psi (weights real, shape (2^n,)): e.g. lam = D psi for the adjoint."""
        self._mul(out, psi, weights)
        return out

    def _mul(self, out, psi, weights):
        if isinstance(weights, LevelDiagonal):
            weights = self._values(weights)
        if self._k is not None:
            self._run(self._k.mul_diag, out, psi, self.asarray(weights, dtype=np.float64))
        else:
            out[...] = psi * self.asarray(weights).astype(psi.real.dtype, copy=False)

    def backward_layer(self, phi, lam, mats_inv, gens, mode: int, diag=None, gamma: float = 0.0,
                       *, levels=False) -> tuple[np.ndarray, float]:
        """One backward step of the adjoint method through ``mixer * exp(-i gamma diag)``.

        Undoes the per-qubit mixer (inverse matrices ``mats_inv``, shape (n, 2, 2); ``mode=0``
        for X rotations, whose generators are X) on ``phi`` and ``lam``, then, if ``diag`` is
        given, the phase. Returns (``Im <lam|G_i|phi>`` per qubit, shape (n,),
        ``Im <lam|diag|phi>``): half the derivatives of ``<psi|O|psi>`` with respect to each
        qubit's mixer angle and to gamma. ``gens`` (n, 2, 2) are the generators for mode 1.
        ``levels``: :meth:`_integer_levels` of ``diag`` when already known (internal). A
        :class:`LevelDiagonal` ``diag`` is read as its levels (``diag - lo``): that changes
        phi and lam by the same global phase only, and no overlap (``Im <lam|phi>`` = 0).
        """
        n = self.num_qubits
        imov = np.zeros(n)
        d = None if diag is None else self._check_diag(diag)
        if self._k is not None:
            groups = self._groups()
            imd = 0.0
            dd = self._kd(d) if d is not None else np.zeros(1)
            mats_inv = np.ascontiguousarray(mats_inv, dtype=np.complex128)
            # X-rotation mixers without a flip in their factorisation take the fast kernel
            fast = mode == 0 and bool(np.all(np.abs(mats_inv[:, 0, 0].real)
                                             >= np.abs(mats_inv[:, 0, 1].imag)))
            tab, tmin = _NO_TABLE, 0.0
            if fast and d is not None:
                if levels is False:
                    levels = self._integer_levels(d)
                tab, tmin = self._phase_table(levels, gamma)
            if fast:
                groups = self._xgroups()
                fast = groups[0][1] >= 2
            else:
                groups = [(q0, k, self.tile) for q0, k in groups]
            for i in range(len(groups) - 1, -1, -1):
                q0, k, tile = groups[i]
                phase = i == 0 and d is not None
                if fast:
                    if q0 == 0:                 # the low pass, with the phase
                        f = phi.real.dtype
                        out = self._sum(self._k.x_backward_low, phi.view(f), lam.view(f), n,
                                        k, mats_inv, dd, float(gamma), phase, tab, tmin,
                                        width=k + 1)
                    else:
                        out = self._sum(self._k.x_backward, phi, lam, n, q0, k, mats_inv, tile,
                                        width=k + 1)
                    self._k.x_backward_scale(out, mats_inv, q0, k)
                else:
                    out = self._sum(self._k.group_backward, phi, lam, n, q0, k, mats_inv, mode,
                                    gens, dd, float(gamma), phase, self.tile, width=k + 1)
                imov[q0:q0 + k] = out[:k]
                if i == 0:
                    imd = float(out[k])
            return imov, imd
        xp = self.xp
        for i in range(n):
            g = gens[i] if mode == 1 else np.array([[0, 1], [1, 0]], dtype=np.complex128)
            gphi = self._apply_1q_copy(phi, g, i)
            imov[i] = float(xp.vdot(lam, gphi).imag)
        self._np_groups_apply(phi, mats_inv)
        self._np_groups_apply(lam, mats_inv)
        if d is None:
            return imov, 0.0
        d = self._values(d)
        imd = float(xp.vdot(lam, phi * d).imag)
        ph = xp.exp((1j * float(gamma)) * d).astype(phi.dtype, copy=False)
        phi *= ph
        lam *= ph
        return imov, imd

    def _np_groups_apply(self, psi, mats):
        for q0, k in self._groups():
            self._np_group(psi, q0, k, mats)


__all__ = ["QAOAMixin"]
