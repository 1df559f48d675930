"""Issue 21 on the command line and in results: references and ratios in --json, separate
instance / solver seeds, repeated options refused, --dry-run, and one meaning of shots,
circuit executions and objective evaluations across backends."""

from __future__ import annotations

import json
import time

import pytest

import qopt
from qopt.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_acceptance_reference_and_ratios_in_json(capsys):
    code, out, _ = run(capsys, "solve", "maxcut", "--size", "12", "--instance-seed", "3",
                       "--seed", "1", "--solver", "qaoa", "--p", "1", "--reference", "exact",
                       "--json")
    assert code == 0
    d = json.loads(out)
    best = qopt.solve(qopt.generate("maxcut", 12, 3), solver="exact").objective
    assert d["reference"]["source"] == "exact" and d["optimum"] == best
    assert d["gap"] is not None and d["approximation_ratio"] is not None
    assert 0 < d["expectation_ratio"] <= 1
    assert d["expected_objective"] == pytest.approx(d["expectation_ratio"] * best)
    assert 0 < d["info"]["probability_optimum_exact"] <= 1          # exact on the engine
    assert d["expectation_ratio_se"] == 0.0 and d["info"]["expectation_exact"] is True
    assert d["unavailable"] == {}
    assert d["shots_total"] > 0 and d["circuit_executions"] > 0


def test_no_reference_is_said_in_words(capsys):
    code, out, _ = run(capsys, "solve", "maxcut", "--size", "8", "--solver", "anneal",
                       "--json")
    d = json.loads(out)
    assert code == 0 and d["gap"] is None and d["reference"]["value"] is None
    assert d["unavailable"]["gap"].startswith("no reference (pass optimum=")
    _, out, _ = run(capsys, "solve", "maxcut", "--size", "8", "--solver", "anneal")
    assert "no reference" in out
    _, out, _ = run(capsys, "solve", "maxcut", "--size", "8", "--solver", "anneal",
                       "--optimum", "10", "--json")
    d = json.loads(out)
    assert d["reference"] == {"value": 10.0, "source": "given", "seconds": 0.0}
    assert d["gap"] == pytest.approx(abs(10 - d["objective"]) / 10)


def test_instance_seed_and_solver_seed_are_separate(capsys):
    objs = {}
    for seed in ("1", "2"):
        _, out, _ = run(capsys, "solve", "maxcut", "--size", "10", "--instance-seed", "5",
                           "--seed", seed, "--solver", "random", "--budget", "50", "--json")
        objs[seed] = json.loads(out)
    assert objs["1"]["problem"] == objs["2"]["problem"] == \
        qopt.generate("maxcut", 10, 5).name
    assert objs["1"]["seed"] == 1 and objs["2"]["seed"] == 2


@pytest.mark.parametrize("argv", [
    ("solve", "maxcut", "--size", "8", "--seed", "1", "--seed", "2"),
    ("solve", "maxcut", "--size", "8", "--solver", "qaoa", "--p", "1", "--p", "2"),
    ("solve", "maxcut", "--size", "8", "--size=9"),
    ("solve", "maxcut", "--size", "8", "--no-postprocess", "--no-postprocess"),
    ("report", "res", "--out", "a", "--out", "b"),
    ("sweep", "c.toml", "--workers", "1", "--workers", "2"),
    ("partition", "--problem", "maxcut", "--size", "8", "--k", "2", "--k", "3"),
    ("list", "--json", "--json"),
    # an abbreviation (commands that allow them) is the same option
    ("report", "res", "--ou", "a", "--out", "b"),
    ("partition", "--problem", "maxcut", "--size", "8", "--k", "2", "--qubits", "3",
     "--qubits-per-qpu", "4"),
    ("list", "--js", "--json"),
])
def test_every_repeated_option_is_an_error(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert "given more than once" in err and err.count("\n") == 1


def test_collecting_options_may_repeat(capsys, tmp_path):
    _, _, err = run(capsys, "sweep", str(tmp_path / "missing.toml"), "--only-seed", "1",
                       "--only-seed", "2")
    assert "more than once" not in err


def test_dry_run_json_under_10_s(capsys):
    t0 = time.perf_counter()
    code, out, _ = run(capsys, "solve", "maxcut", "--size", "14", "--instance-seed", "1",
                       "--solver", "qaoa", "--p", "2", "--dry-run", "--json")
    assert code == 0 and time.perf_counter() - t0 < 10.0
    d = json.loads(out)
    assert d["num_qubits"] == 14 and d["slack_qubits"] == 0
    assert d["memory_bytes"] >= 16 * 2**14 and d["estimated_seconds"] > 0


def test_long_run_warns_once_on_stderr_naming_the_cheaper_mixer(capsys, monkeypatch):
    import sys

    from qopt.problems.mdkp import MDKP

    monkeypatch.setattr(sys.modules["qopt.planning.plan"], "WARN_SECONDS", 0.0)  # all "long"
    w = [[3, 5, 2, 7, 4, 6], [4, 2, 6, 3, 5, 2]]
    knap = MDKP([9, 7, 6, 8, 5, 9], w, [12, 10], name="knap6")
    monkeypatch.setattr("qopt.cli.solve.load_target", lambda args: knap)
    code, _out, err = run(capsys, "solve", "mdkp", "--size", "6", "--solver", "qaoa", "--p",
                         "1", "--maxiter", "5")
    lines = [ln for ln in err.splitlines() if ln.startswith("qopt: warning:")]
    assert code == 0 and len(lines) == 1
    assert "--mixer capacity (6 qubits, no slack" in lines[0]


def test_shots_and_evaluations_mean_the_same_on_every_backend():
    """shots=64, 6 parameter sets: the engine evaluates exactly (one evaluation per set, the
    final 64 samples measured), a fake device estimates from 64 shots per set; both run 7
    circuits. objective_evaluations = exact sets + every shot."""
    problem = qopt.generate("maxcut", 6, 2)
    engine = qopt.solve(problem, solver="qaoa", p=1, maxiter=6, shots=64, seed=0,
                        optimizer="spsa")
    aer = qopt.solve(problem, solver="qaoa", p=1, maxiter=6, shots=64, seed=0,
                     optimizer="spsa", backend="fake:sherbrooke")
    sets_e = engine.info["circuit_evaluations"]
    sets_a = aer.info["circuit_evaluations"]
    assert engine.shots_total == 64 and engine.circuit_executions == sets_e + 1
    assert engine.objective_evaluations == sets_e + 64 == engine.evaluations
    assert aer.shots_total == 64 * sets_a + 64 == aer.objective_evaluations
    assert aer.circuit_executions == sets_a + 1
    classical = qopt.solve(problem, solver="random", budget=100, seed=0)
    assert (classical.shots_total, classical.circuit_executions,
            classical.objective_evaluations) == (0, 0, 100)


def test_circuit_executions_count_gradient_circuits_on_circuit_backends():
    """A gradient optimizer on Aer runs every shifted circuit of each gradient (2P + 1 per
    call, one batch): circuit_executions counts them (results guide: gradient calls
    included), not one per parameter set; the final sampling adds one. Recursive QAOA
    counts its correlator estimates too."""
    from qopt.backends.registry import get_backend

    problem = qopt.generate("maxcut", 6, 3)
    backend = get_backend("aer")
    res = qopt.solve(problem, solver="qaoa", p=2, maxiter=3, shots=64, seed=0,
                     backend=backend, optimizer="l-bfgs-b")
    sets, P = res.info["circuit_evaluations"], 4            # 2 gammas + 2 betas
    assert res.circuit_executions == sets * (2 * P + 1) + 1
    assert res.shots_total == 64 and res.objective_evaluations == sets + 64
    # recursive QAOA on a device: its parameter sets and one correlator estimate a round,
    # no final sampling (shots_total counts the same circuits)
    rq = qopt.solve(problem, solver="rqaoa", p=1, maxiter=3, shots=64, seed=0, n_cutoff=4,
                    backend="fake:sherbrooke")
    executed = rq.info["circuit_evaluations"] + len(rq.info["rounds"])
    assert rq.circuit_executions == executed and rq.shots_total == 64 * executed


@pytest.mark.parametrize("argv", [
    ("solve", "mis", "--instance", "1tc.8", "--instance-seed", "3", "--solver", "anneal"),
    ("solve", "--lp", "missing.lp", "--instance-seed", "3"),
])
def test_instance_seed_without_a_generated_instance_is_an_error(capsys, argv):
    """--instance-seed seeds the generator (--size): given with a fixed instance it would be
    ignored silently, so it is refused naming the flag, before any work."""
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "--instance-seed" in err and "--size" in err


def test_one_final_shot_has_no_standard_error_and_stays_json():
    """<C>/C* from a single final shot has no standard error: None with its reason, never a
    NaN in the result's JSON (which strict JSON readers refuse)."""
    problem = qopt.generate("maxcut", 6, 3)
    res = qopt.solve(problem, solver="qaoa", p=1, maxiter=2, shots=1, seed=0, backend="aer",
                     reference="exact")
    assert res.expectation_ratio is not None and res.expectation_ratio_se is None
    assert "one final sample" in res.unavailable["expectation_ratio_se"]

    def refuse(token):
        raise ValueError(f"{token} in the JSON")

    json.loads(res.to_json(), parse_constant=refuse)


def test_list_names_the_instance_seed_for_generated_classes(capsys):
    """qopt list's hint for classes without shipped instances uses the generator's own flag
    (--seed seeds the solver only since --instance-seed exists)."""
    code, out, _ = run(capsys, "list")
    hints = [ln for ln in out.splitlines() if "generated only" in ln]
    assert code == 0 and hints
    assert all("--instance-seed" in ln and "--seed" not in ln.replace("--instance-seed", "")
               for ln in hints)


@pytest.mark.parametrize("solver,options", [
    ("pce", {"gradient": "none", "shots": 64}),     # three measurement bases per estimate
    ("qrao", {"shots": 64}),                         # a circuit per measurement group
])
def test_circuit_executions_of_relaxation_solvers_count_their_circuits(solver, options):
    """PCE and QRAO run several circuits per parameter set (bases, measurement groups, the
    rounding): circuit_executions counts what the backend ran, as shots_total does."""
    from qopt.backends.registry import get_backend

    backend = get_backend("aer")
    res = qopt.solve(qopt.generate("maxcut", 6, 1), solver=solver, maxiter=2, seed=0,
                     backend=backend, **options)
    assert res.circuit_executions == backend.usage.executions
    assert res.shots_total == backend.usage.shots
    assert res.circuit_executions > res.info["circuit_evaluations"] + 1
