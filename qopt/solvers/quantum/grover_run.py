"""``mixer="grover"`` on the qaoa family: :class:`GroverRun`, the hooks of the QAOA run skeleton
(:class:`~qopt.solvers.quantum.qaoa_run.QAOARun`) for GM-QAOA on the cost histogram.

The skeleton's angle search (init ramp / interp / fourier / random, restarts, transfer, fixed
``angles``) runs unchanged on :class:`GroverEvaluator`, which evaluates the ansatz exactly on
the histogram (:mod:`qopt.backends.grover`); the histogram pass happens in ``build_cost``.
``gamma_scale`` is 1 / the cost's standard deviation over F, so normalised gammas of order one
turn the cost spread by order-one phases. Diagnostics, samples and the info keys are those of
:func:`qopt.solvers.quantum.grover.run_grover` (module doc of :mod:`.grover`).
"""

from __future__ import annotations

import time

import numpy as np

from qopt.samples import Samples
from qopt.solvers.quantum.qaoa_ansatz import Ansatz
from qopt.solvers.quantum.qaoa_evaluators import ExactEvaluator
from qopt.solvers.quantum.qaoa_run import QAOARun


class GroverEvaluator(ExactEvaluator):
    """The ansatz (one gamma, one beta per layer) as GM-QAOA on a cost histogram: exact values
    and adjoint gradients; ``sample`` draws levels, then states by the histogram's second
    pass."""

    name = "histogram"

    def __init__(self, ansatz: Ansatz, hist, alpha: float = 1.0, *, threads: int = 1):
        from qopt.backends.grover import GroverSimulator

        self.ansatz = ansatz
        self.hist = hist
        self.alpha = float(alpha)
        self.threads = threads
        self.sim = GroverSimulator(hist.levels, hist.counts)
        self.diag = hist.levels
        self.simulation_time = 0.0
        self.sampling_time = 0.0

    @property
    def space_size(self) -> int:
        return self.hist.size

    def state(self, x):
        g, b = self.ansatz.split(x)
        return self.sim.state(g, b)

    def _probabilities(self) -> np.ndarray:
        """Level probabilities |a_c|^2 (not per state: F is never stored)."""
        return self.sim.probabilities()

    def _objective(self):
        return (self.sim.expectation() if self.alpha >= 1 else self.sim.cvar(self.alpha)), None

    def value_and_grad(self, x) -> tuple[float, np.ndarray]:
        t0 = time.perf_counter()
        g, b = self.ansatz.split(x)
        v, dg, db = self.sim.value_and_grad(g, b, self.alpha)
        self.simulation_time += time.perf_counter() - t0
        return v, np.concatenate([dg * self.ansatz.gamma_scale, db])

    def expectation_and_cvar(self, x) -> tuple[float, float]:
        self.state(x)
        return self.sim.expectation(), self.sim.cvar(self.alpha)

    def sample(self, x, shots: int, rng) -> Samples:
        t0 = time.perf_counter()
        self.state(x)
        X = self.hist.sample_states(self.sim.draw_levels(shots, rng), rng, threads=self.threads)
        self.sampling_time += time.perf_counter() - t0
        return Samples(X, np.ones(len(X)))

    def z_correlators(self, x, masks):
        raise NotImplementedError("GM-QAOA on a histogram keeps no per-state amplitudes")


class GroverRun(QAOARun):
    """GM-QAOA (qaoa / cvar-qaoa with ``mixer="grover"``) on the cost histogram."""

    default_backend_name = "histogram"

    def check(self) -> None:
        from qopt.solvers.quantum.grover import check_backend

        check_backend(self.backend, self.solver.name)

    def build_cost(self):
        """The constrained cost over the program's variables, and its histogram (the pass)."""
        from qopt import threads as kernel_threads
        from qopt.solvers.quantum.grover import feasible_mixer, grover_histogram
        from qopt.solvers.quantum.qaoa_subspace import constrained_cost

        task = self.task
        self.mixer = feasible_mixer(task)
        cost = constrained_cost(task.program, self.mixer, task.penalty)
        self.threads = kernel_threads.current()
        self.hist, self.objective = grover_histogram(self.solver.name, task, self.mixer, cost,
                                                     threads=self.threads, shots=self.shots)
        self.info.update(cost.describe())     # this cost, not the Task's QUBO, is the one run
        return cost

    def build_ansatz(self, cost) -> Ansatz:
        h = self.hist
        sigma = h.std()
        ansatz = Ansatz(cost, self.o.p, False, None)
        ansatz.gamma_scale = 1.0 / sigma if sigma > 0 else 1.0
        program = self.task.program
        self.info.update({
            "mixer": {"name": "grover", "feasible_set": self.mixer.subspace,
                      "structure_mixer": self.mixer.name,
                      "preserved_rows": len(self.mixer.preserved_rows)},
            "penalised_rows": [program.constraint_names[r] for r in range(program.num_constraints)
                               if r not in set(self.mixer.preserved_rows)],
            "logical_qubits": program.num_vars, "num_slack": 0,
            "histogram": h.describe()})
        return ansatz

    def build_evaluator(self, ansatz: Ansatz):
        return GroverEvaluator(ansatz, self.hist, self.o.alpha, threads=self.threads)

    def diagnostics(self, evaluator, x, samples: Samples) -> dict:
        from qopt.solvers.quantum.grover_diagnostics import grover_diagnostics

        e, c = evaluator.expectation_and_cvar(x)
        out = grover_diagnostics(self.task, self.objective, self.hist, evaluator.sim,
                                 samples.bits, self.o.p, self.shots, self.rng)
        return {"expectation": e, "cvar": c, "sampling_time": evaluator.sampling_time, **out}

    def output_samples(self, samples: Samples) -> Samples:
        return Samples(self.task.qubo.complete(samples.bits), samples.weights)

    def resources(self, ansatz: Ansatz) -> dict:
        return {"num_qubits": ansatz.n, "depth": None, "two_qubit_gates": None}


__all__ = ["GroverEvaluator", "GroverRun"]
