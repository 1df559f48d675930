"""The report's figures (matplotlib), per problem class, over the ``done`` runs.

Every point is a **median over runs (seeds) with its 95 % bootstrap interval** as an error bar
(:func:`qopt.experiments.report_metrics.bootstrap_interval`; no bar for a single run):

- ``gap_vs_size_CLASS``: optimality gap [%] against problem size [variables] per solver; raw
  best sample (open square) and post-processed solution (filled circle) drawn side by side, so
  neither hides the other;
- ``gap_vs_qubits_CLASS``: the same against qubits, for runs that used qubits (quantum solvers);
- ``ratio_vs_size_CLASS``: approximation ratio of the post-processed solution (filled circle)
  and expectation ratio <C>/C* of the final quantum state (open triangle), where known;
- ``time_vs_size_CLASS``: solve time per run [s] (``wall_time``, numba compile excluded), log;
- ``boxplot_gap_CLASS``: gap per solver (white box: raw, coloured: post-processed), every run a
  point on top, the median's interval as a black bar.

Size and qubit axes have integer ticks only (the swept values themselves when few); a gap axis
starts at 0 and spans at least one percentage point, so all-zero gaps sit on a visible 0 line
(and say so) instead of floating in a -0.04..0.04 band. Each figure is written in every format
asked for (``png``, ``pdf``, ``svg``), titles kept short and saved with a tight bounding box
so neither title nor legend is clipped.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np

from qopt.experiments.report_metrics import bootstrap_interval, run_records

#: figure formats the report can write
FIGURE_FORMATS = ("png", "pdf", "svg")
_MARK = {"raw_": dict(marker="s", facecolor="white"), "": dict(marker="o", facecolor=None)}
_TITLE_WIDTH = 60
#: at most this many distinct sizes get a tick each; beyond, integer ticks by MaxNLocator
_EXPLICIT_TICKS = 12


def _num(r: dict, key: str) -> float | None:
    v = r.get(key)
    return None if v is None or v != v else float(v)


def median_ci(values) -> tuple[float, float, float]:
    """(median, 95 % low, 95 % high) of the values (low = high = median for one value)."""
    v = np.asarray([x for x in values if x is not None and x == x], dtype=float)
    if not len(v):
        return math.nan, math.nan, math.nan
    med = float(np.median(v))
    lo, hi = bootstrap_interval([v], lambda x, axis=-1: np.median(x, axis=axis))
    return (med, med, med) if lo != lo else (med, lo, hi)


def make_plots(df, out_dir: Path, formats=("png",)) -> dict[str, list[Path]]:
    """Per problem class: the figures of the module docstring in each of ``formats``;
    returns class -> written paths (figure by figure, formats in ``FIGURE_FORMATS`` order)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    formats = [f for f in FIGURE_FORMATS if f in formats]
    out: dict[str, list[Path]] = {}
    records = [r for r in run_records(df) if r["status"] == "done"]
    for cls in sorted({r["problem_class"] for r in records}):
        rows = [r for r in records if r["problem_class"] == cls]
        labels = sorted({_solver_key(r) for r in rows})
        colors = {lab: plt.cm.tab10(i % 10) for i, lab in enumerate(labels)}
        quantum = [r for r in rows if _num(r, "qubits") is not None]
        figs = {
            f"gap_vs_size_{cls}": _gap_vs(plt, rows, labels, colors, "num_vars",
                                          "problem size [variables]", f"{cls}: gap vs size"),
            # only the solvers with qubits get a slot beside each qubit count
            f"gap_vs_qubits_{cls}": _gap_vs(plt, quantum, sorted({_solver_key(r)
                                                                 for r in quantum}),
                                            colors, "qubits", "qubits",
                                            f"{cls}: gap vs qubits (quantum solvers)"),
            f"ratio_vs_size_{cls}": _ratio_vs_size(plt, rows, labels, colors, cls),
            f"time_vs_size_{cls}": _time_vs_size(plt, rows, labels, colors, cls),
            f"boxplot_gap_{cls}": _gap_boxes(plt, rows, labels, colors, cls),
        }
        out[cls] = [p for stem, fig in figs.items()
                    for p in _save(plt, fig, Path(out_dir), stem, formats)]
    return out


def _dodge(xs: list[float], slots: int) -> tuple[float, list[float]]:
    """(slot width, offsets) that place ``slots`` markers side by side around each x."""
    distinct = sorted(set(xs))
    step = min(np.diff(distinct)) if len(distinct) > 1 else 1.0
    width = 0.7 * step / max(slots, 1)
    return width, [width * (i - (slots - 1) / 2) for i in range(slots)]


def _by_x(rows, xkey: str, value) -> dict[float, list[float]]:
    """x -> the values ``value(row)`` of the rows at that x (None values left out)."""
    out: dict[float, list[float]] = {}
    for r in rows:
        v = value(r)
        if v is not None:
            out.setdefault(_num(r, xkey), []).append(v)
    return out


def _errorbar(ax, x, stats, color, pre, label=None, marker=None):
    med, lo, hi = (np.asarray(v, dtype=float) for v in zip(*stats))
    style = dict(_MARK[pre])
    face = style.pop("facecolor") or color
    ax.errorbar(x, med, yerr=[med - lo, hi - med], fmt=marker or style["marker"],
                color=color, mfc=face, mec=color, mew=1.4, ms=6, capsize=3, elinewidth=1.1,
                lw=0, label=label, zorder=4 if pre else 3)
    return med, lo, hi


def _gap_vs(plt, rows, labels, colors, key, xlabel, title):
    fig, ax = plt.subplots(figsize=(8.0, 4.4))
    xs = [x for x in (_num(r, key) for r in rows) if x is not None]
    width, offsets = _dodge(xs, 2 * len(labels))
    tops, lows = [1.0], [0.0]
    drawn: list[str] = []
    for i, lab in enumerate(labels):
        rs = [r for r in rows if _solver_key(r) == lab and _num(r, key) is not None]
        for j, pre in enumerate(("raw_", "")):
            by_x = _by_x(rs, key, lambda r, pre=pre: None if _num(r, f"{pre}gap") is None
                         else 100 * _num(r, f"{pre}gap"))
            if not by_x:
                continue
            x = sorted(by_x)
            stats = [median_ci(by_x[v]) for v in x]
            _, lo, hi = _errorbar(ax, np.asarray(x) + offsets[2 * i + j], stats, colors[lab],
                                  pre)
            tops.append(float(np.nanmax(hi)))
            lows.append(float(np.nanmin(lo)))
            drawn.append(lab)
    _legend(ax, drawn, colors, kinds=("raw", "pp"))
    _axes(ax, xs, width, xlabel, "optimality gap [%] (median, 95 % CI)", title,
          None if drawn else "no feasible runs with a reference")
    top = max(tops)
    ax.set_ylim(min(lows) - 0.04 * top, 1.08 * top)
    if drawn and top <= 1.0 and max(tops[1:], default=0.0) == 0.0:
        ax.text(0.99, 0.96, "all gaps 0 %", transform=ax.transAxes, ha="right", va="top",
                fontsize=8)
    return fig


def _ratio_vs_size(plt, rows, labels, colors, cls):
    fig, ax = plt.subplots(figsize=(8.0, 4.4))
    xs = [x for x in (_num(r, "num_vars") for r in rows) if x is not None]
    width, offsets = _dodge(xs, 2 * len(labels))
    drawn: list[str] = []
    for i, lab in enumerate(labels):
        rs = [r for r in rows if _solver_key(r) == lab and _num(r, "num_vars") is not None]
        for j, (key, pre, marker) in enumerate((("approx_ratio", "", "o"),
                                                ("expectation_ratio", "raw_", "^"))):
            by_x = _by_x(rs, "num_vars", lambda r, key=key: _num(r, key))
            if by_x:
                x = sorted(by_x)
                _errorbar(ax, np.asarray(x) + offsets[2 * i + j],
                          [median_ci(by_x[v]) for v in x], colors[lab], pre, marker=marker)
                drawn.append(lab)
    _legend(ax, drawn, colors, kinds=("<C>/C*", "ratio pp"), markers=("^", "o"))
    _axes(ax, xs, width, "problem size [variables]", "ratio (median, 95 % CI; 1 = optimal)",
          f"{cls}: approximation and expectation ratio vs size",
          None if drawn else "no ratios (no reference optimum)")
    return fig


def _time_vs_size(plt, rows, labels, colors, cls):
    fig, ax = plt.subplots(figsize=(8.0, 4.4))
    xs = [x for x in (_num(r, "num_vars") for r in rows) if x is not None]
    width, offsets = _dodge(xs, len(labels))
    drawn: list[str] = []
    for i, lab in enumerate(labels):
        by_x: dict[float, list[float]] = {}
        for r in rows:
            if _solver_key(r) == lab and _num(r, "wall_time") is not None \
                    and _num(r, "num_vars") is not None:
                by_x.setdefault(_num(r, "num_vars"), []).append(max(r["wall_time"], 1e-6))
        if by_x:
            x = sorted(by_x)
            stats = [median_ci(by_x[v]) for v in x]
            _errorbar(ax, np.asarray(x) + offsets[i], stats, colors[lab], "")
            ax.plot(np.asarray(x) + offsets[i], [s[0] for s in stats], "-", color=colors[lab],
                    lw=1, alpha=0.6)
            drawn.append(lab)
    _legend(ax, drawn, colors)
    ax.set_yscale("log")
    _axes(ax, xs, width, "problem size [variables]", "solve time per run [s] (median, 95 % CI)",
          f"{cls}: solve time vs size (compile excluded)", None if drawn else "no timed runs")
    return fig


def _gap_boxes(plt, rows, labels, colors, cls):
    fig, ax = plt.subplots(figsize=(max(6.4, 1.1 * len(labels) + 3), 4.4))
    data, ticks, pos, facec, edge = [], [], [], [], []
    for i, lab in enumerate(labels):
        for j, pre in enumerate(("raw_", "")):
            vals = [100 * r[f"{pre}gap"] for r in rows
                    if _solver_key(r) == lab and _num(r, f"{pre}gap") is not None]
            data.append(vals or [math.nan])
            pos.append(3 * i + j)
            facec.append("white" if pre else colors[lab])
            edge.append(colors[lab])
        ticks.append(3 * i + 0.5)
    bp = ax.boxplot(data, positions=pos, widths=0.7, patch_artist=True, showfliers=False,
                    medianprops=dict(color="k", lw=1.2))
    for patch, fc in zip(bp["boxes"], facec):
        patch.set_facecolor(fc)
    # every run as a point (deterministic jitter), drawn over the boxes: groups whose runs
    # all have the same gap have a box of zero height and would otherwise not show at all
    tops = [1.0]
    for p, vals, fc, ec in zip(pos, data, facec, edge):
        v = np.asarray([x for x in vals if x == x], dtype=float)
        if len(v):
            jitter = 0.25 * (np.linspace(-1.0, 1.0, len(v)) if len(v) > 1 else np.zeros(1))
            # post-processed points on their filled box: a black rim keeps them visible
            ax.scatter(p + jitter, v, s=16, facecolors=fc, zorder=3,
                       edgecolors=ec if fc == "white" else "k",
                       linewidths=0.9 if fc == "white" else 0.5)
            med, lo, hi = median_ci(v)
            ax.errorbar([p + 0.5], [med], yerr=[[med - lo], [hi - med]], fmt="D", color="k",
                        mfc="k", ms=3, capsize=2, elinewidth=1.6, zorder=5)
            tops.append(float(np.max(v)))
    ax.set_xticks(ticks, labels, rotation=30, ha="right", fontsize=7)
    ax.set_xlim(-1, 3 * max(len(labels), 1) - 1)
    top = max(tops)
    ax.set_ylim(-0.04 * top, 1.08 * top)
    ax.set_ylabel("optimality gap [%]")
    _title(ax, f"{cls}: gap per solver, one point per run")
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(facecolor="white", edgecolor="0.3", label="raw"),
                       Patch(facecolor="0.5", edgecolor="0.3", label="pp"),
                       Line2D([], [], color="k", marker="D", ms=3, lw=1.6,
                              label="median, 95 % CI")],
              fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def _axes(ax, xs, width, xlabel: str, ylabel: str, title: str, empty: str | None) -> None:
    """Labels, a title that fits, integer x ticks, and ``empty`` said in the middle when
    nothing was drawn."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _title(ax, title)
    _integer_x(ax, xs, width)
    if empty:
        ax.text(0.5, 0.5, empty, ha="center", va="center", transform=ax.transAxes)


def _integer_x(ax, xs: list[float], width: float) -> None:
    """Integer ticks: the distinct values themselves when few (with room for the dodged
    markers around each), else integer locator ticks."""
    from matplotlib.ticker import MaxNLocator

    distinct = sorted(set(xs))
    if distinct and len(distinct) <= _EXPLICIT_TICKS:
        ax.set_xticks([round(x) for x in distinct])
        step = min(np.diff(distinct)) if len(distinct) > 1 else 1.0
        pad = 0.6 * step
        ax.set_xlim(distinct[0] - pad, distinct[-1] + pad)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _title(ax, text: str) -> None:
    ax.set_title("\n".join(textwrap.wrap(text, _TITLE_WIDTH)), fontsize=10)


def _legend(ax, labels, colors, kinds=(), markers=("s", "o")) -> None:
    """One entry per solver (its colour) plus one per marker kind (raw / pp, ...)."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=colors[lab], marker="o", lw=0, label=lab)
               for lab in dict.fromkeys(labels)]
    faces = {"s": "white", "^": "white"}
    for kind, m in zip(kinds, markers):
        handles.append(Line2D([], [], color="0.3", marker=m, mfc=faces.get(m, "0.3"), lw=0,
                              label=kind))
    if labels:
        ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def _solver_key(r: dict) -> str:
    return r["label"] if r.get("backend") is None else f"{r['label']} [{r['backend']}]"


def _save(plt, fig, out_dir: Path, stem: str, formats) -> list[Path]:
    """Write ``fig`` as ``stem.<format>`` for each format; tight bounding box (nothing
    clipped); the PDF / SVG keep text as text."""
    paths = []
    # text stays text: editable in a paper's figure, searchable (TrueType in PDF, <text> in SVG)
    with plt.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42}):
        for fmt in formats:
            path = out_dir / f"{stem}.{fmt}"
            fig.savefig(path, dpi=130 if fmt == "png" else None, bbox_inches="tight",
                        metadata={"Date": None} if fmt == "svg" else None)
            paths.append(path)
    plt.close(fig)
    return paths


__all__ = ["FIGURE_FORMATS", "make_plots", "median_ci"]
