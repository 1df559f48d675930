"""qopt.Program: expressions, variable kinds, encodings and lowering, against brute force."""

import itertools

import numpy as np
import pytest

import qopt
from qopt.bits import indices_to_bits
from qopt.errors import ModelError, OptionError, QoptError
from qopt.model import BinaryProgram, Program


def all_bits(n):
    return indices_to_bits(np.arange(1 << n), n)


def value_grid(p):
    """Every point of the model's domain, shape (k, num_vars)."""
    ranges = [range(v.lb, v.ub + 1) if v.kind != "spin" else (-1, 1) for v in p.variables]
    return np.array(list(itertools.product(*ranges)), dtype=float)


def mixed_program(encoding):
    p = Program("mixed")
    x, y = p.binary_var("x"), p.binary_var("y")
    n = p.integer_var("n", -1, 3, encoding=encoding)
    s = p.spin_var("s")
    p.minimize(3 * x * y * n - 2 * n ** 2 + x - s * n + 2 * s * x * y + 1)
    p.add_constraint(x * y + n >= 0, name="quad")
    p.add_constraint(x * y * s <= 0, name="cubic")
    return p


def test_expression_algebra_simplifies_by_kind():
    p = Program()
    x, s, n = p.binary_var("x"), p.spin_var("s"), p.integer_var("n", 0, 3)
    assert (x * x).terms() == {("x",): 1.0}
    assert (s * s).terms() == {} and (s * s).constant == 1.0
    assert (n * n).terms() == {("n", "n"): 1.0}
    e = (x + s) ** 2 - 2 * x * s
    assert e.terms() == {("x",): 1.0} and e.constant == 1.0
    assert sum([x, s, n]).terms() == {("x",): 1.0, ("s",): 1.0, ("n",): 1.0}
    assert ((x + 4) / 2).constant == 2.0


def test_terms_mapping_equals_expression():
    p = Program()
    x, y, z = p.binary_vars(3, "x")
    a = p.expression({("x0", "x1", "x2"): 2.0, "x0": 1.0, (): 3.0, ("x1", "x1"): -1.0})
    b = 2 * x * y * z + x + 3 - y
    assert a.coefficients == b.coefficients


@pytest.mark.parametrize("encoding", ["log", "unary", "one-hot"])
def test_every_encoding_lowers_exactly(encoding):
    p = mixed_program(encoding)
    low = p.lower()
    nb = low.program.num_vars
    X = all_bits(nb)
    V = low.decode_matrix(X)
    # the lowered objective is the model's objective at the decoded values, for every bit row
    assert np.allclose(low.program.objective(X), p.evaluate(V))
    feasible = low.program.is_feasible(X)
    assert (p.is_feasible(V)[feasible]).all()
    # and the feasible bit rows decode to exactly the model's feasible points
    grid = value_grid(p)
    ok = p.is_feasible(grid)
    assert {tuple(r) for r in V[feasible]} == {tuple(r) for r in grid[ok]}
    assert low.program.objective(X[feasible]).min() == pytest.approx(p.evaluate(grid[ok]).min())
    # every value encodes and decodes back
    for row in grid:
        values = {v.name: int(row[v.index]) for v in p.variables}
        assert low.decode(low.encode(values)) == values


def test_one_hot_integer_is_constraint_structure():
    p = Program()
    n = p.integer_var("n", 0, 3, encoding="one-hot")
    m = p.integer_var("m", 1, 2, encoding="one-hot")
    p.minimize(n * m)
    low = p.lower()
    from qopt.model.structure import detect_structure

    st = detect_structure(low.program)
    assert st.one_hot_groups == (tuple(range(4)), (4, 5))
    assert low.program.constraint_names == ["n:one-hot", "m:one-hot"]


def test_bit_counts_per_encoding():
    p = Program()
    p.integer_var("a", 0, 5)
    p.integer_var("b", 2, 7, encoding="unary")
    p.integer_var("c", -1, 1, encoding="one-hot")
    p.integer_var("d", 4, 4)
    low = p.lower()
    assert [len(e.indices) for e in low.encodings] == [3, 5, 3, 0]
    assert low.decode(np.zeros(low.program.num_vars)) == {"a": 0, "b": 2, "c": -1, "d": 4}
    low2 = p.lower(encodings={"a": "unary"})
    assert len(low2.encodings[0].indices) == 5


def test_spin_bits_are_one_minus_two_x():
    p = Program()
    s = p.spin_var("s")
    p.minimize(s)
    low = p.lower()
    assert low.decode([0]) == {"s": 1} and low.decode([1]) == {"s": -1}
    assert low.program.objective(np.array([[0], [1]])).tolist() == [1.0, -1.0]


def test_evaluate_and_feasibility_in_user_terms():
    p = mixed_program("log")
    vals = {"x": 1, "y": 1, "n": -1, "s": 1}
    assert p.evaluate(vals) == pytest.approx(3 * -1 - 2 + 1 + 1 + 2 + 1)
    assert not p.is_feasible(vals)                    # x y + n = 0 ok, x y s = 1 > 0
    assert p.is_feasible({"x": 1, "y": 1, "n": 0, "s": -1})
    assert not p.is_feasible({"x": 1, "y": 1, "n": 7, "s": -1})   # out of bounds
    assert not p.is_feasible({"x": 0.5, "y": 1, "n": 0, "s": -1})  # not integral
    with pytest.raises(ModelError, match="miss"):
        p.evaluate({"x": 1})


def test_continuous_variables_are_refused_by_name():
    p = Program()
    with pytest.raises(ModelError, match="'price' is continuous"):
        p.continuous_var("price")
    with pytest.raises(ModelError, match="'k' needs a finite ub"):
        p.integer_var("k", 0, float("inf"))


@pytest.mark.parametrize("call, match", [
    (lambda p: (p.binary_var("x"), p.binary_var("x")), "declared twice"),
    (lambda p: p.integer_var("k", 3, 1), "lb 3 > ub 1"),
    (lambda p: p.integer_var("k", 0, 2, encoding="gray"), "unknown integer encoding"),
    (lambda p: p.add_constraint({("nope",): 1}, "<=", 1), "no variable 'nope'"),
    (lambda p: p.add_constraint({}, "<>", 1), "sense"),
    (lambda p: p.set_objective("x"), "expression or a mapping"),
    (lambda p: p.binary_var("x") ** -1, "non-negative integer"),
    (lambda p: bool(p.binary_var("x") <= 1), "truth value"),
    (lambda p: Program().binary_var("z") + p.binary_var("x"), "two different programs"),
])
def test_misuse_is_a_model_error(call, match):
    with pytest.raises(ModelError, match=match):
        call(Program())


def test_binary_program_misuse_named_in_the_issue():
    with pytest.raises(OptionError, match="not a pair"):
        BinaryProgram(3, quadratic={(0, 1, 2): 1})
    # a tuple key is now a polynomial row, not a TypeError
    bp = BinaryProgram(3)
    bp.add_constraint({(0, 1): 1}, "<=", 0)
    assert bp.row_degree(0) == 2 and bp.is_feasible([1, 0, 1]) and not bp.is_feasible([1, 1, 0])
    with pytest.raises(QoptError):
        bp.add_constraint({(0, 7): 1}, "<=", 0)


def test_binary_program_higher_order_objective_and_rows():
    bp = BinaryProgram(4, linear=[1, 0, 0, 0], terms={(0, 1, 2): -3.0, (1, 2, 3, 0): 2.0},
                       sense="max")
    bp.add_constraint({(0, 1, 2): 1.0, 3: 1.0}, "<=", 1)
    X = all_bits(4)
    ref = X[:, 0] - 3.0 * X[:, 0] * X[:, 1] * X[:, 2] + 2.0 * X.prod(axis=1)
    assert np.allclose(bp.objective(X), ref)
    assert np.array_equal(bp.is_feasible(X), X[:, :3].prod(axis=1) + X[:, 3] <= 1)
    assert bp.degree == 4 and bp.nonlinear_rows == (0,) and not bp.is_quadratic_linear
    c = bp.copy()
    assert np.allclose(c.objective(X), ref) and c.nonlinear_rows == (0,)


def test_public_names():
    assert qopt.Program is Program and qopt.HUBO is qopt.model.HUBO
    assert issubclass(qopt.ModelError, qopt.OptionError)


@pytest.mark.parametrize("encoding", ["log", "unary", "one-hot"])
def test_penalised_forms_keep_the_optimum(encoding):
    """HUBO (slack bits minimised out) and the quadratised QUBO (slack and auxiliary bits
    minimised out): feasible rows keep their objective, infeasible ones sit above the optimum."""
    from qopt.model.convert import program_to_hubo, program_to_qubo

    p = mixed_program(encoding)
    p.add_constraint(p.variable("x") + p.variable("n") == 1, name="eq")
    bp = p.lower().program
    n = bp.num_vars
    X = all_bits(n)
    feasible = bp.is_feasible(X)
    best = bp.objective(X[feasible]).min()
    hubo = program_to_hubo(bp)
    assert hubo.degree >= 3 and set(hubo.constraint_handling) >= {"quad", "cubic", "eq"}
    assert hubo.constraint_handling["cubic"].startswith("slack")   # x y (1 - 2 b_s) <= 0
    for form in (hubo, program_to_qubo(bp)):
        per_x = form.diagonal().reshape(-1, 1 << n).min(axis=0)
        assert np.allclose(per_x[feasible], bp.objective(X[feasible]))
        assert (per_x[~feasible] > best).all()


def test_set_encoding_on_a_read_model():
    p = Program()
    p.integer_var("y", 0, 2)
    p.binary_var("x")
    p.set_encoding("y", "onehot")
    assert p.variable("y").encoding == "one-hot" and len(p.lower().encodings[0].indices) == 3
    with pytest.raises(ModelError, match="only integers"):
        p.set_encoding("x", "log")
