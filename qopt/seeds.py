"""Seeds, in one place: what a seed is (None, a ``numpy.random.Generator`` or an int >= 0;
numpy's ``SeedSequence`` refuses negative entropy with a bare ValueError) and the one way
solvers and backends turn it into randomness (:func:`rng_from`)."""

from __future__ import annotations

import numpy as np

from qopt.errors import OptionError


def check_seed(seed, name: str = "seed"):
    """``seed`` if it is None, a numpy Generator or a non-negative integer, else OptionError."""
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise OptionError(f"{name} must be a non-negative integer (or None), got {seed!r}")
    return int(seed)


def rng_from(seed) -> np.random.Generator:
    """The one way solvers and backends make randomness: a Generator from a seed (or the
    Generator itself, shared, when one is given)."""
    seed = check_seed(seed)
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


__all__ = ["check_seed", "rng_from"]
