"""The API reference and the names the pages quote: every public class and function, every
registered solver and backend, and everything an example imports is rendered by a ``:::`` block
of ``docs/reference/api/``; every dotted name a page quotes (qopt's, and the libraries the
migration guide maps from) exists."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
sys.path.insert(0, str(DOCS / "_hooks"))

import generated  # noqa: E402

# ---- the API reference covers the public API ---------------------------------------------------
#: packages whose ``__all__`` is qopt's public API
PUBLIC_PACKAGES = ["qopt", "qopt.model", "qopt.model.interop", "qopt.problems", "qopt.planning",
                   "qopt.partition", "qopt.experiments", "qopt.solving"]
DIRECTIVE = re.compile(r"^::: (?P<target>\S+)\n(?P<options>(?: {4}.*\n)*)", re.M)


def _api_directives() -> list[tuple[str, list[str] | None]]:
    """(target, members or None for all) of every ``:::`` block of the API reference, with the
    generated parts expanded as the build expands them."""
    out = []
    for page in sorted((DOCS / "reference" / "api").glob("*.md")):
        text = generated.expand(page.read_text(), page.name)
        for m in DIRECTIVE.finditer(text):
            members = re.search(r"^ +members: (\[[^\]]*\]|false)$", m["options"], re.M)
            names = None if members is None else (
                [] if members[1] == "false" else
                [n.strip() for n in members[1][1:-1].split(",") if n.strip()])
            out.append((m["target"], names))
    return out


def _resolve(path: str):
    import importlib

    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for part in parts[i:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(path)


def _documented() -> list:
    """The objects the API reference renders: a class or function named by a block, the listed
    members of a module block, or, without a list, the module's public names (``__all__``, else
    the public classes and functions defined in it)."""
    import inspect

    objs = []
    for target, members in _api_directives():
        obj = _resolve(target)
        if not inspect.ismodule(obj):
            objs.append(obj)
            continue
        if members is None:
            members = list(getattr(obj, "__all__", None) or
                           [n for n, v in vars(obj).items() if not n.startswith("_") and
                            (inspect.isclass(v) or inspect.isfunction(v)) and
                            v.__module__ == obj.__name__])
        objs += [getattr(obj, name) for name in members]
    return objs


def test_api_reference_covers_the_public_api():
    """Every class and function exported by a public package, every registered solver and
    every backend class is rendered by the API reference, with a docstring of its own (the
    reference hides undocumented objects)."""
    import importlib
    import inspect

    from qopt.backends.base import Backend
    from qopt.solvers.registry import names, solver_class

    documented = {id(o) for o in _documented()}
    public = {}
    for package in PUBLIC_PACKAGES:
        module = importlib.import_module(package)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                public.setdefault(id(obj), (f"{package}.{name}", obj))
    for name in names():
        cls = solver_class(name)
        public.setdefault(id(cls), (f"solver {name}", cls))
    import pkgutil

    import qopt.backends
    for info in pkgutil.walk_packages(qopt.backends.__path__, "qopt.backends."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, Backend) \
                    and obj.__module__ == module.__name__:
                public.setdefault(id(obj), (f"{obj.__module__}.{obj.__name__}", obj))
    missing = sorted(path for key, (path, _) in public.items() if key not in documented)
    assert not missing, f"not in the API reference (docs/reference/api/): {missing}"
    def own_doc(obj) -> str:        # a dataclass without one gets "Name(fields...)"
        doc = (obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__) or ""
        return "" if doc.startswith(obj.__name__ + "(") else doc.strip()

    undocumented = sorted(path for path, obj in public.values() if not own_doc(obj))
    assert not undocumented, f"no docstring of their own: {undocumented}"


def _example_imports(text: str) -> set[str]:
    """``module.name`` of every ``from qopt... import name`` in the Python blocks of ``text``."""
    out = set()
    for block in re.findall(r"```python\n(.*?)```", text, re.S):
        for m in re.finditer(r"^\s*from (qopt[\w.]*) import (\([^)]*\)|.*)$", block, re.M):
            names = m[2].strip("()").replace("\n", " ").split("#")[0]
            out |= {f"{m[1]}.{n.split(' as ')[0].strip()}" for n in names.split(",") if n.strip()}
    return out


def test_api_reference_covers_what_the_examples_import():
    """A class or function of qopt that an example of the README or a page imports is one a
    user meets, so the API reference renders it."""
    import inspect

    documented = {id(o) for o in _documented()}
    missing = []
    for page in [REPO / "README.md", *sorted(DOCS.rglob("*.md"))]:
        for name in sorted(_example_imports(page.read_text())):
            obj = _resolve(name)
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and id(obj) not in documented:
                missing.append(f"{page.relative_to(REPO)}: {name}")
    assert not missing, "imported by an example, not in the API reference:\n" + "\n".join(missing)
    assert _example_imports("```python\nfrom qopt.a import (b,\n  c)\nfrom qopt import d  # x\n```"
                            ) == {"qopt.a.b", "qopt.a.c", "qopt.d"}


def test_api_reference_check_sees_a_missing_name():
    objs = _documented()
    import qopt
    from qopt.backends.subspace import SubspaceSimulator

    assert any(o is qopt.solve for o in objs) and any(o is SubspaceSimulator for o in objs)
    assert not any(o is qopt.bits for o in objs)        # a module is not its members


# ---- names the pages mention -------------------------------------------------------------------
#: libraries whose dotted names the pages quote (`qopt.model.write_lp`, `dimod.ExactSolver`)
QUOTED_LIBRARIES = ("qopt", "qiskit_optimization", "qiskit_addon_opt_mapper", "docplex", "dimod")
QUOTED_NAME = re.compile(rf"(?<![\w.])((?:{'|'.join(QUOTED_LIBRARIES)})(?:\.[A-Za-z_]\w*)+)")


def _quoted_names(text: str) -> set[str]:
    """Dotted names of :data:`QUOTED_LIBRARIES` in the code spans and code blocks of ``text``."""
    code = re.findall(r"```[^\n]*\n(.*?)```", text, re.S) + re.findall(r"`([^`\n]+)`", text)
    return {m[1] for span in code for m in QUOTED_NAME.finditer(span)}


def test_every_quoted_name_exists():
    """Every ``qopt.x.y`` (and name of the libraries the migration guide maps from) that the
    README or a page quotes in code resolves to a module or an attribute of one."""
    pytest.importorskip("qiskit_optimization")
    pytest.importorskip("dimod")
    bad = []
    for page in [REPO / "README.md", *sorted(DOCS.rglob("*.md"))]:
        for name in sorted(_quoted_names(page.read_text())):
            try:
                _resolve(name)
            except (ImportError, AttributeError):
                bad.append(f"{page.relative_to(REPO)}: {name}")
    assert not bad, "names that do not exist:\n" + "\n".join(bad)


def test_quoted_name_check_sees_a_wrong_name():
    names = _quoted_names("`qopt.model.write_lp` and `dimod.NoSuch`\n```python\nqopt.nosuch()\n```")
    assert names == {"qopt.model.write_lp", "dimod.NoSuch", "qopt.nosuch"}
    with pytest.raises(AttributeError):
        _resolve("dimod.NoSuch")
