"""The documentation: the site builds strictly, every page is reachable, the generated parts
cover the code, and the README stays a front door whose commands are the ones CI runs.

The strict build (``mkdocs build --strict`` into a temporary directory) fails on a broken link,
a missing anchor, a nav entry without its page, or an API reference (``::: name``) that does not
resolve; a second, tiny build checks that it really does fail on those.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
sys.path.insert(0, str(DOCS / "_hooks"))

import generated  # noqa: E402
import gfm  # noqa: E402
import pending  # noqa: E402


def _mkdocs(config: Path, site: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "QOPT_DOCS_EXECUTE": "true",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f",
                           str(config), "-d", str(site)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=600)


def _nav_pages(nav) -> list[str]:
    out = []
    for entry in nav:
        value = entry if isinstance(entry, str) else next(iter(entry.values()))
        out += _nav_pages(value) if isinstance(value, list) else [value]
    return out


def _config() -> dict:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("tag:", lambda loader, suffix, node: None)
    Loader.add_constructor("!ENV", lambda loader, node: None)
    return yaml.load((REPO / "mkdocs.yml").read_text(), Loader=Loader)


def test_site_builds_strictly(tmp_path):
    proc = _mkdocs(REPO / "mkdocs.yml", tmp_path / "site", tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    site = tmp_path / "site"
    assert (site / "index.html").is_file()
    assert (site / "reference" / "api" / "index.html").is_file()
    for page in _nav_pages(_config()["nav"]):
        if page in pending.missing(DOCS):
            continue
        html = site / re.sub(r"(index)?\.(md|ipynb)$", "", page) / "index.html" \
            if not page.endswith("index.md") else site / page.replace(".md", ".html")
        assert html.is_file(), f"{page} was not built ({html})"
        if page.endswith(".ipynb"):     # run at build time: the page shows its outputs
            assert 'class="jp-RenderedText jp-OutputArea-output' in html.read_text(), page


def _tiny_build(tmp_path, pages: dict[str, str], **config) -> subprocess.CompletedProcess:
    """A strict build of a site of ``pages`` (name -> Markdown) with ``config`` added."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in pages.items():
        (docs / name).write_text(text)
    config = {"site_name": "t", "docs_dir": str(docs), "strict": True, **config}
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(config))
    return _mkdocs(tmp_path / "mkdocs.yml", tmp_path / "site", tmp_path)


def test_strict_build_fails_on_a_broken_link(tmp_path):
    proc = _tiny_build(tmp_path, {"index.md": "# t\n\n[gone](nowhere.md)\n"},
                       validation=_config()["validation"])
    assert proc.returncode != 0
    assert "nowhere.md" in proc.stderr


def test_strict_build_fails_on_a_page_missing_from_the_nav(tmp_path):
    proc = _tiny_build(tmp_path, {"index.md": "# t\n", "forgotten.md": "# f\n"},
                       nav=["index.md"], validation=_config()["validation"])
    assert proc.returncode != 0
    assert "forgotten.md" in proc.stderr


def test_missing_docstring_reference_fails_the_build(tmp_path):
    plugin = {"mkdocstrings": {"handlers": {"python": {"paths": [str(REPO)]}}}}
    proc = _tiny_build(tmp_path, {"index.md": "# t\n\n::: qopt.no_such_name\n"},
                       plugins=[plugin])
    assert proc.returncode != 0
    assert "qopt.no_such_name" in proc.stderr


def test_github_markdown_renders_the_same_on_the_site():
    text = ("<H> and |F><F|, <C>/C*, <b>bold</b>, <!-- qopt:solver-list -->, "
            "<https://x.org>, `<H>` stays\n```python\nx = '<H>'\n```\n")
    out = gfm.escape(text)
    assert out.startswith("&lt;H> and |F>&lt;F|, &lt;C>/C*, <b>bold</b>, <!-- qopt:solver-list")
    assert "<https://x.org>" in out and "`<H>` stays" in out and "x = '<H>'" in out
    row = "| `int \\| None` | ramp \\| interp |"       # GitHub needs \\| even in code spans
    assert gfm.escape(row) == "| `int | None` | ramp \\| interp |"


def test_every_page_is_in_the_nav():
    nav = set(_nav_pages(_config()["nav"]))
    pages = {(Path(root) / name).relative_to(DOCS).as_posix()
             for root, _, names in os.walk(DOCS, followlinks=True) for name in names
             if name.endswith((".md", ".ipynb")) and "_hooks" not in Path(root).parts}
    notebooks = {f"notebooks/{p.name}" for p in (REPO / "notebooks").glob("*.ipynb")}
    assert notebooks and notebooks <= pages, "docs/notebooks must show every notebook"
    assert not pages - nav, f"add these pages to mkdocs.yml's nav: {sorted(pages - nav)}"
    listed = {p for p in nav if not (DOCS / p).is_file()} - set(pending.PENDING)
    assert not listed, f"nav entries without a page: {sorted(listed)}"


def test_generated_parts_expand_and_fail_on_unknown_names():
    text = generated.expand("<!-- qopt:solver-options anneal -->\n<!-- qopt:cli-help sweep -->")
    assert "| `reads` | `--reads` |" in text and "usage: qopt sweep" in text
    with pytest.raises(RuntimeError, match="no-such-solver"):
        generated.expand("<!-- qopt:solver-options no-such-solver -->")
    with pytest.raises(RuntimeError, match="no command"):
        generated.expand("<!-- qopt:cli-help nosuch -->")


def test_distribution_name_is_used_by_every_install_command():
    import tomllib

    assert tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["name"] \
        == "qopt-toolkit"        # `qopt` on PyPI is another project
    wrong = re.compile(r"(?<![\w./-])qopt\[|pip install ['\"]?qopt(?![\w-])")
    files = [REPO / "README.md", *DOCS.rglob("*.md"), *(REPO / "qopt").rglob("*.py")]
    hits = [f"{f.relative_to(REPO)}:{i}: {line.strip()}" for f in files
            for i, line in enumerate(f.read_text().splitlines(), 1) if wrong.search(line)]
    assert not hits, "install qopt as qopt-toolkit:\n" + "\n".join(hits)


def test_results_record_qopt_version():
    import qopt
    from qopt.solving import package_versions

    assert package_versions()["qopt"] == qopt.__version__


def test_every_solver_has_its_generated_option_table():
    from qopt.solvers.registry import names

    documented = set()
    for page in DOCS.rglob("*.md"):
        documented |= set(re.findall(r"^<!-- qopt:solver-options ([^ ]+) -->$", page.read_text(),
                                     re.M))
    assert documented == set(names())


# ---- the sweep configuration reference ---------------------------------------------------------
def _reference_keys(section: str) -> set[str]:
    text = (DOCS / "reference" / "config.md").read_text()
    part = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    keys = set()
    for row in re.findall(r"^\| (`[^|]+) \|", part, re.M):
        keys |= set(re.findall(r"`([a-z_]+)`", row))
    return keys


def test_config_reference_lists_every_key_the_parser_accepts():
    from qopt.experiments.config import _SOLVER_KEYS, _TOP_KEYS
    from qopt.experiments.problem_specs import _PROBLEM_KEYS

    assert _reference_keys("Top level") == _TOP_KEYS
    assert _reference_keys("`[[problems]]`") == _PROBLEM_KEYS
    assert _reference_keys("`[[solvers]]`") == _SOLVER_KEYS


def test_config_reference_example_parses(tmp_path):
    """The example at the top of the configuration reference is a valid sweep (with stand-ins
    for the files it names, which the check reads)."""
    from qopt.experiments.config import parse_config

    example = re.findall(r"```toml\n(.*?)```", (DOCS / "reference" / "config.md").read_text(),
                         re.S)[0]
    (tmp_path / "my").mkdir()
    (tmp_path / "models").mkdir()
    (tmp_path / "my" / "graph.dimacs").write_text("p edge 3 2\ne 1 2\ne 2 3\n")
    (tmp_path / "models" / "portfolio.lp").write_text(
        "Maximize\n obj: 3 x + 2 y\nSubject To\n c: x + y <= 1\nBinaries\n x y\nEnd\n")
    (tmp_path / "models" / "qubo.qs").write_text("2 3\n1 1 -1\n1 2 2\n2 2 -1\n")
    config = parse_config(example, "demo.toml", tmp_path)
    assert config.name == "demo" and len(config.runs) > 0


# ---- the migration guide -----------------------------------------------------------------------
MIGRATION = (DOCS / "migration.md").read_text()
MIGRATION_BLOCKS = re.findall(r"```python\n(.*?)```", MIGRATION, re.S)
QISKIT_OPTIMIZATION_NAMES = [
    "QuadraticProgram", "MinimumEigenOptimizer", "SamplingVQE", "QAOA", "WarmStartQAOAOptimizer",
    "RecursiveMinimumEigenOptimizer", "GroverOptimizer", "ADMMOptimizer", "CplexOptimizer",
    "GurobiOptimizer", "QuadraticProgramToQubo", "IntegerToBinary", "LinearEqualityToPenalty",
    "InequalityToEquality", "Knapsack", "Maxcut", "Tsp", "VehicleRouting", "StableSet",
    "OptimizationResult"]


def test_migration_guide_maps_every_name():
    table = MIGRATION.split("## At a glance", 1)[1].split("\n## ", 1)[0]
    mapped = {m for m in re.findall(r"^\| `([A-Za-z]+)`", table, re.M)}
    mapped |= {n for row in re.findall(r"^\| ([^|]*) \|", table, re.M)
               for n in re.findall(r"`([A-Za-z]+)`", row)}
    missing = [n for n in QISKIT_OPTIMIZATION_NAMES if n not in mapped]
    assert not missing, f"not in the migration guide's table: {missing}"
    for name in ("GroverOptimizer", "ADMMOptimizer", "CplexOptimizer", "VehicleRouting"):
        row = next(r for r in table.splitlines()
                   if r.startswith("| ") and f"`{name}`" in r.split("|")[1])
        assert "not provided" in row, row


def test_migration_guide_names_exist_in_qiskit_optimization():
    """The names the table maps from are qiskit-optimization's (0.7); the other libraries'
    names are quoted dotted and checked by :func:`test_every_quoted_name_exists`."""
    import importlib

    pytest.importorskip("qiskit_optimization")
    modules = [importlib.import_module(f"qiskit_optimization{sub}") for sub in
               ("", ".algorithms", ".converters", ".applications", ".minimum_eigensolvers")]
    table = MIGRATION.split("## At a glance", 1)[1].split("\n## ", 1)[0]
    names = {n for row in re.findall(r"^\| ([^|]*) \|", table, re.M)
             for n in re.findall(r"`([A-Za-z]+)`", row)}
    assert set(QISKIT_OPTIMIZATION_NAMES) <= names
    missing = sorted(n for n in names if not any(hasattr(m, n) for m in modules))
    assert not missing, f"not in qiskit-optimization: {missing}"


def test_migration_guide_covers_the_other_libraries():
    for section in ("## From qiskit-addon-opt-mapper", "## From docplex", "## From dimod"):
        part = MIGRATION.split(section, 1)[1].split("\n## ", 1)[0]
        assert "| `" in part and "```python" in part, f"{section}: a table and a runnable block"


def test_migration_guide_has_runnable_blocks():
    assert len(MIGRATION_BLOCKS) >= 8


@pytest.mark.parametrize("index", range(len(MIGRATION_BLOCKS)))
def test_migration_guide_block_runs(index):
    pytest.importorskip("qiskit_optimization")
    exec(compile(MIGRATION_BLOCKS[index], f"migration.md block {index}", "exec"), {})


def test_getting_started_blocks_run():
    text = (DOCS / "getting-started.md").read_text()
    for i, block in enumerate(re.findall(r"```python\n(.*?)```", text, re.S)):
        exec(compile(block, f"getting-started.md block {i}", "exec"), {})


# ---- the README --------------------------------------------------------------------------------
README = (REPO / "README.md").read_text()


def test_readme_is_a_front_door():
    assert len(README.splitlines()) <= 300
    for page in re.findall(r"\]\((docs/[^)#]+)", README):
        assert (REPO / page).is_file(), f"README links a missing page: {page}"


def test_readme_commands_are_the_ones_ci_and_the_main_job_run():
    commands = re.findall(r"```bash\n(python3 -m venv .venv[^\n]*)\n```", README)
    assert len(commands) == 2, commands
    main_job, dev = commands
    assert "pip install . &&" in main_job and "qopt sweep experiments/quickstart.toml" in main_job
    assert "qopt report results/quickstart" in main_job
    ci = (REPO / ".ci" / "run").read_text()
    install = dev.split(" && python -m pytest")[0].split(" && ", 2)[2]   # pip install -e ".[dev]"
    assert install.replace("pip install", "pip install -q") in ci, (install, ci)
    assert "python -m pytest -n 2" in dev and "python -m pytest -n 2" in ci
    assert (REPO / "experiments" / "quickstart.toml").is_file()


def test_readme_python_example_runs():
    for i, block in enumerate(re.findall(r"```python\n(.*?)```", README, re.S)):
        exec(compile(block, f"README.md block {i}", "exec"), {})


# ---- command lines shown in the docs ---------------------------------------------------------
def _shell_lines(text: str) -> list[str]:
    """``qopt ...`` command lines of the fenced blocks (not python) of a Markdown text."""
    out, lang = [], None
    lines = iter(text.splitlines())
    for line in lines:
        if line.startswith("```"):
            lang = None if lang is not None else (line[3:].strip() or "text")
            continue
        if lang in (None, "python", "toml"):
            continue
        while line.endswith("\\"):
            line = line[:-1] + " " + next(lines, "").strip()
        m = re.match(r"^\s*(?:[A-Z_]+=\S+ )*(qopt \S.*)$", line)
        if m and not m[1].startswith("qopt:"):
            out.append(m[1].split(" #")[0].split(" | ")[0].strip())
    return out


def _cli_problem(command: str) -> str | None:
    import shlex

    from qopt.cli.app import build_parser
    from qopt.cli.options import parse_solver_options, subcommand_flags
    from qopt.errors import QoptError

    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(shlex.split(command)[1:])
        if args.command == "solve" and args.solver:
            parse_solver_options(args.solver, extra, subcommand_flags(parser, "solve"))
        elif extra:
            return f"unrecognised {extra}"
    except (QoptError, SystemExit) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def test_every_command_line_in_the_docs_parses(capsys):
    """Every ``qopt ...`` line of the README's and the pages' shell blocks is accepted by the
    parser and, for ``qopt solve``, by the solver's options (nothing is run)."""
    pages = [REPO / "README.md", *sorted(DOCS.rglob("*.md"))]
    seen, bad = 0, []
    for page in pages:
        for command in _shell_lines(page.read_text()):
            seen += 1
            if (problem := _cli_problem(command)) is not None:
                bad.append(f"{page.relative_to(REPO)}: {command}\n    {problem}")
    capsys.readouterr()
    assert seen >= 30
    assert not bad, "\n".join(bad)


def test_command_line_check_catches_a_wrong_flag():
    assert _cli_problem("qopt solve maxcut --size 8 --solver qaoa --pp 2") is not None
    assert _cli_problem("qopt sweep x.toml --nosuch") is not None
    assert _cli_problem("qopt solve maxcut --size 8 --solver qaoa --p 2") is None


def test_no_page_is_twice_in_the_nav():
    pages = _nav_pages(_config()["nav"])
    assert len(pages) == len(set(pages)), sorted(p for p in pages if pages.count(p) > 1)
