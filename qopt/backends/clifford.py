"""Fused Clifford permutation runs of the statevector adapter.

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
(``A = M``, ``a = c``). The kernel is numba (chunks of the state on the kernel threads of
:mod:`qopt.threads`); it also runs "the other
way round" (a scatter: sequential reads, writes through the opposite direction's map), and on
large states each run times both on its first calls and keeps the faster. Without numba, or
on another array module, the gather runs vectorised on chunks of indices.

Also here: the product state of one-qubit columns (the first layer of an ansatz applied to
``|0...0>``) written in one pass. The adapter's exact CVaR scan is
:class:`~qopt.backends.energy_buckets.EnergyBuckets`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from qopt import threads as _threads

try:  # numba is a core dependency; the numpy paths below keep working without it
    import numba as nb
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

    def apply_to_product(self, cols, out, *, use_numba: bool = True, xp=np):
        """Write the run applied to the product state of ``cols`` (n, 2) (see
        :func:`product_state`) into ``out``, in one write pass: the gather reads the product
        state's two half-width factor tables (cache-resident) instead of a state in memory."""
        prog = self.forward
        lo, hi, h = _halves(cols)
        if use_numba and nb is not None and xp is np:
            st = prog.sign_tables
            _run_parts(_gather_product_nb, out, lo, hi, h, prog.tables, prog.offset,
                       st if st is not None else _NO_TABLE, prog.lin, prog.const, st is not None)
            return out
        lo_x, hi_x = xp.asarray(lo), xp.asarray(hi)
        N = int(out.size)
        tabs = xp.asarray(prog.tables)
        stabs = None if prog.sign_tables is None else xp.asarray(prog.sign_tables)
        step = min(N, _NP_CHUNK)
        for start in range(0, N, step):
            z = xp.arange(start, start + step, dtype=np.int64)
            x = _lookup_np(tabs, z, xp) ^ prog.offset
            vals = lo_x[x & ((1 << h) - 1)] * hi_x[x >> h]
            if stabs is not None:
                par = _parity_np(z & (_lookup_np(stabs, z, xp) ^ prog.lin), xp) ^ prog.const
                vals *= (1 - 2 * par).astype(np.float64)
            elif prog.const:
                vals = -vals
            out[start:start + step] = vals
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
    _run_parts(kernel, src, out, prog.tables, prog.offset, st if st is not None else _NO_TABLE,
               prog.lin, prog.const, st is not None)


#: most work parts of a kernel call (each part writes its own outputs: no reduction)
_MAX_PARTS = 64


def _run_parts(kernel, *args) -> None:
    """``kernel(*args, nparts, lo, hi)`` over parts of the state (the first argument) on
    :func:`qopt.threads.current` threads; states below 2^13 amplitudes in one part (the
    calling thread). Serial ``nogil`` kernels split this way compile about three times
    faster than numba ``parallel=True`` ones."""
    nparts = max(1, min(_MAX_PARTS, int(args[0].size) >> 12))
    _threads.run_parts(kernel, nparts, *args, nparts)


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

    @nb.njit(**_OPTS)
    def _gather_nb(src, out, tabs, offset, stabs, lin, const, signed, nparts, first, last):
        """out[z] = sign(z) * src[A z ^ offset]: blocks of 256 indices share the high bytes'
        table lookups; parts first..last-1 of nparts chunks of blocks (:func:`_run_parts`)."""
        N = src.size
        nt = tabs.shape[0]
        B = 256 if N >= 256 else N
        nblocks = N // B
        per = (nblocks + nparts - 1) // nparts
        for p in range(first, last):
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

    @nb.njit(**_OPTS)
    def _scatter_nb(src, out, tabs, offset, stabs, lin, const, signed, nparts, first, last):
        """out[A x ^ offset] = sign(x) * src[x] (the same program read the other way: reads
        sequential, writes follow ``A``)."""
        N = src.size
        nt = tabs.shape[0]
        B = 256 if N >= 256 else N
        nblocks = N // B
        per = (nblocks + nparts - 1) // nparts
        for p in range(first, last):
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

    @nb.njit(**_OPTS)
    def _gather_product_nb(out, lo_amp, hi_amp, h, tabs, offset, stabs, lin, const, signed,
                           nparts, first, last):
        """out[z] = sign(z) * lo_amp[x & (2^h - 1)] * hi_amp[x >> h], x = A z ^ offset."""
        N = out.size
        nt = tabs.shape[0]
        mask = (1 << h) - 1
        B = 256 if N >= 256 else N
        nblocks = N // B
        per = (nblocks + nparts - 1) // nparts
        for p in range(first, last):
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
                for j in range(B):
                    z = hi + j
                    x = base ^ tabs[0, j]
                    v = lo_amp[x & mask] * hi_amp[x >> h]
                    par = const
                    if signed:
                        par = _parity(z & (sbase ^ stabs[0, j])) ^ const
                    out[z] = -v if par else v

else:  # pragma: no cover
    _gather_nb = _scatter_nb = _gather_product_nb = None


def _halves(cols) -> tuple[np.ndarray, np.ndarray, int]:
    """(amplitudes of the low h qubits, of the high n - h, h) of the product state of
    ``cols`` (n, 2): amplitude of basis state x is ``lo[x & (2^h - 1)] * hi[x >> h]``."""
    n = len(cols)
    h = n // 2

    def part(cs):
        v = np.ones(1, dtype=np.complex128)
        for a0, a1 in cs:                 # qubit order: later columns are higher bits
            v = np.concatenate([v * a0, v * a1])
        return v

    return part(cols[:h]), part(cols[h:]), h


def product_state(psi, cols, xp=np):
    """Write ``kron_q (cols[q, 0]|0> + cols[q, 1]|1>)`` into ``psi`` (shape (2^n,)), bit q =
    qubit q: ``cols`` shape (n, 2) complex. One write pass (outer product of the two halves).
    Returns ``psi``."""
    lo, hi, _ = _halves(cols)
    view = psi.reshape(hi.size, lo.size)
    if xp is np:
        np.multiply.outer(hi, lo, out=view)
    else:
        view[...] = xp.asarray(hi)[:, None] * xp.asarray(lo)[None, :]
    return psi


__all__ = ["CLIFFORD_GATES", "CliffordRun", "GatherProgram", "byte_tables", "product_state",
           "substitute"]
