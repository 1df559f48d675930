"""BinaryProgram -> QUBO: objective to minimisation form, constraints to penalties.

Encodings of an inequality ``a.x <= b`` (``>=`` rows are negated first):
- ``"slack"``: P (a.x + s - b)^2 with an integer slack s in [0, b - min a.x] written in
  ceil(log2) binary slack bits (weights 1, 2, 4, ..., remainder); exact, costs qubits.
- ``"unbalanced"`` (Montanez-Barrera et al. 2022): with h = b - a.x, the term
  P (-l1 h + l2 h^2) needs no slack bits; it is not exact, so feasible energies shift.
At-most-one rows (all coefficients 1, b = 1) become P sum_{i<j} x_i x_j under either encoding,
and equalities become P (a.x - b)^2.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from qopt.errors import OptionError
from qopt.model.penalty import resolve_penalties
from qopt.model.program import BinaryProgram
from qopt.model.qubo import QUBO, SlackBlock

ENCODINGS = ("slack", "unbalanced")
#: default (l1, l2) of unbalanced penalisation, from Montanez-Barrera et al. (knapsack, TSP)
UNBALANCED_DEFAULT = (0.96, 0.0371)


def slack_weights(upper: int) -> np.ndarray:
    """Integer weights 1, 2, ..., 2^(k-1), upper - (2^k - 1) spanning exactly 0..upper."""
    if upper <= 0:
        return np.zeros(0, dtype=np.int64)
    k = int(upper).bit_length() - 1
    w = [1 << i for i in range(k)]
    rest = upper - ((1 << k) - 1)
    return np.asarray([*w, rest], dtype=np.int64)


class _Terms:
    """Accumulates COO quadratic terms and a dense linear part for the QUBO under build."""

    def __init__(self):
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.linear: dict[int, float] = {}
        self.offset = 0.0

    def add_square(self, idx: np.ndarray, coef: np.ndarray, b: float, weight: float) -> None:
        """weight * (coef . v[idx] - b)^2, expanded using v^2 = v."""
        ii, jj = np.triu_indices(len(idx), 1)
        self.rows.append(idx[ii])
        self.cols.append(idx[jj])
        self.vals.append(2.0 * weight * coef[ii] * coef[jj])
        self.add_linear(idx, weight * (coef * coef - 2.0 * b * coef))
        self.offset += weight * b * b

    def add_pairs(self, idx: np.ndarray, weight: float) -> None:
        ii, jj = np.triu_indices(len(idx), 1)
        self.rows.append(idx[ii])
        self.cols.append(idx[jj])
        self.vals.append(np.full(len(ii), weight))

    def add_linear(self, idx: np.ndarray, values: np.ndarray) -> None:
        for i, v in zip(idx.tolist(), np.broadcast_to(values, idx.shape).tolist()):
            self.linear[i] = self.linear.get(i, 0.0) + v

    def matrix(self, n: int) -> sp.csr_matrix:
        if not self.rows:
            return sp.csr_matrix((n, n))
        r, c, v = (np.concatenate(a) for a in (self.rows, self.cols, self.vals))
        return sp.csr_matrix((v, (r, c)), shape=(n, n))


def program_to_qubo(program: BinaryProgram, *, penalty="auto", encoding: str = "slack",
                    unbalanced: tuple[float, float] = UNBALANCED_DEFAULT) -> QUBO:
    """Convert ``program`` to a QUBO (minimisation). Slack bits come after the program's
    variables; the QUBO records them (``slack_blocks``) and the weights used (``penalties``)."""
    if encoding not in ENCODINGS:
        raise OptionError(f"encoding must be one of {ENCODINGS}, got {encoding!r}")
    weights = resolve_penalties(program, penalty)
    n = program.num_vars
    c, U, off = program.minimisation_objective()
    terms = _Terms()
    terms.offset = off
    blocks: list[SlackBlock] = []
    next_var = n
    names = list(program.var_names)
    A = program.A
    for r in range(program.num_constraints):
        row = A.getrow(r)
        idx, coef = row.indices.astype(np.int64), row.data.astype(float)
        b, sense, w = program.rhs_list[r], program.constraint_senses[r], float(weights[r])
        if sense == ">=":
            coef, b = -coef, -b
        lo, hi = coef[coef < 0].sum(), coef[coef > 0].sum()
        if sense == "==" or (encoding == "slack" and abs(b - lo) < 1e-12):
            terms.add_square(idx, coef, b, w)  # equality, or "<=" only tight at its minimum
            continue
        if hi <= b + 1e-12:
            continue                          # never violated: no term at all
        if np.all(coef == 1.0) and b == 1.0:
            terms.add_pairs(idx, w)           # at most one: exact, no slack
            continue
        if encoding == "unbalanced":
            l1, l2 = unbalanced
            # P(-l1 h + l2 h^2), h = b - a.x  ==  P l2 (a.x - b)^2 + P l1 (a.x - b)
            terms.add_square(idx, coef, b, w * l2)
            terms.add_linear(idx, w * l1 * coef)
            terms.offset -= w * l1 * b
            continue
        if not (np.allclose(coef, np.rint(coef)) and abs(b - round(b)) < 1e-9):
            raise OptionError(
                f"constraint {program.constraint_names[r]!r} has fractional coefficients; "
                "binary slack needs integers: scale it, or use encoding='unbalanced'")
        upper = round(b - lo)
        sw = slack_weights(upper)
        sidx = np.arange(next_var, next_var + len(sw), dtype=np.int64)
        names += [f"s{r}_{k}" for k in range(len(sw))]
        next_var += len(sw)
        terms.add_square(np.concatenate([idx, sidx]), np.concatenate([coef, sw.astype(float)]),
                         b, w)
        blocks.append(SlackBlock(r, sp.csr_matrix((coef, (np.zeros_like(idx), idx)), shape=(1, n)),
                                 b, sidx, sw, upper))
    total = next_var
    linear = np.zeros(total)
    linear[:n] = c
    for i, v in terms.linear.items():
        linear[i] += v
    Uc = U.tocoo()
    Q = terms.matrix(total) + sp.csr_matrix((Uc.data, (Uc.row, Uc.col)), shape=(total, total))
    return QUBO(Q, linear, terms.offset, num_vars=total, var_names=names, num_program_vars=n,
                slack_blocks=blocks, penalties=weights)
