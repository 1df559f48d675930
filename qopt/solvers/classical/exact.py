"""Exact solver: enumerate all 2^n states of a problem's program variables.

States are visited in chunks of ``2^chunk_bits`` basis-state indices (bit order of
:mod:`qopt.bits`), so memory stays at one chunk whatever n is. Unconstrained problems use the
QUBO's O(2^n) doubling (:meth:`qopt.model.qubo.QUBO.iter_diagonal_chunks`); constrained ones
evaluate each chunk with the problem's vectorised ``evaluate_batch`` / ``violation_batch``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from qopt.bits import indices_to_bits
from qopt.errors import OptionError, SizeLimitError
from qopt.solvers.base import Samples, Solver, SolverOutput, Task
from qopt.solvers.plans import exact_seconds

#: tolerance of "tied with the optimum" and "feasible": absolute + relative to |optimum|
_TIE_ATOL = 1e-9
_TIE_RTOL = 1e-9
#: chunk size cap (log2) when every chunk holds one row per constraint or n bits per state
_MAX_CONSTRAINED_CHUNK_BITS = 16


@dataclass
class ExactOptions:
    """Options of the exact solver.

    Attributes:
        max_vars: largest number of program variables n enumerated (2^n states); larger
            problems are refused with SizeLimitError before any work.
        max_samples: at most this many tied optimal states are returned as samples.
        chunk_bits: states are evaluated 2^chunk_bits at a time (8 bytes each for unconstrained
            problems); constrained problems use at most 2^16 (memory ~ 2^16 * max(n, m) * 8
            bytes with m constraints).
        method: ``"auto"`` (doubling over the problem's BinaryProgram, each found optimum
            checked against the problem's own ``evaluate`` / ``violation``) or ``"batch"``
            (every chunk's bit rows evaluated by the problem's ``evaluate_batch``).
    """

    max_vars: int = 30
    max_samples: int = 1000
    chunk_bits: int = 20
    method: str = "auto"

    def validate(self) -> None:
        if not isinstance(self.max_vars, int | np.integer) or not 1 <= self.max_vars <= 62:
            raise OptionError(f"max_vars must be an integer in 1..62, got {self.max_vars!r}")
        if not isinstance(self.max_samples, int | np.integer) or self.max_samples < 1:
            raise OptionError(f"max_samples must be a positive integer, got {self.max_samples!r}")
        if not isinstance(self.chunk_bits, int | np.integer) or not 4 <= self.chunk_bits <= 24:
            raise OptionError(f"chunk_bits must be an integer in 4..24, got {self.chunk_bits!r}")
        if self.method not in ("auto", "batch"):
            raise OptionError(f"method must be 'auto' or 'batch', got {self.method!r}")


class _Best:
    """Running optimum over chunks: best key value and up to ``cap`` tied states (indices)."""

    def __init__(self, cap: int):
        self.cap = cap
        self.value = np.inf
        self.indices: list[np.ndarray] = []
        self.count = 0

    def _tol(self, value: float) -> float:
        return _TIE_ATOL + _TIE_RTOL * abs(value)

    def update(self, values: np.ndarray, indices: np.ndarray | int) -> None:
        """Merge one chunk: ``values`` (k,) to minimise at basis-state ``indices`` (k,), or at
        ``indices, indices + 1, ...`` when ``indices`` is an int (the chunk's first state)."""
        if values.size == 0:
            return
        m = float(values.min())
        if m < self.value - self._tol(m):
            self.value, self.indices, self.count = m, [], 0
        elif m > self.value + self._tol(self.value):
            return
        hit = np.flatnonzero(values <= self.value + self._tol(self.value))
        self.count += hit.size
        room = self.cap - sum(a.size for a in self.indices)
        if room > 0:
            kept = hit[:room]
            self.indices.append(kept.astype(np.int64) + indices if isinstance(indices, int)
                                else indices[kept])

    def states(self) -> np.ndarray:
        return np.concatenate(self.indices) if self.indices else np.zeros(0, dtype=np.int64)


def _agrees(problem, feasible: _Best, infeasible: _Best) -> bool:
    """Do the problem's own evaluate / violation confirm the states found from its program?"""
    best = feasible if feasible.count else infeasible
    X = indices_to_bits(best.states(), problem.num_vars)
    if len(X) == 0:
        return False
    viol = np.asarray(problem.violation_batch(X), float)
    if feasible.count:
        obj = np.asarray(problem.to_minimisation(problem.evaluate_batch(X)), float)
        return bool(np.all(viol <= 1e-9)
                    and np.allclose(obj, feasible.value, rtol=1e-7, atol=1e-7))
    return bool(np.all(viol > 1e-9))


class ExactSolver(Solver):
    """Enumerates every assignment of the program variables; returns all tied optima.

    Status ``"optimal"``, or ``"infeasible"`` (samples: the least-violation states, ties broken
    by objective) when no state satisfies the constraints. ``evaluations`` is 2^n.
    """

    name = "exact"
    input = "problem"
    max_degree = None          # enumerates the HUBO's diagonal or the problem itself
    Options = ExactOptions

    def plan_resources(self, plan, task, *, backend=None, optimizer=None, budget=None):
        """Enumeration time of 2^n states (nothing else bounds it; ``--max-vars`` lets n
        grow) and one chunk's buffers (``--chunk-bits``)."""
        o: ExactOptions = self.options
        n = int(task.problem.num_vars)
        if n > o.max_vars:
            return                          # run refuses it, naming max_vars
        m = task.problem.to_program().num_constraints
        plan.add_time(f"exact enumeration of 2^{n} states (--max-vars {o.max_vars} allows it)",
                      exact_seconds(n, m))
        bits = min(n, o.chunk_bits if not m else min(o.chunk_bits, _MAX_CONSTRAINED_CHUNK_BITS))
        width = 1 if not m else max(n, m)
        plan.add(f"one chunk of 2^{bits} states x {width} float64", 3 * 8 * width << bits,
                 "--chunk-bits")

    def run(self, task: Task, *, backend=None, optimizer=None, seed=None,
            budget=None) -> SolverOutput:
        opts: ExactOptions = self.options
        problem = task.problem
        n = int(problem.num_vars)
        if n > opts.max_vars:
            raise SizeLimitError(
                f"exact enumeration of n = {n} variables (2^{n} states) is over the limit "
                f"max_vars = {opts.max_vars}; raise max_vars or use another solver")
        t0 = time.perf_counter()
        program = problem.to_program()
        qubo = None
        if program.num_constraints == 0:
            qubo = task.hubo
            if qubo.num_vars != n:
                qubo = None
        method = "qubo-diagonal" if qubo is None or not qubo.terms else "hubo-diagonal"
        if qubo is not None:
            feasible, infeasible = self._scan_qubo(qubo, n, opts), None
        elif opts.method == "batch" or program.num_vars != n or program.row_terms:
            method = "batch-evaluate"
            feasible, infeasible = self._scan_problem(problem, n, opts)
        else:
            method = "program-doubling"
            feasible, infeasible = self._scan_problem(problem, n, opts, program)
            if not _agrees(problem, feasible, infeasible):
                # the problem's native functions disagree with its program: trust the problem
                method = "batch-evaluate"
                feasible, infeasible = self._scan_problem(problem, n, opts)
        if feasible.count:
            status, best = "optimal", feasible
        else:
            status, best = "infeasible", infeasible
        idx = best.states()
        bits = indices_to_bits(idx, n)
        info = {"optimal_value": self._native(problem, feasible.value) if feasible.count else None,
                "num_optimal": int(best.count), "samples_capped": best.count > idx.size,
                "method": method}
        if budget is not None:
            info["budget_ignored"] = True       # enumeration always costs 2^n evaluations
        if status == "infeasible":
            info["least_violation"] = float(problem.violation(bits[0]))
        return SolverOutput(samples=Samples(bits), status=status, evaluations=1 << n,
                            time={"classical": time.perf_counter() - t0}, info=info)

    @staticmethod
    def _native(problem, value: float) -> float:
        return float(value if problem.sense == "min" else -value)

    @staticmethod
    def _scan_qubo(qubo, n: int, opts: ExactOptions) -> _Best:
        best = _Best(opts.max_samples)
        for start, energies in qubo.iter_diagonal_chunks(min(n, opts.chunk_bits)):
            best.update(energies, int(start))
        return best

    @staticmethod
    def _scan_problem(problem, n: int, opts: ExactOptions, program=None
                      ) -> tuple[_Best, _Best]:
        """(feasible optimum, least violation with objective tie-break) over all states.

        With ``program`` the objective and constraint rows are built chunk by chunk by doubling
        (O(2^n) work); without it each chunk's bit rows go to the problem's batch methods.
        """
        feasible = _Best(opts.max_samples)
        least = _Best(opts.max_samples)
        least_obj = _Best(opts.max_samples)
        bits = min(opts.chunk_bits, _MAX_CONSTRAINED_CHUNK_BITS)
        chunks = (_program_chunks(program, n, bits) if program is not None
                  else _batch_chunks(problem, n, bits))
        for start, obj_fn, viol in chunks:
            ok = np.flatnonzero(viol <= 1e-9)
            if ok.size:
                feasible.update(obj_fn(ok), ok + start)
            elif feasible.count == 0:
                # no feasible state yet: track the least violation, ties broken by objective
                m = float(viol.min())
                if m < least.value - least._tol(m):
                    least_obj = _Best(opts.max_samples)
                if m <= least.value + least._tol(least.value):
                    least.update(viol, int(start))
                    near = np.flatnonzero(viol <= least.value + least._tol(least.value))
                    least_obj.update(obj_fn(near), near + start)
        return feasible, least_obj


def _batch_chunks(problem, n: int, chunk_bits: int):
    """Yield (start, objective-of-rows function, violations) using the problem's batch methods."""
    size = 1 << min(n, chunk_bits)
    for start in range(0, 1 << n, size):
        X = indices_to_bits(np.arange(start, min(start + size, 1 << n), dtype=np.int64), n)
        viol = np.asarray(problem.violation_batch(X), dtype=float)

        def objective(rows, X=X):
            return np.asarray(problem.to_minimisation(problem.evaluate_batch(X[rows])), float)

        yield start, objective, viol


def _program_chunks(program, n: int, chunk_bits: int):
    """Yield (start, objective-of-rows function, violations) of a BinaryProgram by doubling.

    Objective (minimisation form) from the QUBO doubling of the program's objective (the
    HUBO's zeta transform when it has terms of degree >= 3); each (linear) constraint's
    left-hand side as a low-bit table (m, 2^b) plus the high bits' constant.
    """
    from qopt.model.hubo import HUBO
    from qopt.model.quadratic import linear_diagonal
    from qopt.model.qubo import QUBO

    c, U, off = program.minimisation_objective()
    objective_qubo = QUBO(U, c, off, num_vars=n)
    if program.terms:
        groups = {**objective_qubo.all_terms(), **program.minimisation_terms(),
                  0: (np.zeros((1, 0), np.int32), np.array([off]))}
        objective_qubo = HUBO.from_groups(groups, n)
    b = min(n, chunk_bits)
    A = program.A.toarray()
    rhs = program.rhs
    senses = np.asarray(program.constraint_senses)
    low = (np.stack([linear_diagonal(row[:b]) for row in A]) if len(A)
           else np.zeros((0, 1 << b))) - rhs[:, None]                          # (m, 2^b)
    high = A[:, b:]
    le, ge = senses == "<=", senses == ">="
    eq = ~(le | ge)
    for start, energies in objective_qubo.iter_diagonal_chunks(b):
        hbits = indices_to_bits([start >> b], n - b)[0].astype(float)
        diff = low + (high @ hbits)[:, None]
        viol = (np.maximum(diff[le], 0.0).sum(axis=0) + np.maximum(-diff[ge], 0.0).sum(axis=0)
                + np.abs(diff[eq]).sum(axis=0))

        def objective(rows, energies=energies):
            return energies[rows]

        yield start, objective, viol
