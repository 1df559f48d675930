"""Best skew-symmetric LABS energies by exhaustive enumeration (the table shipped in
``qopt/problems/data/labs/optima.json``, key ``skew_symmetric``).

For odd N = 2m - 1 the skew-symmetric sequences are fixed by their first m spins; the energy of
all 2^m of them is one polynomial diagonal (:meth:`qopt.problems.labs.LABS.diagonal`), checked
here against the direct energy of the minimising sequence.

    python benchmarks/labs_skew_optima.py [max N, default 41]
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

from qopt.bits import indices_to_bits
from qopt.problems.labs import LABS


def main(max_n: int = 41) -> dict[str, int]:
    table = {}
    for n in range(3, max_n + 1, 2):
        p = LABS(n, skew=True, optimum=-1)          # optimum given: no lookup of the table
        t = time.perf_counter()
        d = p.diagonal()
        best = int(np.argmin(d))
        energy = int(p.evaluate(indices_to_bits([best], p.num_vars)[0]))
        assert energy == int(d[best]), (n, energy, d[best])
        table[str(n)] = energy
        print(f"N={n:3d} m={p.num_vars:2d} E_skew={energy:4d} ({time.perf_counter() - t:.2f} s, "
              f"load {os.getloadavg()[0]:.2f})", file=sys.stderr)
    return table


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 41)))
