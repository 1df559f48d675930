"""Resource-plan items shared by the solvers' ``plan_resources`` methods.

Each helper adds to a :class:`~qopt.resources.ResourcePlan` the peak memory of one kind of
buffer (statevectors on the in-house engine, sample matrices decoded by :func:`qopt.solve`,
classical optimizer workspaces, populations / archives) or the estimated run time of work that
nothing else bounds (enumerations, huge evaluation budgets). Sizes are in bytes, times in
seconds; the time estimates use optimistic (fast) throughputs measured on this project's
kernels, so a run is refused only when even the fast estimate exceeds the time limit.
"""

from __future__ import annotations

import numpy as np

from qopt.resources import ResourcePlan

#: optimistic enumeration speed of the exact solver on unconstrained problems (states / s);
#: measured ~8e7 on 2 cores (2^24 MaxCut states in 0.21 s)
EXACT_STATES_PER_SECOND = 2e8
#: optimistic speed of constrained enumeration (states x max(n, rows) / s); measured ~1e8
#: (MDKP n = 22, 5 rows) and ~5e7 (MIS n = 22, 63 rows) on 2 loaded cores
EXACT_BATCH_BIT_STATES_PER_SECOND = 1e9
#: optimistic black-box evaluation speed (evaluated bits / s): random search on MDKP evaluated
#: ~4e7 bits / s without repair, far fewer with it
BLACKBOX_BITS_PER_SECOND = 1e9
#: optimistic annealing speed (proposed single-bit flips / s of the numba kernel)
ANNEAL_FLIPS_PER_SECOND = 2e9


def add_statevector(plan: ResourcePlan, n: int, *, itemsize: int = 16, gradient: bool = False,
                    cvar: bool = False, diagonal: bool = True, option: str | None = None,
                    what: str = "statevector", fix: str | None = None,
                    diag_dtype: str = "float64", streamed_sampling: bool = False,
                    gradient_states: int = 2) -> None:
    """Buffers of an n-qubit run on the in-house engine: the state, the cost diagonal
    (``diag_dtype``: float64, or uint8 / uint16 levels of an integer cost, see
    :mod:`qopt.backends.statevector.levels`), probabilities for sampling (two float64 vectors
    with the cumulative sum; none when the engine samples by parts, ``streamed_sampling``),
    the adjoint gradient's extra states (``gradient_states``: 2, or 1 when the sweep runs in
    the state itself) and the CVaR's probabilities and sort order."""
    size = 1 << int(n)
    kind = "complex128" if itemsize == 16 else "complex64"

    def add(text: str, nbytes: int) -> None:
        plan.add(text, nbytes, option, fix=fix)

    add(f"{what} of {n} qubits (2^{n} {kind})", itemsize * size)
    if diagonal:
        dsize = np.dtype(diag_dtype).itemsize
        add(f"the cost diagonal (2^{n} {diag_dtype})", dsize * size)
    if not streamed_sampling:
        add(f"probabilities and their cumulative sum (2 x 2^{n} float64)", 16 * size)
    elif cvar:
        add(f"probabilities (2^{n} float64, CVaR)", 8 * size)
    if gradient:
        add(f"adjoint-gradient states ({gradient_states} x 2^{n} {kind})",
            gradient_states * itemsize * size)
    if cvar:
        add(f"CVaR sort order (2^{n} int64 + 2^{n} float64)", 16 * size)


def plan_engine(plan: ResourcePlan, cost, n: int, *, precision: str = "complex128",
                gradient: bool = False, cvar: bool = False, option: str | None = None) -> None:
    """The buffers a QAOA evaluator on the in-house engine allocates for ``cost`` on ``n``
    qubits (:func:`qopt.solvers.quantum.qaoa_evaluators.engine_diagonal` and
    :class:`~qopt.backends.statevector.StatevectorEngine`): the state in ``precision``, the
    cost as levels or float64, the adjoint's one extra state (its sweep runs in the state),
    probabilities only for CVaR (the numba engine samples by parts)."""
    from qopt.backends.statevector.engine import NUMBA_MIN_QUBITS
    from qopt.backends.statevector.levels import LEVELS_MIN_QUBITS, level_dtype

    dtype = level_dtype(cost) if n >= LEVELS_MIN_QUBITS else None
    add_statevector(plan, n, itemsize=8 if precision == "complex64" else 16, gradient=gradient,
                    cvar=cvar, option=option, diag_dtype="float64" if dtype is None else dtype.name,
                    streamed_sampling=n >= NUMBA_MIN_QUBITS,
                    gradient_states=2 if cvar else 1)


def add_simulator(plan: ResourcePlan, backend, n: int, option: str | None = None) -> None:
    """A circuit simulator that holds the full statevector (Aer's statevector method,
    PennyLane Lightning): its state and the probabilities it samples from. Aer's MPS, IBM
    devices, fake devices and backend objects state nothing here."""
    if not isinstance(backend, str):
        return
    kind, _, rest = backend.lower().partition(":")
    mps = any(p in ("mps", "matrix_product_state") for p in rest.split(":"))
    if (kind == "aer" and not mps) or kind == "lightning":
        plan.add(f"{backend} statevector of {n} qubits (2^{n} complex128)", 16 << int(n), option)
        plan.add(f"{backend} probabilities (2^{n} float64)", 8 << int(n), option)


def add_samples(plan: ResourcePlan, rows: int, n: int, option: str | None = None,
                what: str = "samples") -> None:
    """``rows`` bit rows of ``n`` variables as :func:`qopt.solve` decodes them: the rows, their
    unique sort, program bits and per-row energies / objectives / violations."""
    rows, n = int(rows), max(int(n), 1)
    plan.add(f"{what} ({rows} x {n} bits, decoded)", rows * (4 * n + 64), option)


def add_optimizer(plan: ResourcePlan, optimizer, d: int, option: str | None = "--p") -> None:
    """The classical optimizer's workspace for ``d`` parameters (COBYLA and Nelder-Mead keep
    O(d^2) simplex matrices); ``optimizer`` is an Optimizer (or any object with
    ``workspace_bytes(d)``; one without states nothing)."""
    workspace = getattr(optimizer, "workspace_bytes", None)
    if workspace is None:
        return
    name = getattr(optimizer, "name", "") or type(optimizer).__name__
    plan.add(f"{name} workspace ({d} parameters)", workspace(int(d)), option)


def add_evaluation_time(plan: ResourcePlan, evaluations: int, n: int,
                        option: str | None = "--budget") -> None:
    """Estimated time of ``evaluations`` black-box evaluations of ``n``-bit candidates."""
    seconds = float(evaluations) * max(int(n), 1) / BLACKBOX_BITS_PER_SECOND
    plan.add_time(f"{evaluations:.3g} evaluations of {n} bits", seconds, option)


def add_blackbox(plan: ResourcePlan, n: int, budget: int | None) -> int:
    """What every black-box baseline pays: the time of its evaluation budget (``--budget``)
    and the repair cache of :class:`~qopt.solvers.classical.blackbox.BlackBox`; returns the
    budget in force."""
    from qopt.solvers.classical.blackbox import _REPAIR_CACHE, check_budget

    evaluations = check_budget(budget)
    add_evaluation_time(plan, evaluations, n, option="--budget")
    rows = min(evaluations, _REPAIR_CACHE)
    plan.add(f"repair cache ({rows} x {n} bits)", rows * (max(int(n), 1) + 64), "--budget")
    return evaluations


def add_population(plan: ResourcePlan, rows: int, n: int, option: str, what: str,
                   per_row: int = 0, copies: int = 4) -> None:
    """A population of ``rows`` candidates of ``n`` bits held ``copies`` times over (parents,
    offspring, random draws as float64, repaired copies) plus ``per_row`` bytes of bookkeeping."""
    rows, n = int(rows), max(int(n), 1)
    plan.add(f"{what} ({rows} x {n})", rows * (copies * 8 * n + per_row), option)


def exact_seconds(n: int, constrained_rows: int = 0) -> float:
    """Optimistic time of enumerating 2^n states (constrained: times max(n, rows) per state)."""
    states = float(2 ** int(n))
    if constrained_rows:
        return states * max(int(n), int(constrained_rows)) / EXACT_BATCH_BIT_STATES_PER_SECOND
    return states / EXACT_STATES_PER_SECOND


__all__ = ["add_blackbox", "add_evaluation_time", "add_optimizer", "add_population", "add_samples",
           "add_simulator", "add_statevector", "exact_seconds", "plan_engine"]
