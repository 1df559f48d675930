"""Order of the partial mixers in each layer (``mixer_order``) for sequential mixers.

A constraint-preserving mixer is a product of partial mixers (:mod:`.mixers`) that need not
commute: the capacity and independent-set mixers at beta = pi/2 add items in index order, so a
fixed order can turn the ansatz into an ordered greedy. ``mixer_order`` changes the order:

- ``"fixed"``: B_1, ..., B_K in every layer (the default, the order of ``Mixer.partials``);
- ``"reversed"``: B_K, ..., B_1 in every layer;
- ``"random"``: a permutation per layer drawn once per run from the run's seed (same seed,
  same orders), kept for the whole optimisation and reported in ``info["mixer_orders"]``.

It matters on the feasible-subspace simulator only (the x mixer's partials commute; circuits
apply the fixed order).
"""

from __future__ import annotations

import numpy as np

from qopt.errors import OptionError

MIXER_ORDERS = ("fixed", "reversed", "random")


def check_mixer_order(order: str) -> None:
    if order not in MIXER_ORDERS:
        raise OptionError(f"mixer_order must be one of {', '.join(MIXER_ORDERS)}, got "
                          f"{order!r}")


def mixer_orders(order: str, p: int, num_partials: int, rng) -> np.ndarray | None:
    """Per-layer orders (p, K) int64 of the partial mixers, None for ``"fixed"``."""
    check_mixer_order(order)
    K = int(num_partials)
    if order == "fixed":
        return None
    if order == "reversed":
        return np.tile(np.arange(K - 1, -1, -1, dtype=np.int64), (int(p), 1))
    return np.stack([rng.permutation(K) for _ in range(int(p))]).astype(np.int64)
