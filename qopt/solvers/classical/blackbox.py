"""The black-box view classical baselines see: a counted ``evaluate`` and nothing else.

A :class:`BlackBox` wraps a Problem and offers only what a black-box optimiser may use:

* ``evaluate(X)`` — for bit rows ``X`` of shape (k, n) returns ``(f, v)``, both shape (k,):
  the *minimisation* objective (the native objective mapped through the problem's ``sense``)
  and the total constraint violation (0 when feasible). Each row costs one evaluation; a
  batch that does not fit in the remaining budget raises :class:`BudgetExhausted` before
  anything is evaluated, so the counter can never pass the budget.
* ``repair(X)`` — the problem's own repair operator (through the Problem protocol: its
  vectorised ``repair_batch`` where the class has one, else ``repair`` row by row). A
  constructive repair (MDKP, MIS: greedy by ratios / degrees) costs nothing; objective
  evaluations a repair makes itself (e.g. a local-search repair) are charged to the budget.
* ``permutation_size`` / ``encode_permutations`` — for problems whose bits one-hot encode a
  permutation (the Problem protocol's ``permutation_size()`` hook).

The box also keeps the incumbent — the best row ever evaluated in (violation, objective)
order — so a solver can never lose its best solution, and a short history of it.

Budget unit: one evaluation = the objective (and violation) of one candidate bit vector.
Quantum solvers convert what they spend into the same unit (one measured shot = one
evaluation), see :mod:`qopt.solvers.budget`.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np

from qopt import progress
from qopt.bits import as_bit_matrix
from qopt.errors import OptionError, SolverError
from qopt.problems.base import Problem

#: evaluations a baseline spends when ``budget`` is not given
DEFAULT_BUDGET = 10_000
#: repaired rows remembered by :meth:`BlackBox.repair` (cleared when full)
_REPAIR_CACHE = 200_000


class BudgetExhausted(SolverError):
    """``evaluate`` was asked for more rows than the remaining budget (nothing was evaluated)."""


def check_budget(budget) -> int:
    """``budget`` (None -> :data:`DEFAULT_BUDGET`) as a positive int, else OptionError."""
    if budget is None:
        return DEFAULT_BUDGET
    if isinstance(budget, bool) or not isinstance(budget, int | np.integer) or budget <= 0:
        raise OptionError(f"budget must be a positive number of evaluations, got {budget!r}")
    return int(budget)


class BlackBox:
    """Counted black-box view of ``problem`` with at most ``budget`` evaluations.

    Attributes:
        num_vars: n, the length of a bit vector.
        budget: the evaluation budget (int).
        evaluations: evaluations spent so far (never above ``budget``).
        best_x: incumbent bits, shape (n,) uint8 (None before the first evaluation).
        best_f / best_v: its minimisation objective and violation.
        history: one dict per evaluated batch: evaluations so far, incumbent native objective
            and feasibility.
    """

    def __init__(self, problem: Problem, budget: int | None = None):
        self._problem = problem
        self.budget = check_budget(budget)
        self.num_vars = int(problem.num_vars)
        self.sense = problem.sense  # direction of the native objective, "min" or "max"
        self.evaluations = 0
        self.repair_evaluations = 0  # the part of ``evaluations`` spent inside repair
        self._closed = False
        self.best_x: np.ndarray | None = None
        self.best_f = math.inf
        self.best_v = math.inf
        self.history: list[dict] = []
        self._has_repair = type(problem).repair is not Problem.repair
        self._batch_repair = type(problem).repair_batch is not Problem.repair_batch
        self._repaired: dict[bytes, np.ndarray] = {}
        self._perm = _permutation_size(problem)

    # ---- budget ---------------------------------------------------------------------------
    @property
    def remaining(self) -> int:
        """Evaluations still allowed (0 once a charged repair was refused)."""
        return 0 if self._closed else self.budget - self.evaluations

    @property
    def exhausted(self) -> bool:
        return self.remaining <= 0

    # ---- evaluation -----------------------------------------------------------------------
    def evaluate(self, X) -> tuple[np.ndarray, np.ndarray]:
        """(minimisation objective, violation) of each row of X, shape (k, n) -> 2 x (k,).

        Raises :class:`BudgetExhausted` (evaluating nothing) if k exceeds ``remaining``."""
        X, _ = as_bit_matrix(X)
        if X.shape[1] != self.num_vars:
            raise OptionError(f"rows have {X.shape[1]} bits, the problem has {self.num_vars}")
        k = X.shape[0]
        if k > self.remaining:
            raise BudgetExhausted(f"{k} evaluations asked, {self.remaining} of the budget of "
                                  f"{self.budget} left")
        if k == 0:
            return np.zeros(0), np.zeros(0)
        p = self._problem
        f = np.asarray(p.to_minimisation(np.asarray(p.evaluate_batch(X), dtype=float)), float)
        v = np.asarray(p.violation_batch(X), dtype=float)
        self.evaluations += k
        self._update(X, f, v)
        return f, v

    def evaluate_upto(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`evaluate` but evaluates only the first ``remaining`` rows (maybe none)."""
        X, _ = as_bit_matrix(X)
        return self.evaluate(X[: self.remaining])

    def _update(self, X: np.ndarray, f: np.ndarray, v: np.ndarray, record: bool = True) -> None:
        i = int(np.lexsort((f, v))[0])
        if better(v[i], f[i], self.best_v, self.best_f):
            self.best_x, self.best_f, self.best_v = X[i].copy(), float(f[i]), float(v[i])
        if record:
            self.history.append({"evaluations": self.evaluations,
                                 "best": float(self.native(self.best_f)),
                                 "feasible": bool(self.best_v <= 1e-9)})
        progress.count(len(X), self.best_f, self.budget)   # rows of X were just evaluated

    def native(self, f):
        """Minimisation objective value(s) back in the problem's native sense."""
        return self._problem.to_minimisation(f)  # the map is its own inverse (identity or -)

    # ---- operators through the Problem protocol --------------------------------------------
    @property
    def has_repair(self) -> bool:
        """Whether the problem provides a repair operator (not counted as evaluations)."""
        return self._has_repair

    def repair(self, X) -> np.ndarray:
        """The problem's repair of each row, shape (k, n) uint8; rows unchanged without one.

        Objective evaluations the repair operator makes itself (a repair that is a local
        search) are charged to the budget; when they would pass it, the remaining rows are
        returned unrepaired and the box is exhausted."""
        X, _ = as_bit_matrix(X)
        if not self._has_repair or len(X) == 0:
            return X.copy()
        if self._batch_repair:
            with self._charging():       # a vectorised repair: the whole batch in one call
                return np.asarray(self._problem.repair_batch(X), dtype=np.uint8)
        # the protocol's repair takes one vector: loop over the (few hundred) distinct rows,
        # remembering results, since GAs re-propose the same offspring again and again
        out = X.copy()
        cache = self._repaired
        with self._charging():
            for r, x in enumerate(X):
                key = x.tobytes()
                y = cache.get(key)
                if y is None:
                    try:
                        y = np.asarray(self._problem.repair(x), dtype=np.uint8).reshape(-1)
                    except BudgetExhausted:
                        break
                    if len(cache) >= _REPAIR_CACHE:
                        cache.clear()
                    cache[key] = y
                out[r] = y
        return out

    @contextmanager
    def _charging(self):
        """Within the block, the problem's ``evaluate_batch`` charges its rows to the budget
        (raising :class:`BudgetExhausted`, evaluating nothing, past it)."""
        p = self._problem
        saved = p.__dict__.get("evaluate_batch")
        inner = p.evaluate_batch

        def charged(Xr):
            k = len(Xr)
            if k > self.remaining:
                self._closed = True  # the budget cannot pay for this call: stop here
                raise BudgetExhausted("the repair operator ran out of evaluations")
            vals = inner(Xr)
            self.evaluations += k
            self.repair_evaluations += k
            B, _ = as_bit_matrix(Xr)
            if k:  # candidates the repair evaluated count for the incumbent too
                f = np.asarray(p.to_minimisation(np.asarray(vals, dtype=float)), float)
                self._update(B, f, np.asarray(p.violation_batch(B), dtype=float),
                             record=False)
            return vals

        p.evaluate_batch = charged
        try:
            yield
        finally:
            if saved is None:
                del p.evaluate_batch
            else:
                p.evaluate_batch = saved

    @property
    def permutation_size(self) -> int | None:
        """m when the bits encode a permutation of m items, else None."""
        return self._perm

    def encode_permutations(self, P) -> np.ndarray:
        """Permutations, shape (k, m) ints, to bit rows, shape (k, n) uint8, via the
        protocol's ``encode_batch`` (``encode`` row by row unless the class vectorises it)."""
        if self._perm is None:
            raise OptionError(f"problem {self._problem.name!r} is not a permutation problem")
        P = np.atleast_2d(np.asarray(P, dtype=np.int64))
        if not len(P):
            return np.zeros((0, self.num_vars), np.uint8)
        return np.asarray(self._problem.encode_batch(P), dtype=np.uint8)

    def evaluate_permutations(self, P) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`evaluate` of permutation rows (each row one evaluation)."""
        return self.evaluate(self.encode_permutations(P))


def better(v1: float, f1: float, v2: float, f2: float, tol: float = 1e-9) -> bool:
    """Whether (violation v1, objective f1) is strictly better than (v2, f2): a smaller
    violation first, then (at equal violation) a smaller minimisation objective."""
    if v1 < v2 - tol:
        return True
    return abs(v1 - v2) <= tol and f1 < f2


def _permutation_size(problem: Problem) -> int | None:
    """The Problem protocol's ``permutation_size()`` hook (None: not a permutation problem)."""
    m = problem.permutation_size()
    return None if m is None else int(m)


def random_permutations(rng: np.random.Generator, k: int, m: int) -> np.ndarray:
    """k uniformly random permutations of 0..m-1, shape (k, m) int64 (vectorised argsort)."""
    return np.argsort(rng.random((k, m)), axis=1)


def solver_output(bb: BlackBox, status: str | None = None, info: dict | None = None,
                  extra=None):
    """The SolverOutput of a black-box run: the incumbent first (then ``extra`` bit rows,
    e.g. a final population), ``evaluations`` = the box's counter, the incumbent history."""
    from qopt.solvers.base import Samples, SolverOutput

    if bb.best_x is None:
        raise SolverError("no candidate was evaluated (budget too small?)")
    rows = bb.best_x[None, :]
    if extra is not None and len(extra):
        rows = np.concatenate([rows, np.asarray(extra, dtype=np.uint8)])
    if not bb.history or bb.history[-1]["evaluations"] != bb.evaluations:
        bb.history.append({"evaluations": bb.evaluations, "best": float(bb.native(bb.best_f)),
                           "feasible": bool(bb.best_v <= 1e-9)})
    info = dict(info or {})
    info.update(budget=bb.budget, evaluations=bb.evaluations,
                repair_evaluations=bb.repair_evaluations)
    return SolverOutput(samples=Samples(rows), status=status or "done",
                        evaluations=bb.evaluations, history=bb.history, info=info)
