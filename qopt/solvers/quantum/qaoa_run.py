"""The one QAOA run skeleton: every QAOA-family solve is a :class:`QAOARun` (or a subclass).

:meth:`QAOARun.run` does, in this order:

1. **set up** — resolve the backend and the shots of one estimate; plan the budget
   (:meth:`~QAOARun.plan_budget`); refuse what cannot run (:meth:`~QAOARun.check`); build the
   cost (:meth:`~QAOARun.build_cost`, a QUBO / HUBO over the ansatz's qubits), the ansatz
   (:meth:`~QAOARun.build_ansatz`), the start from fixed ``angles``
   (:meth:`~QAOARun.start_parameters`, checked against the ansatz before anything is simulated)
   and the evaluator (:meth:`~QAOARun.build_evaluator`);
2. **optimise** — :class:`~qopt.solvers.quantum.qaoa_search.AngleSearch` (init, restarts,
   transfer, fixed angles) within the planned number of parameter sets;
3. **sample** — ``shots`` final samples of the best state;
4. **diagnose** — :meth:`~QAOARun.diagnostics` receives the evaluator (an exact one can give
   the final state's probabilities over the space it simulates, see
   :mod:`.qaoa_evaluators`) and returns info entries (expectation, CVaR, ...);
5. **report** — :meth:`~QAOARun.output_samples`, :meth:`~QAOARun.resources` and the info
   shared by every variant (angles, scale, objective, optimizer, backend, times, budget).

This class is the x-mixer variant (standard, CVaR, multi-angle and warm-start QAOA on the
task's QUBO); :class:`~qopt.solvers.quantum.qaoa_constrained.ConstrainedRun` overrides the
hooks for constraint-preserving mixers, and recursive QAOA
(:mod:`.qaoa_recursive`) drives the set-up and search hooks once per round. A new variant is a
subclass overriding the hooks it changes, returned by the solver's ``run_class``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from qopt.backends.base import MAX_EXACT_QUBITS
from qopt.backends.mitigation import calibration_spent, measurement_cost
from qopt.errors import SizeLimitError
from qopt.samples import Samples
from qopt.seeds import rng_from
from qopt.solvers.base import SolverOutput, Task
from qopt.solvers.budget import QuantumBudget, final_shots, plan_quantum_budget
from qopt.solvers.quantum.angles import fixed_parameters
from qopt.solvers.quantum.qaoa_ansatz import Ansatz
from qopt.solvers.quantum.qaoa_evaluators import (
    ExactEvaluator,
    estimate_shots,
    make_evaluator,
    resolve_backend,
)
from qopt.solvers.quantum.qaoa_search import AngleSearch

#: rows per chunk when scanning an evaluator's space for optimal states
_CHUNK = 1 << 16


class QAOARun:
    """One QAOA solve of ``solver`` (its ``options``, ``name``, ``multi_angle`` and
    ``warm_start`` flags) on ``task``; keywords as for ``Solver.run``. Hooks: see the module
    doc. ``self.info`` collects the set-up's info entries (warm start, mixer, ...)."""

    #: ``info["backend"]`` when the evaluator does not name itself (a user evaluator)
    default_backend_name = "statevector"

    def __init__(self, solver, task: Task, *, backend=None, optimizer=None, seed=None,
                 budget: int | None = None):
        self.solver = solver
        self.o = solver.options
        self.task = task
        self.backend = backend
        self.optimizer = optimizer
        self.seed = seed
        self.budget = budget
        self.shots = final_shots(self.o.shots, budget)
        self.rng = rng_from(seed)
        self.per_estimate: int | None = None     # shots of one estimate; None: exact
        self.cost = (1, 0)          # (circuits per estimate, calibration shots): mitigation
        self.calibrated_before = 0
        self.final = None           # the final samples' mitigated Evaluation, if any
        self.info: dict[str, Any] = {}

    # ---- hooks ---------------------------------------------------------------------------
    def plan_budget(self) -> QuantumBudget:
        """Parameter sets the search may run after the final samples are paid (under
        mitigation: ``shots x circuits`` per estimate and final sample set, and a readout
        calibration reserved per circuit the search may prepare)."""
        settings, calibration = self.cost
        stages = self.o.p if self.o.init == "interp" else 1
        return plan_quantum_budget(self.budget, max(self.o.maxiter, 1), shots=self.per_estimate,
                                   settings=settings,
                                   reserved=self.shots * settings + calibration * stages,
                                   reserved_for=f"the final samples (shots={self.shots})"
                                   + (" and the readout calibration" if calibration else ""))

    def check(self) -> None:
        """Refuse, before any work, what this backend cannot run: exact CVaR needs the 2^n
        distribution (e.g. Aer MPS beyond :data:`MAX_EXACT_QUBITS` qubits has none)."""
        n = self.task.cost.num_vars
        if n > MAX_EXACT_QUBITS and self.per_estimate is None and self.o.alpha < 1.0:
            raise SizeLimitError(f"exact CVaR of {n} qubits needs their 2^n distribution "
                                 f"(limit {MAX_EXACT_QUBITS} qubits); use alpha=1 or a "
                                 "sampling backend")

    def build_cost(self):
        """The diagonal cost the ansatz minimises, over its qubits: the task's cost (the HUBO
        itself when the solver takes any degree: one qubit a variable; else the QUBO)."""
        return self.task.cost

    def build_ansatz(self, cost) -> Ansatz:
        """The ansatz on ``cost``: depth p, multi-angle or not, ws-qaoa's warm start."""
        ws = None
        if getattr(self.solver, "warm_start", False):
            from qopt.solvers.quantum.warm_start import clipped_warm_start

            ws, ws_info = clipped_warm_start(cost, self.rng, self.o)
            self.info.update(ws_info)
        return Ansatz(cost, self.o.p, self.solver.multi_angle, ws)

    def start_parameters(self, ansatz: Ansatz) -> np.ndarray | None:
        """Normalised start parameters from the ``angles`` option (None without it), read in
        the ``convention`` option's convention (QOKit's converted, labs_angles)."""
        angles = getattr(self.o, "angles", None)
        if angles is None:
            return None
        convention = getattr(self.o, "convention", "qopt")
        if convention != "qopt":
            from qopt.solvers.quantum.labs_angles import convert_angles

            g, b = convert_angles(angles["gamma"], angles["beta"], convention)
            angles = {"gamma": g, "beta": b}
            self.info["angle_convention"] = convention
        return fixed_parameters(ansatz, angles)

    def build_evaluator(self, ansatz: Ansatz):
        """The evaluator of ``ansatz`` on the resolved backend."""
        return make_evaluator(ansatz, self.backend, self.o.alpha, seed=self.rng,
                              shots=self.shots, precision=getattr(self.o, "precision",
                                                                  "complex128"))

    def diagnostics(self, evaluator, x, samples: Samples) -> dict[str, Any]:
        """Exact final-state diagnostics: info entries of the optimised state x, here its
        ``expectation`` and ``cvar`` (exact where the evaluator evaluates exactly, else from
        the final samples, which need no further circuit)."""
        if self.final is not None:          # mitigated: from the quasi-distribution
            e, c = self.final.expectation, self.final.cvar
        elif self.per_estimate is not None:
            e, c = sample_expectation_and_cvar(evaluator.ansatz.qubo, samples, self.o.alpha)
        elif evaluator.ansatz.n > MAX_EXACT_QUBITS:       # exact <H> (alpha = 1), no 2^n
            e = c = evaluator.value(x)
        else:
            e, c = evaluator.expectation_and_cvar(x)
        out = {"expectation": e, "cvar": c}
        exact = (isinstance(evaluator, ExactEvaluator) and self.final is None
                 and self.per_estimate is None and evaluator.ansatz.n <= MAX_EXACT_QUBITS)
        if exact:
            out["expectation_exact"] = True       # <H> of the final state itself
            from qopt.solvers.quantum.concentration import concentration

            out.update(concentration(evaluator.probabilities(x)))     # grover's (#24)
        fast = getattr(self.task.problem, "optimal_states", None)     # LABS: from the diagonal
        diag = getattr(evaluator, "diag", None)
        if (fast is not None and self.per_estimate is None and diag is not None
                and self.task.problem.optimum is not None
                and diag.shape[0] == 1 << self.task.problem.num_vars):
            prob = evaluator.probabilities(x)
            out["probability_optimum_exact"] = float(prob[fast(diag)].sum())
        elif exact and self.task.problem.optimum is not None:
            # P(an optimal program state), slack / auxiliary bits summed out (numbers, #21)
            from qopt.solvers.quantum.final_state import probability_optimum_exact

            out["probability_optimum_exact"] = probability_optimum_exact(
                self.task.problem, evaluator.ansatz.qubo, evaluator.probabilities(x), diag)
        return out

    def output_samples(self, samples: Samples) -> Samples:
        """The final samples as the solver reports them (rows over the task's QUBO)."""
        return samples

    def resources(self, ansatz: Ansatz) -> dict[str, int | None]:
        """num_qubits, depth and two_qubit_gates of the exported circuit."""
        return circuit_resources(ansatz)

    # ---- the skeleton --------------------------------------------------------------------
    def prepare(self) -> None:
        """Resolve the backend (a spec string becomes one shared Backend) and the shots of
        one estimate (None: exact evaluations)."""
        self.backend = resolve_backend(self.backend)
        self.per_estimate = estimate_shots(self.backend, self.shots)
        self.cost = measurement_cost(self.backend, self.per_estimate)
        self.calibrated_before = calibration_spent(self.backend)

    def new_search(self) -> AngleSearch:
        return AngleSearch(self.o, self.optimizer, self.rng,
                           gradients=self.per_estimate is None)

    def transfer(self):
        """init="transfer": the transferred angles, else None (refuses multi-angle solvers)."""
        return transfer_schedule(self.solver, self.task, backend=self.backend,
                                 optimizer=self.optimizer, seed=self.seed, budget=self.budget)

    def run(self) -> SolverOutput:
        t0 = time.perf_counter()
        self.prepare()
        plan = self.plan_budget()
        self.check()
        ansatz = self.build_ansatz(self.build_cost())
        start = self.start_parameters(ansatz)
        evaluator = self.build_evaluator(ansatz)
        t_setup = time.perf_counter() - t0
        search = self.new_search()
        search.transfer = self.transfer()
        search.start = start
        circuits = getattr(evaluator, "backend", None)     # a circuit backend, if any
        before = executions(circuits)           # after a transfer's own source run
        x, f = search.optimise(ansatz, evaluator, plan.limit)
        samples, self.final = final_samples(evaluator, x, self.shots, self.rng)
        executed = None if before is None else executions(circuits) - before
        info = {**self.info, **self.diagnostics(evaluator, x, samples)}
        if getattr(evaluator, "threads_in_use", None) is not None:
            info["threads"] = evaluator.threads_in_use        # what the kernels ran on
        g, b = ansatz.split(x)
        res = self.resources(ansatz)
        timing = {"simulation": getattr(evaluator, "simulation_time", 0.0)}
        usage = getattr(getattr(evaluator, "backend", None), "usage", None)
        if usage is not None and usage.depth is not None:
            # a circuit backend: report the transpiled circuit (device ISA on ibm: / fake:)
            res.update(depth=usage.depth, two_qubit_gates=usage.two_qubit_gates)
            if usage.qpu_time is not None:
                timing["qpu"] = usage.qpu_time
        info.update({"gammas": np.asarray(g).tolist(), "betas": np.asarray(b).tolist(),
                     "params": np.asarray(x).tolist(), "gamma_scale": ansatz.gamma_scale,
                     "objective": f, "alpha": self.o.alpha,
                     "optimizer": getattr(search.opt, "name", str(search.opt)),
                     "backend": getattr(evaluator, "name", self.default_backend_name),
                     "setup_time": t_setup, "circuit_evaluations": search.evaluations})
        if search.fixed:
            info["fixed_angles"] = True
        if search.transfer is not None:
            info["transfer"] = search.transfer.describe()
        settings = self.cost[0]
        calibration = calibration_spent(self.backend) - self.calibrated_before
        if executed is not None:
            # a circuit backend: every circuit it ran for the search and the final samples
            # (gradient batches, ZNE folds, calibration circuits; not the diagnostics)
            info["circuit_executions"] = executed
        final = self.shots * settings + calibration
        measured = final + search.evaluations * (self.per_estimate or 0) * settings
        return SolverOutput(samples=self.output_samples(samples), status=search.status,
                            evaluations=plan.charged(search.evaluations, final),
                            shots=measured, history=search.history,
                            num_qubits=res["num_qubits"], depth=res["depth"],
                            two_qubit_gates=res["two_qubit_gates"], time=timing, info=info)


# ---- pieces shared by the variants -----------------------------------------------------------
def final_samples(evaluator, x, shots: int, rng):
    """(final samples, Evaluation or None): the evaluation of the same execution where the
    evaluator gives one (a mitigated device backend: expectation from the quasi-distribution,
    not from the samples' projected weights)."""
    both = getattr(evaluator, "sample_and_evaluate", None)
    if both is None:
        return evaluator.sample(x, shots, rng), None
    return both(x, shots, rng)


def executions(backend) -> int | None:
    """Circuits a circuit ``backend`` has run so far (its ``usage``); None for anything else
    (the statevector engine spec, an evaluator without a circuit backend)."""
    usage = getattr(backend, "usage", None)
    return None if usage is None else int(usage.executions)


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


def optimum_mask(problem, evaluator: ExactEvaluator, program_bits=None) -> np.ndarray | None:
    """Which basis states of an exact evaluator's space are feasible and reach the problem's
    known optimum, shape (S,) bool (scanned in chunks); None without a known optimum.
    ``program_bits`` maps the evaluator's rows to the program's variables (None: they are)."""
    if problem.optimum is None:
        return None
    size = evaluator.space_size
    hit = np.zeros(size, dtype=bool)
    for start in range(0, size, _CHUNK):
        idx = np.arange(start, min(size, start + _CHUNK))
        X = evaluator.space_bits(idx)
        if program_bits is not None:
            X = program_bits(X)
        ok = np.isclose(problem.evaluate_batch(X), problem.optimum, rtol=1e-9, atol=1e-9)
        if problem.optimum_needs_feasible:
            ok &= problem.violation_batch(X) <= 1e-9
        hit[idx] = ok
    return hit


__all__ = ["QAOARun", "circuit_resources", "executions", "optimum_mask",
           "sample_expectation_and_cvar", "transfer_schedule"]
