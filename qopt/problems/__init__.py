"""Problem classes, their readers and generators, and the shipped benchmark instances."""

# importing the class modules registers them
from qopt.problems.base import Problem
from qopt.problems.custom import load_lp
from qopt.problems.labs import LABS
from qopt.problems.maxcut import MaxCut
from qopt.problems.mdkp import MDKP
from qopt.problems.mis import MIS
from qopt.problems.msp import MarketSplit
from qopt.problems.qap import QAP
from qopt.problems.registry import generate, kinds, load, problem_class, register, shipped_index

__all__ = ["LABS", "MDKP", "MIS", "QAP", "MarketSplit", "MaxCut", "Problem", "generate", "kinds",
           "load", "load_lp", "problem_class", "register", "shipped_index"]
