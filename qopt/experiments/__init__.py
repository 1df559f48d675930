"""Benchmark sweeps: TOML config -> runs (local pool or Ray) -> SQLite store -> report.

Entry points for the ``qopt sweep`` / ``qopt report`` commands:
:func:`run_sweep` and :func:`write_report`; from Python over problem objects: :func:`sweep`.
"""

from qopt.experiments.config import RunSpec, SweepConfig, load_config, parse_config
from qopt.experiments.execution import execute
from qopt.experiments.python_sweep import sweep
from qopt.experiments.runners import run_sweep
from qopt.experiments.store import ResultStore


def write_report(results, out_dir=None, formats=None, **kwargs):
    """See :func:`qopt.experiments.report.write_report` (imports pandas / matplotlib)."""
    from qopt.experiments.report import DEFAULT_FORMATS
    from qopt.experiments.report import write_report as _write

    return _write(results, out_dir, DEFAULT_FORMATS if formats is None else formats, **kwargs)


__all__ = ["ResultStore", "RunSpec", "SweepConfig", "execute", "load_config", "parse_config",
           "run_sweep", "sweep", "write_report"]
