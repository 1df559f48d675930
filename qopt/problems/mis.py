"""Maximum independent set: maximise |S| over vertex sets S with no edge inside S.

File format: DIMACS edge format, ``p edge N M`` then M lines ``e u v`` (1-indexed vertices),
comment lines starting with ``c``. A self-loop is an error; an edge listed again (in either
order) is merged into one with a :class:`~qopt.errors.QoptWarning` (the same rule as MaxCut).
Variable i is vertex i (0-based); the vertex's original label (the file's 1-based id, or the
networkx node) is kept for :meth:`MIS.decode`.
"""

from __future__ import annotations

import contextlib
from functools import cached_property
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from qopt.errors import OptionError
from qopt.model.program import BinaryProgram
from qopt.problems.base import Problem
from qopt.problems.independent_set_repair import greedy_independent_repair
from qopt.problems.reader import TokenReader, check_graph_edges, check_vertex_count
from qopt.problems.registry import register


def _plain(label):
    """A networkx node label as a JSON-friendly Python value."""
    if isinstance(label, np.generic):
        return label.item()
    if isinstance(label, tuple):
        return [_plain(v) for v in label]
    return label


def graph_arrays(G) -> tuple[list, np.ndarray, np.ndarray]:
    """(node labels in ``G.nodes`` order, edges (E, 2) int64 0-based, weights (E,) float).

    Edge weights come from the ``weight`` attribute, 1 where absent.
    """
    labels = list(G.nodes)
    index = {v: i for i, v in enumerate(labels)}
    data = list(G.edges(data="weight", default=1.0))
    edges = np.array([(index[u], index[v]) for u, v, _ in data], dtype=np.int64).reshape(-1, 2)
    weights = np.array([float(w) for _, _, w in data], dtype=float)
    return labels, edges, weights


def sorted_labels(labels: list, idx: np.ndarray) -> list:
    """The labels of variables ``idx``, sorted by label when comparable, else by index."""
    chosen = [labels[i] for i in idx]
    with contextlib.suppress(TypeError):
        chosen = sorted(chosen)
    return [_plain(v) for v in chosen]


def encode_labels(labels: list, solution, num_vars: int) -> np.ndarray:
    """Bits, shape (n,), with bit i set for each label in ``solution``."""
    index = {(tuple(v) if isinstance(v, list) else v): i for i, v in enumerate(labels)}
    x = np.zeros(num_vars, dtype=np.uint8)
    for v in solution:
        key = tuple(v) if isinstance(v, list) else v
        if key not in index:
            raise OptionError(f"vertex {v!r} is not in the graph")
        x[index[key]] = 1
    return x


def gnp_edges(n: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """Edges (E, 2) of a G(n, p) random graph, each pair i < j present with probability p."""
    iu, ju = np.triu_indices(n, 1)
    keep = rng.random(iu.size) < p
    return np.stack([iu[keep], ju[keep]], axis=1).astype(np.int64)


def read_dimacs(path) -> tuple[TokenReader, int, np.ndarray]:
    """(reader, N, edges (M, 2) 1-based ids) of a DIMACS edge file, every line checked."""
    r = TokenReader(path, comment_prefixes=("c",))
    header: tuple[int, int] | None = None
    edges: list[list[int]] = []
    lines: list[int] = []
    for line, fields in r.records:
        tag = fields[0]
        if tag == "p":
            if header is not None:
                raise r.error(line, "second 'p' line")
            if len(fields) != 4 or fields[1] not in ("edge", "edges", "col"):
                raise r.error(line, f"expected 'p edge N M', got {' '.join(fields)!r}")
            n_nodes, n_edges = r.parse_ints(line, fields[2:], "'p' line")
            if n_nodes < 1 or n_edges < 0:
                raise r.error(line, f"bad sizes N={n_nodes}, M={n_edges}")
            check_vertex_count(r, line, n_nodes)
            header = (n_nodes, n_edges)
        elif tag == "e":
            if header is None:
                raise r.error(line, "edge before the 'p edge N M' line")
            if len(fields) != 3:
                raise r.error(line, f"expected 'e u v', got {' '.join(fields)!r}")
            edges.append(r.parse_ints(line, fields[1:], "edge"))
            lines.append(line)
            if len(edges) > header[1]:
                raise r.error(line, f"more than the {header[1]} edges the 'p' line announces")
        else:
            raise r.error(line, f"unknown line type {tag!r} (expected 'c', 'p' or 'e')")
    if header is None:
        raise r.error(r.last_line, "no 'p edge N M' line")
    n_nodes, n_edges = header
    if len(edges) < n_edges:
        raise r.error(r.last_line, f"expected {n_edges} edges, file ends at line {r.last_line} "
                      f"after {len(edges)}")
    arr = np.array(edges, dtype=np.int64).reshape(-1, 2)
    r.check_ids(arr, np.array(lines), n_nodes)
    check_graph_edges(r, arr, np.array(lines))
    return r, n_nodes, arr


@register
class MIS(Problem):
    """Maximum independent set of a simple undirected graph.

    Args:
        num_nodes: n.
        edges: shape (E, 2), 0-based vertex indices (duplicates and orientation ignored).
        labels: original vertex labels, default 0..n-1.
    """

    kind = "mis"
    sense = "max"

    def __init__(self, num_nodes: int, edges, labels: list | None = None, name: str | None = None,
                 optimum: float | None = None, source: str | None = None):
        super().__init__(name, optimum, source)
        n = int(num_nodes)
        e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        if e.size and (e.min() < 0 or e.max() >= n):
            raise OptionError(f"edge endpoint outside 0..{n - 1}")
        if np.any(e[:, 0] == e[:, 1]):
            raise OptionError("MIS graphs may not have self-loops")
        self.n = n
        self.edges = np.unique(np.sort(e, axis=1), axis=0) if e.size else e
        self.labels = list(labels) if labels is not None else list(range(n))
        if len(self.labels) != n:
            raise OptionError(f"{len(self.labels)} labels for {n} vertices")
        u, v = self.edges[:, 0], self.edges[:, 1]
        ones = np.ones(2 * len(u))
        self.adjacency = sp.csr_matrix((ones, (np.r_[u, v], np.r_[v, u])), shape=(n, n))
        self.degree = np.asarray(self.adjacency.sum(axis=1)).ravel().astype(np.int64)

    @property
    def num_vars(self) -> int:
        return self.n

    # ---- construction ------------------------------------------------------------------------
    @classmethod
    def from_graph(cls, G, name: str | None = None, optimum: float | None = None) -> MIS:
        """From a networkx graph; nodes become 0..n-1 in ``G.nodes`` order, labels kept."""
        labels, edges, _ = graph_arrays(G)
        return cls(len(labels), edges, labels, name=name or "graph", optimum=optimum)

    def to_graph(self):
        import networkx as nx

        G = nx.Graph()
        G.add_nodes_from(range(self.n))
        G.add_edges_from(self.edges.tolist())
        return G

    @classmethod
    def read(cls, path, name: str | None = None, optimum: float | None = None) -> MIS:
        """Read a DIMACS edge file (see module docstring); labels are the file's 1-based ids."""
        _, n, edges = read_dimacs(path)
        return cls(n, edges - 1, list(range(1, n + 1)), name=name or Path(path).name,
                   optimum=optimum, source=str(path))

    def write(self, path) -> None:
        """Write in DIMACS edge format (vertex i as id i + 1)."""
        lines = [f"p edge {self.n} {len(self.edges)}",
                 *(f"e {u + 1} {v + 1}" for u, v in self.edges.tolist())]
        Path(path).write_text("\n".join(lines) + "\n")

    @classmethod
    def generate(cls, size, seed: int | None = None) -> MIS:
        """G(n, p) random graph: ``size`` = n (p = 0.3) or (n, p)."""
        n, p = (int(size), 0.3) if np.ndim(size) == 0 else (int(size[0]), float(size[1]))
        if n < 1 or not 0.0 <= p <= 1.0:
            raise OptionError(f"mis size needs n >= 1 and 0 <= p <= 1, got {size}")
        edges = gnp_edges(n, p, np.random.default_rng(seed))
        return cls(n, edges, name=f"mis_gnp_n{n}_p{p:g}_s{seed}")

    # ---- native objective ----------------------------------------------------------------------
    def evaluate_batch(self, X):
        return X.sum(axis=1, dtype=np.int64).astype(float)

    def violation_batch(self, X):
        """Number of edges with both ends chosen."""
        if not len(self.edges):
            return np.zeros(X.shape[0])
        # sum over edges of x_u x_v = x'(A x) / 2; dense float32 A up to 2048 vertices (exact:
        # x'Ax < 2^24), sparse float64 beyond
        if self.n <= 2048:
            Xf = X.astype(np.float32)
            AX = Xf @ self._dense_adjacency
        else:
            Xf = X.astype(np.float64)
            AX = np.asarray((self.adjacency @ Xf.T).T)
        return np.rint(np.einsum("ij,ij->i", AX, Xf, dtype=np.float64) / 2)

    @cached_property
    def _dense_adjacency(self) -> np.ndarray:
        return self.adjacency.toarray().astype(np.float32)

    def build_program(self) -> BinaryProgram:
        prog = BinaryProgram(self.n, np.ones(self.n), sense="max", name=self.name)
        m = len(self.edges)
        rows = np.repeat(np.arange(m), 2)
        incidence = sp.csr_matrix((np.ones(2 * m), (rows, self.edges.reshape(-1))),
                                  shape=(m, self.n))
        prog.add_constraints(incidence, "<=", 1.0,
                             names=[f"edge{u}_{v}" for u, v in self.edges.tolist()])
        return prog

    def decode(self, bits) -> list:
        """Chosen vertices as their original labels, sorted."""
        return sorted_labels(self.labels, np.flatnonzero(np.asarray(bits).reshape(-1)))

    def encode(self, solution) -> np.ndarray:
        return encode_labels(self.labels, solution, self.n)

    # ---- post-processing -----------------------------------------------------------------------
    def repair(self, x) -> np.ndarray:
        """Drop the chosen vertex with most chosen neighbours until independent, then add free
        vertices in order of increasing degree."""
        x = np.asarray(x, dtype=np.uint8).reshape(-1).copy()
        A = self.adjacency
        conflicts = (A @ x.astype(float)) * x
        while conflicts.max(initial=0.0) > 0:
            v = int(np.argmax(conflicts))
            x[v] = 0
            nb = A.indices[A.indptr[v]:A.indptr[v + 1]]
            conflicts[nb] -= x[nb]
            conflicts[v] = 0
        blocked = (A @ x.astype(float)) > 0
        for v in np.argsort(self.degree, kind="stable"):
            if not x[v] and not blocked[v]:
                x[v] = 1
                blocked[A.indices[A.indptr[v]:A.indptr[v + 1]]] = True
        return x

    def repair_batch(self, X) -> np.ndarray:
        """:meth:`repair` of every row of X (k, n), compiled or vectorised over rows
        (:func:`qopt.problems.independent_set_repair.greedy_independent_repair`, the same
        results)."""
        X = np.atleast_2d(np.asarray(X, dtype=np.uint8))
        return greedy_independent_repair(X, self.adjacency, self.degree)

    def describe(self) -> dict:
        d = super().describe()
        d.update(nodes=self.n, num_edges=len(self.edges), edges=self.edges.tolist(),
                 labels=[_plain(v) for v in self.labels],
                 density=2 * len(self.edges) / max(self.n * (self.n - 1), 1),
                 max_degree=int(self.degree.max(initial=0)))
        return d
