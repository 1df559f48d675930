"""Genetic algorithms through the black-box view, on pymoo's GA loop written on whole arrays
(:mod:`qopt.solvers.classical.array_ga`, which says why):

* binary GA: random bits (or the problem's repair of them), uniform or two-point crossover,
  bit-flip mutation (rate 1/n by default), then the problem's repair operator; bits stay bits.
* permutation GA (problems whose bits one-hot encode a permutation, e.g. QAP): random
  permutations, order crossover (OX), swap and/or inversion mutation; every candidate is a
  valid permutation, encoded back to bits for evaluation.

Feasibility first, then objective (pymoo's constraint handling) ranks the population;
the objective is the problem's minimisation objective and the single inequality constraint
is its total violation. Every objective evaluation goes through :class:`BlackBox`, whose
counter stops the run exactly at the budget (the last generation is truncated if needed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qopt.errors import OptionError
from qopt.solvers.base import Solver, SolverOutput, Task, rng_from
from qopt.solvers.classical.array_ga import ArrayGA, crossover, order_crossover
from qopt.solvers.classical.blackbox import BlackBox, random_permutations, solver_output
from qopt.solvers.plans import add_blackbox, add_population

_ENCODINGS = ("auto", "binary", "permutation")
_CROSSOVERS = {"binary": ("uniform", "two-point"), "permutation": ("order",)}
_MUTATIONS = {"binary": ("bitflip",), "permutation": ("swap", "inversion", "mixed")}


@dataclass
class GAOptions:
    """Options of ``ga``.

    Attributes:
        pop_size: population size (also the number of offspring per generation).
        genome: "auto" (permutation when the problem encodes one, else binary), "binary"
            or "permutation" (named apart from ``qopt.solve``'s QUBO ``encoding``).
        crossover: "auto", binary "uniform" / "two-point", permutation "order".
        crossover_prob: probability that a mating pair is crossed over.
        mutation: "auto", binary "bitflip", permutation "swap" / "inversion" / "mixed"
            (each mutated individual gets a swap or an inversion at random).
        mutation_rate: binary: probability of flipping each bit (default 1/n); permutation:
            probability of mutating each offspring (default 0.9).
        repair: apply the problem's repair operator to every new binary candidate.
        eliminate_duplicates: drop duplicate offspring before evaluation.
        max_mating_rounds: mating rounds used at most to fill one generation with new
            (non-duplicate) offspring.
        restart_fraction: restart from a fresh random population (keeping the best genome)
            when a generation yields fewer than this fraction of ``pop_size`` new offspring;
            0 disables restarts.
    """

    pop_size: int = 100
    genome: str = "auto"
    crossover: str = "auto"
    crossover_prob: float = 0.9
    mutation: str = "auto"
    mutation_rate: float | None = None
    repair: bool = True
    eliminate_duplicates: bool = True
    max_mating_rounds: int = 2
    restart_fraction: float = 0.25

    def validate(self) -> None:
        if self.pop_size < 2:
            raise OptionError(f"pop_size must be >= 2, got {self.pop_size}")
        if self.genome not in _ENCODINGS:
            raise OptionError(f"genome must be one of {_ENCODINGS}, got {self.genome!r}")
        known_x = ("auto", *_CROSSOVERS["binary"], *_CROSSOVERS["permutation"])
        if self.crossover not in known_x:
            raise OptionError(f"crossover must be one of {known_x}, got {self.crossover!r}")
        known_m = ("auto", *_MUTATIONS["binary"], *_MUTATIONS["permutation"])
        if self.mutation not in known_m:
            raise OptionError(f"mutation must be one of {known_m}, got {self.mutation!r}")
        if self.max_mating_rounds < 1:
            raise OptionError(f"max_mating_rounds must be >= 1, got {self.max_mating_rounds}")
        if not 0.0 <= self.restart_fraction < 1.0:
            raise OptionError(f"restart_fraction must be in [0, 1), got {self.restart_fraction}")
        if not 0.0 <= self.crossover_prob <= 1.0:
            raise OptionError(f"crossover_prob must be in [0, 1], got {self.crossover_prob}")
        if self.mutation_rate is not None and not 0.0 < self.mutation_rate <= 1.0:
            raise OptionError(f"mutation_rate must be in (0, 1], got {self.mutation_rate}")


def swap_mutation(P: np.ndarray, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Swap two distinct random positions in each selected row of P, shape (k, m); vectorised."""
    P = P.copy()
    r = np.flatnonzero(rows)
    if r.size == 0 or P.shape[1] < 2:
        return P
    m = P.shape[1]
    i = rng.integers(0, m, r.size)
    j = (i + rng.integers(1, m, r.size)) % m  # j != i
    P[r, i], P[r, j] = P[r, j], P[r, i]
    return P


def inversion_mutation(P: np.ndarray, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Reverse a random segment [a, b] (a < b) of each selected row of P; vectorised."""
    P = P.copy()
    r = np.flatnonzero(rows)
    m = P.shape[1]
    if r.size == 0 or m < 2:
        return P
    a = rng.integers(0, m, r.size)
    b = (a + rng.integers(1, m, r.size)) % m
    a, b = np.minimum(a, b), np.maximum(a, b)
    pos = np.arange(m)[None, :]
    inside = (pos >= a[:, None]) & (pos <= b[:, None])
    src = np.where(inside, a[:, None] + b[:, None] - pos, pos)  # mirrored index in the segment
    P[r] = np.take_along_axis(P[r], src, axis=1)
    return P


def permutation_mutation(P: np.ndarray, kind: str, prob: float,
                         rng: np.random.Generator) -> np.ndarray:
    """Mutate each row with probability ``prob`` by a swap, an inversion or ("mixed") either."""
    rows = rng.random(len(P)) < prob
    if kind == "swap":
        return swap_mutation(P, rows, rng)
    if kind == "inversion":
        return inversion_mutation(P, rows, rng)
    use_swap = rng.random(len(P)) < 0.5
    return inversion_mutation(swap_mutation(P, rows & use_swap, rng), rows & ~use_swap, rng)


class GASolver(Solver):
    """Binary or permutation genetic algorithm (pymoo's ``GA`` on arrays) under the budget."""

    name = "ga"
    input = "problem"
    Options = GAOptions

    def plan_resources(self, plan, task, *, backend=None, optimizer=None, budget=None):
        """The budget's time and the population (``--pop-size``): parents and offspring as
        bit rows and float draws, plus per-row keys and bookkeeping."""
        n = int(task.problem.num_vars)
        add_blackbox(plan, n, budget)
        add_population(plan, int(self.options.pop_size), n, "--pop-size",
                       "population and offspring", per_row=2048)

    def run(self, task: Task, *, backend=None, optimizer=None, seed: int | None = None,
            budget: int | None = None) -> SolverOutput:
        o: GAOptions = self.options
        bb = BlackBox(task.problem, budget)
        encoding = resolve_encoding(o.genome, bb)
        crossover = o.crossover if o.crossover != "auto" else _CROSSOVERS[encoding][0]
        mutation = o.mutation if o.mutation != "auto" else _MUTATIONS[encoding][-1]
        if crossover not in _CROSSOVERS[encoding]:
            raise OptionError(f"crossover {crossover!r} does not apply to the {encoding} "
                              f"encoding; use one of {_CROSSOVERS[encoding]}")
        if mutation not in _MUTATIONS[encoding]:
            raise OptionError(f"mutation {mutation!r} does not apply to the {encoding} "
                              f"encoding; use one of {_MUTATIONS[encoding]}")
        rng = rng_from(seed)
        m = bb.permutation_size
        if encoding == "permutation" and m < 2:
            # a single permutation: nothing to evolve (order crossover needs two genes)
            bb.evaluate_upto(bb.encode_permutations(np.zeros((1, m), dtype=np.int64)))
            return solver_output(bb, info={"encoding": encoding, "crossover": crossover,
                                           "mutation": mutation, "generations": 0,
                                           "restarts": 0})
        generations, restarts = _evolve(bb, rng, o, encoding, crossover, mutation)
        return solver_output(bb, info={"encoding": encoding, "crossover": crossover,
                                       "mutation": mutation, "generations": generations,
                                       "restarts": restarts})


def _operators(bb: BlackBox, rng: np.random.Generator, o: GAOptions, encoding: str,
               crossover_kind: str, mutation: str):
    """(vary, sample, to_bits) of one encoding for :class:`ArrayGA`."""
    repair = o.repair and bb.has_repair
    if encoding == "binary":
        rate = o.mutation_rate if o.mutation_rate is not None else 1.0 / max(bb.num_vars, 1)

        def fix(X):
            return bb.repair(X).astype(bool) if repair else X

        def vary(P1, P2):
            kids = crossover(rng, P1, P2, crossover_kind, o.crossover_prob)
            return fix(kids ^ (rng.random(kids.shape) < rate))

        def sample(k):
            return fix(rng.random((k, bb.num_vars)) < 0.5)

        return vary, sample, lambda X: X.astype(np.uint8)
    m = bb.permutation_size
    rate = 0.9 if o.mutation_rate is None else o.mutation_rate

    def vary_perm(P1, P2):
        kids = order_crossover(rng, P1, P2, o.crossover_prob)
        return permutation_mutation(kids, mutation, rate, rng)

    return vary_perm, lambda k: random_permutations(rng, k, m), bb.encode_permutations


def _evolve(bb: BlackBox, rng: np.random.Generator, o: GAOptions, encoding: str,
            crossover_kind: str, mutation: str) -> tuple[int, int]:
    """The GA (:mod:`qopt.solvers.classical.array_ga`) until the budget is spent; returns
    (generations, restarts). A generation yielding fewer than ``restart_fraction x pop_size``
    new offspring restarts the population (fresh genomes) around the best one."""
    vary, sample, to_bits = _operators(bb, rng, o, encoding, crossover_kind, mutation)
    ga = ArrayGA(rng, pop_size=o.pop_size, vary=vary, sample=sample,
                 eliminate_duplicates=o.eliminate_duplicates,
                 max_mating_rounds=o.max_mating_rounds)
    stall = max(1, int(o.restart_fraction * o.pop_size))
    X, fresh = ga.initial(), True
    generations = restarts = 0
    while not bb.exhausted:
        if X is None:
            X = ga.offspring()
            if len(X) < stall and not fresh and o.restart_fraction > 0:
                # converged: the population breeds (almost) only duplicates; start afresh
                X = ga.initial(keep=ga.pop[:1])
                restarts += 1
                fresh = True
                continue
        if len(X) == 0:
            break
        bits = to_bits(X)
        if len(bits) > bb.remaining:
            bb.evaluate_upto(bits)  # the last, truncated generation: counted, not told
            break
        f, v = bb.evaluate(bits)
        ga.tell(X, f, v)
        generations += 1
        fresh = False
        X = None
    return generations, restarts


def resolve_encoding(encoding: str, bb: BlackBox) -> str:
    """"auto" -> "permutation" when the problem encodes a permutation, else "binary"."""
    if encoding == "auto":
        return "permutation" if bb.permutation_size is not None else "binary"
    if encoding == "permutation" and bb.permutation_size is None:
        raise OptionError("genome='permutation' needs a problem whose bits encode a "
                          "permutation (Problem.permutation_size() is None)")
    return encoding
