"""Issue 14 regressions (engineer C's part): readers never guess a layout or silently change the
problem, MILP statuses are honest, a corrupt store is a qopt error, outputs are safe."""

from __future__ import annotations

import time

import numpy as np
import pytest

import qopt
from qopt.errors import InstanceFormatError, QoptWarning, SizeLimitError, SolverError
from qopt.problems import MDKP, MIS, QAP, MarketSplit, MaxCut, load

ACCEPTANCE_MSP = "2 4\n3 5 2 7 8\n1 4 6 2 5\n"


def write(tmp_path, name: str, text: str | bytes):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def assert_names_line(exc_info, path, line: int) -> None:
    err = exc_info.value
    assert err.path == str(path) and err.line == line
    assert str(err).startswith(f"{path}, line {line}: ")


# ---- 1. market split in QOBLIB's layout ----------------------------------------------------
def test_msp_acceptance_file_reads_as_qoblib_layout_and_milp_solves_it(tmp_path):
    p = MarketSplit.read(write(tmp_path, "accept.dat", ACCEPTANCE_MSP))
    assert p.coefficients.tolist() == [[3, 5, 2, 7], [1, 4, 6, 2]]
    assert p.targets.tolist() == [8, 5]
    res = qopt.solve(p, "milp", postprocess=False)
    assert res.status == "optimal" and res.objective == 0 and res.feasible
    assert res.solution == [1, 1, 0, 0]
    # ... its only solution: enumeration of all 16 splits agrees
    X = (np.arange(16)[:, None] >> np.arange(4)) & 1
    assert np.flatnonzero(p.evaluate_batch(X) == 0).tolist() == [0b0011]


def test_msp_write_read_round_trip_both_layouts(tmp_path):
    p = MarketSplit.generate(3, seed=4)
    p.write(tmp_path / "q.dat")
    lines = (tmp_path / "q.dat").read_text().splitlines()
    assert lines[0] == "3 20" and all(len(r.split()) == 21 for r in lines[1:]) and len(lines) == 4
    p.write(tmp_path / "l.dat", layout="legacy")
    assert (tmp_path / "l.dat").read_text().splitlines()[0] == "3 20 legacy"
    for f in ("q.dat", "l.dat"):
        back = MarketSplit.read(tmp_path / f)
        np.testing.assert_array_equal(back.coefficients, p.coefficients)
        np.testing.assert_array_equal(back.targets, p.targets)


def test_msp_unmarked_legacy_file_is_refused_not_misread(tmp_path):
    # all of A, then the targets: the same m(n + 1) numbers, a different problem
    path = write(tmp_path, "old.txt", "2 4\n3 5 2 7\n1 4 6 2\n8 5\n")
    with pytest.raises(InstanceFormatError, match="needs '2 4 legacy' as its header") as info:
        MarketSplit.read(path)
    assert_names_line(info, path, 2)
    marked = write(tmp_path, "old_marked.txt", "2 4 legacy\n3 5 2 7\n1 4 6 2\n8 5\n")
    p = MarketSplit.read(marked)
    assert p.coefficients.tolist() == [[3, 5, 2, 7], [1, 4, 6, 2]] and p.targets.tolist() == [8, 5]


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ("2 4\n3 5 2 7 8 1\n1 4 6 2 5\n", 2, r"row 1 has 6 numbers, expected n \+ 1 = 5"),
    ("2 4\n3 5 2 7 8\n", 2, "expected 2 rows of 5 integers"),
    ("2 4\n3 5 2 7 8\n1 4 6 2 5\n9 9 9 9 9\n", 4, "more than the 2 rows"),
    ("2 4\n3 5 2.5 7 8\n1 4 6 2 5\n", 2, "'2.5' is not an integer"),
    ("2 4 qoblib\n3 5 2 7 8\n1 4 6 2 5\n", 1, "expected 'm n'"),
    ("2 1000000000\n3 5 2 7 8\n1 4 6 2 5\n", 2, "row 1 has 5 numbers"),   # nothing allocated
])
def test_msp_file_fitting_neither_layout_names_file_and_line(tmp_path, text, line, fragment):
    path = write(tmp_path, "bad.dat", text)
    with pytest.raises(InstanceFormatError, match=fragment) as info:
        MarketSplit.read(path)
    assert_names_line(info, path, line)


def test_shipped_msp_files_are_in_qoblib_layout_with_their_optima(tmp_path):
    from importlib import resources

    from qopt.problems import shipped_index

    for name, entry in shipped_index("msp").items():
        text = (resources.files("qopt.problems") / "data" / "msp" / entry["file"]).read_text()
        rows = text.split("\n")
        m, n = map(int, rows[0].split())
        assert [len(r.split()) for r in rows[1:m + 1]] == [n + 1] * m
        p = load("msp", name)
        assert p.evaluate(p.encode(entry["solution"])) == entry["optimum"] == p.optimum


def test_msp_planted_generator_is_feasible_and_seeded():
    a = MarketSplit.generate((3, 20), seed=5, planted=True)
    b = qopt.generate("msp", {"m": 3, "n": 20, "planted": True}, 5)   # the sweep form
    np.testing.assert_array_equal(a.coefficients, b.coefficients)
    np.testing.assert_array_equal(a.targets, b.targets)
    assert a.optimum == 0 and "planted" in a.name
    plain = MarketSplit.generate((3, 20), seed=5)
    np.testing.assert_array_equal(plain.coefficients, a.coefficients)
    assert not np.array_equal(plain.targets, a.targets)
    with pytest.raises(qopt.errors.OptionError, match="size table"):
        MarketSplit.generate({"m": 3, "k": 2}, seed=0)


def test_sweep_config_makes_planted_market_split_instances(tmp_path):
    from qopt.experiments.config import parse_config

    cfg = parse_config('[[problems]]\nkind = "msp"\nsizes = [{m = 3, n = 20, planted = true}]\n'
                       'generator_seeds = [0, 1]\n[[solvers]]\nname = "exact"\n',
                       source="planted.toml", base_dir=tmp_path)
    problems = [run.problem.load() for run in cfg.runs]
    assert [p.num_vars for p in problems] == [20, 20] and all(p.optimum == 0 for p in problems)
    assert all(qopt.solve(p, "exact").objective == 0 for p in problems)


@pytest.mark.parametrize(("m", "n", "seed"), [(3, 20, 0), (3, 20, 1), (4, 30, 0), (4, 30, 1),
                                           (4, 30, 2)])
def test_planted_qoblib_instances_reach_deviation_zero_with_milp(tmp_path, m, n, seed):
    # branch and bound over the kernel lattice (milp's lattice=None picks it for market split):
    # each well under a second on 2 cores; over x, 6 of 8 (4, 30) seeds took more than 30 s
    pytest.importorskip("fpylll")
    p = MarketSplit.generate((m, n), seed=seed, planted=True)
    p.write(tmp_path / "planted.dat")
    q = MarketSplit.read(tmp_path / "planted.dat")
    t0 = time.perf_counter()
    res = qopt.solve(q, "milp", time_limit=20, postprocess=False)
    assert res.status == "optimal" and res.objective == 0 and res.feasible
    assert res.info["lattice_dim"] == n - m
    assert time.perf_counter() - t0 < 20


def test_kernel_lattice_parametrises_every_integral_solution():
    pytest.importorskip("fpylll")
    from qopt.solvers.classical.lattice import kernel_lattice

    rng = np.random.default_rng(3)
    A = rng.integers(0, 100, size=(3, 12))
    x_star = rng.integers(0, 2, size=12)
    form = kernel_lattice(A, A @ x_star)
    assert form is not None and form.basis.shape == (12, 9)
    assert np.array_equal(A @ form.x0, A @ x_star) and not np.any(A @ form.basis)
    # x* - x0 lies in the kernel lattice: an integral lam solves basis lam = x* - x0
    lam, *_ = np.linalg.lstsq(form.basis.astype(float), (x_star - form.x0).astype(float),
                              rcond=None)
    assert np.allclose(lam, np.rint(lam), atol=1e-6)
    assert np.array_equal(form.solution(lam), x_star)
    assert kernel_lattice(np.array([[2.0, 4.0]]), np.array([3.0])) is None    # no integral x
    assert kernel_lattice(np.array([[0.5, 1.0]]), np.array([1.0])) is None    # not integral


def test_milp_lattice_option_agrees_with_plain_branch_and_bound():
    pytest.importorskip("fpylll")
    for seed in range(3):
        p = MarketSplit.generate((2, 10), seed=seed)            # often infeasible
        plain = qopt.solve(p, "milp", lattice=False, postprocess=False)
        lat = qopt.solve(p, "milp", lattice=True, postprocess=False)
        assert plain.status == lat.status and plain.objective == lat.objective
        assert plain.info["lattice_dim"] is None and lat.info["lattice_dim"] == 8
    with pytest.raises(qopt.errors.OptionError, match="lattice=True needs"):
        qopt.solve(load("mdkp", "pet2"), "milp", lattice=True)


# ---- 2. MILP statuses ------------------------------------------------------------------------
def test_milp_model_error_is_an_error_not_infeasible():
    p = MDKP([3.0, 4.0, 5.0], [[1e15, 1.0, 1.0]], [2.0])
    with pytest.raises(SolverError, match="large_matrix_value"):
        qopt.solve(p, "milp", postprocess=False)
    ok = qopt.solve(MDKP([3.0, 4.0, 5.0], [[1e14, 1.0, 1.0]], [2.0]), "milp", postprocess=False)
    assert ok.status == "optimal" and ok.objective == 9.0 and ok.feasible


def test_milp_infeasible_only_when_proven_and_limits_named():
    # x0 + x1 == 1 and x0 + x1 == 2 cannot both hold
    prog = qopt.model.BinaryProgram(2, np.ones(2))
    prog.add_constraints([[1, 1], [1, 1]], "==", [1, 2])
    res = qopt.solve(prog, "milp", postprocess=False)
    assert res.status == "infeasible" and not res.feasible
    assert res.info["highs_status"] == "kInfeasible"
    hard = MarketSplit.generate((4, 30), seed=1)
    res = qopt.solve(hard, "milp", node_limit=5, lattice=False, postprocess=False)
    assert res.status in ("node_limit", "node_limit_no_incumbent")
    assert res.info["highs_status"] == "kSolutionLimit"


# ---- 3. readers ------------------------------------------------------------------------------
BIG = "9" * 25     # beyond int64


@pytest.mark.parametrize(("cls", "text", "line", "fragment"), [
    (MIS, f"p edge 3 1\ne 1 {BIG}\n", 2, "beyond the readers' limit"),
    (MaxCut, f"3 1\n1 {BIG} 1\n", 2, "beyond the readers' limit"),
    (MaxCut, "3 1\n1 2 1e308\n", 2, "beyond the readers' limit"),
    (MaxCut, "3 1\n1 2 inf\n", 2, "'inf' is not a finite number"),
    (MaxCut, "3 1\n1 2 nan\n", 2, "'nan' is not a finite number"),
    (MaxCut, "3 2\n1 2 1\n3 3 1\n", 3, "self-loop on vertex 3"),
    (MIS, "p edge 3 2\ne 1 2\ne 3 3\n", 3, "self-loop on vertex 3"),
    (MDKP, "2 1 0\n3 1e300\n1 1\n1\n", 2, "beyond the readers' limit"),
    (MDKP, f"2 1 0\n3 4\n1 {BIG}\n1\n", 3, "beyond the readers' limit"),
    (QAP, "2\n0 1\n1 0\n0 2\n2 1e20\n", 5, "beyond the readers' limit"),
    (MarketSplit, f"1 2\n1 {BIG} 1\n", 2, "beyond the readers' limit"),
    (MarketSplit, "1 2\n-9223372036854775808 1 2\n", 2, "beyond the readers' limit"),  # int64 min
])
def test_reader_refuses_out_of_range_values_naming_file_and_line(tmp_path, cls, text, line,
                                                                 fragment):
    path = write(tmp_path, "bad.txt", text)
    with pytest.raises(InstanceFormatError, match=fragment) as info:
        cls.read(path)
    assert_names_line(info, path, line)


@pytest.mark.parametrize(("cls", "text"), [
    (MIS, "c a comment\np edge 3 2\ne 1 2\ne 2 3\n"),
    (MaxCut, "3 2\n1 2 1\n2 3 1\n"),
    (MDKP, "2 1 0\n3 4\n1 1\n1\n"),
    (QAP, "2\n0 1\n1 0\n0 2\n2 0\n"),
    (MarketSplit, ACCEPTANCE_MSP),
])
def test_files_starting_with_a_utf8_bom_are_read(tmp_path, cls, text):
    plain = cls.read(write(tmp_path, "plain.txt", text))
    bom = cls.read(write(tmp_path, "bom.txt", b"\xef\xbb\xbf" + text.encode()))
    assert bom.describe() | {"name": None} == plain.describe() | {"name": None}


@pytest.mark.parametrize(("cls", "text"), [
    (MIS, "p edge 1000000000 1\ne 1 2\n"),
    (MaxCut, "1000000000 1\n1 2 1\n"),
])
def test_huge_declared_vertex_count_is_refused_before_allocating(tmp_path, monkeypatch, cls,
                                                                 text):
    monkeypatch.setenv("QOPT_MEMORY_LIMIT", "1G")
    path = write(tmp_path, "huge.txt", text)
    with pytest.raises(SizeLimitError, match=rf"{path}, line 1: needs an estimated .* over "
                                             r"the memory limit .* the header declares "
                                             r"1000000000 vertices"):
        cls.read(path)
    monkeypatch.setenv("QOPT_MEMORY_LIMIT", "100G")   # a limit that allows it: not refused
    small = write(tmp_path, "small.txt", text.replace("1000000000", "30"))
    assert cls.read(small).num_vars == 30


@pytest.mark.parametrize(("cls", "text", "fragment"), [
    (QAP, "100000\n0 1\n1 0\n", "expected 10000000000 flow matrix entries, file ends"),
    (MDKP, "1000000000 1000 0\n1 2\n", "expected 1000000000 profits, file ends"),
])
def test_matrix_readers_check_declared_sizes_against_the_file_first(tmp_path, cls, text,
                                                                    fragment):
    path = write(tmp_path, "huge.dat", text)
    with pytest.raises(InstanceFormatError, match=fragment):
        cls.read(path)


def test_repeated_edges_merge_with_a_warning_in_mis_and_maxcut(tmp_path):
    mis_path = write(tmp_path, "g.col", "p edge 3 3\ne 1 2\ne 2 3\ne 2 1\n")
    with pytest.warns(QoptWarning, match=rf"{mis_path}, line 4: 1 repeated edge"):
        mis = MIS.read(mis_path)
    assert mis.edges.tolist() == [[0, 1], [1, 2]]
    cut_path = write(tmp_path, "g.txt", "3 3\n1 2 1\n2 3 1\n2 1 2.5\n")
    with pytest.warns(QoptWarning, match=rf"{cut_path}, line 4: .*weights added"):
        cut = MaxCut.read(cut_path)
    assert cut.edges.tolist() == [[0, 1], [1, 2]] and cut.weights.tolist() == [3.5, 1.0]
    assert cut.evaluate(np.array([1, 0, 1])) == 4.5


def test_cli_reports_reader_errors_as_one_qopt_line(tmp_path, capsys):
    from qopt.cli import main

    path = write(tmp_path, "w.txt", "3 1\n1 2 1e308\n")
    code = main(["solve", "maxcut", "--instance", str(path), "--solver", "exact"])
    err = capsys.readouterr().err
    assert code == 2 and f"{path}, line 2" in err and "Traceback" not in err


# ---- 4. store corruption ---------------------------------------------------------------------
SWEEP = """name = "tiny"
[[problems]]
kind = "msp"
instances = ["msp_m2_s1"]
[[solvers]]
name = "exact"
"""


def damaged_stores(tmp_path) -> dict:
    """results directories whose store is garbage, truncated or 0 bytes."""
    import os

    from qopt.experiments.store import ResultStore

    out = {}
    for kind in ("garbage", "truncated", "empty"):
        d = tmp_path / kind
        d.mkdir()
        out[kind] = d
    (out["garbage"] / "results.sqlite").write_bytes(b"SQLite format 3\x00" + os.urandom(4000))
    good = out["truncated"] / "results.sqlite"
    with ResultStore(good) as store:
        for i in range(200):
            store.insert({"run_key": f"k{i}", "status": "done", "result": "x" * 400})
    with open(good, "r+b") as fh:
        fh.truncate(good.stat().st_size // 2)
    (out["empty"] / "results.sqlite").write_bytes(b"")
    return out


@pytest.mark.parametrize("command", ["sweep", "report"])
def test_damaged_store_is_a_qopt_error_naming_the_file_and_the_recovery(tmp_path, capsys,
                                                                       command):
    from qopt.cli import main

    config = write(tmp_path, "tiny.toml", SWEEP)
    for kind, d in damaged_stores(tmp_path).items():
        argv = (["sweep", str(config), "--results", str(d), "--no-progress"]
                if command == "sweep" else ["report", str(d), "--format", "csv"])
        code = main(argv)
        err = capsys.readouterr().err
        store = d / "results.sqlite"
        assert code == 2, (kind, err)
        assert err.startswith("qopt: ") and err.count("\n") == 1, err
        assert f"{store}: the results store" in err and "re-run the sweep" in err
        assert "Traceback" not in err and "DatabaseError" not in err
        if kind == "empty":
            assert "0-byte" in err and store.stat().st_size == 0    # not taken as a new store


def test_new_store_appears_whole_and_a_racing_creator_keeps_the_first(tmp_path):
    import sqlite3

    from qopt.experiments.store import ResultStore

    path = tmp_path / "results.sqlite"
    with ResultStore(path) as first:
        first.insert({"run_key": "a", "status": "done"})
        with ResultStore(path) as second:
            second._create()                 # a second process creating it just after
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("results")) == []
    with ResultStore(path) as again:
        assert again.keys() == {"a"}
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_report_never_creates_a_store(tmp_path, capsys):
    from qopt.cli import main

    assert main(["report", str(tmp_path)]) == 2
    assert "results.sqlite: no results store" in capsys.readouterr().err
    assert not (tmp_path / "results.sqlite").exists()


def test_missing_store_file_is_a_new_store(tmp_path):
    from qopt.experiments.store import ResultStore

    with ResultStore(tmp_path / "new" / "results.sqlite") as store:
        assert len(store) == 0 and store.insert({"run_key": "a", "status": "done"})


# ---- 5. output safety ------------------------------------------------------------------------
def test_csv_and_markdown_outputs_never_embed_names_raw(tmp_path):
    import csv

    from qopt.experiments.report import write_report
    from qopt.experiments.store import ResultStore

    evil = '=HYPERLINK("http://x.invalid","y")'
    rows = [{"run_key": f"r{i}", "sweep": "s|1", "problem_class": "maxcut", "instance": name,
             "solver": "anneal", "label": "anneal", "status": "done", "sense": "max",
             "optimum": -2.0, "objective": -3.5, "feasible": True, "gap": 0.75, "seed": i,
             "num_vars": 4, "wall_time": 0.1, "options": "{}"}
            for i, name in enumerate([evil, "+cmd", "@SUM(A1)", "-2+3", "a|b\nc<b>", "-7"])]
    with ResultStore(tmp_path / "results.sqlite") as store:
        for r in rows:
            store.insert(r)
    write_report(tmp_path, tmp_path / "out", formats=["csv", "md", "qoblib"])
    with open(tmp_path / "out" / "runs.csv", newline="") as fh:
        runs = list(csv.DictReader(fh))
    assert [r["instance"] for r in runs] == ["'" + evil, "'+cmd", "'@SUM(A1)", "'-2+3",
                                             "a|b\nc<b>", "-7"]
    assert {r["objective"] for r in runs} == {"-3.5"} and {r["optimum"] for r in runs} == {"-2.0"}
    with open(tmp_path / "out" / "summary.csv", newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    with open(tmp_path / "out" / "qoblib_summary.csv", newline="") as fh:
        ids = [r["Problem"] for r in csv.DictReader(fh)]
    from qopt.experiments.qoblib import instance_word

    assert "'" + instance_word(evil) in ids            # quoted: not a formula
    md = (tmp_path / "out" / "report.md").read_text()
    assert "a\\|b c&lt;b&gt;" in md and "a|b" not in md and "<b>" not in md
    header = None
    for ln in md.splitlines():                          # every row keeps its column count
        if ln.startswith("| instance"):
            header = ln.count("|")
        elif "a\\|b" in ln:
            assert header is not None and ln.replace("\\|", "").count("|") == header


def test_csv_safe_value_rules():
    from qopt.experiments.output_safety import csv_safe_value

    assert csv_safe_value("=1+1") == "'=1+1" and csv_safe_value("\tx") == "'\tx"
    assert csv_safe_value("-3") == "-3" and csv_safe_value("+1.5e3") == "+1.5e3"
    assert csv_safe_value(-3.0) == -3.0 and csv_safe_value("plain") == "plain"


HEATMAP_SWEEP = """name = "paths"
[[problems]]
kind = "maxcut"
instances = ["reg3_16"]
[[solvers]]
name = "map-elites"
budget = 300
options = {{ heatmap = "{path}", initial = 50, batch_size = 25 }}
"""


def test_sweep_output_path_options_are_confined_to_the_results_dir(tmp_path):
    from qopt.errors import ConfigError
    from qopt.experiments.config import parse_config
    from qopt.experiments.execution import execute, sweep_options

    with pytest.raises(ConfigError, match=r"options\.heatmap: '\.\./\.\./x\.png' leaves the "
                                          r"results directory"):
        parse_config(HEATMAP_SWEEP.format(path="../../x.png"), source="p.toml",
                     base_dir=tmp_path)
    results = tmp_path / "results"
    cfg = parse_config(HEATMAP_SWEEP.format(path="plots/../heat.png"), source="p.toml",
                       base_dir=tmp_path)
    import dataclasses

    spec = dataclasses.replace(cfg.runs[0], output_dir=str(results))
    row = execute(spec)
    assert row["status"] == "done", row.get("error")
    assert (results / "heat.png").is_file() and not (tmp_path / "heat.png").exists()
    assert row["run_key"] == cfg.runs[0].key                 # the key ignores the directory
    absolute = tmp_path / "elsewhere" / "abs.png"
    absolute.parent.mkdir()
    cfg = parse_config(HEATMAP_SWEEP.format(path=str(absolute)), source="p.toml",
                       base_dir=tmp_path)                     # absolute: explicit, allowed
    assert sweep_options(dataclasses.replace(cfg.runs[0], output_dir=str(results))) == \
        cfg.runs[0].options
    (results / "link").symlink_to(tmp_path / "elsewhere")
    cfg = parse_config(HEATMAP_SWEEP.format(path="link/out.png"), source="p.toml",
                       base_dir=tmp_path)
    row = execute(dataclasses.replace(cfg.runs[0], output_dir=str(results)))
    assert row["status"] == "failed" and "leads out of the results directory" in row["error"]
    assert not (tmp_path / "elsewhere" / "out.png").exists()


def test_cli_shows_a_merge_warning_as_one_qopt_line(tmp_path, capsys):
    from qopt.cli import main

    path = write(tmp_path, "dup.txt", "3 3\n1 2 1\n2 3 1\n2 1 2\n")
    assert main(["solve", "maxcut", "--instance", str(path), "--solver", "exact"]) == 0
    err = capsys.readouterr().err
    assert f"qopt: warning: {path}, line 4: 1 repeated edge(s)" in err
    assert "warnings.warn" not in err and "QoptWarning" not in err


def test_constructors_refuse_non_finite_or_absurd_values():
    for make in (lambda: MaxCut(2, [[0, 1]], [float("inf")]),
                 lambda: MDKP([1e300], [[1.0]], [1.0]),
                 lambda: QAP([[float("nan")]], [[1.0]]),
                 lambda: MarketSplit([[1, 2]], [1e20])):
        with pytest.raises(qopt.errors.OptionError, match="finite with magnitude at most 2"):
            make()
