"""Fused Clifford permutation runs and the fused exact CVaR scan of the statevector adapter.

A run of non-parametrised ``cx`` / ``x`` / ``cz`` gates maps the basis state ``x`` (an n-bit
integer, bit i = qubit i, little-endian as in :mod:`qopt.bits`) to ``(-1)^q(x) |M x ^ c>``
over GF(2): CX and X permute basis states (``M`` invertible, ``c`` a bit mask) and CZ only
multiplies by a sign, ``q`` a quadratic form. :class:`CliffordRun` builds ``M``, ``c`` and
``q`` from the gate list once, and applies the whole run (or its inverse, for the adjoint
gradient) in ONE gather pass over the state, out of place::

    out[z] = (-1)^(parity(z & (U z ^ l)) ^ s) * src[A z ^ a]

where ``A z`` is computed with byte-wise lookup tables (``T_k[byte]`` XORed over the bytes of
``z``) and the sign form ``(U, l, s)`` is written in the coordinates of ``z``: the output
``y`` for the forward run (``A = M^-1``, ``a = M^-1 c``), the input ``x`` for the inverse
(``A = M``, ``a = c``). The kernel is numba (parallel over chunks); it also runs "the other
way round" (a scatter: sequential reads, writes through the opposite direction's map), and on
large states each run times both on its first calls and keeps the faster. Without numba, or
on another array module, the gather runs vectorised on chunks of indices.

Also here: the product state of one-qubit columns (the first layer of an ansatz applied to
``|0...0>``) written in one pass, and the exact CVaR / best-state scan down the energy order,
which stops as soon as the alpha tail is filled.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

try:  # numba is a core dependency; the numpy paths below keep working without it
    import numba as nb
    from numba import prange
except ImportError:  # pragma: no cover
    nb = None

#: gates a Clifford run may hold
CLIFFORD_GATES = ("cx", "cz", "x")
#: amplitudes per chunk of the vectorised (numpy / array-module) fallback
_NP_CHUNK = 1 << 16


# ---- GF(2) algebra (n x n uint8 matrices, small: n <= 34) ------------------------------------


def _gf2_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a.astype(np.int64) @ b.astype(np.int64) & 1).astype(np.uint8)


def substitute(upper: np.ndarray, lin: np.ndarray, const: int, A: np.ndarray, a: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, int]:
    """The quadratic form ``q(x) = sum_{i<j} U_ij x_i x_j + l.x + s`` (mod 2) rewritten in
    ``y`` where ``x = A y ^ a``: returns (U', l', s') in the same (strictly upper, linear,
    constant) layout. ``upper``, ``A``: (n, n) uint8; ``lin``, ``a``: (n,) uint8."""
    U = upper.astype(np.int64)
    Ai = A.astype(np.int64)
    ai = a.astype(np.int64)
    B = Ai.T @ U @ Ai                                   # sum_{i<j} U_ij (A_i. y)(A_j. y)
    new_upper = (np.triu(B + B.T, 1) & 1).astype(np.uint8)
    new_lin = (np.diagonal(B) + Ai.T @ ((U + U.T) @ ai) + Ai.T @ lin.astype(np.int64)) & 1
    new_const = (int(ai @ U @ ai) + int(lin.astype(np.int64) @ ai) + int(const)) & 1
    return new_upper, new_lin.astype(np.uint8), new_const


def _columns_to_ints(A: np.ndarray) -> np.ndarray:
    """Column j of a GF(2) matrix as an int64 bit mask (bit i = row i), shape (n,)."""
    n = A.shape[0]
    weights = np.left_shift(np.int64(1), np.arange(n, dtype=np.int64))
    return (A.astype(np.int64) * weights[:, None]).sum(axis=0)


def byte_tables(A: np.ndarray) -> np.ndarray:
    """Lookup tables of the GF(2) map ``A`` (n x n): ``T[k, b]`` = A applied to the byte ``b``
    placed at bits 8k..8k+7, so ``A z = XOR_k T[k, (z >> 8k) & 255]``. Shape (ceil(n/8), 256)
    int64."""
    n = A.shape[0]
    cols = _columns_to_ints(A)
    nt = max(1, -(-n // 8))
    b = np.arange(256, dtype=np.int64)
    T = np.zeros((nt, 256), dtype=np.int64)
    for k in range(nt):
        for bit in range(8):
            j = 8 * k + bit
            if j < n:
                T[k] ^= np.where((b >> bit) & 1, cols[j], 0)
    return T


def bits_to_int(v: np.ndarray) -> int:
    return int(sum(int(x) << i for i, x in enumerate(v)))


@dataclass(frozen=True)
class GatherProgram:
    """``out[z] = (-1)^(parity(z & (U z ^ lin)) ^ const) * src[A z ^ a]`` (see module doc):
    tables of ``A`` and of the strictly upper ``U`` (``None`` when the sign is constant:
    ``U = 0`` and ``lin = 0``)."""

    tables: np.ndarray
    offset: int
    sign_tables: np.ndarray | None
    lin: int
    const: int
    identity: bool          # A = I and a = 0: may run in place

    @staticmethod
    def build(A: np.ndarray, a: np.ndarray, upper: np.ndarray, lin: np.ndarray, const: int
              ) -> GatherProgram:
        n = A.shape[0]
        identity = bool(np.array_equal(A, np.eye(n, dtype=np.uint8)) and not a.any())
        signed = bool(upper.any() or lin.any())
        return GatherProgram(tables=byte_tables(A), offset=bits_to_int(a),
                             sign_tables=byte_tables(upper) if signed else None,
                             lin=bits_to_int(lin), const=int(const), identity=identity)


class CliffordRun:
    """A run of ``cx`` / ``x`` / ``cz`` gates on n qubits as one affine GF(2) map with signs.

    ``gates``: sequence of (name, qubits) in circuit order (``cx`` qubits are (control,
    target)). Attributes: ``M`` (n, n) uint8 and ``c`` (n,) uint8 with ``y = M x ^ c``;
    ``Minv``; the sign form ``(-1)^q(x)`` as (``upper``, ``lin``, ``const``) in input
    coordinates; :attr:`forward` and :attr:`inverse` gather programs.
    """

    def __init__(self, num_qubits: int, gates):
        n = int(num_qubits)
        self.num_qubits = n
        self.gates = [(str(name), tuple(int(q) for q in qubits)) for name, qubits in gates]
        M = np.eye(n, dtype=np.uint8)
        Minv = np.eye(n, dtype=np.uint8)
        c = np.zeros(n, dtype=np.uint8)
        upper = np.zeros((n, n), dtype=np.uint8)
        lin = np.zeros(n, dtype=np.uint8)
        const = 0
        for name, qs in self.gates:
            if name not in CLIFFORD_GATES:
                raise ValueError(f"{name!r} is not a Clifford permutation gate "
                                 f"({', '.join(CLIFFORD_GATES)})")
            if any(not 0 <= q < n for q in qs) or len(set(qs)) != len(qs):
                raise ValueError(f"bad qubits {qs} for {name} on {n} qubits")
            if name == "x":
                c[qs[0]] ^= 1
            elif name == "cx":
                ctl, tgt = qs
                M[tgt] ^= M[ctl]               # y_t ^= y_c
                c[tgt] ^= c[ctl]
                Minv[:, ctl] ^= Minv[:, tgt]   # M^-1 <- M^-1 E (E self-inverse)
            else:                              # cz: (-1)^(y_a y_b), y_i = M_i. x ^ c_i
                qa, qb = qs
                ra, rb = M[qa].astype(np.int64), M[qb].astype(np.int64)
                outer = np.outer(ra, rb)
                upper ^= (np.triu(outer + outer.T, 1) & 1).astype(np.uint8)
                lin ^= ((np.diagonal(outer) + c[qb] * ra + c[qa] * rb) & 1).astype(np.uint8)
                const ^= int(c[qa]) & int(c[qb])
        self.M, self.Minv, self.c = M, Minv, c
        self.upper, self.lin, self.const = upper, lin, const
        a = (Minv.astype(np.int64) @ c.astype(np.int64) & 1).astype(np.uint8)
        out_form = substitute(upper, lin, const, Minv, a)
        self.forward = GatherProgram.build(Minv, a, *out_form)
        self.inverse = GatherProgram.build(M, c, upper, lin, const)
        self._timings = {d: {"gather": [], "scatter": []} for d in (False, True)}
        self._choice: dict[bool, str | None] = {False: None, True: None}

    @property
    def permutes(self) -> bool:
        """Whether the run moves amplitudes (else it only flips signs: in place)."""
        return not self.forward.identity

    def apply(self, src, out, *, inverse: bool = False, use_numba: bool = True, xp=np,
              method: str | None = None):
        """Write the run (or its inverse) applied to ``src`` into ``out`` (both shape (2^n,)
        complex; ``out`` may be ``src`` only when not :attr:`permutes`). Returns ``out``.

        ``method`` (numba path): "gather" (sequential writes, reads follow ``A``), "scatter"
        (sequential reads, writes follow the other direction's map) or None: on states of at
        least 2^16 amplitudes each direction times both on its first four calls and keeps the
        faster (the memory access pattern, not the arithmetic, differs: results are
        bit-identical)."""
        prog = self.inverse if inverse else self.forward
        if src is out and not prog.identity:
            raise ValueError("a permuting Clifford run needs a separate output buffer")
        if not (use_numba and nb is not None and xp is np):
            _gather_np(src, out, prog, xp)
            return out
        if method not in (None, "gather", "scatter"):
            raise ValueError(f"method must be 'gather', 'scatter' or None, got {method!r}")
        if prog.identity:
            method = "gather"              # in place: element by element
        auto = method is None
        if auto:
            method = self._pick(inverse, src.size)
        t0 = time.perf_counter()
        if method == "gather":
            _run_program(_gather_nb, src, out, prog)
        else:
            _run_program(_scatter_nb, src, out, self.forward if inverse else self.inverse)
        if auto and self._choice[inverse] is None:
            self._record(inverse, method, time.perf_counter() - t0)
        return out

    def _pick(self, inverse: bool, size: int) -> str:
        if size < (1 << 16):
            return "gather"
        chosen = self._choice[inverse]
        if chosen is not None:
            return chosen
        t = self._timings[inverse]
        return "gather" if len(t["gather"]) <= len(t["scatter"]) else "scatter"

    def _record(self, inverse: bool, method: str, seconds: float) -> None:
        t = self._timings[inverse]
        t[method].append(seconds)
        if min(len(v) for v in t.values()) >= 2:
            self._choice[inverse] = min(t, key=lambda m: min(t[m]))

    def apply_to_index(self, x: int) -> tuple[int, int]:
        """(y, sign) of basis state ``x`` (reference, pure Python)."""
        n = self.num_qubits
        bits = np.array([(x >> i) & 1 for i in range(n)], dtype=np.int64)
        y = (self.M.astype(np.int64) @ bits + self.c) & 1
        q = (int(bits @ self.upper.astype(np.int64) @ bits)
             + int(self.lin.astype(np.int64) @ bits) + self.const) & 1
        return bits_to_int(y), 1 - 2 * q


_NO_TABLE = np.zeros((1, 256), dtype=np.int64)


def _run_program(kernel, src, out, prog: GatherProgram) -> None:
    st = prog.sign_tables
    kernel(src, out, prog.tables, prog.offset, st if st is not None else _NO_TABLE, prog.lin,
           prog.const, st is not None, _nparts(src.size))


def _nparts(size: int) -> int:
    if nb is None:
        return 1
    return max(1, min(8 * nb.get_num_threads(), size >> 12))


def _parity_np(w, xp):
    for s in (32, 16, 8, 4, 2, 1):
        w = w ^ (w >> s)
    return w & 1


def _lookup_np(tables, z, xp):
    acc = xp.zeros_like(z)
    for k in range(tables.shape[0]):
        acc ^= tables[k][(z >> (8 * k)) & 255]
    return acc


def _gather_np(src, out, prog: GatherProgram, xp) -> None:
    """Vectorised fallback: chunks of ``_NP_CHUNK`` indices (any array module)."""
    N = int(src.size)
    tabs = xp.asarray(prog.tables)
    stabs = None if prog.sign_tables is None else xp.asarray(prog.sign_tables)
    step = min(N, _NP_CHUNK)
    for lo in range(0, N, step):
        z = xp.arange(lo, lo + step, dtype=np.int64)
        vals = src[lo:lo + step] if prog.identity else src[_lookup_np(tabs, z, xp) ^ prog.offset]
        if stabs is not None:
            par = _parity_np(z & (_lookup_np(stabs, z, xp) ^ prog.lin), xp) ^ prog.const
            out[lo:lo + step] = vals * (1 - 2 * par).astype(src.real.dtype)
        elif prog.const:
            out[lo:lo + step] = -vals
        elif not (prog.identity and src is out):
            out[lo:lo + step] = vals


if nb is not None:
    _OPTS = {"cache": True, "nogil": True}

    @nb.njit(inline="always", **_OPTS)
    def _parity(w):
        w ^= w >> 32
        w ^= w >> 16
        w ^= w >> 8
        w ^= w >> 4
        w ^= w >> 2
        w ^= w >> 1
        return w & 1

    @nb.njit(parallel=True, **_OPTS)
    def _gather_nb(src, out, tabs, offset, stabs, lin, const, signed, nparts):
        """out[z] = sign(z) * src[A z ^ offset]: blocks of 256 indices share the high bytes'
        table lookups; chunks of blocks run in parallel."""
        N = src.size
        nt = tabs.shape[0]
        B = 256 if N >= 256 else N
        nblocks = N // B
        per = (nblocks + nparts - 1) // nparts
        for p in prange(nparts):
            b0 = p * per
            b1 = min(nblocks, b0 + per)
            for blk in range(b0, b1):
                hi = blk * B
                base = offset
                sbase = lin
                zz = hi >> 8
                for k in range(1, nt):
                    base ^= tabs[k, zz & 255]
                    if signed:
                        sbase ^= stabs[k, zz & 255]
                    zz >>= 8
                if signed:
                    for j in range(B):
                        z = hi + j
                        par = _parity(z & (sbase ^ stabs[0, j])) ^ const
                        v = src[base ^ tabs[0, j]]
                        out[z] = -v if par else v
                elif const:
                    for j in range(B):
                        out[hi + j] = -src[base ^ tabs[0, j]]
                else:
                    for j in range(B):
                        out[hi + j] = src[base ^ tabs[0, j]]

    @nb.njit(parallel=True, **_OPTS)
    def _scatter_nb(src, out, tabs, offset, stabs, lin, const, signed, nparts):
        """out[A x ^ offset] = sign(x) * src[x] (the same program read the other way: reads
        sequential, writes follow ``A``)."""
        N = src.size
        nt = tabs.shape[0]
        B = 256 if N >= 256 else N
        nblocks = N // B
        per = (nblocks + nparts - 1) // nparts
        for p in prange(nparts):
            b0 = p * per
            b1 = min(nblocks, b0 + per)
            for blk in range(b0, b1):
                hi = blk * B
                base = offset
                sbase = lin
                zz = hi >> 8
                for k in range(1, nt):
                    base ^= tabs[k, zz & 255]
                    if signed:
                        sbase ^= stabs[k, zz & 255]
                    zz >>= 8
                if signed:
                    for j in range(B):
                        z = hi + j
                        par = _parity(z & (sbase ^ stabs[0, j])) ^ const
                        v = src[z]
                        out[base ^ tabs[0, j]] = -v if par else v
                elif const:
                    for j in range(B):
                        out[base ^ tabs[0, j]] = -src[hi + j]
                else:
                    for j in range(B):
                        out[base ^ tabs[0, j]] = src[hi + j]

    @nb.njit(parallel=True, **_OPTS)
    def _moments_nb(psi, diag, nparts):
        """(sum |psi|^2, sum |psi|^2 diag)."""
        N = psi.size
        per = (N + nparts - 1) // nparts
        mass = np.zeros(nparts)
        first = np.zeros(nparts)
        for p in prange(nparts):
            m = 0.0
            f = 0.0
            for j in range(p * per, min(N, (p + 1) * per)):
                v = psi[j]
                w = v.real * v.real + v.imag * v.imag
                m += w
                f += w * diag[j]
            mass[p] = m
            first[p] = f
        return mass.sum(), first.sum()

    @nb.njit(**_OPTS)
    def _tail_nb(psi, order, sorted_diag, alpha, mass, seen_frac):
        """Scan states by increasing energy: (CVaR_alpha, position in ``order`` of the first
        state with probability > seen_frac * mass). Stops once both are known."""
        a = alpha * mass
        acc = 0.0
        tot = 0.0
        best = -1
        done = False
        thresh = seen_frac * mass
        N = order.size
        for i in range(N):
            v = psi[order[i]]
            w = v.real * v.real + v.imag * v.imag
            if best < 0 and w > thresh:
                best = i
            if not done:
                if acc + w >= a:
                    tot += (a - acc) * sorted_diag[i]
                    acc = a
                    done = True
                else:
                    tot += w * sorted_diag[i]
                    acc += w
            if done and best >= 0:
                break
        if not done:            # rounding: the whole distribution is the tail
            a = acc
        return tot / a, best
    @nb.njit(parallel=True, **_OPTS)
    def _level_masses_nb(psi, level, num_levels, nparts):
        """Probability mass per energy level: sum of |psi[s]|^2 over s with level[s] = l."""
        N = psi.size
        per = (N + nparts - 1) // nparts
        hist = np.zeros((nparts, num_levels))
        for p in prange(nparts):
            for j in range(p * per, min(N, (p + 1) * per)):
                v = psi[j]
                hist[p, level[j]] += v.real * v.real + v.imag * v.imag
        return hist.sum(axis=0)

    @nb.njit(**_OPTS)
    def _first_seen_nb(psi, order, start, stop, thresh):
        for i in range(start, stop):
            v = psi[order[i]]
            if v.real * v.real + v.imag * v.imag > thresh:
                return i
        return -1
else:  # pragma: no cover
    _gather_nb = _scatter_nb = _moments_nb = _tail_nb = _level_masses_nb = None
    _first_seen_nb = None


def product_state(psi, cols, xp=np):
    """Write ``kron_q (cols[q, 0]|0> + cols[q, 1]|1>)`` into ``psi`` (shape (2^n,)), bit q =
    qubit q: ``cols`` shape (n, 2) complex. One write pass (outer product of the two halves).
    Returns ``psi``."""
    n = len(cols)
    h = n // 2

    def part(cs):
        v = np.ones(1, dtype=np.complex128)
        for a0, a1 in cs:                 # qubit order: later columns are higher bits
            v = np.concatenate([v * a0, v * a1])
        return v

    lo, hi = part(cols[:h]), part(cols[h:])
    view = psi.reshape(hi.size, lo.size)
    if xp is np:
        np.multiply.outer(hi, lo, out=view)
    else:
        view[...] = xp.asarray(hi)[:, None] * xp.asarray(lo)[None, :]
    return psi


def moments(psi, diag, *, use_numba: bool = True, xp=np) -> tuple[float, float]:
    """(sum |psi|^2, sum |psi|^2 diag) in one pass."""
    if use_numba and _moments_nb is not None and xp is np:
        m, f = _moments_nb(psi, diag, _nparts(psi.size))
        return float(m), float(f)
    p = psi.real ** 2 + psi.imag ** 2
    return float(p.sum()), float(xp.dot(p, xp.asarray(diag)))


def tail_scan(psi, order, sorted_diag, alpha: float, mass: float, *, seen_frac: float = 1e-12,
              use_numba: bool = True, xp=np) -> tuple[float, int]:
    """(exact CVaR_alpha of ``sorted_diag`` under |psi|^2 (the boundary state counted
    fractionally, as :func:`qopt.backends.base.cvar_from_distribution`), position in
    ``order`` of the lowest-energy state with probability > ``seen_frac * mass``).

    ``order``: stable argsort of the diagonal, shape (2^n,); ``sorted_diag``: the diagonal in
    that order. Reads only as far down the order as needed."""
    if use_numba and _tail_nb is not None and xp is np:
        v, b = _tail_nb(psi, order, sorted_diag, float(alpha), float(mass), float(seen_frac))
        return float(v), int(b)
    a = alpha * mass
    acc, tot, best, done = 0.0, 0.0, -1, False
    N = int(order.size)
    lo, step = 0, 1 << 12
    while lo < N and not (done and best >= 0):
        sl = slice(lo, min(N, lo + step))
        amp = psi[order[sl]]
        w = amp.real ** 2 + amp.imag ** 2
        if best < 0:
            hit = xp.flatnonzero(w > seen_frac * mass)
            if hit.size:
                best = lo + int(hit[0])
        if not done:
            ds = sorted_diag[sl]
            before = acc + xp.cumsum(w) - w
            take = xp.clip(a - before, 0.0, w)
            tot += float(xp.dot(take, ds))
            acc += float(w.sum())
            done = acc >= a
        lo += step
        step *= 2
    return tot / (a if done else acc), best


#: most distinct energies for the level-histogram CVaR (one sequential pass per evaluation)
MAX_LEVELS = 4096


@dataclass(frozen=True)
class EnergyLevels:
    """The distinct energies of a diagonal, for CVaR by one histogram pass.

    ``energies`` (L,) ascending; ``level`` (2^n,) uint16: level of each basis state;
    ``starts`` (L + 1,): level l holds positions ``starts[l]:starts[l+1]`` of the stable
    energy order. Built once per observable (from its order)."""

    energies: np.ndarray
    level: np.ndarray
    starts: np.ndarray

    @staticmethod
    def build(order: np.ndarray, sorted_diag: np.ndarray, max_levels: int | None = None
              ) -> EnergyLevels | None:
        """None when the diagonal has more than ``max_levels`` (default :data:`MAX_LEVELS`)
        distinct values."""
        cap = MAX_LEVELS if max_levels is None else int(max_levels)
        change = sorted_diag[1:] != sorted_diag[:-1]
        count = int(np.count_nonzero(change)) + 1
        if count > min(cap, 1 << 16):
            return None
        first = np.concatenate(([0], np.flatnonzero(change) + 1))
        level_sorted = np.zeros(sorted_diag.size, dtype=np.uint16)
        level_sorted[first[1:]] = 1
        np.cumsum(level_sorted, out=level_sorted)
        level = np.empty_like(level_sorted)
        level[order] = level_sorted
        return EnergyLevels(energies=np.ascontiguousarray(sorted_diag[first]), level=level,
                            starts=np.concatenate((first, [sorted_diag.size])))

    def masses(self, psi, *, use_numba: bool = True, xp=np) -> np.ndarray:
        """Probability mass of each level under |psi|^2, shape (L,) (one pass)."""
        L = self.energies.size
        if use_numba and _level_masses_nb is not None and xp is np:
            parts = 1 if nb is None else max(1, min(nb.get_num_threads(), psi.size >> 12))
            return _level_masses_nb(psi, self.level, L, parts)
        p = psi.real ** 2 + psi.imag ** 2
        if xp is not np:
            p = xp.asnumpy(p)
        return np.bincount(self.level, weights=p, minlength=L)

    def best(self, psi, order, masses: np.ndarray, thresh: float, *, use_numba: bool = True,
             xp=np) -> int:
        """Position in ``order`` of the lowest-energy state with probability > ``thresh``
        (-1 if none): the first such state of the lowest level that has one."""
        for lvl in np.flatnonzero(masses > thresh):
            a, b = int(self.starts[lvl]), int(self.starts[lvl + 1])
            if use_numba and _first_seen_nb is not None and xp is np:
                pos = int(_first_seen_nb(psi, order, a, b, float(thresh)))
            else:
                amp = psi[order[a:b]]
                hit = xp.flatnonzero(amp.real ** 2 + amp.imag ** 2 > thresh)
                pos = a + int(hit[0]) if hit.size else -1
            if pos >= 0:
                return pos
        return -1


__all__ = ["CLIFFORD_GATES", "MAX_LEVELS", "CliffordRun", "EnergyLevels", "GatherProgram",
           "byte_tables", "moments", "product_state", "substitute", "tail_scan"]
