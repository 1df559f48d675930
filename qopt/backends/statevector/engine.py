"""The statevector engine: a preallocated state, its passes over qubit groups (numba
kernels, or vectorised numpy slabs), resets; QAOA, readout and the gate path are mixed in
from :mod:`.qaoa`, :mod:`.readout` and :mod:`.circuits`.
"""

from __future__ import annotations

import math

import numpy as np

from qopt import threads as _threads
from qopt.backends.statevector.circuits import CircuitMixin
from qopt.backends.statevector.gates import x_rotation_matrices
from qopt.backends.statevector.levels import LevelDiagonal
from qopt.backends.statevector.qaoa import _NO_TABLE, QAOAMixin
from qopt.backends.statevector.readout import ReadoutMixin
from qopt.errors import OptionError, SizeLimitError
from qopt.limits import check_allocation

#: largest statevector the engine will even consider (before the memory check)
MAX_QUBITS = 34
#: smallest state the numba kernels run by default: below it the numpy path costs well under
#: a millisecond per layer, less than what compiling the kernels would ever save
NUMBA_MIN_QUBITS = 12
#: work parts of every kernel call (fixed, so reductions do not depend on the thread count)
NPARTS = 256
_NO_STATE = {np.dtype(np.complex128): np.zeros(0, dtype=np.complex128),
             np.dtype(np.complex64): np.zeros(0, dtype=np.complex64)}


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



class StatevectorEngine(QAOAMixin, ReadoutMixin, CircuitMixin):
    """A preallocated n-qubit statevector with QAOA layers and a generic gate path.

    Args:
        num_qubits: n (the state has 2^n amplitudes).
        dtype: ``complex128`` (default) or ``complex64``.
        xp: array module, ``numpy`` (default) or ``cupy``.
        use_numba: use the numba kernels (default: when numba imports and ``xp`` is numpy).
        block: most qubits per pass of the mixer (cache blocking); the n qubits are split
            into ceil(n / block) passes of near-equal size. X-rotation mixers (QAOA) on the
            numba path use their own split (:meth:`_xgroups`): ``block + block // 3`` qubits
            in the first pass (contiguous chunks; one more for complex64), passes of at most
            ``block - block // 3`` above it (16 and 8 for the default 12).
        tile: columns per gathered tile of the numba kernels (a power of two).
        memory_limit: bytes allowed per buffer (default :func:`qopt.limits.memory_limit`).
        threads: kernel threads for states of at least ``parallel_min_qubits`` qubits
            (default: :func:`qopt.threads.current` at each call: the solve's ``threads=``,
            else every core numba may use); smaller states run on the calling thread, where
            handing out work costs more than it saves. Results do not depend on it (every
            kernel splits its work into :data:`NPARTS` fixed parts).
        numba_min_qubits: smallest state run by the numba kernels by default (None: the
            module's :data:`NUMBA_MIN_QUBITS`); smaller ones take the vectorised numpy path
            (well under a millisecond per layer either way) and compile nothing.

    Raises :class:`~qopt.errors.SizeLimitError` before allocating when the state does not fit.
    """

    def __init__(self, num_qubits: int, *, dtype=np.complex128, xp=None,
                 use_numba: bool | None = None, block: int = 12, tile: int = 16,
                 memory_limit: int | None = None, threads: int | None = None,
                 parallel_min_qubits: int = 18, numba_min_qubits: int | None = None):
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
        least = NUMBA_MIN_QUBITS if numba_min_qubits is None else int(numba_min_qubits)
        wanted = use_numba if use_numba is not None else n >= least
        kern = _numba_kernels() if (wanted and self.xp is np) else None
        if use_numba and kern is None:
            raise OptionError("use_numba=True needs numba and xp=numpy")
        self._k = kern
        self.block = max(1, int(block))
        # tiles of groups above the first take their columns from the lowest qubits, so a
        # tile may not span more qubits than the first group holds
        self.num_qubits = n
        self.tile = 1 << min(max(0, int(tile).bit_length() - 1), self._groups()[0][1])
        self.threads = None if threads is None else _threads.check(threads)
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
        """``diag`` as a float64 array of shape (2^n,), or the :class:`LevelDiagonal` given."""
        d = diag if isinstance(diag, LevelDiagonal) else self.asarray(diag, dtype=np.float64)
        if d.shape != (1 << self.num_qubits,):
            raise OptionError(f"diagonal has shape {tuple(d.shape)}, expected "
                              f"({1 << self.num_qubits},)")
        return d

    def _values(self, diag):
        """A checked diagonal as float64 values (a level diagonal expanded: full size)."""
        d = self._check_diag(diag)
        return self.asarray(d.values()) if isinstance(d, LevelDiagonal) else d

    @staticmethod
    def _kd(d):
        """What the kernels read for a checked diagonal (the levels of a level diagonal)."""
        return d.levels if isinstance(d, LevelDiagonal) else d

    @staticmethod
    def _shift(d) -> float:
        """Value to add to an expectation the kernels took of ``_kd(d)`` (normalised state)."""
        return d.lo if isinstance(d, LevelDiagonal) else 0.0

    @property
    def threads_in_use(self) -> int:
        """Threads the kernels run on now (1 without numba or below ``parallel_min_qubits``)."""
        if self._k is None or self.num_qubits < self.parallel_min_qubits:
            return 1
        return self.threads if self.threads is not None else _threads.current()

    def _run(self, kernel, *args) -> None:
        """``kernel(*args, NPARTS, lo, hi)`` over the parts, on :attr:`threads_in_use`."""
        _threads.run_parts(kernel, NPARTS, *args, NPARTS, threads=self.threads_in_use)

    def _partials(self, kernel, *args, width: int = 0) -> np.ndarray:
        """``kernel(*args, NPARTS, partial, lo, hi)`` over the parts; returns ``partial``,
        shape (NPARTS,) or (NPARTS, width), one row per part."""
        partial = np.zeros((NPARTS, width) if width else NPARTS)
        _threads.run_parts(kernel, NPARTS, *args, NPARTS, partial,
                           threads=self.threads_in_use)
        return partial

    def _sum(self, kernel, *args, width: int = 0) -> np.ndarray:
        """:meth:`_partials` summed in part order (the same sum for any thread count)."""
        return self._partials(kernel, *args, width=width).sum(axis=0)

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
        2^that amplitudes (one more for complex64: the same 1 MiB chunk at the default,
        measured 3-6 % faster at n = 24-30); the qubits above it go in near-equal passes of
        at most ``block - block // 3``, each with tiles of the same 2^(first pass) amplitudes
        (fewer rows, longer contiguous runs: cheaper gathers than one tall pass)."""
        n = self.num_qubits
        low = min(n, self.block + self.block // 3 + int(self.dtype == np.complex64))
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
        d = self._values(diag)
        if self._k is not None:
            self._run(self._k.phase_apply, psi, d, float(gamma))
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
        d = self._values(diag) if diag is not None else None
        if self._k is not None:
            dd = d if d is not None else np.zeros(1)
            groups = (self._xgroups() if mode == 0
                      else [(q0, k, self.tile) for q0, k in self._groups()])
            for i, (q0, k, tile) in enumerate(groups):
                self._pass(psi, q0, k, mats, mode, dd, float(gamma),
                           int(i == 0 and d is not None), tile=tile)
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

    def _pass(self, psi, q0, k, mats, mode, d, gamma, phase, expect=False, amp=0.0,
              tab=None, tmin=0.0, tile=None, outs=None) -> float:
        """One numba pass over the state: qubits q0..q0+k-1 (see :mod:`kernels`); returns
        ``<psi|D|psi>`` of the result when ``expect``. ``outs``: (phi, lam) also filled with
        psi and D psi (only on the plain X-mixer high pass with ``expect``, see
        :func:`kernels.x_group_apply`)."""
        tab = _NO_TABLE if tab is None else tab
        if mode == 0 and q0 == 0 and k >= 2:
            x = psi.view(psi.real.dtype)
            return float(self._sum(self._k.low_apply, x, self.num_qubits, k, mats, d, gamma,
                                   phase, expect, amp, tab, tmin))
        none = _NO_STATE[psi.dtype]
        o1, o2 = (none, none) if outs is None else (none if o is None else o for o in outs)
        kernel = self._k.x_group_apply if mode == 0 else self._k.group_apply
        return float(self._sum(kernel, psi, self.num_qubits, q0, k, mats, mode, d,
                               gamma, phase, self.tile if tile is None else tile, expect, amp,
                               tab, tmin, o1, o2))


__all__ = ["MAX_QUBITS", "NPARTS", "NUMBA_MIN_QUBITS", "StatevectorEngine"]
