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


def test_solve_qs_file_by_suffix(tmp_path):
    qs = tmp_path / "t.qs"
    qs.write_text("# ObjectiveOffset 1\n2 2\n1 1 -1\n1 2 2\n")   # -x1 + 4 x1 x2 + 1
    proc = _cli("solve", str(qs), "--solver", "exact", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["objective"] == 0.0 and data["solution"] == [1, 0]



def test_solve_malformed_qs_names_file_and_line(tmp_path, capsys):
    from qopt.cli.app import main

    bad = tmp_path / "bad.qs"
    bad.write_text("2 1\n2 1 1\n")
    assert main(["solve", "--lp", str(bad), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "bad.qs, line 2" in err and "below the diagonal" in err


def test_solve_integer_lp_with_milp_json_reports_int_values(tmp_path):
    """The acceptance command: an LP with a bounded integer variable, solved by milp from the
    command line, prints its optimum and `values` with an int for the integer."""
    lp = tmp_path / "ints.lp"
    lp.write_text("Maximize\n obj: 3 x + 2 y - z\nSubject To\n cap: x + 2 y + z <= 5\n"
                  " link: y - x <= 1\nBounds\n 0 <= y <= 3\n -1 <= z <= 1\nBinaries\n x\n"
                  "Generals\n y z\nEnd\n")
    # brute force over the file's domain: x in {0,1}, y in 0..3, z in -1..1
    best = max(3 * x + 2 * y - z for x in (0, 1) for y in range(4) for z in (-1, 0, 1)
               if x + 2 * y + z <= 5 and y - x <= 1)
    proc = _cli("solve", str(lp), "--solver", "milp", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["objective"] == best == 8
    values = data["values"]
    assert values == {"x": 1, "y": 2, "z": -1}
    assert all(type(v) is int for v in values.values())
    assert 3 * values["x"] + 2 * values["y"] - values["z"] == best
