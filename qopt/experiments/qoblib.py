"""QOBLIB submissions (the Quantum Optimization Benchmarking Library's contribution layout).

:func:`write_submission` writes, for every instance of a QOBLIB class in a results store
(:data:`SOLUTION_FORMATS`: maximum independent set, market split, LABS (full sequences)) and
every solver configuration (sweep label and backend) that ran on it::

    OUT/<YYYYMMDD>_<method>_<name>/<instance>/
        <instance>_summary.csv                 QOBLIB's 27 columns, in its order, no BOM
        solutions/<instance>_solution_<k>.sol  one per run with a feasible solution, k = 0, 1, ..
        <instance>_objective_time_series.json  one list per run of {"Time", "Incumbent"}

``method`` is the sweep label (plus the backend), ``name`` the submitter, both reduced to
letters, digits and ``-``. The layout is checked by QOBLIB's own ``misc/check_submission.py``
(shipped under ``tests/qoblib/`` with its licence, and run by the test suite with
``--strict-problem-match`` and the class's solution checker).

Column values follow QOBLIB's CONTRIBUTING.md: runtimes are **means per run** in seconds (CPU =
qopt's classical + simulation time, QPU = the device's time, compile time excluded); a run is
*successful* when its solution is feasible and within ``(1 + eps)`` of the best objective the
configuration found (eps = :data:`SUCCESS_THRESHOLD`); ``Optimality Bound`` is the optimum an
exact solver proved (``exact``, ``milp`` with status optimal), else N/A. Model counts (variables,
non-zero coefficients, their type and range) are those of the model the solver was given: the
QUBO (slack variables included) for QUBO solvers, the binary program otherwise.

Solution files, per class:

- ``mis``: Gurobi's ``.sol`` layout, ``#`` comment lines then ``x#<i> <0|1>`` for every vertex,
  i 1-based (QOBLIB's format 1). Not the bare node list (format 2) with comments: QOBLIB's
  checker reads a node-list file holding any letter with its ``x#`` parser (an empty set, always
  "valid") and reads digits in comments as vertices, so a commented node list is never really
  checked.
- ``msp``: one line of the n values 0/1, space separated (QOBLIB's ``solutions/*.sol``); no
  comment line, which QOBLIB's checker would read as values.

The time series has two points per run at most, the ones qopt records: the raw best sample when
the solver returned (the run's time less post-processing) and the post-processed solution at the
end, each only when feasible and better than the last.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import platform
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from qopt.errors import OptionError
from qopt.experiments.output_safety import csv_safe_value
from qopt.experiments.report_metrics import run_records, truthy
from qopt.problems.labs import solution_text

#: QOBLIB's summary columns, in order (misc/check_submission.py REQUIRED_COLUMNS)
QOBLIB_COLUMNS = [
    "Problem", "Submitter", "Date", "Reference", "Best Objective Value", "Optimality Bound",
    "Modeling Approach", "# Decision Variables", "# Binary Variables", "# Integer Variables",
    "# Continuous Variables", "# Non-Zero Coefficients", "Coefficients Type",
    "Coefficients Range", "Workflow", "Algorithm Type", "# Runs", "# Feasible Runs",
    "# Successful Runs", "Success Threshold", "Hardware Specifications", "Total Runtime",
    "CPU Runtime", "GPU Runtime", "QPU Runtime", "Other HW Runtime", "Remarks",
]
#: eps of "successful": feasible and within (1 + eps) of the best objective found
SUCCESS_THRESHOLD = 0.0
#: classes whose generated instances are QOBLIB instances named by the problem (LABS N)
_NAMED_BY_PROBLEM = {"labs"}
#: solvers whose "optimal" status is a proof of optimality
_EXACT_SOLVERS = {"exact", "milp"}
_NA = "N/A"


def _mis_solution(bits: list[int], comments: list[str]) -> str:
    lines = [f"# {c}" for c in comments]
    lines += [f"x#{i + 1} {int(b)}" for i, b in enumerate(bits)]
    return "\n".join(lines) + "\n"


def _msp_solution(bits: list[int], comments: list[str]) -> str:
    return " ".join(str(int(b)) for b in bits) + "\n"


def _labs_solution(spins: list[int], comments: list[str]) -> str:
    """The full sequence (spins +-1, the result's ``decoded``) as QOBLIB's LABS ``.sol``."""
    return solution_text((1 - np.asarray(spins, dtype=np.int64)) // 2, comments)


#: problem kind -> (solution file extension, writer(values, comment lines) -> file text)
SOLUTION_FORMATS: dict[str, tuple[str, Callable[[list[int], list[str]], str]]] = {
    "mis": ("sol", _mis_solution),
    "msp": ("sol", _msp_solution),
    "labs": ("sol", _labs_solution),
}
#: the result field a class's writer reads (default ``solution``, the bits): LABS writes the
#: full sequence, ``decoded`` (a skew-symmetric run's bits are only its free half)
SOLUTION_FIELDS: dict[str, str] = {"labs": "decoded"}


def folder_word(text: str) -> str:
    """``text`` reduced to letters, digits and ``-`` (one ``-`` per run of anything else)."""
    word = re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-")
    return word or "x"


#: file extensions taken off a file instance's name (QOBLIB's instance names have none)
_DATA_SUFFIX = re.compile(r"\.(txt|dat|gph|col|clq|mtx|lp|mps|qs)(\.gz)?$", re.IGNORECASE)


def instance_word(text: str) -> str:
    """An instance name as a directory name: a data file's extension dropped (``ms_03.dat``
    -> ``ms_03``; ``1tc.8`` stays), path separators and spaces become ``-``."""
    word = re.sub(r"[\s/\\]+", "-", _DATA_SUFFIX.sub("", str(text))).strip("-.")
    return word or "instance"


def machine_description() -> str:
    """This machine: CPU model, logical cores, memory (Linux /proc; else platform's words)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.0f} GiB memory"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} logical cores{mem}, {platform.system()}"


@dataclasses.dataclass
class _Model:
    """What the solver was given: counts and coefficient facts for the summary columns."""

    approach: str
    variables: int | str
    nonzeros: int | str
    ctype: str
    crange: str


def _rebuild(rec: dict):
    """(problem, solver name, penalty, encoding) of a stored run, from its identity (the
    ``spec`` column): a shipped or generated instance; a file instance only where its name
    still resolves."""
    from qopt.problems import generate, load

    ident = json.loads(rec["spec"])
    p = ident["problem"]
    if "instance" in p:
        problem = load(p["kind"], p["instance"])
    else:
        size = tuple(p["size"]) if isinstance(p["size"], list) else p["size"]
        problem = generate(p["kind"], size, p["generator_seed"])
    return problem, ident["solver"], p.get("penalty", "auto"), p.get("encoding", "slack")


def _model_facts(rec: dict) -> _Model:
    """The model a configuration's first run was given (N/A where the instance cannot be
    rebuilt, e.g. a file that has moved)."""
    nvars = int(rec.get("num_vars") or 0)
    slack = int(rec.get("num_slack") or 0)
    try:
        from qopt.solvers.base import Task
        from qopt.solvers.registry import make_solver, solver_class

        problem, solver, penalty, encoding = _rebuild(rec)
        opts = json.loads(rec.get("options") or "{}")
        if getattr(solver_class(solver), "input", "qubo") == "qubo":
            # the cost the solver was handed: the HUBO itself where it takes any degree
            degree = getattr(make_solver(solver, **opts), "max_degree", 2)
            q = Task(problem, penalty=penalty, encoding=encoding, max_degree=degree).cost
            coefs = np.concatenate([c[c != 0] for _, c in q.all_terms().values()] or [[]])
            how = f"penalty {penalty}, {encoding} encoding of inequalities"
            if q.num_aux:
                how += f"; quadratised with {q.num_aux} auxiliary variables"
            approach = (f"QUBO ({how})" if q.degree <= 2 else
                        f"HUBO of degree {q.degree} ({how})")
            variables = q.num_vars
        else:
            prog = problem.to_program()
            quad = prog.quadratic.tocoo()
            parts = [prog.linear[prog.linear != 0], quad.data[quad.data != 0],
                     prog.A.data[prog.A.data != 0]]
            parts += [c[c != 0] for _, c in (prog.terms or {}).values()]
            coefs = np.concatenate(parts)
            degree = max([2, *(prog.terms or {})])
            approach = ("binary program (the problem's own objective and constraints"
                        + (f", degree {degree})" if degree > 2 else ")"))
            variables = prog.num_vars
    except Exception:       # a row without a usable identity: say what is known
        return _Model(_NA, nvars + slack or _NA, _NA, _NA, _NA)
    if rec.get("qubits") is not None:       # a quantum solver's own register (no slack with
        variables = int(rec["qubits"])      # a constraint-preserving mixer)
    integer = bool(np.all(np.isclose(coefs, np.round(coefs))))
    lo, hi = (float(np.min(coefs)), float(np.max(coefs))) if len(coefs) else (0.0, 0.0)
    return _Model(approach, int(variables), len(coefs),
                  "Integer" if integer else "Continuous", f"[{lo:g}, {hi:g}]")


def _mean(values) -> float | None:
    v = [float(x) for x in values if x is not None and x == x]
    return sum(v) / len(v) if v else None


def _seconds(x: float | None) -> str:
    return _NA if x is None else f"{x:.6g}"


def _successful(sense: str, objective: float, best: float) -> bool:
    eps = SUCCESS_THRESHOLD
    if sense == "max":
        return objective >= (1 - eps) * best - 1e-9 * max(1.0, abs(best))
    return objective <= (1 + eps) * best + 1e-9 * max(1.0, abs(best))


@dataclasses.dataclass
class Configuration:
    """One solver configuration's done runs on one instance, with the submission's facts."""

    problem_class: str
    instance: str
    label: str
    backend: str | None
    runs: list[dict]

    @property
    def name(self) -> str:
        """The instance's name in the submission: QOBLIB's own for a generated instance of a
        class with one instance per size (LABS N is ``labsNNN`` whatever the generator seed),
        else the sweep's instance label as a directory name."""
        if self.problem_class in _NAMED_BY_PROBLEM:
            try:
                return instance_word(_rebuild(self.runs[0])[0].name)
            except Exception:       # a row without a usable identity: its label
                pass
        return instance_word(self.instance)

    @property
    def method(self) -> str:
        return folder_word(self.label + (f"-{self.backend}" if self.backend else ""))

    def results(self) -> list[dict]:
        return [json.loads(r["result"]) if r.get("result") else {} for r in self.runs]

    def best(self) -> float | None:
        sense = self.runs[0]["sense"]
        objs = [r["objective"] for r in self.runs
                if truthy(r.get("feasible")) and r.get("objective") is not None]
        return (max(objs) if sense == "max" else min(objs)) if objs else None

    def summary_row(self, submitter: str, date: str, hardware: str) -> dict:
        from qopt import __version__

        rs = self.runs
        sense = rs[0]["sense"]
        best = self.best()
        feas = [r for r in rs if truthy(r.get("feasible")) and r.get("objective") is not None]
        succ = [r for r in feas if best is not None and _successful(sense, r["objective"], best)]
        solver = rs[0].get("solver") or self.label
        proved = solver in _EXACT_SOLVERS and all(r.get("solver_status") == "optimal"
                                                  for r in feas) and feas
        model = _model_facts(rs[0])
        opts = json.loads(rs[0].get("options") or "{}")
        postprocess = all(json.loads(r["result"]).get("postprocess") for r in rs
                          if r.get("result"))
        workflow = (f"qopt {solver} ({self.label})" + (f" on {self.backend}" if self.backend
                                                        else "")
                    + (f", options {json.dumps(opts, sort_keys=True)}" if opts else "")
                    + (f", budget {rs[0]['budget']} objective evaluations per run"
                       if rs[0].get("budget") else "")
                    + ("; the best sample post-processed by the problem's repair and local "
                       "search" if postprocess else "; raw best sample, no post-processing"))
        cpu = _mean((r.get("time_classical") or 0) + (r.get("time_simulation") or 0)
                    for r in rs)
        qpu = _mean(r.get("time_qpu") for r in rs)
        hosts = sorted({r["host"] for r in rs if r.get("host")})
        remarks = ("Runtimes are mean seconds per run (numba compile time excluded; CPU = "
                   "classical + simulation time). Successful: feasible and within "
                   f"(1 + {SUCCESS_THRESHOLD:g}) of the best objective found. Seeds "
                   f"{sorted({r.get('seed') for r in rs if r.get('seed') is not None})}.")
        return {
            "Problem": self.name, "Submitter": submitter, "Date": date,
            "Reference": f"qopt {__version__} (sweep {rs[0].get('sweep') or '-'})",
            "Best Objective Value": _NA if best is None else f"{best:g}",
            "Optimality Bound": f"{best:g}" if proved else _NA,
            "Modeling Approach": model.approach,
            "# Decision Variables": model.variables, "# Binary Variables": model.variables,
            "# Integer Variables": 0, "# Continuous Variables": 0,
            "# Non-Zero Coefficients": model.nonzeros, "Coefficients Type": model.ctype,
            "Coefficients Range": model.crange, "Workflow": workflow,
            "Algorithm Type": "Deterministic" if solver in _EXACT_SOLVERS else "Stochastic",
            "# Runs": len(rs), "# Feasible Runs": len(feas), "# Successful Runs": len(succ),
            "Success Threshold": f"{SUCCESS_THRESHOLD:g}",
            "Hardware Specifications": (f"hosts {', '.join(hosts)}; " if hosts else "")
            + f"report written on {hardware}",
            "Total Runtime": _seconds(_mean(r.get("wall_time") for r in rs)),
            "CPU Runtime": _seconds(cpu), "GPU Runtime": _NA,
            "QPU Runtime": _seconds(qpu) if qpu else _NA, "Other HW Runtime": _NA,
            "Remarks": remarks,
        }

    def time_series(self) -> list[list[dict]]:
        """Per run: the feasible incumbents qopt recorded (module docstring)."""
        sense = self.runs[0]["sense"]
        out = []
        for res in self.results():
            points: list[dict] = []
            total = float(res.get("wall_time") or 0.0)
            pp_time = sum(float(s.get("time") or 0.0) for s in res.get("postprocess") or [])
            raw = res.get("raw") or {}
            cands = [(max(total - pp_time, 0.0), raw.get("objective"), raw.get("feasible")),
                     (total, res.get("objective"), res.get("feasible"))]
            for t, obj, feas in cands:
                if not feas or obj is None:
                    continue
                last = points[-1]["Incumbent"] if points else None
                if last is None or (obj > last if sense == "max" else obj < last):
                    points.append({"Time": round(t, 6), "Incumbent": obj})
            out.append(points)
        return out


def configurations(df) -> list[Configuration]:
    """The done runs of QOBLIB classes grouped by (class, instance, label, backend)."""
    groups: dict[tuple, list[dict]] = {}
    for r in run_records(df):
        if r["status"] != "done" or r.get("problem_class") not in SOLUTION_FORMATS:
            continue
        key = (r["problem_class"], r["instance"], r["label"], r.get("backend"))
        groups.setdefault(key, []).append(r)
    return [Configuration(*k, runs=sorted(v, key=lambda r: (r.get("seed") or 0,
                                                             r.get("repetition") or 0)))
            for k, v in sorted(groups.items(), key=lambda kv: tuple(map(str, kv[0])))]


def summary_rows(df, submitter: str = "qopt", date: str | None = None) -> list[dict]:
    """One QOBLIB summary row per configuration (every class, not only QOBLIB's)."""
    date = date or datetime.now(UTC).strftime("%Y-%m-%d")
    hardware = machine_description()
    groups: dict[tuple, list[dict]] = {}
    for r in run_records(df):
        if r["status"] == "done":
            groups.setdefault((r["problem_class"], r["instance"], r["label"], r.get("backend")),
                              []).append(r)
    return [Configuration(*k, runs=v).summary_row(submitter, date, hardware)
            for k, v in sorted(groups.items(), key=lambda kv: tuple(map(str, kv[0])))]


def write_csv(rows: list[dict], path: str | Path) -> Path:
    """Rows under QOBLIB's header, UTF-8 without a byte-order mark; formula-like text is
    quoted for spreadsheets (:func:`~qopt.experiments.output_safety.csv_safe_value`)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=QOBLIB_COLUMNS)
        w.writeheader()
        w.writerows({k: csv_safe_value(v) for k, v in row.items()} for row in rows)
    return Path(path)


def export_summary(df, path: str | Path, submitter: str = "qopt") -> Path:
    """Every configuration's summary row in one CSV (report format ``qoblib``)."""
    return write_csv(summary_rows(df, submitter), path)


def write_submission(df, out_dir: str | Path, submitter: str = "qopt",
                     date: datetime | None = None) -> list[Path]:
    """Write the submission folders (module docstring); returns the files written. An
    instance none of whose runs is feasible gets no folder (QOBLIB needs a solution file):
    :class:`OptionError` when that leaves nothing to write."""
    date = date or datetime.now(UTC)
    stamp, day = date.strftime("%Y%m%d"), date.strftime("%Y-%m-%d")
    hardware = machine_description()
    name = folder_word(submitter)
    written: list[Path] = []
    taken: dict[Path, tuple] = {}
    configs = configurations(df)
    if not configs:
        raise OptionError("qoblib-submission: no done runs of a QOBLIB class in the store "
                          f"(classes: {', '.join(sorted(SOLUTION_FORMATS))})")
    skipped = []
    for conf in configs:
        ext, writer = SOLUTION_FORMATS[conf.problem_class]
        field = SOLUTION_FIELDS.get(conf.problem_class, "solution")
        results = conf.results()
        solved = [(r, res) for r, res in zip(conf.runs, results)
                  if res.get("feasible") and res.get(field) is not None]
        if not solved:
            skipped.append(f"{conf.instance} ({conf.label})")
            continue
        inst = conf.name
        folder = Path(out_dir) / f"{stamp}_{conf.method}_{name}" / inst
        key = (conf.problem_class, conf.instance, conf.label, conf.backend)
        if taken.setdefault(folder, key) != key:
            raise OptionError(f"qoblib-submission: {taken[folder]} and {key} both map to "
                              f"{folder}; rename one sweep label or instance")
        (folder / "solutions").mkdir(parents=True, exist_ok=True)
        written.append(write_csv([conf.summary_row(submitter, day, hardware)],
                                 folder / f"{inst}_summary.csv"))
        for k, (r, res) in enumerate(solved):
            comments = [f"{conf.instance}: objective {res['objective']:g}",
                        f"qopt {conf.label}" + (f" on {conf.backend}" if conf.backend else "")
                        + f", seed {r.get('seed')}"]
            path = folder / "solutions" / f"{inst}_solution_{k}.{ext}"
            path.write_text(writer(list(res[field]), comments), encoding="utf-8")
            written.append(path)
        ts = folder / f"{inst}_objective_time_series.json"
        ts.write_text(json.dumps(conf.time_series()), encoding="utf-8")
        written.append(ts)
    if not written:
        raise OptionError("qoblib-submission: no run found a feasible solution of "
                          f"{', '.join(skipped)}; QOBLIB needs a solution file per instance")
    return written


__all__ = ["QOBLIB_COLUMNS", "SOLUTION_FIELDS", "SOLUTION_FORMATS", "SUCCESS_THRESHOLD",
           "configurations", "export_summary", "machine_description", "summary_rows", "write_csv",
           "write_submission"]
