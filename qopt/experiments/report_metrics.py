"""The report's numbers: rows loaded from a store, grouped and aggregated.

:func:`aggregate` computes the metrics of one group of rows (each column is defined in
:data:`qopt.experiments.report.COLUMN_DEFINITIONS`), :func:`summarise` one row of them per
group. The ``*_of`` reducers skip missing values (None / NaN).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qopt.errors import OptionError
from qopt.experiments.store import ResultStore

GROUP_INSTANCE = ["problem_class", "instance", "label", "backend"]
GROUP_SOLVER = ["problem_class", "label", "backend"]
#: a run succeeds when its solution is feasible with a gap at most this
SUCCESS_TOL = 1e-9


def load_frame(results):
    """Rows as a DataFrame from a results directory, a store file, a ResultStore, a DataFrame
    or a list of row dicts."""
    import pandas as pd

    if isinstance(results, pd.DataFrame):
        return results.copy()
    if isinstance(results, list):
        return pd.DataFrame(results)
    if isinstance(results, ResultStore):
        return results.dataframe()
    p = Path(results)
    if not p.exists():
        raise OptionError(f"{p}: no results directory or store file")
    if not ResultStore.locate(p).is_file():       # reading never creates a store
        raise OptionError(f"{ResultStore.locate(p)}: no results store (qopt sweep CONFIG "
                          f"--results {p} writes one)")
    with ResultStore.open(p) as store:
        return store.dataframe()


def tts99(mean_time: float, p_success: float, target: float = 0.99) -> float:
    """Time to reach a solution with probability ``target`` by independent repeats (s)."""
    if not np.isfinite(mean_time) or not np.isfinite(p_success) or p_success <= 0:
        return math.inf
    if p_success >= target:
        return float(mean_time)
    return float(mean_time * math.log(1 - target) / math.log(1 - p_success))


def _present(values) -> np.ndarray:
    """The values that are not missing (None / NaN), as floats."""
    return np.asarray([x for x in values if x is not None and x == x], dtype=float)


def mean_of(values) -> float:
    v = _present(values)
    return float(v.mean()) if len(v) else math.nan


def median_of(values) -> float:
    v = _present(values)
    return float(np.median(v)) if len(v) else math.nan


def min_of(values) -> float:
    v = _present(values)
    return float(v.min()) if len(v) else math.nan


def truthy(v) -> bool:
    return v is not None and v == v and bool(v)


def aggregate(rows: Sequence[dict]) -> dict[str, float]:
    """The report's metrics of one group of rows (see the module docstring)."""
    done = [r for r in rows if r["status"] == "done"]
    out: dict[str, float] = {
        "runs": len(rows), "done": len(done),
        "failed": sum(r["status"] == "failed" for r in rows),
        "skipped": sum(r["status"] == "skipped" for r in rows),
    }
    for pre in ("raw_", ""):
        feas = [truthy(r[f"{pre}feasible"]) for r in done]
        succ = [truthy(r[f"{pre}feasible"]) and r[f"{pre}gap"] is not None
                and r[f"{pre}gap"] == r[f"{pre}gap"] and r[f"{pre}gap"] <= SUCCESS_TOL
                for r in done]
        p = float(np.mean(succ)) if done else math.nan
        out[f"{pre}feasible_rate"] = float(np.mean(feas)) if done else math.nan
        out[f"{pre}gap"] = mean_of(r[f"{pre}gap"] for r in done)
        out[f"{pre}best_gap"] = min_of(r[f"{pre}gap"] for r in done)
        out[f"{pre}approx_ratio"] = mean_of(r[f"{pre}approx_ratio"] for r in done)
        out[f"{pre}success"] = p
        out[f"{pre}tts99"] = tts99(mean_of(r["wall_time"] for r in done), p) if done else math.nan
    out["prob_optimum"] = mean_of(r["prob_optimum"] for r in done)
    out["qubits"] = median_of(r["qubits"] for r in done)
    out["depth"] = median_of(r["depth"] for r in done)
    out["evaluations"] = median_of(r["evaluations"] for r in done)
    out["wall_time"] = mean_of(r["wall_time"] for r in done)
    return out


def run_records(df) -> list[dict]:
    """DataFrame rows as dicts with NaN / NaT mapped to None."""
    return df.astype(object).where(df.notna(), None).to_dict("records")


def summarise(df, by: Sequence[str] = GROUP_INSTANCE):
    """One row of :func:`aggregate` metrics per group (``by`` columns first)."""
    import pandas as pd

    records = run_records(df)
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        groups.setdefault(tuple(r[c] for c in by), []).append(r)
    out = []
    for key in sorted(groups, key=lambda k: tuple(_sort_key(v) for v in k)):
        out.append({**dict(zip(by, key)), **aggregate(groups[key])})
    return pd.DataFrame(out)


def _sort_key(v):
    if v is None:
        return (0, "")
    return (1, f"{v:012.3f}") if isinstance(v, int | float) else (1, str(v))


__all__ = ["GROUP_INSTANCE", "GROUP_SOLVER", "SUCCESS_TOL", "aggregate", "load_frame",
           "mean_of", "median_of", "min_of", "run_records", "summarise", "truthy", "tts99"]
