"""QAOA mixers: ordered lists of partial mixers, and their initial states.

Conventions (shared with the circuit builders, see docs/solvers/constrained.md):
a mixer is an ordered list of partial mixers B_1..B_K (Hermitian); one layer applies
``U_M(beta) = exp(-i beta_K B_K) ... exp(-i beta_1 B_1)`` (B_1 first) after the cost layer
``exp(-i gamma H_C)``. Standard QAOA uses one beta per layer, ma-qaoa one per partial mixer.

Every partial mixer here acts on computational basis states as a *partial involution*: it pairs
a basis state s with one partner t (or leaves s alone) and ``B = sum_pairs |s><t| + |t><s|``,
so ``exp(-i beta B)`` is ``cos(beta) psi_s - i sin(beta) psi_t`` on paired states and the
identity elsewhere. (The swap mixer is a partial involution on permutation states; on other
basis states its Hamiltonian is the sum of its double excitations, see ``swap_terms``.)
Bit order: variable i = qubit i, little-endian (bit i of a mask is variable i).

Kinds of partial mixer (``PartialMixer.kind``):

- ``"x"``: ``X_q`` on ``qubits = (q,)``;
- ``"xy"``: ``(X_a X_b + Y_a Y_b) / 2`` on ``qubits = (a, b)`` (exchanges differing bits);
- ``"swap"``: Hadfield's partial swap of positions (p, q) of a permutation encoding,
  ``sum_{u != v} S+_{u,p} S-_{u,q} S+_{v,q} S-_{v,p}`` (S+ = |1><0|); ``qubits`` are the 2m
  variables of positions p and q, ``positions = (p, q)``;
- ``"controlled-x"``: ``X_v prod_{u in controls} |0><0|_u`` on ``qubits = (v,)`` (independent
  set: v flips only while no neighbour is set);
- ``"capacity"``: flips ``qubits = (j,)`` when both states satisfy every packing row
  ``A x <= b`` of ``packing`` (no practical circuit: it needs comparators).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from qopt.errors import OptionError
from qopt.model.structure import ConstraintStructure

MIXERS = ("x", "xy-ring", "xy-complete", "swap", "independent-set", "capacity", "feasible",
          "grover")
INIT_STATES = ("default", "uniform", "identity", "empty", "greedy")
#: order in which ``feasible`` tries the structure's mixers
_FEASIBLE_ORDER = ("swap", "independent-set", "capacity", "xy-ring")
#: largest n for which ``dense_hamiltonian`` builds a 2^n x 2^n matrix
DENSE_MAX_QUBITS = 16


@dataclass(frozen=True, eq=False)
class PackingRows:
    """Packing rows ``A x <= b`` (A (k, n) >= 0, b (k,)) a capacity mixer keeps to."""

    A: np.ndarray
    b: np.ndarray

    def feasible_masks(self, masks: np.ndarray) -> np.ndarray:
        """Whether each uint64 bit mask satisfies every row, shape (N,) bool."""
        n = self.A.shape[1]
        bits = ((masks[:, None] >> np.arange(n, dtype=np.uint64)[None, :]) & np.uint64(1))
        return np.all(bits.astype(float) @ self.A.T <= self.b[None, :] + 1e-9, axis=1)


@dataclass(frozen=True, eq=False)
class PartialMixer:
    """One Hermitian partial mixer B (see module docstring for the kinds).

    ``qubits``: the variables it acts on (for ``swap`` the m variables of position p then the m
    of position q); ``controls``: variables that must be 0 (``controlled-x``); ``positions``:
    (p, q) for ``swap``; ``index``: the (m, m) permutation index matrix for ``swap``;
    ``packing``: the rows for ``capacity``.
    """

    kind: str
    qubits: tuple[int, ...]
    controls: tuple[int, ...] = ()
    positions: tuple[int, int] | None = None
    index: np.ndarray | None = field(default=None, repr=False)
    packing: PackingRows | None = field(default=None, repr=False)

    def swap_terms(self) -> list[tuple[int, int, int, int]]:
        """For ``swap``: one (a, b, c, d) per unordered item pair {u, v}, u < v, with
        a = index[u, p], b = index[u, q], c = index[v, q], d = index[v, p]: the double
        excitation ``S+_a S-_b S+_c S-_d + h.c.`` (item u moves q -> p and v moves p -> q, and
        back); B_pq is the sum of these terms."""
        if self.kind != "swap":
            raise OptionError(f"swap_terms is for swap partial mixers, not {self.kind!r}")
        p, q = self.positions
        m = self.index.shape[0]
        return [(int(self.index[u, p]), int(self.index[u, q]), int(self.index[v, q]),
                 int(self.index[v, p])) for u in range(m) for v in range(u + 1, m)]


@dataclass(frozen=True, eq=False)
class InitialState:
    """The state a QAOA run starts from.

    ``kind``: ``"plus"`` (|+> on every qubit), ``"uniform"`` (uniform over the mixer's feasible
    set: W states on one-hot groups times |+> on free qubits, or all permutations),
    ``"basis"`` (one basis state ``bits``). ``preparable``: whether a simple circuit prepares it
    (X gates, Hadamards, W states; not the uniform superpositions over permutations or over
    independent / packing-feasible sets); ``description`` for ``info["initial_state"]``.
    """

    name: str
    kind: str
    preparable: bool
    bits: np.ndarray | None = field(default=None, repr=False)
    description: str = ""

    def describe(self) -> dict:
        d = {"name": self.name, "kind": self.kind, "preparable": self.preparable,
             "description": self.description}
        if self.bits is not None:
            d["bits"] = [int(b) for b in self.bits]
        return d


@dataclass(frozen=True, eq=False)
class Mixer:
    """A named mixer: ``partials`` in application order on ``num_qubits`` qubits.

    ``preserved_rows``: program rows every state of the mixer's subspace satisfies (the cost
    keeps penalties only for the other rows); ``structure``: the constraint structure it was
    built from (None for ``x``); ``subspace``: what the simulator enumerates, one of ``"all"``
    (x), ``"one-hot"`` (products of one-hot groups and free bits), ``"permutation"``,
    ``"packing"`` (subsets satisfying ``packing``: conflicts, independent sets or capacities).
    """

    name: str
    num_qubits: int
    partials: tuple[PartialMixer, ...]
    subspace: str
    preserved_rows: tuple[int, ...] = ()
    structure: ConstraintStructure | None = field(default=None, repr=False)
    packing: PackingRows | None = field(default=None, repr=False)

    @property
    def num_partials(self) -> int:
        return len(self.partials)

    @property
    def has_circuit(self) -> bool:
        """False for ``capacity`` (it needs comparators)."""
        return all(pm.kind != "capacity" for pm in self.partials)

    def describe(self) -> dict:
        return {"name": self.name, "num_partials": self.num_partials, "subspace": self.subspace,
                "preserved_rows": len(self.preserved_rows),
                "has_circuit": self.has_circuit}


# ---- construction ---------------------------------------------------------------------------
def _free_x(n: int, used) -> list[PartialMixer]:
    used = set(used)
    return [PartialMixer("x", (q,)) for q in range(n) if q not in used]


def _xy(structure: ConstraintStructure, ring: bool) -> Mixer:
    n = structure.num_vars
    parts: list[PartialMixer] = []
    for g in structure.one_hot_groups:
        m = len(g)
        if ring:
            pairs = [(k, k + 1) for k in range(m - 1)] + ([(m - 1, 0)] if m > 2 else [])
        else:
            pairs = [(a, b) for a in range(m) for b in range(a + 1, m)]
        parts += [PartialMixer("xy", (g[a], g[b])) for a, b in pairs]
    parts += _free_x(n, [v for g in structure.one_hot_groups for v in g])
    return Mixer("xy-ring" if ring else "xy-complete", n, tuple(parts), "one-hot",
                 structure.one_hot_rows, structure)


def _swap(structure: ConstraintStructure) -> Mixer:
    n = structure.num_vars
    index = np.asarray(structure.permutation, dtype=np.int64)
    m = index.shape[0]
    parts = [PartialMixer("swap", tuple(int(v) for v in np.r_[index[:, p], index[:, q]]),
                          positions=(p, q), index=index)
             for p in range(m) for q in range(p + 1, m)]
    parts += _free_x(n, index.reshape(-1).tolist())
    return Mixer("swap", n, tuple(parts), "permutation", structure.permutation_rows, structure)


def _independent_set(structure: ConstraintStructure) -> Mixer:
    n = structure.num_vars
    e = structure.conflict_edges
    nbrs: list[list[int]] = [[] for _ in range(n)]
    for u, v in e.tolist():
        nbrs[u].append(v)
        nbrs[v].append(u)
    parts = tuple(PartialMixer("controlled-x", (v,), controls=tuple(sorted(nbrs[v])))
                  for v in range(n))
    A, b, _ = structure.all_packing()
    k = len(e)
    return Mixer("independent-set", n, parts, "packing", structure.conflict_rows, structure,
                 PackingRows(A[:k], b[:k]))


def _capacity(structure: ConstraintStructure) -> Mixer:
    n = structure.num_vars
    A, b, rows = structure.all_packing()
    packing = PackingRows(A, b)
    parts = tuple(PartialMixer("capacity", (j,), packing=packing) for j in range(n))
    return Mixer("capacity", n, parts, "packing", rows, structure, packing)


def _available(structure: ConstraintStructure) -> dict[str, bool]:
    return {"swap": structure.has_permutation, "independent-set": structure.has_conflicts,
            "capacity": structure.has_conflicts or structure.has_packing,
            "xy-ring": structure.has_one_hot, "xy-complete": structure.has_one_hot}


def build_mixer(name: str, structure: ConstraintStructure | None, num_qubits: int) -> Mixer:
    """The mixer ``name`` (one of :data:`MIXERS`) for a program with this structure.

    ``feasible`` picks, in the order swap, independent-set, capacity, xy-ring, the first mixer
    whose preserved rows include every structured row; where none does, the one preserving the
    most rows; an OptionError where the structure is empty. Raises OptionError naming the
    missing structure when ``name`` needs one the program does not declare.
    """
    if name not in MIXERS:
        raise OptionError(f"unknown mixer {name!r}; choose one of {', '.join(MIXERS)}")
    n = int(num_qubits)
    if name == "grover":
        raise OptionError("mixer 'grover' is simulated from the cost histogram "
                          "(qopt.solvers.quantum.grover), not as partial mixers")
    if name == "x":
        return Mixer("x", n, tuple(PartialMixer("x", (q,)) for q in range(n)), "all")
    if structure is None or structure.is_empty:
        raise OptionError(f"--mixer {name}: the problem declares no constraint structure "
                          "(permutation, conflict pairs, packing rows or one-hot groups); "
                          "use --mixer x")
    avail = _available(structure)
    if name == "feasible":
        candidates = [build_mixer(k, structure, n) for k in _FEASIBLE_ORDER if avail[k]]
        structured = structure.num_rows - len(structure.other_rows())
        full = [m for m in candidates if len(m.preserved_rows) >= structured]
        return full[0] if full else max(candidates, key=lambda m: len(m.preserved_rows))
    if not avail[name]:
        need = {"swap": "a permutation encoding", "independent-set": "conflict pairs "
                "(x_u + x_v <= 1 rows)", "capacity": "packing rows (A x <= b, A >= 0)",
                "xy-ring": "one-hot rows (sum x = 1)", "xy-complete": "one-hot rows (sum x = 1)"}
        raise OptionError(f"--mixer {name} needs {need[name]}, which this problem does not "
                          "declare; --mixer feasible picks the problem's own mixer")
    if name == "swap":
        return _swap(structure)
    if name == "independent-set":
        return _independent_set(structure)
    if name == "capacity":
        return _capacity(structure)
    return _xy(structure, ring=name == "xy-ring")


def initial_state(mixer: Mixer, name: str = "default", greedy_bits=None) -> InitialState:
    """The initial state ``name`` (one of :data:`INIT_STATES`) for ``mixer``.

    ``default``: |+>^n for ``x``; W states on the one-hot groups and |+> on free qubits for XY;
    the uniform superposition over permutations for ``swap``; the empty set for
    independent-set and capacity. ``identity``: item i at position i (swap; the first variable
    of each group for XY). ``empty``: all zeros. ``greedy``: ``greedy_bits``, a feasible basis
    state the caller supplies (repaired warm start). Raises OptionError where a state does not
    fit the mixer.
    """
    if name not in INIT_STATES:
        raise OptionError(f"unknown init_state {name!r}; choose one of {', '.join(INIT_STATES)}")
    n = mixer.num_qubits
    if name == "default":
        name = {"x": "uniform", "xy-ring": "uniform", "xy-complete": "uniform",
                "swap": "uniform"}.get(mixer.name, "empty")
    if name == "uniform":
        if mixer.subspace == "all":
            return InitialState("uniform", "plus", True, None, "|+> on every qubit")
        if mixer.subspace == "one-hot":
            return InitialState("uniform", "uniform", True, None,
                                "W state on each one-hot group, |+> on free qubits")
        if mixer.subspace == "permutation":
            return InitialState("uniform", "uniform", False, None,
                                "uniform superposition over all permutations (no simple "
                                "circuit here: a generic state preparation, for small "
                                "cross-checks only)")
        return InitialState("uniform", "uniform", False, None,
                            "uniform superposition over the feasible set (simulator only: no "
                            "simple circuit prepares it)")
    bits = np.zeros(n, dtype=np.uint8)
    if name == "empty":
        if mixer.subspace in ("one-hot", "permutation"):
            raise OptionError(f"init_state 'empty' is not feasible for mixer {mixer.name!r} "
                              "(its groups need one bit set); use default, identity or greedy")
        return InitialState("empty", "basis", True, bits, "all qubits |0> (the empty set)")
    if name == "identity":
        s = mixer.structure
        if mixer.subspace == "permutation":
            idx = np.asarray(s.permutation)
            bits[idx[np.arange(idx.shape[0]), np.arange(idx.shape[0])]] = 1
            desc = "item i at position i (X gates)"
        elif mixer.subspace == "one-hot":
            bits[[g[0] for g in s.one_hot_groups]] = 1
            desc = "first variable of each one-hot group set (X gates)"
        else:
            raise OptionError(f"init_state 'identity' is for swap / xy mixers, not "
                              f"{mixer.name!r}; use empty or greedy")
        return InitialState("identity", "basis", True, bits, desc)
    # greedy
    if greedy_bits is None:
        raise OptionError("init_state 'greedy' needs the problem's repaired warm start")
    bits = np.asarray(greedy_bits, dtype=np.uint8).reshape(-1)
    if bits.shape != (n,):
        raise OptionError(f"greedy initial state has {bits.size} bits, expected {n}")
    if not in_subspace(mixer, bits[None, :])[0]:
        raise OptionError(f"the greedy initial state is outside mixer {mixer.name!r}'s "
                          "feasible set")
    return InitialState("greedy", "basis", True, bits,
                        "repaired greedy / rounded warm start (X gates)")


# ---- membership and pairing on bit masks (n <= 64) ------------------------------------------
def in_subspace(mixer: Mixer, X: np.ndarray) -> np.ndarray:
    """Whether each bit row of X (k, n) lies in the mixer's subspace, shape (k,) bool."""
    X = np.asarray(X, dtype=np.int64)
    s = mixer.structure
    if mixer.subspace == "all":
        return np.ones(len(X), bool)
    if mixer.subspace == "permutation":
        idx = np.asarray(s.permutation)
        T = X[:, idx]                                   # (k, m, m): [item, position]
        return np.all(T.sum(axis=1) == 1, axis=1) & np.all(T.sum(axis=2) == 1, axis=1)
    if mixer.subspace == "one-hot":
        ok = np.ones(len(X), bool)
        for g in s.one_hot_groups:
            ok &= X[:, list(g)].sum(axis=1) == 1
        return ok
    P = mixer.packing
    return np.all(X.astype(float) @ P.A.T <= P.b[None, :] + 1e-9, axis=1)


def pair_masks(partial: PartialMixer, masks: np.ndarray,
               feasible: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Partners of uint64 bit masks under one partial mixer: (partner masks, paired (N,) bool);
    unpaired states are their own partner. ``swap`` pairs permutation states only (it is a
    partial involution there). ``capacity`` uses ``feasible`` (whether each mask satisfies the
    packing rows) when given, else computes it, plus the partner's feasibility."""
    masks = np.asarray(masks, dtype=np.uint64)
    one = np.uint64(1)
    if partial.kind == "x":
        return masks ^ (one << np.uint64(partial.qubits[0])), np.ones(masks.shape, bool)
    if partial.kind == "xy":
        a, b = (np.uint64(q) for q in partial.qubits)
        paired = ((masks >> a) & one) != ((masks >> b) & one)
        flip = (one << a) | (one << b)
        return np.where(paired, masks ^ flip, masks), paired
    if partial.kind == "controlled-x":
        cmask = np.uint64(sum(1 << c for c in partial.controls))
        paired = (masks & cmask) == 0
        t = masks ^ (one << np.uint64(partial.qubits[0]))
        return np.where(paired, t, masks), paired
    if partial.kind == "capacity":
        t = masks ^ (one << np.uint64(partial.qubits[0]))
        ok = partial.packing.feasible_masks(masks) if feasible is None else feasible
        paired = ok & partial.packing.feasible_masks(t)
        return np.where(paired, t, masks), paired
    if partial.kind == "swap":
        p, q = partial.positions
        idx = partial.index
        colp = np.array([1 << int(v) for v in idx[:, p]], dtype=np.uint64)
        colq = np.array([1 << int(v) for v in idx[:, q]], dtype=np.uint64)
        # item at position p / q: the one row u with the bit set (permutation states)
        at_p = ((masks[:, None] & colp[None, :]) != 0)
        at_q = ((masks[:, None] & colq[None, :]) != 0)
        paired = (at_p.sum(axis=1) == 1) & (at_q.sum(axis=1) == 1)
        u = at_q.argmax(axis=1)                          # item u at q moves to p
        v = at_p.argmax(axis=1)                          # item v at p moves to q
        paired &= u != v
        flip = colp[u] | colq[u] | colq[v] | colp[v]
        return np.where(paired, masks ^ flip, masks), paired
    raise OptionError(f"unknown partial mixer kind {partial.kind!r}")


def dense_hamiltonian(partial: PartialMixer, n: int) -> sp.csr_matrix:
    """The partial mixer's Hamiltonian on all 2^n basis states, scipy CSR (2^n, 2^n), real.

    For tests and small cross-checks (n <= :data:`DENSE_MAX_QUBITS`). ``swap`` is built from
    its double excitations on every basis state (not only permutations).
    """
    if n > DENSE_MAX_QUBITS:
        raise OptionError(f"dense_hamiltonian builds 2^{n} x 2^{n}: at most "
                          f"{DENSE_MAX_QUBITS} qubits")
    dim = 1 << n
    masks = np.arange(dim, dtype=np.uint64)
    one = np.uint64(1)
    if partial.kind == "swap":
        rows, cols = [], []
        for a, b, c, d in partial.swap_terms():
            # S+_a S-_b S+_c S-_d maps states with a=0, b=1, c=0, d=1 to the flipped state
            bit = [((masks >> np.uint64(k)) & one) for k in (a, b, c, d)]
            src = (bit[0] == 0) & (bit[1] == 1) & (bit[2] == 0) & (bit[3] == 1)
            s = masks[src]
            t = s ^ np.uint64((1 << a) | (1 << b) | (1 << c) | (1 << d))
            rows += [t, s]
            cols += [s, t]
        r = np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, np.int64)
        c = np.concatenate(cols).astype(np.int64) if cols else np.zeros(0, np.int64)
        H = sp.csr_matrix((np.ones(r.size), (r, c)), shape=(dim, dim))
        H.sum_duplicates()
        return H
    t, paired = pair_masks(partial, masks)
    s = masks[paired].astype(np.int64)
    return sp.csr_matrix((np.ones(s.size), (t[paired].astype(np.int64), s)), shape=(dim, dim))
