"""``"statevector"``: the in-house statevector engine behind the common backend interface.

A Qiskit circuit is unrolled once (:class:`~qopt.backends.lightning.AffineCircuit`: gates whose
angles are ``A @ params + b``) and run on the engine's generic gate path
(:class:`~qopt.backends.statevector.StatevectorEngine`, ``run_circuit`` / adjoint
``circuit_gradient``) when every gate is one the engine has; otherwise on the numpy gate path
below (dense 2x2 / 4x4 matrices applied by reshaping the state; O(gates * 2^n)).
Little-endian throughout: amplitude index bit i is qubit i. Exact mode returns |psi|^2;
sampling mode draws from it with the call's seed.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from qopt.backends.base import Backend, Observable, check_exact_width
from qopt.backends.lightning import AffineCircuit
from qopt.limits import check_allocation

_SQ2 = 1.0 / np.sqrt(2.0)
_FIXED = {
    "h": np.array([[1, 1], [1, -1]], complex) * _SQ2,
    "x": np.array([[0, 1], [1, 0]], complex),
    "y": np.array([[0, -1j], [1j, 0]], complex),
    "z": np.diag([1, -1]).astype(complex),
    "s": np.diag([1, 1j]),
    "sdg": np.diag([1, -1j]),
    "t": np.diag([1, np.exp(1j * np.pi / 4)]),
    "tdg": np.diag([1, np.exp(-1j * np.pi / 4)]),
    "sx": 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]),
    "sxdg": 0.5 * np.array([[1 - 1j, 1 + 1j], [1 + 1j, 1 - 1j]]),
}
_I2 = np.eye(2, dtype=complex)
_P0 = np.diag([1, 0]).astype(complex)
_P1 = np.diag([0, 1]).astype(complex)
_PX = _FIXED["x"]
_PY = _FIXED["y"]
_PZ = _FIXED["z"]


def _rot(p, t):
    return np.cos(t / 2) * np.eye(p.shape[0]) - 1j * np.sin(t / 2) * p


def _controlled(u):
    # basis index 2 * c + t (control = first wire)
    return np.kron(_P0, _I2) + np.kron(_P1, u)


def gate_matrix(name: str, angles) -> np.ndarray:
    """Unitary of a gate; 2-qubit matrices in basis 2 * bit(wires[0]) + bit(wires[1])."""
    if name in _FIXED:
        return _FIXED[name]
    a = list(angles)
    if name == "rx":
        return _rot(_PX, a[0])
    if name == "ry":
        return _rot(_PY, a[0])
    if name == "rz":
        return _rot(_PZ, a[0])
    if name == "p":
        return np.diag([1, np.exp(1j * a[0])])
    if name == "u":
        th, ph, la = a
        return np.array([[np.cos(th / 2), -np.exp(1j * la) * np.sin(th / 2)],
                         [np.exp(1j * ph) * np.sin(th / 2),
                          np.exp(1j * (ph + la)) * np.cos(th / 2)]])
    if name == "cx":
        return _controlled(_PX)
    if name == "cy":
        return _controlled(_PY)
    if name == "cz":
        return np.diag([1, 1, 1, -1]).astype(complex)
    if name == "swap":
        return np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], complex)
    if name == "rzz":
        return _rot(np.kron(_PZ, _PZ), a[0])
    if name == "rxx":
        return _rot(np.kron(_PX, _PX), a[0])
    if name == "ryy":
        return _rot(np.kron(_PY, _PY), a[0])
    if name == "crx":
        return _controlled(_rot(_PX, a[0]))
    if name == "cry":
        return _controlled(_rot(_PY, a[0]))
    if name == "crz":
        return _controlled(_rot(_PZ, a[0]))
    if name == "cp":
        return np.diag([1, 1, 1, np.exp(1j * a[0])])
    raise KeyError(name)


def apply_gate(psi: np.ndarray, n: int, matrix: np.ndarray, wires) -> np.ndarray:
    """``matrix`` on ``wires`` of the n-qubit state ``psi`` (shape (2^n,)), little-endian."""
    axes = [n - 1 - w for w in wires]            # C-order axis of qubit w
    k = len(wires)
    t = np.moveaxis(psi.reshape((2,) * n), axes, list(range(k))).reshape(1 << k, -1)
    t = matrix @ t
    t = np.moveaxis(t.reshape((2,) * n), list(range(k)), axes)
    return np.ascontiguousarray(t).reshape(-1)


def numpy_state(prepared: AffineCircuit, theta: np.ndarray) -> np.ndarray:
    """Final state of the unrolled circuit at parameters ``theta`` (shape (P,))."""
    n = prepared.num_qubits
    angles = prepared.A @ theta + prepared.b
    psi = np.zeros(1 << n, dtype=complex)
    psi[0] = 1.0
    for name, wires, sl, _adjoint in prepared.gates:
        psi = apply_gate(psi, n, gate_matrix(name, angles[sl]), wires)
    return psi


def engine_ops(prepared: AffineCircuit) -> list | None:
    """The unrolled circuit as engine :class:`~qopt.backends.statevector.Op` s, or None when a
    gate (or an angle depending on several parameters) is outside the engine's gate path."""
    from qopt.backends.statevector import Op

    rotations, fixed = ("rx", "ry", "rz", "rzz"), ("h", "x", "cz", "cx")
    ops = []
    for name, wires, sl, _adjoint in prepared.gates:
        if name in fixed:
            ops.append(Op(name, tuple(wires)))
            continue
        if name not in rotations:
            return None
        row = prepared.A[sl.start]
        nz = np.flatnonzero(row)
        if nz.size > 1:
            return None
        if nz.size == 0:
            ops.append(Op(name, tuple(wires), None, float(prepared.b[sl.start])))
        else:
            j = int(nz[0])
            ops.append(Op(name, tuple(wires), j, float(prepared.b[sl.start]), float(row[j])))
    return ops


def run_layered(engine, ops, theta) -> np.ndarray:
    """Run engine ops from |0...0>, merging one-qubit gates into layers.

    Consecutive one-qubit gates are multiplied into one 2x2 matrix per qubit and applied with
    the engine's cache-blocked ``apply_product`` (one pass over the state for a whole layer);
    a pending layer is flushed only when a two-qubit gate touches one of its qubits (gates on
    disjoint qubits commute). Two-qubit gates use the engine's generic path.
    """
    from qopt.backends.statevector import rotation_matrix

    n = engine.num_qubits
    psi = engine.state
    psi.fill(0)
    psi[0] = 1.0
    layer = np.tile(np.eye(2, dtype=complex), (n, 1, 1))
    pending: set[int] = set()
    for op in ops:
        if len(op.qubits) == 1:
            q = op.qubits[0]
            m = (rotation_matrix(op.name, op.theta(theta)) if op.name in ("rx", "ry", "rz")
                 else _FIXED[op.name])
            layer[q] = m @ layer[q]
            pending.add(q)
            continue
        if pending.intersection(op.qubits):
            engine.apply_product(layer, psi)
            layer[:] = np.eye(2)
            pending.clear()
        engine.apply_op(op, theta, psi)
    if pending:
        engine.apply_product(layer, psi)
    return psi


class _Prepared:
    def __init__(self, affine: AffineCircuit, ops: list | None):
        self.affine = affine
        self.ops = ops


class StatevectorBackend(Backend):
    """The in-house statevector engine as a :class:`~qopt.backends.base.Backend`.

    Circuits made of rx / ry / rz / rzz / h / x / cz / cx (QAOA, the hardware-efficient
    ansätze) run on the engine's generic gate path, with adjoint gradients; other gates on
    the numpy gate path of this module (gradients then by parameter shift / differences).
    """

    name: ClassVar[str] = "statevector"
    supports_gradient: ClassVar[bool] = True

    def __init__(self, *, shots: int | None = None, seed=None, **engine_options):
        super().__init__(shots=shots, seed=seed)
        self.engine_options = engine_options
        self._engines: dict[int, object] = {}

    def engine(self, n: int):
        eng = self._engines.get(n)
        if eng is None:
            from qopt.backends.statevector import StatevectorEngine

            eng = StatevectorEngine(n, **self.engine_options)
            self._engines = {n: eng}
        return eng

    def _prepare(self, circuit):
        check_exact_width(circuit.num_qubits)
        check_allocation(16 << circuit.num_qubits, f"a {circuit.num_qubits}-qubit statevector")
        affine = AffineCircuit.from_qiskit(circuit)
        return _Prepared(affine, engine_ops(affine))

    def _compiled_circuit(self, prepared):
        return None

    def _state(self, prepared: _Prepared, theta: np.ndarray) -> np.ndarray:
        if prepared.ops is None:
            return numpy_state(prepared.affine, theta)
        return run_layered(self.engine(prepared.affine.num_qubits), prepared.ops, theta)

    def state(self, circuit, params=None) -> np.ndarray:
        """The final state, shape (2^n,) complex (little-endian; a copy)."""
        prepared = self.prepare(circuit)
        theta = np.asarray(params if params is not None else [], float).reshape(-1)
        return np.array(self._state(prepared, theta), copy=True)

    def _probabilities(self, prepared, circuit, theta):
        out = np.empty((theta.shape[0], 1 << prepared.affine.num_qubits))
        for r, row in enumerate(theta):
            psi = self._state(prepared, row)
            out[r] = psi.real ** 2 + psi.imag ** 2
        return out

    def _expectation_exact(self, prepared, circuit, theta, obs: Observable):
        if obs.diagonal_form:
            diag = obs.diagonal()
            if prepared.ops is not None:
                eng = self.engine(prepared.affine.num_qubits)
                return np.array([eng.expectation(diag, self._state(prepared, row))
                                 for row in theta])
            return self._probabilities(prepared, circuit, theta) @ diag
        matrix = obs.pauli().to_matrix(sparse=True)
        vals = []
        for row in theta:
            psi = self._state(prepared, row)
            vals.append(float(np.real(np.vdot(psi, matrix @ psi))))
        return np.asarray(vals)

    def _gradient_exact(self, prepared, circuit, theta, obs: Observable):
        if prepared.ops is None or not obs.diagonal_form:
            return None
        eng = self.engine(prepared.affine.num_qubits)
        return eng.circuit_gradient(prepared.ops, theta, obs.diagonal())


__all__ = ["StatevectorBackend", "apply_gate", "engine_ops", "gate_matrix", "numpy_state"]
