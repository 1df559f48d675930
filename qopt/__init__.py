"""qopt: quantum and classical black-box optimisation of combinatorial problems.

Pipeline: Problem -> BinaryProgram -> QUBO -> Solver -> samples -> SolveResult.
Bit order everywhere: variable i is qubit i, little-endian (see :mod:`qopt.bits`).
"""

from qopt.errors import (
    ConfigError,
    InstanceFormatError,
    OptionError,
    QoptError,
    SizeLimitError,
    SolverError,
)
from qopt.model import QUBO, BinaryProgram, Ising, program_to_qubo
from qopt.problems import generate, load
from qopt.solvers.result import SolveResult
from qopt.solving import solve

__version__ = "0.1.0"

__all__ = [
    "QUBO", "BinaryProgram", "ConfigError", "InstanceFormatError", "Ising", "OptionError",
    "QoptError", "SizeLimitError", "SolveResult", "SolverError", "generate", "load",
    "program_to_qubo", "solve",
]
