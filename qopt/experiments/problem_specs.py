"""The problems of a sweep: :class:`ProblemSpec` and the ``[[problems]]`` tables.

A table names shipped instances or files of one problem class (``kind`` + ``instances``),
generated sizes (``kind`` + ``sizes`` + ``generator_seeds``), model files of any format by
suffix (``files = ["model.lp", "model.qs", "model.mps.gz"]``: LP / MPS through HiGHS, QOBLIB
``.qs``; no ``kind``; ``kind = "lp"`` + ``instances = [...]`` says the same), or, from
Python only (:func:`qopt.experiments.sweep`), objects (``objects = [program, docplex_model,
bqm, ...]``: anything :func:`qopt.solve` takes). An object is turned into its Problem in
this process and pickled into the spec (``payload``); its run keys use a digest of the
model's canonical terms (of the pickle for a Problem object), so the same model gives the
same keys.
"""

from __future__ import annotations

import base64
import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qopt.errors import OptionError, QoptError
from qopt.experiments import validate
from qopt.experiments.validate import TableParser

_PROBLEM_KEYS = {"kind", "instances", "sizes", "generator_seeds", "penalty", "encoding",
                 "reference", "files", "objects"}
#: the references a [[problems]] table may ask for (``reference = "exact"``; qopt.reference)
REFERENCE_SOLVERS = ("exact", "milp", "best-known")


def _size_text(size: Any) -> str:
    if isinstance(size, dict):
        return "-".join(f"{k}{v}" for k, v in sorted(size.items()))
    return str(size)


@dataclass(frozen=True)
class ProblemSpec:
    """One problem instance of a sweep: shipped/file ``instance`` or generated ``size``+``seed``."""

    kind: str
    instance: str | None = None
    path: str | None = None          # absolute path of a file instance (not part of the key)
    digest: str | None = None        # sha256 of a file instance's content
    size: Any = None
    generator_seed: int | None = None
    penalty: Any = "auto"
    encoding: str = "slack"
    reference: str | None = None     # exact solver that computes a missing optimum
    payload: str | None = None       # a Python object's Problem, pickled (base64; its sha256
    #                                  is ``digest``): sweeps over objects (problem_specs.py)

    @property
    def label(self) -> str:
        if self.instance is not None:
            return self.instance
        return f"{self.kind}-{_size_text(self.size)}-s{self.generator_seed}"

    def identity(self) -> dict:
        """The canonical data that defines this instance (used in run keys)."""
        d: dict[str, Any] = {"kind": self.kind, "penalty": self.penalty, "encoding": self.encoding}
        if self.instance is not None:
            d["instance"] = self.instance
            if self.digest is not None:
                d["sha256"] = self.digest
        else:
            d.update(size=self.size, generator_seed=self.generator_seed)
        if self.reference is not None:
            d["reference"] = self.reference
        return d

    def load(self):
        """The Problem object (imports the problem registry). Without a known optimum and with
        a ``reference``, the optimum is computed as :func:`qopt.reference.resolve_reference`
        does (exact / MILP, proven optimal); one that cannot be had (too large, not proven)
        leaves it unknown, and the results say "no reference"."""
        from qopt.problems import generate, load

        if self.payload is not None:
            from qopt.experiments.problem_specs import unpack

            problem = unpack(self.payload)
        elif self.instance is not None:
            problem = load(self.kind, self.path if self.path is not None else self.instance)
        else:
            problem = generate(self.kind, self.size, self.generator_seed)
        if problem.optimum is None and self.reference not in (None, "best-known"):
            from qopt.reference import resolve_reference
            from qopt.solving import solve

            try:
                ref = resolve_reference(problem, reference=self.reference,
                                        penalty=self.penalty, encoding=self.encoding,
                                        solve=solve)
            except QoptError:      # too large or not proven: the optimum stays unknown
                return problem
            problem.optimum = ref.value
        return problem


def _common(p: TableParser, table: dict, where: str) -> tuple[Any, str, str | None]:
    """(penalty, encoding, reference) of a ``[[problems]]`` table."""
    penalty = table.get("penalty", "auto")
    if not isinstance(penalty, str | int | float | dict) or isinstance(penalty, bool):
        raise p.fail(f"{where}.penalty", f"expected 'auto', a number or a table, got {penalty!r}")
    p.note(f"{where}.penalty", validate.penalty_problem(penalty))
    encoding = p.get(table, "encoding", where, str, default="slack")
    if encoding not in ("slack", "unbalanced"):
        raise p.fail(f"{where}.encoding", f"expected 'slack' or 'unbalanced', got {encoding!r}")
    reference = p.get(table, "reference", where, str, default=None)
    if reference is not None and reference not in REFERENCE_SOLVERS:
        raise p.fail(f"{where}.reference", f"expected one of {', '.join(REFERENCE_SOLVERS)}, "
                                           f"got {reference!r}")
    return penalty, encoding, reference


def _named(p: TableParser, kind: str, name: str, where: str) -> str | None:
    """The instance's own name when the class makes it from ``name`` (LABS: ``"13"`` and
    ``"13-skew"`` as in ``qopt.load("labs:13-skew")`` -> ``labs013``, ``labs013_skew``), else
    None; the class's refusal is the config's error."""
    from qopt.problems import problem_class

    named = getattr(problem_class(kind), "from_name", None)
    try:
        problem = named(name) if named is not None else None
    except QoptError as exc:
        raise p.fail(where, str(exc)) from None
    return None if problem is None else problem.name


def problem_specs(p: TableParser, table: Any, where: str, base: Path) -> list[ProblemSpec]:
    """The ProblemSpecs of one ``[[problems]]`` table (``files`` / ``objects`` need no
    ``kind``)."""
    if not isinstance(table, dict):
        raise p.fail(where, f"expected a table, got {table!r}")
    p.check_keys(table, _PROBLEM_KEYS, where)
    common = _common(p, table, where)
    if "files" in table or "objects" in table:
        return _file_or_object_specs(p, table, where, base, common)
    kind = p.get(table, "kind", where, str)
    if kind is None:
        raise p.fail(f"{where}.kind", "missing (a problem class, e.g. 'maxcut')")
    from qopt.problems.model_files import MODEL_KINDS

    if kind.lower() in MODEL_KINDS and "instances" in table and "sizes" not in table:
        # kind = "lp", instances = ["model.lp"]: the files spelling of the same thing
        files = {k: v for k, v in table.items() if k not in ("kind", "instances")}
        return _file_or_object_specs(p, {**files, "files": table["instances"]}, where, base,
                                     common, kind.lower())
    try:
        from qopt.problems import problem_class, shipped_index

        problem_class(kind)
    except OptionError as exc:
        raise p.fail(f"{where}.kind", str(exc)) from None
    penalty, encoding, reference = common
    instances = p.get(table, "instances", where, list, default=None)
    sizes = table.get("sizes")
    if (instances is None) == (sizes is None):
        raise p.fail(where, "give exactly one of instances = [...] or sizes = [...]")
    out = []
    if instances is not None:
        if not instances:
            raise p.fail(f"{where}.instances", "empty list")
        index = shipped_index(kind)
        for j, inst in enumerate(instances):
            if not isinstance(inst, str):
                raise p.fail(f"{where}.instances[{j}]", f"expected a string, got {inst!r}")
            named = None if inst in index else _named(p, kind, inst, f"{where}.instances[{j}]")
            if inst in index or named is not None:
                out.append(ProblemSpec(kind, instance=named or inst, penalty=penalty,
                                       encoding=encoding, reference=reference))
                continue
            f = Path(inst) if Path(inst).is_absolute() else base / inst
            if not f.is_file():
                raise p.fail(f"{where}.instances[{j}]",
                             f"{inst!r} is neither a shipped {kind} instance "
                             f"({', '.join(index) or 'none shipped'}) nor a file")
            digest = hashlib.sha256(f.read_bytes()).hexdigest()
            out.append(ProblemSpec(kind, instance=f.name, path=str(f.resolve()), digest=digest,
                                   penalty=penalty, encoding=encoding, reference=reference))
            p.note(f"{where}.instances[{j}]", validate.instance_problem(out[-1]))
        if "generator_seeds" in table:
            raise p.fail(f"{where}.generator_seeds", "only with sizes = [...]")
        return out
    if not isinstance(sizes, list) or not sizes:
        raise p.fail(f"{where}.sizes", f"expected a non-empty list, got {sizes!r}")
    for j, s in enumerate(sizes):
        ok = (isinstance(s, int) and not isinstance(s, bool) and s > 0) or isinstance(s, dict)
        if not ok:
            raise p.fail(f"{where}.sizes[{j}]", f"expected a positive int or a table, got {s!r}")
    gseeds = p.int_list(table, "generator_seeds", where, default=[0], minimum=0)
    for j, s in enumerate(sizes):
        for g in gseeds:
            out.append(ProblemSpec(kind, size=s, generator_seed=g, penalty=penalty,
                                   encoding=encoding, reference=reference))
            problem = validate.instance_problem(out[-1])
            p.note(f"{where}.sizes[{j}]", problem and f"{problem} (generator seed {g})")
    return out


def _file_or_object_specs(p: TableParser, table: dict, where: str, base: Path,
                          common: tuple, kind: str | None = None) -> list[ProblemSpec]:
    from qopt.problems.model_files import file_kind

    penalty, encoding, reference = common
    for key in ("kind", "instances", "sizes", "generator_seeds"):
        if key in table:
            raise p.fail(f"{where}.{key}", "not with files = [...] or objects = [...] (model "
                                           "files take their kind from the suffix)")
    if "files" in table and "objects" in table:
        raise p.fail(where, "give files = [...] or objects = [...], not both")
    out: list[ProblemSpec] = []
    if "objects" in table:
        objects = table["objects"]
        if not isinstance(objects, list | tuple) or not objects:
            raise p.fail(f"{where}.objects", "expected a non-empty list of problem objects")
        for j, obj in enumerate(objects):
            try:
                out.append(object_spec(obj, penalty, encoding, reference))
            except QoptError as exc:
                raise p.fail(f"{where}.objects[{j}]", str(exc)) from None
        return out
    files = p.get(table, "files", where, list)
    if not files:
        raise p.fail(f"{where}.files", "expected a non-empty list of model files")
    for j, name in enumerate(files):
        if not isinstance(name, str):
            raise p.fail(f"{where}.files[{j}]", f"expected a file name, got {name!r}")
        fmt = kind or file_kind(name)
        if fmt is None:
            raise p.fail(f"{where}.files[{j}]", f"{name!r} is not a model file (.lp, .mps, .qs, "
                                                "each also .gz / .xz / .bz2)")
        f = Path(name) if Path(name).is_absolute() else base / name
        if not f.is_file():
            raise p.fail(f"{where}.files[{j}]", f"{name!r}: no such file")
        digest = hashlib.sha256(f.read_bytes()).hexdigest()
        out.append(ProblemSpec(fmt, instance=f.name, path=str(f.resolve()), digest=digest,
                               penalty=penalty, encoding=encoding, reference=reference))
        p.note(f"{where}.files[{j}]", validate.instance_problem(out[-1]))
    return out


def object_spec(obj, penalty="auto", encoding: str = "slack", reference: str | None = None
                ) -> ProblemSpec:
    """The spec of a Python object (a Problem, a qopt model, a model object of another
    library, a matrix: see :func:`qopt.solving.as_problem`), its Problem pickled in.

    The run keys use a digest of the model's canonical terms (the same model gives the same
    keys however it was built or used), or of the pickle for a Problem object."""
    from qopt.model.interop import as_terms
    from qopt.problems.base import Problem
    from qopt.solving import as_problem

    problem = as_problem(obj)
    try:
        data = pickle.dumps(problem, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        raise OptionError(f"{type(obj).__name__} object: its problem cannot be pickled for "
                          f"the sweep's workers ({type(exc).__name__}: {exc})") from None
    if isinstance(obj, Problem):
        digest = hashlib.sha256(data).hexdigest()
    else:
        try:
            digest = as_terms(obj).digest()
        except QoptError:                     # a matrix: its problem's own state
            digest = hashlib.sha256(data).hexdigest()
    kind = getattr(problem, "kind", None) or "object"
    return ProblemSpec(kind, instance=f"{problem.name}-{digest[:8]}", digest=digest,
                       penalty=penalty, encoding=encoding, reference=reference,
                       payload=base64.b64encode(data).decode("ascii"))


def unpack(payload: str):
    """The Problem pickled into a spec by :func:`object_spec`."""
    return pickle.loads(base64.b64decode(payload))


__all__ = ["REFERENCE_SOLVERS", "ProblemSpec", "object_spec", "problem_specs", "unpack"]
