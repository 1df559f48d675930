"""Model files as Problems: LP / MPS (HiGHS, :mod:`qopt.model.lp`) and QOBLIB ``.qs`` QUBOs
(:mod:`qopt.model.qs`), found by suffix (``.gz`` / ``.xz`` / ``.bz2`` too) or named by kind
(``lp:PATH``, ``mps:PATH``, ``qs:PATH``)."""

from __future__ import annotations

from pathlib import Path

from qopt.errors import OptionError
from qopt.model.lp import model_format
from qopt.model.qs import is_qs, read_qs
from qopt.problems.base import Problem

#: pseudo-kinds of model files (``lp:PATH``, ``mps:PATH``, ``qs:PATH``)
MODEL_KINDS = ("lp", "mps", "qs")


def file_kind(path: str | Path) -> str | None:
    """"lp", "mps" or "qs" from a file name's suffix, else None."""
    return "qs" if is_qs(path) else model_format(path)


def split_model_spec(text: str) -> tuple[str, str] | None:
    """``(kind, path)`` of ``"lp:PATH"`` / ``"qs:PATH"`` / a path with a model suffix, else
    None."""
    prefix, sep, rest = text.partition(":")
    if sep and prefix.lower() in MODEL_KINDS:
        return prefix.lower(), rest
    kind = file_kind(text)
    return (kind, text) if kind is not None else None


def load_model_file(path: str | Path, kind: str | None = None) -> Problem:
    """The Problem of a model file: a ``.qs`` file's QUBO (minimised, as QOBLIB writes it),
    an LP / MPS file's program."""
    from qopt.model.lp import read_lp
    from qopt.problems.custom import QUBOProblem

    kind = kind or file_kind(path)
    if kind not in MODEL_KINDS:
        raise OptionError(f"{path}: model file kind must be one of {', '.join(MODEL_KINDS)}, "
                          f"got {kind!r}")
    if kind == "qs":
        name = Path(path).name.split(".")[0]
        return QUBOProblem(read_qs(path), name=name)
    return problem_of_model(read_lp(path, kind))


def problem_of_model(model) -> Problem:
    """The Problem of a qopt model (``Program``, ``BinaryProgram``, ``QUBO``) or of a model
    object of another library (:mod:`qopt.model.interop`)."""
    from qopt.model.hubo import HUBO
    from qopt.model.interop import from_object, is_model_object
    from qopt.model.interop.bridge import to_qopt_model
    from qopt.model.program import BinaryProgram
    from qopt.model.user import Program
    from qopt.problems.custom import ModelProblem, ProgramProblem, QUBOProblem

    if is_model_object(model):
        model = to_qopt_model(from_object(model))
    if isinstance(model, Program):
        return ModelProblem(model)
    if isinstance(model, BinaryProgram):
        return ProgramProblem(model)
    if isinstance(model, HUBO):
        return QUBOProblem(model, "hubo" if model.terms else "qubo")
    raise OptionError(f"cannot make a problem of an object of type {type(model).__name__}: "
                      "expected a qopt Program / BinaryProgram / QUBO / HUBO or a docplex, "
                      "opt-mapper, qiskit-optimization or dimod model")


__all__ = ["MODEL_KINDS", "file_kind", "load_model_file", "problem_of_model",
           "split_model_spec"]
