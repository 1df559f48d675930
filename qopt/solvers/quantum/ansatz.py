"""Hardware-efficient ansätze, each both a Qiskit parametrised circuit and an op list.

Kinds:

* ``real-amplitudes`` (RealAmplitudes-like): ``reps`` times [RY on every qubit, entangler on
  each pair of the entanglement pattern], then a final RY layer; n * (reps + 1) parameters.
* ``efficient-su2`` (EfficientSU2-like): as above with RY then RZ on every qubit;
  2 n (reps + 1) parameters.
* ``brickwork``: ``reps`` times [RY layer, entanglers on even bonds (0,1), (2,3), ...,
  RY layer, entanglers on odd bonds (1,2), (3,4), ...], then a final RY layer;
  n (2 reps + 1) parameters.

Entanglement patterns (real-amplitudes / efficient-su2): ``linear`` (i, i+1), ``reverse_linear``,
``circular`` (linear plus (n-1, 0)), ``full`` (every i < j), ``pairwise`` (even bonds then odd
bonds). The entangler is ``cx`` or ``cz``.

Op list: ``[(gate, qubits, k)]`` with gate in {"ry", "rz", "cx", "cz"}, ``qubits`` a tuple and
``k`` the parameter index (None for fixed gates); rotation angles are exactly ``theta[k]``
(Qiskit convention ``R(theta) = exp(-i theta P / 2)``). The circuit's parameters are the
elements of one ``ParameterVector`` "θ" in the same index order, so parameter values are the
same array for the circuit (``circuit.parameters`` order) and the op list.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from qopt.errors import OptionError

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

KINDS = ("real-amplitudes", "efficient-su2", "brickwork")
ENTANGLEMENTS = ("linear", "reverse_linear", "circular", "full", "pairwise")
ENTANGLERS = ("cx", "cz")

Op = tuple[str, tuple[int, ...], int | None]


def entangling_pairs(n: int, entanglement: str) -> list[tuple[int, int]]:
    """Qubit pairs of one entangling layer, in application order."""
    if entanglement == "linear":
        return [(i, i + 1) for i in range(n - 1)]
    if entanglement == "reverse_linear":
        return [(i, i + 1) for i in reversed(range(n - 1))]
    if entanglement == "circular":
        return [(i, i + 1) for i in range(n - 1)] + ([(n - 1, 0)] if n > 2 else [])
    if entanglement == "full":
        return [(i, j) for i in range(n) for j in range(i + 1, n)]
    if entanglement == "pairwise":
        return [(i, i + 1) for i in range(0, n - 1, 2)] + [(i, i + 1) for i in range(1, n - 1, 2)]
    raise OptionError(f"entanglement must be one of {', '.join(ENTANGLEMENTS)}, "
                      f"got {entanglement!r}")


def check_ansatz_options(kind: str, reps, entanglement: str, entangler: str) -> None:
    """Raise :class:`OptionError` for an unknown ansatz kind, entanglement or entangler, or
    reps that is not a non-negative integer (solvers call it in their options' ``validate``,
    before any work)."""
    if kind not in KINDS:
        raise OptionError(f"ansatz must be one of {', '.join(KINDS)}, got {kind!r}")
    if entanglement not in ENTANGLEMENTS:
        raise OptionError(f"entanglement must be one of {', '.join(ENTANGLEMENTS)}, "
                          f"got {entanglement!r}")
    if entangler not in ENTANGLERS:
        raise OptionError(f"entangler must be one of {', '.join(ENTANGLERS)}, got {entangler!r}")
    if not isinstance(reps, int) or reps < 0:
        raise OptionError(f"reps must be a non-negative integer, got {reps!r}")


@dataclass(frozen=True)
class Ansatz:
    """A hardware-efficient ansatz on ``num_qubits`` qubits (see the module docstring)."""

    num_qubits: int
    kind: str = "real-amplitudes"
    reps: int = 2
    entanglement: str = "linear"
    entangler: str = "cx"

    def __post_init__(self):
        check_ansatz_options(self.kind, self.reps, self.entanglement, self.entangler)
        if not isinstance(self.num_qubits, int) or self.num_qubits < 1:
            raise OptionError(f"an ansatz needs at least one qubit, got {self.num_qubits!r}")

    @cached_property
    def ops(self) -> list[Op]:
        """The op list ``[(gate, qubits, parameter index or None)]``."""
        n, out = self.num_qubits, []
        counter = iter(range(1 << 30))

        def rot_layer(gates=("ry",)):
            for q in range(n):
                for g in gates:
                    out.append((g, (q,), next(counter)))

        def ent_layer(pairs):
            out.extend((self.entangler, p, None) for p in pairs)

        rots = ("ry", "rz") if self.kind == "efficient-su2" else ("ry",)
        if self.kind == "brickwork":
            even = [(i, i + 1) for i in range(0, n - 1, 2)]
            odd = [(i, i + 1) for i in range(1, n - 1, 2)]
            for _ in range(self.reps):
                rot_layer()
                ent_layer(even)
                rot_layer()
                ent_layer(odd)
        else:
            pairs = entangling_pairs(n, self.entanglement)
            for _ in range(self.reps):
                rot_layer(rots)
                ent_layer(pairs)
        rot_layer(rots)
        return out

    def engine_ops(self) -> list:
        """The op list as :class:`qopt.backends.statevector.Op` s for the engine's generic gate
        path (``StatevectorEngine.run_circuit(ops, theta)`` / ``circuit_gradient``)."""
        from qopt.backends.statevector import Op

        return [Op(gate, qubits, k) for gate, qubits, k in self.ops]

    @property
    def num_parameters(self) -> int:
        return sum(1 for _, _, k in self.ops if k is not None)

    @property
    def num_two_qubit_gates(self) -> int:
        return sum(1 for _, q, _ in self.ops if len(q) == 2)

    @cached_property
    def circuit(self) -> QuantumCircuit:
        """The same ansatz as a Qiskit circuit with parameters ``θ[0..P-1]``."""
        from qiskit import QuantumCircuit
        from qiskit.circuit import ParameterVector

        theta = ParameterVector("θ", self.num_parameters)
        qc = QuantumCircuit(self.num_qubits, name=f"{self.kind}-r{self.reps}")
        for gate, qubits, k in self.ops:
            if k is None:
                getattr(qc, gate)(*qubits)
            else:
                getattr(qc, gate)(theta[k], *qubits)
        return qc


def make_ansatz(num_qubits: int, kind: str = "real-amplitudes", reps: int = 2,
                entanglement: str = "linear", entangler: str = "cx") -> Ansatz:
    return Ansatz(num_qubits, kind, reps, entanglement, entangler)


__all__ = ["ENTANGLEMENTS", "KINDS", "Ansatz", "entangling_pairs", "make_ansatz"]
