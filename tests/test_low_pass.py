"""The SIMD low pass (qopt.backends.kernels.low_pass) against plain numpy: phase, X rotations
of qubits 0..nbits-1 and the expectation, for both precisions, every phase mode, table and
polynomial phases, angles with and without flips, chunk sizes around the L1 block split."""

import math

import numpy as np
import pytest

from qopt.backends.kernels.low_pass import low_apply
from qopt.backends.statevector.gates import x_rotation_matrices


def reference(psi, nbits, betas, diag, gamma, do_phase, amp):
    """exp(-i betas[k] X) on qubits k = 0..nbits-1 after exp(-i gamma diag) (on the uniform state of
    amplitude amp when do_phase == 2), in complex128."""
    v = np.full(psi.size, amp, np.complex128) if do_phase == 2 else psi.astype(np.complex128)
    if do_phase:
        v = v * np.exp(-1j * gamma * diag.astype(np.float64))
    for k in range(nbits):
        c, s = math.cos(betas[k]), math.sin(betas[k])
        w = v.reshape(-1, 2, 1 << k)
        a, b = w[:, 0].copy(), w[:, 1].copy()
        w[:, 0] = c * a - 1j * s * b
        w[:, 1] = c * b - 1j * s * a
    return v


def phase_table(gamma, count):
    x = gamma * np.arange(count, dtype=np.float64)
    tab = np.empty(2 * count)
    tab[0::2], tab[1::2] = np.cos(x), np.sin(x)
    return tab


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("n, nbits", [(4, 2), (5, 3), (12, 12), (14, 13), (17, 16)])
@pytest.mark.parametrize("spread", [0.7, 3.0])     # 3.0: some qubits with |tan| > 1 (flips)
def test_low_pass_matches_numpy(dtype, n, nbits, spread):
    rng = np.random.default_rng(n * 100 + nbits)
    betas = rng.uniform(-spread, spread, n)     # one angle per qubit
    gamma = 0.37
    levels = rng.integers(0, 40, 1 << n).astype(np.uint8)
    real = rng.normal(size=1 << n)
    amp = 1 / math.sqrt(1 << n)
    mats = x_rotation_matrices(betas, n)
    tol = 2e-6 if dtype == np.complex64 else 1e-13
    for do_phase in (0, 1, 2):
        for diag, tab in ((levels, phase_table(gamma, 40)), (real, np.zeros(0))):
            psi = (rng.normal(size=1 << n) + 1j * rng.normal(size=1 << n)).astype(dtype)
            psi /= np.linalg.norm(psi)
            want = reference(psi, nbits, betas, diag, gamma, do_phase, amp)
            partial = np.zeros(8)
            low_apply(psi.view(psi.real.dtype), n, nbits, mats, diag, gamma, do_phase, True,
                      amp, tab, 0.0, 8, partial, 0, 8)
            scale = np.abs(want).max()
            assert np.abs(psi - want).max() <= tol * scale * nbits
            expect = float(np.sum(np.abs(want) ** 2 * diag))
            assert abs(partial.sum() - expect) <= tol * nbits * float(np.abs(diag).max())


def test_low_pass_parts_cover_the_state_once():
    """Parts lo..hi-1 touch only their own chunks: two half calls give the whole call."""
    n, nbits = 14, 12
    rng = np.random.default_rng(3)
    psi = rng.normal(size=1 << n) + 1j * rng.normal(size=1 << n)
    diag = rng.normal(size=1 << n)
    mats = x_rotation_matrices(0.4, n)
    whole, halves = psi.copy(), psi.copy()
    pw, ph = np.zeros(4), np.zeros(4)
    args = (n, nbits, mats, diag, 0.2, 1, True, 0.0, np.zeros(0), 0.0, 4)
    low_apply(whole.view(np.float64), *args, pw, 0, 4)
    low_apply(halves.view(np.float64), *args, ph, 0, 2)
    assert not np.array_equal(halves, whole)
    low_apply(halves.view(np.float64), *args, ph, 2, 4)
    assert np.array_equal(halves, whole) and np.array_equal(pw, ph)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("n, block", [(13, 12), (17, 12), (9, 5)])
def test_gradient_through_the_low_pass_matches_numpy(dtype, n, block):
    """The backward low pass (qopt.backends.kernels.low_backward) inside the engine's adjoint
    gradient, one mixer angle per qubit, against the numpy engine in complex128."""
    from qopt.backends.statevector import StatevectorEngine

    rng = np.random.default_rng(n)
    diag = np.rint(8 * rng.normal(size=1 << n))
    g = np.array([0.21, -0.13])
    b = rng.uniform(-0.7, 0.7, (2, n))           # no flips: the fast backward kernels
    fast = StatevectorEngine(n, dtype=dtype, block=block, use_numba=True)
    assert fast._xgroups()[0][1] >= 2
    v1, dg1, db1 = fast.qaoa_gradient(diag, g, b)
    v2, dg2, db2 = StatevectorEngine(n, use_numba=False).qaoa_gradient(diag, g, b)
    tol = (1e-5 if dtype == np.complex64 else 1e-10) * float(np.abs(diag).max())
    assert abs(v1 - v2) < tol
    assert np.abs(dg1 - dg2).max() < tol and np.abs(db1 - db2).max() < tol
