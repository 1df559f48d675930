"""``qopt replay DIR``: recompute a recorded device run from its record (no device, no
credentials; see :func:`qopt.replay`) and print the result."""

from __future__ import annotations

import contextlib
import sys

from qopt.cli.solve import show_result
from qopt.stdio import stdout_to_stderr


def add_parser(sub) -> None:
    p = sub.add_parser("replay", help="recompute a recorded device run (qopt solve --record)",
                       allow_abbrev=False)
    p.add_argument("record", metavar="DIR", help="the record directory")
    p.add_argument("--json", action="store_true", help="print the SolveResult as JSON")
    p.set_defaults(handler=run)


def run(args) -> int:
    """Replay ``args.record``; exit code 1 when the result differs from the recorded one."""
    import qopt

    quiet = stdout_to_stderr() if args.json else contextlib.nullcontext()
    with quiet:
        result = qopt.replay(args.record)
    show_result(result, args.json)
    rep = result.info["replay"]
    if rep["identical"] is False:
        print("qopt: replay differs from the recorded result in: "
              + ", ".join(rep["differences"][:10]), file=sys.stderr)
        return 1
    return 0


__all__ = ["add_parser", "run"]
