"""Fixed QAOA angles: the option ``angles={"gamma": [...], "beta": [...]}`` of the QAOA family.

The angles are *true* angles in qopt's convention (cost layer ``exp(-i gamma H_C)``, mixer
``exp(-i beta sum X)``), exactly what a result records in ``info["gammas"]`` /
``info["betas"]``, so a recorded run can be replayed. The optimiser works on *normalised*
parameters ``x = [gammas / gamma_scale, betas]`` (``gamma_scale`` = 1 / the largest |Ising
coefficient| of the instance, in ``info``); :func:`fixed_parameters` makes that conversion.

Shapes: standard angles are p numbers each. Multi-angle (ma-qaoa) angles are per layer and
per term / partial mixer, ``gamma`` of shape (p, T) (T Ising terms: fields, then couplings)
and ``beta`` of shape (p, K) (K partial mixers: n for the x mixer), as ma-qaoa records them;
p numbers are also accepted there (the same angle for every term / partial mixer of a layer).

With ``maxiter=0`` the angles are evaluated once and not optimised (``maxiter=0`` without
``angles`` is an error); otherwise they are the optimisation's starting point. Either way the
evaluation and the final samples are charged to the budget as usual.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from qopt.errors import ConfigError, OptionError

KEYS = ("gamma", "beta")


def _numbers(value) -> np.ndarray | None:
    """``value`` as a float array of finite numbers (any nesting), None if it is not one."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    if arr.dtype == object or arr.size == 0 or not np.all(np.isfinite(arr)):
        return None
    flat = np.asarray(value, dtype=object).ravel() if arr.ndim else [value]
    if any(isinstance(v, bool | str) for v in flat):
        return None
    return arr


def check_angles(angles, p: int, *, multi_angle: bool = False, option: str = "angles") -> None:
    """Refuse ``angles`` unless None or ``{"gamma": ..., "beta": ...}`` of finite numbers with
    p entries per layer (standard angles: shape (p,); multi-angle: (p,) or (p, k)). The
    per-term / per-partial-mixer widths of multi-angle angles are checked against the
    instance by :func:`fixed_parameters`."""
    if angles is None:
        return
    if not isinstance(angles, dict) or set(angles) != set(KEYS):
        got = sorted(angles) if isinstance(angles, dict) else type(angles).__name__
        raise OptionError(f"{option} must be an object {{'gamma': [...], 'beta': [...]}} "
                          f"(true angles, as info['gammas'] / info['betas'] record them), "
                          f"got {got}")
    for key in KEYS:
        arr = _numbers(angles[key])
        if arr is None:
            raise OptionError(f"{option}[{key!r}] must be a list of finite numbers, got "
                              f"{angles[key]!r}")
        shapes = "(p,) or (p, terms)" if multi_angle else "(p,)"
        if arr.ndim not in ((1, 2) if multi_angle else (1,)) or arr.shape[0] != p:
            raise OptionError(f"{option}[{key!r}] has shape {arr.shape}; with p={p} it needs "
                              f"shape {shapes.replace('p', str(p), 1)}")


def check_maxiter(maxiter, angles, *, option: str = "maxiter") -> None:
    """``maxiter`` >= 1, or 0 together with ``angles`` (evaluate them, do not optimise)."""
    if isinstance(maxiter, bool) or not isinstance(maxiter, int) or maxiter < 0:
        raise OptionError(f"{option} must be a non-negative integer, got {maxiter!r}")
    if maxiter == 0 and angles is None:
        raise OptionError(f"{option}=0 evaluates given angles without optimising: it needs "
                          "angles={'gamma': [...], 'beta': [...]} (CLI --angles FILE.json)")


def fixed_parameters(ansatz, angles) -> np.ndarray:
    """The normalised parameter vector x of ``ansatz`` (see
    :class:`~qopt.solvers.quantum.qaoa_ansatz.Ansatz`) for true ``angles``; refuses angles
    whose shape does not fit the ansatz (checked before any state is simulated)."""
    g = np.asarray(angles["gamma"], dtype=float)
    b = np.asarray(angles["beta"], dtype=float)
    p = ansatz.p
    if not ansatz.multi_angle:
        for key, arr in (("gamma", g), ("beta", b)):
            if arr.shape != (p,):
                raise OptionError(f"angles[{key!r}] needs {p} numbers (p={p}), got shape "
                                  f"{arr.shape}")
        return np.concatenate([g / ansatz.gamma_scale, b])
    widths = {"gamma": ansatz.num_terms, "beta": ansatz.num_partials}
    out = []
    for key, arr in (("gamma", g), ("beta", b)):
        width = widths[key]
        if arr.shape == (p,):
            arr = np.repeat(arr[:, None], width, axis=1)
        if arr.shape != (p, width):
            what = "Ising terms" if key == "gamma" else "partial mixers"
            raise OptionError(f"angles[{key!r}] of ma-qaoa needs shape ({p}, {width}) (p layers "
                              f"x {width} {what} of this instance) or ({p},), got {arr.shape}")
        out.append(arr.ravel())
    return np.concatenate([out[0] / ansatz.gamma_scale, out[1]])


def read_json(path: Path, what: str, missing: Exception):
    """The JSON document in ``path``; ``missing`` is raised when there is no such file, and a
    :class:`~qopt.errors.ConfigError` naming the file and ``what`` it should be when it
    cannot be read or parsed."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise missing from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable JSON {what} ({exc})") from None


def read_angles(path) -> dict:
    """The angles stored in a JSON file (CLI ``--angles FILE.json``): an object with ``gamma``
    and ``beta``; a bad file is a :class:`~qopt.errors.ConfigError` naming it."""
    path = Path(path)
    data = read_json(path, "angles file", ConfigError(f"{path}: angles file not found"))
    if not isinstance(data, dict) or set(data) != set(KEYS):
        raise ConfigError(f"{path}: an angles file is one JSON object with exactly the keys "
                          "'gamma' and 'beta' (lists of true angles, one per layer)")
    for key in KEYS:
        if _numbers(data[key]) is None or np.ndim(data[key]) == 0:
            raise ConfigError(f"{path}: {key!r} must be a list of finite numbers")
    return {key: data[key] for key in KEYS}


__all__ = ["check_angles", "check_maxiter", "fixed_parameters", "read_angles"]
