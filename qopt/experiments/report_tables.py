"""The report's tables: columns, their definitions, and Markdown / HTML rendering.

Each cell is a summary's point estimate (:mod:`qopt.experiments.report_metrics`: a median over
the group's runs, a share, or TTS99) followed by its 95 % bootstrap interval over the seeds in
brackets, ``12.5% [8.0, 20.1]``; a group of one run, or one whose runs all agree, shows the
value alone. Every column is defined in :data:`COLUMN_DEFINITIONS`, printed under the tables.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from qopt.experiments.output_safety import markdown_escape
from qopt.experiments.report_metrics import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    run_records,
)

#: said once under the tables: how the intervals are made
INTERVAL_NOTE = (f"Cells: median over runs (seeds) [95 % percentile bootstrap interval, "
                 f"{BOOTSTRAP_RESAMPLES:,} resamples, seed {BOOTSTRAP_SEED}]; rates are shares "
                 "of runs with the same interval; no interval for one run or when all runs "
                 "agree.")


def _missing(x) -> bool:
    return x is None or x != x


def pct(x) -> str:
    return "—" if _missing(x) else f"{100 * x:.1f}%"


def num(x, digits: int = 3) -> str:
    if _missing(x):
        return "—"
    if math.isinf(x):
        return "∞"
    return f"{x:.{digits}f}"


def count(x) -> str:
    if _missing(x):
        return "—"
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def secs(x) -> str:
    if _missing(x):
        return "—"
    if math.isinf(x):
        return "∞"
    return f"{x:.3g}"


def with_interval(s: dict, key: str, fmt: Callable[[Any], str]) -> str:
    """``fmt(value)`` and, when the interval is known and not a point, `` [low, high]`` in the
    same format (percent values without their % signs inside the brackets)."""
    value = fmt(s.get(key))
    lo, hi = s.get(f"{key}_ci95_low"), s.get(f"{key}_ci95_high")
    if value == "—" or _missing(lo) or _missing(hi) or lo == hi:
        return value
    return f"{value} [{fmt(lo).rstrip('%')}, {fmt(hi).rstrip('%')}]"


#: what a quality cell says when no run of its group had a reference optimum
NO_REFERENCE = "no reference"


def _cell(key: str, fmt: Callable[[Any], str], needs_reference: bool = False
          ) -> Callable[[dict], str]:
    def cell(s: dict) -> str:
        if needs_reference and s.get("done") and s.get("with_reference") == 0:
            return NO_REFERENCE
        return with_interval(s, key, fmt)
    return cell


#: (header, function of a summary row) in table order; raw and post-processed side by side
TABLE_COLUMNS: list[tuple[str, Any]] = [
    ("runs (ok/fail/skip)", lambda s: f"{s['done']}/{s['failed']}/{s['skipped']}"),
    ("feasible raw", _cell("raw_feasible_rate", pct)),
    ("feasible pp", _cell("feasible_rate", pct)),
    ("gap raw", _cell("raw_gap", pct, True)),
    ("gap pp", _cell("gap", pct, True)),
    ("best gap pp", lambda s: NO_REFERENCE if s.get("done") and s.get("with_reference") == 0
     else pct(s["best_gap"])),
    ("ratio raw", _cell("raw_approx_ratio", num, True)),
    ("ratio pp", _cell("approx_ratio", num, True)),
    ("<C>/C*", _cell("expectation_ratio", num, True)),
    ("P(opt)", _cell("prob_optimum", lambda x: num(x, 4), True)),
    ("TTS99 raw [s]", _cell("raw_tts99", secs, True)),
    ("TTS99 pp [s]", _cell("tts99", secs, True)),
    ("qubits", _cell("qubits", count)),
    ("depth", _cell("depth", count)),
    ("evaluations", _cell("objective_evaluations", count)),
    ("shots", _cell("shots_total", count)),
    ("time [s]", _cell("wall_time", secs)),
]


#: header -> its definition, printed under the report's tables (one entry per column)
COLUMN_DEFINITIONS: dict[str, str] = {
    "instance": "the problem instance (shipped name, file stem, or generated KIND-SIZE-sSEED)",
    "solver": "the solver entry's label in the sweep config (its name plus grid options)",
    "backend": "where a quantum solver's circuits ran ('—' for classical solvers)",
    "runs (ok/fail/skip)": "rows of the group: done / failed (error or timeout) / skipped "
                           "(did not fit, not installed); every other column is over the "
                           "done runs only",
    "feasible raw": "share of done runs whose raw best sample satisfies every constraint",
    "feasible pp": "share of done runs whose post-processed solution is feasible",
    "gap raw": "median relative optimality gap |optimum - objective| / |optimum| of the raw "
               "best sample, over the runs where it is feasible and a reference optimum is "
               "known (in %); 'no reference' when no run of the group had one (sweeps: "
               "reference = \"exact\" | \"milp\" | \"best-known\" in [[problems]])",
    "gap pp": "the same median gap for the post-processed solution (in %)",
    "best gap pp": "smallest post-processed gap of the group (in %)",
    "ratio raw": "median approximation ratio of the raw best sample: objective / optimum "
                 "(maximisation) or optimum / objective (minimisation), inverted for negative "
                 "values so that it is <= 1, feasible runs",
    "ratio pp": "the same median ratio for the post-processed solution",
    "<C>/C*": "median expectation ratio of the final quantum state: its expected cost <C> "
              "(the energy the solver minimised, in the native sense) against the optimum C*, "
              "oriented like the approximation ratio (1 = all weight on optima); exact on "
              "statevector / subspace simulators, estimated from the final samples elsewhere; "
              "'—' for classical solvers or without a reference",
    "P(opt)": "median, over runs, of the share of a run's final samples (weighted by counts "
              "or probabilities) whose objective equals the optimum; 0 when none is optimal, "
              "'—' when the optimum is unknown",
    "TTS99 raw [s]": "time to solution at 99 %: t ln(0.01) / ln(1 - p), t = mean solve time "
                     "per run, p = share of runs whose raw best sample is optimal (t when "
                     "p >= 0.99, ∞ when p = 0)",
    "TTS99 pp [s]": "the same with p = share of runs whose post-processed solution is optimal",
    "qubits": "median qubits per run (quantum solvers; '—' for classical ones)",
    "depth": "median circuit depth per run (quantum solvers)",
    "evaluations": "median objective evaluations per run, the budget's unit (objective_"
                   "evaluations: one per candidate bit vector, per exactly evaluated parameter "
                   "set and per measured shot)",
    "shots": "median measured shots per run (shots_total: every shot of every estimate plus "
             "the final samples)",
    "time [s]": "median solve time per run in seconds (wall_time: the solve itself, numba "
                "compile time excluded)",
}


def table_rows(summary, keys: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """Headers and formatted cells of a summary (``keys``: leading identity columns)."""
    names = {"instance": "instance", "label": "solver", "backend": "backend"}
    headers = [names.get(k, k) for k in keys] + [h for h, _ in TABLE_COLUMNS]
    rows = []
    for s in run_records(summary):
        ident = ["—" if s[k] is None else str(s[k]) for k in keys]
        rows.append(ident + [f(s) for _, f in TABLE_COLUMNS])
    return headers, rows


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table, every cell escaped (``output_safety.markdown_escape``)."""
    esc = markdown_escape
    lines = ["| " + " | ".join(esc(h) for h in headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def html_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


__all__ = ["COLUMN_DEFINITIONS", "INTERVAL_NOTE", "TABLE_COLUMNS", "html_table",
           "markdown_table", "table_rows", "with_interval"]
