"""The QAOA evaluators: an :class:`~qopt.solvers.quantum.qaoa_ansatz.Ansatz` run on a backend.

An *evaluator* has a narrow interface ``value(x)``, ``value_and_grad(x)``,
``sample(x, shots, rng)``, ``z_correlators(x, masks)``, ``expectation_and_cvar(x)`` (x the
normalised parameters): :class:`EngineEvaluator` on the in-house statevector engine,
:class:`CircuitEvaluator` as a parametrised Qiskit circuit on any :mod:`qopt.backends`
backend, and (constraint-preserving mixers)
:class:`~qopt.solvers.quantum.qaoa_subspace.SubspaceEvaluator` on the feasible subspace.

The exact evaluators (:class:`ExactEvaluator`) also give the final state over the space they
simulate, for diagnostics: ``probabilities(x)`` (shape (S,), summing to 1), ``space_size``
(S) and ``space_bits(idx)`` (the basis states ``idx`` as bit rows over the ansatz's qubits,
shape (k, n) uint8), next to ``diag`` (the cost of each basis state, shape (S,)).
"""

from __future__ import annotations

import time

import numpy as np

from qopt.bits import indices_to_bits
from qopt.errors import OptionError
from qopt.samples import Samples
from qopt.seeds import rng_from
from qopt.solvers.quantum.qaoa_ansatz import Ansatz


class ExactEvaluator:
    """Shared part of the exact evaluators: ``value`` is ``state(x)`` then ``_objective()[0]``
    (the expectation or CVaR of the state), timed into ``simulation_time``; the final-state
    interface of the module doc (``probabilities``, ``space_size``, ``space_bits``)."""

    simulation_time = 0.0
    diag: np.ndarray

    def probabilities(self, x) -> np.ndarray:
        """|amplitude|^2 of every simulated basis state in the state of x, shape (S,)."""
        self.state(x)
        return self._probabilities()

    @property
    def space_size(self) -> int:
        return int(self.diag.shape[0])

    def space_bits(self, idx) -> np.ndarray:
        """Basis states ``idx`` (shape (k,)) as bit rows over the ansatz's qubits (k, n)."""
        raise NotImplementedError

    def _probabilities(self) -> np.ndarray:
        raise NotImplementedError

    def value(self, x) -> float:
        t0 = time.perf_counter()
        self.state(x)
        v = self._objective()[0]
        self.simulation_time += time.perf_counter() - t0
        return v


class EngineEvaluator(ExactEvaluator):
    """The ansatz on the in-house statevector engine (exact values, adjoint gradients)."""

    name = "statevector"

    def __init__(self, ansatz: Ansatz, alpha: float = 1.0, *, dtype=np.complex128,
                 memory_limit: int | None = None):
        from qopt.backends.statevector import StatevectorEngine

        self.ansatz = ansatz
        self.alpha = float(alpha)
        self.qubo = ansatz.qubo
        self.diag = engine_diagonal(self.qubo, memory_limit)    # before the state: peak memory
        self.engine = StatevectorEngine(ansatz.n, dtype=dtype, memory_limit=memory_limit)
        self.simulation_time = 0.0
        if ansatz.multi_angle:
            from qopt.backends.statevector import fwht

            self._masks = ansatz.term_masks()
            self._fwht = fwht

    # -- the narrow interface (value: ExactEvaluator) ------------------------------------------
    def value_and_grad(self, x) -> tuple[float, np.ndarray]:
        t0 = time.perf_counter()
        out = self._ma_grad(x) if self.ansatz.multi_angle else self._std_grad(x)
        self.simulation_time += time.perf_counter() - t0
        return out

    @property
    def threads_in_use(self) -> int:
        """Threads the engine's kernels run on (``info["threads"]``)."""
        return self.engine.threads_in_use

    def sample(self, x, shots: int, rng) -> Samples:
        self.state(x)
        bits, counts = self.engine.sample(shots, rng)
        return Samples(bits, counts.astype(float))

    def z_correlators(self, x, masks) -> np.ndarray:
        """<Z-string> of each qubit mask in the state of x."""
        self.state(x)
        return self.engine.z_expectations(masks)

    def expectation_and_cvar(self, x) -> tuple[float, float]:
        self.state(x)
        e = self.engine.expectation(self.diag)
        c = self.engine.cvar(self.diag, self.alpha) if self.alpha < 1 else e
        return e, c

    def space_bits(self, idx) -> np.ndarray:
        return indices_to_bits(np.asarray(idx, dtype=np.int64), self.ansatz.n)

    # -- internals -----------------------------------------------------------------------------
    def _probabilities(self) -> np.ndarray:
        return self.engine.probabilities()

    def _objective(self) -> tuple[float, np.ndarray | None]:
        if self.alpha >= 1.0:
            return self.engine.expectation(self.diag), None
        return self.engine.cvar_weights(self.diag, self.alpha)

    def _layer_diag(self, g_row) -> np.ndarray:
        a = np.zeros(1 << self.ansatz.n)
        np.add.at(a, self._masks, g_row * self.ansatz.coeffs)
        return self._fwht(a)

    def state(self, x):
        a = self.ansatz
        g, b = a.split(x)
        eng = self.engine
        if not a.multi_angle:
            return eng.qaoa_state(self.diag, g, b, warm_start=a.warm_start)
        from qopt.backends.statevector import warm_start_angles, warm_start_mixers

        th = None if a.warm_start is None else warm_start_angles(a.warm_start)
        if th is None:
            eng.reset_plus()
        else:
            eng.reset_product(np.cos(th / 2), np.sin(th / 2))
        for layer in range(a.p):
            d = self._layer_diag(g[layer])
            mixers = None if th is None else warm_start_mixers(th, b[layer])
            eng.qaoa_layer(d, 1.0, b[layer], mixers=mixers)
        return eng.state

    def _std_grad(self, x) -> tuple[float, np.ndarray]:
        a = self.ansatz
        g, b = a.split(x)
        # the sweep may run in the engine's state: every reader of it rebuilds it first
        val, dg, db = self.engine.qaoa_gradient(self.diag, g, b, warm_start=a.warm_start,
                                                alpha=self.alpha, keep_state=False)
        return val, np.concatenate([dg * a.gamma_scale, db])

    def _ma_grad(self, x) -> tuple[float, np.ndarray]:
        from qopt.backends.statevector import (
            warm_start_angles,
            warm_start_generators,
            warm_start_mixers,
            x_rotation_matrices,
        )

        a = self.ansatz
        eng = self.engine
        g, b = a.split(x)
        psi = self.state(x)
        val, w = self._objective()
        phi, lam = eng.gradient_buffers()
        phi[...] = psi
        eng.multiply_diagonal(lam, psi, self.diag if w is None else w)
        th = None if a.warm_start is None else warm_start_angles(a.warm_start)
        dg = np.zeros((a.p, a.num_terms))
        db = np.zeros((a.p, a.n))
        for layer in range(a.p - 1, -1, -1):
            if th is None:
                inv, gens, mode = (x_rotation_matrices(-b[layer], a.n),
                                   np.zeros((a.n, 2, 2), complex), 0)
            else:
                inv, gens, mode = warm_start_mixers(th, -b[layer]), warm_start_generators(th), 1
            imov, _ = eng.backward_layer(phi, lam, inv, gens, mode)
            db[layer] = 2.0 * imov
            v = (np.conj(lam) * phi).imag
            dg[layer] = 2.0 * self._fwht(v)[self._masks] * a.coeffs
            ph = np.exp(1j * self._layer_diag(g[layer]))
            phi *= ph
            lam *= ph
        return val, np.concatenate([(dg * a.gamma_scale).ravel(), db.ravel()])


class CircuitEvaluator:
    """The ansatz as a parametrised Qiskit circuit on a :mod:`qopt.backends` Backend."""

    def __init__(self, ansatz: Ansatz, backend, alpha: float = 1.0, *, shots: int | None = None,
                 seed=None):
        from qopt.backends.registry import get_backend

        self.ansatz = ansatz
        self.alpha = float(alpha)
        self.backend = get_backend(backend)
        self.name = getattr(self.backend, "spec", str(backend))
        self.circuit = ansatz.circuit()
        self.shots = estimate_shots(self.backend, shots)
        self._rng = rng_from(seed)
        self.simulation_time = 0.0
        # circuit parameter order (Qiskit sorts by name): beta[...] then gamma[...]
        names = [p.name for p in self.circuit.parameters]
        self._order = np.array([_param_slot(nm, ansatz) for nm in names], dtype=np.int64)

    def _theta(self, x) -> np.ndarray:
        g, b = self.ansatz.split(x)
        true = np.concatenate([np.ravel(g), np.ravel(b)])
        return true[self._order]

    def _seed(self):
        return int(self._rng.integers(2**31 - 1))

    def value(self, x) -> float:
        t0 = time.perf_counter()
        th = self._theta(x)
        if self.alpha >= 1.0:
            v = self.backend.expectation(self.circuit, th, self.ansatz.qubo, shots=self.shots,
                                         seed=self._seed())
        else:
            v = self.backend.cvar(self.circuit, th, self.ansatz.qubo, self.alpha,
                                  shots=self.shots, seed=self._seed())
        self.simulation_time += time.perf_counter() - t0
        return float(v)

    def value_and_grad(self, x) -> tuple[float, np.ndarray]:
        if self.alpha < 1.0:
            raise OptionError("gradient optimizers with CVaR (alpha < 1) need the statevector "
                              "backend; use cobyla / nelder-mead / spsa here")
        t0 = time.perf_counter()
        val, gth = self.backend.gradient(self.circuit, self._theta(x), self.ansatz.qubo,
                                         shots=self.shots, seed=self._seed())
        self.simulation_time += time.perf_counter() - t0
        true = np.zeros(len(gth))
        true[self._order] = gth                     # back to [gammas, betas] order
        a = self.ansatz
        ng = a.p * (a.num_terms if a.multi_angle else 1)
        true[:ng] *= a.gamma_scale
        return float(val), true

    def sample(self, x, shots: int, rng) -> Samples:
        return self.backend.sample(self.circuit, self._theta(x), shots,
                                   seed=int(rng_from(rng).integers(2**31 - 1)))

    def sample_and_evaluate(self, x, shots: int, rng):
        """(samples, Evaluation or None): under mitigation (device backends) the final samples
        and the expectation / CVaR of the same mitigated quasi-distribution, one execution
        (see :mod:`qopt.backends.mitigation`); else the samples and None."""
        seed = int(rng_from(rng).integers(2**31 - 1))
        both = getattr(self.backend, "sample_and_evaluate", None)
        if both is None:
            return self.backend.sample(self.circuit, self._theta(x), shots, seed=seed), None
        return both(self.circuit, self._theta(x), self.ansatz.qubo, alpha=self.alpha,
                    shots=shots, seed=seed)

    def z_correlators(self, x, masks) -> np.ndarray:
        terms = [tuple(i for i in range(self.ansatz.n) if (int(m) >> i) & 1) for m in masks]
        return np.asarray(self.backend.correlators(self.circuit, self._theta(x), terms,
                                                   shots=self.shots, seed=self._seed()))

    def expectation_and_cvar(self, x) -> tuple[float, float]:
        th = self._theta(x)
        ev = self.backend.evaluate(self.circuit, th, self.ansatz.qubo, alpha=self.alpha,
                                   shots=self.shots, seed=self._seed())[0]
        return float(ev.expectation), float(ev.cvar)


def _param_slot(name: str, ansatz: Ansatz) -> int:
    """Index in the [gammas..., betas...] vector of a circuit parameter named gamma[i]/beta[i]."""
    base, _, rest = name.partition("[")
    i = int(rest.rstrip("]"))
    ng = ansatz.p * (ansatz.num_terms if ansatz.multi_angle else 1)
    return i if base == "gamma" else ng + i


def is_engine(backend) -> bool:
    """Whether ``backend`` names the in-house statevector engine (None or "statevector")."""
    return backend is None or backend == "statevector"


def is_evaluator(backend) -> bool:
    """Whether ``backend`` is a ready evaluator (has ``value`` and ``value_and_grad``)."""
    return hasattr(backend, "value") and hasattr(backend, "value_and_grad")


def resolve_backend(backend):
    """``backend`` with a spec string turned into its Backend once, so that several evaluators
    (and the budget plan) share it; the engine spec and ready evaluators are kept as given."""
    if is_engine(backend) or is_evaluator(backend):
        return backend
    from qopt.backends.registry import get_backend

    return get_backend(backend)


def estimate_shots(backend, shots: int | None) -> int | None:
    """Shots of one estimate on a resolved ``backend`` given the solver's ``shots``: None
    (exact evaluation) on the engine and on backends with an exact mode."""
    if is_engine(backend):
        return None
    if is_evaluator(backend):
        return getattr(backend, "shots", None)
    return None if getattr(backend, "supports_exact", False) else shots


def engine_diagonal(cost, memory_limit: int | None = None):
    """The cost diagonal the engine evaluators use: uint8 / uint16 levels of an integer cost
    from :data:`~qopt.backends.statevector.levels.LEVELS_MIN_QUBITS` qubits on (1/8 or 1/4 of
    the float64 diagonal's memory and traffic), else the float64 diagonal."""
    from qopt.backends.statevector.levels import LEVELS_MIN_QUBITS, LevelDiagonal, level_dtype

    if cost.num_vars >= LEVELS_MIN_QUBITS and level_dtype(cost) is not None:
        levels = LevelDiagonal.from_cost(cost, memory_limit=memory_limit)
        if levels is not None:
            return levels
    cost.check_diagonal_size(memory_limit)
    return cost.diagonal(memory_limit=memory_limit)


def make_evaluator(ansatz: Ansatz, backend=None, alpha: float = 1.0, *, seed=None,
                   shots: int | None = None, precision: str = "complex128"):
    """The evaluator for ``backend`` (None / "statevector": the in-house engine, its states
    in ``precision``)."""
    if is_engine(backend):
        return EngineEvaluator(ansatz, alpha, dtype=np.dtype(precision))
    if is_evaluator(backend):
        return backend                      # a ready evaluator
    return CircuitEvaluator(ansatz, backend, alpha, shots=shots, seed=seed)


__all__ = ["CircuitEvaluator", "EngineEvaluator", "ExactEvaluator", "engine_diagonal",
           "estimate_shots",
           "is_engine", "is_evaluator", "make_evaluator", "resolve_backend"]
