"""Benchmark sweeps: a config's runs, filtered and resumed, handed to an engine (a local
process pool, :mod:`qopt.experiments.local_engine`, or Ray, :mod:`qopt.experiments.ray_engine`)
that runs :func:`~qopt.experiments.execution.execute` per run (one RunSpec -> one store row);
the parent process is the only writer of the store and commits each row as it arrives, so a
sweep resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from qopt.experiments.config import RunSpec, SweepConfig, load_config
from qopt.experiments.execution import execute, skipped_row
from qopt.experiments.local_engine import LocalEngine
from qopt.experiments.store import ResultStore
from qopt.limits import worker_memory_limit
from qopt.threads import worker_threads


# ---- the sweep ---------------------------------------------------------------------------------
def make_engine(engine: str = "local", workers: int | None = None, address: str | None = None,
                compile_timeout: float | None = 600.0):
    from qopt.errors import OptionError

    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise OptionError(f"--workers must be a positive integer (processes), got {workers!r}")
    if engine == "local":
        if address is not None:
            raise OptionError("--address is for --engine ray")
        return LocalEngine(workers, compile_timeout=compile_timeout)
    if engine == "ray":
        from qopt.experiments.ray_engine import RayEngine

        return RayEngine(workers, address, compile_timeout=compile_timeout)
    raise OptionError(f"engine must be 'local' or 'ray', got {engine!r}")


def results_path(results_dir: str | Path) -> Path:
    """The store file of a results directory (``DIR/results.sqlite``)."""
    return Path(results_dir) / "results.sqlite"


def select_runs(runs: list[RunSpec], solvers=None, problems=None, seeds=None) -> list[RunSpec]:
    """The runs matching every given filter: ``solvers`` (solver names or labels),
    ``problems`` (kinds or ``kind:instance``), ``seeds`` (ints). Run keys are unchanged, so a
    later unfiltered sweep resumes from the selected part."""
    def ok_problem(r: RunSpec) -> bool:
        return any(p == r.problem.kind or p == f"{r.problem.kind}:{r.problem.label}"
                   for p in problems)

    return [r for r in runs
            if (solvers is None or r.solver in solvers or r.label in solvers)
            and (problems is None or ok_problem(r))
            and (seeds is None or r.seed in seeds)]


def run_sweep(config_path: str | Path | SweepConfig, results_dir: str | Path = "results",
              workers: int | None = None, engine: str = "local", address: str | None = None,
              progress: bool = True, retry_failed: bool = False, solvers=None, problems=None,
              seeds=None, compile_timeout: float | None = 600.0) -> dict[str, Any]:
    """Run every run of a sweep config not yet in ``results_dir/results.sqlite``.

    Each finished run is committed as one row before the next one is handed out; runs
    already stored (by run key) are skipped, so re-running resumes. ``retry_failed`` first
    removes this sweep's failed rows so they run again. ``solvers`` / ``problems`` /
    ``seeds`` restrict the sweep to part of its grid (see :func:`select_runs`). The config is
    validated in full before any run (:class:`~qopt.errors.ConfigError`).
    ``compile_timeout`` bounds each stretch of numba compiling inside a run (local engine),
    which never counts against the run's own timeout. Returns a summary:
    ``{"sweep", "store", "total", "already_stored", "ran", "done", "failed", "skipped",
    "elapsed", "compile_time"}`` (seconds; compile_time summed over the runs).
    """
    from qopt.errors import OptionError

    t0 = time.perf_counter()
    cfg = config_path if isinstance(config_path, SweepConfig) else load_config(config_path)
    if solvers is not None or problems is not None or seeds is not None:
        picked = select_runs(cfg.runs, solvers, problems, seeds)
        if not picked:
            raise OptionError(f"no run of sweep {cfg.name!r} matches solvers={solvers}, "
                              f"problems={problems}, seeds={seeds}")
        cfg = SweepConfig(cfg.name, cfg.path, cfg.description, cfg.plugins, cfg.plugin_paths,
                          picked)
    if compile_timeout is not None and not compile_timeout > 0:
        raise OptionError(f"compile timeout must be a positive number of seconds or None, got "
                          f"{compile_timeout!r}")
    eng = make_engine(engine, workers, address, compile_timeout)
    # local workers share this machine: each run gets its share of the memory limit
    share = worker_memory_limit(eng.workers) if isinstance(eng, LocalEngine) else None
    cores = worker_threads(eng.workers) if isinstance(eng, LocalEngine) else None
    store = ResultStore(results_path(results_dir))
    counts = {"done": 0, "failed": 0, "skipped": 0}
    compiled = [0.0]
    try:
        mine = {r.key for r in cfg.runs}
        if retry_failed:
            store.delete(mine & store.keys("failed"))
        # runs skipped earlier because their solver was missing run once it is registered
        now_available = {r.key for r in cfg.runs if r.available}
        store.delete(now_available & store.keys_skipped_unavailable())
        stored = store.keys()
        out_dir = str(Path(results_dir).resolve())   # relative output paths resolve inside
        todo = [dataclasses.replace(r, output_dir=out_dir, memory_limit=share, threads=cores)
                for r in cfg.runs
                if r.key not in stored]
        already = len(cfg.runs) - len(todo)
        with _Progress(cfg.name, len(todo), enabled=progress) as bar:
            def on_row(row: dict) -> None:
                store.insert(row)
                counts[row["status"]] += 1
                compiled[0] += row.get("compile_time") or 0.0
                bar.advance(row, counts)

            for spec in (r for r in todo if not r.available):
                on_row(skipped_row(spec, spec.unavailable_reason or "solver not available"))
            eng.run([r for r in todo if r.available], on_row)
    finally:
        store.close()
    return {"sweep": cfg.name, "store": str(results_path(results_dir)), "total": len(cfg.runs),
            "already_stored": already, "ran": sum(counts.values()), **counts,
            "elapsed": time.perf_counter() - t0, "compile_time": compiled[0]}


class _Progress:
    """A rich progress bar on stderr (a no-op when disabled)."""

    def __init__(self, name: str, total: int, enabled: bool = True):
        self.enabled = enabled and total > 0
        self.name, self.total = name, total

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"),
                                BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                TimeRemainingColumn(), TextColumn("{task.fields[counts]}"),
                                console=Console(stderr=True))
            self.bar.__enter__()
            self.task = self.bar.add_task(self.name, total=self.total, counts="")
        return self

    def advance(self, row: dict, counts: dict) -> None:
        if self.enabled:
            text = (f"[green]{counts['done']} done[/] [red]{counts['failed']} failed[/] "
                    f"[yellow]{counts['skipped']} skipped[/]")
            self.bar.update(self.task, advance=1, counts=text)

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self.bar.__exit__(*exc)


__all__ = ["LocalEngine", "execute", "make_engine", "results_path", "run_sweep",
           "select_runs"]
