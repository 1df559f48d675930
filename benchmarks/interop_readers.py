"""Time the model-file readers on generated files: QOBLIB .qs (pandas fast path and the strict
line-by-line reader), write_qs, and an LP file with integer variables through HiGHS.

Run: nice -n 5 python benchmarks/interop_readers.py [--entries 1000000] [--repeats 3]
Prints, per step, the median and spread of wall and CPU seconds with the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from qopt.model.interop.terms import ModelTerms, Polynomial
from qopt.model.lp import read_lp_terms, write_lp
from qopt.model.qs import _parse_strict, _read_text, read_qs, write_qs
from qopt.model.qubo import QUBO


def timed(fn, repeats: int) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return wall, cpu


def report(name: str, wall: list[float], cpu: list[float]) -> None:
    load = os.getloadavg()[0]
    print(f"{name:<34} wall {statistics.median(wall):7.3f} s [{min(wall):.3f}, {max(wall):.3f}]"
          f"  cpu {statistics.median(cpu):7.3f} s  load {load:.1f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    n = int(np.sqrt(2 * args.entries)) + 1
    upper = sp.triu(sp.random(n, n, density=min(1.0, 2 * args.entries / n ** 2),
                              random_state=1, format="csr"), 1)
    qubo = QUBO(upper, rng.normal(size=n), 3.0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.qs"
        report(f"write_qs ({upper.nnz + n} entries)", *timed(lambda: write_qs(qubo, path),
                                                              args.repeats))
        print(f"  file: {path.stat().st_size / 1e6:.1f} MB, n = {n}")
        report("read_qs (pandas fast path)", *timed(lambda: read_qs(path), args.repeats))
        report("read_qs strict (line by line)",
               *timed(lambda: _parse_strict(path, _read_text(path)), args.repeats))
        # an integer LP: 2000 integers in [0, 7], 500 rows of 20 terms
        model = ModelTerms(name="ints")
        for i in range(2000):
            model.add_variable(f"n{i}", "integer", 0, 7)
        model.objective = Polynomial({(i,): float(rng.normal()) for i in range(2000)})
        for r in range(500):
            idx = rng.choice(2000, 20, replace=False)
            model.add_constraint(f"r{r}", Polynomial({(int(i),): 1.0 for i in idx}), "<=", 40)
        lp = Path(tmp) / "ints.lp"
        write_lp(model, lp)
        report("read_lp_terms (2000 ints, 500 rows)", *timed(lambda: read_lp_terms(lp),
                                                             args.repeats))


if __name__ == "__main__":
    main()
