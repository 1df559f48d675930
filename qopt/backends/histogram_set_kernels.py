"""Numba kernels of the streaming cost-histogram passes over sets (:mod:`qopt.backends.histogram`):
sets closed under removal (independent / packing-feasible) and products of choices (one-hot
groups and free bits). Tables, counting / sampling and tracking as in
:mod:`qopt.backends.histogram_kernels` (permutations and the shared hash-table helpers).

- sets of n <= 64 variables closed under removal (no conflict pair, packing rows ``A x <= b``
  with A >= 0): depth-first over sorted element lists; adding j changes the cost by
  ``L[j] + sum_{i in S} Q[i, j]``;
- products of choices (one-hot groups, free bits): a mixed-radix odometer over "digits", each
  option setting at most one variable.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from qopt.backends.histogram_kernels import (
    _OPTS,
    _grown,
    _move,
    _pick,
    _record,
    _row_loads,
    _rows_ok,
    _tally,
    _used,
)


# ---- sets closed under removal (independent / packing-feasible) -----------------------------
@nb.njit(inline="always", **_OPTS)
def _higher_gain(j, mask, hptr, hmask, hcoef):
    """Cost of the terms of degree >= 3 that setting variable j completes: those of j's terms
    (``hmask[e]``: the term's other variables, e in hptr[j]:hptr[j+1]) already set in mask."""
    g = 0
    for e in range(hptr[j], hptr[j + 1]):
        if (hmask[e] & mask) == hmask[e]:
            g += hcoef[e]
    return g



@nb.njit(inline="always", **_OPTS)
def _fits(j, mask, nbr, load, A, b):
    if (nbr[j] & mask) != 0:
        return False
    for r in range(b.size):  # noqa: SIM110 (numba compiles no generator expression)
        if load[r] + A[r, j] > b[r] + 1e-9:
            return False
    return True


@nb.njit(inline="always", **_OPTS)
def _set_gain(j, mask, chosen, depth, L, Q, hptr, hmask, hcoef):
    """Cost change when j joins the set ``chosen[:depth]`` (bit mask ``mask``)."""
    g = L[j] + _higher_gain(j, mask, hptr, hmask, hcoef)
    for i in range(depth):
        g += Q[chosen[i], j]
    return g


@nb.njit(**_OPTS)
def packing_pass(n, L, Q, hptr, hmask, hcoef, offset, nbr, A, b, prefixes, cap, keys,
                 counts, seen, tstart, tend, tranks, out, tally, tr):
    """Walk the sets of ``prefixes`` (P, 2) int64: (-1, -1) the empty set alone, (j, -1) the
    set {j} alone, (j, k) (j < k, a feasible pair) every feasible superset of {j, k} whose
    other elements exceed k. Feasible: no conflict (``nbr[j]`` mask of j's partners) and
    ``A x <= b``. Cost = offset + sum_{j in S} L[j] + sum_{i<j in S} Q[i, j] (int64, Q
    symmetric) + the terms of degree >= 3 inside S (:func:`_higher_gain`). Tracking as in
    :func:`~qopt.backends.histogram_kernels.permutation_pass` with ``tr`` = (RA (R, n), lo,
    hi, OL, OQ, ohptr, ohmask, ohcoef). Counting / sampling and returns as there; ``out``
    holds uint64 masks."""
    load = np.zeros(b.size)
    loads = _row_loads(tr)
    chosen = np.zeros(n + 1, np.int64)
    nxt = np.zeros(n + 1, np.int64)
    costs = np.zeros(n + 1, np.int64)
    objs = np.zeros(n + 1, np.int64)
    used = _used(keys)
    states = 0
    filled = 0
    one = np.uint64(1)
    for row in range(prefixes.shape[0]):
        load[:] = 0.0
        loads[:] = 0
        mask = np.uint64(0)
        depth = 0
        cost = offset
        obj = offset
        for t in range(2):
            j = prefixes[row, t]
            if j < 0:
                continue
            cost += _set_gain(j, mask, chosen, depth, L, Q, hptr, hmask, hcoef)
            if tr is not None:
                obj += _set_gain(j, mask, chosen, depth, tr[3], tr[4], tr[5], tr[6], tr[7])
                _move(loads, tr[0], j, 1)
            chosen[depth] = j
            depth += 1
            mask |= one << np.uint64(j)
            for r in range(b.size):
                load[r] += A[r, j]
        expand = depth == 2
        base = depth
        nxt[depth] = chosen[depth - 1] + 1 if depth > 0 else n
        more = True
        while more:
            # states until the walk ends or the table passes half full (the arrays are
            # reassigned only out here: see permutation_pass)
            while True:
                states += 1          # the set chosen[:depth] is a new state
                if out is None:       # counting; sampling compiles apart (out an array)
                    used, h = _record(keys, counts, used, cost)
                    if tr is not None and _rows_ok(loads, tr[1], tr[2]):
                        _tally(tally, h, obj)
                else:
                    _h, hits = _pick(keys, seen, tstart, tend, tranks, cost)
                    for _ in range(hits):
                        out[filled] = mask
                        filled += 1
                    if filled >= out.shape[0]:
                        return keys, counts, tally, states, filled
                if not expand:
                    more = False
                    break
                # advance to the next set in depth-first order
                moved = False
                while not moved:
                    j = nxt[depth]
                    if j >= n:
                        if depth == base:
                            break
                        depth -= 1
                        e = chosen[depth]
                        mask ^= one << np.uint64(e)
                        cost = costs[depth]
                        if tr is not None:
                            obj = objs[depth]
                            _move(loads, tr[0], e, -1)
                        for r in range(b.size):
                            load[r] -= A[r, e]
                        continue
                    nxt[depth] = j + 1
                    if _fits(j, mask, nbr, load, A, b):
                        costs[depth] = cost
                        cost += _set_gain(j, mask, chosen, depth, L, Q, hptr, hmask, hcoef)
                        if tr is not None:
                            objs[depth] = obj
                            obj += _set_gain(j, mask, chosen, depth, tr[3], tr[4], tr[5], tr[6],
                                             tr[7])
                            _move(loads, tr[0], j, 1)
                        chosen[depth] = j
                        mask |= one << np.uint64(j)
                        for r in range(b.size):
                            load[r] += A[r, j]
                        depth += 1
                        nxt[depth] = j + 1
                        moved = True
                if not moved:
                    more = False
                    break
                if 2 * used > keys.size:
                    break
            if 2 * used > keys.size:
                if 2 * keys.size > cap:
                    return keys, counts, tally, -1, 0
                keys, counts, tally = _grown(keys, counts, tally)
    return keys, counts, tally, states, filled


# ---- products of choices (one-hot groups and free bits) --------------------------------------
@nb.njit(inline="always", **_OPTS)
def _digit_gain(v, h, digit, options, mask, L, Q, hptr, hmask, hcoef, upto):
    """Cost of variable v (set by digit h) given the variables of the other digits below
    ``upto`` and ``mask`` (the set without v)."""
    g = L[v] + _higher_gain(v, mask, hptr, hmask, hcoef)
    for e in range(upto):
        w = options[e, digit[e]]
        if e != h and w >= 0:
            g += Q[w, v]
    return g


@nb.njit(**_OPTS)
def product_pass(L, Q, hptr, hmask, hcoef, offset, options, radix, prefixes, cap, keys,
                 counts, seen, tstart, tend, tranks, out, tally, tr):
    """Walk every product of choices: digit g takes option o < ``radix[g]``, setting variable
    ``options[g, o]`` (-1: none). ``prefixes`` (P, D) fix the last D digits; the others run
    as an odometer (digit 0 fastest). Cost and tracking as :func:`packing_pass`. Counting /
    sampling and returns as :func:`~qopt.backends.histogram_kernels.permutation_pass`;
    ``out`` rows hold the option index of every digit (int64)."""
    G = radix.size
    D = prefixes.shape[1]
    free = G - D
    digit = np.zeros(G, np.int64)
    loads = _row_loads(tr)
    used = _used(keys)
    states = 0
    filled = 0
    one = np.uint64(1)
    for row in range(prefixes.shape[0]):
        digit[:] = 0
        for t in range(D):
            digit[free + t] = prefixes[row, t]
        cost = offset
        obj = offset
        loads[:] = 0
        mask = np.uint64(0)
        for g in range(G):
            v = options[g, digit[g]]
            if v >= 0:
                cost += _digit_gain(v, g, digit, options, mask, L, Q, hptr, hmask, hcoef, g)
                if tr is not None:
                    obj += _digit_gain(v, g, digit, options, mask, tr[3], tr[4], tr[5], tr[6],
                                       tr[7], g)
                    _move(loads, tr[0], v, 1)
                mask |= one << np.uint64(v)
        more = True
        while more:
            # states until the walk ends or the table passes half full (see permutation_pass)
            while True:
                states += 1
                if out is None:       # counting; sampling compiles apart (out an array)
                    used, h = _record(keys, counts, used, cost)
                    if tr is not None and _rows_ok(loads, tr[1], tr[2]):
                        _tally(tally, h, obj)
                else:
                    _h, hits = _pick(keys, seen, tstart, tend, tranks, cost)
                    for _ in range(hits):
                        out[filled] = digit
                        filled += 1
                    if filled >= out.shape[0]:
                        return keys, counts, tally, states, filled
                g = 0
                while g < free and digit[g] + 1 >= radix[g]:
                    g += 1
                if g >= free:
                    more = False
                    break
                # digits 0..g-1 wrap to 0, digit g steps up: change each variable in turn
                for h in range(g + 1):
                    old = options[h, digit[h]]
                    new = options[h, digit[h] + 1] if h == g else options[h, 0]
                    if old == new:
                        digit[h] = digit[h] + 1 if h == g else 0
                        continue
                    if old >= 0:
                        mask ^= one << np.uint64(old)
                        cost -= _digit_gain(old, h, digit, options, mask, L, Q, hptr, hmask,
                                            hcoef, G)
                        if tr is not None:
                            obj -= _digit_gain(old, h, digit, options, mask, tr[3], tr[4],
                                               tr[5], tr[6], tr[7], G)
                            _move(loads, tr[0], old, -1)
                    digit[h] = digit[h] + 1 if h == g else 0
                    if new >= 0:
                        cost += _digit_gain(new, h, digit, options, mask, L, Q, hptr, hmask,
                                            hcoef, G)
                        if tr is not None:
                            obj += _digit_gain(new, h, digit, options, mask, tr[3], tr[4],
                                               tr[5], tr[6], tr[7], G)
                            _move(loads, tr[0], new, 1)
                        mask |= one << np.uint64(new)
                if 2 * used > keys.size:
                    break
            if 2 * used > keys.size:
                if 2 * keys.size > cap:
                    return keys, counts, tally, -1, 0
                keys, counts, tally = _grown(keys, counts, tally)
    return keys, counts, tally, states, filled
