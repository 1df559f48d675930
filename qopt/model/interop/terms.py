"""The term-level form every importer writes and every exporter reads.

A :class:`ModelTerms` is what a model of another library *says*, in one neutral shape:
variables (name, kind ``"binary"`` | ``"spin"`` | ``"integer"``, integer bounds), a polynomial
objective with a sense, and polynomial constraints ``lhs (<=|==|>=) rhs`` with names. A term
is a sorted tuple of variable indices with its coefficient; a repeated index is a power
(``(2, 2, 5)`` is v2^2 v5), ``()`` is never a key (constants are kept apart). Each library
module converts its objects to and from this form only, so the bridge to :class:`qopt.Program`
lives in one place (:func:`to_program` / :func:`from_program`).

:meth:`ModelTerms.canonical` applies the identities of the variable kinds (x^2 = x for a
binary, s^2 = 1 for a spin), drops zero coefficients and moves a constraint's constant to its
right-hand side; two models that say the same thing have equal canonical forms, which is how
round trips are checked.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from qopt.errors import OptionError

KINDS = ("binary", "spin", "integer")
SENSES = ("<=", "==", ">=")
#: largest |bound| of an integer variable (float64 holds every integer up to 2^53)
MAX_INTEGER_BOUND = 2 ** 53


@dataclass(frozen=True)
class Variable:
    """One variable: ``kind`` binary (0 / 1), spin (-1 / +1) or integer in [lower, upper]."""

    name: str
    kind: str
    lower: int = 0
    upper: int = 1

    @property
    def domain(self) -> np.ndarray:
        """Every value the variable takes, ascending, shape (size,)."""
        if self.kind == "spin":
            return np.array([-1, 1], dtype=np.int64)
        return np.arange(self.lower, self.upper + 1, dtype=np.int64)


@dataclass
class Polynomial:
    """``constant + sum_t coef_t prod_{i in t} v_i``; keys are sorted index tuples."""

    terms: dict[tuple[int, ...], float] = field(default_factory=dict)
    constant: float = 0.0

    def add(self, key: Iterable[int], coef: float) -> None:
        """Add ``coef * prod v[key]`` (indices in any order; ``()`` adds to the constant)."""
        k = tuple(sorted(int(i) for i in key))
        c = float(coef)
        if not k:
            self.constant += c
        elif c != 0.0:
            self.terms[k] = self.terms.get(k, 0.0) + c

    @property
    def degree(self) -> int:
        return max((len(k) for k in self.terms), default=0)

    def values(self, V: np.ndarray) -> np.ndarray:
        """The polynomial at each row of V (variable values, shape (k, n)), shape (k,).

        Terms are grouped by degree: one gather and product per degree, no loop over rows."""
        V = np.asarray(V, dtype=float)
        out = np.full(V.shape[0], self.constant)
        by_degree: dict[int, list[tuple[tuple[int, ...], float]]] = {}
        for key, coef in self.terms.items():
            by_degree.setdefault(len(key), []).append((key, coef))
        for items in by_degree.values():
            idx = np.asarray([k for k, _ in items], dtype=np.int64)       # (t, d)
            coef = np.asarray([c for _, c in items], dtype=float)         # (t,)
            out += np.prod(V[:, idx], axis=2) @ coef
        return out


@dataclass
class Constraint:
    """``lhs (sense) rhs`` with a polynomial left-hand side."""

    name: str
    lhs: Polynomial
    sense: str
    rhs: float


@dataclass
class ModelTerms:
    """A model as terms: variables, objective (``sense`` "min" / "max"), constraints."""

    name: str = "model"
    sense: str = "min"
    variables: list[Variable] = field(default_factory=list)
    objective: Polynomial = field(default_factory=Polynomial)
    constraints: list[Constraint] = field(default_factory=list)

    # ---- building ------------------------------------------------------------------------
    def add_variable(self, name: str, kind: str, lower: float = 0, upper: float = 1,
                     source: str = "model") -> int:
        """Append a variable and return its index. Integer bounds are rounded inwards
        (``ceil(lower)``, ``floor(upper)``); an empty or unbounded range, a duplicate name or
        an unknown kind raises :class:`OptionError` naming the variable and ``source``."""
        if kind not in KINDS:
            raise OptionError(f"{source}: variable {name!r} has kind {kind!r}; qopt takes "
                              "binary, spin and bounded integer variables")
        if any(v.name == name for v in self.variables):
            raise OptionError(f"{source}: two variables are named {name!r}")
        if kind == "binary":
            lo, hi = 0, 1
        elif kind == "spin":
            lo, hi = -1, 1
        else:
            if not (abs(lower) <= MAX_INTEGER_BOUND and abs(upper) <= MAX_INTEGER_BOUND):
                raise OptionError(
                    f"{source}: integer variable {name!r} is unbounded or beyond +-2^53 "
                    f"(bounds [{_text(lower)}, {_text(upper)}]); give it finite bounds")
            lo, hi = math.ceil(lower - 1e-9), math.floor(upper + 1e-9)
            if lo > hi:
                raise OptionError(f"{source}: integer variable {name!r} has no integer value "
                                  f"in its bounds [{_text(lower)}, {_text(upper)}]")
        self.variables.append(Variable(str(name), kind, int(lo), int(hi)))
        return len(self.variables) - 1

    def add_constraint(self, name: str, lhs: Polynomial, sense: str, rhs: float) -> None:
        if sense not in SENSES:
            raise OptionError(f"constraint {name!r}: sense must be one of {SENSES}, got {sense!r}")
        if any(c.name == name for c in self.constraints):
            raise OptionError(f"two constraints are named {name!r}")
        self.constraints.append(Constraint(str(name), lhs, sense, float(rhs)))

    # ---- reading ---------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variables]

    @property
    def kinds(self) -> set[str]:
        return {v.kind for v in self.variables}

    @property
    def degree(self) -> int:
        """Highest degree of the objective and every constraint."""
        return max([self.objective.degree, *(c.lhs.degree for c in self.constraints)])

    def index(self) -> dict[str, int]:
        return {v.name: i for i, v in enumerate(self.variables)}

    def canonical(self) -> ModelTerms:
        """A copy with x^2 = x for binaries and s^2 = 1 for spins applied, zero terms dropped,
        constraint constants moved to the right-hand side (see the module docstring)."""
        kinds = [v.kind for v in self.variables]

        def reduce(poly: Polynomial) -> Polynomial:
            out = Polynomial(constant=poly.constant)
            for key, coef in poly.terms.items():
                out.add(_reduce_key(key, kinds), coef)
            out.terms = {k: c for k, c in out.terms.items() if c != 0.0}
            return out

        rows = []
        for c in self.constraints:
            lhs = reduce(c.lhs)
            rhs = c.rhs - lhs.constant
            lhs.constant = 0.0
            rows.append(Constraint(c.name, lhs, c.sense, rhs))
        return ModelTerms(self.name, self.sense, list(self.variables), reduce(self.objective),
                          rows)

    def same_as(self, other: ModelTerms, tol: float = 1e-9) -> bool:
        """Whether both canonical forms agree: variables (in order), sense, objective and
        every constraint, matched by name (libraries list their constraints grouped by kind,
        so order is not compared); coefficients to ``tol`` relative."""
        a, b = self.canonical(), other.canonical()
        if a.variables != b.variables or a.sense != b.sense:
            return False
        rows_a = {c.name: c for c in a.constraints}
        rows_b = {c.name: c for c in b.constraints}
        if rows_a.keys() != rows_b.keys():
            return False
        pairs = [(a.objective, b.objective)]
        for name, x in rows_a.items():
            y = rows_b[name]
            if x.sense != y.sense or not _close(x.rhs, y.rhs, tol):
                return False
            pairs.append((x.lhs, y.lhs))
        return all(p.terms.keys() == q.terms.keys() and _close(p.constant, q.constant, tol)
                   and all(_close(p.terms[k], q.terms[k], tol) for k in p.terms)
                   for p, q in pairs)

    def digest(self) -> str:
        """sha256 (hex) of the canonical form: equal for models that say the same thing."""
        import hashlib
        import json

        c = self.canonical()

        def poly(p: Polynomial) -> list:
            return [p.constant, sorted([list(k), v] for k, v in p.terms.items())]

        data = [c.name, c.sense, [[v.name, v.kind, v.lower, v.upper] for v in c.variables],
                poly(c.objective), [[r.name, r.sense, r.rhs, poly(r.lhs)] for r in
                                    c.constraints]]
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()

    # ---- evaluation ------------------------------------------------------------------------
    def evaluate(self, V) -> np.ndarray:
        """Objective at each row of V (values in variable order, shape (k, n)), shape (k,)."""
        return self.objective.values(np.atleast_2d(V))

    def lhs_values(self, V) -> np.ndarray:
        """Left-hand side of every constraint at each row of V, shape (k, m)."""
        V = np.atleast_2d(V)
        if not self.constraints:
            return np.zeros((V.shape[0], 0))
        return np.stack([c.lhs.values(V) for c in self.constraints], axis=1)

    def is_feasible(self, V, tol: float = 1e-9) -> np.ndarray:
        """Whether each row of V meets every constraint (to ``tol``) and lies in the
        variables' domains, shape (k,)."""
        V = np.atleast_2d(np.asarray(V, dtype=float))
        ok = np.ones(V.shape[0], dtype=bool)
        for i, v in enumerate(self.variables):
            col = V[:, i]
            ok &= (np.abs(col) == 1) if v.kind == "spin" else (col >= v.lower) & (col <= v.upper)
        lhs = self.lhs_values(V)
        for j, c in enumerate(self.constraints):
            d = lhs[:, j] - c.rhs
            ok &= (d <= tol) if c.sense == "<=" else (d >= -tol) if c.sense == ">=" \
                else (np.abs(d) <= tol)
        return ok

    def assignments(self, limit: int = 1 << 16) -> np.ndarray:
        """Every assignment of the variables, shape (prod of domain sizes, n) int64 (for
        brute force on small models; refuses above ``limit`` rows)."""
        domains = [v.domain for v in self.variables]
        total = math.prod(d.size for d in domains)
        if total > limit:
            raise OptionError(f"{total} assignments exceed the brute-force limit {limit}")
        grids = np.meshgrid(*domains, indexing="ij") if domains else []
        return np.stack([g.ravel() for g in grids], axis=1) if domains else np.zeros((1, 0),
                                                                                      np.int64)


def polynomial(linear: Mapping | None = None, quadratic: Mapping | None = None,
               higher: Iterable[tuple[Iterable[int], float]] = (), constant: float = 0.0
               ) -> Polynomial:
    """A :class:`Polynomial` from ``{i: c}``, ``{(i, j): c}`` and ``(key, c)`` pairs."""
    p = Polynomial(constant=float(constant))
    for i, c in (linear or {}).items():
        p.add((i,), c)
    for (i, j), c in (quadratic or {}).items():
        p.add((i, j), c)
    for key, c in higher:
        p.add(key, c)
    return p


def split_by_degree(poly: Polynomial) -> tuple[dict[int, float], dict[tuple[int, int], float],
                                               dict[int, dict[tuple[int, ...], float]]]:
    """(linear ``{i: c}``, quadratic ``{(i, j): c}``, higher ``{degree: {key: c}}``)."""
    lin: dict[int, float] = {}
    quad: dict[tuple[int, int], float] = {}
    higher: dict[int, dict[tuple[int, ...], float]] = {}
    for key, c in poly.terms.items():
        if len(key) == 1:
            lin[key[0]] = c
        elif len(key) == 2:
            quad[(key[0], key[1])] = c
        else:
            higher.setdefault(len(key), {})[key] = c
    return lin, quad, higher


def refuse(model: ModelTerms, target: str, *, kinds: Iterable[str] = KINDS, max_degree: int
           | None = None, constraints: bool = True, one_kind: bool = False) -> None:
    """Raise :class:`OptionError` when ``model`` does not fit ``target`` (an export format):
    a variable of a kind it lacks, a term above ``max_degree``, any constraint when
    ``constraints`` is False, or mixed binary and spin variables when ``one_kind``."""
    allowed = set(kinds)
    for v in model.variables:
        if v.kind not in allowed:
            raise OptionError(f"{target} has no {v.kind} variables (variable {v.name!r}); it "
                              f"takes {', '.join(sorted(allowed))}")
    if one_kind and len(model.kinds) > 1:
        raise OptionError(f"{target} holds one variable kind; this model mixes "
                          f"{' and '.join(sorted(model.kinds))} variables")
    if not constraints and model.constraints:
        raise OptionError(f"{target} has no constraints; this model has {len(model.constraints)}"
                          f" (first: {model.constraints[0].name!r})")
    if max_degree is not None:
        if model.objective.degree > max_degree:
            raise OptionError(f"{target} takes terms of degree <= {max_degree}; the objective "
                              f"has degree {model.objective.degree}")
        for c in model.constraints:
            if c.lhs.degree > max_degree:
                raise OptionError(f"{target} takes terms of degree <= {max_degree}; constraint "
                                  f"{c.name!r} has degree {c.lhs.degree}")


def _reduce_key(key: tuple[int, ...], kinds: list[str]) -> tuple[int, ...]:
    out: list[int] = []
    for i in sorted(set(key)):
        power = key.count(i)
        if kinds[i] == "binary":
            power = 1
        elif kinds[i] == "spin":
            power %= 2
        out += [i] * power
    return tuple(out)


def _close(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def _text(v: float) -> str:
    return "inf" if v >= 1e20 else "-inf" if v <= -1e20 else f"{v:g}"


__all__ = ["KINDS", "SENSES", "Constraint", "ModelTerms", "Polynomial", "Variable",
           "polynomial", "refuse", "split_by_degree"]
