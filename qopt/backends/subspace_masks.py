"""Sorted mask subspaces (n <= 64, one uint64 word per state, ascending): partner indices of
single-bit flips by a merge, and the block structure of the blocked runs.

Adding bit q to a mask raises it and removing it lowers it, and both keep the order of the
masks that share bit q's value: the states with bit q set, read in order, have partners
(bit q cleared) in increasing order too. One sequential merge per partial mixer finds them
(O(N), streaming) instead of a binary search per state (O(N log N) random reads: 12.1 s for
the 34 partial mixers of the karate graph's 1.3e7 independent sets, 0.9 s by merge).

Written by hand: a merge join of a sorted array with a shifted copy of itself, and the
longest run of equal high bits per bit level, are not numpy primitives that work without
N-sized temporaries per level (``np.searchsorted`` is the binary search above).
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numba import prange

from qopt.backends.subspace_kernels import lower_bound

_OPTS = {"cache": True, "nogil": True}


@nb.njit(parallel=True, **_OPTS)
def single_flip_partners(masks, bit, out):
    """Partners of the flip of ``bit`` (one set bit) in sorted ``masks``: s and t paired when
    ``masks[t] == masks[s] ^ bit``, unpaired states their own partner. ``out`` (N,) uint32.
    Each chunk of states with the bit set walks a pointer through the masks below it (found
    once by binary search), so the pass streams."""
    bit = np.uint64(bit)
    if bit == 0 or bit & (bit - np.uint64(1)):
        raise ValueError("single_flip_partners: bit must have exactly one bit set")
    N = masks.size
    for s in prange(N):
        out[s] = s
    nchunk = max(1, min(256, N // 4096))
    for c in prange(nchunk):
        lo = c * N // nchunk
        hi = (c + 1) * N // nchunk
        j = -1
        for s in range(lo, hi):
            x = masks[s]
            if not x & bit:
                continue
            t = x ^ bit
            if j < 0:                                  # first pointer of the chunk
                j = lower_bound(masks, t, s)
            while masks[j] < t:
                j += 1
            if masks[j] == t:
                out[s] = j
                out[j] = s


@nb.njit(**_OPTS)
def longest_blocks(masks, out):
    """``out[b]`` = most consecutive states sharing all bits from b up (b = 0..63), in one
    pass: a block of level b ends where the highest bit in which neighbours differ is >= b."""
    N = masks.size
    last = np.zeros(64, np.int64)
    for b in range(64):
        out[b] = 0
    for s in range(1, N):
        d = masks[s] ^ masks[s - 1]
        if d == 0:
            continue
        top = 63
        while not (d >> np.uint64(top)) & np.uint64(1):
            top -= 1
        for b in range(top + 1):
            if s - last[b] > out[b]:
                out[b] = s - last[b]
            last[b] = s
    for b in range(64):
        if N - last[b] > out[b]:
            out[b] = N - last[b]


def block_bounds(masks: np.ndarray, b: int) -> np.ndarray:
    """Bounds (int64: first state of each block, then the size) of the blocks of states
    sharing all bits from b up."""
    high = masks >> np.uint64(b)
    starts = np.flatnonzero(high[1:] != high[:-1]) + 1
    return np.concatenate([[0], starts, [masks.size]]).astype(np.int64)


def mask_runs(masks: np.ndarray, partials, block_states: int) -> list[tuple]:
    """Runs of the partial mixers of a sorted mask subspace: the leading mixers whose flips
    touch only bits below b form one blocked run over the blocks of states sharing the bits
    from b up (contiguous in sorted order, and every partner inside its block), b as large as
    keeps the largest block within ``block_states``; the others one pass each (bounds None)."""
    K = len(partials)
    top = [max(pm.qubits) for pm in partials]
    longest = np.zeros(64, np.int64)
    longest_blocks(masks, longest)
    best = None
    for b in range(1, 64):
        k1 = 0
        while k1 < K and top[k1] < b:
            k1 += 1
        if k1 == 0:
            continue
        if longest[b] > block_states:
            break
        best = (k1, b)
        if k1 == K:
            break
    if best is None or best[0] < 2:
        return [(k, k + 1, None) for k in range(K)]
    k1, b = best
    return [(0, k1, block_bounds(masks, b))] + [(k, k + 1, None) for k in range(k1, K)]


__all__ = ["block_bounds", "longest_blocks", "mask_runs", "single_flip_partners"]
