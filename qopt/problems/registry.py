"""Registry of problem classes by kind, with their readers, generators and shipped instances.

Shipped instances live in ``qopt/problems/data/<kind>/`` with an ``index.json`` per kind:
``{"instance name": {"file": "...", "optimum": value or null, "size": {...}}}``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path, PurePath

from qopt.errors import OptionError
from qopt.problems.base import Problem
from qopt.problems.model_files import (
    MODEL_KINDS,
    load_model_file,
    problem_of_model,
    split_model_spec,
)
from qopt.seeds import check_seed
from qopt.suggest import did_you_mean, unknown

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
    """The registered problem classes' names (``mdkp``, ``mis``, ...), sorted."""
    return sorted(_CLASSES)


def problem_class(kind: str) -> type[Problem]:
    """The :class:`~qopt.problems.base.Problem` subclass registered as ``kind``."""
    try:
        return _CLASSES[kind]
    except KeyError:
        raise OptionError(unknown("problem class", kind, kinds()) + " (and 'lp' / 'mps' / "
                          "'qs' for model files)") from None


def _data_dir(kind: str):
    return resources.files("qopt.problems") / "data" / kind


@cache
def shipped_index(kind: str) -> dict[str, dict]:
    """Shipped instances of one class: name -> {file, optimum, size}."""
    problem_class(kind)
    index = _data_dir(kind) / "index.json"
    return json.loads(index.read_text()) if index.is_file() else {}


def load(kind, instance: str | Path | None = None) -> Problem:
    """A shipped instance by name, or a file in the class's standard format by path.

    ``load("mdkp", "hp1")`` and ``load("mdkp:hp1")`` are the same. Model files load by
    suffix or kind (see :mod:`qopt.problems.model_files`): LP and MPS files (read by HiGHS;
    ``load("model.lp")``, ``load("lp:PATH")``, ``load("mps", PATH)``) and QOBLIB ``.qs``
    QUBO files (``load("model.qs")``, ``load("qs:PATH")``), each also compressed. A model
    object (``qopt.Program``, a docplex / opt-mapper / qiskit-optimization / dimod model)
    loads as its Problem.
    """
    if instance is None and not isinstance(kind, str | PurePath):
        return problem_of_model(kind)
    if instance is None:
        text = str(kind)
        prefix, sep, rest = text.partition(":")
        spec = split_model_spec(text)
        if spec is not None:
            kind, instance = spec
        elif sep and prefix:
            kind, instance = prefix, rest
        else:
            raise OptionError(f"{text!r}: name an instance as 'kind:instance' (e.g. 'mdkp:hp1'), "
                              "or a model file (model.lp, model.mps, model.qs, 'lp:PATH')")
    if str(kind).lower() in MODEL_KINDS:
        return load_model_file(instance, str(kind).lower())
    cls = problem_class(str(kind))
    index = shipped_index(kind)
    key = str(instance)
    named = getattr(cls, "from_name", None)      # classes whose instances are names (labs:N)
    if named is not None and key not in index:
        problem = named(key)
        if problem is not None:
            return problem
    if key in index:
        entry = index[key]
        with resources.as_file(_data_dir(kind) / entry["file"]) as path:
            return cls.read(path, name=key, optimum=entry.get("optimum"))
    path = Path(instance)
    if path.is_file():
        return cls.read(path)
    hint = did_you_mean(key, index)
    raise OptionError(f"{key!r} is neither a shipped {kind} instance nor an existing file"
                      f"{hint or ';'} shipped: {', '.join(index) or 'none'}")


def generate(kind: str, size, seed: int | None = None) -> Problem:
    """A seeded random instance of ``kind`` (size meaning per class: nodes, items, products).

    Without a seed the instance is seed 0's (its name ends in ``_s0``): the same call gives
    the same instance, here, on the command line and in sweeps."""
    seed = check_seed(seed, "generator seed")
    return problem_class(kind).generate(size, 0 if seed is None else seed)
