"""In-house statevector engine: fast QAOA layers, exact expectation / CVaR, adjoint gradients.

Conventions (the toolkit's, see :mod:`qopt.bits` and DESIGN.md):

* ``state[s]`` is the amplitude of basis state ``s``; qubit ``i`` is bit ``i`` of ``s``;
* cost layer ``exp(-i gamma D)`` with ``D = QUBO.diagonal()`` (energies of all 2^n states,
  computed once by the QUBO and reused for every evaluation); mixer ``exp(-i beta sum_i X_i)``;
* one-qubit rotations ``RX/RY/RZ(t) = exp(-i t P / 2)``, ``RZZ(t) = exp(-i t Z Z / 2)``.

Speed: on CPU with numba, a QAOA layer is a few passes over the state (2 at n = 24: qubits
0-15 on contiguous chunks (0-16 for complex64) in place with explicit SIMD vectors, then the
qubits above on tiles of long contiguous runs, see :meth:`StatevectorEngine._xgroups`). The
cost phase rides on the first pass (from a per-layer table when the diagonal is
integer-valued, else a vectorised polynomial ``sincos``), |+>^n is never written (the first
pass builds the first layer from it) and the expectation is taken in the last pass; see
:mod:`qopt.backends.kernels`. Without numba (or with ``use_numba=False``) the same blocking
runs in vectorised numpy on slabs of the state.

GPU: pass ``xp=cupy`` (``pip install qopt-toolkit[gpu]``). The state then lives on the device and
every operation runs through the array module's vectorised path (the numba kernels are CPU only);
``diag`` arrays may be numpy (copied to the device once per call site that needs them; keep a
device copy with ``engine.asarray(diag)`` to avoid repeated transfers). Results (expectations,
gradients, samples) come back as numpy / Python numbers.
"""

from qopt.backends.statevector.engine import MAX_QUBITS, StatevectorEngine
from qopt.backends.statevector.gates import (
    Op,
    rotation_matrix,
    warm_start_angles,
    warm_start_generators,
    warm_start_mixers,
    x_rotation_matrices,
)
from qopt.backends.statevector.levels import LevelDiagonal
from qopt.backends.statevector.readout import fwht

__all__ = [
    "MAX_QUBITS", "LevelDiagonal", "Op", "StatevectorEngine", "fwht", "rotation_matrix",
    "warm_start_angles", "warm_start_generators", "warm_start_mixers", "x_rotation_matrices",
]
