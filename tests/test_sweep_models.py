"""Sweeps over model files (``[[problems]] files = [...]``) and, from Python, over problem
objects of every kind: each run's objective is the brute-force optimum of its model."""

from __future__ import annotations

import numpy as np
import pytest

from qopt.errors import ConfigError
from qopt.experiments import ResultStore, parse_config, sweep
from qopt.model.interop.terms import ModelTerms
from qopt.model.program import BinaryProgram
from qopt.model.qs import write_qs
from qopt.model.qubo import QUBO

LP = r"""Maximize
 obj: 3 x + 2 y + 4 z + [ 2 x * y - 6 x * z ] / 2 + 1
Subject To
 c1: x + y + z <= 2
Binaries
 x y z
End
"""


def _files(tmp_path):
    lp = tmp_path / "knap.lp"
    lp.write_text(LP)
    qubo = QUBO(np.array([[0, 2, -1], [0, 0, 3], [0, 0, 0]], float), [-1, -2, 1], 0.5)
    qs = tmp_path / "tri.qs"
    write_qs(qubo, qs)
    return lp, qs, qubo


def test_files_table_parses_by_suffix_and_refuses_clearly(tmp_path):
    _files(tmp_path)
    cfg = parse_config('[[problems]]\nfiles = ["knap.lp", "tri.qs"]\n[[solvers]]\nname = "exact"\n',
                       base_dir=tmp_path)
    assert [(r.problem.kind, r.problem.instance) for r in cfg.runs] == [("lp", "knap.lp"),
                                                                        ("qs", "tri.qs")]
    assert all(r.problem.digest for r in cfg.runs)
    # the other spelling: kind = "lp" with instances
    same = parse_config('[[problems]]\nkind = "lp"\ninstances = ["knap.lp"]\n[[solvers]]\n'
                        'name = "exact"\n', base_dir=tmp_path)
    assert same.runs[0].key == cfg.runs[0].key
    for text, message in [
        ('files = ["nope.lp"]', "no such file"),
        ('files = ["knap.txt"]', "not a model file"),
        ('files = ["knap.lp"]\nkind = "mdkp"', "not with files"),
        ("files = []", "non-empty"),
    ]:
        with pytest.raises(ConfigError, match=message):
            parse_config(f"[[problems]]\n{text}\n[[solvers]]\nname = \"exact\"\n",
                         base_dir=tmp_path)
    (tmp_path / "bad.qs").write_text("2 1\n2 1 1\n")
    with pytest.raises(ConfigError, match=r"bad\.qs, line 2.*below the diagonal"):
        parse_config('[[problems]]\nfiles = ["bad.qs"]\n[[solvers]]\nname = "exact"\n',
                     base_dir=tmp_path)


def test_python_sweep_over_files_and_objects(tmp_path, monkeypatch):
    dimod = pytest.importorskip("dimod")
    docplex_model = pytest.importorskip("docplex.mp.model")
    monkeypatch.chdir(tmp_path)
    lp, qs, qubo = _files(tmp_path)
    bp = BinaryProgram(3, [1, -2, 3], {(0, 1): -4}, sense="min", name="bp")
    bp.add_constraint([1, 1, 1], ">=", 1)
    bqm = dimod.BinaryQuadraticModel({"a": 1, "b": -1, "c": 0.5}, {("a", "b"): -2, ("b", "c"): 1},
                                     0.0, "SPIN")
    m = docplex_model.Model("dx")
    u, v = m.binary_var("u"), m.binary_var("v")
    m.maximize(2 * u + v - 3 * u * v)
    problems = [str(lp), str(qs), bp, bqm, m]
    summary = sweep(problems, ["exact"], results_dir=tmp_path / "out", name="models",
                    seeds=[0], workers=1)
    assert summary["done"] == 5 and summary["failed"] == 0
    rows = {r["instance"].split("-")[0]: r for r in
            ResultStore(tmp_path / "out" / "results.sqlite").rows("models")}
    # brute force references, each from the model's own terms
    from qopt.model.interop import as_terms
    from qopt.model.lp import read_lp_terms

    def best(model: ModelTerms) -> float:
        V = model.assignments()
        vals = model.evaluate(V)[model.is_feasible(V)]
        return vals.max() if model.sense == "max" else vals.min()

    assert rows["knap.lp"]["objective"] == pytest.approx(best(read_lp_terms(lp)))
    assert rows["tri.qs"]["objective"] == pytest.approx(best(as_terms(qubo)))
    assert rows["bp"]["objective"] == pytest.approx(best(as_terms(bp)))
    assert rows["bqm"]["objective"] == pytest.approx(best(as_terms(bqm)))
    assert rows["dx"]["objective"] == pytest.approx(best(as_terms(m)))
    # the same objects again: same run keys, nothing re-run
    again = sweep(problems, ["exact"], results_dir=tmp_path / "out", name="models",
                  seeds=[0], workers=1)
    assert again["already_stored"] == 5 and again["ran"] == 0
