"""Any supported input -> a :class:`~qopt.problems.base.Problem` (:func:`as_problem`)."""

from __future__ import annotations

from pathlib import PurePath

import numpy as np
import scipy.sparse as sp

from qopt.errors import OptionError
from qopt.model.hubo import HUBO
from qopt.model.interop import is_model_object
from qopt.model.program import BinaryProgram
from qopt.model.qubo import QUBO
from qopt.model.user import Program
from qopt.problems import load, problem_class
from qopt.problems.base import Problem
from qopt.problems.custom import QUBOProblem
from qopt.problems.model_files import problem_of_model


def as_problem(target, kind: str | None = None) -> Problem:
    """Turn any supported input into a Problem.

    Accepts a Problem, a :class:`~qopt.Program` (the user's model: results carry its variables'
    names and values), a BinaryProgram, a :class:`QUBO` or :class:`HUBO`, a square numpy /
    scipy matrix (a QUBO ``x'Mx``), a networkx graph (with ``kind`` "maxcut" or "mis"), a string
    ``"kind:instance"`` naming a shipped instance or a file, a model file (a path ending in
    ``.lp`` / ``.mps`` / ``.qs``, or ``"lp:PATH"`` / ``"mps:PATH"`` / ``"qs:PATH"``; see
    :func:`qopt.load`), or a model object of another library (docplex ``Model``, opt-mapper
    ``OptimizationProblem``, qiskit-optimization ``QuadraticProgram``, dimod BQM /
    ``BinaryPolynomial`` / CQM; see :mod:`qopt.model.interop`).
    """
    if isinstance(target, Problem):
        return target
    if isinstance(target, Program | BinaryProgram | HUBO) or is_model_object(target):
        return problem_of_model(target)     # qopt's models; docplex, opt-mapper, dimod, ...
    if isinstance(target, str | PurePath):
        return load(target) if kind is None else load(kind, target)
    try:
        import networkx as nx
    except ImportError:  # pragma: no cover - networkx is a core dependency
        nx = None
    if nx is not None and isinstance(target, nx.Graph):
        if kind is None:
            raise OptionError("a networkx graph needs kind='maxcut' or kind='mis'")
        cls = problem_class(kind)
        if not hasattr(cls, "from_graph"):
            raise OptionError(f"problem class {kind!r} does not take a graph")
        return cls.from_graph(target)
    if sp.issparse(target) or isinstance(target, np.ndarray | list):
        try:
            matrix = target if sp.issparse(target) else np.asarray(target, float)
        except (TypeError, ValueError) as err:
            raise OptionError(f"a matrix target must be a square array of numbers ({err})") \
                from None
        return QUBOProblem(QUBO.from_matrix(matrix))
    raise OptionError(f"cannot solve an object of type {type(target).__name__}")


__all__ = ["as_problem"]
