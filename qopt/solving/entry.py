"""``qopt.solve``: check the keywords, build the Task, check the resource plan, run the solver,
assemble the result (:mod:`qopt.solving.assemble`)."""

from __future__ import annotations

import sys
import time

import numpy as np

from qopt import compilation
from qopt import threads as kernel_threads
from qopt.errors import OptionError
from qopt.progress import tracking as progress_tracking
from qopt.recording import DeviceSession, check_device_options, is_device, solver_options
from qopt.reference import check_reference, plan_reference, resolve_reference, with_reference
from qopt.seeds import check_seed
from qopt.solvers.base import SolverOutput, Task
from qopt.solvers.registry import make_solver
from qopt.solvers.result import SolveResult
from qopt.solving.assemble import SolveSettings, assemble_result, package_versions
from qopt.solving.inputs import as_problem


def solve(target, solver="exact", *, kind: str | None = None, backend=None, optimizer=None,
          seed: int | None = None, budget: int | None = None, penalty="auto",
          encoding: str = "slack", postprocess: bool = True, progress=False,
          mitigation=None, record=None, optimum=None, reference: str | None = None,
          threads: int | None = None,
          **options) -> SolveResult:
    """Solve ``target`` (see :func:`qopt.as_problem`) with ``solver`` (a name, class or instance).

    ``options`` are the solver's own option fields; ``penalty`` and ``encoding`` control the
    QUBO conversion; ``postprocess`` applies the problem's repair and local search to the best
    raw sample (both reported). Bad options raise :class:`~qopt.errors.OptionError` before
    any work is done. ``progress``: True writes a live status line to stderr after about 2 s
    (evaluations / budget, best value, elapsed), a callable receives a
    :class:`~qopt.progress.ProgressEvent` per reported batch of evaluations (see
    :mod:`qopt.progress`). Seconds numba spends compiling kernels are reported as
    ``compile_time`` and excluded from ``wall_time``. On a device backend (``ibm:``, ``fake:``,
    a Qiskit sampler): ``mitigation`` ("none" | "readout" | "zne" | "readout,zne", see
    :mod:`qopt.backends.mitigation`), ``record`` (a directory: the run is recorded there, and
    resumed from it when it holds the unfinished record of the same call; see
    :mod:`qopt.recording`), and ``info["device"]`` in the result. ``optimum`` (C*, native
    sense) or ``reference`` ("exact", "milp", "best-known") set what gap and ratios are
    measured against (:mod:`qopt.reference`; computed before the run, its time not in
    ``wall_time``); without either, the instance's shipped best-known value if any, else the
    result says there is no reference (``SolveResult.unavailable``). ``threads``: threads of
    the compiled kernels (default: every core numba may use, see :mod:`qopt.threads`);
    ``info["threads"]`` records the count the kernels ran on.
    """
    t_start = time.perf_counter()
    compiled_before = compilation.clock.total
    slv = make_solver(solver, **options)
    check_seed(seed)
    check_reference(reference, optimum)
    nthreads = kernel_threads.resolve(threads)
    if runs_circuits(slv) or "numba" in sys.modules:
        compilation.clock.install()   # before the first kernel call of this solve
    if not isinstance(postprocess, bool | np.bool_):
        raise OptionError(f"postprocess must be true or false, got {postprocess!r}")
    if kind is not None and not isinstance(kind, str):
        raise OptionError(f"kind must be a problem kind name, got {kind!r}")
    if budget is not None and (not isinstance(budget, int | np.integer) or budget <= 0):
        raise OptionError(f"budget must be a positive number of evaluations, got {budget!r}")
    if not runs_circuits(slv):
        given = [k for k, v in (("backend", backend), ("optimizer", optimizer)) if v is not None]
        if given:
            raise OptionError(f"solver {slv.name!r} is classical: "
                              f"{' and '.join(g + '=' for g in given)} "
                              f"{'do' if len(given) > 1 else 'does'} not apply to it "
                              "(only quantum solvers take a backend or an optimizer)")
    mit = check_device_options(quantum=runs_circuits(slv), backend=backend,
                               mitigation=mitigation, record=record, seed=seed,
                               optimizer=optimizer, solver_name=slv.name,
                               mitigates=getattr(type(slv), "supports_mitigation", False))
    problem = as_problem(target, kind)
    plan_reference(problem, reference, penalty=penalty, encoding=encoding)  # refuses early
    task = Task(problem, penalty=penalty, encoding=encoding,
                max_degree=getattr(slv, "max_degree", 2))
    # one summed memory / time plan, checked before the solver allocates anything large
    slv.resource_plan(task, backend=backend, optimizer=optimizer, budget=budget).check()
    ref = resolve_reference(problem, optimum=optimum, reference=reference, penalty=penalty,
                            encoding=encoding, solve=solve)
    problem = task.problem = with_reference(problem, ref)
    t_start += ref.seconds            # the reference's own solve is not this one's time
    device = None
    if runs_circuits(slv) and (mit is not None or record is not None or is_device(backend)):
        device = DeviceSession(mitigation=mit, record=record).open(
            target=target, problem=problem, solver=slv.name, options=solver_options(slv),
            kind=kind, backend=backend, optimizer=optimizer, seed=seed, budget=budget,
            penalty=penalty, encoding=encoding, postprocess=postprocess,
            optimum=optimum, reference=reference, versions=package_versions())
    try:
        with progress_tracking(progress, slv.name, budget), kernel_threads.using(nthreads), \
                kernel_threads.numba_threads(nthreads):
            out: SolverOutput = slv.run(task, backend=backend, optimizer=optimizer, seed=seed,
                                        budget=budget)
    finally:
        if device is not None:
            device.close()
    settings = SolveSettings(backend=backend, seed=seed, budget=budget, penalty=penalty,
                             encoding=encoding, postprocess=postprocess, reference=ref,
                             quantum=runs_circuits(slv))
    result = assemble_result(problem, task, slv, out, settings, started=t_start,
                             compiled_before=compiled_before, compile_clock=compilation.clock)
    # solvers whose kernels ran on fewer threads (a small statevector: one) say so themselves
    result.info.setdefault("threads", nthreads)
    if device is not None:
        device.finish(result)
    return result


def runs_circuits(slv) -> bool:
    """Whether a solver takes ``backend`` / ``optimizer``: its ``quantum`` class attribute if
    it has one (user solvers), else whether it lives in :mod:`qopt.solvers.quantum`."""
    flag = getattr(type(slv), "quantum", None)
    if flag is not None:
        return bool(flag)
    return type(slv).__module__.startswith("qopt.solvers.quantum")


__all__ = ["runs_circuits", "solve"]
