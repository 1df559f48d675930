"""Numba kernels of the feasible-subspace simulator (:mod:`qopt.backends.subspace`).

States of the subspace are stored as packed bit words, ``words[s, w]`` (uint64) holding
variables ``64 w .. 64 w + 63`` (bit i of the state = variable i, little-endian). Mask states
(n <= 64, one word) are kept sorted so a state's index is a binary search; permutation states
are indexed by the Lehmer rank of ``occ`` (``occ[p]`` = item at position p), i.e. in
lexicographic order of ``occ``: the swap of positions p < q exchanges ``occ[p]`` and
``occ[q]``, which keeps the first p entries, so a state's partner lies in its block of
(m - p)! consecutive ranks (cache-local for the later positions).

Written by hand: enumerating downward-closed families (independent sets, packing-feasible
subsets) with a capped count, ranking transposed permutations incrementally and applying
partial-involution rotations by partner index are not offered by numpy / scipy / networkx in a
vectorised form (networkx enumerates independent sets as Python objects).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from numba import prange

from qopt.backends.kernels.simd import rotate_pair

_OPTS = {"cache": True, "nogil": True}


@nb.njit(inline="always", **_OPTS)
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)


# ---- enumeration -----------------------------------------------------------------------------
@nb.njit(**_OPTS)
def enumerate_packing(nbr, A, b, cap, out):
    """Every subset x of n <= 64 variables with no conflict pair (``nbr[j]``: mask of j's
    conflict partners) and ``A x <= b`` (A >= 0, so the family is downward closed), by a
    depth-first walk over sorted element lists. Writes masks to ``out`` while it has room and
    stops once ``cap`` + 1 sets are found; returns the count (cap + 1 means "more than cap")."""
    n = nbr.size
    k = b.size
    load = np.zeros(k)
    nxt = np.zeros(n + 1, np.int64)
    chosen = np.zeros(n + 1, np.int64)
    mask = np.uint64(0)
    count = 0
    if out.size > 0:
        out[0] = mask
    count = 1
    depth = 0
    while depth >= 0:
        if count > cap:
            return count
        j = nxt[depth]
        if j >= n:
            depth -= 1
            if depth >= 0:
                v = chosen[depth]
                mask ^= np.uint64(1) << np.uint64(v)
                for r in range(k):
                    load[r] -= A[r, v]
            continue
        nxt[depth] = j + 1
        bit = np.uint64(1) << np.uint64(j)
        if mask & nbr[j]:
            continue
        ok = True
        for r in range(k):
            if load[r] + A[r, j] > b[r] + 1e-9:
                ok = False
                break
        if not ok:
            continue
        mask |= bit
        for r in range(k):
            load[r] += A[r, j]
        chosen[depth] = j
        if count < out.size:
            out[count] = mask
        count += 1
        depth += 1
        nxt[depth] = j + 1
    return count


@nb.njit(**_OPTS)
def _factorials(m):
    """[0!, 1!, ..., m!] as int64."""
    fact = np.ones(m + 1, np.int64)
    for i in range(1, m + 1):
        fact[i] = fact[i - 1] * i
    return fact


@nb.njit(**_OPTS)
def _unrank(r, m, fact, seq, avail):
    """Sequence ``seq`` (length m) of Lehmer rank r (lexicographic order)."""
    for i in range(m):
        avail[i] = i
    left = m
    for i in range(m):
        f = fact[m - 1 - i]
        d = r // f
        r -= d * f
        seq[i] = avail[d]
        for t in range(d, left - 1):
            avail[t] = avail[t + 1]
        left -= 1


@nb.njit(parallel=True, **_OPTS)
def permutation_words(start, m, index, out):
    """Packed words of permutation states of ranks start .. start + len(out) - 1: bit
    ``index[occ[p], p]`` set for each position p. ``out`` (N, W) uint64, zeroed here."""
    N = out.shape[0]
    W = out.shape[1]
    fact = _factorials(m)
    nchunk = max(1, min(64, N // 4096))
    for c in prange(nchunk):
        seq = np.empty(m, np.int64)
        avail = np.empty(m, np.int64)
        for s in range(c * N // nchunk, (c + 1) * N // nchunk):
            _unrank(start + s, m, fact, seq, avail)
            for w in range(W):
                out[s, w] = np.uint64(0)
            for p in range(m):
                v = index[seq[p], p]
                out[s, v >> 6] |= np.uint64(1) << np.uint64(v & 63)


@nb.njit(parallel=True, **_OPTS)
def permutation_partners(m, pos_p, pos_q, out):
    """Partners under the swaps of positions (pos_p[k], pos_q[k]), p < q: ``out[k, s]`` = rank
    of the permutation s with the items at positions p and q exchanged (entries p and q of
    ``occ`` swapped). Ranks are updated in O(m) per swap from s's Lehmer code (only the code
    digits from p to q change)."""
    K = pos_p.size
    N = out.shape[1]
    fact = _factorials(m)
    nchunk = max(1, min(256, N // 1024))
    for c in prange(nchunk):
        seq = np.empty(m, np.int64)
        avail = np.empty(m, np.int64)
        code = np.empty(m, np.int64)
        for s in range(c * N // nchunk, (c + 1) * N // nchunk):
            _unrank(s, m, fact, seq, avail)
            for i in range(m):
                cnt = 0
                for j in range(i + 1, m):
                    if seq[j] < seq[i]:
                        cnt += 1
                code[i] = cnt
            for k in range(K):
                lo = pos_p[k]
                hi = pos_q[k]
                a = seq[lo]
                bv = seq[hi]
                delta = 0
                # slot lo now holds bv: count later values below bv (slot hi now holds a)
                cnt = 1 if a < bv else 0
                for j in range(lo + 1, m):
                    if j != hi and seq[j] < bv:
                        cnt += 1
                delta += (cnt - code[lo]) * fact[m - 1 - lo]
                cnt = 0
                for j in range(hi + 1, m):
                    if seq[j] < a:
                        cnt += 1
                delta += (cnt - code[hi]) * fact[m - 1 - hi]
                for j in range(lo + 1, hi):
                    d = (1 if a < seq[j] else 0) - (1 if bv < seq[j] else 0)
                    delta += d * fact[m - 1 - j]
                out[k, s] = s + delta


@nb.njit(inline="always", **_OPTS)
def lower_bound(masks, t, hi):
    """First index i < hi with ``masks[i] >= t`` in sorted ``masks`` (hi when none)."""
    lo = 0
    while lo < hi:
        mid = (lo + hi) >> 1
        if masks[mid] < t:
            lo = mid + 1
        else:
            hi = mid
    return lo


@nb.njit(parallel=True, **_OPTS)
def mask_partners(masks, flip, cond, out):
    """Partners in sorted ``masks``: t = s ^ flip, paired when t is in the set and (cond == 0
    or s has exactly one bit of cond set); unpaired states are their own partner."""
    N = masks.size
    for s in prange(N):
        x = masks[s]
        out[s] = s
        if cond != 0 and _popcount(x & cond) != 1:
            continue
        t = x ^ flip
        lo = lower_bound(masks, t, N)
        if lo < N and masks[lo] == t:
            out[s] = lo


# ---- cost diagonal ---------------------------------------------------------------------------
@nb.njit(parallel=True, **_OPTS)
def set_bit_energies(words, linear, quad, offset, out):
    """QUBO energy of each packed state: offset + sum_i linear[i] x_i + sum_{i<j} quad[i, j]
    x_i x_j (``quad`` symmetric, zero diagonal, so the pair sum is over set-bit pairs)."""
    N = words.shape[0]
    W = words.shape[1]
    n = linear.size
    nchunk = max(1, min(256, N // 1024))
    for c in prange(nchunk):
        idx = np.empty(n, np.int64)
        for s in range(c * N // nchunk, (c + 1) * N // nchunk):
            k = 0
            for w in range(W):
                x = words[s, w]
                while x:
                    low = x & (~x + np.uint64(1))
                    bit = int(_popcount(low - np.uint64(1)))
                    idx[k] = 64 * w + bit
                    k += 1
                    x ^= low
            e = offset
            for a in range(k):
                ia = idx[a]
                e += linear[ia]
                for bb in range(a + 1, k):
                    e += quad[ia, idx[bb]]
            out[s] = e


@nb.njit(inline="always", **_OPTS)
def _z_sign(words, s, term_masks, t, value):
    """``value * (-1)^popcount(state s & term t)``: the Z string of term t on state s."""
    par = np.uint64(0)
    for w in range(words.shape[1]):
        par += _popcount(words[s, w] & term_masks[t, w])
    return -value if par & np.uint64(1) else value


@nb.njit(parallel=True, **_OPTS)
def z_term_values(words, term_masks, weights, out):
    """``out[s] = sum_t weights[t] * (-1)^popcount(s & term_masks[t])`` (Z-string values)."""
    for s in prange(words.shape[0]):
        acc = 0.0
        for t in range(term_masks.shape[0]):
            acc += _z_sign(words, s, term_masks, t, weights[t])
        out[s] = acc


@nb.njit(parallel=True, **_OPTS)
def z_term_sums(words, term_masks, v, out):
    """``out[t] = sum_s v[s] * (-1)^popcount(s & term_masks[t])`` for every term t."""
    N = words.shape[0]
    T = term_masks.shape[0]
    nchunk = max(1, min(64, N // 4096))
    part = np.zeros((nchunk, T))
    for c in prange(nchunk):
        for s in range(c * N // nchunk, (c + 1) * N // nchunk):
            for t in range(T):
                part[c, t] += _z_sign(words, s, term_masks, t, v[s])
    for t in range(T):
        acc = 0.0
        for c in range(nchunk):
            acc += part[c, t]
        out[t] = acc


# ---- layers ----------------------------------------------------------------------------------
@nb.njit(parallel=True, **_OPTS)
def apply_phase(psi, diag, gamma):
    """psi[s] *= exp(-i gamma diag[s])."""
    for s in prange(psi.size):
        a = gamma * diag[s]
        psi[s] *= complex(math.cos(a), -math.sin(a))


@nb.njit(parallel=True, **_OPTS)
def rotate_pairs(psi, partner, beta):
    """exp(-i beta B) of a partial involution: (psi_s, psi_t) -> (c psi_s - i s psi_t,
    c psi_t - i s psi_s) for each pair s < t = partner[s]; unpaired states unchanged. Every
    pass here rotates a pair with :func:`qopt.backends.kernels.simd.rotate_pair` (the scalar
    formula's multiplies and adds as 2-lane vectors: half the instructions, same bits)."""
    c = math.cos(beta)
    sn = math.sin(beta)
    for s in prange(psi.size):
        t = partner[s]
        if t > s:
            rotate_pair(psi, s, t, c, sn)


@nb.njit(parallel=True, **_OPTS)
def rotate_two(psi, partner1, partner2, beta1, beta2):
    """Two consecutive partial mixers in one pass: exp(-i beta2 B2) exp(-i beta1 B1) on the
    orbits {s, P1 s, P2 s, P1 P2 s} of the base states s (paired with neither partner below
    them); within an orbit B1 pairs (s, P1 s) and (P2 s, P1 P2 s), then B2 pairs (s, P2 s) and
    (P1 s, P1 P2 s). Valid for partial mixers of commuting flips whose pairs stay inside the
    orbits (single-bit flips of a downward-closed set: the corner P1 P2 s exists only when
    both sides do); unpaired states are their own partners."""
    c1 = math.cos(beta1)
    s1 = math.sin(beta1)
    c2 = math.cos(beta2)
    s2 = math.sin(beta2)
    for s in prange(psi.size):
        t1 = partner1[s]
        t2 = partner2[s]
        if t1 < s or t2 < s:
            continue                                  # not a base: its base handles it
        t3 = partner2[t1] if t1 != s else t1
        corner = t3 != t1 and t2 != s
        if t1 != s:
            rotate_pair(psi, s, t1, c1, s1)
        if corner:
            rotate_pair(psi, t2, t3, c1, s1)
        if t2 != s:
            rotate_pair(psi, s, t2, c2, s2)
        if corner:
            rotate_pair(psi, t1, t3, c2, s2)


# Scalar reductions sum fixed chunks (their number depends on the size only) in order, so a
# value does not depend on how many threads ran: same seed, same optimiser path, any load.
@nb.njit(inline="always", **_OPTS)
def _reduction_chunks(N):
    """Number of fixed chunks of a reduction over N states (independent of the threads)."""
    return max(1, min(256, N // 8192))


@nb.njit(inline="always", **_OPTS)
def _ordered_sum(part):
    acc = 0.0
    for c in range(part.size):
        acc += part[c]
    return acc


@nb.njit(parallel=True, **_OPTS)
def pair_overlap_imag(lam, phi, partner):
    """Im <lam| B |phi> = sum over paired s of Im(conj(lam_s) phi_partner(s))."""
    N = lam.size
    nchunk = _reduction_chunks(N)
    part = np.zeros(nchunk)
    for c in prange(nchunk):
        acc = 0.0
        for s in range(c * N // nchunk, (c + 1) * N // nchunk):
            t = partner[s]
            if t != s:
                acc += lam[s].real * phi[t].imag - lam[s].imag * phi[t].real
        part[c] = acc
    return _ordered_sum(part)


@nb.njit(parallel=True, **_OPTS)
def diag_overlap(lam, phi, diag, imag):
    """sum_s diag[s] Im(conj(lam_s) phi_s) (``imag``) or sum_s diag[s] Re(conj(lam_s) phi_s)."""
    N = lam.size
    nchunk = _reduction_chunks(N)
    part = np.zeros(nchunk)
    for c in prange(nchunk):
        acc = 0.0
        for s in range(c * N // nchunk, (c + 1) * N // nchunk):
            if imag:
                acc += diag[s] * (lam[s].real * phi[s].imag - lam[s].imag * phi[s].real)
            else:
                acc += diag[s] * (lam[s].real * phi[s].real + lam[s].imag * phi[s].imag)
        part[c] = acc
    return _ordered_sum(part)


def diag_overlap_imag(lam, phi, diag):
    """Im <lam| D |phi> = sum_s diag[s] Im(conj(lam_s) phi_s)."""
    return diag_overlap(lam, phi, diag, True)


@nb.njit(parallel=True, **_OPTS)
def overlap_imag_vector(lam, phi, out):
    """out[s] = Im(conj(lam_s) phi_s)."""
    for s in prange(lam.size):
        out[s] = lam[s].real * phi[s].imag - lam[s].imag * phi[s].real


@nb.njit(parallel=True, **_OPTS)
def probabilities(psi, out):
    for s in prange(psi.size):
        out[s] = psi[s].real * psi[s].real + psi[s].imag * psi[s].imag


def weighted_expectation(psi, diag):
    """sum_s diag[s] |psi_s|^2, in fixed chunks (see :func:`_reduction_chunks`)."""
    return diag_overlap(psi, psi, diag, False)


@nb.njit(parallel=True, **_OPTS)
def multiply_diag(out, psi, diag):
    for s in prange(psi.size):
        out[s] = psi[s] * diag[s]


# ---- blocked runs of partial mixers (partners inside blocks) ---------------------------------
@nb.njit(parallel=True, **_OPTS)
def rotate_blocked(psi, tables, k0, k1, betas, bounds, sign, levels, table):
    """Partial mixers k0 .. k1 - 1 in order (``sign`` = -1: their inverses in reverse order),
    one block ``bounds[bi]:bounds[bi + 1]`` at a time: valid when every partner of these
    partial mixers lies in its state's block, so the block stays in cache for all of them.
    A non-empty ``table`` first multiplies each state of the block by ``table[levels[s]]``
    (the cost phase, fused into the same pass)."""
    nblocks = bounds.size - 1
    for bi in prange(nblocks):
        lo = bounds[bi]
        hi = bounds[bi + 1]
        if table.size:
            for s in range(lo, hi):
                psi[s] *= table[levels[s]]
        for j in range(k1 - k0):
            k = k0 + j if sign > 0 else k1 - 1 - j
            beta = sign * betas[k]
            c = math.cos(beta)
            sn = math.sin(beta)
            for s in range(lo, hi):
                t = tables[k, s]
                if t > s:
                    rotate_pair(psi, s, t, c, sn)


@nb.njit(parallel=True, **_OPTS)
def backward_blocked(phi, lam, tables, k0, k1, betas, bounds, overlaps):
    """Adjoint sweep over partial mixers k1 - 1 down to k0, block by block (see
    :func:`rotate_blocked`): ``overlaps[bi, k]`` = Im <lam|B_k|phi> over block bi taken before
    undoing B_k, then phi and lam rotated by -beta_k."""
    nblocks = bounds.size - 1
    for bi in prange(nblocks):
        lo = bounds[bi]
        hi = bounds[bi + 1]
        for j in range(k1 - k0):
            k = k1 - 1 - j
            acc = 0.0
            for s in range(lo, hi):
                t = tables[k, s]
                if t != s:
                    acc += lam[s].real * phi[t].imag - lam[s].imag * phi[t].real
            overlaps[bi, k] = acc
            c = math.cos(betas[k])
            sn = -math.sin(betas[k])
            for s in range(lo, hi):
                t = tables[k, s]
                if t > s:
                    rotate_pair(phi, s, t, c, sn)
                    rotate_pair(lam, s, t, c, sn)


@nb.njit(parallel=True, **_OPTS)
def apply_phase_table(psi, levels, table):
    """psi[s] *= table[levels[s]] (an integer-valued cost: one phase per distinct level)."""
    for s in prange(psi.size):
        psi[s] *= table[levels[s]]
