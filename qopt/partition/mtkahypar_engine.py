"""Mt-KaHyPar engine (optional, multi-threaded; presets built into the library).

``mtkahypar`` is imported only when this engine is used; without it the engine raises
:class:`~qopt.errors.OptionError` saying how to install it
(``pip install qopt-toolkit[partition]``).
"""

from __future__ import annotations

import os
from functools import cache

import numpy as np

from qopt.errors import OptionError

#: accepted preset names (Mt-KaHyPar's ``PresetType`` members, lower case)
PRESETS = ("default", "quality", "highest_quality", "deterministic", "large_k")


def available() -> bool:
    """Whether the ``mtkahypar`` package can be imported."""
    try:
        import mtkahypar  # noqa: F401
    except ImportError:
        return False
    return True


def _module():
    try:
        import mtkahypar
    except ImportError as exc:
        raise OptionError("engine 'mtkahypar' needs the mtkahypar package: "
                          "pip install mtkahypar (or qopt-toolkit[partition])") from exc
    return mtkahypar


@cache
def _initializer(threads: int):
    return _module().initialize(int(threads), False)


def partition(num_vertices: int, hyperedges: list[list[int]], vertex_weights: np.ndarray,
              max_block_weights: list[int], *, k: int, epsilon: float, seed: int,
              preset: str = "default", threads: int | None = None,
              edge_weights: np.ndarray | None = None) -> np.ndarray:
    """Partition with Mt-KaHyPar (km1 objective); returns vertex -> block, shape (num_vertices,).

    ``vertex_weights`` may contain zeros; ``max_block_weights`` has k entries.
    ``threads`` defaults to the machine's core count.
    """
    mt = _module()
    name = preset.lower().replace("-", "_")
    if name not in PRESETS:
        raise OptionError(f"unknown mtkahypar preset {preset!r}; choose from {', '.join(PRESETS)}")
    init = _initializer(threads or os.cpu_count() or 1)
    ctx = init.context_from_preset(getattr(mt.PresetType, name.upper()))
    ctx.set_partitioning_parameters(int(k), float(epsilon), mt.Objective.KM1)
    ctx.set_individual_target_block_weights([int(b) for b in max_block_weights])
    ctx.logging = False
    mt.set_seed(int(seed))
    ew = ([1] * len(hyperedges) if edge_weights is None else [int(x) for x in edge_weights])
    hg = init.create_hypergraph(ctx, int(num_vertices), len(hyperedges), hyperedges,
                                [int(x) for x in vertex_weights], ew)
    phg = hg.partition(ctx)
    return np.asarray(phg.get_partition(), dtype=np.int64).reshape(num_vertices)


__all__ = ["PRESETS", "available", "partition"]
