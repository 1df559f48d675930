"""PCE loss (Sciorilli et al., arXiv:2401.09421) and PCE's bit-swap search, on any QUBO.

The QUBO is read in spin form (:meth:`QUBO.to_ising`: ``x_i = (1 - z_i) / 2``, ``z_i = +1``
for ``x_i = 0``), ``E(z) = h.z + sum_{i<j} J_ij z_i z_j + offset``. PCE relaxes each spin to
``z_i = tanh(alpha <Pi_i>)`` and rounds it to ``z_i = sign(<Pi_i>)``, i.e. ``x_i = 1`` iff
``<Pi_i> < 0``. The loss is

    L = E(tanh(alpha <Pi>)) + beta * nu * [ (1/m) sum_i tanh(alpha <Pi_i>)^2 ]^2

(the relaxed QUBO energy is multilinear, so it equals the QUBO energy of the relaxed bits
``(1 - z) / 2``). The paper's defaults: ``alpha = 1.5 * n^floor(k/2)``, ``beta = 1/2`` and, for
MaxCut, ``nu = w(G)/2 + w(T_min)/4`` (the Poljak–Turzik lower bound: total weight over two plus a
quarter of a minimum spanning tree's). For a general Ising model we apply the same bound to the
coupling graph with edge weights ``|J_ij|``, plus a ghost spin joined to every spin with a field
(edge weight ``|h_i|``); on a MaxCut QUBO (no fields, ``|J_ij| = w_ij / 2``) this is the paper's
``nu`` in the units of our loss (which is half the paper's MaxCut loss).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from qopt.errors import OptionError


def default_alpha(num_qubits: int, k: int) -> float:
    """The paper's tanh sharpness: ``1.5 * n^floor(k/2)``."""
    return 1.5 * float(num_qubits) ** (k // 2)


def poljak_turzik_nu(h: np.ndarray, J: sp.spmatrix) -> float:
    """``w/2 + w(T_min)/4`` of the graph with edges ``|J_ij|`` (+ a ghost node for ``|h_i|``)."""
    from scipy.sparse.csgraph import minimum_spanning_tree

    m = len(h)
    Jc = sp.coo_matrix(J)
    hv = np.abs(np.asarray(h, dtype=float))
    rows = np.concatenate([Jc.row, np.flatnonzero(hv)])
    cols = np.concatenate([Jc.col, np.full(np.count_nonzero(hv), m)])
    vals = np.concatenate([np.abs(Jc.data), hv[hv != 0]])
    keep = vals > 0
    if not keep.any():
        return 0.0
    W = sp.coo_matrix((vals[keep], (rows[keep], cols[keep])), shape=(m + 1, m + 1)).tocsr()
    W.sum_duplicates()
    total = float(W.sum())
    tree = float(minimum_spanning_tree(W).sum())
    return total / 2.0 + tree / 4.0


class PCELoss:
    """The PCE loss of one QUBO as a function of the correlators ``c = <Pi>``, shape (m,).

    Args:
        qubo: the :class:`~qopt.model.qubo.QUBO` (variables in QUBO order).
        alpha: tanh sharpness.
        beta: regularisation weight.
        nu: regularisation scale; ``None`` = :func:`poljak_turzik_nu` of the QUBO.
    """

    def __init__(self, qubo, alpha: float, beta: float = 0.5, nu: float | None = None):
        if not alpha > 0:
            raise OptionError(f"alpha must be positive, got {alpha!r}")
        if beta < 0:
            raise OptionError(f"beta must be non-negative, got {beta!r}")
        ising = qubo.to_ising()
        self.h = np.asarray(ising.h, dtype=float)
        self.J = sp.csr_matrix(ising.J)
        self.Jsym = (self.J + self.J.T).tocsr()
        self.offset = float(ising.offset)
        self.alpha = float(alpha)
        self.beta = float(beta)
        self.nu = poljak_turzik_nu(self.h, self.J) if nu is None else float(nu)
        self.num_vars = len(self.h)

    def spins(self, c: np.ndarray) -> np.ndarray:
        return np.tanh(self.alpha * np.asarray(c, dtype=float))

    def relaxed_energy(self, c: np.ndarray) -> float:
        """QUBO energy of the relaxed spins ``tanh(alpha c)`` (no regulariser)."""
        z = self.spins(c)
        return float(self.h @ z + z @ (self.J @ z) + self.offset)

    def regulariser(self, c: np.ndarray) -> float:
        z = self.spins(c)
        return float(self.beta * self.nu * np.mean(z * z) ** 2)

    def value_and_grad(self, c: np.ndarray) -> tuple[float, np.ndarray]:
        """(L, dL/dc), dL/dc of shape (m,)."""
        z = self.spins(c)
        Jz = self.J @ z
        s = float(np.mean(z * z))
        value = float(self.h @ z + z @ Jz + self.offset + self.beta * self.nu * s * s)
        dz = self.h + self.Jsym @ z + (4.0 * self.beta * self.nu * s / self.num_vars) * z
        return value, dz * self.alpha * (1.0 - z * z)

    def __call__(self, c: np.ndarray) -> float:
        return self.value_and_grad(c)[0]


def sign_round(c: np.ndarray) -> np.ndarray:
    """PCE rounding ``x_i = (1 - sign(c_i)) / 2`` (``c_i = 0`` gives 0), shape (m,) uint8."""
    return (np.asarray(c) < 0).astype(np.uint8)


def bit_swap_search(qubo, x: np.ndarray, max_sweeps: int = 100) -> tuple[np.ndarray, dict]:
    """PCE's classical post-processing: sweeps of single-bit flips over the QUBO.

    Each sweep visits the variables in order and flips a bit whenever that lowers the QUBO
    energy (first improvement, with incremental local fields); stops after a sweep without a
    flip or after ``max_sweeps``. Returns the bits and a record (energies, flips, sweeps).
    """
    cur = np.asarray(x, dtype=np.uint8).copy()
    U = qubo.quadratic.tocsr()
    S = (U + U.T).tocsc()
    xf = cur.astype(float)
    field = qubo.linear + S @ xf   # dE of setting x_i from 0 to 1, others fixed
    e0 = float(qubo.energy(cur))
    flips = sweeps = 0
    indptr, indices, data = S.indptr, S.indices, S.data
    for _ in range(max_sweeps):
        sweeps += 1
        changed = False
        # candidates in order; field is refreshed after every accepted flip
        for i in range(qubo.num_vars):
            delta = field[i] if cur[i] == 0 else -field[i]
            if delta < -1e-12:
                step = 1.0 if cur[i] == 0 else -1.0
                cur[i] ^= 1
                lo, hi = indptr[i], indptr[i + 1]
                field[indices[lo:hi]] += step * data[lo:hi]
                flips += 1
                changed = True
        if not changed:
            break
    e1 = float(qubo.energy(cur))
    return cur, {"step": "pce_bit_swap", "energy_before": e0, "energy_after": e1,
                 "flips": flips, "sweeps": sweeps}


__all__ = ["PCELoss", "bit_swap_search", "default_alpha", "poljak_turzik_nu", "sign_round"]
