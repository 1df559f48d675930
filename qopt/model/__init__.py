"""Core models: the user's Program, BinaryProgram, HUBO / QUBO / Ising, conversion, penalties."""

from qopt.model.convert import program_to_qubo, slack_weights
from qopt.model.expr import Constraint, Expression, Variable
from qopt.model.hubo import HUBO
from qopt.model.ising import Ising
from qopt.model.lowering import Lowering
from qopt.model.lp import read_lp, write_lp
from qopt.model.penalty import auto_penalty
from qopt.model.program import BinaryProgram
from qopt.model.qubo import QUBO
from qopt.model.user import Program

__all__ = [
           "HUBO",
           "QUBO",
           "BinaryProgram",
           "Constraint",
           "Expression",
           "Ising",
           "Lowering",
           "Program",
           "Variable",
           "auto_penalty",
           "program_to_qubo",
           "read_lp",
           "slack_weights",
           "write_lp",
]
