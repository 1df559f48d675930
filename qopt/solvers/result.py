"""SolveResult: everything a solve reports, as plain JSON-serialisable data (every field is
defined in ``docs/guide/results.md``).

Objectives are in the problem's native sense (for a :class:`qopt.Program`, the model's own
objective at ``values``, the solution as ``{variable name: value}``); ``energy`` values are
QUBO energies (minimisation). ``gap`` is the relative optimality gap
|optimum - objective| / |optimum| as a fraction (0.05 = 5 %), ``approximation_ratio`` is
objective / optimum for maximisation and optimum / objective for minimisation (inverted for
negative values, so it is <= 1 whatever the sign); both are ``None`` when unknown or
infeasible, the ratio also when objective and optimum differ in sign or one of them is 0.

Times are seconds. ``wall_time`` is the solve itself and excludes ``compile_time``: the seconds
numba spent compiling kernels (or loading them from its cache) during the call, measured apart
(:mod:`qopt.compilation`) so that a first, cold call is not reported as a slow solve. ``time``
splits ``wall_time`` into ``classical`` / ``simulation`` / ``qpu`` and also names ``compile``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np


def plain(value: Any) -> Any:
    """Recursively turn numpy scalars / arrays and tuples into JSON-native Python values."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        f = float(value)
        return f
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)


@dataclass
class SampleReport:
    """One solution as reported: program bits, native objective, feasibility."""

    solution: list[int]
    objective: float | None
    feasible: bool
    violation: float
    energy: float | None = None
    decoded: Any = None


@dataclass
class SolveResult:
    """What one solve reports (the return value of ``qopt.solve``), as plain JSON-ready data.

    The post-processed solution (``solution`` bits, ``values`` in the model's own variable
    names, ``decoded`` in the problem's form, ``objective``, ``feasible``) and beside it the
    solver's own best sample (``raw``); the metrics against the reference C* (``gap``,
    ``approximation_ratio``, ``expectation_ratio``, ``probability_optimum``; ``unavailable``
    says why one is None); what the run paid (``evaluations``, ``shots``, ``shots_total``,
    ``circuit_executions``, ``wall_time``, ``compile_time``); the solver's details in ``info``.
    ``print(result)`` is a short summary; ``to_json`` / ``from_json`` keep every field. Every
    field is defined in ``docs/guide/results.md`` (Results and metrics).
    """

    problem: str
    problem_class: str | None
    solver: str
    solution: list[int]
    decoded: Any
    objective: float | None
    feasible: bool
    violation: float
    sense: str
    optimum: float | None = None
    gap: float | None = None
    approximation_ratio: float | None = None
    probability_optimum: float | None = None
    energy: float | None = None
    raw: SampleReport | None = None
    postprocess: list[dict] = field(default_factory=list)
    status: str = "done"
    num_vars: int = 0
    num_slack: int = 0
    num_qubits: int | None = None
    depth: int | None = None
    two_qubit_gates: int | None = None
    evaluations: int | None = None
    shots: int | None = None
    budget: int | None = None
    wall_time: float = 0.0
    compile_time: float = 0.0
    time: dict[str, float] = field(default_factory=dict)
    history: list[Any] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    backend: str | None = None
    seed: int | None = None
    info: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    #: the solution in the user's terms: ``{variable name: value}`` (ints; +/-1 for spins)
    values: dict[str, Any] = field(default_factory=dict)
    #: C* and where it came from: ``{"value", "source", "seconds"}`` (+ ``"note"`` without one;
    #: :mod:`qopt.reference`)
    reference: dict[str, Any] = field(default_factory=dict)
    #: the final quantum state's expected cost <C> (native sense), <C>/C* oriented like the
    #: approximation ratio, and its standard error (0 when exact, from samples otherwise)
    expected_objective: float | None = None
    expectation_ratio: float | None = None
    expectation_ratio_se: float | None = None
    #: what the run paid, with one meaning on every backend (docs/guide/results.md)
    shots_total: int | None = None
    circuit_executions: int | None = None
    objective_evaluations: int | None = None
    #: metric name -> why it is None ("gap": 'no reference (pass optimum= or ...)')
    unavailable: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return plain(asdict(self))

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: dict) -> SolveResult:
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        if kwargs.get("raw") is not None:
            kwargs["raw"] = SampleReport(**kwargs["raw"])
        return cls(**kwargs)

    @classmethod
    def from_json(cls, text: str) -> SolveResult:
        return cls.from_dict(json.loads(text))

    def __str__(self) -> str:
        """A short summary (at most 12 lines; :func:`qopt.solvers.summary.summary`)."""
        from qopt.solvers.summary import summary

        return summary(self)

    @property
    def num_qubits_or_vars(self) -> int:
        return self.num_qubits if self.num_qubits is not None else self.num_vars
