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
  depend on ``threads``, so a seed gives the same samples on any machine.

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
from fractions import Fraction

import numpy as np

from qopt.backends import histogram_kernels as HK
from qopt.errors import OptionError, SizeLimitError
from qopt.limits import memory_limit
from qopt.resources import ResourcePlan

#: fixed number of chunks a feasible set is cut into (independent of the thread count)
CHUNKS = 32
#: first size of a chunk's level table (slots; it doubles while half full)
_FIRST_SLOTS = 1 << 10
#: bytes per table slot: key and count, twice during a rehash, plus the sampling counters
_SLOT_BYTES = 4 * 16
#: rough single-thread cost per state of the walks (seconds), for the time plan
_SECONDS_PER_STATE = {"permutation": 2e-8, "packing": 1e-8, "one-hot": 1e-8}
#: largest denominator tried when scaling costs to integers
_MAX_DENOMINATOR = 1 << 24


def integer_quantum(values) -> tuple[float, bool]:
    """(q, exact): every value is an integer multiple of q (exact) or, failing that, q is a
    grid of 2^-40 of the largest magnitude (values rounded to it, ``exact`` False)."""
    v = np.unique(np.abs(np.asarray(values, dtype=float)))
    v = v[v > 0]
    if v.size == 0:
        return 1.0, True
    if np.all(v == np.rint(v)):
        return 1.0, True
    big = float(v.max())
    den = 1
    for x in v[v != np.rint(v)][:4096]:
        f = Fraction(float(x)).limit_denominator(_MAX_DENOMINATOR)
        if abs(float(f) - x) > 1e-12 * max(1.0, x):
            den = 0
            break
        den = den * f.denominator // math.gcd(den, f.denominator)
        if den > _MAX_DENOMINATOR:
            den = 0
            break
    if den and big * den < 2.0**52 and np.all(np.abs(v * den - np.rint(v * den)) <= 1e-6):
        return 1.0 / den, True
    return big * 2.0**-40, False


def _split_qubo(qubo):
    """(L (n,), Qsym (n, n) zero diagonal, offset) of a QUBO: E = offset + L x + x'Qsym x / 2."""
    U = qubo.quadratic.toarray()
    L = np.asarray(qubo.linear, dtype=float) + np.diag(U)
    Q = U + U.T
    np.fill_diagonal(Q, 0.0)
    return L, Q, float(qubo.offset)


@dataclass
class Walk:
    """One feasible set prepared for the kernels: ``kind``, its size when known in advance
    (None for packing sets), integer cost tables and the prefixes of each chunk."""

    kind: str
    n: int
    size_hint: int | None
    quantum: float
    exact_levels: bool
    offset: float
    arrays: dict = field(repr=False)
    chunks: list = field(repr=False)

    @classmethod
    def from_mixer(cls, mixer, qubo) -> Walk:
        """The walk of ``mixer``'s feasible set (``mixer.subspace``) under ``qubo``'s cost."""
        n = int(mixer.num_qubits)
        if qubo.num_vars != n:
            raise OptionError(f"cost has {qubo.num_vars} variables, mixer {n}")
        L, Q, offset = _split_qubo(qubo)
        kind = mixer.subspace
        s = mixer.structure
        if kind == "permutation":
            if getattr(qubo, "terms", None):
                raise OptionError("--mixer grover on permutations takes costs of degree <= 2 "
                                  f"(this cost has degree {qubo.degree})")
            index = np.asarray(s.permutation, dtype=np.int64)
            m = index.shape[0]
            if n != m * m:
                raise OptionError(f"--mixer grover: {n - m * m} variables outside the "
                                  "permutation encoding are not supported")
            flat = index.reshape(-1)                     # item i at position p: i * m + p
            Lp, Cp = L[flat].reshape(m, m), Q[np.ix_(flat, flat)]
            q, exact = integer_quantum(np.r_[Lp.ravel(), Cp.ravel()])
            arrays = {"m": m, "index": index, "L": _ints(Lp, q), "C": _ints(Cp, q)}
            d = 1 if m <= 4 else 2
            pref = _permutation_prefixes(m, d)
            size = math.factorial(m)
        elif kind in ("packing", "one-hot"):
            if n > 64:
                raise OptionError(f"--mixer grover on {n} variables: sets of at most 64 "
                                  "variables outside a permutation encoding")
            hptr, hmask, hcoef = _higher_terms(qubo, n)
            q, exact = integer_quantum(np.r_[L, Q[np.triu_indices(n, 1)], hcoef])
            arrays = {"L": _ints(L, q), "Q": _ints(Q, q), "hptr": hptr, "hmask": hmask,
                      "hcoef": _ints(hcoef, q)}
            if kind == "packing":
                from qopt.backends.subspace import _packing_arrays

                nbr, A, b = _packing_arrays(mixer, n)
                arrays.update(nbr=nbr, A=A, b=b)
                pref = _set_prefixes(nbr, A, b)
                size = None
            else:
                options, radix = _product_digits(s.one_hot_groups, n)
                arrays.update(options=options, radix=radix)
                pref = _product_prefixes(radix)
                size = int(np.prod(radix.astype(object)))
        else:
            raise OptionError(f"--mixer grover needs a structured feasible set, not "
                              f"{kind!r}")
        chunks = [pref[c::CHUNKS] for c in range(min(CHUNKS, len(pref)))]
        return cls(kind, n, size, q, exact, offset, arrays, chunks)

    def run(self, c: int, mode: int, keys, counts, seen=None, tstart=None, tend=None,
            tranks=None, out=None, cap: int = 1 << 62):
        """Chunk ``c`` through its kernel (see :mod:`qopt.backends.histogram_kernels`)."""
        a = self.arrays
        pref = self.chunks[c]
        if seen is None:
            seen = tstart = tend = np.zeros(keys.size, np.int64)
            tranks = np.zeros(0, np.int64)
            out = np.zeros((0, 1), np.int64)
        if self.kind == "permutation":
            return HK.permutation_pass(a["m"], a["L"], a["C"], 0, pref, mode, cap, keys,
                                       counts, seen, tstart, tend, tranks, out)
        if self.kind == "packing":
            if out.dtype != np.uint64:
                out = np.zeros(0, np.uint64)
            return HK.packing_pass(self.n, a["L"], a["Q"], a["hptr"], a["hmask"], a["hcoef"], 0,
                                   a["nbr"], a["A"], a["b"], pref,
                                   mode, cap, keys, counts, seen, tstart, tend, tranks, out)
        return HK.product_pass(a["L"], a["Q"], a["hptr"], a["hmask"], a["hcoef"], 0,
                               a["options"], a["radix"], pref, mode, cap,
                               keys, counts, seen, tstart, tend, tranks, out)

    def empty_out(self, k: int) -> np.ndarray:
        """Buffer of k sampled states in the kernel's form."""
        if self.kind == "packing":
            return np.zeros(k, np.uint64)
        width = self.arrays["m"] if self.kind == "permutation" else self.arrays["radix"].size
        return np.zeros((k, width), np.int64)

    def to_bits(self, out: np.ndarray) -> np.ndarray:
        """Bit rows (k, n) uint8 of sampled states in the kernel's form."""
        k = len(out)
        bits = np.zeros((k, self.n), dtype=np.uint8)
        if self.kind == "permutation":
            m = self.arrays["m"]
            rows = np.repeat(np.arange(k), m)
            bits[rows, self.arrays["index"][out.reshape(-1), np.tile(np.arange(m), k)]] = 1
        elif self.kind == "packing":
            by = out.astype("<u8").view(np.uint8).reshape(k, 8)
            bits[:] = np.unpackbits(by, axis=1, bitorder="little")[:, :self.n]
        else:
            var = self.arrays["options"][np.arange(out.shape[1])[None, :], out]
            rows = np.repeat(np.arange(k), out.shape[1])
            ok = var.reshape(-1) >= 0
            bits[rows[ok], var.reshape(-1)[ok]] = 1
        return bits


def _higher_terms(cost, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Terms of degree >= 3 of a HUBO cost (``cost.terms``; none for a QUBO) per variable, CSR:
    (ptr (n + 1,) int64, masks of each term's other variables (E,) uint64, coefficients (E,))."""
    rows, masks, coefs = [np.zeros(0, np.int64)], [np.zeros(0, np.uint64)], [np.zeros(0)]
    for idx, coef in (getattr(cost, "terms", None) or {}).values():
        idx = np.asarray(idx, dtype=np.uint64)
        full = np.bitwise_or.reduce(np.uint64(1) << idx, axis=1)
        for c in range(idx.shape[1]):
            rows.append(idx[:, c].astype(np.int64))
            masks.append(full ^ (np.uint64(1) << idx[:, c]))
            coefs.append(np.asarray(coef, dtype=float))
    r, m, c = np.concatenate(rows), np.concatenate(masks), np.concatenate(coefs)
    order = np.argsort(r, kind="stable")
    ptr = np.r_[0, np.cumsum(np.bincount(r, minlength=n))].astype(np.int64)
    return ptr, np.ascontiguousarray(m[order]), c[order]


def _ints(x: np.ndarray, q: float) -> np.ndarray:
    return np.ascontiguousarray(np.rint(np.asarray(x, dtype=float) / q).astype(np.int64))


def _permutation_prefixes(m: int, d: int) -> np.ndarray:
    """All ordered choices of d distinct items (rows), lexicographic."""
    import itertools

    d = min(d, m)
    rows = list(itertools.permutations(range(m), d))
    return np.array(rows, dtype=np.int64).reshape(len(rows), d)


def _set_prefixes(nbr, A, b) -> np.ndarray:
    """(-1, -1) (the empty set), (j, -1) for feasible singletons, (j, k) for feasible pairs."""
    n = nbr.size
    single = np.all(b[:, None] + 1e-9 >= A, axis=0) if A.size else np.ones(n, bool)
    rows = [(-1, -1)] + [(j, -1) for j in range(n) if single[j]]
    js, ks = np.triu_indices(n, 1)
    ok = single[js] & single[ks]
    ok &= ((nbr[js] >> ks.astype(np.uint64)) & np.uint64(1)) == 0
    if A.size:
        ok &= np.all(A[:, js] + A[:, ks] <= b[:, None] + 1e-9, axis=0)
    rows += list(zip(js[ok].tolist(), ks[ok].tolist(), strict=True))
    return np.array(rows, dtype=np.int64)


def _product_digits(groups, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(options (G, R) int64, radix (G,)): one digit per one-hot group (one variable per
    option), one per free variable (options none / itself)."""
    used = {v for g in groups for v in g}
    digits = [list(g) for g in groups] + [[-1, q] for q in range(n) if q not in used]
    R = max((len(d) for d in digits), default=1)
    options = np.full((len(digits), R), -1, dtype=np.int64)
    for g, d in enumerate(digits):
        options[g, :len(d)] = d
    return options, np.array([len(d) for d in digits], dtype=np.int64)


def _product_prefixes(radix: np.ndarray) -> np.ndarray:
    """Assignments of the last D digits, D the fewest giving >= 4 * CHUNKS prefixes."""
    G = radix.size
    D, total = 0, 1
    while D < G and total < 4 * CHUNKS:
        total *= int(radix[G - 1 - D])
        D += 1
    if D == 0:
        return np.zeros((1, 0), np.int64)
    grids = np.meshgrid(*[np.arange(r) for r in radix[G - D:]], indexing="ij")
    return np.stack([g.reshape(-1) for g in grids], axis=1).astype(np.int64)


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
            if got[3] != t.shape[1]:
                raise RuntimeError(f"second pass found {got[3]} of {t.shape[1]} states")
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
                    context: str = "grover", plan: ResourcePlan | None = None
                    ) -> CostHistogram:
    """The cost histogram of ``mixer``'s feasible set under ``qubo`` (module docstring).

    Plans memory (cost tables, level tables, ``shots`` sampled states) and, where |F| is known,
    the pass time, refusing (SizeLimitError) before the pass; refuses during the pass when a
    chunk's level table would outgrow the memory left (more levels than the limit allows)."""
    walk = Walk.from_mixer(mixer, qubo)
    plan = ResourcePlan(context) if plan is None else plan
    max_slots = plan_histogram(plan, walk, shots=shots, threads=threads, limit=limit)
    plan.check(limit)
    t0 = time.perf_counter()

    def one(c):
        keys = np.full(_FIRST_SLOTS, HK.EMPTY, np.int64)
        counts = np.zeros(_FIRST_SLOTS, np.int64)
        keys, counts, states, _ = walk.run(c, 0, keys, counts, cap=max_slots)
        if states < 0:
            raise SizeLimitError(f"{context}: the feasible set has more than "
                                 f"{keys.size // 4:,} distinct cost levels in one chunk; the "
                                 f"level tables would pass the memory limit (set "
                                 "QOPT_MEMORY_LIMIT)")
        return keys, counts

    with ThreadPoolExecutor(max(1, int(threads))) as pool:
        tables = list(pool.map(one, range(len(walk.chunks))))
    allk = np.concatenate([k[k != HK.EMPTY] for k, _ in tables])
    alln = np.concatenate([n[k != HK.EMPTY] for k, n in tables])
    keys, inv = np.unique(allk, return_inverse=True)
    counts = np.bincount(inv, weights=alln, minlength=keys.size).astype(np.int64)
    levels = walk.offset + keys.astype(float) * walk.quantum
    return CostHistogram(levels, counts, walk, tables, keys, time.perf_counter() - t0,
                         int(threads))
