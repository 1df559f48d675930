"""Simulated annealing on a QUBO under an evaluation budget: few long reads with restarts,
slack-aware moves.

**Moves.** On a QUBO with slack-encoded inequalities (``qubo.slack_blocks``) only the program
bits are annealed; every slack block is held at its best value, so the energy of a state is
``E*(x) = qubo.energy(qubo.complete(x))`` and a flip of an item moves its slack with it in one
proposal (closed form in :mod:`qopt.solvers.classical.slack_energy`). Single flips of the raw
QUBO cannot do that: taking an item out of a full knapsack leaves its slack bits wrong until
several uphill flips fix them, so the penalty walls trap the reads. ``slack_moves=False`` anneals
every QUBO bit instead (the older move set). Any other QUBO is annealed over all its bits.

**Budget unit.** One evaluation is one proposed flip of one read (unchanged); ``evaluations ==
lanes x steps`` is spent exactly and never exceeds ``budget``.

**Budget rule** (:func:`plan_budget`; measured in ``benchmarks/anneal_budget.py``,
docs/benchmarks/classical.md).
With ``budget`` and no ``reads``, the budget goes to ``lanes = min(AUTO_LANES, budget //
(n x AUTO_MIN_SWEEPS))`` (at least 1) independent chains; each chain runs reads of
``sweeps = min(AUTO_READ_SWEEPS, its sweeps)`` sweeps one after another, and a read that stalls
(in the cold quarter of its schedule, no better energy for ``patience`` sweeps, default
``sweeps // 8``) ends early and the chain restarts (reheats) from its current state; the last
read is shortened to what is left, so it still cools down. Reads of many sweeps serve quality:
at a few sweeps per read (the older rule: 100 reads sharing the budget) no read ever cools;
10 chains rather than 1 because single-flip reads on permutation (one-hot) QUBOs do better
as several short chains than as one long one (docs/benchmarks/classical.md). With
``reads`` given, those reads share the budget equally (``sweeps`` defaults to all of a read's
sweeps). Without ``budget``: ``reads`` (default 100) x ``sweeps`` (default 1000) sweeps.

**Schedule.** The inverse temperature of a read rises geometrically from ``beta_min`` to
``beta_max``; left at None they are derived from the annealed energy's coefficients:
``beta_min = ln 2 / D_max`` (the largest possible |delta| is accepted with probability 1/2 at
the start) and ``beta_max = ln 100 / d_min`` (the smallest non-zero coefficient is accepted with
probability 1/100 at the end). Acceptance: ``delta <= 0 or u < exp(-beta delta)``.

**Samples.** The best state of every read (slack completed), so restarts add samples.

The kernel is compiled with numba when it is installed; otherwise a numpy version vectorised
over chains runs (same random numbers, same results on integer QUBOs).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from qopt import threads as kernel_threads
from qopt.errors import OptionError
from qopt.model.hubo import HUBO
from qopt.model.qubo import QUBO
from qopt.solvers import plans
from qopt.solvers.base import Samples, Solver, SolverOutput, Task, rng_from
from qopt.solvers.classical import anneal_kernels as kernels
from qopt.solvers.classical.poly_fields import PolyTerms
from qopt.solvers.classical.slack_energy import SlackReduction, slack_reduction

_HAVE_NUMBA = kernels.HAVE_NUMBA

#: random numbers drawn per batch (lanes * steps_in_batch), bounding memory to ~16 MiB
_RANDOM_BATCH = 1 << 21
#: reads and sweeps without a budget (unchanged defaults)
DEFAULT_READS, DEFAULT_SWEEPS = 100, 1000
#: budget rule: at most this many chains, each given at least AUTO_MIN_SWEEPS sweeps
AUTO_LANES, AUTO_MIN_SWEEPS = 10, 10
#: budget rule: sweeps of one read's schedule (a chain runs several when it has more)
AUTO_READ_SWEEPS = 1000


@dataclass
class AnnealOptions:
    """Options of simulated annealing.

    Attributes:
        reads: number of independent chains; None: 100 without a budget, else the budget
            rule (see module docstring).
        sweeps: sweeps of one read's schedule (one sweep = one proposed flip of every annealed
            variable); None: 1000 without a budget, else the budget rule.
        patience: sweeps without a better energy, in the cold quarter of a read's schedule, after
            which the read ends and its chain restarts; None: ``sweeps // 8`` (at least 1).
        slack_moves: anneal program bits with every slack block at its best value (True) or
            every QUBO bit (False).
        beta_min: initial inverse temperature (1 / energy unit); None derives it from the QUBO.
        beta_max: final inverse temperature; None derives it from the QUBO.
        kernel: ``"auto"`` (numba when installed), ``"numba"`` or ``"numpy"``.
    """

    reads: int | None = None
    sweeps: int | None = None
    patience: int | None = None
    slack_moves: bool = True
    beta_min: float | None = None
    beta_max: float | None = None
    kernel: str = "auto"

    def validate(self) -> None:
        for name in ("reads", "sweeps", "patience"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int | np.integer) or isinstance(v, bool)
                                  or v < 1):
                raise OptionError(f"{name} must be a positive integer or None, got {v!r}")
        if not isinstance(self.slack_moves, bool | np.bool_):
            raise OptionError(f"slack_moves must be true or false, got {self.slack_moves!r}")
        for name in ("beta_min", "beta_max"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int | float) or isinstance(v, bool)
                                  or not math.isfinite(v) or not v > 0):
                raise OptionError(f"{name} must be a positive number or None, got {v!r}")
        if (self.beta_min is not None and self.beta_max is not None
                and self.beta_min > self.beta_max):
            raise OptionError(f"beta_min ({self.beta_min}) must not exceed beta_max "
                              f"({self.beta_max})")
        if self.kernel not in ("auto", "numba", "numpy"):
            raise OptionError(f"kernel must be 'auto', 'numba' or 'numpy', got {self.kernel!r}")
        if self.kernel == "numba" and not _HAVE_NUMBA:
            raise OptionError("kernel='numba' needs the numba package (pip install numba)")


def auto_beta_range(qubo: HUBO) -> tuple[float, float]:
    """(beta_min, beta_max) from the QUBO's (or HUBO's) coefficients (see module docstring)."""
    U = qubo.quadratic
    absU = abs(U) + abs(U).T
    reach = np.abs(qubo.linear) + np.asarray(absU.sum(axis=1)).ravel()
    higher = [np.abs(c) for _, c in qubo.terms.values()]
    for idx, c in qubo.terms.values():
        reach += np.bincount(idx.ravel(), np.repeat(np.abs(c), idx.shape[1]),
                             minlength=qubo.num_vars)
    d_max = float(reach.max(initial=0.0))
    coeffs = np.concatenate([np.abs(qubo.linear), np.abs(U.data), *higher])
    coeffs = coeffs[coeffs > 1e-12 * max(d_max, 1e-300)]
    if d_max <= 0 or coeffs.size == 0:
        return 1.0, 1.0
    d_min = float(coeffs.min())
    beta_min, beta_max = math.log(2.0) / d_max, math.log(100.0) / d_min
    return beta_min, max(beta_min, beta_max)


def plan_budget(reads: int | None, sweeps: int | None, n: int, budget: int | None
                ) -> tuple[int, int, int]:
    """(chains, sweeps of one read, proposals per chain) for n annealed variables.

    ``chains * proposals <= budget`` when a budget is given (equal when budget >= chains):
    the whole budget is spent, a partial last sweep included. See the module docstring.
    """
    if budget is None:
        lanes = DEFAULT_READS if reads is None else reads
        s = DEFAULT_SWEEPS if sweeps is None else sweeps
        return lanes, s, s * n
    if n == 0:
        return 1, 1, 0
    if reads is None:
        lanes = max(1, min(AUTO_LANES, budget // (n * AUTO_MIN_SWEEPS)))
        default_sweeps = AUTO_READ_SWEEPS
    else:
        lanes = max(1, min(reads, budget // n))
        default_sweeps = None
    steps = budget // lanes
    total_sweeps = max(1, steps // n)
    s = sweeps if sweeps is not None else default_sweeps
    return lanes, total_sweeps if s is None else max(1, min(s, total_sweeps)), steps


@dataclass
class _Landscape:
    """What the kernels anneal: a QUBO over ``n`` variables plus the slack blocks held at
    their best value (none when ``reduction`` is None)."""

    qubo: HUBO
    reduction: SlackReduction | None

    @classmethod
    def of(cls, qubo: HUBO, slack_moves: bool) -> _Landscape:
        """Slack moves only on a QUBO: a HUBO is annealed over all its bits."""
        red = slack_reduction(qubo) if slack_moves and not qubo.terms else None
        return cls(qubo if red is None else red.program, red)

    def free_part(self) -> QUBO:
        """The energy within the blocks' bounds, whose coefficients set the beta range."""
        return self.qubo if self.reduction is None else self.reduction.free_part()

    def energy(self, X: np.ndarray) -> np.ndarray:
        return self.reduction.energy(X) if self.reduction else self.qubo.energy(X)

    def full_bits(self, X: np.ndarray) -> np.ndarray:
        """Annealed rows -> rows over every variable of the original QUBO."""
        if self.reduction is None:
            return X.astype(np.uint8)
        return self.reduction.qubo.complete(X.astype(np.uint8))

    def arrays(self, X: np.ndarray):
        """Local fields F (L, n), block excesses G (L, m) and the kernels' constant arrays."""
        q = self.qubo
        sym = (q.quadratic + q.quadratic.T).tocsr()
        sym.sort_indices()
        F = np.ascontiguousarray(q.linear[None, :] + (sym @ X.T.astype(np.float64)).T)
        if self.reduction is None:
            G = np.zeros((X.shape[0], 0))
            bptr = np.zeros(q.num_vars + 1, dtype=np.int64)
            bidx, bcoef, pen = np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
        else:
            G = np.ascontiguousarray(self.reduction.excess(X))
            bptr, bidx, bcoef = self.reduction.columns()
            pen = self.reduction.penalty.astype(np.float64)
        poly = PolyTerms.of(q)
        Z = poly.zeros(X) if poly.num_terms else np.zeros((X.shape[0], 0), dtype=np.int64)
        if poly.num_terms:
            F += poly.fields(X, Z)
        consts = (sym.indptr.astype(np.int64), sym.indices.astype(np.int64),
                  sym.data.astype(np.float64), bptr, bidx, bcoef, pen, poly.arrays(Z))
        return F, G, consts


class AnnealSolver(Solver):
    """Simulated annealing (see module docstring); returns every read's best state.

    ``evaluations`` = chains x proposed flips per chain, never above ``budget``.
    """

    name = "anneal"
    input = "qubo"
    max_degree = None          # local fields of any order (poly_fields)
    Options = AnnealOptions

    def plan_resources(self, plan, task: Task, *, backend=None, optimizer=None,
                       budget=None) -> None:
        """Chains (state, local fields, best state: ~26 bytes per bit), the random thresholds
        of one batch, the finished reads as decoded samples; without a budget the time of
        ``reads x sweeps x n`` flips at the optimistic kernel speed."""
        opts: AnnealOptions = self.options
        n = task.cost.num_vars
        lanes, sweeps, steps = plan_budget(opts.reads, opts.sweeps, n, budget)
        option = "--budget" if budget is not None else "--reads"
        reads = lanes * _max_reads(sweeps, steps, n)
        plan.add(f"annealing chains ({lanes} x {n} bits) and thresholds",
                 lanes * n * 26 + 8 * min(_RANDOM_BATCH, lanes * max(steps, 1)), option)
        plans.add_samples(plan, reads, n, option, what="annealing reads")
        if budget is None:
            plan.add_time(f"{lanes} x {sweeps} sweeps of {n} flips",
                          lanes * steps / plans.ANNEAL_FLIPS_PER_SECOND, "--reads / --sweeps")

    def run(self, task: Task, *, backend=None, optimizer=None, seed=None,
            budget=None) -> SolverOutput:
        opts: AnnealOptions = self.options
        t0 = time.perf_counter()
        rng = rng_from(seed)
        land = _Landscape.of(task.cost, bool(opts.slack_moves))
        n = land.qubo.num_vars
        lanes, sweeps, steps = plan_budget(opts.reads, opts.sweeps, n, budget)
        patience = int(opts.patience) if opts.patience is not None else max(1, sweeps // 8)
        auto_min, auto_max = auto_beta_range(land.free_part())
        beta_min = float(opts.beta_min) if opts.beta_min is not None else auto_min
        beta_max = float(opts.beta_max) if opts.beta_max is not None else max(auto_max, beta_min)
        betas = kernels.beta_table(beta_min, beta_max)

        X = rng.integers(0, 2, size=(lanes, n), dtype=np.int8)
        F, G, consts = land.arrays(X)
        E = np.asarray(land.energy(X), dtype=np.float64).reshape(lanes)
        pos = np.zeros(lanes, dtype=np.int64)
        since = np.zeros(lanes, dtype=np.int64)
        rlen = np.full(lanes, max(1, min(sweeps, steps // n)) if n else 1, dtype=np.int64)
        best_e, best_x = E.copy(), X.copy()
        out = np.zeros((lanes, _max_reads(sweeps, steps, n), n), dtype=np.int8)
        count = np.zeros(lanes, dtype=np.int64)
        use_numba = _HAVE_NUMBA and opts.kernel != "numpy"
        kernel = kernels.anneal_numba if use_numba else kernels.anneal_numpy
        per_batch = max(1, _RANDOM_BATCH // max(lanes, 1))
        # lanes are independent: the numba kernel (nogil) runs contiguous lane ranges on the
        # kernel threads, with the same thresholds, so any thread count gives the same result
        workers = kernel_threads.current() if use_numba else 1

        *fixed, poly = consts            # poly[0]: the lanes' zero counts (L, T)

        def batch(thresholds, step0, lo, hi):
            r = slice(lo, hi)
            kernel(X[r], F[r], G[r], E[r], *fixed, (poly[0][r], *poly[1:]), betas,
                   thresholds[r], step0, steps, sweeps, patience, pos[r], rlen[r], since[r],
                   best_e[r], best_x[r], out[r], count[r])

        for step0 in range(0, steps, per_batch):
            k = min(per_batch, steps - step0)
            thresholds = rng.standard_exponential((lanes, k))
            kernel_threads.run_parts(batch, lanes, thresholds, step0, threads=workers)
        better = best_e > E
        best_x[better] = X[better]
        rows = np.concatenate([np.concatenate([out[r, :count[r]], best_x[r:r + 1]])
                               for r in range(lanes)]) if lanes else X
        bits = land.full_bits(rows)
        energies = task.cost.energy(bits) if len(bits) else np.zeros(0)
        info = {"reads": len(bits), "chains": lanes, "sweeps": sweeps,
                "steps_per_chain": steps, "patience": patience,
                "restarts": int(count.sum()),
                "annealed_vars": n, "slack_moves": land.reduction is not None,
                "beta_min": beta_min, "beta_max": beta_max,
                "kernel": "numba" if use_numba else "numpy",
                "threads": min(workers, max(lanes, 1)),
                "min_energy": float(energies.min()) if energies.size else None,
                "mean_energy": float(energies.mean()) if energies.size else None}
        return SolverOutput(samples=Samples(bits), status="done", evaluations=lanes * steps,
                            time={"classical": time.perf_counter() - t0}, info=info)


def _max_reads(sweeps: int, steps: int, n: int) -> int:
    """Bound on the reads one chain finishes before its last: a full-length read lasts at
    least 3/4 of ``sweeps`` (it can stall only in its cold quarter; half is used here); reads
    shortened to what is left at least halve it each time."""
    if n == 0:
        return 1
    total = steps // n
    return total // max(1, (sweeps + 1) // 2) + total.bit_length() + 2


def anneal_qubo(qubo: QUBO, *, seed=None, budget: int | None = None, **options) -> SolverOutput:
    """Run simulated annealing directly on a QUBO (no Problem needed)."""
    from qopt.problems.custom import QUBOProblem

    return AnnealSolver(**options).run(Task(QUBOProblem(qubo), qubo=qubo), seed=seed,
                                       budget=budget)


__all__ = ["AnnealOptions", "AnnealSolver", "anneal_qubo", "auto_beta_range", "plan_budget"]
