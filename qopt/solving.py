"""``qopt.solve``: one entry point from any supported input to a SolveResult."""

from __future__ import annotations

import contextlib
import functools
import sys
import time
from importlib import metadata
from pathlib import PurePath

import numpy as np
import scipy.sparse as sp

from qopt import compilation
from qopt.errors import OptionError
from qopt.model.hubo import HUBO
from qopt.model.interop import is_model_object
from qopt.model.program import BinaryProgram
from qopt.model.qubo import QUBO
from qopt.model.user import Program
from qopt.problems import load, problem_class
from qopt.problems.base import Problem
from qopt.problems.custom import ModelProblem, ProgramProblem, QUBOProblem
from qopt.problems.model_files import problem_of_model
from qopt.progress import tracking as progress_tracking
from qopt.solvers.base import Samples, SolverOutput, Task, check_seed
from qopt.solvers.postprocess import postprocess as run_postprocess
from qopt.solvers.registry import make_solver
from qopt.solvers.result import SampleReport, SolveResult, plain

_VERSIONED = ("qopt", "numpy", "scipy", "qiskit", "qiskit-aer", "pennylane", "highspy")


def as_problem(target, kind: str | None = None) -> Problem:
    """Turn any supported input into a Problem.

    Accepts a Problem, a :class:`~qopt.Program` (the user's model: results carry its variables'
    names and values), a BinaryProgram, a :class:`QUBO` or :class:`HUBO`, a square numpy /
    scipy matrix (a QUBO ``x'Mx``), a networkx graph (with ``kind`` "maxcut" or "mis"), a string
    ``"kind:instance"`` naming a shipped instance or a file, a model file (a path ending in
    ``.lp`` / ``.mps`` / ``.qs``, or ``"lp:PATH"`` / ``"mps:PATH"`` / ``"qs:PATH"``; see
    :func:`qopt.load`), or a model object of another library (docplex ``Model``, opt-mapper
    ``OptimizationProblem``, qiskit-optimization ``QuadraticProgram``, dimod BQM /
    ``BinaryPolynomial`` / CQM; see :mod:`qopt.model.interop`).
    """
    if isinstance(target, Problem):
        return target
    if isinstance(target, Program):
        return ModelProblem(target)
    if isinstance(target, BinaryProgram):
        return ProgramProblem(target)
    if isinstance(target, HUBO):
        return QUBOProblem(target, "hubo" if target.terms else "qubo")
    if isinstance(target, str | PurePath):
        return load(target) if kind is None else load(kind, target)
    if is_model_object(target):    # docplex, opt-mapper, qiskit-optimization, dimod models
        return problem_of_model(target)
    try:
        import networkx as nx
    except ImportError:  # pragma: no cover - networkx is a core dependency
        nx = None
    if nx is not None and isinstance(target, nx.Graph):
        if kind is None:
            raise OptionError("a networkx graph needs kind='maxcut' or kind='mis'")
        cls = problem_class(kind)
        if not hasattr(cls, "from_graph"):
            raise OptionError(f"problem class {kind!r} does not take a graph")
        return cls.from_graph(target)
    if sp.issparse(target) or isinstance(target, np.ndarray | list):
        matrix = target if sp.issparse(target) else np.asarray(target, float)
        return QUBOProblem(QUBO.from_matrix(matrix))
    raise OptionError(f"cannot solve an object of type {type(target).__name__}")


def package_versions() -> dict[str, str]:
    """Versions of the packages a result depends on (a fresh copy of a per-process cache:
    reading them costs ~5-100 ms of package-metadata parsing, more than a small solve)."""
    return dict(_package_versions())


@functools.cache
def _package_versions() -> dict[str, str]:
    out = {}
    for name in _VERSIONED:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def _report(problem: Problem, bits: np.ndarray, energy: float | None) -> SampleReport:
    return SampleReport(solution=[int(b) for b in bits], objective=float(problem.evaluate(bits)),
                        feasible=bool(problem.is_feasible(bits)),
                        violation=float(problem.violation(bits)), energy=energy,
                        decoded=problem.decode(bits))


def _metrics(problem: Problem, objective: float, feasible: bool
             ) -> tuple[float | None, float | None]:
    """(gap, approximation ratio) of a native objective value, None where undefined."""
    opt = problem.optimum
    if opt is None or (problem.optimum_needs_feasible and not feasible):
        return None, None
    gap = abs(opt - objective) / abs(opt) if opt != 0 else (0.0 if objective == 0 else None)
    if opt == objective:
        ratio = 1.0
    elif opt * objective <= 0:
        ratio = None        # a ratio of values of different signs (or with 0) means nothing
    elif problem.sense == "max":
        ratio = objective / opt if opt > 0 else opt / objective
    else:
        ratio = opt / objective if opt > 0 else objective / opt
    return gap, ratio


def solve(target, solver="exact", *, kind: str | None = None, backend=None, optimizer=None,
          seed: int | None = None, budget: int | None = None, penalty="auto",
          encoding: str = "slack", postprocess: bool = True, progress=False,
          **options) -> SolveResult:
    """Solve ``target`` (see :func:`as_problem`) with ``solver`` (a name, class or instance).

    ``options`` are the solver's own option fields; ``penalty`` and ``encoding`` control the
    QUBO conversion; ``postprocess`` applies the problem's repair and local search to the best
    raw sample (both reported). Bad options raise :class:`~qopt.errors.OptionError` before
    any work is done. ``progress``: True writes a live status line to stderr after about 2 s
    (evaluations / budget, best value, elapsed), a callable receives a
    :class:`~qopt.progress.ProgressEvent` per reported batch of evaluations (see
    :mod:`qopt.progress`). Seconds numba spends compiling kernels are reported as
    ``compile_time`` and excluded from ``wall_time``.
    """
    t_start = time.perf_counter()
    compiled_before = compilation.clock.total
    slv = make_solver(solver, **options)
    check_seed(seed)
    if _runs_circuits(slv) or "numba" in sys.modules:
        compilation.clock.install()   # before the first kernel call of this solve
    if budget is not None and (not isinstance(budget, int | np.integer) or budget <= 0):
        raise OptionError(f"budget must be a positive number of evaluations, got {budget!r}")
    if not _runs_circuits(slv):
        given = [k for k, v in (("backend", backend), ("optimizer", optimizer)) if v is not None]
        if given:
            raise OptionError(f"solver {slv.name!r} is classical: "
                              f"{' and '.join(g + '=' for g in given)} "
                              f"{'do' if len(given) > 1 else 'does'} not apply to it "
                              "(only quantum solvers take a backend or an optimizer)")
    problem = as_problem(target, kind)
    task = Task(problem, penalty=penalty, encoding=encoding,
                max_degree=getattr(slv, "max_degree", 2))
    # one summed memory / time plan, checked before the solver allocates anything large
    slv.resource_plan(task, backend=backend, optimizer=optimizer, budget=budget).check()
    with progress_tracking(progress, slv.name, budget):
        out: SolverOutput = slv.run(task, backend=backend, optimizer=optimizer, seed=seed,
                                    budget=budget)

    samples = out.samples.unique()
    on_qubo = slv.input == "qubo"
    cost = task.cost if on_qubo else None      # the QUBO or HUBO the solver was handed
    prog_bits = cost.program_bits(samples.bits) if on_qubo else samples.bits
    energies = cost.energy(samples.bits) if on_qubo else None
    viol = problem.violation_batch(prog_bits)
    objs = problem.evaluate_batch(prog_bits)
    feas = viol <= 1e-9
    minimised = problem.to_minimisation(objs)
    # best raw sample: feasible first by objective; else lowest energy (or violation)
    if feas.any():
        order = np.lexsort((minimised, ~feas))
    elif energies is not None:
        order = np.argsort(energies, kind="stable")
    else:
        order = np.lexsort((minimised, viol))
    best = order[0]
    raw = _report(problem, prog_bits[best], None if energies is None else float(energies[best]))

    prob_opt = None
    if problem.optimum is not None and len(samples.bits):
        hit = np.isclose(objs, problem.optimum, rtol=1e-9, atol=1e-9)
        if problem.optimum_needs_feasible:
            hit &= feas
        prob_opt = float(samples.weights[hit].sum())

    final_bits, steps = prog_bits[best], []
    if postprocess:
        final_bits, steps = run_postprocess(problem, prog_bits[best])
    final = _report(problem, final_bits,
                    float(cost.energy(cost.complete(final_bits))) if on_qubo else None)
    gap, ratio = _metrics(problem, final.objective, final.feasible)
    compile_time = compilation.clock.total - compiled_before
    wall = max(time.perf_counter() - t_start - compile_time, 0.0)
    timing = _without_compile(dict(out.time), compile_time)
    timing.setdefault("classical", max(wall - sum(timing.values()), 0.0))
    timing["compile"] = compile_time
    qubo = cost
    info = dict(out.info)
    if on_qubo:
        info.update(cost_info(cost))
    return SolveResult(
        problem=problem.name, problem_class=problem.kind, solver=slv.name,
        solution=final.solution, decoded=final.decoded, objective=final.objective,
        feasible=final.feasible, violation=final.violation, sense=problem.sense,
        optimum=problem.optimum, gap=gap, approximation_ratio=ratio,
        probability_optimum=prob_opt, energy=final.energy, raw=raw, postprocess=steps,
        status=out.status, num_vars=problem.num_vars,
        # a solver may run without the QUBO's slack bits (constraint-preserving QAOA)
        num_slack=out.info.get("num_slack", qubo.num_slack if qubo is not None else 0),
        num_qubits=out.num_qubits, depth=out.depth, two_qubit_gates=out.two_qubit_gates,
        evaluations=out.evaluations, shots=out.shots, budget=budget, wall_time=wall,
        compile_time=compile_time, time=timing, history=out.history,
        options=_options_dict(slv, penalty, encoding, postprocess),
        backend=_backend_name(backend), seed=seed, info=info,
        values=problem.values(final_bits),
        versions=package_versions())


def cost_info(cost: HUBO) -> dict:
    """``info`` entries saying what the solver's cost is: its degree, the quadratisation
    (auxiliary bits, strength) when one was made, and how each constraint row was expressed."""
    out: dict = {"cost_degree": cost.degree}
    if cost.quadratisation:
        out["quadratisation"] = dict(cost.quadratisation)
    if cost.constraint_handling:
        out["constraints"] = dict(cost.constraint_handling)
    return out


def _without_compile(parts: dict[str, float], compile_time: float) -> dict[str, float]:
    """A solver's time split with the compile seconds taken out of the parts that timed them
    (simulation first, where kernels compile on their first call, then classical, then qpu)."""
    left = compile_time
    for key in ("simulation", "classical", "qpu"):
        if key in parts and left > 0:
            cut = min(parts[key], left)
            parts[key] -= cut
            left -= cut
    return parts


def _runs_circuits(slv) -> bool:
    """Whether a solver takes ``backend`` / ``optimizer``: its ``quantum`` class attribute if
    it has one (user solvers), else whether it lives in :mod:`qopt.solvers.quantum`."""
    flag = getattr(type(slv), "quantum", None)
    if flag is not None:
        return bool(flag)
    return type(slv).__module__.startswith("qopt.solvers.quantum")


def _backend_name(backend) -> str | None:
    """The backend as recorded: its spec string (a qopt Backend's ``spec``), else the class
    name of a user object (a Qiskit primitive's ``str`` is only an address)."""
    if backend is None or isinstance(backend, str):
        return backend
    spec = getattr(backend, "spec", None)
    return spec if isinstance(spec, str) else type(backend).__name__


def _options_dict(slv, penalty, encoding, postprocess) -> dict:
    import dataclasses

    opts = dataclasses.asdict(slv.options) if slv.options is not None else {}
    # plain(): a per-constraint mapping or sequence stays data (was its str())
    opts.update(penalty=plain(penalty), encoding=encoding, postprocess=postprocess)
    return opts


__all__ = ["Samples", "as_problem", "solve"]
