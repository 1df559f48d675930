"""The QAOA family: standard, CVaR, multi-angle, warm-start and recursive QAOA.

All solvers take the task's QUBO (``input = "qubo"``) and follow the toolkit's conventions:
cost layer ``exp(-i gamma H_C)`` with ``H_C`` the QUBO energy (diagonal ``QUBO.diagonal()``),
mixer ``exp(-i beta sum X)``, qubit i = variable i. Optimised parameters are *normalised*: the
solver multiplies gammas by ``gamma_scale = 1 / max |Ising coefficient|`` (reported in
``info``), so one set of initial ranges suits every problem; the exported circuit
(:func:`qopt.solvers.quantum.circuits.qaoa_circuit`) takes the true angles in ``info``.
Fixed angles: ``angles={"gamma": [...], "beta": [...]}`` in true angles (as ``info`` records
them; the optimiser's normalised gammas are the true ones divided by ``gamma_scale``) start
the optimisation, or with ``maxiter=0`` are evaluated once (:mod:`.angles`).

Every solve runs the one skeleton :class:`~.qaoa_run.QAOARun` (set up, plan, optimise, sample,
diagnose, report); with ``mixer`` other than ``x`` (constraint-preserving mixers,
:mod:`.mixers`) its variant :class:`~.qaoa_constrained.ConstrainedRun`: the program's variables
without slack qubits, on the feasible-subspace simulator by default. Options live in
:mod:`.qaoa_options`, the ansatz in :mod:`.qaoa_ansatz`, evaluators in :mod:`.qaoa_evaluators`,
the angle search in :mod:`.qaoa_search`, recursive QAOA in :mod:`.qaoa_recursive`.

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

from typing import ClassVar

from qopt.solvers.base import Solver, SolverOutput, Task
from qopt.solvers.budget import final_shots
from qopt.solvers.optimizers import get_optimizer
from qopt.solvers.plans import add_optimizer, add_samples, plan_engine
from qopt.solvers.quantum.qaoa_ansatz import Ansatz, ising_to_qubo
from qopt.solvers.quantum.qaoa_constrained import ConstrainedRun, plan_subspace
from qopt.solvers.quantum.qaoa_evaluators import (
    CircuitEvaluator,
    EngineEvaluator,
    is_engine,
    make_evaluator,
)
from qopt.solvers.quantum.qaoa_options import (
    CVaRQAOAOptions,
    MAQAOAOptions,
    QAOAOptions,
    RQAOAOptions,
    WSQAOAOptions,
)
from qopt.solvers.quantum.qaoa_run import QAOARun, circuit_resources
from qopt.solvers.quantum.warm_start import continuous_relaxation


class QAOASolver(Solver):
    """Standard QAOA (Farhi et al.): p layers, expectation (alpha = 1) or CVaR objective."""

    name = "qaoa"
    input = "qubo"
    Options = QAOAOptions
    #: device runs take mitigation= (budget and <H> through qopt.backends.mitigation)
    supports_mitigation: ClassVar[bool] = True
    #: one gamma per cost term and one beta per partial mixer in every layer (ma-qaoa)
    multi_angle: ClassVar[bool] = False
    #: start from the continuous relaxation (ws-qaoa)
    warm_start: ClassVar[bool] = False

    @property
    def max_degree(self) -> int | None:
        """None (the HUBO itself: one qubit a variable, multi-qubit Z rotations) for the x
        mixer's single-angle run without warm start; 2 (the quadratised QUBO) otherwise."""
        plain = self.run_class() is QAOARun and not self.multi_angle and not self.warm_start
        return None if plain else 2

    def run_class(self) -> type[QAOARun]:
        """The run of this solve: the x mixer's skeleton, GM-QAOA on the cost histogram
        (``mixer="grover"``), or the constraint-preserving variant for any other ``mixer``."""
        if self.options.mixer == "grover":
            from qopt.solvers.quantum.grover_run import GroverRun

            return GroverRun
        return QAOARun if self.options.mixer == "x" else ConstrainedRun

    def plan_resources(self, plan, task, *, backend=None, optimizer=None, budget=None):
        """Engine buffers (exact evaluation on the in-house statevector), the optimizer's
        workspace over the ansatz parameters (``--p``) and the final samples (``--shots``)."""
        o = self.options
        qubo = task.cost
        n = qubo.num_vars
        # multi-angle: T <= n fields + the couplings, one beta per qubit
        d = o.p * (2 * n + qubo.quadratic.nnz) if self.multi_angle else 2 * o.p
        opt = get_optimizer(optimizer, default=o.optimizer)
        if getattr(o, "mixer", None) == "grover":
            from qopt.solvers.quantum.grover import plan_grover

            plan_grover(plan, task, final_shots(o.shots, budget))
        elif is_engine(backend) and getattr(o, "mixer", None) in (None, "x"):
            plan_engine(plan, task.cost, n, precision=getattr(o, "precision", "complex128"),
                        gradient=opt.uses_gradient, cvar=o.alpha < 1.0)
        elif is_engine(backend):
            plan_subspace(plan, task, o.mixer)
        add_optimizer(plan, opt, d, option="--p")
        add_samples(plan, final_shots(o.shots, budget), n, option="--shots")

    def run(self, task: Task, *, backend=None, optimizer=None, seed: int | None = None,
            budget: int | None = None) -> SolverOutput:
        return self.run_class()(self, task, backend=backend, optimizer=optimizer, seed=seed,
                                budget=budget).run()


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
    continuous relaxation c* of the QUBO, with the matching mixer (see circuits.py); with a
    constraint-preserving mixer, the relaxation rounded and repaired
    (:mod:`qopt.solvers.quantum.warm_start`)."""

    name = "ws-qaoa"
    Options = WSQAOAOptions
    warm_start = True


__all__ = [
    "Ansatz", "CVaRQAOAOptions", "CVaRQAOASolver", "CircuitEvaluator", "EngineEvaluator",
    "MAQAOAOptions", "MAQAOASolver", "QAOAOptions", "QAOASolver", "RQAOAOptions",
    "WSQAOAOptions", "WSQAOASolver", "circuit_resources", "continuous_relaxation",
    "ising_to_qubo", "make_evaluator",
]
