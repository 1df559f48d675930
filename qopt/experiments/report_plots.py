"""The report's plots (PNG, matplotlib), per problem class, over the ``done`` runs:

- ``gap_vs_size_CLASS.png``: optimality gap [%] against problem size [variables] for every
  solver (hollow: raw best sample, filled: post-processed);
- ``gap_vs_qubits_CLASS.png``: the same against qubits, for the runs that used qubits only
  (quantum solvers); each axis has one unit, so classical runs are not put on a qubit axis;
- ``time_vs_size_CLASS.png``: mean solve time per run [s] (``wall_time``, which excludes numba
  compile time) against problem size [variables];
- ``boxplot_gap_CLASS.png``: gap per solver (white: raw, coloured: post-processed), every run
  drawn as a point on top, so a group whose runs all have the same gap -- a box of zero
  width, invisible as a box -- still shows.

Size and qubit axes have integer ticks only.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from qopt.experiments.report_metrics import mean_of, run_records


def _num(r: dict, key: str) -> float | None:
    v = r.get(key)
    return None if v is None or v != v else float(v)


def make_plots(df, out_dir: Path) -> dict[str, list[Path]]:
    """Per problem class: the plots of the module docstring; returns class -> PNG paths."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    out: dict[str, list[Path]] = {}
    records = [r for r in run_records(df) if r["status"] == "done"]
    for cls in sorted({r["problem_class"] for r in records}):
        rows = [r for r in records if r["problem_class"] == cls]
        labels = sorted({_solver_key(r) for r in rows})
        colors = {lab: plt.cm.tab10(i % 10) for i, lab in enumerate(labels)}
        paths = [
            _gap_scatter(plt, rows, labels, colors, "num_vars", "problem size [variables]",
                         f"{cls}: gap vs size", out_dir / f"gap_vs_size_{cls}.png"),
            _gap_scatter(plt, [r for r in rows if _num(r, "qubits") is not None], labels,
                         colors, "qubits", "qubits", f"{cls}: gap vs qubits (quantum solvers)",
                         out_dir / f"gap_vs_qubits_{cls}.png"),
            _time_vs_size(plt, rows, labels, colors, cls, out_dir / f"time_vs_size_{cls}.png"),
            _gap_boxes(plt, rows, labels, colors, cls, out_dir / f"boxplot_gap_{cls}.png"),
        ]
        out[cls] = paths
    return out


def _gap_scatter(plt, rows, labels, colors, key, xlabel, title, path) -> Path:
    fig, ax = plt.subplots(figsize=(8.0, 4.2))
    xs = [x for x in (_num(r, key) for r in rows) if x is not None]
    span = (max(xs) - min(xs) + 1.0) if xs else 1.0
    for i, lab in enumerate(labels):
        rs = [r for r in rows if _solver_key(r) == lab and _num(r, key) is not None]
        shift = 0.012 * span * (i - (len(labels) - 1) / 2)   # side by side, not on top
        for pre, face in (("raw_", "none"), ("", colors[lab])):
            pts = [(_num(r, key) + shift, 100 * r[f"{pre}gap"]) for r in rs
                   if _num(r, f"{pre}gap") is not None]
            if pts:
                x, y = zip(*pts)
                ax.scatter(x, y, facecolors=face, edgecolors=colors[lab], s=28,
                           label=f"{lab} ({'raw' if pre else 'pp'})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("optimality gap [%]")
    ax.set_title(f"{title} (feasible runs; hollow: raw, filled: pp)")
    _integer_ticks(ax.xaxis)
    _legend(ax)
    return _save(plt, fig, path)


def _time_vs_size(plt, rows, labels, colors, cls, path) -> Path:
    fig, ax = plt.subplots(figsize=(8.0, 4.2))
    for lab in labels:
        rs = [r for r in rows if _solver_key(r) == lab and _num(r, "wall_time") is not None]
        sizes = sorted({int(r["num_vars"]) for r in rs if _num(r, "num_vars") is not None})
        means = [mean_of(r["wall_time"] for r in rs if r["num_vars"] == n) for n in sizes]
        if sizes:
            ax.plot(sizes, means, "o-", color=colors[lab], label=lab)
    ax.set_xlabel("problem size [variables]")
    ax.set_ylabel("mean solve time per run [s]")
    ax.set_yscale("log")
    ax.set_title(f"{cls}: time vs size (solve time, numba compile excluded)")
    _integer_ticks(ax.xaxis)
    _legend(ax, empty="no timed runs")
    return _save(plt, fig, path)


def _gap_boxes(plt, rows, labels, colors, cls, path) -> Path:
    fig, ax = plt.subplots(figsize=(max(6.4, 1.1 * len(labels) + 2), 4.2))
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
    bp = ax.boxplot(data, positions=pos, widths=0.8, patch_artist=True, showfliers=False)
    for patch, fc in zip(bp["boxes"], facec):
        patch.set_facecolor(fc)
    # every run as a point (deterministic jitter), drawn over the boxes: groups whose runs
    # all have the same gap have a box of zero height and would otherwise not show at all
    for p, vals, fc, ec in zip(pos, data, facec, edge):
        v = np.asarray([x for x in vals if x == x], dtype=float)
        if len(v):
            jitter = 0.25 * (np.linspace(-1.0, 1.0, len(v)) if len(v) > 1 else np.zeros(1))
            ax.scatter(p + jitter, v, s=16, facecolors=fc, edgecolors=ec, linewidths=0.9,
                       zorder=3)
    ax.set_xticks(ticks, labels, rotation=30, ha="right", fontsize=7)
    ax.set_xlim(-1, 3 * max(len(labels), 1) - 1)
    ax.set_ylabel("optimality gap [%] (white: raw, filled: pp)")
    ax.set_title(f"{cls}: gap per solver (feasible runs; one point per run)")
    return _save(plt, fig, path)


def _integer_ticks(axis) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _legend(ax, empty: str = "no feasible runs") -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.text(0.5, 0.5, empty, ha="center", va="center", transform=ax.transAxes)


def _solver_key(r: dict) -> str:
    return r["label"] if r.get("backend") is None else f"{r['label']} [{r['backend']}]"


def _save(plt, fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


__all__ = ["make_plots"]
