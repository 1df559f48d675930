"""Fixed QAOA angles for LABS: QOKit's published table, its angle convention, exact P(opt).

**QOKit's convention** (``qokit/fur``: ``apply_qaoa_furx`` in C and Python, the simulator of
the published angles): from |+>^N, layer l applies ``exp(-i (gamma_l / 2) H)`` then
``exp(-i beta_l sum_j X_j)``, with ``H = E(s) - N(N-1)/2`` the LABS energy without its
constant (``get_qaoa_labs_objective``: ``-(N^2)/(2 * negMF) - offset``).

**qopt's convention** (DESIGN.md): ``exp(-i gamma H_C)`` then ``exp(-i beta sum X)``, with
``H_C`` the problem's energy diagonal, here ``E(s)`` itself.

So ``gamma_qopt = gamma_qokit / 2`` (QOKit's cost layer carries a factor 1/2), and
``beta_qopt = beta_qokit`` (both mixers are ``exp(-i beta X)`` per qubit: QOKit's ``furx``
multiplies by ``cos(beta) - i sin(beta) X``; the docstring of its Python version saying
``X/2`` does not match its code). The constant ``N(N-1)/2`` is a global phase. When qopt's
cost is ``scale * E`` (``energy_scale``), ``gamma_qopt = gamma_qokit / (2 scale)``. The
published overlaps are then reproduced to 1e-6 (``tests/test_labs_qaoa.py``,
``benchmarks/labs_scaling.py``).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import numpy as np

from qopt.errors import OptionError

#: the angle conventions ``convert_angles`` knows
CONVENTIONS = ("qopt", "qokit")
QOKIT_ASSET = "best_LABS_QAOA_parameters_wrt_overlap.json"


def qokit_to_qopt(gammas, betas, energy_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """QOKit angles -> qopt angles: ``(gamma / (2 energy_scale), beta)``, shapes (p,)."""
    g = np.asarray(gammas, dtype=float).reshape(-1)
    b = np.asarray(betas, dtype=float).reshape(-1)
    if g.shape != b.shape:
        raise OptionError(f"need as many gammas as betas, got {g.size} and {b.size}")
    if not energy_scale or not np.isfinite(energy_scale):
        raise OptionError(f"energy_scale must be a finite non-zero number, got {energy_scale}")
    return g / (2.0 * float(energy_scale)), b.copy()


def qopt_to_qokit(gammas, betas, energy_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`qokit_to_qopt`."""
    g, b = qokit_to_qopt(gammas, betas, 1.0)
    return g * 4.0 * float(energy_scale), b


def convert_angles(gammas, betas, convention: str = "qopt", energy_scale: float = 1.0):
    """Angles given in ``convention`` -> qopt's (``"qopt"``: unchanged)."""
    if convention == "qopt":
        g = np.asarray(gammas, dtype=float).reshape(-1)
        b = np.asarray(betas, dtype=float).reshape(-1)
        if g.shape != b.shape:
            raise OptionError(f"need as many gammas as betas, got {g.size} and {b.size}")
        return g, b
    if convention == "qokit":
        return qokit_to_qopt(gammas, betas, energy_scale)
    raise OptionError(f"convention must be one of {', '.join(map(repr, CONVENTIONS))}, got "
                      f"{convention!r}")


@cache
def _table() -> tuple[dict, ...]:
    text = (resources.files("qopt.problems") / "data" / "labs" / QOKIT_ASSET).read_text()
    return tuple(json.loads(text).values())


def published_rows(max_n: int | None = None) -> list[dict]:
    """QOKit's rows ``{N, p, gamma, beta, overlap, merit factor}`` (QOKit convention)."""
    return [dict(r) for r in _table() if max_n is None or r["N"] <= max_n]


def published_angles(n: int, p: int, convention: str = "qopt") -> dict:
    """The published row for (N, p): ``{"gamma", "beta"}`` in ``convention`` plus
    ``overlap`` and ``merit_factor``; OptionError naming the available p when missing."""
    rows = [r for r in _table() if r["N"] == int(n)]
    row = next((r for r in rows if r["p"] == int(p)), None)
    if row is None:
        have = sorted(r["p"] for r in rows)
        raise OptionError(f"QOKit publishes no LABS angles for N = {n}, p = {p}; "
                          + (f"for N = {n}: p in {have}" if have else "N ranges over 3..32"))
    if convention == "qokit":
        g, b = np.asarray(row["gamma"], float), np.asarray(row["beta"], float)
    elif convention == "qopt":
        g, b = qokit_to_qopt(row["gamma"], row["beta"])
    else:
        raise OptionError(f"convention must be 'qopt' or 'qokit', got {convention!r}")
    return {"gamma": g.tolist(), "beta": b.tolist(), "overlap": float(row["overlap"]),
            "merit_factor": float(row["merit factor"])}


def qaoa_optimum_probability(diag, optimal, gammas, betas, *, engine=None) -> float:
    """Exact probability of the ``optimal`` basis states (indices) in the QAOA state of
    ``diag`` (qopt convention angles), from the statevector engine."""
    from qopt.backends.statevector import StatevectorEngine

    n = int(np.log2(len(diag)))
    eng = StatevectorEngine(n) if engine is None else engine
    psi = eng.qaoa_state(diag, gammas, betas)
    amp = psi[np.asarray(optimal, dtype=np.int64)]
    return float(np.sum(amp.real ** 2 + amp.imag ** 2))


__all__ = ["CONVENTIONS", "convert_angles", "published_angles", "published_rows",
           "qaoa_optimum_probability", "qokit_to_qopt", "qopt_to_qokit"]
