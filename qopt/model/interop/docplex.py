"""docplex ``Model`` objects in and out (no CPLEX needed: only the modelling layer is used).

In: binary and bounded integer variables (docplex's anonymous variables get their LP names,
``x3``), the linear or quadratic objective and its sense, linear, range and quadratic
constraints with their names (a range ``lo <= e <= hi`` becomes ``name_lo`` and ``name_hi``
rows, as :mod:`qopt.model.lp` does). Refused, naming the element: continuous,
semi-continuous and semi-integer variables, unbounded integers, indicator / logical /
piecewise-linear constraints, SOS sets and multi-objective models (qopt has no such
structures; they are not polynomials over bounded discrete variables).

Out: a docplex ``Model`` with the same variables, objective and constraints; docplex states
no spins and no term above degree 2, so such models are refused (use the opt-mapper form).
"""

from __future__ import annotations

from qopt.errors import OptionError
from qopt.model.interop._extra import require
from qopt.model.interop.terms import ModelTerms, Polynomial, refuse

SOURCE = "docplex Model"
_KINDS = {"binary": "binary", "integer": "integer"}
_SENSES = {"LE": "<=", "GE": ">=", "EQ": "=="}


def _name(var) -> str:
    return var.name if var.name else var.lp_name


def _poly(expr, index: dict[int, int]) -> Polynomial:
    """The polynomial of a docplex expression (Var, linear or quadratic expression, number)."""
    if isinstance(expr, int | float):
        return Polynomial(constant=float(expr))
    p = Polynomial(constant=float(expr.get_constant()))
    for var, coef in expr.iter_terms():
        p.add((index[var.index],), coef)
    for pair, coef in expr.iter_quads():
        p.add((index[pair.first.index], index[pair.second.index]), coef)
    return p


def _minus(a: Polynomial, b: Polynomial) -> Polynomial:
    out = Polynomial(dict(a.terms), a.constant - b.constant)
    for key, c in b.terms.items():
        out.add(key, -c)
    return out


def from_docplex(mdl) -> ModelTerms:
    """The :class:`ModelTerms` of a docplex ``Model`` (see the module docstring)."""
    source = f"{SOURCE} {mdl.name!r}"
    if mdl.has_multi_objective():
        raise OptionError(f"{source} has several objectives; qopt solves one")
    for sos in mdl.iter_sos():
        raise OptionError(f"{source}: SOS set {sos.name!r} is not supported (no SOS structure "
                          "in qopt; state it as linear constraints over binaries)")
    model = ModelTerms(name=mdl.name or "docplex")
    index: dict[int, int] = {}
    for v in mdl.iter_variables():
        kind = _KINDS.get(v.vartype.short_name)
        if kind is None:
            raise OptionError(f"{source}: variable {_name(v)!r} is {v.vartype.short_name}; qopt "
                              "takes binary and bounded integer variables only")
        index[v.index] = model.add_variable(_name(v), kind, v.lb, v.ub, source=source)
    model.sense = "min" if mdl.is_minimized() else "max"
    model.objective = _poly(mdl.objective_expr, index)
    for ct in mdl.iter_constraints():
        kind = type(ct).__name__
        if kind == "RangeConstraint":
            lhs = _poly(ct.expr, index)
            name, shift = ct.name or f"c{ct.index}", lhs.constant
            model.add_constraint(f"{name}_lo", Polynomial(dict(lhs.terms)), ">=", ct.lb - shift)
            model.add_constraint(f"{name}_hi", Polynomial(dict(lhs.terms)), "<=", ct.ub - shift)
        elif kind in ("LinearConstraint", "QuadraticConstraint"):
            lhs = _minus(_poly(ct.left_expr, index), _poly(ct.right_expr, index))
            rhs, lhs.constant = -lhs.constant, 0.0
            model.add_constraint(ct.name or f"c{ct.index}", lhs, _SENSES[ct.sense.name], rhs)
        else:
            raise OptionError(f"{source}: constraint {ct.name!r} is a {kind}; qopt takes "
                              "linear, range and quadratic constraints")
    return model


def to_docplex(model: ModelTerms):
    """A docplex ``Model`` saying the same as ``model`` (binary / integer variables, degree
    <= 2; others are refused)."""
    require("docplex", "writing a docplex Model")
    from docplex.mp.model import Model

    refuse(model, "a docplex Model", kinds=("binary", "integer"), max_degree=2)
    mdl = Model(name=model.name)
    xs = [mdl.binary_var(name=v.name) if v.kind == "binary"
          else mdl.integer_var(v.lower, v.upper, name=v.name) for v in model.variables]

    def expr(p: Polynomial):
        lin = mdl.linear_expr(p.constant)
        quad = []
        for key, c in p.terms.items():
            if len(key) == 1:
                lin.add_term(xs[key[0]], c)
            else:
                quad.append(c * xs[key[0]] * xs[key[1]])
        return lin + mdl.sum(quad) if quad else lin

    objective = expr(model.objective)
    (mdl.maximize if model.sense == "max" else mdl.minimize)(objective)
    for c in model.constraints:
        lhs = expr(c.lhs)
        ct = lhs <= c.rhs if c.sense == "<=" else lhs >= c.rhs if c.sense == ">=" else \
            lhs == c.rhs
        mdl.add_constraint(ct, ctname=c.name)
    return mdl


__all__ = ["from_docplex", "to_docplex"]
