"""Fixed QAOA angles (``angles={"gamma": [...], "beta": [...]}``, ``maxiter=0``) and the QAOA
run skeleton they go through: a fixed-angle run reproduces an optimised run's exact <H>,
checked against Qiskit's statevector of the exported circuit."""

from __future__ import annotations

import json

import numpy as np
import pytest

import qopt
from qopt.errors import ConfigError, OptionError
from qopt.model.qubo import QUBO
from qopt.solvers.quantum.qaoa import MAQAOASolver, QAOASolver


def small_qubo(n=6, seed=0):
    rng = np.random.default_rng(seed)
    return QUBO.from_matrix(np.triu(rng.normal(size=(n, n))), offset=0.3)


def qiskit_expectation(qubo, gammas, betas) -> float:
    """<H_C> of the exported circuit at true angles, by Qiskit's Statevector (independent of
    qopt's engine): probabilities over basis indices (little-endian) times the QUBO diagonal."""
    from qiskit.quantum_info import Statevector

    from qopt.solvers.quantum.circuits import qaoa_circuit

    probs = Statevector(qaoa_circuit(qubo, gammas, betas)).probabilities()
    return float(probs @ qubo.diagonal())


def recorded(info) -> dict:
    return {"gamma": info["gammas"], "beta": info["betas"]}


@pytest.mark.parametrize("solver,alpha", [("qaoa", 1.0), ("cvar-qaoa", 0.3)])
def test_fixed_angles_reproduce_an_optimised_run_exactly(solver, alpha):
    q = small_qubo(6, 1)
    opt = qopt.solve(q, solver, p=2, alpha=alpha, seed=4, maxiter=40, shots=200)
    fixed = qopt.solve(q, solver, p=2, alpha=alpha, seed=9, maxiter=0, shots=200,
                       angles=recorded(opt.info))
    # the optimised run's recorded true angles give back its exact <H> and objective
    assert fixed.info["expectation"] == pytest.approx(opt.info["expectation"], abs=1e-10)
    assert fixed.info["cvar"] == pytest.approx(opt.info["cvar"], abs=1e-10)
    assert fixed.info["objective"] == pytest.approx(opt.info["objective"], abs=1e-10)
    assert np.allclose(fixed.info["params"], opt.info["params"], atol=1e-12)
    # ... which is the <H> of the exported circuit, computed by Qiskit
    ref = qiskit_expectation(q, opt.info["gammas"], opt.info["betas"])
    assert fixed.info["expectation"] == pytest.approx(ref, abs=1e-9)
    # evaluated once, not optimised; the evaluation and the final samples are charged
    assert fixed.info["fixed_angles"] is True and fixed.info["circuit_evaluations"] == 1
    assert fixed.evaluations == 1 + 200 and len(fixed.history) == 1
    assert fixed.history[0]["value"] == pytest.approx(fixed.info["objective"])


def test_fixed_angles_are_the_true_angles_recorded_in_info():
    q = small_qubo(5, 2)
    angles = {"gamma": [0.31, -0.12], "beta": [0.52, 0.2]}
    res = qopt.solve(q, "qaoa", p=2, maxiter=0, angles=angles, seed=0, shots=64)
    assert np.allclose(res.info["gammas"], angles["gamma"]) and \
        np.allclose(res.info["betas"], angles["beta"])
    # the optimiser's normalised parameters are the gammas divided by gamma_scale
    assert np.allclose(res.info["params"][:2], np.array(angles["gamma"]) /
                       res.info["gamma_scale"])
    assert res.info["expectation"] == pytest.approx(
        qiskit_expectation(q, angles["gamma"], angles["beta"]), abs=1e-9)


def test_fixed_angles_on_a_budget_and_as_a_starting_point():
    q = small_qubo(6, 3)
    angles = {"gamma": [0.2], "beta": [0.4]}
    res = qopt.solve(q, "qaoa", p=1, maxiter=0, angles=angles, budget=50, shots=20, seed=1)
    assert res.evaluations == 21 and res.budget == 50
    with pytest.raises(OptionError, match="budget"):
        qopt.solve(q, "qaoa", p=1, maxiter=0, angles=angles, budget=20, shots=20, seed=1)
    # with maxiter > 0 the angles start the optimisation: its first value is theirs
    start = qopt.solve(q, "qaoa", p=1, maxiter=30, angles=angles, shots=20, seed=1)
    once = qopt.solve(q, "qaoa", p=1, maxiter=0, angles=angles, shots=20, seed=1)
    assert start.history[0]["value"] == pytest.approx(once.info["objective"], abs=1e-12)
    assert start.info["objective"] <= once.info["objective"] + 1e-12
    assert start.info["circuit_evaluations"] > 1 and "fixed_angles" not in start.info


def test_multi_angle_fixed_angles_per_term_and_per_layer():
    q = small_qubo(5, 4)
    opt = qopt.solve(q, "ma-qaoa", p=2, seed=2, maxiter=60, shots=50)
    g = np.asarray(opt.info["gammas"])
    assert g.shape[0] == 2 and g.ndim == 2
    fixed = qopt.solve(q, "ma-qaoa", p=2, seed=5, maxiter=0, shots=50, angles=recorded(opt.info))
    assert fixed.info["expectation"] == pytest.approx(opt.info["expectation"], abs=1e-10)
    # one angle per layer is broadcast to every term / qubit: the standard QAOA state
    per_layer = {"gamma": [0.3, -0.1], "beta": [0.5, 0.25]}
    ma = qopt.solve(q, "ma-qaoa", p=2, maxiter=0, angles=per_layer, seed=0, shots=10)
    std = qopt.solve(q, "qaoa", p=2, maxiter=0, angles=per_layer, seed=0, shots=10)
    assert ma.info["expectation"] == pytest.approx(std.info["expectation"], abs=1e-10)
    with pytest.raises(OptionError, match=r"shape \(2, "):
        qopt.solve(q, "ma-qaoa", p=2, maxiter=0, seed=0,
                   angles={"gamma": [[0.1, 0.2], [0.3, 0.4]], "beta": per_layer["beta"]})


def test_constrained_mixer_fixed_angles_match_the_mixer_circuit():
    from qiskit.quantum_info import Statevector

    opt = qopt.solve("mis:1tc.8", "qaoa", mixer="feasible", p=1, seed=3, maxiter=30, shots=64)
    fixed = qopt.solve("mis:1tc.8", "qaoa", mixer="feasible", p=1, seed=8, maxiter=0, shots=64,
                       angles=recorded(opt.info))
    assert fixed.info["expectation"] == pytest.approx(opt.info["expectation"], abs=1e-10)
    assert fixed.info["probability_optimum_exact"] == pytest.approx(
        opt.info["probability_optimum_exact"], abs=1e-12)
    # Qiskit's statevector of the constraint-preserving circuit at those angles
    from qopt.solvers.quantum.qaoa_ansatz import Ansatz
    from qopt.solvers.quantum.qaoa_subspace import constrained_cost, setup_constrained

    problem = qopt.load("mis:1tc.8")
    mixer, init = setup_constrained(problem, "feasible")
    cost = constrained_cost(problem.to_program(), mixer)
    ansatz = Ansatz(cost, 1, False, None, mixer, init)
    probs = Statevector(ansatz.circuit(np.asarray(opt.info["params"]))).probabilities()
    assert fixed.info["expectation"] == pytest.approx(float(probs @ cost.diagonal()), abs=1e-9)


def test_rqaoa_fixed_angles_evaluate_each_round_once():
    res = qopt.solve("mis:1tc.8", "rqaoa", p=1, n_cutoff=5, maxiter=0, seed=0,
                     angles={"gamma": [0.4], "beta": [0.3]})
    assert res.info["circuit_evaluations"] == len(res.info["rounds"]) == 3
    assert res.feasible


@pytest.mark.parametrize("options,match", [
    ({"maxiter": 0}, "maxiter=0 .*angles"),
    ({"angles": {"gamma": [0.1]}}, "'gamma': \\[...\\], 'beta'"),
    ({"angles": {"gamma": [0.1, 0.2], "beta": [0.3]}}, "shape"),
    ({"angles": {"gamma": [float("nan")], "beta": [0.3]}}, "finite"),
    ({"angles": {"gamma": [True], "beta": [0.3]}}, "finite"),
    ({"angles": {"gamma": ["a"], "beta": [0.3]}}, "finite"),
    ({"angles": [0.1, 0.2]}, "object"),
    ({"angles": {"gamma": [0.1], "beta": [0.2]}, "init": "interp"}, "init='interp'"),
    ({"angles": {"gamma": [0.1], "beta": [0.2]}, "maxiter": 0, "restarts": 2}, "restarts"),
    ({"maxiter": -1}, "non-negative"),
])
def test_bad_angles_are_refused_when_the_solver_is_made(options, match):
    with pytest.raises(OptionError, match=match):
        QAOASolver(p=1, **options)


def test_angle_shapes_of_ma_qaoa_are_checked_before_the_evaluator(monkeypatch):
    from qopt.solvers.quantum import qaoa_run

    def no_evaluator(*args, **kwargs):
        raise AssertionError("the evaluator was built before the angles were checked")

    monkeypatch.setattr(qaoa_run, "make_evaluator", no_evaluator)
    slv = MAQAOASolver(p=1, maxiter=0, angles={"gamma": [[0.1, 0.2]], "beta": [0.3]})
    with pytest.raises(OptionError, match=r"angles\['gamma'\] of ma-qaoa needs shape"):
        slv.solve(small_qubo(4, 0))


def test_cli_angles_file(tmp_path, capsys):
    from qopt.cli import main

    path = tmp_path / "angles.json"
    path.write_text(json.dumps({"gamma": [0.25], "beta": [0.4]}))
    argv = ["solve", "maxcut", "--size", "6", "--seed", "2", "--solver", "qaoa", "--p", "1",
            "--maxiter", "0", "--shots", "16", "--json"]
    assert main([*argv, "--angles", str(path)]) == 0
    info = json.loads(capsys.readouterr().out)["info"]
    assert info["fixed_angles"] and info["gammas"] == [0.25] and info["betas"] == [0.4]
    inline = '{"gamma": [0.25], "beta": [0.4]}'
    assert main([*argv, "--angles", inline]) == 0
    assert json.loads(capsys.readouterr().out)["info"]["expectation"] == \
        pytest.approx(info["expectation"], abs=1e-12)
    bad = tmp_path / "bad.json"
    bad.write_text('{"gamma": [0.25]')
    assert main([*argv, "--angles", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "qopt: error:" in err and str(bad) in err
    assert main([*argv, "--angles", str(tmp_path / "missing.json")]) == 2
    assert "missing.json: angles file not found" in capsys.readouterr().err


def test_read_angles_names_the_file(tmp_path):
    from qopt.solvers.quantum.angles import read_angles

    path = tmp_path / "a.json"
    path.write_text(json.dumps({"gamma": [0.1], "beta": [0.2], "p": 1}))
    with pytest.raises(ConfigError, match=r"a\.json: an angles file"):
        read_angles(path)
    path.write_text(json.dumps({"gamma": [0.1, "x"], "beta": [0.2]}))
    with pytest.raises(ConfigError, match=r"a\.json: 'gamma'"):
        read_angles(path)
