"""Lazy imports of the optional libraries, each refused with the extra that brings it."""

from __future__ import annotations

import importlib

from qopt.errors import OptionError

#: module -> (pip name, qopt extra)
_PACKAGES = {
    "qiskit_addon_opt_mapper": ("qiskit-addon-opt-mapper", "interop"),
    "dimod": ("dimod", "interop"),
    "qiskit_optimization": ("qiskit-optimization", None),
    "docplex": ("docplex", None),
}


def require(module: str, purpose: str):
    """Import ``module`` (e.g. ``"dimod"``), or raise :class:`OptionError` saying which
    package (and qopt extra) ``purpose`` needs."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        pip, extra = _PACKAGES.get(top, (top, None))
        how = f"pip install 'qopt-toolkit[{extra}]' (or pip install {pip})" if extra else \
            f"pip install {pip}"
        raise OptionError(f"{purpose} needs the {pip} package: {how}") from None


def module_of(obj) -> str:
    """Top-level package of ``obj``'s class (``"dimod"`` for a BQM), without importing any."""
    return type(obj).__module__.split(".")[0]
