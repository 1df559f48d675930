"""Parameter transfer (init='transfer'): schedule files, source instances, budgets, refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest

import qopt
from qopt.errors import ConfigError, OptionError
from qopt.solvers.quantum.transfer import read_schedule, write_schedule

SMALL = {"p": 1, "shots": 64, "maxiter": 30}


def test_schedule_round_trip(tmp_path):
    res = qopt.solve("mis:1tc.8", "qaoa", mixer="independent-set", seed=0, **SMALL)
    path = write_schedule(tmp_path / "s.json", res.info, source="mis:1tc.8")
    sched = read_schedule(path)
    p = 1
    assert sched.p == p and sched.source == "mis:1tc.8"
    np.testing.assert_allclose(np.r_[sched.gammas, sched.betas], res.info["params"])
    assert sched.details["mixer"] == "independent-set"


@pytest.mark.parametrize("content, match", [
    ("{", "not a readable JSON"),
    ('{"gammas": [0.1], "betas": [0.2, 0.3]}', "must match"),
    ('{"gammas": [0.1, NaN], "betas": [0.2, 0.3]}', "finite numbers"),
    ('{"gammas": [], "betas": []}', "non-empty"),
    ('[0.1, 0.2]', "JSON object"),
])
def test_bad_schedule_files_name_the_file(tmp_path, content, match):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=match) as err:
        read_schedule(path)
    assert "bad.json" in str(err.value)


def test_transfer_from_schedule_pays_only_sampling(tmp_path):
    path = tmp_path / "sched.json"
    path.write_text(json.dumps({"gammas": [0.4, 0.6], "betas": [0.5, 0.3],
                                "source": "hand-made"}))
    res = qopt.solve("mis:1tc.16", "qaoa", mixer="feasible", p=2, shots=100,
                     init="transfer", transfer_from=str(path), seed=1, budget=200)
    info = res.info
    assert info["transfer"]["source"] == "hand-made"
    assert info["circuit_evaluations"] == 1            # one value of the transferred angles
    assert res.evaluations == 100 + 1
    np.testing.assert_allclose(info["params"], [0.4, 0.6, 0.5, 0.3])
    np.testing.assert_allclose(info["gammas"], np.array([0.4, 0.6]) * info["gamma_scale"])
    assert info["sample_feasible_fraction"] == 1.0


def test_transfer_from_smaller_instance_records_the_source():
    kw = {"mixer": "feasible", "p": 1, "shots": 64, "seed": 3, "budget": 160}
    res = qopt.solve("mis:1tc.16", "qaoa", init="transfer", transfer_from="mis:1tc.8", **kw)
    src = qopt.solve("mis:1tc.8", "qaoa", **kw)
    t = res.info["transfer"]
    assert t["source"] == "mis:1tc.8" and t["source_instance"] == "1tc.8"
    # the source was optimised exactly as a plain solve of it with the same options
    np.testing.assert_allclose(t["gammas"] + t["betas"], src.info["params"])
    np.testing.assert_allclose(res.info["params"], src.info["params"])
    assert t["source_evaluations"] == src.evaluations
    assert res.evaluations == 64 + 1                    # the target pays its samples + 1 value
    # transferred angles beat the initial state (p = 0) on the larger instance
    assert res.info["expectation"] < res.info["initial_expectation"]


def test_fine_tune_spends_at_most_its_budget_and_never_worsens():
    kw = {"p": 1, "shots": 50, "seed": 2, "budget": 400, "mixer": "feasible",
          "init": "transfer", "transfer_from": "mis:1tc.8"}
    plain = qopt.solve("mis:1tc.16", "qaoa", **kw)
    tuned = qopt.solve("mis:1tc.16", "qaoa", fine_tune=12, **kw)
    assert 1 < tuned.info["circuit_evaluations"] <= 12
    assert tuned.info["objective"] <= plain.info["objective"] + 1e-12


def test_transfer_with_the_x_mixer():
    res = qopt.solve("mis:1tc.16", "qaoa", init="transfer", transfer_from="mis:1tc.8", seed=0,
                     budget=200, **SMALL)
    assert res.info["transfer"]["source_num_qubits"] == 8
    assert res.info["circuit_evaluations"] == 1


@pytest.mark.parametrize("kw, match", [
    ({"solver": "ma-qaoa", "init": "transfer", "transfer_from": "mis:1tc.8"}, "multi-angle"),
    ({"init": "transfer"}, "needs transfer_from"),
    ({"transfer_from": "mis:1tc.8"}, "needs init='transfer'"),
    ({"init": "transfer", "transfer_from": "qap:tai10a"}, "within one problem class"),
    ({"init": "transfer", "transfer_from": "mis:1tc.8", "restarts": 2}, "restarts"),
    ({"init": "transfer", "transfer_from": "mis:1tc.8", "fine_tune": -1}, "fine_tune"),
])
def test_transfer_refusals(kw, match):
    kw = {"solver": "qaoa", **kw}
    with pytest.raises(OptionError, match=match):
        qopt.solve("mis:1tc.16", budget=100, seed=0, **{**SMALL, **kw})


def test_schedule_depth_must_match(tmp_path):
    path = tmp_path / "p2.json"
    path.write_text(json.dumps({"gammas": [0.4, 0.6], "betas": [0.5, 0.3]}))
    with pytest.raises(OptionError, match=r"2 layers.*p=1"):
        qopt.solve("mis:1tc.8", "qaoa", init="transfer", transfer_from=str(path), seed=0,
                   **SMALL)
