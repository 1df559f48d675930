"""Time of the LABS energy diagonal (all 2^N energies, float32) by the polynomial transform.

    nice -n 5 python benchmarks/labs_diagonal.py [N ...]     (default 24 26 28 30)

Prints, per N: wall and CPU seconds (median of 3 after one warm-up at N = 12), the number of
merged terms, the memory of the result and the load average; checks the minimum against the
proven optimum.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from qopt.problems.labs import LABS


def main(ns):
    LABS(12).diagonal()                                     # compile outside the clock
    print(f"labs_diagonal {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs")
    for n in ns:
        p = LABS(n)
        terms, _ = p.spin_polynomial
        walls, cpus = [], []
        out = np.empty(1 << n, dtype=np.float32)
        for _ in range(3):
            t, c = time.perf_counter(), time.process_time()
            p.diagonal(out=out)
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
        assert out.min() == p.optimum
        print(f"N={n}: {np.median(walls):.2f} s wall ({min(walls):.2f}..{max(walls):.2f}), "
              f"{np.median(cpus):.2f} s cpu, {sum(len(c) for _, c in terms.values())} terms, "
              f"{out.nbytes / 2**30:.2f} GiB float32, min = optimum {p.optimum}, "
              f"load {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [24, 26, 28, 30])
