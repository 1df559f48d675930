"""Numba kernels of the statevector engine (CPU, in place, cache-blocked).

State layout: ``psi[s]`` is the amplitude of basis state ``s``; qubit ``i`` is bit ``i`` of
``s`` (:mod:`qopt.bits`). Qubits are processed in *groups*: the first group (qubits
``0..b0-1``) acts on contiguous chunks of ``2^b0`` amplitudes; a higher group (qubits
``q0..q0+nb-1``) gathers tiles of ``2^nb`` rows x ``L`` consecutive amplitudes into a small
buffer, applies all of the group's one-qubit gates there and scatters back. One pass over the
state therefore applies a whole group of qubits, not one qubit.

One-qubit gates on every qubit are given as ``mats``, shape (n, 2, 2) complex128, with ``mode
== 0`` meaning "each matrix is an X rotation ``[[c, -is], [-is, c]]``" (the QAOA mixer, taken
from ``mats[k, 0, 0].real`` and ``-mats[k, 0, 1].imag``) and ``mode == 1`` a general 2x2
matrix. X rotations run unnormalised, ``c (I - i t X)`` with ``|t| <= 1`` (one FMA per output;
the factor ``c`` of every qubit of a pass, and the flip of the qubits with ``|s| > |c|``, are
applied when the tile is written back: a scaled unitary per step, so the rounding error stays
at a few ulp per gate, and at n = 24 the engine matches numpy / Aer to ~1e-12 relative). The
tiles of the X-rotation passes are in the state's precision: float32 for a complex64 state
(half the cache traffic, twice the SIMD lanes; expectations and overlaps still sum in float64),
float64 for complex128. The low pass (:mod:`.low_pass`) works in place on the interleaved
amplitudes with explicit SIMD vectors (:mod:`.simd`): the qubits inside a vector are lane
swaps, and each L1-sized block gets its own qubits before the qubits above it are applied.
The phase ``exp(-i gamma d)`` comes from a per-layer table ``(cos, sin)(gamma k)`` (numpy,
exact to an ulp) when the diagonal is integer-valued with at most 2^14 levels (checked per
call), else from a branch-free polynomial ``sincos``.
``fastmath`` is on in the pass kernels: it licenses FMA contraction, reassociation of the tile
sums (expectation, overlaps: float64 accumulation per part) and vectorisation; measured phase
error of the inlined ``sincos`` under it: about one ulp of ``|gamma d|`` (2.7e-15 at |gamma d|
~ 30, 4e-13 at ~ 3000), i.e. the rounding of the product itself. No kernel relies on NaN / inf
semantics (:func:`integer_range`, which must see NaN, is compiled without it).

Modules: :mod:`.phase` (phase factors), :mod:`.tiles` (tile moves and in-tile gates),
:mod:`.simd` (vector type and operations), :mod:`.low_pass` and :mod:`.low_backward` (the
X-mixer pass at qubit 0, forward and backward),
:mod:`.apply` (the other forward passes), :mod:`.adjoint` (backward passes of the adjoint
gradient), :mod:`.elementwise` (one-pass elementwise kernels). Everything is imported lazily by
:mod:`qopt.backends.statevector` when numba is present.
"""

from qopt.backends.kernels.adjoint import group_backward, x_backward, x_backward_scale
from qopt.backends.kernels.apply import group_apply, x_group_apply
from qopt.backends.kernels.elementwise import (
    copy_mul,
    expval_diag,
    mul_diag,
    part_mass,
    phase_apply,
    probabilities,
    range_parts,
    sample_parts,
)
from qopt.backends.kernels.low_backward import x_backward_low
from qopt.backends.kernels.low_pass import low_apply
from qopt.backends.kernels.phase import sincos

__all__ = [
    "copy_mul", "expval_diag", "group_apply", "group_backward", "low_apply", "mul_diag",
    "part_mass", "phase_apply", "probabilities", "range_parts", "sample_parts", "sincos",
    "x_backward", "x_backward_low", "x_backward_scale", "x_group_apply",
]
