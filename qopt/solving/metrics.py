"""Quality metrics of a solve, in the problem's native objective: optimality gap,
approximation ratio, probability of sampling the optimum, the final state's expectation ratio,
and the three counts of what a run paid (shots, circuit executions, objective evaluations).
Definitions: ``docs/guide/results.md``; every metric that is None gets its reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qopt.problems.base import Problem
from qopt.samples import Samples


def gap_and_ratio(problem: Problem, objective: float, feasible: bool
                  ) -> tuple[float | None, float | None]:
    """(gap, approximation ratio) of a native objective value, None where undefined.

    gap = |optimum - objective| / |optimum|; the ratio is <= 1 and 1 at the optimum, for either
    sense and sign; None when the values differ in sign (or one is 0), when the optimum is
    unknown, or when it needs a feasible solution and this one is not.
    """
    opt = problem.optimum
    if opt is None or (problem.optimum_needs_feasible and not feasible):
        return None, None
    gap = abs(opt - objective) / abs(opt) if opt != 0 else (0.0 if objective == 0 else None)
    return gap, oriented_ratio(problem.sense, objective, opt)


def oriented_ratio(sense: str, value: float, optimum: float) -> float | None:
    """value against optimum, oriented so that it is <= 1 when ``value`` is no better and 1 at
    the optimum: max: value / C* (C* > 0) or C* / value (C* < 0); min: C* / value (C* > 0) or
    value / C* (C* < 0). None when the two differ in sign or one is 0."""
    if value == optimum:
        return 1.0
    if value * optimum <= 0:
        return None         # a ratio of values of different signs (or with 0) means nothing
    if sense == "max":
        return value / optimum if optimum > 0 else optimum / value
    return optimum / value if optimum > 0 else value / optimum


#: solvers whose final samples are measurements of one final quantum state (an expectation
#: ratio of that state means something); others may still report ``info["expectation"]``
#: with ``info["expectation_exact"]``
STATE_SOLVERS = frozenset({"qaoa", "cvar-qaoa", "ma-qaoa", "ws-qaoa", "th-qaoa", "vqe",
                           "cvar-vqe"})


@dataclass(frozen=True)
class StateQuality:
    """The final state's expected cost in the native sense (<C>), its expectation ratio and
    the ratio's standard error (0 when exact); ``reason`` when they are None, ``se_reason``
    when only the standard error is (one final sample)."""

    expected_objective: float | None = None
    expectation_ratio: float | None = None
    expectation_ratio_se: float | None = None
    exact: bool = False
    reason: str | None = None
    #: why the ratio has no standard error when the ratio itself is known
    se_reason: str | None = None


def state_quality(problem: Problem, solver: str, quantum: bool, info: dict,
                  energies: np.ndarray | None, samples: Samples, no_reference: str
                  ) -> StateQuality:
    """<C> and <C>/C* of a run's final state: ``info["expectation"]`` (<H>, energy units)
    when the solver reports it exactly (``info["expectation_exact"]``), else the count-weighted
    mean energy of the final samples with its standard error. ``energies``: the samples'
    energies (rows of ``samples``, raw with counts), None when the solver had no QUBO."""
    if not quantum:
        return StateQuality(reason="classical solver: no final quantum state")
    exact = bool(info.get("expectation_exact")) and info.get("expectation") is not None
    if exact:
        mean, se = float(info["expectation"]), 0.0
    elif solver not in STATE_SOLVERS:
        return StateQuality(reason=f"{solver}: its samples are not measurements of one "
                                   "final state (recursive or rounded), so no <C>")
    elif energies is None or not len(energies):
        return StateQuality(reason="no final samples with energies")
    else:
        w = np.ones(len(energies)) if samples.weights is None else \
            np.asarray(samples.weights, dtype=float)
        total = float(w.sum())
        if total <= 0:
            return StateQuality(reason="the final samples carry no weight")
        n = total if total > 1.5 else float(len(energies))    # counts; else one per row
        p = w / total
        mean = float(p @ energies)
        var = float(p @ (energies - mean) ** 2) * (n / (n - 1) if n > 1 else 0.0)
        se = math.sqrt(var / n) if n > 1 else None      # one sample: no spread to measure
    expected = float(problem.to_minimisation(mean))   # its own inverse: back to native
    opt = problem.optimum
    if opt is None:
        return StateQuality(expected, None, None, exact, no_reference)
    ratio = oriented_ratio(problem.sense, expected, opt)
    if ratio is None:
        return StateQuality(expected, None, None, exact,
                            f"<C> = {expected:g} and C* = {opt:g} differ in sign (or one is "
                            "0): their ratio means nothing")
    # first-order error: ratio = <C>/C* or C*/<C>, d ratio / d<C> = ratio / <C> in size
    if se is None:
        return StateQuality(expected, ratio, None, exact,
                            se_reason="one final sample: no standard error")
    ratio_se = 0.0 if exact else abs(ratio / expected) * se
    return StateQuality(expected, ratio, ratio_se, exact)


def run_counts(quantum: bool, out_evaluations, out_shots, info: dict
               ) -> tuple[int, int, int | None]:
    """(shots_total, circuit_executions, objective_evaluations) of a run (results guide):
    shots: every measured shot (estimates and final samples); executions: the solver's own
    ``info["circuit_executions"]``, else the backend's executions (``info["usage"]``), else
    the parameter sets run (``info["circuit_evaluations"]``) plus one final sampling;
    evaluations: the budget unit the solver charged. Classical solvers: 0 shots, 0 circuits."""
    evaluations = None if out_evaluations is None else int(out_evaluations)
    if not quantum:
        return 0, 0, evaluations
    shots = int(out_shots or 0)
    if info.get("circuit_executions") is not None:
        executions = int(info["circuit_executions"])
    elif isinstance(info.get("usage"), dict) and info["usage"].get("executions"):
        executions = int(info["usage"]["executions"])
    else:
        executions = int(info.get("circuit_evaluations") or 0) + (1 if shots else 0)
    return shots, executions, evaluations


def probability_optimum(problem: Problem, samples: Samples, objectives: np.ndarray,
                        feasible: np.ndarray) -> float | None:
    """Summed weight of the samples whose native objective equals the known optimum (rtol and
    atol 1e-9; feasible ones only where the optimum needs feasibility); None without an optimum
    or samples. ``samples`` are unique rows with probabilities (``Samples.unique()``);
    ``objectives`` / ``feasible``, shape (k,), belong to its rows."""
    if problem.optimum is None or not len(samples.bits):
        return None
    hit = np.isclose(objectives, problem.optimum, rtol=1e-9, atol=1e-9)
    if problem.optimum_needs_feasible:
        hit &= feasible
    return float(samples.weights[hit].sum())


__all__ = ["STATE_SOLVERS", "StateQuality", "gap_and_ratio", "oriented_ratio",
           "probability_optimum", "run_counts", "state_quality"]
