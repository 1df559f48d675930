"""What a seed is, checked in one place: None, a ``numpy.random.Generator`` or an int >= 0
(numpy's ``SeedSequence`` refuses negative entropy with a bare ValueError)."""

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


__all__ = ["check_seed"]
