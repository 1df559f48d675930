"""Every misuse of the public Python API is a QoptError (issue #18 point 6).

Hypothesis feeds malformed arguments to the model constructors and methods (Program and its
expressions, its Lowering, BinaryProgram, QUBO, HUBO), to the interop readers and writers
(library objects, LP / MPS / .qs files) and to qopt.solve / qopt.load; only a QoptError or a
result may come out -- never a raw ValueError / TypeError / IndexError from numpy or scipy.
"""

import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qopt
from qopt.errors import QoptError
from qopt.model import HUBO, QUBO, BinaryProgram, Program

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.integers(-2 ** 70, 2 ** 70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=3),
    st.sampled_from(["min", "max", "<=", "==", ">=", "log", "unary", "one-hot", "x", "x0",
                     "binary", "spin", "integer", "continuous", "exact", "anneal"]),
    st.just(1j), st.just(object()))
keys = st.one_of(scalars, st.tuples(scalars), st.tuples(scalars, scalars),
                 st.tuples(st.integers(-2, 6), st.integers(-2, 6), st.integers(-2, 6)),
                 st.lists(st.integers(0, 3), max_size=4).map(tuple))
mappings = st.dictionaries(keys, scalars, max_size=4)
arrays = st.one_of(
    st.lists(scalars, max_size=5),
    st.lists(st.lists(st.floats(-3, 3), min_size=1, max_size=4), max_size=4),
    st.integers(0, 4).map(lambda k: np.ones((k, 3))),
    st.integers(0, 4).map(lambda k: np.full(k, np.nan)))
junk = st.one_of(scalars, mappings, arrays)
SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


#: Python's own signature errors (a missing or extra argument), which already name it
_SIGNATURE = re.compile(r"missing \d+ required|takes .* positional argument|unexpected keyword")


def only_qopt_errors(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except QoptError:
        return None
    except TypeError as err:
        if _SIGNATURE.search(str(err)):
            return None
        raise


def small_program():
    p = Program("p")
    x, y = p.binary_var("x"), p.binary_var("y")
    n = p.integer_var("n", 0, 2)
    s = p.spin_var("s")
    p.minimize(x * y * n + s * x - n)
    p.add_constraint(x + n <= 2, name="c")
    return p


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["add_variable", "binary_var", "spin_var",
                                           "integer_var", "binary_vars", "continuous_var"]),
                          st.lists(junk, max_size=5)), max_size=4),
       st.tuples(junk, junk, junk))
def test_program_declarations(calls, ctor):
    p = only_qopt_errors(Program, *ctor[:2]) or Program()
    for method, args in calls:
        only_qopt_errors(getattr(p, method), *args)


@SETTINGS
@given(st.sampled_from(["set_objective", "add_constraint", "expression", "evaluate",
                        "is_feasible", "violation", "lower", "minimize", "maximize", "variable",
                        "constraint", "set_encoding", "integer_vars", "spin_vars",
                        "value_matrix", "domain_violation"]),
       st.lists(junk, max_size=4))
def test_program_methods(method, args):
    p = small_program()
    only_qopt_errors(getattr(p, method), *args)


@settings(SETTINGS, max_examples=60)
@given(st.sampled_from(["decode", "decode_matrix", "encode"]), junk)
def test_lowering_maps(method, arg):
    low = small_program().lower()
    only_qopt_errors(getattr(low, method), arg)


@settings(SETTINGS, max_examples=60)
@given(obj=junk, name=st.sampled_from(["as_terms", "from_object", "to_optimization_problem",
                                       "to_quadratic_program", "to_docplex", "to_bqm",
                                       "to_binary_polynomial", "to_cqm", "read_lp", "read_qs",
                                       "load", "write_lp", "write_qs"]))
def test_interop_and_files(tmp_path_factory, obj, name):
    from qopt.model import interop, lp, qs

    fn = {"read_lp": lp.read_lp, "read_qs": qs.read_qs, "load": qopt.load,
          "write_lp": lp.write_lp, "write_qs": qs.write_qs}.get(name) or getattr(interop, name)
    if name.startswith("write"):
        folder = tmp_path_factory.mktemp("w")
        only_qopt_errors(fn, obj, folder / f"m.{name[-2:]}")        # a junk model
        only_qopt_errors(fn, QUBO(None, [1.0, -1.0]), obj)            # a junk path
    else:
        only_qopt_errors(fn, obj)


@SETTINGS
@given(st.sampled_from(["__add__", "__sub__", "__mul__", "__truediv__", "__pow__", "__le__",
                        "__ge__", "__eq__", "__radd__", "__rsub__", "__rmul__"]), junk)
def test_expression_operators(op, other):
    p = small_program()
    for operand in (p.variable("n"), p.variable("x") * p.variable("s") + 1):
        only_qopt_errors(getattr(operand, op), other)


@SETTINGS
@given(st.lists(junk, max_size=7), mappings)
def test_binary_program(args, terms):
    bp = only_qopt_errors(BinaryProgram, *args)
    only_qopt_errors(BinaryProgram, 3, terms=terms)
    bp = BinaryProgram(3)
    only_qopt_errors(bp.add_constraint, *args[:4])
    only_qopt_errors(bp.add_constraints, *args[:4])
    only_qopt_errors(bp.objective, args[0] if args else None)


@SETTINGS
@given(st.lists(junk, max_size=4), st.one_of(st.none(), st.integers(-3, 6), junk))
def test_qubo_and_hubo(args, num_vars):
    only_qopt_errors(QUBO, *args[:3], num_vars=num_vars)
    only_qopt_errors(QUBO.from_matrix, args[0] if args else None)
    h = only_qopt_errors(HUBO, *args[:3], num_vars=num_vars)
    only_qopt_errors(HUBO.from_spin, args[0] if args else None)
    if h is not None and h.num_vars <= 6:
        only_qopt_errors(h.energy, args[-1] if args else None)
        assert np.all(np.isfinite(h.diagonal()))


#: solve keywords: malformed, but never a huge valid work request (iterations=2**70 is valid)
small_junk = st.one_of(st.none(), st.booleans(), st.integers(-3, 40), st.floats(),
                       st.text(max_size=2), mappings, arrays)


@settings(SETTINGS, max_examples=40)
@given(junk, st.dictionaries(st.sampled_from(["seed", "budget", "penalty", "encoding", "kind",
                                              "reads", "iterations", "postprocess"]),
                             small_junk, max_size=3),
       st.sampled_from(["exact", "anneal", "tabu", "random"]))
def test_solve(target, keywords, solver):
    res = only_qopt_errors(qopt.solve, target, solver, **keywords)
    if res is not None:
        assert isinstance(res, qopt.SolveResult)
    res = only_qopt_errors(qopt.solve, small_program(), solver, **keywords)
    if res is not None:
        assert math.isfinite(res.objective) and set(res.values) == {"x", "y", "n", "s"}


@pytest.mark.parametrize("call", [
    lambda: BinaryProgram(3, quadratic={(0, 1, 2): 1}),
    lambda: BinaryProgram(3).add_constraint({(0, 1): 1, "a": 2}, "<=", 1),
    lambda: BinaryProgram(3).add_constraint({(0, 1): 1}, "<=", None),
    lambda: qopt.solve(object(), "exact"),
    # penalties CI's hypothesis run found raising ValueError / TypeError
    lambda: qopt.solve(small_program(), "anneal", penalty=[""]),
    lambda: qopt.solve(small_program(), "anneal", penalty={None: None}),
    lambda: qopt.solve(small_program(), "anneal", penalty=[1j]),
    lambda: qopt.solve(small_program(), "anneal", penalty=True),
])
def test_the_issues_examples_are_qopt_errors(call):
    with pytest.raises(QoptError):
        call()
