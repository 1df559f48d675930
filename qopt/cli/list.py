"""``qopt list``: problem classes and shipped instances, solvers with their options, backends,
optimizers (``--json``: one JSON object)."""

from __future__ import annotations

import json

from qopt.cli.options import default_text, describe_solvers, solver_fields


def add_parser(sub) -> None:
    p = sub.add_parser("list", help="problem classes, shipped instances, solvers and options")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=run)


def run(args) -> int:
    from qopt import catalog
    from qopt.problems import kinds, problem_class, shipped_index

    out = {"problems": {}, "solvers": {}, "backends": catalog.backends(),
           "optimizers": catalog.optimizers()}
    for kind in kinds():
        cls = problem_class(kind)
        out["problems"][kind] = {"sense": cls.sense, "instances": shipped_index(kind)}
    if args.json:
        from qopt.solvers.registry import names

        for name in names():
            try:
                out["solvers"][name] = {f.name: default_text(f) for f, _ in solver_fields(name)}
            except Exception as exc:
                out["solvers"][name] = {"unavailable": str(exc)}
        print(json.dumps(out, indent=2))
        return 0
    for kind, info in out["problems"].items():
        print(f"{kind} ({info['sense']}imise)")
        if not info["instances"]:
            print("  generated only: qopt solve", kind, "--size N --instance-seed S")
        for name, entry in info["instances"].items():
            size = " ".join(f"{k}={v}" for k, v in (entry.get("size") or {}).items())
            print(f"  {name:<10} {size:<22} optimum={entry.get('optimum')}")
    print()
    print(describe_solvers())
    print()
    print(catalog.describe_backends())
    print()
    print(catalog.describe_optimizers())
    return 0
