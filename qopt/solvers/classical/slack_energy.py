"""The QUBO energy with every slack block at its best value, as a function of program bits.

A slack-encoded inequality ``a.x <= b`` enters the QUBO as ``P (a.x + w.s - b)^2`` with slack
bits s whose integer value ``S = w.s`` spans exactly ``0..upper``, ``upper = b - min a.x``
(:func:`qopt.model.convert.program_to_qubo`). With ``g = a.x - b >= -upper``::

    min_s P (g + S)^2 = P max(g, 0)^2        (S = -g when g < 0, else S = 0)

so, writing ``E0(x) = E(x, s = 0)`` (the QUBO restricted to the program bits, which already holds
``P g^2``), the energy minimised over all slack bits is the closed form::

    E*(x) = E0(x) - sum_blocks P_b min(g_b, 0)^2

and ``E*(x) == qubo.energy(qubo.complete(x))``: the completion :meth:`QUBO.complete` writes is
this minimiser. Flipping program bit i changes it by ``(1 - 2 x_i) F_i`` (F the local field of
E0) plus, for each block holding i, ``P_b (min(g_b, 0)^2 - min(g_b + a_bi dx, 0)^2)``: an O(1)
update per block, so an annealer can move an item and its slack together in one proposal.

:func:`slack_reduction` reads the blocks from the QUBO (``slack_blocks``, ``penalties``) and
checks that the QUBO's slack terms are exactly these squares; any other QUBO (hand-built,
modified, unbalanced encoding) gets ``None`` and is annealed over all its bits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from qopt.model.qubo import QUBO

#: relative tolerance of the check that the QUBO's slack terms are the blocks' squares
_MATCH_RTOL = 1e-9


@dataclass
class SlackReduction:
    """E*(x) over the program bits of ``qubo`` (see module docstring).

    Attributes:
        qubo: the QUBO reduced.
        program: E0, the QUBO over the first ``n_prog`` variables with slack bits at 0.
        rows: shape (m, n_prog) CSR, the blocks' sign-normalised coefficients a_b.
        rhs: shape (m,), b of each block.
        penalty: shape (m,), P_b of each block.
    """

    qubo: QUBO
    program: QUBO
    rows: sp.csr_matrix
    rhs: np.ndarray
    penalty: np.ndarray

    @property
    def num_blocks(self) -> int:
        return len(self.rhs)

    def excess(self, X: np.ndarray) -> np.ndarray:
        """g = A x - b per row of X (k, n_prog) -> (k, m), float64."""
        X = np.atleast_2d(X)
        return np.asarray(self.rows.dot(X.T.astype(np.float64))).T - self.rhs[None, :]

    def energy(self, X: np.ndarray) -> np.ndarray:
        """E*(x) per row of X (k, n_prog) -> (k,)."""
        X = np.atleast_2d(X)
        below = np.minimum(self.excess(X), 0.0)
        return np.asarray(self.program.energy(X)) - (below * below) @ self.penalty

    def free_part(self) -> QUBO:
        """E0 without the blocks' squares ``P_b (a_b.x - b_b)^2``: the energy of x while no
        block is over its bound (objective and the penalties without slack); near-zero
        remainders of the subtraction are dropped."""
        n = self.program.num_vars
        A = self.rows.multiply(np.sqrt(self.penalty)[:, None]).tocsr()
        square = (A.T @ A).tocsr()                               # sum_b P_b a_b a_b'
        upper = sp.triu(square, 1) * 2.0
        lin = (self.program.linear - square.diagonal()
               + 2.0 * np.asarray(self.rows.T @ (self.penalty * self.rhs)).ravel())
        U = (self.program.quadratic - upper).tocsr()
        scale = max(_abs_max(self.program.quadratic), float(np.abs(lin).max(initial=0.0)), 1.0)
        U.data[np.abs(U.data) <= 1e-9 * scale] = 0.0
        U.eliminate_zeros()
        lin[np.abs(lin) <= 1e-9 * scale] = 0.0
        return QUBO(U, lin, self.program.offset - float(self.penalty @ self.rhs ** 2),
                    num_vars=n)

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ptr, block, coefficient): for program bit i, entries ``ptr[i]:ptr[i+1]`` list the
        blocks holding i and a_bi (CSC of ``rows``), int64 / int64 / float64."""
        csc = self.rows.tocsc()
        csc.sort_indices()
        return (csc.indptr.astype(np.int64), csc.indices.astype(np.int64),
                csc.data.astype(np.float64))


def slack_reduction(qubo: QUBO) -> SlackReduction | None:
    """The reduction of ``qubo`` when its slack bits are exactly its slack blocks' squares,
    else None (no slack bits, unknown penalties, or slack terms that differ)."""
    n, n_prog = qubo.num_vars, qubo.num_program_vars
    blocks = qubo.slack_blocks
    if n == n_prog or not blocks or qubo.penalties is None or qubo.terms \
            or any(b.higher for b in blocks):
        return None                     # (a HUBO, or rows with products: not linear blocks)
    covered = np.concatenate([b.indices for b in blocks])
    if not np.array_equal(np.sort(covered), np.arange(n_prog, n)):
        return None
    penalties = np.asarray(qubo.penalties, dtype=float)
    if any(not 0 <= b.constraint < len(penalties) for b in blocks):
        return None
    pen = np.array([penalties[b.constraint] for b in blocks])
    rows = sp.vstack([b.coefficients for b in blocks]).tocsr()
    rhs = np.array([b.rhs for b in blocks], dtype=float)
    if rows.shape[1] != n_prog or not _slack_terms_match(qubo, blocks, pen):
        return None
    U = qubo.quadratic.tocsr()
    program = QUBO(U[:n_prog, :n_prog], qubo.linear[:n_prog], qubo.offset, num_vars=n_prog)
    return SlackReduction(qubo, program, rows, rhs, pen)


def _slack_terms_match(qubo: QUBO, blocks, pen: np.ndarray) -> bool:
    """Whether every QUBO term touching a slack bit is ``P (w.s)^2 + 2 P (a.x - b)(w.s)``."""
    n, n_prog = qubo.num_vars, qubo.num_program_vars
    r, c, v = [], [], []
    lin = np.zeros(n - n_prog)
    for block, p in zip(blocks, pen):
        w = block.weights.astype(float)
        s = block.indices
        lin[s - n_prog] = p * (w * w - 2.0 * block.rhs * w)
        jj, kk = np.triu_indices(len(s), 1)                      # slack-slack pairs
        r.append(s[jj])
        c.append(s[kk])
        v.append(2.0 * p * w[jj] * w[kk])
        a = block.coefficients.tocoo()                           # program-slack pairs
        r.append(np.repeat(a.col, len(s)))
        c.append(np.tile(s, a.nnz))
        v.append(2.0 * p * np.outer(a.data, w).ravel())
    expected = sp.csr_matrix((np.concatenate(v), (np.concatenate(r), np.concatenate(c))),
                             shape=(n, n))[:, n_prog:]
    actual = qubo.quadratic.tocsr()[:, n_prog:]
    diff = (actual - expected).tocsr()
    scale = max(float(np.abs(lin).max(initial=0.0)), _abs_max(expected), 1.0)
    return bool(_abs_max(diff) <= _MATCH_RTOL * scale
                and np.allclose(qubo.linear[n_prog:], lin, rtol=_MATCH_RTOL,
                                atol=_MATCH_RTOL * scale))


def _abs_max(matrix: sp.spmatrix) -> float:
    return float(np.abs(matrix.data).max(initial=0.0))


__all__ = ["SlackReduction", "slack_reduction"]
