"""LP / MPS files with bounded integer variables and quadratic constraints, at the term level
(:func:`qopt.model.lp.read_lp_terms`): brute force against HiGHS's own optimum and against
docplex's evaluation of the model that wrote the file; round trips; refusals."""

from __future__ import annotations

import lzma
import re
import sys

import numpy as np
import pytest
from docplex_reference import docplex_values

import qopt
from qopt.errors import InstanceFormatError
from qopt.model.interop import from_object
from qopt.model.interop.terms import ModelTerms, Polynomial
from qopt.model.lp import read_lp, read_lp_terms, write_lp

INTEGER_LP = r"""\ an integer knapsack with a quadratic objective
Maximize
 obj: 3 x + 2 y + 4 z - w + [ 2 x * y - 2 y ^ 2 + 4 y * z ] / 2 + 1
Subject To
 cap: x + 2 y + 3 z <= 7
 link: y - z + w >= -1
 pick: x + w = 1
Bounds
 0 <= y <= 3
 -1 <= z <= 2
Binaries
 x w
Generals
 y z
End
"""


def _highs_optimum(path) -> float:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    h.run()
    return h.getInfo().objective_function_value


def test_integer_lp_brute_force_equals_highs_optimum(tmp_path):
    path = tmp_path / "knap.lp"
    path.write_text(INTEGER_LP)
    model = read_lp_terms(path)
    assert [(v.name, v.kind, v.lower, v.upper) for v in model.variables] == [
        ("x", "binary", 0, 1), ("y", "integer", 0, 3), ("z", "integer", -1, 2),
        ("w", "binary", 0, 1)]
    assert model.sense == "max"
    V = model.assignments()
    x, y, z, w = V.T.astype(float)
    value = 3 * x + 2 * y + 4 * z - w + x * y - y * y + 2 * y * z + 1
    feasible = (x + 2 * y + 3 * z <= 7) & (y - z + w >= -1) & (x + w == 1)
    np.testing.assert_allclose(model.evaluate(V), value)
    np.testing.assert_array_equal(model.is_feasible(V), feasible)
    program = read_lp(path)                 # the user's model: integers stay integers
    assert isinstance(program, qopt.Program)
    assert program.variable("y").kind == "integer" and program.variable("z").lb == -1
    np.testing.assert_allclose(program.evaluate(V), value)
    np.testing.assert_array_equal(program.is_feasible(V), feasible)
    # HiGHS solves the linear version (its QP solver takes no indefinite Hessian): the brute-force
    # optimum over the same variables and rows must equal HiGHS's
    linear = tmp_path / "linear.lp"
    linear.write_text(INTEGER_LP.replace(" + [ 2 x * y - 2 y ^ 2 + 4 y * z ] / 2", ""))
    lin = read_lp_terms(linear)
    assert lin.evaluate(V)[lin.is_feasible(V)].max() == pytest.approx(_highs_optimum(linear))


def test_compressed_lp_as_qoblib_ships_it(tmp_path):
    path = tmp_path / "knap.lp.xz"
    with lzma.open(path, "wt") as f:
        f.write(INTEGER_LP)
    plain = tmp_path / "plain.lp"
    plain.write_text(INTEGER_LP)
    assert read_lp_terms(path).same_as(read_lp_terms(plain))


@pytest.mark.parametrize("suffix", [".lp", ".mps"])
def test_integer_model_round_trip(tmp_path, suffix):
    model = ModelTerms(name="m", sense="min")
    for name, kind, lo, hi in [("a", "binary", 0, 1), ("n", "integer", -3, 4),
                               ("k", "integer", 2, 9)]:
        model.add_variable(name, kind, lo, hi)
    model.objective = Polynomial({(0,): 1.5, (1,): -2.0, (1, 1): 0.5, (0, 2): 3.0,
                                  (2, 2): -1.0}, 4.0)
    model.add_constraint("r0", Polynomial({(0,): 1.0, (1,): 2.0, (2,): -1.0}), "<=", 3)
    model.add_constraint("r1", Polynomial({(1,): 1.0, (2,): 1.0}), "==", 5)
    path = tmp_path / f"m{suffix}"
    write_lp(model, path)
    back = read_lp_terms(path)
    assert back.same_as(model)


def test_quadratic_constraints_match_docplex_evaluation(tmp_path):
    """docplex writes the file; qopt reads it (dimod's reader for the quadratic rows) and
    must agree with docplex's own evaluation of the model on every assignment."""
    docplex_model = pytest.importorskip("docplex.mp.model")
    pytest.importorskip("dimod")
    m = docplex_model.Model("qc")
    x, b = m.binary_var("x"), m.binary_var("b")
    y = m.integer_var(-1, 2, "y")
    m.maximize(3 * x + 2 * y * y - x * y + b + 4)
    m.add_constraint(x * y + b * y <= 1, "q1")
    m.add_constraint(y * y + x >= 1, "q2")
    m.add_constraint(x + b + y <= 2, "lin")
    path = tmp_path / "qc.lp"
    m.export_as_lp(str(path))
    model = read_lp_terms(path)
    assert model.sense == "max" and model.names == ["x", "b", "y"]
    assert {c.name for c in model.constraints} == {"q1", "q2", "lin"}
    V = model.assignments()
    objective, feasible = docplex_values(m, V)
    np.testing.assert_allclose(model.evaluate(V), objective)
    np.testing.assert_array_equal(model.is_feasible(V), feasible)
    assert 0 < sum(feasible) < len(V)
    program = read_lp(path)
    assert isinstance(program, qopt.Program) and program.degree == 2
    np.testing.assert_allclose(program.evaluate(V), objective)
    np.testing.assert_array_equal(program.is_feasible(V), feasible)
    assert model.same_as(from_object(m))


def test_refusals_name_file_and_variable(tmp_path, monkeypatch):
    cont = tmp_path / "cont.lp"
    cont.write_text("Minimize\n obj: x + s\nSubject To\n c1: x + s >= 1\nBounds\n 0 <= s <= 1\n"
                    "Binaries\n x\nEnd\n")
    with pytest.raises(InstanceFormatError, match=r"cont\.lp.*'s' is continuous"):
        read_lp_terms(cont)
    unb = tmp_path / "unb.lp"
    unb.write_text("Minimize\n obj: x + n\nSubject To\n c1: x + n >= 1\nGenerals\n n\n"
                   "Binaries\n x\nEnd\n")
    with pytest.raises(InstanceFormatError, match=r"unb\.lp.*'n' is unbounded"):
        read_lp_terms(unb)
    mps = tmp_path / "qc.mps"
    mps.write_text("NAME QC\nROWS\n N obj\n L q1\nCOLUMNS\n    x obj 1.0 q1 1.0\n"
                   "    y obj 1.0 q1 1.0\nRHS\n    rhs q1 3.0\nBOUNDS\n BV bnd x\n BV bnd y\n"
                   "QCMATRIX   q1\n    x y 1.0\n    y x 1.0\nENDATA\n")
    with pytest.raises(InstanceFormatError, match=r"qc\.mps.*Quadratic rows not supported"):
        read_lp_terms(mps)
    qc = tmp_path / "qc.lp"
    qc.write_text("Minimize\n obj: x + y\nSubject To\n q: [ x * y ] <= 0\nBinaries\n x y\nEnd\n")
    monkeypatch.setitem(sys.modules, "dimod", None)
    with pytest.raises(InstanceFormatError, match=r"qc\.lp, line 4: .*quadratic constraint.*"
                                                  r"qopt-toolkit\[interop\]"):
        read_lp_terms(qc)


@pytest.mark.parametrize("name, suffixes", [
    ("x[1]", (".lp",)), ("a b", (".lp", ".mps")), ("1y", (".lp",)), ("x:1", (".lp",)),
])
def test_names_an_lp_file_cannot_hold_are_refused_not_replaced(tmp_path, name, suffixes):
    """HiGHS renames every column c0, c1, ... when one name has no LP form ('x[1]'), writes
    '1y' into a file it cannot read back, and turns 'a b' into 'a_b' in MPS: the values could
    no longer be mapped back, so write_lp refuses, naming the variable."""
    p = qopt.Program("names")
    a, b = p.binary_var(name), p.binary_var("ok")
    p.minimize(3 * a + b)
    p.add_constraint(a + b >= 1, name="c")
    for suffix in (".lp", ".mps"):
        path = tmp_path / f"m{suffix}"
        if suffix in suffixes:
            with pytest.raises(qopt.QoptError, match=re.escape(repr(name))):
                write_lp(p, path)
            assert not path.exists()
        else:                                         # the other format keeps the name
            write_lp(p, path)
            assert read_lp(path).var_names == [name, "ok"]


def test_constraint_names_without_lp_form_are_refused(tmp_path):
    p = qopt.Program("rows")
    a, b = p.binary_var("a"), p.binary_var("b")
    p.minimize(a + b)
    p.add_constraint(a + b >= 1, name="cover[0]")
    with pytest.raises(qopt.QoptError, match=r"constraint 'cover\[0\]'"):
        write_lp(p, tmp_path / "r.lp")
    write_lp(p, tmp_path / "r.mps")
    assert read_lp(tmp_path / "r.mps").constraint_names == ["cover[0]"]
