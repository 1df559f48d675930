"""qopt.plan: qubits apart (logical, slack, auxiliary), memory from the solve's own resource
plan, refusals and cheaper alternatives, and estimated times within 3x of real solves."""

from __future__ import annotations

import time

import pytest

import qopt
from qopt.planning import plan
from qopt.problems.mdkp import MDKP
from qopt.solvers.base import Task


def knapsack():
    """12 items, 2 packing rows: a QUBO with slack qubits, and a capacity mixer without."""
    w = [[3, 5, 2, 7, 4, 6, 3, 5, 2, 4, 6, 3], [4, 2, 6, 3, 5, 2, 4, 3, 5, 2, 3, 4]]
    return MDKP([9, 7, 6, 8, 5, 9, 4, 6, 5, 7, 8, 6], w, [20, 18], name="knap12")


def test_qubits_memory_and_depth_match_the_solve():
    problem = qopt.generate("maxcut", 12, 3)
    pl = plan(problem, "qaoa", p=2, maxiter=20, measure=False)
    res = qopt.solve(problem, solver="qaoa", p=2, maxiter=20, seed=0)
    assert (pl.num_qubits, pl.logical_qubits, pl.slack_qubits, pl.auxiliary_qubits) == \
        (res.num_qubits, 12, 0, 0)
    assert pl.depth == res.depth
    assert pl.memory_bytes >= pl.state_memory_bytes >= 16 * 2**12
    assert pl.estimated_seconds is None and pl.time.model == "not measured"
    knap = knapsack()
    pk = plan(knap, "qaoa", p=1, measure=False)
    q = Task(knap).qubo
    assert (pk.num_qubits, pk.logical_qubits, pk.slack_qubits) == (q.num_vars, 12, q.num_slack)
    assert pk.slack_qubits > 0 and pk.num_qubits == 12 + pk.slack_qubits
    pc = plan(knap, "qaoa", p=1, mixer="capacity", measure=False)
    assert (pc.num_qubits, pc.logical_qubits, pc.slack_qubits) == (12, 12, 0)
    classical = plan(problem, "anneal")
    assert classical.num_qubits is None and classical.estimated_seconds is None
    assert "no time model for anneal" in classical.time.model
    d = pk.to_dict()
    assert {"num_qubits", "slack_qubits", "memory_bytes", "estimated_seconds"} <= set(d)


def test_refused_plan_names_the_constraint_preserving_mixer(monkeypatch):
    monkeypatch.setenv("QOPT_MEMORY_LIMIT", "8M")          # the slack register does not fit
    pl = plan(knapsack(), "qaoa", p=1)
    assert pl.refused is not None and "memory limit" in pl.refused
    assert any(a.startswith("--mixer capacity (12 qubits, no slack") for a in pl.alternatives)
    assert "refused" in str(pl)


def test_exact_reference_of_40_variables_is_refused_in_the_plan():
    pl = plan(qopt.generate("maxcut", 40, 1), "anneal", reference="exact")
    assert pl.refused is not None and 'reference="milp"' in pl.refused


# (kind, size, options): statevector and subspace QAOA, default COBYLA and a gradient method
CASES = [("maxcut", 12, {"p": 1, "maxiter": 60}),
         ("maxcut", 16, {"p": 2, "maxiter": 40}),
         ("mis", 14, {"p": 1, "mixer": "independent-set", "maxiter": 60}),
         # L-BFGS-B converges after 3-13 sets per parameter (median 7, p = 1-4): a budget of
         # 10 sets is used up, so the case tests the timing, not a convergence forecast
         ("maxcut", 14, {"p": 2, "maxiter": 10, "optimizer": "l-bfgs-b"})]


@pytest.mark.parametrize("kind,size,opts", CASES)
def test_estimate_within_3x_of_the_real_solve(kind, size, opts):
    opts = dict(opts)
    optimizer = opts.pop("optimizer", None)
    problem = qopt.generate(kind, size, 3)
    qopt.solve(problem, solver="qaoa", optimizer=optimizer, seed=0, **{**opts, "maxiter": 2})
    t0 = time.perf_counter()
    pl = plan(problem, "qaoa", optimizer=optimizer, **opts)
    assert time.perf_counter() - t0 < 10.0
    walls = [qopt.solve(problem, solver="qaoa", optimizer=optimizer, seed=s, **opts).wall_time
             for s in (1, 2)]
    real = sorted(walls)[0]
    assert pl.estimated_seconds is not None
    assert real / 3 <= pl.estimated_seconds <= 3 * max(walls), (pl.estimated_seconds, walls,
                                                               pl.time.model)


def test_plan_gives_each_solver_the_cost_it_takes():
    """qaoa takes the quartic LABS cost itself (one qubit a variable), ma-qaoa its
    quadratisation (auxiliary bits, not counted as slack too): the plan says what the solve
    uses, and its qubits add up."""
    problem = qopt.load("labs:6")
    hubo = plan(problem, "qaoa", p=1, maxiter=2, measure=False)
    res = qopt.solve(problem, solver="qaoa", p=1, maxiter=2, seed=0)
    assert (hubo.num_qubits, hubo.logical_qubits, hubo.slack_qubits,
            hubo.auxiliary_qubits) == (res.num_qubits, 6, 0, 0) == (6, 6, 0, 0)
    assert hubo.state_memory_bytes < 16 * 2**8           # a 6-qubit state, not 13
    quad = plan(problem, "ma-qaoa", p=1, maxiter=2, measure=False)
    q = Task(problem).qubo
    assert quad.num_qubits == q.num_vars == qopt.solve(problem, solver="ma-qaoa", p=1,
                                                        maxiter=2, seed=0).num_qubits
    assert (quad.logical_qubits, quad.slack_qubits, quad.auxiliary_qubits) == (6, 0, q.num_aux)
    assert quad.logical_qubits + quad.slack_qubits + quad.auxiliary_qubits == quad.num_qubits


def test_fixed_angles_plan_one_parameter_set():
    """maxiter=0 with angles evaluates the angles once: the plan counts that one set."""
    problem = qopt.generate("maxcut", 8, 3)
    angles = {"gamma": [0.3], "beta": [0.4]}
    pl = plan(problem, "qaoa", p=1, maxiter=0, angles=angles)
    assert (pl.time.parameter_sets, pl.time.parameter_sets_max) == (1, 1)
    res = qopt.solve(problem, solver="qaoa", p=1, maxiter=0, angles=angles, seed=0)
    assert res.info["circuit_evaluations"] == 1


def test_plan_takes_every_keyword_of_solve():
    """qopt.plan takes qopt.solve's keywords as they are (the seed, post-processing,
    progress, mitigation and record do not change a plan); a bad seed is still refused."""
    problem = qopt.generate("maxcut", 8, 1)
    pl = plan(problem, "qaoa", maxiter=3, seed=1, postprocess=False, progress=False,
              mitigation=None, record=None, measure=False)
    assert pl.num_qubits == 8
    with pytest.raises(qopt.errors.OptionError, match="seed"):
        plan(problem, "qaoa", maxiter=3, seed=-1, measure=False)


def test_grover_mixer_is_planned_without_a_subspace_estimate():
    """``qopt solve qap --instance tai12a --solver qaoa --mixer grover`` (the Grover-mixer
    page's command) planned its time on the subspace simulator, which refuses the Grover
    mixer: the CLI stopped with that error before the run."""
    plan = qopt.plan("qap:tai12a", "qaoa", mixer="grover", p=3, seed=1)
    assert plan.refused is None
    assert plan.to_dict()["estimated_seconds"] is None
    assert "Grover mixer" in plan.to_dict()["time"]["model"]


def test_a_long_call_that_compiles_nothing_is_timed_once(monkeypatch):
    """Large subspaces: one evaluation can take a minute, and the plan used to run it twice
    (warm-up, then the timed call) and twice more for the final state."""
    from qopt.planning import timing

    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.03)

    monkeypatch.setattr(timing, "LONG_CALL", 0.01)
    assert timing._median_time(slow) >= 0.03 and len(calls) == 1
    monkeypatch.setattr(timing, "LONG_CALL", 10.0)
    calls.clear()
    timing._median_time(slow)
    assert len(calls) >= 1 + timing.REPEATS


def test_the_plan_counts_the_feasible_subspace_memory():
    """The subspace's size is known only once it is enumerated: the plan adds what the
    measurement built (it said 300 KiB for an 8e7-state MDKP subspace of 6 GiB)."""
    from qopt.backends.subspace import STATE_BYTES

    pl = plan(knapsack(), "qaoa", p=1, mixer="capacity", maxiter=40)
    states = pl.time.measured_states
    sub = [i for i in pl.memory_items if i["what"].startswith("feasible subspace")]
    assert states and sub
    assert sum(i["bytes"] for i in sub) >= (STATE_BYTES + 8) * states
    assert pl.memory_bytes >= sum(i["bytes"] for i in sub)
    assert pl.state_memory_bytes >= 48 * states


def test_a_subspace_over_the_limit_is_a_refused_plan(monkeypatch):
    """A feasible set too big for memory shows only when it is counted, inside the
    measurement: the plan (``--dry-run``) reports it as refused instead of raising."""
    monkeypatch.setenv("QOPT_MEMORY_LIMIT", "3M")      # the plan's other buffers fit
    pl = plan(qopt.generate("mis", 40, 1), "qaoa", p=1, mixer="independent-set")
    assert pl.refused is not None and "feasible set" in pl.refused
    assert pl.estimated_seconds is None and "refused" in pl.time.model
