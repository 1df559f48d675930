"""The engine's generic gate path (hardware-efficient ansaetze, PCE, VQE): one- and
two-qubit gates in numpy on reshaped views of the state, circuits of :class:`Op` s and
their adjoint gradient.
"""

from __future__ import annotations

import math

import numpy as np

from qopt.backends.statevector.gates import _FIXED, _PAULI, _ROTATIONS, Op, rotation_matrix
from qopt.errors import OptionError


class CircuitMixin:
    """Gate-path methods of :class:`~qopt.backends.statevector.StatevectorEngine` (mixed
    in; they use its ``state``, ``num_qubits``, ``xp``, ``_buffers``, ``expectation``)."""

    def _apply_1q_copy(self, psi, mat, qubit: int):
        out = psi.copy()
        return self.apply_1q(mat, qubit, out)

    def apply_1q(self, matrix, qubit: int, psi=None):
        """Apply a 2x2 ``matrix`` to ``qubit`` (in place)."""
        psi = self.state if psi is None else psi
        self._check_qubit(qubit)
        m = np.asarray(matrix, dtype=np.complex128)
        w = psi.reshape(-1, 2, 1 << qubit)
        a = w[:, 0, :].copy()
        b = w[:, 1, :]
        w[:, 0, :] = m[0, 0] * a + m[0, 1] * b
        w[:, 1, :] = m[1, 0] * a + m[1, 1] * b
        return psi

    def rx(self, theta: float, qubit: int, psi=None):
        return self.apply_1q(rotation_matrix("rx", theta), qubit, psi)

    def ry(self, theta: float, qubit: int, psi=None):
        return self.apply_1q(rotation_matrix("ry", theta), qubit, psi)

    def rz(self, theta: float, qubit: int, psi=None):
        return self.apply_1q(rotation_matrix("rz", theta), qubit, psi)

    def h(self, qubit: int, psi=None):
        return self.apply_1q(np.array([[1, 1], [1, -1]]) / math.sqrt(2), qubit, psi)

    def x(self, qubit: int, psi=None):
        return self.apply_1q(np.array([[0, 1], [1, 0]]), qubit, psi)

    def _pair_view(self, psi, a: int, b: int):
        """psi as shape (..., 2 [qubit hi], ..., 2 [qubit lo], ...) with index helpers."""
        self._check_qubit(a)
        self._check_qubit(b)
        if a == b:
            raise OptionError(f"two-qubit gate needs two different qubits, got {a} twice")
        lo, hi = min(a, b), max(a, b)
        n = self.num_qubits
        return psi.reshape(1 << (n - hi - 1), 2, 1 << (hi - lo - 1), 2, 1 << lo), lo, hi

    def apply_cz(self, a: int, b: int, psi=None):
        psi = self.state if psi is None else psi
        v, _, _ = self._pair_view(psi, a, b)
        v[:, 1, :, 1, :] *= -1
        return psi

    def apply_cx(self, control: int, target: int, psi=None):
        psi = self.state if psi is None else psi
        v, lo, _ = self._pair_view(psi, control, target)
        if control == lo:       # control is the low axis, target the high one
            t = v[:, 0, :, 1, :].copy()
            v[:, 0, :, 1, :] = v[:, 1, :, 1, :]
            v[:, 1, :, 1, :] = t
        else:
            t = v[:, 1, :, 0, :].copy()
            v[:, 1, :, 0, :] = v[:, 1, :, 1, :]
            v[:, 1, :, 1, :] = t
        return psi

    def rzz(self, theta: float, a: int, b: int, psi=None):
        """exp(-i theta Z_a Z_b / 2)."""
        psi = self.state if psi is None else psi
        v, _, _ = self._pair_view(psi, a, b)
        e = complex(math.cos(theta / 2), -math.sin(theta / 2))
        v[:, 0, :, 0, :] *= e
        v[:, 1, :, 1, :] *= e
        v[:, 0, :, 1, :] *= e.conjugate()
        v[:, 1, :, 0, :] *= e.conjugate()
        return psi

    def _check_qubit(self, q: int):
        if not 0 <= int(q) < self.num_qubits:
            raise OptionError(f"qubit {q} out of range for {self.num_qubits} qubits")

    def apply_op(self, op: Op, params, psi=None, *, inverse: bool = False):
        """Apply one :class:`Op` (or its inverse)."""
        psi = self.state if psi is None else psi
        s = -1.0 if inverse else 1.0
        if op.name in ("rx", "ry", "rz"):
            return self.apply_1q(rotation_matrix(op.name, s * op.theta(params)), op.qubits[0],
                                 psi)
        if op.name == "rzz":
            return self.rzz(s * op.theta(params), op.qubits[0], op.qubits[1], psi)
        if op.name == "h":
            return self.h(op.qubits[0], psi)
        if op.name == "x":
            return self.x(op.qubits[0], psi)
        if op.name == "cz":
            return self.apply_cz(op.qubits[0], op.qubits[1], psi)
        if op.name == "cx":
            return self.apply_cx(op.qubits[0], op.qubits[1], psi)
        raise OptionError(f"unknown gate {op.name!r}; known: {', '.join(_ROTATIONS + _FIXED)}")

    def run_circuit(self, ops, params, *, psi=None, initial: str = "zero"):
        """State after ``ops`` from |0...0> (``initial="zero"``) or |+...+> (``"plus"``)."""
        psi = self.state if psi is None else psi
        if initial == "plus":
            self.reset_plus(psi)
        else:
            psi.fill(0)
            psi[0] = 1.0
        for op in ops:
            self.apply_op(op, params, psi)
        return psi

    def circuit_expectation(self, ops, params, diag, *, initial: str = "zero") -> float:
        self.run_circuit(ops, params, initial=initial)
        return self.expectation(diag)

    def circuit_gradient(self, ops, params, diag, *, initial: str = "zero", weights=None
                         ) -> tuple[float, np.ndarray]:
        """(<D>, d<D>/d params) by the adjoint method; ``weights`` (shape (2^n,)) replaces
        the observable by ``weights`` in the backward sweep (e.g. the CVaR observable of
        :meth:`cvar_weights`)."""
        d = self._values(diag)
        psi = self.run_circuit(ops, params, initial=initial)
        value = self.expectation(d)
        phi, lam = self._buffers(2)
        phi[...] = psi
        self._mul(lam, psi, d if weights is None else weights)
        grad = np.zeros(len(params))
        xp = self.xp
        for op in reversed(ops):
            if op.param is not None and op.name in _ROTATIONS:
                # generator A = P / 2 (or ZZ / 2); dE/dtheta = 2 Im <lam|A|phi>
                if op.name == "rzz":
                    gphi = phi.copy()
                    v, _, _ = self._pair_view(gphi, *op.qubits)
                    v[:, 0, :, 1, :] *= -1
                    v[:, 1, :, 0, :] *= -1
                else:
                    gphi = self._apply_1q_copy(phi, _PAULI[op.name], op.qubits[0])
                grad[op.param] += op.scale * float(xp.vdot(lam, gphi).imag)
            self.apply_op(op, params, phi, inverse=True)
            self.apply_op(op, params, lam, inverse=True)
        return value, grad


__all__ = ["CircuitMixin"]
