"""The QAOA run with a constraint-preserving mixer (``mixer=`` other than ``x``):
:class:`ConstrainedRun`, the hooks of :class:`~qopt.solvers.quantum.qaoa_run.QAOARun` it changes.

The ansatz acts on the program's n logical variables (no slack qubits) with the mixer of
:mod:`qopt.solvers.quantum.mixers` and its initial state; the cost is
:func:`~qopt.solvers.quantum.qaoa_subspace.constrained_cost`. Backend ``None`` /
``"statevector"`` runs it on the feasible-subspace simulator; any other backend runs the
mixer's circuit (:mod:`qopt.solvers.quantum.mixer_circuits`; the capacity mixer has none and
is refused there). Final samples are n-bit program rows, completed with their best slack bits
so the toolkit's QUBO-based reporting works unchanged.

``info`` gains: ``mixer`` (name, partial mixers, subspace kind, preserved rows),
``cost_degree`` and ``constraints`` of this cost (each row penalised or "preserved by the
<mixer> mixer"; no quadratisation: the subspace evaluates terms of any degree),
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

import numpy as np

from qopt.errors import OptionError
from qopt.samples import Samples
from qopt.solvers.base import Task
from qopt.solvers.quantum.concentration import concentration
from qopt.solvers.quantum.mixer_order import mixer_orders
from qopt.solvers.quantum.mixers import build_mixer, initial_state
from qopt.solvers.quantum.qaoa_ansatz import Ansatz
from qopt.solvers.quantum.qaoa_evaluators import CircuitEvaluator, is_engine
from qopt.solvers.quantum.qaoa_run import QAOARun, optimum_mask, sample_expectation_and_cvar
from qopt.solvers.quantum.qaoa_subspace import SubspaceEvaluator, constrained_cost


class ConstrainedRun(QAOARun):
    """QAOA with ``options.mixer`` other than ``x`` on the program's variables (module doc)."""

    default_backend_name = "subspace"

    def check(self) -> None:
        """Nothing beyond the mixer's own checks (made when it is built)."""

    def build_cost(self):
        """The program's objective plus penalties of the rows the mixer does not preserve,
        over its n variables (:func:`~qopt.solvers.quantum.qaoa_subspace.constrained_cost`)."""
        problem, program = self.task.problem, self.task.program
        self.mixer = build_mixer(self.o.mixer, problem.constraint_structure(), program.num_vars)
        cost = constrained_cost(program, self.mixer, self.task.penalty)
        self.info.update(cost.describe())     # this cost, not the Task's QUBO, is the one run
        return cost

    def build_ansatz(self, cost) -> Ansatz:
        """The mixer's ansatz from its initial state (ws-qaoa: the repaired rounded
        relaxation; init_state="greedy": the problem's repaired greedy solution)."""
        o, problem, mixer = self.o, self.task.problem, self.mixer
        n = self.task.program.num_vars
        if getattr(self.solver, "warm_start", False):
            from qopt.solvers.quantum.warm_start import rounded_warm_start

            if o.init_state != "default":
                raise OptionError(f"ws-qaoa starts from its repaired warm start; init_state="
                                  f"{o.init_state!r} is for qaoa, cvar-qaoa and ma-qaoa")
            bits, ws_info = rounded_warm_start(problem, cost, self.rng, o)
            init = initial_state(mixer, "greedy", bits)
            init = dataclasses.replace(init, name="warm-start", description=(
                "continuous relaxation rounded at 1/2 and repaired to feasibility (X gates)"))
        else:
            greedy = _greedy_bits(problem, n) if o.init_state == "greedy" else None
            init, ws_info = initial_state(mixer, o.init_state, greedy), {}
        program = self.task.program
        self.info.update({
            "mixer": mixer.describe(), "initial_state": init.describe(),
            "penalised_rows": [program.constraint_names[r] for r in range(program.num_constraints)
                               if r not in set(mixer.preserved_rows)],
            "logical_qubits": n, "num_slack": 0, **ws_info})
        return Ansatz(cost, o.p, self.solver.multi_angle, None, mixer, init)

    def build_evaluator(self, ansatz: Ansatz):
        """The feasible-subspace simulator on the engine spec (partial mixers in the
        per-layer order of ``mixer_order``), else the mixer's circuit."""
        self.orders = mixer_orders(self.o.mixer_order, self.o.p, self.mixer.num_partials,
                                   self.rng)
        if is_engine(self.backend):
            context = f"{self.solver.name} --mixer {self.mixer.name} on {self.task.problem.name}"
            evaluator = SubspaceEvaluator(ansatz, self.o.alpha, context=context)
            evaluator.sim.orders = self.orders
            return evaluator
        if self.orders is not None:
            raise OptionError(f"mixer_order={self.o.mixer_order!r} runs on the feasible-"
                              "subspace simulator only (circuits apply the fixed order)")
        return CircuitEvaluator(ansatz, self.backend, self.o.alpha, shots=self.shots,
                                seed=self.rng)

    def diagnostics(self, evaluator, x, samples: Samples) -> dict:
        """Expectation and CVaR; on the simulator also the subspace, the initial state's
        values and the exact probability of an optimal solution now and initially; the share
        of final samples satisfying every row."""
        out: dict = {}
        if isinstance(evaluator, SubspaceEvaluator):
            e, c = evaluator.expectation_and_cvar(x)          # the simulator holds x
            out.update(concentration(evaluator._probabilities()))
            if self.orders is not None:
                out.update(mixer_order=self.o.mixer_order, mixer_orders=self.orders.tolist())
            hit = optimum_mask(self.task.problem, evaluator)
            p_exact = None if hit is None else float(evaluator._probabilities()[hit].sum())
            e0, c0 = evaluator.initial_expectation()          # now the initial state
            out.update(subspace_build_time=evaluator.build_time, initial_expectation=e0,
                       initial_cvar=c0, expectation_exact=True,
                       **evaluator.sim.describe())
            if hit is not None:
                out["probability_optimum_exact"] = p_exact
                out["probability_optimum_initial"] = float(evaluator._probabilities()[hit].sum())
        elif self.final is not None:      # mitigated device run: the quasi-distribution's
            e, c = self.final.expectation, self.final.cvar
        else:
            e, c = sample_expectation_and_cvar(evaluator.ansatz.qubo, samples, self.o.alpha)
        w = np.asarray(samples.weights, dtype=float)
        feasible = np.asarray(self.task.program.is_feasible(samples.bits), dtype=bool)
        out["sample_feasible_fraction"] = float(w[feasible.reshape(-1)].sum() / w.sum())
        return {"expectation": e, "cvar": c, **out}

    def output_samples(self, samples: Samples) -> Samples:
        """n-bit program rows completed with their best slack bits (QUBO rows)."""
        return Samples(self.task.qubo.complete(samples.bits), samples.weights)

    def resources(self, ansatz: Ansatz) -> dict:
        """n logical qubits; depth and two-qubit gates only from a circuit backend's usage."""
        return {"num_qubits": ansatz.n, "depth": None, "two_qubit_gates": None}


def _greedy_bits(problem, n: int) -> np.ndarray:
    """The problem's repaired greedy solution: ``repair`` of the all-zero vector."""
    return np.asarray(problem.repair(np.zeros(n, dtype=np.uint8)), dtype=np.uint8)


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


__all__ = ["ConstrainedRun", "plan_subspace"]
