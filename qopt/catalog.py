"""What ``qopt list`` shows: backends and optimizers (problems and solvers live in their
registries), each with a one-line description and whether its optional package is installed.

Availability is checked with :func:`importlib.util.find_spec` (no heavy import).
"""

from __future__ import annotations

import importlib.util
import inspect

#: backend spec -> (description, module that must be importable or None, pip extra)
BACKENDS: dict[str, tuple[str, str | None, str | None]] = {
    "statevector": ("in-house statevector engine (numba kernels; the default)", None, None),
    "aer": ("Qiskit Aer statevector (also 'aer:statevector')", "qiskit_aer", None),
    "aer:mps": ("Qiskit Aer matrix product state", "qiskit_aer", None),
    "aer:gpu": ("Qiskit Aer statevector on a CUDA GPU (needs qiskit-aer-gpu)", "qiskit_aer",
                "gpu"),
    "aer:mps:gpu": ("Qiskit Aer matrix product state on a CUDA GPU (needs qiskit-aer-gpu)",
                    "qiskit_aer", "gpu"),
    "lightning": ("PennyLane lightning.qubit", "pennylane_lightning", None),
    "lightning:gpu": ("PennyLane lightning.gpu", "pennylane_lightning.lightning_gpu", "gpu"),
    "lightning:kokkos": ("PennyLane lightning.kokkos", "pennylane_lightning.lightning_kokkos",
                         "gpu"),
    "ibm:<device>": ("IBM Quantum hardware via qiskit-ibm-runtime (saved account)",
                     "qiskit_ibm_runtime", "ibm"),
    "fake:<name>": ("a fake IBM device with its noise model, local (e.g. fake:sherbrooke)",
                    "qiskit_ibm_runtime", "ibm"),
}


def _installed(module: str | None) -> bool:
    if module is None:
        return True
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def backends() -> dict[str, dict]:
    """spec -> {"description", "installed", "extra"} for every spec the registry accepts."""
    from qopt.backends.registry import SPECS

    out = {}
    for spec in SPECS:
        text, module, extra = BACKENDS.get(spec, ("", None, None))
        out[spec] = {"description": text, "installed": _installed(module), "extra": extra}
    return out


def optimizers() -> dict[str, dict]:
    """name -> {"description", "options": {name: default}} for every optimizer."""
    from qopt.solvers.optimizers import OPTIMIZERS

    out = {}
    for name, cls in OPTIMIZERS.items():
        params = inspect.signature(cls.__init__).parameters.values()
        options = {p.name: repr(p.default) for p in params
                   if p.name != "self" and p.kind is p.POSITIONAL_OR_KEYWORD}
        doc = (inspect.getdoc(cls) or "").split("\n\n")[0].replace("\n", " ")
        first = doc.replace("``", "").split(". ")[0].split(": ")[0].rstrip(".")
        out[name] = {"description": first, "options": options}
    return out


def describe_backends() -> str:
    lines = ["backends (--backend SPEC):"]
    for spec, entry in backends().items():
        missing = "" if entry["installed"] else \
            f"  [not installed: pip install 'qopt-toolkit[{entry['extra'] or 'all'}]']"
        lines.append(f"  {spec:<17} {entry['description']}{missing}")
    return "\n".join(lines)


def describe_optimizers() -> str:
    lines = ["optimizers (--optimizer NAME; options from Python: get_optimizer(NAME, ...)):"]
    for name, entry in optimizers().items():
        opts = ", ".join(f"{k}={v}" for k, v in entry["options"].items()) or "no options"
        lines.append(f"  {name:<12} {entry['description']}")
        lines.append(f"  {'':<12} {opts}")
    return "\n".join(lines)


__all__ = ["BACKENDS", "backends", "describe_backends", "describe_optimizers", "optimizers"]
