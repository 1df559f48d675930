"""``"statevector"``: the in-house statevector engine behind the common backend interface.

A Qiskit circuit is unrolled once (:class:`~qopt.backends.lightning.AffineCircuit`: gates whose
angles are ``A @ params + b``). When every gate is one of the engine's generic gate path
(rx, ry, rz, rzz, h, x, cz, cx; QAOA and the hardware-efficient ansätze) it runs on the
:class:`~qopt.backends.statevector.StatevectorEngine`: one-qubit gates grouped into layers, each
layer one cache-blocked ``apply_product`` pass, two-qubit gates by ``apply_op``, and the
adjoint gradient over the same layers (:func:`layered_gradient`). Other circuits run on the
numpy gate path below (dense 2x2 / 4x4 matrices applied by reshaping the state).
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


def layer_ops(ops) -> list[tuple[str, object]]:
    """Group engine ops into ("layer", [one-qubit ops, at most one per qubit]) and
    ("gate", two-qubit op) items with the same action as ``ops``.

    A one-qubit op joins the pending layer unless its qubit already has one there; a two-qubit
    op flushes the pending layer only when it touches one of the layer's qubits (gates on
    disjoint qubits commute, so the others may wait).
    """
    items: list[tuple[str, object]] = []
    layer: list = []
    used: set[int] = set()
    for op in ops:
        if len(op.qubits) == 1:
            q = op.qubits[0]
            if q in used:
                items.append(("layer", layer))
                layer, used = [], set()
            layer.append(op)
            used.add(q)
            continue
        if used.intersection(op.qubits):
            items.append(("layer", layer))
            layer, used = [], set()
        items.append(("gate", op))
    if layer:
        items.append(("layer", layer))
    return items


def _one_qubit_matrix(op, theta) -> np.ndarray:
    from qopt.backends.statevector import rotation_matrix

    if op.name in ("rx", "ry", "rz"):
        return rotation_matrix(op.name, op.theta(theta))
    return _FIXED[op.name]


def _layer_mats(n: int, layer, theta) -> np.ndarray:
    mats = np.tile(np.eye(2, dtype=complex), (n, 1, 1))
    for op in layer:
        mats[op.qubits[0]] = _one_qubit_matrix(op, theta)
    return mats


def run_layered(engine, items, theta) -> np.ndarray:
    """Run layered engine ops (see :func:`layer_ops`) from |0...0> in the engine's state.

    Each one-qubit layer is one cache-blocked ``apply_product`` pass over the state; two-qubit
    gates use the engine's generic path.
    """
    n = engine.num_qubits
    psi = engine.state
    psi.fill(0)
    psi[0] = 1.0
    for kind, item in items:
        if kind == "layer":
            engine.apply_product(_layer_mats(n, item, theta), psi)
        else:
            engine.apply_op(item, theta, psi)
    return psi


def _im_pauli(lam_conj: np.ndarray, phi: np.ndarray, name: str, q: int) -> float:
    """Im <lam| P_q |phi> for the generator P of rx / ry / rz on qubit q (``lam_conj`` is
    conj(lam), computed once per layer)."""
    L = lam_conj.reshape(-1, 2, 1 << q)
    F = phi.reshape(-1, 2, 1 << q)
    if name == "rz":
        z = (L[:, 0, :] * F[:, 0, :]).sum() - (L[:, 1, :] * F[:, 1, :]).sum()
        return float(z.imag)
    a = (L[:, 0, :] * F[:, 1, :]).sum()         # <lam_0|phi_1>
    b = (L[:, 1, :] * F[:, 0, :]).sum()         # <lam_1|phi_0>
    # X: a + b; Y = [[0, -i], [i, 0]]: -i a + i b, whose imaginary part is Re(b - a)
    return float((a + b).imag) if name == "rx" else float((b - a).real)


def _im_zz(lam: np.ndarray, phi: np.ndarray, a: int, b: int) -> float:
    """Im <lam| Z_a Z_b |phi>."""
    n = int(lam.size).bit_length() - 1
    lo, hi = min(a, b), max(a, b)
    t = (np.conj(lam) * phi).reshape(1 << (n - hi - 1), 2, 1 << (hi - lo - 1), 2, 1 << lo)
    z = (t[:, 0, :, 0, :].sum() + t[:, 1, :, 1, :].sum() - t[:, 0, :, 1, :].sum()
         - t[:, 1, :, 0, :].sum())
    return float(z.imag)


def layered_gradient(engine, items, theta, diag) -> tuple[float, np.ndarray]:
    """(<D>, d<D>/d theta) by the adjoint method over layers, diagonal observable ``diag``.

    Within a layer every qubit has at most one gate, so all of the layer's generators are
    evaluated at the layer's output: dE/d theta_k = scale_k * Im <lam| P_k |phi>.
    """
    n = engine.num_qubits
    psi = run_layered(engine, items, theta)
    d = np.asarray(diag, dtype=float)
    value = float(engine.expectation(d, psi))
    phi = psi.copy()
    lam = d * psi
    grad = np.zeros(len(theta))
    for kind, item in reversed(items):
        if kind == "layer":
            if any(op.param is not None for op in item):
                lam_conj = np.conj(lam)
                for op in item:
                    if op.param is not None:
                        grad[op.param] += op.scale * _im_pauli(lam_conj, phi, op.name,
                                                               op.qubits[0])
            inv = np.conj(np.transpose(_layer_mats(n, item, theta), (0, 2, 1)))
            engine.apply_product(inv, phi)
            engine.apply_product(inv, lam)
            continue
        if item.param is not None:      # rzz is the only parametrised two-qubit op
            grad[item.param] += item.scale * _im_zz(lam, phi, *item.qubits)
        engine.apply_op(item, theta, phi, inverse=True)
        engine.apply_op(item, theta, lam, inverse=True)
    return value, grad


class _Prepared:
    def __init__(self, affine: AffineCircuit, ops: list | None):
        self.affine = affine
        self.ops = ops
        self.items = layer_ops(ops) if ops is not None else None


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
        return run_layered(self.engine(prepared.affine.num_qubits), prepared.items, theta)

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
        return layered_gradient(eng, prepared.items, theta, obs.diagonal())


__all__ = ["StatevectorBackend", "apply_gate", "engine_ops", "gate_matrix", "numpy_state"]
