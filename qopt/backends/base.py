"""The one backend interface: expectation / CVaR / correlators / sample of a parametrised circuit.

Every backend (the in-house statevector engine, Aer, PennyLane Lightning, IBM Runtime, fake IBM
devices, any user-supplied Qiskit V2 primitive) is a :class:`Backend`. Its calls take a Qiskit
``QuantumCircuit`` with free parameters and ``params``, one parameter set of shape (P,) (the
result is a float) or a batch of shape (k, P) (the result has shape (k,)). Parameter values are
in the order of ``circuit.parameters`` (Qiskit's order: sorted by name, vector elements by index).

Modes: ``shots=None`` is the exact mode (statevector probabilities / exact expectation values;
only where :attr:`Backend.supports_exact`); an integer ``shots`` is the sampling mode, where
expectation and CVaR are estimated from that many samples per parameter set.

Observables: a :class:`~qopt.model.qubo.QUBO`, an :class:`~qopt.model.qubo.Ising`, a Qiskit
``SparsePauliOp`` or a diagonal (numpy array of 2^n energies, index = basis state, little-endian
as in :mod:`qopt.bits`). CVaR (Barkoutsos et al.) needs a diagonal observable.

Every call adds to :attr:`Backend.usage`: shots, circuit executions, logical qubits, transpiled
depth and two-qubit gate count, wall time, job ids and QPU time where the service reports it.

The pieces the interface is made of live beside it and are re-exported here: errors in
:mod:`.errors`, call limits / :class:`Usage` / :class:`Evaluation` / CVaR in :mod:`.calls`,
the :class:`Observable` in :mod:`.observable`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from qopt.backends.calls import (
    DEFAULT_SHOTS,
    MAX_EXACT_QUBITS,
    Evaluation,
    Usage,
    as_param_matrix,
    check_alpha,
    check_exact_width,
    check_shots,
    circuit_stats,
    cvar_from_distribution,
)
from qopt.backends.errors import BackendError, CredentialsError, JobFailedError
from qopt.backends.observable import Observable, parity_signs, pauli_diagonal_terms
from qopt.bits import indices_to_bits
from qopt.errors import OptionError
from qopt.samples import Samples
from qopt.seeds import rng_from

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

# ---- the interface --------------------------------------------------------------------------


class Backend:
    """Base class of every backend; subclasses implement :meth:`_probabilities` (exact mode)
    and/or :meth:`_counts` (sampling mode), and may override :meth:`_expectation_exact` and
    :meth:`_gradient_exact`.

    Args:
        shots: default shot count; None means exact where supported, else :data:`DEFAULT_SHOTS`.
        seed: seed of the backend's own Generator (sampling-mode seeds are drawn from it when
            a call passes no seed).
    """

    name: ClassVar[str] = ""
    supports_exact: ClassVar[bool] = True
    supports_gradient: ClassVar[bool] = False

    def __init__(self, *, shots: int | None = None, seed=None):
        self.shots = check_shots(shots)
        if self.shots is None and not self.supports_exact:
            self.shots = DEFAULT_SHOTS
        self._rng = rng_from(seed)
        self.usage = Usage()
        self._prepared: dict[int, tuple[Any, Any]] = {}
        self._observables: dict[tuple[int, int], tuple[Any, Observable]] = {}

    # ---- identification -------------------------------------------------------------------
    @property
    def spec(self) -> str:
        return self.name

    def __str__(self) -> str:
        return self.spec

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec!r}, shots={self.shots})"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Release sessions / devices (no-op for local simulators)."""

    def reset_usage(self) -> None:
        self.usage = Usage()

    def _observable(self, obj, num_qubits: int) -> Observable:
        """``Observable`` wrapper of ``obj``, cached (diagonal, sort order) per object."""
        if isinstance(obj, Observable):
            return obj
        key = (id(obj), int(num_qubits))
        hit = self._observables.get(key)
        if hit is not None and hit[0] is obj:
            return hit[1]
        obs = Observable(obj, num_qubits)
        if len(self._observables) >= 4:
            self._observables.pop(next(iter(self._observables)))
        self._observables[key] = (obj, obs)
        return obs

    # ---- preparation ------------------------------------------------------------------------
    def check_circuit(self, circuit: QuantumCircuit, *, exact: bool | None = None) -> None:
        """Refuse (before any work) a circuit this backend cannot run in the chosen mode."""
        if exact if exact is not None else self.shots is None:
            check_exact_width(circuit.num_qubits)

    def prepare(self, circuit: QuantumCircuit):
        """The backend's compiled form of ``circuit`` (cached per circuit object)."""
        key = id(circuit)
        hit = self._prepared.get(key)
        if hit is not None and hit[0] is circuit:
            return hit[1]
        prepared = self._prepare(circuit)
        self._prepared[key] = (circuit, prepared)
        self._record_circuit(circuit, prepared)
        return prepared

    def _prepare(self, circuit: QuantumCircuit):
        return circuit

    def _compiled_circuit(self, prepared) -> QuantumCircuit | None:
        """The circuit whose depth / two-qubit count is reported (transpiled where it is)."""
        return prepared if hasattr(prepared, "data") else None

    def _record_circuit(self, circuit: QuantumCircuit, prepared) -> None:
        compiled = self._compiled_circuit(prepared) or circuit
        depth, twoq = circuit_stats(compiled)
        self.usage.num_qubits = circuit.num_qubits
        self.usage.depth = depth
        self.usage.two_qubit_gates = twoq

    def _mode_shots(self, shots) -> int | None:
        s = check_shots(shots) if shots is not None else self.shots
        if s is None and not self.supports_exact:
            s = DEFAULT_SHOTS
        return s

    def _seed(self, seed) -> int:
        if seed is None:
            return int(self._rng.integers(2**31 - 1))
        return int(rng_from(seed).integers(2**31 - 1)) if isinstance(seed, np.random.Generator) \
            else int(seed)

    # ---- distributions ------------------------------------------------------------------------
    def probabilities(self, circuit: QuantumCircuit, params=None) -> np.ndarray:
        """Exact probabilities, shape (2^n,) or (k, 2^n) for a batch (little-endian index)."""
        if not self.supports_exact:
            raise OptionError(f"backend {self.spec!r} has no exact mode; pass shots=...")
        self.check_circuit(circuit, exact=True)
        check_exact_width(circuit.num_qubits)
        theta, single = as_param_matrix(params, circuit.num_parameters)
        prepared = self.prepare(circuit)
        t0 = time.perf_counter()
        probs = np.asarray(self._probabilities(prepared, circuit, theta), dtype=float)
        self.usage.simulation_time += time.perf_counter() - t0
        self.usage.executions += theta.shape[0]
        return probs[0] if single else probs

    def counts(self, circuit: QuantumCircuit, params=None, shots: int | None = None, *,
               seed=None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Sampled outcomes per parameter set: [(basis indices (m,), counts (m,))] of length k."""
        s = check_shots(shots) or self.shots or DEFAULT_SHOTS
        self.check_circuit(circuit, exact=False)
        theta, _ = as_param_matrix(params, circuit.num_parameters)
        prepared = self.prepare(circuit)
        t0 = time.perf_counter()
        out = self._counts(prepared, circuit, theta, s, self._seed(seed))
        self.usage.simulation_time += time.perf_counter() - t0
        self.usage.executions += theta.shape[0]
        self.usage.shots += s * theta.shape[0]
        return out

    def _probabilities(self, prepared, circuit, theta: np.ndarray) -> np.ndarray:
        raise OptionError(f"backend {self.spec!r} has no exact mode; pass shots=...")

    def _counts(self, prepared, circuit, theta: np.ndarray, shots: int, seed: int
                ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Default sampling: multinomial draws from the exact probabilities."""
        probs = self._probabilities(prepared, circuit, theta)
        rng = np.random.default_rng(seed)
        out = []
        for row in np.atleast_2d(probs):
            p = np.clip(row, 0.0, None)
            c = rng.multinomial(shots, p / p.sum())
            nz = np.flatnonzero(c)
            out.append((nz.astype(np.int64), c[nz].astype(np.int64)))
        return out

    def _distributions(self, circuit, params, shots, seed):
        """[(indices, weights)] per parameter set, exact or sampled, and the (k,P) matrix."""
        theta, single = as_param_matrix(params, circuit.num_parameters)
        s = self._mode_shots(shots)
        if s is None:
            probs = np.atleast_2d(self.probabilities(circuit, theta))
            idx = np.arange(probs.shape[1], dtype=np.int64)
            return [(idx, row) for row in probs], single, None
        return self.counts(circuit, theta, s, seed=seed), single, s

    # ---- the interface ------------------------------------------------------------------------
    def expectation(self, circuit: QuantumCircuit, params, observable,
                    shots: int | None = None, *, seed=None):
        """<psi(params)| H |psi(params)>: float, or shape (k,) for a batch of parameter sets.

        Exact mode uses the backend's exact path; sampling mode averages the energies of the
        samples (diagonal H) or uses an estimator (general H, where the backend has one).
        """
        obs = self._observable(observable, circuit.num_qubits)
        theta, single = as_param_matrix(params, circuit.num_parameters)
        s = self._mode_shots(shots)
        if s is None:
            self.check_circuit(circuit, exact=True)
            prepared = self.prepare(circuit)
            t0 = time.perf_counter()
            vals = np.asarray(self._expectation_exact(prepared, circuit, theta, obs), float)
            self.usage.simulation_time += time.perf_counter() - t0
            self.usage.executions += theta.shape[0]
        elif obs.diagonal_form:
            dists = self.counts(circuit, theta, s, seed=seed)
            vals = np.array([obs.energies(i) @ c / c.sum() for i, c in dists])
        else:
            vals = np.asarray(self._expectation_sampled(circuit, theta, obs, s, self._seed(seed)))
        return float(vals[0]) if single else vals

    def _expectation_exact(self, prepared, circuit, theta, obs: Observable) -> np.ndarray:
        probs = np.atleast_2d(self._probabilities(prepared, circuit, theta))
        if obs.diagonal_form:
            return probs @ obs.diagonal()
        raise OptionError(f"backend {self.spec!r} evaluates only diagonal observables exactly")

    def _expectation_sampled(self, circuit, theta, obs: Observable, shots: int, seed: int):
        raise OptionError(f"backend {self.spec!r} cannot estimate a non-diagonal observable "
                          "from samples")

    def cvar(self, circuit: QuantumCircuit, params, observable, alpha: float,
             shots: int | None = None, *, seed=None):
        """CVaR_alpha of a diagonal observable (see :func:`cvar_from_distribution`)."""
        alpha = check_alpha(alpha)
        obs = self._observable(observable, circuit.num_qubits)
        if not obs.diagonal_form:
            raise OptionError("CVaR needs a diagonal observable (QUBO, Ising or Z-only operator)")
        dists, single, s = self._distributions(circuit, params, shots, seed)
        vals = np.array([cvar_from_distribution(self._energies(obs, i, s), w, alpha,
                                                self._order(obs, s)) for i, w in dists])
        return float(vals[0]) if single else vals

    def _energies(self, obs: Observable, indices, shots) -> np.ndarray:
        return obs.diagonal() if shots is None else obs.energies(indices)

    @staticmethod
    def _order(obs: Observable, shots) -> np.ndarray | None:
        return obs.order() if shots is None else None

    def evaluate(self, circuit: QuantumCircuit, params, observable, *, alpha: float = 1.0,
                 shots: int | None = None, seed=None) -> list[Evaluation]:
        """Expectation, CVaR and best state seen, from ONE distribution per parameter set."""
        alpha = check_alpha(alpha)
        obs = self._observable(observable, circuit.num_qubits)
        dists, _, s = self._distributions(circuit, params, shots, seed)
        out = []
        for idx, w in dists:
            e = self._energies(obs, idx, s)
            mass = w.sum()
            seen = w > (1e-12 * mass if s is None else 0)
            j = int(np.flatnonzero(seen)[np.argmin(e[seen])])
            out.append(Evaluation(expectation=float(e @ w / mass),
                                  cvar=cvar_from_distribution(e, w, alpha,
                                                              self._order(obs, s)),
                                  best_index=int(idx[j]), best_energy=float(e[j]), shots=s))
        return out

    def correlators(self, circuit: QuantumCircuit, params, terms, *, shots: int | None = None,
                    seed=None) -> np.ndarray:
        """<Z_q1 Z_q2 ...> for each term (a tuple of qubits): shape (T,) or (k, T)."""
        dists, single, _ = self._distributions(circuit, params, shots, seed)
        terms = [tuple(t) for t in terms]
        vals = np.array([[w @ parity_signs(idx, t) / w.sum() for t in terms]
                         for idx, w in dists]).reshape(len(dists), len(terms))
        return vals[0] if single else vals

    def sample(self, circuit: QuantumCircuit, params, shots: int | None = None,
               seed=None) -> Samples:
        """Samples of one parameter set: unique bit rows (k, n) with their counts as weights."""
        theta, single = as_param_matrix(params, circuit.num_parameters)
        if not single:
            raise OptionError("sample() takes one parameter set; loop over a batch")
        (idx, c), = self.counts(circuit, theta, shots or self.shots or DEFAULT_SHOTS, seed=seed)
        return Samples(indices_to_bits(idx, circuit.num_qubits), c.astype(float))

    def gradient(self, circuit: QuantumCircuit, params, observable, *, shots: int | None = None,
                 seed=None) -> tuple[float, np.ndarray]:
        """(expectation, d expectation / d params) at one parameter set, shape (P,).

        Exact mode uses the backend's analytic gradient where it has one (adjoint); otherwise
        the parameter-shift rule when every parameter enters one rotation gate with unit
        slope, else central differences (step 1e-4 exact, 0.1 sampled). All shifted points
        run as one batch.
        """
        theta, single = as_param_matrix(params, circuit.num_parameters)
        if not single:
            raise OptionError("gradient() takes one parameter set")
        s = self._mode_shots(shots)
        if s is None and self.supports_gradient:
            obs = self._observable(observable, circuit.num_qubits)
            self.check_circuit(circuit, exact=True)
            prepared = self.prepare(circuit)
            t0 = time.perf_counter()
            out = self._gradient_exact(prepared, circuit, theta[0], obs)
            self.usage.simulation_time += time.perf_counter() - t0
            if out is not None:
                self.usage.executions += 1
                return float(out[0]), np.asarray(out[1], dtype=float)
        P = circuit.num_parameters
        if shift_rule_applies(circuit):
            step, scale = np.pi / 2, 0.5
        else:
            step = 1e-4 if s is None else 0.1
            scale = 1.0 / (2 * step)
        eye = np.eye(P) * step
        batch = np.vstack([theta, theta + eye, theta - eye])
        vals = np.atleast_1d(self.expectation(circuit, batch, observable, shots=s, seed=seed))
        grad = scale * (vals[1:P + 1] - vals[P + 1:])
        return float(vals[0]), grad

    def _gradient_exact(self, prepared, circuit, theta, obs: Observable):
        """(value, gradient) analytically, or None to fall back to shifts / differences."""
        return None


def shift_rule_applies(circuit: QuantumCircuit) -> bool:
    """Whether every parameter appears exactly once, as ``+-theta`` in a 1-parameter rotation."""
    rotations = {"rx", "ry", "rz", "rxx", "ryy", "rzz", "rzx", "crx", "cry", "crz"}
    seen: dict[Any, int] = {}
    for inst in circuit.data:
        for p in inst.operation.params:
            if not hasattr(p, "parameters"):
                continue
            if inst.operation.name not in rotations or len(p.parameters) != 1:
                return False
            (par,) = p.parameters
            try:
                slope = float(p.gradient(par))
            except TypeError:
                return False
            if abs(abs(slope) - 1.0) > 1e-12 or inst.operation.name.startswith("cr"):
                return False
            seen[par] = seen.get(par, 0) + 1
    return all(v == 1 for v in seen.values()) and len(seen) == circuit.num_parameters


# the names below live in calls / errors / observable and are re-exported here, where every
# backend module and many users import them from
__all__ = [
    "DEFAULT_SHOTS", "MAX_EXACT_QUBITS", "Backend", "BackendError", "CredentialsError",
    "Evaluation", "JobFailedError", "Observable", "Usage", "as_param_matrix", "check_alpha",
    "check_exact_width", "check_shots", "circuit_stats", "cvar_from_distribution",
    "parity_signs", "pauli_diagonal_terms", "shift_rule_applies",
]
