"""Initial QAOA angles: linear ramp, INTERP layer growth, FOURIER, random (seeded).

Angles here are in *normalised* units: the solver multiplies gammas by a scale that brings the
cost Hamiltonian's largest coefficient to 1, so the same ranges suit every problem.
References: linear ramp (annealing-inspired, e.g. Sack & Serbyn 2021); INTERP and FOURIER
(Zhou, Wang, Choi, Pichler, Lukin, PRX 10, 021067 (2020)).
"""

from __future__ import annotations

import numpy as np

from qopt.errors import OptionError

#: "transfer": angles of another instance or a schedule file (qopt.solvers.quantum.transfer)
INITS = ("ramp", "interp", "fourier", "random", "transfer")
#: total "annealing time" of the linear ramp in normalised units
RAMP_DT = 0.75


def linear_ramp(p: int, dt: float = RAMP_DT) -> tuple[np.ndarray, np.ndarray]:
    """gamma_k = (k + 1/2)/p * dt, beta_k = (1 - (k + 1/2)/p) * dt, k = 0..p-1."""
    f = (np.arange(p) + 0.5) / p
    return f * dt, (1.0 - f) * dt


def interp_grow(a) -> np.ndarray:
    """INTERP (Zhou et al., eq. B1) of one angle sequence, length p -> p + 1."""
    a = np.asarray(a, dtype=float)
    p = len(a)
    ext = np.concatenate([[0.0], a, [0.0]])          # a_0 = a_{p+1} = 0 (1-based a_1..a_p)
    i = np.arange(1, p + 2)
    return (i - 1) / p * ext[i - 1] + (p - i + 1) / p * ext[i]


def interp_next(gammas, betas) -> tuple[np.ndarray, np.ndarray]:
    """INTERP: optimal depth-p angles -> initial depth-(p+1) angles (Zhou et al., eq. B1)."""
    return interp_grow(gammas), interp_grow(betas)


def fourier_basis(p: int, q: int) -> tuple[np.ndarray, np.ndarray]:
    """Matrices S (p, q), C (p, q): gammas = S u, betas = C v (FOURIER[q] parametrisation)."""
    i = np.arange(1, p + 1)[:, None] - 0.5
    k = np.arange(1, q + 1)[None, :] - 0.5
    return np.sin(k * i * np.pi / p), np.cos(k * i * np.pi / p)


def fourier_from_angles(gammas, betas, q: int) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares (u, v) of length q reproducing the given angles."""
    S, C = fourier_basis(len(gammas), q)
    u = np.linalg.lstsq(S, np.asarray(gammas, float), rcond=None)[0]
    v = np.linalg.lstsq(C, np.asarray(betas, float), rcond=None)[0]
    return u, v


def random_angles(p: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """gammas uniform in [0, pi/2), betas uniform in [0, pi/4) (normalised units)."""
    return rng.uniform(0, np.pi / 2, p), rng.uniform(0, np.pi / 4, p)


def check_init(init: str) -> str:
    if init not in INITS:
        raise OptionError(f"init must be one of {', '.join(INITS)}; got {init!r}")
    return init


__all__ = ["INITS", "RAMP_DT", "check_init", "fourier_basis", "fourier_from_angles",
           "interp_grow", "interp_next", "linear_ramp", "random_angles"]
