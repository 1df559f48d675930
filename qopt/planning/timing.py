"""Estimated run times from short measurements on this machine, taken now.

A variational run costs ``setup + N x t_eval + final``: the evaluator's construction (the
QUBO diagonal, or the feasible subspace), N parameter sets of one evaluation each (value, or
value and adjoint gradient for gradient optimizers), and the final state with its samples.
:func:`estimate` measures ``t_eval`` by running the solver's own evaluator on this machine,
under its present load:

- statevector QAOA (x mixer) and VQE: the real evaluator of the instance up to
  :data:`DIRECT_QUBITS` qubits; beyond, the same ansatz on a random QUBO of
  :data:`DIRECT_QUBITS` qubits, scaled by ``2^(n - m) (n + 2) / (m + 2)`` (every layer
  touches all 2^n amplitudes once per qubit mixer and twice more for phase and expectation);
- constraint-preserving QAOA: the feasible subspace built as the run builds it, then timed;
- exact enumeration: the solver's own optimistic throughput (:mod:`qopt.solvers.plans`),
  not a measurement.

N is what the budget buys (``budget`` or ``maxiter``, split over restarts), the *planned*
parameter sets; derivative-free optimizers (COBYLA, Nelder-Mead, ...) usually converge
sooner, after about :data:`SETS_PER_PARAMETER` parameter sets per parameter, which gives the
*typical* estimate (``seconds``); ``seconds_max`` is the planned one. Numba compile time is
excluded (a warm-up evaluation absorbs it), as :func:`qopt.solve` excludes it from
``wall_time``. Other solvers have no time model: their estimate is None and says why.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass

import numpy as np

#: statevector evaluations are measured at the run's own size up to this many qubits
DIRECT_QUBITS = 20
#: timed evaluations per measurement (the median is used), after one warm-up; more are
#: taken while the measurement has run less than MIN_MEASURE seconds
REPEATS = 3
MIN_MEASURE = 0.15
#: a warm-up slower than this (seconds) is timed once more only (large states)
SLOW_CALL = 0.2
#: a warm-up longer than this that compiled for under 5 % of it is the measurement itself
#: (a 8e7-state subspace evaluation takes about a minute: timing it twice doubled the plan)
LONG_CALL = 2.0
#: runs up to this many qubits are also solved once with a single parameter set, whose wall
#: time gives the fixed costs (decoding, post-processing, circuit, result) as they are
MICRO_QUBITS = 16
#: derivative-free optimizers converge after about this many parameter sets per parameter
SETS_PER_PARAMETER = 35
#: optimizers that use their whole budget (gradient methods, SPSA)
_RUN_TO_BUDGET = ("spsa", "aqgd", "adam", "l-bfgs-b", "gradient-descent")
#: classical bookkeeping per parameter set (optimizer step, history), seconds
OVERHEAD_PER_SET = 5e-4
#: fixed classical work of a solve (decoding, post-processing, result), seconds
OVERHEAD_FIXED = 0.05


@dataclass
class TimeEstimate:
    """Estimated seconds of one run (module docstring); ``model`` says how it was made."""

    seconds: float | None
    seconds_max: float | None = None
    parameter_sets: int | None = None
    parameter_sets_max: int | None = None
    seconds_per_set: float | None = None
    setup_seconds: float | None = None
    measured_qubits: int | None = None
    measured_states: int | None = None
    model: str = ""
    measuring_seconds: float = 0.0
    #: memory the measurement found that the solver's plan cannot know in advance (the
    #: feasible subspace's buffers): ``{"what", "bytes", "option"}`` items
    measured_memory: list | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _median_time(fn, repeats: int = REPEATS) -> float:
    from qopt.compilation import clock

    clock.install()
    t0 = time.perf_counter()
    with clock.measure() as compiling:
        fn()                                    # warm-up: compiles / loads kernels
    warm = time.perf_counter() - t0
    if warm > LONG_CALL and compiling[0] < 0.05 * warm:
        return warm - compiling[0]              # a long call, (almost) all of it work
    if warm > SLOW_CALL:                        # a slow call: one more timed run suffices
        repeats = 1
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < repeats or (time.perf_counter() - start < MIN_MEASURE
                                   and len(times) < 50):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _optimizer_overhead(optimizer, d: int, sets: int) -> float:
    """Seconds the optimizer itself spends per parameter set (its own linear algebra and
    bookkeeping), timed on a cheap quadratic of ``d`` parameters."""
    k = max(5, min(int(sets), 30))

    def f(x):
        return float(np.dot(x, x))

    def fg(x):
        return float(np.dot(x, x)), 2.0 * np.asarray(x)

    grad = fg if getattr(optimizer, "uses_gradient", False) else None
    x0 = np.linspace(0.3, 0.9, max(d, 1))
    t0 = time.perf_counter()
    try:
        out = optimizer.minimize(f, x0, grad=grad, budget=k, rng=np.random.default_rng(0))
        used = max(int(getattr(out, "evaluations", k) or k), 1)
    except Exception:          # an optimizer that cannot run on the stand-in: no overhead
        return 0.0
    return (time.perf_counter() - t0) / used


#: parameter sets of the second, longer micro-solve
MICRO_SETS = 12
#: each micro-solve runs this many times and its fastest wall time counts (a shared machine's
#: spikes only ever slow a run down)
MICRO_REPEATS = 2


def _micro_solve(slv, task, optimizer, per_set: float) -> tuple[float | None, float]:
    """(wall time of the same solve with one parameter set, seconds per parameter set) from
    two short solves (1 and :data:`MICRO_SETS` parameter sets; compile time excluded), so
    that the optimizer's own work and its interplay with the evaluator are in the figure;
    ``(None, per_set)`` when a solve fails."""
    from qopt.solving import solve

    out = []
    for k in (1, MICRO_SETS):
        alt = _with_options(slv, maxiter=k, restarts=1, init="ramp")
        walls = []
        for _ in range(MICRO_REPEATS):
            try:
                res = solve(task.problem, solver=alt, optimizer=optimizer, seed=0,
                            penalty=task.penalty, encoding=task.encoding, progress=False)
            except Exception:
                return None, per_set
            walls.append(float(res.wall_time))
        sets = res.info.get("circuit_evaluations") or k
        out.append((min(walls), int(sets)))
    (t1, s1), (tk, sk) = out
    if sk > s1 and tk > t1:
        per_set = max(per_set, (tk - t1) / (sk - s1))
    return t1, per_set


def _with_options(slv, **changes):
    import copy
    import dataclasses

    alt = copy.copy(slv)
    fields = {f.name for f in dataclasses.fields(slv.options)}
    alt.options = dataclasses.replace(slv.options, **{k: v for k, v in changes.items()
                                                      if k in fields})
    return alt


def _typical_sets(optimizer, limit: int, restarts: int, d: int) -> int:
    name = (getattr(optimizer, "name", "") or "").lower()
    if name in _RUN_TO_BUDGET or getattr(optimizer, "uses_gradient", False):
        return limit
    share = max(1, limit // max(restarts, 1))
    return min(limit, restarts * min(share, SETS_PER_PARAMETER * max(d, 1)))


def _random_qubo(n: int, seed: int = 0):
    """A 3-regular-like random QUBO of n variables (timing stand-in; the engine's cost does
    not depend on the couplings once the diagonal is built)."""
    import scipy.sparse as sp

    from qopt.model.qubo import QUBO

    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, 3 * n)
    j = (i + 1 + rng.integers(0, n - 1, 3 * n)) % n
    quad = sp.csr_matrix((rng.normal(size=3 * n), (np.minimum(i, j), np.maximum(i, j))),
                         shape=(n, n))
    return QUBO(quad, rng.normal(size=n), 0.0, num_vars=n)


def _scale(n: int, m: int) -> float:
    return 2.0 ** (n - m) * (n + 2) / (m + 2)


def estimate(slv, task, *, backend=None, optimizer=None, budget=None) -> TimeEstimate:
    """The estimated run time of ``slv`` on ``task`` (see the module docstring)."""
    t0 = time.perf_counter()
    name = getattr(slv, "name", "")
    opts = getattr(slv, "options", None)
    engine = backend is None or backend == "statevector"
    if getattr(opts, "mixer", None) == "grover":
        est = TimeEstimate(None, model=f"no time model for {name} with the Grover mixer: it runs "
                                       "on the cost histogram (one pass over the feasible set, "
                                       "planned for memory), not on the subspace simulator")
    elif name in ("qaoa", "cvar-qaoa", "ma-qaoa", "ws-qaoa") and engine:
        est = (_qaoa_engine(slv, task, optimizer, budget) if getattr(opts, "mixer", "x") == "x"
               else _qaoa_subspace(slv, task, optimizer, budget))
    elif name in ("vqe", "cvar-vqe") and engine:
        est = _vqe_engine(slv, task, optimizer, budget)
    elif name == "exact":
        plan = slv.resource_plan(task)
        secs = plan.total_seconds if plan.time else None
        est = TimeEstimate(secs, secs, model="exact enumeration at the solver's optimistic "
                           "throughput (states / s), not measured" if secs is not None else
                           "exact: instance over max_vars, refused before it runs")
    elif not engine and getattr(type(slv), "__module__", "").startswith("qopt.solvers.quantum"):
        est = TimeEstimate(None, model=f"no time model for {name} on backend {backend!r}: "
                                       "transpilation, queues and shots dominate there")
    else:
        est = TimeEstimate(None, model=f"no time model for {name or type(slv).__name__}: its "
                                       "run is bounded by its own options and budget")
    est.measuring_seconds = time.perf_counter() - t0
    return est


def _time_evaluator(ev, ansatz, p: int, multi: bool, opt, shots: int) -> tuple[float, float]:
    """(seconds of one parameter set, seconds of the final state and samples) of evaluator
    ``ev``: value, or value and adjoint gradient for a gradient optimizer, at ramp angles."""
    from qopt.solvers.quantum import initialisation as init_mod

    x = ansatz.join(*init_mod.linear_ramp(p)) if not multi else np.full(ansatz.num_params, 0.1)
    grad = getattr(opt, "uses_gradient", False)
    per = _median_time((lambda: ev.value_and_grad(x)) if grad else (lambda: ev.value(x)))
    if per > LONG_CALL:             # the final state costs one more evaluation; its samples
        return per, per             # are cheap beside it (not timed: it took another minute)
    rng = np.random.default_rng(0)
    final = _median_time(lambda: (ev.expectation_and_cvar(x), ev.sample(x, shots, rng)), 1)
    return per, final


def _finish(est_setup: float, per_set: float, final: float, typical: int, planned: int,
            micro: float | None = None, **kw) -> TimeEstimate:
    """``setup + k (per_set) + final`` for k typical / planned parameter sets; with a
    one-set solve's measured wall time ``micro``, ``micro + (k - 1) per_set`` instead."""
    def total(k):
        if micro is not None:
            return max(micro, est_setup + final) + max(k - 1, 0) * per_set
        return est_setup + k * per_set + final + OVERHEAD_FIXED

    return TimeEstimate(total(typical), total(planned), typical, planned, per_set, est_setup,
                        **kw)


def _qaoa_engine(slv, task, optimizer, budget) -> TimeEstimate:
    from qopt.solvers.budget import final_shots, plan_quantum_budget
    from qopt.solvers.optimizers import get_optimizer
    from qopt.solvers.quantum.qaoa_ansatz import Ansatz
    from qopt.solvers.quantum.qaoa_evaluators import EngineEvaluator

    o = slv.options
    qubo = task.cost            # the QUBO, or the HUBO itself where the solver takes it
    n = int(qubo.num_vars)
    opt = get_optimizer(optimizer, default=o.optimizer)
    shots = final_shots(o.shots, budget)
    planned = plan_quantum_budget(budget, max(o.maxiter, 1), shots=None,
                                 reserved=shots).limit  # maxiter=0: angles valued once
    m = min(n, DIRECT_QUBITS)
    q = qubo if n <= DIRECT_QUBITS else _random_qubo(m)
    multi = bool(getattr(slv, "multi_angle", False))
    t0 = time.perf_counter()
    ansatz = Ansatz(q, o.p, multi, None)
    ev = EngineEvaluator(ansatz, o.alpha)
    setup = time.perf_counter() - t0
    per, final = _time_evaluator(ev, ansatz, o.p, multi, opt, shots)
    scale = 1.0 if n <= DIRECT_QUBITS else _scale(n, m)
    d = int(Ansatz(qubo, o.p, multi, None).num_params) if multi else 2 * o.p
    typical = _typical_sets(opt, planned, o.restarts, d)
    per = per * scale + _optimizer_overhead(opt, d, typical) + OVERHEAD_PER_SET
    micro = None
    if n <= MICRO_QUBITS:
        micro, per = _micro_solve(slv, task, optimizer, per)
    what = "value + adjoint gradient" if getattr(opt, "uses_gradient", False) else "value"
    how = ("measured on this instance" if n <= DIRECT_QUBITS else
           f"measured at {m} qubits, scaled by 2^{n - m} x {n + 2}/{m + 2}")
    return _finish(setup * 2.0 ** (n - m), per, final * scale, typical, planned, micro,
                   measured_qubits=m,
                   model=f"statevector engine, p = {o.p}, {what} per parameter "
                         f"set ({how}, now, numba compile excluded); "
                         f"{typical} of {planned} planned parameter sets")


def _qaoa_subspace(slv, task, optimizer, budget) -> TimeEstimate:
    from qopt.solvers.budget import final_shots, plan_quantum_budget
    from qopt.solvers.optimizers import get_optimizer
    from qopt.solvers.quantum.qaoa_ansatz import Ansatz
    from qopt.solvers.quantum.qaoa_subspace import (
        SubspaceEvaluator,
        constrained_cost,
        setup_constrained,
    )

    o = slv.options
    opt = get_optimizer(optimizer, default=o.optimizer)
    shots = final_shots(o.shots, budget)
    planned = plan_quantum_budget(budget, max(o.maxiter, 1), shots=None,
                                 reserved=shots).limit  # maxiter=0: angles valued once
    init_name = "empty" if o.init_state == "greedy" else o.init_state
    mixer, init = setup_constrained(task.problem, o.mixer, init_name)
    cost = constrained_cost(task.program, mixer, task.penalty)
    multi = bool(getattr(slv, "multi_angle", False))
    t0 = time.perf_counter()
    ansatz = Ansatz(cost, o.p, multi, None, mixer, init)
    ev = SubspaceEvaluator(ansatz, o.alpha, context=f"plan of {slv.name} --mixer {o.mixer}")
    setup = time.perf_counter() - t0
    per, final = _time_evaluator(ev, ansatz, o.p, multi, opt, shots)
    states = int(ev.sim.space.size)
    d = int(ansatz.num_params)
    typical = _typical_sets(opt, planned, o.restarts, d)
    per += _optimizer_overhead(opt, d, typical) + OVERHEAD_PER_SET
    micro = None
    if states <= 1 << MICRO_QUBITS:
        micro, per = _micro_solve(slv, task, optimizer, per)
    memory = [{"what": f"feasible subspace: {i.what}", "bytes": i.amount, "option": i.option}
              for i in ev.sim.space.plan.memory]
    return _finish(setup, per, final, typical, planned, micro, measured_states=states,
                   measured_memory=memory,
                   model=f"feasible-subspace simulator, mixer {mixer.name}, {states:,} states, "
                         f"p = {o.p} (built and timed now, numba compile excluded); "
                         f"{typical} of {planned} planned parameter sets")


def _vqe_engine(slv, task, optimizer, budget) -> TimeEstimate:
    from qopt.backends.registry import get_backend
    from qopt.solvers.budget import final_shots, plan_quantum_budget
    from qopt.solvers.optimizers import get_optimizer
    from qopt.solvers.quantum.ansatz import Ansatz

    o = slv.options
    n = int(task.cost.num_vars)
    opt = get_optimizer(optimizer, "cobyla", **o.optimizer_options)
    n_final = final_shots(o.final_shots, budget)
    planned = plan_quantum_budget(budget, o.maxiter, shots=None, reserved=n_final).limit
    m = min(n, DIRECT_QUBITS)
    q = task.cost if n <= DIRECT_QUBITS else _random_qubo(m)
    ansatz = Ansatz(m, o.ansatz, o.reps, o.entanglement, o.entangler)
    be = get_backend("statevector", seed=0)
    try:
        theta = np.random.default_rng(0).uniform(-np.pi, np.pi, ansatz.num_parameters)
        grad = o.alpha >= 1.0 and be.supports_gradient and getattr(opt, "uses_gradient", True)
        if grad:
            per = _median_time(lambda: be.gradient(ansatz.circuit, theta, q))
        else:
            per = _median_time(lambda: be.evaluate(ansatz.circuit, theta[None, :], q,
                                                   alpha=o.alpha))
        final = _median_time(lambda: be.sample(ansatz.circuit, theta, n_final, seed=0), 1)
    finally:
        be.close()
    scale = 1.0 if n <= DIRECT_QUBITS else 2.0 ** (n - m) * n / m
    d = int(ansatz.num_parameters)
    typical = _typical_sets(opt, planned, 1, d)
    per = per * scale + _optimizer_overhead(opt, d, typical) + OVERHEAD_PER_SET
    micro = None
    if n <= MICRO_QUBITS:
        micro, per = _micro_solve(slv, task, optimizer, per)
    return _finish(0.0, per, final * scale, typical, planned, micro, measured_qubits=m,
                   model=f"statevector backend, {o.ansatz} reps = {o.reps} "
                         f"({'measured on this instance' if n <= DIRECT_QUBITS else 'scaled'}"
                         f", now); {typical} of {planned} planned parameter sets")


def optimistic_seconds(num_qubits: int, p: int, sets: int) -> float:
    """A fast lower bound of a statevector QAOA run (1e9 amplitude-qubit updates / s), used to
    skip measuring runs that cannot come near a minute."""
    return sets * p * (num_qubits + 2) * 2.0 ** num_qubits / 1e9 if num_qubits else 0.0


__all__ = ["DIRECT_QUBITS", "SETS_PER_PARAMETER", "TimeEstimate", "estimate",
           "optimistic_seconds"]
