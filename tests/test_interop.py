"""Models of other libraries in and out, cross-checked against each library's own evaluator on
every assignment of small models (every variable kind, every constraint kind), and round trips
out and back in identical."""

from __future__ import annotations

import numpy as np
import pytest
from docplex_reference import docplex_values

import qopt
from qopt.errors import OptionError, QoptError
from qopt.model.interop import (
    as_terms,
    from_object,
    is_model_object,
    to_binary_polynomial,
    to_bqm,
    to_cqm,
    to_docplex,
    to_optimization_problem,
    to_quadratic_program,
)
from qopt.model.interop.bridge import to_program
from qopt.model.interop.terms import ModelTerms, Polynomial

mapper = pytest.importorskip("qiskit_addon_opt_mapper")
dimod = pytest.importorskip("dimod")
qo = pytest.importorskip("qiskit_optimization")
docplex_model = pytest.importorskip("docplex.mp.model")


def _feasible_reference(check, V) -> np.ndarray:
    return np.array([bool(check(row)) for row in V])


def _program_agrees(model: ModelTerms, V, objective, feasible) -> None:
    """The qopt.Program built from the terms evaluates like the source library, on every
    row of V, and reads back into the same terms."""
    program = to_program(model)
    assert isinstance(program, qopt.Program)
    assert [v.name for v in program.variables] == model.names
    np.testing.assert_allclose(program.evaluate(V), objective)
    np.testing.assert_array_equal(program.is_feasible(V), feasible)
    assert as_terms(program).same_as(model)


# ---- opt-mapper -------------------------------------------------------------------------------
def _mapper_problem(sense: str = "min"):
    op = mapper.OptimizationProblem("mix")
    op.binary_var("x")
    op.binary_var("w")
    op.spin_var("s")
    op.integer_var(-1, 2, "y")
    (op.maximize if sense == "max" else op.minimize)(
        constant=1.5, linear={"x": 2, "s": -1, "y": 0.5},
        quadratic={("y", "y"): 1, ("x", "s"): 3, ("x", "x"): -1, ("s", "s"): 2},
        higher_order={3: {("x", "s", "y"): 2, ("y", "y", "y"): -0.5},
                      4: {("x", "w", "s", "y"): 1.25, ("s", "s", "y", "y"): 1}})
    op.linear_constraint({"x": 1, "y": 1}, "<=", 2, "lin")
    op.quadratic_constraint({"w": 1}, {("s", "y"): 1}, ">=", 0, "quad")
    op.higher_order_constraint(linear={"x": 1}, higher_order={3: {("w", "s", "y"): 1}},
                               sense="==", rhs=0, name="cubic")
    return op


@pytest.mark.parametrize("sense", ["min", "max"])
def test_opt_mapper_matches_its_own_evaluator_on_every_assignment(sense):
    op = _mapper_problem(sense)
    model = from_object(op)
    assert model.names == ["x", "w", "s", "y"]
    assert [v.kind for v in model.variables] == ["binary", "binary", "spin", "integer"]
    assert model.sense == sense and model.degree == 4
    V = model.assignments()
    assert V.shape == (2 * 2 * 2 * 4, 4)
    ref = np.array([op.objective.evaluate(row.tolist()) for row in V])
    np.testing.assert_allclose(model.evaluate(V), ref)
    feas = model.is_feasible(V)
    np.testing.assert_array_equal(feas, _feasible_reference(op.is_feasible, V))
    assert 0 < feas.sum() < len(V)          # the constraints cut something, not everything
    _program_agrees(model, V, ref, feas)


def test_opt_mapper_round_trip_is_identical():
    model = from_object(_mapper_problem())
    back = from_object(to_optimization_problem(model))
    assert back.same_as(model)
    op2 = to_optimization_problem(model)
    assert [c.name for c in op2.linear_constraints] == ["lin"]
    assert [c.name for c in op2.quadratic_constraints] == ["quad"]
    assert [c.name for c in op2.higher_order_constraints] == ["cubic"]


def test_opt_mapper_refusals_name_the_variable():
    op = mapper.OptimizationProblem()
    op.continuous_var(0, 1, "c")
    with pytest.raises(QoptError, match=r"'c'.*continuous"):
        from_object(op)
    op = mapper.OptimizationProblem()
    op.integer_var(0, mapper.INFINITY, "k")
    with pytest.raises(QoptError, match=r"'k'.*unbounded"):
        from_object(op)


def test_fixed_binary_bound_becomes_a_constraint():
    op = mapper.OptimizationProblem()
    x = op.binary_var("x")
    op.binary_var("z")
    x.lowerbound = 1
    op.minimize(linear={"x": 1, "z": 1})
    model = from_object(op)
    assert [c.name for c in model.constraints] == ["fix_x"]
    V = model.assignments()
    np.testing.assert_array_equal(model.is_feasible(V), _feasible_reference(op.is_feasible, V))


# ---- qiskit-optimization ----------------------------------------------------------------------
def _quadratic_program():
    qp = qo.QuadraticProgram("qp")
    qp.binary_var("a")
    qp.binary_var("b")
    qp.integer_var(-2, 1, "k")
    qp.maximize(constant=-1, linear={"a": 1, "k": 2}, quadratic={("a", "b"): -2, ("k", "k"): 1,
                                                                 ("b", "k"): 3})
    qp.linear_constraint({"a": 1, "b": 1, "k": 1}, ">=", 0, "ge")
    qp.linear_constraint({"a": 1, "b": -1}, "==", 0, "eq")
    qp.quadratic_constraint({"a": 1}, {("k", "k"): 1, ("a", "b"): 1}, "<=", 3, "qc")
    return qp


def test_quadratic_program_matches_its_evaluator_and_round_trips():
    qp = _quadratic_program()
    model = from_object(qp)
    V = model.assignments()
    np.testing.assert_allclose(model.evaluate(V),
                               [qp.objective.evaluate(r.tolist()) for r in V])
    feas = model.is_feasible(V)
    np.testing.assert_array_equal(feas, _feasible_reference(qp.is_feasible, V))
    assert 0 < feas.sum() < len(V)
    _program_agrees(model, V, [qp.objective.evaluate(r.tolist()) for r in V], feas)
    back = to_quadratic_program(model)
    assert isinstance(back, qo.QuadraticProgram)
    assert from_object(back).same_as(model)


def test_quadratic_program_out_refuses_spins_and_cubic_terms():
    with pytest.raises(OptionError, match=r"spin variables.*'s'"):
        to_quadratic_program(_mapper_problem())
    op = mapper.OptimizationProblem()
    op.binary_var("x")
    op.binary_var("y")
    op.binary_var("z")
    op.minimize(higher_order={3: {("x", "y", "z"): 1}})
    with pytest.raises(OptionError, match=r"degree <= 2.*objective has degree 3"):
        to_quadratic_program(op)


# ---- docplex ----------------------------------------------------------------------------------
def _docplex_model():
    m = docplex_model.Model("dx")
    x = m.binary_var("x")
    y = m.integer_var(-1, 3, "y")
    z = m.binary_var()                      # anonymous: docplex's LP name x3
    m.maximize(3 * x + 2 * y * y - x * y + 4 + z)
    m.add_constraint(x + y <= 2, "c1")
    m.add_constraint(x * y + z >= 0, "q1")
    m.add_range(0, x + z + 1, 2, "r1")
    m.add_constraint(2 <= x + y + z, "c2")  # noqa: SIM300 (docplex flips it)
    return m, (x, y, z)


def test_docplex_matches_its_solution_evaluation_on_every_assignment():
    m, _ = _docplex_model()
    model = from_object(m)
    assert model.names == ["x", "y", "x3"] and model.sense == "max"
    assert [c.name for c in model.constraints] == ["c1", "r1_lo", "r1_hi", "c2", "q1"]
    V = model.assignments()
    objective, feasible = docplex_values(m, V)
    np.testing.assert_allclose(model.evaluate(V), objective)
    np.testing.assert_array_equal(model.is_feasible(V), feasible)
    assert 0 < sum(feasible) < len(V)
    _program_agrees(model, V, objective, feasible)
    assert from_object(to_docplex(model)).same_as(model)


def test_docplex_refusals_name_the_element():
    m = docplex_model.Model()
    m.continuous_var(0, 1, "c")
    with pytest.raises(QoptError, match=r"'c'.*continuous"):
        from_object(m)
    m = docplex_model.Model()
    x = m.binary_var("x")
    y = m.integer_var(0, 3, "y")
    m.add_indicator(x, y <= 1, name="ind")
    with pytest.raises(QoptError, match=r"'ind'.*IndicatorConstraint"):
        from_object(m)
    m = docplex_model.Model()
    m.integer_var(name="u")
    with pytest.raises(QoptError, match=r"'u'.*unbounded"):
        from_object(m)


# ---- dimod ------------------------------------------------------------------------------------
@pytest.mark.parametrize("vartype", ["BINARY", "SPIN"])
def test_bqm_matches_dimod_energy_and_round_trips(vartype):
    rng = np.random.default_rng(3)
    bqm = dimod.BinaryQuadraticModel({f"v{i}": rng.normal() for i in range(5)},
                                     {(f"v{i}", f"v{j}"): rng.normal()
                                      for i in range(5) for j in range(i + 1, 5)},
                                     0.75, vartype)
    model = from_object(bqm)
    V = model.assignments()
    energies = bqm.energies((V, [str(v) for v in bqm.variables]))
    np.testing.assert_allclose(model.evaluate(V), energies)
    _program_agrees(model, V, energies, np.ones(len(V), bool))
    back = to_bqm(model)
    assert back.vartype is bqm.vartype
    assert back.is_almost_equal(bqm)


@pytest.mark.parametrize("vartype", ["BINARY", "SPIN"])
def test_binary_polynomial_matches_dimod_energy_and_round_trips(vartype):
    poly = dimod.BinaryPolynomial({("a", "b", "c"): 2, ("a",): 1, (): 3, ("c", "a"): -1,
                                   ("a", "b", "c", "d"): -1.5, ("d",): 0.5}, vartype)
    model = from_object(poly)
    assert model.names == ["a", "b", "c", "d"] and model.degree == 4
    V = model.assignments()
    np.testing.assert_allclose(model.evaluate(V), poly.energies((V, model.names)))
    _program_agrees(model, V, poly.energies((V, model.names)), np.ones(len(V), bool))
    back = to_binary_polynomial(model)
    assert back == poly


def test_cqm_matches_dimod_energy_and_feasibility():
    cqm = dimod.ConstrainedQuadraticModel()
    x, w = dimod.Binary("x"), dimod.Binary("w")
    i = dimod.Integer("i", lower_bound=-2, upper_bound=3)
    s = dimod.Spin("s")
    cqm.set_objective(2 * x * i + 3 * s + i * i - w * s + 1.5)
    cqm.add_constraint(x + i * s <= 2, label="le")
    cqm.add_constraint(i * i - w == 3, label="eq")
    cqm.add_constraint(x + w + s >= 0, label="ge")
    model = from_object(cqm)
    V = model.assignments()
    labels = model.names
    np.testing.assert_allclose(model.evaluate(V), cqm.objective.energies((V, labels)))
    ref = [cqm.check_feasible(dict(zip(labels, r.tolist()))) for r in V]
    np.testing.assert_array_equal(model.is_feasible(V), ref)
    assert 0 < sum(ref) < len(V)
    _program_agrees(model, V, cqm.objective.energies((V, labels)), ref)
    back = to_cqm(model)
    assert from_object(back).same_as(model)


def test_cqm_refusals():
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.add_variable("REAL", "r")
    with pytest.raises(QoptError, match=r"'r'.*REAL"):
        from_object(cqm)
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.add_variable("INTEGER", "j")
    with pytest.raises(QoptError, match=r"'j'.*default upper bound"):
        from_object(cqm)
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.add_constraint(dimod.Binary("a") + dimod.Binary("b") <= 1, label="soft", weight=2.0)
    with pytest.raises(QoptError, match="'soft' is soft"):
        from_object(cqm)


def test_dimod_out_refuses_what_it_cannot_hold_and_negates_max():
    with pytest.raises(OptionError, match=r"no integer variables.*'y'"):
        to_bqm(_mapper_problem())
    with pytest.raises(OptionError, match="degree <= 2"):
        to_cqm(_mapper_problem())
    model = ModelTerms(sense="max")
    model.add_variable("x", "binary")
    model.add_variable("s", "spin")
    model.objective = Polynomial({(0,): 1.0, (1,): 2.0})
    with pytest.raises(OptionError, match="mixes binary and spin"):
        to_bqm(model)
    model.variables[1] = model.variables[1].__class__("s", "binary", 0, 1)
    bqm = to_bqm(model)
    V = model.assignments()
    np.testing.assert_allclose(bqm.energies((V, model.names)), -model.evaluate(V))


# ---- across libraries -------------------------------------------------------------------------
def test_one_library_to_another():
    m, _ = _docplex_model()
    op = to_optimization_problem(m)            # docplex -> opt-mapper, through the terms
    assert from_object(op).same_as(from_object(m))
    assert is_model_object(op) and not is_model_object(object())
    with pytest.raises(OptionError, match="cannot read an object of type object"):
        from_object(object())
    with pytest.raises(OptionError, match="cannot write an object of type str"):
        as_terms("nope")


def test_a_program_written_out_evaluates_the_same_in_each_library():
    """qopt.Program -> each library's model: the library's own evaluator agrees with
    Program.evaluate / is_feasible on every assignment."""
    p = qopt.Program("out")
    x, w = p.binary_var("x"), p.binary_var("w")
    n = p.integer_var("n", -1, 2)
    p.maximize(3 * x - 2 * n + x * n - w * n + n * n + 1)
    p.add_constraint(x + w + n <= 2, name="cap")
    p.add_constraint(x * n >= 0, name="quad")
    V = as_terms(p).assignments()
    objective, feasible = p.evaluate(V), p.is_feasible(V)
    assert 0 < feasible.sum() < len(V)
    op, qp = to_optimization_problem(p), to_quadratic_program(p)
    for model in (op, qp):
        np.testing.assert_allclose([model.objective.evaluate(r.tolist()) for r in V], objective)
        np.testing.assert_array_equal(_feasible_reference(model.is_feasible, V), feasible)
    m = to_docplex(p)
    ref_objective, ref_feasible = docplex_values(m, V)
    np.testing.assert_allclose(ref_objective, objective)
    np.testing.assert_array_equal(ref_feasible, feasible)
    cqm = to_cqm(p)                         # dimod minimises: the energy is -objective
    names = [v.name for v in p.variables]
    np.testing.assert_allclose(cqm.objective.energies((V, names)), -objective)
    np.testing.assert_array_equal(
        [cqm.check_feasible(dict(zip(names, r.tolist()))) for r in V], feasible)
    s = qopt.Program("spins")
    a, b, c = s.spin_var("a"), s.spin_var("b"), s.spin_var("c")
    s.minimize(a * b * c - 2 * a * b + c)
    S = as_terms(s).assignments()
    np.testing.assert_allclose(to_binary_polynomial(s).energies((S, ["a", "b", "c"])),
                               s.evaluate(S))


def _brute_best(model: ModelTerms) -> float:
    V = model.assignments()
    vals = model.evaluate(V)[model.is_feasible(V)]
    return vals.max() if model.sense == "max" else vals.min()


@pytest.mark.parametrize("solver", ["exact", "milp"])
def test_solving_each_library_object_reaches_the_brute_force_optimum(solver):
    """qopt.solve on the object itself: feasible, the brute-force optimum, and the library's
    own evaluator gives the reported objective at the reported values."""
    m, _ = _docplex_model()
    poly = dimod.BinaryPolynomial({("a", "b", "c"): -2, ("a",): 1, ("b", "d"): 0.5,
                                   ("a", "c", "d"): 1.5}, "SPIN")
    cqm = dimod.ConstrainedQuadraticModel()
    i, s = dimod.Integer("i", lower_bound=-2, upper_bound=3), dimod.Spin("s")
    x = dimod.Binary("x")
    cqm.set_objective(2 * x * i + 3 * s + i * i - x * s)
    cqm.add_constraint(x + i * s <= 2, label="le")
    cqm.add_constraint(i + x >= 0, label="ge")
    cases = [
        (_mapper_problem("max"), lambda o, v: o.objective.evaluate([v[n.name] for n in
                                                                    o.variables])),
        (_quadratic_program(), lambda o, v: o.objective.evaluate([v[n.name] for n in
                                                                  o.variables])),
        (m, None),
        (poly, lambda o, v: o.energy(v)),
        (cqm, lambda o, v: o.objective.energy(v)),
    ]
    for obj, evaluate in cases:
        res = qopt.solve(obj, solver, seed=0)
        best = _brute_best(from_object(obj))
        assert res.feasible, type(obj).__name__
        assert res.objective == pytest.approx(best), type(obj).__name__
        if evaluate is not None:
            assert evaluate(obj, res.values) == pytest.approx(res.objective)
        assert all(type(v) is int for v in res.values.values())


def test_load_takes_model_objects_too():
    bqm = dimod.BinaryQuadraticModel({"a": 1, "b": -1}, {("a", "b"): 2}, 0.0, "SPIN")
    problem = qopt.load(bqm)
    assert problem.num_vars == 2
    assert qopt.solve(problem, "exact").values == qopt.solve(bqm, "exact").values
    with pytest.raises(OptionError, match="cannot make a problem of an object of type int"):
        qopt.load(3)


def test_binary_program_and_hubo_written_out_keep_their_higher_order_parts():
    """A BinaryProgram of degree >= 3 (LABS; rows with products) and a HUBO written out keep
    every term: each library's evaluator equals the program's own on every assignment."""
    bp = qopt.generate("labs", 5, seed=0).to_program()          # quartic objective
    bp.add_constraint({(0, 1, 2): 1.0, 3: 1.0}, "<=", 1, name="poly")
    X = as_terms(bp).assignments()
    op = to_optimization_problem(bp)
    np.testing.assert_allclose([op.objective.evaluate(r.tolist()) for r in X], bp.objective(X))
    np.testing.assert_array_equal(_feasible_reference(op.is_feasible, X), bp.is_feasible(X))
    h = qopt.HUBO({(0, 1, 2): -3.0, (1, 2, 3, 4): 2.0, (0, 4): 1.0, (3,): -1.0}, offset=0.5)
    poly = to_binary_polynomial(h)
    np.testing.assert_allclose(poly.energies((X, [f"x{i}" for i in range(5)])), h.energy(X))
    from qopt.model.qs import write_qs

    with pytest.raises(QoptError, match="degree 4"):          # no LP form: refused, not cut
        qopt.model.write_lp(bp, "never.lp")
    with pytest.raises(QoptError, match="degree 4"):          # nor a QUBO file
        write_qs(qopt.generate("labs", 5, seed=0).to_program(), "never.qs")
