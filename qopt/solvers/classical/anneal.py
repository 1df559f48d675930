"""Simulated annealing on a QUBO, many independent reads at once.

Each read is a state x in {0,1}^n started uniformly at random. A sweep proposes a flip of every
variable in turn (i = 0..n-1); flipping x_i changes the energy by
``delta_i = (1 - 2 x_i) * f_i`` with the local field ``f_i = c_i + sum_j (U + U')_ij x_j``,
kept up to date incrementally. A flip is accepted with the Metropolis rule
``delta <= 0 or u < exp(-beta delta)`` (implemented as ``beta delta < E``, E ~ Exp(1)). The
inverse temperature follows a geometric schedule from ``beta_min`` to ``beta_max`` over the
sweeps; left at None they are derived from the QUBO's coefficients: ``beta_min = ln 2 / D_max``
(the largest possible |delta| is accepted with probability 1/2 at the start) and
``beta_max = ln 100 / d_min`` (the smallest non-zero coefficient is accepted with probability
1/100 at the end).

The kernel is compiled with numba when it is installed; otherwise a numpy version vectorised
over reads runs (same random numbers, same results).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from qopt.errors import OptionError
from qopt.model.qubo import QUBO
from qopt.solvers.base import Samples, Solver, SolverOutput, Task, rng_from

try:  # pragma: no cover - exercised when numba is installed
    import numba

    _HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    _HAVE_NUMBA = False

#: random numbers drawn per batch (reads * sweeps_in_batch * n), bounding memory to ~16 MiB
_RANDOM_BATCH = 1 << 21


@dataclass
class AnnealOptions:
    """Options of simulated annealing.

    Attributes:
        reads: number of independent runs (each returns its final state as a sample).
        sweeps: sweeps per read (one sweep = one proposed flip of every variable); with a
            ``budget`` the sweeps are derived from it instead.
        beta_min: initial inverse temperature (1 / energy unit); None derives it from the QUBO.
        beta_max: final inverse temperature; None derives it from the QUBO.
        kernel: ``"auto"`` (numba when installed), ``"numba"`` or ``"numpy"``.
    """

    reads: int = 100
    sweeps: int = 1000
    beta_min: float | None = None
    beta_max: float | None = None
    kernel: str = "auto"

    def validate(self) -> None:
        for name in ("reads", "sweeps"):
            v = getattr(self, name)
            if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < 1:
                raise OptionError(f"{name} must be a positive integer, got {v!r}")
        for name in ("beta_min", "beta_max"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int | float) or not v > 0):
                raise OptionError(f"{name} must be a positive number or None, got {v!r}")
        if (self.beta_min is not None and self.beta_max is not None
                and self.beta_min > self.beta_max):
            raise OptionError(f"beta_min ({self.beta_min}) must not exceed beta_max "
                              f"({self.beta_max})")
        if self.kernel not in ("auto", "numba", "numpy"):
            raise OptionError(f"kernel must be 'auto', 'numba' or 'numpy', got {self.kernel!r}")
        if self.kernel == "numba" and not _HAVE_NUMBA:
            raise OptionError("kernel='numba' needs the numba package (pip install numba)")


def auto_beta_range(qubo: QUBO) -> tuple[float, float]:
    """(beta_min, beta_max) from the QUBO's coefficients (see module docstring)."""
    U = qubo.quadratic
    absU = abs(U) + abs(U).T
    reach = np.abs(qubo.linear) + np.asarray(absU.sum(axis=1)).ravel()
    d_max = float(reach.max(initial=0.0))
    coeffs = np.concatenate([np.abs(qubo.linear), np.abs(U.data)])
    coeffs = coeffs[coeffs > 1e-12 * max(d_max, 1e-300)]
    if d_max <= 0 or coeffs.size == 0:
        return 1.0, 1.0
    d_min = float(coeffs.min())
    beta_min, beta_max = math.log(2.0) / d_max, math.log(100.0) / d_min
    return beta_min, max(beta_min, beta_max)


def plan_budget(reads: int, sweeps: int, n: int, budget: int | None) -> tuple[int, int, int]:
    """(reads, sweeps, steps per read) so that reads * steps <= budget when given.

    One evaluation is one proposed single-bit flip of one read. With a budget, sweeps =
    budget // (reads * n); when that is 0, fewer reads (budget // n) run one sweep each, and
    below n a single read proposes ``budget`` flips (a partial sweep).
    """
    if n == 0:
        return reads, sweeps, 0
    if budget is None:
        return reads, sweeps, sweeps * n
    if budget >= reads * n:
        s = budget // (reads * n)
        return reads, s, s * n
    if budget >= n:
        return budget // n, 1, n
    return 1, 1, budget


def _schedule(beta_min: float, beta_max: float, sweeps: int) -> np.ndarray:
    if sweeps == 1:
        return np.array([beta_max])
    return np.geomspace(beta_min, beta_max, sweeps)


def _anneal_numpy(X, F, indptr, indices, data, betas, thresholds, step0):
    """Steps ``step0 .. step0 + thresholds.shape[1] - 1`` of all reads, vectorised over reads.

    X (reads, n) int8 and F (reads, n) float64 are updated in place; thresholds has shape
    (reads, steps) of Exp(1) variates.
    """
    n = X.shape[1]
    for k in range(thresholds.shape[1]):
        step = step0 + k
        i = step % n
        beta = betas[step // n]
        xi = X[:, i]
        delta = (1 - 2 * xi) * F[:, i]
        flip = (delta <= 0.0) | (beta * delta < thresholds[:, k])
        if not flip.any():
            continue
        dx = np.where(flip, 1 - 2 * xi, 0).astype(np.float64)
        X[:, i] = np.where(flip, 1 - xi, xi)
        lo, hi = indptr[i], indptr[i + 1]
        if hi > lo:
            F[:, indices[lo:hi]] += dx[:, None] * data[lo:hi][None, :]


if _HAVE_NUMBA:
    @numba.njit(cache=True, nogil=True)
    def _anneal_numba(X, F, indptr, indices, data, betas, thresholds, step0):  # pragma: no cover
        """Same steps as :func:`_anneal_numpy`, one read at a time, compiled."""
        reads, n = X.shape
        steps = thresholds.shape[1]
        for r in range(reads):
            k = 0
            while k < steps:
                step = step0 + k
                sweep = step // n
                i = step - sweep * n
                beta = betas[sweep]
                stop = min(steps, k + (n - i))         # to the end of this sweep
                while k < stop:
                    xi = X[r, i]
                    delta = F[r, i] if xi == 0 else -F[r, i]
                    if delta <= 0.0 or beta * delta < thresholds[r, k]:
                        dx = 1.0 if xi == 0 else -1.0
                        X[r, i] = 1 - xi
                        for p in range(indptr[i], indptr[i + 1]):
                            F[r, indices[p]] += dx * data[p]
                    k += 1
                    i += 1


class AnnealSolver(Solver):
    """Simulated annealing (see module docstring); returns every read's final state.

    ``evaluations`` = reads x proposed flips per read, never above ``budget``.
    """

    name = "anneal"
    input = "qubo"
    Options = AnnealOptions

    def run(self, task: Task, *, backend=None, optimizer=None, seed=None,
            budget=None) -> SolverOutput:
        opts: AnnealOptions = self.options
        qubo = task.qubo
        t0 = time.perf_counter()
        rng = rng_from(seed)
        n = qubo.num_vars
        reads, sweeps, steps = plan_budget(int(opts.reads), int(opts.sweeps), n, budget)
        auto_min, auto_max = auto_beta_range(qubo)
        beta_min = float(opts.beta_min) if opts.beta_min is not None else auto_min
        beta_max = float(opts.beta_max) if opts.beta_max is not None else max(auto_max, beta_min)
        betas = _schedule(beta_min, beta_max, sweeps)
        X = rng.integers(0, 2, size=(reads, n), dtype=np.int8)
        sym = (qubo.quadratic + qubo.quadratic.T).tocsr()
        sym.sort_indices()
        F = qubo.linear[None, :] + np.asarray(sym.dot(X.T.astype(np.float64))).T
        F = np.ascontiguousarray(F, dtype=np.float64)
        indptr = sym.indptr.astype(np.int64)
        indices = sym.indices.astype(np.int64)
        data = sym.data.astype(np.float64)
        use_numba = _HAVE_NUMBA and opts.kernel != "numpy"
        kernel = _anneal_numba if use_numba else _anneal_numpy
        per_batch = max(1, _RANDOM_BATCH // max(reads, 1))
        for step0 in range(0, steps, per_batch):
            k = min(per_batch, steps - step0)
            thresholds = rng.standard_exponential((reads, k))
            kernel(X, F, indptr, indices, data, betas, thresholds, step0)
        bits = X.astype(np.uint8)
        energies = qubo.energy(bits) if reads else np.zeros(0)
        info = {"reads": reads, "sweeps": sweeps, "steps_per_read": steps,
                "beta_min": beta_min, "beta_max": beta_max,
                "kernel": "numba" if use_numba else "numpy",
                "min_energy": float(energies.min()) if energies.size else None,
                "mean_energy": float(energies.mean()) if energies.size else None}
        return SolverOutput(samples=Samples(bits), status="done", evaluations=reads * steps,
                            time={"classical": time.perf_counter() - t0}, info=info)


def anneal_qubo(qubo: QUBO, *, seed=None, budget: int | None = None, **options) -> SolverOutput:
    """Run simulated annealing directly on a QUBO (no Problem needed)."""
    from qopt.problems.custom import QUBOProblem

    return AnnealSolver(**options).run(Task(QUBOProblem(qubo), qubo=qubo), seed=seed,
                                       budget=budget)


__all__ = ["AnnealOptions", "AnnealSolver", "anneal_qubo", "auto_beta_range", "plan_budget"]
