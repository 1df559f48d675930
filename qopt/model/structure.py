"""Constraint structure: what a problem's constraints *are*, so solvers can keep to them.

A :class:`ConstraintStructure` describes the rows of a BinaryProgram by kind:

- ``permutation``: an (m, m) int64 index matrix; ``index[i, p]`` is the variable that is 1 when
  item i sits at position p; its rows ("each item once", "each position once") say the m*m
  variables form a permutation matrix.
- ``conflict_edges``: (E, 2) int64 pairs (u, v), u < v, of which at most one may be set
  (rows ``c x_u + c x_v <= c``).
- ``packing``: rows ``A x <= b`` with A >= 0 and b >= 0 (dense float (k, n) and (k,)), other
  than the conflict rows.
- ``one_hot_groups``: disjoint groups of variables with exactly one set (rows ``sum c x = c``),
  in the order of their rows.

Each part records the program rows it accounts for (``*_rows``), so a mixer that preserves a
part knows which rows must stay as penalties. :func:`detect_structure` reads the structure off a
bare program where it is unambiguous; problem classes may declare it directly
(``Problem.constraint_structure``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from qopt.model.program import BinaryProgram

_EMPTY_EDGES = np.zeros((0, 2), dtype=np.int64)


@dataclass(frozen=True, eq=False)
class ConstraintStructure:
    """Constraint structure of a program of ``num_vars`` variables (see module docstring).

    ``num_rows`` is the program's number of constraint rows; rows in none of the ``*_rows``
    tuples are "other" rows, which only penalties can express.
    """

    num_vars: int
    num_rows: int = 0
    permutation: np.ndarray | None = None
    permutation_rows: tuple[int, ...] = ()
    conflict_edges: np.ndarray = field(default_factory=lambda: _EMPTY_EDGES)
    conflict_rows: tuple[int, ...] = ()
    packing_A: np.ndarray | None = None
    packing_b: np.ndarray | None = None
    packing_rows: tuple[int, ...] = ()
    one_hot_groups: tuple[tuple[int, ...], ...] = ()
    one_hot_rows: tuple[int, ...] = ()

    @property
    def has_permutation(self) -> bool:
        return self.permutation is not None

    @property
    def has_conflicts(self) -> bool:
        return len(self.conflict_edges) > 0

    @property
    def has_packing(self) -> bool:
        return self.packing_A is not None and self.packing_A.shape[0] > 0

    @property
    def has_one_hot(self) -> bool:
        return len(self.one_hot_groups) > 0

    @property
    def is_empty(self) -> bool:
        return not (self.has_permutation or self.has_conflicts or self.has_packing
                    or self.has_one_hot)

    def all_packing(self) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
        """Every ``<=`` row with non-negative coefficients as one packing system: the conflict
        rows (as ``x_u + x_v <= 1``) stacked over the packing rows: (A (k, n), b (k,), rows)."""
        n = self.num_vars
        e = self.conflict_edges
        conf = np.zeros((len(e), n))
        conf[np.arange(len(e)), e[:, 0]] = 1.0
        conf[np.arange(len(e)), e[:, 1]] = 1.0
        A = conf if self.packing_A is None else np.vstack([conf, self.packing_A])
        b = np.ones(len(e)) if self.packing_b is None else np.r_[np.ones(len(e)), self.packing_b]
        return A, b, self.conflict_rows + self.packing_rows

    def other_rows(self) -> tuple[int, ...]:
        """Rows no part of the structure accounts for."""
        known = set(self.permutation_rows) | set(self.conflict_rows) | set(self.packing_rows) \
            | set(self.one_hot_rows)
        return tuple(r for r in range(self.num_rows) if r not in known)

    def describe(self) -> dict:
        """Plain summary for ``info`` and reports."""
        return {"permutation_size": (None if self.permutation is None
                                     else int(self.permutation.shape[0])),
                "conflict_edges": len(self.conflict_edges),
                "packing_rows": int(0 if self.packing_A is None else self.packing_A.shape[0]),
                "one_hot_groups": len(self.one_hot_groups),
                "other_rows": len(self.other_rows())}


def _row_kinds(program: BinaryProgram):
    """Per row: support (list of int arrays) and whether it is one-hot (``==``
    with all coefficients equal to the rhs > 0), a conflict (``<=`` with two coefficients equal
    to the rhs > 0) or packing (``<=``, coefficients >= 0, rhs >= 0)."""
    A = sp.csr_matrix(program.A)
    supports = []
    one_hot, conflict, packing = [], [], []
    for r, (sense, rhs) in enumerate(zip(program.constraint_senses, program.rhs_list,
                                         strict=True)):
        lo, hi = A.indptr[r], A.indptr[r + 1]
        idx, val = A.indices[lo:hi].astype(np.int64), A.data[lo:hi]
        supports.append(idx)
        if r in program.row_terms:      # a row with products of bits: no structure, "other"
            one_hot.append(False)
            conflict.append(False)
            packing.append(False)
            continue
        same = idx.size > 0 and rhs > 0 and bool(np.all(val == rhs))
        one_hot.append(sense == "==" and same)
        conflict.append(sense == "<=" and same and idx.size == 2)
        packing.append(sense == "<=" and idx.size > 0 and rhs >= 0 and bool(np.all(val >= 0)))
    return supports, np.array(one_hot, bool), np.array(conflict, bool), \
        np.array(packing, bool)


def _detect_permutation(n: int, supports, one_hot_rows: np.ndarray):
    """(index (m, m), rows) when the one-hot rows are exactly two families of m disjoint rows
    each meeting every row of the other family in one variable; else (None, ())."""
    rows = np.flatnonzero(one_hot_rows)
    if rows.size < 2 or rows.size % 2:
        return None, ()
    m = rows.size // 2
    R = np.zeros((rows.size, n), dtype=np.int64)
    for k, r in enumerate(rows):
        R[k, supports[r]] = 1
    meet = R @ R.T
    first = meet[0] == 0
    first[0] = True
    if first.sum() != m:
        return None, ()
    F1, F2 = R[first], R[~first]
    diag = np.eye(m, dtype=np.int64) * m
    if (np.any(diag != F1 @ F1.T) or np.any(diag != F2 @ F2.T)
            or np.any(F1 @ F2.T != 1) or np.any(F1.sum(axis=0) != F2.sum(axis=0))):
        return None, ()
    # index[i, p] = the one variable of item row i and position row p
    both = F1[:, None, :] * F2[None, :, :]
    index = both.argmax(axis=2).astype(np.int64)
    return index, tuple(int(r) for r in rows)


def detect_structure(program: BinaryProgram) -> ConstraintStructure:
    """Constraint structure read off a bare program (see module docstring).

    Unambiguous patterns only: a permutation when the ``==`` one-hot rows form two families of
    m disjoint rows meeting in one variable each (and nothing else is one-hot); conflict pairs
    ``c x_u + c x_v <= c``; packing rows (``<=``, A >= 0, b >= 0); one-hot groups: the one-hot
    rows taken in order, each kept when disjoint from the groups kept before it.
    """
    n = program.num_vars
    supports, one_hot, conflict, packing = _row_kinds(program)
    num_rows = len(supports)
    perm, perm_rows = _detect_permutation(n, supports, one_hot)
    groups, group_rows, used = [], [], np.zeros(n, bool)
    for r in np.flatnonzero(one_hot):
        idx = supports[r]
        if not used[idx].any():
            used[idx] = True
            groups.append(tuple(int(i) for i in idx))
            group_rows.append(int(r))
    conf_rows = np.flatnonzero(conflict)
    edges = (np.sort(np.array([supports[r] for r in conf_rows], dtype=np.int64), axis=1)
             if conf_rows.size else _EMPTY_EDGES)
    pack_rows = np.flatnonzero(packing & ~conflict)
    pack_A = pack_b = None
    if pack_rows.size:
        pack_A = np.asarray(program.A[pack_rows].toarray(), dtype=float)
        pack_b = program.rhs[pack_rows].astype(float)
    return ConstraintStructure(
        num_vars=n, num_rows=num_rows, permutation=perm, permutation_rows=perm_rows,
        conflict_edges=edges, conflict_rows=tuple(int(r) for r in conf_rows),
        packing_A=pack_A, packing_b=pack_b, packing_rows=tuple(int(r) for r in pack_rows),
        one_hot_groups=tuple(groups), one_hot_rows=tuple(group_rows))
