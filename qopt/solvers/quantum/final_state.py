"""Exact metrics of a final quantum state given as probabilities over the 2^N basis states of
a QUBO's variables (qubit i = variable i, little-endian index; the statevector engine's
``|psi|^2``, or a backend's exact ``probabilities``).

- ``expectation``: <H> = sum_k p_k E_k, E the QUBO energy (penalties included), the quantity
  the variational solvers minimise;
- ``probability_optimum_exact``: the probability that a measurement gives a bit string whose
  program part (the first ``num_program_vars`` bits; slack and auxiliary bits may take any
  value) is an optimum of the problem -- the exact counterpart of the sampled
  ``probability_optimum``, with the same test (native objective equal to the known optimum,
  rtol = atol = 1e-9, and feasible where the optimum needs it).

The optimal program states are found without evaluating all 2^n of them where the problem's
optimum must be feasible: on a feasible x with its best slack bits the QUBO energy equals the
minimisation objective (the penalties vanish), so every optimal program state has
``min over slack E = to_minimisation(optimum)``; the states at or below that energy are the
candidates, and only they are evaluated on the problem. Otherwise every program state is
evaluated, in chunks: where the optimum may be infeasible (market split), and where a row is
penalised *unbalanced* (``encoding="unbalanced"``: ``-l1 h + l2 h^2`` with ``h = b - a.x`` is
not 0 on a feasible x, so an optimal state's energy is not its objective).
"""

from __future__ import annotations

import numpy as np

from qopt.bits import indices_to_bits

#: program states evaluated per chunk
_CHUNK = 1 << 16
_RTOL = 1e-9
_ATOL = 1e-9
#: how :func:`qopt.model.convert.program_to_hubo` records a row penalised the unbalanced way
_UNBALANCED = "penalty (unbalanced)"


def _optimal(problem, idx: np.ndarray, n: int) -> np.ndarray:
    """Mask over program-state indices ``idx``: optimal (and feasible where needed)."""
    hit = np.zeros(len(idx), dtype=bool)
    for start in range(0, len(idx), _CHUNK):
        part = idx[start:start + _CHUNK]
        X = indices_to_bits(part, n)
        ok = np.isclose(problem.evaluate_batch(X), problem.optimum, rtol=_RTOL, atol=_ATOL)
        if problem.optimum_needs_feasible:
            ok &= problem.violation_batch(X) <= 1e-9
        hit[start:start + len(part)] = ok
    return hit


def _penalties_vanish_when_feasible(qubo) -> bool:
    """Whether a feasible program state at its best slack / auxiliary bits has energy equal to
    its minimisation objective: every row penalised as zero on feasible states (slack
    encoding, at-most-one and equality penalties), none the unbalanced way."""
    handling = getattr(qubo, "constraint_handling", None) or {}
    return _UNBALANCED not in handling.values()


def probability_optimum_exact(problem, qubo, probabilities: np.ndarray,
                              diagonal: np.ndarray | None = None) -> float | None:
    """P(measuring an optimal program state) of a state's probabilities, shape (2^N,); None
    without a known optimum. ``diagonal``: the QUBO energies of the 2^N states if already
    at hand (else computed)."""
    if problem.optimum is None:
        return None
    N = int(qubo.num_vars)
    n = int(getattr(qubo, "num_program_vars", N))
    p = np.asarray(probabilities, dtype=float).reshape(-1)
    if p.shape[0] != 1 << N:
        raise ValueError(f"{p.shape[0]} probabilities for {N} qubits (need 2^{N})")
    rest = 1 << (N - n)
    marginal = p.reshape(rest, 1 << n).sum(axis=0)        # program bits are the low bits
    if problem.optimum_needs_feasible and _penalties_vanish_when_feasible(qubo):
        d = qubo.diagonal() if diagonal is None else np.asarray(diagonal, dtype=float)
        best = d.reshape(rest, 1 << n).min(axis=0) if rest > 1 else d
        target = float(problem.to_minimisation(problem.optimum))
        tol = _ATOL + _RTOL * max(1.0, abs(target)) + 1e-12 * float(np.max(np.abs(best)))
        idx = np.flatnonzero(best <= target + tol)
    else:
        idx = np.arange(1 << n, dtype=np.int64)
    hit = _optimal(problem, idx, n)
    return float(marginal[idx[hit]].sum())


def final_state_metrics(problem, qubo, probabilities: np.ndarray,
                        diagonal: np.ndarray | None = None) -> dict[str, float | None]:
    """``{"expectation": <H>, "expectation_exact": True, "probability_optimum_exact": P}`` of
    a final state (module docstring); the keys solvers put into ``info``."""
    d = qubo.diagonal() if diagonal is None else np.asarray(diagonal, dtype=float)
    p = np.asarray(probabilities, dtype=float).reshape(-1)
    return {"expectation": float(p @ d), "expectation_exact": True,
            "probability_optimum_exact": probability_optimum_exact(problem, qubo, p, d)}


__all__ = ["final_state_metrics", "probability_optimum_exact"]
