"""How long the strict documentation build takes (what ``tests/test_docs.py`` pays).

Builds the site ``repeats`` times with ``mkdocs build --strict`` into a temporary directory (each
in a fresh folder, so mkdocs-jupyter's notebook cache starts empty as in CI) and prints, per
build, the wall time, the CPU time of the build process and its children, and the load average
before and after; then the median and the range. Run it in a quiet window:

    nice -n 5 python benchmarks/docs_build.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def build_once() -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one strict build."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1",
               "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f",
                               str(REPO / "mkdocs.yml"), "-d", str(Path(tmp) / "site")],
                              cwd=tmp, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"the build failed:\n{proc.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    walls, cpus = [], []
    for i in range(args.repeats):
        load0 = os.getloadavg()[0]
        wall, cpu = build_once()
        load1 = os.getloadavg()[0]
        walls.append(wall)
        cpus.append(cpu)
        print(f"build {i + 1}: wall {wall:.1f} s, CPU {cpu:.1f} s, load {load0:.1f} -> {load1:.1f}")
    print(f"median wall {statistics.median(walls):.1f} s (range {min(walls):.1f}-{max(walls):.1f}),"
          f" median CPU {statistics.median(cpus):.1f} s (range {min(cpus):.1f}-{max(cpus):.1f})")


if __name__ == "__main__":
    main()
