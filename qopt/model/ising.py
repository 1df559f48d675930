"""Ising form: ``E(z) = h.z + sum_{i<j} J_ij z_i z_j + (higher-order spin terms) + offset``.

Spins z in {+1, -1}; z_i = +1 is |0> (x_i = 0), so ``x_i = (1 - z_i) / 2``. Terms of degree >= 3
are kept in ``higher`` as groups (see :mod:`qopt.model.poly`): ``{d: (idx (k, d) int32,
coef (k,))}``, meaning ``coef[r] * prod_j z[idx[r, j]]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from qopt.model.poly import Groups, groups_values


@dataclass
class Ising:
    """``E(z) = sum_i h_i z_i + sum_{i<j} J_ij z_i z_j + higher + offset``, z in {+1, -1}^n."""

    h: np.ndarray
    J: sp.csr_matrix
    offset: float
    higher: Groups = field(default_factory=dict)

    @property
    def num_spins(self) -> int:
        return len(self.h)

    @property
    def degree(self) -> int:
        higher = max((d for d, g in self.higher.items() if len(g[1])), default=0)
        return max(higher, 2 if self.J.nnz else (1 if np.any(self.h) else 0))

    def energy(self, z) -> np.ndarray | float:
        Z = np.atleast_2d(np.asarray(z, dtype=float))
        e = Z @ self.h + np.einsum("ij,ij->i", np.asarray(self.J.T.dot(Z.T).T), Z) + self.offset
        if self.higher:
            e = e + groups_values(self.higher, Z, spin=True)
        return float(e[0]) if np.ndim(z) == 1 else e

    def terms(self) -> tuple[list[tuple[int, ...]], np.ndarray]:
        """Non-zero terms as (qubit tuples, coefficients): singles, pairs i<j, then higher."""
        J = self.J.tocoo()
        singles = np.nonzero(self.h)[0]
        qubits = [(int(i),) for i in singles] + [(int(i), int(j)) for i, j in zip(J.row, J.col)]
        coeffs = [self.h[singles], J.data]
        for d in sorted(self.higher):
            idx, coef = self.higher[d]
            qubits += [tuple(row) for row in idx.tolist()]
            coeffs.append(coef)
        return qubits, np.concatenate(coeffs)

    def to_sparse_pauli_op(self):
        """Qiskit ``SparsePauliOp`` (Z on each qubit of a term; qubit i = spin i)."""
        from qiskit.quantum_info import SparsePauliOp

        qubits, coeffs = self.terms()
        items = [("Z" * len(q), list(q), float(c)) for q, c in zip(qubits, coeffs)]
        items.append(("", [], float(self.offset)))
        return SparsePauliOp.from_sparse_list(items, num_qubits=self.num_spins).simplify(atol=0)

    def to_pennylane(self):
        """PennyLane Hamiltonian (wire i = spin i), products of PauliZ for every term."""
        import pennylane as qml

        qubits, coeffs = self.terms()
        ops = [qml.Identity(0)]
        for q in qubits:
            op = qml.PauliZ(q[0])
            for w in q[1:]:
                op = op @ qml.PauliZ(w)
            ops.append(op)
        return qml.Hamiltonian([float(self.offset), *map(float, coeffs)], ops)
