"""What a Grover-mixer / threshold-QAOA run reports about its optimised state
(:func:`grover_diagnostics`), from the level amplitudes and the histogram's tallies, exactly:
concentration, P(feasible), P(feasible optimum) now and in |F>, the Grover bound and the
uniform-sampling baseline (keys in :mod:`qopt.solvers.quantum.grover`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from qopt import threads as kernel_threads
from qopt.solvers.base import Task


def grover_diagnostics(task: Task, objective, hist, sim, X, p: int, shots: int, rng) -> dict:
    """Info of an optimised GM- / threshold-QAOA state ``sim`` on ``hist`` with final samples
    X (program rows): concentration (bits), initial values, the exact probability of a
    feasible state and of the feasible optimum (now and in |F>), the Grover bound and the
    uniform-sampling baseline with the same shots (module doc). ``objective``: the polynomial
    of ``hist.best_objective`` (minimisation form; the cost itself when no row is penalised).

    The feasible optimum is the pass's own: the least objective over the states of F that
    satisfy every row, each level contributing the states that reach it
    (``hist.best_counts``), so rows left to penalties count as they should."""
    from qopt.backends.grover import grover_bound, probability_best_of_shots
    from qopt.solvers.quantum.concentration import concentration_note

    prob, uni = sim.probabilities(), sim.uniform_probabilities()
    uniform_draws = sim.draw_levels(shots, rng, uni)
    mp = sim.max_state_probability()
    m = hist.counts.astype(float)
    feas = hist.feasible_counts
    program, problem = task.program, task.problem
    out: dict[str, Any] = {
        "max_state_probability": mp, "state_entropy": sim.state_entropy(),
        "state_entropy_unit": "bits", "initial_state_entropy": math.log2(hist.size),
        **concentration_note(mp), "initial_expectation": float(uni @ hist.levels),
        "expectation_exact": True,      # <H> of the level amplitudes, not of the samples
        # rows the mixer does not preserve can be violated: the samples are checked
        "sample_feasible_fraction": float(np.mean(program.is_feasible(X))) if len(X)
        else None,
        "probability_feasible_exact": float(prob @ (feas / m)),
        "probability_feasible_initial": float(feas.sum() / hist.size)}
    sign = 1.0 if problem.sense == "min" else -1.0
    k = _native_offset(problem, objective, X)
    if not feas.any() or k is None:
        out["optimum_note"] = ("no state of the feasible set satisfies the penalised rows"
                               if not feas.any() else "the program's objective is not the "
                               "problem's on the samples: no optimum probability")
        return out
    o_star = float(hist.best_objective.min())
    hit = np.where(hist.best_objective <= o_star + 1e-9 * max(1.0, abs(o_star)),
                   hist.best_counts, 0)
    p_opt, p_init = float(prob @ (hit / m)), float(hit.sum() / hist.size)
    best = sign * (o_star - k)
    ref = problem.optimum if problem.optimum is not None else best
    if abs(ref - best) > 1e-9 * max(1.0, abs(ref)):
        out["optimum_note"] = (f"the pass's feasible optimum {best:g} differs from the "
                               f"reference {ref:g}; the optimum probabilities are of {best:g}")
    uniform_best = _uniform_best(task, objective, hist, uniform_draws, rng, sign, k)
    out.update({
        "probability_optimum_exact": p_opt, "probability_optimum_initial": p_init,
        "optimum_multiplicity": int(hit.sum()),
        "grover_bound": grover_bound(p, p_init), "histogram_best_objective": best,
        "probability_optimum_in_shots": probability_best_of_shots(p_opt, shots),
        "uniform_best_objective": uniform_best,
        "uniform_best_gap": (abs(uniform_best - ref) / abs(ref)
                             if ref and uniform_best is not None else None),
        "uniform_probability_optimum_in_shots": probability_best_of_shots(p_init, shots)})
    return out


def _native_offset(problem, objective, X) -> float | None:
    """k with ``objective`` = sign * native + k on the samples X, or None when no constant
    does (the program's objective is not an affine image of the problem's)."""
    if len(X) == 0:
        return 0.0
    sign = 1.0 if problem.sense == "min" else -1.0
    k = objective.energy(X) - sign * np.asarray(problem.evaluate_batch(X), float)
    if not np.allclose(k, k[0], rtol=0, atol=1e-6 * max(1.0, abs(float(k[0])))):
        return None
    return float(k[0])


def _uniform_best(task, objective, hist, draws, rng, sign: float, k: float) -> float | None:
    """Best native objective of uniform sampling of F with these level ``draws``: the lowest
    drawn level when every row is preserved (a level is one objective value), else the best
    feasible state among states drawn by the second pass (None when none is feasible)."""
    if not hist.walk.tracked:
        return sign * (float(hist.levels[np.flatnonzero(draws)[0]]) - k)
    X = hist.sample_states(draws, rng, threads=kernel_threads.current())
    ok = np.asarray(task.program.is_feasible(X), bool).reshape(-1)
    if not ok.any():
        return None
    return sign * (float(np.min(objective.energy(X[ok]))) - k)
