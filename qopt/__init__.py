"""qopt: quantum and classical black-box optimisation of combinatorial problems.

Pipeline: Problem -> BinaryProgram -> QUBO -> Solver -> samples -> SolveResult.
Bit order everywhere: variable i is qubit i, little-endian (see :mod:`qopt.bits`).
"""

# first of all: numba's kernel cache goes to a per-user directory, never into the package
from qopt.compilation import configure_cache as _configure_cache

_configure_cache()

from qopt.errors import (  # noqa: E402
    ConfigError,
    InstanceFormatError,
    ModelError,
    OptionError,
    QoptError,
    SizeLimitError,
    SolverError,
)
from qopt.model import HUBO, QUBO, BinaryProgram, Ising, Program, program_to_qubo  # noqa: E402
from qopt.planning import Plan, plan  # noqa: E402
from qopt.problems import generate, load  # noqa: E402
from qopt.records import replay  # noqa: E402
from qopt.solvers.result import SolveResult  # noqa: E402
from qopt.solving import as_problem, solve  # noqa: E402
from qopt.version import __version__ as __version__  # noqa: E402

__all__ = [
    "HUBO", "QUBO", "BinaryProgram", "ConfigError", "InstanceFormatError", "Ising",
    "ModelError", "OptionError", "Plan", "Program",
    "QoptError", "SizeLimitError", "SolveResult", "SolverError", "as_problem", "generate",
    "load", "plan", "program_to_qubo", "replay", "solve",
]
