"""``qopt.solve``: one entry point from any supported input to a SolveResult.

One module per step: :mod:`~qopt.solving.inputs` (any input -> a Problem, :func:`as_problem`),
:mod:`~qopt.solving.entry` (:func:`solve`: keywords, Task, resource plan, the solver's run),
:mod:`~qopt.solving.assemble` (samples -> the SolveResult), :mod:`~qopt.solving.metrics` (gap,
approximation ratio, probability of the optimum).
"""

from __future__ import annotations

from qopt.samples import Samples
from qopt.solvers.base import install_solve
from qopt.solving.assemble import package_versions
from qopt.solving.entry import solve
from qopt.solving.inputs import as_problem

# Solver.solve and the did-you-mean hints of solver options reach solve() through this
install_solve(solve)

__all__ = ["Samples", "as_problem", "package_versions", "solve"]
