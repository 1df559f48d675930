"""KaHyPar engine: km1 k-way partitioning with per-QPU qubit capacities, from a checked preset.

KaHyPar reads its whole configuration from an ``.ini`` file and aborts the process (not a Python
exception) when the file is missing or lacks a key, so :func:`check_preset` validates the file
first and raises :class:`~qopt.errors.ConfigError` naming the file and key.

KaHyPar refuses vertices of weight 0, so the weights of the circuit hypergraph (qubit 1, gate 0)
are encoded exactly: qubits weigh ``W = g + 1`` and gates 1 (g = number of gates), and each
block may weigh at most ``W * (cap + 1) - 1``. Since all gates together weigh ``g < W``, a block
satisfies this bound if and only if it holds at most ``cap`` qubits.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from qopt.errors import ConfigError, SolverError

#: the preset shipped with qopt (km1 objective, direct k-way)
PRESET_NAME = "km1_qopt.ini"

#: keys the preset must define (KaHyPar aborts without them), with their allowed values where
#: the set is small; ``None`` means any value of the right type.
REQUIRED_KEYS: dict[str, tuple[str, ...] | None] = {
    "mode": ("direct",),
    "objective": ("km1", "cut"),
    "seed": None,
    "cmaxnet": None,
    "vcycles": None,
    "p-use-sparsifier": ("true", "false"),
    "p-detect-communities": ("true", "false"),
    "p-detect-communities-in-ip": ("true", "false"),
    "p-reuse-communities": ("true", "false"),
    "p-max-louvain-pass-iterations": None,
    "p-min-eps-improvement": None,
    "p-louvain-edge-weight": ("hybrid", "uniform", "non_uniform", "degree"),
    "c-type": ("ml_style", "heavy_full", "heavy_lazy"),
    "c-s": None,
    "c-t": None,
    "c-rating-score": ("heavy_edge", "edge_frequency"),
    "c-rating-use-communities": ("true", "false"),
    "c-rating-heavy_node_penalty": ("no_penalty", "multiplicative", "edge_frequency_penalty"),
    "c-rating-acceptance-criterion": ("best", "best_prefer_unmatched"),
    "c-fixed-vertex-acceptance-criterion": ("free_vertex_only", "fixed_vertex_allowed",
                                            "equivalent_vertices"),
    "i-mode": ("recursive", "direct"),
    "i-technique": ("multi", "flat"),
    "i-c-type": ("ml_style", "heavy_full", "heavy_lazy"),
    "i-c-s": None,
    "i-c-t": None,
    "i-c-rating-score": ("heavy_edge", "edge_frequency"),
    "i-c-rating-use-communities": ("true", "false"),
    "i-c-rating-heavy_node_penalty": ("no_penalty", "multiplicative", "edge_frequency_penalty"),
    "i-c-rating-acceptance-criterion": ("best", "best_prefer_unmatched"),
    "i-c-fixed-vertex-acceptance-criterion": ("free_vertex_only", "fixed_vertex_allowed",
                                              "equivalent_vertices"),
    "i-algo": ("pool", "random", "bfs", "lp", "greedy_global", "greedy_round", "greedy_sequential"),
    "i-runs": None,
    "i-bp-algorithm": ("worst_fit", "first_fit"),
    "i-bp-heuristic-prepacking": ("true", "false"),
    "i-bp-early-restart": ("true", "false"),
    "i-bp-late-restart": ("true", "false"),
    "i-r-type": ("twoway_fm", "twoway_flow", "twoway_fm_flow", "twoway_hyperflow_cutter",
                 "do_nothing"),
    "i-r-runs": None,
    "i-r-fm-stop": ("simple", "adaptive_opt", "adaptive1", "adaptive2"),
    "i-r-fm-stop-i": None,
    "r-type": ("kway_fm_km1", "kway_fm", "kway_fm_flow_km1", "kway_fm_hyperflow_cutter_km1",
               "kway_fm_hyperflow_cutter", "kway_hyperflow_cutter", "do_nothing"),
    "r-runs": None,
    "r-fm-stop": ("simple", "adaptive_opt", "adaptive1", "adaptive2"),
    "r-fm-stop-i": None,
}

#: keys whose value must be an integer / a number / a boolean (checked whenever present)
_INT_KEYS = {"seed", "cmaxnet", "vcycles", "p-max-louvain-pass-iterations", "c-t", "i-c-t",
             "i-runs", "i-r-runs", "i-r-fm-stop-i", "r-runs", "r-fm-stop-i",
             "p-sparsifier-min-median-he-size", "p-sparsifier-max-hyperedge-size",
             "p-sparsifier-max-cluster-size", "p-sparsifier-min-cluster-size",
             "p-sparsifier-num-hash-func", "p-sparsifier-combined-num-hash-func",
             "p-large-he-threshold", "p-smallest-maxnet-threshold", "r-hfc-scaling"}
_FLOAT_KEYS = {"p-min-eps-improvement", "c-s", "i-c-s", "p-maxnet-removal-factor",
               "r-fm-stop-alpha"}
_BOOL_KEYS = {"r-hfc-distance-based-piercing", "r-hfc-mbc", "p-use-sparsifier",
              "p-detect-communities", "p-detect-communities-in-ip", "p-reuse-communities",
              "c-rating-use-communities", "i-c-rating-use-communities",
              "i-bp-heuristic-prepacking", "i-bp-early-restart", "i-bp-late-restart"}


def default_preset() -> Path:
    """Path of the shipped preset (inside the installed package)."""
    return Path(str(resources.files("qopt.partition") / "presets" / PRESET_NAME))


def read_preset(path: str | Path) -> dict[str, str]:
    """``key -> value`` of a KaHyPar ``.ini`` (``key=value`` lines, ``#`` comments).

    Raises :class:`ConfigError` naming the file (and line) for a missing file or a malformed line.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: KaHyPar preset file not found")
    try:
        text = p.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read KaHyPar preset ({exc})") from exc
    values: dict[str, str] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if "=" not in line:
            raise ConfigError(f"{p}, line {lineno}: expected 'key=value', got {line!r}")
        key, _, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not key:
            raise ConfigError(f"{p}, line {lineno}: empty key")
        if key in values:
            raise ConfigError(f"{p}, line {lineno}: key {key!r} given twice")
        values[key] = value
    return values


def check_preset(path: str | Path) -> dict[str, str]:
    """Validate a KaHyPar preset before KaHyPar sees it; returns its ``key -> value`` map.

    Checks: the file exists and parses, every key of :data:`REQUIRED_KEYS` is present, values
    with a small set of choices are one of them, numeric keys are numbers, the mode is direct
    k-way (the recursive-bisection settings of KaHyPar are a different key set) and the objective
    is ``km1`` (the ebit count of a circuit hypergraph is its km1 metric).
    """
    p = Path(path)
    values = read_preset(p)
    for key, allowed in REQUIRED_KEYS.items():
        if key not in values:
            raise ConfigError(f"{p}: required key {key!r} is missing")
        value = values[key]
        if allowed is not None and value not in allowed:
            raise ConfigError(f"{p}: key {key!r} has value {value!r}; allowed: "
                              f"{', '.join(allowed)}")
    for key, value in values.items():
        if key in _INT_KEYS:
            try:
                int(value)
            except ValueError:
                raise ConfigError(f"{p}: key {key!r} needs an integer, got {value!r}") from None
        elif key in _FLOAT_KEYS:
            try:
                float(value)
            except ValueError:
                raise ConfigError(f"{p}: key {key!r} needs a number, got {value!r}") from None
        elif key in _BOOL_KEYS and value not in ("true", "false"):
            raise ConfigError(f"{p}: key {key!r} needs true or false, got {value!r}")
    if values["objective"] != "km1":
        raise ConfigError(f"{p}: key 'objective' must be 'km1' (connectivity minus one = ebits), "
                          f"got {values['objective']!r}")
    # flow refinement needs its own settings when selected
    if "hyperflow_cutter" in values["r-type"] or "flow" in values["r-type"]:
        for key in ("r-flow-execution-policy",):
            if key not in values:
                raise ConfigError(f"{p}: key {key!r} is required by r-type={values['r-type']}")
    policy = values.get("r-flow-execution-policy")
    if policy is not None and policy not in ("constant", "multilevel", "exponential"):
        raise ConfigError(f"{p}: key 'r-flow-execution-policy' has value {policy!r}; allowed: "
                          "constant, multilevel, exponential")
    if "hyperflow_cutter" in values["r-type"]:
        for key in ("r-hfc-size-constraint", "r-hfc-scaling"):
            if key not in values:
                raise ConfigError(f"{p}: key {key!r} is required by r-type={values['r-type']}")
    if values["i-algo"] == "pool" and values["i-mode"] != "recursive":
        raise ConfigError(f"{p}: key 'i-algo' = pool needs i-mode=recursive")
    if values["r-fm-stop"] == "adaptive_opt" and "r-fm-stop-alpha" not in values:
        raise ConfigError(f"{p}: key 'r-fm-stop-alpha' is required by r-fm-stop=adaptive_opt")
    return values


def partition(num_vertices: int, edge_index: np.ndarray, pins: np.ndarray,
              vertex_weights: np.ndarray, max_block_weights: list[int], *, k: int,
              epsilon: float, seed: int, preset: str | Path | None = None,
              edge_weights: np.ndarray | None = None,
              fixed: np.ndarray | None = None) -> np.ndarray:
    """Partition a hypergraph with KaHyPar (km1); returns vertex -> block, shape (num_vertices,).

    ``vertex_weights`` must be >= 1 (KaHyPar's rule); ``max_block_weights`` has k entries;
    ``fixed`` (optional, shape (num_vertices,)) holds a block per vertex or -1 for free ones.
    """
    import kahypar

    path = default_preset() if preset is None else Path(preset)
    check_preset(path)
    w = np.asarray(vertex_weights, dtype=np.int64)
    if np.any(w < 1):
        raise SolverError("KaHyPar needs vertex weights >= 1")
    num_edges = len(edge_index) - 1
    ew = [] if edge_weights is None else [int(x) for x in edge_weights]
    hg = kahypar.Hypergraph(int(num_vertices), int(num_edges), edge_index.tolist(),
                            pins.tolist(), int(k), ew, w.tolist())
    if fixed is not None:
        for v in np.flatnonzero(np.asarray(fixed) >= 0):
            hg.fixNodeToBlock(int(v), int(fixed[v]))
    ctx = kahypar.Context()
    ctx.loadINIconfiguration(str(path))
    ctx.setK(int(k))
    ctx.setEpsilon(float(epsilon))
    ctx.setCustomTargetBlockWeights([int(b) for b in max_block_weights])
    ctx.setSeed(int(seed))
    ctx.suppressOutput(True)
    kahypar.partition(hg, ctx)
    return np.fromiter((hg.blockID(v) for v in range(num_vertices)), dtype=np.int64,
                       count=num_vertices)


__all__ = ["PRESET_NAME", "REQUIRED_KEYS", "check_preset", "default_preset", "partition",
           "read_preset"]
