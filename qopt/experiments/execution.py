"""One sweep run: :func:`execute` turns a :class:`~qopt.experiments.config.RunSpec` into one
store row, wherever an engine runs it (a local worker process or a Ray actor).

It loads the problem, checks that the solver exists and that the instance fits the backend
(qubits needed from the solver's ``required_qubits(task)`` or the QUBO size), calls
:func:`qopt.solve`, and flattens the :class:`~qopt.solvers.result.SolveResult`
(:func:`result_columns`). A :class:`~qopt.errors.SizeLimitError` becomes a ``skipped`` row, any
other exception a ``failed`` row.
"""

from __future__ import annotations

import json
import socket
import time
import traceback
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from qopt import compilation
from qopt.errors import SizeLimitError
from qopt.experiments.config import RunSpec, canonical, import_plugins
from qopt.experiments.output_safety import confine_output_paths
from qopt.limits import memory_limit_override


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def base_row(spec: RunSpec) -> dict[str, Any]:
    """The columns known before running: identity of the run."""
    prob = spec.problem
    return {
        "run_key": spec.key, "sweep": spec.sweep, "problem_class": prob.kind,
        "instance": prob.label,
        "size": None if prob.size is None else (prob.size if isinstance(prob.size, int)
                                                else json.dumps(prob.size, sort_keys=True)),
        "solver": spec.solver, "label": spec.label,
        "options": json.dumps(canonical(spec.options), sort_keys=True),
        "backend": spec.backend, "budget": spec.budget, "seed": spec.seed,
        "repetition": spec.repetition,
        "spec": json.dumps(canonical(spec.identity()), sort_keys=True),
        "host": socket.gethostname(),
    }


def skipped_row(spec: RunSpec, reason: str, **extra) -> dict[str, Any]:
    return {**base_row(spec), **extra, "status": "skipped", "reason": reason,
            "started_at": _now(), "finished_at": _now()}


def failed_row(spec: RunSpec, error: str, **extra) -> dict[str, Any]:
    return {**base_row(spec), **extra, "status": "failed", "error": error,
            "finished_at": _now()}


@lru_cache(maxsize=16)
def _problem(identity_json: str, spec_json: str):
    from qopt.experiments.config import ProblemSpec

    return ProblemSpec(**json.loads(spec_json)).load()


def load_problem(spec: RunSpec):
    """The run's Problem, cached per process by the instance's identity."""
    import dataclasses

    ident = json.dumps(canonical(spec.problem.identity()), sort_keys=True)
    return _problem(ident, json.dumps(dataclasses.asdict(spec.problem)))


def _metrics(sense: str, optimum: float | None, objective: float | None, feasible: bool
             ) -> tuple[float | None, float | None]:
    """(gap, approximation ratio) as in :class:`~qopt.solvers.result.SolveResult` (the same
    sign-aware ratio: :func:`qopt.solving.metrics.oriented_ratio`)."""
    from qopt.solving.metrics import oriented_ratio

    if optimum is None or objective is None or not feasible:
        return None, None
    gap = abs(optimum - objective) / abs(optimum) if optimum != 0 else \
        (0.0 if objective == 0 else None)
    return gap, oriented_ratio(sense, objective, optimum)


def result_columns(res) -> dict[str, Any]:
    """Flatten a SolveResult into store columns (raw best sample next to post-processed)."""
    raw = res.raw
    raw_gap, raw_ratio = (None, None)
    if raw is not None:
        raw_gap, raw_ratio = _metrics(res.sense, res.optimum, raw.objective, raw.feasible)
    t = res.time or {}
    return {
        "solver_status": res.status, "sense": res.sense, "optimum": res.optimum,
        "feasible": bool(res.feasible), "objective": res.objective, "gap": res.gap,
        "approx_ratio": res.approximation_ratio, "energy": res.energy,
        "raw_feasible": None if raw is None else bool(raw.feasible),
        "raw_objective": None if raw is None else raw.objective,
        "raw_gap": raw_gap, "raw_approx_ratio": raw_ratio,
        "raw_energy": None if raw is None else raw.energy,
        "prob_optimum": res.probability_optimum, "qubits": res.num_qubits,
        "num_vars": res.num_vars, "num_slack": res.num_slack, "depth": res.depth,
        "two_qubit_gates": res.two_qubit_gates, "evaluations": res.evaluations,
        "shots": res.shots, "wall_time": res.wall_time, "compile_time": res.compile_time,
        "prob_optimum_exact": (res.info or {}).get("probability_optimum_exact"),
        "expectation_ratio": res.expectation_ratio,
        "expectation_ratio_se": res.expectation_ratio_se,
        "objective_evaluations": res.objective_evaluations, "shots_total": res.shots_total,
        "circuit_executions": res.circuit_executions,
        "time_classical": t.get("classical"), "time_simulation": t.get("simulation"),
        "time_qpu": t.get("qpu"), "result": res.to_json(),
    }


#: solvers with one qubit per QUBO variable (their need is the QUBO size when they do not
#: say otherwise through ``required_qubits(task)``)
ONE_QUBIT_PER_VARIABLE = frozenset({"qaoa", "cvar-qaoa", "ma-qaoa", "ws-qaoa", "rqaoa", "vqe",
                                    "cvar-vqe"})


def required_qubits(solver, task, name: str | None = None, backend: str | None = None
                    ) -> int | None:
    """Qubits a quantum solver needs: its own ``required_qubits(task)``; else the size of the
    cost it takes (``task.cost``: the QUBO, or the HUBO itself) for one-qubit-per-variable
    solvers; else None (unknown: the solver itself refuses with a
    SizeLimitError, stored as skipped). Constraint-preserving QAOA (``mixer`` other than x)
    needs one qubit per program variable (no slack) on circuit backends; on the
    feasible-subspace simulator (statevector) the feasible-set size, not the qubits, bounds
    it, and the simulator refuses a set over the memory limit itself: None."""
    fn = getattr(solver, "required_qubits", None)
    if callable(fn):
        return int(fn(task))
    if getattr(getattr(solver, "options", None), "mixer", "x") != "x":
        return None if backend in (None, "statevector") else int(task.program.num_vars)
    if (name or getattr(solver, "name", None)) in ONE_QUBIT_PER_VARIABLE:
        return int(task.cost.num_vars)      # the QUBO, or the HUBO a solver takes itself
    return None


def sweep_options(spec: RunSpec) -> dict:
    """The run's solver options, output paths confined to its results directory
    (:func:`~qopt.experiments.output_safety.confine_output_paths`)."""
    if spec.output_dir is None:
        return spec.options
    from qopt.solvers.registry import solver_class

    opts_cls = getattr(solver_class(spec.solver), "Options", None)
    return confine_output_paths(opts_cls, spec.options, spec.output_dir)


def execute(spec_data: dict | RunSpec) -> dict[str, Any]:
    """Run one spec and return its store row (never raises for a solver's failure)."""
    spec = spec_data if isinstance(spec_data, RunSpec) else RunSpec.from_dict(spec_data)
    if spec.plugins:
        import_plugins(spec.plugins, spec.plugin_paths)
    if not spec.available:
        return skipped_row(spec, spec.unavailable_reason or "solver not available")
    started = _now()
    t0 = time.perf_counter()
    compiled0 = compilation.clock.total
    extra: dict[str, Any] = {"started_at": started}
    try:
        from qopt.solvers.base import Task
        from qopt.solvers.registry import make_solver
        from qopt.solving import solve

        problem = load_problem(spec)
        extra.update(num_vars=problem.num_vars, sense=problem.sense, optimum=problem.optimum)
        if spec.problem.size is None:
            extra["size"] = problem.num_vars
        solver = make_solver(spec.solver, **sweep_options(spec))
        if spec.quantum:
            task = Task(problem, penalty=spec.problem.penalty, encoding=spec.problem.encoding,
                        max_degree=getattr(solver, "max_degree", 2))   # the cost it takes
            need = required_qubits(solver, task, spec.solver, spec.backend)
            if need is not None:
                extra["qubits"] = need
            if need is not None and spec.qubit_limit is not None and need > spec.qubit_limit:
                return skipped_row(spec, f"needs {need} qubits, {spec.backend} limit "
                                         f"{spec.qubit_limit}", **extra)
            if need is not None and spec.min_qubits is not None and need < spec.min_qubits:
                return skipped_row(spec, f"needs {need} qubits, below this entry's min_qubits "
                                         f"{spec.min_qubits}", **extra)
        with memory_limit_override(spec.memory_limit):     # this worker's share
            res = solve(problem, solver=solver, seed=spec.seed, budget=spec.budget,
                        backend=spec.backend, optimizer=spec.optimizer,
                        penalty=spec.problem.penalty, encoding=spec.problem.encoding,
                        postprocess=spec.postprocess, threads=spec.threads)
    except SizeLimitError as exc:
        return skipped_row(spec, str(exc), **extra)
    except Exception as exc:
        tb = traceback.format_exc(limit=-8)
        compiled = compilation.clock.total - compiled0
        return failed_row(spec, f"{type(exc).__name__}: {exc}",
                          wall_time=time.perf_counter() - t0 - compiled, compile_time=compiled,
                          result=json.dumps({"traceback": tb}), **extra)
    # compile seconds of the whole run (also outside qopt.solve: loading, qubit counting)
    return {**base_row(spec), **extra, **result_columns(res), "status": "done",
            "compile_time": compilation.clock.total - compiled0, "finished_at": _now()}


__all__ = ["ONE_QUBIT_PER_VARIABLE", "base_row", "execute", "failed_row", "load_problem",
           "required_qubits", "result_columns", "skipped_row", "sweep_options"]
