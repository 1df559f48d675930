"""What ``gw`` and ``burer-monteiro`` share: the homogeneous spin form, the dual certificate
and randomized hyperplane rounding.

**Accepted inputs.** Unconstrained problems: MaxCut, a bare QUBO / Ising, any BinaryProgram
without constraints. Their QUBO ``E(x) = x'Ux + c'x + offset`` becomes, with
``x_i = (1 - z_i) / 2`` (z_i = +1 for x_i = 0, :meth:`qopt.model.qubo.QUBO.to_ising`),
``E = h.z + sum_{i<j} J_ij z_i z_j + offset``. When h is not zero an extra spin s_n is added
and z_i = s_i s_n, so that ``E = s'Cs + offset`` with C symmetric, zero diagonal, over
N = n or n + 1 spins (MaxCut has h = 0, so N = n, C = W / 4 and offset = -sum(w) / 2).
Constrained programs are refused: the relaxation of a penalty QUBO depends on the penalty
weight, and rounding ignores the constraints (use ``tabu``, ``anneal`` or ``milp``).

**Relaxation.** ``min s'Cs`` over s in {-1, 1}^N >= ``min <C, X>`` over X PSD with unit
diagonal; gw solves that SDP, burer-monteiro writes X = V V' with V of shape (N, r) and unit
rows.

**Certificate (a proven bound).** For any y in R^N and any s in {-1, 1}^N,
``s'Cs = sum(y) + s'(C - diag y)s >= sum(y) + N lambda_min(C - diag y)`` because s's = N.
So ``L(y) = offset + sum(y) + N lambda_min(C - diag y)`` is a lower bound on the QUBO's
minimum for every y -- the SDP dual objective made feasible by shifting y by the most negative
eigenvalue of the slack matrix. In MaxCut terms this is the issue's
``cut <= sum(y') + n max(0, lambda_max(L/4 - diag y'))`` (without the max: s's = N holds for
every sign of lambda). y comes from the SDP's dual (gw) or from the factor,
``y_i = (C V V')_ii`` (burer-monteiro; at an optimum of the SDP the bound equals its value).
lambda_min is computed densely by LAPACK and lowered by ``8 N eps ||M||_F``, above LAPACK's
backward error, so rounding in the eigensolver cannot overstate the bound. The bound is
reported in the problem's native sense (an upper bound for a maximisation).

**Rounding** (Goemans-Williamson): k Gaussian directions g, spins ``sign(V g)`` (0 -> +1),
the extra spin's sign fixed to +1; all k rounded states are returned as samples.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from qopt.errors import OptionError
from qopt.resources import ResourcePlan
from qopt.solvers.base import Samples, Solver, SolverOutput, Task, rng_from

#: safety factor on LAPACK's eigenvalue error (see module docstring)
_EIG_SAFETY = 8.0


@dataclass
class SpinForm:
    """``E(x) = s'Cs + offset`` with s the spins of x (plus one extra spin if ``homogenised``).

    C: sparse symmetric (N, N), zero diagonal. n: the QUBO's variables; N = n + homogenised.
    """

    C: sp.csr_matrix
    offset: float
    n: int
    homogenised: bool

    @property
    def size(self) -> int:
        return self.C.shape[0]

    @classmethod
    def from_task(cls, task: Task, solver: str) -> SpinForm:
        check_unconstrained(task, solver)
        ising = task.qubo.to_ising()
        n = task.qubo.num_vars
        J = sp.coo_matrix(ising.J)
        h = np.asarray(ising.h, dtype=float)
        homog = bool(np.any(h != 0))
        N = n + homog
        rows, cols, vals = [J.row], [J.col], [J.data]
        if homog:
            nz = np.flatnonzero(h)
            rows.append(nz)
            cols.append(np.full(nz.size, n))
            vals.append(h[nz])
        upper = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows),
                                                       np.concatenate(cols))), shape=(N, N))
        C = ((upper + upper.T) * 0.5).tocsr()
        C.setdiag(0.0)
        C.eliminate_zeros()
        return cls(C, float(ising.offset), n, homog)

    def energies(self, S: np.ndarray) -> np.ndarray:
        """QUBO energies of the spin columns S, shape (N, k) of +-1 -> (k,)."""
        S = np.asarray(S, dtype=np.float64)
        return np.einsum("ik,ik->k", S, self.C @ S) + self.offset

    def bits(self, S: np.ndarray) -> np.ndarray:
        """The QUBO bit rows of spin columns S (N, k) -> (k, n) uint8 (extra spin -> +1)."""
        if self.homogenised:
            S = S * S[self.n][None, :]
        return np.ascontiguousarray((S[:self.n] < 0).T, dtype=np.uint8)


def check_unconstrained(task: Task, solver: str) -> None:
    """Refuse constrained programs (see module docstring) before any work."""
    if getattr(task.problem, "qubo", None) is not None:
        return
    m = task.program.num_constraints
    if m:
        raise OptionError(
            f"solver {solver!r} relaxes unconstrained problems only (MaxCut, Ising, QUBO, "
            f"programs without constraints); {task.problem.name} has {m} constraint(s): "
            f"use tabu, anneal or milp for it")


def certified_lower_bound(form: SpinForm, y: np.ndarray) -> float:
    """``offset + sum(y) + N (lambda_min(C - diag y) - safety)``, a lower bound on the QUBO's
    minimum for any y (see module docstring). Dense: N x N float64."""
    N = form.size
    if N == 0:
        return form.offset
    M = form.C.toarray()
    M[np.diag_indices(N)] -= y
    norm = float(np.linalg.norm(M))
    lam = float(sla.eigh(M, eigvals_only=True, subset_by_index=[0, 0], overwrite_a=True,
                         check_finite=False)[0])
    safety = _EIG_SAFETY * N * np.finfo(float).eps * norm
    return form.offset + float(np.sum(y)) + N * (lam - safety)


def factor_duals(form: SpinForm, V: np.ndarray) -> np.ndarray:
    """``y_i = (C V V')_ii``: the dual guess of a factor V (N, r)."""
    return np.einsum("ij,ij->i", form.C @ V, V)


def hyperplane_round(form: SpinForm, V: np.ndarray, rounds: int, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``rounds`` random-hyperplane roundings of the rows of V (N, r): bit rows (rounds, n)
    and their QUBO energies (rounds,)."""
    G = rng.standard_normal((V.shape[1], rounds))
    S = np.where(V @ G >= 0.0, 1.0, -1.0)
    return form.bits(S), form.energies(S)


def unit_rows(V: np.ndarray) -> np.ndarray:
    """V with every row scaled to norm 1 (a zero row becomes e_1)."""
    norms = np.linalg.norm(V, axis=1)
    V = V / np.where(norms > 0, norms, 1.0)[:, None]
    V[norms == 0, 0] = 1.0
    return V


def one_blas_thread():
    """Context limiting BLAS / LAPACK to one thread. OpenBLAS threads spinning on a loaded
    machine made L-BFGS-B's vector operations 30x slower (load 8 on 2 cores) and the dense
    2000 x 2000 certificate eigenproblem 6x slower (35 s against 5.4 s at load 20); on an idle
    machine one thread costs at most the second core on the certificate."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def positive_int(name: str, v) -> None:
    if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < 1:
        raise OptionError(f"{name} must be a positive integer, got {v!r}")


def positive_seconds(name: str, v, allow_none: bool = True) -> None:
    if v is None and allow_none:
        return
    if not isinstance(v, int | float) or isinstance(v, bool) or not v > 0 or v == float("inf"):
        raise OptionError(f"{name} must be a positive number of seconds"
                          f"{' or None' if allow_none else ''}, got {v!r}")


class RelaxationSolver(Solver):
    """Base of ``gw`` and ``burer-monteiro``: relax, certify, round (see module docstring).

    Subclasses implement :meth:`relax` -> (V, dual candidates, status, info) and plan their
    own buffers in :meth:`plan_relaxation`. Options must have ``rounds``, ``time_limit`` and
    ``certify``. ``budget`` (evaluations) does not apply and is ignored (``info``), like milp.
    """

    input = "qubo"

    def relax(self, form: SpinForm, rng: np.random.Generator, deadline: float | None
              ) -> tuple[np.ndarray, list[np.ndarray], str, dict]:
        raise NotImplementedError

    def plan_relaxation(self, plan: ResourcePlan, N: int) -> None:
        raise NotImplementedError

    def plan_resources(self, plan: ResourcePlan, task: Task, *, backend=None, optimizer=None,
                       budget=None) -> None:
        check_unconstrained(task, self.name)
        n = task.qubo.num_vars
        N = n + 1      # the extra spin, at most
        opts = self.options
        plan.add(f"spin couplings ({2 * task.qubo.quadratic.nnz + 2 * n} entries)",
                 16 * (task.qubo.quadratic.nnz + n) * 2)
        plan.add(f"rounding ({opts.rounds} x {N} spins, float64)", 3 * 8 * N * opts.rounds,
                 option="--rounds")
        if opts.certify:
            plan.add(f"dual certificate (dense {N} x {N} float64 eigenproblem)", 2 * 8 * N * N,
                     option="--certify")
        self.plan_relaxation(plan, N)

    def run(self, task: Task, *, backend=None, optimizer=None, seed=None,
            budget=None) -> SolverOutput:
        opts = self.options
        t0 = time.perf_counter()
        form = SpinForm.from_task(task, self.name)
        rng = rng_from(seed)
        deadline = None if opts.time_limit is None else t0 + float(opts.time_limit)
        with one_blas_thread():     # 2000 x 2000 certificate under load: 35 s -> 5.4 s
            V, duals, status, info = self.relax(form, rng, deadline)
            t_relax = time.perf_counter() - t0
            bits, energies = hyperplane_round(form, V, int(opts.rounds), rng)
            t1 = time.perf_counter()
            lower = (max(certified_lower_bound(form, y) for y in duals) if opts.certify
                     else None)
            t_certify = time.perf_counter() - t1
        problem = task.problem
        info.update(spins=form.size, extra_spin=form.homogenised,
                    relaxation_seconds=t_relax, certificate_seconds=t_certify,
                    rounds=int(opts.rounds),
                    best_rounded=float(problem.to_minimisation(energies.min())),
                    mean_rounded=float(problem.to_minimisation(energies.mean())))
        value = info.get("relaxation_value")
        if value is not None:   # the relaxation's objective (solver accuracy), not a bound
            info["relaxation_value"] = float(problem.to_minimisation(value))
        info["bound"] = None
        if lower is not None:
            info["bound"] = float(problem.to_minimisation(lower))
            info["bound_kind"] = "upper" if problem.sense == "max" else "lower"
        if budget is not None:
            info["budget_ignored"] = True
        return SolverOutput(samples=Samples(bits), status=status,
                            time={"classical": time.perf_counter() - t0}, info=info)


__all__ = ["RelaxationSolver", "SpinForm", "certified_lower_bound", "check_unconstrained",
           "factor_duals", "hyperplane_round", "unit_rows"]
