"""QOBLIB submissions written by qopt pass QOBLIB's own validator (tests/qoblib/), with every
solution checked by the class's own checker: a real sweep (exact, annealing, QAOA) on an
independent-set and a market-split instance, reported as ``qoblib-submission``."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from qopt.experiments.config import parse_config
from qopt.experiments.qoblib import QOBLIB_COLUMNS
from qopt.experiments.report import write_report
from qopt.experiments.store import ResultStore
from tests.sweep_runs import run_into_store

HERE = Path(__file__).parent / "qoblib"
DATA = Path(__file__).parents[1] / "qopt" / "problems" / "data"
#: a market split instance in QOBLIB's layout, rhs = floor(row sum / 2) (QOBLIB's checker
#: insists); feasible: x = (0, 1, 1, 1, 0, 0) and (1, 0, 0, 0, 1, 1) only
MSP_TEXT = "2 6\n7 8 1 8 5 5 17\n6 3 9 1 3 4 13\n"
#: (binary, source) of the QOBLIB checkers
CHECKERS = {"check_stableset": ("flate2", "check_stableset.rs"),
            "check_marketsplit": ("regex", "check_marketsplit.rs")}
DEBIAN_CRATES = Path("/usr/share/cargo/registry")


def _sweep(tmp: Path) -> Path:
    (tmp / "ms_tiny.dat").write_text(MSP_TEXT)
    config = f"""
name = "qoblib"
seeds = [0, 1]
[[problems]]
kind = "mis"
instances = ["1tc.8"]
[[problems]]
kind = "msp"
instances = ["{tmp / 'ms_tiny.dat'}"]
[[solvers]]
name = "exact"
seeds = [0]
[[solvers]]
name = "anneal"
[[solvers]]
name = "qaoa"
options = {{ p = 1, maxiter = 15 }}
backends = ["statevector"]
"""
    cfg = parse_config(config, source="qoblib.toml", base_dir=tmp)
    return run_into_store(cfg, tmp / "results")


@pytest.fixture(scope="module")
def submission(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("qoblib")
    results = _sweep(tmp)
    out = tmp / "submission"
    paths = write_report(results, out, formats="qoblib-submission", submitter="Ada Lovelace")
    instances = tmp / "instances"
    instances.mkdir()
    shutil.copy(DATA / "mis" / "1tc.8.txt", instances / "1tc.8")
    shutil.copy(tmp / "ms_tiny.dat", instances / "ms_tiny")
    return out, paths, instances, results


def _checkers(cache: Path) -> dict[str, Path] | str:
    """The QOBLIB checker binaries, built offline from Debian's crates once per source hash;
    a string says why they cannot be built here."""
    cargo = shutil.which("cargo")
    if cargo is None:
        return "cargo is not installed"
    missing = [c for c, _ in CHECKERS.values() if not any(DEBIAN_CRATES.glob(f"{c}-*"))]
    if missing:
        return (f"Debian's crates {missing} are missing (apt-get install librust-flate2-dev "
                "librust-regex-dev)")
    digest = hashlib.sha256(b"".join((HERE / src).read_bytes()
                                     for _, src in CHECKERS.values())).hexdigest()[:16]
    root = cache / digest
    bins = {name: root / "target" / "debug" / name for name in CHECKERS}
    if all(b.is_file() for b in bins.values()):
        return bins
    members = []
    for name, (crate, src) in CHECKERS.items():
        pkg = root / name
        (pkg / "src" / "bin").mkdir(parents=True, exist_ok=True)
        shutil.copy(HERE / src, pkg / "src" / "bin" / f"{name}.rs")
        (pkg / "Cargo.toml").write_text(f'[package]\nname = "{name}-pkg"\nversion = "0.1.0"\n'
                                        f'edition = "2021"\n\n[dependencies]\n{crate} = "1"\n')
        members.append(f'"{name}"')
    (root / "Cargo.toml").write_text(f"[workspace]\nmembers = [{', '.join(members)}]\n"
                                     'resolver = "2"\n')
    (root / ".cargo").mkdir(exist_ok=True)
    (root / ".cargo" / "config.toml").write_text(
        '[source.crates-io]\nreplace-with = "debian"\n\n'
        f'[source.debian]\ndirectory = "{DEBIAN_CRATES}"\n')
    proc = subprocess.run([cargo, "build", "--offline", "-q"], cwd=root, capture_output=True,
                          text=True, timeout=900)
    if proc.returncode != 0:
        return f"cargo build failed: {proc.stderr[-400:]}"
    return bins


def _validate(root: Path, pattern: str, checker_cmd: str | None = None):
    cmd = [sys.executable, str(HERE / "check_submission.py"), str(root),
           "--strict-problem-match", "--instance-pattern", pattern, "--verbose"]
    if checker_cmd:
        cmd += ["--checker-cmd", checker_cmd, "--fail-on-checker"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_layout_summary_and_time_series(submission):
    out, _, _, results = submission
    (folder,) = [p for p in out.iterdir() if p.is_dir() and "exact" in p.name]
    assert re.fullmatch(r"\d{8}_exact_Ada-Lovelace", folder.name)
    roots = sorted(p.name.split("_", 1)[1] for p in out.iterdir())
    assert roots == ["anneal_Ada-Lovelace", "exact_Ada-Lovelace",
                     "qaoa-statevector_Ada-Lovelace"]
    with ResultStore.open(results) as store:
        rows = [r for r in store.rows() if r["status"] == "done"]
    for inst in ("1tc.8", "ms_tiny"):
        inst_dir = folder / inst
        raw = (inst_dir / f"{inst}_summary.csv").read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")          # no byte-order mark
        (line,) = list(csv.DictReader(raw.decode().splitlines()))
        assert list(line) == QOBLIB_COLUMNS and len(QOBLIB_COLUMNS) == 27
        assert line["Problem"] == inst and line["Submitter"] == "Ada Lovelace"
        assert line["Algorithm Type"] == "Deterministic"
        assert line["Optimality Bound"] == line["Best Objective Value"]   # exact proved it
        mine = [r for r in rows if r["label"] == "exact" and r["instance"].startswith(inst)]
        assert float(line["Best Objective Value"]) == mine[0]["objective"]
        assert float(line["Total Runtime"]) == pytest.approx(mine[0]["wall_time"], rel=1e-5)
        assert line["# Decision Variables"] == str(mine[0]["num_vars"] + mine[0]["num_slack"])
        series = json.loads((inst_dir / f"{inst}_objective_time_series.json").read_text())
        assert isinstance(series, list) and len(series) == 1
        assert all(set(p) == {"Time", "Incumbent"} for p in series[0])
        assert series[0][-1]["Incumbent"] == mine[0]["objective"]
    # stochastic configurations: one run list and one solution file per feasible run
    anneal = next(p for p in out.iterdir() if "anneal" in p.name) / "1tc.8"
    line = next(csv.DictReader((anneal / "1tc.8_summary.csv").read_text().splitlines()))
    assert line["# Runs"] == "2" and line["Algorithm Type"] == "Stochastic"
    sols = sorted((anneal / "solutions").iterdir())
    assert [p.name for p in sols] == [f"1tc.8_solution_{k}.sol"
                                      for k in range(int(line["# Feasible Runs"]))]
    assert len(json.loads((anneal / "1tc.8_objective_time_series.json").read_text())) == 2


def test_solution_files_decode_to_the_stored_solutions(submission):
    """An independent reading of the files: MIS x#i lines and market-split 0/1 rows give
    back feasible solutions with the stored objectives."""
    out, _, instances, _ = submission
    import qopt

    mis = qopt.load("mis", "1tc.8")
    msp = qopt.load("msp", str(instances / "ms_tiny"))
    for sol in out.glob("*/1tc.8/solutions/*.sol"):
        lines = sol.read_text().splitlines()
        assert lines[0].startswith("# 1tc.8: objective")
        bits = np.zeros(mis.num_vars, dtype=np.uint8)
        for ln in lines:
            if ln.startswith("x#"):
                i, v = ln[2:].split()
                bits[int(i) - 1] = int(v)
        assert mis.is_feasible(bits)
        assert f"objective {mis.evaluate(bits):g}" in lines[0]
    for sol in out.glob("*/ms_tiny/solutions/*.sol"):
        (row,) = sol.read_text().splitlines()
        bits = np.array(row.split(), dtype=np.uint8)
        assert len(bits) == 6 and msp.is_feasible(bits)


def test_qoblib_validator_accepts_the_submission(submission):
    out = submission[0]
    roots = sorted(p for p in out.iterdir() if p.is_dir())
    for root in roots:
        for pattern in ("1tc.8", "ms_tiny"):
            proc = _validate(root, pattern)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            assert "Overall: OK" in proc.stdout
    # a Problem cell that does not match its folder is refused (the check is real)
    bad = out / "broken"
    shutil.copytree(roots[0], bad)
    csv_path = next(bad.glob("1tc.8/1tc.8_summary.csv"))
    csv_path.write_text(csv_path.read_text().replace("\n1tc.8,", "\nother,", 1))
    proc = _validate(bad, "1tc.8")
    assert proc.returncode == 1 and "must equal instance name" in proc.stdout
    shutil.rmtree(bad)


def test_qoblib_checkers_verify_every_solution(submission, request):
    out, _, instances, _ = submission
    cache = getattr(request.config, "cache", None)      # None under -p no:cacheprovider
    root = Path(cache.mkdir("qoblib-checkers")) if cache is not None else \
        Path(tempfile.gettempdir()) / "qopt-test-qoblib-checkers"
    bins = _checkers(root)
    if isinstance(bins, str):
        pytest.skip(f"QOBLIB's Rust checkers cannot be built here: {bins}")
    objective = {}
    for sol in out.glob("*/1tc.8/solutions/*.sol"):
        objective[sol.name] = sum(ln.endswith(" 1") for ln in sol.read_text().splitlines()
                                  if ln.startswith("x#"))
    for root in sorted(p for p in out.iterdir() if p.is_dir()):
        for pattern, name in (("1tc.8", "check_stableset"), ("ms_tiny", "check_marketsplit")):
            cmd = f"{bins[name]} {instances}/{{instance}} {{solution}}"
            proc = _validate(root, pattern, cmd)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            assert "Overall: OK" in proc.stdout and "Checker results:" in proc.stdout
            assert "VALID: Solution successfully verified" in proc.stdout
            # the checker read the set qopt wrote (not an empty one): its size is reported
            for size in re.findall(r"stable set size = (\d+) is ok", proc.stdout):
                assert int(size) in objective.values() and int(size) > 0
    # an infeasible solution makes QOBLIB's checker fail the submission
    root = next(p for p in out.iterdir() if "exact" in p.name)
    sol = next((root / "1tc.8" / "solutions").iterdir())
    good = sol.read_text()
    try:
        sol.write_text(re.sub(r"x#(\d+) 0", r"x#\1 1", good))       # every vertex chosen
        proc = _validate(root, "1tc.8", f"{bins['check_stableset']} {instances}/{{instance}} "
                                        "{solution}")
        assert proc.returncode == 1 and "INVALID" in proc.stdout
    finally:
        sol.write_text(good)


def test_cli_writes_the_same_submission(submission, tmp_path, capsys):
    from qopt.cli import main

    out, _, _, results = submission
    code = main(["report", str(results), "--format", "qoblib-submission", "--out",
                 str(tmp_path), "--submitter", "Ada Lovelace"])
    assert code == 0
    printed = capsys.readouterr().out.split()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in out.iterdir()
                                                                if p.name != "broken")
    assert all(p.startswith(str(tmp_path)) for p in printed) and len(printed) > 10


def test_labs_submission_names_the_instance_and_the_model_solved(tmp_path):
    """LABS from a sweep (kind "labs", size 6: the one instance QOBLIB calls labs006): the
    folder and Problem cell use QOBLIB's name, and the model columns describe what each
    solver was given: qaoa the quartic HUBO itself on 6 qubits (6 + 15 + 18 + 7 = 46 terms),
    ma-qaoa its quadratisation (auxiliary variables), mts the degree-4 binary program (its
    cubic and quartic terms counted too)."""
    from qopt.problems.labs import LABS
    from qopt.solvers.base import Task

    cfg = parse_config('seeds = [0]\n[[problems]]\nkind = "labs"\nsizes = [6]\n'
                       '[[solvers]]\nname = "mts"\n'
                       '[[solvers]]\nname = "qaoa"\noptions = { maxiter = 2 }\n'
                       '[[solvers]]\nname = "ma-qaoa"\noptions = { maxiter = 2 }\n',
                       source="labs.toml", base_dir=tmp_path)
    run_into_store(cfg, tmp_path / "results")
    out = tmp_path / "submission"
    write_report(tmp_path / "results", out, formats="qoblib-submission")
    rows = {}
    for path in out.glob("*/*/*_summary.csv"):
        assert path.parent.name == "labs006" and path.name == "labs006_summary.csv"
        with open(path, newline="", encoding="utf-8") as fh:
            row = next(csv.DictReader(fh))
        rows[path.parents[1].name.split("_")[1].removesuffix("-statevector")] = row
    assert {r["Problem"] for r in rows.values()} == {"labs006"}
    hubo = Task(LABS(6), max_degree=None).cost
    quad = Task(LABS(6)).qubo
    terms = sum(len(c) for _, c in hubo.all_terms().values())
    assert terms == 46
    assert "HUBO" in rows["qaoa"]["Modeling Approach"]
    assert (rows["qaoa"]["# Decision Variables"], rows["qaoa"]["# Non-Zero Coefficients"]) == \
        ("6", "46")
    assert "auxiliary" in rows["ma-qaoa"]["Modeling Approach"]
    assert rows["ma-qaoa"]["# Decision Variables"] == str(quad.num_vars)
    assert rows["mts"]["# Non-Zero Coefficients"] == "46"
    assert "degree 4" in rows["mts"]["Modeling Approach"]
