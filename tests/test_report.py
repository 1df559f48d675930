"""Report: rendered tables match numbers recomputed from the stored rows (medians and 95 %
bootstrap intervals over seeds); exports."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from qopt.experiments.report import QOBLIB_COLUMNS, tts99, write_report
from qopt.experiments.report_metrics import BOOTSTRAP_RESAMPLES, bootstrap_interval
from qopt.experiments.store import ResultStore

OPT = {("mdkp", "hp1"): 3418.0, ("mdkp", "pet2"): 87061.0, ("qap", "nug12"): 578.0}
SENSE = {"mdkp": "max", "qap": "min"}


def _gap_ratio(sense, opt, obj, feas):
    if not feas:
        return None, None
    gap = abs(opt - obj) / abs(opt)
    return gap, (obj / opt if sense == "max" else opt / obj)


def make_rows(seed: int = 7) -> list[dict]:
    """Stored rows of a fictitious sweep: 3 instances x 2 solvers x 6 seeds, plus failures."""
    rng = np.random.default_rng(seed)
    rows = []
    for (cls, inst), opt in OPT.items():
        sense = SENSE[cls]
        for label, backend in (("qaoa p=1", "statevector"), ("anneal", None)):
            for s in range(6):
                key = f"{cls}-{inst}-{label}-{s}"
                base = {"run_key": key, "sweep": "fake", "problem_class": cls,
                        "instance": inst, "solver": label.split()[0], "label": label,
                        "backend": backend, "seed": s, "repetition": s, "options": "{}",
                        "sense": sense, "optimum": opt, "num_vars": 20, "num_slack": 4,
                        "budget": 100}
                if s == 5 and label == "anneal":
                    rows.append({**base, "status": "failed", "error": "SolverError: boom"})
                    continue
                if s == 5:
                    rows.append({**base, "status": "skipped",
                                 "reason": "needs 144 qubits, statevector limit 30"})
                    continue
                vals = {}
                for pre in ("raw_", ""):
                    feas = bool(rng.random() < 0.7) or (pre == "" and s == 0)
                    hit = s == 0 and pre == ""
                    dev = 0.0 if hit else float(rng.integers(1, 40)) / 100
                    obj = opt * (1 - dev) if sense == "max" else opt * (1 + dev)
                    gap, ratio = _gap_ratio(sense, opt, obj, feas)
                    vals.update({f"{pre}feasible": feas, f"{pre}objective": obj,
                                 f"{pre}gap": gap, f"{pre}approx_ratio": ratio})
                t = float(rng.uniform(0.1, 2.0))
                rows.append({**base, **vals, "status": "done", "wall_time": t,
                             "time_classical": t * 0.4, "time_simulation": t * 0.6,
                             "prob_optimum": float(rng.random() * 0.2),
                             "qubits": 24 if backend else None,
                             "depth": int(rng.integers(5, 50)) if backend else None,
                             "evaluations": int(rng.integers(50, 100))})
    return rows


def md_tables(md: str, cls: str, heading: str) -> list[dict]:
    """Rows (header -> cell) of the first table after ``heading`` in section ``## cls``."""
    section = md.split(f"\n## {cls}\n", 1)[1].split("\n## ", 1)[0]
    part = section.split(f"### {heading}\n", 1)[1]
    lines = [ln for ln in part.strip().split("\n\n", 1)[0].splitlines() if ln.startswith("|")]
    cells = [[c.strip() for c in ln.strip("|").split(" | ")] for ln in lines]
    header, body = cells[0], cells[2:]
    return [dict(zip(header, r)) for r in body]


def pct(x):
    return "—" if x is None else f"{100 * x:.1f}%"


def point(cell: str) -> str:
    """The point estimate of a cell ``value [low, high]`` (the value alone if no interval)."""
    return cell.split(" [", 1)[0]


def interval(cell: str) -> tuple[float, float] | None:
    if " [" not in cell:
        return None
    lo, hi = cell.split(" [", 1)[1].rstrip("]").split(", ")
    return float(lo.rstrip("%")), float(hi.rstrip("%"))


def test_report_numbers_match_rows(tmp_path):
    rows = make_rows()
    with ResultStore(tmp_path / "results.sqlite") as st:
        for r in rows:
            assert st.insert(r)
    paths = write_report(tmp_path, formats="md,html,csv,png,parquet,qoblib")
    out = tmp_path / "report"
    assert {p.name for p in paths} >= {"report.md", "report.html", "runs.csv", "summary.csv",
                                       "runs.parquet", "qoblib_summary.csv"}
    written = {"png": [p for p in paths if p.suffix == ".png"]}
    md = (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    checked = 0
    for cls in ("mdkp", "qap"):
        table = md_tables(md, cls, "By instance")
        assert len(table) == 2 * sum(c == cls for c, _ in OPT)
        for line in table:
            backend = None if line["backend"] == "—" else line["backend"]
            group = [r for r in rows if r["problem_class"] == cls and
                     r["instance"] == line["instance"] and r["label"] == line["solver"] and
                     r["backend"] == backend]
            done = [r for r in group if r["status"] == "done"]
            n_fail = sum(r["status"] == "failed" for r in group)
            n_skip = sum(r["status"] == "skipped" for r in group)
            assert line["runs (ok/fail/skip)"] == f"{len(done)}/{n_fail}/{n_skip}"
            for pre, tag in (("raw_", "raw"), ("", "pp")):
                feas = [r[f"{pre}feasible"] for r in done]
                gaps = [r[f"{pre}gap"] for r in done if r[f"{pre}gap"] is not None]
                ratios = [r[f"{pre}approx_ratio"] for r in done
                          if r[f"{pre}approx_ratio"] is not None]
                assert point(line[f"feasible {tag}"]) == pct(sum(feas) / len(feas))
                assert point(line[f"gap {tag}"]) == (pct(float(np.median(gaps))) if gaps
                                                     else "—")
                assert point(line[f"ratio {tag}"]) == (f"{np.median(ratios):.3f}" if ratios
                                                       else "—")
                ci = interval(line[f"gap {tag}"])
                if ci is not None:     # the interval brackets the median, inside the data
                    med = 100 * float(np.median(gaps))
                    assert 100 * min(gaps) - 0.05 <= ci[0] <= med + 0.05
                    assert med - 0.05 <= ci[1] <= 100 * max(gaps) + 0.05
                p = np.mean([r[f"{pre}feasible"] and r[f"{pre}gap"] == 0 for r in done])
                t = np.mean([r["wall_time"] for r in done])
                tts = t if p >= 0.99 else t * math.log(0.01) / math.log(1 - p) if p else 0
                want = "∞" if p == 0 else f"{tts:.3g}"
                assert point(line[f"TTS99 {tag} [s]"]) == want
                checked += 1
            assert line["best gap pp"] == pct(min(r["gap"] for r in done if r["gap"] is not None))
            assert point(line["P(opt)"]) == \
                f"{np.median([r['prob_optimum'] for r in done]):.4f}"
            evals = float(np.median([r["evaluations"] for r in done]))
            assert point(line["evaluations"]) == f"{evals:g}"
            if backend:
                assert line["qubits"] == "24"
                assert point(line["depth"]) == \
                    f"{float(np.median([r['depth'] for r in done])):g}"
            else:
                assert line["qubits"] == line["depth"] == "—"
            assert point(line["time [s]"]) == \
                f"{np.median([r['wall_time'] for r in done]):.3g}"
            assert f"<td>{line['feasible raw']}</td>" in html
        # the per-solver table aggregates over the instances of the class
        for line in md_tables(md, cls, "By solver (all instances)"):
            done = [r for r in rows if r["problem_class"] == cls and r["label"] == line["solver"]
                    and r["status"] == "done"]
            assert point(line["feasible pp"]) == pct(np.mean([r["feasible"] for r in done]))
    assert checked == 2 * 2 * 3
    assert "needs 144 qubits, statevector limit 30" in md and "SolverError: boom" in md
    # figures (PDF / SVG: test_report_plots), and exports
    assert len(written["png"]) == 5 * 2     # gap vs size / qubits, ratio, time, boxplot
    assert all(p.stat().st_size > 5000 for p in written["png"])
    assert all(f"({p.name})" in md for p in written["png"])
    with open(out / "runs.csv") as fh:
        assert sum(1 for _ in csv.DictReader(fh)) == len(rows)
    pd = pytest.importorskip("pandas")
    summary = pd.read_csv(out / "summary.csv")
    for key in ("gap", "raw_gap", "approx_ratio", "feasible_rate", "tts99", "wall_time",
                "prob_optimum", "objective_evaluations"):
        lo, hi = summary[f"{key}_ci95_low"], summary[f"{key}_ci95_high"]
        ok = lo.notna() & summary[key].notna()
        assert ok.any() and (lo[ok] <= summary[key][ok] + 1e-12).all()
        assert (summary[key][ok] <= hi[ok] + 1e-12).all()
    pytest.importorskip("pyarrow")
    assert len(pd.read_parquet(out / "runs.parquet")) == len(rows)
    with open(out / "qoblib_summary.csv", encoding="utf-8") as fh:
        assert not fh.read(1).startswith("\ufeff")        # no byte-order mark
        fh.seek(0)
        reader = csv.DictReader(fh)
        assert reader.fieldnames == QOBLIB_COLUMNS and len(QOBLIB_COLUMNS) == 27
        sub = list(reader)
    assert len(sub) == 2 * len(OPT)
    for line in sub:
        inst = line["Problem"]
        cls = next(c for c, i in OPT if i == inst)
        label = "anneal" if "anneal" in line["Workflow"] else "qaoa p=1"
        done = [r for r in rows if r["problem_class"] == cls and r["instance"] == inst
                and r["label"] == label and r["status"] == "done"]
        feas = [r for r in done if r["feasible"]]
        best = (max if SENSE[cls] == "max" else min)(r["objective"] for r in feas)
        assert int(line["# Runs"]) == len(done)
        assert int(line["# Feasible Runs"]) == len(feas)
        # QOBLIB's success: feasible and as good as the best this configuration found
        assert int(line["# Successful Runs"]) == sum(r["objective"] == best for r in feas) >= 1
        assert line["Best Objective Value"] == f"{best:g}"
        assert float(line["Total Runtime"]) == pytest.approx(
            np.mean([r["wall_time"] for r in done]), rel=1e-5)


def test_bootstrap_interval_matches_an_independent_resampling():
    """scipy's percentile bootstrap against plain numpy resampling (another stream): the
    95 % interval of a median agrees within the resampling noise; same data, same interval."""
    data = np.random.default_rng(3).gamma(2.0, 1.0, size=40)
    lo, hi = bootstrap_interval([data], lambda x, axis=-1: np.median(x, axis=axis))
    assert (lo, hi) == bootstrap_interval([data], lambda x, axis=-1: np.median(x, axis=axis))
    rng = np.random.default_rng(12345)
    meds = np.median(data[rng.integers(0, len(data), (BOOTSTRAP_RESAMPLES, len(data)))], axis=1)
    ref = np.percentile(meds, [2.5, 97.5])
    spread = data.max() - data.min()
    assert abs(lo - ref[0]) < 0.03 * spread and abs(hi - ref[1]) < 0.03 * spread
    assert lo < np.median(data) < hi
    assert np.isnan(bootstrap_interval([data[:1]], np.median)).all()     # one run: none
    assert bootstrap_interval([np.full(5, 2.0)], lambda x, axis=-1: np.median(x, axis=axis)) \
        == (2.0, 2.0)


def test_tts99_definition():
    assert tts99(2.0, 1.0) == 2.0
    assert tts99(2.0, 0.0) == math.inf
    assert tts99(2.0, 0.5) == pytest.approx(2.0 * math.log(0.01) / math.log(0.5))
    assert tts99(1.0, 0.2) > tts99(1.0, 0.4) > tts99(1.0, 0.8)


def test_empty_store_and_bad_format(tmp_path):
    ResultStore(tmp_path / "results.sqlite").close()
    paths = write_report(tmp_path, tmp_path / "out", formats=("md", "csv"))
    assert [p.name for p in paths] == ["report.md", "runs.csv"]
    assert "No runs stored." in paths[0].read_text()
    from qopt.errors import OptionError

    with pytest.raises(OptionError, match="unknown report format"):
        write_report(tmp_path, tmp_path / "out", formats=("gif",))
    with pytest.raises(OptionError, match="unknown report format"):
        write_report(tmp_path, tmp_path / "out", formats="md,jpeg")
    with pytest.raises(OptionError, match="no results"):
        write_report(tmp_path / "missing", tmp_path / "out")


def test_groups_without_a_reference_say_so_in_words(tmp_path):
    rows = [{"run_key": f"r{i}", "sweep": "s", "problem_class": "maxcut", "instance": "g",
             "solver": "anneal", "label": "anneal", "status": "done", "sense": "max",
             "optimum": None, "objective": 10.0, "feasible": True, "raw_feasible": True,
             "seed": i, "num_vars": 8, "wall_time": 0.1} for i in range(3)]
    write_report(rows, tmp_path, formats="md")
    md = (tmp_path / "report.md").read_text()
    line = next(ln for ln in md.splitlines() if ln.startswith("| g | anneal"))
    assert line.count("no reference") >= 8           # gap, ratios, P(opt), TTS99 cells
