"""Grover-mixer / threshold QAOA results against dense references: the same ansatz run as a
full state over the feasible set F (one amplitude per state, projector mixer), brute force over
F for the feasible optimum, and the samples' feasibility checked row by row. Covers what the
solvers report (not only the simulator): <H> and <C>/C* exact, P(opt) of the feasible optimum
with rows left as penalties, the initial share and the Grover bound."""

from __future__ import annotations

import numpy as np
import pytest

import qopt
from qopt.backends.subspace import FeasibleSubspace
from qopt.problems.mis import MIS
from qopt.problems.qap import QAP
from qopt.solvers.base import Task
from qopt.solvers.quantum.grover import feasible_mixer
from qopt.solvers.quantum.qaoa_subspace import constrained_cost, subspace_energies
from qopt.solving.metrics import oriented_ratio
from tests.test_grover import full_state_gm


def dense(problem):
    """(constrained cost E, program bits B, native objective, feasible) of every state of F."""
    task = Task(problem)
    mixer = feasible_mixer(task)
    cost = constrained_cost(task.program, mixer)
    space = FeasibleSubspace.build(mixer)
    B = space.bits(np.arange(space.size))
    return (subspace_energies(space, cost), B, np.asarray(problem.evaluate_batch(B), float),
            np.asarray(problem.violation_batch(B)) <= 1e-9)


@pytest.mark.parametrize("make", [lambda: QAP.generate(6, seed=9),
                                  lambda: MIS.generate((12, 0.3), seed=1)])
@pytest.mark.parametrize("solver", ["qaoa", "th-qaoa"])
def test_expectation_and_ratio_are_exact(make, solver):
    """<H> equals the full state's at the reported angles to 1e-10 (relative), and <C>/C* is
    that exact value (standard error 0), not the mean of the samples."""
    problem = make()
    E, _B, obj, feas = dense(problem)
    sign = 1.0 if problem.sense == "min" else -1.0
    opt = float(sign * np.min(sign * obj[feas]))
    kw = {"mixer": "grover"} if solver == "qaoa" else {}
    r = qopt.solve(problem, solver, p=2, seed=3, shots=300, optimum=opt, **kw)
    i = r.info
    th = i.get("threshold")
    p_full = np.abs(full_state_gm(E, i["gammas"], i["betas"], th)) ** 2
    exact = float(p_full @ E)
    assert i["expectation"] == pytest.approx(exact, rel=1e-10, abs=1e-10)
    assert i["expectation_exact"] is True
    assert r.expected_objective == pytest.approx(sign * exact, rel=1e-10)
    assert r.expectation_ratio == pytest.approx(oriented_ratio(problem.sense, sign * exact, opt),
                                                rel=1e-10)
    assert r.expectation_ratio_se == 0.0
