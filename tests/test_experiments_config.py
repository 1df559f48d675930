"""Sweep config: grid expansion, run keys, and malformed files failing with the key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from qopt.errors import ConfigError
from qopt.experiments.config import load_config, parse_config
from qopt.experiments.runners import run_sweep

BASE = """
name = "t"
plugins = ["experiments_toy"]
seeds = [0, 1, 2]
budget = 16
limits = { statevector = 12 }

[[problems]]
kind = "toyknap"
sizes = [5, 6]
generator_seeds = [3]

[[problems]]
kind = "toyknap"
instances = ["inst.txt"]

[[solvers]]
name = "toy-sample"
options = { sleep = 0.0 }
grid = { shots = [4, 8] }

[[solvers]]
name = "toy-q"
grid = { p = [1, 2], compress = [1, 3] }
backends = ["statevector", "aer:matrix_product_state"]
repetitions = 2
seed = 10

[[solvers]]
name = "qaoa-from-the-future"
allow_missing = true
"""


@pytest.fixture
def toy_dir(toy_dir):
    """conftest's toy plugin directory plus a small instance file."""
    (toy_dir / "inst.txt").write_text("4 6\n3 4 5 6\n2 3 4 5\n")
    return toy_dir


def write(d: Path, text: str, name: str = "x.toml") -> Path:
    p = d / name
    p.write_text(text)
    return p


def test_grid_expansion_and_fields(toy_dir):
    cfg = load_config(write(toy_dir, BASE))
    probs = 3  # two generated sizes x one generator seed + one file instance
    sample = [r for r in cfg.runs if r.solver == "toy-sample"]
    quantum = [r for r in cfg.runs if r.solver == "toy-q"]
    future = [r for r in cfg.runs if r.solver == "qaoa-from-the-future"]
    assert len(sample) == 2 * probs * 3
    assert len(quantum) == 4 * 2 * probs * 2          # grid x backends x problems x seeds
    assert len(future) == 1 * probs * 3               # unknown solver: kept, default backend
    assert len(cfg.runs) == len({r.key for r in cfg.runs})
    assert {r.backend for r in sample} == {None}
    assert {r.backend for r in quantum} == {"statevector", "aer:matrix_product_state"}
    assert {r.qubit_limit for r in quantum if r.backend == "statevector"} == {12}
    assert {r.qubit_limit for r in quantum if r.backend != "statevector"} == {None}
    assert {r.seed for r in quantum} == {10, 11} and {r.repetition for r in quantum} == {0, 1}
    assert {r.seed for r in sample} == {0, 1, 2}
    assert all(r.budget == 16 for r in cfg.runs)
    assert {r.options["shots"] for r in sample} == {4, 8}
    assert all(r.options["sleep"] == 0.0 for r in sample)
    assert all(not r.available and r.unavailable_reason == "solver not available"
               for r in future)
    assert all(r.available for r in sample + quantum)
    files = {r.problem for r in cfg.runs if r.problem.instance == "inst.txt"}
    assert len(files) == 1 and next(iter(files)).digest is not None


def test_solver_entry_restricted_to_some_problems(toy_dir):
    text = BASE.replace('name = "qaoa-from-the-future"',
                        'name = "qaoa-from-the-future"\nproblems = ["toyknap:inst.txt"]')
    cfg = load_config(write(toy_dir, text))
    future = [r for r in cfg.runs if r.solver == "qaoa-from-the-future"]
    assert {r.problem.label for r in future} == {"inst.txt"} and len(future) == 3
    assert len({r.problem.label for r in cfg.runs if r.solver == "toy-sample"}) == 3
    bad = BASE.replace('name = "toy-q"', 'name = "toy-q"\nproblems = ["toyknap", "maxcut"]')
    with pytest.raises(ConfigError, match=r"solvers\[1\]\.problems\[1\]: 'maxcut' matches none"):
        load_config(write(toy_dir, bad, "bad.toml"))


def test_run_keys_depend_on_result_inputs_only(toy_dir):
    a = load_config(write(toy_dir, BASE))
    b = load_config(write(toy_dir, BASE.replace('name = "t"', 'name = "other"\ntimeout = 9')
                          .replace('name = "toy-q"', 'name = "toy-q"\nlabel = "Q{p}"'), "y.toml"))
    assert [r.key for r in a.runs] == [r.key for r in b.runs]      # name/timeout/label: no
    assert {r.label for r in b.runs if r.solver == "toy-q"} == {"Q1", "Q2"}
    c = load_config(write(toy_dir, BASE.replace("budget = 16", "budget = 17"), "z.toml"))
    assert not {r.key for r in a.runs} & {r.key for r in c.runs}   # budget: yes
    # a changed instance file changes the keys of its runs only
    (toy_dir / "inst.txt").write_text("4 6\n3 4 5 7\n2 3 4 5\n")
    d = load_config(write(toy_dir, BASE, "w.toml"))
    changed = {r.key for r in a.runs} ^ {r.key for r in d.runs}
    n_file_runs = sum(r.problem.instance == "inst.txt" for r in a.runs)
    assert len(changed) == 2 * n_file_runs


@pytest.mark.parametrize("old,new,message", [
    ("options = { sleep = 0.0 }", 'options = { sleep = "long" }',
     "solvers[0].options.sleep: expected float, got str 'long'"),
    ("grid = { shots = [4, 8] }", "grid = { shots = [4, 8.5] }",
     "solvers[0].grid.shots[1]: expected int, got float 8.5"),
    ("grid = { p = [1, 2], compress = [1, 3] }", "grid = { p = [1, 2], compres = [1] }",
     "solvers[1].grid.compres: solver 'toy-q' has no option 'compres'"),
    ("grid = { shots = [4, 8] }", "grid = { shots = [4, 0] }",
     "solvers[0].options: shots must be positive, got 0 (grid point shots=0)"),
    ("seeds = [0, 1, 2]", "seeds = [0, 1, 1]", "seeds: repeated seed"),
    ("seeds = [0, 1, 2]", 'seeds = [0, "a"]', "seeds[1]: expected int"),
    ("budget = 16", "budget = -3", "budget: expected a positive int"),
    ('backends = ["statevector", "aer:matrix_product_state"]', "backends = [3]",
     "solvers[1].backends[0]: expected a backend name"),
    ("repetitions = 2", "repetitions = 0", "solvers[1].repetitions: must be >= 1"),
    ('kind = "toyknap"\nsizes', 'kind = "toyknapp"\nsizes', "problems[0].kind: unknown problem"),
    ('instances = ["inst.txt"]', 'instances = ["nope.txt"]',
     "problems[1].instances[0]: 'nope.txt' is neither a shipped toyknap instance"),
    ("generator_seeds = [3]", "generator_seeds = [3]\ncolour = 1", "problems[0].colour: unknown"),
    ('name = "toy-sample"', 'name = "toy-sample"\ntimeout = "soon"',
     "solvers[0].timeout: expected a positive number of seconds"),
    ("limits = { statevector = 12 }", "limits = { statevector = 0 }",
     "limits.statevector: expected a positive int"),
    ('plugins = ["experiments_toy"]', 'plugins = ["experiments_toy", "no_such_plugin_mod"]',
     "plugins[1]: cannot import 'no_such_plugin_mod'"),
    ('name = "toy-sample"\noptions = { sleep = 0.0 }\ngrid = { shots = [4, 8] }',
     'name = "toy-sample"\noptions = { sleep = 0.0 }\ngrid = { sleep = [1.0] }',
     "solvers[0].grid.sleep: also given in options"),
])
def test_malformed_config_names_file_and_key(toy_dir, old, new, message):
    assert old in BASE
    path = write(toy_dir, BASE.replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


def test_structural_errors(toy_dir):
    with pytest.raises(ConfigError, match="invalid TOML"):
        parse_config("name = = 1", source="bad.toml")
    with pytest.raises(ConfigError, match="problems: at least one"):
        parse_config('[[solvers]]\nname = "exact"', source="bad.toml")
    with pytest.raises(ConfigError, match=r"solvers\[0\]\.name: missing"):
        parse_config('[[problems]]\nkind = "maxcut"\nsizes = [4]\n[[solvers]]\nlabel = "x"',
                     source="bad.toml")
    with pytest.raises(ConfigError, match=r"problems\[0\]: give exactly one of instances"):
        parse_config('[[problems]]\nkind = "maxcut"\n[[solvers]]\nname = "exact"',
                     source="bad.toml")
    with pytest.raises(ConfigError, match="duplicates a run"):
        parse_config('[[problems]]\nkind = "maxcut"\nsizes = [4]\n[[solvers]]\nname = "exact"'
                     '\n[[solvers]]\nname = "exact"', source="bad.toml")
    with pytest.raises(ConfigError, match=r"x\.toml: cannot read"):
        load_config(toy_dir / "missing" / "x.toml")


def test_real_solver_options_are_checked():
    """Option names and types are checked against a registered solver's Options dataclass."""
    text = ('[[problems]]\nkind = "maxcut"\nsizes = [6]\n[[solvers]]\nname = "anneal"\n'
            'options = { reads = "ten" }')
    with pytest.raises(ConfigError, match=r"solvers\[0\]\.options\.reads: expected int"):
        parse_config(text, source="exp.toml")
    ok = parse_config(text.replace('"ten"', "10"), source="exp.toml")
    assert [r.options for r in ok.runs] == [{"reads": 10}]


def test_malformed_config_fails_before_any_run(toy_dir):
    """run_sweep validates the whole file first: no store, no row, no worker."""
    bad = BASE.replace("grid = { p = [1, 2], compress = [1, 3] }",
                       'grid = { p = [1, "two"], compress = [1, 3] }')
    path = write(toy_dir, bad)
    with pytest.raises(ConfigError, match=r"x\.toml: solvers\[1\]\.grid\.p\[1\]: expected int"):
        run_sweep(path, toy_dir / "results", progress=False)
    assert not (toy_dir / "results").exists()


def test_select_part_of_a_sweep(toy_dir):
    from qopt.errors import OptionError
    from qopt.experiments.runners import select_runs

    cfg = load_config(write(toy_dir, BASE))
    part = select_runs(cfg.runs, solvers=["toy-sample"], problems=["toyknap:inst.txt"],
                       seeds=[0, 2])
    assert len(part) == 2 * 2 and {r.seed for r in part} == {0, 2}
    assert {r.key for r in part} <= {r.key for r in cfg.runs}
    by_label = select_runs(cfg.runs, solvers=["toy-sample shots=4"])
    assert {r.options["shots"] for r in by_label} == {4}
    with pytest.raises(OptionError, match="no run of sweep 't' matches"):
        run_sweep(cfg, toy_dir / "res", solvers=["nothing"], progress=False)
    assert not (toy_dir / "res").exists()
