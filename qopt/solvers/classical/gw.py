"""Goemans-Williamson: the MaxCut / Ising SDP relaxation with randomized hyperplane rounding.

``min <C, X>`` over X PSD with unit diagonal (the spin form of
:mod:`qopt.solvers.classical.spin_relaxation`), solved by cvxpy with SCS (first-order, memory
O(N^2): the default) or Clarabel (interior point, accurate, but its scaling matrices hold
(N(N+1)/2)^2 numbers: N <= ~120 in a few GB). The factor V of X (``X = V V'`` from its
eigendecomposition, rows renormalised) is rounded by random hyperplanes.

The bound is never the solver's primal value (inexact at solver tolerance, and a primal value
is no bound anyway): it is the certificate ``L(y)`` of the dual vector y that cvxpy reports
for the unit-diagonal constraints (and, as further candidates, -y and ``y_i = (CX)_ii``),
made feasible by the most negative eigenvalue of ``C - diag y``; the best of the candidates
is reported. Install with ``pip install qopt-toolkit[sdp]`` (cvxpy brings SCS and Clarabel).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np

from qopt.errors import OptionError
from qopt.resources import ResourcePlan
from qopt.solvers.classical.spin_relaxation import (
    RelaxationSolver,
    SpinForm,
    factor_duals,
    positive_int,
    positive_seconds,
    unit_rows,
)

#: cvxpy statuses -> qopt status
_STATUS = {"optimal": "done", "optimal_inaccurate": "inaccurate", "user_limit": "time_limit"}


@dataclass
class GWOptions:
    """Options of the Goemans-Williamson solver.

    Attributes:
        rounds: random hyperplanes (each one rounded state, returned as a sample).
        time_limit: wall-clock limit of the SDP solver in seconds (None: none); on expiry
            the solver's last iterate is rounded and certified (status ``"time_limit"``).
            cvxpy's model building before the solver (minutes at 2000 vertices) and the
            certificate after it are not interrupted.
        sdp_solver: ``"scs"`` (first-order, large N) or ``"clarabel"`` (interior point).
        eps: the SDP solver's relative/absolute tolerance (1e-4: SCS reaches 1e-6 only slowly
            beyond ~100 vertices; the bound is certified whatever the accuracy, only its
            tightness depends on it).
        certify: compute the proven bound (a dense N x N eigenproblem).
    """

    rounds: int = 64
    time_limit: float | None = 60.0
    sdp_solver: str = "scs"
    eps: float = 1e-4
    certify: bool = True

    def validate(self) -> None:
        positive_int("rounds", self.rounds)
        positive_seconds("time_limit", self.time_limit)
        if self.sdp_solver not in ("scs", "clarabel"):
            raise OptionError(f"sdp_solver must be 'scs' or 'clarabel', got {self.sdp_solver!r}")
        if not isinstance(self.eps, int | float) or not 0 < self.eps < 1:
            raise OptionError(f"eps must be in (0, 1), got {self.eps!r}")
        if not isinstance(self.certify, bool):
            raise OptionError(f"certify must be true or false, got {self.certify!r}")


def _import_cvxpy():
    try:
        import cvxpy
    except ImportError:
        raise OptionError("solver 'gw' needs cvxpy: pip install 'qopt-toolkit[sdp]' (or pip "
                          "install cvxpy); 'burer-monteiro' needs no extra package") from None
    return cvxpy


class GWSolver(RelaxationSolver):
    """SDP relaxation (cvxpy) + hyperplane rounding; ``info["bound"]`` from the dual."""

    name = "gw"
    Options = GWOptions

    def plan_relaxation(self, plan: ResourcePlan, N: int) -> None:
        _import_cvxpy()
        d = N * (N + 1) // 2
        # measured peak growth of cvxpy's canonicalisation + SCS: 79 / 170 / 527 MB at
        # N = 200 / 400 / 800 and ~3 GB at N = 2000, i.e. ~800 bytes per N^2 entry
        plan.add(f"SDP in cvxpy + solver ({N} x {N} PSD variable, ~800 bytes per entry)",
                 800.0 * N * N, option="--sdp-solver")
        if self.options.sdp_solver == "clarabel":
            plan.add(f"Clarabel PSD-cone scaling ({d} x {d} float64, twice)", 16.0 * d * d,
                     option="--sdp-solver")

    def relax(self, form: SpinForm, rng, deadline):
        cp = _import_cvxpy()
        opts: GWOptions = self.options
        N = form.size
        X = cp.Variable((N, N), symmetric=True)
        diag = cp.diag(X) == 1
        problem = cp.Problem(cp.Minimize(cp.sum(cp.multiply(form.C, X))), [X >> 0, diag])
        kwargs: dict = {}
        left = None if deadline is None else max(deadline - time.perf_counter(), 1e-3)
        if opts.sdp_solver == "scs":
            solver = cp.SCS
            kwargs.update(eps_abs=opts.eps, eps_rel=opts.eps, max_iters=10**7)
            if left is not None:
                kwargs["time_limit_secs"] = left
        else:
            solver = cp.CLARABEL
            kwargs.update(tol_gap_abs=opts.eps, tol_gap_rel=opts.eps, tol_feas=opts.eps)
            if left is not None:
                kwargs["time_limit"] = left
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)   # "may be inaccurate": a status
                problem.solve(solver=solver, **kwargs)
        except cp.error.SolverError as exc:
            raise OptionError(f"gw: the SDP solver {opts.sdp_solver} failed ({exc}); try "
                              f"sdp_solver='{'clarabel' if solver == cp.SCS else 'scs'}'") \
                from None
        t_sdp = time.perf_counter() - t0
        status = _STATUS.get(problem.status, problem.status)
        if deadline is not None and status == "inaccurate" and time.perf_counter() >= deadline:
            status = "time_limit"
        if X.value is None:
            # no iterate to round: spins from a random factor, bound from y = 0
            V = unit_rows(rng.standard_normal((N, max(1, math.ceil(math.sqrt(2 * N))))))
            duals = [np.zeros(N)]
            status = status if status != "done" else "error"
        else:
            Xv = 0.5 * (X.value + X.value.T)
            w, Q = np.linalg.eigh(Xv)
            keep = w > 1e-9 * max(w.max(initial=0.0), 1.0)
            V = unit_rows(Q[:, keep] * np.sqrt(w[keep])[None, :]) if keep.any() \
                else unit_rows(rng.standard_normal((N, 1)))
            duals = [factor_duals(form, V)]
            if diag.dual_value is not None:
                y = np.asarray(diag.dual_value, dtype=float).reshape(-1)
                duals += [y, -y]
        info = {"sdp_solver": opts.sdp_solver, "sdp_status": str(problem.status),
                "sdp_seconds": t_sdp,
                "relaxation_value": (None if problem.value is None
                                     or not np.isfinite(problem.value)
                                     else float(problem.value) + form.offset),
                "rank": int(V.shape[1])}
        return V, duals, status, info


__all__ = ["GWOptions", "GWSolver"]
