"""VQE and CVaR-VQE (Barkoutsos et al., Quantum 4, 256 (2020)) on hardware-efficient ansätze.

The objective of parameter set theta is the expectation of the QUBO energy (``vqe``, alpha = 1)
or its CVaR_alpha, the mean of the lowest alpha fraction of the energy distribution
(``cvar-vqe``), both evaluated by any backend (:func:`qopt.backends.registry.get_backend`):
exactly on simulators with ``shots=None``, from ``shots`` samples otherwise. The lowest-energy
bitstring sampled during the run and the samples drawn at the best parameters (``final_shots``)
are the solver's samples; :func:`qopt.solve` decodes them and post-processes separately.

Optimizers come from :mod:`qopt.solvers.optimizers` (``optimizer="cobyla"`` by default; "aqgd",
"spsa", "adam", "nelder-mead", "l-bfgs-b"). Budget (:mod:`qopt.solvers.budget`): ``budget`` is
in objective evaluations, the unit of every solver: an exact evaluation of one parameter set
costs 1, an estimate from ``shots`` measurements costs ``shots``, and the ``final_shots``
samples cost one each and are paid first; ``maxiter`` caps the parameter sets when no budget
is given. Gradient optimizers get the backend's adjoint gradient (one parameter set) where it
has one (exact mode, alpha = 1), else the shift rule (2 parameter sets per parameter). If a
backend job fails or is cancelled, the result has status
``"failed"``, the job id in ``info["failed_job_id"]`` and the best parameters so far in
``info["resume"]["initial_point"]``; pass that as ``initial_point=`` to resume.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from qopt.backends.base import (
    MAX_EXACT_QUBITS,
    JobFailedError,
    Usage,
    check_alpha,
    check_exact_width,
)
from qopt.backends.mitigation import measurement_cost
from qopt.errors import OptionError, SolverError
from qopt.solvers.base import Samples, Solver, SolverOutput, Task, rng_from
from qopt.solvers.budget import final_shots, plan_quantum_budget
from qopt.solvers.plans import add_optimizer, add_samples, add_simulator, add_statevector
from qopt.solvers.quantum.ansatz import Ansatz, check_ansatz_options


@dataclass
class VQEOptions:
    """Options of ``vqe`` / ``cvar-vqe``.

    ansatz: "real-amplitudes", "efficient-su2" or "brickwork"; reps: layers;
    entanglement: "linear", "reverse_linear", "circular", "full" or "pairwise";
    entangler: "cx" or "cz"; alpha: CVaR fraction in (0, 1] (1 = plain expectation);
    shots: samples per evaluation (None: exact where the backend can);
    final_shots: samples drawn at the best parameters (None: 1024, capped at half the budget);
    maxiter: parameter sets to run when no budget is given; initial_point: starting parameters
    (default: uniform in [-pi, pi) from the seed);
    optimizer_options: passed to the optimizer; backend_options: passed to get_backend
    (e.g. {"mode": "session"} or {"options": {...}} for IBM).
    """

    ansatz: str = "real-amplitudes"
    reps: int = 2
    entanglement: str = "linear"
    entangler: str = "cx"
    alpha: float = 1.0
    shots: int | None = None
    final_shots: int | None = None
    maxiter: int = 100
    initial_point: list[float] | None = None
    optimizer_options: dict = field(default_factory=dict)
    backend_options: dict = field(default_factory=dict)

    def validate(self) -> None:
        check_ansatz_options(self.ansatz, self.reps, self.entanglement, self.entangler)
        check_alpha(self.alpha)
        for name in ("maxiter",) + (("final_shots",) if self.final_shots is not None else ()):
            v = getattr(self, name)
            if not isinstance(v, int) or v <= 0:
                raise OptionError(f"{name} must be a positive integer, got {v!r}")
        if self.shots is not None and (not isinstance(self.shots, int) or self.shots <= 0):
            raise OptionError(f"shots must be a positive integer or None, got {self.shots!r}")


@dataclass
class CVaRVQEOptions(VQEOptions):
    alpha: float = 0.25


class _BudgetExhausted(Exception):
    pass


class _Run:
    """Objective bookkeeping of one VQE run: evaluations, history, best sample and params."""

    def __init__(self, backend, circuit, qubo, opts: VQEOptions, budget: int, rng):
        self.backend = backend
        self.circuit = circuit
        self.qubo = qubo
        self.alpha = float(opts.alpha)
        self.shots = opts.shots
        self.budget = budget
        self.rng = rng
        self.evaluations = 0
        self.history: list[float] = []
        self.best_value = np.inf
        self.best_theta: np.ndarray | None = None
        self.best_index: int | None = None
        self.best_energy = np.inf

    def _check(self, k: int) -> None:
        if self.evaluations + k > self.budget:
            raise _BudgetExhausted

    def values(self, thetas: np.ndarray) -> np.ndarray:
        """Objective values of a batch of parameter sets, shape (k, P) -> (k,)."""
        self._check(thetas.shape[0])
        if self.alpha >= 1.0 and self._exact():
            # exact expectation: no distribution needed (MPS handles wide circuits this way)
            out = np.atleast_1d(self.backend.expectation(self.circuit, thetas, self.qubo))
            evs = [None] * len(out)
        else:
            evs = self.backend.evaluate(self.circuit, thetas, self.qubo, alpha=self.alpha,
                                        shots=self.shots, seed=self.rng)
            out = np.array([e.cvar if self.alpha < 1.0 else e.expectation for e in evs])
        self.evaluations += thetas.shape[0]      # counted once the backend has answered
        for theta, e, v in zip(thetas, evs, out):
            self.history.append(float(v))
            if v < self.best_value:
                self.best_value, self.best_theta = float(v), theta.copy()
            if e is not None and e.shots is not None and e.best_energy < self.best_energy:
                self.best_energy, self.best_index = e.best_energy, e.best_index
        return out

    def value(self, theta) -> float:
        return float(self.values(np.asarray(theta, float).reshape(1, -1))[0])

    def value_and_grad(self, theta) -> tuple[float, np.ndarray]:
        """(objective, gradient) by the backend's analytic (adjoint) gradient: one evaluation.

        Only offered to the optimizer for alpha = 1 in exact mode on a backend that has one;
        otherwise the optimizer applies the shift rule to :meth:`value` itself."""
        theta = np.asarray(theta, float).reshape(-1)
        self._check(1)
        value, grad = self.backend.gradient(self.circuit, theta, self.qubo, shots=self.shots,
                                            seed=self.rng)
        self.evaluations += 1
        self.history.append(float(value))
        if value < self.best_value:
            self.best_value, self.best_theta = float(value), theta.copy()
        return float(value), np.asarray(grad, float)

    def _exact(self) -> bool:
        return self.backend._mode_shots(self.shots) is None


class VQESolver(Solver):
    """VQE on the QUBO / HUBO energy (any degree) with a hardware-efficient ansatz (alpha < 1:
    CVaR-VQE)."""

    name: ClassVar[str] = "vqe"
    input: ClassVar[str] = "qubo"
    Options: ClassVar[type] = VQEOptions
    #: any degree: the cost is the HUBO's diagonal (engine) or its Z-string operator (circuits)
    max_degree: ClassVar[int | None] = None
    #: device runs take mitigation= (budget and values through qopt.backends.mitigation)
    supports_mitigation: ClassVar[bool] = True

    def plan_resources(self, plan, task, *, backend=None, optimizer=None, budget=None):
        """On the in-house statevector: the state, the QUBO diagonal, sampling vectors, work /
        adjoint buffers and (alpha < 1) the CVaR order; the optimizer's workspace over the
        ansatz parameters (at most 2 n (reps + 1)); the final samples."""
        from qopt.solvers.optimizers import get_optimizer

        opts: VQEOptions = self.options
        n = task.cost.num_vars
        if backend in (None, "statevector"):
            add_statevector(plan, n, cvar=opts.alpha < 1.0)
            plan.add(f"engine work states (3 x 2^{n} complex128)", 48 << n)
        else:
            add_simulator(plan, backend, n)
        opt = get_optimizer(optimizer, "cobyla", **opts.optimizer_options)
        add_optimizer(plan, opt, 2 * n * (opts.reps + 1), option="--reps")
        add_samples(plan, final_shots(opts.final_shots, budget), n, option="--final-shots")

    def run(self, task: Task, *, backend=None, optimizer=None, seed: int | None = None,
            budget: int | None = None) -> SolverOutput:
        from qopt.backends.base import Backend
        from qopt.backends.registry import get_backend

        opts: VQEOptions = self.options
        rng = rng_from(seed)
        # the backend first: a missing credential or device fails before any work
        owned = not isinstance(backend, Backend)
        if owned:
            be = get_backend(backend, seed=int(rng.integers(2**31 - 1)), **opts.backend_options)
        else:
            if opts.backend_options:
                raise OptionError("backend_options apply to a backend spec, not to a backend "
                                  "object")
            be = backend
        before = dataclasses.replace(be.usage, jobs=list(be.usage.jobs))
        try:
            return self._run(task, be, optimizer, rng, budget, before)
        finally:
            if owned:
                be.close()

    def _run(self, task, be, optimizer, rng, budget, before) -> SolverOutput:
        opts: VQEOptions = self.options
        from qopt.solvers.optimizers import get_optimizer

        optimizer_obj = get_optimizer(optimizer, "cobyla", **opts.optimizer_options)
        opt_name = getattr(optimizer_obj, "name", "") or type(optimizer_obj).__name__
        qubo = task.cost                   # the HUBO itself (max_degree None): one qubit a bit
        n = qubo.num_vars
        ansatz = Ansatz(n, opts.ansatz, opts.reps, opts.entanglement, opts.entangler)
        circuit = ansatz.circuit
        be.check_circuit(circuit)
        if opts.alpha < 1.0 and be._mode_shots(opts.shots) is None:
            check_exact_width(n)       # exact CVaR needs the 2^n distribution: refuse now
        P = ansatz.num_parameters
        if opts.initial_point is not None:
            x0 = np.asarray(opts.initial_point, float).reshape(-1)
            if x0.size != P:
                raise OptionError(f"initial_point has {x0.size} values; the ansatz has {P} "
                                  "parameters")
        else:
            x0 = rng.uniform(-np.pi, np.pi, P)
        n_final = final_shots(opts.final_shots, budget)
        # mitigation (device backends): circuits per estimate, calibration shots
        settings, calibration = measurement_cost(be, be._mode_shots(opts.shots))
        plan = plan_quantum_budget(budget, opts.maxiter, shots=be._mode_shots(opts.shots),
                                   settings=settings, reserved=n_final * settings + calibration,
                                   reserved_for=f"the final samples (final_shots={n_final})"
                                   + (" and the readout calibration" if calibration else ""))
        limit = plan.limit
        run = _Run(be, circuit, qubo, opts, limit, rng)
        analytic = (opts.alpha >= 1.0 and be.supports_gradient and run._exact()
                    and getattr(optimizer_obj, "uses_gradient", True))
        status, info = "done", {}
        t0 = time.perf_counter()
        try:
            outcome = optimizer_obj.minimize(run.value, x0,
                                             grad=run.value_and_grad if analytic else None,
                                             budget=limit, rng=rng)
            info["optimizer_message"] = outcome.message
            if outcome.message == "evaluation budget exhausted":
                status = "budget"
        except _BudgetExhausted:
            status = "budget"
        except JobFailedError as exc:
            status = "failed"
            info["failed_job_id"] = exc.job_id
            info["failed_status"] = exc.status
        if run.best_theta is None and status != "failed":
            raise SolverError("VQE made no evaluation (budget too small?)")
        samples = None
        try:
            if status != "failed":
                samples = be.sample(circuit, run.best_theta, n_final, seed=rng)
        except JobFailedError as exc:
            status = "failed"
            info["failed_job_id"] = exc.job_id
            info["failed_status"] = exc.status
        elapsed = time.perf_counter() - t0
        theta_best = run.best_theta if run.best_theta is not None else x0
        if status == "failed":
            info["resume"] = {"initial_point": [float(v) for v in theta_best],
                              "evaluations": run.evaluations}
        rows, weights = [], []
        if samples is not None:
            rows.append(samples.bits)
            weights.append(samples.weights)
        if run.best_index is not None:      # best bitstring sampled during the run
            from qopt.bits import indices_to_bits

            rows.append(indices_to_bits([run.best_index], n))
            weights.append(np.zeros(1) if samples is not None else np.ones(1))
        if not rows:
            raise SolverError(f"backend job {info.get('failed_job_id')} failed before any "
                              "sample; resume with initial_point="
                              f"{info['resume']['initial_point']}")
        if samples is not None and run._exact() and getattr(be, "supports_exact", False) \
                and n <= MAX_EXACT_QUBITS:
            # the final state exactly: <H> and P(optimum) (docs/guide/results.md)
            from qopt.solvers.quantum.final_state import final_state_metrics

            info.update(final_state_metrics(task.problem, qubo,
                                            be.probabilities(circuit, run.best_theta)))
        usage = _since(before, be.usage)
        timing = {"simulation": usage.simulation_time}
        if usage.qpu_time is not None:
            timing["qpu"] = usage.qpu_time
        timing["classical"] = max(elapsed - sum(timing.values()), 0.0)
        info.update(backend=be.spec, optimizer=str(opt_name), alpha=float(opts.alpha),
                    ansatz=ansatz.kind, reps=ansatz.reps, entanglement=ansatz.entanglement,
                    num_parameters=P, best_value=float(run.best_value),
                    circuit_evaluations=run.evaluations,
                    optimal_parameters=[float(v) for v in theta_best],
                    usage=usage.as_dict())
        return SolverOutput(
            samples=Samples(np.vstack(rows), np.concatenate(weights)), status=status,
            evaluations=plan.charged(run.evaluations, (n_final * settings if samples is not None
                                                       else 0) + calibration),
            shots=usage.shots or None, history=run.history,
            num_qubits=n, depth=usage.depth, two_qubit_gates=usage.two_qubit_gates,
            time=timing, info=info)


def _since(before: Usage, now: Usage) -> Usage:
    """What a backend spent since ``before`` (a backend object may serve several runs)."""
    qpu = None if now.qpu_time is None else now.qpu_time - (before.qpu_time or 0.0)
    return Usage(shots=now.shots - before.shots, executions=now.executions - before.executions,
                 num_qubits=now.num_qubits, depth=now.depth,
                 two_qubit_gates=now.two_qubit_gates, qpu_time=qpu,
                 simulation_time=now.simulation_time - before.simulation_time,
                 jobs=now.jobs[len(before.jobs):])


class CVaRVQESolver(VQESolver):
    """CVaR-VQE: VQE on the CVaR_alpha of the energy distribution (default alpha 0.25)."""

    name: ClassVar[str] = "cvar-vqe"
    Options: ClassVar[type] = CVaRVQEOptions


__all__ = ["CVaRVQEOptions", "CVaRVQESolver", "VQEOptions", "VQESolver"]
