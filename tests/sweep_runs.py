"""Run every run of a parsed sweep config in this process into a fresh result store (the
tests that need a real results folder, e.g. for reports and QOBLIB submissions)."""

from __future__ import annotations

from pathlib import Path

from qopt.experiments.runners import execute
from qopt.experiments.store import ResultStore


def run_into_store(cfg, results: Path) -> Path:
    """Execute ``cfg.runs`` one by one into ``results/results.sqlite``; every run must end
    ``done``. Returns ``results``."""
    with ResultStore(Path(results) / "results.sqlite") as store:
        for spec in cfg.runs:
            row = execute(spec)
            assert row["status"] == "done", row
            store.insert(row)
    return Path(results)
