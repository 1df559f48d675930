"""Report columns are all defined; figures: integer size ticks (also when one size is swept),
one unit per axis, medians with 95 % interval error bars, raw and post-processed markers side
by side, a visible 0 line for all-zero gaps, every run drawn in the box plot, short titles, and
PNG / PDF / SVG files that hold what was drawn."""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd
import pytest

from qopt.experiments import report_plots
from qopt.experiments.output_safety import markdown_escape
from qopt.experiments.report import (
    COLUMN_DEFINITIONS,
    TABLE_COLUMNS,
    render,
    table_rows,
    write_report,
)


def _rows(sizes=(5, 7, 9)) -> list[dict]:
    """Done runs: 'same' has gap 0.1 on every run (a box of zero height), 'spread' varies;
    'classical' has no qubits and gap 0 everywhere."""
    rows = []
    for size in sizes:
        for s in range(3):
            for label, gap, qubits in (("same", 0.1, size + 2), ("spread", 0.05 * s, size),
                                       ("classical", 0.0, None)):
                rows.append({
                    "run_key": f"{label}-{size}-{s}", "sweep": "t", "problem_class": "mdkp",
                    "instance": f"i{size}", "label": label, "solver": label,
                    "backend": None if qubits is None else "statevector", "status": "done",
                    "sense": "max", "optimum": 10.0, "num_vars": size, "num_slack": 0,
                    "feasible": True, "raw_feasible": True, "gap": gap, "raw_gap": gap,
                    "approx_ratio": 1 - gap, "raw_approx_ratio": 1 - gap,
                    "expectation_ratio": None if qubits is None else 0.8 - 0.01 * size,
                    "prob_optimum": 0.5, "qubits": qubits, "depth": None,
                    "evaluations": 10, "wall_time": 0.01 * size * (s + 1),
                    "reason": None, "error": None})
    return rows


def _drawn(monkeypatch, tmp_path, rows) -> dict:
    """The figures make_plots draws, by stem (kept open for inspection)."""
    figs = {}

    def keep(plt, fig, out_dir, stem, formats):
        figs[stem] = fig
        return [out_dir / f"{stem}.png"]

    monkeypatch.setattr(report_plots, "_save", keep)
    report_plots.make_plots(pd.DataFrame(rows), tmp_path)
    return figs


@pytest.fixture
def figures(monkeypatch, tmp_path):
    yield _drawn(monkeypatch, tmp_path, _rows())
    import matplotlib.pyplot as plt

    plt.close("all")


def test_every_column_is_defined_and_printed():
    df = pd.DataFrame(_rows())
    headers, _ = table_rows(df.assign(done=1, failed=0, skipped=0).head(0), [])
    assert {h for h, _ in TABLE_COLUMNS} <= set(COLUMN_DEFINITIONS)
    assert {"instance", "solver", "backend"} <= set(COLUMN_DEFINITIONS)
    assert "median, over runs, of the share of a run's final samples" in \
        COLUMN_DEFINITIONS["P(opt)"]
    assert COLUMN_DEFINITIONS["time [s]"].startswith("median solve time")
    md, html = render(df, {}, None)
    columns = md.split("## Columns", 1)[1]
    for name, text in COLUMN_DEFINITIONS.items():
        assert f"| {markdown_escape(name)} | {markdown_escape(text)} |" in columns
        assert f"<td>{escape(text)}</td>" in html.split("<h2>Columns</h2>", 1)[1]
    assert headers == [h for h, _ in TABLE_COLUMNS]


def test_size_and_qubit_axes_have_integer_ticks_and_one_unit(figures):
    assert set(figures) == {"gap_vs_size_mdkp", "gap_vs_qubits_mdkp", "ratio_vs_size_mdkp",
                            "time_vs_size_mdkp", "boxplot_gap_mdkp"}
    for name in ("gap_vs_size_mdkp", "gap_vs_qubits_mdkp", "time_vs_size_mdkp",
                 "ratio_vs_size_mdkp"):
        ax = figures[name].axes[0]
        ticks = ax.get_xticks()
        assert len(ticks) >= 2 and np.allclose(ticks, np.round(ticks)), (name, ticks)
        assert "(" not in ax.get_xlabel()           # one unit, no "qubits (variables ...)"
    qubit_ax = figures["gap_vs_qubits_mdkp"].axes[0]
    assert qubit_ax.get_xlabel() == "qubits"
    labels = {t.get_text() for t in qubit_ax.get_legend().get_texts()}
    assert not any(lab.startswith("classical") for lab in labels)   # no qubits: not drawn
    size_ax = figures["gap_vs_size_mdkp"].axes[0]
    assert size_ax.get_xlabel() == "problem size [variables]"
    assert list(size_ax.get_xticks()) == [5, 7, 9]
    assert any(t.get_text().startswith("classical") for t in size_ax.get_legend().get_texts())
    assert "median" in figures["time_vs_size_mdkp"].axes[0].get_ylabel()


def test_one_swept_size_has_one_integer_tick(monkeypatch, tmp_path):
    figs = _drawn(monkeypatch, tmp_path, _rows(sizes=(12,)))
    for name in ("gap_vs_size_mdkp", "time_vs_size_mdkp", "ratio_vs_size_mdkp"):
        ax = figs[name].axes[0]
        lo, hi = ax.get_xlim()
        shown = [t for t in ax.get_xticks() if lo <= t <= hi]
        assert shown == [12], (name, shown)


def _errorbars(ax) -> list:
    from matplotlib.container import ErrorbarContainer

    return [c for c in ax.containers if isinstance(c, ErrorbarContainer)]


def test_medians_with_interval_error_bars_raw_and_pp_side_by_side(figures):
    ax = figures["gap_vs_size_mdkp"].axes[0]
    bars = _errorbars(ax)
    assert len(bars) == 3 * 2                     # 3 solvers x (raw, pp)
    assert {c.lines[0].get_marker() for c in bars} == {"s", "o"}
    # 'spread' has gaps 0, 5, 10 % at each size: median 5 with an interval from 0 to 10
    spread = [c for c in bars if np.allclose(c.lines[0].get_ydata(), 5.0)]
    assert len(spread) == 2
    segs = np.stack([seg for c in spread for seg in c.lines[2][0].get_segments()])
    assert np.isclose(segs[:, :, 1].min(), 0.0) and np.isclose(segs[:, :, 1].max(), 10.0)
    # raw (open square) and pp (filled circle) at different x around each size, not on top
    raw = next(c for c in spread if c.lines[0].get_marker() == "s")
    pp = next(c for c in spread if c is not raw)
    xr, xp = np.asarray(raw.lines[0].get_xdata()), np.asarray(pp.lines[0].get_xdata())
    assert np.all(np.abs(xr - xp) > 0.05)
    assert np.all(np.abs(xr - [5, 7, 9]) < 1.0) and np.all(np.abs(xp - [5, 7, 9]) < 1.0)
    assert raw.lines[0].get_markerfacecolor() == "white"          # hollow, drawn on top
    assert raw.lines[0].get_zorder() > pp.lines[0].get_zorder()
    # the time and ratio figures have their bars too (ratio x3 solvers, <C>/C* x2 quantum)
    assert _errorbars(figures["time_vs_size_mdkp"].axes[0])
    assert len(_errorbars(figures["ratio_vs_size_mdkp"].axes[0])) == 3 + 2


def test_all_zero_gaps_sit_on_a_visible_zero_line(monkeypatch, tmp_path):
    rows = [r for r in _rows() if r["label"] == "classical"]         # every gap 0
    figs = _drawn(monkeypatch, tmp_path, rows)
    ax = figs["gap_vs_size_mdkp"].axes[0]
    lo, hi = ax.get_ylim()
    assert lo < 0 < hi and hi >= 1.0                    # 0 inside, at least 1 point of %
    assert any("all gaps 0" in t.get_text() for t in ax.texts)


def test_titles_fit_and_boxplot_draws_every_run(figures):
    for fig in figures.values():
        title = fig.axes[0].get_title()
        assert all(len(line) <= 60 for line in title.splitlines()), title
    from matplotlib.collections import PathCollection

    ax = figures["boxplot_gap_mdkp"].axes[0]
    points = np.vstack([c.get_offsets() for c in ax.collections
                        if isinstance(c, PathCollection)])
    labels = [t.get_text() for t in ax.get_xticklabels()]
    same = labels.index("same [statevector]")
    # 9 runs of 'same' (gap 10 %), raw and pp: 18 points around its two box positions
    near = points[np.abs(points[:, 0] - (3 * same + 0.5)) < 1.0]
    assert len(near) == 18 and np.allclose(near[:, 1], 10.0)
    assert len(points) == 3 * 2 * 9                  # every run of every solver, raw and pp
    assert len(_errorbars(ax)) == 3 * 2              # the median's interval per box


def test_figures_written_as_png_pdf_and_svg(tmp_path):
    """The files hold the figure: PDF and SVG keep the title as text, the PNG has pixels."""
    import shutil
    import subprocess

    paths = write_report(pd.DataFrame(_rows(sizes=(5,))), tmp_path, formats="png,pdf,svg")
    by_fmt = {f: sorted(p.stem for p in paths if p.suffix == f".{f}") for f in
              ("png", "pdf", "svg")}
    assert by_fmt["png"] == by_fmt["pdf"] == by_fmt["svg"] and len(by_fmt["png"]) == 5
    svg = (tmp_path / "gap_vs_size_mdkp.svg").read_text()
    assert svg.startswith("<?xml") and "<svg" in svg
    assert "mdkp: gap vs size" in svg and "problem size [variables]" in svg   # text as text
    pdf = (tmp_path / "gap_vs_size_mdkp.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 3000
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(tmp_path / "gap_vs_size_mdkp.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert "gap vs size" in text and "problem size [variables]" in text


def test_qubit_figure_dodges_only_the_solvers_it_draws(figures):
    """The qubit figure draws the quantum solvers only: their markers sit side by side
    around each qubit count, centred on it, not shifted into slots kept for classical
    solvers that have no qubits."""
    ax = figures["gap_vs_qubits_mdkp"].axes[0]
    xs = np.concatenate([np.asarray(c.lines[0].get_xdata(), float) for c in _errorbars(ax)])
    offsets = xs - np.round(xs)
    assert len(xs) and np.isclose(offsets.min(), -offsets.max())     # symmetric
    assert np.isclose(np.mean(offsets), 0.0)
