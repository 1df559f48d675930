"""Numba kernels of the streaming cost-histogram passes (:mod:`qopt.backends.histogram`).

Each kernel walks one *chunk* of a feasible set (a list of prefixes) state by state, keeping the
current state's cost up to date with an O(m) or O(|S|) delta instead of re-evaluating it, and
either counts costs into a growing open-addressing hash table (``mode = 0``: the histogram) or
(``mode = 1``) replays the same walk in the same order and copies out the states whose
per-level rank within the chunk was drawn (exact sampling by a second pass). Costs are integers:
the cost polynomial is scaled to integer coefficients by the caller (exact sums, no drift).

Walks:

- permutations (``item_at[p]`` = item at position p): a prefix fixes the first positions, Heap's
  algorithm enumerates the rest by one transposition per state; a transposition of positions
  p, q moves items u, v and changes the cost by an O(m) sum over the other positions;
- sets of n <= 64 variables closed under removal (no conflict pair, packing rows ``A x <= b``
  with A >= 0): depth-first over sorted element lists; adding j changes the cost by
  ``L[j] + sum_{i in S} Q[i, j]``;
- products of choices (one-hot groups, free bits): a mixed-radix odometer over "digits", each
  option setting at most one variable.

Written by hand: no library streams a feasible set with incremental costs into a histogram
(numpy / scipy have no enumeration kernels; networkx yields Python objects, too slow for 1e8
states).
"""

from __future__ import annotations

import numba as nb
import numpy as np

_OPTS = {"cache": True, "nogil": True}

#: empty slot of the hash tables
EMPTY = np.iinfo(np.int64).min
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


# ---- open-addressing table (key int64 -> slot) -------------------------------------------------
@nb.njit(inline="always", **_OPTS)
def _slot(keys, key):
    """Slot of ``key`` in ``keys`` (linear probing): its own, or the empty one it would take."""
    mask = keys.size - 1
    h = np.int64((np.uint64(key) * _GOLDEN) >> np.uint64(20)) & mask
    while keys[h] != key and keys[h] != EMPTY:
        h = (h + 1) & mask
    return h


@nb.njit(**_OPTS)
def _grown(keys, counts):
    """The table rehashed into twice the size."""
    nk = np.full(keys.size * 2, EMPTY, np.int64)
    nc = np.zeros(keys.size * 2, np.int64)
    for s in range(keys.size):
        if keys[s] != EMPTY:
            h = _slot(nk, keys[s])
            nk[h] = keys[s]
            nc[h] = counts[s]
    return nk, nc


@nb.njit(inline="always", **_OPTS)
def _record(keys, counts, used, cost):
    """Count one state of ``cost`` (mode 0); returns the number of used slots (the caller grows
    the table when it passes half)."""
    h = _slot(keys, cost)
    if keys[h] == EMPTY:
        keys[h] = cost
        used += 1
    counts[h] += 1
    return used


@nb.njit(inline="always", **_OPTS)
def _pick(keys, seen, tstart, tend, tranks, cost):
    """Mode 1: count the state as the next rank of its level in this chunk and return
    (slot, how many drawn shots take this rank): the caller copies the state to each."""
    h = _slot(keys, cost)
    r = seen[h]
    seen[h] = r + 1
    k = 0
    ptr = tstart[h]
    while ptr < tend[h] and tranks[ptr] == r:
        k += 1
        ptr += 1
    tstart[h] = ptr
    return h, k


@nb.njit(inline="always", **_OPTS)
def _used(keys):
    u = 0
    for s in range(keys.size):
        if keys[s] != EMPTY:
            u += 1
    return u


@nb.njit(inline="always", **_OPTS)
def _visit(mode, cap, keys, counts, used, seen, tstart, tend, tranks, cost):
    """One state of ``cost``. Mode 0: count it, growing the table (``used`` = -1 when it
    would pass ``cap`` slots); mode 1: ``hits`` = how many drawn shots take it. Returns
    (keys, counts, used, hits)."""
    if mode == 0:
        used = _record(keys, counts, used, cost)
        if 2 * used > keys.size:
            if 2 * keys.size > cap:
                return keys, counts, -1, 0
            keys, counts = _grown(keys, counts)
        return keys, counts, used, 0
    _h, hits = _pick(keys, seen, tstart, tend, tranks, cost)
    return keys, counts, used, hits


# ---- permutations -----------------------------------------------------------------------------
@nb.njit(inline="always", **_OPTS)
def _perm_cost(a, m, L, C):
    c = 0
    for p in range(m):
        c += L[a[p], p]
        for r in range(p + 1, m):
            c += C[a[p] * m + p, a[r] * m + r]
    return c


@nb.njit(inline="always", **_OPTS)
def _swap_delta(a, m, L, C, p, q):
    """Cost change when the items at positions p and q exchange places."""
    u = a[p]
    v = a[q]
    up, uq, vp, vq = u * m + p, u * m + q, v * m + p, v * m + q
    d = L[u, q] - L[u, p] + L[v, p] - L[v, q]
    for r in range(m):
        if r != p and r != q:
            wr = a[r] * m + r
            d += C[uq, wr] - C[up, wr] + C[vp, wr] - C[vq, wr]
    return d + C[uq, vp] - C[up, vq]


@nb.njit(**_OPTS)
def permutation_pass(m, L, C, offset, prefixes, mode, cap, keys, counts, seen, tstart, tend,
                     tranks, out):
    """Walk every permutation extending each row of ``prefixes`` (P, d) (items at positions
    0..d-1), Heap's algorithm on the rest.

    Cost of ``item_at`` = offset + sum_p L[item_at[p], p] + sum_{p<r} C[i*m+p, j*m+r] (int64;
    C symmetric). Mode 0: count into (keys, counts), growing them; returns (keys, counts,
    states, 0), states = -1 when the table would pass ``cap`` slots. Mode 1 (keys fixed):
    copy the states of the drawn ranks (``tranks[tstart[slot]:tend[slot]]`` per level slot)
    into the rows of ``out`` (int64 item_at rows); returns (keys, counts, states, filled)."""
    a = np.empty(m, np.int64)
    c = np.zeros(m, np.int64)
    used = _used(keys)
    states = 0
    filled = 0
    d = prefixes.shape[1]
    k = m - d
    for row in range(prefixes.shape[0]):
        taken = np.zeros(m, np.bool_)
        for p in range(d):
            a[p] = prefixes[row, p]
            taken[a[p]] = True
        t = d
        for i in range(m):
            if not taken[i]:
                a[t] = i
                t += 1
        cost = offset + _perm_cost(a, m, L, C)
        c[:] = 0
        i = 1
        while True:
            states += 1
            keys, counts, used, hits = _visit(mode, cap, keys, counts, used, seen, tstart,
                                              tend, tranks, cost)
            if used < 0:
                return keys, counts, -1, 0
            for _ in range(hits):
                out[filled] = a
                filled += 1
            if mode == 1 and filled >= out.shape[0]:
                return keys, counts, states, filled
            # next permutation of a[d:] (Heap, iterative)
            while i < k and c[i] >= i:
                c[i] = 0
                i += 1
            if i >= k:
                break
            j = 0 if i % 2 == 0 else c[i]
            p, q = d + j, d + i
            cost += _swap_delta(a, m, L, C, p, q)
            tmp = a[p]
            a[p] = a[q]
            a[q] = tmp
            c[i] += 1
            i = 1
    return keys, counts, states, filled


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


@nb.njit(**_OPTS)
def packing_pass(n, L, Q, hptr, hmask, hcoef, offset, nbr, A, b, prefixes, mode, cap, keys,
                 counts, seen, tstart, tend, tranks, out):
    """Walk the sets of ``prefixes`` (P, 2) int64: (-1, -1) the empty set alone, (j, -1) the
    set {j} alone, (j, k) (j < k, a feasible pair) every feasible superset of {j, k} whose
    other elements exceed k. Feasible: no conflict (``nbr[j]`` mask of j's partners) and
    ``A x <= b``. Cost = offset + sum_{j in S} L[j] + sum_{i<j in S} Q[i, j] (int64, Q
    symmetric) + the terms of degree >= 3 inside S (:func:`_higher_gain`). Modes and returns
    as :func:`permutation_pass`; ``out`` holds uint64 masks."""
    load = np.zeros(b.size)
    chosen = np.zeros(n + 1, np.int64)
    nxt = np.zeros(n + 1, np.int64)
    costs = np.zeros(n + 1, np.int64)
    used = _used(keys)
    states = 0
    filled = 0
    one = np.uint64(1)
    for row in range(prefixes.shape[0]):
        load[:] = 0.0
        mask = np.uint64(0)
        depth = 0
        cost = offset
        for t in range(2):
            j = prefixes[row, t]
            if j < 0:
                continue
            for i in range(depth):
                cost += Q[chosen[i], j]
            cost += L[j] + _higher_gain(j, mask, hptr, hmask, hcoef)
            chosen[depth] = j
            depth += 1
            mask |= one << np.uint64(j)
            for r in range(b.size):
                load[r] += A[r, j]
        expand = depth == 2
        base = depth
        nxt[depth] = chosen[depth - 1] + 1 if depth > 0 else n
        while True:
            states += 1          # the set chosen[:depth] is a new state
            keys, counts, used, hits = _visit(mode, cap, keys, counts, used, seen, tstart,
                                              tend, tranks, cost)
            if used < 0:
                return keys, counts, -1, 0
            for _ in range(hits):
                out[filled] = mask
                filled += 1
            if mode == 1 and filled >= out.shape[0]:
                return keys, counts, states, filled
            if not expand:
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
                    for r in range(b.size):
                        load[r] -= A[r, e]
                    continue
                nxt[depth] = j + 1
                if _fits(j, mask, nbr, load, A, b):
                    costs[depth] = cost
                    add = L[j] + _higher_gain(j, mask, hptr, hmask, hcoef)
                    for i in range(depth):
                        add += Q[chosen[i], j]
                    cost += add
                    chosen[depth] = j
                    mask |= one << np.uint64(j)
                    for r in range(b.size):
                        load[r] += A[r, j]
                    depth += 1
                    nxt[depth] = j + 1
                    moved = True
            if not moved:
                break
    return keys, counts, states, filled


# ---- products of choices (one-hot groups and free bits) --------------------------------------
@nb.njit(**_OPTS)
def product_pass(L, Q, hptr, hmask, hcoef, offset, options, radix, prefixes, mode, cap, keys,
                 counts, seen, tstart, tend, tranks, out):
    """Walk every product of choices: digit g takes option o < ``radix[g]``, setting variable
    ``options[g, o]`` (-1: none). ``prefixes`` (P, D) fix the last D digits; the others run
    as an odometer (digit 0 fastest). Cost as :func:`packing_pass`. Modes and returns as
    :func:`permutation_pass`; ``out`` rows hold the option index of every digit (int64)."""
    G = radix.size
    D = prefixes.shape[1]
    free = G - D
    digit = np.zeros(G, np.int64)
    used = _used(keys)
    states = 0
    filled = 0
    one = np.uint64(1)
    for row in range(prefixes.shape[0]):
        digit[:] = 0
        for t in range(D):
            digit[free + t] = prefixes[row, t]
        cost = offset
        mask = np.uint64(0)
        for g in range(G):
            v = options[g, digit[g]]
            if v >= 0:
                cost += L[v] + _higher_gain(v, mask, hptr, hmask, hcoef)
                mask |= one << np.uint64(v)
                for h in range(g):
                    w = options[h, digit[h]]
                    if w >= 0:
                        cost += Q[w, v]
        while True:
            states += 1
            keys, counts, used, hits = _visit(mode, cap, keys, counts, used, seen, tstart,
                                              tend, tranks, cost)
            if used < 0:
                return keys, counts, -1, 0
            for _ in range(hits):
                out[filled] = digit
                filled += 1
            if mode == 1 and filled >= out.shape[0]:
                return keys, counts, states, filled
            g = 0
            while g < free and digit[g] + 1 >= radix[g]:
                g += 1
            if g >= free:
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
                    cost -= L[old] + _higher_gain(old, mask, hptr, hmask, hcoef)
                    for e in range(G):
                        w = options[e, digit[e]]
                        if e != h and w >= 0:
                            cost -= Q[w, old]
                digit[h] = digit[h] + 1 if h == g else 0
                if new >= 0:
                    cost += L[new] + _higher_gain(new, mask, hptr, hmask, hcoef)
                    mask |= one << np.uint64(new)
                    for e in range(G):
                        w = options[e, digit[e]]
                        if e != h and w >= 0:
                            cost += Q[w, new]
    return keys, counts, states, filled
