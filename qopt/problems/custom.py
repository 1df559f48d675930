"""Adapters that let the user's own BinaryProgram or QUBO stand where a Problem is expected."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qopt.model.lp import read_lp
from qopt.model.program import BinaryProgram
from qopt.model.qubo import QUBO
from qopt.problems.base import Problem


class ProgramProblem(Problem):
    """A user's BinaryProgram seen as a Problem: native objective = the program's objective."""

    kind = "program"

    def __init__(self, program: BinaryProgram, optimum: float | None = None):
        super().__init__(program.name, optimum)
        self.program = program
        self.sense = program.sense  # type: ignore[misc]

    @property
    def num_vars(self) -> int:
        return self.program.num_vars

    def evaluate_batch(self, X):
        return self.program.objective(X)

    def violation_batch(self, X):
        return self.program.violation(X)

    def build_program(self) -> BinaryProgram:
        return self.program

    def decode(self, bits):
        return [int(b) for b in np.asarray(bits).reshape(-1)]

    def encode(self, solution):
        return np.asarray(solution, dtype=np.uint8)


class QUBOProblem(Problem):
    """A bare QUBO seen as a Problem: minimise its energy, no constraints."""

    kind = "qubo"
    sense = "min"

    def __init__(self, qubo: QUBO, name: str = "qubo", optimum: float | None = None):
        super().__init__(name, optimum)
        self.qubo = qubo

    @property
    def num_vars(self) -> int:
        return self.qubo.num_vars

    def evaluate_batch(self, X):
        return self.qubo.energy(X)

    def violation_batch(self, X):
        return np.zeros(len(X))

    def build_program(self) -> BinaryProgram:
        q = self.qubo
        return BinaryProgram(q.num_vars, q.linear, q.quadratic, q.offset, "min", q.var_names,
                             self.name)

    def decode(self, bits):
        return [int(b) for b in np.asarray(bits).reshape(-1)]

    def encode(self, solution):
        return np.asarray(solution, dtype=np.uint8)


def load_lp(path: str | Path, fmt: str | None = None) -> ProgramProblem:
    """An LP / MPS file (binary variables) as a Problem for ``qopt.solve`` and ``--lp``;
    ``fmt`` ("lp" / "mps") where the file's suffix does not say it (see
    :func:`qopt.model.lp.read_lp`)."""
    return ProgramProblem(read_lp(path, fmt))
