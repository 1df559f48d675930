"""Sweep configuration: TOML parsing, validation and grid expansion into runs with stable keys.

A sweep file names problems (shipped instances, files, or generated sizes x generator seeds),
solvers with fixed ``options`` and a ``grid`` of options to expand, backends, budgets, seeds
(repetitions) and a per-run timeout (seconds). Example::

    name = "demo"
    seeds = [0, 1]            # or: seed = 0 and repetitions = 2
    budget = 2000             # evaluations per run (None: the solver's default)
    timeout = 60              # seconds per run; the worker is killed after it
    backends = ["statevector"]
    limits = { statevector = 30 }   # qubits per backend (defaults: statevector/aer/lightning 30)

    [[problems]]
    kind = "maxcut"
    sizes = [8, 10]           # or: instances = ["reg3_16", "my/graph.txt"]
    generator_seeds = [1]
    reference = "exact"       # a missing optimum: "exact", "milp" (proven) or "best-known"

    [[solvers]]
    name = "qaoa"
    options = { optimizer_maxiter = 100 }
    grid = { p = [1, 2] }     # one run per grid point
    optimizer = "cobyla"      # qopt.solve(optimizer=...)

Keys: top level ``name``, ``description``, ``plugins`` (modules imported first, from the
config's folder, that register own problems / solvers), ``seeds`` | ``seed`` + ``repetitions``,
``budget``, ``timeout``, ``postprocess``, ``backends``, ``limits``; ``[[problems]]``: ``kind``,
``instances`` | ``sizes`` (+ ``generator_seeds``), or ``files`` (model files of any format
by suffix, no ``kind``: ``files = ["model.lp", "model.qs"]``), ``penalty``, ``encoding``,
``reference`` (see :mod:`qopt.experiments.problem_specs`; from Python, objects too:
:func:`qopt.experiments.sweep`);
``[[solvers]]``: ``name``, ``label`` (may use ``{option}`` fields), ``options``, ``grid``,
``optimizer``, ``problems`` (restrict the entry to some problem kinds or ``kind:instance``
names), ``min_qubits`` (the entry only runs instances that need at least that many
qubits, e.g. an ``aer:mps`` entry for the ones too large for a statevector), and any of the
top-level run keys (``seeds``, ``budget``, ``timeout``, ``backends``, ...) to override them.
``backends`` apply to quantum solvers only; classical solvers run once without one.

Every error names the file and the key path (``demo.toml: solvers[1].options.p: expected int``)
and is raised before any run starts; all problems of a config are listed at once (one per
line). Beyond the syntax, the whole config is checked (:mod:`qopt.experiments.validate`):
solver, backend and optimizer names, option values through each solver's own checks, a backend
or optimizer given to a classical solver, every instance file parsed and every ``sizes`` entry
generated, penalties >= 0, seeds >= 0, ``label`` fields. A registered solver whose module
cannot be imported (a missing optional dependency), or an unknown one with
``allow_missing = true``, is kept: its runs are stored as skipped with the reason "solver not
available".
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import itertools
import json
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qopt.errors import ConfigError, QoptError
from qopt.experiments import validate
from qopt.experiments.problem_specs import ProblemSpec, problem_specs
from qopt.experiments.validate import TableParser, check_options, run_defaults

#: solver names of DESIGN.md that run circuits (used while a solver is not registered yet)
QUANTUM_SOLVER_NAMES = frozenset({"qaoa", "cvar-qaoa", "ma-qaoa", "ws-qaoa", "rqaoa", "vqe",
                                  "cvar-vqe", "pce", "qrao"})

#: default qubit limits of simulator backends (by full name, then by the part before ":")
DEFAULT_QUBIT_LIMITS: dict[str, int] = {"statevector": 30, "aer": 30, "aer:statevector": 30,
                                        "lightning": 30}

_TOP_KEYS = {"name", "description", "plugins", "timeout", "postprocess", "budget", "seed",
             "seeds", "repetitions", "backends", "limits", "problems", "solvers"}
_SOLVER_KEYS = {"name", "label", "options", "grid", "budget", "seed", "seeds", "repetitions",
                "backends", "timeout", "postprocess", "min_qubits", "optimizer", "problems",
                "allow_missing"}


@dataclass(frozen=True)
class RunSpec:
    """One run: ``qopt.solve(problem, solver, seed, budget, backend, **options)``."""

    sweep: str
    problem: ProblemSpec
    solver: str
    label: str
    options: dict = field(hash=False)
    backend: str | None
    budget: int | None
    seed: int
    repetition: int
    postprocess: bool
    timeout: float | None
    quantum: bool
    qubit_limit: int | None
    available: bool
    unavailable_reason: str | None = None
    plugins: tuple[str, ...] = ()
    plugin_paths: tuple[str, ...] = ()
    min_qubits: int | None = None   # entry only for instances needing at least this many
    optimizer: str | None = None    # ``qopt.solve(optimizer=...)`` of variational solvers
    output_dir: str | None = None   # results directory: relative output-path options resolve
    #                                 inside it (set by run_sweep; not part of the run key)
    memory_limit: int | None = None  # bytes for this run: the memory limit divided among the
    #                                 local workers (set by run_sweep; not part of the run key)
    threads: int | None = None      # kernel threads of this run: the cores divided among the
    #                                 local workers (set by run_sweep; not part of the run key)

    def identity(self) -> dict:
        """Everything that determines the run's result, canonicalised (the run key's input)."""
        d = {"problem": self.problem.identity(), "solver": self.solver,
             "options": canonical(self.options), "backend": self.backend,
             "budget": self.budget, "seed": self.seed, "repetition": self.repetition,
             "postprocess": self.postprocess}
        if self.optimizer is not None:
            d["optimizer"] = self.optimizer
        if self.quantum:
            # budgets of quantum runs are in objective evaluations with shots converted
            # (qopt.solvers.budget); rows stored under the older unit (parameter sets) differ
            d["budget_unit"] = "evaluations"
        return d

    @property
    def key(self) -> str:
        return run_key(self.identity())

    def to_dict(self) -> dict:
        """Plain data (JSON-serialisable) for shipping to workers and storing."""
        d = dataclasses.asdict(self)
        d["plugins"] = list(self.plugins)
        d["plugin_paths"] = list(self.plugin_paths)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> RunSpec:
        d = dict(d)
        d["problem"] = ProblemSpec(**d["problem"])
        d["plugins"] = tuple(d.get("plugins", ()))
        d["plugin_paths"] = tuple(d.get("plugin_paths", ()))
        return cls(**d)


@dataclass
class SweepConfig:
    """A parsed, validated sweep; ``runs`` is the expanded grid in a fixed order."""

    name: str
    path: str | None
    description: str
    plugins: tuple[str, ...]
    plugin_paths: tuple[str, ...]
    runs: list[RunSpec]


# ---- canonical data and keys -----------------------------------------------------------------
def canonical(value: Any) -> Any:
    """JSON-canonical form: dict keys sorted, tuples as lists, floats that are ints kept apart."""
    if isinstance(value, dict):
        return {str(k): canonical(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value
    return str(value)


def run_key(identity: dict) -> str:
    """sha256 (hex, 32 chars) of the canonical JSON of a run's identity."""
    text = json.dumps(canonical(identity), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def load_config(path: str | Path) -> SweepConfig:
    """Read, validate and expand a sweep TOML file. Raises :class:`ConfigError`."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read sweep config: {exc.strerror or exc}") from None
    return parse_config(text, source=str(path), base_dir=path.parent)


def parse_config(text: str, source: str = "<config>", base_dir: str | Path = ".") -> SweepConfig:
    """Parse TOML text into a :class:`SweepConfig` (``base_dir`` resolves relative paths)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}") from None
    return build_config(data, source=source, base_dir=base_dir)


def build_config(data: dict, source: str = "<config>", base_dir: str | Path = ".") -> SweepConfig:
    """Validate a parsed TOML mapping and expand its grid into runs."""
    p = TableParser(source)
    base = Path(base_dir).resolve()
    p.check_keys(data, _TOP_KEYS, "")
    name = p.get(data, "name", "", str, default=Path(source).stem)
    description = p.get(data, "description", "", str, default="")
    plugins = tuple(p.get(data, "plugins", "", list, default=[]))
    for i, mod in enumerate(plugins):
        if not isinstance(mod, str):
            raise p.fail(f"plugins[{i}]", f"expected a module name, got {mod!r}")
    plugin_paths = (str(base),) if plugins else ()
    import_plugins(plugins, plugin_paths, source)

    defaults = run_defaults(p, {}, "", None)
    with p.collect():           # on an error: noted, the tables are checked with the defaults
        defaults = run_defaults(p, data, "", None)
    limits = dict(DEFAULT_QUBIT_LIMITS)
    for k, v in p.get(data, "limits", "", dict, default={}).items():
        if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
            raise p.fail(f"limits.{k}", f"expected a positive int (qubits), got {v!r}")
        limits[k] = v

    problems_raw = p.get(data, "problems", "", list, default=None)
    if not problems_raw:
        raise p.fail("problems", "at least one [[problems]] table is required")
    solvers_raw = p.get(data, "solvers", "", list, default=None)
    if not solvers_raw:
        raise p.fail("solvers", "at least one [[solvers]] table is required")

    problems: list[ProblemSpec] = []
    for i, table in enumerate(problems_raw):
        with p.collect():
            problems.extend(problem_specs(p, table, f"problems[{i}]", base))

    runs: list[RunSpec] = []
    seen: dict[str, str] = {}
    for i, table in enumerate(solvers_raw):
        where = f"solvers[{i}]"
        with p.collect():
            for run in _solver_runs(p, table, where, defaults, limits, problems, name, plugins,
                                    plugin_paths):
                k = run.key
                if k in seen:
                    raise p.fail(where, f"duplicates a run of {seen[k]} ({run.solver} on "
                                        f"{run.problem.label}, seed {run.seed})")
                seen[k] = where
                runs.append(run)
    p.raise_errors()
    return SweepConfig(name=name, path=source, description=description, plugins=plugins,
                       plugin_paths=plugin_paths, runs=runs)


def import_plugins(plugins, plugin_paths, source: str = "<config>") -> None:
    """Import the plugin modules (they register problems / solvers) with ``plugin_paths`` on
    ``sys.path``."""
    for d in plugin_paths:
        if d not in sys.path:
            sys.path.insert(0, d)
    for i, mod in enumerate(plugins):
        try:
            importlib.import_module(mod)
        except Exception as exc:
            raise ConfigError(f"{source}: plugins[{i}]: cannot import {mod!r}: {exc}") from None


def _solver_info(name: str) -> tuple[type | None, str | None]:
    """(solver class, None) if registered and importable, else (None, reason)."""
    from qopt.solvers import registry

    if name not in registry.names():
        return None, "solver not available"
    try:
        return registry.solver_class(name), None
    except QoptError as exc:
        return None, f"solver not available: {exc}"
    except Exception as exc:  # e.g. an optional dependency missing
        return None, f"solver not available: {type(exc).__name__}: {exc}"


def is_quantum(cls: type | None, name: str) -> bool:
    """Whether a solver runs circuits on a backend (``quantum`` attribute, else its module)."""
    if cls is None:
        return name in QUANTUM_SOLVER_NAMES
    flag = getattr(cls, "quantum", None)
    if flag is not None:
        return bool(flag)
    return cls.__module__.startswith("qopt.solvers.quantum") or name in QUANTUM_SOLVER_NAMES


def qubit_limit(backend: str | None, limits: dict[str, int]) -> int | None:
    """Qubit limit of a backend spec (:func:`qopt.backends.registry.get_backend` names): its
    own entry in ``limits``; for matrix-product-state specs (``aer:mps``) the ``mps`` entry
    (none by default); else the entry of the part before ':' (``aer:gpu`` -> ``aer``)."""
    if backend is None:
        return None
    if backend in limits:
        return limits[backend]
    head, _, rest = backend.lower().partition(":")
    if any(p in ("mps", "matrix_product_state") for p in rest.split(":")):
        return limits.get("mps")
    return limits.get(head)


def _solver_runs(p: TableParser, table: Any, where: str, defaults: dict, limits: dict,
                 problems: list[ProblemSpec], sweep: str, plugins, plugin_paths) -> list[RunSpec]:
    if not isinstance(table, dict):
        raise p.fail(where, f"expected a table, got {table!r}")
    p.check_keys(table, _SOLVER_KEYS, where)
    name = p.get(table, "name", where, str)
    if not name:
        raise p.fail(f"{where}.name", "missing (a solver name, e.g. 'anneal')")
    label = p.get(table, "label", where, str, default=None)
    min_qubits = p.get(table, "min_qubits", where, int, default=None)
    optimizer = p.get(table, "optimizer", where, str, default=None)
    options = p.get(table, "options", where, dict, default={})
    grid = p.get(table, "grid", where, dict, default={})
    for k, values in grid.items():
        if not isinstance(values, list) or not values:
            raise p.fail(f"{where}.grid.{k}",
                         f"expected a non-empty list of values, got {values!r}")
        if k in options:
            raise p.fail(f"{where}.grid.{k}", "also given in options")
    d = defaults
    with p.collect():       # noted; the entry's other keys are still checked
        d = run_defaults(p, table, where, defaults)
    problems = _select_problems(p, table, where, problems)
    allow_missing = p.get(table, "allow_missing", where, bool, default=False)
    if not allow_missing and (problem := validate.solver_problem(name)) is not None:
        raise p.fail(f"{where}.name", problem + " (allow_missing = true keeps a solver that "
                                                "is not registered yet: its runs are skipped)")
    cls, reason = _solver_info(name)
    quantum = is_quantum(cls, name)
    if cls is not None:
        check_options(p, cls, name, options, grid, where)
    if optimizer is not None:
        p.note(f"{where}.optimizer", validate.optimizer_problem(optimizer))
    if not quantum:
        for key in ("backends", "optimizer"):
            if key in table:
                p.note(f"{where}.{key}", f"solver {name!r} is classical: only quantum solvers "
                                         f"take a backend or an optimizer")
    backends = (d["backends"] or ["statevector"]) if quantum else [None]

    grid_keys = sorted(grid)
    points = [dict(zip(grid_keys, combo)) for combo in
              itertools.product(*(grid[k] for k in grid_keys))] or [{}]
    if label and "{" in label:
        for point in points:
            if (problem := validate.label_problem(label, {**options, **point})) is not None:
                raise p.fail(f"{where}.label", problem)
    runs = []
    for point in points:
        opts = {**options, **point}
        lab = label.format(**opts) if label and "{" in label else label
        if lab is None:
            lab = name + "".join(f" {k}={point[k]}" for k in grid_keys)
        for backend in backends:
            for prob in problems:
                for rep, seed in enumerate(d["seeds"]):
                    runs.append(RunSpec(
                        sweep=sweep, problem=prob, solver=name, label=lab, options=opts,
                        backend=backend, budget=d["budget"], seed=seed, repetition=rep,
                        postprocess=d["postprocess"], timeout=d["timeout"], quantum=quantum,
                        qubit_limit=qubit_limit(backend, limits) if quantum else None,
                        available=cls is not None, unavailable_reason=reason,
                        plugins=tuple(plugins), plugin_paths=tuple(plugin_paths),
                        min_qubits=min_qubits, optimizer=optimizer))
    return runs


def _select_problems(p: TableParser, table: dict, where: str,
                     problems: list[ProblemSpec]) -> list[ProblemSpec]:
    """The problems a solver entry runs: all, or those named in its ``problems`` list by kind
    ("maxcut") or kind and instance label ("mis:1tc.8", "maxcut:maxcut-8-s1")."""
    if "problems" not in table:
        return problems
    names = table["problems"]
    if not isinstance(names, list) or not names:
        raise p.fail(f"{where}.problems", f"expected a non-empty list of problem kinds or "
                                          f"'kind:instance' names, got {names!r}")
    chosen: list[ProblemSpec] = []
    for j, n in enumerate(names):
        if not isinstance(n, str):
            raise p.fail(f"{where}.problems[{j}]", f"expected a string, got {n!r}")
        kind, _, inst = n.partition(":")
        hits = [q for q in problems if q.kind == kind and (not inst or q.label == inst)]
        if not hits:
            raise p.fail(f"{where}.problems[{j}]", f"{n!r} matches none of the sweep's problems")
        chosen += [q for q in hits if q not in chosen]
    return [q for q in problems if q in chosen]


__all__ = ["DEFAULT_QUBIT_LIMITS", "ProblemSpec", "RunSpec", "SweepConfig", "build_config",
           "canonical", "import_plugins", "load_config", "parse_config", "run_key"]
