"""The MILP handed to HiGHS: a BinaryProgram with its products of binaries linearised.

Products of binaries (a quadratic or higher-order objective, rows with products) are linearised
exactly with one continuous y_T in [0, 1] per distinct product ``prod_{i in T} x_i``:
``y_T <= x_i`` for each i in T and ``y_T >= sum_{i in T} x_i - (|T| - 1)`` force ``y_T`` to the
product for binary x. A product only in the objective gets only the inequalities its
(minimisation) coefficient needs -- the lower one for a positive coefficient, the upper ones for
a negative one -- and equals the product at an optimum. Optional clique inequalities strengthen
rows ``x_i + x_j <= 1`` (:func:`_clique_cover`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from qopt.errors import SizeLimitError
from qopt.model.program import BinaryProgram


@dataclass
class MilpModel:
    """The MILP handed to HiGHS: minimise ``c.z`` s.t. ``lo <= A z <= hi``, z in bounds.

    The first ``num_vars`` columns are the program's binaries, the rest are linearisation
    variables y (continuous in [0, 1]); ``offset`` is the objective's constant.
    """

    c: np.ndarray
    A: sp.csr_matrix
    lo: np.ndarray
    hi: np.ndarray
    integrality: np.ndarray
    num_vars: int
    offset: float
    num_linearised: int
    num_clique_rows: int
    col_lower: np.ndarray | None = None     # None: 0 for every column
    col_upper: np.ndarray | None = None     # None: 1 for every column


def _products(program: BinaryProgram):
    """Every distinct product of >= 2 bits in the objective or a row: per degree d,
    (keys (t_d, d), objective coefficient (t_d,), whether it occurs in a row (t_d,), row
    entries (rows, column ids within the degree, coefficients))."""
    _, U, _ = program.minimisation_objective()
    U = U.tocoo()
    obj: dict[int, tuple[list, list]] = {}
    rows: dict[int, tuple[list, list, list]] = {}
    if U.nnz:
        obj[2] = ([np.stack([U.row, U.col], axis=1)], [U.data])
    for d, (idx, coef) in program.minimisation_terms().items():
        keys, vals = obj.setdefault(d, ([], []))
        keys.append(idx)
        vals.append(coef)
    for r, groups in program.row_terms.items():
        for d, (idx, coef) in groups.items():
            ks, rs, vs = rows.setdefault(d, ([], [], []))
            ks.append(idx)
            rs.append(np.full(len(coef), r))
            vs.append(coef)
    out = {}
    for d in sorted(set(obj) | set(rows)):
        okeys = np.concatenate(obj[d][0]) if d in obj else np.zeros((0, d), np.int64)
        ovals = np.concatenate(obj[d][1]) if d in obj else np.zeros(0)
        rkeys = np.concatenate(rows[d][0]) if d in rows else np.zeros((0, d), np.int64)
        keys, inverse = np.unique(np.concatenate([okeys, rkeys]).astype(np.int64), axis=0,
                                  return_inverse=True)
        inverse = inverse.reshape(-1)
        cobj = np.bincount(inverse[:len(okeys)], ovals, minlength=len(keys))
        in_row = np.zeros(len(keys), dtype=bool)
        in_row[inverse[len(okeys):]] = True
        entries = ((np.concatenate(rows[d][1]), inverse[len(okeys):],
                    np.concatenate(rows[d][2])) if d in rows else None)
        out[d] = (keys, cobj, in_row, entries)
    return out


def linearise(program: BinaryProgram, *, max_linearised_terms: int = 5000,
              clique_cuts: bool = False) -> MilpModel:
    """The MILP of ``program`` in minimisation form (see module docstring)."""
    n = program.num_vars
    c, _, off = program.minimisation_objective()
    products = _products(program)
    t = sum(len(p[0]) for p in products.values())
    if t > max_linearised_terms:
        raise SizeLimitError(
            f"the program has {t} terms (products of binaries) to linearise, over the limit "
            f"max_linearised_terms = {max_linearised_terms} (raise the option to allow it)")
    rows, cols, vals, lo, hi = [], [], [], [], []
    A = program.A.tocoo()
    rhs = program.rhs
    senses = np.asarray(program.constraint_senses, dtype=object)
    rows.append(A.row)
    cols.append(A.col)
    vals.append(A.data)
    lo.append(np.where(senses == "<=", -np.inf, rhs).astype(float))
    hi.append(np.where(senses == ">=", np.inf, rhs).astype(float))
    m = program.num_constraints
    cost = [c]
    first = n
    for d, (keys, cobj, in_row, entries) in products.items():
        y = first + np.arange(len(keys))
        cost.append(cobj)
        if entries is not None:                 # the products' coefficients in their rows
            rows.append(entries[0])
            cols.append(y[entries[1]])
            vals.append(entries[2])
        need_lo = np.flatnonzero(in_row | (cobj > 0))
        need_hi = np.flatnonzero(in_row | (cobj < 0))
        # sum_i x_i - y <= d - 1
        r = m + np.arange(need_lo.size)
        rows += [np.repeat(r, d), r]
        cols += [keys[need_lo].ravel(), y[need_lo]]
        vals += [np.ones(need_lo.size * d), -np.ones(need_lo.size)]
        lo.append(np.full(need_lo.size, -np.inf))
        hi.append(np.full(need_lo.size, d - 1.0))
        m += need_lo.size
        # y - x_i <= 0 for each i
        k = need_hi.size * d
        r = m + np.arange(k)
        rows += [r, r]
        cols += [np.repeat(y[need_hi], d), keys[need_hi].ravel()]
        vals += [np.ones(k), -np.ones(k)]
        lo.append(np.full(k, -np.inf))
        hi.append(np.zeros(k))
        m += k
        first += len(keys)
    num_clique = 0
    if clique_cuts:
        cliques = _clique_cover(program)
        for clique in cliques:
            rows.append(np.full(len(clique), m))
            cols.append(np.asarray(clique))
            vals.append(np.ones(len(clique)))
            lo.append(np.array([-np.inf]))
            hi.append(np.array([1.0]))
            m += 1
        num_clique = len(cliques)
    matrix = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(m, n + t))
    integrality = np.concatenate([np.ones(n), np.zeros(t)])
    return MilpModel(np.concatenate(cost), matrix, np.concatenate(lo), np.concatenate(hi),
                     integrality, n, float(off), t, num_clique)


def _clique_cover(program: BinaryProgram) -> list[list[int]]:
    """Greedy cover of the conflict edges (rows ``x_i + x_j <= 1``) by cliques of size >= 3.

    Edges are taken in order; each uncovered edge grows into a maximal clique by adding, in
    order of degree, vertices adjacent to every member. Only cliques of 3+ vertices are
    returned (pairs are the program's own rows).
    """
    A = program.A.tocsr()
    rhs = program.rhs
    senses = program.constraint_senses
    counts = np.diff(A.indptr)
    edges = [tuple(sorted(A.indices[A.indptr[r]:A.indptr[r + 1]].tolist()))
             for r in range(A.shape[0])
             if counts[r] == 2 and senses[r] == "<=" and rhs[r] == 1.0
             and r not in program.row_terms and np.all(A.data[A.indptr[r]:A.indptr[r + 1]] == 1.0)]
    if not edges:
        return []
    adj: dict[int, set[int]] = {}
    for i, j in edges:
        adj.setdefault(i, set()).add(j)
        adj.setdefault(j, set()).add(i)
    covered: set[tuple[int, int]] = set()
    cliques = []
    for i, j in edges:
        if (i, j) in covered:
            continue
        clique = [i, j]
        candidates = adj[i] & adj[j]
        while candidates:
            v = max(candidates, key=lambda u: (len(adj[u] & candidates), -u))
            clique.append(v)
            candidates &= adj[v]
        for a in range(len(clique)):
            for b in range(a + 1, len(clique)):
                covered.add((min(clique[a], clique[b]), max(clique[a], clique[b])))
        if len(clique) >= 3:
            cliques.append(sorted(clique))
    return cliques


#: HiGHS model status name -> qopt status; a limit's status gains "_no_incumbent" when HiGHS
#: found no solution. Every status not listed (model / load / presolve / solve / postsolve
#: errors, interrupts, unknown) raises SolverError; a memory limit raises SizeLimitError.
