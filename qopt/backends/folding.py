"""Zero-noise extrapolation (ZNE): global gate folding of device (ISA) circuits, and the
extrapolation weights that combine the results of the folded circuits.

Folding: a measured ISA circuit ``U + M`` (M: the final measurements) becomes
``U (U^dag U)^k + M`` for an odd noise scale factor ``s = 2k + 1`` (global folding, as in
Giurgica-Tiron et al. 2020 and mitiq's ``fold_global``): the folded circuit is the same unitary
with ``s`` times the gates, so every gate's noise (and the idle time) grows about ``s``-fold
while the ideal result is unchanged. ``U^dag`` is translated to the device's basis with the
transpiler's ``BasisTranslator`` (``sxdg`` becomes rz / sx, rz(theta) becomes rz(-theta), ecr
and cz are their own inverses), and barriers separate the folds so nothing cancels them.
Written here rather than taken from mitiq: mitiq 1.1 pins numpy < 2.3, cirq and qiskit-aer
0.17 / qiskit-ibm-runtime 0.41, which this installation cannot take (numpy 2.4, Aer 0.18,
runtime 0.51); folding an ISA circuit is a few lines with Qiskit itself.

Extrapolation: the value at zero noise is a *fixed linear combination* ``sum_s w_s y(s)`` of
the values measured at the scale factors: Richardson (the polynomial through all points,
Lagrange weights at 0) or linear (the least-squares line). Being linear in the data, the same
weights extrapolate a whole distribution bitstring by bitstring
(:func:`combine_distributions`), so the expectation of every diagonal observable and every
Z-correlator computed from the extrapolated quasi-distribution equals the extrapolation of that
value itself (non-linear fits such as exponential ones would not have this property).
"""

from __future__ import annotations

import numpy as np

from qopt.errors import OptionError

#: default noise scale factors (odd: global folding)
DEFAULT_SCALES = (1, 3, 5)
EXTRAPOLATIONS = ("richardson", "linear")


def check_scales(scales) -> tuple[int, ...]:
    """``scales`` as a sorted tuple of distinct odd positive integers, at least two,
    starting at 1 (the unfolded circuit)."""
    try:
        out = tuple(sorted({int(s) for s in scales}))
        ok = all(float(s) == int(s) for s in scales)
    except (TypeError, ValueError):
        out, ok = (), False
    if not ok or len(out) < 2 or out[0] != 1 or any(s % 2 == 0 for s in out):
        raise OptionError(f"zne scale factors must be distinct odd integers starting at 1 "
                          f"(global folding), at least two, e.g. 1,3,5; got {scales!r}")
    return out


def extrapolation_weights(scales, method: str = "richardson") -> np.ndarray:
    """Weights ``w`` (shape (len(scales),)) with ``value(0) = w @ values(scales)``.

    "richardson": Lagrange interpolation through every point, evaluated at 0
    (w_i = prod_{j != i} s_j / (s_j - s_i)). "linear": intercept of the least-squares line.
    The weights sum to 1 (a constant is extrapolated to itself).
    """
    s = np.asarray(check_scales(scales), dtype=float)
    if method == "richardson":
        diff = s[None, :] - s[:, None]                  # s_j - s_i
        np.fill_diagonal(diff, 1.0)
        ratio = s[None, :] / diff
        np.fill_diagonal(ratio, 1.0)
        return np.prod(ratio, axis=1)
    if method == "linear":
        V = np.stack([np.ones_like(s), s], axis=1)
        return np.linalg.pinv(V)[0]
    raise OptionError(f"zne extrapolation must be one of {', '.join(EXTRAPOLATIONS)}, "
                      f"got {method!r}")


def _split_final_measurements(isa):
    """(index where the final measurement block starts, its instructions): the trailing
    measure / barrier instructions of ``isa``."""
    data = isa.data
    start = len(data)
    while start > 0 and data[start - 1].operation.name in ("measure", "barrier"):
        start -= 1
    return start, data[start:]


def inverse_in_basis(body, target):
    """``body`` (no measurements) inverted, in the gates ``target`` supports."""
    from qiskit.circuit.equivalence_library import SessionEquivalenceLibrary
    from qiskit.transpiler import PassManager
    from qiskit.transpiler.passes import BasisTranslator

    inv = body.inverse()
    if target is None:
        return inv
    return PassManager([BasisTranslator(SessionEquivalenceLibrary, target_basis=None,
                                        target=target)]).run(inv)


def fold_global(isa, scale: int, target=None):
    """The measured ISA circuit ``isa`` with its unitary part folded to noise scale ``scale``
    (odd): ``U (U^dag U)^((scale - 1) / 2)`` followed by the original final measurements.
    ``target``: the device target whose basis ``U^dag`` is written in (None: as inverted).
    Parameters stay free (the folded circuit binds the same values)."""
    scale = int(scale)
    if scale < 1 or scale % 2 == 0:
        raise OptionError(f"a global folding scale factor must be an odd positive integer, "
                          f"got {scale}")
    if scale == 1:
        return isa
    start, tail = _split_final_measurements(isa)
    body = isa.copy_empty_like()
    for inst in isa.data[:start]:
        body.append(inst)
    inv = inverse_in_basis(body, target)
    out = isa.copy_empty_like(name=f"{isa.name}_fold{scale}")
    out.compose(body, inplace=True)
    for _ in range((scale - 1) // 2):
        out.barrier()
        out.compose(inv, inplace=True)
        out.barrier()
        out.compose(body, inplace=True)
    for inst in tail:
        out.append(inst)
    return out


def combine_distributions(dists, weights) -> tuple[np.ndarray, np.ndarray]:
    """``sum_s w_s q_s`` of distributions ``dists = [(indices (m_s,), weights (m_s,))]``,
    each normalised to sum 1 first: (sorted union of indices, combined quasi-probabilities).
    Bitstrings missing from one distribution count as 0 there."""
    idx = np.unique(np.concatenate([np.asarray(i, dtype=np.int64) for i, _ in dists]))
    out = np.zeros(idx.size)
    for (i, q), w in zip(dists, weights):
        q = np.asarray(q, dtype=float)
        out[np.searchsorted(idx, np.asarray(i, dtype=np.int64))] += w * q / q.sum()
    return idx, out


__all__ = ["DEFAULT_SCALES", "EXTRAPOLATIONS", "check_scales", "combine_distributions",
           "extrapolation_weights", "fold_global", "inverse_in_basis"]
