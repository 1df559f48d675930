"""Circuit -> hypergraph of Andres-Martinez and Heunen (ebits = connectivity minus one).

The circuit is rewritten into CZ + one-qubit gates. Vertices: one per qubit (ids ``0..n-1``,
weight 1) and one per CZ gate (ids ``n..n+g-1``, weight 0), gates numbered in circuit order.
With ``keep_diagonal=True`` RZZ gates are kept instead of being split into two CZs and a wire
flip; like CZ they are diagonal, so one cat-entangled copy of a qubit implements them remotely
(other diagonal two-qubit gates, see :data:`DIAGONAL_TWO_QUBIT`, are accepted the same way).
For every qubit, each maximal run of CZ gates on its wire that no non-diagonal one-qubit gate
interrupts (diagonal gates such as RZ, Z, S, T, P do not) forms one hyperedge: the qubit's vertex
plus the run's gate vertices. A run costs (number of QPUs it spans - 1) ebits: one
cat-entanglement per remote QPU. The ebit count of an assignment of vertices to QPUs is the sum
over hyperedges of (blocks spanned - 1), the km1 metric of the partitioner.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qopt.errors import OptionError

#: basis the circuit is rewritten into before the hypergraph is built
CZ_BASIS = ("cz", "rz", "sx", "x")
#: basis with RZZ kept (``keep_diagonal=True``)
DIAGONAL_BASIS = ("cz", "rzz", "rz", "sx", "x")

#: two-qubit gates diagonal in the computational basis: each is one gate vertex. Like CZ, each
#: can be applied across QPUs from one cat-entangled copy of either qubit, and none breaks a run.
DIAGONAL_TWO_QUBIT = frozenset({"cz", "rzz", "cp", "cu1", "crz", "cs", "csdg"})

#: one-qubit gates known to be diagonal in the computational basis (do not break a run)
_DIAGONAL = frozenset({"rz", "z", "s", "sdg", "t", "tdg", "p", "u1", "id", "delay"})
#: instructions that carry no quantum operation on the wire
_IGNORED = frozenset({"barrier"})


@dataclass
class CircuitHypergraph:
    """The hypergraph of a CZ-basis circuit.

    Attributes:
        num_qubits: n, qubit vertices ``0..n-1`` (weight 1).
        gates: CZ (diagonal two-qubit) gates in circuit order, shape (g, 2) int64 (their qubits);
            gate j is vertex ``n + j`` (weight 0).
        edge_index: CSR offsets into ``pins``, shape (E + 1,).
        pins: vertex ids of all hyperedges, concatenated, shape (P,).
        edge_qubit: the qubit whose wire each hyperedge runs along, shape (E,).
    """

    num_qubits: int
    gates: np.ndarray
    edge_index: np.ndarray
    pins: np.ndarray
    edge_qubit: np.ndarray

    @property
    def num_gates(self) -> int:
        return int(self.gates.shape[0])

    @property
    def num_vertices(self) -> int:
        return self.num_qubits + self.num_gates

    @property
    def num_edges(self) -> int:
        return int(self.edge_qubit.shape[0])

    def hyperedges(self) -> list[list[int]]:
        """Hyperedges as lists of vertex ids (for engines that take nested lists)."""
        return [self.pins[a:b].tolist() for a, b in zip(self.edge_index[:-1], self.edge_index[1:])]

    def vertex_assignment(self, qubit_to_qpu, gate_to_qpu) -> np.ndarray:
        """Concatenate qubit and gate blocks into one vertex -> block array, shape (n + g,)."""
        q = np.asarray(qubit_to_qpu, dtype=np.int64).reshape(-1)
        g = np.asarray(gate_to_qpu, dtype=np.int64).reshape(-1)
        if q.shape != (self.num_qubits,) or g.shape != (self.num_gates,):
            raise OptionError(f"need {self.num_qubits} qubit and {self.num_gates} gate blocks, "
                              f"got {q.shape[0]} and {g.shape[0]}")
        return np.concatenate([q, g])

    def edge_connectivity(self, assignment) -> np.ndarray:
        """Number of distinct blocks each hyperedge spans, shape (E,), for a vertex assignment."""
        a = np.asarray(assignment, dtype=np.int64).reshape(-1)
        if a.shape != (self.num_vertices,):
            raise OptionError(f"assignment needs {self.num_vertices} entries, got {a.shape[0]}")
        if self.num_edges == 0:
            return np.zeros(0, dtype=np.int64)
        k = int(a.max()) + 1 if a.size else 1
        edge_of_pin = np.repeat(np.arange(self.num_edges), np.diff(self.edge_index))
        keys = np.unique(edge_of_pin * k + a[self.pins])
        return np.bincount(keys // k, minlength=self.num_edges)

    def ebits(self, assignment) -> int:
        """Ebits of a vertex -> block assignment: sum over hyperedges of (blocks spanned - 1)."""
        lam = self.edge_connectivity(assignment)
        return int(np.sum(lam - 1)) if lam.size else 0

    def cut_gates(self, qubit_to_qpu) -> int:
        """Number of CZ gates whose two qubits sit on different QPUs (one ebit each, naively)."""
        q = np.asarray(qubit_to_qpu, dtype=np.int64).reshape(-1)
        if self.num_gates == 0:
            return 0
        return int(np.count_nonzero(q[self.gates[:, 0]] != q[self.gates[:, 1]]))

    def interaction_graph(self) -> tuple[np.ndarray, np.ndarray]:
        """Qubit pairs (i < j) that share CZ gates, shape (m, 2), and their gate counts (m,)."""
        if self.num_gates == 0:
            return np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64)
        pairs = np.sort(self.gates, axis=1)
        uniq, counts = np.unique(pairs, axis=0, return_counts=True)
        return uniq, counts


def _is_diagonal(op, cache: dict) -> bool:
    """Whether a one-qubit operation is diagonal in the computational basis."""
    name = op.name
    if name in _DIAGONAL:
        return True
    if name in ("measure", "reset"):
        return False
    key = (name, tuple(repr(p) for p in op.params))
    if key not in cache:
        try:
            m = np.asarray(op.to_matrix())
            cache[key] = bool(abs(m[0, 1]) < 1e-12 and abs(m[1, 0]) < 1e-12)
        except Exception:  # no matrix (parametrised / non-unitary): treat as a run break
            cache[key] = False
    return cache[key]


def to_cz_basis(circuit, *, optimization_level: int = 1, keep_diagonal: bool = False):
    """Rewrite ``circuit`` into CZ + one-qubit gates (Qiskit transpile, no coupling map).

    Optimisation level 1 merges adjacent one-qubit gates, so e.g. ``H H`` between two CZs on the
    same wire disappears and does not break a run. ``keep_diagonal`` also keeps RZZ.
    """
    from qiskit import transpile

    if circuit.num_parameters:
        raise OptionError(f"the circuit has {circuit.num_parameters} unbound parameters; bind them "
                          "(assign_parameters) before partitioning")
    basis = DIAGONAL_BASIS if keep_diagonal else CZ_BASIS
    return transpile(circuit, basis_gates=list(basis), optimization_level=optimization_level,
                     seed_transpiler=0)


def build_hypergraph(cz_circuit) -> CircuitHypergraph:
    """The hypergraph of a circuit already in CZ + one-qubit form (see :func:`to_cz_basis`).

    One pass over the instructions, O(gates).
    """
    n = cz_circuit.num_qubits
    qindex = {q: i for i, q in enumerate(cz_circuit.qubits)}
    gates: list[tuple[int, int]] = []
    open_run: list[list[int] | None] = [None] * n  # gate ids of the current run of each wire
    runs: list[tuple[int, list[int]]] = []
    cache: dict = {}

    def close(q: int) -> None:
        run = open_run[q]
        if run:
            runs.append((q, run))
        open_run[q] = None

    for inst in cz_circuit.data:
        op = inst.operation
        name = op.name
        if name in _IGNORED:
            continue
        qs = [qindex[q] for q in inst.qubits]
        if getattr(op, "blocks", None):
            raise OptionError(f"control-flow instruction {name!r} is not supported by the "
                              "partitioner; unroll it first")
        if name in DIAGONAL_TWO_QUBIT:
            a, b = qs
            gid = len(gates)
            gates.append((a, b))
            for q in (a, b):
                if open_run[q] is None:
                    open_run[q] = [gid]
                else:
                    open_run[q].append(gid)
        elif len(qs) == 1:
            if not _is_diagonal(op, cache):
                close(qs[0])
        elif len(qs) == 0:
            continue
        else:
            raise OptionError(f"instruction {name!r} on {len(qs)} qubits is not CZ (or another "
                              "diagonal two-qubit gate); rewrite the circuit into CZ + one-qubit "
                              "gates first (to_cz_basis)")
    for q in range(n):
        close(q)

    g = len(gates)
    sizes = np.fromiter((1 + len(r) for _, r in runs), dtype=np.int64, count=len(runs))
    edge_index = np.zeros(len(runs) + 1, dtype=np.int64)
    np.cumsum(sizes, out=edge_index[1:])
    pins = np.empty(int(edge_index[-1]), dtype=np.int64)
    for e, (q, run) in enumerate(runs):
        start = edge_index[e]
        pins[start] = q
        pins[start + 1:edge_index[e + 1]] = np.asarray(run, dtype=np.int64) + n
    edge_qubit = np.fromiter((q for q, _ in runs), dtype=np.int64, count=len(runs))
    gate_arr = np.asarray(gates, dtype=np.int64).reshape(g, 2)
    return CircuitHypergraph(n, gate_arr, edge_index, pins, edge_qubit)


def circuit_hypergraph(circuit, *, optimization_level: int = 1, keep_diagonal: bool = False):
    """(CZ-basis circuit, its hypergraph) for any Qiskit circuit."""
    cz = to_cz_basis(circuit, optimization_level=optimization_level, keep_diagonal=keep_diagonal)
    return cz, build_hypergraph(cz)


__all__ = ["CZ_BASIS", "DIAGONAL_BASIS", "DIAGONAL_TWO_QUBIT", "CircuitHypergraph",
           "build_hypergraph", "circuit_hypergraph", "to_cz_basis"]
