"""The qopt command line: list, solve (tables, --json, instance paths, LP files), errors."""

import json
import subprocess
import sys

import numpy as np
import pytest

import qopt
from qopt.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_json_shows_classes_instances_and_solver_options(capsys):
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data["problems"]) >= {"mdkp", "mis", "qap", "maxcut", "msp"}
    assert data["problems"]["mdkp"]["instances"]["hp1"]["optimum"] == 3418
    assert data["problems"]["qap"]["instances"]["nug12"]["optimum"] == 578
    assert "time_limit" in data["solvers"]["milp"]
    assert "reads" in data["solvers"]["anneal"]


def test_solve_shipped_instance_json(capsys):
    code, out, _ = run(capsys, "solve", "mdkp", "--instance", "pet2", "--solver", "milp",
                       "--time-limit", "60", "--json")
    assert code == 0
    data = json.loads(out)
    for key in ("objective", "feasible", "gap", "optimum", "solution", "num_qubits", "wall_time"):
        assert key in data
    assert data["objective"] == 87061 and data["optimum"] == 87061
    assert data["feasible"] is True and data["gap"] == 0.0
    problem = qopt.load("mdkp", "pet2")
    assert problem.evaluate(np.array(data["solution"])) == 87061


def test_solve_generated_maxcut_exact_matches_enumeration(capsys):
    code, out, _ = run(capsys, "solve", "maxcut", "--size", "16", "--instance-seed", "3",
                       "--solver", "exact", "--json")
    assert code == 0
    data = json.loads(out)
    problem = qopt.generate("maxcut", 16, 3)
    best = -qopt.program_to_qubo(problem.to_program()).diagonal().min()
    assert data["objective"] == pytest.approx(best)
    assert problem.evaluate(np.array(data["solution"])) == pytest.approx(best)


def test_solve_readable_table(capsys):
    code, out, _ = run(capsys, "solve", "mis", "--instance", "1tc.8", "--solver", "exact")
    assert code == 0
    assert "objective" in out and "4.0" in out and "gap" in out


def test_instance_path_and_malformed_file(tmp_path, capsys):
    good = tmp_path / "tiny.dat"
    good.write_text("3 1 0\n5 4 3\n2 3 1\n3\n")
    code, out, _ = run(capsys, "solve", "mdkp", "--instance", str(good), "--solver", "exact",
                       "--json")
    assert code == 0 and json.loads(out)["objective"] == 8.0
    bad = tmp_path / "bad.dat"
    bad.write_text("3 1 0\n5 four 3\n2 3 1\n3\n")
    code, _, err = run(capsys, "solve", "mdkp", "--instance", str(bad), "--solver", "exact")
    assert code == 2
    assert "bad.dat" in err and "line 2" in err


def test_unknown_solver_option_names_it(capsys):
    code, _, err = run(capsys, "solve", "mdkp", "--instance", "hp1", "--solver", "milp",
                       "--p", "3")
    assert code == 2
    assert "'--p'" in err and "milp" in err and "--time-limit" in err


@pytest.mark.parametrize("argv, flag", [
    (("maxcut", "--size", "abc"), "--size"),
    (("maxcut", "--size", "[6, \"x\"]"), "--size"),
    (("maxcut", "--size", "6", "--penalty", "lots"), "--penalty"),
])
def test_bad_size_or_penalty_is_a_qopt_error(capsys, argv, flag):
    code, _, err = run(capsys, "solve", *argv)
    assert code == 2
    assert flag in err and "Traceback" not in err


def test_solver_option_flags_are_typed(capsys):
    code, out, _ = run(capsys, "solve", "maxcut", "--instance", "reg3_16", "--solver", "anneal",
                       "--reads", "8", "--sweeps", "50", "--seed", "1", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["options"]["reads"] == 8 and data["options"]["sweeps"] == 50
    assert data["seed"] == 1


def test_lp_file(tmp_path, capsys):
    lp = tmp_path / "model.lp"
    lp.write_text("Maximize\n obj: 3 x + 2 y + 4 z\nSubject To\n c1: x + y + z <= 2\n"
                  "Binary\n x y z\nEnd\n")
    code, out, _ = run(capsys, "solve", "--lp", str(lp), "--solver", "milp", "--json")
    assert code == 0
    assert json.loads(out)["objective"] == 7.0


def test_console_script_runs():
    proc = subprocess.run([sys.executable, "-m", "qopt.cli", "solve", "mis", "--instance",
                           "1tc.8", "--solver", "milp", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["objective"] == 4.0


def test_a_closed_pipe_is_no_traceback():
    """``qopt solve ... --json | head -c 100``: the reader closes the pipe before the result is
    written; qopt stops quietly (exit 1), without a traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "qopt.cli", "solve", "maxcut", "--size", "6",
                             "--solver", "exact", "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 1
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


def test_partition_problem_json(capsys):
    code, out, _ = run(capsys, "partition", "--problem", "maxcut", "--size", "40", "--seed", "2",
                       "--k", "4", "--qubits-per-qpu", "12", "--json")
    assert code == 0
    data = json.loads(out)
    for key in ("ebits", "baseline_contiguous_ebits", "baseline_graph_ebits", "k", "num_qubits",
                "qpu_loads", "qubit_to_qpu", "wall_time"):
        assert key in data
    assert data["k"] == 4 and data["num_qubits"] == 40
    assert max(data["qpu_loads"]) <= 12 and sum(data["qpu_loads"]) == 40
    assert data["ebits"] <= data["baseline_contiguous_ebits"]


def test_partition_capacity_error(capsys, tmp_path):
    qasm = tmp_path / "c.qasm"
    qasm.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[6];\ncz q[0],q[1];\n')
    code, _, err = run(capsys, "partition", str(qasm), "--k", "2", "--qubits-per-qpu", "2")
    assert code == 2 and "6" in err


def test_python_dash_m_qopt_is_the_command():
    proc = subprocess.run([sys.executable, "-m", "qopt", "solve", "nope"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.startswith("qopt: error:")
    assert "nope" in proc.stderr
