"""Device facts of a circuit run on a device backend: ``info["device"]`` of every result.

For the ISA circuit a device actually runs: the device name, the layout (physical qubit of
each logical qubit at the start of the circuit) and the measured qubits (physical qubit read
into each result bit, after routing), depth and two-qubit gate count (barriers, delays and
measurements not counted), the calibration time of the device properties, the error rates of
the qubits and qubit pairs the circuit uses (readout error, single-qubit ``sx`` error, T1 / T2
in seconds, two-qubit gate error per pair), and an *estimated success probability* (ESP): the
product of ``1 - error`` over every gate and measurement of the circuit, from the device's
reported error rates. ESP is a rough figure of merit (it assumes independent errors and counts
every error as fatal); it is not the probability of the right answer.
"""

from __future__ import annotations

import math
from typing import Any

from qopt.backends.base import circuit_stats


def _error(target, name: str, qargs: tuple[int, ...]) -> float | None:
    if target is None or name not in target.operation_names:
        return None
    props = target[name].get(qargs) if target[name] is not None else None
    err = getattr(props, "error", None)
    return None if err is None else float(err)


def calibration_time(device) -> str | None:
    """ISO time of the device's last calibration (its properties' ``last_update_date``)."""
    props = getattr(device, "properties", None)
    if not callable(props):
        return None
    try:
        p = props()
    except Exception:  # a device without properties (simulators) or a failed fetch
        return None
    when = getattr(p, "last_update_date", None)
    return when.isoformat() if hasattr(when, "isoformat") else (str(when) if when else None)


def device_facts(isa, *, name: str, measured: tuple[int, ...], target=None,
                 calibrated: str | None = None) -> dict[str, Any]:
    """The facts (see the module docstring) of the measured ISA circuit ``isa``; ``measured``
    is the physical qubit read into each bit, ``target`` the device target (error rates),
    ``calibrated`` the calibration time."""
    n = len(measured)
    layout = list(measured)
    if getattr(isa, "layout", None) is not None:
        init = isa.layout.initial_index_layout(filter_ancillas=True)
        if len(init) >= n:
            layout = [int(q) for q in init[:n]]
    depth, twoq = circuit_stats(isa)
    used: set[int] = set()
    pairs: dict[tuple[int, int], tuple[str, float | None]] = {}
    log_esp = 0.0
    unknown = 0
    for inst in isa.data:
        op = inst.operation.name
        if op in ("barrier", "delay"):
            continue
        qargs = tuple(isa.find_bit(q).index for q in inst.qubits)
        used.update(qargs)
        err = _error(target, op, qargs)
        if len(qargs) == 2:
            pairs[qargs] = (op, err)
        if err is None:
            unknown += op not in ("rz",)          # rz is virtual: no error reported
        elif err < 1.0:
            log_esp += math.log1p(-err)
        else:
            log_esp = -math.inf
    qubits = sorted(used)
    qprops = getattr(target, "qubit_properties", None) if target is not None else None

    def qfact(q):
        p = qprops[q] if qprops else None
        return {"qubit": q, "readout_error": _error(target, "measure", (q,)),
                "sx_error": _error(target, "sx", (q,)),
                "t1": getattr(p, "t1", None), "t2": getattr(p, "t2", None)}

    return {
        "name": name, "layout": layout, "measured": list(measured), "num_qubits": n,
        "physical_qubits": len(qubits), "depth": depth, "two_qubit_gates": twoq,
        "calibration_time": calibrated,
        "qubits": [qfact(q) for q in qubits],
        "pairs": [{"qubits": list(k), "gate": g, "error": e} for k, (g, e) in sorted(
            pairs.items())],
        "estimated_success_probability": (math.exp(log_esp) if target is not None else None),
        "esp_note": ("product of (1 - error) over every gate and measurement, from the "
                     "device's reported error rates" + (f"; {unknown} instructions without "
                                                        "an error rate counted as perfect"
                                                        if unknown else "")),
    }


__all__ = ["calibration_time", "device_facts"]
