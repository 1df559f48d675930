"""Exact local refinement of gate placement (gate vertices weigh 0, so moves are always free).

Every CZ gate lies in exactly two hyperedges (the runs of its two wires). With ``count[e, b]`` =
pins of hyperedge e in block b, moving gate v from block X to Y changes the ebits by
``sum_e ([count[e, Y] == 0] - [count[e, X] == 1])`` over its two hyperedges. Passes move each
gate to its best block (ties keep it in place) until no move helps; ebits never increase.
Engines balance the weight-1 stand-ins of gates (KaHyPar) and can leave a gate alone on a QPU
none of its qubits uses; this pass removes such waste.
"""

from __future__ import annotations

import numpy as np

from qopt.partition.hypergraph import CircuitHypergraph

#: skip refinement when the (hyperedges x blocks) count table would exceed this many cells
MAX_TABLE_CELLS = 50_000_000


def gate_edges(hg: CircuitHypergraph) -> np.ndarray:
    """The two hyperedges of each gate, shape (g, 2)."""
    n, g = hg.num_qubits, hg.num_gates
    edge_of_pin = np.repeat(np.arange(hg.num_edges), np.diff(hg.edge_index))
    mask = hg.pins >= n
    gates = hg.pins[mask] - n
    edges = edge_of_pin[mask]
    order = np.argsort(gates, kind="stable")
    out = edges[order].reshape(g, 2)
    return out


def refine_gates(hg: CircuitHypergraph, assignment: np.ndarray, k: int,
                 max_passes: int = 10) -> np.ndarray:
    """Vertex assignment with each gate greedily moved to its cheapest block (qubits fixed)."""
    a = np.asarray(assignment, dtype=np.int64).copy()
    n, g = hg.num_qubits, hg.num_gates
    if g == 0 or hg.num_edges * k > MAX_TABLE_CELLS:
        return a
    edge_of_pin = np.repeat(np.arange(hg.num_edges), np.diff(hg.edge_index))
    count = np.zeros((hg.num_edges, k), dtype=np.int64)
    np.add.at(count, (edge_of_pin, a[hg.pins]), 1)
    ge = gate_edges(hg)
    rows = np.arange(g)
    for _ in range(max_passes):
        # vectorised screen: gates that have an improving move under the current counts
        x_all = a[n:]
        c1, c2 = count[ge[:, 0]], count[ge[:, 1]]
        leave = (c1[rows, x_all] == 1).astype(np.int64) + (c2[rows, x_all] == 1)
        join = (c1 == 0).astype(np.int64) + (c2 == 0)
        join[rows, x_all] = leave
        candidates = np.flatnonzero((join - leave[:, None]).min(axis=1) < 0)
        if candidates.size == 0:
            break
        for j in candidates:  # sequential moves: each one updates the counts the next sees
            v = n + j
            x = a[v]
            r1, r2 = count[ge[j, 0]], count[ge[j, 1]]
            lv = int(r1[x] == 1) + int(r2[x] == 1)
            jn = (r1 == 0).astype(np.int64) + (r2 == 0)
            jn[x] = lv
            y = int(np.argmin(jn))
            if jn[y] - lv < 0:
                r1[x] -= 1
                r2[x] -= 1
                r1[y] += 1
                r2[y] += 1
                a[v] = y
    return a


__all__ = ["MAX_TABLE_CELLS", "gate_edges", "refine_gates"]
