"""In-house statevector engine: fast QAOA layers, exact expectation / CVaR, adjoint gradients.

Conventions (the toolkit's, see :mod:`qopt.bits` and DESIGN.md):

* ``state[s]`` is the amplitude of basis state ``s``; qubit ``i`` is bit ``i`` of ``s``;
* cost layer ``exp(-i gamma D)`` with ``D = QUBO.diagonal()`` (energies of all 2^n states,
  computed once by the QUBO and reused for every evaluation); mixer ``exp(-i beta sum_i X_i)``;
* one-qubit rotations ``RX/RY/RZ(t) = exp(-i t P / 2)``, ``RZZ(t) = exp(-i t Z Z / 2)``.

Speed: on CPU with numba, a QAOA layer is a few passes over the state (2 at n = 24: qubits
0-15 on contiguous chunks, then qubits 16-23 on tiles of long contiguous runs, see
:meth:`StatevectorEngine._xgroups`). The cost phase rides on the first pass (from a per-layer
table when the diagonal is integer-valued, else a vectorised polynomial ``sincos``), |+>^n is
never written (the first pass builds the first layer from it) and the expectation is taken in
the last pass; see :mod:`qopt.backends.kernels`. Without numba (or with ``use_numba=False``)
the same blocking runs in vectorised numpy on slabs of the state.

GPU: pass ``xp=cupy`` (``pip install qopt[gpu]``). The state then lives on the device and every
operation runs through the array module's vectorised path (the numba kernels are CPU only);
``diag`` arrays may be numpy (copied to the device once per call site that needs them; keep a
device copy with ``engine.asarray(diag)`` to avoid repeated transfers). Results (expectations,
gradients, samples) come back as numpy / Python numbers.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from qopt.bits import indices_to_bits
from qopt.errors import OptionError, SizeLimitError
from qopt.limits import check_allocation

#: largest statevector the engine will even consider (before the memory check)
MAX_QUBITS = 34
_NO_TABLE = np.zeros(0)
_NO_STATE = np.zeros(0, dtype=np.complex128)


def _near_equal(total: int, most: int) -> list[int]:
    """Sizes of ``ceil(total / most)`` near-equal parts (larger first) summing to ``total``."""
    count = -(-total // most)
    return [total // count + (1 if i < total % count else 0) for i in range(count)]


def _numba_kernels():
    try:
        from qopt.backends import kernels
    except ImportError:  # pragma: no cover - numba is a core dependency
        return None
    return kernels


def x_rotation_matrices(betas, n: int) -> np.ndarray:
    """exp(-i beta X) per qubit, shape (n, 2, 2); ``betas`` scalar or shape (n,)."""
    b = np.broadcast_to(np.asarray(betas, dtype=float), (n,))
    m = np.empty((n, 2, 2), dtype=np.complex128)
    m[:, 0, 0] = m[:, 1, 1] = np.cos(b)
    m[:, 0, 1] = m[:, 1, 0] = -1j * np.sin(b)
    return m


def warm_start_angles(c) -> np.ndarray:
    """theta_i = 2 arcsin(sqrt(c_i)): RY(theta_i)|0> has probability c_i of reading 1."""
    return 2.0 * np.arcsin(np.sqrt(np.clip(np.asarray(c, dtype=float), 0.0, 1.0)))


def warm_start_generators(thetas) -> np.ndarray:
    """R_i = RY(theta_i) Z RY(-theta_i), shape (n, 2, 2): the warm-start mixer Hamiltonian."""
    t = np.asarray(thetas, dtype=float)
    g = np.empty((len(t), 2, 2), dtype=np.complex128)
    g[:, 0, 0] = np.cos(t)
    g[:, 1, 1] = -np.cos(t)
    g[:, 0, 1] = g[:, 1, 0] = np.sin(t)
    return g


def warm_start_mixers(thetas, betas) -> np.ndarray:
    """exp(-i beta R_i) = cos(beta) I - i sin(beta) R_i, shape (n, 2, 2)."""
    g = warm_start_generators(thetas)
    b = np.broadcast_to(np.asarray(betas, dtype=float), (len(g),))
    eye = np.eye(2)[None]
    return np.cos(b)[:, None, None] * eye - 1j * np.sin(b)[:, None, None] * g


def fwht(v, xp=np):
    """Walsh–Hadamard transform of a length-2^n real vector (new array).

    ``out[mask] = sum_s v[s] * (-1)^popcount(s & mask)``: for ``v = |psi|^2`` this is the
    expectation of the Z-string on the qubits of ``mask``.
    """
    out = xp.array(v, dtype=np.float64, copy=True)
    n = int(out.size).bit_length() - 1
    for i in range(n):
        w = out.reshape(-1, 2, 1 << i)
        a = w[:, 0, :].copy()
        w[:, 0, :] += w[:, 1, :]
        w[:, 1, :] = a - w[:, 1, :]
    return out


@dataclass
class Op:
    """One gate of a parametrised circuit: ``name`` in rx, ry, rz, rzz, h, x, cz, cx.

    The rotation angle is ``angle + scale * params[param]`` (``param=None``: fixed angle).
    """

    name: str
    qubits: tuple[int, ...]
    param: int | None = None
    angle: float = 0.0
    scale: float = 1.0

    def theta(self, params) -> float:
        return self.angle + (self.scale * float(params[self.param]) if self.param is not None
                             else 0.0)


_PAULI = {
    "rx": np.array([[0, 1], [1, 0]], dtype=np.complex128),
    "ry": np.array([[0, -1j], [1j, 0]], dtype=np.complex128),
    "rz": np.array([[1, 0], [0, -1]], dtype=np.complex128),
}
_ROTATIONS = ("rx", "ry", "rz", "rzz")
_FIXED = ("h", "x", "cz", "cx")


def rotation_matrix(name: str, theta: float) -> np.ndarray:
    """exp(-i theta P / 2) for P = X, Y, Z (name rx, ry, rz), shape (2, 2)."""
    return math.cos(theta / 2) * np.eye(2) - 1j * math.sin(theta / 2) * _PAULI[name]


class StatevectorEngine:
    """A preallocated n-qubit statevector with QAOA layers and a generic gate path.

    Args:
        num_qubits: n (the state has 2^n amplitudes).
        dtype: ``complex128`` (default) or ``complex64``.
        xp: array module, ``numpy`` (default) or ``cupy``.
        use_numba: use the numba kernels (default: when numba imports and ``xp`` is numpy).
        block: most qubits per pass of the mixer (cache blocking); the n qubits are split
            into ceil(n / block) passes of near-equal size. X-rotation mixers (QAOA) on the
            numba path use their own split (:meth:`_xgroups`): ``block + block // 3`` qubits
            in the first pass (contiguous chunks), passes of at most ``block - block // 3``
            above it (16 and 8 for the default 12).
        tile: columns per gathered tile of the numba kernels (a power of two).
        memory_limit: bytes allowed per buffer (default :func:`qopt.limits.memory_limit`).
        threads: numba threads for states of at least ``parallel_min_qubits`` qubits (default:
            numba's default); smaller states run on one thread, where a parallel region costs
            more than it saves (and stalls badly on a loaded machine).

    Raises :class:`~qopt.errors.SizeLimitError` before allocating when the state does not fit.
    """

    def __init__(self, num_qubits: int, *, dtype=np.complex128, xp=None,
                 use_numba: bool | None = None, block: int = 12, tile: int = 16,
                 memory_limit: int | None = None, threads: int | None = None,
                 parallel_min_qubits: int = 18):
        n = int(num_qubits)
        if n < 1:
            raise OptionError(f"num_qubits must be >= 1, got {num_qubits}")
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.complex64, np.complex128):
            raise OptionError(f"dtype must be complex64 or complex128, got {self.dtype}")
        if n > MAX_QUBITS:
            raise SizeLimitError(f"a {n}-qubit statevector has 2^{n} amplitudes; the engine's "
                                 f"limit is {MAX_QUBITS} qubits")
        self.num_qubits = n
        self.xp = np if xp is None else xp
        self.memory_limit = memory_limit
        self.nbytes = (1 << n) * self.dtype.itemsize
        check_allocation(self.nbytes, f"a {n}-qubit statevector ({self.dtype.name})",
                         memory_limit)
        kern = _numba_kernels() if (use_numba is not False and self.xp is np) else None
        if use_numba and kern is None:
            raise OptionError("use_numba=True needs numba and xp=numpy")
        self._k = kern
        self.block = max(1, int(block))
        # tiles of groups above the first take their columns from the lowest qubits, so a
        # tile may not span more qubits than the first group holds
        self.num_qubits = n
        self.tile = 1 << min(max(0, int(tile).bit_length() - 1), self._groups()[0][1])
        self.threads = threads
        self.parallel_min_qubits = int(parallel_min_qubits)
        self.state = self.xp.empty(1 << n, dtype=self.dtype)
        self._aux: list = []
        self._order = None          # (diag identity, argsort) for CVaR
        self.reset_plus()

    # ---- buffers and basics --------------------------------------------------------------
    @property
    def uses_numba(self) -> bool:
        return self._k is not None

    def asarray(self, a, dtype=None):
        """``a`` on the engine's array module (no copy when already there)."""
        return self.xp.asarray(a, dtype=dtype)

    def _buffers(self, count: int) -> list:
        """``count`` extra state-sized buffers, allocated once (memory-checked)."""
        while len(self._aux) < count:
            check_allocation(self.nbytes * (len(self._aux) + 2),
                             f"{len(self._aux) + 2} {self.num_qubits}-qubit state buffers "
                             "(adjoint gradient)", self.memory_limit)
            self._aux.append(self.xp.empty_like(self.state))
        return self._aux[:count]

    def _check_diag(self, diag):
        d = self.asarray(diag, dtype=np.float64)
        if d.shape != (1 << self.num_qubits,):
            raise OptionError(f"diagonal has shape {tuple(d.shape)}, expected "
                              f"({1 << self.num_qubits},)")
        return d

    def _nparts(self) -> int:
        import numba

        return 8 * numba.get_num_threads()

    @contextmanager
    def _threads(self):
        """Numba thread count for one kernel call (restored afterwards)."""
        if self._k is None:
            yield
            return
        import numba

        before = numba.get_num_threads()
        want = (1 if self.num_qubits < self.parallel_min_qubits
                else (self.threads or numba.config.NUMBA_NUM_THREADS))
        numba.set_num_threads(max(1, min(int(want), numba.config.NUMBA_NUM_THREADS)))
        try:
            yield
        finally:
            numba.set_num_threads(before)

    def _groups(self) -> list[tuple[int, int]]:
        """(first qubit, size) of each pass: ceil(n / block) groups of near-equal size."""
        out, q = [], 0
        for k in _near_equal(self.num_qubits, self.block):
            out.append((q, k))
            q += k
        return out

    def _xgroups(self) -> list[tuple[int, int, int]]:
        """(first qubit, size, tile columns) of each pass of an X-rotation mixer (numba).

        The first pass takes ``block + block // 3`` qubits on contiguous chunks of
        2^that amplitudes; the qubits above it go in near-equal passes of at most
        ``block - block // 3``, each with tiles of the same 2^(first pass) amplitudes (fewer
        rows, longer contiguous runs: cheaper gathers than one tall pass)."""
        n = self.num_qubits
        low = min(n, self.block + self.block // 3)
        out = [(0, low, 1)]
        rest = n - low
        q = low
        for k in _near_equal(rest, max(1, self.block - self.block // 3)):
            out.append((q, k, 1 << max(0, low - k)))
            q += k
        return out

    def reset_plus(self, psi=None):
        """|+>^n (every amplitude 2^{-n/2})."""
        psi = self.state if psi is None else psi
        psi.fill(1.0 / math.sqrt(psi.size))
        return psi

    def reset_basis(self, index: int = 0):
        """The basis state |index>."""
        self.state.fill(0)
        self.state[int(index)] = 1.0
        return self.state

    def reset_product(self, amps0, amps1, psi=None):
        """Product state of ``amps0[i]|0> + amps1[i]|1>`` on each qubit i, shape (n,) each."""
        psi = self.state if psi is None else psi
        a0 = np.asarray(amps0, dtype=np.complex128)
        a1 = np.asarray(amps1, dtype=np.complex128)
        psi[:1] = 1.0
        for i in range(self.num_qubits):       # doubling: O(2^n) total
            h = 1 << i
            psi[h:2 * h] = psi[:h] * complex(a1[i])
            psi[:h] *= complex(a0[i])
        return psi

    def set_state(self, vector):
        """Copy ``vector``, shape (2^n,), into the engine's state."""
        v = self.asarray(vector, dtype=self.dtype)
        if v.shape != self.state.shape:
            raise OptionError(f"state has shape {tuple(v.shape)}, expected {self.state.shape}")
        self.state[...] = v
        return self.state

    # ---- QAOA layers ---------------------------------------------------------------------
    def apply_phase(self, diag, gamma: float, psi=None):
        """psi *= exp(-i gamma diag)."""
        psi = self.state if psi is None else psi
        d = self._check_diag(diag)
        if self._k is not None and psi.dtype == np.complex128:
            with self._threads():
                self._k.phase_apply(psi, d, float(gamma))
        else:
            psi *= self.xp.exp((-1j * float(gamma)) * d).astype(psi.dtype, copy=False)
        return psi

    def apply_product(self, mats, psi=None, *, mode: int = 1, diag=None, gamma: float = 0.0):
        """Apply one 2x2 gate per qubit, ``mats`` shape (n, 2, 2) (cache-blocked passes).

        ``mode=0`` declares every matrix an X rotation (faster path). With ``diag`` the phase
        ``exp(-i gamma diag)`` is applied first, fused into the first pass.
        """
        psi = self.state if psi is None else psi
        mats = np.ascontiguousarray(mats, dtype=np.complex128)
        n = self.num_qubits
        if mats.shape != (n, 2, 2):
            raise OptionError(f"one 2x2 matrix per qubit needed, got shape {mats.shape}")
        d = self._check_diag(diag) if diag is not None else None
        if self._k is not None:
            dd = d if d is not None else np.zeros(1)
            groups = (self._xgroups() if mode == 0 and psi.dtype == np.complex128
                      else [(q0, k, self.tile) for q0, k in self._groups()])
            with self._threads():
                for i, (q0, k, tile) in enumerate(groups):
                    self._pass(psi, q0, k, mats, mode, dd, float(gamma),
                               int(i == 0 and d is not None), self._nparts(), tile=tile)
            return psi
        if d is not None:
            self.apply_phase(d, gamma, psi)
        for q0, k in self._groups():
            self._np_group(psi, q0, k, mats)
        return psi

    def _np_group(self, psi, q0: int, k: int, mats):
        """Vectorised (array-module) pass applying qubits q0..q0+k-1 slab by slab."""
        xp = self.xp
        n = self.num_qubits
        hi, lo = 1 << (n - q0 - k), 1 << q0
        v = psi.reshape(hi, 1 << k, lo)
        slab = 1 << 16 if xp is np else 1 << n       # amplitudes per slab (cache / one shot)
        lw = min(lo, max(1, slab >> k))
        hw = max(1, min(hi, slab // ((1 << k) * lw)))
        m = xp.asarray(mats)
        for h0 in range(0, hi, hw):
            for l0 in range(0, lo, lw):
                t = xp.ascontiguousarray(v[h0:h0 + hw, :, l0:l0 + lw])
                H, W = t.shape[0], t.shape[2]
                for j in range(k):
                    w = t.reshape(H, 1 << (k - j - 1), 2, 1 << j, W)
                    a = w[:, :, 0].copy()
                    b = w[:, :, 1]
                    g = m[q0 + j]
                    w[:, :, 0] = g[0, 0] * a + g[0, 1] * b
                    w[:, :, 1] = g[1, 0] * a + g[1, 1] * b
                v[h0:h0 + hw, :, l0:l0 + lw] = t

    def apply_x_mixer(self, betas, psi=None):
        """exp(-i beta sum_i X_i) (``betas`` scalar, or shape (n,) for one angle per qubit)."""
        return self.apply_product(x_rotation_matrices(betas, self.num_qubits), psi, mode=0)

    def qaoa_layer(self, diag, gamma: float, betas, psi=None, *, mixers=None):
        """One layer: exp(-i beta sum X) exp(-i gamma D) (or the given per-qubit ``mixers``)."""
        if mixers is None:
            return self.apply_product(x_rotation_matrices(betas, self.num_qubits), psi, mode=0,
                                      diag=diag, gamma=gamma)
        return self.apply_product(mixers, psi, mode=1, diag=diag, gamma=gamma)

    def qaoa_state(self, diag, gammas, betas, *, warm_start=None, psi=None):
        """The QAOA state for angles ``gammas``, ``betas`` (shape (p,); ``betas`` may be
        (p, n) for per-qubit mixer angles), in the engine's ``state`` (returned).

        ``warm_start``: relaxed values c, shape (n,): initial state ``prod RY(theta_i)|0>`` and
        mixer ``exp(-i beta R_i)`` (see :mod:`qopt.solvers.quantum.circuits`)."""
        psi = self.state if psi is None else psi
        gam, bet = self._angles(gammas, betas)
        if self._fused(psi, gam):
            self._qaoa_fused(self._check_diag(diag), gam, bet, warm_start, psi, False)
            return psi
        if warm_start is None:
            self.reset_plus(psi)
            for g, b in zip(gam, bet):
                self.qaoa_layer(diag, g, b, psi)
            return psi
        th = warm_start_angles(warm_start)
        self.reset_product(np.cos(th / 2), np.sin(th / 2), psi)
        for g, b in zip(gam, bet):
            self.qaoa_layer(diag, g, b, psi, mixers=warm_start_mixers(th, b))
        return psi

    def _fused(self, psi, gam) -> bool:
        """Whether the fused numba QAOA sweep applies (numba, complex128, p >= 1)."""
        return self._k is not None and psi.dtype == np.complex128 and len(gam) > 0

    def _qaoa_fused(self, d, gam, bet, warm_start, psi, expect: bool, levels=False,
                    outs=None) -> float:
        """All p layers with the numba kernels, a few passes per layer: without a warm
        start, |+>^n is never written (the first pass builds exp(-i gamma_1 D)|+> directly);
        with ``expect`` the last pass also returns <psi|D|psi>. ``outs`` = (phi, lam): the
        last pass also writes psi and D psi there when it is a plain X-mixer high pass (see
        :func:`kernels.group_apply`); returns (value, whether it did)."""
        n = self.num_qubits
        if warm_start is None:
            groups = self._xgroups()
            start = 2
            mode = 0
        else:
            th = warm_start_angles(warm_start)
            self.reset_product(np.cos(th / 2), np.sin(th / 2), psi)
            start = 1
            mode = 1
            groups = [(q0, k, self.tile) for q0, k in self._groups()]
        amp = 1.0 / math.sqrt(psi.size)
        value = 0.0
        with self._threads():
            nparts = self._nparts()
            if levels is False:
                levels = self._integer_levels(d)
            for layer, (g, b) in enumerate(zip(gam, bet)):
                mats = (x_rotation_matrices(b, n) if warm_start is None
                        else warm_start_mixers(th, b))
                tab, tmin = self._phase_table(levels, g)
                for i, (q0, k, tile) in enumerate(groups):
                    last = expect and layer == len(gam) - 1 and i == len(groups) - 1
                    phase = 0 if i else (start if layer == 0 else 1)
                    extra = None
                    if last and outs is not None and mode == 0 and q0 > 0:
                        c = mats[q0:q0 + k, 0, 0].real
                        if np.all(np.abs(c) >= np.abs(mats[q0:q0 + k, 0, 1].imag)):
                            extra = outs        # no flip, no -i: the plain high pass
                    value = self._pass(psi, q0, k, mats, mode, d, float(g), phase, nparts,
                                       last, amp, tab, tmin, tile, extra)
        return float(value), extra is not None

    def _pass(self, psi, q0, k, mats, mode, d, gamma, phase, nparts, expect=False, amp=0.0,
              tab=None, tmin=0.0, tile=None, outs=None) -> float:
        """One numba pass over the state: qubits q0..q0+k-1 (see :mod:`kernels`). ``outs``:
        (phi, lam) also filled with psi and D psi (only on the plain X-mixer high pass with
        ``expect``, see :func:`kernels.group_apply`)."""
        tab = _NO_TABLE if tab is None else tab
        if mode == 0 and q0 == 0 and k >= 2 and psi.dtype == np.complex128:
            return self._k.low_apply(psi, self.num_qubits, k, mats, d, gamma, phase, nparts,
                                     expect, amp, tab, tmin)
        o1, o2 = (_NO_STATE, _NO_STATE) if outs is None else outs
        return self._k.group_apply(psi, self.num_qubits, q0, k, mats, mode, d, gamma, phase,
                                   self.tile if tile is None else tile, nparts, expect, amp,
                                   tab, tmin, o1, o2)

    #: most distinct levels of an integer-valued diagonal served by a phase table
    TABLE_LEVELS = 1 << 14

    def _integer_levels(self, d) -> tuple[float, int] | None:
        """(min, number of levels) when ``d`` is integer-valued with at most
        :attr:`TABLE_LEVELS` levels (checked on every call: one read of ``d``), else None."""
        lo, hi, ok = self._k.integer_range(d)
        if not ok or not hi - lo < self.TABLE_LEVELS:
            return None
        return float(lo), int(hi - lo) + 1

    @staticmethod
    def _phase_table(levels, gamma) -> tuple[np.ndarray, float]:
        """Interleaved (cos, sin)(gamma * (min + k)) for the levels k of an integer-valued
        diagonal (numpy's correctly rounded-ish cos / sin), or an empty table."""
        if levels is None:
            return _NO_TABLE, 0.0
        lo, count = levels
        x = float(gamma) * (lo + np.arange(count, dtype=np.float64))
        tab = np.empty(2 * count)
        tab[0::2] = np.cos(x)
        tab[1::2] = np.sin(x)
        return tab, lo

    def _angles(self, gammas, betas) -> tuple[np.ndarray, np.ndarray]:
        gam = np.atleast_1d(np.asarray(gammas, dtype=float))
        bet = np.asarray(betas, dtype=float)
        bet = bet.reshape(-1) if bet.ndim <= 1 else bet
        if gam.ndim != 1 or len(gam) != len(bet) or (bet.ndim == 2 and bet.shape[1] !=
                                                    self.num_qubits):
            raise OptionError(f"need gammas of shape (p,) and betas of shape (p,) or "
                              f"(p, {self.num_qubits}); got {gam.shape} and {bet.shape}")
        return gam, bet

    # ---- readout -------------------------------------------------------------------------
    def probabilities(self, psi=None) -> np.ndarray:
        """|psi|^2, shape (2^n,) float64 (on the engine's array module)."""
        psi = self.state if psi is None else psi
        if self._k is not None:
            out = np.empty(psi.size)
            with self._threads():
                self._k.probabilities(psi, out)
            return out
        return (psi.real.astype(np.float64) ** 2 + psi.imag.astype(np.float64) ** 2)

    def expectation(self, diag, psi=None) -> float:
        """<psi| D |psi> for a diagonal observable D (e.g. the QUBO energies)."""
        psi = self.state if psi is None else psi
        d = self._check_diag(diag)
        if self._k is not None and psi.dtype == np.complex128:
            with self._threads():
                return float(self._k.expval_diag(psi, d))
        return float(self.xp.dot(self.probabilities(psi), d))

    def _sort_order(self, diag):
        if self._order is None or self._order[0] is not diag:
            check_allocation(8 * (1 << self.num_qubits), "the CVaR sort order (int64 indices)",
                             self.memory_limit)
            self._order = (diag, self.xp.argsort(self.asarray(diag), kind="stable"))
        return self._order[1]

    def cvar_weights(self, diag, alpha: float, probs=None) -> tuple[float, np.ndarray]:
        """(CVaR_alpha, O): the CVaR of the diagonal observable under |psi|^2 and the diagonal
        observable O, shape (2^n,), whose expectation has the same derivative as the CVaR.

        CVaR_alpha is the mean of the lowest-energy alpha tail of the distribution (the
        boundary state counted fractionally). With the tail set held fixed,
        ``CVaR = D_k + sum_{s below k} p_s (D_s - D_k) / alpha`` (k the boundary state), so
        ``O_s = (D_s - D_k) / alpha`` on the states wholly inside the tail and 0 elsewhere."""
        if not 0.0 < alpha <= 1.0:
            raise OptionError(f"alpha must be in (0, 1], got {alpha}")
        xp = self.xp
        d = self._check_diag(diag)
        p = self.probabilities() if probs is None else probs
        order = self._sort_order(diag)
        ps = p[order]
        ds = d[order]
        total = float(xp.sum(ps))
        a = alpha * total                                  # tail mass (normalised state: alpha)
        before = xp.cumsum(ps) - ps                       # mass of strictly lower states
        take = xp.clip(a - before, 0.0, ps)               # mass of each state inside the tail
        value = float(xp.dot(take, ds)) / a
        inside = (before + ps) < a                        # wholly inside the tail
        k = min(int(xp.count_nonzero(inside)), ds.size - 1)
        obs_sorted = xp.where(inside, (ds - ds[k]) / a, 0.0)
        obs = xp.empty_like(obs_sorted)
        obs[order] = obs_sorted
        return value, obs

    def cvar(self, diag, alpha: float, probs=None) -> float:
        """Exact CVaR_alpha of the diagonal observable under |psi|^2 (alpha = 1: expectation)."""
        return self.cvar_weights(diag, alpha, probs)[0]

    def sample(self, shots: int, rng, psi=None) -> tuple[np.ndarray, np.ndarray]:
        """``shots`` measurements in the computational basis, seeded by ``rng``.

        Returns (bits, counts): unique outcomes as bit rows, shape (k, n) uint8 (column i =
        qubit i), sorted by state index, and their counts, shape (k,), summing to ``shots``."""
        if int(shots) < 1:
            raise OptionError(f"shots must be >= 1, got {shots}")
        from qopt.solvers.base import rng_from

        p = self.probabilities(psi)
        cdf = np.cumsum(p if self.xp is np else self.xp.asnumpy(p))
        u = rng_from(rng).random(int(shots)) * cdf[-1]
        idx = np.minimum(np.searchsorted(cdf, u, side="right"), cdf.size - 1)
        uniq, counts = np.unique(idx, return_counts=True)
        return indices_to_bits(uniq, self.num_qubits), counts

    def z_expectations(self, masks, probs=None) -> np.ndarray:
        """<prod_{i in mask} Z_i> for each bit mask (int), shape (len(masks),)."""
        p = self.probabilities() if probs is None else probs
        w = fwht(p, self.xp)
        out = w[self.xp.asarray(np.asarray(masks, dtype=np.int64))]
        return np.asarray(out if self.xp is np else self.xp.asnumpy(out), dtype=float)

    # ---- QAOA values and adjoint gradients -------------------------------------------------
    def qaoa_expectation(self, diag, gammas, betas, *, warm_start=None) -> float:
        gam, bet = self._angles(gammas, betas)
        if self._fused(self.state, gam):
            return self._qaoa_fused(self._check_diag(diag), gam, bet, warm_start, self.state,
                                    True)[0]
        self.qaoa_state(diag, gam, bet, warm_start=warm_start)
        return self.expectation(diag)

    def qaoa_gradient(self, diag, gammas, betas, *, warm_start=None, alpha: float = 1.0
                      ) -> tuple[float, np.ndarray, np.ndarray]:
        """(value, d value / d gammas, d value / d betas) by the adjoint method.

        value is the expectation of ``diag`` (``alpha=1``) or its CVaR_alpha (gradient of the
        CVaR with the tail weights held fixed, exact wherever the tail set does not change).
        ``d/dbetas`` has the shape of ``betas`` ((p,) or (p, n)). Costs one forward pass and
        one backward sweep over two states (about 3 expectations)."""
        gam, bet = self._angles(gammas, betas)
        d = self._check_diag(diag)
        levels = False
        phi, lam = self._buffers(2)
        if self._fused(self.state, gam) and alpha >= 1.0:
            # fused sweep: value, phi = psi and lam = D psi from its last pass when it can
            with self._threads():
                levels = self._integer_levels(d)
            psi = self.state
            value, done = self._qaoa_fused(d, gam, bet, warm_start, psi, True, levels,
                                           (phi, lam))
            if not done:
                with self._threads():
                    self._k.copy_mul(phi, lam, psi, d)
        else:
            psi = self.qaoa_state(diag, gam, bet, warm_start=warm_start)
            phi[...] = psi
            if alpha >= 1.0:
                value = self.expectation(d, psi)
                self._mul(lam, psi, d)
            else:
                value, obs = self.cvar_weights(diag, alpha)
                self._mul(lam, psi, obs)
        th = None if warm_start is None else warm_start_angles(warm_start)
        n = self.num_qubits
        p = len(gam)
        dg = np.zeros(p)
        db = np.zeros((p, n))
        for layer in range(p - 1, -1, -1):
            b = bet[layer]
            if th is None:
                mats_inv = x_rotation_matrices(-np.asarray(b), n)
                gens = np.zeros((n, 2, 2), dtype=np.complex128)
                mode = 0
            else:
                mats_inv = warm_start_mixers(th, -np.asarray(b))
                gens = warm_start_generators(th)
                mode = 1
            imov, imd = self.backward_layer(phi, lam, mats_inv, gens, mode, d, gam[layer],
                                            levels=levels)
            db[layer] = 2.0 * imov
            dg[layer] = 2.0 * imd
        dbet = db if bet.ndim == 2 else db.sum(axis=1)
        return value, dg, dbet

    def gradient_buffers(self):
        """(phi, lam): two preallocated state-sized work buffers for adjoint sweeps."""
        return tuple(self._buffers(2))

    def multiply_diagonal(self, out, psi, weights):
        """out = weights * psi (weights real, shape (2^n,)): e.g. lam = D psi for the adjoint."""
        self._mul(out, psi, weights)
        return out

    def _mul(self, out, psi, weights):
        if self._k is not None and psi.dtype == np.complex128:
            with self._threads():
                self._k.mul_diag(out, psi, self.asarray(weights, dtype=np.float64))
        else:
            out[...] = psi * self.asarray(weights).astype(psi.real.dtype, copy=False)

    def backward_layer(self, phi, lam, mats_inv, gens, mode: int, diag=None, gamma: float = 0.0,
                       *, levels=False) -> tuple[np.ndarray, float]:
        """One backward step of the adjoint method through ``mixer * exp(-i gamma diag)``.

        Undoes the per-qubit mixer (inverse matrices ``mats_inv``, shape (n, 2, 2); ``mode=0``
        for X rotations, whose generators are X) on ``phi`` and ``lam``, then, if ``diag`` is
        given, the phase. Returns (``Im <lam|G_i|phi>`` per qubit, shape (n,),
        ``Im <lam|diag|phi>``): half the derivatives of ``<psi|O|psi>`` with respect to each
        qubit's mixer angle and to gamma. ``gens`` (n, 2, 2) are the generators for mode 1.
        ``levels``: :meth:`_integer_levels` of ``diag`` when already known (internal).
        """
        n = self.num_qubits
        imov = np.zeros(n)
        d = None if diag is None else self._check_diag(diag)
        if self._k is not None and phi.dtype == np.complex128:
            groups = self._groups()
            imd = 0.0
            dd = d if d is not None else np.zeros(1)
            mats_inv = np.ascontiguousarray(mats_inv, dtype=np.complex128)
            # X-rotation mixers without a flip in their factorisation take the fast kernel
            fast = mode == 0 and bool(np.all(np.abs(mats_inv[:, 0, 0].real)
                                             >= np.abs(mats_inv[:, 0, 1].imag)))
            tab, tmin = _NO_TABLE, 0.0
            if fast and d is not None:
                if levels is False:
                    levels = self._integer_levels(d)
                tab, tmin = self._phase_table(levels, gamma)
            if fast:
                groups = self._xgroups()
                fast = groups[0][1] >= 2
            else:
                groups = [(q0, k, self.tile) for q0, k in groups]
            with self._threads():
                for i in range(len(groups) - 1, -1, -1):
                    q0, k, tile = groups[i]
                    phase = i == 0 and d is not None
                    if fast:
                        out = self._k.x_backward(phi, lam, n, q0, k, mats_inv, dd, float(gamma),
                                                 phase, tile, self._nparts(), tab, tmin)
                    else:
                        out = self._k.group_backward(phi, lam, n, q0, k, mats_inv, mode, gens,
                                                     dd, float(gamma), phase, self.tile,
                                                     self._nparts())
                    imov[q0:q0 + k] = out[:k]
                    if i == 0:
                        imd = float(out[k])
            return imov, imd
        xp = self.xp
        for i in range(n):
            g = gens[i] if mode == 1 else np.array([[0, 1], [1, 0]], dtype=np.complex128)
            gphi = self._apply_1q_copy(phi, g, i)
            imov[i] = float(xp.vdot(lam, gphi).imag)
        self._np_groups_apply(phi, mats_inv)
        self._np_groups_apply(lam, mats_inv)
        if d is None:
            return imov, 0.0
        imd = float(xp.vdot(lam, phi * d).imag)
        ph = xp.exp((1j * float(gamma)) * d).astype(phi.dtype, copy=False)
        phi *= ph
        lam *= ph
        return imov, imd

    def _np_groups_apply(self, psi, mats):
        for q0, k in self._groups():
            self._np_group(psi, q0, k, mats)

    # ---- generic gate path (hardware-efficient ansätze) ------------------------------------
    def _apply_1q_copy(self, psi, mat, qubit: int):
        out = psi.copy()
        return self.apply_1q(mat, qubit, out)

    def apply_1q(self, matrix, qubit: int, psi=None):
        """Apply a 2x2 ``matrix`` to ``qubit`` (in place)."""
        psi = self.state if psi is None else psi
        self._check_qubit(qubit)
        m = np.asarray(matrix, dtype=np.complex128)
        w = psi.reshape(-1, 2, 1 << qubit)
        a = w[:, 0, :].copy()
        b = w[:, 1, :]
        w[:, 0, :] = m[0, 0] * a + m[0, 1] * b
        w[:, 1, :] = m[1, 0] * a + m[1, 1] * b
        return psi

    def rx(self, theta: float, qubit: int, psi=None):
        return self.apply_1q(rotation_matrix("rx", theta), qubit, psi)

    def ry(self, theta: float, qubit: int, psi=None):
        return self.apply_1q(rotation_matrix("ry", theta), qubit, psi)

    def rz(self, theta: float, qubit: int, psi=None):
        return self.apply_1q(rotation_matrix("rz", theta), qubit, psi)

    def h(self, qubit: int, psi=None):
        return self.apply_1q(np.array([[1, 1], [1, -1]]) / math.sqrt(2), qubit, psi)

    def x(self, qubit: int, psi=None):
        return self.apply_1q(np.array([[0, 1], [1, 0]]), qubit, psi)

    def _pair_view(self, psi, a: int, b: int):
        """psi as shape (..., 2 [qubit hi], ..., 2 [qubit lo], ...) with index helpers."""
        self._check_qubit(a)
        self._check_qubit(b)
        if a == b:
            raise OptionError(f"two-qubit gate needs two different qubits, got {a} twice")
        lo, hi = min(a, b), max(a, b)
        n = self.num_qubits
        return psi.reshape(1 << (n - hi - 1), 2, 1 << (hi - lo - 1), 2, 1 << lo), lo, hi

    def apply_cz(self, a: int, b: int, psi=None):
        psi = self.state if psi is None else psi
        v, _, _ = self._pair_view(psi, a, b)
        v[:, 1, :, 1, :] *= -1
        return psi

    def apply_cx(self, control: int, target: int, psi=None):
        psi = self.state if psi is None else psi
        v, lo, _ = self._pair_view(psi, control, target)
        if control == lo:       # control is the low axis, target the high one
            t = v[:, 0, :, 1, :].copy()
            v[:, 0, :, 1, :] = v[:, 1, :, 1, :]
            v[:, 1, :, 1, :] = t
        else:
            t = v[:, 1, :, 0, :].copy()
            v[:, 1, :, 0, :] = v[:, 1, :, 1, :]
            v[:, 1, :, 1, :] = t
        return psi

    def rzz(self, theta: float, a: int, b: int, psi=None):
        """exp(-i theta Z_a Z_b / 2)."""
        psi = self.state if psi is None else psi
        v, _, _ = self._pair_view(psi, a, b)
        e = complex(math.cos(theta / 2), -math.sin(theta / 2))
        v[:, 0, :, 0, :] *= e
        v[:, 1, :, 1, :] *= e
        v[:, 0, :, 1, :] *= e.conjugate()
        v[:, 1, :, 0, :] *= e.conjugate()
        return psi

    def _check_qubit(self, q: int):
        if not 0 <= int(q) < self.num_qubits:
            raise OptionError(f"qubit {q} out of range for {self.num_qubits} qubits")

    def apply_op(self, op: Op, params, psi=None, *, inverse: bool = False):
        """Apply one :class:`Op` (or its inverse)."""
        psi = self.state if psi is None else psi
        s = -1.0 if inverse else 1.0
        if op.name in ("rx", "ry", "rz"):
            return self.apply_1q(rotation_matrix(op.name, s * op.theta(params)), op.qubits[0],
                                 psi)
        if op.name == "rzz":
            return self.rzz(s * op.theta(params), op.qubits[0], op.qubits[1], psi)
        if op.name == "h":
            return self.h(op.qubits[0], psi)
        if op.name == "x":
            return self.x(op.qubits[0], psi)
        if op.name == "cz":
            return self.apply_cz(op.qubits[0], op.qubits[1], psi)
        if op.name == "cx":
            return self.apply_cx(op.qubits[0], op.qubits[1], psi)
        raise OptionError(f"unknown gate {op.name!r}; known: {', '.join(_ROTATIONS + _FIXED)}")

    def run_circuit(self, ops, params, *, psi=None, initial: str = "zero"):
        """State after ``ops`` from |0...0> (``initial="zero"``) or |+...+> (``"plus"``)."""
        psi = self.state if psi is None else psi
        if initial == "plus":
            self.reset_plus(psi)
        else:
            psi.fill(0)
            psi[0] = 1.0
        for op in ops:
            self.apply_op(op, params, psi)
        return psi

    def circuit_expectation(self, ops, params, diag, *, initial: str = "zero") -> float:
        self.run_circuit(ops, params, initial=initial)
        return self.expectation(diag)

    def circuit_gradient(self, ops, params, diag, *, initial: str = "zero", weights=None
                         ) -> tuple[float, np.ndarray]:
        """(<D>, d<D>/d params) by the adjoint method; ``weights`` (shape (2^n,)) replaces
        the observable by ``weights`` in the backward sweep (e.g. the CVaR observable of
        :meth:`cvar_weights`)."""
        d = self._check_diag(diag)
        psi = self.run_circuit(ops, params, initial=initial)
        value = self.expectation(d)
        phi, lam = self._buffers(2)
        phi[...] = psi
        self._mul(lam, psi, d if weights is None else weights)
        grad = np.zeros(len(params))
        xp = self.xp
        for op in reversed(ops):
            if op.param is not None and op.name in _ROTATIONS:
                # generator A = P / 2 (or ZZ / 2); dE/dtheta = 2 Im <lam|A|phi>
                if op.name == "rzz":
                    gphi = phi.copy()
                    v, _, _ = self._pair_view(gphi, *op.qubits)
                    v[:, 0, :, 1, :] *= -1
                    v[:, 1, :, 0, :] *= -1
                else:
                    gphi = self._apply_1q_copy(phi, _PAULI[op.name], op.qubits[0])
                grad[op.param] += op.scale * float(xp.vdot(lam, gphi).imag)
            self.apply_op(op, params, phi, inverse=True)
            self.apply_op(op, params, lam, inverse=True)
        return value, grad


__all__ = [
    "MAX_QUBITS", "Op", "StatevectorEngine", "fwht", "rotation_matrix", "warm_start_angles",
    "warm_start_generators", "warm_start_mixers", "x_rotation_matrices",
]
