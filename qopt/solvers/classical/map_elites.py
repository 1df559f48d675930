"""MAP-Elites (Mouret & Clune 2015, "Illuminating search spaces by mapping elites") on pyribs.

pyribs supplies the grid archive (elites per cell, coverage, QD-score) and the scheduler;
this module supplies what pyribs lacks for combinatorial search: a :class:`BinaryEmitter`
(uniform crossover of two elites + bit-flip mutation + the problem's repair) and a
:class:`PermutationEmitter` (swap / inversion mutation of an elite's permutation), and the
feature descriptors.

Feature descriptors (the archive's axes) are chosen by name (option ``features``) from
:data:`FEATURES`; each is a generic quantity computed from the bits, the native objective
or, for permutation problems, the permutation, using only the Problem protocol
(``to_program``, ``permutation_size``):

======================  =============================================================  ======
name                    value                                                          range
======================  =============================================================  ======
``ones``                fraction of ones (items taken, set size)                        [0, 1]
``balance``             1 - |2 * fraction of ones - 1| (cut balance, 1 = halves)        [0, 1]
``constraint_use``      mean over the program's ``<=`` rows of (A x)_i / b_i            [0, 1]
                        (capacity use)
``degree``              mean degree of the chosen variables in the program's            [0, 1]
                        interaction graph / max degree (degree mix)
``displacement``        fraction of items not at their identity position                [0, 1]
``objective``           native objective (range from the initial random sample,        adaptive
                        widened by its spread on the improving side)
======================  =============================================================  ======

Defaults per problem kind come from the issue (MDKP: items taken x capacity use; MIS: set
size x degree mix; QAP: displacement x cost; MaxCut: cut balance x cut size). A problem may
name its own default by a ``map_elites_features`` attribute (a tuple of names); otherwise
:data:`DEFAULT_FEATURES`, keyed by the problem's ``kind`` string, is used, and anything else
falls back to (ones, objective) — (displacement, objective) for permutation problems. This
is a table of names, not code per class: the descriptors themselves are generic.

Archive fitness (pyribs maximises) is ``-(f + penalty * violation)`` with f the minimisation
objective; QD-score is pyribs' sum over elites of (fitness - offset), offset = the worst
fitness of the initial random sample. The reported best is the black box's incumbent — the
best of every evaluated candidate in (violation, objective) order — so it is never worse
than any elite.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from ribs.archives import GridArchive
from ribs.emitters import EmitterBase
from ribs.schedulers import Scheduler

from qopt.errors import OptionError
from qopt.problems.base import Problem
from qopt.solvers.base import Solver, SolverOutput, Task, rng_from
from qopt.solvers.classical.blackbox import BlackBox, random_permutations, solver_output
from qopt.solvers.classical.evolutionary import permutation_mutation
from qopt.solvers.plans import add_blackbox, add_population

#: default feature pair per problem kind (see the module docstring)
DEFAULT_FEATURES: dict[str, tuple[str, ...]] = {
    "mdkp": ("ones", "constraint_use"),
    "mis": ("ones", "degree"),
    "qap": ("displacement", "objective"),
    "maxcut": ("balance", "objective"),
}


@dataclass(frozen=True)
class Feature:
    """One archive axis: ``compute(bits (k, n), native objective (k,), perms (k, m) or None)
    -> (k,)``; ``low`` / ``high`` None means the range is taken from the initial sample."""

    name: str
    label: str
    compute: Callable[[np.ndarray, np.ndarray, np.ndarray | None], np.ndarray]
    low: float | None = 0.0
    high: float | None = 1.0


def _ones(problem: Problem) -> Feature:
    return Feature("ones", "fraction of ones", lambda X, f, P: X.mean(axis=1))


def _balance(problem: Problem) -> Feature:
    return Feature("balance", "balance 1-|2p-1|",
                   lambda X, f, P: 1.0 - np.abs(2.0 * X.mean(axis=1) - 1.0))


def _constraint_use(problem: Problem) -> Feature:
    prog = problem.to_program()
    le = np.flatnonzero((np.asarray(prog.constraint_senses) == "<=") & (prog.rhs > 0))
    if le.size == 0:
        raise OptionError(f"feature 'constraint_use' needs '<=' constraints with a positive "
                          f"right-hand side; problem {problem.name!r} has none")
    A = prog.A[le]
    b = prog.rhs[le]

    def use(X, f, P):
        lhs = np.asarray(A.dot(X.T.astype(float))).T  # (k, rows)
        return np.clip(lhs / b[None, :], 0.0, 1.0).mean(axis=1)

    return Feature("constraint_use", "constraint use (A x / b)", use)


def _degree(problem: Problem) -> Feature:
    prog = problem.to_program()
    n = prog.num_vars
    Q = sp.csr_matrix(prog.quadratic, shape=(n, n))
    adj = (abs(Q) + abs(Q).T) != 0
    if prog.num_constraints:
        pattern = (prog.A != 0).astype(np.int32)
        adj = adj + ((pattern.T @ pattern) != 0)
    adj = sp.csr_matrix(adj, dtype=bool)
    adj.setdiag(False)
    adj.eliminate_zeros()
    deg = np.asarray(adj.sum(axis=1), dtype=float).reshape(-1)
    top = max(float(deg.max()) if deg.size else 0.0, 1.0)

    def mix(X, f, P):
        count = X.sum(axis=1)
        return (X @ deg) / np.maximum(count, 1) / top

    return Feature("degree", "mean degree of chosen / max degree", mix)


def _displacement(problem: Problem) -> Feature:
    def disp(X, f, P):
        if P is None:
            raise OptionError("feature 'displacement' needs a permutation problem")
        return (np.arange(P.shape[1])[None, :] != P).mean(axis=1)

    return Feature("displacement", "fraction of items moved", disp)


def _objective(problem: Problem) -> Feature:
    return Feature("objective", f"objective ({problem.sense})", lambda X, f, P: f, None, None)


#: feature name -> builder(problem) -> Feature
FEATURES: dict[str, Callable[[Problem], Feature]] = {
    "ones": _ones, "balance": _balance, "constraint_use": _constraint_use,
    "degree": _degree, "displacement": _displacement, "objective": _objective,
}


def default_feature_names(problem: Problem, permutation: bool) -> tuple[str, ...]:
    """The problem's ``map_elites_features`` if it has one, else :data:`DEFAULT_FEATURES` by
    kind, else (displacement | ones, objective)."""
    own = getattr(problem, "map_elites_features", None)
    if own:
        return tuple(own)
    if problem.kind in DEFAULT_FEATURES:
        return DEFAULT_FEATURES[problem.kind]
    return ("displacement", "objective") if permutation else ("ones", "objective")


def resolve_features(spec, problem: Problem, permutation: bool) -> list[Feature]:
    """Features from ``spec`` (None, "a,b", a sequence of names or :class:`Feature`)."""
    if spec is None:
        spec = default_feature_names(problem, permutation)
    if isinstance(spec, str):
        spec = [s.strip() for s in spec.split(",") if s.strip()]
    out = []
    for item in spec:
        if isinstance(item, Feature):
            out.append(item)
            continue
        if item not in FEATURES:
            raise OptionError(f"unknown feature {item!r}; known: {', '.join(FEATURES)}")
        if item == "displacement" and not permutation:
            raise OptionError("feature 'displacement' needs a permutation problem "
                              f"({problem.name!r} is not one)")
        out.append(FEATURES[item](problem))
    if not out:
        raise OptionError("MAP-Elites needs at least one feature")
    return out


# ---- emitters -------------------------------------------------------------------------------
class BinaryEmitter(EmitterBase):
    """Bit-vector emitter: each child is an elite, uniformly crossed with a second elite
    (probability ``crossover_prob``), with each bit flipped with probability
    ``mutation_rate`` (at least one flip), then repaired by ``repair`` (rows -> rows)."""

    def __init__(self, archive, *, batch_size: int, mutation_rate: float,
                 crossover_prob: float, rng: np.random.Generator,
                 repair: Callable[[np.ndarray], np.ndarray] | None = None):
        n = archive.solution_dim
        super().__init__(archive, solution_dim=n, bounds=None, lower_bounds=np.zeros(n),
                         upper_bounds=np.ones(n))
        self.batch_size, self.rate, self.cx = batch_size, mutation_rate, crossover_prob
        self.rng, self.repair = rng, repair

    def ask(self) -> np.ndarray:
        k, n, rng = self.batch_size, self.solution_dim, self.rng
        if self.archive.empty:
            X = (rng.random((k, n)) < 0.5).astype(np.uint8)
        else:
            X = np.asarray(self.archive.sample_elites(k)["solution"], dtype=np.uint8)
            mates = np.asarray(self.archive.sample_elites(k)["solution"], dtype=np.uint8)
            cross = (rng.random((k, 1)) < self.cx) & (rng.random((k, n)) < 0.5)
            X = np.where(cross, mates, X)
            flips = rng.random((k, n)) < self.rate
            none = ~flips.any(axis=1)
            flips[np.flatnonzero(none), rng.integers(0, n, int(none.sum()))] = True
            X = X ^ flips.astype(np.uint8)
        return self.repair(X) if self.repair is not None else X


class PermutationEmitter(EmitterBase):
    """Permutation emitter: each child is an elite's permutation after one swap or inversion
    (``kind`` "swap", "inversion" or "mixed")."""

    def __init__(self, archive, *, batch_size: int, kind: str, rng: np.random.Generator):
        m = archive.solution_dim
        super().__init__(archive, solution_dim=m, bounds=None, lower_bounds=np.zeros(m),
                         upper_bounds=np.full(m, m - 1))
        self.batch_size, self.kind, self.rng = batch_size, kind, rng

    def ask(self) -> np.ndarray:
        k, m = self.batch_size, self.solution_dim
        if self.archive.empty:
            return random_permutations(self.rng, k, m)
        P = np.asarray(self.archive.sample_elites(k)["solution"], dtype=np.int64)
        return permutation_mutation(P, self.kind, 1.0, self.rng)


# ---- solver ---------------------------------------------------------------------------------
@dataclass
class MapElitesOptions:
    """Options of ``map-elites``.

    Attributes:
        features: feature names (see :data:`FEATURES`), a sequence or "a,b"; None = the
            problem's default.
        cells: cells per feature axis (int, or one per feature).
        emitters: number of emitters; each proposes ``batch_size`` children per iteration.
        batch_size: children per emitter per iteration.
        initial: random (repaired) candidates evaluated to seed the archive.
        mutation_rate: binary: per-bit flip probability (default 1/n, at least one flip);
            ignored for permutations (one swap or inversion per child).
        crossover_prob: binary: probability that a child is a uniform cross of two elites.
        permutation_mutation: "swap", "inversion" or "mixed".
        repair: apply the problem's repair operator to every binary child.
        penalty: weight of the violation in the archive fitness; None = 10 x the objective
            spread of the initial sample (at least 1).
        heatmap: path of a PNG heatmap of the archive (native objective per cell), or None.
            In a sweep a relative path is taken inside the results directory and may not
            leave it; an absolute path is used as given.
    """

    features: tuple[str, ...] | str | None = None
    cells: int | tuple[int, ...] = 20
    emitters: int = 2
    batch_size: int = 50
    initial: int = 200
    mutation_rate: float | None = None
    crossover_prob: float = 0.5
    permutation_mutation: str = "mixed"
    repair: bool = True
    penalty: float | None = None
    heatmap: str | None = field(default=None, metadata={"output_path": True})

    def validate(self) -> None:
        cells = (self.cells,) if np.ndim(self.cells) == 0 else tuple(self.cells)
        if not cells or any(int(c) < 1 for c in cells):
            raise OptionError(f"cells must be positive, got {self.cells!r}")
        for name in ("emitters", "batch_size", "initial"):
            if getattr(self, name) < 1:
                raise OptionError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.mutation_rate is not None and not 0.0 < self.mutation_rate <= 1.0:
            raise OptionError(f"mutation_rate must be in (0, 1], got {self.mutation_rate}")
        if not 0.0 <= self.crossover_prob <= 1.0:
            raise OptionError(f"crossover_prob must be in [0, 1], got {self.crossover_prob}")
        if self.permutation_mutation not in ("swap", "inversion", "mixed"):
            raise OptionError("permutation_mutation must be 'swap', 'inversion' or 'mixed', "
                              f"got {self.permutation_mutation!r}")
        if self.penalty is not None and self.penalty < 0:
            raise OptionError(f"penalty must be >= 0, got {self.penalty}")


class MapElitesSolver(Solver):
    """MAP-Elites with a pyribs grid archive under the evaluation budget.

    After ``run`` the pyribs archive is kept as ``self.archive_`` (fields ``native`` and
    ``violation`` hold each elite's native objective and violation) and the features as
    ``self.features_``.
    """

    name = "map-elites"
    input = "problem"
    Options = MapElitesOptions

    def plan_resources(self, plan, task, *, backend=None, optimizer=None, budget=None):
        """The budget's time, the grid archive (``--cells`` per feature axis; pyribs allocates
        every cell: a solution, its measures and fields) and the sampled / emitted batches."""
        o: MapElitesOptions = self.options
        n = int(task.problem.num_vars)
        evaluations = add_blackbox(plan, n, budget)
        if np.ndim(o.cells):
            cells = [int(c) for c in o.cells]
        else:
            spec = o.features
            axes = 2 if spec is None else len(spec.split(",") if isinstance(spec, str) else spec)
            cells = [int(o.cells)] * axes
        plan.add(f"grid archive ({' x '.join(map(str, cells))} cells of {n} genes)",
                 math.prod(cells) * (8 * max(n, 1) + 8 * len(cells) + 64), "--cells")
        rows = min(evaluations, max(int(o.initial), int(o.emitters) * int(o.batch_size)))
        add_population(plan, rows, n, "--batch-size", "initial sample and emitter batches",
                       per_row=64)

    def run(self, task: Task, *, backend=None, optimizer=None, seed: int | None = None,
            budget: int | None = None) -> SolverOutput:
        o: MapElitesOptions = self.options
        problem = task.problem
        bb = BlackBox(problem, budget)
        m = bb.permutation_size
        features = resolve_features(o.features, problem, m is not None)
        cells = ((int(o.cells),) * len(features) if np.ndim(o.cells) == 0
                 else tuple(int(c) for c in o.cells))
        if len(cells) != len(features):
            raise OptionError(f"{len(cells)} cell counts for {len(features)} features")
        if o.heatmap is not None and len(features) > 2:
            raise OptionError("heatmap needs one or two features")
        rng = rng_from(seed)
        repair = bb.repair if (o.repair and bb.has_repair) else None

        def to_bits(S):
            return bb.encode_permutations(S) if m is not None else np.asarray(S, np.uint8)

        def describe(S, bits, f, v):
            nat = np.asarray(bb.native(f), dtype=float)
            P = np.asarray(S, dtype=np.int64) if m is not None else None
            meas = np.stack([ft.compute(bits, nat, P) for ft in features], axis=1)
            return meas, nat

        # initial random sample: fixes the adaptive ranges, the penalty and the QD offset
        k0 = min(o.initial, bb.budget)
        if m is not None:
            S0 = random_permutations(rng, k0, m)
        else:
            S0 = (rng.random((k0, bb.num_vars)) < 0.5).astype(np.uint8)
            if repair is not None:
                S0 = repair(S0)
        B0 = to_bits(S0)
        f0, v0 = bb.evaluate_upto(B0)  # a charged repair may have spent part of the budget
        if len(f0) == 0:
            return solver_output(bb, info={"archive": None, "encoding":
                                           "permutation" if m else "binary"})
        S0, B0 = S0[: len(f0)], B0[: len(f0)]
        meas0, nat0 = describe(S0, B0, f0, v0)
        ok = v0 <= 1e-9
        ref = f0[ok] if ok.any() else f0
        spread = float(ref.max() - ref.min()) or max(abs(float(ref.max())), 1.0)
        penalty = o.penalty if o.penalty is not None else max(10.0 * spread, 1.0)
        ranges = []
        for j, ft in enumerate(features):
            col = meas0[ok, j] if ok.any() else meas0[:, j]
            lo = ft.low if ft.low is not None else float(col.min())
            hi = ft.high if ft.high is not None else float(col.max())
            if ft.low is None or ft.high is None:
                width = (hi - lo) or max(abs(hi), 1.0)
                if bb.sense == "min":
                    lo -= width  # room below the random sample for improvements
                else:
                    hi += width
            ranges.append((lo, hi if hi > lo else lo + 1.0))

        def fitness(f, v):
            return -(f + penalty * v)

        fit0 = fitness(f0, v0)
        archive = _grid_archive(m if m is not None else bb.num_vars, cells, ranges,
                                np.int64 if m is not None else np.uint8, float(fit0.min()),
                                int(rng.integers(2**31 - 1)))
        archive.add(solution=S0, objective=fit0, measures=meas0, native=nat0, violation=v0)

        if m is not None:
            emitters = [PermutationEmitter(archive, batch_size=o.batch_size,
                                           kind=o.permutation_mutation, rng=rng)
                        for _ in range(o.emitters)]
        else:
            rate = o.mutation_rate if o.mutation_rate is not None else 1.0 / bb.num_vars
            emitters = [BinaryEmitter(archive, batch_size=o.batch_size, mutation_rate=rate,
                                      crossover_prob=o.crossover_prob, rng=rng, repair=repair)
                        for _ in range(o.emitters)]
        scheduler = Scheduler(archive, emitters)
        iterations = 0
        while not bb.exhausted:
            S = scheduler.ask()
            if len(S) > bb.remaining:  # last, truncated batch: evaluated and archived
                S = S[: bb.remaining]
                B = to_bits(S)
                f, v = bb.evaluate(B)
                meas, nat = describe(S, B, f, v)
                archive.add(solution=S, objective=fitness(f, v), measures=meas, native=nat,
                            violation=v)
                break
            B = to_bits(S)
            f, v = bb.evaluate(B)
            meas, nat = describe(S, B, f, v)
            scheduler.tell(fitness(f, v), meas, native=nat, violation=v)
            iterations += 1

        self.archive_ = archive
        self.features_ = features
        summary = archive_summary(archive, features, ranges)
        summary["penalty"] = penalty
        summary["iterations"] = iterations
        if o.heatmap is not None:
            summary["heatmap"] = str(plot_heatmap(archive, features, o.heatmap,
                                                  sense=bb.sense))
        return solver_output(bb, info={"archive": summary,
                                       "encoding": "permutation" if m else "binary"})


def _grid_archive(dim: int, cells, ranges, dtype, offset: float, seed: int) -> GridArchive:
    return GridArchive(solution_dim=dim, dims=cells, ranges=ranges, solution_dtype=dtype,
                       extra_fields={"native": ((), np.float64), "violation": ((), np.float64)},
                       qd_score_offset=offset, seed=seed)


def archive_summary(archive: GridArchive, features: list[Feature], ranges) -> dict:
    """Plain-data summary: sizes, coverage, QD-score and every elite's cell and objective."""
    st = archive.stats
    d = archive.data()
    grid = archive.int_to_grid_index(d["index"]) if len(d["index"]) else np.zeros((0, 2))
    return {
        "features": [f.name for f in features],
        "ranges": [[float(a), float(b)] for a, b in ranges],
        "cells": [int(c) for c in archive.dims],
        "num_cells": int(archive.cells),
        "filled": int(st.num_elites),
        "coverage": float(st.coverage),
        "qd_score": float(st.qd_score),
        "norm_qd_score": float(st.norm_qd_score),
        "elites": {"cell": np.asarray(grid, dtype=int).tolist(),
                   "objective": np.asarray(d["native"], dtype=float).tolist(),
                   "violation": np.asarray(d["violation"], dtype=float).tolist()},
    }


def plot_heatmap(archive: GridArchive, features: list[Feature], path, sense: str = "min"):
    """Save a heatmap of the elites' native objective per cell (matplotlib, imported here);
    returns the path. Empty cells are blank."""
    from matplotlib.figure import Figure  # no pyplot: leaves the user's backend alone

    dims = [int(c) for c in archive.dims]
    grid = np.full(dims if len(dims) == 2 else [dims[0], 1], np.nan)
    d = archive.data()
    if len(d["index"]):
        idx = archive.int_to_grid_index(d["index"])
        if len(dims) == 1:
            idx = np.concatenate([idx, np.zeros((len(idx), 1), dtype=idx.dtype)], axis=1)
        grid[idx[:, 0], idx[:, 1]] = d["native"]
    lo, hi = archive.lower_bounds, archive.upper_bounds
    extent = [lo[0], hi[0], lo[1] if len(dims) == 2 else 0, hi[1] if len(dims) == 2 else 1]
    fig = Figure(figsize=(6, 5))
    ax = fig.subplots()
    im = ax.imshow(grid.T, origin="lower", extent=extent, aspect="auto",
                   cmap="viridis" if sense == "max" else "viridis_r")
    ax.set_xlabel(features[0].label)
    if len(features) > 1:
        ax.set_ylabel(features[1].label)
    fig.colorbar(im, ax=ax, label=f"objective ({sense})")
    st = archive.stats
    ax.set_title(f"MAP-Elites: {st.num_elites}/{archive.cells} cells, "
                 f"coverage {float(st.coverage):.2f}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path
