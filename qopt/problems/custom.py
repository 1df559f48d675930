"""Adapters that let the user's own Program, BinaryProgram, HUBO or QUBO stand where a Problem
is expected."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from qopt.model.hubo import HUBO
from qopt.model.lowering import Lowering
from qopt.model.lp import read_lp
from qopt.model.program import BinaryProgram
from qopt.model.user import Program
from qopt.problems.base import Problem


class ModelProblem(Problem):
    """A user's :class:`~qopt.model.user.Program` seen as a Problem over its lowered bits.

    The native objective is the model's own objective (exactly, at the decoded values);
    ``decode`` and ``values`` give ``{variable name: value}`` (ints; +/-1 for spins);
    ``encodings`` overrides integer encodings by variable name (see
    :meth:`~qopt.model.user.Program.lower`).
    """

    kind = "model"

    def __init__(self, program: Program, optimum: float | None = None,
                 encodings: Mapping[str, str] | None = None):
        super().__init__(program.name, optimum)
        self.model = program
        self.lowering: Lowering = program.lower(encodings)
        self.sense = program.sense  # type: ignore[misc]

    @property
    def num_vars(self) -> int:
        return self.lowering.program.num_vars

    def evaluate_batch(self, X):
        return self.lowering.program.objective(X)

    def violation_batch(self, X):
        return self.lowering.program.violation(X)

    def build_program(self) -> BinaryProgram:
        return self.lowering.program

    def decode(self, bits):
        return self.lowering.decode(bits)

    def values(self, bits) -> dict:
        return self.lowering.decode(bits)

    def encode(self, solution):
        if isinstance(solution, Mapping):
            return self.lowering.encode(solution)
        return np.asarray(solution, dtype=np.uint8)

    def describe(self) -> dict:
        out = super().describe()
        out["variables"] = self.lowering.describe()
        return out


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
    """A bare QUBO or HUBO seen as a Problem: minimise its energy, no constraints."""

    kind = "qubo"
    sense = "min"

    def __init__(self, qubo: HUBO, name: str = "qubo", optimum: float | None = None):
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
        prog = BinaryProgram(q.num_vars, q.linear, q.quadratic, q.offset, "min", q.var_names,
                             self.name)
        prog.terms = dict(q.terms)
        return prog

    def decode(self, bits):
        return [int(b) for b in np.asarray(bits).reshape(-1)]

    def encode(self, solution):
        return np.asarray(solution, dtype=np.uint8)


def load_lp(path: str | Path, fmt: str | None = None) -> ProgramProblem:
    """An LP / MPS file (binary variables) as a Problem for ``qopt.solve`` and ``--lp``;
    ``fmt`` ("lp" / "mps") where the file's suffix does not say it (see
    :func:`qopt.model.lp.read_lp`)."""
    return ProgramProblem(read_lp(path, fmt))
