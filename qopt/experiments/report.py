"""Sweep reports: tables per problem class (raw vs post-processed), plots, exports.

Every column of the tables is defined in :data:`COLUMN_DEFINITIONS`, which the report prints
under its tables (over the ``done`` runs of a group; failed / skipped runs are counted apart).
In short: feasibility is a share of runs; gap, approximation ratio, P(opt) and time are means
over runs (gap and ratio over the feasible ones); qubits, depth and evaluations are medians;
P(opt) is the mean share of a run's samples that are optimal; time is the solve time
(``wall_time``: numba compile time excluded) and TTS99 = t ln(0.01) / ln(1 - p) with t the mean
time and p the share of runs that reach the optimum (t when p >= 0.99, infinite when p = 0).

"raw" is the best sample a solver returned; "pp" is after post-processing (repair, local
search). Both come from the same rows, side by side.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qopt.errors import OptionError
from qopt.experiments.output_safety import csv_safe_frame, csv_safe_value, markdown_escape
from qopt.experiments.report_metrics import (
    GROUP_INSTANCE,
    GROUP_SOLVER,
    SUCCESS_TOL,
    aggregate,
    load_frame,
    run_records,
    summarise,
    truthy,
    tts99,
)

FORMATS = ("md", "html", "png", "csv", "parquet", "qoblib")
DEFAULT_FORMATS = ("md", "html", "png", "csv", "qoblib")

#: QOBLIB submission CSV columns (as in the library's submissions)
QOBLIB_COLUMNS = [
    "Problem Identifier", "Submitter", "Date", "Reference", "Best Objective Value",
    "Optimality Bound", "Modelling Approach", "# Decision Variables", "# Binary Variables",
    "# Integer Variables", "Continuous Variables", "Decision Variables Range",
    "# Non-Zero Coefficients", "Coefficient Type", "Coefficient Range", "Workflow",
    "Algorithm Type", "# Runs", "# Feasible Runs", "# Successful Runs", "Success Threshold",
    "Total Runtime", "CPU Runtime", "GPU Runtime", "QPU Runtime", "Other HW Runtime",
]
_EXACT_SOLVERS = {"exact", "milp"}


# ---- formatting ----------------------------------------------------------------------------------
def _pct(x) -> str:
    return "—" if x is None or x != x else f"{100 * x:.1f}%"


def _num(x, digits: int = 3) -> str:
    if x is None or x != x:
        return "—"
    if math.isinf(x):
        return "∞"
    return f"{x:.{digits}f}"


def _int(x) -> str:
    if x is None or x != x:
        return "—"
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _secs(x) -> str:
    if x is None or x != x:
        return "—"
    if math.isinf(x):
        return "∞"
    return f"{x:.3g}"


#: (header, function of a summary row) in table order; raw and post-processed side by side
TABLE_COLUMNS: list[tuple[str, Any]] = [
    ("runs (ok/fail/skip)", lambda s: f"{s['done']}/{s['failed']}/{s['skipped']}"),
    ("feasible raw", lambda s: _pct(s["raw_feasible_rate"])),
    ("feasible pp", lambda s: _pct(s["feasible_rate"])),
    ("gap raw", lambda s: _pct(s["raw_gap"])),
    ("gap pp", lambda s: _pct(s["gap"])),
    ("best gap pp", lambda s: _pct(s["best_gap"])),
    ("ratio raw", lambda s: _num(s["raw_approx_ratio"])),
    ("ratio pp", lambda s: _num(s["approx_ratio"])),
    ("P(opt)", lambda s: _num(s["prob_optimum"], 4)),
    ("TTS99 raw [s]", lambda s: _secs(s["raw_tts99"])),
    ("TTS99 pp [s]", lambda s: _secs(s["tts99"])),
    ("qubits", lambda s: _int(s["qubits"])),
    ("depth", lambda s: _int(s["depth"])),
    ("evaluations", lambda s: _int(s["evaluations"])),
    ("time [s]", lambda s: _secs(s["wall_time"])),
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
    "gap raw": "mean relative optimality gap |optimum - objective| / |optimum| of the raw best "
               "sample, over the runs where it is feasible and the optimum is known (in %)",
    "gap pp": "the same mean gap for the post-processed solution (in %)",
    "best gap pp": "smallest post-processed gap of the group (in %)",
    "ratio raw": "mean approximation ratio of the raw best sample: objective / optimum "
                 "(maximisation) or optimum / objective (minimisation), feasible runs",
    "ratio pp": "the same mean ratio for the post-processed solution",
    "P(opt)": "mean, over runs, of the share of a run's samples (weighted by counts or "
              "probabilities) whose objective equals the optimum; 0 when none is optimal, "
              "'—' when the optimum is unknown",
    "TTS99 raw [s]": "time to solution at 99 %: t ln(0.01) / ln(1 - p), t = mean solve time "
                     "per run, p = share of runs whose raw best sample is optimal (t when "
                     "p >= 0.99, ∞ when p = 0)",
    "TTS99 pp [s]": "the same with p = share of runs whose post-processed solution is optimal",
    "qubits": "median qubits per run (quantum solvers; '—' for classical ones)",
    "depth": "median circuit depth per run (quantum solvers)",
    "evaluations": "median objective / circuit evaluations per run (the budget's unit)",
    "time [s]": "mean solve time per run in seconds (wall_time: the solve itself, numba "
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


# ---- plots ---------------------------------------------------------------------------------------
def make_plots(df, out_dir: Path) -> dict[str, list[Path]]:
    """The PNG plots per problem class (:mod:`qopt.experiments.report_plots`)."""
    from qopt.experiments.report_plots import make_plots as _plots

    return _plots(df, out_dir)


# ---- exports -------------------------------------------------------------------------------------
def export_csv(df, path: str | Path) -> Path:
    """All rows without the bulky ``result`` JSON, one line per run (formula-like text
    quoted: :func:`~qopt.experiments.output_safety.csv_safe_frame`)."""
    csv_safe_frame(df.drop(columns=["result"], errors="ignore")).to_csv(path, index=False)
    return Path(path)


def export_parquet(df, path: str | Path) -> Path:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise OptionError("Parquet export needs pyarrow: pip install pyarrow") from None
    d = df.drop(columns=["result"], errors="ignore").copy()
    for c in ("feasible", "raw_feasible"):
        d[c] = d[c].astype("boolean")
    d["size"] = d["size"].astype(str)
    d.to_parquet(path, index=False)
    return Path(path)


def qoblib_rows(df, submitter: str = "qopt", date: str | None = None) -> list[dict]:
    """One QOBLIB submission line per (instance, solver, backend) of the done runs."""
    from qopt import __version__

    date = date or datetime.now(UTC).strftime("%B %d, %Y")
    records = [r for r in run_records(df) if r["status"] == "done"]
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        groups.setdefault((r["problem_class"], r["instance"], r["label"], r["backend"]),
                          []).append(r)
    out = []
    for (cls, inst, label, backend), rs in sorted(groups.items(),
                                                  key=lambda kv: tuple(map(str, kv[0]))):
        sense = rs[0]["sense"]
        feas = [r for r in rs if truthy(r["feasible"])]
        objs = [r["objective"] for r in feas if r["objective"] is not None]
        best = (max(objs) if sense == "max" else min(objs)) if objs else None
        succ = [r for r in feas if r["gap"] is not None and r["gap"] <= SUCCESS_TOL]
        nvars = int(rs[0]["num_vars"] or 0) + int(rs[0]["num_slack"] or 0)
        cpu = sum((r["time_classical"] or 0) + (r["time_simulation"] or 0) for r in rs)
        qpu = sum(r["time_qpu"] or 0 for r in rs)
        opts = json.loads(rs[0]["options"] or "{}")
        workflow = (f"qopt {label}" + (f" on {backend}" if backend else "")
                    + (f", options {opts}" if opts else "")
                    + (f", budget {rs[0]['budget']}" if rs[0]["budget"] else "")
                    + "; best sample post-processed by repair and local search")
        out.append({
            "Problem Identifier": f"{cls}/{inst}", "Submitter": submitter, "Date": date,
            "Reference": f"qopt {__version__}",
            "Best Objective Value": "N/A" if best is None else f"{best:g}",
            "Optimality Bound": "N/A", "Modelling Approach": "QUBO",
            "# Decision Variables": nvars, "# Binary Variables": nvars,
            "# Integer Variables": 0, "Continuous Variables": 0,
            "Decision Variables Range": "{0, 1}", "# Non-Zero Coefficients": "N/A",
            "Coefficient Type": "N/A", "Coefficient Range": "N/A", "Workflow": workflow,
            "Algorithm Type": "Deterministic" if rs[0]["solver"] in _EXACT_SOLVERS
            else "Stochastic",
            "# Runs": len(rs), "# Feasible Runs": len(feas), "# Successful Runs": len(succ),
            "Success Threshold": 0, "Total Runtime": f"{sum(r['wall_time'] or 0 for r in rs):.3g}s",
            "CPU Runtime": f"{cpu:.3g}s", "GPU Runtime": "N/A",
            "QPU Runtime": f"{qpu:.3g}s" if qpu else "N/A", "Other HW Runtime": "N/A",
        })
    return out


def export_qoblib(df, path: str | Path, submitter: str = "qopt") -> Path:
    """QOBLIB's submission CSV layout (one line per instance and solver configuration)."""
    import csv

    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=QOBLIB_COLUMNS)
        w.writeheader()
        w.writerows({k: csv_safe_value(v) for k, v in row.items()}
                    for row in qoblib_rows(df, submitter))
    return Path(path)


# ---- the report ----------------------------------------------------------------------------------
_CSS = ("body{font-family:sans-serif;margin:2em;max-width:110em}table{border-collapse:collapse;"
        "margin:1em 0;font-size:90%}td,th{border:1px solid #bbb;padding:3px 7px;text-align:right}"
        "td:first-child,th:first-child{text-align:left}thead{background:#eee}img{max-width:48%;"
        "margin:4px}")


def write_report(results, out_dir: str | Path | None = None,
                 formats: Sequence[str] = DEFAULT_FORMATS) -> list[Path]:
    """Write the report of a results directory / store into ``out_dir`` (default:
    ``RESULTS/report``). ``formats`` from :data:`FORMATS` ("png": the plots). Returns the
    written files: report.md, report.html, *.png, runs.csv, summary.csv, runs.parquet,
    qoblib_submission.csv (those asked for)."""
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise OptionError(f"unknown report format(s) {bad}; choose from {', '.join(FORMATS)}")
    df = load_frame(results)
    if out_dir is None:
        if not isinstance(results, str | Path):
            raise OptionError("write_report needs out_dir when given rows rather than a path")
        base = Path(results)
        out_dir = (base if base.is_dir() else base.parent) / "report"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, list[Path]] = {}
    plots = make_plots(df, out) if ("png" in formats and len(df)) else {}
    if plots:
        written["png"] = [p for ps in plots.values() for p in ps]
    if "md" in formats or "html" in formats:
        md, body = render(df, plots, out)
        if "md" in formats:
            (out / "report.md").write_text(md)
            written["md"] = [out / "report.md"]
        if "html" in formats:
            page = (f"<!doctype html><html><head><meta charset='utf-8'><title>qopt sweep report"
                    f"</title><style>{_CSS}</style></head><body>{body}</body></html>")
            (out / "report.html").write_text(page)
            written["html"] = [out / "report.html"]
    if "csv" in formats:
        written["csv"] = [export_csv(df, out / "runs.csv")]
        summary = summarise(df) if len(df) else None
        if summary is not None:
            csv_safe_frame(summary).to_csv(out / "summary.csv", index=False)
            written["csv"].append(out / "summary.csv")
    if "parquet" in formats:
        written["parquet"] = [export_parquet(df, out / "runs.parquet")]
    if "qoblib" in formats:
        written["qoblib"] = [export_qoblib(df, out / "qoblib_submission.csv")]
    return [p for f in FORMATS for p in written.get(f, [])]


def render(df, plots: dict[str, list[Path]], out_dir: Path) -> tuple[str, str]:
    """(Markdown, HTML body) of the report."""
    sweeps = sorted({s for s in df["sweep"].dropna()}) if len(df) else []
    n = len(df)
    counts = {s: int((df["status"] == s).sum()) for s in ("done", "failed", "skipped")} \
        if n else {"done": 0, "failed": 0, "skipped": 0}
    head = (f"Sweep(s): {', '.join(sweeps) or '—'} · {n} runs: {counts['done']} done, "
            f"{counts['failed']} failed, {counts['skipped']} skipped · generated "
            f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}")
    legend = ("raw = best sample returned by the solver; pp = after repair + local search. "
              "Means over runs: gap, ratio (feasible runs), P(opt), time; medians: qubits, "
              "depth, evaluations. Every column is defined under the tables.")
    md = ["# qopt sweep report", "", markdown_escape(head), "", legend, ""]
    hb = ["<h1>qopt sweep report</h1>", f"<p>{html.escape(head)}</p>",
          f"<p><small>{html.escape(legend)}</small></p>"]
    if n == 0:
        return "\n".join([*md, "No runs stored."]), "".join([*hb, "<p>No runs stored.</p>"])
    for cls in sorted(df["problem_class"].dropna().unique()):
        part = df[df["problem_class"] == cls]
        per_solver = summarise(part, GROUP_SOLVER)
        per_inst = summarise(part, GROUP_INSTANCE)
        md += [f"## {markdown_escape(cls)}", "", "### By solver (all instances)", ""]
        hb += [f"<h2>{html.escape(cls)}</h2>", "<h3>By solver (all instances)</h3>"]
        h, r = table_rows(per_solver, ["label", "backend"])
        md += [markdown_table(h, r), ""]
        hb += [html_table(h, r)]
        md += ["### By instance", ""]
        hb += ["<h3>By instance</h3>"]
        h, r = table_rows(per_inst, ["instance", "label", "backend"])
        md += [markdown_table(h, r), ""]
        hb += [html_table(h, r)]
        for p in plots.get(cls, []):
            rel = p.relative_to(out_dir) if p.is_relative_to(out_dir) else p
            md += [f"![{p.stem}]({rel})"]
            hb += [f"<img src='{html.escape(str(rel))}' alt='{html.escape(p.stem)}'>"]
        md += [""]
    bad = df[df["status"] != "done"]
    if len(bad):
        md += ["## Skipped and failed runs", ""]
        hb += ["<h2>Skipped and failed runs</h2>"]
        groups: dict[tuple, int] = {}
        for r in run_records(bad):
            why = r["reason"] if r["status"] == "skipped" else r["error"]
            k = (r["problem_class"], r["instance"], r["label"], r["backend"] or "—",
                 r["status"], why or "")
            groups[k] = groups.get(k, 0) + 1
        h = ["class", "instance", "solver", "backend", "status", "reason / error", "runs"]
        rows = [[*map(str, k), str(c)] for k, c in sorted(groups.items())]
        md += [markdown_table(h, rows), ""]
        hb += [html_table(h, rows)]
    h = ["column", "definition"]
    rows = [[k, v] for k, v in COLUMN_DEFINITIONS.items()]
    md += ["## Columns", "", markdown_table(h, rows), ""]
    hb += ["<h2>Columns</h2>", html_table(h, rows)]
    return "\n".join(md) + "\n", "".join(hb)


__all__ = ["COLUMN_DEFINITIONS", "DEFAULT_FORMATS", "FORMATS", "QOBLIB_COLUMNS", "aggregate",
           "export_csv", "export_parquet", "export_qoblib", "load_frame", "make_plots",
           "qoblib_rows", "render", "summarise", "tts99", "write_report"]
