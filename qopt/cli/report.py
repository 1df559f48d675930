"""``qopt report``: tables and plots from a results directory."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="tables and plots from a results directory")
    p.add_argument("results", help="results directory (or its results.sqlite)")
    p.add_argument("--out", default=None, help="output directory (default: RESULTS/report)")
    p.add_argument("--format", action="append", dest="formats", default=None,
                   help="md, html, png, csv, parquet, qoblib (repeatable; "
                   "default md+html+png+csv+qoblib)")
    p.set_defaults(handler=run)


def run(args) -> int:
    from qopt.experiments import write_report

    kwargs = {} if args.formats is None else {"formats": tuple(args.formats)}
    for path in write_report(args.results, args.out, **kwargs):
        print(path)
    return 0
