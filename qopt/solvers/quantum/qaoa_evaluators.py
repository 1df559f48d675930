"""The QAOA ansatz and its evaluators (split out of :mod:`qopt.solvers.quantum.qaoa`).

:class:`Ansatz` describes the parametrised state (conventions in the ``qaoa`` module
docstring); an *evaluator* runs it with a narrow interface ``value(x)``,
``value_and_grad(x)``, ``sample(x, shots, rng)``, ``z_correlators(x, masks)``,
``expectation_and_cvar(x)``: :class:`EngineEvaluator` on the in-house statevector engine,
:class:`CircuitEvaluator` as a parametrised Qiskit circuit on any :mod:`qopt.backends`
backend, and (constraint-preserving mixers)
:class:`~qopt.solvers.quantum.qaoa_subspace.SubspaceEvaluator` on the feasible subspace.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from qopt.errors import OptionError
from qopt.solvers.base import Samples, rng_from

# ---------------------------------------------------------------------------------------------
# ansatz description and evaluators
# ---------------------------------------------------------------------------------------------


def ising_to_qubo(ising):
    """A QUBO with the same energies as ``ising`` under z_i = 1 - 2 x_i."""
    import scipy.sparse as sp

    from qopt.model.qubo import QUBO

    n = ising.num_spins
    J = ising.J.tocoo()
    quad = sp.csr_matrix((4.0 * J.data, (J.row, J.col)), shape=(n, n))
    lin = -2.0 * np.asarray(ising.h, dtype=float)
    lin -= 2.0 * (np.bincount(J.row, J.data, n) + np.bincount(J.col, J.data, n))
    offset = float(ising.offset + np.sum(ising.h) + J.data.sum())
    return QUBO(quad, lin, offset, num_vars=n)


@dataclass
class Ansatz:
    """A QAOA ansatz on a QUBO: depth ``p``, multi-angle or not, optional warm start, optional
    constraint-preserving ``mixer`` (:mod:`qopt.solvers.quantum.mixers`) with its initial state
    ``init`` (None: the transverse-field mixer from |+>^n).

    Parameter vector x (normalised): standard ``[gammas (p), betas (p)]``; multi-angle
    ``[gammas (p * T), betas (p * K)]`` with T = number of Ising terms (fields, then couplings)
    and K = number of partial mixers (n for the x mixer: one beta per qubit).
    """

    qubo: Any
    p: int
    multi_angle: bool = False
    warm_start: np.ndarray | None = None
    mixer: Any = None
    init: Any = None

    def __post_init__(self):
        self.ising = self.qubo.to_ising()
        self.n = self.qubo.num_vars
        self.terms, self.coeffs = self.ising.terms()
        big = float(np.max(np.abs(self.coeffs))) if len(self.coeffs) else 1.0
        self.gamma_scale = 1.0 / big if big > 0 else 1.0

    @property
    def constrained(self) -> bool:
        """True with a mixer other than the plain x mixer."""
        return self.mixer is not None and self.mixer.name != "x"

    @property
    def num_terms(self) -> int:
        return len(self.terms)

    @property
    def num_partials(self) -> int:
        """Partial mixers per layer (n for the x mixer)."""
        return self.n if self.mixer is None else self.mixer.num_partials

    @property
    def num_params(self) -> int:
        if self.multi_angle:
            return self.p * (self.num_terms + self.num_partials)
        return 2 * self.p

    def split(self, x) -> tuple[np.ndarray, np.ndarray]:
        """True (gammas, betas): shapes (p,), (p,) or, multi-angle, (p, T), (p, K)."""
        x = np.asarray(x, dtype=float)
        p = self.p
        if self.multi_angle:
            g = x[: p * self.num_terms].reshape(p, self.num_terms) * self.gamma_scale
            return g, x[p * self.num_terms:].reshape(p, self.num_partials)
        return x[:p] * self.gamma_scale, x[p:]

    def join(self, gammas_norm, betas) -> np.ndarray:
        """Normalised parameter vector from per-layer normalised gammas and betas (p,)."""
        g = np.asarray(gammas_norm, dtype=float)
        b = np.asarray(betas, dtype=float)
        if self.multi_angle:
            return np.concatenate([np.repeat(g[:, None], self.num_terms, 1).ravel(),
                                   np.repeat(b[:, None], self.num_partials, 1).ravel()])
        return np.concatenate([g, b])

    def circuit(self, x=None, *, measure: bool = False):
        """Qiskit circuit: bound to the true angles of ``x``, or parametrised if x is None."""
        from qopt.solvers.quantum.circuits import qaoa_circuit

        if self.constrained:
            return self._mixer_circuit(x, measure)

        if x is None:
            from qiskit.circuit import ParameterVector

            if self.multi_angle:
                gv = ParameterVector("gamma", self.p * self.num_terms)
                bv = ParameterVector("beta", self.p * self.n)
                g = np.array(list(gv), dtype=object).reshape(self.p, self.num_terms)
                b = np.array(list(bv), dtype=object).reshape(self.p, self.n)
            else:
                g, b = list(ParameterVector("gamma", self.p)), list(ParameterVector("beta",
                                                                                    self.p))
            return qaoa_circuit(self.ising, g, b, measure=measure, warm_start=self.warm_start)
        g, b = self.split(x)
        return qaoa_circuit(self.ising, g, b, measure=measure, warm_start=self.warm_start)

    def _mixer_circuit(self, x, measure: bool):
        """The constraint-preserving circuit (:mod:`qopt.solvers.quantum.mixer_circuits`)."""
        from qopt.solvers.quantum.mixer_circuits import mixer_qaoa_circuit
        from qopt.solvers.quantum.qaoa_constrained import circuit_parts

        parts, init = circuit_parts(self.mixer, self.init)
        if x is None:
            from qiskit.circuit import ParameterVector

            ng = self.p * (self.num_terms if self.multi_angle else 1)
            nb = self.p * (self.num_partials if self.multi_angle else 1)
            g = np.array(list(ParameterVector("gamma", ng)), dtype=object)
            b = np.array(list(ParameterVector("beta", nb)), dtype=object)
            if self.multi_angle:
                g, b = g.reshape(self.p, -1), b.reshape(self.p, -1)
        else:
            g, b = self.split(x)
        return mixer_qaoa_circuit(self.qubo, g, b, parts, init, measure=measure)

    def term_masks(self) -> np.ndarray:
        return np.array([sum(1 << q for q in t) for t in self.terms], dtype=np.int64)


class ExactEvaluator:
    """Shared ``value`` of the exact evaluators: ``state(x)`` then ``_objective()[0]`` (the
    expectation or CVaR of the state), timed into ``simulation_time``."""

    simulation_time = 0.0

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
        self.qubo.check_diagonal_size(memory_limit)
        self.engine = StatevectorEngine(ansatz.n, dtype=dtype, memory_limit=memory_limit)
        self.diag = self.qubo.diagonal(memory_limit=memory_limit)
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

    # -- internals -----------------------------------------------------------------------------
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
        val, dg, db = self.engine.qaoa_gradient(self.diag, g, b, warm_start=a.warm_start,
                                                alpha=self.alpha)
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


def _is_engine(backend) -> bool:
    return backend is None or backend == "statevector"


def _is_evaluator(backend) -> bool:
    return hasattr(backend, "value") and hasattr(backend, "value_and_grad")


def _resolve_backend(backend):
    """``backend`` with a spec string turned into its Backend once, so that several evaluators
    (and the budget plan) share it; the engine spec and ready evaluators are kept as given."""
    if _is_engine(backend) or _is_evaluator(backend):
        return backend
    from qopt.backends.registry import get_backend

    return get_backend(backend)


def estimate_shots(backend, shots: int | None) -> int | None:
    """Shots of one estimate on a resolved ``backend`` given the solver's ``shots``: None
    (exact evaluation) on the engine and on backends with an exact mode."""
    if _is_engine(backend):
        return None
    if _is_evaluator(backend):
        return getattr(backend, "shots", None)
    return None if getattr(backend, "supports_exact", False) else shots


def make_evaluator(ansatz: Ansatz, backend=None, alpha: float = 1.0, *, seed=None,
                   shots: int | None = None):
    """The evaluator for ``backend`` (None / "statevector": the in-house engine)."""
    if _is_engine(backend):
        return EngineEvaluator(ansatz, alpha)
    if _is_evaluator(backend):
        return backend                      # a ready evaluator
    return CircuitEvaluator(ansatz, backend, alpha, shots=shots, seed=seed)
