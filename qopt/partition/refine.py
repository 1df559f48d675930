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
    for _ in range(max_passes):
        moved = False
        for j in range(g):
            v = n + j
            x = a[v]
            e1, e2 = ge[j]
            c1, c2 = count[e1], count[e2]
            # cost of the gate's two hyperedges if it sat in each block, relative to now
            leave = int(c1[x] == 1) + int(c2[x] == 1)
            join = (c1 == 0).astype(np.int64) + (c2 == 0).astype(np.int64)
            join[x] = leave  # staying costs nothing extra: delta 0 at x
            delta = join - leave
            y = int(np.argmin(delta))
            if delta[y] < 0:
                c1[x] -= 1
                c2[x] -= 1
                c1[y] += 1
                c2[y] += 1
                a[v] = y
                moved = True
        if not moved:
            break
    return a


__all__ = ["MAX_TABLE_CELLS", "gate_edges", "refine_gates"]
