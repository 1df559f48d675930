"""Issue 14, resources and validation: one summed plan per solve refused before any heavy
allocation, enumerations under a time limit, negative seeds / nan / workers, and sweep configs
validated in full (every problem listed, nothing run or stored)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import qopt
from qopt.cli import main
from qopt.errors import ConfigError, OptionError, SizeLimitError
from qopt.experiments.config import parse_config
from qopt.experiments.runners import run_sweep
from qopt.experiments.store import ResultStore


def refused(capsys, *argv) -> str:
    """Run the CLI in-process; assert exit 2 with one ``qopt: error:`` line; return it."""
    code = main(list(argv))
    _, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("qopt: error: "), err
    return lines[0]


# ---- point 2: memory checks that options bypassed ------------------------------------------
def test_sum_of_buffers_is_checked_not_each_alone(monkeypatch, capsys):
    # 2^26 complex128 = 1 GiB: each buffer fits a 1 GiB limit alone, their sum does not
    monkeypatch.setenv("QOPT_MEMORY_LIMIT", "1G")
    line = refused(capsys, "solve", "maxcut", "--size", "26", "--solver", "qaoa")
    assert "over the memory limit of 1.0 GiB" in line and "QOPT_MEMORY_LIMIT=1G" in line
    assert "statevector of 26 qubits" in line


def test_qrao_circuit_relaxation_counts_its_sparse_hamiltonian():
    with pytest.raises(SizeLimitError, match="relaxed Hamiltonian") as err:
        qopt.solve("mis:1tc.64", solver="qrao", relaxation="circuit")
    assert "--relaxation" in str(err.value) and "product" in str(err.value)


@pytest.mark.parametrize("solver, options, names", [
    ("anneal", {"reads": 10**9}, "annealing"),
    ("ga", {"pop_size": 10**8}, "--pop-size"),
    ("map-elites", {"cells": 10**6}, "--cells"),
])
def test_population_options_are_planned(solver, options, names):
    with pytest.raises(SizeLimitError, match=names):
        qopt.solve("mdkp:hp1", solver=solver, **options)


def test_random_batch_and_qaoa_depth_are_planned():
    with pytest.raises(SizeLimitError, match="--batch-size"):
        qopt.solve("mdkp:hp1", solver="random", batch_size=10**9, budget=10**10)
    with pytest.raises(SizeLimitError, match="--p"):           # COBYLA's O(p^2) workspace
        qopt.solve(qopt.generate("maxcut", 8, 1), solver="qaoa", p=10**6)


def test_plan_is_checked_before_run(monkeypatch):
    from qopt.solvers.classical.random_search import RandomSearchSolver

    def never(*args, **kwargs):
        raise AssertionError("run() started although the plan does not fit")

    monkeypatch.setattr(RandomSearchSolver, "run", never)
    with pytest.raises(SizeLimitError):
        qopt.solve("mdkp:hp1", solver="random", batch_size=10**9, budget=10**10)


def test_unbounded_enumerations_take_a_time_limit(monkeypatch):
    big = qopt.generate("maxcut", 40, 1)
    with pytest.raises(SizeLimitError, match=r"time limit of 1\.0 h"):
        qopt.solve(big, solver="exact", max_vars=40)
    with pytest.raises(SizeLimitError, match="--budget"):
        qopt.solve(big, solver="random", budget=10**12)
    monkeypatch.setenv("QOPT_TIME_LIMIT", "30d")                 # now the plan fits ...
    plan = qopt.solvers.registry.make_solver("exact", max_vars=40).resource_plan(
        qopt.solvers.base.Task(big))
    plan.check()                                                 # ... and is not refused
    assert plan.total_seconds > 3600


def test_default_memory_limit_follows_ulimit_v():
    code = textwrap.dedent("""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, resource.RLIM_INFINITY))
        from qopt.limits import memory_limit_info
        value, source = memory_limit_info()
        assert value < 3 * 2**30, value
        print(source)
    """)
    env = {k: v for k, v in __import__("os").environ.items() if k != "QOPT_MEMORY_LIMIT"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "ulimit -v" in out.stdout or "cgroup" in out.stdout


# ---- point 4: negative seeds, nan, workers -------------------------------------------------
@pytest.mark.parametrize("solver", ["anneal", "ga", "qaoa", "random"])
def test_negative_seed_is_an_option_error(solver, capsys):
    line = refused(capsys, "solve", "maxcut", "--size", "8", "--seed", "-1", "--solver", solver)
    assert "seed" in line and "-1" in line


def test_nan_option_and_bad_workers(capsys, tmp_path):
    line = refused(capsys, "solve", "mdkp", "--instance", "pet2", "--solver", "milp",
                   "--time-limit", "nan")
    assert "time_limit" in line
    cfg = tmp_path / "ok.toml"
    cfg.write_text('[[problems]]\nkind = "maxcut"\nsizes = [6]\n'
                   '[[solvers]]\nname = "exact"\n')
    for workers in ("0", "-3"):
        line = refused(capsys, "sweep", str(cfg), "--results", str(tmp_path / "r"),
                       "--workers", workers)
        assert "--workers" in line
    assert not (tmp_path / "r").exists()


# ---- points 4 and 5: sweep configs checked in full before the first run ----------------------
BAD_SWEEP = """
name = "bad"
seeds = [-1]
timeout = -3

[[problems]]
kind = "maxcut"
sizes = [7, 8]
penalty = -2

[[problems]]
kind = "mis"
instances = ["broken.txt"]

[[solvers]]
name = "anneall"

[[solvers]]
name = "anneal"
backends = ["aer"]
optimizer = "cobyla"

[[solvers]]
name = "qaoa"
label = "qaoa {nosuch}"
optimizer = "cobylla"
backends = ["statevectr"]

[[solvers]]
name = "qaoa"
grid = { p = [0, 1] }
"""


def test_bad_sweep_lists_every_problem_and_stores_nothing(tmp_path, capsys):
    (tmp_path / "broken.txt").write_text("p edge 3 1\ne 1 x\n")
    cfg = tmp_path / "bad.toml"
    cfg.write_text(BAD_SWEEP)
    with pytest.raises(ConfigError) as err:
        run_sweep(cfg, tmp_path / "results", progress=False)
    msg = str(err.value)
    expected = ["seeds[0]", "timeout", "problems[0].penalty", "problems[0].sizes[0]",
                "problems[1].instances[0]", "broken.txt", "solvers[0].name", "'anneal'?",
                "solvers[1].backends", "solvers[1].optimizer", "solvers[2].label",
                "solvers[2].optimizer", "solvers[2].backends[0]", "solvers[3]"]
    for key in expected:
        assert key in msg, (key, msg)
    assert msg.count(str(cfg)) >= len(expected) - 2          # each problem names the file
    assert not (tmp_path / "results").exists()               # nothing run, nothing stored
    code = main(["sweep", str(cfg), "--results", str(tmp_path / "results")])
    assert code == 2 and "problems in sweep config" in capsys.readouterr().err


@pytest.mark.parametrize("snippet, key", [
    ('seeds = [-1]\n', "seeds[0]"),
    ('seed = -4\n', "seed"),
])
def test_negative_sweep_seeds(snippet, key):
    text = snippet + '[[problems]]\nkind = "maxcut"\nsizes = [6]\n[[solvers]]\nname = "exact"\n'
    with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
        parse_config(text, "s.toml")


def test_label_with_unknown_field_is_a_config_error():
    text = ('[[problems]]\nkind = "maxcut"\nsizes = [6]\n'
            '[[solvers]]\nname = "qaoa"\nlabel = "q{nosuch}"\ngrid = { p = [1, 2] }\n')
    with pytest.raises(ConfigError, match=r"solvers\[0\]\.label: \{nosuch\}"):
        parse_config(text, "s.toml")


def test_each_worker_gets_its_share_of_the_memory_limit(tmp_path, monkeypatch):
    # qaoa on 18 qubits plans 6 MiB (state and diagonal; the engine samples by parts): it
    # fits 8 MiB, not a 4 MiB share of 2 workers
    from qopt.limits import memory_limit_override, worker_memory_limit

    monkeypatch.setenv("QOPT_MEMORY_LIMIT", "8M")
    assert worker_memory_limit(2) == 4 * 2**20
    with memory_limit_override(123):
        assert qopt.limits.memory_limit() == 123
    assert qopt.limits.memory_limit() == 8 * 2**20
    cfg = tmp_path / "w.toml"
    cfg.write_text('[[problems]]\nkind = "maxcut"\nsizes = [18]\ngenerator_seeds = [1, 2]\n'
                   '[[solvers]]\nname = "qaoa"\nbudget = 4\n')
    run_sweep(cfg, tmp_path / "r", workers=2, progress=False)
    with ResultStore(tmp_path / "r" / "results.sqlite") as st:
        rows = st.rows()
    assert len(rows) == 2
    for r in rows:
        assert r["status"] == "skipped" and "QOPT_MEMORY_LIMIT=4194304" in r["reason"]


def test_seed_check_in_python_api():
    with pytest.raises(OptionError, match="seed"):
        qopt.solve("mdkp:pet2", solver="anneal", seed=-5)
    with pytest.raises(OptionError, match="seed"):
        qopt.solve("mdkp:pet2", solver="random", seed=1.5)


@pytest.mark.parametrize("value", ["nan", "inf", "-1.0", "0"])
def test_sweep_timeout_must_be_a_positive_finite_number(value):
    text = (f"timeout = {value}\n" '[[problems]]\nkind = "maxcut"\nsizes = [6]\n'
            '[[solvers]]\nname = "exact"\n')
    with pytest.raises(ConfigError, match="timeout"):
        parse_config(text, "s.toml")


def test_a_solve_keyword_given_as_a_solver_option_says_where_it_goes():
    """seed / budget / backend are keywords of qopt.solve, not solver options: the error says
    so (it suggested the very name given: "no option 'seed'; did you mean 'seed'?")."""
    from qopt.errors import OptionError
    from qopt.solvers.registry import make_solver

    with pytest.raises(OptionError) as exc:
        make_solver("qaoa", seed=1)
    text = str(exc.value)
    assert "did you mean 'seed'" not in text
    assert "qopt.solve(..., seed=...)" in text
