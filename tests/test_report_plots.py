"""Report columns are all defined; plots: integer size ticks, one unit per axis, and every run
drawn as a point (a group whose runs share one gap still shows)."""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd
import pytest

from qopt.experiments import report_plots
from qopt.experiments.output_safety import markdown_escape
from qopt.experiments.report import COLUMN_DEFINITIONS, TABLE_COLUMNS, render, table_rows


def _rows() -> list[dict]:
    """Done runs: 'same' has gap 0.1 on every run (a box of zero height), 'spread' varies;
    'classical' has no qubits."""
    rows = []
    for size in (5, 7, 9):
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
                    "prob_optimum": 0.5, "qubits": qubits, "depth": None,
                    "evaluations": 10, "wall_time": 0.01 * size * (s + 1),
                    "reason": None, "error": None})
    return rows


@pytest.fixture
def figures(monkeypatch, tmp_path):
    """The figures make_plots draws, by file name (kept open for inspection)."""
    figs = {}

    def keep(plt, fig, path):
        figs[path.name] = fig
        return path

    monkeypatch.setattr(report_plots, "_save", keep)
    report_plots.make_plots(pd.DataFrame(_rows()), tmp_path)
    yield figs
    import matplotlib.pyplot as plt

    plt.close("all")


def test_every_column_is_defined_and_printed():
    df = pd.DataFrame(_rows())
    headers, _ = table_rows(df.assign(done=1, failed=0, skipped=0).head(0), [])
    assert {h for h, _ in TABLE_COLUMNS} <= set(COLUMN_DEFINITIONS)
    assert {"instance", "solver", "backend"} <= set(COLUMN_DEFINITIONS)
    assert "mean, over runs, of the share of a run's samples" in COLUMN_DEFINITIONS["P(opt)"]
    assert COLUMN_DEFINITIONS["time [s]"].startswith("mean solve time")
    md, html = render(df, {}, None)
    columns = md.split("## Columns", 1)[1]
    for name, text in COLUMN_DEFINITIONS.items():
        assert f"| {markdown_escape(name)} | {markdown_escape(text)} |" in columns
        assert f"<td>{escape(text)}</td>" in html.split("<h2>Columns</h2>", 1)[1]
    assert headers == [h for h, _ in TABLE_COLUMNS]


def test_size_and_qubit_axes_have_integer_ticks_and_one_unit(figures):
    assert set(figures) == {"gap_vs_size_mdkp.png", "gap_vs_qubits_mdkp.png",
                            "time_vs_size_mdkp.png", "boxplot_gap_mdkp.png"}
    for name in ("gap_vs_size_mdkp.png", "gap_vs_qubits_mdkp.png", "time_vs_size_mdkp.png"):
        ax = figures[name].axes[0]
        ticks = ax.get_xticks()
        assert len(ticks) >= 2 and np.allclose(ticks, np.round(ticks)), (name, ticks)
        assert "(" not in ax.get_xlabel()           # one unit, no "qubits (variables ...)"
    qubit_ax = figures["gap_vs_qubits_mdkp.png"].axes[0]
    assert qubit_ax.get_xlabel() == "qubits"
    labels = {t.get_text() for t in qubit_ax.get_legend().get_texts()}
    assert not any(lab.startswith("classical") for lab in labels)   # no qubits: not drawn
    size_ax = figures["gap_vs_size_mdkp.png"].axes[0]
    assert size_ax.get_xlabel() == "problem size [variables]"
    assert any(t.get_text().startswith("classical") for t in size_ax.get_legend().get_texts())
    assert "mean" in figures["time_vs_size_mdkp.png"].axes[0].get_ylabel()


def test_boxplot_draws_every_run_so_zero_width_boxes_show(figures):
    ax = figures["boxplot_gap_mdkp.png"].axes[0]
    points = np.vstack([c.get_offsets() for c in ax.collections if len(c.get_offsets())])
    labels = [t.get_text() for t in ax.get_xticklabels()]
    same = labels.index("same [statevector]")
    # 9 runs of 'same' (gap 10 %), raw and pp: 18 points around its two box positions
    near = points[np.abs(points[:, 0] - (3 * same + 0.5)) < 1.0]
    assert len(near) == 18 and np.allclose(near[:, 1], 10.0)
    assert len(points) == 3 * 2 * 9                  # every run of every solver, raw and pp
