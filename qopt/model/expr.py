"""Expressions of a :class:`~qopt.model.user.Program`: variables, polynomials, constraints.

``x + 2 * y * z - 3``, ``(a + b) ** 2``, ``sum(xs)``, ``x * y * z <= 1``: an
:class:`Expression` is a polynomial ``{monomial: coefficient}`` where a monomial is a sorted
tuple of variable indices (repeats are powers; ``()`` is the constant). Products simplify by
the variables' kinds as they are formed: a binary ``x * x == x``, a spin ``s * s == 1``; integer
powers stay. Comparisons with ``<=``, ``>=``, ``==`` make a :class:`Constraint` (so an
expression has no truth value).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from qopt.errors import ModelError
from qopt.model.checks import number

if TYPE_CHECKING:
    from qopt.model.user import Program

Monomial = tuple[int, ...]
#: largest degree of a monomial (a product of more variables is refused)
MAX_DEGREE = 64


def _coefficient(value, what: str = "coefficient") -> float:
    return number(value, what, ModelError)


class _Arith:
    """Arithmetic shared by :class:`Variable` and :class:`Expression`."""

    program: Program

    def _expr(self) -> Expression:  # pragma: no cover - overridden
        raise NotImplementedError

    def _other(self, other) -> Expression:
        if isinstance(other, _Arith):
            if other.program is not self.program:
                raise ModelError("an expression combines variables of two different programs")
            return other._expr()
        return Expression(self.program, {(): _coefficient(other, "constant")})

    def __add__(self, other):
        return self._expr()._combine(self._other(other), 1.0)

    __radd__ = __add__

    def __sub__(self, other):
        return self._expr()._combine(self._other(other), -1.0)

    def __rsub__(self, other):
        return self._other(other)._combine(self._expr(), -1.0)

    def __neg__(self):
        return self._expr() * -1.0

    def __pos__(self):
        return self._expr()

    def __mul__(self, other):
        return self._expr()._product(self._other(other))

    __rmul__ = __mul__

    def __truediv__(self, other):
        d = _coefficient(other, "divisor")
        if d == 0:
            raise ModelError("division of an expression by zero")
        return self._expr() * (1.0 / d)

    def __pow__(self, power):
        if isinstance(power, bool) or not isinstance(power, int | np.integer) or power < 0:
            raise ModelError(f"an expression's power must be a non-negative integer, got {power!r}")
        if power > MAX_DEGREE:
            raise ModelError(f"power {power} is over the largest degree {MAX_DEGREE}")
        out = Expression(self.program, {(): 1.0})
        base = self._expr()
        for _ in range(int(power)):
            out = out._product(base)
        return out

    def __le__(self, other):
        return Constraint.of(self._expr() - self._other(other), "<=")

    def __ge__(self, other):
        return Constraint.of(self._expr() - self._other(other), ">=")

    def __eq__(self, other):  # type: ignore[override]
        return Constraint.of(self._expr() - self._other(other), "==")

    def __bool__(self):
        raise ModelError("an expression has no truth value (compare values, not expressions)")

    __hash__ = None  # type: ignore[assignment]


class Expression(_Arith):
    """A polynomial over a program's variables (see the module docstring)."""

    __slots__ = ("coefficients", "program")

    def __init__(self, program: Program, coefficients: dict[Monomial, float] | None = None):
        self.program = program
        self.coefficients: dict[Monomial, float] = {
            k: v for k, v in (coefficients or {}).items() if v != 0.0}

    def _expr(self) -> Expression:
        return self

    def _combine(self, other: Expression, scale: float) -> Expression:
        out = dict(self.coefficients)
        for k, v in other.coefficients.items():
            out[k] = out.get(k, 0.0) + scale * v
        return Expression(self.program, out)

    def _product(self, other: Expression) -> Expression:
        simplify = self.program._simplify
        out: dict[Monomial, float] = {}
        for ka, va in self.coefficients.items():
            for kb, vb in other.coefficients.items():
                k = simplify(ka + kb)
                if len(k) > MAX_DEGREE:
                    raise ModelError(f"a product of {len(k)} variables is over the largest "
                                     f"degree {MAX_DEGREE}")
                out[k] = out.get(k, 0.0) + va * vb
        return Expression(self.program, out)

    # ---- reading back -------------------------------------------------------------------
    @property
    def constant(self) -> float:
        return self.coefficients.get((), 0.0)

    def terms(self) -> dict[tuple[str, ...], float]:
        """Non-constant terms as ``{(variable names...): coefficient}`` (repeats are powers)."""
        names = [v.name for v in self.program.variables]
        return {tuple(names[i] for i in k): v for k, v in self.coefficients.items() if k}

    @property
    def degree(self) -> int:
        return max((len(k) for k in self.coefficients), default=0)

    def groups(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Monomials grouped by length: ``{d: (idx (k, d) int64, coef (k,))}`` (repeats kept)."""
        by: dict[int, tuple[list, list]] = {}
        for k, v in self.coefficients.items():
            rows, vals = by.setdefault(len(k), ([], []))
            rows.append(k)
            vals.append(v)
        return {d: (np.asarray(r, dtype=np.int64).reshape(len(r), d), np.asarray(c))
                for d, (r, c) in by.items()}

    def values(self, V: np.ndarray) -> np.ndarray:
        """The expression at each row of V, shape (k, num variables) of values -> (k,)."""
        V = np.asarray(V, dtype=float)
        out = np.zeros(V.shape[0])
        for d, (idx, coef) in self.groups().items():
            if d == 0:
                out += coef.sum()
            else:
                out += V[:, idx].prod(axis=2) @ coef
        return out

    def __repr__(self) -> str:
        parts = []
        for k, v in self.coefficients.items():
            names = "*".join(self.program.variables[i].name for i in k)
            parts.append(f"{v:g}" + (f"*{names}" if names else ""))
        return " + ".join(parts) if parts else "0"


class Variable(_Arith):
    """One variable of a program: ``name``, ``kind`` ('binary' | 'spin' | 'integer'), bounds
    ``lb`` / ``ub`` (0/1 for binary, -1/+1 for spin), an integer's ``encoding`` (None: the
    program's default at lowering) and its ``index`` in ``program.variables``."""

    __slots__ = ("encoding", "index", "kind", "lb", "name", "program", "ub")

    def __init__(self, program: Program, index: int, name: str, kind: str, lb: int, ub: int,
                 encoding: str | None = None):
        self.program = program
        self.index = index
        self.name = name
        self.kind = kind
        self.lb = lb
        self.ub = ub
        self.encoding = encoding

    def _expr(self) -> Expression:
        return Expression(self.program, {(self.index,): 1.0})

    __hash__ = object.__hash__  # type: ignore[assignment]

    def __repr__(self) -> str:
        bounds = f", lb={self.lb}, ub={self.ub}" if self.kind == "integer" else ""
        return f"Variable({self.name!r}, {self.kind}{bounds})"


class Constraint:
    """``expr (sense) rhs`` with the constant of ``expr`` moved into ``rhs``; ``name`` is set
    when it is added to a program."""

    __slots__ = ("expr", "name", "rhs", "sense")

    def __init__(self, expr: Expression, sense: str, rhs: float, name: str | None = None):
        self.expr = expr
        self.sense = sense
        self.rhs = rhs
        self.name = name

    @classmethod
    def of(cls, diff: Expression, sense: str) -> Constraint:
        const = diff.constant
        body = {k: v for k, v in diff.coefficients.items() if k}
        return cls(Expression(diff.program, body), sense, -const)

    def violation(self, V: np.ndarray) -> np.ndarray:
        """Amount of violation at each row of values V, shape (k,), >= 0."""
        diff = self.expr.values(V) - self.rhs
        if self.sense == "<=":
            return np.maximum(diff, 0.0)
        if self.sense == ">=":
            return np.maximum(-diff, 0.0)
        return np.abs(diff)

    def __bool__(self):
        raise ModelError("a constraint has no truth value; add it with Program.add_constraint")

    def __repr__(self) -> str:
        label = f"{self.name}: " if self.name else ""
        return f"Constraint({label}{self.expr!r} {self.sense} {self.rhs:g})"
