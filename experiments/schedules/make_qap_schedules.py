"""Stored QAOA angle schedules for QAP by parameter transfer (experiments/paper.toml).

The shipped QAP instances have n >= 10 (10! = 3.6e6 permutations and more), where one
optimisation of the constraint-preserving QAOA takes longer than a sweep run may. This script
optimises the same ansatz (``mixer="feasible"``: swap partial mixers from the uniform
superposition over permutations) on a generated QAP with n = 8 (40,320 permutations; seed 0)
and stores its normalised angles, p = 1 (from the linear ramp) and p = 3 (INTERP from p = 1),
as schedule files the sweep transfers:

    python experiments/schedules/make_qap_schedules.py
"""

from __future__ import annotations

from pathlib import Path

import qopt
from qopt.solvers.quantum.transfer import write_schedule

HERE = Path(__file__).parent


def main(depths=(1, 3)) -> None:
    source = qopt.generate("qap", 8, seed=0)
    for p in depths:
        # p = 3 grows from p = 1 (INTERP): from the linear ramp COBYLA stayed near p = 0
        res = qopt.solve(source, "qaoa", mixer="feasible", p=p, seed=0, budget=1000,
                         init="ramp" if p == 1 else "interp")
        path = write_schedule(HERE / f"qap_p{p}.json", res.info,
                              source=f"qap generated n=8 seed 0 ({source.name})")
        print(f"{path}: p={p} objective {res.info['objective']:.6g} (p=0: "
              f"{res.info['initial_expectation']:.6g}), {res.evaluations} evaluations, "
              f"{res.wall_time:.1f} s")


if __name__ == "__main__":
    main()
