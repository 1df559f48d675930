"""Random search: uniform random bit vectors (or permutations), optionally repaired, until the
evaluation budget is spent. The floor every other baseline must beat."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qopt.errors import OptionError
from qopt.solvers.base import Solver, SolverOutput, Task, rng_from
from qopt.solvers.classical.blackbox import (
    BlackBox,
    random_permutations,
    solver_output,
)
from qopt.solvers.plans import add_blackbox


@dataclass
class RandomSearchOptions:
    """Options of ``random``.

    Attributes:
        batch_size: candidates drawn and evaluated per batch.
        density: probability of a one in each random bit (ignored for permutation problems).
        repair: apply the problem's repair operator to each candidate before evaluating it.
    """

    batch_size: int = 256
    density: float = 0.5
    repair: bool = True

    def validate(self) -> None:
        if self.batch_size < 1:
            raise OptionError(f"batch_size must be >= 1, got {self.batch_size}")
        if not 0.0 <= self.density <= 1.0:
            raise OptionError(f"density must be in [0, 1], got {self.density}")


class RandomSearchSolver(Solver):
    """Uniform random sampling under the evaluation budget (black-box view only)."""

    name = "random"
    input = "problem"
    Options = RandomSearchOptions

    def plan_resources(self, plan, task, *, backend=None, optimizer=None, budget=None):
        """The budget's time (``--budget``) and one batch (``--batch-size``): uniform float64
        draws, bit rows and their repaired copies, objective and violation per row."""
        n = int(task.problem.num_vars)
        evaluations = add_blackbox(plan, n, budget)
        rows = min(int(self.options.batch_size), evaluations)
        plan.add(f"one batch ({rows} x {n})", rows * (11 * max(n, 1) + 64), "--batch-size")

    def run(self, task: Task, *, backend=None, optimizer=None, seed: int | None = None,
            budget: int | None = None) -> SolverOutput:
        o: RandomSearchOptions = self.options
        bb = BlackBox(task.problem, budget)
        rng = rng_from(seed)
        m = bb.permutation_size
        while not bb.exhausted:
            k = min(o.batch_size, bb.remaining)
            if m is not None:
                X = bb.encode_permutations(random_permutations(rng, k, m))
            else:
                X = (rng.random((k, bb.num_vars)) < o.density).astype(np.uint8)
                if o.repair:
                    X = bb.repair(X)
            bb.evaluate_upto(X)  # a charged repair may have used part of the batch's budget
        return solver_output(bb, info={"encoding": "permutation" if m else "binary"})
