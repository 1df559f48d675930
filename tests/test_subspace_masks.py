"""Sorted mask subspaces (qopt.backends.subspace_masks): single-flip partners by merge against
numpy's searchsorted (and the binary search of subspace_kernels.mask_partners), and the block
levels of the blocked runs against numpy's view of the same masks."""

import numpy as np
import pytest

from qopt.backends import subspace_kernels as K
from qopt.backends import subspace_masks as M


def random_masks(rng, size, bits):
    """Sorted unique masks over ``bits`` (not downward closed: partners are missing too)."""
    raw = rng.integers(0, 2, size=(size, len(bits))).astype(np.uint64)
    masks = (raw << np.asarray(bits, dtype=np.uint64)).sum(axis=1, dtype=np.uint64)
    return np.unique(masks)


@pytest.mark.parametrize("size,bits", [(1, [0]), (50, [0, 1, 2, 3, 4, 5]),
                                       (20000, [0, 3, 7, 20, 31, 32, 40, 62, 63, 5, 9, 11,
                                                13, 17, 21, 25]),
                                       (300000, list(range(24)))])
def test_merge_partners_equal_the_binary_search(size, bits):
    masks = random_masks(np.random.default_rng(size), size, bits)
    for q in [*sorted(set(bits))[::3], max(bits), 1 if 1 not in bits else 2]:
        flip = np.uint64(1) << np.uint64(q)
        got = np.full(masks.size, 7, np.uint32)
        M.single_flip_partners(masks, flip, got)
        # references: numpy's searchsorted, and the binary search of mask_partners
        t = masks ^ flip
        pos = np.minimum(np.searchsorted(masks, t), masks.size - 1)
        want = np.where(masks[pos] == t, pos, np.arange(masks.size)).astype(np.uint32)
        assert np.array_equal(got, want), q
        searched = np.empty(masks.size, np.uint32)
        K.mask_partners(masks, flip, np.uint64(0), searched)
        assert np.array_equal(searched, want), q
        paired = got != np.arange(masks.size)
        assert np.all(masks[got[paired]] == masks[paired] ^ flip)


def test_longest_blocks_and_bounds_match_numpy():
    masks = random_masks(np.random.default_rng(1), 50000, [0, 1, 2, 4, 8, 9, 10, 12, 16, 30, 63])
    longest = np.zeros(64, np.int64)
    M.longest_blocks(masks, longest)
    for b in range(64):
        h = masks >> np.uint64(b)
        starts = np.flatnonzero(h[1:] != h[:-1]) + 1
        bounds = np.concatenate([[0], starts, [masks.size]])
        assert longest[b] == np.diff(bounds).max(), b
        assert np.array_equal(M.block_bounds(masks, b), bounds)


def test_mask_runs_keep_partners_in_blocks_within_the_limit():
    from qopt.backends.subspace import FeasibleSubspace
    from qopt.problems import problem_class
    from qopt.solvers.quantum.qaoa_subspace import setup_constrained

    mixer, _ = setup_constrained(problem_class("mis").generate((22, 0.2), seed=3),
                                 "independent-set")
    space = FeasibleSubspace.build(mixer)
    masks = space.words[:, 0]
    for limit in (16, 256, 4096):
        runs = M.mask_runs(masks, mixer.partials, limit)
        k0, k1, bounds = runs[0]
        assert k0 == 0 and k1 >= 2 and np.diff(bounds).max() <= limit
        block = np.repeat(np.arange(bounds.size - 1), np.diff(bounds))
        for k in range(k0, k1):
            assert np.array_equal(block[space.tables[k]], block)
        # one more partial mixer would need blocks over the limit
        if k1 < mixer.num_partials:
            top = max(mixer.partials[k1].qubits)
            longest = np.zeros(64, np.int64)
            M.longest_blocks(masks, longest)
            assert longest[top + 1] > limit
        assert [r[:2] for r in runs[1:]] == [(k, k + 1) for k in range(k1, mixer.num_partials)]


def test_merge_partners_refuse_a_flip_of_other_than_one_bit():
    masks = np.array([0, 1, 2, 3], dtype=np.uint64)
    out = np.empty(4, np.uint32)
    for bad in (0, 3):
        with pytest.raises(ValueError, match="exactly one bit"):
            M.single_flip_partners(masks, np.uint64(bad), out)
    M.single_flip_partners(masks, 2, out)              # a Python int is taken as uint64
    assert list(out) == [2, 3, 0, 1]
    high = np.array([1, 1 << 63, (1 << 63) | 1], dtype=np.uint64)
    M.single_flip_partners(high, 1, out[:3])
    assert list(out[:3]) == [0, 2, 1]
