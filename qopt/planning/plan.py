"""``qopt.plan``: what a solve will need, before it runs (``qopt solve ... --dry-run``).

A :class:`Plan` states the qubits (logical program variables, slack bits of inequality rows and
auxiliary bits of a quadratisation, each apart), the peak memory of the solve's one
:class:`~qopt.resources.ResourcePlan` (the state's share apart) against the limit, the circuit
depth where there is a circuit, and an estimated time from a short measurement on this machine
(:mod:`qopt.planning.timing`), plus the reference's own cost. Runs estimated over
:data:`WARN_SECONDS` get a warning naming a cheaper alternative where one exists: a
constraint-preserving mixer (no slack qubits, the feasible subspace only), fewer layers.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field

from qopt.errors import QoptError, SizeLimitError
from qopt.limits import format_bytes, format_seconds, memory_limit_info
from qopt.planning.timing import TimeEstimate, estimate, optimistic_seconds

#: runs estimated over this many seconds are warned about (``qopt solve`` prints it)
WARN_SECONDS = 60.0
#: memory items whose text names the quantum state (statevector, feasible subspace)
_STATE_WORDS = ("statevector", "feasible subspace", "adjoint-gradient states")
_QAOA = ("qaoa", "cvar-qaoa", "ma-qaoa", "ws-qaoa", "rqaoa")


@dataclass
class Plan:
    """What one solve will need (module docstring). Counts are None where they do not apply
    (qubits of a classical solver, depth without a circuit); ``refused`` holds the error the
    solve would raise before any work (memory / time limit), else None."""

    problem: str
    solver: str
    backend: str | None
    num_vars: int
    num_qubits: int | None
    logical_qubits: int | None
    slack_qubits: int | None
    auxiliary_qubits: int | None
    memory_bytes: float
    state_memory_bytes: float
    memory_limit_bytes: int
    memory_items: list[dict]
    depth: int | None
    depth_note: str
    time: TimeEstimate
    reference: dict
    estimated_seconds: float | None
    refused: str | None = None
    warnings: list[str] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["time"] = self.time.to_dict()
        d["estimated_seconds_max"] = self.time.seconds_max if self.time.seconds_max is None \
            else self.time.seconds_max + float(self.reference.get("estimated_seconds") or 0)
        return d

    def __str__(self) -> str:
        rows = [f"plan of {self.solver} on {self.problem}"
                + (f" (backend {self.backend})" if self.backend else "")]
        if self.num_qubits is not None:
            parts = [f"{self.logical_qubits} logical"] if self.logical_qubits is not None else []
            if self.slack_qubits is not None:
                parts.append(f"{self.slack_qubits} slack")
            if self.auxiliary_qubits is not None:
                parts.append(f"{self.auxiliary_qubits} auxiliary")
            rows.append(f"  qubits          {self.num_qubits}"
                        + (f" = {' + '.join(parts)}" if parts else ""))
        else:
            rows.append(f"  variables       {self.num_vars} (classical solver: no qubits)")
        rows.append(f"  memory          {format_bytes(self.memory_bytes)}"
                    + (f" (quantum state {format_bytes(self.state_memory_bytes)})"
                       if self.state_memory_bytes else "")
                    + f" of {format_bytes(self.memory_limit_bytes)} allowed")
        rows.append(f"  circuit depth   {self.depth if self.depth is not None else '-'}"
                    + (f" ({self.depth_note})" if self.depth_note else ""))
        t = self.time
        if self.estimated_seconds is not None:
            extra = ""
            if t.parameter_sets is not None and t.parameter_sets != t.parameter_sets_max:
                extra = (f", {t.parameter_sets} of {t.parameter_sets_max} planned parameter "
                         f"sets; all of them: {format_seconds(t.seconds_max or 0)}")
            rows.append(f"  estimated time  {format_seconds(self.estimated_seconds)}{extra}")
        else:
            rows.append("  estimated time  unknown")
        rows.append(f"    model: {t.model}")
        ref = self.reference
        if ref.get("source") is None:
            rows.append(f"  reference       {ref.get('note')}")
        else:
            secs = ref.get("estimated_seconds")
            rows.append(f"  reference       {ref['source']}"
                        + (f" (value {ref['value']:g})" if ref.get("value") is not None else "")
                        + (f", about {format_seconds(secs)}" if secs else ""))
        if self.refused:
            rows.append(f"  refused: {self.refused}")
        rows += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(rows)


def _qubits(slv, task, name: str) -> tuple[int | None, int | None, int | None, int | None]:
    """(total, logical, slack, auxiliary) qubits of a quantum solver's register."""
    from qopt.solving.entry import runs_circuits

    if not runs_circuits(slv):
        return None, None, None, None
    own = getattr(slv, "required_qubits", None)
    if callable(own):
        return int(own(task)), None, None, None
    if getattr(getattr(slv, "options", None), "mixer", "x") not in ("x", None):
        n = int(task.program.num_vars)
        return n, n, 0, 0
    q = task.cost           # what the solver takes: the HUBO itself, or the QUBO
    aux = int(q.num_aux)    # num_slack counts every bit after the program's, aux included
    return int(q.num_vars), int(q.num_program_vars), int(q.num_slack) - aux, aux


def _depth(slv, task, name: str) -> tuple[int | None, str]:
    o = getattr(slv, "options", None)
    try:
        if name in _QAOA and getattr(o, "mixer", "x") == "x":
            from qopt.solvers.quantum.qaoa_ansatz import Ansatz
            from qopt.solvers.quantum.qaoa_run import circuit_resources

            res = circuit_resources(Ansatz(task.cost, o.p, bool(slv.multi_angle), None))
            return int(res["depth"]), "the exported QAOA circuit before transpilation"
        if name in _QAOA:
            return None, "feasible-subspace simulator: no circuit is run"
        if name in ("vqe", "cvar-vqe"):
            from qopt.solvers.quantum.ansatz import Ansatz

            a = Ansatz(int(task.cost.num_vars), o.ansatz, o.reps, o.entanglement, o.entangler)
            return int(a.circuit.depth()), "the ansatz circuit before transpilation"
    except QoptError as exc:
        return None, str(exc)
    return None, ""


def _alternatives(slv, task, est: TimeEstimate, backend, optimizer, budget) -> list[str]:
    """Cheaper runs to name in a warning: a constraint-preserving mixer, fewer layers."""
    out = []
    o = getattr(slv, "options", None)
    if slv.name in _QAOA and getattr(o, "mixer", "x") == "x" and task.cost.num_slack:
        from qopt.solvers.quantum.mixers import build_mixer

        try:
            mixer = build_mixer("feasible", task.problem.constraint_structure(),
                                task.program.num_vars)
        except QoptError:
            mixer = None
        if mixer is not None and slv.name != "rqaoa":
            text = (f"--mixer {mixer.name} ({task.program.num_vars} qubits, no slack, on the "
                    "feasible subspace")
            alt = copy.copy(slv)
            alt.options = dataclasses.replace(o, mixer=mixer.name)
            try:
                alt_plan = alt.resource_plan(task, backend=backend, optimizer=optimizer,
                                             budget=budget)
                alt_plan.check()
                if task.program.num_vars <= 24:
                    secs = estimate(alt, task, backend=backend, optimizer=optimizer,
                                    budget=budget).seconds
                    if secs is not None:
                        text += f", about {format_seconds(secs)}"
            except QoptError:
                pass
            out.append(text + ")")
    p = getattr(o, "p", None)
    if p is not None and p > 1 and est.seconds is not None and est.setup_seconds is not None:
        per = (est.seconds - est.setup_seconds) / p
        out.append(f"--p 1 (about {format_seconds(est.setup_seconds + per)})")
    if est.parameter_sets and est.parameter_sets > 50 and est.seconds_per_set:
        out.append(f"--budget or --maxiter 50 (about "
                   f"{format_seconds(est.seconds / est.parameter_sets * 50)})")
    return out


def plan(target, solver="exact", *, kind: str | None = None, backend=None, optimizer=None,
         budget: int | None = None, penalty="auto", encoding: str = "slack", optimum=None,
         reference: str | None = None, measure: bool | str = True, seed: int | None = None,
         postprocess: bool = True, progress=False, mitigation=None, record=None,
         **options) -> Plan:
    """The :class:`Plan` of ``qopt.solve(target, solver, ...)`` with the same keywords
    (``seed``, ``postprocess``, ``progress``, ``mitigation`` and ``record`` are taken and do
    not change a plan); nothing large is allocated beyond what a short timing measurement
    needs (:mod:`qopt.planning.timing`). ``measure``: True measures the run's time, False
    skips it, ``"auto"`` only when even an optimistic bound could pass :data:`WARN_SECONDS`
    (what ``qopt solve`` does before every run)."""
    from qopt.reference import check_reference, plan_reference, resolve_reference
    from qopt.seeds import check_seed
    from qopt.solvers.base import Task
    from qopt.solvers.registry import make_solver
    from qopt.solving import as_problem

    check_seed(seed)
    check_reference(reference, optimum)
    slv = make_solver(solver, **options)
    problem = as_problem(target, kind)
    # the cost the solve hands the solver: the HUBO itself where it takes any degree
    task = Task(problem, penalty=penalty, encoding=encoding,
                max_degree=getattr(slv, "max_degree", 2))
    refused = None
    ref: dict = {"source": reference or ("given" if optimum is not None else None)}
    try:
        rplan = plan_reference(problem, reference, penalty=penalty, encoding=encoding)
        if rplan is not None:
            ref["estimated_seconds"] = rplan.total_seconds if rplan.time else None
            if reference == "milp":
                ref["note"] = "HiGHS: time not bounded in advance"
        else:
            r = resolve_reference(problem, optimum=optimum, reference=reference,
                                  penalty=penalty, encoding=encoding)    # computes nothing
            ref.update(r.to_dict())
    except SizeLimitError as exc:
        refused = str(exc)
    rp = slv.resource_plan(task, backend=backend, optimizer=optimizer, budget=budget)
    cap, _ = memory_limit_info()
    try:
        rp.check()
    except SizeLimitError as exc:
        refused = refused or str(exc)
    total, logical, slack, aux = _qubits(slv, task, slv.name)
    depth, depth_note = _depth(slv, task, slv.name) if refused is None else (None, "")
    sets = getattr(getattr(slv, "options", None), "maxiter", None) or 0
    p = getattr(getattr(slv, "options", None), "p", 1) or 1
    skip = (measure is False or refused is not None
            or (measure == "auto" and total is not None
                and optimistic_seconds(total, p, sets) < WARN_SECONDS / 20))
    if skip:
        est = TimeEstimate(None, model="not measured" + (" (refused)" if refused else ""))
    else:
        try:
            est = estimate(slv, task, backend=backend, optimizer=optimizer, budget=budget)
        except SizeLimitError as exc:      # found while measuring: a subspace over the limit
            refused = str(exc)
            est = TimeEstimate(None, model="not measured (refused)")
    for item in est.measured_memory or ():
        rp.add(item["what"], item["bytes"], option=item["option"])
    secs = None if est.seconds is None else est.seconds + float(ref.get("estimated_seconds")
                                                                or 0.0)
    state = sum(i.amount for i in rp.memory if any(w in i.what for w in _STATE_WORDS))
    out = Plan(problem.name, slv.name, backend if isinstance(backend, str) or backend is None
               else type(backend).__name__, int(problem.num_vars), total, logical, slack, aux,
               rp.total_bytes, float(state), int(cap),
               [{"what": i.what, "bytes": i.amount, "option": i.option} for i in rp.memory],
               depth, depth_note, est, ref, secs, refused)
    if refused is not None or (secs is not None and secs > WARN_SECONDS):
        out.alternatives = _alternatives(slv, task, est, backend, optimizer, budget)
    if refused is not None and out.alternatives:
        out.warnings.append(f"{slv.name} on {problem.name} is refused before it runs (limit); "
                            "cheaper: " + "; ".join(out.alternatives))
    if secs is not None and secs > WARN_SECONDS:
        out.warnings.append(f"estimated {format_seconds(secs)} for {slv.name} on "
                            f"{problem.name} ({total} qubits)" if total else
                            f"estimated {format_seconds(secs)} for {slv.name} on "
                            f"{problem.name}")
        if out.alternatives:
            out.warnings[-1] += "; cheaper: " + "; ".join(out.alternatives)
    return out


__all__ = ["WARN_SECONDS", "Plan", "plan"]
