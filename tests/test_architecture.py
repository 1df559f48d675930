"""The house rules of qopt's code, checked on its source with ``ast`` (no import executed):

(a) no import cycle among qopt's modules, counting every import statement, function-level
    (lazy) ones included; only imports inside ``if TYPE_CHECKING:`` are left out;
(b) no module of qopt over 600 lines;
(c) the layer rule of DESIGN.md: lower layers never import higher ones.

An import statement is an edge to the module it names: ``import a.b`` and ``from a import b``
(``a.b`` a module) to ``a.b``, ``from a.b import name`` to ``a.b``. The ``__init__`` of parent
packages, which Python runs first, is not counted (else every module would depend on
``qopt/__init__``, which imports the public API).
"""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 600


# ---- the import graph -------------------------------------------------------------------------
def module_files(root: Path, package: str = "qopt") -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of ``package`` under ``root``."""
    out = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """Every Import / ImportFrom node, at any depth, except under ``if TYPE_CHECKING:``."""
    todo = [tree]
    while todo:
        node = todo.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                todo.extend(child.orelse)          # the else branch runs
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child
            todo.append(child)


def import_graph(root: Path, package: str = "qopt") -> dict[str, set[str]]:
    """Module -> the modules of ``package`` its import statements name (see the module doc)."""
    files = module_files(root, package)
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in _imports(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
                continue
            if node.level:
                base = here.split(".")[: len(here.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                deps.add(sub if sub in files else source)
        graph[name] = {d for d in deps if d in files and d != name}
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components with more than one module (iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = set()
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.add(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(comp)
    return out


def a_cycle(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """One shortest cycle through the first module of ``component`` (BFS inside it)."""
    start = min(component)
    parent = {start: None}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in sorted(graph[v] & component):
            if w == start:
                path = [v]
                while parent[path[-1]] is not None:
                    path.append(parent[path[-1]])
                return [*reversed(path), start]
            if w not in parent:
                parent[w] = v
                queue.append(w)
    raise AssertionError("not a cycle")  # pragma: no cover


# ---- the layers of DESIGN.md ------------------------------------------------------------------
#: modules of the lowest layer: plain utilities every layer may use
CORE = {"bits", "errors", "limits", "resources", "seeds", "samples", "suggest", "stdio",
        "progress", "compilation"}
#: the solve-level modules: above solvers (they run or record solves), below experiments
SOLVE_LEVEL = {"solving", "reference", "recording", "records", "planning"}
#: layer (qopt's top-level subpackage or module) -> layers it must never import
FORBIDDEN = {
    **{low: {"solvers", *SOLVE_LEVEL, "catalog", "partition", "experiments", "cli", ""}
       for low in ("backends", "model", "problems")},
    "solvers": {*SOLVE_LEVEL, "catalog", "experiments", "cli", ""},
    "partition": {"solving", "experiments", "cli", ""},
    "solving": {"experiments", "cli", ""},
    "catalog": {"experiments", "cli", ""},
    "": {"experiments", "cli"},      # "": the package itself, qopt/__init__ (the public API)
    "experiments": {"cli"},
}
#: layers only these layers may import, whatever FORBIDDEN lists (a layer added later too)
#: (``qopt.__main__``, ``python -m qopt``, is the command's entry point: above every layer)
ONLY_FROM = {"cli": {"cli", "__main__"}, "experiments": {"experiments", "cli", "__main__"}}


def layer(module: str) -> str:
    """``qopt.backends.base`` -> ``backends``; ``qopt`` -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for mod, deps in sorted(graph.items()):
        mine = layer(mod)
        for dep in sorted(deps):
            theirs = layer(dep)
            if theirs == mine:
                continue
            if mine in CORE and theirs not in CORE:
                out.append(f"{mod} (core utility) imports {dep}")
            elif theirs in FORBIDDEN.get(mine, ()) or mine not in ONLY_FROM.get(theirs, {mine}):
                out.append(f"{mod} ({mine or 'qopt'}) imports {dep} ({theirs or 'qopt'})")
    return out


# ---- the checks on qopt -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def graph():
    return import_graph(ROOT)


def test_no_import_cycles(graph):
    cycles = strongly_connected(graph)
    found = [" -> ".join(a_cycle(graph, c)) + f"  (component: {', '.join(sorted(c))})"
             for c in cycles]
    assert not found, "import cycles among qopt's modules:\n" + "\n".join(found)


def test_layer_rule(graph):
    bad = layer_violations(graph)
    assert not bad, "imports against the layer rule of DESIGN.md:\n" + "\n".join(bad)


def test_module_sizes():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines())
             for p in module_files(ROOT).values()}
    over = {p: n for p, n in sizes.items() if n > MAX_LINES}
    assert not over, f"modules over {MAX_LINES} lines (split them along their seams): {over}"


# ---- the checker itself finds what it should --------------------------------------------------
def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_checker_finds_lazy_cycles_and_skips_type_checking(tmp_path):
    _write(tmp_path, {
        "pkg/__init__.py": "from pkg.a import f\n",
        "pkg/a.py": "def f():\n    from pkg.sub import b\n    return b\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/b.py": "from .. import c\n",
        "pkg/c.py": "import pkg.a\n",
        "pkg/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                    "    from pkg import e\nelse:\n    import json\n",
        "pkg/e.py": "from pkg.d import x\n",
    })
    g = import_graph(tmp_path, "pkg")
    assert g["pkg.sub.b"] == {"pkg.c"}                    # relative import of a module
    assert g["pkg.d"] == set()                            # TYPE_CHECKING only
    cycles = strongly_connected(g)
    assert cycles == [{"pkg.a", "pkg.sub.b", "pkg.c"}]    # the lazy import closes it
    assert a_cycle(g, cycles[0]) == ["pkg.a", "pkg.sub.b", "pkg.c", "pkg.a"]


def test_checker_holds_every_layer_to_the_top_rules():
    """Only cli imports cli, only experiments and cli import experiments, whatever the layer
    (also the ones FORBIDDEN does not list); the solve-level modules (planning, reference,
    recording, records) sit above solvers and below experiments."""
    g = {"qopt.planning.plan": {"qopt.experiments.store", "qopt.cli.app", "qopt.solving"},
         "qopt.reference": {"qopt.cli.options"},
         "qopt.model.qubo": {"qopt.reference", "qopt.planning.plan"},
         "qopt.solvers.base": {"qopt.recording", "qopt.records"},
         "qopt.records": {"qopt.solving", "qopt.recording"}}
    assert layer_violations(g) == [
        "qopt.model.qubo (model) imports qopt.planning.plan (planning)",
        "qopt.model.qubo (model) imports qopt.reference (reference)",
        "qopt.planning.plan (planning) imports qopt.cli.app (cli)",
        "qopt.planning.plan (planning) imports qopt.experiments.store (experiments)",
        "qopt.reference (reference) imports qopt.cli.options (cli)",
        "qopt.solvers.base (solvers) imports qopt.recording (recording)",
        "qopt.solvers.base (solvers) imports qopt.records (records)",
    ]


def test_checker_finds_layer_violations():
    g = {"qopt.backends.base": {"qopt.solvers.base", "qopt.model.qubo"},
         "qopt.model.qubo": {"qopt.errors"}, "qopt.errors": {"qopt.model.qubo"},
         "qopt.experiments.runners": {"qopt.cli.app", "qopt.solving"}}
    assert layer_violations(g) == [
        "qopt.backends.base (backends) imports qopt.solvers.base (solvers)",
        "qopt.errors (core utility) imports qopt.model.qubo",
        "qopt.experiments.runners (experiments) imports qopt.cli.app (cli)",
    ]
