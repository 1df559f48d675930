"""``qopt report``: tables, figures and exports (QOBLIB submissions too) from a results
directory."""

from __future__ import annotations


def add_parser(sub) -> None:
    from qopt.experiments.report import DEFAULT_FORMATS, FORMATS

    p = sub.add_parser("report", help="tables and plots from a results directory")
    p.add_argument("results", help="results directory (or its results.sqlite)")
    p.add_argument("--out", default=None, help="output directory (default: RESULTS/report)")
    p.add_argument("--format", action="append", dest="formats", default=None,
                   metavar="LIST",
                   help=f"comma-separated formats of {', '.join(FORMATS)} (repeatable; "
                        f"default {','.join(DEFAULT_FORMATS)}); qoblib-submission writes "
                        "OUT/<YYYYMMDD>_<method>_<submitter>/<instance>/ folders")
    p.add_argument("--submitter", default="qopt",
                   help="name in QOBLIB's Submitter column and submission folder names")
    p.set_defaults(handler=run)


def run(args) -> int:
    from qopt.experiments import write_report

    kwargs = {} if args.formats is None else {"formats": tuple(args.formats)}
    for path in write_report(args.results, args.out, submitter=args.submitter, **kwargs):
        print(path)
    return 0
