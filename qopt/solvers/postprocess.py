"""Post-processing of a solver's best sample: problem-aware repair, then local search.

Both call the problem only through the Problem protocol (``repair``, ``neighbours``,
``evaluate``, ``violation``); each step is recorded so that raw and post-processed results
are reported apart.
"""

from __future__ import annotations

import time

import numpy as np

from qopt.problems.base import Problem


def _key(problem: Problem, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(violation, minimisation objective) of each row: lexicographic order, lower is better."""
    return problem.violation_batch(X), problem.to_minimisation(problem.evaluate_batch(X))


def _step(name: str, problem: Problem, before: np.ndarray, after: np.ndarray, evaluations: int,
          started: float) -> dict:
    return {
        "step": name,
        "objective_before": float(problem.evaluate(before)),
        "objective_after": float(problem.evaluate(after)),
        "feasible_before": bool(problem.is_feasible(before)),
        "feasible_after": bool(problem.is_feasible(after)),
        "bits_changed": int(np.count_nonzero(before != after)),
        "evaluations": int(evaluations),
        "time": time.perf_counter() - started,
    }


def repair(problem: Problem, x: np.ndarray) -> tuple[np.ndarray, dict]:
    """The problem's repair of x, with its step record."""
    t0 = time.perf_counter()
    y = np.asarray(problem.repair(np.asarray(x, dtype=np.uint8)), dtype=np.uint8)
    return y, _step("repair", problem, x, y, 1, t0)


def local_search(problem: Problem, x: np.ndarray, max_steps: int = 10_000,
                 max_evaluations: int | None = None) -> tuple[np.ndarray, dict]:
    """Steepest descent over ``problem.neighbours``: move to the best neighbour while it is
    strictly better in (violation, objective) order. Each neighbourhood is evaluated as one
    batch; stops at a local optimum, after ``max_steps`` moves or ``max_evaluations``."""
    t0 = time.perf_counter()
    cur = np.asarray(x, dtype=np.uint8).copy()
    v, f = (a[0] for a in _key(problem, cur[None, :]))
    evaluations = 1
    for _ in range(max_steps):
        nb = problem.neighbours(cur)
        if max_evaluations is not None:
            nb = nb[: max(0, max_evaluations - evaluations)]
        if len(nb) == 0:
            break
        nv, nf = _key(problem, nb)
        evaluations += len(nb)
        best = np.lexsort((nf, nv))[0]
        if nv[best] < v - 1e-12 or (abs(nv[best] - v) <= 1e-12 and nf[best] < f - 1e-9):
            cur, v, f = nb[best].copy(), nv[best], nf[best]
        else:
            break
    return cur, _step("local_search", problem, x, cur, evaluations, t0)


def postprocess(problem: Problem, x: np.ndarray, steps=("repair", "local_search")
                ) -> tuple[np.ndarray, list[dict]]:
    """Apply the named steps in order; returns the final bits and one record per step."""
    records = []
    cur = np.asarray(x, dtype=np.uint8)
    for name in steps:
        cur, rec = (repair if name == "repair" else local_search)(problem, cur)
        records.append(rec)
    return cur, records
