"""Parameter transfer for the QAOA family: angles from a smaller instance or a stored schedule.

``init="transfer"`` with ``transfer_from``:

* an instance spec ``"kind:name"`` (e.g. ``"mis:1tc.16"``, the same problem class as the
  target): that instance is solved first by the same solver with the same options (mixer,
  initial state, p, alpha, restarts, shots; its own init is ``source_init``) on the same
  backend and optimizer, with the same seed and budget; its optimised angles start the target;
* a schedule file (a path ending in ``.json``, see :func:`write_schedule`): the stored angles.

Angles transfer in *normalised* units, as the solvers optimise them: gammas times the
target's own ``gamma_scale`` (1 / largest |Ising coefficient|), betas as they are. This is the
usual concentration argument (optimal normalised angles of one problem class depend weakly on
the instance; Brandao et al. 2018, Galda et al. 2021). Only standard angles transfer (one
gamma and one beta per layer; p must match): multi-angle angles are tied to the source's terms
and partial mixers and are refused.

The target then pays only its final samples, plus an optional ``fine_tune`` budget of
parameter evaluations started from the transferred angles. The source solve is reported in
``info["transfer"]`` (instance, its objective, evaluations and seconds) and is not charged to
the target's budget.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qopt.errors import ConfigError, OptionError
from qopt.solvers.quantum.angles import read_json

SCHEDULE_FORMAT = "qopt-qaoa-schedule"
#: init used to optimise the source instance
SOURCE_INITS = ("ramp", "interp", "fourier", "random")


@dataclass
class Schedule:
    """Per-layer normalised gammas and betas, shape (p,) each, and where they come from."""

    gammas: np.ndarray
    betas: np.ndarray
    source: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def p(self) -> int:
        return len(self.gammas)

    def describe(self) -> dict[str, Any]:
        return {"source": self.source, "p": self.p, "gammas": self.gammas.tolist(),
                "betas": self.betas.tolist(), **self.details}


def is_schedule_path(spec: str) -> bool:
    return str(spec).lower().endswith(".json")


def check_transfer_options(init: str, transfer_from, fine_tune, source_init: str, *,
                           multi_angle: bool = False, restarts: int = 1) -> None:
    """Option checks before any work (the solvers' ``validate`` calls it)."""
    if init == "transfer":
        if not transfer_from or not isinstance(transfer_from, str | Path):
            raise OptionError("init='transfer' needs transfer_from: a source instance "
                              "'kind:name' (e.g. 'mis:1tc.16') or a schedule file '*.json'")
        if restarts != 1:
            raise OptionError(f"init='transfer' starts from one set of angles: restarts must "
                              f"be 1, got {restarts!r} (use fine_tune for a local search)")
        if multi_angle:
            raise OptionError("init='transfer' is for standard angles: multi-angle (ma-qaoa) "
                              "angles belong to the source's own terms and partial mixers and "
                              "cannot move to an instance of another size")
    elif transfer_from is not None:
        raise OptionError(f"transfer_from={transfer_from!r} needs init='transfer' "
                          f"(init is {init!r})")
    if not isinstance(fine_tune, int) or isinstance(fine_tune, bool) or fine_tune < 0:
        raise OptionError(f"fine_tune must be a non-negative number of evaluations, got "
                          f"{fine_tune!r}")
    if source_init not in SOURCE_INITS:
        raise OptionError(f"source_init must be one of {', '.join(SOURCE_INITS)}, got "
                          f"{source_init!r}")


def read_schedule(path) -> Schedule:
    """A schedule file: JSON ``{"format": "qopt-qaoa-schedule", "gammas": [...], "betas":
    [...]}`` with normalised gammas, plus optional ``source`` and other keys (kept)."""
    path = Path(path)
    data = read_json(path, "schedule", OptionError(f"transfer_from: schedule file {path} does "
                                                   "not exist"))
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a schedule is a JSON object with 'gammas' and 'betas'")
    arrays = []
    for key in ("gammas", "betas"):
        values = data.get(key)
        if not isinstance(values, list) or not values or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in values):
            raise ConfigError(f"{path}: key {key!r} must be a non-empty list of finite numbers "
                              "(one per layer)")
        arrays.append(np.asarray(values, dtype=float))
    if arrays[0].shape != arrays[1].shape:
        raise ConfigError(f"{path}: 'gammas' has {arrays[0].size} layers and 'betas' "
                          f"{arrays[1].size}; they must match")
    details = {k: v for k, v in data.items() if k not in ("gammas", "betas", "format")}
    source = str(data.get("source", path))
    details["schedule_file"] = str(path)
    return Schedule(arrays[0], arrays[1], source, details)


def write_schedule(path, info: dict, *, source: str | None = None) -> Path:
    """Store the normalised per-layer angles of a QAOA result's ``info`` (``params`` =
    [gammas (p), betas (p)]) as a schedule file; returns the path."""
    params = np.asarray(info.get("params", []), dtype=float)
    gam = np.asarray(info.get("gammas", []), dtype=float)
    if gam.ndim != 1 or params.size != 2 * gam.size or gam.size == 0:
        raise OptionError("write_schedule needs the info of a standard-angle QAOA result "
                          "(params = [p gammas, p betas]); multi-angle results do not transfer")
    p = gam.size
    data = {"format": SCHEDULE_FORMAT, "p": p, "gammas": params[:p].tolist(),
            "betas": params[p:].tolist(), "gamma_scale_source": info.get("gamma_scale"),
            "mixer": (info.get("mixer") or {}).get("name", "x")
            if isinstance(info.get("mixer"), dict) else info.get("mixer", "x")}
    if source is not None:
        data["source"] = source
    path = Path(path)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path


def optimise_source(solver, spec: str, task, *, backend=None, optimizer=None, seed=None,
                    budget=None) -> Schedule:
    """Solve the source instance ``spec`` with ``solver``'s class and options (init
    ``source_init``, no transfer) and return its optimised angles."""
    import dataclasses

    from qopt.problems import load
    from qopt.solvers.base import Task

    try:
        source = load(spec)
    except OptionError as exc:
        raise OptionError(f"transfer_from={spec!r}: {exc}") from None
    target = task.problem
    if getattr(source, "kind", None) != getattr(target, "kind", None):
        raise OptionError(f"transfer_from={spec!r} is a {getattr(source, 'kind', '?')} "
                          f"instance; the target is {getattr(target, 'kind', '?')}: angles "
                          "transfer within one problem class")
    o = solver.options
    opts = dataclasses.replace(o, init=o.source_init, transfer_from=None, fine_tune=0)
    src_solver = type(solver).__new__(type(solver))
    src_solver.options = opts
    src_task = Task(source, penalty=task.penalty, encoding=task.encoding)
    src_solver.resource_plan(src_task, backend=backend, optimizer=optimizer,
                             budget=budget).check()
    t0 = time.perf_counter()
    out = src_solver.run(src_task, backend=backend, optimizer=optimizer, seed=seed,
                         budget=budget)
    seconds = time.perf_counter() - t0
    params = np.asarray(out.info["params"], dtype=float)
    p = o.p
    details = {"source_instance": source.name, "source_objective": out.info.get("objective"),
               "source_expectation": out.info.get("expectation"),
               "source_evaluations": int(out.evaluations or 0),
               "source_seconds": seconds, "source_num_qubits": out.num_qubits,
               "source_gamma_scale": out.info.get("gamma_scale"),
               "source_init": o.source_init}
    return Schedule(params[:p], params[p:2 * p], spec, details)


def transferred_angles(solver, task, *, backend=None, optimizer=None, seed=None,
                       budget=None) -> Schedule:
    """The schedule ``solver.options.transfer_from`` names (file or source instance), checked
    against the solver's depth p."""
    o = solver.options
    spec = str(o.transfer_from)
    if is_schedule_path(spec):
        sched = read_schedule(spec)
    else:
        sched = optimise_source(solver, spec, task, backend=backend, optimizer=optimizer,
                                seed=seed, budget=budget)
    if sched.p != o.p:
        raise OptionError(f"transfer_from={spec!r} has {sched.p} layers; this solve has p={o.p} "
                          "(set p to match)")
    return sched


__all__ = ["SCHEDULE_FORMAT", "SOURCE_INITS", "Schedule", "check_transfer_options",
           "is_schedule_path", "optimise_source", "read_schedule", "transferred_angles",
           "write_schedule"]
