"""Tabu search on a QUBO: one-flip moves, incremental deltas, restarts from perturbed elites.

The search keeps one state x in {0,1}^n and its local fields ``f_i = c_i + sum_j (U + U')_ij x_j``,
so flipping x_i changes the energy by ``delta_i = (1 - 2 x_i) f_i``. Each iteration evaluates
the flip of every variable (n evaluations), in a scan order that starts at a random offset,
and makes the best admissible move (ties: first in scan order), even an uphill one. A variable
just flipped is tabu for ``tenure + U{0..tenure // 2}`` iterations; a tabu move is admissible
when it reaches an energy below the best found so far (aspiration). When the phase's best has
not improved for ``stall`` iterations, the search restarts from one of the ``elite`` best
distinct states found so far (chosen at random) with a random 10-25 % of its bits flipped.
The default tenure is ``min(20, n // 4)`` as in Beasley (1998) and D-Wave's MST2 tabu: the
cap keeps large instances (n = 2000: 500 tabu variables otherwise) from over-diversifying.
For constrained programs the search runs on the penalty QUBO, like ``anneal``, and by default
with the same slack-aware moves (:mod:`qopt.solvers.classical.slack_energy`): only program bits
are flipped, every slack block is held at its best value, so a move of an item carries its
slack with it (``slack_moves=False``: every QUBO bit, the slack bits too); qopt's
post-processing repairs afterwards.

Budget (the unit of ``anneal``): one evaluated flip = one evaluation; the initial state and
each restart state also cost one evaluation each (their energy is evaluated in full). With
``budget=B`` the run stops after exactly B evaluations (the last iteration scans only a prefix
of its order); without a budget it makes ``iterations`` iterations. Same seed, same result.

Why not dwave-samplers' ``TabuSampler`` (checked: dwave-samplers 1.8.0): it stops on a time
limit per read (``timeout``, ms) or a count of restarts; the work bound
``coefficient_z_first``/``lower_bound_z`` counts applied moves, not evaluated flips, and leaves
out the greedy descents after each new best, and it reports no count of the work done. Its
results are only reproducible without the timeout. So it cannot stop at an exact number of
evaluated flips nor report one. The kernel here is compiled with numba when installed;
otherwise a numpy version (each iteration's scan vectorised) runs with the same random numbers
and gives the same result.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from qopt.errors import OptionError
from qopt.model.qubo import QUBO
from qopt.resources import ResourcePlan
from qopt.solvers.base import Samples, Solver, SolverOutput, Task, rng_from
from qopt.solvers.classical.poly_fields import PolyTerms, flip_row, flip_row_nb
from qopt.solvers.classical.slack_energy import SlackReduction, slack_reduction

try:  # pragma: no cover - exercised when numba is installed
    import numba

    _HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    _HAVE_NUMBA = False

#: iterations whose random numbers (scan offsets, tenure draws) are drawn at once
_CHUNK = 4096
#: why a kernel call returned
_STALLED, _OUT_OF_BUDGET, _CHUNK_DONE = 0, 1, 2


@dataclass
class TabuOptions:
    """Options of tabu search.

    Attributes:
        iterations: iterations (each evaluates n flips) when no ``budget`` is given.
        tenure: base tabu tenure in iterations (None: ``min(20, n // 4)``, at least 1); each
            move adds a random 0..tenure // 2.
        stall: iterations without improving the phase's best before a restart
            (None: ``max(20, n // 2)``).
        elite: how many best distinct states are kept (restart points and returned samples).
        slack_moves: search the program bits with every slack block at its best value (True)
            or every QUBO bit (False); QUBOs without slack blocks are searched as they are.
        kernel: ``"auto"`` (numba when installed), ``"numba"`` or ``"numpy"``.
    """

    iterations: int = 1000
    tenure: int | None = None
    stall: int | None = None
    elite: int = 8
    slack_moves: bool = True
    kernel: str = "auto"

    def validate(self) -> None:
        for name in ("iterations", "elite", "tenure", "stall"):
            v = getattr(self, name)
            if v is None and name in ("tenure", "stall"):
                continue
            if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < 1:
                raise OptionError(f"{name} must be a positive integer"
                                  f"{' or None' if name in ('tenure', 'stall') else ''}, "
                                  f"got {v!r}")
        if not isinstance(self.slack_moves, bool | np.bool_):
            raise OptionError(f"slack_moves must be true or false, got {self.slack_moves!r}")
        if self.kernel not in ("auto", "numba", "numpy"):
            raise OptionError(f"kernel must be 'auto', 'numba' or 'numpy', got {self.kernel!r}")
        if self.kernel == "numba" and not _HAVE_NUMBA:
            raise OptionError("kernel='numba' needs the numba package (pip install numba)")


def _candidate_deltas(x, f, order, blocks):
    """Energy changes of flipping the variables ``order`` (vectorised): ``dx_i f_i`` plus,
    for each slack block b holding i, ``P_b (min(g_b, 0)^2 - min(g_b + a_bi dx_i, 0)^2)``.

    ``blocks`` = (G, bptr, bidx, bcoef, pen, entry_var), see :func:`_block_arrays`.
    """
    G, _, bidx, bcoef, pen, entry_var = blocks
    dx = np.where(x == 0, 1.0, -1.0)
    if bidx.size == 0:
        return dx[order] * f[order]
    g = G[bidx]
    h = g + dx[entry_var] * bcoef
    g_lo, h_lo = np.minimum(g, 0.0), np.minimum(h, 0.0)
    blk = np.bincount(entry_var, pen[bidx] * (g_lo * g_lo - h_lo * h_lo), minlength=x.size)
    return dx[order] * f[order] + blk[order]


def _tabu_numpy(x, f, state, tabu_until, indptr, indices, data, blocks, poly, offsets,
                extra_tenure, base_tenure, stall, phase_best_x):
    """Iterations of one tabu phase, each iteration's scan vectorised (see :func:`_run`).

    ``state`` (float64, 6) holds [energy, best energy overall, phase best energy, iteration,
    iterations since the phase's best improved, evaluations left]; updated in place.
    Returns the reason the call ended (_STALLED, _OUT_OF_BUDGET, _CHUNK_DONE) and the
    evaluations spent.
    """
    n = x.shape[0]
    spent = 0
    ar = np.arange(n)
    for k in range(offsets.shape[0]):
        reason, m = _open_iteration(state, n, stall)
        if reason >= 0:
            return reason, spent
        spent += m
        order = (ar[:m] + offsets[k]) % n
        deltas = _candidate_deltas(x, f, order, blocks)
        it = state[3]
        energy = state[0]
        ok = (tabu_until[order] <= it) | (energy + deltas < state[1])
        pick = np.argmin(np.where(ok, deltas, np.inf)) if ok.any() else np.argmin(deltas)
        i = order[pick]
        dx = 1.0 if x[i] == 0 else -1.0
        x[i] = 1 - x[i]
        lo, hi = indptr[i], indptr[i + 1]
        f[indices[lo:hi]] += dx * data[lo:hi]
        G, bptr, bidx, bcoef = blocks[:4]
        lo, hi = bptr[i], bptr[i + 1]
        G[bidx[lo:hi]] += dx * bcoef[lo:hi]
        flip_row(x, f, poly[0], i, dx, *poly[1:])
        _record_move(state, x, phase_best_x, tabu_until, i, energy + deltas[pick],
                     it + 1 + base_tenure + extra_tenure[k])
    return _CHUNK_DONE, spent


def _open_iteration(state, n, stall):
    """Head of one iteration (``state`` as in _tabu_numpy): (_OUT_OF_BUDGET or _STALLED, 0)
    when the call must end, else (-1, m) with the m flips scanned charged to the budget."""
    left = int(state[5])
    if left <= 0:
        return _OUT_OF_BUDGET, 0
    if state[4] >= stall:
        return _STALLED, 0
    m = min(n, left)
    state[5] -= m
    return -1, m


def _record_move(state, x, phase_best_x, tabu_until, i, new_energy, tabu_end):
    """Bookkeeping after the move of variable i (x already flipped): energy, iteration,
    tabu end, phase / overall best and the stall counter (``state`` as in _tabu_numpy)."""
    tabu_until[i] = tabu_end
    state[0] = new_energy
    state[3] += 1
    if new_energy < state[2]:
        state[2] = new_energy
        phase_best_x[:] = x
        state[4] = 0
        if new_energy < state[1]:
            state[1] = new_energy
    else:
        state[4] += 1


if _HAVE_NUMBA:
    _open_iteration_nb = numba.njit(cache=True, nogil=True)(_open_iteration)
    _record_move_nb = numba.njit(cache=True, nogil=True)(_record_move)

    @numba.njit(cache=True, nogil=True)
    def _tabu_numba(x, f, state, tabu_until, indptr, indices, data, blocks, poly, offsets,
                    extra_tenure, base_tenure, stall, phase_best_x):  # pragma: no cover
        """Same iterations as :func:`_tabu_numpy`, compiled (scalar scan)."""
        G, bptr, bidx, bcoef, pen = blocks[0], blocks[1], blocks[2], blocks[3], blocks[4]
        Z, hptr, hterm, tptr, tvar, tcoef = poly
        n = x.shape[0]
        spent = 0
        for k in range(offsets.shape[0]):
            reason, m = _open_iteration_nb(state, n, stall)
            if reason >= 0:
                return reason, spent
            spent += m
            it = state[3]
            energy = state[0]
            best_ok, pick_ok = np.inf, -1
            best_any, pick_any = np.inf, -1
            for t in range(m):
                i = (t + offsets[k]) % n
                dxi = 1.0 if x[i] == 0 else -1.0
                blk = 0.0
                for p in range(bptr[i], bptr[i + 1]):
                    g = G[bidx[p]]
                    h = g + dxi * bcoef[p]
                    g_lo = g if g < 0.0 else 0.0
                    h_lo = h if h < 0.0 else 0.0
                    blk += pen[bidx[p]] * (g_lo * g_lo - h_lo * h_lo)
                d = dxi * f[i] + blk
                if (tabu_until[i] <= it or energy + d < state[1]) and d < best_ok:
                    best_ok, pick_ok = d, i
                if d < best_any:
                    best_any, pick_any = d, i
            if pick_ok >= 0:
                i, d = pick_ok, best_ok
            else:
                i, d = pick_any, best_any
            dx = 1.0 if x[i] == 0 else -1.0
            x[i] = 1 - x[i]
            for p in range(indptr[i], indptr[i + 1]):
                f[indices[p]] += dx * data[p]
            for p in range(bptr[i], bptr[i + 1]):
                G[bidx[p]] += dx * bcoef[p]
            if hptr[i + 1] > hptr[i]:
                flip_row_nb(x, f, Z, i, dx, hptr, hterm, tptr, tvar, tcoef)
            _record_move_nb(state, x, phase_best_x, tabu_until, i, energy + d,
                            it + 1 + base_tenure + extra_tenure[k])
        return _CHUNK_DONE, spent


class _Elite:
    """The ``size`` lowest-energy distinct states seen (rows of ``bits``, energies)."""

    def __init__(self, size: int, n: int):
        self.bits = np.zeros((size, n), dtype=np.int8)
        self.energy = np.full(size, np.inf)

    def offer(self, x: np.ndarray, energy: float) -> None:
        filled = np.isfinite(self.energy)
        if (self.bits[filled] == x).all(axis=1).any():
            return
        worst = int(np.argmax(self.energy))
        if energy < self.energy[worst]:
            self.bits[worst] = x
            self.energy[worst] = energy

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        keep = np.flatnonzero(np.isfinite(self.energy))
        order = keep[np.argsort(self.energy[keep], kind="stable")]
        return self.bits[order], self.energy[order]


def auto_tenure(n: int) -> int:
    """Default base tenure: ``min(20, n // 4)``, at least 1."""
    return max(1, min(20, n // 4))


class TabuSolver(Solver):
    """Tabu search on the QUBO (see module docstring); returns the elite states as samples.

    ``evaluations`` counts evaluated flips plus one per initial / restart state, never above
    ``budget`` (exactly ``budget`` when given). ``info`` carries iterations, restarts, the
    tenure and stall used, the variables searched, whether slack moves were used and the best
    energy (of the QUBO, slack completed).
    """

    name = "tabu"
    input = "qubo"
    max_degree = None          # local fields of any order (poly_fields)
    Options = TabuOptions

    def plan_resources(self, plan: ResourcePlan, task: Task, *, backend=None, optimizer=None,
                       budget=None) -> None:
        n = task.cost.num_vars
        nnz = 2 * task.cost.quadratic.nnz + sum(idx.size for idx, _ in task.cost.terms.values())
        plan.add(f"tabu state and symmetric couplings ({n} variables, {nnz} entries)",
                 8 * (6 * n + _CHUNK * 2) + 20 * nnz)
        plan.add(f"elite pool ({self.options.elite} x {n} int8)", self.options.elite * n,
                 option="--elite")

    def run(self, task: Task, *, backend=None, optimizer=None, seed=None,
            budget=None) -> SolverOutput:
        opts: TabuOptions = self.options
        qubo = task.cost
        t0 = time.perf_counter()
        rng = rng_from(seed)
        use_numba = _HAVE_NUMBA and opts.kernel != "numpy"
        bits, _, info = _run(qubo, rng, opts, budget,
                             _tabu_numba if use_numba else _tabu_numpy)
        info["kernel"] = "numba" if use_numba else "numpy"
        info["threads"] = 1         # one search trajectory: a sequential kernel
        return SolverOutput(samples=Samples(bits.astype(np.uint8)), status="done",
                            evaluations=info.pop("evaluations"),
                            time={"classical": time.perf_counter() - t0}, info=info)


def _block_arrays(reduction: SlackReduction | None, n: int):
    """(bptr, bidx, bcoef, pen, entry_var) of the slack blocks: the CSC columns of A, the
    penalties, and the variable of each CSC entry; empty arrays when there are no blocks.
    With the excesses G of a state in front they make the kernels' ``blocks``."""
    if reduction is None:
        z = np.zeros(0, dtype=np.int64)
        return (np.zeros(n + 1, dtype=np.int64), z, np.zeros(0), np.zeros(0), z)
    bptr, bidx, bcoef = reduction.columns()
    entry_var = np.repeat(np.arange(n, dtype=np.int64), np.diff(bptr))
    return bptr, bidx, bcoef, reduction.penalty.astype(np.float64), entry_var


def _excess(reduction: SlackReduction | None, x: np.ndarray) -> np.ndarray:
    """G = A x - b (m,) of the slack blocks at state x; empty when there are no blocks."""
    if reduction is None:
        return np.zeros(0)
    return np.ascontiguousarray(reduction.excess(x[None, :])[0], dtype=np.float64)


def _run(qubo: QUBO, rng: np.random.Generator, opts: TabuOptions, budget, kernel):
    """The restart loop around the kernel; returns (elite bits over every QUBO variable, their
    energies, info)."""
    reduction = slack_reduction(qubo) if opts.slack_moves else None    # None for a HUBO
    land = qubo if reduction is None else reduction.program      # what the moves flip
    energy_of = qubo.energy if reduction is None else reduction.energy
    n = land.num_vars
    base = int(opts.tenure) if opts.tenure is not None else auto_tenure(n)
    stall = int(opts.stall) if opts.stall is not None else max(20, n // 2)
    sym = (land.quadratic + land.quadratic.T).tocsr()
    sym.sort_indices()
    indptr = sym.indptr.astype(np.int64)
    indices = sym.indices.astype(np.int64)
    data = sym.data.astype(np.float64)
    elite = _Elite(int(opts.elite), n)
    # evaluations left: the budget, or enough for `iterations` full scans (+ restart states)
    total = int(budget) if budget is not None else int(opts.iterations) * (n + 1) + 1
    max_iterations = None if budget is not None else int(opts.iterations)
    block_consts = _block_arrays(reduction, n)      # fixed; only the excesses follow x
    terms = PolyTerms.of(land)                       # degree >= 3 (none for a QUBO)

    def start(x):
        f = land.linear + sym.dot(x.astype(np.float64))
        Z = terms.zeros(x[None, :])
        if terms.num_terms:
            f = f + terms.fields(x[None, :], Z)[0]
        return (np.ascontiguousarray(f, dtype=np.float64),
                (_excess(reduction, x), *block_consts), float(energy_of(x[None, :])[0]),
                terms.arrays(Z[0]))

    x = rng.integers(0, 2, size=n, dtype=np.int8)
    f, blocks, energy, poly = start(x)
    state = np.array([energy, energy, energy, 0.0, 0.0, float(total - 1)])
    tabu_until = np.zeros(n, dtype=np.float64)
    phase_best_x = x.copy()
    restarts = 0
    while n and state[5] > 0 and (max_iterations is None or state[3] < max_iterations):
        chunk = _CHUNK if max_iterations is None else min(_CHUNK,
                                                          max_iterations - int(state[3]))
        offsets = rng.integers(0, n, size=chunk, dtype=np.int64)
        extra = rng.integers(0, base // 2 + 1, size=chunk).astype(np.float64)
        reason, _ = kernel(x, f, state, tabu_until, indptr, indices, data, blocks, poly,
                           offsets, extra, float(base), float(stall), phase_best_x)
        if reason == _STALLED and state[5] > 0:
            elite.offer(phase_best_x, state[2])
            rows, _ = elite.rows()
            x = rows[rng.integers(0, len(rows))].copy()
            flips = rng.permutation(n)[:max(1, int(rng.integers(n // 10, n // 4 + 1)))]
            x[flips] = 1 - x[flips]
            f, blocks, energy, poly = start(x)
            state[5] -= 1
            restarts += 1
            tabu_until[:] = 0.0
            tabu_until[flips] = state[3] + base
            phase_best_x[:] = x
            state[0] = state[2] = energy
            state[1] = min(state[1], energy)
            state[4] = 0
    elite.offer(phase_best_x, state[2])
    bits, energies = elite.rows()
    if reduction is not None:
        bits = reduction.qubo.complete(bits.astype(np.uint8))
    info = {"evaluations": total - int(state[5]), "iterations": int(state[3]),
            "restarts": restarts, "tenure": base, "stall": stall,
            "searched_vars": n, "slack_moves": reduction is not None,
            "min_energy": float(energies[0])}
    return bits, energies, info


def tabu_qubo(qubo: QUBO, *, seed=None, budget: int | None = None, **options) -> SolverOutput:
    """Run tabu search directly on a QUBO (no Problem needed)."""
    from qopt.problems.custom import QUBOProblem

    return TabuSolver(**options).run(Task(QUBOProblem(qubo), qubo=qubo), seed=seed,
                                     budget=budget)


__all__ = ["TabuOptions", "TabuSolver", "auto_tenure", "tabu_qubo"]
