"""References (optimum= / reference=) and the exact final-state metrics, against brute force."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

import qopt
from qopt.bits import indices_to_bits
from qopt.errors import OptionError, SizeLimitError
from qopt.problems.mdkp import MDKP
from qopt.reference import Reference, resolve_reference, with_reference
from qopt.solvers.base import Task
from qopt.solvers.quantum.final_state import final_state_metrics, probability_optimum_exact


def brute_optimum(problem) -> float:
    X = np.array(list(itertools.product([0, 1], repeat=problem.num_vars)), dtype=np.uint8)
    vals = problem.evaluate_batch(X)
    if problem.optimum_needs_feasible:
        vals = np.where(problem.violation_batch(X) <= 1e-9, vals, np.nan)
    return float(np.nanmax(vals) if problem.sense == "max" else np.nanmin(vals))


@pytest.mark.parametrize("reference", ["exact", "milp"])
def test_computed_references_equal_brute_force(reference):
    for problem in (qopt.generate("maxcut", 10, 4), qopt.generate("mdkp", (8, 2), 1),
                    qopt.generate("mis", 9, 2)):
        ref = resolve_reference(problem, reference=reference, solve=qopt.solve)
        assert ref.source == reference and ref.seconds >= 0
        assert ref.value == pytest.approx(brute_optimum(problem))
        assert problem.optimum is None                  # the caller's object is untouched
        assert with_reference(problem, ref).optimum == ref.value


def test_given_best_known_and_missing_references():
    shipped = qopt.load("mis", "1tc.8")
    assert resolve_reference(shipped) == Reference(4.0, "best-known")
    assert resolve_reference(shipped, reference="best-known").value == 4.0
    assert resolve_reference(shipped, optimum=5) == Reference(5.0, "given")
    fresh = qopt.generate("maxcut", 8, 1)
    none = resolve_reference(fresh)
    assert none.value is None and "reference" in none.to_dict()["note"]
    with pytest.raises(OptionError, match="no best-known value"):
        resolve_reference(fresh, reference="best-known")
    with pytest.raises(OptionError, match="not both"):
        resolve_reference(fresh, optimum=3, reference="exact")
    with pytest.raises(OptionError, match="reference must be one of"):
        resolve_reference(fresh, reference="brute")
    with pytest.raises(OptionError, match="finite number"):
        resolve_reference(fresh, optimum=float("nan"))


def test_exact_reference_of_40_variables_is_refused_before_work_naming_milp():
    big = qopt.generate("maxcut", 40, 1)
    t0 = time.perf_counter()
    with pytest.raises(SizeLimitError, match='reference="milp"') as exc:
        resolve_reference(big, reference="exact")
    assert time.perf_counter() - t0 < 2.0 and "2^40" in str(exc.value)


def _brute_p_opt(problem, qubo, p) -> float:
    """Sum of p over every basis state whose program bits are optimal (all 2^N decoded)."""
    N = qubo.num_vars
    bits = qubo.program_bits(indices_to_bits(np.arange(1 << N), N))
    hit = np.isclose(problem.evaluate_batch(bits), problem.optimum, rtol=1e-9, atol=1e-9)
    if problem.optimum_needs_feasible:
        hit &= problem.violation_batch(bits) <= 1e-9
    return float(p[hit].sum())


@pytest.mark.parametrize("make", [
    lambda: qopt.generate("maxcut", 10, 2),                  # no slack
    lambda: MDKP([5, 4, 3, 6, 2, 7], [[2, 3, 1, 4, 2, 3], [1, 1, 2, 2, 3, 1]], [7, 5]),
    # ^ slack bits after the program's
    lambda: qopt.generate("mis", 8, 5),
    lambda: qopt.generate("msp", (2, 6), 1),                 # optimum may be infeasible
])
def test_exact_optimum_probability_matches_brute_force(make):
    problem = make()
    problem.optimum = brute_optimum(problem) if problem.optimum_needs_feasible else float(
        np.min(problem.evaluate_batch(np.array(list(itertools.product(
            [0, 1], repeat=problem.num_vars)), dtype=np.uint8))))
    qubo = Task(problem).qubo
    assert qubo.num_vars <= 16
    rng = np.random.default_rng(7)
    p = rng.random(1 << qubo.num_vars) ** 4
    p /= p.sum()
    got = probability_optimum_exact(problem, qubo, p)
    assert got == pytest.approx(_brute_p_opt(problem, qubo, p), rel=1e-12, abs=1e-15)
    assert 0 < got < 1
    m = final_state_metrics(problem, qubo, p)
    assert m["expectation"] == pytest.approx(float(p @ qubo.energy(
        indices_to_bits(np.arange(1 << qubo.num_vars), qubo.num_vars))))
    problem.optimum = None
    assert probability_optimum_exact(problem, qubo, p) is None


def test_exact_optimum_probability_under_unbalanced_penalties():
    """encoding="unbalanced" leaves a non-zero penalty on feasible states (-l1 h + l2 h^2,
    h = b - a.x >= 0), so an optimal state's energy is not the objective: P(opt) must still
    count it (against brute force over every state)."""
    problem = qopt.generate("mdkp", 6, 1)      # its optimum leaves slack: a penalty > 0
    problem.optimum = brute_optimum(problem)
    qubo = Task(problem, encoding="unbalanced").qubo
    assert qubo.num_slack == 0
    rng = np.random.default_rng(3)
    p = rng.random(1 << qubo.num_vars) ** 4
    p /= p.sum()
    got = probability_optimum_exact(problem, qubo, p)
    assert got == pytest.approx(_brute_p_opt(problem, qubo, p), rel=1e-12, abs=1e-15)
    assert got > 0
