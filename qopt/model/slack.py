"""Slack bits of one inequality row of a conversion (:class:`SlackBlock`): which bits, their
weights, and the best slack for given program bits (:meth:`SlackBlock.encode`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from qopt.model.poly import Groups, groups_values


@dataclass
class SlackBlock:
    """Slack bits of one inequality ``a.x + g(x) + sum_k w_k s_k == b`` (``<=`` rows; ``>=``
    negated); ``g`` is the row's part of degree >= 2 (``higher``, groups over program bits).

    ``indices`` are the slack variables' QUBO indices, ``weights`` their integer weights
    (1, 2, 4, ..., remainder) spanning exactly 0..``upper``.
    """

    constraint: int
    coefficients: sp.csr_matrix  # shape (1, num_program_vars), already sign-normalised to <=
    rhs: float
    indices: np.ndarray
    weights: np.ndarray
    upper: int = field(default=0)
    higher: Groups = field(default_factory=dict)

    def encode(self, x_program: np.ndarray) -> np.ndarray:
        """Best slack bits for program rows x, shape (k, n_prog) -> (k, len(indices))."""
        lhs = np.asarray(self.coefficients.dot(x_program.T.astype(float))).ravel()
        if self.higher:
            lhs = lhs + groups_values(self.higher, x_program)
        target = np.clip(np.rint(self.rhs - lhs), 0, self.upper).astype(np.int64)
        bits = np.zeros((x_program.shape[0], len(self.weights)), dtype=np.uint8)
        if len(self.weights) == 0:
            return bits
        rest = self.weights[-1]
        use_rest = target >= rest
        remaining = np.where(use_rest, target - rest, target)
        bits[:, -1] = use_rest
        k = len(self.weights) - 1
        bits[:, :k] = (remaining[:, None] >> np.arange(k)[None, :]) & 1
        return bits
