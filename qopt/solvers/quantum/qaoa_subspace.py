"""Constraint-preserving QAOA: the cost on the logical variables and the subspace evaluator.

With a mixer other than ``x`` (:mod:`qopt.solvers.quantum.mixers`) QAOA runs on the
program's own n variables (no slack qubits). The cost Hamiltonian is the program objective
(as minimisation) plus penalties only for the rows the mixer does not preserve
(:func:`constrained_cost`; equality rows as exact squares, inequality rows with the
slack-free unbalanced penalty, "at most one" rows as exact pair terms). It runs on the
feasible-subspace simulator (:mod:`qopt.backends.subspace`) through
:class:`SubspaceEvaluator`, which has the narrow evaluator interface of the engine
(``value``, ``value_and_grad``, ``sample``, ``z_correlators``, ``expectation_and_cvar``), so
optimizers, budgets and CVaR work unchanged.
"""

from __future__ import annotations

import time

import numpy as np

from qopt.errors import OptionError
from qopt.model.program import BinaryProgram
from qopt.samples import Samples
from qopt.solvers.quantum.mixers import Mixer, build_mixer, initial_state
from qopt.solvers.quantum.qaoa_evaluators import ExactEvaluator


def constrained_cost(program: BinaryProgram, mixer: Mixer, penalty="auto"):
    """QUBO (or HUBO, when the objective has terms of degree >= 3) over the program's n
    variables: objective (minimisation form) plus penalties of the rows the mixer does not
    preserve (see module docstring). ``penalty`` as for the QUBO conversion (weights of the
    kept rows by name, number or "auto"). No auxiliary bits: the cost is evaluated on the
    subspace's states directly. Kept rows must be linear (a polynomial row is refused).
    ``constraint_handling`` names every row of the program: how a kept row is penalised, or
    ``"preserved by the <mixer> mixer"``."""
    from qopt.model.convert import program_to_hubo
    from qopt.model.penalty import resolve_penalties

    kept = [r for r in range(program.num_constraints) if r not in set(mixer.preserved_rows)]
    poly = [r for r in kept if r in program.row_terms]
    if poly:
        raise OptionError(f"constraint {program.constraint_names[poly[0]]!r} is not linear; the "
                          f"{mixer.name!r} mixer penalises linear rows only (use mixer='x')")
    sub = objective_program(program)
    if kept:
        weights = resolve_penalties(program, penalty)[kept]
        A = program.A[kept]
        for k, r in enumerate(kept):
            sub.add_constraint(A.getrow(k).toarray().ravel(), program.constraint_senses[r],
                               program.rhs_list[r], program.constraint_names[r])
        cost = program_to_hubo(sub, penalty=list(weights), encoding="unbalanced")
    else:
        cost = program_to_hubo(sub, penalty="auto")
    kept_as = cost.constraint_handling
    cost.constraint_handling = {
        name: kept_as.get(name, f"preserved by the {mixer.name} mixer")
        for name in program.constraint_names}
    return cost


def objective_program(program: BinaryProgram) -> BinaryProgram:
    """The program's objective alone (no rows): its QUBO / HUBO form is the objective in
    minimisation form."""
    from qopt.model.poly import group_to_mapping

    return BinaryProgram(program.num_vars, program.linear, program.quadratic, program.offset,
                         program.sense, program.var_names, program.name,
                         terms=group_to_mapping(program.terms) if program.terms else None)


def subspace_energies(space, cost) -> np.ndarray:
    """Energy of each subspace state under ``cost`` (QUBO or HUBO over the n variables),
    shape (size,): the simulator's quadratic energies plus every term of degree >= 3 (one
    vectorised pass over the states per term)."""
    out = space.energies(cost)
    for idx, coef in getattr(cost, "terms", {}).values():
        masks = space.term_masks([tuple(int(i) for i in row) for row in idx])
        for t in range(len(coef)):
            hit = np.all((space.words & masks[t]) == masks[t], axis=1)
            out += float(coef[t]) * hit
    return out


def setup_constrained(problem, mixer_name: str, init_name: str = "default", greedy_bits=None):
    """(mixer, initial state) of ``problem`` for ``mixer_name`` / ``init_name``."""
    program = problem.to_program()
    structure = problem.constraint_structure()
    mixer = build_mixer(mixer_name, structure, program.num_vars)
    init = initial_state(mixer, init_name, greedy_bits)
    return mixer, init


#: feasible states per kernel thread: smaller spaces run on fewer threads
STATES_PER_THREAD = 1 << 14


class SubspaceEvaluator(ExactEvaluator):
    """The ansatz (with ``ansatz.mixer`` and ``ansatz.init``) on the feasible-subspace
    simulator: exact values, adjoint gradients (every gamma and every beta)."""

    name = "subspace"

    def __init__(self, ansatz, alpha: float = 1.0, *, memory_limit: int | None = None,
                 context: str = "qaoa", threads: int | None = None):
        from qopt.backends.subspace import (
            FeasibleSubspace,
            SubspaceSimulator,
            default_threads,
            kernel_threads,
        )

        self.ansatz = ansatz
        self.alpha = float(alpha)
        self.qubo = ansatz.qubo
        #: kernel threads of every call (None: qopt.threads.current(), the solve's count)
        self.threads = default_threads() if threads is None else int(threads)
        self._kernel_threads = kernel_threads
        t0 = time.perf_counter()
        with kernel_threads(self.threads):
            space = FeasibleSubspace.build(ansatz.mixer, limit=memory_limit, context=context)
            self.sim = SubspaceSimulator(space, ansatz.init)
            self.diag = subspace_energies(space, self.qubo)
        self.sim.use_levels(self.diag)
        # a parallel region costs more than a small state's pass: one thread per
        # STATES_PER_THREAD states (262 states on 2 threads ran 6-30x slower than on one
        # when the other core was busy)
        self.threads = max(1, min(self.threads, self.size // STATES_PER_THREAD))
        self._order = np.argsort(self.diag, kind="stable") if self.alpha < 1 else None
        if ansatz.multi_angle:
            self._masks = space.term_masks(ansatz.terms)
            self._coeffs = np.asarray(ansatz.coeffs, dtype=float)
        self.build_time = time.perf_counter() - t0
        self.simulation_time = 0.0

    @property
    def size(self) -> int:
        return self.sim.size

    def _layers(self, x):
        """(diags, gammas, betas (p, K)) of normalised parameters x."""
        from qopt.backends import subspace_kernels as K

        a = self.ansatz
        g, b = a.split(x)
        if not a.multi_angle:
            return self.diag, g, np.repeat(np.asarray(b)[:, None], a.num_partials, 1)
        diags = []
        for layer in range(a.p):
            d = np.empty(self.size)
            K.z_term_values(self.sim.space.words, self._masks, g[layer] * self._coeffs, d)
            diags.append(d)
        return diags, None, b

    def state(self, x):
        with self._kernel_threads(self.threads):
            diags, g, b = self._layers(x)
            return self.sim.qaoa_state(diags, g, b)

    def space_bits(self, idx) -> np.ndarray:
        return self.sim.space.bits(np.asarray(idx, dtype=np.int64))

    def _probabilities(self) -> np.ndarray:
        return self.sim.probabilities()

    def _objective(self) -> tuple[float, np.ndarray]:
        if self.alpha >= 1.0:
            return self.sim.expectation(self.diag), self.diag
        return self.sim.cvar_weights(self.diag, self.alpha, self._order)

    def value(self, x) -> float:
        with self._kernel_threads(self.threads):
            return super().value(x)

    def value_and_grad(self, x) -> tuple[float, np.ndarray]:
        t0 = time.perf_counter()
        a = self.ansatz
        with self._kernel_threads(self.threads):
            diags, g, b = self._layers(x)
            self.sim.qaoa_state(diags, g, b)
            val, obs = self._objective()
            if a.multi_angle:
                dg, db = self.sim.gradient(obs, diags, g, b, term_masks=self._masks,
                                           term_coeffs=self._coeffs)
                grad = np.concatenate([(dg * a.gamma_scale).ravel(), db.ravel()])
            else:
                dg, db = self.sim.gradient(obs, diags, g, b)
                grad = np.concatenate([dg * a.gamma_scale, db.sum(axis=1)])
        self.simulation_time += time.perf_counter() - t0
        return float(val), grad

    @property
    def threads_in_use(self) -> int:
        """Threads the simulator's kernels run on (``info["threads"]``)."""
        return self.threads

    def sample(self, x, shots: int, rng) -> Samples:
        self.state(x)
        bits, counts = self.sim.sample(shots, rng)
        return Samples(bits, counts.astype(float))

    def z_correlators(self, x, masks) -> np.ndarray:
        self.state(x)
        n = self.ansatz.n
        terms = [tuple(q for q in range(n) if (int(m) >> q) & 1) for m in masks]
        return self.sim.z_expectations(terms)

    def _expectation_and_cvar(self) -> tuple[float, float]:
        """(expectation, CVaR) of the simulator's current state."""
        e = self.sim.expectation(self.diag)
        c = self.sim.cvar_weights(self.diag, self.alpha, self._order)[0] \
            if self.alpha < 1 else e
        return e, c

    def expectation_and_cvar(self, x) -> tuple[float, float]:
        self.state(x)
        return self._expectation_and_cvar()

    def initial_expectation(self) -> tuple[float, float]:
        """(expectation, CVaR) of the initial state (p = 0)."""
        self.sim.reset()
        return self._expectation_and_cvar()
