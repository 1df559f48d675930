"""Numba kernels of the streaming cost-histogram passes (:mod:`qopt.backends.histogram`).

Each kernel walks one *chunk* of a feasible set (a list of prefixes) state by state, keeping the
current state's cost up to date with an O(m) or O(|S|) delta instead of re-evaluating it, and
either counts costs into a growing open-addressing hash table (counting: ``out`` None) or
replays the same walk in the same order and copies out the states whose per-level rank within
the chunk was drawn (sampling, ``out`` an array: exact sampling by a second pass). Costs are
integers: the cost polynomial is scaled to integer coefficients by the caller (exact sums, no
drift).

Walks: permutations here (``item_at[p]`` = item at position p): a prefix fixes the first
positions, Heap's algorithm enumerates the rest by one transposition per state; a transposition
of positions p, q moves items u, v and changes the cost by an O(m) sum over the other
positions. Sets and products: :mod:`qopt.backends.histogram_set_kernels`.

Tracking (counting only): when the mixer leaves rows to penalties the walk also follows
the objective (integer tables of its own, the same deltas) and the integer activities of those
rows, and each table slot tallies, beside its state count, the states within the rows'
bounds, their least objective and how many reach it (``tally`` (slots, :data:`TALLIES`)).
Without tracking ``tally`` and the tracked tables are None. numba compiles a kernel apart for
each combination of None-typed arguments and prunes the branches on them, so counting,
tracked counting and sampling each run a loop with only their own work (measured: a runtime
``mode`` flag, or helpers handing arrays back per state, cost 30-150 % per state).

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
#: columns of a table's tallies: states satisfying the tracked rows, their least objective,
#: how many of them reach it
TALLIES = 3
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
def _grown(keys, counts, tally):
    """The table (and its tallies, unless None) rehashed into twice the size."""
    nk = np.full(keys.size * 2, EMPTY, np.int64)
    nc = np.zeros(keys.size * 2, np.int64)
    if tally is None:
        nt = None
    else:
        nt = np.zeros((keys.size * 2, TALLIES), np.int64)
    for s in range(keys.size):
        if keys[s] != EMPTY:
            h = _slot(nk, keys[s])
            nk[h] = keys[s]
            nc[h] = counts[s]
            if tally is not None:
                nt[h] = tally[s]
    return nk, nc, nt


@nb.njit(inline="always", **_OPTS)
def _record(keys, counts, used, cost):
    """Count one state of ``cost``; returns (used slots, the state's slot) (the
    caller grows the table when it passes half)."""
    h = _slot(keys, cost)
    if keys[h] == EMPTY:
        keys[h] = cost
        used += 1
    counts[h] += 1
    return used, h


@nb.njit(inline="always", **_OPTS)
def _tally(tally, h, obj):
    """A state of slot h that satisfies the tracked rows, of objective ``obj``."""
    tally[h, 0] += 1
    if tally[h, 0] == 1 or obj < tally[h, 1]:
        tally[h, 1] = obj
        tally[h, 2] = 1
    elif obj == tally[h, 1]:
        tally[h, 2] += 1


@nb.njit(inline="always", **_OPTS)
def _rows_ok(loads, lo, hi):
    """Whether integer row activities lie within their bounds (every tracked row holds)."""
    for r in range(loads.size):  # noqa: SIM110 (numba compiles no generator expression)
        if loads[r] < lo[r] or loads[r] > hi[r]:
            return False
    return True


@nb.njit(inline="always", **_OPTS)
def _row_loads(tr):
    """Activities of the tracked rows (``tr`` = (RA, ...)), zero; none without tracking."""
    if tr is None:
        return np.zeros(0, np.int64)
    return np.zeros(tr[0].shape[0], np.int64)


@nb.njit(inline="always", **_OPTS)
def _move(loads, RA, col, sign):
    """Row activities when variable ``col`` is set (sign 1) or cleared (sign -1)."""
    for r in range(loads.size):
        loads[r] += sign * RA[r, col]


@nb.njit(inline="always", **_OPTS)
def _pick(keys, seen, tstart, tend, tranks, cost):
    """Sampling: count the state as the next rank of its level in this chunk and return
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


@nb.njit(inline="always", **_OPTS)
def _swap_rows(loads, RA, a, m, p, q):
    """Row activities when the items at positions p and q exchange places."""
    u = a[p]
    v = a[q]
    for r in range(loads.size):
        loads[r] += RA[r, u * m + q] - RA[r, u * m + p] + RA[r, v * m + p] - RA[r, v * m + q]


@nb.njit(**_OPTS)
def permutation_pass(m, L, C, offset, prefixes, cap, keys, counts, seen, tstart, tend,
                     tranks, out, tally, tr):
    """Walk every permutation extending each row of ``prefixes`` (P, d) (items at positions
    0..d-1), Heap's algorithm on the rest.

    Cost of ``item_at`` = offset + sum_p L[item_at[p], p] + sum_{p<r} C[i*m+p, j*m+r] (int64;
    C symmetric). Counting (``out`` None): count into (keys, counts), growing them; returns
    (keys, counts, tally, states, 0), states = -1 when the table would pass ``cap`` slots.
    Tracking
    (``tally`` (slots, TALLIES) and ``tr`` = (RA, lo, hi, OL, OC), else both None, and the
    walk compiles without it): the objective (tables OL, OC as L, C) and the activities of
    the tracked rows (RA (R, m*m), column i*m+p) follow each swap too, and the states with
    lo <= activities <= hi are tallied (:func:`_tally`). Sampling (keys fixed): copy the
    states of the drawn ranks (``tranks[tstart[slot]:tend[slot]]`` per level slot) into the
    rows of ``out`` (int64 item_at rows); returns (keys, counts, tally, states, filled)."""
    a = np.empty(m, np.int64)
    c = np.zeros(m, np.int64)
    loads = _row_loads(tr)
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
        obj = cost
        if tr is not None:
            obj = _perm_cost(a, m, tr[3], tr[4])
            loads[:] = 0
            for p in range(m):
                _move(loads, tr[0], a[p] * m + p, 1)
        c[:] = 0
        i = 1
        more = True
        while more:
            # states until the walk ends or the table passes half full; the arrays are
            # reassigned only out here (reassigned inside, they cost ~30 % per state)
            while True:
                states += 1
                if out is None:       # counting; sampling compiles apart (out an array)
                    used, h = _record(keys, counts, used, cost)
                    if tr is not None and _rows_ok(loads, tr[1], tr[2]):
                        _tally(tally, h, obj)
                else:
                    _h, hits = _pick(keys, seen, tstart, tend, tranks, cost)
                    for _ in range(hits):
                        out[filled] = a
                        filled += 1
                    if filled >= out.shape[0]:
                        return keys, counts, tally, states, filled
                # next permutation of a[d:] (Heap, iterative)
                while i < k and c[i] >= i:
                    c[i] = 0
                    i += 1
                if i >= k:
                    more = False
                    break
                j = 0 if i % 2 == 0 else c[i]
                p, q = d + j, d + i
                cost += _swap_delta(a, m, L, C, p, q)
                if tr is not None:
                    obj += _swap_delta(a, m, tr[3], tr[4], p, q)
                    _swap_rows(loads, tr[0], a, m, p, q)
                tmp = a[p]
                a[p] = a[q]
                a[q] = tmp
                c[i] += 1
                i = 1
                if 2 * used > keys.size:
                    break
            if 2 * used > keys.size:
                if 2 * keys.size > cap:
                    return keys, counts, tally, -1, 0
                keys, counts, tally = _grown(keys, counts, tally)
    return keys, counts, tally, states, filled
