"""The QAOA family: standard, CVaR, multi-angle, warm-start and recursive QAOA.

All solvers take the task's QUBO (``input = "qubo"``) and follow the toolkit's conventions:
cost layer ``exp(-i gamma H_C)`` with ``H_C`` the QUBO energy (diagonal ``QUBO.diagonal()``),
mixer ``exp(-i beta sum X)``, qubit i = variable i. Optimised parameters are *normalised*: the
solver multiplies gammas by ``gamma_scale = 1 / max |Ising coefficient|`` (reported in
``info``), so one set of initial ranges suits every problem; the exported circuit
(:func:`qopt.solvers.quantum.circuits.qaoa_circuit`) takes the true angles in ``info``.

Backends: ``backend=None`` / ``"statevector"`` uses the in-house engine
(:class:`~qopt.backends.statevector.StatevectorEngine`) directly; any other spec accepted by
:func:`qopt.backends.registry.get_backend` (aer, lightning, ibm:..., fake:..., a Backend
object) runs the exported parametrised circuit through that backend. The solver only talks to
an *evaluator* with a narrow interface: ``value(x)``, ``value_and_grad(x)``,
``sample(x, shots, rng)``, ``z_correlators(x, masks)``.

Budget (:mod:`qopt.solvers.budget`): ``budget`` is in objective evaluations, the unit of every
solver. An exact expectation / CVaR of one parameter set on a simulator costs 1 (an adjoint
value+gradient too); on a sampling backend one estimate costs ``shots`` and gradients use the
shift rule on such estimates; the final samples cost one per shot and are paid first. What is
left, ``(budget - shots) // cost`` parameter sets, is split over restarts / INTERP stages / RQAOA
rounds and never exceeded. Without ``budget``, ``maxiter`` parameter sets run and the final
samples come on top.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from qopt.backends.base import MAX_EXACT_QUBITS
from qopt.errors import OptionError, SizeLimitError
from qopt.solvers.base import Samples, Solver, SolverOutput, Task, rng_from
from qopt.solvers.budget import final_shots, plan_quantum_budget
from qopt.solvers.optimizers import get_optimizer
from qopt.solvers.plans import add_optimizer, add_samples, add_statevector
from qopt.solvers.quantum import initialisation as init_mod
from qopt.solvers.quantum.qaoa_subspace import SubspaceEvaluator

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


class EngineEvaluator:
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

    # -- the narrow interface ------------------------------------------------------------------
    def value(self, x) -> float:
        t0 = time.perf_counter()
        self.state(x)
        v = self._objective()[0]
        self.simulation_time += time.perf_counter() - t0
        return v

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


# ---------------------------------------------------------------------------------------------
# options and the optimisation loop
# ---------------------------------------------------------------------------------------------


@dataclass
class QAOAOptions:
    """Options of the QAOA solvers.

    p: layers. alpha: CVaR level in (0, 1] (1 = expectation). init: ramp | interp | fourier |
    random | transfer (angles of ``transfer_from``, a smaller instance "kind:name" optimised
    first with these options and init ``source_init``, or a schedule file "*.json"; then
    only the final samples and ``fine_tune`` evaluations are paid: see
    :mod:`qopt.solvers.quantum.transfer`). restarts: independent optimisations (the first
    from ``init``, the others from random angles), budget split evenly. shots: final samples
    drawn from the best state (and the shots of one estimate on a sampling backend); None =
    1024, capped at half the budget.
    maxiter: parameter sets to run when ``solve(budget=...)`` is not given. optimizer: default
    optimizer name when the ``optimizer`` keyword is not given. mixer: ``x`` (transverse
    field, default) or a constraint-preserving mixer (xy-ring, xy-complete, swap,
    independent-set, capacity, feasible: see :mod:`qopt.solvers.quantum.mixers`), which runs
    on the program's variables without slack qubits (on the feasible-subspace simulator by
    default). init_state: default | uniform | identity | empty | greedy (constrained mixers).
    """

    p: int = 1
    alpha: float = 1.0
    init: str = "ramp"
    restarts: int = 1
    shots: int | None = None
    maxiter: int = 300
    optimizer: str = "cobyla"
    mixer: str = "x"
    init_state: str = "default"
    transfer_from: str | None = None
    fine_tune: int = 0
    source_init: str = "ramp"

    def validate(self):
        from qopt.solvers.quantum.mixers import INIT_STATES, MIXERS

        if self.mixer not in MIXERS:
            raise OptionError(f"mixer must be one of {', '.join(MIXERS)}, got {self.mixer!r}")
        if self.init_state not in INIT_STATES:
            raise OptionError(f"init_state must be one of {', '.join(INIT_STATES)}, got "
                              f"{self.init_state!r}")
        if self.mixer == "x" and self.init_state not in ("default", "uniform"):
            raise OptionError(f"init_state={self.init_state!r} needs a constraint-preserving "
                              "mixer (--mixer feasible, ...); the x mixer starts from |+>^n")
        if not isinstance(self.p, int) or self.p < 1:
            raise OptionError(f"p must be a positive integer, got {self.p!r}")
        if not 0.0 < float(self.alpha) <= 1.0:
            raise OptionError(f"alpha must be in (0, 1], got {self.alpha!r}")
        init_mod.check_init(self.init)
        from qopt.solvers.quantum.transfer import check_transfer_options

        check_transfer_options(self.init, self.transfer_from, self.fine_tune, self.source_init,
                               restarts=self.restarts)
        if not isinstance(self.restarts, int) or self.restarts < 1:
            raise OptionError(f"restarts must be a positive integer, got {self.restarts!r}")
        if self.shots is not None and (not isinstance(self.shots, int) or self.shots < 1):
            raise OptionError(f"shots must be a positive integer or None, got {self.shots!r}")
        if not isinstance(self.maxiter, int) or self.maxiter < 1:
            raise OptionError(f"maxiter must be a positive integer, got {self.maxiter!r}")


@dataclass
class CVaRQAOAOptions(QAOAOptions):
    alpha: float = 0.25


@dataclass
class WSQAOAOptions(QAOAOptions):
    """Warm start: ``epsilon`` clips the relaxed values to [eps, 1 - eps] (Egger et al. use
    0.25); ``relaxation`` "local" (best of ``relax_starts`` seeded L-BFGS-B runs on the box
    relaxation, fine for non-convex QUBOs) or "convex" (the QUBO convexified with
    mu * sum(x_i^2 - x_i), which leaves binary energies unchanged, solved once)."""

    epsilon: float = 0.25
    relaxation: str = "local"
    relax_starts: int = 8

    def validate(self):
        super().validate()
        if not 0.0 <= self.epsilon < 0.5:
            raise OptionError(f"epsilon must be in [0, 0.5), got {self.epsilon!r}")
        if self.relaxation not in ("local", "convex"):
            raise OptionError(f"relaxation must be 'local' or 'convex', got {self.relaxation!r}")


@dataclass
class RQAOAOptions(QAOAOptions):
    """Recursive QAOA: eliminate one variable per round until ``n_cutoff`` remain (then
    solve exactly); ``singles``: also consider single-spin fixes z_i = sign <Z_i>."""

    n_cutoff: int = 8
    singles: bool = True

    def validate(self):
        super().validate()
        if not isinstance(self.n_cutoff, int) or self.n_cutoff < 1:
            raise OptionError(f"n_cutoff must be a positive integer, got {self.n_cutoff!r}")
        if self.mixer != "x":
            raise OptionError(f"rqaoa eliminates variables of the Ising model and takes only "
                              f"the x mixer, got mixer={self.mixer!r}; use qaoa, cvar-qaoa, "
                              "ma-qaoa or ws-qaoa with a constraint-preserving mixer")


def _slices(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


class _Run:
    """Budgeted optimisation of one ansatz with the chosen init / restarts / optimizer."""

    def __init__(self, solver_opts: QAOAOptions, optimizer, rng: np.random.Generator,
                 *, gradients: bool = True):
        self.o = solver_opts
        self.opt = get_optimizer(optimizer, default=solver_opts.optimizer)
        self.rng = rng
        self.gradients = gradients      # False on sampling backends: shift rule on estimates
        self.history: list[dict[str, Any]] = []
        self.evaluations = 0
        self.exhausted = False          # some optimisation stopped at its budget share
        self.transfer = None            # init="transfer": the transferred Schedule

    @property
    def status(self) -> str:
        """"budget" when an optimisation was cut by the budget, else "done" (converged)."""
        return "budget" if self.exhausted else "done"

    def _minimize(self, evaluator, fun_x, x0, budget, tag: dict, grad=None):
        if budget <= 0:
            return x0, math.inf
        out = self.opt.minimize(fun_x, x0, grad=grad if self.gradients else None,
                                budget=budget, rng=self.rng)
        start = self.evaluations
        for h in out.history:
            self.history.append({**tag, "evaluation": start + h["evaluation"],
                                 "value": h["value"], "best": h["best"]})
        self.evaluations += out.evaluations
        self.exhausted |= out.message == "evaluation budget exhausted"
        return out.x, out.fun

    def optimise(self, ansatz: Ansatz, evaluator, budget: int) -> tuple[np.ndarray, float]:
        o = self.o
        best_x, best_f = None, math.inf
        for r, share in enumerate(_slices(budget, o.restarts)):
            if r == 0 and o.init == "interp":
                x, f = self._interp(ansatz, evaluator, share, r)
            elif r == 0 and o.init == "fourier":
                x, f = self._fourier(ansatz, evaluator, share, r)
            elif r == 0 and o.init == "transfer":
                x, f = self._transferred(ansatz, evaluator, share, r)
            else:
                g, b = (init_mod.linear_ramp(ansatz.p) if r == 0 and o.init == "ramp"
                        else init_mod.random_angles(ansatz.p, self.rng))
                x0 = ansatz.join(g, b)
                x, f = self._minimize(evaluator, evaluator.value, x0, share,
                                      {"restart": r, "p": ansatz.p},
                                      grad=evaluator.value_and_grad)
            if best_x is None or f < best_f:
                best_x, best_f = x, f
        return best_x, best_f

    def _transferred(self, ansatz: Ansatz, evaluator, budget: int, r: int):
        """init="transfer": the transferred angles, valued once, or fine-tuned from them for
        at most ``fine_tune`` evaluations of the budget share."""
        if self.transfer is None:
            raise OptionError("init='transfer' is not supported by this solver")
        x0 = ansatz.join(self.transfer.gammas, self.transfer.betas)
        tag = {"restart": r, "p": ansatz.p, "transfer": True}
        if self.o.fine_tune > 0:
            return self._minimize(evaluator, evaluator.value, x0, min(self.o.fine_tune, budget),
                                  tag, grad=evaluator.value_and_grad)
        if budget <= 0:
            return x0, math.inf
        f = float(evaluator.value(x0))
        self.evaluations += 1
        self.history.append({**tag, "evaluation": self.evaluations, "value": f, "best": f})
        return x0, f

    def _interp(self, ansatz: Ansatz, evaluator, budget: int, r: int):
        """Layer-by-layer growth: optimise depth 1, 2, ..., p, each from INTERP of the last."""
        p = ansatz.p
        shares = _slices(budget, p)
        g, b = init_mod.linear_ramp(1)
        x = f = None
        for q in range(1, p + 1):
            sub = Ansatz(ansatz.qubo, q, ansatz.multi_angle, ansatz.warm_start, ansatz.mixer,
                         ansatz.init)
            sub.gamma_scale = ansatz.gamma_scale
            ev = _SubEvaluator(evaluator, sub, ansatz)
            if q == 1:
                x0 = sub.join(g, b)
            elif ansatz.multi_angle:
                x0 = _ma_interp(sub, x)
            else:
                x0 = np.concatenate(init_mod.interp_next(x[: q - 1], x[q - 1:]))
            x, f = self._minimize(ev, ev.value, x0, shares[q - 1],
                                  {"restart": r, "p": q}, grad=ev.value_and_grad)
        return x, f

    def _fourier(self, ansatz: Ansatz, evaluator, budget: int, r: int):
        """FOURIER[p]: optimise (u, v) with gammas = S u, betas = C v (standard angles only)."""
        if ansatz.multi_angle:
            raise OptionError("init='fourier' is for standard (not multi-angle) QAOA")
        p = ansatz.p
        S, C = init_mod.fourier_basis(p, p)
        u0, v0 = init_mod.fourier_from_angles(*init_mod.linear_ramp(p), p)

        def to_x(y):
            return np.concatenate([S @ y[:p], C @ y[p:]])

        def fun(y):
            return evaluator.value(to_x(y))

        def grad(y):
            val, gx = evaluator.value_and_grad(to_x(y))
            return val, np.concatenate([S.T @ gx[:p], C.T @ gx[p:]])

        y, f = self._minimize(evaluator, fun, np.concatenate([u0, v0]), budget,
                              {"restart": r, "p": p, "fourier": True}, grad=grad)
        return to_x(y), f


def _ma_interp(sub: Ansatz, x_prev) -> np.ndarray:
    """INTERP growth of multi-angle parameters (each term / partial-mixer angle grown on its
    own)."""
    q, T, n = sub.p, sub.num_terms, sub.num_partials
    g = np.asarray(x_prev[: (q - 1) * T]).reshape(q - 1, T)
    b = np.asarray(x_prev[(q - 1) * T:]).reshape(q - 1, n)
    gg = np.apply_along_axis(init_mod.interp_grow, 0, g) if T else np.zeros((q, 0))
    bb = np.apply_along_axis(init_mod.interp_grow, 0, b)
    return np.concatenate([gg.ravel(), bb.ravel()])


class _SubEvaluator:
    """The parent evaluator's backend used for a shallower ansatz (INTERP stages)."""

    def __init__(self, parent, sub: Ansatz, full: Ansatz):
        self.sub = sub
        if isinstance(parent, EngineEvaluator | SubspaceEvaluator):
            ev = type(parent).__new__(type(parent))
            ev.__dict__.update(parent.__dict__)
            ev.ansatz = sub
            self.ev = ev
        else:
            self.ev = CircuitEvaluator(sub, parent.backend, parent.alpha, shots=parent.shots,
                                       seed=parent._rng)
        self.parent = parent

    def value(self, x):
        return self.ev.value(x)

    def value_and_grad(self, x):
        return self.ev.value_and_grad(x)


# ---------------------------------------------------------------------------------------------
# solvers
# ---------------------------------------------------------------------------------------------


class QAOASolver(Solver):
    """Standard QAOA (Farhi et al.): p layers, expectation (alpha = 1) or CVaR objective."""

    name = "qaoa"
    input = "qubo"
    Options = QAOAOptions
    multi_angle = False

    def _warm_start(self, qubo, rng) -> tuple[np.ndarray | None, dict]:
        return None, {}

    def plan_resources(self, plan, task, *, backend=None, optimizer=None, budget=None):
        """Engine buffers (exact evaluation on the in-house statevector), the optimizer's
        workspace over the ansatz parameters (``--p``) and the final samples (``--shots``)."""
        o = self.options
        qubo = task.qubo
        n = qubo.num_vars
        # multi-angle: T <= n fields + the couplings, one beta per qubit
        d = o.p * (2 * n + qubo.quadratic.nnz) if self.multi_angle else 2 * o.p
        opt = get_optimizer(optimizer, default=o.optimizer)
        if _is_engine(backend) and getattr(o, "mixer", None) in (None, "x"):
            add_statevector(plan, n, gradient=opt.uses_gradient, cvar=o.alpha < 1.0)
        elif _is_engine(backend):
            from qopt.solvers.quantum.qaoa_constrained import plan_subspace

            plan_subspace(plan, task, o.mixer)
        add_optimizer(plan, opt, d, option="--p")
        add_samples(plan, final_shots(o.shots, budget), n, option="--shots")

    def run(self, task: Task, *, backend=None, optimizer=None, seed: int | None = None,
            budget: int | None = None) -> SolverOutput:
        o = self.options
        if o.mixer != "x":
            from qopt.solvers.quantum.qaoa_constrained import run_constrained

            return run_constrained(self, task, backend=backend, optimizer=optimizer, seed=seed,
                                   budget=budget)
        qubo = task.qubo
        shots = final_shots(o.shots, budget)
        rng = rng_from(seed)
        t0 = time.perf_counter()
        backend = _resolve_backend(backend)
        per_estimate = estimate_shots(backend, shots)          # None: exact evaluations
        plan = plan_quantum_budget(budget, o.maxiter, shots=per_estimate, reserved=shots,
                                   reserved_for=f"the final samples (shots={shots})")
        wide = qubo.num_vars > MAX_EXACT_QUBITS          # e.g. Aer MPS: no 2^n distribution
        if wide and per_estimate is None and o.alpha < 1.0:
            raise SizeLimitError(f"exact CVaR of {qubo.num_vars} qubits needs their 2^n "
                                 f"distribution (limit {MAX_EXACT_QUBITS} qubits); use alpha=1 "
                                 "or a sampling backend")
        ws, ws_info = self._warm_start(qubo, rng)
        ansatz = Ansatz(qubo, o.p, self.multi_angle, ws)
        evaluator = make_evaluator(ansatz, backend, o.alpha, seed=rng, shots=shots)
        t_setup = time.perf_counter() - t0
        run = _Run(o, optimizer, rng, gradients=per_estimate is None)
        run.transfer = transfer_schedule(self, task, backend=backend, optimizer=optimizer,
                                         seed=seed, budget=budget)
        x, f = run.optimise(ansatz, evaluator, plan.limit)
        samples = evaluator.sample(x, shots, rng)
        if run.transfer is not None:
            ws_info = {**ws_info, "transfer": run.transfer.describe()}
        if per_estimate is not None:      # no extra circuit: the final samples give both
            expectation, cvar = sample_expectation_and_cvar(qubo, samples, o.alpha)
        elif wide:                          # exact <H> (alpha = 1 here), no distribution
            expectation = cvar = evaluator.value(x)
        else:
            expectation, cvar = evaluator.expectation_and_cvar(x)
        g, b = ansatz.split(x)
        res = circuit_resources(ansatz)
        timing = {"simulation": getattr(evaluator, "simulation_time", 0.0)}
        usage = getattr(getattr(evaluator, "backend", None), "usage", None)
        if usage is not None and usage.depth is not None:
            # a circuit backend: report the transpiled circuit (device ISA on ibm: / fake:)
            res.update(depth=usage.depth, two_qubit_gates=usage.two_qubit_gates)
            if usage.qpu_time is not None:
                timing["qpu"] = usage.qpu_time
        info = {"gammas": np.asarray(g).tolist(), "betas": np.asarray(b).tolist(),
                "params": np.asarray(x).tolist(), "gamma_scale": ansatz.gamma_scale,
                "objective": f, "expectation": expectation, "cvar": cvar, "alpha": o.alpha,
                "optimizer": run.opt.name if hasattr(run.opt, "name") else str(run.opt),
                "backend": getattr(evaluator, "name", "statevector"), "setup_time": t_setup,
                "circuit_evaluations": run.evaluations, **ws_info}
        measured = shots + run.evaluations * (per_estimate or 0)
        return SolverOutput(samples=samples, status=run.status,
                            evaluations=plan.charged(run.evaluations, shots),
                            shots=measured,
                            history=run.history, num_qubits=res["num_qubits"],
                            depth=res["depth"], two_qubit_gates=res["two_qubit_gates"],
                            time=timing, info=info)


def transfer_schedule(solver, task: Task, **kwargs):
    """init="transfer": the transferred angles (:mod:`qopt.solvers.quantum.transfer`), else
    None. Refuses multi-angle solvers before any work."""
    if solver.options.init != "transfer":
        return None
    from qopt.solvers.quantum.transfer import check_transfer_options, transferred_angles

    o = solver.options
    check_transfer_options(o.init, o.transfer_from, o.fine_tune, o.source_init,
                           multi_angle=solver.multi_angle, restarts=o.restarts)
    return transferred_angles(solver, task, **kwargs)


def sample_expectation_and_cvar(qubo, samples: Samples, alpha: float) -> tuple[float, float]:
    """(mean energy, CVaR_alpha) of weighted samples (no further circuit execution)."""
    from qopt.backends.base import cvar_from_distribution

    energies = qubo.energy(samples.bits)
    w = np.asarray(samples.weights, dtype=float)
    return float(energies @ w / w.sum()), cvar_from_distribution(energies, w, alpha)


def circuit_resources(ansatz: Ansatz) -> dict[str, int]:
    """Qubits, depth and two-qubit gates of the exported circuit (depth from Qiskit when the
    circuit is small enough to build quickly, else an analytic bound)."""
    nnz = int(ansatz.ising.J.nnz)
    out = {"num_qubits": ansatz.n, "two_qubit_gates": ansatz.p * nnz}
    if ansatz.p * (nnz + 3 * ansatz.n) <= 200_000:
        x = np.zeros(ansatz.num_params)
        out["depth"] = int(ansatz.circuit(x).depth())
    else:
        out["depth"] = 1 + ansatz.p * (nnz + 2)
    return out


class CVaRQAOASolver(QAOASolver):
    """CVaR-QAOA (Barkoutsos et al. 2020): minimise the CVaR_alpha of the energy."""

    name = "cvar-qaoa"
    Options = CVaRQAOAOptions


class MAQAOASolver(QAOASolver):
    """Multi-angle QAOA (Herrman et al. 2022): one gamma per cost term and one beta per qubit
    in every layer."""

    name = "ma-qaoa"
    multi_angle = True


class WSQAOASolver(QAOASolver):
    """Warm-start QAOA (Egger, Mareček, Woerner 2021): initial state from the regularised
    continuous relaxation c* of the QUBO, with the matching mixer (see circuits.py)."""

    name = "ws-qaoa"
    Options = WSQAOAOptions

    def _warm_start(self, qubo, rng):
        o = self.options
        c, relaxed_value = continuous_relaxation(qubo, rng, method=o.relaxation,
                                                 starts=o.relax_starts)
        reg = np.clip(c, o.epsilon, 1.0 - o.epsilon)
        return reg, {"relaxed_solution": c.tolist(), "relaxed_value": relaxed_value,
                     "warm_start": reg.tolist()}


def continuous_relaxation(qubo, rng, *, method: str = "local", starts: int = 8
                          ) -> tuple[np.ndarray, float]:
    """argmin over [0, 1]^n of f(x) = x'Ux + c'x (+ offset) and its value.

    "local": best of ``starts`` L-BFGS-B runs (x0 = 1/2, then uniform random from ``rng``);
    "convex": f + mu * sum(x_i^2 - x_i) with mu = max(0, -lambda_min(U + U') / 2), a convex
    function equal to f on binary points, minimised once from x0 = 1/2.
    """
    from scipy.optimize import minimize

    U = qubo.quadratic.tocsr()
    S = (U + U.T).tocsr()
    lin = qubo.linear.copy()
    n = qubo.num_vars
    mu = 0.0
    if method == "convex" and n:
        H = S.toarray()
        mu = max(0.0, -float(np.linalg.eigvalsh(H)[0]) / 2.0)

    def fg(x):
        sx = S @ x
        val = 0.5 * x @ sx + lin @ x + mu * (x @ x - x.sum())
        return val, sx + lin + mu * (2 * x - 1)

    bounds = [(0.0, 1.0)] * n
    x0s = [np.full(n, 0.5)]
    if method == "local":
        x0s += [rng.uniform(0, 1, n) for _ in range(max(0, starts - 1))]
    best = None
    for x0 in x0s:
        res = minimize(fg, x0, jac=True, method="L-BFGS-B", bounds=bounds)
        if best is None or res.fun < best.fun:
            best = res
    x = np.clip(best.x, 0.0, 1.0)
    return x, float(fg(x)[0] - mu * (x @ x - x.sum()) + qubo.offset)


class RQAOASolver(QAOASolver):
    """Recursive QAOA (Bravyi, Kliesch, Koenig, Tang 2020) on the Ising form.

    Each round runs QAOA on the current Ising model, measures <Z_i Z_j> on its couplings (and
    <Z_i> if ``singles``), and eliminates the variable with the largest |correlation| by
    z_j = sign * z_i (or z_i = sign). At ``n_cutoff`` variables the rest is solved exactly by
    enumeration; the full assignment is rebuilt and returned as the single sample."""

    name = "rqaoa"
    Options = RQAOAOptions

    def run(self, task: Task, *, backend=None, optimizer=None, seed: int | None = None,
            budget: int | None = None) -> SolverOutput:
        import scipy.sparse as sp

        from qopt.model.qubo import Ising

        o = self.options
        qubo = task.qubo
        n = qubo.num_vars
        rng = rng_from(seed)
        ising = qubo.to_ising()
        h = np.asarray(ising.h, dtype=float).copy()
        J = ising.J.toarray()
        J = J + J.T                                    # symmetric, J[i, j] = coupling of i, j
        offset = float(ising.offset)
        active = list(range(n))
        rules: list[tuple[int, int | None, float]] = []   # (var, partner or None, sign)
        rounds = max(0, n - o.n_cutoff)
        left = min(n, o.n_cutoff)
        backend = _resolve_backend(backend)
        per_estimate = estimate_shots(backend, final_shots(o.shots, budget))
        # reserved: enumeration of the last variables, and the correlators of each round
        # (one more estimate per round on a sampling backend)
        plan = plan_quantum_budget(
            budget, o.maxiter * max(1, rounds), shots=per_estimate,
            reserved=(1 << left) + rounds * (per_estimate or 0),
            reserved_for=f"enumerating {left} variables and {rounds} correlator estimates")
        shares = _slices(plan.limit, max(1, rounds))
        run = _Run(o, optimizer, rng, gradients=per_estimate is None)
        history, sim, round_info = [], 0.0, []
        max_q, max_two = 0, 0
        for r in range(rounds):
            k = len(active)
            sub_J = np.triu(J[np.ix_(active, active)], 1)
            sub = Ising(h[active].copy(), sp.csr_matrix(sub_J), offset)
            sub_qubo = ising_to_qubo(sub)
            ansatz = Ansatz(sub_qubo, o.p)
            ev = make_evaluator(ansatz, backend, o.alpha, seed=rng, shots=per_estimate)
            run.history = []
            x, f = run.optimise(ansatz, ev, shares[r])
            history += [{**hh, "round": r} for hh in run.history]
            sim += getattr(ev, "simulation_time", 0.0)
            res = circuit_resources(ansatz)
            max_q, max_two = max(max_q, res["num_qubits"]), max(max_two, res["two_qubit_gates"])
            iu, ju = np.nonzero(sub_J)
            cands = [(1 << int(a)) | (1 << int(b)) for a, b in zip(iu, ju)]
            if o.singles or not cands:
                cands += [1 << a for a in range(k)]
            corr = ev.z_correlators(x, cands)
            pick = int(np.argmax(np.abs(corr)))
            sign = 1.0 if corr[pick] >= 0 else -1.0
            bits = [a for a in range(k) if (cands[pick] >> a) & 1]
            if len(bits) == 2:
                i, j = active[bits[0]], active[bits[1]]
                # z_j = sign z_i: fold j into i
                offset += sign * J[i, j]
                h[i] += sign * h[j]
                J[i, :] += sign * J[j, :]
                J[:, i] += sign * J[:, j]
                J[i, i] = 0.0
                J[j, :] = 0.0
                J[:, j] = 0.0
                rules.append((j, i, sign))
                active.remove(j)
            else:
                i = active[bits[0]]
                offset += sign * h[i]
                h += sign * J[i, :]
                J[i, :] = 0.0
                J[:, i] = 0.0
                h[i] = 0.0
                rules.append((i, None, sign))
                active.remove(i)
            round_info.append({"round": r, "qubits": k, "objective": f,
                               "correlation": float(corr[pick]),
                               "eliminated": rules[-1][0],
                               "partner": rules[-1][1], "sign": sign})
        # exact solve of the rest
        z = np.zeros(n)
        k = len(active)
        if k:
            sub_J = np.triu(J[np.ix_(active, active)], 1)
            sub = Ising(h[active].copy(), sp.csr_matrix(sub_J), offset)
            d = ising_to_qubo(sub).diagonal()
            best = int(np.argmin(d))
            z[active] = 1.0 - 2.0 * ((best >> np.arange(k)) & 1)
        for var, partner, sign in reversed(rules):
            z[var] = sign * (z[partner] if partner is not None else 1.0)
        bits = ((1 - z) / 2).astype(np.uint8)
        measured = (run.evaluations + rounds) * (per_estimate or 0)
        return SolverOutput(samples=Samples(bits[None, :], np.ones(1)), status=run.status,
                            evaluations=plan.charged(run.evaluations, plan.reserved),
                            shots=measured or None, history=history,
                            num_qubits=max_q or k, depth=None, two_qubit_gates=max_two,
                            time={"simulation": sim},
                            info={"rounds": round_info, "n_cutoff": o.n_cutoff,
                                  "circuit_evaluations": run.evaluations,
                                  "enumerated": 1 << k,
                                  "energy": float(qubo.energy(bits))})


__all__ = [
    "Ansatz", "CVaRQAOASolver", "CircuitEvaluator", "EngineEvaluator", "MAQAOASolver",
    "QAOAOptions", "QAOASolver", "RQAOASolver", "WSQAOASolver", "circuit_resources",
    "continuous_relaxation", "ising_to_qubo", "make_evaluator",
]
