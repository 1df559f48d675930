"""BinaryProgram -> HUBO / QUBO: objective to minimisation form, constraints to penalties.

Encodings of an inequality ``a.x <= b`` (``>=`` rows are negated first):
- ``"slack"``: P (a.x + s - b)^2 with an integer slack s in [0, b - min a.x] written in
  ceil(log2) binary slack bits (weights 1, 2, 4, ..., remainder); exact, costs qubits.
- ``"unbalanced"`` (Montanez-Barrera et al. 2022): with h = b - a.x, the term
  P (-l1 h + l2 h^2) needs no slack bits; it is not exact, so feasible energies shift.
At-most-one rows (all coefficients 1, b = 1) become P sum_{i<j} x_i x_j under either encoding,
and equalities become P (a.x - b)^2.

Rows with a part of degree >= 2, ``g(x) = a.x + (products of bits)``, are penalised exactly the
same way with the polynomial g in place of a.x (``P (g - b)^2``, or ``P (g + s - b)^2`` with an
integer slack s in [0, b - min g], where min g is the sum of g's negative coefficients); a row
``g <= 0`` whose coefficients are all >= 0 (``x y z <= 0``: "not all three") becomes ``P g``,
products of bits without squaring. The penalty's degree is twice the row's (once for ``P g``).
Which rule each row got is recorded in ``constraint_handling``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from qopt.errors import OptionError
from qopt.model.hubo import HUBO
from qopt.model.penalty import resolve_penalties
from qopt.model.poly import Groups, add_groups, merge
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


def _poly_dict(idx: np.ndarray, coef: np.ndarray, higher: Groups) -> dict:
    """A row's polynomial as ``{(i, ...): c}`` (linear part idx / coef plus ``higher``)."""
    out = {(int(i),): float(c) for i, c in zip(idx.tolist(), coef.tolist(), strict=True)}
    for hidx, hcoef in higher.values():
        for row, c in zip(hidx.tolist(), hcoef.tolist(), strict=True):
            out[tuple(row)] = out.get(tuple(row), 0.0) + c
    return out


def _square(poly: dict, b: float, weight: float) -> dict:
    """weight * (poly - b)^2 expanded over bits (x^2 = x), as ``{(i, ...): c}``."""
    items = list(poly.items()) + ([((), -b)] if b else [])
    out: dict = {}
    for a_i, (ka, va) in enumerate(items):
        for kb, vb in items[a_i:]:
            k = tuple(sorted(set(ka) | set(kb)))
            out[k] = out.get(k, 0.0) + weight * va * vb * (1.0 if ka == kb else 2.0)
    return out


def _groups_of(poly: dict) -> Groups:
    by: dict[int, tuple[list, list]] = {}
    for k, v in poly.items():
        rows, vals = by.setdefault(len(k), ([], []))
        rows.append(k)
        vals.append(v)
    return {d: merge(np.asarray(r, dtype=np.int32).reshape(len(r), d), np.asarray(v, float))
            for d, (r, v) in by.items()}


def program_to_qubo(program: BinaryProgram, *, penalty="auto", encoding: str = "slack",
                    unbalanced: tuple[float, float] = UNBALANCED_DEFAULT) -> QUBO:
    """Convert ``program`` to a QUBO (minimisation). Slack bits come after the program's
    variables; the QUBO records them (``slack_blocks``) and the weights used (``penalties``).
    A program of higher degree is converted by :func:`program_to_hubo` and quadratised
    (:func:`qopt.model.quadratise.quadratise`: auxiliary bits after the slack bits, a proven-safe
    strength, recorded in the QUBO's ``quadratisation``)."""
    hubo = program_to_hubo(program, penalty=penalty, encoding=encoding, unbalanced=unbalanced)
    return hubo if isinstance(hubo, QUBO) else hubo.quadratise()


def program_to_hubo(program: BinaryProgram, *, penalty="auto", encoding: str = "slack",
                    unbalanced: tuple[float, float] = UNBALANCED_DEFAULT) -> HUBO:
    """Convert ``program`` to a HUBO (minimisation): a :class:`QUBO` when everything is of
    degree <= 2, else a :class:`HUBO` with no auxiliary bits. Slack bits come after the
    program's variables (``slack_blocks``); ``penalties`` holds the weights used and
    ``constraint_handling`` how each row was expressed."""
    if not isinstance(encoding, str) or encoding not in ENCODINGS:
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
    handling: dict[str, str] = {}
    poly: list[dict] = []
    for r in range(program.num_constraints):
        row = A.getrow(r)
        idx, coef = row.indices.astype(np.int64), row.data.astype(float)
        b, sense, w = program.rhs_list[r], program.constraint_senses[r], float(weights[r])
        cname = program.constraint_names[r]
        if r in program.row_terms:
            next_var = _poly_row(program, r, w, encoding, unbalanced, terms, poly, blocks,
                                 names, handling, next_var)
            continue
        if sense == ">=":
            coef, b = -coef, -b
        lo, hi = coef[coef < 0].sum(), coef[coef > 0].sum()
        if sense == "==" or (encoding == "slack" and abs(b - lo) < 1e-12):
            terms.add_square(idx, coef, b, w)  # equality, or "<=" only tight at its minimum
            handling[cname] = "penalty (square)"
            continue
        if hi <= b + 1e-12:
            handling[cname] = "never violated"
            continue                          # never violated: no term at all
        if np.all(coef == 1.0) and b == 1.0:
            terms.add_pairs(idx, w)           # at most one: exact, no slack
            handling[cname] = "penalty (at most one)"
            continue
        if encoding == "unbalanced":
            handling[cname] = "penalty (unbalanced)"
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
        handling[cname] = f"slack ({len(sw)} bits)"
    total = next_var
    linear = np.zeros(total)
    linear[:n] = c
    for i, v in terms.linear.items():
        linear[i] += v
    Uc = U.tocoo()
    Q = terms.matrix(total) + sp.csr_matrix((Uc.data, (Uc.row, Uc.col)), shape=(total, total))
    maps = dict(var_names=names, num_program_vars=n, slack_blocks=blocks, penalties=weights)
    higher = program.minimisation_terms()
    if not higher and not poly:
        out = QUBO(Q, linear, terms.offset, num_vars=total, **maps)
    else:
        Qc = Q.tocoo()
        base: Groups = {2: merge(np.stack([Qc.row, Qc.col], axis=1), Qc.data)} if Qc.nnz else {}
        parts = [base, {1: (np.arange(total, dtype=np.int32).reshape(-1, 1), linear)},
                 {0: (np.zeros((1, 0), np.int32), np.array([terms.offset]))}, higher,
                 *(_groups_of(pp) for pp in poly)]
        out = HUBO.from_groups(add_groups(*parts), total, **maps)
        if not out.terms:
            out = out.to_qubo()
    out.constraint_handling = handling
    return out


def _poly_row(program, r, w, encoding, unbalanced, terms, poly, blocks, names, handling,
              next_var) -> int:
    """Penalty of one row with a part of degree >= 2 (see the module docstring); returns the
    next free variable index."""
    A = program.A
    lo_i, hi_i = A.indptr[r], A.indptr[r + 1]
    row = _poly_dict(A.indices[lo_i:hi_i], A.data[lo_i:hi_i], program.row_terms[r])
    b, sense = program.rhs_list[r], program.constraint_senses[r]
    cname = program.constraint_names[r]
    if sense == ">=":
        row, b = {k: -v for k, v in row.items()}, -b
    vals = np.fromiter(row.values(), float, len(row))
    lo, hi = vals[vals < 0].sum(), vals[vals > 0].sum()
    if sense == "<=" and hi <= b + 1e-12:
        handling[cname] = "never violated"
        return next_var
    if sense == "<=" and abs(b) < 1e-12 and lo >= 0:
        poly.append({k: w * v for k, v in row.items()})     # sum of products, each must be 0
        handling[cname] = "penalty (products)"
        return next_var
    if sense == "==" or (encoding == "slack" and abs(b - lo) < 1e-12):
        poly.append(_square(row, b, w))
        handling[cname] = "penalty (square)"
        return next_var
    if encoding == "unbalanced":
        l1, l2 = unbalanced
        pen = _square(row, b, w * l2)
        for k, v in row.items():
            pen[k] = pen.get(k, 0.0) + w * l1 * v
        pen[()] = pen.get((), 0.0) - w * l1 * b
        poly.append(pen)
        handling[cname] = "penalty (unbalanced)"
        return next_var
    if not (np.allclose(vals, np.rint(vals)) and abs(b - round(b)) < 1e-9):
        raise OptionError(f"constraint {cname!r} has fractional coefficients; binary slack "
                          "needs integers: scale it, or use encoding='unbalanced'")
    upper = round(b - lo)
    sw = slack_weights(upper)
    sidx = np.arange(next_var, next_var + len(sw), dtype=np.int64)
    names += [f"s{r}_{k}" for k in range(len(sw))]
    full = dict(row)
    for i, wk in zip(sidx.tolist(), sw.tolist(), strict=True):
        full[(i,)] = float(wk)
    poly.append(_square(full, b, w))
    n = program.num_vars
    sign = -1.0 if sense == ">=" else 1.0
    lin = sp.csr_matrix((sign * A.data[lo_i:hi_i], (np.zeros(hi_i - lo_i, np.int64),
                                                    A.indices[lo_i:hi_i])), shape=(1, n))
    higher = {d: (idx, sign * coef) for d, (idx, coef) in program.row_terms[r].items()}
    blocks.append(SlackBlock(r, lin, b, sidx, sw, upper, higher))
    handling[cname] = f"slack ({len(sw)} bits)"
    return next_var + len(sw)
