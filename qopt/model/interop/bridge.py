"""The one bridge between :class:`ModelTerms` and qopt's own models.

:func:`to_program` builds a :class:`qopt.Program` (names, kinds, bounds, objective and
constraints term by term); :func:`terms_of` reads a ``Program``, a ``BinaryProgram`` (its
higher-order terms and rows with products included) or a ``HUBO`` / ``QUBO`` back into terms,
so every exporter takes any qopt model.
"""

from __future__ import annotations

import numpy as np

from qopt.errors import OptionError
from qopt.model.interop.terms import ModelTerms, Polynomial


def to_program(model: ModelTerms):
    """A :class:`qopt.Program` saying the same as ``model`` (same names, in order)."""
    from qopt.model.user import Program

    p = Program(name=model.name, sense=model.sense)
    for v in model.variables:
        if v.kind == "binary":
            p.binary_var(v.name)
        elif v.kind == "spin":
            p.spin_var(v.name)
        else:
            p.integer_var(v.name, v.lower, v.upper)
    names = model.names
    p.set_objective(_named(model.objective, names), constant=model.objective.constant,
                    sense=model.sense)
    for c in model.constraints:
        p.add_constraint(_named(c.lhs, names, with_constant=True), c.sense, c.rhs, c.name)
    return p


def to_qopt_model(model: ModelTerms):
    """A :class:`~qopt.model.program.BinaryProgram` when every variable is binary, the
    objective of degree <= 2 and every constraint linear (the form every solver took before
    ``Program``), else a :class:`qopt.Program`."""
    canon = model.canonical()
    if canon.kinds <= {"binary"} and canon.objective.degree <= 2 and \
            all(c.lhs.degree <= 1 for c in canon.constraints):
        return to_binary_program(canon)
    return to_program(model)


def to_binary_program(model: ModelTerms):
    """The :class:`~qopt.model.program.BinaryProgram` of a binary, quadratic model with
    linear constraints (canonical form)."""
    from qopt.model.program import BinaryProgram

    n = len(model.variables)
    linear = np.zeros(n)
    quad: dict[tuple[int, int], float] = {}
    for key, c in model.objective.terms.items():
        if len(key) == 1:
            linear[key[0]] += c
        else:
            quad[key] = c
    bp = BinaryProgram(n, linear, quad or None, model.objective.constant, model.sense,
                       model.names, model.name)
    for c in model.constraints:
        bp.add_constraint({key[0]: a for key, a in c.lhs.terms.items()}, c.sense,
                          c.rhs - c.lhs.constant, c.name)
    return bp


def _named(poly: Polynomial, names: list[str], with_constant: bool = False) -> dict:
    out = {tuple(names[i] for i in key): c for key, c in poly.terms.items()}
    if with_constant and poly.constant:
        out[()] = poly.constant
    return out


def terms_of(model) -> ModelTerms:
    """:class:`ModelTerms` of a qopt ``Program``, ``BinaryProgram`` or ``HUBO`` / ``QUBO``,
    every term of every degree included."""
    from qopt.model.hubo import HUBO
    from qopt.model.program import BinaryProgram

    if isinstance(model, BinaryProgram):
        return _from_binary_program(model)
    if isinstance(model, HUBO):
        out = ModelTerms(name="qubo" if not model.terms else "hubo")
        for name in model.var_names:
            out.add_variable(name, "binary", source=type(model).__name__)
        out.objective = _polynomial(model.linear, model.quadratic, model.offset, model.terms)
        return out
    try:
        from qopt.model.user import Program
    except ImportError:                     # pragma: no cover - before Program lands
        Program = ()
    if isinstance(model, Program):
        return _from_program(model)
    raise OptionError(f"cannot write an object of type {type(model).__name__}: expected a "
                      "qopt Program, BinaryProgram, HUBO or QUBO, or a model object qopt reads")


def _polynomial(linear, quadratic, offset: float, higher=None) -> Polynomial:
    """Linear (n,), strictly upper quadratic and degree-grouped ``higher`` terms as a
    :class:`Polynomial`."""
    p = Polynomial(constant=float(offset))
    for i in np.flatnonzero(linear):
        p.add((int(i),), float(linear[i]))
    U = quadratic.tocoo()
    for i, j, c in zip(U.row.tolist(), U.col.tolist(), U.data.tolist()):
        p.add((i, j), c)
    for idx, coef in (higher or {}).values():
        for key, c in zip(idx.tolist(), coef.tolist(), strict=True):
            p.add(tuple(key), c)
    return p


def _from_binary_program(bp) -> ModelTerms:
    out = ModelTerms(name=bp.name, sense=bp.sense)
    for name in bp.var_names:
        out.add_variable(name, "binary", source="BinaryProgram")
    out.objective = _polynomial(bp.linear, bp.quadratic, bp.offset, bp.terms)
    A = bp.A
    for r in range(bp.num_constraints):
        row = A.getrow(r)
        lhs = Polynomial()
        for i, c in zip(row.indices.tolist(), row.data.tolist()):
            lhs.add((i,), c)
        for idx, coef in bp.row_terms.get(r, {}).values():    # the row's products of bits
            for key, c in zip(idx.tolist(), coef.tolist(), strict=True):
                lhs.add(tuple(key), c)
        out.add_constraint(bp.constraint_names[r], lhs, bp.constraint_senses[r], bp.rhs_list[r])
    return out


def _from_program(p) -> ModelTerms:
    out = ModelTerms(name=p.name, sense=p.sense)
    for v in p.variables:
        out.add_variable(v.name, v.kind, v.lb, v.ub, source="Program")
    index = out.index()

    def poly(expr) -> Polynomial:
        q = Polynomial(constant=float(expr.constant))
        for key, c in expr.terms().items():
            q.add([index[name] for name in key], c)
        return q

    out.objective = poly(p.objective)
    for c in p.constraints:
        lhs = poly(c.expr)
        rhs, lhs.constant = c.rhs - lhs.constant, 0.0
        out.add_constraint(c.name, lhs, c.sense, rhs)
    return out


__all__ = ["terms_of", "to_binary_program", "to_program", "to_qopt_model"]
