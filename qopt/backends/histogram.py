"""Cost histograms of feasible sets, by streaming passes that store no state.

Grover-mixer and threshold QAOA (:mod:`qopt.backends.grover`) need only the distinct cost
levels c of the feasible set F and their multiplicities m_c. :func:`build_histogram` gets them
in one pass over F (numba, :mod:`qopt.backends.histogram_kernels`) with memory O(levels):

- F is the reachable set of a constraint-preserving mixer (:mod:`qopt.solvers.quantum.mixers`):
  ``"permutation"`` (m! permutation matrices), ``"packing"`` (subsets with no conflict pair and
  ``A x <= b``: independent sets, packing-feasible subsets; n <= 64) or ``"one-hot"`` (products of
  one-hot groups and free bits; n <= 64);
- the cost is a QUBO over the n variables (the constrained cost: objective plus penalties of the
  rows the mixer does not preserve), scaled to integers so incremental sums are exact: all
  coefficients are multiples of ``quantum`` (found from their rational forms); where no such
  quantum exists (irrational-looking floats) they are rounded to a grid of 2^-40 of their
  largest magnitude and the histogram says ``exact_levels = False``;
- F is cut into :data:`CHUNKS` fixed chunks of prefixes (positions for permutations, first two
  elements for sets, last digits for products), walked by a thread pool of ``threads`` threads
  (the kernels release the GIL); each chunk counts into its own table. The chunking does not
  depend on ``threads``, so a seed gives the same samples on any machine;
- rows the mixer does not preserve (``objective=`` and ``rows=`` given): the pass also tallies
  per level the states that satisfy them, their least objective and its multiplicity
  (:mod:`qopt.backends.histogram_walk`), so the feasible optimum's share of each level is
  exact (``feasible_counts``, ``best_objective``, ``best_counts``).

Exact sampling (:meth:`CostHistogram.sample_states`): a level per shot is drawn by the caller;
for a level of multiplicity m_c with k draws, k ranks uniform in [0, m_c) are drawn and a second
pass over the chunks that hold them copies out the states of those ranks (each chunk walks in a
fixed order and knows its per-level counts), stopping when all are found.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from qopt.backends import histogram_kernels as HK
from qopt.backends.histogram_walk import CHUNKS, Walk, integer_quantum
from qopt.errors import OptionError, SizeLimitError
from qopt.limits import memory_limit
from qopt.resources import ResourcePlan

#: first size of a chunk's level table (slots; it doubles while half full)
_FIRST_SLOTS = 1 << 10
#: bytes per table slot: key and tallies, twice during a rehash, plus the sampling counters
_SLOT_BYTES = 2 * 8 * (2 + HK.TALLIES) + 3 * 8
#: rough single-thread cost per state of the walks (seconds), for the time plan
_SECONDS_PER_STATE = {"permutation": 2e-8, "packing": 1e-8, "one-hot": 1e-8}


@dataclass
class CostHistogram:
    """Distinct cost ``levels`` (ascending, float64) of a feasible set and their ``counts``
    (int64); ``size`` = |F| = counts.sum(). ``quantum`` / ``exact_levels``: the integer grid of
    the costs (:func:`integer_quantum`). ``pass_time``: seconds of the pass (wall).
    """

    levels: np.ndarray
    counts: np.ndarray
    walk: Walk = field(repr=False)
    tables: list = field(repr=False)
    keys: np.ndarray = field(repr=False)
    pass_time: float = 0.0
    threads: int = 1
    #: per level: states satisfying every row (the tracked ones; all when nothing is tracked)
    feasible_counts: np.ndarray | None = None
    #: per level: least objective (minimisation form) of those states, inf where none
    best_objective: np.ndarray | None = None
    #: per level: how many of them reach it
    best_counts: np.ndarray | None = None

    @property
    def size(self) -> int:
        return int(self.counts.sum())

    @property
    def num_levels(self) -> int:
        return int(self.levels.size)

    def std(self) -> float:
        """Standard deviation of the cost over F (uniform weights)."""
        mean = float(self.counts @ self.levels) / self.size
        return math.sqrt(max(float(self.counts @ (self.levels - mean) ** 2) / self.size, 0.0))

    def describe(self) -> dict:
        return {"feasible_size": self.size, "cost_levels": self.num_levels,
                "feasible_set": self.walk.kind, "levels_exact": self.walk.exact_levels,
                "rows_tracked": int(self.walk.arrays["lo"].size),
                "tracking_exact": self.walk.exact_tracking,
                "cost_quantum": self.walk.quantum, "histogram_pass_time": self.pass_time,
                "histogram_threads": self.threads}

    def sample_states(self, draws: np.ndarray, rng, *, threads: int = 1) -> np.ndarray:
        """Bit rows (k, n) uint8: for each level i, ``draws[i]`` states drawn uniformly (with
        replacement) from the states of that level, by a second pass (module docstring).
        Rows come grouped in walk order, not shuffled."""
        draws = np.asarray(draws, dtype=np.int64)
        if draws.shape != self.counts.shape or np.any(draws < 0):
            raise OptionError("draws must be one non-negative count per level")
        lv = np.flatnonzero(draws)
        per_chunk = np.zeros((len(self.tables), self.num_levels), np.int64)
        slots = []
        for c, (k, n) in enumerate(self.tables):
            s = _slots_of(k, self.keys)
            slots.append(s)
            per_chunk[c] = np.where(s >= 0, n[np.maximum(s, 0)], 0)
        cum = np.cumsum(per_chunk, axis=0)                   # (chunks, levels)
        targets = [[] for _ in self.tables]                  # per chunk: (slot, local rank)
        for i in lv:
            ranks = np.sort(rng.integers(0, self.counts[i], draws[i]))
            c = np.searchsorted(cum[:, i], ranks, side="right")
            local = ranks - (cum[c, i] - per_chunk[c, i])
            for cc in np.unique(c):
                sel = c == cc
                targets[cc].append(np.stack([np.full(sel.sum(), slots[cc][i]), local[sel]]))

        def one(c):
            if not targets[c]:
                return None
            t = np.concatenate(targets[c], axis=1)
            t = t[:, np.lexsort((t[1], t[0]))]
            keys, _ = self.tables[c]
            tstart = np.zeros(keys.size, np.int64)
            tend = np.zeros(keys.size, np.int64)
            first = np.searchsorted(t[0], np.arange(keys.size), side="left")
            last = np.searchsorted(t[0], np.arange(keys.size), side="right")
            tstart[:], tend[:] = first, last
            out = self.walk.empty_out(t.shape[1])
            got = self.walk.run(c, 1, keys, np.zeros(keys.size, np.int64),
                                np.zeros(keys.size, np.int64), tstart, tend,
                                np.ascontiguousarray(t[1]), out)
            if got[4] != t.shape[1]:
                raise RuntimeError(f"second pass found {got[4]} of {t.shape[1]} states")
            return out

        with ThreadPoolExecutor(max(1, int(threads))) as pool:
            outs = [o for o in pool.map(one, range(len(self.tables))) if o is not None]
        if not outs:
            return np.zeros((0, self.walk.n), np.uint8)
        return self.walk.to_bits(np.concatenate(outs))


def _slots_of(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Slot of each wanted key in one chunk's table, -1 where absent (vectorised)."""
    full = np.flatnonzero(keys != HK.EMPTY)
    order = np.argsort(keys[full])
    sk = keys[full][order]
    pos = np.minimum(np.searchsorted(sk, wanted), max(sk.size - 1, 0))
    hit = (sk.size > 0) & (sk[pos] == wanted) if sk.size else np.zeros(wanted.size, bool)
    return np.where(hit, full[order][pos] if sk.size else -1, -1)


def plan_histogram(plan: ResourcePlan, walk: Walk, *, shots: int, threads: int,
                   limit: int | None = None) -> int:
    """Add the pass's memory and (where |F| is known) time to ``plan``; returns the largest
    table (slots) a chunk may grow to under the memory limit."""
    a = walk.arrays
    tables = sum(x.nbytes for x in a.values() if isinstance(x, np.ndarray))
    plan.add(f"cost tables of the {walk.kind} walk", tables, option=None)
    plan.add(f"{shots} sampled states", shots * (8 * walk.n + 8 * walk.n), option="--shots")
    cap = memory_limit(limit)
    room = max(cap - plan.total_bytes, 0)
    max_slots = 1 << max(10, int(math.log2(max(room // (_SLOT_BYTES * len(walk.chunks)), 1))))
    plan.add(f"cost-level tables ({len(walk.chunks)} chunks, {_FIRST_SLOTS} slots each to "
             f"start, at most {max_slots:,})", _SLOT_BYTES * _FIRST_SLOTS * len(walk.chunks))
    if walk.size_hint is not None:
        per = _SECONDS_PER_STATE[walk.kind] * (walk.arrays.get("m", 8))
        plan.add_time(f"histogram pass over {walk.size_hint:.3g} feasible states "
                      f"({threads} threads)", walk.size_hint * per / max(threads, 1),
                      option="--mixer")
    return max_slots


def build_histogram(mixer, qubo, *, threads: int = 1, shots: int = 0, limit: int | None = None,
                    context: str = "grover", plan: ResourcePlan | None = None,
                    objective=None, rows=None) -> CostHistogram:
    """The cost histogram of ``mixer``'s feasible set under ``qubo`` (module docstring); with
    ``objective`` (minimisation form) and ``rows`` ((A, senses, rhs) of the rows the mixer
    does not preserve) also the per-level tallies of the states satisfying them.

    Plans memory (cost tables, level tables, ``shots`` sampled states) and, where |F| is known,
    the pass time, refusing (SizeLimitError) before the pass; refuses during the pass when a
    chunk's level table would outgrow the memory left (more levels than the limit allows)."""
    walk = Walk.from_mixer(mixer, qubo, objective, rows)
    plan = ResourcePlan(context) if plan is None else plan
    max_slots = plan_histogram(plan, walk, shots=shots, threads=threads, limit=limit)
    plan.check(limit)
    t0 = time.perf_counter()

    def one(c):
        keys = np.full(_FIRST_SLOTS, HK.EMPTY, np.int64)
        counts = np.zeros(_FIRST_SLOTS, np.int64)
        tally = np.zeros((_FIRST_SLOTS, HK.TALLIES), np.int64) if walk.tracked else None
        keys, counts, tally, states, _ = walk.run(c, 0, keys, counts, cap=max_slots,
                                                  tally=tally)
        if states < 0:
            raise SizeLimitError(f"{context}: the feasible set has more than "
                                 f"{keys.size // 4:,} distinct cost levels in one chunk; the "
                                 f"level tables would pass the memory limit (set "
                                 "QOPT_MEMORY_LIMIT)")
        return keys, counts, tally

    with ThreadPoolExecutor(max(1, int(threads))) as pool:
        results = list(pool.map(one, range(len(walk.chunks))))
    tables = [(k, n) for k, n, _ in results]
    allk = np.concatenate([k[k != HK.EMPTY] for k, _ in tables])
    keys, inv = np.unique(allk, return_inverse=True)
    counts = np.zeros(keys.size, np.int64)
    np.add.at(counts, inv, np.concatenate([n[k != HK.EMPTY] for k, n in tables]))
    levels = walk.offset + keys.astype(float) * walk.quantum
    if walk.tracked:
        rows = np.concatenate([t[k != HK.EMPTY] for k, _, t in results])
        feas, best, bestn = _merge_tallies(inv, rows, keys.size)
        best_obj = np.where(feas > 0, walk.obj_offset + best.astype(float) * walk.obj_quantum,
                            np.inf)
    else:               # nothing tallied: every state satisfies every row, objective = cost
        feas, best_obj, bestn = counts, levels.copy(), counts
    return CostHistogram(levels, counts, walk, tables, keys, time.perf_counter() - t0,
                         int(threads), feas, best_obj, bestn)


def _merge_tallies(inv, rows, size: int):
    """(states satisfying the rows, least objective (integer), its multiplicity) per level
    from the chunks' tally rows (k, TALLIES) mapped to levels by ``inv``."""
    feas = np.zeros(size, np.int64)
    np.add.at(feas, inv, rows[:, 0])
    has = rows[:, 0] > 0
    best = np.full(size, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(best, inv[has], rows[has, 1])
    at = has & (rows[:, 1] == best[inv])
    bestn = np.zeros(size, np.int64)
    np.add.at(bestn, inv[at], rows[at, 2])
    return feas, best, bestn


__all__ = ["CHUNKS", "CostHistogram", "Walk", "build_histogram", "integer_quantum",
           "plan_histogram"]
