"""Core models: BinaryProgram, QUBO / Ising, conversion and penalty policies."""

from qopt.model.convert import program_to_qubo, slack_weights
from qopt.model.lp import read_lp, write_lp
from qopt.model.penalty import auto_penalty
from qopt.model.program import BinaryProgram
from qopt.model.qubo import QUBO, Ising

__all__ = ["QUBO", "BinaryProgram", "Ising", "auto_penalty", "program_to_qubo", "read_lp",
           "slack_weights", "write_lp"]
