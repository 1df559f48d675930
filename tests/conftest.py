"""Shared test fixtures."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest


def _count_evaluations(problem) -> dict:
    """Instrument ``problem.evaluate_batch`` to count evaluated rows independently of the
    solver's own counter; ``seen["rows"]`` is the count, ``seen["X"]`` every evaluated batch."""
    seen: dict = {"rows": 0, "X": []}
    inner = problem.evaluate_batch

    def evaluate_batch(X):
        seen["rows"] += len(X)
        seen["X"].append(np.array(X))
        return inner(X)

    problem.evaluate_batch = evaluate_batch
    return seen


@pytest.fixture(scope="session")
def counted():
    """``counted(problem) -> seen``: see :func:`_count_evaluations` (session scope, so it also
    serves hypothesis tests)."""
    return _count_evaluations


@pytest.fixture
def toy_dir(tmp_path):
    """A directory holding the sweep tests' toy plugin (``experiments_toy.py``); its
    registrations are removed afterwards."""
    shutil.copy(Path(__file__).with_name("experiments_toy.py"), tmp_path / "experiments_toy.py")
    yield tmp_path
    mod = sys.modules.pop("experiments_toy", None)
    if mod is not None:
        mod.unregister()
    while str(tmp_path) in sys.path:
        sys.path.remove(str(tmp_path))
