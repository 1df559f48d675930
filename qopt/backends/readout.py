"""Readout (measurement) error mitigation: calibration on the physical qubits a circuit
measures, and M3 correction of the measured counts into quasi-probabilities.

Calibration (tensored, "marginal" in mthree's terms): two circuits on the device, every measured
physical qubit prepared in |0> (nothing but measurements) and in |1> (an ``x`` on each, then
measurements), ``shots`` each. For the qubit measured into bit i the 2x2 assignment matrix is
``A_i[m, p] = P(read m | prepared p)``, from the marginals of the two runs. The model is that
readout errors are independent per qubit (tensored): ``A = A_{n-1} (x) ... (x) A_0``.

Correction: the measured distribution is ``A`` times the ideal one; mthree (M3, Nation et al.,
PRX Quantum 2, 040326) solves ``A x = counts / shots`` in the subspace of the bitstrings that
were actually measured (with column normalisation), matrix-free, so it scales to wide circuits;
the result is a quasi-probability vector (it sums to 1 but may have small negative entries).
``distance`` limits the Hamming distance of the matrix entries M3 keeps (default: all bits up
to :data:`FULL_DISTANCE_BITS` bits, else 3, mthree's own default). M3 computes in float32.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qopt.backends.base import BackendError

#: circuits up to this many measured bits are corrected with every Hamming distance
FULL_DISTANCE_BITS = 16


def _check_mthree():
    try:
        import mthree  # noqa: F401
    except ImportError:
        raise BackendError("readout mitigation needs mthree: "
                           "pip install 'qopt-toolkit[ibm]'") from None


@dataclass
class ReadoutCalibration:
    """Assignment matrices of the qubits read into bits 0..n-1.

    qubits: physical qubit of each bit, shape (n,). matrices: (n, 2, 2) with
    ``matrices[i, m, p] = P(bit i reads m | prepared p)``. shots: per calibration circuit.
    """

    qubits: tuple[int, ...]
    matrices: np.ndarray
    shots: int
    jobs: list[str] = field(default_factory=list)

    @classmethod
    def from_counts(cls, qubits, zeros, ones, shots: int) -> ReadoutCalibration:
        """From the (indices, counts) of the all-|0> and all-|1> calibration runs (bit i =
        the qubit ``qubits[i]``)."""
        n = len(qubits)
        shifts = np.arange(n, dtype=np.int64)

        def ones_per_bit(dist):
            idx, c = (np.asarray(a, dtype=np.int64) for a in dist)
            bits = (idx[:, None] >> shifts[None, :]) & 1              # (m, n)
            return (c[:, None] * bits).sum(axis=0) / c.sum()

        p10 = ones_per_bit(zeros)            # read 1 | prepared 0
        p11 = ones_per_bit(ones)             # read 1 | prepared 1
        mats = np.empty((n, 2, 2))
        mats[:, 0, 0], mats[:, 1, 0] = 1.0 - p10, p10
        mats[:, 0, 1], mats[:, 1, 1] = 1.0 - p11, p11
        return cls(tuple(int(q) for q in qubits), mats, int(shots))

    @property
    def errors(self) -> np.ndarray:
        """Mean assignment error per bit, (P(1|0) + P(0|1)) / 2, shape (n,)."""
        return 0.5 * (self.matrices[:, 1, 0] + self.matrices[:, 0, 1])

    def as_dict(self) -> dict:
        return {"qubits": list(self.qubits), "shots": self.shots,
                "p1_given_0": self.matrices[:, 1, 0].tolist(),
                "p0_given_1": self.matrices[:, 0, 1].tolist(), "jobs": list(self.jobs)}

    def full_matrix(self) -> np.ndarray:
        """The tensored 2^n x 2^n assignment matrix (little-endian index; small n only)."""
        out = np.ones((1, 1))
        for m in self.matrices:                  # bit 0 ends up least significant
            out = np.kron(m, out)
        return out

    def correct(self, indices, counts, *, distance: int | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
        """M3 correction of one measured distribution: (indices, quasi-probabilities summing
        to 1) over the measured bitstrings (little-endian indices, as given)."""
        _check_mthree()
        import mthree

        n = len(self.qubits)
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        c = np.asarray(counts, dtype=float).reshape(-1)
        if idx.size == 0:
            raise BackendError("readout correction of an empty distribution")
        if distance is None:
            distance = n if n <= FULL_DISTANCE_BITS else 3
        keys = _bitstrings(idx, n)
        mit = mthree.M3Mitigation()
        mit.cals_from_matrices([m.astype(np.float32) for m in self.matrices])
        # M3 takes a dict of bitstrings (qubit 0 rightmost); one entry per measured string
        quasi = mit.apply_correction(dict(zip(keys, c.tolist())), list(range(n)),
                                     distance=int(distance))
        got = np.fromiter((quasi.get(k, 0.0) for k in keys), dtype=float, count=idx.size)
        return idx, got / got.sum()


def _bitstrings(indices: np.ndarray, n: int) -> list[str]:
    """Qiskit-order bitstrings (qubit 0 rightmost) of basis indices, vectorised."""
    shifts = np.arange(n - 1, -1, -1, dtype=np.int64)
    chars = (((indices[:, None] >> shifts[None, :]) & 1) + ord("0")).astype(np.uint8)
    return np.ascontiguousarray(chars).view(f"S{n}").reshape(-1).astype(str).tolist()


def calibration_circuits(isa, measured: tuple[int, ...], target=None):
    """The two calibration circuits for the physical qubits ``measured`` (bit i reads
    ``measured[i]``) on the device of the ISA circuit ``isa``: all |0>, all |1> (``x``,
    translated to the target's basis if it lacks ``x``)."""
    from qiskit import ClassicalRegister, QuantumCircuit

    n = len(measured)
    out = []
    for prep in (0, 1):
        qc = QuantumCircuit(isa.num_qubits, name=f"readout_cal_{prep}")
        qc.add_register(ClassicalRegister(n, "meas"))
        if prep:
            for q in measured:
                qc.x(q)
            qc.barrier(list(measured))
        for i, q in enumerate(measured):
            qc.measure(q, qc.clbits[i])
        out.append(qc)
    if target is not None and "x" not in target.operation_names:
        from qiskit.circuit.equivalence_library import SessionEquivalenceLibrary
        from qiskit.transpiler import PassManager
        from qiskit.transpiler.passes import BasisTranslator

        pm = PassManager([BasisTranslator(SessionEquivalenceLibrary, target_basis=None,
                                          target=target)])
        out[1] = pm.run(out[1])
    return out


def measured_qubits(isa) -> tuple[int, ...]:
    """Physical qubit read into each bit of the ``meas`` register of ``isa`` (bit i = logical
    qubit i of the circuit before transpilation), from its measure instructions."""
    reg = next((r for r in isa.cregs if r.name == "meas"), None)
    if reg is None:
        raise BackendError("the device circuit has no 'meas' register")
    out = [-1] * reg.size
    pos = {bit: i for i, bit in enumerate(reg)}
    for inst in isa.data:
        if inst.operation.name == "measure" and inst.clbits[0] in pos:
            out[pos[inst.clbits[0]]] = isa.find_bit(inst.qubits[0]).index
    if min(out, default=0) < 0:
        raise BackendError("some bits of the device circuit are never measured")
    return tuple(out)


__all__ = ["FULL_DISTANCE_BITS", "ReadoutCalibration", "calibration_circuits",
           "measured_qubits"]
