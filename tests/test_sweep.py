"""Sweeps end to end: SIGKILL + resume, statuses (failed, timeout, skipped), pool vs Ray."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qopt.experiments.config import load_config
from qopt.experiments.runners import run_sweep
from qopt.experiments.store import VOLATILE_COLUMNS, ResultStore


def _untimed(value):
    """JSON data without timings (keys "time", "*_time"), package versions and the kernel
    thread count (placement: a local sweep divides the cores, results do not depend on it)."""
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items()
                if k not in ("time", "versions", "threads") and not k.endswith("_time")}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value


def comparable(row: dict) -> dict:
    """A row without timing / placement columns; its result JSON without timings."""
    out = {k: v for k, v in row.items() if k not in VOLATILE_COLUMNS}
    if row.get("result"):
        out["result"] = _untimed(json.loads(row["result"]))
    return out


def descendants(pid: int) -> set[int]:
    """All live descendant process ids of ``pid`` (Linux /proc)."""
    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = (task / "children").read_text().split()
            except OSError:
                continue
            for k in map(int, kids):
                if k not in found:
                    found.add(k)
                    todo.append(k)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


KILL_CONFIG = """
name = "kill"
plugins = ["experiments_toy"]
seeds = [0, 1, 2, 3, 4, 5]

[[problems]]
kind = "toyknap"
sizes = [5, 6, 7]

[[solvers]]
name = "toy-sample"
options = { sleep = 0.4, shots = 8 }
"""


def test_sigkill_mid_sweep_then_resume_gives_exact_row_set(toy_dir):
    cfg_path = toy_dir / "kill.toml"
    cfg_path.write_text(KILL_CONFIG)
    results = toy_dir / "results"
    expected = {r.key for r in load_config(cfg_path).runs}
    assert len(expected) == 18
    script = toy_dir / "sweep_script.py"      # no __main__ guard, as users write scripts
    script.write_text("import sys\nfrom qopt.experiments.runners import run_sweep\n"
                      "run_sweep(sys.argv[1], sys.argv[2], workers=2, progress=False)\n")
    proc = subprocess.Popen([sys.executable, str(script), str(cfg_path), str(results)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    store_file = results / "results.sqlite"
    deadline = time.monotonic() + 90
    n_before, kids = 0, set()
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()
        kids |= descendants(proc.pid)
        if store_file.exists():
            with ResultStore(store_file) as st:
                n_before = len(st)
            if n_before >= 4:
                break
        time.sleep(0.05)
    assert n_before >= 4
    kids |= descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    # the workers die with the sweep (they do not keep running orphaned)
    end = time.monotonic() + 15
    while time.monotonic() < end and any(alive(k) for k in kids):
        time.sleep(0.1)
    assert kids and not any(alive(k) for k in kids)
    with ResultStore(store_file) as st:
        killed_rows = st.rows()
    assert 4 <= len(killed_rows) < 18                   # interrupted mid-way
    assert {r["status"] for r in killed_rows} == {"done"}

    summary = run_sweep(cfg_path, results, workers=2, progress=False)
    assert summary["already_stored"] == len(killed_rows)
    assert summary["ran"] == 18 - len(killed_rows)
    with ResultStore(store_file) as st:
        rows = st.rows()
    keys = [r["run_key"] for r in rows]
    assert len(keys) == len(set(keys)) == 18            # nothing duplicated
    assert set(keys) == expected                        # nothing lost
    assert all(r["status"] == "done" for r in rows)
    # the rows stored before the kill are untouched by the resume
    assert [comparable(r) for r in rows[:len(killed_rows)]] == \
        [comparable(r) for r in killed_rows]


STATUS_CONFIG = """
name = "statuses"
plugins = ["experiments_toy"]
seeds = [0, 1]
limits = { statevector = 8 }

[[problems]]
kind = "toyknap"
sizes = [5]
generator_seeds = [2]

[[solvers]]
name = "toy-sample"
label = "ok"

[[solvers]]
name = "toy-sample"
label = "broken"
options = { fail = true }
seeds = [0]

[[solvers]]
name = "toy-sample"
label = "crash"
options = { crash = true }
seeds = [0]

[[solvers]]
name = "toy-sample"
label = "huge"
options = { too_big = true }
seeds = [0]

[[solvers]]
name = "toy-sample"
label = "slow"
options = { sleep = 60.0 }
timeout = 1
seeds = [0]

[[solvers]]
name = "toy-q"
grid = { compress = [1, 3] }
label = "q{compress}"

[[solvers]]
name = "qaoa-from-the-future"
allow_missing = true
grid = { p = [1, 2] }
seeds = [0]
"""


def test_statuses_failed_timeout_skipped_and_retry(toy_dir):
    import experiments_toy  # noqa: F401  (registered by load_config through the plugin list)

    from qopt import solve
    from qopt.experiments.config import ProblemSpec

    cfg_path = toy_dir / "s.toml"
    cfg_path.write_text(STATUS_CONFIG)
    results = toy_dir / "res"
    t0 = time.monotonic()
    summary = run_sweep(cfg_path, results, workers=2, progress=False)
    assert time.monotonic() - t0 < 45                   # the 60 s run was cut at 1 s
    assert (summary["total"], summary["done"], summary["failed"], summary["skipped"]) == \
        (12, 4, 3, 5)
    with ResultStore(results / "results.sqlite") as st:
        rows = {(r["label"], r["seed"]): r for r in st.rows()}
    assert rows[("broken", 0)]["status"] == "failed"
    assert rows[("broken", 0)]["error"] == "SolverError: toy failure on purpose"
    assert rows[("slow", 0)]["status"] == "failed"
    assert rows[("slow", 0)]["error"] == "timeout after 1 s"
    assert rows[("crash", 0)]["status"] == "failed"
    assert rows[("crash", 0)]["error"] == "worker died (exit code 3)"
    assert rows[("huge", 0)]["status"] == "skipped"
    assert "2 TiB" in rows[("huge", 0)]["reason"]
    problem = ProblemSpec("toyknap", size=5, generator_seed=2).load()
    n_qubo = None
    for seed in (0, 1):
        q1 = rows[("q1", seed)]
        assert q1["status"] == "skipped"
        n_qubo = q1["qubits"]
        assert q1["reason"] == f"needs {n_qubo} qubits, statevector limit 8"
        q3 = rows[("q3", seed)]
        assert q3["status"] == "done" and q3["qubits"] == -(-n_qubo // 3) and q3["depth"] == 3
        assert q3["backend"] == "statevector"
    assert n_qubo > 8
    for p in (1, 2):
        r = rows[(f"qaoa-from-the-future p={p}", 0)]
        assert r["status"] == "skipped" and r["reason"] == "solver not available"
    # done rows hold what qopt.solve returns for the same seed
    for seed in (0, 1):
        r = rows[("ok", seed)]
        direct = solve(problem, solver="toy-sample", seed=seed)
        assert r["objective"] == direct.objective and r["feasible"] == direct.feasible
        assert r["raw_objective"] == direct.raw.objective
        assert r["gap"] == direct.gap and r["optimum"] == problem.optimum
        assert json.loads(r["result"])["solution"] == direct.solution
        assert r["num_vars"] == 5 and r["size"] == 5 and r["instance"] == "toyknap-5-s2"
    # a re-run runs nothing; retry_failed runs the two failed ones again
    again = run_sweep(cfg_path, results, workers=2, progress=False)
    assert again["ran"] == 0 and again["already_stored"] == 12
    retry = run_sweep(cfg_path, results, workers=1, progress=False,
                      retry_failed=True)
    assert retry["ran"] == 3 and retry["failed"] == 3
    with ResultStore(results / "results.sqlite") as st:
        assert len(st) == 12


RAY_CONFIG = """
name = "ray"
plugins = ["experiments_toy"]
seeds = [0, 1]

[[problems]]
kind = "toyknap"
sizes = [5, 6]

[[solvers]]
name = "toy-sample"

[[solvers]]
name = "toy-q"
options = { compress = 2 }
seeds = [3]
"""


def test_pool_and_ray_give_identical_rows(toy_dir):
    pytest.importorskip("ray")
    cfg_path = toy_dir / "r.toml"
    cfg_path.write_text(RAY_CONFIG)
    a = run_sweep(cfg_path, toy_dir / "pool", workers=2, progress=False)
    b = run_sweep(cfg_path, toy_dir / "ray", workers=2, engine="ray", progress=False)
    assert a["done"] == b["done"] == 6
    with ResultStore(toy_dir / "pool" / "results.sqlite") as st:
        rows_a = sorted(st.rows(), key=lambda r: r["run_key"])
    with ResultStore(toy_dir / "ray" / "results.sqlite") as st:
        rows_b = sorted(st.rows(), key=lambda r: r["run_key"])
    assert [comparable(r) for r in rows_a] == [comparable(r) for r in rows_b]
    assert len({r["objective"] for r in rows_a}) > 1       # not trivially equal rows


def test_real_solvers_sweep(tmp_path):
    """exact / anneal (and qaoa once registered) on a generated MaxCut and a shipped MIS."""
    from qopt.solvers import registry

    cfg_path = tmp_path / "real.toml"
    cfg_path.write_text("""
name = "real"
seeds = [0]
budget = 400
[[problems]]
kind = "maxcut"
sizes = [6]
generator_seeds = [1]
reference = "exact"
[[problems]]
kind = "mis"
instances = ["1tc.8"]
[[solvers]]
name = "exact"
[[solvers]]
name = "anneal"
options = { reads = 8 }
[[solvers]]
name = "qaoa"
options = { p = 1 }
""")
    summary = run_sweep(cfg_path, tmp_path / "res", workers=2, progress=False)
    with ResultStore(tmp_path / "res" / "results.sqlite") as st:
        rows = {(r["solver"], r["instance"]): r for r in st.rows()}
    assert summary["total"] == 6 and len(rows) == 6
    for inst in ("maxcut-6-s1", "1tc.8"):
        ex = rows[("exact", inst)]
        assert ex["status"] == "done", ex["error"]
        assert ex["feasible"] == 1 and ex["gap"] == 0.0 and ex["approx_ratio"] == 1.0
        assert rows[("anneal", inst)]["status"] == "done"
        q = rows[("qaoa", inst)]
        if "qaoa" in registry.names():
            assert q["status"] == "done", q["error"]
            assert q["qubits"] >= 6 and q["backend"] == "statevector"
        else:
            assert q["status"] == "skipped" and q["reason"] == "solver not available"
    assert rows[("exact", "1tc.8")]["objective"] == 4
