"""First run of the README's main job: cold numba cache, compile time apart from run time and
timeouts, progress line, seeds of generated instances, sweep workers' qopt."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import qopt
from qopt import cli, progress
from qopt.compilation import CACHE_ENV, clock, configure_cache, default_cache_dir, kernel_digest

REPO = Path(__file__).resolve().parents[1]


# ---- seeds --------------------------------------------------------------------------------
def test_unseeded_generated_instance_is_seed_0_every_time():
    a, b = qopt.generate("maxcut", 10), qopt.generate("maxcut", 10)
    zero = qopt.generate("maxcut", 10, seed=0)
    assert a.name == b.name == zero.name
    assert a.name.endswith("_s0") and "None" not in a.name
    assert np.array_equal(a.edges, b.edges) and np.array_equal(a.edges, zero.edges)
    assert not np.array_equal(a.edges, qopt.generate("maxcut", 10, seed=1).edges)


def test_cli_unseeded_instance_is_the_same_twice(capsys):
    names = []
    for _ in range(2):
        assert cli.main(["solve", "mis", "--size", "10", "--solver", "exact", "--json"]) == 0
        names.append(json.loads(capsys.readouterr().out)["problem"])
    assert names[0] == names[1] and names[0].endswith("_s0")


# ---- numba cache location -----------------------------------------------------------------
def test_cache_dir_is_per_user_and_respects_numba_cache_dir(tmp_path, monkeypatch):
    import numba

    assert os.environ[CACHE_ENV] == numba.config.CACHE_DIR
    assert not Path(numba.config.CACHE_DIR).resolve().is_relative_to(
        Path(qopt.__file__).resolve().parent)
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)
    digest = f"qopt-{kernel_digest()}"
    assert configure_cache() == str(tmp_path / "xdg" / "qopt" / "numba" / digest) == \
        str(default_cache_dir() / digest) == numba.config.CACHE_DIR == os.environ[CACHE_ENV]
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "mine"))
    assert configure_cache() == str(tmp_path / "mine" / digest) == numba.config.CACHE_DIR
    # a child process inherits the digest folder and keeps it; another qopt's is replaced
    assert configure_cache() == str(tmp_path / "mine" / digest)
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "mine" / "qopt-0123456789ab"))
    assert configure_cache() == str(tmp_path / "mine" / digest)


def test_kernel_cache_folder_follows_the_shared_kernel_sources(tmp_path, monkeypatch):
    """numba checks a cached kernel against its own file only; the statevector kernels inline
    helpers from other files, so an edit of any of them must start a fresh cache folder; old
    folders unused for STALE_DAYS go when a new one is made, recent ones stay."""
    import numba

    from qopt import compilation

    root = tmp_path / "pkg"
    (root / "backends" / "kernels").mkdir(parents=True)
    helper = root / "backends" / "kernels" / "tiles.py"
    helper.write_text("X = 1\n")
    monkeypatch.setattr(compilation, "__file__", str(root / "compilation.py"))
    shared = root / "backends" / "subspace_kernels.py"
    shared.write_text("Y = 1\n")
    (root / "backends" / "subspace.py").write_text("Z = 1\n")
    first = compilation.kernel_digest()
    helper.write_text("X = 2\n")
    assert compilation.kernel_digest() != first
    second = compilation.kernel_digest()
    shared.write_text("Y = 2\n")                   # a helper module the subspace kernels inline
    assert compilation.kernel_digest() != second
    third = compilation.kernel_digest()
    (root / "backends" / "subspace.py").write_text("Z = 2\n")   # no kernel inlines it
    assert compilation.kernel_digest() == third
    assert len(first) == 12 and int(first, 16) >= 0

    base = tmp_path / "cache"
    old, recent = base / "qopt-aaaaaaaaaaaa", base / "qopt-bbbbbbbbbbbb"
    for d in (old, recent):
        (d / "backends_x").mkdir(parents=True)
    stale = time.time() - (compilation.STALE_DAYS + 1) * 86400
    os.utime(old, (stale, stale))
    monkeypatch.setenv(CACHE_ENV, str(base))
    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)
    path = Path(compilation.configure_cache())
    assert path.parent == base and path.is_dir()
    assert path.name == f"qopt-{compilation.kernel_digest()}"
    assert not old.exists() and recent.exists()


def test_compile_clock_counts_a_fresh_kernel_and_solve_reports_it_apart():
    import numba

    @numba.njit(cache=False)
    def twice(x):
        return 2 * x

    clock.install()
    with clock.measure() as spent:
        assert twice(3) == 6
    assert spent[0] > 0
    with clock.measure() as again:
        assert twice(4) == 8          # compiled already: no time in the compiler
    assert again[0] == 0
    res = qopt.solve(qopt.generate("maxcut", 6), solver="anneal", seed=0, reads=2, sweeps=10)
    assert res.compile_time >= 0 and res.time["compile"] == res.compile_time
    assert res.wall_time >= sum(v for k, v in res.time.items() if k != "compile") - 1e-9



def test_compile_clock_counts_threads_waiting_for_the_compiler_once():
    """numba signals a compile before taking its lock: two threads reaching a cold kernel
    together (one compiling, one waiting) must count the overlap once, never more seconds
    than passed; hooks fire when the first thread enters and the last leaves."""
    import threading

    from qopt.compilation import CompileClock

    c = CompileClock()
    calls: list[str] = []
    c.on_start = lambda: calls.append("start")
    c.on_end = lambda s: calls.append("end")
    inside = threading.Barrier(2)

    def work():
        c._enter()
        c._enter()                      # nested acquire of the same thread
        inside.wait()
        time.sleep(0.2)
        c._exit()
        c._exit()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    assert 0.2 <= c.total <= elapsed and c.events == 1
    assert calls == ["start", "end"]

# ---- progress -----------------------------------------------------------------------------
def test_solve_progress_callback_sees_every_evaluation_within_budget():
    seen: list[progress.ProgressEvent] = []
    res = qopt.solve(qopt.generate("maxcut", 8), solver="qaoa", seed=0, budget=25,
                     progress=seen.append)
    counts = [e.evaluations for e in seen]
    # parameter sets the optimizer ran (the rest of the budget pays the final samples)
    assert counts == list(range(1, len(counts) + 1))
    assert counts[-1] == res.info["circuit_evaluations"] and res.evaluations <= 25
    assert len({e.budget for e in seen}) == 1 and counts[-1] <= seen[0].budget <= 25
    assert all(e.solver == "qaoa" for e in seen)
    bests = [e.best for e in seen]
    assert all(b1 >= b2 for b1, b2 in itertools.pairwise(bests))   # never gets worse
    progress.count(5)          # outside a solve: a no-op


def test_long_solve_status_line_on_stderr_json_on_stdout(capsys, monkeypatch):
    # a "long" solve: the line is due after DELAY seconds; shortened so the test stays fast
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr(progress, "PIPE_INTERVAL", 0.01)
    argv = ["solve", "maxcut", "--size", "12", "--solver", "random", "--budget", "20000",
            "--seed", "1", "--json"]
    assert cli.main(argv) == 0
    out, err = capsys.readouterr()
    payload = json.loads(out)                      # stdout is one JSON document
    assert payload["evaluations"] == 20000
    lines = err.splitlines()           # not a terminal: lines, the last with the final count
    assert re.fullmatch(r"random: \d+/20000 evaluations(, best -?[\d.]+)?, \d+\.\d s", lines[0])
    assert re.fullmatch(r"random: 20000/20000 evaluations, best -?[\d.]+, \d+\.\d s", lines[-1])
    assert cli.main([*argv, "--no-progress"]) == 0
    out, err = capsys.readouterr()
    json.loads(out)
    assert "evaluations" not in err


def test_short_solve_shows_no_status_line(capsys):
    assert cli.main(["solve", "maxcut", "--size", "6", "--solver", "exact", "--json"]) == 0
    out, err = capsys.readouterr()
    json.loads(out)
    assert "evaluations" not in err                # under DELAY (2 s): nothing written


# ---- sweeps: cold cache, timeouts, which qopt the workers import --------------------------
SWEEP = """
name = "{name}"
seeds = [0, 1]
timeout = {timeout}
[[problems]]
kind = "maxcut"
sizes = [8]
generator_seeds = [1]
reference = "exact"
"""
ANNEAL = """
[[solvers]]
name = "anneal"
options = { reads = 4, sweeps = 50 }
"""
RANDOM = """
[[solvers]]
name = "random"
budget = 200
"""

RUN_SWEEP = """
import json, sys
from qopt.experiments.runners import run_sweep
from qopt.experiments.store import ResultStore
summary = run_sweep(sys.argv[1], sys.argv[2], workers=2, progress=False,
                    compile_timeout=float(sys.argv[3]))
rows = ResultStore(sys.argv[2] + "/results.sqlite").rows()
print(json.dumps({"summary": summary, "rows": rows}))
"""


def _sweep(tmp_path: Path, name: str, solvers: str, timeout: float, compile_timeout: float,
           cache: Path, cwd: Path | None = None) -> tuple[dict, str]:
    """Run a sweep from a script file (as ``qopt sweep`` does: the script's folder, not the
    current folder, comes first on the parent's sys.path); returns its rows and stderr."""
    cfg = tmp_path / f"{name}.toml"
    cfg.write_text(SWEEP.format(name=name, timeout=timeout) + solvers)
    script = tmp_path / "run_sweep.py"
    script.write_text(RUN_SWEEP)
    env = {**os.environ, CACHE_ENV: str(cache)}
    proc = subprocess.run([sys.executable, str(script), str(cfg), str(tmp_path / name),
                           str(compile_timeout)], capture_output=True, text=True, env=env,
                          cwd=cwd or tmp_path, timeout=900)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


@pytest.mark.slow
def test_cold_cache_sweep_compiles_outside_the_run_timeout(tmp_path):
    """Empty numba cache, per-run timeout (2 s) shorter than the cold compile of the anneal
    kernel (~4.5 s of CPU): every run ends done, the numba kernel ran, the compile is stored
    apart (longer than the timeout, within its own limit) and the stored solve times exclude
    it. A first sweep with a tiny compile limit shows that limit is enforced."""
    cache = tmp_path / "numba-cache"
    limited, _ = _sweep(tmp_path, "limited", ANNEAL, timeout=120.0, compile_timeout=0.05,
                        cache=cache)
    assert [r["status"] for r in limited["rows"]] == ["failed", "failed"], limited["rows"]
    assert all(r["error"] == "compile timeout after 0.05 s" for r in limited["rows"])

    timeout = 2.0
    out, stderr = _sweep(tmp_path, "cold", ANNEAL, timeout=timeout, compile_timeout=600.0,
                         cache=cache)
    rows = out["rows"]
    assert [r["status"] for r in rows] == ["done", "done"], rows
    info = [json.loads(r["result"])["info"] for r in rows]
    assert {i["kernel"] for i in info} == {"numba"}
    compiled = max(r["compile_time"] for r in rows)
    assert timeout < compiled < 600.0                    # longer than the run timeout, bounded
    assert all(r["wall_time"] < timeout for r in rows)   # solve times exclude the compile
    assert out["summary"]["compile_time"] >= compiled
    assert any(cache.rglob("*.nbi"))                     # the kernel went to the given cache
    assert "leaked semaphore" not in stderr


def test_sweep_workers_import_the_parents_qopt_from_a_checkout_folder(tmp_path):
    """Started from a folder holding another qopt (a checkout that is not the installed one),
    the workers still import the parent's qopt (the forkserver would import the folder's and
    pass it on to every worker); the sweep ends without a resource-tracker warning."""
    decoy = tmp_path / "checkout"
    (decoy / "qopt").mkdir(parents=True)
    (decoy / "qopt" / "__init__.py").write_text("DECOY = True\n")
    cfg_dir = tmp_path / "cfg"
    cfg_dir.mkdir()
    out, stderr = _sweep(cfg_dir, "decoy", RANDOM, timeout=120.0, compile_timeout=600.0,
                         cache=Path(os.environ[CACHE_ENV]), cwd=decoy)
    assert {r["status"] for r in out["rows"]} == {"done"}, out["rows"]
    assert "leaked" not in stderr and "decoy" not in stderr
