"""Safe outputs of sweeps and reports.

Rules (docs/guide/sweeps.md, "Output safety"):

- **Path options** (a solver Options field with ``metadata={"output_path": True}``, e.g.
  map-elites' ``heatmap``): in a sweep, a relative path is taken relative to the results
  directory and may not climb out of it (``../x.png`` is refused when the config is read,
  naming the file and key; a symlink that leads out is refused when the run starts); an
  absolute path is used as given, being explicit. Outside sweeps (``qopt solve``, Python) a
  path means what it says, relative to the working directory.
- **CSV**: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
  gets a leading apostrophe (OWASP's advice against CSV injection), so spreadsheets show it as
  text rather than run it as a formula. Numeric columns, numbers in mixed columns and text
  that is a plain number ("-3", "+1.5e3") are left as they are.
- **Markdown**: table cells and inline text escape ``\\`` and ``|``, turn line breaks into
  spaces and ``<`` / ``>`` into entities, so a name cannot break a table or inject HTML.

Written by hand: pandas' ``to_csv`` and the ``csv`` module quote for CSV syntax only, not for
spreadsheet formulas.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any

from qopt.errors import OptionError

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|nan)")


# ---- path options ---------------------------------------------------------------------------
def output_path_fields(options_cls: type | None) -> frozenset[str]:
    """Names of the fields of a solver Options dataclass that are output paths."""
    if options_cls is None or not dataclasses.is_dataclass(options_cls):
        return frozenset()
    return frozenset(f.name for f in dataclasses.fields(options_cls)
                     if f.metadata.get("output_path"))


def output_path_problem(value: Any) -> str | None:
    """Why a sweep may not use ``value`` as an output path, or None when it may."""
    if value is None or not isinstance(value, str):
        return None
    if not value.strip():
        return "an empty path"
    if os.path.isabs(value):
        return None
    parts = Path(os.path.normpath(value)).parts
    if parts and parts[0] == "..":
        return (f"{value!r} leaves the results directory (relative paths are taken inside "
                f"it; give an absolute path to write elsewhere)")
    return None


def confine_output_paths(options_cls: type | None, options: dict, results_dir: str | Path
                         ) -> dict:
    """``options`` with each relative output path resolved inside ``results_dir`` (absolute
    ones unchanged); raises OptionError for a path that leads out of it (also by symlink)."""
    fields = output_path_fields(options_cls)
    if not fields or not any(options.get(k) is not None for k in fields):
        return options
    root = Path(results_dir).resolve()
    out = dict(options)
    for k in fields:
        value = options.get(k)
        if value is None or os.path.isabs(value):
            continue
        problem = output_path_problem(value)
        if problem is not None:
            raise OptionError(f"option {k}: {problem}")
        target = (root / value).resolve()
        if not target.is_relative_to(root):
            raise OptionError(f"option {k}: {value!r} leads out of the results directory "
                              f"{root} (through a symlink); give an absolute path to write "
                              f"elsewhere")
        target.parent.mkdir(parents=True, exist_ok=True)
        out[k] = str(target)
    return out


# ---- CSV ------------------------------------------------------------------------------------
def csv_safe_value(value: Any) -> Any:
    """``value`` with a leading apostrophe when it is text a spreadsheet would run as a
    formula (see the module docstring); anything else unchanged."""
    if (isinstance(value, str) and value.startswith(_FORMULA_START)
            and not _PLAIN_NUMBER.fullmatch(value.strip())):
        return "'" + value
    return value


def csv_safe_frame(df):
    """A copy of a DataFrame with :func:`csv_safe_value` applied to its text columns."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or str(out[c].dtype) in ("string", "str"):
            out[c] = out[c].map(csv_safe_value)
    return out


# ---- Markdown -------------------------------------------------------------------------------
def markdown_escape(text: Any) -> str:
    """``text`` safe inside a Markdown table cell or a line of Markdown."""
    s = str(text).replace("\\", "\\\\").replace("|", "\\|")
    s = s.replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(s.splitlines())


__all__ = ["confine_output_paths", "csv_safe_frame", "csv_safe_value", "markdown_escape",
           "output_path_fields", "output_path_problem"]
