"""qiskit-addon-opt-mapper ``OptimizationProblem`` in and out (extra ``interop``).

In: binary, spin and bounded integer variables; the objective's constant, linear, quadratic
and higher-order parts (``objective.higher_order``, ``{k: HigherOrderExpression}``); linear,
quadratic and higher-order constraints with their names and senses. A repeated index in a
quadratic or higher-order key is a power (``("y", "y")`` is y^2). Continuous variables are
refused naming the variable (qopt searches over discrete values only), as are unbounded
integers. A binary variable whose bounds fix it becomes a constraint ``fix_<name>``.

Out: one variable per model variable (same names, kinds, bounds), the objective split by
degree, and each constraint as a linear (degree <= 1), quadratic (2) or higher-order (>= 3)
constraint of the same name.
"""

from __future__ import annotations

from qopt.errors import OptionError
from qopt.model.interop._extra import require
from qopt.model.interop.terms import ModelTerms, Polynomial, split_by_degree

SOURCE = "OptimizationProblem"


def _sense(sense) -> str:
    return {"LE": "<=", "GE": ">=", "EQ": "=="}[sense.name]


def _poly(linear, quadratic, higher_order, constant: float = 0.0) -> Polynomial:
    p = Polynomial(constant=float(constant))
    for i, c in linear.to_dict().items():
        p.add((i,), c)
    for key, c in (quadratic.to_dict() if quadratic is not None else {}).items():
        p.add(key, c)
    for expr in (higher_order or {}).values():
        for key, c in expr.coefficients.items():
            p.add(key, c)
    return p


def from_optimization_problem(problem) -> ModelTerms:
    """The :class:`ModelTerms` of an opt-mapper ``OptimizationProblem`` (see the module
    docstring for what is taken and what is refused)."""
    require("qiskit_addon_opt_mapper", "reading an OptimizationProblem")
    return read_problem(problem, SOURCE)


def read_problem(problem, what: str) -> ModelTerms:
    """Read an opt-mapper ``OptimizationProblem`` or a qiskit-optimization
    ``QuadraticProgram`` (the same API without spins and higher-order parts)."""
    source = f"{what} {problem.name!r}" if problem.name else what
    model = ModelTerms(name=problem.name or what)
    fixed = []
    for v in problem.variables:
        kind = v.vartype.name.lower()
        i = model.add_variable(v.name, kind, v.lowerbound, v.upperbound, source=source)
        if kind == "binary" and (v.lowerbound > 0 or v.upperbound < 1):
            fixed.append((i, v))
    obj = problem.objective
    model.sense = "max" if obj.sense.name == "MAXIMIZE" else "min"
    model.objective = _poly(obj.linear, obj.quadratic, getattr(obj, "higher_order", None),
                            obj.constant)
    for c in problem.linear_constraints:
        model.add_constraint(c.name, _poly(c.linear, None, None), _sense(c.sense), c.rhs)
    for c in problem.quadratic_constraints:
        model.add_constraint(c.name, _poly(c.linear, c.quadratic, None), _sense(c.sense), c.rhs)
    for c in getattr(problem, "higher_order_constraints", ()):
        model.add_constraint(c.name, _poly(c.linear, c.quadratic, c.higher_order),
                             _sense(c.sense), c.rhs)
    for i, v in fixed:
        if v.lowerbound > 1 or v.upperbound < 0:
            raise OptionError(f"{source}: binary variable {v.name!r} has bounds "
                              f"[{v.lowerbound}, {v.upperbound}] that exclude both 0 and 1")
        model.add_constraint(f"fix_{v.name}", Polynomial({(i,): 1.0}), "==",
                             1 if v.lowerbound > 0 else 0)
    return model


def to_optimization_problem(model: ModelTerms):
    """An opt-mapper ``OptimizationProblem`` saying the same as ``model``."""
    mapper = require("qiskit_addon_opt_mapper", "writing an OptimizationProblem")
    return write_problem(model, mapper.OptimizationProblem(model.name))


def write_problem(model: ModelTerms, op):
    """Fill the empty ``op`` (an ``OptimizationProblem`` or a ``QuadraticProgram``; the
    caller has checked that the latter gets no spin and no term above degree 2)."""
    for v in model.variables:
        if v.kind == "binary":
            op.binary_var(v.name)
        elif v.kind == "spin":
            op.spin_var(v.name)
        else:
            op.integer_var(v.lower, v.upper, v.name)
    lin, quad, higher = split_by_degree(model.objective)
    extra = {"higher_order": higher} if higher else {}
    setter = op.maximize if model.sense == "max" else op.minimize
    setter(constant=model.objective.constant, linear=lin, quadratic=quad, **extra)
    for c in model.constraints:
        lin, quad, higher = split_by_degree(c.lhs)
        rhs = c.rhs - c.lhs.constant
        if higher:
            op.higher_order_constraint(linear=lin, quadratic=quad, higher_order=higher,
                                       sense=c.sense, rhs=rhs, name=c.name)
        elif quad:
            op.quadratic_constraint(lin, quad, c.sense, rhs, c.name)
        else:
            op.linear_constraint(lin, c.sense, rhs, c.name)
    return op


__all__ = ["from_optimization_problem", "read_problem", "to_optimization_problem",
           "write_problem"]
