"""LP files with quadratic constraints, which HiGHS (1.16) refuses while parsing.

They are read by dimod's LP reader (``dimod.lp.load``, the extra ``interop``): it is HiGHS's
own LP parser extended to quadratic rows, so both agree on the rest of the format, and it is
maintained, where a hand-written parser of the LP grammar would not be. dimod's model (a CQM)
always minimises, so the objective's sense is read from the file's first keyword and a
maximised objective turned back.
"""

from __future__ import annotations

import re
from pathlib import Path

from qopt.errors import InstanceFormatError, OptionError
from qopt.model.interop.terms import ModelTerms, Polynomial

#: the first keyword of an LP file: its objective's sense
_LP_SENSE = re.compile(r"^\s*(max|maximize|maximise|maximum|min|minimize|minimise|minimum)\b",
                       re.IGNORECASE)


def read_with_dimod(path: Path, readable: Path, highs_error: InstanceFormatError
                     ) -> ModelTerms:
    """An LP file with quadratic constraints, through dimod's LP reader (see the module
    docstring); dimod's CQM is minimised, so a maximised objective is negated back."""
    try:
        import dimod
    except ImportError:
        raise InstanceFormatError(path, highs_error.line, "has a quadratic constraint, which "
                                  "HiGHS cannot read; qopt reads such files with dimod: pip "
                                  "install 'qopt-toolkit[interop]' (or pip install dimod)"
                                  ) from None
    from qopt.model.interop.dimod import from_cqm

    try:
        cqm = dimod.lp.load(str(readable))
    except ValueError as exc:
        raise InstanceFormatError(path, None, f"dimod's LP reader (used for files with "
                                  f"quadratic constraints) could not read it: {exc}") from None
    try:
        out = from_cqm(cqm)
    except OptionError as exc:
        raise InstanceFormatError(path, None, str(exc)) from None
    out.name = path.stem
    sense = "min"
    with open(readable, encoding="utf-8", errors="replace") as f:
        for line in f:
            text = line.split("\\", 1)[0].strip()
            if text:
                m = _LP_SENSE.match(text)
                sense = "max" if m and m.group(1).lower().startswith("max") else "min"
                break
    if sense == "max":
        obj = out.objective
        out.objective = Polynomial({k: -c for k, c in obj.terms.items()}, -obj.constant)
        out.sense = "max"
    return out


__all__ = ["read_with_dimod"]
