"""Quadratisation: a HUBO as a QUBO with auxiliary bits, by Rosenberg substitution.

Pairs are chosen greedily: while a term of degree >= 3 remains, the pair of variables that
occurs together in the most such terms (ties: the smallest indices) is replaced in all of them
by a new auxiliary bit y_k, and the penalty ``M_k R(a, b, y_k)`` with
``R(a, b, y) = ab - 2ay - 2by + 3y`` is added. ``R`` is 0 when ``y = ab`` and >= 1 otherwise.
A pair may contain an earlier auxiliary bit (a degree-5 term needs one).

**Safe strength (proof).** Let f'(x, y) be the substituted polynomial (quadratic) so that the
quadratised function is ``g = f' + sum_k M_k R_k`` and ``g(x, y*(x)) = f(x)`` where y*(x) sets
every auxiliary bit to the product it stands for. Let ``C_k`` be the sum of the absolute
coefficients of the terms of f' containing y_k and ``S_k = 3 sum_{j : y_k in pair_j} M_j``
(the coefficients of the later penalties that contain y_k: ``ab`` and ``-2ay``). Take any y and
set the auxiliary bits to their consistent values one at a time in order of creation (each
pair's members are then final). Setting an inconsistent y_k changes f' by at most C_k, the
later penalties by at most S_k, and lowers ``M_k R_k`` by at least M_k. With

    ``M_k = C_k + S_k + 1``    (computed from the last auxiliary bit back to the first)

each step lowers g by at least 1, so ``g(x, y) >= f(x) + (number of steps) > f(x)`` for every
inconsistent y: for every x, ``min_y g(x, y) = f(x)``, reached only at ``y = y*(x)``. Hence the
minimum of g restricted to the original bits equals the HUBO's minimum and its minimisers are
the HUBO's (tested by brute force on random HUBOs).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from qopt.model.hubo import HUBO, QUBO


@dataclass(frozen=True)
class Rosenberg:
    """The quadratic parts of a quadratised HUBO of n0 variables and K auxiliary bits:
    ``quadratic`` (strictly upper CSR (n0 + K, n0 + K)), ``linear`` (n0 + K,), ``pairs`` (K, 2)
    (auxiliary n0 + k stands for the product of row k) and ``strength`` (K,), the M_k."""

    quadratic: sp.csr_matrix
    linear: np.ndarray
    pairs: np.ndarray
    strength: np.ndarray


def _pair_counts(high: dict[tuple[int, ...], float]) -> Counter:
    counts: Counter = Counter()
    for term in high:
        counts.update(combinations(term, 2))
    return counts


def rosenberg(hubo: HUBO) -> Rosenberg:
    """Rosenberg substitution of ``hubo``'s terms of degree >= 3 with the safe strengths of
    the module docstring (arrays only; :meth:`HUBO.quadratise` makes the QUBO of them)."""
    n0 = hubo.num_vars
    high: dict[tuple[int, ...], float] = {}
    for idx, coef in hubo.terms.values():
        for row, c in zip(idx.tolist(), coef.tolist(), strict=True):
            high[tuple(row)] = high.get(tuple(row), 0.0) + c
    quad: dict[tuple[int, ...], float] = {}
    pairs: list[tuple[int, int]] = []
    while high:
        (a, b), _ = min(_pair_counts(high).items(), key=lambda kv: (-kv[1], kv[0]))
        y = n0 + len(pairs)
        pairs.append((a, b))
        nxt: dict[tuple[int, ...], float] = {}
        for term, c in high.items():
            if a in term and b in term:
                term = tuple(sorted([v for v in term if v != a and v != b] + [y]))
            if len(term) <= 2:
                quad[term] = quad.get(term, 0.0) + c
            else:
                nxt[term] = nxt.get(term, 0.0) + c
        high = nxt
    K = len(pairs)
    n = n0 + K
    U = hubo.quadratic.tocoo()
    rows = np.r_[U.row, np.array([t[0] for t in quad if len(t) == 2], dtype=np.int64)]
    cols = np.r_[U.col, np.array([t[1] for t in quad if len(t) == 2], dtype=np.int64)]
    vals = np.r_[U.data, np.array([c for t, c in quad.items() if len(t) == 2])]
    linear = np.zeros(n)
    linear[:n0] = hubo.linear
    for t, c in quad.items():
        if len(t) == 1:
            linear[t[0]] += c
    # C_k: absolute coefficients of f' on terms containing y_k
    absw = np.bincount(rows, np.abs(vals), n) + np.bincount(cols, np.abs(vals), n) \
        + np.abs(linear)
    strength = np.zeros(K)
    for k in range(K - 1, -1, -1):
        later = sum(3.0 * strength[j] for j in range(k + 1, K) if n0 + k in pairs[j])
        strength[k] = absw[n0 + k] + later + 1.0
    pa = np.array([p[0] for p in pairs], dtype=np.int64)
    pb = np.array([p[1] for p in pairs], dtype=np.int64)
    ys = np.arange(n0, n, dtype=np.int64)
    # M (ab - 2ay - 2by + 3y)
    rows = np.r_[rows, pa, pa, pb]
    cols = np.r_[cols, pb, ys, ys]
    vals = np.r_[vals, strength, -2.0 * strength, -2.0 * strength]
    linear[ys] += 3.0 * strength
    lo, hi = np.minimum(rows, cols), np.maximum(rows, cols)
    Q = sp.csr_matrix((vals, (lo, hi)), shape=(n, n))
    return Rosenberg(Q, linear, np.array(pairs, dtype=np.int64).reshape(-1, 2), strength)


def quadratise(hubo: HUBO) -> QUBO:
    """A :class:`~qopt.model.hubo.QUBO` equal to ``hubo`` after minimising over auxiliary bits
    (see the module docstring for the strength and its proof): ``hubo.quadratise()``.
    Auxiliary bits follow the HUBO's variables; ``aux_pairs`` records them (``complete`` fills
    them in) and ``quadratisation`` says how many and how strong. A HUBO of degree <= 2 comes
    back unchanged as a QUBO."""
    return hubo.quadratise()
