"""MkDocs hook: parts of the site generated from the code at build time, so they cannot drift.

A page asks for a generated part with an HTML comment on a line of its own:

- ``<!-- qopt:solver-options NAME -->``: the option table of solver NAME (every field of its
  ``Options`` dataclass with the CLI flag, the type and the default) followed by the options
  class's docstring;
- ``<!-- qopt:cli-help COMMAND -->``: ``qopt COMMAND --help`` as the parser prints it
  (``<!-- qopt:cli-help -->`` for ``qopt --help``);
- ``<!-- qopt:solver-list -->``: every registered solver with its family and first docstring line;
- ``<!-- qopt:solver-classes -->``: an API reference (mkdocstrings ``:::`` blocks) of every
  registered solver's module (its docstring) and class, grouped by module;
- ``<!-- qopt:status-tables -->``: what every status value means (:mod:`qopt.solvers.status`).

An unknown solver or command fails the build (the marker names it).
"""

from __future__ import annotations

import argparse
import inspect
import os
import re

MARKER = re.compile(r"^<!-- qopt:(?P<what>[a-z-]+)(?: (?P<arg>[^ ]+))? -->$", re.M)


def _type_text(tp) -> str:
    text = tp.__name__ if isinstance(tp, type) else str(tp)
    return text.replace("typing.", "").replace("NoneType", "None")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


SECTION = re.compile(r"^(Attributes|Args|Arguments|Options|Fields):\s*$")
ENTRY = re.compile(r"^ {4}(?P<names>[A-Za-z_][\w, ]*?)\s*(\([^)]*\))?:\s*(?P<text>.*)$")


def split_doc(doc: str) -> tuple[str, dict[str, str]]:
    """(prose, {field: meaning}) of an options docstring: a Google-style ``Attributes:``
    section gives the meanings (``a, b: text`` gives both); everything else is prose."""
    prose, meanings, current = [], {}, None
    in_section = False
    for line in doc.splitlines():
        if SECTION.match(line):
            in_section, current = True, None
            continue
        if in_section:
            m = ENTRY.match(line)
            if m:
                current = [n.strip() for n in m["names"].split(",")]
                for n in current:
                    meanings[n] = m["text"].strip()
                continue
            if line.startswith("        ") and current:
                for n in current:
                    meanings[n] += " " + line.strip()
                continue
            if not line.strip():
                continue
            in_section = False
        prose.append(line)
    return "\n".join(prose).strip(), meanings


def split_inline(prose: str, names: list[str]) -> tuple[str, dict[str, str]]:
    """(intro, {field: meaning}) of a prose docstring written as ``p: layers. alpha: ...``
    (a field name and a colon at the start of a line or of a sentence); unchanged when fewer
    than two fields are found that way."""
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    pattern = re.compile(rf"(?:^|(?<=[.;]\s)|(?<=\n))(?P<name>{alternatives}):\s")
    hits = list(pattern.finditer(prose))
    if len({m["name"] for m in hits}) < 2:
        return prose, {}
    meanings = {}
    for m, nxt in zip(hits, [*hits[1:], None]):
        text = prose[m.end():nxt.start() if nxt else len(prose)]
        meanings[m["name"]] = " ".join(text.split())
    return prose[:hits[0].start()].strip(), meanings


def sphinx_roles(text: str) -> str:
    """``:mod:`x``` and friends as Markdown code."""
    return re.sub(r":(?:mod|class|func|meth|attr|data|obj|exc):`~?([^`]+)`", r"`\1`", text)


def solver_options(name: str) -> str:
    """The Markdown option table of one solver (with the meanings its options docstring gives)
    followed by the rest of that docstring."""
    from qopt.cli.options import default_text, solver_fields
    from qopt.solvers.registry import solver_class

    cls = solver_class(name)
    fields = solver_fields(name)
    if not fields:
        return f"`{name}` has no options of its own (only the keywords of `qopt.solve`).\n"
    prose, meanings = "", {}
    for klass in cls.Options.__mro__[:-1]:      # a subclass's options: its bases explain theirs
        doc = klass.__dict__.get("__doc__") or ""
        if not doc or doc.startswith(klass.__name__ + "("):   # the dataclass's own docstring
            continue
        text, found = split_doc(sphinx_roles(inspect.cleandoc(doc)))
        if not found:
            text, found = split_inline(text, [f.name for f, _ in fields])
        prose = prose or text
        meanings = {**found, **meanings}
    rows = ["| option | CLI flag | type | default | meaning |", "|---|---|---|---|---|"]
    for f, tp in fields:
        flag = "--" + f.name.replace("_", "-")
        rows.append(f"| `{f.name}` | `{flag}` | `{_cell(_type_text(tp))}` | "
                    f"`{_cell(default_text(f))}` | {_cell(meanings.get(f.name, ''))} |")
    where = f"`{cls.Options.__module__}.{cls.Options.__qualname__}`"
    text = [f"Options of `{name}` ({where}; in Python `{name}`'s keywords of `qopt.solve`, on "
            f"the command line `qopt solve ... --solver {name} --OPTION VALUE`):", "", *rows, ""]
    if prose:
        text += ["", prose, ""]
    return "\n".join(text) + "\n"


def cli_help(command: str | None) -> str:
    """``qopt [COMMAND] --help`` as a fenced block."""
    from qopt.cli.app import build_parser

    os.environ["COLUMNS"] = "100"
    parser = build_parser()
    if command is None:
        text = parser.format_help()
    else:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        choices = subs[0].choices if subs else {}
        if command not in choices:
            raise ValueError(f"qopt has no command {command!r}; commands: {', '.join(choices)}")
        text = choices[command].format_help()
    return "```text\n" + text.rstrip() + "\n```\n"


def solver_list() -> str:
    """A table of every registered solver: name, family (module) and summary line."""
    from qopt.solvers.registry import names, solver_class

    rows = ["| solver | class | family | what |", "|---|---|---|---|"]
    for name in names():
        cls = solver_class(name)
        family = "quantum" if ".quantum." in cls.__module__ else "classical"
        first = sphinx_roles((inspect.getdoc(cls) or "").split("\n\n")[0].replace("\n", " "))
        rows.append(f"| `{name}` | `{cls.__module__}.{cls.__name__}` | {family} | "
                    f"{_cell(first)} |")
    return "\n".join(rows) + "\n"


def solver_classes() -> str:
    """mkdocstrings blocks: each module holding registered solvers, with those classes."""
    from qopt.solvers.registry import names, solver_class

    modules: dict[str, list[str]] = {}
    for name in names():
        cls = solver_class(name)
        modules.setdefault(cls.__module__, [])
        if cls.__name__ not in modules[cls.__module__]:
            modules[cls.__module__].append(cls.__name__)
    blocks = [f"::: {module}\n    options:\n      members: [{', '.join(classes)}]\n"
              for module, classes in sorted(modules.items())]
    return "\n".join(blocks)


def render(what: str, arg: str | None) -> str:
    if what == "solver-options":
        if not arg:
            raise ValueError("qopt:solver-options needs a solver name")
        return solver_options(arg)
    if what == "cli-help":
        return cli_help(arg)
    if what == "solver-list":
        return solver_list()
    if what == "solver-classes":
        return solver_classes()
    if what == "status-tables":
        from qopt.solvers.status import status_markdown

        return status_markdown() + "\n"
    raise ValueError(f"unknown generated part 'qopt:{what}'")


def expand(markdown: str, where: str = "<page>") -> str:
    """Replace every marker of ``markdown`` by its generated Markdown."""
    def one(m: re.Match) -> str:
        try:
            return render(m["what"], m["arg"])
        except Exception as exc:
            raise RuntimeError(f"{where}: {m[0]}: {type(exc).__name__}: {exc}") from exc

    return MARKER.sub(one, markdown)


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    """MkDocs event: expand the page's markers."""
    return expand(markdown, page.file.src_path)


__all__ = ["expand", "on_page_markdown"]
