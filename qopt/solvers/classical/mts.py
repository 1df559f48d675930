"""Memetic tabu search (MTS) for LABS: the classical anchor of the QAOA scaling results.

The algorithm of Gallardo, Cotta and Fernandez, "Finding low autocorrelation binary sequences
with memetic algorithms", Applied Soft Computing 9, 1252 (2009), as run by Shaydulin et al.,
Science Advances 10, eadm6761 (2024) (TTS ~ 1.34^N, their Fig. 3, from Bošković et al. 2017):

* a population of ``population`` random sequences, each improved by one tabu search;
* each generation makes one child: with probability ``crossover_rate`` the one-point crossover
  (cut uniform in 1..N-1) of two parents picked by binary tournament, else a copy of one
  parent; each bit of the child is flipped with probability ``mutation_rate`` (default 1/N);
  the child is improved by tabu search and replaces a random member of the population unless
  it is already a member (the population stays free of duplicates, which keeps it diverse:
  without that rule it collapses onto copies of one local optimum and the time to solution
  gets a tail hundreds of times the median; the best sequence found is kept apart and
  returned);
* tabu search: ``T`` iterations, T drawn uniformly in [N/2, 3N/2] per call; each iteration
  evaluates all N single flips and makes the best admissible one (ties: lowest index); a flipped
  position stays tabu for a tenure drawn in [0.1 T, 0.12 T] (at least 1); a tabu flip is
  admissible when it beats the best energy of this search (aspiration). The search returns the
  best sequence it met.

Energy of a flip in O(N) (the correlation-table trick): with ``C_k`` the autocorrelations of s,
flipping s_i changes C_k by ``d_k = -2 s_i (s_{i+k} + s_{i-k})`` (a term only where the index
is inside 0..N-1), so ``E' = E + sum_k d_k (2 C_k + d_k)``; a made move updates C in O(N).
One iteration is thus O(N^2), compiled with numba.

Budget, in the unit of every solver (:mod:`qopt.solvers.budget`): one evaluated flip = one
evaluation; each sequence whose energy is computed in full (an initial member, a child before
its tabu search) costs one. With ``budget=B`` the run stops after exactly B evaluations (the
last iteration scans only a prefix of the flips; members of the initial population the budget
did not reach are neither evaluated nor returned); without one it runs ``generations``
generations. It also stops as soon as it reaches ``target_energy`` (default: the problem's
proven optimum when known; None: never early), whether a tabu move or a sequence's own energy
reaches it. ``info`` reports the evaluations and seconds to the target (the time to solution).

Why LABS only: the O(N) flip energy is the autocorrelation structure; on any other spin or
HUBO problem ``tabu`` and ``anneal`` (local fields of any order) do the same search. The
skew-symmetric reduction is not searched (a flip there moves two positions); MTS searches the
full sequence, where the skew-symmetric optima are included.

Same seed, same result: the kernel draws from numba's generator seeded from ``seed``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numba import njit

from qopt import compilation
from qopt.errors import OptionError
from qopt.resources import ResourcePlan
from qopt.solvers.base import Samples, Solver, SolverOutput, Task, rng_from


@dataclass
class MTSOptions:
    """Options of memetic tabu search.

    Attributes:
        population: sequences kept (Gallardo et al.: 100).
        crossover_rate: probability a child is a crossover of two parents (0.9).
        mutation_rate: per-bit flip probability of a child (None: 1 / N).
        generations: children made when no ``budget`` is given.
        target_energy: stop on reaching this energy; ``"optimum"`` (default) the problem's proven
            optimum when known, None never early.
        tabu_min, tabu_max: tabu iterations per search drawn in [tabu_min N, tabu_max N]
            (0.5, 1.5).
    """

    population: int = 100
    crossover_rate: float = 0.9
    mutation_rate: float | None = None
    generations: int = 1_000_000
    target_energy: float | str | None = "optimum"
    tabu_min: float = 0.5
    tabu_max: float = 1.5

    def validate(self) -> None:
        for name in ("population", "generations"):
            v = getattr(self, name)
            if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < 1:
                raise OptionError(f"{name} must be a positive integer, got {v!r}")
        if self.population < 2:
            raise OptionError(f"population must be at least 2, got {self.population}")
        rates = [("crossover_rate", self.crossover_rate)]
        if self.mutation_rate is not None:
            rates.append(("mutation_rate", self.mutation_rate))
        for name, v in rates:
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1:
                raise OptionError(f"{name} must be a number in [0, 1], got {v!r}")
        for name in ("tabu_min", "tabu_max"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v <= 100:
                raise OptionError(f"{name} must be a number in (0, 100], got {v!r}")
        if self.tabu_min > self.tabu_max:
            raise OptionError(f"tabu_min ({self.tabu_min}) exceeds tabu_max ({self.tabu_max})")
        t = self.target_energy
        if not (t is None or t == "optimum" or (isinstance(t, int | float)
                                                  and not isinstance(t, bool) and t == t)):
            raise OptionError(f"target_energy must be a number, 'optimum' or None, got {t!r}")


@njit(cache=True)
def _correlations(s, C):
    n = s.shape[0]
    e = 0
    for k in range(1, n):
        c = 0
        for i in range(n - k):
            c += s[i] * s[i + k]
        C[k] = c
        e += c * c
    return e


@njit(cache=True, inline="always")
def _pair_sum(s, i, k, n):
    """``s_{i+k} + s_{i-k}`` (a term only where the index is inside 0..n-1)."""
    d = 0
    if i + k < n:
        d += s[i + k]
    if i - k >= 0:
        d += s[i - k]
    return d


@njit(cache=True)
def _flip_delta(s, C, i):
    """Energy change of flipping s_i (O(N))."""
    n = s.shape[0]
    si = s[i]
    d_e = 0
    for k in range(1, n):
        d = _pair_sum(s, i, k, n)
        if d != 0:
            d = -2 * si * d
            d_e += d * (2 * C[k] + d)
    return d_e


@njit(cache=True)
def _apply_flip(s, C, i):
    n = s.shape[0]
    si = s[i]
    for k in range(1, n):
        C[k] -= 2 * si * _pair_sum(s, i, k, n)
    s[i] = -si


@njit(cache=True)
def _tabu_search(s, C, best_s, tabu, tmin, tmax, total, target, stats):
    """Tabu search from s (improved in place to its best); returns its best energy. ``stats`` =
    [evaluations so far, evaluations at target (-1: not yet)], updated here: the start
    sequence's energy costs one (the caller checks one is left), each scanned flip one, never
    past ``total``; reaching ``target`` (by the start sequence itself too) is recorded."""
    n = s.shape[0]
    energy = _correlations(s, C)
    stats[0] += 1
    if energy <= target and stats[1] < 0:
        stats[1] = stats[0]
    best_e = energy
    best_s[:] = s
    lo = max(1, int(tmin * n))
    hi = max(lo, int(tmax * n))
    iters = np.random.randint(lo, hi + 1)
    ten_lo = max(1, int(0.1 * iters))
    ten_hi = max(ten_lo, int(0.12 * iters))
    tabu[:] = 0
    for it in range(1, iters + 1):
        if stats[0] >= total or best_e <= target:
            break
        scan = min(n, total - stats[0])
        move, move_e = -1, 0
        for i in range(scan):
            e_i = energy + _flip_delta(s, C, i)
            if tabu[i] >= it and e_i >= best_e:
                continue
            if move < 0 or e_i < move_e:
                move, move_e = i, e_i
        stats[0] += scan
        if move < 0:
            continue
        _apply_flip(s, C, move)
        energy = move_e
        tabu[move] = it + np.random.randint(ten_lo, ten_hi + 1)
        if energy < best_e:
            best_e = energy
            best_s[:] = s
            if energy <= target and stats[1] < 0:
                stats[1] = stats[0]
    s[:] = best_s
    return best_e


@njit(cache=True)
def _in_population(pop, energies, child, e):
    """Whether ``child`` (energy e) is already a member (compared only where energies tie)."""
    for q in range(pop.shape[0]):
        if energies[q] == e:
            same = True
            for i in range(child.shape[0]):
                if pop[q, i] != child[i]:
                    same = False
                    break
            if same:
                return True
    return False


@njit(cache=True)
def _mts(n, pop_size, pc, pm, generations, total, target, tmin, tmax, seed, pop, energies,
         stats):
    """The memetic loop; returns (generations made, members evaluated: the first rows of
    ``pop`` / ``energies``, all of them unless the budget or the target ended the initial
    population early). ``stats``: [evaluations spent, evaluations at target or -1]."""
    np.random.seed(seed)
    C = np.zeros(n, dtype=np.int64)
    best_s = np.empty(n, dtype=np.int64)
    tabu = np.zeros(n, dtype=np.int64)
    child = np.empty(n, dtype=np.int64)
    for p in range(pop_size):
        for i in range(n):
            pop[p, i] = 1 if np.random.random() < 0.5 else -1
    members = 0                        # members evaluated (and improved)
    for p in range(pop_size):
        if stats[0] >= total or stats[1] >= 0:     # out of budget or done: no more work
            break
        energies[p] = _tabu_search(pop[p], C, best_s, tabu, tmin, tmax, total, target, stats)
        members += 1
    best_e = energies[:members].min()
    keep = pop[np.argmin(energies[:members])].copy()
    made = 0
    while made < generations and stats[0] < total and stats[1] < 0:
        a = np.random.randint(pop_size)
        b = np.random.randint(pop_size)
        pa = a if energies[a] <= energies[b] else b
        if np.random.random() < pc:
            a = np.random.randint(pop_size)
            b = np.random.randint(pop_size)
            pb = a if energies[a] <= energies[b] else b
            cut = np.random.randint(1, n)          # one-point crossover
            child[:cut] = pop[pa, :cut]
            child[cut:] = pop[pb, cut:]
        else:
            child[:] = pop[pa]
        for i in range(n):
            if np.random.random() < pm:
                child[i] = -child[i]
        e = _tabu_search(child, C, best_s, tabu, tmin, tmax, total, target, stats)
        if e < best_e:
            best_e = e
            keep[:] = child
        if not _in_population(pop, energies, child, e):
            r = np.random.randint(pop_size)      # the child replaces a random member
            pop[r] = child
            energies[r] = e
        made += 1
    r = 0                                        # the best found is always returned
    for p in range(1, members):
        if energies[p] > energies[r]:
            r = p
    if best_e < energies[:members].min():
        pop[r] = keep
        energies[r] = best_e
    return made, members


class MTSSolver(Solver):
    """Memetic tabu search on a LABS problem (see module docstring); returns the final
    population as samples (bits ``(1 - s) / 2``)."""

    name = "mts"
    input = "problem"
    Options = MTSOptions

    def _check(self, task: Task):
        p = task.problem                     # by kind, not class: solvers import no problems
        if getattr(p, "kind", None) != "labs":
            raise OptionError(f"solver 'mts' searches LABS sequences; {p.name!r} is a "
                              f"{p.kind or type(p).__name__} problem (use 'tabu' or 'anneal')")
        if getattr(p, "skew", False):
            raise OptionError(f"solver 'mts' searches full sequences; load {p.name!r} without "
                              "the skew-symmetric reduction (labs:N)")
        return p

    def plan_resources(self, plan: ResourcePlan, task: Task, *, backend=None, optimizer=None,
                       budget=None) -> None:
        p = self._check(task)
        plan.add(f"MTS population ({self.options.population} x {p.n} int64)",
                 8 * (self.options.population + 6) * p.n, option="--population")

    def run(self, task: Task, *, backend=None, optimizer=None, seed=None,
            budget=None) -> SolverOutput:
        p = self._check(task)
        opts: MTSOptions = self.options
        n = p.n
        rng = rng_from(seed)
        kernel_seed = int(rng.integers(0, 2**31 - 1))
        target = p.optimum if opts.target_energy == "optimum" else opts.target_energy
        target_v = -1 if target is None else int(np.floor(float(target)))
        pm = 1.0 / n if opts.mutation_rate is None else float(opts.mutation_rate)
        total = int(budget) if budget is not None else np.iinfo(np.int64).max // 2
        gens = int(opts.generations) if budget is None else np.iinfo(np.int64).max // 2
        pop = np.empty((opts.population, n), dtype=np.int64)
        energies = np.empty(opts.population, dtype=np.int64)
        stats = np.array([0, -1], dtype=np.int64)
        compiled = compilation.clock.total
        t0 = time.perf_counter()
        made, members = _mts(n, int(opts.population), float(opts.crossover_rate), pm, gens,
                             total, target_v, float(opts.tabu_min), float(opts.tabu_max),
                             kernel_seed, pop, energies, stats)
        pop, energies = pop[:members], energies[:members]
        elapsed = max(time.perf_counter() - t0 - (compilation.clock.total - compiled), 0.0)
        order = np.argsort(energies, kind="stable")
        bits = ((1 - pop[order]) // 2).astype(np.uint8)
        reached = target is not None and int(energies.min()) <= target_v
        info = {"generations": int(made), "best_energy": int(energies.min()),
                "target": None if target is None else float(target),
                "target_reached": bool(reached),
                "evaluations_to_target": int(stats[1]) if reached else None,
                "seconds": elapsed, "seconds_to_target": elapsed if reached else None,
                "population": int(opts.population),
                "mutation_rate": pm}
        return SolverOutput(samples=Samples(bits), status="done", evaluations=int(stats[0]),
                            time={"classical": elapsed}, info=info)


__all__ = ["MTSOptions", "MTSSolver"]
