"""QUBO: minimise ``E(x) = x'Ux + c'x + offset`` over x in {0,1}^n, U strictly upper.

:class:`QUBO` is the degree <= 2 case of :class:`~qopt.model.hubo.HUBO` and is defined beside
it in :mod:`qopt.model.hubo` (a HUBO turns into a QUBO, a QUBO is a HUBO: one module, no import
cycle); this module keeps the names importable from here. Bit order follows :mod:`qopt.bits`:
variable i is qubit i, bit i of a basis-state index. The first ``num_program_vars`` variables
are the source program's; any further ones are slack bits added by the conversion, listed in
``QUBO.slack_blocks``, and auxiliary bits of a quadratisation (``QUBO.aux_pairs``).
"""

from __future__ import annotations

from qopt.model.hubo import DEFAULT_CHUNK_BITS, MAX_DIAGONAL_VARS, QUBO
from qopt.model.ising import Ising
from qopt.model.slack import SlackBlock

__all__ = ["DEFAULT_CHUNK_BITS", "MAX_DIAGONAL_VARS", "QUBO", "Ising", "SlackBlock"]
