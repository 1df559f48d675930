"""The QAOA ansatz: depth, angles and their normalisation, warm start, mixer, circuit.

:class:`Ansatz` describes the parametrised state (conventions in :mod:`qopt.solvers.quantum.qaoa`);
the evaluators of :mod:`.qaoa_evaluators` and :mod:`.qaoa_subspace` run it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


def ising_to_qubo(ising):
    """A QUBO with the same energies as ``ising`` under z_i = 1 - 2 x_i."""
    import scipy.sparse as sp

    from qopt.model.qubo import QUBO

    n = ising.num_spins
    J = ising.J.tocoo()
    quad = sp.csr_matrix((4.0 * J.data, (J.row, J.col)), shape=(n, n))
    lin = -2.0 * np.asarray(ising.h, dtype=float)
    lin -= 2.0 * (np.bincount(J.row, J.data, n) + np.bincount(J.col, J.data, n))
    offset = float(ising.offset + np.sum(ising.h) + J.data.sum())
    return QUBO(quad, lin, offset, num_vars=n)


@dataclass
class Ansatz:
    """A QAOA ansatz on a QUBO: depth ``p``, multi-angle or not, optional warm start, optional
    constraint-preserving ``mixer`` (:mod:`qopt.solvers.quantum.mixers`) with its initial state
    ``init`` (None: the transverse-field mixer from |+>^n).

    Parameter vector x (normalised): standard ``[gammas (p), betas (p)]``; multi-angle
    ``[gammas (p * T), betas (p * K)]`` with T = number of Ising terms (fields, then couplings)
    and K = number of partial mixers (n for the x mixer: one beta per qubit).
    """

    qubo: Any
    p: int
    multi_angle: bool = False
    warm_start: np.ndarray | None = None
    mixer: Any = None
    init: Any = None

    def __post_init__(self):
        self.ising = self.qubo.to_ising()
        self.n = self.qubo.num_vars
        self.terms, self.coeffs = self.ising.terms()
        big = float(np.max(np.abs(self.coeffs))) if len(self.coeffs) else 1.0
        self.gamma_scale = 1.0 / big if big > 0 else 1.0

    @property
    def constrained(self) -> bool:
        """True with a mixer other than the plain x mixer."""
        return self.mixer is not None and self.mixer.name != "x"

    @property
    def num_terms(self) -> int:
        return len(self.terms)

    @property
    def num_partials(self) -> int:
        """Partial mixers per layer (n for the x mixer)."""
        return self.n if self.mixer is None else self.mixer.num_partials

    @property
    def num_params(self) -> int:
        if self.multi_angle:
            return self.p * (self.num_terms + self.num_partials)
        return 2 * self.p

    def split(self, x) -> tuple[np.ndarray, np.ndarray]:
        """True (gammas, betas): shapes (p,), (p,) or, multi-angle, (p, T), (p, K)."""
        x = np.asarray(x, dtype=float)
        p = self.p
        if self.multi_angle:
            g = x[: p * self.num_terms].reshape(p, self.num_terms) * self.gamma_scale
            return g, x[p * self.num_terms:].reshape(p, self.num_partials)
        return x[:p] * self.gamma_scale, x[p:]

    def join(self, gammas_norm, betas) -> np.ndarray:
        """Normalised parameter vector from per-layer normalised gammas and betas (p,)."""
        g = np.asarray(gammas_norm, dtype=float)
        b = np.asarray(betas, dtype=float)
        if self.multi_angle:
            return np.concatenate([np.repeat(g[:, None], self.num_terms, 1).ravel(),
                                   np.repeat(b[:, None], self.num_partials, 1).ravel()])
        return np.concatenate([g, b])

    def parameters(self, angles) -> np.ndarray:
        """Normalised x from true ``angles`` ``{"gamma": ..., "beta": ...}`` (see
        :func:`qopt.solvers.quantum.angles.fixed_parameters`): the inverse of :meth:`split`."""
        from qopt.solvers.quantum.angles import fixed_parameters

        return fixed_parameters(self, angles)

    def circuit(self, x=None, *, measure: bool = False):
        """Qiskit circuit: bound to the true angles of ``x``, or parametrised if x is None."""
        from qopt.solvers.quantum.circuits import qaoa_circuit

        if self.constrained:
            return self._mixer_circuit(x, measure)

        if x is None:
            from qiskit.circuit import ParameterVector

            if self.multi_angle:
                gv = ParameterVector("gamma", self.p * self.num_terms)
                bv = ParameterVector("beta", self.p * self.n)
                g = np.array(list(gv), dtype=object).reshape(self.p, self.num_terms)
                b = np.array(list(bv), dtype=object).reshape(self.p, self.n)
            else:
                g, b = list(ParameterVector("gamma", self.p)), list(ParameterVector("beta",
                                                                                    self.p))
            return qaoa_circuit(self.ising, g, b, measure=measure, warm_start=self.warm_start)
        g, b = self.split(x)
        return qaoa_circuit(self.ising, g, b, measure=measure, warm_start=self.warm_start)

    def _mixer_circuit(self, x, measure: bool):
        """The constraint-preserving circuit (:mod:`qopt.solvers.quantum.mixer_circuits`)."""
        from qopt.solvers.quantum.mixer_circuits import circuit_parts, mixer_qaoa_circuit

        parts, init = circuit_parts(self.mixer, self.init)
        if x is None:
            from qiskit.circuit import ParameterVector

            ng = self.p * (self.num_terms if self.multi_angle else 1)
            nb = self.p * (self.num_partials if self.multi_angle else 1)
            g = np.array(list(ParameterVector("gamma", ng)), dtype=object)
            b = np.array(list(ParameterVector("beta", nb)), dtype=object)
            if self.multi_angle:
                g, b = g.reshape(self.p, -1), b.reshape(self.p, -1)
        else:
            g, b = self.split(x)
        return mixer_qaoa_circuit(self.qubo, g, b, parts, init, measure=measure)

    def term_masks(self) -> np.ndarray:
        """Qubit bit masks of the Ising terms, shape (T,) int64."""
        return np.array([sum(1 << q for q in t) for t in self.terms], dtype=np.int64)


__all__ = ["Ansatz", "ising_to_qubo"]
