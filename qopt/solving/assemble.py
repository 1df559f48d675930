"""A solver's :class:`~qopt.solvers.base.SolverOutput` -> a
:class:`~qopt.solvers.result.SolveResult`.

The samples are decoded over the problem's variables, the best raw one is chosen (feasible
first by objective, else lowest QUBO energy or violation), post-processing runs on it, and the
metrics, time split (compile seconds apart), options and package versions are recorded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import time
from dataclasses import dataclass
from importlib import metadata

import numpy as np

from qopt.model.hubo import HUBO
from qopt.problems.base import Problem
from qopt.samples import Samples
from qopt.solvers.base import Solver, SolverOutput, Task
from qopt.solvers.postprocess import postprocess as run_postprocess
from qopt.solvers.result import SampleReport, SolveResult, plain
from qopt.solving.metrics import (
    gap_and_ratio,
    probability_optimum,
    run_counts,
    state_quality,
)
from qopt.version import DISTRIBUTION, __version__

_VERSIONED = ("qopt", "numpy", "scipy", "qiskit", "qiskit-aer", "pennylane", "highspy")
#: import name -> distribution name where they differ (qopt is on PyPI as qopt-toolkit)
_DISTRIBUTION = {"qopt": DISTRIBUTION}


@dataclass(frozen=True)
class SolveSettings:
    """The solve keywords a result records (see :func:`qopt.solve`)."""

    backend: object = None
    seed: int | None = None
    budget: int | None = None
    penalty: object = "auto"
    encoding: str = "slack"
    postprocess: bool = True
    #: the reference C* (qopt.reference.Reference), None for "none asked and none known"
    reference: object = None
    #: whether the solver runs circuits (quantum): shots, executions, final-state metrics
    quantum: bool = False


@dataclass
class SampleTable:
    """Every unique sample of a run evaluated on the problem; arrays of shape (k,) per row of
    ``samples`` (unique rows with probabilities), ``bits`` over the problem's variables."""

    samples: Samples
    bits: np.ndarray
    energies: np.ndarray | None
    objectives: np.ndarray
    violations: np.ndarray
    feasible: np.ndarray

    def best(self, problem: Problem) -> int:
        """Row of the best raw sample: feasible first by (minimised) objective; with none
        feasible, the lowest QUBO energy (or, without one, the lowest violation)."""
        minimised = problem.to_minimisation(self.objectives)
        if self.feasible.any():
            return int(np.lexsort((minimised, ~self.feasible))[0])
        if self.energies is not None:
            return int(np.argsort(self.energies, kind="stable")[0])
        return int(np.lexsort((minimised, self.violations))[0])


def sample_table(problem: Problem, task: Task, on_qubo: bool, samples: Samples) -> SampleTable:
    """Decode and evaluate ``samples`` (rows over the QUBO's variables when ``on_qubo``, else
    over the program's), vectorised over rows."""
    samples = samples.unique()
    cost = task.cost if on_qubo else None      # the QUBO or HUBO the solver was handed
    bits = cost.program_bits(samples.bits) if on_qubo else samples.bits
    energies = cost.energy(samples.bits) if on_qubo else None
    viol = problem.violation_batch(bits)
    return SampleTable(samples, bits, energies, problem.evaluate_batch(bits), viol, viol <= 1e-9)


def sample_report(problem: Problem, bits: np.ndarray, energy: float | None) -> SampleReport:
    """One solution described on the problem: objective, feasibility, violation, decoding."""
    return SampleReport(solution=[int(b) for b in bits], objective=float(problem.evaluate(bits)),
                        feasible=bool(problem.is_feasible(bits)),
                        violation=float(problem.violation(bits)), energy=energy,
                        decoded=problem.decode(bits))


def assemble_result(problem: Problem, task: Task, slv: Solver, out: SolverOutput,
                    settings: SolveSettings, *, started: float, compiled_before: float,
                    compile_clock) -> SolveResult:
    """The SolveResult of one run. ``started`` is the solve's ``time.perf_counter()`` start,
    ``compiled_before`` the ``compile_clock.total`` (seconds) then: the wall time excludes the
    compile seconds spent since."""
    on_qubo = slv.input == "qubo"
    cost = task.cost if on_qubo else None      # the QUBO or HUBO the solver was handed
    table = sample_table(problem, task, on_qubo, out.samples)
    best = table.best(problem)
    raw = sample_report(problem, table.bits[best],
                        None if table.energies is None else float(table.energies[best]))
    prob_opt = probability_optimum(problem, table.samples, table.objectives, table.feasible)

    final_bits, steps = table.bits[best], []
    if settings.postprocess:
        final_bits, steps = run_postprocess(problem, table.bits[best])
    final = sample_report(problem, final_bits,
                          float(cost.energy(cost.complete(final_bits))) if on_qubo else None)
    gap, ratio = gap_and_ratio(problem, final.objective, final.feasible)
    compile_time = compile_clock.total - compiled_before
    wall = max(time.perf_counter() - started - compile_time, 0.0)
    timing = without_compile(dict(out.time), compile_time)
    timing.setdefault("classical", max(wall - sum(timing.values()), 0.0))
    timing["compile"] = compile_time
    info = dict(out.info)
    if on_qubo and "cost_degree" not in info:   # else the solver built and described its own
        info.update(cost_info(cost))
    extra = quality_fields(problem, slv.name, settings, out, cost if on_qubo else None, gap,
                           ratio, prob_opt, final.feasible, final.objective)
    return SolveResult(
        problem=problem.name, problem_class=problem.kind, solver=slv.name,
        solution=final.solution, decoded=final.decoded, objective=final.objective,
        feasible=final.feasible, violation=final.violation, sense=problem.sense,
        optimum=problem.optimum, gap=gap, approximation_ratio=ratio,
        probability_optimum=prob_opt, energy=final.energy, raw=raw, postprocess=steps,
        status=out.status, num_vars=problem.num_vars,
        # a solver may run without the QUBO's slack bits (constraint-preserving QAOA)
        num_slack=out.info.get("num_slack", cost.num_slack if cost is not None else 0),
        num_qubits=out.num_qubits, depth=out.depth, two_qubit_gates=out.two_qubit_gates,
        evaluations=out.evaluations, shots=out.shots, budget=settings.budget, wall_time=wall,
        compile_time=compile_time, time=timing, history=out.history,
        options=options_dict(slv, settings), backend=backend_name(settings.backend),
        seed=settings.seed, info=info, values=problem.values(final_bits),
        versions=package_versions(), **extra)


def quality_fields(problem: Problem, solver: str, settings: SolveSettings, out: SolverOutput,
                   cost, gap, ratio, prob_opt, feasible: bool, objective: float) -> dict:
    """The reference, the final state's expectation ratio, the three run counts and the reason
    for every metric left None (``SolveResult.unavailable``)."""
    from qopt.reference import NO_REFERENCE, Reference

    ref = settings.reference if settings.reference is not None else Reference(
        problem.optimum, None if problem.optimum is None else "best-known")
    energies = None
    if cost is not None and settings.quantum and len(out.samples.bits):
        energies = cost.energy(out.samples.bits)
    sq = state_quality(problem, solver, settings.quantum, out.info, energies, out.samples,
                       NO_REFERENCE)
    shots, executions, evaluations = run_counts(settings.quantum, out.evaluations, out.shots,
                                                out.info)
    why: dict[str, str] = {}
    if problem.optimum is None:
        why.update(gap=NO_REFERENCE, approximation_ratio=NO_REFERENCE,
                   probability_optimum=NO_REFERENCE)
    elif gap is None or ratio is None:
        reason = ("the solution is infeasible and the optimum must be feasible"
                  if problem.optimum_needs_feasible and not feasible else
                  f"objective {objective:g} and C* {problem.optimum:g} differ in sign (or one "
                  "is 0): their ratio means nothing")
        if gap is None:
            why["gap"] = reason
        if ratio is None:
            why["approximation_ratio"] = reason
    if sq.expectation_ratio is None and sq.reason:
        why["expectation_ratio"] = sq.reason
    if sq.se_reason:
        why["expectation_ratio_se"] = sq.se_reason
    if prob_opt is None and "probability_optimum" not in why:
        why["probability_optimum"] = "no samples"
    if settings.quantum and out.info.get("probability_optimum_exact") is None:
        why["probability_optimum_exact"] = out.info.get("optimum_note") or (
            NO_REFERENCE if problem.optimum is None else
            "only exact simulators give it (statevector engine, feasible subspace)")
    return {"reference": ref.to_dict(), "expected_objective": sq.expected_objective,
            "expectation_ratio": sq.expectation_ratio,
            "expectation_ratio_se": sq.expectation_ratio_se, "shots_total": shots,
            "circuit_executions": executions, "objective_evaluations": evaluations,
            "unavailable": why}


def cost_info(cost: HUBO) -> dict:
    """``info`` entries saying what the solver's cost is (:meth:`HUBO.describe`): its degree,
    the quadratisation when one was made, and how each constraint row was expressed. A solver
    that builds a cost of its own (constraint-preserving QAOA) puts its ``describe()`` in its
    ``info`` itself; this one is the Task's."""
    return cost.describe()


def without_compile(parts: dict[str, float], compile_time: float) -> dict[str, float]:
    """A solver's time split with the compile seconds taken out of the parts that timed them
    (simulation first, where kernels compile on their first call, then classical, then qpu)."""
    left = compile_time
    for key in ("simulation", "classical", "qpu"):
        if key in parts and left > 0:
            cut = min(parts[key], left)
            parts[key] -= cut
            left -= cut
    return parts


def backend_name(backend) -> str | None:
    """The backend as recorded (:func:`qopt.backends.registry.backend_spec`): its spec string
    (a qopt Backend's ``spec``, ``primitive:SamplerV2`` for a Qiskit sampler), else the class
    name of a user object."""
    from qopt.backends.registry import backend_spec

    return backend_spec(backend)


def options_dict(slv: Solver, settings: SolveSettings) -> dict:
    """The solver's options as plain data, with the conversion and post-processing keywords."""
    opts = dataclasses.asdict(slv.options) if slv.options is not None else {}
    # plain(): a per-constraint mapping or sequence stays data (was its str())
    opts.update(penalty=plain(settings.penalty), encoding=settings.encoding,
                postprocess=settings.postprocess)
    return opts


def package_versions() -> dict[str, str]:
    """Versions of the packages a result depends on (a fresh copy of a per-process cache:
    reading them costs ~5-100 ms of package-metadata parsing, more than a small solve)."""
    return dict(_package_versions())


@functools.cache
def _package_versions() -> dict[str, str]:
    out = {}
    for name in _VERSIONED:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(_DISTRIBUTION.get(name, name))
    if "qopt" not in out:       # run from a checkout that is not installed
        out["qopt"] = __version__
    return out


__all__ = ["SampleTable", "SolveSettings", "assemble_result", "backend_name", "cost_info",
           "options_dict",
           "package_versions", "sample_report", "sample_table", "without_compile"]
