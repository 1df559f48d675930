"""Naive distributions to compare against, and the capacity repair shared by all engines.

Both baselines charge one ebit per CZ gate whose two qubits sit on different QPUs (no
cat-entanglement reuse), counted on the same CZ-basis circuit the hypergraph is built from:

* contiguous: qubits ``0..`` in k consecutive blocks of (nearly) equal size;
* graph: the qubit interaction graph (edge weight = number of CZs between the pair) split into k
  parts of at most ``capacity`` qubits by the same engine, minimising the cut weight.
"""

from __future__ import annotations

import numpy as np

from qopt.partition.hypergraph import CircuitHypergraph


def contiguous_assignment(num_qubits: int, k: int) -> np.ndarray:
    """Qubit -> QPU for k consecutive blocks of size floor(n/k) or ceil(n/k), shape (n,)."""
    return (np.arange(num_qubits, dtype=np.int64) * k) // max(num_qubits, 1)


def graph_assignment(hg: CircuitHypergraph, k: int, capacity: int, *, engine: str, seed: int,
                     preset=None, threads: int | None = None) -> np.ndarray:
    """Qubit -> QPU from a k-way min-cut partition of the interaction graph, shape (n,)."""
    from qopt.partition import kahypar_engine, mtkahypar_engine

    n = hg.num_qubits
    pairs, counts = hg.interaction_graph()
    if len(pairs) == 0 or k == 1:
        return contiguous_assignment(n, k)
    if engine == "mtkahypar":
        blocks = mtkahypar_engine.partition(
            n, pairs.tolist(), np.ones(n, dtype=np.int64), [capacity] * k, k=k, epsilon=0.0,
            seed=seed, threads=threads, edge_weights=counts)
    else:
        edge_index = np.arange(0, 2 * len(pairs) + 1, 2, dtype=np.int64)
        blocks = kahypar_engine.partition(
            n, edge_index, pairs.reshape(-1), np.ones(n, dtype=np.int64), [capacity] * k, k=k,
            epsilon=0.0, seed=seed, preset=preset, edge_weights=counts)
    return enforce_graph_capacity(blocks, pairs, counts, k, capacity)


def enforce_graph_capacity(blocks: np.ndarray, pairs: np.ndarray, counts: np.ndarray, k: int,
                           capacity: int) -> np.ndarray:
    """Move qubits out of over-full QPUs (cheapest cut increase first) until all fit."""
    blocks = np.asarray(blocks, dtype=np.int64).copy()
    loads = np.bincount(blocks, minlength=k)
    if not np.any(loads > capacity):
        return blocks
    n = len(blocks)
    # adjacency in CSR form: neighbours and pair weights of each qubit
    ends = np.concatenate([pairs[:, 0], pairs[:, 1]])
    others = np.concatenate([pairs[:, 1], pairs[:, 0]])
    weights = np.concatenate([counts, counts])
    order = np.argsort(ends, kind="stable")
    others, weights = others[order], weights[order]
    offsets = np.searchsorted(ends[order], np.arange(n + 1))
    while np.any(loads > capacity):
        src = int(np.argmax(loads))
        free = np.flatnonzero(loads < capacity)
        best = None
        for q in np.flatnonzero(blocks == src):
            nb = blocks[others[offsets[q]:offsets[q + 1]]]
            w = weights[offsets[q]:offsets[q + 1]]
            gain = np.bincount(nb, weights=w, minlength=k)
            delta = gain[src] - gain[free]
            i = int(np.argmin(delta))
            if best is None or delta[i] < best[0]:
                best = (delta[i], int(q), int(free[i]))
        _, q, t = best
        blocks[q] = t
        loads[src] -= 1
        loads[t] += 1
    return blocks


def enforce_capacity(hg: CircuitHypergraph, assignment: np.ndarray, k: int,
                     capacity: int) -> np.ndarray:
    """Vertex assignment with at most ``capacity`` qubits per QPU.

    Engines are heuristics; if one returns an over-full QPU, qubits are moved greedily to QPUs
    with room, each time the move that adds the fewest ebits (a qubit vertex only lies in the
    hyperedges of its own wire, so the change is local). Gates stay where they are.
    """
    a = np.asarray(assignment, dtype=np.int64).copy()
    n = hg.num_qubits
    loads = np.bincount(a[:n], minlength=k)
    if not np.any(loads > capacity):
        return a
    starts, ends = hg.edge_index[:-1], hg.edge_index[1:]
    by_qubit = np.argsort(hg.edge_qubit, kind="stable")  # hyperedges grouped by their wire
    offsets = np.searchsorted(hg.edge_qubit[by_qubit], np.arange(n + 1))
    while np.any(loads > capacity):
        src = int(np.argmax(loads))
        free = np.flatnonzero(loads < capacity)
        best = None
        for q in np.flatnonzero(a[:n] == src):
            delta = np.zeros(len(free), dtype=np.int64)
            for e in by_qubit[offsets[q]:offsets[q + 1]]:
                present = np.zeros(k, dtype=bool)
                present[a[hg.pins[starts[e] + 1:ends[e]]]] = True
                delta += (~present[free]).astype(np.int64) - int(not present[src])
            i = int(np.argmin(delta))
            if best is None or delta[i] < best[0]:
                best = (int(delta[i]), int(q), int(free[i]))
        _, q, t = best
        a[q] = t
        loads[src] -= 1
        loads[t] += 1
    return a


__all__ = ["contiguous_assignment", "enforce_capacity", "enforce_graph_capacity",
           "graph_assignment"]
