"""MILP solver: HiGHS through highspy (its own Python API).

highspy, not :func:`scipy.optimize.milp`: scipy folds HiGHS's model statuses together (a
"Model error" — e.g. a coefficient >= 1e15 — came back as status 2, "infeasible"), while each
HiGHS status here maps to one honest qopt outcome (see :data:`STATUS`).

A linear objective and linear constraints go to HiGHS as they are. Products of binaries (a
quadratic or higher-order objective, rows with products) are linearised exactly with one
continuous y_T in [0, 1] per distinct product ``prod_{i in T} x_i``: ``y_T <= x_i`` for each i in
T and ``y_T >= sum_{i in T} x_i - (|T| - 1)`` force ``y_T`` to the product for binary x. A product
only in the objective gets only the inequalities its (minimisation) coefficient needs -- the
lower one for a positive coefficient, the upper ones for a negative one -- and equals the product
at an optimum. Integer variables of a user's model arrive already encoded in bits (log / unary /
one-hot, :mod:`qopt.model.encodings`): one model for every solver, and each result maps back the
same way.
Optionally (``clique_cuts``) rows ``x_i + x_j <= 1`` are strengthened by clique inequalities
from a greedy clique cover of their conflict graph (implied, so the optimum is unchanged).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from qopt.errors import OptionError, SizeLimitError, SolverError
from qopt.model.program import BinaryProgram
from qopt.solvers.base import Samples, Solver, SolverOutput, Task
from qopt.solvers.classical.lattice import KernelLattice, is_integral, kernel_lattice
from qopt.solvers.classical.milp_model import MilpModel, linearise
from qopt.stdio import stdout_to_stderr


@dataclass
class MilpOptions:
    """Options of the MILP solver (HiGHS).

    Attributes:
        time_limit: wall-clock limit of HiGHS in seconds (None: no limit); on expiry the
            incumbent is returned with status ``"time_limit"``.
        mip_rel_gap: relative MIP gap at which HiGHS stops (0 proves optimality).
        node_limit: branch-and-bound node limit (None: no limit).
        max_linearised_terms: largest number of distinct products of binaries linearised
            (objective and rows, one extra variable each); larger programs are refused with
            SizeLimitError.
        clique_cuts: add clique inequalities covering the program's pairwise conflict rows
            ``x_i + x_j <= 1`` (independent-set style models); implied, so never cuts an optimum.
        presolve: let HiGHS presolve the model.
        lattice: solve an equality system A x = d (every row an integral equality, linear
            objective: market split) by branch and bound over its kernel lattice, x = x0 +
            Q lam (:mod:`qopt.solvers.classical.lattice`). None (default): when the program
            is such a system with at most ``LATTICE_AUTO_VARS`` variables; True: always (an
            OptionError if the program is not such a system); False: never.
    """

    time_limit: float | None = 60.0
    mip_rel_gap: float = 0.0
    node_limit: int | None = None
    max_linearised_terms: int = 5000
    clique_cuts: bool = False
    presolve: bool = True
    lattice: bool | None = None

    def validate(self) -> None:
        if self.time_limit is not None and (not isinstance(self.time_limit, int | float)
                                            or self.time_limit <= 0):
            raise OptionError(f"time_limit must be a positive number of seconds or None, "
                              f"got {self.time_limit!r}")
        if not isinstance(self.mip_rel_gap, int | float) or not 0 <= self.mip_rel_gap < 1:
            raise OptionError(f"mip_rel_gap must be in [0, 1), got {self.mip_rel_gap!r}")
        if self.node_limit is not None and (not isinstance(self.node_limit, int)
                                            or self.node_limit < 1):
            raise OptionError(f"node_limit must be a positive integer or None, "
                              f"got {self.node_limit!r}")
        if self.lattice not in (None, True, False):
            raise OptionError(f"lattice must be true, false or None (auto), got "
                              f"{self.lattice!r}")
        if not isinstance(self.max_linearised_terms, int) or self.max_linearised_terms < 0:
            raise OptionError(f"max_linearised_terms must be a non-negative integer, "
                              f"got {self.max_linearised_terms!r}")


STATUS = {"kOptimal": "optimal", "kInfeasible": "infeasible", "kUnbounded": "unbounded",
          "kUnboundedOrInfeasible": "infeasible_or_unbounded", "kTimeLimit": "time_limit",
          "kSolutionLimit": "node_limit", "kIterationLimit": "iteration_limit",
          "kObjectiveBound": "objective_bound", "kObjectiveTarget": "objective_target"}
_LIMITS = {"time_limit", "node_limit", "iteration_limit", "objective_bound", "objective_target"}


class MilpSolver(Solver):
    """HiGHS branch and bound on the problem's BinaryProgram (quadratic objectives linearised).

    Status ``"optimal"``; ``"infeasible"`` only when HiGHS proves it (an all-zero sample);
    ``"time_limit"`` / ``"node_limit"`` with HiGHS's incumbent (``..._no_incumbent`` and an
    all-zero sample when it has none). A model HiGHS refuses (e.g. a coefficient of magnitude
    >= 1e15, its ``large_matrix_value``) or a failed solve raises
    :class:`~qopt.errors.SolverError` naming the HiGHS status. ``info`` carries HiGHS's model
    status, MIP gap, node count, dual bound and the model size. ``budget`` (evaluations) does
    not apply to branch and bound and is ignored; use ``time_limit`` / ``node_limit``.
    """

    name = "milp"
    input = "program"
    max_degree = None          # products of any degree are linearised exactly
    Options = MilpOptions

    def run(self, task: Task, *, backend=None, optimizer=None, seed=None,
            budget=None) -> SolverOutput:
        opts: MilpOptions = self.options
        program = task.program
        n = program.num_vars
        t0 = time.perf_counter()
        model = linearise(program, max_linearised_terms=opts.max_linearised_terms,
                          clique_cuts=opts.clique_cuts)
        form = lattice_form(model, opts.lattice)
        with stdout_to_stderr():          # HiGHS's banner never reaches stdout
            highs = _run_highs(model if form is None else substitute(model, form), opts)
        status_name = highs.getModelStatus().name
        info_h = highs.getInfo()
        has_solution = info_h.primal_solution_status == 2     # kSolutionStatusFeasible
        if status_name == "kMemoryLimit":
            raise SizeLimitError("HiGHS stopped at its memory limit while solving the MILP "
                                 f"({model.c.size} columns, {model.A.shape[0]} rows)")
        if status_name not in STATUS:
            raise SolverError(f"HiGHS could not solve the MILP: model status "
                              f"{highs.modelStatusToString(highs.getModelStatus())!r} "
                              f"({status_name})")
        status = STATUS[status_name]
        if has_solution and status != "infeasible":
            z = np.asarray(highs.getSolution().col_value)
            x = z[:n] if form is None else form.solution(z)
            bits = (x > 0.5).astype(np.uint8)
        else:
            bits = np.zeros(n, dtype=np.uint8)
            if status in _LIMITS:
                status += "_no_incumbent"
        info = {
            "highs_status": status_name, "message": highs.modelStatusToString(
                highs.getModelStatus()),
            "mip_gap": _num(info_h.mip_gap) if has_solution else None,
            "mip_node_count": _int(info_h.mip_node_count),
            "mip_dual_bound": _num(info_h.mip_dual_bound),
            "objective_value": (_native(program, float(info_h.objective_function_value)
                                        + model.offset) if has_solution else None),
            "columns": int(model.c.size), "rows": int(model.A.shape[0]),
            "linearised_terms": model.num_linearised, "clique_rows": model.num_clique_rows,
            "lattice_dim": None if form is None else int(form.basis.shape[1]),
        }
        if budget is not None:
            info["budget_ignored"] = True
        return SolverOutput(samples=Samples(bits[None, :]), status=status,
                            time={"classical": time.perf_counter() - t0}, info=info)


#: largest program that ``lattice=None`` reformulates (LLL's time grows like n^4 and more)
LATTICE_AUTO_VARS = 200


def lattice_form(model: MilpModel, setting: bool | None) -> KernelLattice | None:
    """The kernel lattice of a model whose every row is an integral equality on the binaries
    with a linear objective, or None (``setting`` False, not such a model, too large for the
    automatic choice, or the reformulation failed its checks)."""
    if setting is False:
        return None
    n, A = model.num_vars, model.A
    system = (model.num_linearised == 0 and A.shape[0] > 0 and A.shape[1] == n
              and np.array_equal(model.lo, model.hi) and is_integral(A.data)
              and is_integral(model.lo))
    if not system:
        if setting:
            raise OptionError("lattice=True needs a program whose every constraint is an "
                              "equality with integer coefficients and right-hand side (e.g. "
                              "market split) and a linear objective")
        return None
    if setting is None and n > LATTICE_AUTO_VARS:
        return None
    try:
        import fpylll  # noqa: F401  (a dependency; a broken install falls back to plain B&B)
    except ImportError as exc:
        if setting:
            raise OptionError(f"lattice=True needs fpylll (pip install fpylll cysignals): "
                              f"{exc}") from None
        return None
    form = kernel_lattice(A.toarray(), model.lo)
    return form if form is not None and form.basis.shape[1] > 0 else None


def substitute(model: MilpModel, form: KernelLattice) -> MilpModel:
    """``model`` over lam (integral, free) with x = x0 + Q lam: rows 0 <= x0 + Q lam <= 1
    replace the bounds on x; the equality rows hold for every lam and are dropped."""
    Q, x0 = form.basis.astype(float), form.x0.astype(float)
    k = Q.shape[1]
    c = model.c[:model.num_vars]
    return MilpModel(Q.T @ c, sp.csr_matrix(Q), -x0, 1.0 - x0, np.ones(k), k,
                     model.offset + float(c @ x0), 0, 0, np.full(k, -np.inf),
                     np.full(k, np.inf))


def _run_highs(model: MilpModel, opts: MilpOptions):
    """A ``highspy.Highs`` that has run on ``model`` (silent); raises SolverError naming the
    reason when HiGHS refuses the model."""
    import highspy

    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("presolve", "on" if opts.presolve else "off")
    highs.setOptionValue("mip_rel_gap", float(opts.mip_rel_gap))
    if opts.time_limit is not None:
        highs.setOptionValue("time_limit", float(opts.time_limit))
    if opts.node_limit is not None:
        highs.setOptionValue("mip_max_nodes", int(opts.node_limit))
    cols = model.c.size
    A = model.A.tocsr()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = cols, A.shape[0]
    lp.col_cost_ = model.c.astype(float)
    lp.col_lower_ = np.zeros(cols) if model.col_lower is None else model.col_lower
    lp.col_upper_ = np.ones(cols) if model.col_upper is None else model.col_upper
    lp.row_lower_, lp.row_upper_ = model.lo.astype(float), model.hi.astype(float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
    lp.integrality_ = [kinds[int(v)] for v in model.integrality]
    if highs.passModel(lp) == highspy.HighsStatus.kError:
        raise SolverError(f"HiGHS refused the MILP model ({_model_error_reason(model, highs)})")
    highs.run()
    return highs


def _model_error_reason(model: MilpModel, highs) -> str:
    """Why HiGHS rejects a model: the first of its value limits that ``model`` breaks."""
    def option(name: str) -> float:
        value = highs.getOptionValue(name)
        return float(value[1] if isinstance(value, tuple) else value)

    big_matrix, big_cost = option("large_matrix_value"), option("infinite_cost")
    data = model.A.data
    if data.size and not np.all(np.abs(data) < big_matrix):
        worst = float(np.max(np.abs(data)))
        return (f"a constraint coefficient of magnitude {worst:g} is at or over HiGHS's "
                f"large_matrix_value {big_matrix:g}; rescale the constraint rows")
    if model.c.size and not np.all(np.abs(model.c) < big_cost):
        worst = float(np.max(np.abs(model.c)))
        return (f"an objective coefficient of magnitude {worst:g} is at or over HiGHS's "
                f"infinite_cost {big_cost:g}; rescale the objective")
    finite = np.concatenate([model.lo[np.isfinite(model.lo)], model.hi[np.isfinite(model.hi)]])
    if finite.size and not np.all(np.abs(finite) < option("infinite_bound")):
        return "a constraint right-hand side at or over HiGHS's infinite_bound"
    return "model error"


def _native(program: BinaryProgram, minimised: float) -> float:
    return minimised if program.sense == "min" else -minimised


def _num(value) -> float | None:
    if value is None:
        return None
    v = float(value)
    return v if np.isfinite(v) else None


def _int(value) -> int | None:
    return None if value is None else int(value)
