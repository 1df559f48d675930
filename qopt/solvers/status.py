"""What every ``status`` value means: a solve's ``SolveResult.status`` and a sweep row's status.

One table, shown by ``qopt solve --help`` and rendered on the documentation's Concepts page
(docs/concepts.md, generated when the site is built); a test scans the sources
for status values so a new one cannot appear undocumented.
"""

from __future__ import annotations

#: ``SolveResult.status`` (a sweep row's ``solver_status``) -> meaning
SOLVER_STATUSES: dict[str, str] = {
    "done": "finished normally: the optimizer converged or the solver ran its whole schedule "
            "(anneal sweeps, GA generations, ...)",
    "budget": "stopped at the evaluation budget (--budget) before converging; the best sample "
              "found so far is reported",
    "optimal": "proved optimal (exact enumeration; MILP by HiGHS within mip_rel_gap)",
    "infeasible": "proved that no feasible solution exists (exact, MILP); the sample shown is "
                  "not a solution (least violation, or all zeros)",
    "unbounded": "MILP: HiGHS proved the objective unbounded",
    "infeasible_or_unbounded": "MILP: HiGHS proved one of the two without telling which",
    "time_limit": "stopped at the solver's own time_limit option with the best solution found",
    "node_limit": "MILP: stopped at node_limit (HiGHS's incumbent is reported)",
    "iteration_limit": "MILP: stopped at HiGHS's iteration limit (incumbent reported)",
    "objective_bound": "MILP: stopped at HiGHS's objective bound (incumbent reported)",
    "objective_target": "MILP: stopped at HiGHS's objective target (incumbent reported)",
    "<limit>_no_incumbent": "a limit above (e.g. time_limit_no_incumbent) was reached before "
                            "any solution was found; the sample shown is not a solution",
    "inaccurate": "gw: the SDP solver ended with an inaccurate optimum; the rounded cuts and "
                  "the bound are still checked and reported",
    "error": "the solver ended without a usable iterate (e.g. gw's SDP); the sample is a "
             "fallback, not an optimum",
    "failed": "a backend job failed (VQE on IBM hardware); info names the job, the best "
              "sample found before it is reported",
}

#: a sweep row's ``status`` (``results.sqlite``, the report) -> meaning
RUN_STATUSES: dict[str, str] = {
    "done": "the run finished and its SolveResult is stored (the solver's own status is the "
            "row's solver_status)",
    "failed": "the run did not finish: 'error' says why -- 'timeout after N s' (killed at the "
              "sweep's per-run timeout; compiling kernels does not count), 'compile timeout "
              "after N s', 'worker died (exit code N)' / 'worker died on Ray node ID@IP', or "
              "the exception raised; --retry-failed runs these again",
    "skipped": "not run, by design: 'reason' says why (the instance does not fit the backend, "
               "'needs 144 qubits, statevector limit 30', a memory limit, a solver not "
               "installed); skipped rows are not failures",
}


def is_documented(name: str) -> bool:
    """Whether ``name`` is documented, directly or as ``<limit>_no_incumbent``."""
    if name in SOLVER_STATUSES or name in RUN_STATUSES:
        return True
    base = name.removesuffix("_no_incumbent")
    return base != name and base in SOLVER_STATUSES


def status_table(width: int = 24, columns: int = 100) -> str:
    """Both tables as plain text wrapped to ``columns`` (for ``qopt solve --help``)."""
    import textwrap

    def rows(table: dict[str, str]) -> list[str]:
        return [textwrap.fill(v, columns, initial_indent=f"  {k:<{width}} ",
                              subsequent_indent=" " * (width + 3)) for k, v in table.items()]

    return "\n".join(["status (SolveResult.status, 'status' in --json):",
                      *rows(SOLVER_STATUSES), "",
                      "sweep row status (qopt sweep, the report):", *rows(RUN_STATUSES)])


def status_markdown() -> str:
    """Both tables as Markdown (the docs' Concepts page shows this text)."""
    out = ["| `status` of a solve | meaning |", "|---|---|"]
    out += [f"| `{k}` | {v} |" for k, v in SOLVER_STATUSES.items()]
    out += ["", "| status of a sweep row | meaning |", "|---|---|"]
    out += [f"| `{k}` | {v} |" for k, v in RUN_STATUSES.items()]
    return "\n".join(out)


__all__ = ["RUN_STATUSES", "SOLVER_STATUSES", "is_documented", "status_markdown", "status_table"]
