"""dimod models in and out (extra ``interop``): ``BinaryQuadraticModel``, ``BinaryPolynomial``
(BINARY or SPIN) and ``ConstrainedQuadraticModel``.

Variable labels become names with ``str`` (two labels with the same text are refused).
dimod models minimise; a qopt model with ``sense="max"`` is written negated (its energy is
minus the objective) and read back as a minimisation. Read:

- BQM: its variables (all BINARY or all SPIN), linear and quadratic biases, offset;
- BinaryPolynomial: its terms (frozensets of labels) of any degree; variables in sorted
  label order (the polynomial keeps them in a set);
- CQM: BINARY, SPIN and INTEGER variables with their bounds, the quadratic objective
  (integer self-loops are squares), hard constraints ``<=``, ``==``, ``>=`` with their labels.
  Refused, naming them: REAL variables, integers left at dimod's default upper bound
  (2^53 - 1, i.e. unbounded) and soft constraints (their weighted violation is not a
  polynomial).

Write: a BQM or BinaryPolynomial needs an unconstrained model over one kind (binary or spin);
a CQM takes binary, spin and integer variables with terms of degree <= 2.
"""

from __future__ import annotations

from qopt.errors import OptionError
from qopt.model.interop._extra import require
from qopt.model.interop.terms import ModelTerms, Polynomial, refuse

#: dimod's default upper bound of an INTEGER variable (2^53 - 1): treated as "unbounded"
DIMOD_DEFAULT_UPPER = 2 ** 53 - 1
_KINDS = {"BINARY": "binary", "SPIN": "spin", "INTEGER": "integer"}
_SENSES = {"Le": "<=", "Ge": ">=", "Eq": "=="}


def _names(labels, source: str) -> list[str]:
    names = [str(v) for v in labels]
    if len(set(names)) != len(names):
        seen: set[str] = set()
        dup = next(n for n in names if n in seen or seen.add(n))
        raise OptionError(f"{source}: two variable labels read as the name {dup!r}")
    return names


def _vartype_kind(vartype, label, source: str) -> str:
    kind = _KINDS.get(vartype.name)
    if kind is None:
        raise OptionError(f"{source}: variable {str(label)!r} is {vartype.name}; qopt takes "
                          "BINARY, SPIN and bounded INTEGER variables")
    return kind


def _quadratic_poly(qm, index: dict) -> Polynomial:
    p = Polynomial(constant=float(qm.offset))
    for v, bias in qm.linear.items():
        p.add((index[v],), bias)
    for (u, v), bias in qm.quadratic.items():
        p.add((index[u], index[v]), bias)
    return p


def from_bqm(bqm) -> ModelTerms:
    """The :class:`ModelTerms` of a ``BinaryQuadraticModel`` (minimise its energy)."""
    source = "BinaryQuadraticModel"
    labels = list(bqm.variables)
    kind = _vartype_kind(bqm.vartype, labels[0] if labels else "", source)
    model = ModelTerms(name="bqm")
    for name in _names(labels, source):
        model.add_variable(name, kind, source=source)
    model.objective = _quadratic_poly(bqm, {v: i for i, v in enumerate(labels)})
    return model


def from_binary_polynomial(poly) -> ModelTerms:
    """The :class:`ModelTerms` of a ``BinaryPolynomial`` (minimise it)."""
    source = "BinaryPolynomial"
    try:
        labels = sorted(poly.variables)
    except TypeError:        # labels of mixed types
        labels = sorted(poly.variables, key=repr)
    kind = _vartype_kind(poly.vartype, "", source)
    model = ModelTerms(name="binary_polynomial")
    for name in _names(labels, source):
        model.add_variable(name, kind, source=source)
    index = {v: i for i, v in enumerate(labels)}
    for term, bias in poly.items():
        model.objective.add([index[v] for v in term], bias)
    return model


def from_cqm(cqm) -> ModelTerms:
    """The :class:`ModelTerms` of a ``ConstrainedQuadraticModel`` (see the module docstring)."""
    source = "ConstrainedQuadraticModel"
    labels = list(cqm.variables)
    model = ModelTerms(name="cqm")
    for label, name in zip(labels, _names(labels, source)):
        kind = _vartype_kind(cqm.vartype(label), label, source)
        lo, hi = cqm.lower_bound(label), cqm.upper_bound(label)
        if kind == "integer" and hi >= DIMOD_DEFAULT_UPPER:
            raise OptionError(f"{source}: integer variable {name!r} keeps dimod's default upper "
                              f"bound {DIMOD_DEFAULT_UPPER} (unbounded); give it a real bound")
        model.add_variable(name, kind, lo, hi, source=source)
    index = {v: i for i, v in enumerate(labels)}
    model.objective = _quadratic_poly(cqm.objective, index)
    for label, comparison in cqm.constraints.items():
        if comparison.lhs.is_soft():
            raise OptionError(f"{source}: constraint {str(label)!r} is soft (weighted); qopt "
                              "takes hard constraints (add its penalty to the objective)")
        lhs = _quadratic_poly(comparison.lhs, index)
        rhs, lhs.constant = float(comparison.rhs) - lhs.constant, 0.0
        model.add_constraint(str(label), lhs, _SENSES[comparison.sense.name], rhs)
    return model


def _energy(model: ModelTerms) -> Polynomial:
    """The canonical objective to minimise (negated for a max model)."""
    p = model.canonical().objective
    s = -1.0 if model.sense == "max" else 1.0
    return Polynomial({k: s * c for k, c in p.terms.items()}, s * p.constant)


def to_bqm(model: ModelTerms):
    """A ``BinaryQuadraticModel`` (energy = the objective, negated for a max model)."""
    dimod = require("dimod", "writing a BinaryQuadraticModel")
    refuse(model, "a BinaryQuadraticModel", kinds=("binary", "spin"), max_degree=2,
           constraints=False, one_kind=True)
    vartype = "SPIN" if model.kinds == {"spin"} else "BINARY"
    bqm = dimod.BinaryQuadraticModel(vartype)
    bqm.add_variables_from((v.name, 0.0) for v in model.variables)
    return _fill(bqm, model.names, _energy(model))


def _fill(qm, names: list[str], poly: Polynomial):
    """Add ``poly`` (degree <= 2) to a dimod BQM / QuadraticModel; returns it."""
    for key, bias in poly.terms.items():
        if len(key) == 1:
            qm.add_linear(names[key[0]], bias)
        else:
            qm.add_quadratic(names[key[0]], names[key[1]], bias)
    qm.offset = poly.constant
    return qm


def to_binary_polynomial(model: ModelTerms):
    """A ``BinaryPolynomial`` (any degree; negated for a max model)."""
    dimod = require("dimod", "writing a BinaryPolynomial")
    refuse(model, "a BinaryPolynomial", kinds=("binary", "spin"), constraints=False,
           one_kind=True)
    vartype = "SPIN" if model.kinds == {"spin"} else "BINARY"
    canon = _energy(model)
    names = model.names
    terms = {tuple(names[i] for i in key): bias for key, bias in canon.terms.items()}
    terms[()] = canon.constant
    return dimod.BinaryPolynomial(terms, vartype)


def to_cqm(model: ModelTerms):
    """A ``ConstrainedQuadraticModel`` (objective negated for a max model)."""
    dimod = require("dimod", "writing a ConstrainedQuadraticModel")
    refuse(model, "a ConstrainedQuadraticModel", max_degree=2)
    canon = model.canonical()
    names = model.names
    vartypes = {"binary": "BINARY", "spin": "SPIN", "integer": "INTEGER"}

    def qm(p: Polynomial):
        q = dimod.QuadraticModel()
        for v in model.variables:
            kw = {"lower_bound": v.lower, "upper_bound": v.upper} if v.kind == "integer" else {}
            q.add_variable(vartypes[v.kind], v.name, **kw)
        return _fill(q, names, p)

    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(qm(_energy(model)))
    for c in canon.constraints:
        cqm.add_constraint_from_model(qm(c.lhs), c.sense, c.rhs, label=c.name)
    return cqm


__all__ = ["from_binary_polynomial", "from_bqm", "from_cqm", "to_binary_polynomial", "to_bqm",
           "to_cqm"]
