"""Weighted MaxCut: maximise the total weight of edges between S and its complement.

File format: Gset / rudy, a line ``n m`` then m lines ``i j w`` (1-indexed vertices; a missing
w means 1). Variable i is 1 when vertex i is in S. As in MIS files, a self-loop is an error
naming its line, and an edge listed again (either order) is merged into one, its weights added
(the cut of the multigraph), with a :class:`~qopt.errors.QoptWarning`. The constructor merges
parallel edges the same way (silently) and refuses self-loops.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp

from qopt.errors import OptionError
from qopt.model.program import BinaryProgram
from qopt.problems.base import Problem
from qopt.problems.mis import _plain, encode_labels, graph_arrays, sorted_labels
from qopt.problems.reader import (
    TokenReader,
    check_graph_edges,
    check_vertex_count,
    format_number,
    require_finite,
)
from qopt.problems.registry import register


@register
class MaxCut(Problem):
    """MaxCut of a weighted undirected graph.

    Args:
        num_nodes: n.
        edges: shape (E, 2), 0-based.
        weights: shape (E,), default all 1.
        labels: original vertex labels, default 0..n-1.
    """

    kind = "maxcut"
    sense = "max"

    def __init__(self, num_nodes: int, edges, weights=None, labels: list | None = None,
                 name: str | None = None, optimum: float | None = None,
                 source: str | None = None):
        super().__init__(name, optimum, source)
        n = int(num_nodes)
        e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        w = np.ones(len(e)) if weights is None else np.asarray(weights, dtype=float).reshape(-1)
        if w.shape != (len(e),):
            raise OptionError(f"{w.size} weights for {len(e)} edges")
        require_finite("MaxCut edge weights", w)
        if e.size and (e.min() < 0 or e.max() >= n):
            raise OptionError(f"edge endpoint outside 0..{n - 1}")
        if np.any(e[:, 0] == e[:, 1]):
            raise OptionError("MaxCut graphs may not have self-loops")
        e = np.sort(e, axis=1)
        if len(e):
            e, inverse = np.unique(e, axis=0, return_inverse=True)
            w = np.bincount(inverse.ravel(), weights=w, minlength=len(e))
        self.n = n
        self.edges, self.weights = e, w
        self.labels = list(labels) if labels is not None else list(range(n))
        if len(self.labels) != n:
            raise OptionError(f"{len(self.labels)} labels for {n} vertices")

    @property
    def num_vars(self) -> int:
        return self.n

    # ---- construction -------------------------------------------------------------------------
    @classmethod
    def from_graph(cls, G, name: str | None = None, optimum: float | None = None) -> MaxCut:
        """From a networkx graph (edge attribute ``weight``, default 1); nodes become 0..n-1
        in ``G.nodes`` order, labels kept for :meth:`decode`."""
        labels, edges, weights = graph_arrays(G)
        return cls(len(labels), edges, weights, labels, name=name or "graph", optimum=optimum)

    def to_graph(self):
        import networkx as nx

        G = nx.Graph()
        G.add_nodes_from(range(self.n))
        G.add_weighted_edges_from((int(u), int(v), float(w))
                                  for (u, v), w in zip(self.edges, self.weights))
        return G

    @classmethod
    def read(cls, path, name: str | None = None, optimum: float | None = None) -> MaxCut:
        """Read a Gset / rudy file (see module docstring)."""
        r = TokenReader(path, comment_prefixes=("#", "%"))
        if not r.records:
            raise r.error(1, "empty file: expected a line 'n m'")
        line, fields = r.records[0]
        if len(fields) != 2:
            raise r.error(line, f"expected 'n m', got {' '.join(fields)!r}")
        n, m = r.parse_ints(line, fields, "header 'n m'")
        if n < 1 or m < 0:
            raise r.error(line, f"bad sizes n={n}, m={m}")
        check_vertex_count(r, line, n)
        body = r.records[1:]
        if len(body) < m:
            raise r.error(r.last_line, f"expected {m} edges, file ends at line {r.last_line} "
                          f"after {len(body)}")
        if len(body) > m:
            raise r.error(body[m][0], f"more than the {m} edges the header announces")
        edges = np.zeros((m, 2), dtype=np.int64)
        weights = np.ones(m)
        lines = np.zeros(m, dtype=np.int64)
        for k, (ln, f) in enumerate(body):
            if len(f) not in (2, 3):
                raise r.error(ln, f"expected 'i j w', got {' '.join(f)!r}")
            edges[k] = r.parse_ints(ln, f[:2], "edge")
            if len(f) == 3:
                weights[k] = r.parse_numbers(ln, f[2:], "edge weight")[0]
            lines[k] = ln
        r.check_ids(edges, lines, n)
        check_graph_edges(r, edges, lines, "merged into one, their weights added")
        return cls(n, edges - 1, weights, list(range(1, n + 1)), name=name or Path(path).stem,
                   optimum=optimum, source=str(path))

    def write(self, path) -> None:
        """Write in rudy format (vertex i as id i + 1)."""
        lines = [f"{self.n} {len(self.edges)}",
                 *(f"{u + 1} {v + 1} {format_number(w)}"
                   for (u, v), w in zip(self.edges.tolist(), self.weights))]
        Path(path).write_text("\n".join(lines) + "\n")

    @classmethod
    def generate(cls, size, seed: int | None = None) -> MaxCut:
        """Random 3-regular graph on n = ``size`` vertices (n even, n >= 4), unit weights."""
        import networkx as nx

        n = int(size)
        if n < 4 or n % 2:
            raise OptionError(f"a 3-regular graph needs an even n >= 4, got {size}")
        G = nx.random_regular_graph(3, n, seed=None if seed is None else int(seed))
        G = nx.convert_node_labels_to_integers(G, ordering="sorted")
        return cls(n, np.array(sorted(G.edges), dtype=np.int64), name=f"maxcut_reg3_n{n}_s{seed}")

    # ---- native objective ----------------------------------------------------------------------
    def evaluate_batch(self, X):
        if not len(self.edges):
            return np.zeros(X.shape[0])
        cut = X[:, self.edges[:, 0]] != X[:, self.edges[:, 1]]
        return cut.astype(float) @ self.weights

    def violation_batch(self, X):
        return np.zeros(X.shape[0])

    def build_program(self) -> BinaryProgram:
        u, v, w = self.edges[:, 0], self.edges[:, 1], self.weights
        linear = np.bincount(u, w, self.n) + np.bincount(v, w, self.n)
        quad = sp.coo_matrix((-2.0 * w, (u, v)), shape=(self.n, self.n))
        return BinaryProgram(self.n, linear, quad, sense="max", name=self.name)

    def decode(self, bits) -> list:
        """The side S (vertices with bit 1) as original labels, sorted."""
        return sorted_labels(self.labels, np.flatnonzero(np.asarray(bits).reshape(-1)))

    def encode(self, solution) -> np.ndarray:
        return encode_labels(self.labels, solution, self.n)

    def describe(self) -> dict:
        d = super().describe()
        d.update(nodes=self.n, num_edges=len(self.edges), edges=self.edges.tolist(),
                 weights=self.weights.tolist(), labels=[_plain(v) for v in self.labels],
                 total_weight=float(self.weights.sum()))
        return d
