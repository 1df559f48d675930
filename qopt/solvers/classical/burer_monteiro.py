"""Burer-Monteiro: the MaxCut / Ising SDP in low rank, X = V V' with V of shape (N, r).

``min <C, V V'>`` over V with unit rows (a product of N spheres in R^r), r = ceil(sqrt(2N)) + 1
by default: at that rank the second-order critical points of generic instances are optimal for
the SDP (Boumal, Voroninski, Bandeira 2016). The rows are parametrised as ``V = W / |w_i|``
and the smooth cost is minimised by scipy's L-BFGS-B; its gradient with respect to W is the
Riemannian gradient on the spheres, ``(2CV - diag(rowdot(2CV, V)) V) / |w_i|``, so each step
costs two sparse products with C (O(nnz r)): graphs of thousands of vertices, where a dense
SDP solver does not fit. The factor is rounded by random hyperplanes (Goemans-Williamson).

Why by hand: the cost and its gradient are three lines of numpy, and scipy's L-BFGS-B is the
optimiser; a manifold library (pymanopt) would add a dependency and an autodiff backend
for them without changing the algorithm.

A local optimum of the factorised problem is no bound. ``info["bound"]`` is the certificate
of :mod:`qopt.solvers.classical.spin_relaxation` at ``y_i = (C V V')_ii``, which is proven
for any y and equals the SDP value when V is optimal (then C - diag y is PSD).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from qopt.errors import OptionError
from qopt.resources import ResourcePlan
from qopt.solvers.classical.spin_relaxation import (
    RelaxationSolver,
    SpinForm,
    factor_duals,
    one_blas_thread,
    positive_int,
    positive_seconds,
    unit_rows,
)


@dataclass
class BMOptions:
    """Options of the Burer-Monteiro solver.

    Attributes:
        rank: columns r of V (None: ceil(sqrt(2N)) + 1).
        rounds: random hyperplanes (each one rounded state, returned as a sample).
        time_limit: wall-clock limit of the optimisation in seconds (None: none); on expiry
            the last iterate is rounded and certified (status ``"time_limit"``).
        maxiter: L-BFGS-B iterations at most.
        gtol: stop when the largest Riemannian gradient entry is below this.
        certify: compute the proven bound (a dense N x N eigenproblem).
    """

    rank: int | None = None
    rounds: int = 64
    time_limit: float | None = 60.0
    maxiter: int = 5000
    gtol: float = 1e-6
    certify: bool = True

    def validate(self) -> None:
        if self.rank is not None:
            positive_int("rank", self.rank)
        positive_int("rounds", self.rounds)
        positive_int("maxiter", self.maxiter)
        positive_seconds("time_limit", self.time_limit)
        if not isinstance(self.gtol, int | float) or not self.gtol > 0:
            raise OptionError(f"gtol must be a positive number, got {self.gtol!r}")
        if not isinstance(self.certify, bool):
            raise OptionError(f"certify must be true or false, got {self.certify!r}")


def auto_rank(N: int) -> int:
    """Default rank ceil(sqrt(2N)) + 1, at most N."""
    return max(1, min(N, math.ceil(math.sqrt(2 * N)) + 1))


class _Deadline:
    """L-BFGS-B callback that stops the run at ``deadline`` (perf_counter seconds)."""

    def __init__(self, deadline: float | None):
        self.deadline = deadline
        self.hit = False

    def __call__(self, intermediate_result=None):
        if self.deadline is not None and time.perf_counter() >= self.deadline:
            self.hit = True
            raise StopIteration


def optimise_factor(form: SpinForm, V0: np.ndarray, *, maxiter: int, gtol: float,
                    deadline: float | None) -> tuple[np.ndarray, dict]:
    """Minimise ``<C, V V'>`` over unit-row V from V0 (N, r); returns (V, info)."""
    N, r = V0.shape
    C = form.C

    def cost(w):
        W = w.reshape(N, r)
        norms = np.linalg.norm(W, axis=1)
        V = W / norms[:, None]
        CV = C @ V
        G = 2.0 * CV
        riem = G - np.einsum("ij,ij->i", G, V)[:, None] * V
        return float(np.einsum("ij,ij->", CV, V)), (riem / norms[:, None]).ravel()

    stop = _Deadline(deadline)
    with one_blas_thread():
        res = minimize(cost, V0.ravel(), jac=True, method="L-BFGS-B", callback=stop,
                       options={"maxiter": int(maxiter), "gtol": float(gtol), "ftol": 1e-15,
                                "maxcor": 10})
    V = unit_rows(res.x.reshape(N, r))
    return V, {"iterations": int(res.nit), "message": str(res.message),
               "time_limit_hit": stop.hit}


class BurerMonteiroSolver(RelaxationSolver):
    """Low-rank SDP (L-BFGS on the spheres) + hyperplane rounding; certified bound."""

    name = "burer-monteiro"
    Options = BMOptions

    def plan_relaxation(self, plan: ResourcePlan, N: int) -> None:
        r = self.options.rank or auto_rank(N)
        # W, V, CV, gradient, L-BFGS-B's 10 correction pairs and its workspace
        plan.add(f"factor and L-BFGS memory (~30 x {N} x {r} float64)", 8 * 30 * N * r,
                 option="--rank")

    def relax(self, form: SpinForm, rng, deadline):
        opts: BMOptions = self.options
        N = form.size
        r = min(N, opts.rank) if opts.rank is not None else auto_rank(N)
        V0 = unit_rows(rng.standard_normal((N, max(r, 1))))
        t0 = time.perf_counter()
        V, info = optimise_factor(form, V0, maxiter=opts.maxiter, gtol=opts.gtol,
                                  deadline=deadline) if N else (V0, {})
        info.update(rank=int(V.shape[1]), optimise_seconds=time.perf_counter() - t0,
                    relaxation_value=float(np.einsum("ij,ij->", form.C @ V, V)) + form.offset)
        status = "time_limit" if info.get("time_limit_hit") else "done"
        return V, [factor_duals(form, V)], status, info


__all__ = ["BMOptions", "BurerMonteiroSolver", "auto_rank", "optimise_factor"]
