"""What one backend call takes and gives: shot and width limits, parameter matrices, the
:class:`Usage` a backend adds up and the :class:`Evaluation` of one parameter set, CVaR of a
distribution, circuit statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from qopt.backends.errors import BackendError
from qopt.errors import OptionError, SizeLimitError

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

#: default shot count of backends that cannot run exactly
DEFAULT_SHOTS = 1024
#: exact (probability-vector) modes refuse circuits wider than this many qubits
MAX_EXACT_QUBITS = 30


@dataclass
class Usage:
    """What a backend has spent so far (added up over calls)."""

    shots: int = 0
    executions: int = 0
    num_qubits: int | None = None
    depth: int | None = None
    two_qubit_gates: int | None = None
    qpu_time: float | None = None
    simulation_time: float = 0.0
    jobs: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"shots": self.shots, "executions": self.executions,
                "num_qubits": self.num_qubits, "depth": self.depth,
                "two_qubit_gates": self.two_qubit_gates, "qpu_time": self.qpu_time,
                "simulation_time": self.simulation_time, "jobs": list(self.jobs)}


@dataclass
class Evaluation:
    """One evaluation of a diagonal observable on one parameter set.

    ``expectation`` and ``cvar`` come from the same distribution (exact or sampled);
    ``best_index`` is the lowest-energy basis state seen (sampled) or with non-negligible
    probability (exact), ``best_energy`` its energy.
    """

    expectation: float
    cvar: float
    best_index: int
    best_energy: float
    shots: int | None


def as_param_matrix(params, num_params: int) -> tuple[np.ndarray, bool]:
    """``params`` as a (k, P) float array and whether a single set (1-D) was given."""
    if params is None:
        params = np.zeros(num_params)
    arr = np.asarray(params, dtype=float)
    single = arr.ndim <= 1
    mat = arr.reshape(1, -1) if single else arr
    if mat.ndim != 2 or mat.shape[1] != num_params:
        raise OptionError(f"the circuit has {num_params} parameters; got parameter values of "
                          f"shape {arr.shape}")
    return mat, single


def cvar_from_distribution(values, weights, alpha: float, order=None) -> float:
    """CVaR_alpha: mean of the lowest ``alpha`` fraction of the (weighted) distribution.

    ``values`` shape (m,), ``weights`` shape (m,) non-negative (probabilities or counts, summed
    to the total mass). The boundary state is counted with a fractional weight, so on exact
    probabilities this is the exact CVaR and alpha=1 gives the mean. ``order`` (optional) is a
    precomputed stable argsort of ``values``.
    """
    alpha = check_alpha(alpha)
    v = np.asarray(values, dtype=float).reshape(-1)
    w = np.asarray(weights, dtype=float).reshape(-1)
    total = w.sum()
    if total <= 0:
        raise BackendError("cannot take CVaR of an empty distribution")
    if order is None:
        order = np.argsort(v, kind="stable")
    v, w = v[order], w[order] / total
    before = np.concatenate(([0.0], np.cumsum(w)[:-1]))
    take = np.clip(alpha - before, 0.0, w)
    return float(take @ v / alpha)


def check_alpha(alpha) -> float:
    a = float(alpha)
    if not 0.0 < a <= 1.0:
        raise OptionError(f"alpha (CVaR fraction) must be in (0, 1], got {alpha!r}")
    return a


def check_shots(shots) -> int | None:
    if shots is None:
        return None
    if not isinstance(shots, int | np.integer) or shots <= 0:
        raise OptionError(f"shots must be a positive integer or None (exact), got {shots!r}")
    return int(shots)


def circuit_stats(circuit: QuantumCircuit) -> tuple[int, int]:
    """(depth, two-qubit gate count) of a circuit, ignoring barriers and measurements."""
    skip = {"barrier", "measure", "delay"}
    depth = circuit.depth(lambda inst: inst.operation.name not in skip)
    twoq = sum(1 for inst in circuit.data
               if len(inst.qubits) == 2 and inst.operation.name not in skip)
    return int(depth), int(twoq)


def check_exact_width(n: int) -> None:
    if n > MAX_EXACT_QUBITS:
        raise SizeLimitError(f"exact mode keeps 2^{n} probabilities; the limit is "
                             f"{MAX_EXACT_QUBITS} qubits (use shots=... for sampling)")


__all__ = ["DEFAULT_SHOTS", "MAX_EXACT_QUBITS", "Evaluation", "Usage", "as_param_matrix",
           "check_alpha", "check_exact_width", "check_shots", "circuit_stats",
           "cvar_from_distribution"]
