"""Sweep reports: tables per problem class (raw vs post-processed), figures, exports.

Every column of the tables is defined in
:data:`~qopt.experiments.report_tables.COLUMN_DEFINITIONS`, printed under the tables (over the
``done`` runs of a group; failed / skipped runs are counted apart). Each cell is a median over
the group's runs (seeds) -- a share for feasibility, TTS99 for time to solution -- with its
95 % bootstrap interval (:mod:`qopt.experiments.report_metrics`); ``summary.csv`` has every
metric with ``<metric>_ci95_low`` / ``<metric>_ci95_high`` columns. Figures
(:mod:`qopt.experiments.report_plots`) show the same medians with the intervals as error bars,
in PNG, PDF and SVG.

"raw" is the best sample a solver returned; "pp" is after post-processing (repair, local
search). Both come from the same rows, side by side. QOBLIB exports are in
:mod:`qopt.experiments.qoblib`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from qopt.errors import OptionError
from qopt.experiments.output_safety import csv_safe_frame, markdown_escape
from qopt.experiments.qoblib import QOBLIB_COLUMNS, export_summary, write_submission
from qopt.experiments.report_metrics import (
    GROUP_INSTANCE,
    GROUP_SOLVER,
    aggregate,
    load_frame,
    run_records,
    summarise,
    tts99,
)
from qopt.experiments.report_tables import (
    COLUMN_DEFINITIONS,
    INTERVAL_NOTE,
    TABLE_COLUMNS,
    html_table,
    markdown_table,
    table_rows,
)

#: every format, in the order files are listed; figures are png / pdf / svg
FORMATS = ("md", "html", "csv", "png", "pdf", "svg", "parquet", "qoblib", "qoblib-submission")
DEFAULT_FORMATS = ("md", "html", "csv", "png", "pdf", "svg", "qoblib")
_FIGURES = ("png", "pdf", "svg")


# ---- plots ---------------------------------------------------------------------------------------
def make_plots(df, out_dir: Path, formats: Sequence[str] = ("png",)) -> dict[str, list[Path]]:
    """The figures per problem class in ``formats`` (:mod:`qopt.experiments.report_plots`)."""
    from qopt.experiments.report_plots import make_plots as _plots

    return _plots(df, out_dir, formats)


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


# ---- the report ----------------------------------------------------------------------------------
_CSS = ("body{font-family:sans-serif;margin:2em;max-width:110em}table{border-collapse:collapse;"
        "margin:1em 0;font-size:90%}td,th{border:1px solid #bbb;padding:3px 7px;text-align:right}"
        "td:first-child,th:first-child{text-align:left}thead{background:#eee}img{max-width:48%;"
        "margin:4px}")


def parse_formats(formats: str | Sequence[str]) -> tuple[str, ...]:
    """Formats as given (``"md,csv,pdf"`` or a sequence of such words), checked against
    :data:`FORMATS`; an unknown one is an OptionError naming the choices."""
    words = [formats] if isinstance(formats, str) else list(formats)
    out = [w.strip() for word in words for w in str(word).split(",") if w.strip()]
    bad = [f for f in out if f not in FORMATS]
    if bad:
        raise OptionError(f"unknown report format(s) {bad}; choose from {', '.join(FORMATS)}")
    if not out:
        raise OptionError(f"no report format given; choose from {', '.join(FORMATS)}")
    return tuple(dict.fromkeys(out))


def write_report(results, out_dir: str | Path | None = None,
                 formats: str | Sequence[str] = DEFAULT_FORMATS, *,
                 submitter: str = "qopt") -> list[Path]:
    """Write the report of a results directory / store into ``out_dir`` (default:
    ``RESULTS/report``). ``formats`` from :data:`FORMATS` (a sequence, or one comma-separated
    string): ``md`` / ``html`` the report, ``csv`` runs.csv + summary.csv (with interval
    columns), ``png`` / ``pdf`` / ``svg`` the figures, ``parquet`` runs.parquet, ``qoblib``
    qoblib_summary.csv (QOBLIB's 27 columns, one line per instance and configuration),
    ``qoblib-submission`` QOBLIB's submission folders under ``out_dir``
    (:func:`~qopt.experiments.qoblib.write_submission`, ``submitter`` names them). Returns the
    written files."""
    formats = parse_formats(formats)
    df = load_frame(results)
    if out_dir is None:
        if not isinstance(results, str | Path):
            raise OptionError("write_report needs out_dir when given rows rather than a path")
        base = Path(results)
        out_dir = (base if base.is_dir() else base.parent) / "report"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, list[Path]] = {}
    figure_formats = [f for f in _FIGURES if f in formats]
    plots = make_plots(df, out, figure_formats) if (figure_formats and len(df)) else {}
    for fmt in figure_formats:
        written[fmt] = [p for ps in plots.values() for p in ps if p.suffix == f".{fmt}"]
    if "md" in formats or "html" in formats:
        shown = "png" if "png" in figure_formats else "svg"
        md, body = render(df, {c: [p for p in ps if p.suffix == f".{shown}"]
                               for c, ps in plots.items()}, out)
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
        written["qoblib"] = [export_summary(df, out / "qoblib_summary.csv", submitter)]
    if "qoblib-submission" in formats:
        written["qoblib-submission"] = write_submission(df, out, submitter)
    return [p for f in FORMATS for p in written.get(f, [])]


def render(df, plots: dict[str, list[Path]], out_dir: Path | None) -> tuple[str, str]:
    """(Markdown, HTML body) of the report."""
    sweeps = sorted({s for s in df["sweep"].dropna()}) if len(df) else []
    n = len(df)
    counts = {s: int((df["status"] == s).sum()) for s in ("done", "failed", "skipped")} \
        if n else {"done": 0, "failed": 0, "skipped": 0}
    head = (f"Sweep(s): {', '.join(sweeps) or '—'} · {n} runs: {counts['done']} done, "
            f"{counts['failed']} failed, {counts['skipped']} skipped · generated "
            f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}")
    legend = ("raw = best sample returned by the solver; pp = after repair + local search. "
              + INTERVAL_NOTE + " Every column is defined under the tables.")
    md = ["# qopt sweep report", "", markdown_escape(head), "", markdown_escape(legend), ""]
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
            rel = p.relative_to(out_dir) if out_dir is not None and p.is_relative_to(out_dir) \
                else p
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


__all__ = ["COLUMN_DEFINITIONS", "DEFAULT_FORMATS", "FORMATS", "QOBLIB_COLUMNS", "TABLE_COLUMNS",
           "aggregate", "export_csv", "export_parquet", "load_frame", "make_plots",
           "parse_formats", "render", "summarise", "table_rows", "tts99", "write_report"]
