"""``qopt.replay(DIR)`` / ``qopt replay DIR``: recompute a recorded device run from its record.

See :mod:`qopt.recording` for what a record holds and why a replay gives the same result.
"""

from __future__ import annotations

import hashlib
import pickle
from typing import Any

from qopt.errors import OptionError
from qopt.recording import VOLATILE
from qopt.solvers.registry import make_solver
from qopt.solving import solve


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two plain results differ (keys in :data:`VOLATILE` skipped), as dotted paths."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k in VOLATILE:
                continue
            out += differences(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b))
                for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [path or "<root>"]


def replay(path) -> Any:
    """Recompute the result of the run recorded in ``path`` from the record alone (no device,
    no credentials): a :class:`~qopt.solvers.result.SolveResult` whose ``info["replay"]`` says
    how many jobs were replayed and whether the result is identical to the recorded one
    (``identical``; ``differences`` lists where not, timings and versions aside)."""
    from qopt.backends.record import Record, ReplayError, read_json

    rec = Record.open_replay(path)
    call = rec.call
    t = call["target"]
    if "pickle" in t:
        try:
            blob = (rec.path / t["pickle"]).read_bytes()
        except OSError as exc:
            raise ReplayError(f"{rec.path / t['pickle']}: cannot read the recorded problem "
                              f"({type(exc).__name__})") from None
        if hashlib.sha256(blob).hexdigest() != t["sha256"]:
            raise OptionError(f"{rec.path / t['pickle']}: the pickled problem does not match "
                              "its digest in record.json")
        target, kind = pickle.loads(blob), None
    else:
        target, kind = t["spec"], t.get("kind")
    b = dict(call["backend"])
    backend = b.pop("spec")
    if b.pop("object", False) and backend is not None:
        from qopt.backends.replay import ReplayBackend

        # a backend or sampler object (ibm:, fake:, any Qiskit sampler): served from the
        # record, never run
        backend = ReplayBackend(backend, **b)
    # the solver made first: its option fields may share names with solve's keywords
    slv = make_solver(call["solver"], **call["options"])
    result = solve(target, slv, kind=kind, backend=backend,
                   optimizer=call["optimizer"], seed=call["seed"], budget=call["budget"],
                   penalty=call["penalty"], encoding=call["encoding"],
                   postprocess=call["postprocess"], mitigation=call["mitigation"],
                   optimum=call.get("optimum"), reference=call.get("reference"), record=rec)
    recorded = read_json(rec.path / "result.json") if (rec.path / "result.json").exists() \
        else None
    diff = None if recorded is None else differences(result.to_dict(), recorded)
    result.info["replay"] = {"path": str(rec.path), "jobs": rec.reused,
                             "recorded_result": recorded is not None,
                             "identical": None if diff is None else not diff,
                             "differences": diff}
    return result


__all__ = ["differences", "replay"]
