"""QUBO: minimise ``E(x) = x'Ux + c'x + offset`` over x in {0,1}^n, U strictly upper.

The degree <= 2 case of :class:`~qopt.model.hubo.HUBO` (a subclass, with ``terms`` empty).
Bit order follows :mod:`qopt.bits`: variable i is qubit i, bit i of a basis-state index.
The first ``num_program_vars`` variables are the source program's; any further ones are
slack bits added by the conversion, listed in :attr:`QUBO.slack_blocks`, and auxiliary bits of a
quadratisation (:attr:`QUBO.aux_pairs`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from qopt.bits import indices_to_bits
from qopt.errors import OptionError
from qopt.model.checks import number, vector
from qopt.model.hubo import (
    DEFAULT_CHUNK_BITS,
    HUBO,
    MAX_DIAGONAL_VARS,
    SlackBlock,
    _check_num_vars,
)
from qopt.model.ising import Ising
from qopt.model.quadratic import quadratic_values, split_quadratic

__all__ = ["DEFAULT_CHUNK_BITS", "MAX_DIAGONAL_VARS", "QUBO", "Ising", "SlackBlock"]


class QUBO(HUBO):
    """A quadratic unconstrained binary optimisation problem (minimisation).

    Args:
        quadratic: ``x'Mx`` part (dense, sparse or ``{(i, j): w}``); its diagonal is linear.
        linear: shape (n,).
        offset: constant.
        num_vars: n, needed when ``quadratic`` is a mapping or ``None``.
    """

    def __init__(self, quadratic=None, linear=None, offset: float = 0.0, *,
                 num_vars: int | None = None, var_names=None, num_program_vars: int | None = None,
                 slack_blocks: list[SlackBlock] | None = None, penalties=None,
                 aux_pairs: np.ndarray | None = None):
        if num_vars is None:
            if quadratic is not None and hasattr(quadratic, "shape"):
                num_vars = quadratic.shape[0]
            elif linear is not None:
                num_vars = len(vector(linear, None, "linear"))
            else:
                raise OptionError("QUBO needs num_vars when given no matrix or linear part")
        n = _check_num_vars(num_vars)
        self.num_vars = n
        self.quadratic, diag = split_quadratic(quadratic, n)
        self.linear = vector(linear, n, "linear") + diag
        self.offset = number(offset, "offset")
        self.terms = {}
        self._set_maps(var_names, num_program_vars, slack_blocks, penalties, aux_pairs)

    # ---- construction -----------------------------------------------------------------
    @classmethod
    def from_matrix(cls, matrix, offset: float = 0.0) -> QUBO:
        """QUBO ``x'Mx + offset`` from a square numpy / scipy matrix M (diagonal = linear)."""
        try:
            shape = getattr(matrix, "shape", None) or np.shape(matrix)
        except ValueError:
            raise OptionError("a QUBO matrix must be a square array of numbers") from None
        if len(shape) != 2 or shape[0] != shape[1]:
            raise OptionError(f"a QUBO matrix must be square, got shape {tuple(shape)}")
        return cls(matrix, None, offset, num_vars=shape[0])

    def to_matrix(self) -> np.ndarray:
        """Dense upper-triangular M, shape (n, n), with ``E(x) = x'Mx + offset``."""
        m = self.quadratic.toarray()
        m[np.diag_indices(self.num_vars)] += self.linear
        return m

    # ---- evaluation -------------------------------------------------------------------
    def iter_diagonal_chunks(self, chunk_bits: int = DEFAULT_CHUNK_BITS):
        """Yield (start index, energies) over consecutive chunks of the 2^n states."""
        n = self.num_vars
        b = min(n, max(int(chunk_bits), 0))
        h = n - b
        U = self.quadratic.tocsc()
        low_upper = U[:b, :b].toarray()
        low_diag = np.empty(1 << b)
        low_diag[0] = 0.0
        for i in range(b):
            half = 1 << i
            low_diag[half:2 * half] = (low_diag[:half] + self.linear[i]
                                       + _linear_diagonal(low_upper[:i, i]))
        if h == 0:
            yield 0, low_diag + self.offset
            return
        cross = U[:b, b:].toarray()                 # (b, h): coupling low j to high k
        high_upper = U[b:, b:]
        high_lin = self.linear[b:]
        chunk_high = min(h, 10)                     # high configurations handled per batch
        for hs in range(0, 1 << h, 1 << chunk_high):
            H = indices_to_bits(np.arange(hs, min(hs + (1 << chunk_high), 1 << h)), h)
            const = H @ high_lin + quadratic_values(high_upper, H) + self.offset
            lin_low = H.astype(float) @ cross.T    # (batch, b)
            for r in range(H.shape[0]):
                yield (hs + r) << b, low_diag + const[r] + _linear_diagonal(lin_low[r])

    # ---- Ising and operator forms --------------------------------------------------------
    def to_ising(self) -> Ising:
        """Spin form with x_i = (1 - z_i) / 2, z_i = +1 for |0>: E = h.z + z'Jz + offset."""
        U = self.quadratic.tocoo()
        J = sp.csr_matrix((U.data / 4.0, (U.row, U.col)), shape=U.shape)
        qsum = np.bincount(U.row, U.data, self.num_vars) + np.bincount(U.col, U.data, self.num_vars)
        h = -self.linear / 2.0 - qsum / 4.0
        offset = self.offset + self.linear.sum() / 2.0 + U.data.sum() / 4.0
        return Ising(h, J, offset)

    def __repr__(self) -> str:
        return (f"QUBO(n={self.num_vars}, slack={self.num_slack}, "
                f"quadratic_terms={self.quadratic.nnz})")


def _linear_diagonal(weights: np.ndarray) -> np.ndarray:
    """``v[s] = sum_i weights[i] * bit_i(s)`` over all 2^len(weights) states, by doubling."""
    k = len(weights)
    out = np.empty(1 << k)
    out[0] = 0.0
    for i in range(k):
        half = 1 << i
        np.add(out[:half], weights[i], out=out[half:2 * half])
    return out
