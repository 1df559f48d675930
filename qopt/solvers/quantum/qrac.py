"""Quantum random access codes for QRAO (Fuller et al., arXiv:2111.03167).

A ``(q, 1)`` QRAC (q = 1, 2, 3) stores up to q bits in one qubit: the bits ``b`` of one qubit
are the state with Bloch vector ``((-1)^b_0, (-1)^b_1, (-1)^b_2) / sqrt(3)`` over (X, Y, Z)
for q = 3, ``((-1)^b_0, 0, (-1)^b_1) / sqrt(2)`` over (X, Z) for q = 2, and ``|b_0>`` for q = 1.
Variable ``i`` lives on qubit ``qubit_of[i]`` as Pauli ``pauli_of[i]`` (a Pauli *basis* index
of :mod:`qopt.solvers.quantum.pce_encoding`: 0 = Z, 1 = X, 2 = Y). Qubit q is bit q of a basis
state (:mod:`qopt.bits`).

Variables are assigned to qubits by a greedy colouring (networkx) of the QUBO's interaction
graph: the variables of one colour share no term, so they may share a qubit. Colours are taken
in order, the variables of a colour in increasing index, q at a time onto consecutive qubits,
at positions X, Y, Z (q = 3), X, Z (q = 2) or Z (q = 1) — the convention of qiskit-optimization
(whose qubit i is our qubit ``num_qubits - 1 - i``).

The relaxed Hamiltonian replaces each spin ``z_i`` of the QUBO's Ising form by
``sqrt(q) P_i``: ``H = sum_i h_i sqrt(q) P_i + sum_{i<j} J_ij q P_i P_j + offset``, so that the
QRAC state of any bitstring x has ``<H> = E(x)``.

Roundings: *semideterministic* (Pauli) rounding sets ``x_i = 1`` iff ``<P_i> <= 0`` (values
within ``atol`` of 0 are decided by a fair coin); *magic* rounding measures each qubit in one of
the 2^(q-1) magic bases chosen uniformly at random per shot and decodes the outcome into q bits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from qopt.errors import OptionError
from qopt.solvers.base import Samples, rng_from
from qopt.solvers.quantum.pce_encoding import (
    BASIS_LETTERS,
    CorrelatorEncoding,
    check_fwht_width,
    num_qubits_of,
)

_X, _Y, _Z = 1, 2, 0
#: Pauli (basis index) of each position on a qubit, per number of variables per qubit
POSITION_PAULIS = {1: (_Z,), 2: (_X, _Z), 3: (_X, _Y, _Z)}
#: decoding of magic-basis outcomes: DECODE[q][basis][outcome] = bits at positions 0..q-1
#: (basis c holds the QRAC states of the bits listed for outcome 0 and of their complement)
DECODE = {
    3: np.array([[[0, 0, 0], [1, 1, 1]], [[0, 1, 1], [1, 0, 0]],
                 [[1, 0, 1], [0, 1, 0]], [[1, 1, 0], [0, 0, 1]]], dtype=np.uint8),
    2: np.array([[[0, 0], [1, 1]], [[0, 1], [1, 0]]], dtype=np.uint8),
    1: np.array([[[0], [1]]], dtype=np.uint8),
}


def color_variables(qubo, strategy: str = "largest_first") -> dict[int, list[int]]:
    """Greedy colouring of the QUBO's interaction graph: colour -> sorted variables."""
    import networkx as nx

    U = qubo.quadratic.tocoo()
    graph = nx.Graph()
    graph.add_nodes_from(range(qubo.num_vars))
    keep = U.data != 0
    graph.add_edges_from(zip(U.row[keep].tolist(), U.col[keep].tolist()))
    node2color = nx.greedy_color(graph, strategy=strategy)
    groups: dict[int, list[int]] = defaultdict(list)
    for node, color in sorted(node2color.items()):
        groups[color].append(node)
    return dict(sorted(groups.items()))


def bloch_vector(bits, q: int) -> np.ndarray:
    """Bloch vector (x, y, z) of the QRAC state of one qubit's bits (length <= q), shape (3,)."""
    b = list(bits) + [0] * (q - len(bits))
    s = [1 - 2 * int(v) for v in b]
    vec = np.zeros(3)
    axis = {_X: 0, _Y: 1, _Z: 2}
    for pos, pauli in enumerate(POSITION_PAULIS[q]):
        vec[axis[pauli]] = s[pos]
    return vec / np.sqrt(q)


def bloch_state(vec) -> np.ndarray:
    """Pure one-qubit state [a, b] with Bloch vector ``vec`` (normalised), shape (2,) complex."""
    x, y, z = np.asarray(vec, dtype=float) / np.linalg.norm(vec)
    theta = np.arccos(np.clip(z, -1.0, 1.0))
    phi = np.arctan2(y, x)
    return np.array([np.cos(theta / 2), np.exp(1j * phi) * np.sin(theta / 2)])


def magic_basis_unitaries(q: int) -> np.ndarray:
    """``V_c``, shape (2^(q-1), 2, 2): column o is the QRAC state of ``DECODE[q][c][o]``."""
    out = np.empty((len(DECODE[q]), 2, 2), dtype=np.complex128)
    for c, (b0, _) in enumerate(DECODE[q]):
        s0 = bloch_state(bloch_vector(b0, q))
        s1 = np.array([-np.conj(s0[1]), np.conj(s0[0])])   # orthogonal: the antipodal state
        out[c, :, 0], out[c, :, 1] = s0, s1
    return out


def apply_one_qubit_gates(psi: np.ndarray, gates: np.ndarray) -> np.ndarray:
    """``gates[q]`` (2x2) on every qubit q of ``psi`` through the statevector engine's
    cache-blocked product pass; returns a new array."""
    from qopt.solvers.quantum.pce_encoding import _engine

    out = np.array(psi, dtype=np.complex128, copy=True)
    return _engine(num_qubits_of(out)).apply_product(gates, out)


@dataclass
class QRACEncoding:
    """Assignment of QUBO variables to (qubit, Pauli) pairs; see the module docstring.

    Attributes:
        max_vars_per_qubit: q in {1, 2, 3}.
        qubit_of: shape (m,) int, the qubit of each variable.
        position_of: shape (m,) int, the variable's position on its qubit (0 .. q-1).
        q2vars: per qubit, its variables in position order.
    """

    max_vars_per_qubit: int
    qubit_of: np.ndarray
    position_of: np.ndarray
    q2vars: list[list[int]]

    @classmethod
    def from_qubo(cls, qubo, max_vars_per_qubit: int = 3, strategy: str = "largest_first"
                  ) -> QRACEncoding:
        q = int(max_vars_per_qubit)
        if q not in (1, 2, 3):
            raise OptionError(f"max_vars_per_qubit must be 1, 2 or 3, got {max_vars_per_qubit!r}")
        qubit_of = np.empty(qubo.num_vars, dtype=np.int64)
        position_of = np.empty(qubo.num_vars, dtype=np.int64)
        q2vars: list[list[int]] = []
        for members in color_variables(qubo, strategy).values():
            for start in range(0, len(members), q):
                chunk = members[start:start + q]
                for pos, v in enumerate(chunk):
                    qubit_of[v], position_of[v] = len(q2vars), pos
                q2vars.append(chunk)
        return cls(q, qubit_of, position_of, q2vars)

    @property
    def num_qubits(self) -> int:
        return len(self.q2vars)

    @property
    def num_vars(self) -> int:
        return int(self.qubit_of.shape[0])

    @property
    def compression_ratio(self) -> float:
        return self.num_vars / max(self.num_qubits, 1)

    @property
    def pauli_of(self) -> np.ndarray:
        """Pauli basis index (0 = Z, 1 = X, 2 = Y) of each variable, shape (m,)."""
        return np.asarray(POSITION_PAULIS[self.max_vars_per_qubit])[self.position_of]

    def check_commuting(self, qubo) -> None:
        """Raise if two variables of one qubit share a QUBO term (the colouring guarantees not)."""
        U = qubo.quadratic.tocoo()
        clash = self.qubit_of[U.row] == self.qubit_of[U.col]
        if np.any(clash & (U.data != 0)):
            i = int(np.flatnonzero(clash)[0])
            raise OptionError(f"variables {U.row[i]} and {U.col[i]} share a term and a qubit")

    def correlator_encoding(self) -> CorrelatorEncoding:
        """The variables' one-body Paulis as a :class:`CorrelatorEncoding` (FWHT evaluation)."""
        return CorrelatorEncoding(self.num_qubits, 1, self.pauli_of.astype(np.int64),
                                  np.left_shift(np.int64(1), self.qubit_of))

    # ---- relaxed Hamiltonian -----------------------------------------------------------------
    def relaxed_terms(self, qubo) -> tuple[list[tuple[str, list[int], float]], float]:
        """Sparse Pauli terms ``(letters, qubits, coefficient)`` of H without the offset, and
        the offset."""
        ising = qubo.to_ising()
        d = np.sqrt(self.max_vars_per_qubit)
        letters = [BASIS_LETTERS[p] for p in self.pauli_of]
        terms: list[tuple[str, list[int], float]] = []
        for i in np.flatnonzero(ising.h):
            terms.append((letters[i], [int(self.qubit_of[i])], float(ising.h[i] * d)))
        J = ising.J.tocoo()
        for i, j, w in zip(J.row, J.col, J.data):
            if w == 0:
                continue
            qi, qj = int(self.qubit_of[i]), int(self.qubit_of[j])
            if qi == qj:
                raise OptionError(f"variables {i} and {j} share a term and qubit {qi}")
            terms.append((letters[i] + letters[j], [qi, qj], float(w * d * d)))
        return terms, float(ising.offset)

    def relaxed_hamiltonian(self, qubo, *, include_offset: bool = True):
        """The relaxed Hamiltonian as a Qiskit ``SparsePauliOp`` (offset as an identity term)."""
        from qiskit.quantum_info import SparsePauliOp

        terms, offset = self.relaxed_terms(qubo)
        if include_offset:
            terms = [*terms, ("", [], offset)]
        if not terms:
            terms = [("", [], 0.0)]
        return SparsePauliOp.from_sparse_list(terms, num_qubits=self.num_qubits).simplify(atol=0)

    # ---- states ----------------------------------------------------------------------------
    def qubit_bits(self, x) -> list[list[int]]:
        x = np.asarray(x, dtype=np.uint8).reshape(-1)
        return [[int(x[v]) for v in vs] for vs in self.q2vars]

    def encoded_state(self, x) -> np.ndarray:
        """The product QRAC state of bitstring x, shape (2^num_qubits,) complex."""
        from qopt.solvers.quantum.pce_encoding import _engine

        check_fwht_width(self.num_qubits, "a QRAC state")
        amps = np.array([bloch_state(bloch_vector(bits, self.max_vars_per_qubit))
                         for bits in self.qubit_bits(x)])
        psi = np.empty(1 << self.num_qubits, dtype=np.complex128)
        return _engine(self.num_qubits).reset_product(amps[:, 0], amps[:, 1], psi)

    def expectations(self, psi: np.ndarray) -> np.ndarray:
        """``<P_i>`` of every variable's Pauli (unscaled) on a statevector, shape (m,)."""
        return self.correlator_encoding().correlators(psi)

    # ---- roundings ---------------------------------------------------------------------------
    def decode_magic(self, bases: np.ndarray, outcomes: np.ndarray) -> np.ndarray:
        """Variable bits of magic-basis measurements: bases and outcome bits of shape (S, n)
        -> (S, m) uint8."""
        table = DECODE[self.max_vars_per_qubit]
        per_qubit = table[bases, outcomes]                      # (S, n, q)
        return per_qubit[:, self.qubit_of, self.position_of]   # (S, m)

    def sample_bases(self, shots: int, rng) -> tuple[np.ndarray, np.ndarray]:
        """Uniform magic bases per shot, grouped: (unique rows (B, n), shots per row (B,))."""
        nb = len(DECODE[self.max_vars_per_qubit])
        draws = rng.integers(nb, size=(shots, self.num_qubits))
        rows, counts = np.unique(draws, axis=0, return_counts=True)
        return rows, counts

    def magic_rounding_statevector(self, psi: np.ndarray, shots: int, seed=None) -> Samples:
        """Magic rounding of a statevector: ``shots`` draws, bases uniform per shot and qubit.

        Returns the decoded variable rows (unique) with their counts as weights.
        """
        rng = rng_from(seed)
        n = self.num_qubits
        if num_qubits_of(psi) != n:
            raise OptionError(f"statevector on {num_qubits_of(psi)} qubits, encoding on {n}")
        V = magic_basis_unitaries(self.max_vars_per_qubit)
        Vdag = np.conj(np.transpose(V, (0, 2, 1)))
        rows, counts = self.sample_bases(int(shots), rng)
        from qopt.bits import indices_to_bits

        all_bits, all_w = [], []
        for row, cnt in zip(rows, counts):
            rot = apply_one_qubit_gates(psi, Vdag[row])
            p = rot.real ** 2 + rot.imag ** 2
            hits = rng.multinomial(int(cnt), p / p.sum())
            idx = np.flatnonzero(hits)
            outcomes = indices_to_bits(idx, n)
            all_bits.append(self.decode_magic(np.broadcast_to(row, outcomes.shape), outcomes))
            all_w.append(hits[idx].astype(float))
        return merge_counts(np.vstack(all_bits), np.concatenate(all_w))

    def magic_rounding_circuits(self, circuit, shots: int, seed=None):
        """(basis rows (B, n), shots per row (B,), circuits): ``circuit`` followed by each row's
        inverse magic-basis rotation, for sampling backends (measure every qubit after it)."""
        from qiskit.circuit.library import UnitaryGate

        rng = rng_from(seed)
        V = magic_basis_unitaries(self.max_vars_per_qubit)
        rows, counts = self.sample_bases(int(shots), rng)
        circuits = []
        for row in rows:
            qc = circuit.copy()
            for qb, c in enumerate(row):
                qc.append(UnitaryGate(np.conj(V[c].T)), [qb])
            circuits.append(qc)
        return rows, counts, circuits


class ProductRelaxation:
    """The relaxed Hamiltonian on product states, in closed form (no 2^n vector).

    Qubit q is the pure state with Bloch angles ``(theta_q, phi_q)``; variable i reads
    ``e_i = <P_i> = r_{qubit_of[i]}[axis of P_i]``, and since the colouring keeps the two
    variables of every term on different qubits, ``<H> = a.e + e'Be + offset`` with
    ``a = sqrt(q) h`` and ``B = q J``. Parameters are ``angles`` of shape (2n,): all thetas,
    then all phis. This is QRAO with a product-state (zero-entangler) ansatz; it scales to any
    number of qubits.
    """

    def __init__(self, encoding: QRACEncoding, qubo):
        ising = qubo.to_ising()
        q = encoding.max_vars_per_qubit
        self.encoding = encoding
        self.a = np.asarray(ising.h, dtype=float) * np.sqrt(q)
        B = ising.J.tocsr() * float(q)
        self.B = B
        self.Bsym = (B + B.T).tocsr()
        self.offset = float(ising.offset)
        self.num_qubits = encoding.num_qubits
        axis = {_X: 0, _Y: 1, _Z: 2}
        self.axis = np.array([axis[int(p)] for p in encoding.pauli_of], dtype=np.int64)
        self.qubit = encoding.qubit_of

    @property
    def num_params(self) -> int:
        return 2 * self.num_qubits

    def bloch(self, angles: np.ndarray) -> np.ndarray:
        """Bloch vectors, shape (n, 3)."""
        th, ph = np.asarray(angles, dtype=float).reshape(2, self.num_qubits)
        return np.stack([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)], axis=1)

    def expectations(self, angles: np.ndarray) -> np.ndarray:
        """``<P_i>``, shape (m,)."""
        return self.bloch(angles)[self.qubit, self.axis]

    def value_and_grad(self, angles: np.ndarray) -> tuple[float, np.ndarray]:
        """(<H>, d<H>/d angles) of shape (2n,)."""
        th, ph = np.asarray(angles, dtype=float).reshape(2, self.num_qubits)
        e = self.expectations(angles)
        value = float(self.a @ e + e @ (self.B @ e) + self.offset)
        g = self.a + self.Bsym @ e                              # d<H>/de_i
        st, ct, sp_, cp = np.sin(th), np.cos(th), np.sin(ph), np.cos(ph)
        d_th = np.stack([ct * cp, ct * sp_, -st], axis=1)[self.qubit, self.axis]
        d_ph = np.stack([-st * sp_, st * cp, np.zeros_like(st)], axis=1)[self.qubit, self.axis]
        n = self.num_qubits
        grad = np.concatenate([np.bincount(self.qubit, g * d_th, n),
                               np.bincount(self.qubit, g * d_ph, n)])
        return value, grad

    def magic_rounding(self, angles: np.ndarray, shots: int, seed=None) -> Samples:
        """Magic rounding of the product state: every qubit measured independently."""
        rng = rng_from(seed)
        q = self.encoding.max_vars_per_qubit
        r = self.bloch(angles)                                   # (n, 3)
        V = magic_basis_unitaries(q)
        v0 = np.array([bloch_vector(DECODE[q][c][0], q) for c in range(len(V))])  # (C, 3)
        v0 /= np.linalg.norm(v0, axis=1, keepdims=True)
        bases = rng.integers(len(V), size=(int(shots), self.num_qubits))
        p0 = 0.5 * (1.0 + np.einsum("sqk,qk->sq", v0[bases], r))
        outcomes = (rng.random(bases.shape) >= p0).astype(np.int64)
        bits = self.encoding.decode_magic(bases, outcomes)
        return merge_counts(bits, np.ones(len(bits)))


def merge_counts(bits: np.ndarray, counts: np.ndarray) -> Samples:
    """Unique rows of ``bits`` (S, m) with their summed ``counts`` (S,) as weights."""
    rows, inverse = np.unique(bits, axis=0, return_inverse=True)
    total = np.bincount(inverse.reshape(-1), weights=counts, minlength=len(rows))
    return Samples(rows, total)


def semideterministic_rounding(expectations: np.ndarray, seed=None, atol: float = 1e-8
                               ) -> np.ndarray:
    """``x_i = 1`` iff ``<P_i> <= 0``; ``|<P_i>| <= atol`` is decided by a fair coin. (m,) uint8."""
    e = np.asarray(expectations, dtype=float).reshape(-1)
    rng = rng_from(seed)
    coin = rng.integers(2, size=e.shape[0])
    return np.where(np.abs(e) <= atol, coin, e <= 0).astype(np.uint8)


__all__ = [
    "DECODE", "POSITION_PAULIS", "ProductRelaxation", "QRACEncoding", "apply_one_qubit_gates",
    "bloch_state", "bloch_vector", "color_variables", "magic_basis_unitaries", "merge_counts",
    "semideterministic_rounding",
]
