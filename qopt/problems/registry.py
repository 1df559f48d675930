"""Registry of problem classes by kind, with their readers, generators and shipped instances.

Shipped instances live in ``qopt/problems/data/<kind>/`` with an ``index.json`` per kind:
``{"instance name": {"file": "...", "optimum": value or null, "size": {...}}}``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path

from qopt.errors import OptionError
from qopt.problems.base import Problem

_CLASSES: dict[str, type[Problem]] = {}


def register(cls: type[Problem]) -> type[Problem]:
    """Class decorator: register a Problem subclass under ``cls.kind``.

    The class provides ``read(path, name=None, optimum=None)`` (its standard file format) and
    ``generate(size, seed)`` (a seeded random instance) as classmethods.
    """
    if not cls.kind:
        raise TypeError(f"{cls.__name__} has no kind")
    _CLASSES[cls.kind] = cls
    return cls


def kinds() -> list[str]:
    return sorted(_CLASSES)


def problem_class(kind: str) -> type[Problem]:
    try:
        return _CLASSES[kind]
    except KeyError:
        raise OptionError(f"unknown problem class {kind!r}; known: {', '.join(kinds())}") from None


def _data_dir(kind: str):
    return resources.files("qopt.problems") / "data" / kind


@cache
def shipped_index(kind: str) -> dict[str, dict]:
    """Shipped instances of one class: name -> {file, optimum, size}."""
    problem_class(kind)
    index = _data_dir(kind) / "index.json"
    return json.loads(index.read_text()) if index.is_file() else {}


def load(kind: str, instance: str | Path) -> Problem:
    """A shipped instance by name, or a file in the class's standard format by path."""
    cls = problem_class(kind)
    index = shipped_index(kind)
    key = str(instance)
    if key in index:
        entry = index[key]
        with resources.as_file(_data_dir(kind) / entry["file"]) as path:
            return cls.read(path, name=key, optimum=entry.get("optimum"))
    path = Path(instance)
    if path.is_file():
        return cls.read(path)
    raise OptionError(f"{key!r} is neither a shipped {kind} instance ({', '.join(index) or 'none'})"
                      " nor an existing file")


def generate(kind: str, size, seed: int | None = None) -> Problem:
    """A seeded random instance of ``kind`` (size meaning per class: nodes, items, products)."""
    return problem_class(kind).generate(size, seed)
