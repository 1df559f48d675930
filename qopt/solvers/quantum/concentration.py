"""Concentration of an exact QAOA state: is it still a superposition, or one basis state?

For every exact backend (statevector, feasible subspace, cost histogram) the solvers report
``info["max_state_probability"]`` (the largest probability of one basis state) and
``info["state_entropy"]`` (Shannon entropy of the measurement distribution, in bits:
``info["state_entropy_unit"] = "bits"``; log2 of the number of states for a uniform state,
0 for a basis state). When one basis state holds at least :data:`CONCENTRATED` of the
probability, the result carries :data:`NOTE` (``info["concentration_note"]``), shown in the
printed summary: the optimiser has found a classical heuristic that prepares one state.
"""

from __future__ import annotations

import numpy as np

#: max_state_probability at or above which the result says the state is one basis state
CONCENTRATED = 0.9
NOTE = ("the optimised state is essentially one basis state: a classical heuristic, "
        "not a quantum search")


def concentration(prob) -> dict:
    """``max_state_probability``, ``state_entropy`` (bits) and the unit, of a probability
    vector over basis states (any shape; need not be normalised exactly)."""
    p = np.asarray(prob, dtype=float).reshape(-1)
    total = float(p.sum())
    q = p[p > 0] / total
    out = {"max_state_probability": float(p.max() / total),
           "state_entropy": float(-(q * np.log2(q)).sum()), "state_entropy_unit": "bits"}
    out.update(concentration_note(out["max_state_probability"]))
    return out


def concentration_note(max_probability: float) -> dict:
    """``{"concentration_note": NOTE}`` when ``max_probability`` >= :data:`CONCENTRATED`."""
    return {"concentration_note": NOTE} if max_probability >= CONCENTRATED else {}
