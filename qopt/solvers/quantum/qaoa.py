"""The QAOA family: standard, CVaR, multi-angle, warm-start and recursive QAOA.

All solvers take the task's QUBO (``input = "qubo"``) and follow the toolkit's conventions:
cost layer ``exp(-i gamma H_C)`` with ``H_C`` the QUBO energy (diagonal ``QUBO.diagonal()``),
mixer ``exp(-i beta sum X)``, qubit i = variable i. Optimised parameters are *normalised*: the
solver multiplies gammas by ``gamma_scale = 1 / max |Ising coefficient|`` (reported in
``info``), so one set of initial ranges suits every problem; the exported circuit
(:func:`qopt.solvers.quantum.circuits.qaoa_circuit`) takes the true angles in ``info``.
With ``mixer`` other than ``x`` (constraint-preserving mixers, :mod:`.mixers`) the run is
:func:`.qaoa_constrained.run_constrained`: the program's variables without slack qubits, on
the feasible-subspace simulator by default. The ansatz and evaluators live in
:mod:`.qaoa_evaluators`, recursive QAOA in :mod:`.qaoa_recursive`.

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
from typing import Any, ClassVar

import numpy as np

from qopt.backends.base import MAX_EXACT_QUBITS
from qopt.errors import OptionError, SizeLimitError
from qopt.solvers.base import Samples, Solver, SolverOutput, Task, rng_from
from qopt.solvers.budget import final_shots, plan_quantum_budget
from qopt.solvers.optimizers import get_optimizer
from qopt.solvers.plans import add_optimizer, add_samples, add_statevector
from qopt.solvers.quantum import initialisation as init_mod
from qopt.solvers.quantum.qaoa_evaluators import (
    Ansatz,
    CircuitEvaluator,
    EngineEvaluator,
    ExactEvaluator,
    _is_engine,
    _resolve_backend,
    estimate_shots,
    ising_to_qubo,
    make_evaluator,
)

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
    #: the solver's angles are multi-angle (ma-qaoa): init="transfer" is refused here
    multi_angle: ClassVar[bool] = False

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
                               multi_angle=self.multi_angle, restarts=self.restarts)
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
        if self.init == "transfer":
            raise OptionError("rqaoa optimises a new, smaller Ising model every round and "
                              "takes no transferred angles (init='transfer'); use qaoa, "
                              "cvar-qaoa or ws-qaoa")


@dataclass
class MAQAOAOptions(QAOAOptions):
    """Options of ma-qaoa: those of qaoa; init="transfer" is refused at validation."""

    multi_angle: ClassVar[bool] = True


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
        if isinstance(parent, ExactEvaluator):
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
    Options = MAQAOAOptions
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


__all__ = [
    "Ansatz", "CVaRQAOASolver", "CircuitEvaluator", "EngineEvaluator", "MAQAOASolver",
    "QAOAOptions", "QAOASolver", "WSQAOASolver", "circuit_resources",
    "continuous_relaxation", "ising_to_qubo", "make_evaluator",
]


def __getattr__(name):
    """``RQAOASolver`` lives in :mod:`qopt.solvers.quantum.qaoa_recursive` (it subclasses
    QAOASolver); imported lazily here so ``qopt.solvers.quantum.qaoa:RQAOASolver`` keeps
    working."""
    if name == "RQAOASolver":
        from qopt.solvers.quantum.qaoa_recursive import RQAOASolver

        return RQAOASolver
    raise AttributeError(name)
