"""The QAOA solvers' run with a constraint-preserving mixer (``mixer=`` other than ``x``).

The ansatz acts on the program's n logical variables (no slack qubits) with the mixer of
:mod:`qopt.solvers.quantum.mixers` and its initial state; the cost is
:func:`~qopt.solvers.quantum.qaoa_subspace.constrained_cost`. Backend ``None`` /
``"statevector"`` runs it on the feasible-subspace simulator; any other backend runs the
mixer's circuit (:mod:`qopt.solvers.quantum.mixer_circuits`; the capacity mixer has none and
is refused there). Final samples are n-bit program rows, completed with their best slack bits
so the toolkit's QUBO-based reporting works unchanged.

``info`` gains: ``mixer`` (name, partial mixers, subspace kind, preserved rows),
``initial_state`` (name, kind, preparable, description), ``subspace_size``,
``sample_feasible_fraction`` (share of final samples satisfying every row),
``initial_expectation`` / ``initial_cvar`` (p = 0 from the same initial state, same cost),
``probability_optimum_exact`` and ``probability_optimum_initial`` (exact probability of an
optimal solution in the optimised and in the initial state, on the simulator), ``penalised_rows``
(rows kept as penalties), ``subspace_build_time`` and ``num_slack`` = 0 (the result's
``num_slack``: no slack qubits are used, whatever the QUBO conversion would add).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from qopt.errors import OptionError
from qopt.solvers.base import Samples, SolverOutput, Task, rng_from
from qopt.solvers.budget import final_shots, plan_quantum_budget
from qopt.solvers.quantum.mixers import build_mixer, initial_state
from qopt.solvers.quantum.qaoa_subspace import SubspaceEvaluator, constrained_cost

#: rows per chunk when scanning the subspace for optimal states
_CHUNK = 1 << 16


def circuit_parts(mixer, init):
    """(partials, initial state) in the form of :mod:`qopt.solvers.quantum.mixer_circuits`."""
    from qopt.solvers.quantum.mixer_circuits import InitialGates, PartialGates

    kinds = {"controlled-x": "independent-set"}
    parts = [PartialGates(kinds.get(pm.kind, pm.kind), pm.qubits, pm.controls,
                          tuple(pm.swap_terms()) if pm.kind == "swap" else ())
             for pm in mixer.partials]
    n = mixer.num_qubits
    if init.kind == "basis":
        gates = InitialGates(basis=tuple(int(b) for b in init.bits))
    elif init.kind == "plus":
        gates = InitialGates(plus=tuple(range(n)))
    elif mixer.subspace == "permutation":
        idx = np.asarray(mixer.structure.permutation)
        gates = InitialGates(permutation=(idx.shape[0], idx))
    elif mixer.subspace == "one-hot":
        groups = mixer.structure.one_hot_groups
        used = {v for g in groups for v in g}
        gates = InitialGates(groups=tuple(groups),
                             plus=tuple(q for q in range(n) if q not in used))
    else:
        raise OptionError(f"initial state {init.name!r} of mixer {mixer.name!r} has no "
                          "circuit (it is a simulator-only superposition); use "
                          "init_state='empty' or 'greedy' on circuit backends")
    return parts, gates


def _greedy_bits(problem, n: int) -> np.ndarray:
    """The problem's repaired greedy solution: ``repair`` of the all-zero vector."""
    return np.asarray(problem.repair(np.zeros(n, dtype=np.uint8)), dtype=np.uint8)


def _warm_start_bits(solver, problem, cost, rng) -> tuple[np.ndarray, dict]:
    """ws-qaoa: the continuous relaxation of the cost rounded at 1/2 and repaired."""
    from qopt.solvers.quantum.qaoa import continuous_relaxation

    o = solver.options
    c, value = continuous_relaxation(cost, rng, method=o.relaxation, starts=o.relax_starts)
    rounded = (c > 0.5).astype(np.uint8)
    bits = np.asarray(problem.repair(rounded), dtype=np.uint8)
    return bits, {"relaxed_solution": c.tolist(), "relaxed_value": value,
                  "rounded_warm_start": rounded.tolist()}


def _optimum_mask(problem, space, program) -> np.ndarray | None:
    """Subspace states that are feasible and reach the problem's known optimum (chunked)."""
    if problem.optimum is None:
        return None
    hit = np.zeros(space.size, dtype=bool)
    for start in range(0, space.size, _CHUNK):
        idx = np.arange(start, min(space.size, start + _CHUNK))
        X = space.bits(idx)
        ok = np.isclose(problem.evaluate_batch(X), problem.optimum, rtol=1e-9, atol=1e-9)
        if problem.optimum_needs_feasible:
            ok &= problem.violation_batch(X) <= 1e-9
        hit[idx] = ok
    return hit


def plan_subspace(plan, task: Task, mixer_name: str) -> None:
    """Add the feasible-subspace simulator's buffers to ``plan`` where the subspace size is
    known from the structure alone (permutations: m!; one-hot products); independent sets
    and packing-feasible subsets are counted (with a cap) when the simulator is built, which
    refuses before allocating (see :class:`~qopt.backends.subspace.FeasibleSubspace`)."""
    import math

    from qopt.backends.subspace import STATE_BYTES

    n = task.program.num_vars
    mixer = build_mixer(mixer_name, task.problem.constraint_structure(), n)
    if mixer.subspace == "permutation":
        size = math.factorial(int(mixer.structure.permutation.shape[0]))
    elif mixer.subspace == "one-hot":
        groups = mixer.structure.one_hot_groups
        size = math.prod(len(g) for g in groups) * 2 ** (n - sum(len(g) for g in groups))
    else:
        return
    nw = max(1, -(-n // 64))
    plan.add(f"feasible subspace of mixer {mixer.name} ({size:.3g} states: states, cost, "
             "packed bits)", float(size) * (STATE_BYTES + 8 * nw), option="--mixer")


def run_constrained(solver, task: Task, *, backend=None, optimizer=None, seed=None,
                    budget=None) -> SolverOutput:
    """``QAOASolver.run`` with ``options.mixer`` other than ``x`` (module docstring)."""
    from qopt.solvers.quantum.qaoa import (
        Ansatz,
        CircuitEvaluator,
        _is_engine,
        _resolve_backend,
        _Run,
        estimate_shots,
        sample_expectation_and_cvar,
        transfer_schedule,
    )

    o = solver.options
    problem, program = task.problem, task.program
    n = program.num_vars
    shots = final_shots(o.shots, budget)
    rng = rng_from(seed)
    t0 = time.perf_counter()
    mixer = build_mixer(o.mixer, problem.constraint_structure(), n)
    cost = constrained_cost(program, mixer, task.penalty)
    ws_info: dict = {}
    if solver.name == "ws-qaoa":
        if o.init_state != "default":
            raise OptionError(f"ws-qaoa starts from its repaired warm start; init_state="
                              f"{o.init_state!r} is for qaoa, cvar-qaoa and ma-qaoa")
        bits, ws_info = _warm_start_bits(solver, problem, cost, rng)
        init = initial_state(mixer, "greedy", bits)
        init = dataclasses.replace(init, name="warm-start", description=(
            "continuous relaxation rounded at 1/2 and repaired to feasibility (X gates)"))
    else:
        greedy = _greedy_bits(problem, n) if o.init_state == "greedy" else None
        init = initial_state(mixer, o.init_state, greedy)
    ansatz = Ansatz(cost, o.p, solver.multi_angle, None, mixer, init)
    backend = _resolve_backend(backend)
    per_estimate = estimate_shots(backend, shots)
    plan = plan_quantum_budget(budget, o.maxiter, shots=per_estimate, reserved=shots,
                               reserved_for=f"the final samples (shots={shots})")
    context = f"{solver.name} --mixer {mixer.name} on {problem.name}"
    if _is_engine(backend):
        evaluator = SubspaceEvaluator(ansatz, o.alpha, context=context)
    else:
        evaluator = CircuitEvaluator(ansatz, backend, o.alpha, shots=shots, seed=rng)
    t_setup = time.perf_counter() - t0
    run = _Run(o, optimizer, rng, gradients=per_estimate is None)
    run.transfer = transfer_schedule(solver, task, backend=backend, optimizer=optimizer,
                                     seed=seed, budget=budget)
    x, f = run.optimise(ansatz, evaluator, plan.limit)
    if run.transfer is not None:
        ws_info = {**ws_info, "transfer": run.transfer.describe()}
    samples = evaluator.sample(x, shots, rng)
    info = {"mixer": mixer.describe(), "initial_state": init.describe(),
            "penalised_rows": [program.constraint_names[r] for r in range(program.num_constraints)
                               if r not in set(mixer.preserved_rows)],
            "logical_qubits": n, "num_slack": 0}
    if isinstance(evaluator, SubspaceEvaluator):
        expectation, cvar = evaluator.expectation_and_cvar(x)      # the simulator holds x
        hit = _optimum_mask(problem, evaluator.sim.space, program)
        if hit is not None:
            p_exact = float(evaluator.sim.probabilities()[hit].sum())
        e0, c0 = evaluator.initial_expectation()                   # now the initial state
        info.update(subspace_build_time=evaluator.build_time,
                    initial_expectation=e0, initial_cvar=c0, **evaluator.sim.describe())
        if hit is not None:
            info["probability_optimum_exact"] = p_exact
            info["probability_optimum_initial"] = float(
                evaluator.sim.probabilities()[hit].sum())
    else:
        expectation, cvar = sample_expectation_and_cvar(cost, samples, o.alpha)
    w = np.asarray(samples.weights, dtype=float)
    feasible = np.asarray(program.is_feasible(samples.bits), dtype=bool).reshape(-1)
    info["sample_feasible_fraction"] = float(w[feasible].sum() / w.sum())
    out_samples = Samples(task.qubo.complete(samples.bits), samples.weights)
    g, b = ansatz.split(x)
    timing = {"simulation": getattr(evaluator, "simulation_time", 0.0)}
    info.update({"gammas": np.asarray(g).tolist(), "betas": np.asarray(b).tolist(),
                 "params": np.asarray(x).tolist(), "gamma_scale": ansatz.gamma_scale,
                 "objective": f, "expectation": expectation, "cvar": cvar, "alpha": o.alpha,
                 "optimizer": getattr(run.opt, "name", str(run.opt)),
                 "backend": getattr(evaluator, "name", "subspace"), "setup_time": t_setup,
                 "circuit_evaluations": run.evaluations, **ws_info})
    measured = shots + run.evaluations * (per_estimate or 0)
    return SolverOutput(samples=out_samples, status=run.status,
                        evaluations=plan.charged(run.evaluations, shots), shots=measured,
                        history=run.history, num_qubits=n, depth=None,
                        two_qubit_gates=None, time=timing, info=info)
