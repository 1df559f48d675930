"""``qopt.Program``: the model users write (binary, spin and bounded integer variables with
names, a polynomial objective of any degree, polynomial constraints), before any encoding.

>>> p = Program("demo")
>>> x, y = p.binary_var("x"), p.binary_var("y")
>>> n = p.integer_var("n", 0, 3)
>>> p.minimize(x * y * n - 2 * n + x)
>>> _ = p.add_constraint(x + y + n <= 3, name="cap")
>>> p.evaluate({"x": 1, "y": 0, "n": 3})
-5.0

:meth:`Program.lower` gives the program over bits every solver takes (see
:mod:`qopt.model.lowering`); ``qopt.solve(p, ...)`` does that itself and reports
``result.values`` in these variables' names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from qopt.errors import ModelError, SizeLimitError
from qopt.model.encodings import encoding_name
from qopt.model.expr import Constraint, Expression, Monomial, Variable, _Arith, _coefficient

_SENSES = {"<=": "<=", "<": "<=", "le": "<=", "==": "==", "=": "==", "eq": "==",
           ">=": ">=", ">": ">=", "ge": ">="}
#: most variables one Program may declare
MAX_VARIABLES = 1 << 20
_OBJECTIVE_SENSES = {"min": "min", "minimize": "min", "minimise": "min", "max": "max",
                     "maximize": "max", "maximise": "max"}


def _check_int_bound(value, what: str, name: str) -> int:
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        raise ModelError(f"integer variable {name!r}: {what} must be an integer, got {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise ModelError(f"integer variable {name!r} needs a finite {what}, got {v} (qopt "
                         "encodes integers in bits, so both bounds must be finite)")
    if v != round(v):
        raise ModelError(f"integer variable {name!r}: {what} {value!r} is not an integer")
    if abs(v) > 2.0 ** 52:
        raise ModelError(f"integer variable {name!r}: {what} {value!r} is beyond 2^52")
    return round(v)


class Program:
    """A user's optimisation model (see the module docstring).

    Args:
        name: a label for reports.
        sense: ``"min"`` or ``"max"`` (the objective's own sense; also set by
            :meth:`minimize` / :meth:`maximize`).
        default_encoding: integer encoding for variables declared without one: ``"log"``
            (default), ``"unary"`` or ``"one-hot"`` (see :mod:`qopt.model.encodings`).
    """

    def __init__(self, name: str = "program", sense: str = "min",
                 default_encoding: str = "log"):
        if not isinstance(name, str):
            raise ModelError(f"Program name must be a string, got {name!r}")
        self.name = name
        self.sense = self._sense(sense)
        self.default_encoding = encoding_name(default_encoding, "default_encoding")
        self.variables: list[Variable] = []
        self._by_name: dict[str, Variable] = {}
        self.objective = Expression(self)
        self.constraints: list[Constraint] = []

    # ---- variables --------------------------------------------------------------------
    def add_variable(self, name: str | None = None, kind: str = "binary", lb=None, ub=None,
                     encoding: str | None = None) -> Variable:
        """Declare one variable; ``kind`` is ``"binary"``, ``"spin"`` or ``"integer"`` (with
        finite ``lb`` / ``ub``); ``"continuous"`` is refused (qopt optimises over discrete
        variables)."""
        index = len(self.variables)
        if index >= MAX_VARIABLES:
            raise SizeLimitError(f"program {self.name!r} has {MAX_VARIABLES:,} variables, the "
                                 "most one Program declares")
        if name is None:
            name = f"x{index}"
        if not isinstance(name, str) or not name:
            raise ModelError(f"a variable name must be a non-empty string, got {name!r}")
        if name in self._by_name:
            raise ModelError(f"variable {name!r} is declared twice")
        if not isinstance(kind, str):
            raise ModelError(f"variable {name!r}: kind must be 'binary', 'spin' or 'integer', "
                             f"got {kind!r}")
        if kind == "continuous":
            raise ModelError(f"variable {name!r} is continuous: qopt optimises over binary, spin "
                             "and bounded integer variables; declare it integer with finite "
                             "bounds, or fix its value")
        if kind == "binary":
            lo, hi = 0, 1
        elif kind == "spin":
            lo, hi = -1, 1
        elif kind == "integer":
            if lb is None or ub is None:
                raise ModelError(f"integer variable {name!r} needs finite bounds lb and ub")
            lo = _check_int_bound(lb, "lb", name)
            hi = _check_int_bound(ub, "ub", name)
            if lo > hi:
                raise ModelError(f"integer variable {name!r} has lb {lo} > ub {hi}")
        else:
            raise ModelError(f"variable {name!r}: kind must be 'binary', 'spin' or 'integer', "
                             f"got {kind!r}")
        if encoding is not None:
            if kind != "integer":
                raise ModelError(f"variable {name!r}: only integer variables take an encoding")
            encoding = encoding_name(encoding, name)
        var = Variable(self, index, name, kind, lo, hi, encoding)
        self.variables.append(var)
        self._by_name[name] = var
        return var

    def binary_var(self, name: str | None = None) -> Variable:
        """A 0/1 variable."""
        return self.add_variable(name, "binary")

    def spin_var(self, name: str | None = None) -> Variable:
        """A -1/+1 variable."""
        return self.add_variable(name, "spin")

    def integer_var(self, name: str | None = None, lb=0, ub=None,
                    encoding: str | None = None) -> Variable:
        """An integer in ``lb..ub`` (both finite); ``encoding`` ``"log"`` / ``"unary"`` /
        ``"one-hot"`` (None: the program's ``default_encoding``)."""
        return self.add_variable(name, "integer", lb, ub, encoding)

    def continuous_var(self, name: str | None = None, lb=0.0, ub=None) -> Variable:
        """Always refused with a :class:`~qopt.errors.ModelError` naming the variable."""
        return self.add_variable(name, "continuous", lb, ub)

    def binary_vars(self, count: int, prefix: str = "x") -> list[Variable]:
        """``count`` binaries named ``prefix0 .. prefix{count-1}``."""
        return [self.binary_var(f"{prefix}{i}") for i in range(self._count(count))]

    def spin_vars(self, count: int, prefix: str = "s") -> list[Variable]:
        return [self.spin_var(f"{prefix}{i}") for i in range(self._count(count))]

    def integer_vars(self, count: int, lb, ub, prefix: str = "n",
                     encoding: str | None = None) -> list[Variable]:
        return [self.integer_var(f"{prefix}{i}", lb, ub, encoding)
                for i in range(self._count(count))]

    def _count(self, count) -> int:
        if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 0:
            raise ModelError(f"count must be a non-negative integer, got {count!r}")
        if len(self.variables) + count > MAX_VARIABLES:
            raise SizeLimitError(f"count {count} would take program {self.name!r} past "
                                 f"{MAX_VARIABLES:,} variables")
        return int(count)

    def set_encoding(self, name: str, encoding: str) -> None:
        """Choose the encoding of integer variable ``name`` (``"log"`` / ``"unary"`` /
        ``"one-hot"``), e.g. for a model read from another library."""
        var = self.variable(name)
        if var.kind != "integer":
            raise ModelError(f"variable {name!r} is {var.kind}: only integers take an encoding")
        var.encoding = encoding_name(encoding, name)

    def variable(self, name: str) -> Variable:
        """The variable called ``name``."""
        if not isinstance(name, str) or name not in self._by_name:
            raise ModelError(f"program {self.name!r} has no variable {name!r}")
        return self._by_name[name]

    @property
    def num_vars(self) -> int:
        return len(self.variables)

    # ---- expressions ------------------------------------------------------------------
    def _simplify(self, mono: Monomial) -> Monomial:
        """A product of variables in canonical form: binary x*x = x, spin s*s = 1."""
        if len(mono) < 2:
            return mono
        counts: dict[int, int] = {}
        for i in mono:
            counts[i] = counts.get(i, 0) + 1
        out: list[int] = []
        for i in sorted(counts):
            kind = self.variables[i].kind
            c = counts[i]
            if kind == "binary":
                c = 1
            elif kind == "spin":
                c %= 2
            out += [i] * c
        return tuple(out)

    def expression(self, terms=None, constant: float = 0.0) -> Expression:
        """An expression from an Expression / Variable / number, or a terms mapping
        ``{(names...): coefficient}`` (a name alone as key is a linear term, ``()`` a constant;
        repeated names are powers; integer indices may stand for variables)."""
        if isinstance(terms, _Arith):
            if terms.program is not self:
                raise ModelError("the expression belongs to another program")
            expr = terms._expr()
        elif terms is None:
            expr = Expression(self)
        elif isinstance(terms, Mapping):
            coeffs: dict[Monomial, float] = {}
            for key, value in terms.items():
                items = key if isinstance(key, tuple | list) else (key,)
                mono = self._simplify(tuple(sorted(self._index_of(v) for v in items)))
                coeffs[mono] = coeffs.get(mono, 0.0) + _coefficient(value, f"term {key!r}")
            expr = Expression(self, coeffs)
        elif isinstance(terms, int | float | np.number) and not isinstance(terms, bool):
            expr = Expression(self, {(): _coefficient(terms)})
        else:
            raise ModelError("an objective or constraint must be an expression or a mapping "
                             f"{{(names...): coefficient}}, got {type(terms).__name__}")
        c = _coefficient(constant, "constant")
        return expr + c if c else expr

    def _index_of(self, v) -> int:
        if isinstance(v, Variable):
            if v.program is not self:
                raise ModelError(f"variable {v.name!r} belongs to another program")
            return v.index
        if isinstance(v, str):
            return self.variable(v).index
        if isinstance(v, int | np.integer) and not isinstance(v, bool) \
                and 0 <= v < len(self.variables):
            return int(v)
        raise ModelError(f"{v!r} names no variable of program {self.name!r}")

    @staticmethod
    def sum(items: Iterable) -> Expression | float:
        """Sum of expressions / variables / numbers (like the builtin ``sum``)."""
        total = 0.0
        for item in items:
            total = item + total if isinstance(item, _Arith) else total + item
        return total

    # ---- objective --------------------------------------------------------------------
    @staticmethod
    def _sense(sense) -> str:
        if not isinstance(sense, str) or sense.lower() not in _OBJECTIVE_SENSES:
            raise ModelError(f"sense must be 'min' or 'max', got {sense!r}")
        return _OBJECTIVE_SENSES[sense.lower()]

    def set_objective(self, objective=None, constant: float = 0.0, sense: str | None = None
                      ) -> None:
        """Set the objective (an expression or a terms mapping, see :meth:`expression`)."""
        self.objective = self.expression(objective, constant)
        if sense is not None:
            self.sense = self._sense(sense)

    def minimize(self, objective) -> None:
        self.set_objective(objective, sense="min")

    def maximize(self, objective) -> None:
        self.set_objective(objective, sense="max")

    minimise = minimize
    maximise = maximize

    # ---- constraints ------------------------------------------------------------------
    def add_constraint(self, lhs, sense: str | None = None, rhs=None,
                       name: str | None = None) -> Constraint:
        """Add ``lhs`` when it is a Constraint (``x + y <= 1``), or ``lhs (sense) rhs`` with
        ``lhs`` an expression or terms mapping. Returns the constraint (named ``c<k>`` when no
        ``name`` is given)."""
        if isinstance(lhs, Constraint):
            if sense is not None or rhs is not None:
                raise ModelError("add_constraint(constraint) takes no sense or rhs")
            if lhs.expr.program is not self:
                raise ModelError("the constraint belongs to another program")
            con = Constraint(lhs.expr, lhs.sense, lhs.rhs)
        else:
            if not isinstance(sense, str) or sense not in _SENSES:
                raise ModelError(f"constraint sense must be '<=', '==' or '>=', got {sense!r}")
            if rhs is None:
                raise ModelError("add_constraint needs a right-hand side rhs")
            diff = self.expression(lhs) - _coefficient(rhs, "rhs")
            con = Constraint.of(diff, _SENSES[sense])
        if name is None:
            name = f"c{len(self.constraints)}"
        if not isinstance(name, str) or not name:
            raise ModelError(f"a constraint name must be a non-empty string, got {name!r}")
        if any(c.name == name for c in self.constraints):
            raise ModelError(f"constraint {name!r} is added twice")
        con.name = name
        self.constraints.append(con)
        return con

    def constraint(self, name: str) -> Constraint:
        """The constraint called ``name``."""
        if not isinstance(name, str):
            raise ModelError(f"a constraint name must be a string, got {name!r}")
        for c in self.constraints:
            if c.name == name:
                return c
        raise ModelError(f"program {self.name!r} has no constraint {name!r}")

    @property
    def degree(self) -> int:
        """Largest degree of the objective and the constraints."""
        return max([self.objective.degree, *(c.expr.degree for c in self.constraints)])

    # ---- evaluation -------------------------------------------------------------------
    def value_matrix(self, values) -> np.ndarray:
        """Values as a (k, num_vars) float array: from a ``{name: value}`` dict (one row), a
        list of such dicts, or an array of shape (num_vars,) / (k, num_vars) in variable
        order."""
        n = len(self.variables)
        if isinstance(values, Mapping):
            values = [values]
        if isinstance(values, list | tuple) and values and isinstance(values[0], Mapping):
            V = np.empty((len(values), n))
            for r, row in enumerate(values):
                unknown = sorted(set(map(str, row)) - set(self._by_name))
                if unknown:
                    raise ModelError(f"values name unknown variable(s) {unknown[:3]}")
                missing = [v.name for v in self.variables if v.name not in row]
                if missing:
                    raise ModelError(f"values miss variable(s) {missing[:3]}")
                for v in self.variables:
                    V[r, v.index] = _coefficient(row[v.name], f"value of {v.name!r}")
            return V
        try:
            V = np.atleast_2d(np.asarray(values, dtype=float))
        except (TypeError, ValueError):
            raise ModelError("values must be a {name: value} dict or an array of numbers") \
                from None
        if V.ndim != 2 or V.shape[1] != n:
            raise ModelError(f"values have shape {np.shape(values)}, expected ({n},) or (k, {n})")
        if not np.all(np.isfinite(V)):
            raise ModelError("values must be finite numbers")
        return V

    def _out(self, values, result: np.ndarray):
        single = isinstance(values, Mapping) or np.ndim(values) == 1
        return float(result[0]) if single else result

    def evaluate(self, values):
        """The objective (in its own sense) at ``values`` (see :meth:`value_matrix`)."""
        V = self.value_matrix(values)
        return self._out(values, self.objective.values(V))

    def domain_violation(self, V) -> np.ndarray:
        """Per row of values (see :meth:`value_matrix`): how far the values are from their
        variables' domains, (k,)."""
        V = self.value_matrix(V)
        lo = np.array([v.lb for v in self.variables], dtype=float)
        hi = np.array([v.ub for v in self.variables], dtype=float)
        out = (np.maximum(lo - V, 0) + np.maximum(V - hi, 0)).sum(axis=1)
        out += np.abs(V - np.rint(V)).sum(axis=1)
        spin = np.array([v.kind == "spin" for v in self.variables], dtype=bool)
        if spin.any():
            out += (np.abs(V[:, spin]) < 0.5).sum(axis=1)   # a spin of 0
        return out

    def violation(self, values):
        """Total violation of the constraints and the variables' domains, 0 when feasible."""
        V = self.value_matrix(values)
        total = self.domain_violation(V)
        for c in self.constraints:
            total += c.violation(V)
        return self._out(values, total)

    def is_feasible(self, values, tol: float = 1e-9):
        """Whether ``values`` satisfy every constraint and domain (violation <= ``tol``)."""
        tol = _coefficient(tol, "tol")
        v = self.violation(values)
        return bool(v <= tol) if np.ndim(v) == 0 else v <= tol

    # ---- lowering ---------------------------------------------------------------------
    def lower(self, encodings: Mapping[str, str] | None = None):
        """The program over bits (see :class:`~qopt.model.lowering.Lowering`); ``encodings``
        overrides integer encodings by variable name."""
        from qopt.model.lowering import lower

        return lower(self, encodings)

    def __repr__(self) -> str:
        kinds = {k: sum(v.kind == k for v in self.variables) for k in ("binary", "spin",
                                                                         "integer")}
        shown = ", ".join(f"{k}={c}" for k, c in kinds.items() if c)
        return (f"Program({self.name!r}, sense={self.sense!r}, {shown or 'no variables'}, "
                f"degree={self.degree}, constraints={len(self.constraints)})")
