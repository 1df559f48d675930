"""Sweeps from Python: :func:`sweep` over problem objects, files and shipped instances.

The same machinery as ``qopt sweep CONFIG.toml`` (validation, run keys, the SQLite store,
resuming, workers): the arguments become the config's tables, objects go in as
``[[problems]] objects = [...]`` (see :mod:`qopt.experiments.problem_specs`).
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Any

from qopt.errors import ConfigError

#: keys of sweep() that apply to every problem table
_PROBLEM_OPTIONS = ("penalty", "encoding", "reference")


def problem_table(item) -> dict[str, Any]:
    """The ``[[problems]]`` table of one item: a model file path (``files``), a
    ``"kind:instance"`` string (``kind`` + ``instances``), or any object
    :func:`qopt.solve` takes (``objects``)."""
    if isinstance(item, str | PurePath):
        from qopt.problems.model_files import split_model_spec

        text = str(item)
        spec = split_model_spec(text)
        if spec is not None:
            return {"files": [spec[1]]}
        kind, sep, instance = text.partition(":")
        if not (sep and kind and instance):
            raise ConfigError(f"sweep: problem {text!r} is neither a model file (.lp, .mps, "
                              ".qs) nor 'kind:instance'")
        return {"kind": kind, "instances": [instance]}
    return {"objects": [item]}


def sweep(problems, solvers, *, results_dir: str | Path = "results", name: str = "sweep",
          workers: int | None = None, engine: str = "local", progress: bool = False,
          **config) -> dict[str, Any]:
    """Run every solver on every problem and store the rows in ``results_dir``.

    Args:
        problems: a list of problems: objects (a ``Problem``, ``qopt.Program``,
            ``BinaryProgram``, ``QUBO``, a docplex / opt-mapper / qiskit-optimization /
            dimod model, a QUBO matrix), model file paths (``.lp``, ``.mps``, ``.qs``) or
            ``"kind:instance"`` strings.
        solvers: solver names or ``[[solvers]]`` tables as dicts
            (``{"name": "qaoa", "grid": {"p": [1, 2]}}``).
        results_dir: where ``results.sqlite`` lives (re-running resumes: stored runs are
            skipped).
        config: any top-level sweep key (``seeds``, ``budget``, ``timeout``, ``backends``,
            ``limits``, ``postprocess``, ...), and ``penalty`` / ``encoding`` /
            ``reference`` for every problem.

    Returns :func:`qopt.experiments.run_sweep`'s summary; read the rows with
    ``ResultStore(results_dir + "/results.sqlite").rows(name)`` or ``qopt report``.
    Raises :class:`~qopt.errors.ConfigError` naming the bad entry before any run.
    """
    from qopt.experiments.config import build_config
    from qopt.experiments.runners import run_sweep

    if not isinstance(problems, list | tuple) or not problems:
        raise ConfigError("sweep: problems must be a non-empty list")
    if not isinstance(solvers, list | tuple) or not solvers:
        raise ConfigError("sweep: solvers must be a non-empty list of names or tables")
    shared = {k: config.pop(k) for k in _PROBLEM_OPTIONS if k in config}
    tables = [{**problem_table(item), **shared} for item in problems]
    entries = [{"name": s} if isinstance(s, str) else dict(s) for s in solvers]
    data = {"name": name, **config, "problems": tables, "solvers": entries}
    cfg = build_config(data, source=f"sweep {name!r}", base_dir=Path.cwd())
    return run_sweep(cfg, results_dir, workers=workers, engine=engine, progress=progress)


__all__ = ["problem_table", "sweep"]
