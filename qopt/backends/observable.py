"""The cost observable of a backend call: a QUBO, an Ising model, a Qiskit ``SparsePauliOp`` or
a 2^n diagonal, in the forms backends need (diagonal, energies of basis states, Pauli sum),
built lazily. Basis index i is little-endian as in :mod:`qopt.bits`."""

from __future__ import annotations

import numpy as np

from qopt.backends.calls import check_exact_width
from qopt.bits import indices_to_bits
from qopt.errors import OptionError


def parity_signs(indices: np.ndarray, qubits) -> np.ndarray:
    """Z_{q1} Z_{q2} ... eigenvalues (+1 / -1) of basis states ``indices``, shape (m,)."""
    mask = 0
    for q in qubits:
        mask |= 1 << int(q)
    x = np.bitwise_and(np.asarray(indices, dtype=np.int64), mask)
    parity = np.zeros(x.shape, dtype=np.int64)
    while np.any(x):
        parity ^= x & 1
        x = x >> 1
    return 1.0 - 2.0 * parity


def pauli_diagonal_terms(op) -> list[tuple[tuple[int, ...], float]] | None:
    """A ``SparsePauliOp`` of only I/Z terms as [(qubits, real coefficient)], else None."""
    if np.any(op.paulis.x):
        return None
    out = []
    for z, c in zip(op.paulis.z, op.coeffs):
        out.append((tuple(int(q) for q in np.flatnonzero(z)), float(np.real(c))))
    return out


class Observable:
    """A cost observable in the forms backends need, built lazily and cached.

    Wraps a QUBO or HUBO, an Ising model (any order), a SparsePauliOp or a 2^n diagonal array.
    """

    def __init__(self, obj, num_qubits: int):
        from qopt.model.hubo import HUBO
        from qopt.model.ising import Ising

        self.obj = obj
        self.num_qubits = int(num_qubits)
        self._diag: np.ndarray | None = None
        self._order: np.ndarray | None = None
        self._pauli = None
        if isinstance(obj, HUBO | Ising):         # a QUBO is a HUBO (any degree)
            width = obj.num_vars if isinstance(obj, HUBO) else obj.num_spins
            self.diagonal_form = True
        elif isinstance(obj, np.ndarray):
            width = int(np.log2(obj.size)) if obj.size else -1
            if obj.ndim != 1 or (1 << max(width, 0)) != obj.size:
                raise OptionError(f"a diagonal observable needs 2^n entries, got shape {obj.shape}")
            self._diag = np.asarray(obj, dtype=float)
            self.diagonal_form = True
        elif hasattr(obj, "paulis") and hasattr(obj, "coeffs"):
            width = obj.num_qubits
            self.diagonal_form = pauli_diagonal_terms(obj) is not None
            self._pauli = obj
        else:
            raise OptionError("an observable must be a QUBO, an Ising model, a SparsePauliOp or "
                              f"a diagonal array, got {type(obj).__name__}")
        if width != self.num_qubits:
            raise OptionError(f"the observable acts on {width} qubits, the circuit has "
                              f"{self.num_qubits}")

    def diagonal(self) -> np.ndarray:
        """All 2^n energies (little-endian index); raises SizeLimitError before a huge alloc."""
        if self._diag is None:
            from qopt.model.hubo import HUBO

            if not self.diagonal_form:
                raise OptionError("this observable is not diagonal in the computational basis")
            if isinstance(self.obj, HUBO):
                self._diag = self.obj.diagonal()
            else:
                check_exact_width(self.num_qubits)
                self._diag = self.energies(np.arange(1 << self.num_qubits))
        return self._diag

    def order(self) -> np.ndarray:
        """Stable argsort of :meth:`diagonal` (cached; used by exact CVaR)."""
        if self._order is None:
            self._order = np.argsort(self.diagonal(), kind="stable")
        return self._order

    def energies(self, indices) -> np.ndarray:
        """Energies of basis states ``indices``, shape (m,)."""
        from qopt.model.hubo import HUBO
        from qopt.model.ising import Ising

        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if self._diag is not None:
            return self._diag[idx]
        if isinstance(self.obj, HUBO):
            return np.asarray(self.obj.energy(indices_to_bits(idx, self.num_qubits)), float)
        if isinstance(self.obj, Ising):
            z = 1.0 - 2.0 * indices_to_bits(idx, self.num_qubits)
            return np.asarray(self.obj.energy(z), float).reshape(-1)
        terms = pauli_diagonal_terms(self._pauli)
        if terms is None:
            raise OptionError("this observable is not diagonal in the computational basis")
        out = np.zeros(idx.shape)
        for qubits, c in terms:
            out += c * parity_signs(idx, qubits)
        return out

    def pauli(self):
        """The observable as a Qiskit ``SparsePauliOp``."""
        if self._pauli is None:
            from qiskit.quantum_info import SparsePauliOp

            from qopt.model.hubo import HUBO
            from qopt.model.ising import Ising

            if isinstance(self.obj, HUBO | Ising):
                self._pauli = self.obj.to_sparse_pauli_op()
            else:
                diag = self._diag
                # Walsh-Hadamard transform of the diagonal: coefficient of each Z-string
                coeffs = diag.copy()
                h = 1
                while h < coeffs.size:
                    c = coeffs.reshape(-1, 2, h)
                    a, b = c[:, 0, :].copy(), c[:, 1, :].copy()
                    c[:, 0, :], c[:, 1, :] = a + b, a - b
                    h *= 2
                coeffs /= coeffs.size
                keep = np.flatnonzero(np.abs(coeffs) > 1e-14)
                n = self.num_qubits
                items = [("Z" * bin(int(m)).count("1"),
                          [q for q in range(n) if (int(m) >> q) & 1], float(coeffs[m]))
                         for m in keep]
                self._pauli = SparsePauliOp.from_sparse_list(items or [("", [], 0.0)],
                                                             num_qubits=n)
        return self._pauli


__all__ = ["Observable", "parity_signs", "pauli_diagonal_terms"]
