"""``get_backend(spec)``: one option chooses where every quantum solver runs.

Specs:

=========================  =====================================================================
``None`` / "statevector"   the in-house statevector engine (exact; sampling draws from |psi|^2)
"aer"                      Aer statevector via SamplerV2 / EstimatorV2 ("aer:statevector" too)
"aer:mps"                  Aer matrix_product_state ("aer:matrix_product_state" too)
"aer:gpu", "aer:mps:gpu"   the same with device="GPU" (needs qiskit-aer-gpu)
"lightning"                PennyLane lightning.qubit ("lightning:gpu", "lightning:kokkos")
"ibm:<device>"             IBM Quantum via qiskit-ibm-runtime (saved account / environment)
"fake:<name>"              a fake IBM device with noise, local testing mode (e.g. fake:sherbrooke)
a Backend                  used as is
a BaseSamplerV2 / BaseEstimatorV2 (or a (sampler, estimator) pair): wrapped as a backend
=========================  =====================================================================

Keyword arguments (``shots``, ``seed`` and each backend's own, e.g. ``mode="session"`` or
``options={...}`` for IBM) are passed to the backend's constructor.
"""

from __future__ import annotations

import numpy as np

from qopt.backends.base import Backend
from qopt.errors import OptionError
from qopt.suggest import unknown

SPECS = ("statevector", "aer", "aer:mps", "aer:gpu", "aer:mps:gpu", "lightning",
         "lightning:gpu", "lightning:kokkos", "ibm:<device>", "fake:<name>")
#: spec strings a typo is compared with (the placeholders' prefixes stand for their families)
_NAMED = tuple(s.split(":<")[0] for s in SPECS)


def get_backend(spec=None, **kwargs) -> Backend:
    """A :class:`~qopt.backends.base.Backend` from a spec string, a backend or a primitive."""
    if isinstance(spec, Backend):
        if kwargs:
            raise OptionError("backend options go to get_backend(spec, ...) with a spec string, "
                              "not with a ready backend object")
        return spec
    if spec is None or spec == "statevector":
        from qopt.backends.adapter import StatevectorBackend

        return StatevectorBackend(**kwargs)
    if isinstance(spec, str):
        kind, _, rest = spec.strip().partition(":")
        kind = kind.lower()
        if kind in ("ibm", "fake") and _replaying():
            from qopt.backends.replay import ReplayBackend

            return ReplayBackend(spec.strip(), **kwargs)
        if kind == "aer":
            from qopt.backends.aer import AerBackend

            parts = [p.lower() for p in rest.split(":") if p]
            method, device = "statevector", kwargs.pop("device", "CPU")
            for p in parts:
                if p in ("mps", "matrix_product_state"):
                    method = "matrix_product_state"
                elif p == "statevector":
                    method = "statevector"
                elif p in ("gpu", "cpu"):
                    device = p.upper()
                else:
                    raise OptionError(f"unknown aer option {p!r} in backend {spec!r}; use "
                                      "aer, aer:mps, aer:gpu or aer:mps:gpu")
            return AerBackend(kwargs.pop("method", method), device, **kwargs)
        if kind == "lightning":
            from qopt.backends.lightning import LightningBackend

            return LightningBackend(rest or kwargs.pop("device", "qubit"), **kwargs)
        if kind == "ibm":
            from qopt.backends.ibm import IBMBackend

            if not rest:
                raise OptionError("name the IBM device: backend='ibm:<device>', "
                                  "e.g. 'ibm:ibm_torino'")
            return IBMBackend(rest, **kwargs)
        if kind == "fake":
            from qopt.backends.ibm import FakeIBMBackend

            return FakeIBMBackend(rest or "sherbrooke", **kwargs)
        raise OptionError(unknown("backend", spec, SPECS, candidates=_NAMED))
    return _from_primitive(spec, **kwargs)


def _replaying() -> bool:
    """Whether a :func:`qopt.replay` is in progress (device specs are then served from its
    record, :mod:`qopt.backends.replay`)."""
    from qopt.backends.device_run import active_run

    run = active_run()
    return run is not None and run.record is not None and run.record.mode == "replay"


def backend_spec(backend) -> str | None:
    """How results and records name ``backend``: a spec string as given, a qopt Backend's
    ``spec``, a Qiskit V2 primitive (or a (sampler, estimator) pair) as the backend wrapping
    it names itself (``primitive:SamplerV2``), else its class name (a primitive's ``str`` is
    only an address)."""
    if backend is None or isinstance(backend, str):
        return backend
    spec = getattr(backend, "spec", None)
    if isinstance(spec, str):
        return spec
    from qiskit.primitives import BaseEstimatorV2, BaseSamplerV2

    prim = backend
    if isinstance(backend, tuple) and len(backend) == 2:
        prim = backend[0] if backend[0] is not None else backend[1]
    if isinstance(prim, BaseSamplerV2 | BaseEstimatorV2):
        return f"primitive:{type(prim).__name__}"
    return type(backend).__name__


def _from_primitive(obj, **kwargs) -> Backend:
    from qiskit.primitives import BaseEstimatorV2, BaseSamplerV2

    from qopt.backends.ibm import PrimitiveBackend

    if isinstance(obj, tuple) and len(obj) == 2:
        sampler, estimator = obj
        return PrimitiveBackend(sampler, estimator, **kwargs)
    if isinstance(obj, BaseSamplerV2):
        return PrimitiveBackend(obj, None, **kwargs)
    if isinstance(obj, BaseEstimatorV2):
        return PrimitiveBackend(None, obj, **kwargs)
    raise OptionError(f"a backend must be a spec string ({', '.join(SPECS)}), a qopt Backend "
                      f"or a Qiskit V2 sampler / estimator; got {type(obj).__name__}")


def circuit_evaluator(spec=None, **kwargs) -> Backend:
    """The evaluator QAOA (or any circuit-based solver) calls, for any backend spec.

    The returned object has ``expectation(circuit, params, observable, shots=None, *, seed)``,
    ``cvar(circuit, params, diag_or_qubo, alpha, shots=None, *, seed)``,
    ``sample(circuit, params, shots, seed)``, ``evaluate(...)`` (expectation, CVaR and best
    state of one distribution), ``correlators(...)``, ``gradient(...)`` and ``usage``; it is
    the backend itself (see :class:`~qopt.backends.base.Backend`).
    """
    return get_backend(spec, **kwargs)


def parameter_values(circuit, assignments) -> np.ndarray:
    """Values in ``circuit.parameters`` order from ``{Parameter or ParameterVector: values}``.

    E.g. ``parameter_values(qc, {gammas_vec: gammas, betas_vec: betas})`` for a QAOA template;
    every circuit parameter must be assigned.
    """
    flat = {}
    for key, values in assignments.items():
        vals = np.asarray(values, dtype=float).reshape(-1)
        if hasattr(key, "params") and not hasattr(key, "parameters"):     # ParameterVector
            elems = list(key.params)
            if len(elems) != vals.size:
                raise OptionError(f"{key.name} has {len(elems)} elements, got {vals.size} values")
            flat.update(zip(elems, vals))
        else:
            flat[key] = float(vals[0])
    try:
        return np.array([flat[p] for p in circuit.parameters], dtype=float)
    except KeyError as exc:
        raise OptionError(f"no value for circuit parameter {exc.args[0]}") from None


__all__ = ["SPECS", "backend_spec", "circuit_evaluator", "get_backend", "parameter_values"]
