"""Warm starts of ws-qaoa (Egger, Mareček, Woerner 2021) from the continuous relaxation of the
cost: clipped to [eps, 1 - eps] for the x mixer (the initial product state and its mixer), or
rounded at 1/2 and repaired to a feasible basis state for constraint-preserving mixers."""

from __future__ import annotations

import numpy as np


def clipped_warm_start(qubo, rng, options) -> tuple[np.ndarray, dict]:
    """x mixer: the relaxation's values clipped to [epsilon, 1 - epsilon] (``options``:
    ``epsilon``, ``relaxation``, ``relax_starts``), and the info entries saying so."""
    c, relaxed_value = continuous_relaxation(qubo, rng, method=options.relaxation,
                                             starts=options.relax_starts)
    reg = np.clip(c, options.epsilon, 1.0 - options.epsilon)
    return reg, {"relaxed_solution": c.tolist(), "relaxed_value": relaxed_value,
                 "warm_start": reg.tolist()}


def rounded_warm_start(problem, cost, rng, options) -> tuple[np.ndarray, dict]:
    """Constraint-preserving mixers: the relaxation of ``cost`` rounded at 1/2 and repaired
    (``problem.repair``) to a feasible bit vector, and the info entries saying so."""
    c, value = continuous_relaxation(cost, rng, method=options.relaxation,
                                     starts=options.relax_starts)
    rounded = (c > 0.5).astype(np.uint8)
    bits = np.asarray(problem.repair(rounded), dtype=np.uint8)
    return bits, {"relaxed_solution": c.tolist(), "relaxed_value": value,
                  "rounded_warm_start": rounded.tolist()}


def continuous_relaxation(qubo, rng, *, method: str = "local", starts: int = 8
                          ) -> tuple[np.ndarray, float]:
    """argmin over [0, 1]^n of f(x) = x'Ux + c'x (+ offset) and its value.

    "local": best of ``starts`` L-BFGS-B runs (x0 = 1/2, then uniform random from ``rng``);
    "convex": f + mu * sum(x_i^2 - x_i) with mu = max(0, -lambda_min(U + U') / 2), a convex
    function equal to f on binary points, minimised once from x0 = 1/2.
    """
    from scipy.optimize import minimize

    U = qubo.quadratic.tocsr()
    S = (U + U.T).tocsr()
    lin = qubo.linear.copy()
    n = qubo.num_vars
    mu = 0.0
    if method == "convex" and n:
        H = S.toarray()
        mu = max(0.0, -float(np.linalg.eigvalsh(H)[0]) / 2.0)

    def fg(x):
        sx = S @ x
        val = 0.5 * x @ sx + lin @ x + mu * (x @ x - x.sum())
        return val, sx + lin + mu * (2 * x - 1)

    bounds = [(0.0, 1.0)] * n
    x0s = [np.full(n, 0.5)]
    if method == "local":
        x0s += [rng.uniform(0, 1, n) for _ in range(max(0, starts - 1))]
    best = None
    for x0 in x0s:
        res = minimize(fg, x0, jac=True, method="L-BFGS-B", bounds=bounds)
        if best is None or res.fun < best.fun:
            best = res
    x = np.clip(best.x, 0.0, 1.0)
    return x, float(fg(x)[0] - mu * (x @ x - x.sum()) + qubo.offset)


__all__ = ["clipped_warm_start", "continuous_relaxation", "rounded_warm_start"]
