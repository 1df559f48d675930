"""Polynomials over bits (or spins) stored grouped by degree.

A *term group* of degree d is ``(idx, coef)``: ``idx`` int32 of shape (k, d), each row a
strictly increasing tuple of variable indices, and ``coef`` float64 of shape (k,); the
polynomial is ``sum_r coef[r] * prod_j v[idx[r, j]]``. ``Groups`` maps degree -> group; degree 0
(a constant) has ``idx`` of shape (k, 0). Rows are unique and coefficients non-zero after
:func:`merge`.

Binary variables obey ``x**2 == x`` (a repeated index collapses), spins ``z**2 == 1`` (a pair of
equal indices cancels); :func:`canonical_groups` applies the right rule.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from qopt.errors import OptionError
from qopt.model.checks import number

Groups = dict[int, tuple[np.ndarray, np.ndarray]]

#: rows x terms x degree bytes handled per block when evaluating a group on a batch
_EVAL_BLOCK = 1 << 24


def empty_group(d: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((0, d), dtype=np.int32), np.zeros(0)


def _index(i, num_vars: int | None, what: str) -> int:
    if isinstance(i, bool | np.bool_) or not isinstance(i, int | np.integer):
        raise OptionError(f"{what}: variable index {i!r} is not an integer")
    i = int(i)
    if i < 0 or (num_vars is not None and i >= num_vars):
        bound = f"0..{num_vars - 1}" if num_vars is not None else ">= 0"
        raise OptionError(f"{what}: variable index {i} is out of range {bound}")
    return i


def canonical_key(key, kind: str = "binary", num_vars: int | None = None,
                  what: str = "terms") -> tuple[int, ...]:
    """One monomial's variable indices as a sorted tuple (binary: repeats collapse; spin:
    indices of odd multiplicity). ``key`` is an int or a tuple / list of ints."""
    if isinstance(key, tuple | list):
        items = [_index(i, num_vars, what) for i in key]
    else:
        items = [_index(key, num_vars, what)]
    if kind == "binary":
        return tuple(sorted(set(items)))
    counts: dict[int, int] = {}
    for i in items:
        counts[i] = counts.get(i, 0) ^ 1
    return tuple(sorted(i for i, odd in counts.items() if odd))


def canonical_groups(terms: Mapping, kind: str = "binary", num_vars: int | None = None,
                     what: str = "terms") -> Groups:
    """Groups from a mapping ``{(i, j, ...): coefficient}`` (any degree, repeats allowed)."""
    if not isinstance(terms, Mapping):
        raise OptionError(f"{what} must be a mapping {{(i, j, ...): coefficient}}, got "
                          f"{type(terms).__name__}")
    by_degree: dict[int, tuple[list, list]] = {}
    for key, value in terms.items():
        k = canonical_key(key, kind, num_vars, what)
        rows, vals = by_degree.setdefault(len(k), ([], []))
        rows.append(k)
        vals.append(number(value, f"{what}[{key!r}]: coefficient"))
    out: Groups = {}
    for d, (rows, vals) in by_degree.items():
        idx = np.asarray(rows, dtype=np.int32).reshape(len(rows), d)
        out[d] = merge(idx, np.asarray(vals, dtype=float))
    return {d: g for d, g in out.items() if len(g[1])}


def merge(idx: np.ndarray, coef: np.ndarray, tol: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Rows sorted within and merged: unique rows, summed coefficients, zeros dropped.

    ``idx`` (k, d) rows need not be sorted; they must not repeat an index within a row.
    """
    idx = np.sort(np.asarray(idx, dtype=np.int32), axis=1)
    coef = np.asarray(coef, dtype=float).reshape(-1)
    d = idx.shape[1]
    if len(coef) == 0:
        return empty_group(d)
    if d == 0:
        total = float(coef.sum())
        return (np.zeros((1, 0), np.int32), np.array([total])) if total != 0 else empty_group(0)
    rows, inverse = np.unique(idx, axis=0, return_inverse=True)
    summed = np.bincount(inverse.reshape(-1), weights=coef, minlength=len(rows))
    keep = np.abs(summed) > tol
    return np.ascontiguousarray(rows[keep]), summed[keep]


def add_groups(*parts: Groups, scale: tuple[float, ...] | None = None) -> Groups:
    """Sum of polynomials given as groups (optionally scaled), merged."""
    scale = scale or (1.0,) * len(parts)
    degrees = sorted({d for g in parts for d in g})
    out: Groups = {}
    for d in degrees:
        idx = [g[d][0] for g in parts if d in g]
        coef = [s * g[d][1] for g, s in zip(parts, scale, strict=True) if d in g]
        merged = merge(np.concatenate(idx), np.concatenate(coef))
        if len(merged[1]):
            out[d] = merged
    return out


def degree_of(groups: Groups) -> int:
    return max((d for d, g in groups.items() if len(g[1])), default=0)


def group_values(idx: np.ndarray, coef: np.ndarray, X: np.ndarray, spin: bool = False
                 ) -> np.ndarray:
    """``sum_r coef[r] prod_j X[:, idx[r, j]]`` for each row of X, shape (k, n) -> (k,).

    ``X`` holds bits (0/1) or, with ``spin``, spins (+1/-1). Blocked so that the gathered
    (rows, terms, degree) array stays below ~16 MB.
    """
    k = X.shape[0]
    out = np.zeros(k)
    t, d = idx.shape
    if t == 0 or k == 0:
        return out
    if d == 0:
        out += coef.sum()
        return out
    rows = max(1, _EVAL_BLOCK // max(1, t * d))
    for start in range(0, k, rows):
        block = X[start:start + rows]
        gathered = block[:, idx]                      # (b, t, d)
        mono = gathered.prod(axis=2) if spin else gathered.min(axis=2)
        out[start:start + rows] = mono.astype(float) @ coef
    return out


def groups_values(groups: Groups, X: np.ndarray, spin: bool = False) -> np.ndarray:
    """The whole polynomial at each row of X (see :func:`group_values`)."""
    out = np.zeros(X.shape[0])
    for idx, coef in groups.values():
        out += group_values(idx, coef, X, spin)
    return out


def affine_substitute(groups: Groups, a: float, b: float) -> Groups:
    """Replace every variable v by ``a + b u`` (same index) and expand over u, u**2 == u.

    ``prod_{i in T} (a + b u_i) = sum_{S subset T} a^(|T|-|S|) b^|S| u_S``. With ``a = 1/2,
    b = -1/2`` this maps a bit polynomial to spins (x = (1 - z) / 2); ``a = 1, b = -2`` maps spins
    to bits (z = 1 - 2x). Cost: sum over degrees of 2^d * k_d rows.
    """
    parts: dict[int, tuple[list, list]] = {}
    for d, (idx, coef) in groups.items():
        for mask in range(1 << d):
            sel = [j for j in range(d) if (mask >> j) & 1]
            s = len(sel)
            rows, vals = parts.setdefault(s, ([], []))
            rows.append(idx[:, sel])
            vals.append(coef * (a ** (d - s)) * (b ** s))
    out: Groups = {}
    for s, (rows, vals) in parts.items():
        merged = merge(np.concatenate(rows, axis=0), np.concatenate(vals))
        if len(merged[1]):
            out[s] = merged
    return out


def term_masks(idx: np.ndarray) -> np.ndarray:
    """Each row's variables as a bit mask, shape (k,) int64 (indices < 63)."""
    if idx.shape[1] == 0:
        return np.zeros(idx.shape[0], dtype=np.int64)
    return np.bitwise_or.reduce(np.left_shift(np.int64(1), idx.astype(np.int64)), axis=1)


def zeta_transform(a: np.ndarray, num_bits: int) -> np.ndarray:
    """In place: ``a[s] <- sum_{t subset of s} a[t]`` over 2^num_bits entries, O(b 2^b)."""
    for i in range(num_bits):
        view = a.reshape(-1, 2, 1 << i)
        view[:, 1, :] += view[:, 0, :]
    return a


def group_to_mapping(groups: Groups) -> dict[tuple[int, ...], float]:
    """Groups back to a plain ``{(i, j, ...): coefficient}`` mapping (for export)."""
    out: dict[tuple[int, ...], float] = {}
    for idx, coef in groups.values():
        for row, c in zip(idx.tolist(), coef.tolist(), strict=True):
            out[tuple(row)] = c
    return out
