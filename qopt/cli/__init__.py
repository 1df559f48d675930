"""The ``qopt`` command: list | solve | sweep | report | partition.

One module per command (:mod:`~qopt.cli.list`, :mod:`~qopt.cli.solve`, :mod:`~qopt.cli.sweep`,
:mod:`~qopt.cli.report`, :mod:`~qopt.cli.partition`), the shared option parsing in
:mod:`~qopt.cli.options`, the parser and dispatch in :mod:`~qopt.cli.app`. Solver options are
flags named after the solver's option fields (``--p 3``, ``--alpha 0.25``); ``qopt list`` and
``qopt solve --help`` show them.
"""

from qopt.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
