"""Quality metrics of a solve, in the problem's native objective: optimality gap,
approximation ratio, probability of sampling the optimum."""

from __future__ import annotations

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
    if opt == objective:
        ratio = 1.0
    elif opt * objective <= 0:
        ratio = None        # a ratio of values of different signs (or with 0) means nothing
    elif problem.sense == "max":
        ratio = objective / opt if opt > 0 else opt / objective
    else:
        ratio = opt / objective if opt > 0 else objective / opt
    return gap, ratio


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


__all__ = ["gap_and_ratio", "probability_optimum"]
