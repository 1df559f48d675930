"""Feasible-subspace simulator: QAOA with constraint-preserving mixers on the feasible set only.

A constraint-preserving mixer (:mod:`qopt.solvers.quantum.mixers`) never leaves the set of
basis states it can reach from a feasible initial state, which is far smaller than 2^n. This
backend enumerates that set once (:class:`FeasibleSubspace`) and keeps a state vector of one
complex128 amplitude per feasible basis state:

- subspaces: ``"packing"`` (subsets with no conflict pair and ``A x <= b``: independent sets,
  packing-feasible subsets; n <= 64, sorted uint64 masks), ``"one-hot"`` (products of one-hot
  groups and free bits; n <= 64, sorted masks), ``"permutation"`` (m! permutation states,
  indexed by the Lehmer rank of the items in position order, any m with m! in memory) and
  ``"all"`` (2^n masks; for the x mixer in cross-checks);
- the cost is a diagonal over the set (energies of the cost QUBO, computed in parallel chunks);
- each partial mixer is a 2x2 rotation between a state and its partner: ``partner[k, s]``
  precomputed for every partial mixer when the tables fit in memory, else computed again in
  each layer (uint32: numba indexes the state with unsigned indices without a negative-index
  check; 0.74 s against 1.03 s per karate QAOA state with int32);
- :class:`SubspaceSimulator` offers what the statevector engine offers the QAOA evaluators:
  QAOA state, expectation, CVaR (and its gradient weights), probabilities, sampling (full
  n-bit rows), Z correlators and the exact adjoint gradient for one beta per layer or one
  per partial mixer (ma-qaoa) and one gamma per layer or per Ising term.

Threads: the numba kernels run with ``threads`` threads (default: :func:`qopt.threads.current`,
every core numba may use unless the solve says otherwise; see :mod:`qopt.threads` for why not
the load average).

Sizes: the number of independent sets or packing-feasible subsets cannot be known in advance
(counting them is #P-hard); the enumeration counts with a cap at what the memory limit allows
and refuses with "at least N states" before allocating any state. Every buffer (three states
for the adjoint gradient, the masks, the partner tables, the cost diagonal, probabilities) is
summed in one :class:`~qopt.resources.ResourcePlan`.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any

import numpy as np

from qopt import threads as _threads
from qopt.backends import subspace_kernels as K
from qopt.backends import subspace_masks as M
from qopt.backends import subspace_pairs as P
from qopt.errors import OptionError, SizeLimitError
from qopt.limits import memory_limit
from qopt.resources import ResourcePlan

#: bytes per subspace state that the simulator always needs: three complex128 states (state,
#: adjoint phi and lambda), the cost diagonal, one float work vector (probabilities / CVaR
#: weights / overlaps) and the sort order of the diagonal (CVaR)
STATE_BYTES = 3 * 16 + 8 + 8 + 8
#: largest permutation size (m! states) the simulator accepts at all (13! = 6.2e9)
MAX_PERMUTATION = 13
#: states per cache block when consecutive partial mixers keep partners inside aligned blocks
#: (permutations: 8! = 40320 states, 630 KiB of complex128, an L2 cache) and the larger blocks
#: still worth one pass per group of partial mixers (9! states, 5.5 MiB: a shared L3 cache)
CACHE_BLOCK_STATES = 40320
SHARED_CACHE_BLOCK_STATES = 1 << 19
#: most states per block of a blocked run over a mask subspace (512 KiB of complex128: an L2
#: cache holds the block while all of the run's partial mixers act on it)
MASK_BLOCK_STATES = 1 << 15
_NO_PHASE = np.zeros(0, dtype=np.complex128)
#: partial-mixer kinds that flip one bit of a downward-closed set (or of free bits)
_SINGLE_FLIPS = ("x", "controlled-x", "capacity")
_NO_LEVELS = np.zeros(0, dtype=np.uint32)
#: most distinct integer cost levels served by a phase table
MAX_PHASE_LEVELS = 1 << 20


def default_threads() -> int:
    """Kernel threads when none are given: :func:`qopt.threads.current` (the solve's
    ``threads=``, else every core numba may use; never the load average)."""
    return _threads.current()


@contextmanager
def kernel_threads(threads: int | None):
    """Run the enclosed numba kernels on ``threads`` threads (None: :func:`default_threads`),
    restoring the previous count afterwards."""
    with _threads.numba_threads(threads):
        yield


def _plan_and_cap(n_words: int, limit: int | None) -> tuple[int, int]:
    """(byte limit, largest state count whose fixed buffers fit: no partner tables)."""
    cap_bytes = memory_limit(limit)
    per_state = STATE_BYTES + 8 * n_words
    return cap_bytes, max(1, cap_bytes // per_state)


class FeasibleSubspace:
    """The reachable feasible set of a mixer: ``size`` states, packed bit ``words`` (size, W)
    uint64, and the partner index of every partial mixer.

    Build with :meth:`build`; ``partner(k)`` gives partial mixer k's uint32 partner array
    (from the precomputed table or computed on the fly).
    """

    def __init__(self, mixer, words: np.ndarray, kind: str, tables: bool, plan: ResourcePlan):
        self.mixer = mixer
        self.n = int(mixer.num_qubits)
        self.words = words
        self.kind = kind
        self.size = int(words.shape[0])
        self.plan = plan
        self._perm = None
        if kind == "permutation":
            idx = np.asarray(mixer.structure.permutation, dtype=np.int64)
            self._perm = idx
            sw = [pm for pm in mixer.partials if pm.kind == "swap"]
            self._pos = (np.array([pm.positions[0] for pm in sw], dtype=np.int64),
                         np.array([pm.positions[1] for pm in sw], dtype=np.int64))
        self.tables = None
        self.pairs: dict = {}     # (k0, k1) -> a blocked run's pair lists (subspace_pairs)
        #: (k0, k1, bounds): partial mixers k0..k1-1 applied together block by block,
        #: ``bounds`` (int64, first state of each block and the size) holding every partner
        #: of these mixers inside its block; bounds None: one full pass each. Blocked runs
        #: need the partner tables.
        self.runs: list[tuple[int, int, np.ndarray | None]] = [
            (k, k + 1, None) for k in range(mixer.num_partials)]
        if tables:
            self.tables = np.empty((mixer.num_partials, self.size), dtype=np.uint32)
            if kind == "permutation":
                K.permutation_partners(self._perm.shape[0], *self._pos, self.tables)
                self.runs = [(k0, k1, None if not block else _fixed_bounds(self.size, block))
                             for k0, k1, block in _permutation_runs(
                                 self._perm.shape[0], self._pos[0], mixer.num_partials)]
            else:
                for k in range(mixer.num_partials):
                    self._mask_partner(k, self.tables[k])
                self.runs = M.mask_runs(self.words[:, 0], mixer.partials, MASK_BLOCK_STATES)

    # ---- construction ------------------------------------------------------------------------
    @classmethod
    def build(cls, mixer, *, limit: int | None = None, context: str = "subspace",
              option: str | None = "--mixer") -> FeasibleSubspace:
        """Enumerate the mixer's feasible set, refusing (SizeLimitError) before any state is
        allocated when it and its buffers exceed the memory limit."""
        n = int(mixer.num_qubits)
        kind = mixer.subspace
        nw = max(1, -(-n // 64))
        if kind != "permutation" and n > 64:
            raise OptionError(f"mixer {mixer.name!r} on {n} variables: the subspace simulator "
                              "holds at most 64 variables outside a permutation encoding")
        cap_bytes, cap = _plan_and_cap(nw, limit)
        words = None
        if kind == "permutation":
            m = int(mixer.structure.permutation.shape[0])
            if m > MAX_PERMUTATION:
                raise SizeLimitError(f"{context}: {m}! = {math.factorial(m):.3g} permutation "
                                     f"states; the simulator takes at most "
                                     f"{MAX_PERMUTATION}! ({option})")
            size = math.factorial(m)
            free = n - m * m
            if free:
                raise OptionError(f"mixer {mixer.name!r}: {free} variables outside the "
                                  "permutation encoding are not supported by the subspace "
                                  "simulator")
        elif kind == "all":
            size = 1 << n
        elif kind == "one-hot":
            groups = mixer.structure.one_hot_groups
            free = n - sum(len(g) for g in groups)
            size = math.prod(len(g) for g in groups) * (1 << free)
        elif kind == "packing":
            nbr, A, b = _packing_arrays(mixer, n)
            count = int(K.enumerate_packing(nbr, A, b, cap, np.zeros(0, np.uint64)))
            if count > cap:
                raise SizeLimitError(
                    f"{context}: the feasible set of mixer {mixer.name!r} has at least "
                    f"{count:,} states; with its buffers ({STATE_BYTES + 8 * nw} bytes per "
                    f"state) that is over the memory limit of {cap_bytes:,} bytes (set "
                    "QOPT_MEMORY_LIMIT, or use a smaller instance / --mixer x)")
            size = count
        else:
            raise OptionError(f"unknown subspace kind {kind!r}")
        plan = ResourcePlan(context)
        plan.add(f"subspace states (3 x {size:.3g} complex128)", 48 * size, option=option)
        plan.add(f"cost diagonal, work vector and sort order ({size:.3g} states)", 24 * size,
                 option=option)
        plan.add(f"packed states ({size:.3g} x {nw} uint64)", 8 * nw * size, option=option)
        if size > 2**32 - 1:
            raise SizeLimitError(f"{context}: {size:,} feasible states exceed the uint32 index "
                                 f"of the partner tables ({option})")
        if plan.total_bytes > cap_bytes:
            raise SizeLimitError(
                f"{context}: the feasible set of mixer {mixer.name!r} has at least {size:,} "
                f"states, which with its buffers needs {plan.total_bytes:,.0f} bytes, over the "
                f"memory limit of {cap_bytes:,} bytes (set QOPT_MEMORY_LIMIT or use a smaller "
                "instance)")
        table_bytes = 4 * mixer.num_partials * size
        tables = plan.total_bytes + table_bytes <= cap_bytes
        if tables:
            plan.add(f"partner tables ({mixer.num_partials} x {size:.3g} uint32)", table_bytes,
                     option=option)
        plan.check(limit)
        if kind == "permutation":
            words = np.empty((size, nw), dtype=np.uint64)
            K.permutation_words(0, int(mixer.structure.permutation.shape[0]),
                                np.asarray(mixer.structure.permutation, np.int64), words)
        elif kind == "all":
            words = np.arange(size, dtype=np.uint64)[:, None]
        elif kind == "one-hot":
            words = _one_hot_masks(mixer.structure.one_hot_groups, n)[:, None]
        else:
            masks = np.empty(size, dtype=np.uint64)
            K.enumerate_packing(nbr, A, b, size, masks)
            masks.sort()
            words = masks[:, None]
        space = cls(mixer, words, kind, tables, plan)
        P.add_pair_lists(space, cap_bytes, option)
        return space

    # ---- partners ----------------------------------------------------------------------------
    def _mask_partner(self, k: int, out: np.ndarray) -> np.ndarray:
        pm = self.mixer.partials[k]
        masks = self.words[:, 0]
        flip = np.uint64(sum(1 << q for q in pm.qubits))
        if pm.kind != "xy" and len(pm.qubits) == 1:
            M.single_flip_partners(masks, flip, out)
        else:
            K.mask_partners(masks, flip, flip if pm.kind == "xy" else np.uint64(0), out)
        return out

    def partner(self, k: int, work: np.ndarray | None = None) -> np.ndarray:
        """Partner index (uint32, shape (size,)) of partial mixer k."""
        if self.tables is not None:
            return self.tables[k]
        out = np.empty(self.size, dtype=np.uint32) if work is None else work
        if self.kind == "permutation":
            p, q = self._pos
            K.permutation_partners(self._perm.shape[0], p[k:k + 1], q[k:k + 1], out[None, :])
            return out
        return self._mask_partner(k, out)

    # ---- states ------------------------------------------------------------------------------
    def bits(self, indices) -> np.ndarray:
        """Bit rows (k, n) uint8 of subspace states ``indices`` (column i = variable i)."""
        w = self.words[np.asarray(indices, dtype=np.int64)]
        by = w.astype("<u8").view(np.uint8).reshape(len(w), -1)
        return np.unpackbits(by, axis=1, bitorder="little")[:, :self.n]

    def index_of(self, bits) -> int:
        """Index of one basis state (bits, shape (n,)); OptionError when outside the set."""
        x = np.asarray(bits, dtype=np.uint8).reshape(-1)
        packed = np.zeros(self.words.shape[1] * 8, np.uint8)
        pb = np.packbits(x, bitorder="little")
        packed[:pb.size] = pb
        target = packed.view("<u8")
        if self.kind == "permutation":
            T = x.reshape(-1)[self._perm]                  # [item, position]
            if not (np.all(T.sum(axis=0) == 1) and np.all(T.sum(axis=1) == 1)):
                raise OptionError("the initial state is not a permutation")
            return _lehmer_rank(T.argmax(axis=0))          # occ[p] = item at position p
        i = int(np.searchsorted(self.words[:, 0], target[0]))
        if i >= self.size or self.words[i, 0] != target[0]:
            raise OptionError(f"the initial state is outside mixer {self.mixer.name!r}'s "
                              "feasible set")
        return i

    def energies(self, qubo) -> np.ndarray:
        """Energy of each state under ``qubo`` (n variables), shape (size,)."""
        Q = qubo.quadratic.toarray()
        Q = Q + Q.T
        np.fill_diagonal(Q, 0.0)
        out = np.empty(self.size)
        K.set_bit_energies(self.words, np.asarray(qubo.linear, float), Q, float(qubo.offset),
                           out)
        return out

    def term_masks(self, terms) -> np.ndarray:
        """Packed (T, W) uint64 masks of qubit tuples ``terms``."""
        W = self.words.shape[1]
        out = np.zeros((len(terms), W), dtype=np.uint64)
        for t, qs in enumerate(terms):
            for q in qs:
                out[t, q >> 6] |= np.uint64(1) << np.uint64(q & 63)
        return out


def _fixed_bounds(size: int, block: int) -> np.ndarray:
    """Bounds of aligned blocks of ``block`` states (the last one shorter)."""
    return np.append(np.arange(0, size, block, dtype=np.int64), np.int64(size))


def _permutation_runs(m: int, first_positions: np.ndarray, K: int) -> list[tuple]:
    """Runs of the swap partial mixers: the swap of positions (p, q) keeps the items at
    positions 0..p-1, so its partners stay in aligned blocks of (m - p)! ranks. In
    lexicographic order (p non-decreasing): the trailing swaps whose block fits
    :data:`CACHE_BLOCK_STATES` form one blocked run; a group of equal p whose block fits
    :data:`SHARED_CACHE_BLOCK_STATES` one blocked run per group; the others one pass each."""
    runs = []
    k = 0
    while k < K:
        p = int(first_positions[k])
        block = math.factorial(m - p)
        if block >= math.factorial(m):
            runs.append((k, k + 1, 0))
            k += 1
        elif block <= CACHE_BLOCK_STATES:
            runs.append((k, K, block))
            break
        else:
            end = k + int(np.count_nonzero(first_positions[k:] == p))
            runs.append((k, end, block) if block <= SHARED_CACHE_BLOCK_STATES
                        else (k, k + 1, 0))
            k = end if block <= SHARED_CACHE_BLOCK_STATES else k + 1
    return runs


def _lehmer_rank(seq) -> int:
    m = len(seq)
    r = 0
    for i in range(m):
        r += sum(1 for j in range(i + 1, m) if seq[j] < seq[i]) * math.factorial(m - 1 - i)
    return int(r)


def _packing_arrays(mixer, n: int):
    """(conflict-neighbour masks (n,) uint64, A (k, n), b (k,)) of a packing subspace: pairs
    rows (two entries equal to b) become neighbour masks, the rest stay rows."""
    A = np.asarray(mixer.packing.A, dtype=float)
    b = np.asarray(mixer.packing.b, dtype=float)
    nz = (A != 0).sum(axis=1)
    pair = (nz == 2) & np.all((A == 0) | (b[:, None] == A), axis=1) & (b > 0)
    nbr = np.zeros(n, dtype=np.uint64)
    for r in np.flatnonzero(pair):
        u, v = np.flatnonzero(A[r])
        nbr[u] |= np.uint64(1) << np.uint64(v)
        nbr[v] |= np.uint64(1) << np.uint64(u)
    return nbr, np.ascontiguousarray(A[~pair]), np.ascontiguousarray(b[~pair])


def _one_hot_masks(groups, n: int) -> np.ndarray:
    """Sorted masks of every product of one-hot choices and free bits (vectorised)."""
    masks = np.zeros(1, dtype=np.uint64)
    used = set()
    for g in groups:
        bits = np.array([1 << q for q in g], dtype=np.uint64)
        masks = (masks[:, None] | bits[None, :]).reshape(-1)
        used.update(g)
    for q in range(n):
        if q not in used:
            masks = np.concatenate([masks, masks | np.uint64(1 << q)])
    masks.sort()
    return masks


class SubspaceSimulator:
    """QAOA on a :class:`FeasibleSubspace` (see module docstring).

    ``init``: an initial state with ``kind`` "plus"/"uniform" (uniform over the subspace) or
    "basis" (``bits``). Angles: ``gammas`` (p,) per layer, or per-layer diagonals via
    ``layer_diags``; ``betas`` (p, K) one per partial mixer (standard QAOA repeats a layer's
    beta K times).
    """

    def __init__(self, space: FeasibleSubspace, init):
        self.space = space
        N = space.size
        self.size = N
        self.psi = np.empty(N, dtype=np.complex128)
        self.phi = np.empty(N, dtype=np.complex128)
        self.lam = np.empty(N, dtype=np.complex128)
        self.work = np.empty(N)
        self._partner_work = None if space.tables is not None else np.empty(N, np.uint32)
        self._partner_work2 = None
        self.init = init
        #: per-layer application order of the partial mixers, (p, K) int (None: index order);
        #: set by ``mixer_order`` (see :func:`qopt.solvers.quantum.mixer_order.mixer_orders`)
        self.orders = None
        self._levels = None          # (diag, uint32 levels, base) of an integer-valued cost
        self._init_index = None if init.kind in ("plus", "uniform") else \
            space.index_of(init.bits)

    def describe(self) -> dict[str, Any]:
        return {"subspace_size": self.size, "partner_tables": self.space.tables is not None,
                "subspace_bytes": self.space.plan.total_bytes}

    def reset(self, psi=None) -> np.ndarray:
        psi = self.psi if psi is None else psi
        if self._init_index is None:
            psi[:] = 1.0 / math.sqrt(self.size)
        else:
            psi[:] = 0.0
            psi[self._init_index] = 1.0
        return psi

    def use_levels(self, diag) -> bool:
        """Phases of ``diag`` from a per-layer table of its distinct integer levels (one
        complex multiply per state instead of a sine and cosine) when it is integer-valued
        with at most :data:`MAX_PHASE_LEVELS` levels; True when it is."""
        lo, hi = float(diag.min()), float(diag.max())
        if hi - lo >= MAX_PHASE_LEVELS or not np.all(diag == np.rint(diag)):
            return False
        levels = (diag - lo).astype(np.uint32)
        self._levels = (diag, levels, lo, int(hi - lo) + 1)
        return True

    def _phase_table(self, d, gamma: float) -> np.ndarray | None:
        """``exp(-i gamma level)`` per level of ``d`` when it is the level-mapped cost, else
        None."""
        lv = self._levels
        if lv is not None and d is lv[0]:
            return np.exp(-1j * gamma * (lv[2] + np.arange(lv[3], dtype=float)))
        return None

    def _phase(self, psi, d, gamma: float) -> None:
        table = self._phase_table(d, gamma)
        if table is not None:
            K.apply_phase_table(psi, self._levels[1], table)
        else:
            K.apply_phase(psi, d, gamma)

    def _partner(self, k: int, second: bool = False) -> np.ndarray:
        """Partner index of partial mixer k (``second``: into the second work buffer when
        the tables are computed on the fly, so two partners can be live at once)."""
        if second and self.space.tables is None:
            if self._partner_work2 is None:
                self._partner_work2 = np.empty(self.size, np.uint32)
            return self.space.partner(k, self._partner_work2)
        return self.space.partner(k, self._partner_work)

    def _pairable(self, k: int, run) -> bool:
        """Whether partial mixer k and the single run ``run`` after it can share one pass
        (:func:`subspace_kernels.rotate_two`): both flip one bit of a set where a state's
        single-flip partners and their common corner form its orbit."""
        if run[2] is not None or run[1] != run[0] + 1:
            return False
        parts = self.space.mixer.partials
        return all(parts[j].kind in _SINGLE_FLIPS and len(parts[j].qubits) == 1
                   for j in (k, run[0]))

    def _runs(self, layer: int) -> list[tuple[int, int, np.ndarray | None]]:
        """Partial-mixer runs of ``layer``: the space's (blocked) runs, or one run per partial
        in ``orders[layer]`` order."""
        if self.orders is None:
            return self.space.runs
        return [(int(k), int(k) + 1, None) for k in self.orders[layer]]

    def apply_mixer(self, betas_row, psi=None, *, inverse: bool = False, layer: int = 0,
                    phase: np.ndarray | None = None):
        """The partial mixers of ``layer`` in order (B_1 first unless ``orders`` says
        otherwise), angles ``betas_row`` (K,, by partial index); ``inverse`` applies the
        adjoint (reverse order, negated angles). ``phase``: a level phase table (see
        :meth:`_phase_table`) applied first, in the first blocked run's pass when there is
        one."""
        psi = self.psi if psi is None else psi
        betas_row = np.ascontiguousarray(betas_row, dtype=float)
        runs = self._runs(layer)[::-1] if inverse else self._runs(layer)
        if phase is not None and (not runs or runs[0][2] is None):
            K.apply_phase_table(psi, self._levels[1], phase)
            phase = None
        sign = -1.0 if inverse else 1.0
        i = 0
        while i < len(runs):
            k0, k1, bounds = runs[i]
            i += 1
            if bounds is not None:
                table = _NO_PHASE if phase is None else phase
                P.rotate_run(self.space, psi, k0, k1, betas_row, bounds, sign,
                             self._level_array(), table)
                phase = None
                continue
            if i < len(runs) and self._pairable(k0, runs[i]):
                k = runs[i][0]                       # two single flips in one pass
                i += 1
                K.rotate_two(psi, self._partner(k0), self._partner(k, second=True),
                             sign * float(betas_row[k0]), sign * float(betas_row[k]))
                continue
            b = float(betas_row[k0])
            if b != 0.0:
                K.rotate_pairs(psi, self._partner(k0), sign * b)
        return psi

    def qaoa_state(self, diags, gammas, betas, psi=None) -> np.ndarray:
        """The QAOA state: ``diags`` one cost diagonal (shared, scaled by ``gammas[l]``) or a
        list of per-layer diagonals (``gammas`` ignored: already folded in)."""
        psi = self.reset(psi)
        for layer in range(len(betas)):
            d, g = (diags[layer], 1.0) if isinstance(diags, list) else (diags, gammas[layer])
            table = self._phase_table(d, float(g))
            if table is None:
                self._phase(psi, d, float(g))
            self.apply_mixer(betas[layer], psi, layer=layer, phase=table)
        return psi

    def _level_array(self) -> np.ndarray:
        return self._levels[1] if self._levels is not None else _NO_LEVELS

    # ---- observables -------------------------------------------------------------------------
    def probabilities(self, psi=None) -> np.ndarray:
        K.probabilities(self.psi if psi is None else psi, self.work)
        return self.work

    def expectation(self, diag, psi=None) -> float:
        return float(K.weighted_expectation(self.psi if psi is None else psi, diag))

    def cvar_weights(self, diag, alpha: float, order) -> tuple[float, np.ndarray]:
        """(CVaR_alpha, O) as the engine's ``cvar_weights``: O the diagonal whose expectation
        has the CVaR's derivative (``order``: argsort of ``diag``)."""
        p = self.probabilities()
        ps = p[order]
        ds = diag[order]
        total = float(ps.sum())
        a = alpha * total
        before = np.cumsum(ps) - ps
        take = np.clip(a - before, 0.0, ps)
        value = float(take @ ds) / a
        inside = (before + ps) < a
        k = min(int(np.count_nonzero(inside)), ds.size - 1)
        obs = np.empty(ds.size)
        obs[order] = np.where(inside, (ds - ds[k]) / a, 0.0)
        return value, obs

    def sample(self, shots: int, rng) -> tuple[np.ndarray, np.ndarray]:
        """(bits (k, n) uint8 unique outcomes in subspace order, counts (k,))."""
        if int(shots) < 1:
            raise OptionError(f"shots must be >= 1, got {shots}")
        cdf = np.cumsum(self.probabilities())
        u = rng.random(int(shots)) * cdf[-1]
        idx = np.minimum(np.searchsorted(cdf, u, side="right"), cdf.size - 1)
        uniq, counts = np.unique(idx, return_counts=True)
        return self.space.bits(uniq), counts

    def z_expectations(self, terms) -> np.ndarray:
        """<prod_{q in t} Z_q> for each qubit tuple t of ``terms``."""
        p = self.probabilities()
        out = np.empty(len(terms))
        K.z_term_sums(self.space.words, self.space.term_masks(terms), p, out)
        return out

    # ---- adjoint gradient --------------------------------------------------------------------
    def gradient(self, observable, diags, gammas, betas, *, term_masks=None, term_coeffs=None
                 ) -> tuple[np.ndarray, np.ndarray]:
        """d<psi|O|psi> / d(angles) for the state last built by :meth:`qaoa_state` (in
        ``self.psi``) with the same arguments; O = diag(``observable``).

        Returns (d gammas, d betas (p, K)). d gammas: shape (p,) for one shared diagonal
        (derivative w.r.t. ``gammas[l]``), or (p, T) per Ising term when ``term_masks`` /
        ``term_coeffs`` are given (layer diagonal = sum_t gamma_lt coeff_t Z_t)."""
        psi, phi, lam = self.psi, self.phi, self.lam
        phi[:] = psi
        K.multiply_diag(lam, psi, observable)
        p = len(betas)
        db = np.zeros((p, len(betas[0])))
        per_term = term_masks is not None
        dg = np.zeros((p, len(term_coeffs))) if per_term else np.zeros(p)
        for layer in range(p - 1, -1, -1):
            row = np.ascontiguousarray(betas[layer], dtype=float)
            for k0, k1, bounds in self._runs(layer)[::-1]:
                if bounds is not None:
                    ov = np.zeros((bounds.size - 1, len(row)))
                    K.backward_blocked(phi, lam, self.space.tables, k0, k1, row, bounds, ov)
                    db[layer, k0:k1] = 2.0 * ov[:, k0:k1].sum(axis=0)
                    continue
                part = self._partner(k0)
                db[layer, k0] = 2.0 * K.pair_overlap_imag(lam, phi, part)
                if row[k0] != 0.0:
                    K.rotate_pairs(phi, part, -float(row[k0]))
                    K.rotate_pairs(lam, part, -float(row[k0]))
            d, g = (diags[layer], 1.0) if isinstance(diags, list) else (diags, gammas[layer])
            if per_term:
                K.overlap_imag_vector(lam, phi, self.work)
                sums = np.empty(len(term_coeffs))
                K.z_term_sums(self.space.words, term_masks, self.work, sums)
                dg[layer] = 2.0 * sums * term_coeffs
            else:
                dg[layer] = 2.0 * K.diag_overlap_imag(lam, phi, d)
            self._phase(phi, d, -float(g))
            self._phase(lam, d, -float(g))
        return dg, db
