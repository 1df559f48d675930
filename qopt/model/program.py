"""BinaryProgram: binary variables, a polynomial objective, polynomial constraint rows, a sense.

The program over bits that every Problem hands to the solvers. It grew (rather than a new
class beside it) higher-order objective ``terms`` and rows with a non-linear part
(``row_terms``), because every consumer already takes a BinaryProgram: the linear part of every
row stays in ``A`` (so linear-only code keeps its meaning), and code that cannot handle the
non-linear parts asks :attr:`BinaryProgram.is_quadratic_linear` (objective degree <= 2, all rows
linear) and refuses otherwise. A user's :class:`~qopt.model.user.Program` (integers, spins,
names) lowers to one of these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from qopt.errors import OptionError
from qopt.model.checks import MAX_VARS, bit_rows, count, number, vector
from qopt.model.poly import Groups, canonical_groups, degree_of, groups_values
from qopt.model.quadratic import quadratic_values, split_quadratic

SENSES = ("<=", "==", ">=")
_SENSE_ALIASES = {"<=": "<=", "<": "<=", "le": "<=", "==": "==", "=": "==", "eq": "==",
                  ">=": ">=", ">": ">=", "ge": ">="}


class BinaryProgram:
    """``sense`` of ``c'x + sum_{i<j} U_ij x_i x_j + offset`` over ``x`` in {0,1}^n
    subject to rows ``A x (<=|==|>=) b``.

    Args:
        num_vars: number of binary variables n.
        linear: objective coefficients, shape (n,).
        quadratic: ``x'Mx`` as a dense / sparse matrix or ``{(i, j): w}`` mapping (see
            :func:`qopt.model.quadratic.split_quadratic`); its diagonal is folded into ``linear``.
        offset: constant term.
        terms: monomials of any degree ``{(i, j, k, ...): w}`` added to the objective (degrees
            0-2 are folded into offset / linear / quadratic; ``x**2 == x``).
        sense: ``"min"`` or ``"max"``.
        var_names: optional names, default ``x0 .. x{n-1}``.
        name: a label for reports.
    """

    def __init__(self, num_vars: int, linear=None, quadratic=None, offset: float = 0.0,
                 sense: str = "min", var_names: Sequence[str] | None = None,
                 name: str = "program", *, terms=None):
        if not isinstance(sense, str) or sense not in ("min", "max"):
            raise OptionError(f"sense must be 'min' or 'max', got {sense!r}")
        n = count(num_vars, "num_vars", MAX_VARS)
        self.num_vars = n
        self.sense = sense
        self.name = str(name)
        if var_names is not None and (isinstance(var_names, str | bytes)
                                      or not hasattr(var_names, "__len__")):
            raise OptionError(f"var_names must be a sequence of names, got {var_names!r}")
        self.var_names = ([str(v) for v in var_names] if var_names is not None
                          else [f"x{i}" for i in range(n)])
        if len(self.var_names) != n:
            raise OptionError(f"{len(self.var_names)} variable names for {n} variables")
        lin = vector(linear, n, "linear")
        self.quadratic, diag = split_quadratic(quadratic, n)
        self.linear = lin + diag
        self.offset = number(offset, "offset")
        #: objective terms of degree >= 3, ``{d: (idx (k, d) int32, coef (k,))}``
        self.terms: Groups = {}
        if terms is not None:
            self._fold_terms(canonical_groups(terms, "binary", n, "terms"))
        self._rows: list[sp.csr_matrix] = []
        self.constraint_senses: list[str] = []
        self.rhs_list: list[float] = []
        self.constraint_names: list[str] = []
        #: non-linear part (degree >= 2) of constraint rows, by row index
        self.row_terms: dict[int, Groups] = {}
        self._A: sp.csr_matrix | None = None

    def _fold_terms(self, groups: Groups) -> None:
        n = self.num_vars
        if 0 in groups:
            self.offset += float(groups[0][1].sum())
        if 1 in groups:
            self.linear = self.linear + np.bincount(groups[1][0][:, 0], groups[1][1], minlength=n)
        if 2 in groups:
            idx, coef = groups[2]
            self.quadratic = (self.quadratic + sp.csr_matrix(
                (coef, (idx[:, 0], idx[:, 1])), shape=(n, n))).tocsr()
        self.terms = {d: g for d, g in sorted(groups.items()) if d >= 3}

    # ---- constraints -------------------------------------------------------------------
    def add_constraint(self, coefficients, sense: str, rhs: float, name: str | None = None) -> int:
        """Add ``g(x) (sense) rhs``; ``coefficients`` is an array of length n (linear), a mapping
        ``{index: coefficient}`` (linear) or ``{(i, j, ...): coefficient}`` (a polynomial row of
        any degree; ``x**2 == x``, a constant ``()`` moves to the right-hand side). Returns the
        constraint's index."""
        if not isinstance(sense, str) or sense not in _SENSE_ALIASES:
            raise OptionError(f"constraint sense must be one of {SENSES}, got {sense!r}")
        rhs = number(rhs, "rhs")
        n = self.num_vars
        higher: Groups = {}
        if isinstance(coefficients, Mapping):
            groups = canonical_groups(coefficients, "binary", n, "constraint coefficients")
            rhs -= float(groups[0][1].sum()) if 0 in groups else 0.0
            idx, val = groups.get(1, (np.zeros((0, 1), np.int32), np.zeros(0)))
            row = sp.csr_matrix((val, (np.zeros(len(val), np.int64), idx[:, 0])), shape=(1, n))
            higher = {d: g for d, g in groups.items() if d >= 2}
        else:
            arr = vector(coefficients, None, "constraint coefficients").reshape(1, -1)
            if arr.shape[1] != n:
                raise OptionError(f"constraint has {arr.shape[1]} coefficients, expected {n}")
            row = sp.csr_matrix(arr)
        row.sum_duplicates()
        row.eliminate_zeros()
        self._rows.append(row)
        self.constraint_senses.append(_SENSE_ALIASES[sense])
        self.rhs_list.append(rhs)
        self.constraint_names.append(str(name) if name is not None
                                     else f"c{len(self.rhs_list) - 1}")
        if higher:
            self.row_terms[len(self.rhs_list) - 1] = higher
        self._A = None
        return len(self.rhs_list) - 1

    def add_constraints(self, matrix, sense: str, rhs, names: Sequence[str] | None = None) -> None:
        """Add one constraint per row of ``matrix`` (dense or sparse, shape (m, n)) at once."""
        if not isinstance(sense, str) or sense not in _SENSE_ALIASES:
            raise OptionError(f"constraint sense must be one of {SENSES}, got {sense!r}")
        try:
            M = sp.csr_matrix(matrix if sp.issparse(matrix) else np.asarray(matrix, float),
                              dtype=float)
        except (TypeError, ValueError):
            raise OptionError("constraint matrix must be a 2-D array of real numbers") from None
        if M.ndim != 2 or M.shape[1] != self.num_vars:
            raise OptionError(f"constraints have {M.shape[1]} columns, expected {self.num_vars}")
        if not np.all(np.isfinite(M.data)):
            raise OptionError("constraint matrix has a non-finite entry")
        m = M.shape[0]
        if names is not None and (isinstance(names, str) or not hasattr(names, "__len__")
                                  or len(names) != m):
            raise OptionError(f"names must be a sequence of {m} constraint names")
        try:
            rhs_arr = np.broadcast_to(np.asarray(rhs, dtype=float), (m,))
        except (TypeError, ValueError):
            raise OptionError(f"rhs must be a number or {m} numbers") from None
        if not np.all(np.isfinite(rhs_arr)):
            raise OptionError("rhs has a non-finite entry")
        M.sum_duplicates()
        M.eliminate_zeros()
        first = self.num_constraints
        self._rows.append(M)
        self.constraint_senses += [_SENSE_ALIASES[sense]] * m
        self.rhs_list += rhs_arr.tolist()
        self.constraint_names += (list(names) if names is not None
                                  else [f"c{first + r}" for r in range(m)])
        self._A = None

    @property
    def num_constraints(self) -> int:
        return len(self.rhs_list)

    @property
    def A(self) -> sp.csr_matrix:
        """Constraint matrix, shape (m, n), CSR."""
        if self._A is None:
            self._A = (sp.vstack(self._rows, format="csr") if self._rows
                       else sp.csr_matrix((0, self.num_vars)))
        return self._A

    @property
    def rhs(self) -> np.ndarray:
        return np.asarray(self.rhs_list, dtype=float)

    @property
    def is_linear(self) -> bool:
        """True when the objective has no quadratic or higher term."""
        return self.quadratic.nnz == 0 and not self.terms

    @property
    def degree(self) -> int:
        """Degree of the objective (0 constant, 1 linear, 2 quadratic, ...)."""
        if self.terms:
            return degree_of(self.terms)
        return 2 if self.quadratic.nnz else (1 if np.any(self.linear) else 0)

    @property
    def nonlinear_rows(self) -> tuple[int, ...]:
        """Indices of the constraint rows with a part of degree >= 2."""
        return tuple(sorted(self.row_terms))

    def row_degree(self, r: int) -> int:
        """Degree of constraint row r."""
        if r in self.row_terms:
            return degree_of(self.row_terms[r])
        return 1 if self.A.indptr[r + 1] > self.A.indptr[r] else 0

    @property
    def is_quadratic_linear(self) -> bool:
        """Objective of degree <= 2 and every row linear: what BinaryProgram meant before it
        grew higher-order parts (code that reads only linear / quadratic / A checks this)."""
        return not self.terms and not self.row_terms

    # ---- evaluation --------------------------------------------------------------------
    def objective(self, x) -> np.ndarray | float:
        """Objective value(s) in the program's own sense; x shape (n,) or (k, n)."""
        X, single = bit_rows(x, self.num_vars)
        vals = X @ self.linear + quadratic_values(self.quadratic, X) + self.offset
        if self.terms:
            vals += groups_values(self.terms, X)
        return float(vals[0]) if single else vals

    def constraint_violations(self, x) -> np.ndarray:
        """Amount by which each constraint is violated, shape (k, m), >= 0."""
        X, _ = bit_rows(x, self.num_vars)
        if not self.rhs_list:
            return np.zeros((X.shape[0], 0))
        diff = np.asarray(self.A.dot(X.T.astype(float))).T - self.rhs[None, :]
        for r, groups in self.row_terms.items():
            diff[:, r] += groups_values(groups, X)
        le = np.asarray(self.constraint_senses) == "<="
        ge = np.asarray(self.constraint_senses) == ">="
        out = np.abs(diff)
        out[:, le] = np.maximum(diff[:, le], 0.0)
        out[:, ge] = np.maximum(-diff[:, ge], 0.0)
        return out

    def violation(self, x, chunk_rows: int = 4096) -> np.ndarray | float:
        """Total constraint violation (sum over constraints), 0 when feasible; rows are
        processed ``chunk_rows`` at a time so memory stays O(chunk_rows * m)."""
        X, _ = bit_rows(x, self.num_vars)
        v = np.empty(X.shape[0])
        for start in range(0, X.shape[0], chunk_rows):
            v[start:start + chunk_rows] = self.constraint_violations(
                X[start:start + chunk_rows]).sum(axis=1)
        return float(v[0]) if np.ndim(x) == 1 else v

    def is_feasible(self, x, tol: float = 1e-9) -> np.ndarray | bool:
        tol = number(tol, "tol")
        v = self.violation(x)
        return bool(v <= tol) if np.ndim(x) == 1 else v <= tol

    def minimisation_objective(self) -> tuple[np.ndarray, sp.csr_matrix, float]:
        """(linear, strictly upper quadratic, offset) of the objective to *minimise* (the terms
        of degree >= 3 are :meth:`minimisation_terms`)."""
        s = 1.0 if self.sense == "min" else -1.0
        return s * self.linear, s * self.quadratic, s * self.offset

    def minimisation_terms(self) -> Groups:
        """The objective's terms of degree >= 3, signed for minimisation."""
        s = 1.0 if self.sense == "min" else -1.0
        return {d: (idx, s * coef) for d, (idx, coef) in self.terms.items()}

    def copy(self) -> BinaryProgram:
        p = BinaryProgram(self.num_vars, self.linear.copy(), self.quadratic.copy(), self.offset,
                          self.sense, self.var_names, self.name)
        p.terms = dict(self.terms)
        p.row_terms = dict(self.row_terms)
        p._rows = list(self._rows)
        p.constraint_senses = list(self.constraint_senses)
        p.rhs_list = list(self.rhs_list)
        p.constraint_names = list(self.constraint_names)
        return p

    def __repr__(self) -> str:
        higher = f", degree={self.degree}" if self.terms else ""
        return (f"BinaryProgram(name={self.name!r}, sense={self.sense!r}, n={self.num_vars}, "
                f"m={self.num_constraints}, quadratic_terms={self.quadratic.nnz}{higher})")

