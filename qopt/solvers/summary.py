"""Human-readable views of a :class:`~qopt.solvers.result.SolveResult`.

:func:`summary` is ``str(result)`` (what ``print(result)`` shows): at most a dozen lines, never
the optimizer history. :func:`table_rows` is the plain ``qopt solve`` table. Both show the
:func:`notes` -- what a reader of the numbers must know, such as QRAO falling back from the
circuit to the product-state relaxation -- which ``--json`` carries only inside ``info``.
"""

from __future__ import annotations

import json
from typing import Any

#: longest text of a solution shown in a summary (the full one is ``result.solution``)
SOLUTION_CHARS = 72


def notes(result) -> list[str]:
    """Caveats read from ``result.info`` / ``options``: fallbacks, ignored options."""
    info: dict[str, Any] = result.info or {}
    opts: dict[str, Any] = result.options or {}
    out = []
    if result.solver == "qrao" and info.get("relaxation") == "product" \
            and opts.get("relaxation", "auto") == "auto":
        out.append(f"QRAO fell back to the product-state relaxation (no circuit): "
                   f"{info.get('num_qubits')} qubits > max_circuit_qubits "
                   f"{opts.get('max_circuit_qubits')}")
    fallback = info.get("fallback")
    if isinstance(fallback, str) and fallback:
        out.append(fallback)
    concentrated = info.get("concentration_note")
    if isinstance(concentrated, str) and concentrated:
        out.append(f"{concentrated} (max_state_probability "
                   f"{info.get('max_state_probability', float('nan')):.3f})")
    if info.get("budget_ignored"):
        out.append(f"budget does not apply to {result.solver} (ignored)")
    return out


def _gap(result) -> str | None:
    if result.gap is None:
        return _why(result, "gap")
    return f"{100 * result.gap:.3f} %"


def _why(result, metric: str) -> str | None:
    """The reason a metric is None (``result.unavailable``), e.g. "no reference (...)"."""
    reason = (getattr(result, "unavailable", None) or {}).get(metric)
    return reason or None


def _ratio(value, se=None) -> str | None:
    if value is None:
        return None
    return f"{value:.4f}" + (f" +- {se:.4f}" if se else (" (exact)" if se == 0 else ""))


def _reference(result) -> str | None:
    ref = getattr(result, "reference", None) or {}
    if ref.get("value") is None:
        return ref.get("note")
    return f"{ref['value']:g} ({ref.get('source')})"


def _counts(result) -> str | None:
    shots = getattr(result, "shots_total", None)
    if shots is None:
        return None
    return (f"{result.objective_evaluations} objective evaluations, "
            f"{result.circuit_executions} circuit executions, {shots} shots")


def _time(result) -> str:
    text = f"{result.wall_time:.3f} s"
    compile_time = getattr(result, "compile_time", None)
    if compile_time:
        text += f" (+ {compile_time:.3f} s compiling kernels, not counted)"
    return text


def _size(result) -> str:
    text = f"{result.num_vars} variables (+{result.num_slack} slack)"
    if result.num_qubits is not None:
        text += f", {result.num_qubits} qubits"
    if result.depth is not None:
        text += f", depth {result.depth}, {result.two_qubit_gates} two-qubit gates"
    return text


def _solution(result) -> str:
    text = json.dumps(result.decoded)
    return text if len(text) <= SOLUTION_CHARS else text[:SOLUTION_CHARS - 3] + "..."


def summary(result) -> str:
    """The short text of ``print(result)``: at most 12 lines."""
    solver = result.solver + (f" on {result.backend}" if result.backend else "")
    lines = [f"SolveResult: {result.problem} ({result.problem_class}, {result.sense}imise), "
             f"{solver}, status {result.status}"]
    best = f"objective {result.objective} ({'feasible' if result.feasible else 'infeasible'})"
    if result.optimum is not None:
        best += f", optimum {result.optimum}"
    if _gap(result) is not None:
        best += f", gap {_gap(result)}"
    lines.append("  " + best)
    ratios = [f"{k} {_ratio(v, se)}" for k, v, se in (
        ("approximation ratio", result.approximation_ratio, None),
        ("<C>/C*", getattr(result, "expectation_ratio", None),
         getattr(result, "expectation_ratio_se", None))) if v is not None]
    if ratios:
        lines.append("  " + ", ".join(ratios))
    if result.raw is not None:
        lines.append(f"  raw best sample: objective {result.raw.objective} "
                     f"({'feasible' if result.raw.feasible else 'infeasible'})"
                     + (f", energy {result.raw.energy:.6g}" if result.raw.energy is not None
                        else ""))
    if result.postprocess:
        lines.append("  post-processing: " + ", ".join(
            f"{s['step']} {s['objective_before']} -> {s['objective_after']}"
            for s in result.postprocess))
    lines.append("  " + _size(result))
    work = _counts(result) or (f"{result.evaluations} evaluations"
                               if result.evaluations is not None else "")
    lines.append(f"  {work + ', ' if work else ''}time {_time(result)}")
    lines += [f"  note: {n}" for n in notes(result)[:3]]
    lines.append(f"  solution: {_solution(result)}")
    lines.append(f"  ({len(result.history)} history entries; result.to_json() has everything)")
    return "\n".join(lines[:12])


def table_rows(result) -> list[tuple[str, Any]]:
    """(label, value) rows of the plain ``qopt solve`` table; None / "" values are omitted by
    the printer."""
    rows: list[tuple[str, Any]] = [
        ("problem", f"{result.problem} ({result.problem_class}, {result.sense}imise)"),
        ("solver", result.solver + (f" on {result.backend}" if result.backend else "")),
        ("status", result.status),
        ("objective", result.objective),
        ("feasible", result.feasible),
        ("reference", _reference(result)),
        ("gap", _gap(result)),
        ("approximation ratio", _ratio(result.approximation_ratio)
         or _why(result, "approximation_ratio")),
        ("<C>/C*", _ratio(getattr(result, "expectation_ratio", None),
                          getattr(result, "expectation_ratio_se", None))
         or _why(result, "expectation_ratio")),
        ("P(opt)", result.probability_optimum if result.probability_optimum is not None
         else _why(result, "probability_optimum")),
        ("P(opt) exact", (result.info or {}).get("probability_optimum_exact")),
        ("raw objective", None if result.raw is None else
         f"{result.raw.objective} (feasible={result.raw.feasible})"),
        ("post-processing", ", ".join(f"{s['step']}: {s['objective_before']} -> "
                                      f"{s['objective_after']}" for s in result.postprocess)),
        ("variables", f"{result.num_vars} (+{result.num_slack} slack)"),
        ("qubits", result.num_qubits),
        ("depth / 2q gates", None if result.depth is None else
         f"{result.depth} / {result.two_qubit_gates}"),
        ("objective evaluations", getattr(result, "objective_evaluations", None)
         if getattr(result, "objective_evaluations", None) is not None else result.evaluations),
        ("circuit executions", getattr(result, "circuit_executions", None) or None),
        ("shots", getattr(result, "shots_total", None) or None),
        ("wall time", _time(result)),
    ]
    rows += _device_rows(result.info)
    rows += [("note", n) for n in notes(result)]
    rows.append(("solution", json.dumps(result.decoded)[:200]))
    return rows


def _device_rows(info: dict) -> list[tuple[str, Any]]:
    """Device runs: the device, layout and ESP; mitigation and its calibration shots; the
    record (see :mod:`qopt.backends.device_facts`, :mod:`qopt.backends.mitigation`)."""
    rows: list[tuple[str, Any]] = []
    dev = info.get("device")
    if dev:
        esp = dev.get("estimated_success_probability")
        rows.append(("device", f"{dev['name']}, layout {dev['layout']}"
                     + ("" if esp is None else f", ESP {esp:.3g}")))
    mit = info.get("mitigation")
    if mit:
        cal = mit.get("calibration_shots_total")
        rows.append(("mitigation", mit["spec"] + (f" ({cal} calibration shots)" if cal
                                                  else "")))
    rec = info.get("record")
    if rec:
        rows.append(("record", f"{rec['path']} ({rec['mode']}: {rec['jobs']} jobs, "
                               f"{rec['reused']} from the record)"))
    return rows


__all__ = ["notes", "summary", "table_rows"]
