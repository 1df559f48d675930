"""print(result) is a short summary; the plain table shows fallbacks; every status is documented;
`qopt list` shows backends and optimizers."""

import contextlib
import json
import re
from pathlib import Path

import qopt
from qopt.catalog import BACKENDS
from qopt.cli import main
from qopt.solvers.status import RUN_STATUSES, SOLVER_STATUSES, is_documented, status_markdown

ROOT = Path(qopt.__file__).parent


def test_print_result_is_short_and_has_no_history(capsys):
    res = qopt.solve("maxcut:reg3_16", solver="qaoa", budget=40, seed=1)
    assert len(res.history) > 12
    print(res)
    text = capsys.readouterr().out
    lines = text.strip().splitlines()
    assert 3 <= len(lines) <= 12
    assert "qaoa" in lines[0] and "reg3_16" in lines[0] and res.status in lines[0]
    assert f"objective {res.objective}" in text
    assert "'evaluation'" not in text and "history entries" in text


def test_summary_of_a_long_solution_stays_short():
    res = qopt.solve("mdkp:pet7", solver="random", budget=50, seed=0)
    lines = str(res).splitlines()
    assert len(lines) <= 12 and all(len(line) < 140 for line in lines)


def test_qrao_fallback_in_plain_table_and_summary(capsys):
    argv = ["solve", "mdkp", "--instance", "hp1", "--solver", "qrao", "--budget", "20",
            "--seed", "1"]
    assert main(argv) == 0
    table = capsys.readouterr().out
    assert re.search(r"note\s+QRAO fell back to the product-state relaxation", table)
    assert "max_circuit_qubits 16" in table
    res = qopt.solve("mdkp:hp1", solver="qrao", budget=20, seed=1)
    assert res.info["relaxation"] == "product"
    assert "fell back" in str(res)
    small = qopt.solve("maxcut:reg3_16", solver="qrao", budget=20, seed=1)
    assert small.info["relaxation"] == "circuit" and "fell back" not in str(small)


def _status_values_in_sources() -> dict[str, set[str]]:
    """Status string literals assigned or returned anywhere in qopt's sources."""
    pats = [r'status\w*\s*[:=]\s*(?:str\s*=\s*)?"([a-z_]+)"',
            r'status\w*,\s*\w+\s*=\s*"([a-z_]+)"',
            r'status\w*\s*=\s*[^\n]*?"([a-z_]+)"\s+if\s+[^\n]*\s+else\s+"([a-z_]+)"',
            r'"status":\s*"([a-z_]+)"', r'status\s*or\s*"([a-z_]+)"',
            r'return\s+"([a-z_]+)"\s+if\s+self\.\w+\s+else\s+"([a-z_]+)"']
    found: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        if path.name == "status.py":
            continue
        text = path.read_text()
        hits = [g for pat in pats for m in re.finditer(pat, text) for g in m.groups() if g]
        for m in re.finditer(r"^_?STATUS\w*\s*(?::[^=]*)?=\s*([{(])(.*?)[})]", text,
                             re.S | re.M):       # a dict's values, a tuple's items
            item = r':\s*"([a-z_]+)"' if m.group(1) == "{" else r'"([a-z_]+)"'
            hits += re.findall(item, m.group(2))
        for h in hits:
            found.setdefault(h, set()).add(path.name)
    return found


def test_every_status_value_is_documented(capsys):
    found = _status_values_in_sources()
    assert {"done", "budget", "failed", "skipped", "optimal", "infeasible"} <= set(found)
    missing = {k: v for k, v in found.items() if not is_documented(k)}
    assert not missing, f"status values without a meaning in qopt/solvers/status.py: {missing}"
    from qopt.experiments.store import STATUSES
    assert set(STATUSES) <= set(RUN_STATUSES)
    with contextlib.suppress(SystemExit):
        main(["solve", "--help"])
    help_text = capsys.readouterr().out
    for name in [*SOLVER_STATUSES, *RUN_STATUSES]:
        assert re.search(rf"^\s+{re.escape(name)}\s", help_text, re.M), name
    # the documentation's status tables are generated from status_markdown() at build time
    concepts = (ROOT.parent / "docs" / "concepts.md").read_text()
    assert "<!-- qopt:status-tables -->" in concepts
    for name in [*SOLVER_STATUSES, *RUN_STATUSES]:
        assert f"| `{name}` |" in status_markdown(), name


def test_list_shows_backends_and_optimizers(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "backends (--backend SPEC):" in out and "optimizers (--optimizer NAME" in out
    for name in ("statevector", "aer:mps", "lightning", "fake:<name>", "cobyla", "spsa", "aqgd"):
        assert re.search(rf"^\s+{re.escape(name)}\s", out, re.M), name
    assert main(["list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    from qopt.backends.registry import SPECS
    assert set(data["backends"]) == set(SPECS) and set(BACKENDS) == set(SPECS)
    assert data["backends"]["statevector"]["installed"] is True
    assert data["optimizers"]["spsa"]["options"]["learning_rate"] == "0.2"
