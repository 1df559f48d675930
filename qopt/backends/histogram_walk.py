"""Feasible sets prepared for the streaming cost-histogram passes
(:mod:`qopt.backends.histogram`): :class:`Walk` holds the integer cost tables of one feasible
set, its chunks of prefixes and, optionally, what the pass tallies beside the cost.

F is the reachable set of a constraint-preserving mixer (:mod:`qopt.solvers.quantum.mixers`):
``"permutation"`` (m! permutation matrices), ``"packing"`` (subsets with no conflict pair and
``A x <= b``: independent sets, packing-feasible subsets; n <= 64) or ``"one-hot"`` (products of
one-hot groups and free bits; n <= 64). Costs are scaled to integers so incremental sums are
exact (:func:`integer_quantum`).

**Tracking** (``objective`` and ``rows`` given): when the mixer leaves some rows to penalties,
a state's cost no longer says whether it is feasible nor what its objective is. The walk then
also follows the objective (its own integer tables) and the activities of those rows (integer
rows, per-row quantum), and the pass tallies per cost level the states that satisfy the rows,
their least objective and how many reach it (:data:`~qopt.backends.histogram_kernels.TALLIES`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from qopt.backends import histogram_kernels as HK
from qopt.backends import histogram_set_kernels as SK
from qopt.errors import OptionError

#: fixed number of chunks a feasible set is cut into (independent of the thread count)
CHUNKS = 32
#: largest denominator tried when scaling costs to integers
_MAX_DENOMINATOR = 1 << 24
#: bounds of an open side of a tracked row (scaled activities stay far inside)
_OPEN = 1 << 62


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
    (None for packing sets), integer cost tables and the prefixes of each chunk; ``tracked``
    when the objective and rows are followed too (module doc), with the objective's
    ``obj_quantum`` / ``obj_offset`` and ``exact_tracking`` (every table on an exact grid)."""

    kind: str
    n: int
    size_hint: int | None
    quantum: float
    exact_levels: bool
    offset: float
    arrays: dict = field(repr=False)
    chunks: list = field(repr=False)
    tracked: bool = False
    obj_quantum: float = 1.0
    obj_offset: float = 0.0
    exact_tracking: bool = True

    @classmethod
    def from_mixer(cls, mixer, qubo, objective=None, rows=None) -> Walk:
        """The walk of ``mixer``'s feasible set (``mixer.subspace``) under ``qubo``'s cost;
        with ``objective`` (a QUBO / HUBO over the same variables, minimisation form) and
        ``rows`` ((A (R, n), senses, rhs) of the rows the mixer does not preserve), tracking
        (module doc)."""
        n = int(mixer.num_qubits)
        if qubo.num_vars != n:
            raise OptionError(f"cost has {qubo.num_vars} variables, mixer {n}")
        kind = mixer.subspace
        s = mixer.structure
        flat = None
        if kind == "permutation":
            index = np.asarray(s.permutation, dtype=np.int64)
            m = index.shape[0]
            if n != m * m:
                raise OptionError(f"--mixer grover: {n - m * m} variables outside the "
                                  "permutation encoding are not supported")
            flat = index.reshape(-1)                     # item i at position p: i * m + p
            arrays = {"m": m, "index": index}
            pref = _permutation_prefixes(m, 1 if m <= 4 else 2)
            size = math.factorial(m)
        elif kind in ("packing", "one-hot"):
            if n > 64:
                raise OptionError(f"--mixer grover on {n} variables: sets of at most 64 "
                                  "variables outside a permutation encoding")
            arrays = {}
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
        cost, q, exact, offset = _poly_tables(qubo, n, flat, "cost")
        arrays.update(cost)
        tracked = objective is not None
        if tracked:
            obj, oq, oexact, ooffset = _poly_tables(objective, n, flat, "objective")
            RA, lo, hi, rexact = _row_tables(rows, n, flat)
        else:
            obj, oq, oexact, ooffset = _poly_tables(None, n, flat, "objective")
            RA, lo, hi, rexact = _row_tables(None, n, flat)
        arrays.update({"O" + k: v for k, v in obj.items()}, RA=RA, lo=lo, hi=hi)
        chunks = [pref[c::CHUNKS] for c in range(min(CHUNKS, len(pref)))]
        return cls(kind, n, size, q, exact, offset, arrays, chunks, tracked, oq, ooffset,
                   oexact and rexact)

    def run(self, c: int, mode: int, keys, counts, seen=None, tstart=None, tend=None,
            tranks=None, out=None, cap: int = 1 << 62, tally=None):
        """Chunk ``c`` through its kernel (:mod:`qopt.backends.histogram_kernels`): mode 0
        counts (tracking when ``tally`` (slots, TALLIES) is given), mode 1 samples into
        ``out``."""
        a = self.arrays
        pref = self.chunks[c]
        if mode == 0:
            seen = tstart = tend = tranks = np.zeros(1, np.int64)
            out = None
        if self.kind == "permutation":
            tr = None if tally is None else (a["RA"], a["lo"], a["hi"], a["OL"], a["OQ"])
            return HK.permutation_pass(a["m"], a["L"], a["Q"], 0, pref, cap, keys, counts,
                                       seen, tstart, tend, tranks, out, tally, tr)
        tr = None if tally is None else (a["RA"], a["lo"], a["hi"], a["OL"], a["OQ"],
                                         a["Ohptr"], a["Ohmask"], a["Ohcoef"])
        if self.kind == "packing":
            return SK.packing_pass(self.n, a["L"], a["Q"], a["hptr"], a["hmask"], a["hcoef"], 0,
                                   a["nbr"], a["A"], a["b"], pref, cap, keys, counts, seen,
                                   tstart, tend, tranks, out, tally, tr)
        return SK.product_pass(a["L"], a["Q"], a["hptr"], a["hmask"], a["hcoef"], 0,
                               a["options"], a["radix"], pref, cap, keys, counts, seen,
                               tstart, tend, tranks, out, tally, tr)

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


def _poly_tables(poly, n: int, flat, what: str) -> tuple[dict, float, bool, float]:
    """(integer tables, quantum, exact, offset) of a QUBO / HUBO for the kernels: permutations
    (``flat`` the variable of item i at position p, at i * m + p) L (m, m) and Q (m*m, m*m);
    sets and products L (n,), Q (n, n) and the terms of degree >= 3 (``hptr``, ``hmask``,
    ``hcoef``). ``poly`` None: placeholders (nothing tracked)."""
    if poly is None:
        z = np.zeros(1, np.int64)
        return ({"L": np.zeros((1, 1) if flat is not None else 1, np.int64),
                 "Q": np.zeros((1, 1), np.int64), "hptr": z, "hmask": z.astype(np.uint64),
                 "hcoef": z}, 1.0, True, 0.0)
    L, Q, offset = _split_qubo(poly)
    if flat is not None:
        if getattr(poly, "terms", None):
            raise OptionError(f"--mixer grover on permutations takes a {what} of degree <= 2 "
                              f"(this one has degree {poly.degree})")
        m = math.isqrt(flat.size)
        Lp, Cp = L[flat].reshape(m, m), Q[np.ix_(flat, flat)]
        q, exact = integer_quantum(np.r_[Lp.ravel(), Cp.ravel()])
        return {"L": _ints(Lp, q), "Q": _ints(Cp, q)}, q, exact, offset
    hptr, hmask, hcoef = _higher_terms(poly, n)
    q, exact = integer_quantum(np.r_[L, Q[np.triu_indices(n, 1)], hcoef])
    return ({"L": _ints(L, q), "Q": _ints(Q, q), "hptr": hptr, "hmask": hmask,
             "hcoef": _ints(hcoef, q)}, q, exact, offset)


def _row_tables(rows, n: int, flat) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """(RA (R, columns) int64, lo (R,), hi (R,), exact) of the tracked rows (A, senses, rhs):
    each row and its right-hand side on the row's own integer grid; a state satisfies row r
    when lo[r] <= RA[r] . x <= hi[r]. Columns in the kernel's order (``flat`` for
    permutations)."""
    cols = n if flat is None else flat.size
    if rows is None or len(rows[1]) == 0:
        return np.zeros((0, cols), np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), True
    A, senses, rhs = np.asarray(rows[0], float), list(rows[1]), np.asarray(rows[2], float)
    if flat is not None:
        A = A[:, flat]
    RA = np.zeros(A.shape, np.int64)
    lo = np.full(len(senses), -_OPEN, np.int64)
    hi = np.full(len(senses), _OPEN, np.int64)
    exact = True
    for r, sense in enumerate(senses):
        q, ok = integer_quantum(np.r_[A[r], rhs[r]])
        exact &= ok
        RA[r] = _ints(A[r], q)
        t = rhs[r] / q
        if sense == "<=":
            hi[r] = math.floor(t + 1e-9)
        elif sense == ">=":
            lo[r] = math.ceil(t - 1e-9)
        elif abs(t - round(t)) <= 1e-9:
            lo[r] = hi[r] = round(t)
        else:                                   # an equality no integer activity meets
            lo[r], hi[r] = 1, 0
    return RA, lo, hi, exact


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


