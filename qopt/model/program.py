"""BinaryProgram: binary variables, a linear + quadratic objective, linear constraints, a sense."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from qopt.bits import as_bit_matrix
from qopt.errors import OptionError
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
        sense: ``"min"`` or ``"max"``.
        var_names: optional names, default ``x0 .. x{n-1}``.
        name: a label for reports.
    """

    def __init__(self, num_vars: int, linear=None, quadratic=None, offset: float = 0.0,
                 sense: str = "min", var_names: Sequence[str] | None = None,
                 name: str = "program"):
        if sense not in ("min", "max"):
            raise OptionError(f"sense must be 'min' or 'max', got {sense!r}")
        n = int(num_vars)
        self.num_vars = n
        self.sense = sense
        self.name = name
        self.var_names = list(var_names) if var_names is not None else [f"x{i}" for i in range(n)]
        if len(self.var_names) != n:
            raise OptionError(f"{len(self.var_names)} variable names for {n} variables")
        lin = np.zeros(n) if linear is None else np.asarray(linear, dtype=float).reshape(-1)
        if lin.shape != (n,):
            raise OptionError(f"linear objective has {lin.size} entries, expected {n}")
        self.quadratic, diag = split_quadratic(quadratic, n)
        self.linear = lin + diag
        self.offset = float(offset)
        self._rows: list[sp.csr_matrix] = []
        self.constraint_senses: list[str] = []
        self.rhs_list: list[float] = []
        self.constraint_names: list[str] = []
        self._A: sp.csr_matrix | None = None

    # ---- constraints -------------------------------------------------------------------
    def add_constraint(self, coefficients, sense: str, rhs: float, name: str | None = None) -> int:
        """Add ``coefficients . x (sense) rhs``; ``coefficients`` is an array of length n or a
        mapping ``{index: coefficient}``. Returns the constraint's index."""
        if sense not in _SENSE_ALIASES:
            raise OptionError(f"constraint sense must be one of {SENSES}, got {sense!r}")
        n = self.num_vars
        if isinstance(coefficients, Mapping):
            idx = np.fromiter(coefficients.keys(), dtype=np.int64, count=len(coefficients))
            val = np.fromiter(coefficients.values(), dtype=float, count=len(coefficients))
            if idx.size and (idx.min() < 0 or idx.max() >= n):
                raise OptionError(f"constraint index out of range 0..{n - 1}")
            row = sp.csr_matrix((val, (np.zeros_like(idx), idx)), shape=(1, n))
        else:
            arr = np.asarray(coefficients, dtype=float).reshape(1, -1)
            if arr.shape[1] != n:
                raise OptionError(f"constraint has {arr.shape[1]} coefficients, expected {n}")
            row = sp.csr_matrix(arr)
        row.sum_duplicates()
        row.eliminate_zeros()
        self._rows.append(row)
        self.constraint_senses.append(_SENSE_ALIASES[sense])
        self.rhs_list.append(float(rhs))
        self.constraint_names.append(name or f"c{len(self.rhs_list) - 1}")
        self._A = None
        return len(self.rhs_list) - 1

    def add_constraints(self, matrix, sense: str, rhs, names: Sequence[str] | None = None) -> None:
        """Add one constraint per row of ``matrix`` (dense or sparse, shape (m, n)) at once."""
        if sense not in _SENSE_ALIASES:
            raise OptionError(f"constraint sense must be one of {SENSES}, got {sense!r}")
        M = sp.csr_matrix(matrix, dtype=float)
        if M.shape[1] != self.num_vars:
            raise OptionError(f"constraints have {M.shape[1]} columns, expected {self.num_vars}")
        m = M.shape[0]
        if names is not None and len(names) != m:
            raise OptionError(f"{len(names)} names for {m} constraints")
        M.sum_duplicates()
        M.eliminate_zeros()
        first = self.num_constraints
        self._rows.append(M)
        self.constraint_senses += [_SENSE_ALIASES[sense]] * m
        self.rhs_list += np.broadcast_to(np.asarray(rhs, dtype=float), (m,)).tolist()
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
        """True when the objective has no quadratic term."""
        return self.quadratic.nnz == 0

    # ---- evaluation --------------------------------------------------------------------
    def objective(self, x) -> np.ndarray | float:
        """Objective value(s) in the program's own sense; x shape (n,) or (k, n)."""
        X, single = as_bit_matrix(x)
        vals = X @ self.linear + quadratic_values(self.quadratic, X) + self.offset
        return float(vals[0]) if single else vals

    def constraint_violations(self, x) -> np.ndarray:
        """Amount by which each constraint is violated, shape (k, m), >= 0."""
        X, _ = as_bit_matrix(x)
        if not self.rhs_list:
            return np.zeros((X.shape[0], 0))
        diff = np.asarray(self.A.dot(X.T.astype(float))).T - self.rhs[None, :]
        le = np.asarray(self.constraint_senses) == "<="
        ge = np.asarray(self.constraint_senses) == ">="
        out = np.abs(diff)
        out[:, le] = np.maximum(diff[:, le], 0.0)
        out[:, ge] = np.maximum(-diff[:, ge], 0.0)
        return out

    def violation(self, x, chunk_rows: int = 4096) -> np.ndarray | float:
        """Total constraint violation (sum over constraints), 0 when feasible; rows are
        processed ``chunk_rows`` at a time so memory stays O(chunk_rows * m)."""
        X, _ = as_bit_matrix(x)
        v = np.empty(X.shape[0])
        for start in range(0, X.shape[0], chunk_rows):
            v[start:start + chunk_rows] = self.constraint_violations(
                X[start:start + chunk_rows]).sum(axis=1)
        return float(v[0]) if np.ndim(x) == 1 else v

    def is_feasible(self, x, tol: float = 1e-9) -> np.ndarray | bool:
        v = self.violation(x)
        return bool(v <= tol) if np.ndim(x) == 1 else v <= tol

    def minimisation_objective(self) -> tuple[np.ndarray, sp.csr_matrix, float]:
        """(linear, strictly upper quadratic, offset) of the objective to *minimise*."""
        s = 1.0 if self.sense == "min" else -1.0
        return s * self.linear, s * self.quadratic, s * self.offset

    def copy(self) -> BinaryProgram:
        p = BinaryProgram(self.num_vars, self.linear.copy(), self.quadratic.copy(), self.offset,
                          self.sense, self.var_names, self.name)
        p._rows = list(self._rows)
        p.constraint_senses = list(self.constraint_senses)
        p.rhs_list = list(self.rhs_list)
        p.constraint_names = list(self.constraint_names)
        return p

    def __repr__(self) -> str:
        return (f"BinaryProgram(name={self.name!r}, sense={self.sense!r}, n={self.num_vars}, "
                f"m={self.num_constraints}, quadratic_terms={self.quadratic.nnz})")
