"""Grover-mixer QAOA (``mixer="grover"`` on the qaoa family) and threshold QAOA (``th-qaoa``).

Both run on the cost histogram of the feasible set F (:mod:`qopt.backends.histogram`) with the
exact level simulation of :mod:`qopt.backends.grover`: F is the reachable set of the problem's
own constraint-preserving mixer (``--mixer feasible``: permutations, independent sets,
packing-feasible subsets, one-hot products), the cost the constrained cost the other mixers use
(objective plus penalties of rows outside the structure). The run:

1. one streaming pass builds the histogram (planned: memory and, where |F| is known, time);
2. the angles (one gamma, one beta per layer; true angles ``gamma_scale * x`` with
   ``gamma_scale`` = 1 / the cost's standard deviation over F for GM-QAOA, 1 for threshold
   QAOA) are optimised on the exact expectation (or CVaR) with the solver's optimizer; for
   th-qaoa the threshold is given or chosen from :func:`threshold_candidates` (the one whose
   optimised objective is lowest);
3. the final samples: levels drawn with probability |a_c|^2, states uniform within their
   level by a second pass: every sample lies in F.

``info`` adds, beside the QAOA keys: ``histogram`` (|F|, levels, pass time), ``threshold``
(th-qaoa), ``expectation`` (exact, ``expectation_exact``), ``probability_optimum_exact`` /
``probability_optimum_initial`` (= m_opt / |F|) of the feasible optimum,
``probability_feasible_exact`` / ``_initial``, ``sample_feasible_fraction`` (measured),
``grover_bound`` ((2p + 1)^2 m_opt / |F|), ``max_state_probability``, ``state_entropy`` (bits),
and the uniform-sampling baseline with the same shots: ``uniform_best_objective``,
``uniform_best_gap``, ``uniform_probability_optimum_in_shots`` beside
``probability_optimum_in_shots`` of the optimised state.

Rows the mixer leaves to penalties: the pass tracks the objective and those rows
(:func:`tracking`), so "optimum" is the feasible optimum and "feasible" satisfies every row
(:func:`~qopt.solvers.quantum.grover_diagnostics.grover_diagnostics`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from qopt import threads as kernel_threads
from qopt.errors import OptionError
from qopt.solvers.base import Samples, Solver, SolverOutput, Task, rng_from
from qopt.solvers.budget import final_shots, plan_quantum_budget
from qopt.solvers.quantum.angles import check_angles, check_maxiter

#: most thresholds th-qaoa tries when none is given
MAX_THRESHOLDS = 24


def feasible_mixer(task: Task):
    """The problem's own constraint-preserving mixer (``--mixer feasible``): its feasible set
    is F. OptionError where qopt cannot enumerate it."""
    from qopt.solvers.quantum.mixers import build_mixer

    mixer = build_mixer("feasible", task.problem.constraint_structure(), task.program.num_vars)
    if mixer.subspace not in ("permutation", "packing", "one-hot"):
        raise OptionError("Grover-mixer QAOA needs a feasible set qopt can enumerate "
                          "(permutations, conflicts / packing rows, one-hot groups)")
    return mixer


def check_grover_options(o) -> None:
    """Refuse qaoa-family options that ``mixer="grover"`` cannot honour (per-term angles,
    warm starts, initial states other than |F>)."""
    if getattr(o, "mixer", None) != "grover":
        return
    if getattr(o, "multi_angle", False):
        raise OptionError("mixer 'grover' keeps one gamma per layer (the level symmetry); "
                          "ma-qaoa's per-term angles break it: use qaoa or cvar-qaoa")
    if hasattr(o, "relaxation") or hasattr(o, "n_cutoff"):
        raise OptionError("mixer 'grover' starts from the uniform superposition over the "
                          "feasible set: use qaoa, cvar-qaoa or th-qaoa (not ws-qaoa / rqaoa)")
    if o.init_state not in ("default", "uniform"):
        raise OptionError(f"mixer 'grover' starts from the uniform superposition over the "
                          f"feasible set; init_state={o.init_state!r} does not apply")


def check_backend(backend, solver: str) -> None:
    """The histogram simulator is the only backend: |F> has no simple circuit here."""
    name = backend if isinstance(backend, str) or backend is None else type(backend).__name__
    if name not in (None, "statevector", "histogram"):
        raise OptionError(f"{solver} with the Grover mixer runs on the exact histogram "
                          f"simulator only (backend None / 'statevector'), not {name!r}: "
                          "the uniform superposition over the feasible set has no simple "
                          "circuit here")


def plan_grover(plan, task: Task, shots: int, threads: int = 1) -> None:
    """Add the histogram pass (memory, and time where |F| is known) to ``plan``."""
    from qopt.backends.histogram import Walk, plan_histogram
    from qopt.solvers.quantum.qaoa_subspace import constrained_cost

    mixer = feasible_mixer(task)
    walk = Walk.from_mixer(mixer, constrained_cost(task.program, mixer, task.penalty),
                           *tracking(task.program, mixer))
    plan_histogram(plan, walk, shots=shots, threads=threads)


def tracking(program, mixer) -> tuple:
    """(objective, rows) the histogram pass tallies beside the cost when the mixer leaves rows
    to penalties: the objective in minimisation form and (A, senses, rhs) of those rows; (None,
    None) when it preserves every row (the cost is then the objective)."""
    from qopt.model.convert import program_to_hubo
    from qopt.solvers.quantum.qaoa_subspace import objective_program

    kept = [r for r in range(program.num_constraints) if r not in set(mixer.preserved_rows)]
    if not kept:
        return None, None
    rows = (program.A[kept].toarray(), [program.constraint_senses[r] for r in kept],
            program.rhs[kept])
    return program_to_hubo(objective_program(program), penalty="auto"), rows


def grover_histogram(solver_name: str, task: Task, mixer, cost, *, threads: int, shots: int):
    """The pass over ``mixer``'s feasible set under ``cost``, tracking the objective and the
    penalised rows where there are any (:func:`tracking`); returns (histogram, objective: the
    polynomial whose values the histogram's ``best_objective`` holds)."""
    from qopt.backends.histogram import build_histogram

    objective, rows = tracking(task.program, mixer)
    hist = build_histogram(mixer, cost, threads=threads, shots=shots, objective=objective,
                           rows=rows,
                           context=f"{solver_name} --mixer grover on {task.problem.name}")
    return hist, cost if objective is None else objective


def threshold_candidates(hist, k: int = MAX_THRESHOLDS) -> np.ndarray:
    """Thresholds to try: the levels at which the uniform cumulative share first reaches
    2^-j, j = 1, 2, ... (down to the lowest level), at most ``k``, ascending."""
    share = np.cumsum(hist.counts) / float(hist.size)
    idx = {0}
    j = 1
    while len(idx) < k:
        t = int(np.searchsorted(share, 2.0**-j))
        idx.add(min(t, hist.num_levels - 1))
        if t == 0:
            break
        j += 1
    return hist.levels[sorted(idx)]


class _Objective:
    """Value (and gradient) of normalised angles x = [gammas (p), betas (p)]."""

    def __init__(self, sim, p: int, scale: float, alpha: float):
        self.sim, self.p, self.scale, self.alpha = sim, p, scale, alpha

    def angles(self, x) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(x, dtype=float)
        return x[:self.p] * self.scale, x[self.p:]

    def value(self, x) -> float:
        g, b = self.angles(x)
        self.sim.state(g, b)
        return self.sim.expectation() if self.alpha >= 1 else self.sim.cvar(self.alpha)

    def value_and_grad(self, x):
        g, b = self.angles(x)
        v, dg, db = self.sim.value_and_grad(g, b, self.alpha)
        return v, np.concatenate([dg * self.scale, db])


def _optimise(obj: _Objective, opt, x0s, budget: int, rng, history: list, tag: dict):
    """Best (x, f, evaluations, exhausted) over starting points ``x0s`` sharing ``budget``."""
    best_x, best_f, used, cut = None, math.inf, 0, False
    shares = [budget // len(x0s) + (1 if i < budget % len(x0s) else 0) for i in range(len(x0s))]
    for r, (x0, share) in enumerate(zip(x0s, shares, strict=True)):
        if share < 1:
            continue
        out = opt.minimize(obj.value, x0, grad=obj.value_and_grad, budget=share, rng=rng)
        for h in out.history:
            history.append({**tag, "restart": r, "evaluation": used + h["evaluation"],
                            "value": h["value"], "best": h["best"]})
        used += out.evaluations
        cut |= out.message == "evaluation budget exhausted"
        if out.fun < best_f:
            best_x, best_f = np.asarray(out.x, float), float(out.fun)
    return best_x, best_f, used, cut


def _starts(o, p: int, scale: float, rng) -> list[np.ndarray]:
    from qopt.solvers.quantum import initialisation as init_mod

    angles = getattr(o, "angles", None)
    if angles is not None:
        g = np.asarray(angles["gamma"], float) / scale
        b = np.asarray(angles["beta"], float)
        if g.shape != (p,) or b.shape != (p,):
            raise OptionError(f"angles need {p} gammas and {p} betas (--p {p})")
        first = np.concatenate([g, b])
    elif o.init == "random":
        first = np.concatenate(init_mod.random_angles(p, rng))
    else:
        first = np.concatenate(init_mod.linear_ramp(p))
    return [first] + [np.concatenate(init_mod.random_angles(p, rng))
                      for _ in range(o.restarts - 1)]


def run_threshold(solver, task: Task, *, backend=None, optimizer=None, seed=None,
                  budget=None) -> SolverOutput:
    """The threshold-QAOA run (module docstring); GM-QAOA runs in the QAOA skeleton
    (:class:`~qopt.solvers.quantum.grover_run.GroverRun`)."""
    from qopt.backends.grover import GroverSimulator
    from qopt.solvers.optimizers import get_optimizer
    from qopt.solvers.quantum.grover_diagnostics import grover_diagnostics
    from qopt.solvers.quantum.qaoa_subspace import constrained_cost

    o = solver.options
    check_backend(backend, solver.name)
    program = task.program
    shots = final_shots(o.shots, budget)
    rng = rng_from(seed)
    threads = kernel_threads.current()
    t0 = time.perf_counter()
    mixer = feasible_mixer(task)
    cost = constrained_cost(program, mixer, task.penalty)
    hist, objective = grover_histogram(solver.name, task, mixer, cost, threads=threads,
                                       shots=shots)
    fixed = getattr(o, "angles", None) is not None and o.maxiter == 0
    qplan = plan_quantum_budget(budget, max(o.maxiter, 1), shots=None, reserved=shots,
                                reserved_for=f"the final samples (shots={shots})")
    opt = get_optimizer(optimizer, default=o.optimizer)
    p = o.p
    history: list[dict[str, Any]] = []
    evaluations, cut = 0, False
    t1 = time.perf_counter()
    given = o.threshold
    cands = np.array([float(given)]) if given is not None else threshold_candidates(hist)
    tried, best = [], None
    for i, th in enumerate(cands):
        sim = GroverSimulator(hist.levels, hist.counts, threshold=th)
        obj = _Objective(sim, p, 1.0, o.alpha)
        share = qplan.limit // len(cands) + (1 if i < qplan.limit % len(cands) else 0)
        x, f, used, c = _fixed(obj, o, p) if fixed else _optimise(
            obj, opt, _starts(o, p, 1.0, rng), share, rng, history, {"threshold": th})
        evaluations += used
        cut |= c
        tried.append({"threshold": float(th), "value": f})
        if best is None or f < best[2]:
            best = (th, x, f, obj)
    th, x, f, obj = best
    sim = obj.sim
    g, b = obj.angles(x)
    sim.state(g, b)
    t_sim = time.perf_counter() - t1
    t2 = time.perf_counter()
    X = hist.sample_states(sim.draw_levels(shots, rng), rng, threads=threads)
    t_sample = time.perf_counter() - t2
    info = {"mixer": {"name": "grover", "feasible_set": mixer.subspace,
                      "structure_mixer": mixer.name,
                      "preserved_rows": len(mixer.preserved_rows)},
            "penalised_rows": [program.constraint_names[r] for r in range(program.num_constraints)
                               if r not in set(mixer.preserved_rows)],
            "histogram": hist.describe(), "backend": "histogram", **cost.describe(),
            "logical_qubits": program.num_vars,
            "num_slack": 0, "gammas": g.tolist(), "betas": b.tolist(), "params": x.tolist(),
            "gamma_scale": obj.scale, "objective": f, "expectation": sim.expectation(),
            "cvar": sim.cvar(o.alpha), "alpha": o.alpha, "optimizer": getattr(opt, "name", ""),
            "circuit_evaluations": evaluations, "sampling_time": t_sample,
            "threshold": float(th), "thresholds_tried": tried,
            **grover_diagnostics(task, objective, hist, sim, X, p, shots, rng)}
    counts = np.ones(len(X))
    out_samples = Samples(task.qubo.complete(X), counts)
    timing = {"simulation": t_sim + t_sample + hist.pass_time}
    return SolverOutput(samples=out_samples, status="budget" if cut else "done",
                        evaluations=qplan.charged(evaluations, shots), shots=shots,
                        history=history, num_qubits=program.num_vars, depth=None,
                        two_qubit_gates=None, time=timing,
                        info={**info, "setup_time": t1 - t0})


def _fixed(obj: _Objective, o, p: int):
    """``angles`` with ``maxiter=0``: the given angles valued once."""
    x = _starts(o, p, obj.scale, None)[0]
    return x, obj.value(x), 1, False


@dataclass
class ThresholdQAOAOptions:
    """Options of th-qaoa (Golden et al. 2023): p layers of exp(-i gamma H_th) then the Grover
    mixer; ``threshold``: a cost value (states with cost <= threshold get the phase; the
    constrained cost in minimisation form), or None to try :func:`threshold_candidates`
    and keep the best. alpha, init (ramp | random), restarts, shots, maxiter, optimizer and
    ``angles`` ({"gamma": [...], "beta": [...]}, true angles; with maxiter=0 only valued)
    as for qaoa."""

    p: int = 1
    threshold: float | None = None
    alpha: float = 1.0
    init: str = "ramp"
    restarts: int = 1
    shots: int | None = None
    maxiter: int = 300
    optimizer: str = "cobyla"
    angles: dict | None = None

    def validate(self):
        if not isinstance(self.p, int) or self.p < 1:
            raise OptionError(f"p must be a positive integer, got {self.p!r}")
        if not 0.0 < float(self.alpha) <= 1.0:
            raise OptionError(f"alpha must be in (0, 1], got {self.alpha!r}")
        if self.init not in ("ramp", "random"):
            raise OptionError(f"th-qaoa init must be 'ramp' or 'random', got {self.init!r}")
        if not isinstance(self.restarts, int) or self.restarts < 1:
            raise OptionError(f"restarts must be a positive integer, got {self.restarts!r}")
        if self.shots is not None and (not isinstance(self.shots, int) or self.shots < 1):
            raise OptionError(f"shots must be a positive integer or None, got {self.shots!r}")
        check_maxiter(self.maxiter, self.angles)
        if self.threshold is not None and not math.isfinite(float(self.threshold)):
            raise OptionError(f"threshold must be a finite number, got {self.threshold!r}")
        check_angles(self.angles, self.p)


class ThresholdQAOASolver(Solver):
    """Threshold QAOA (Golden, Bärtschi, O'Malley, Eidenbenz 2023) on the cost histogram."""

    name = "th-qaoa"
    input = "qubo"
    Options = ThresholdQAOAOptions

    def plan_resources(self, plan, task, *, backend=None, optimizer=None, budget=None):
        check_backend(backend, self.name)
        plan_grover(plan, task, final_shots(self.options.shots, budget))

    def run(self, task: Task, *, backend=None, optimizer=None, seed: int | None = None,
            budget: int | None = None) -> SolverOutput:
        return run_threshold(self, task, backend=backend, optimizer=optimizer, seed=seed,
                             budget=budget)
