"""The report's numbers: rows loaded from a store, grouped and aggregated over seeds.

:func:`aggregate` computes the metrics of one group of rows (one solver configuration on one
instance, or on every instance of a class; each column is defined in
:data:`qopt.experiments.report_tables.COLUMN_DEFINITIONS`), :func:`summarise` one row of them
per group. Every metric is a point estimate over the group's ``done`` runs -- a **median**
for per-run values (gap, ratios, probabilities, times, counts), a share for rates, TTS99 for
time to solution -- with a **95 % bootstrap interval** over the runs (the seeds) in the columns
``<metric>_ci95_low`` / ``<metric>_ci95_high``: :data:`BOOTSTRAP_RESAMPLES` percentile
resamples from :data:`BOOTSTRAP_SEED` (``scipy.stats.bootstrap``; same rows, same interval).
A group with fewer than two values has no interval (NaN, shown as the value alone).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from qopt.errors import OptionError
from qopt.experiments.store import ResultStore

GROUP_INSTANCE = ["problem_class", "instance", "label", "backend"]
GROUP_SOLVER = ["problem_class", "label", "backend"]
#: a run succeeds when its solution is feasible with a gap at most this
SUCCESS_TOL = 1e-9
#: bootstrap resamples per interval and the seed they are drawn from
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 0
#: confidence level of the intervals
CONFIDENCE = 0.95

#: per-run values reported as a median with an interval: summary key -> the row columns it
#: is read from, first present wins (stores of an older qopt have ``evaluations`` only)
MEDIANS: dict[str, tuple[str, ...]] = {
    "raw_gap": ("raw_gap",), "gap": ("gap",),
    "raw_approx_ratio": ("raw_approx_ratio",), "approx_ratio": ("approx_ratio",),
    "expectation_ratio": ("expectation_ratio",),
    "prob_optimum": ("prob_optimum",), "prob_optimum_exact": ("prob_optimum_exact",),
    "qubits": ("qubits",), "depth": ("depth",),
    "objective_evaluations": ("objective_evaluations", "evaluations"),
    "shots_total": ("shots_total",), "circuit_executions": ("circuit_executions",),
    "wall_time": ("wall_time",),
}
#: every summary key that carries ``_ci95_low`` / ``_ci95_high`` columns
INTERVAL_KEYS: tuple[str, ...] = (
    *MEDIANS, "raw_feasible_rate", "feasible_rate", "raw_tts99", "tts99")


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


def bootstrap_interval(samples: Sequence[np.ndarray], statistic: Callable,
                       ) -> tuple[float, float]:
    """95 % percentile bootstrap interval of ``statistic`` over paired ``samples`` (arrays of
    one length n, resampled together; ``statistic(*arrays, axis=-1)`` vectorised). (nan, nan)
    when n < 2. Resamples and seed: :data:`BOOTSTRAP_RESAMPLES`, :data:`BOOTSTRAP_SEED`."""
    from scipy.stats import bootstrap

    arrays = [np.asarray(s, dtype=float) for s in samples]
    if not arrays or len(arrays[0]) < 2:
        return math.nan, math.nan
    if all(np.all(a == a[0]) for a in arrays):   # one value repeated: no spread to resample
        v = float(statistic(*(a[None, :] for a in arrays), axis=-1)[0])
        return v, v
    with np.errstate(divide="ignore", invalid="ignore"):
        res = bootstrap(arrays, statistic, n_resamples=BOOTSTRAP_RESAMPLES,
                        confidence_level=CONFIDENCE, method="percentile", paired=True,
                        vectorized=True, random_state=np.random.default_rng(BOOTSTRAP_SEED))
    ci = res.confidence_interval
    return float(ci.low), float(ci.high)


def _median(x, axis=-1):
    return np.median(x, axis=axis)


def _mean(x, axis=-1):
    return np.mean(x, axis=axis)


def _tts99_stat(times, success, axis=-1):
    """TTS99 of resampled (time, success) pairs, vectorised over the leading axes."""
    t = np.mean(times, axis=axis)
    p = np.mean(success, axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = t * math.log(0.01) / np.log1p(-np.minimum(p, 1.0))
    out = np.where(p >= 0.99, t, out)
    return np.where(p <= 0, np.inf, out)


def _with_interval(out: dict, key: str, value: float, low: float, high: float) -> None:
    out[key] = value
    out[f"{key}_ci95_low"] = low
    out[f"{key}_ci95_high"] = high


def aggregate(rows: Sequence[dict]) -> dict[str, float]:
    """The report's metrics of one group of rows (see the module docstring)."""
    done = [r for r in rows if r["status"] == "done"]
    out: dict[str, float] = {
        "runs": len(rows), "done": len(done),
        "failed": sum(r["status"] == "failed" for r in rows),
        "skipped": sum(r["status"] == "skipped" for r in rows),
    }
    #: runs measured against a reference optimum (0: the table says "no reference")
    out["with_reference"] = sum(r.get("optimum") is not None and r.get("optimum") == r.get(
        "optimum") for r in done)
    times = _present(r.get("wall_time") for r in done)
    for pre in ("raw_", ""):
        feas = np.asarray([truthy(r.get(f"{pre}feasible")) for r in done], dtype=float)
        succ = np.asarray([truthy(r.get(f"{pre}feasible")) and _hit(r.get(f"{pre}gap"))
                           for r in done], dtype=float)
        rate = float(feas.mean()) if done else math.nan
        _with_interval(out, f"{pre}feasible_rate", rate, *bootstrap_interval([feas], _mean))
        out[f"{pre}best_gap"] = min_of(r.get(f"{pre}gap") for r in done)
        p = float(succ.mean()) if done else math.nan
        out[f"{pre}success"] = p
        timed = [(r["wall_time"], s) for r, s in zip(done, succ)
                 if r.get("wall_time") is not None and r["wall_time"] == r["wall_time"]]
        tts = tts99(float(times.mean()), p) if done and len(times) else math.nan
        t_arr, s_arr = (np.asarray(v, dtype=float) for v in zip(*timed)) if timed \
            else (np.zeros(0), np.zeros(0))
        _with_interval(out, f"{pre}tts99", tts,
                       *bootstrap_interval([t_arr, s_arr], _tts99_stat))
    for key, columns in MEDIANS.items():
        v = _present(_first(r, columns) for r in done)
        _with_interval(out, key, float(np.median(v)) if len(v) else math.nan,
                       *bootstrap_interval([v], _median))
    return out


def _first(row: dict, columns: tuple[str, ...]):
    """The value of the first of ``columns`` present (not None / NaN) in ``row``."""
    for c in columns:
        v = row.get(c)
        if v is not None and v == v:
            return v
    return None


def _hit(gap) -> bool:
    return gap is not None and gap == gap and gap <= SUCCESS_TOL


def run_records(df) -> list[dict]:
    """DataFrame rows as dicts with NaN / NaT mapped to None."""
    return df.astype(object).where(df.notna(), None).to_dict("records")


def summarise(df, by: Sequence[str] = GROUP_INSTANCE):
    """One row of :func:`aggregate` metrics per group (``by`` columns first)."""
    import pandas as pd

    records = run_records(df)
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        groups.setdefault(tuple(r.get(c) for c in by), []).append(r)
    out = []
    for key in sorted(groups, key=lambda k: tuple(_sort_key(v) for v in k)):
        out.append({**dict(zip(by, key)), **aggregate(groups[key])})
    return pd.DataFrame(out)


def _sort_key(v):
    if v is None:
        return (0, "")
    return (1, f"{v:012.3f}") if isinstance(v, int | float) else (1, str(v))


__all__ = ["BOOTSTRAP_RESAMPLES", "BOOTSTRAP_SEED", "GROUP_INSTANCE", "GROUP_SOLVER",
           "INTERVAL_KEYS", "SUCCESS_TOL", "aggregate", "bootstrap_interval", "load_frame",
           "mean_of", "median_of", "min_of", "run_records", "summarise", "truthy", "tts99"]
