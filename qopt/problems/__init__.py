"""Problem classes, their readers and generators, and the shipped benchmark instances."""

from qopt.problems.base import Problem
from qopt.problems.registry import generate, kinds, load, problem_class, register, shipped_index

__all__ = ["Problem", "generate", "kinds", "load", "problem_class", "register", "shipped_index"]
