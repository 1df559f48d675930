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
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from qopt.bits import indices_to_bits
from qopt.errors import OptionError, SizeLimitError, SolverError
from qopt.samples import Samples
from qopt.seeds import rng_from

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

#: default shot count of backends that cannot run exactly
DEFAULT_SHOTS = 1024
#: exact (probability-vector) modes refuse circuits wider than this many qubits
MAX_EXACT_QUBITS = 30


class BackendError(SolverError):
    """A backend could not be set up or could not run a circuit."""


class CredentialsError(BackendError):
    """No IBM Quantum credentials were found (saved account or environment)."""


class JobFailedError(BackendError):
    """A primitive job failed or was cancelled; ``job_id`` names it for retrieval or resume."""

    def __init__(self, job_id: str | None, status: str, message: str = ""):
        self.job_id = job_id
        self.status = status
        super().__init__(f"job {job_id or '<unknown>'} ended with status {status}"
                         + (f": {message}" if message else ""))


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


# ---- helpers shared by every backend ------------------------------------------------------


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


def check_exact_width(n: int) -> None:
    if n > MAX_EXACT_QUBITS:
        raise SizeLimitError(f"exact mode keeps 2^{n} probabilities; the limit is "
                             f"{MAX_EXACT_QUBITS} qubits (use shots=... for sampling)")


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


__all__ = [
    "DEFAULT_SHOTS", "MAX_EXACT_QUBITS", "Backend", "BackendError", "CredentialsError",
    "Evaluation", "JobFailedError", "Observable", "Usage", "as_param_matrix", "circuit_stats",
    "cvar_from_distribution", "parity_signs",
]
