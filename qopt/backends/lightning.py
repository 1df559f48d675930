"""PennyLane Lightning backend: lightning.qubit (lightning.gpu / lightning.kokkos when installed).

A Qiskit circuit is unrolled once to a small gate set and converted to PennyLane operations
whose angles are an affine map of the circuit parameters, ``angles = A @ params + b`` (Qiskit
order of ``circuit.parameters``). Qubit i is wire i. Exact expectation values use
``qml.expval``; gradients use the device's adjoint differentiation on the angles and the chain
rule through ``A``. Probabilities are read with wires reversed so the index is little-endian as in
:mod:`qopt.bits`. Sampling draws from the exact probabilities with the call's seed.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from qopt.backends.base import Backend, BackendError, Observable
from qopt.errors import OptionError

DEVICES = {"qubit": "lightning.qubit", "gpu": "lightning.gpu", "kokkos": "lightning.kokkos"}

#: Qiskit gate name -> (PennyLane class name, number of angles)
_GATES: dict[str, tuple[str, int]] = {
    "h": ("Hadamard", 0), "x": ("PauliX", 0), "y": ("PauliY", 0), "z": ("PauliZ", 0),
    "s": ("S", 0), "t": ("T", 0), "sx": ("SX", 0), "rx": ("RX", 1), "ry": ("RY", 1),
    "rz": ("RZ", 1), "p": ("PhaseShift", 1), "u": ("U3", 3), "cx": ("CNOT", 0),
    "cz": ("CZ", 0), "cy": ("CY", 0), "swap": ("SWAP", 0), "rzz": ("IsingZZ", 1),
    "rxx": ("IsingXX", 1), "ryy": ("IsingYY", 1), "crx": ("CRX", 1), "cry": ("CRY", 1),
    "crz": ("CRZ", 1), "cp": ("ControlledPhaseShift", 1),
}
_ADJOINT = {"sdg": "S", "tdg": "T", "sxdg": "SX"}
_BASIS = [*_GATES, *_ADJOINT]
_KEEP = {*_BASIS, "barrier", "id", "delay"}


class AffineCircuit:
    """A gate list with angles ``A @ theta + b``: (name, wires, angle slice) per gate."""

    def __init__(self, gates: list[tuple[str, tuple[int, ...], slice, bool]], A: np.ndarray,
                 b: np.ndarray, num_qubits: int):
        self.gates = gates
        self.A = A
        self.b = b
        self.num_qubits = num_qubits
        self.trainable = np.flatnonzero(np.any(A != 0, axis=1))

    @classmethod
    def from_qiskit(cls, circuit) -> AffineCircuit:
        """Unroll ``circuit`` to the supported gate set and read each angle as an affine map."""
        from qiskit import transpile

        params = list(circuit.parameters)
        pos = {p: j for j, p in enumerate(params)}
        flat = circuit
        if any(inst.operation.name == "measure" for inst in flat.data):
            flat = flat.remove_final_measurements(inplace=False)
        if any(inst.operation.name not in _KEEP for inst in flat.data):
            # unroll; a circuit already in the gate set keeps its own gate order (layers)
            flat = transpile(flat, basis_gates=_BASIS, optimization_level=0)
        gates, rows, consts = [], [], []
        for inst in flat.data:
            name = inst.operation.name
            if name in ("barrier", "id", "delay"):
                continue
            if name not in _GATES and name not in _ADJOINT:
                raise OptionError(f"gate {name!r} is not supported by the lightning backend")
            wires = tuple(flat.find_bit(q).index for q in inst.qubits)
            start = len(rows)
            for angle in inst.operation.params:
                row = np.zeros(len(params))
                if hasattr(angle, "parameters") and angle.parameters:
                    for par in angle.parameters:
                        try:
                            row[pos[par]] = float(angle.gradient(par))
                        except TypeError:
                            raise OptionError(
                                f"gate {name!r} has a non-affine angle {angle}; the lightning "
                                "backend needs angles linear in the parameters") from None
                    const = float(angle.bind({p: 0.0 for p in angle.parameters}))
                else:
                    const = float(angle)
                rows.append(row)
                consts.append(const)
            gates.append((name, wires, slice(start, len(rows)), name in _ADJOINT))
        A = np.vstack(rows) if rows else np.zeros((0, len(params)))
        return cls(gates, A, np.asarray(consts, float), circuit.num_qubits)

    def operations(self, theta: np.ndarray) -> list:
        """PennyLane operations at parameter values ``theta``, shape (P,)."""
        import pennylane as qml

        angles = self.A @ theta + self.b
        ops = []
        for name, wires, sl, adjoint in self.gates:
            if adjoint:
                ops.append(qml.adjoint(getattr(qml, _ADJOINT[name])(wires=wires)))
                continue
            cls, _ = _GATES[name]
            ops.append(getattr(qml, cls)(*angles[sl], wires=wires))
        return ops


def pennylane_observable(obs: Observable):
    """The observable as a PennyLane operator (wire i = qubit i)."""
    import pennylane as qml

    from qopt.model.hubo import HUBO
    from qopt.model.ising import Ising

    if isinstance(obs.obj, HUBO | Ising):
        return obs.obj.to_pennylane()
    op = obs.pauli()
    pauli = {"X": qml.PauliX, "Y": qml.PauliY, "Z": qml.PauliZ}
    coeffs, terms = [], []
    for label, c in zip(op.paulis.to_labels(), op.coeffs):
        factors = [pauli[ch](q) for q, ch in enumerate(reversed(label)) if ch != "I"]
        terms.append(qml.prod(*factors) if len(factors) > 1 else
                     (factors[0] if factors else qml.Identity(0)))
        coeffs.append(float(np.real(c)))
    return qml.Hamiltonian(coeffs, terms)


class LightningBackend(Backend):
    """PennyLane Lightning backend (exact and sampled; adjoint gradients).

    Args:
        device: "qubit" (lightning.qubit), "gpu" (lightning.gpu) or "kokkos" (lightning.kokkos),
            or a full PennyLane device name.
    """

    name: ClassVar[str] = "lightning"
    supports_gradient: ClassVar[bool] = True

    def __init__(self, device: str = "qubit", *, shots: int | None = None, seed=None):
        dev = DEVICES.get(str(device).lower(), str(device))
        if dev not in DEVICES.values():
            raise OptionError(f"lightning device must be one of {', '.join(DEVICES)}, "
                              f"got {device!r}")
        super().__init__(shots=shots, seed=seed)
        self.device_name = dev
        self._devices: dict[int, object] = {}
        self._hamiltonians: dict[int, tuple[object, object]] = {}
        self._device(1)  # fail now (not mid-run) when the plugin is missing

    @property
    def spec(self) -> str:
        short = self.device_name.split(".")[-1]
        return "lightning" if short == "qubit" else f"lightning:{short}"

    def _device(self, n: int):
        dev = self._devices.get(n)
        if dev is None:
            import pennylane as qml

            try:
                dev = qml.device(self.device_name, wires=n)
            except Exception as exc:  # plugin missing or no GPU
                raise BackendError(f"PennyLane device {self.device_name!r} is not available "
                                   f"here ({type(exc).__name__}: {exc})") from None
            self._devices[n] = dev
        return dev

    def _prepare(self, circuit):
        return AffineCircuit.from_qiskit(circuit)

    def _compiled_circuit(self, prepared):
        return None

    def _ensure_wires(self, prepared: AffineCircuit):
        # make every wire appear so the device sizes itself to the circuit
        import pennylane as qml

        return [qml.Identity(w) for w in range(prepared.num_qubits)]

    def _execute(self, prepared: AffineCircuit, theta, measurement):
        import pennylane as qml

        pad = self._ensure_wires(prepared)
        dev = self._device(prepared.num_qubits)
        tapes = [qml.tape.QuantumScript(pad + prepared.operations(row), [measurement])
                 for row in np.atleast_2d(theta)]
        from pennylane.devices import ExecutionConfig

        program, cfg = self._preprocessed(dev, ExecutionConfig, None)
        batch, post = program(tapes)
        return post(dev.execute(batch, cfg))

    def _preprocessed(self, dev, config_cls, gradient_method):
        """The device's compile program and execution config (made once per device / mode)."""
        key = (id(dev), gradient_method)
        cache = self.__dict__.setdefault("_programs", {})
        if key not in cache:
            cfg = config_cls(gradient_method=gradient_method) if gradient_method else config_cls()
            cache[key] = dev.preprocess(cfg)
        return cache[key]

    def _probabilities(self, prepared, circuit, theta):
        import pennylane as qml

        wires = list(range(prepared.num_qubits))[::-1]
        res = self._execute(prepared, theta, qml.probs(wires=wires))
        return np.vstack([np.asarray(r, float) for r in res])

    def _hamiltonian(self, obs: Observable):
        hit = self._hamiltonians.get(id(obs.obj))
        if hit is None or hit[0] is not obs.obj:
            hit = (obs.obj, pennylane_observable(obs))
            self._hamiltonians = {id(obs.obj): hit}
        return hit[1]

    def _expectation_exact(self, prepared, circuit, theta, obs: Observable):
        import pennylane as qml

        if obs.diagonal_form:
            # one probability vector and the 2^n energies beat term-by-term expectation values
            return np.atleast_2d(self._probabilities(prepared, circuit, theta)) @ obs.diagonal()
        res = self._execute(prepared, theta, qml.expval(self._hamiltonian(obs)))
        return np.asarray(res, float).reshape(-1)

    def _gradient_exact(self, prepared: AffineCircuit, circuit, theta, obs: Observable):
        import pennylane as qml
        from pennylane.devices import ExecutionConfig

        dev = self._device(prepared.num_qubits)
        pad = self._ensure_wires(prepared)
        ops = pad + prepared.operations(theta)
        # flat parameter index of each angle: the padding identities carry none
        trainable = [int(i) for i in prepared.trainable]
        tape = qml.tape.QuantumScript(ops, [qml.expval(self._hamiltonian(obs))],
                                      trainable_params=trainable)
        program, cfg = self._preprocessed(dev, ExecutionConfig, "adjoint")
        batch, post = program([tape])
        res, jac = dev.execute_and_compute_derivatives(batch, cfg)
        value = float(np.asarray(post(res)[0]))
        d_angles = np.asarray(jac[0], float).reshape(-1)
        if d_angles.size != len(trainable):
            raise BackendError("adjoint differentiation returned an unexpected shape")
        grad = prepared.A[prepared.trainable].T @ d_angles
        return value, grad


__all__ = ["AffineCircuit", "LightningBackend", "pennylane_observable"]
