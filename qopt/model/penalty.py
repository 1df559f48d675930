"""Penalty policies: how strongly each constraint is weighted in the QUBO.

``penalty`` may be
- ``"auto"``: the smallest weight that provably keeps every infeasible x above the optimum
  (see :func:`auto_penalty`);
- a number: the same weight for every constraint;
- a mapping ``{constraint name or index: weight}``: per constraint, the rest ``"auto"``;
- a sequence with one weight per constraint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from qopt.errors import OptionError
from qopt.model.program import BinaryProgram


def _is_integral(values: np.ndarray) -> bool:
    return bool(np.all(np.abs(values - np.rint(values)) < 1e-9))


def is_packing(program: BinaryProgram) -> bool:
    """All constraints ``a.x <= b`` (linear) with integral a >= 0 and b (knapsack / independent
    set)."""
    A = program.A
    return (program.num_constraints > 0 and not program.row_terms
            and all(s == "<=" for s in program.constraint_senses)
            and (A.data >= 0).all() and _is_integral(A.data) and _is_integral(program.rhs))


def _higher_abs(program: BinaryProgram) -> tuple[float, np.ndarray]:
    """(sum of |coefficients| of the objective's terms of degree >= 3, per variable the sum
    over the terms containing it), shape (n,)."""
    total, per_var = 0.0, np.zeros(program.num_vars)
    for idx, coef in program.terms.values():
        total += float(np.abs(coef).sum())
        per_var += np.bincount(idx.ravel(), np.repeat(np.abs(coef), idx.shape[1]),
                               minlength=program.num_vars)
    return total, per_var


def objective_range(program: BinaryProgram) -> float:
    """Upper bound on max f - min f of the minimisation objective over {0,1}^n."""
    c, U, _ = program.minimisation_objective()
    return float(np.abs(c).sum() + np.abs(U.data).sum() + _higher_abs(program)[0])


def auto_penalty(program: BinaryProgram) -> float:
    """A weight P with E(x) > min over feasible for every infeasible x.

    Packing programs: turning off one chosen variable of a violated row lowers the penalty by at
    least P (integral data, squared violation >= 1) and raises the objective by at most
    ``max_j |c_j| + sum_k |U_jk| + sum_{terms T containing j} |c_T|``, so P = that + 1 walks
    every infeasible x down to a feasible one. Otherwise the objective's range + 1: a violated
    row's penalty -- squared violation, or a sum of products for ``g <= 0`` -- is >= 1 for
    integral rows, polynomial rows included. Fractional rows (``0.5 x + 0.3 y == 0.6``) can be
    missed by less than their smallest coefficient (here by 0.1), so the weight is multiplied
    by D^2 with D the data's common denominator (:func:`common_denominator`: D times every
    coefficient and right-hand side is integral, so a violation is >= 1 / D); only data with
    no common denominator up to :data:`MAX_DENOMINATOR` falls back to dividing by the smallest
    squared coefficient, which is not proven safe (give ``penalty=`` yourself there).
    """
    c, U, _ = program.minimisation_objective()
    if is_packing(program):
        absU = abs(U) + abs(U).T
        flip = np.abs(c) + np.asarray(absU.sum(axis=1)).ravel() + _higher_abs(program)[1]
        return float(flip.max(initial=0.0) + 1.0)
    weight = objective_range(program) + 1.0
    A = program.A
    coefs = np.concatenate([A.data, *(g[1] for groups in program.row_terms.values()
                                      for g in groups.values())])
    if coefs.size and not (_is_integral(coefs) and _is_integral(program.rhs)):
        grid = common_denominator(np.concatenate([coefs, program.rhs]))
        if grid is not None:          # D * row is integral: a violation is >= 1 / D
            weight *= float(grid) ** 2
        else:                         # no small common denominator: a heuristic, not proven
            weight /= min(1.0, float(np.min(np.abs(coefs))) ** 2)
    return weight


#: largest common denominator of fractional constraint data :func:`auto_penalty` scales by
MAX_DENOMINATOR = 10 ** 6


def common_denominator(values: np.ndarray) -> int | None:
    """The smallest D <= :data:`MAX_DENOMINATOR` with ``D * v`` an integer (to 1e-9) for
    every v in ``values`` (decimal data: a power of ten at most), or None when there is none."""
    from fractions import Fraction
    from math import lcm

    D = 1
    for v in np.unique(np.asarray(values, dtype=float)).tolist():
        if abs(v * D - round(v * D)) <= 1e-9 * max(1.0, abs(v * D)):
            continue
        f = Fraction(v).limit_denominator(MAX_DENOMINATOR)
        if abs(float(f) - v) > 1e-12 * max(1.0, abs(v)):
            return None
        D = lcm(D, f.denominator)
        if D > MAX_DENOMINATOR:
            return None
    return D


def resolve_penalties(program: BinaryProgram, penalty) -> np.ndarray:
    """One weight per constraint, shape (m,), from a policy (see module docstring)."""
    m = program.num_constraints
    auto = None

    def _auto() -> float:
        nonlocal auto
        if auto is None:
            auto = auto_penalty(program)
        return auto

    if isinstance(penalty, str):
        if penalty != "auto":
            raise OptionError("penalty must be 'auto', a number, a mapping or a sequence; "
                              f"got {penalty!r}")
        return np.full(m, _auto() if m else 0.0)
    if _is_real(penalty):
        if not (np.isfinite(penalty) and penalty > 0):
            raise OptionError(f"penalty must be positive and finite, got {penalty}")
        return np.full(m, float(penalty))
    if isinstance(penalty, Mapping):
        weights = np.full(m, np.nan)
        for key, w in penalty.items():
            if isinstance(key, str):
                if key not in program.constraint_names:
                    raise OptionError(f"penalty names unknown constraint {key!r}")
                idx = program.constraint_names.index(key)
            elif _is_real(key) and int(key) == key:
                idx = int(key)
                if not 0 <= idx < m:
                    raise OptionError(f"penalty names constraint {idx}, program has {m}")
            else:
                raise OptionError("penalty mapping keys are constraint names or indices, got "
                                  f"{key!r}")
            weights[idx] = _weight(w, f"penalty[{key!r}]")
        _check_positive(weights[~np.isnan(weights)])
        weights[np.isnan(weights)] = _auto() if np.isnan(weights).any() else 0.0
        return weights
    if isinstance(penalty, Sequence | np.ndarray):
        weights = np.array([_weight(w, f"penalty[{i}]") for i, w in enumerate(penalty)],
                           dtype=float)
        if weights.shape != (m,):
            raise OptionError(f"penalty sequence has {weights.size} weights for {m} constraints")
        _check_positive(weights)
        return weights
    raise OptionError(f"unsupported penalty policy {penalty!r}")


def _is_real(value) -> bool:
    """A real number (bool, complex and strings are not)."""
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _weight(value, where: str) -> float:
    """One penalty weight as a float, else :class:`OptionError` naming ``where``."""
    if not _is_real(value):
        raise OptionError(f"{where} must be a positive number, got {value!r}")
    return float(value)


def _check_positive(weights: np.ndarray) -> None:
    """Every given per-constraint weight must be a finite positive number."""
    bad = weights[~(np.isfinite(weights) & (weights > 0))]
    if bad.size:
        raise OptionError(f"penalty weights must be positive and finite, got {float(bad[0])}")
