"""qiskit-optimization ``QuadraticProgram`` (0.7) in and out.

qiskit-optimization was archived in 2026; its successor qiskit-addon-opt-mapper kept the same
model API, so both go through one reader and writer (:mod:`qopt.model.interop.opt_mapper`).
In: binary and bounded integer variables, the linear + quadratic objective, linear and
quadratic constraints (continuous variables refused, naming the variable). Out: the same;
a model with spin variables or terms of degree > 2 has no QuadraticProgram form and is
refused (write it as an opt-mapper ``OptimizationProblem`` instead).
"""

from __future__ import annotations

from qopt.model.interop._extra import require
from qopt.model.interop.opt_mapper import read_problem, write_problem
from qopt.model.interop.terms import ModelTerms, refuse

SOURCE = "QuadraticProgram"


def from_quadratic_program(program) -> ModelTerms:
    """The :class:`ModelTerms` of a qiskit-optimization ``QuadraticProgram``."""
    return read_problem(program, SOURCE)


def to_quadratic_program(model: ModelTerms):
    """A qiskit-optimization ``QuadraticProgram`` saying the same as ``model``."""
    qo = require("qiskit_optimization", "writing a QuadraticProgram")
    refuse(model, "a QuadraticProgram", kinds=("binary", "integer"), max_degree=2)
    return write_problem(model, qo.QuadraticProgram(model.name))


__all__ = ["from_quadratic_program", "to_quadratic_program"]
