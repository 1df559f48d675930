"""LP / MPS model files through qopt.load / qopt.solve / `qopt solve`, with clean --json stdout."""

import json
import subprocess
import sys

import pytest

import qopt
from qopt.errors import InstanceFormatError, OptionError
from qopt.model.lp import model_format, write_lp
from qopt.problems.custom import load_lp

LP_TEXT = ("Maximize\n obj: 3 x + 2 y + 4 z\nSubject To\n c1: x + y + z <= 2\n"
           "Binary\n x y z\nEnd\n")


@pytest.fixture
def lp_file(tmp_path):
    path = tmp_path / "model.lp"
    path.write_text(LP_TEXT)
    return path


def test_model_format_from_suffix():
    assert model_format("a/b.LP") == "lp" and model_format("b.mps.gz") == "mps"
    assert model_format("b.txt") is None and model_format("lp") is None


def test_load_and_solve_by_suffix_prefix_and_kind(lp_file, tmp_path):
    mps = tmp_path / "model.mps"
    write_lp(load_lp(lp_file).program, mps)
    plain = tmp_path / "model.txt"              # an LP file whose name does not say so
    plain.write_text(LP_TEXT)
    targets = [str(lp_file), lp_file, f"lp:{lp_file}", str(mps), f"mps:{mps}", f"lp:{plain}"]
    for target in targets:
        problem = qopt.load(target)
        assert problem.num_vars == 3 and problem.sense == "max"
        assert qopt.solve(target, solver="exact").objective == 7.0, target
    assert qopt.load("lp", lp_file).num_vars == 3
    assert qopt.solve(str(plain), kind="lp", solver="exact").objective == 7.0
    assert qopt.load("mdkp:hp1").name == qopt.load("mdkp", "hp1").name


def test_file_without_model_suffix_needs_a_kind(tmp_path):
    plain = tmp_path / "model.txt"
    plain.write_text(LP_TEXT)
    with pytest.raises(OptionError, match="lp:PATH"):
        qopt.solve(str(plain))


def test_malformed_lp_names_file_and_line(tmp_path, lp_file):
    bad = tmp_path / "broken.lp"
    bad.write_text("Maximize\n obj: 3 x + 2 y\nSubject To\n c1: x + y <= 1\n c2: x + y >=\n"
                   "Binary\n x y\nEnd\n")
    with pytest.raises(InstanceFormatError, match=r"broken\.lp, line 6: HiGHS could not read"):
        qopt.load(bad)
    with pytest.raises(InstanceFormatError, match=r"model\.lp.*HiGHS could not read"):
        qopt.load(f"mps:{lp_file}")             # an LP file read as MPS: named as given


def _cli(*argv):
    """`qopt ...` in a fresh process: HiGHS prints its banner once per process, so only a
    new process shows whether it can reach stdout."""
    return subprocess.run([sys.executable, "-m", "qopt.cli", *argv], capture_output=True,
                          text=True, timeout=300)


def test_solve_lp_json_stdout_parses(lp_file):
    proc = _cli("solve", "--lp", str(lp_file), "--solver", "milp", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)              # nothing but the JSON document on stdout
    assert data["objective"] == 7.0 and data["status"] == "optimal"
    assert "Running HiGHS" not in proc.stdout


def test_solve_model_file_positional_and_malformed_error(lp_file, tmp_path):
    proc = _cli("solve", str(lp_file), "--solver", "exact", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["objective"] == 7.0
    bad = tmp_path / "bad.lp"
    bad.write_text("Minimize\n obj: x +\nSubject To\n c: x <= <= 1\nEnd\n")
    proc = _cli("solve", "--lp", str(bad), "--json")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "bad.lp" in proc.stderr and "HiGHS could not read" in proc.stderr


def test_solve_qs_file_by_suffix_and_malformed_error(tmp_path):
    qs = tmp_path / "t.qs"
    qs.write_text("# ObjectiveOffset 1\n2 2\n1 1 -1\n1 2 2\n")   # -x1 + 4 x1 x2 + 1
    proc = _cli("solve", str(qs), "--solver", "exact", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["objective"] == 0.0 and data["solution"] == [1, 0]
    bad = tmp_path / "bad.qs"
    bad.write_text("2 1\n2 1 1\n")
    proc = _cli("solve", "--lp", str(bad), "--json")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "bad.qs, line 2" in proc.stderr and "below the diagonal" in proc.stderr
