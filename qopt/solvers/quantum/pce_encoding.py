"""Pauli correlators from one statevector by fast Walsh–Hadamard transforms.

Conventions (shared with :mod:`qopt.bits`): amplitude ``psi[s]`` belongs to basis state ``s``
and qubit ``q`` is bit ``q`` of ``s``. A Pauli *basis* is ``0 = Z``, ``1 = X``, ``2 = Y``; a
*correlator* ``(basis, mask)`` is the Pauli string with that Pauli on every qubit set in the
integer ``mask`` and identity elsewhere (for example ``(1, 0b101)`` is X_0 X_2).

All Z-strings of a state follow from its probabilities by ONE Walsh–Hadamard transform
(:func:`qopt.backends.statevector.fwht`): ``<Z_T> = sum_s p[s] (-1)^popcount(s & T) =
WHT(p)[T]``. X- and Y-strings are Z-strings of the state rotated by ``H`` (X basis) or
``H S^dagger`` (Y basis) on every qubit, one cache-blocked pass of the statevector engine
(:meth:`StatevectorEngine.apply_product`). So every correlator of a basis costs O(n 2^n), not
one pass per correlator.

Pauli Correlation Encoding (Sciorilli et al., arXiv:2401.09421) maps variable ``i`` of ``m`` to
the sign of a k-body correlator ``Pi_i`` in {X^k, Y^k, Z^k} placed on a k-subset of ``n`` qubits,
with ``n`` the smallest integer such that ``3 * C(n, k) >= m``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from math import comb

import numpy as np

from qopt.backends.statevector import fwht
from qopt.errors import OptionError, SizeLimitError
from qopt.limits import check_allocation

#: Pauli letter of each basis index
BASIS_LETTERS = ("Z", "X", "Y")
#: widest register whose 2^n vectors the FWHT path builds
MAX_FWHT_QUBITS = 30


@lru_cache(maxsize=2)
def _engine(n: int):
    """A :class:`~qopt.backends.statevector.StatevectorEngine` of n qubits, cached for the
    two most recent widths (its gate path applies the basis rotations)."""
    from qopt.backends.statevector import StatevectorEngine

    return StatevectorEngine(n)


_H = np.array([[1, 1], [1, -1]], dtype=np.complex128) / np.sqrt(2.0)
_SDG = np.diag([1.0, -1j]).astype(np.complex128)
#: U_B of each basis: Z -> I, X -> H, Y -> H S^dagger (S^dagger applied first)
_ROTATIONS = {1: _H, 2: _H @ _SDG}


def num_qubits_of(state: np.ndarray) -> int:
    n = int(state.shape[0]).bit_length() - 1
    if state.ndim != 1 or (1 << n) != state.shape[0]:
        raise OptionError(f"a statevector needs shape (2^n,), got {state.shape}")
    return n


def rotate_to_basis(psi: np.ndarray, basis: int) -> np.ndarray:
    """``U_B psi`` with ``U_Z = I``, ``U_X = H``, ``U_Y = H S^dagger`` on every qubit.

    After the rotation, Z-strings of the result are the basis-``B`` strings of ``psi``.
    Returns a new array, shape (2^n,) complex128 (one cache-blocked pass of the engine).
    """
    n = num_qubits_of(psi)
    out = np.array(psi, dtype=np.complex128, copy=True)
    if basis == 0:
        return out
    if basis not in _ROTATIONS:
        raise OptionError(f"basis must be 0 (Z), 1 (X) or 2 (Y), got {basis}")
    return _engine(n).apply_product(np.broadcast_to(_ROTATIONS[basis], (n, 2, 2)), out)


def unrotate_from_basis(phi: np.ndarray, basis: int) -> np.ndarray:
    """``U_B^dagger phi`` in place (inverse of :func:`rotate_to_basis`). Returns ``phi``."""
    if basis == 0:
        return phi
    n = num_qubits_of(phi)
    inv = np.conj(_ROTATIONS[basis].T)
    return _engine(n).apply_product(np.broadcast_to(inv, (n, 2, 2)), phi)


def z_parities(probabilities: np.ndarray) -> np.ndarray:
    """All ``<Z_T>`` for T in 0..2^n-1 from probabilities, shape (2^n,): one WHT."""
    return fwht(probabilities)


def basis_parities(psi: np.ndarray, basis: int) -> np.ndarray:
    """All ``<B_T>`` (B = Z, X or Y on the qubits of T) of a statevector, shape (2^n,)."""
    rot = rotate_to_basis(psi, basis)
    return fwht(rot.real ** 2 + rot.imag ** 2)


def check_fwht_width(n: int, what: str = "the correlator path") -> None:
    """Refuse registers whose 2^n complex vectors would not fit, before allocating."""
    if n > MAX_FWHT_QUBITS:
        raise SizeLimitError(f"{what} keeps 2^{n} amplitudes; the limit is {MAX_FWHT_QUBITS} "
                             "qubits")
    check_allocation(3 * (16 << n), f"{what} on {n} qubits (three 2^{n} complex vectors)")


# ---- Pauli Correlation Encoding ------------------------------------------------------------


def pce_num_qubits(num_vars: int, k: int) -> int:
    """Smallest n >= k with ``3 * C(n, k) >= num_vars``."""
    if k < 1:
        raise OptionError(f"k (correlator body count) must be >= 1, got {k}")
    if num_vars < 1:
        raise OptionError("PCE needs at least one variable")
    n = k
    while 3 * comb(n, k) < num_vars:
        n += 1
    return n


@dataclass
class CorrelatorEncoding:
    """Variable i is encoded in the correlator ``(bases[i], masks[i])`` on ``num_qubits`` qubits.

    Attributes:
        num_qubits: n.
        k: body count of every correlator.
        bases: shape (m,) int, 0 = Z, 1 = X, 2 = Y.
        masks: shape (m,) int64 qubit masks (popcount k each).
    """

    num_qubits: int
    k: int
    bases: np.ndarray
    masks: np.ndarray

    @classmethod
    def pce(cls, num_vars: int, k: int = 2, num_qubits: int | None = None) -> CorrelatorEncoding:
        """The PCE assignment: k-subsets in lexicographic order, each carrying Z^k, X^k, Y^k.

        Variable ``i`` takes subset ``i // 3`` and basis ``i % 3`` (Z, X, Y), so the ``m``
        variables use the first ``ceil(m / 3)`` subsets.
        """
        n = pce_num_qubits(num_vars, k) if num_qubits is None else int(num_qubits)
        if 3 * comb(n, k) < num_vars:
            raise OptionError(f"{n} qubits hold 3*C({n},{k}) = {3 * comb(n, k)} correlators, "
                              f"fewer than the {num_vars} variables")
        check_fwht_width(n, "PCE")
        masks = np.empty(num_vars, dtype=np.int64)
        bases = np.empty(num_vars, dtype=np.int64)
        i = 0
        for subset in combinations(range(n), k):
            mask = sum(1 << q for q in subset)
            for b in range(3):
                if i == num_vars:
                    break
                masks[i], bases[i] = mask, b
                i += 1
            if i == num_vars:
                break
        return cls(n, k, bases, masks)

    @property
    def num_vars(self) -> int:
        return int(self.masks.shape[0])

    def used_bases(self) -> list[int]:
        return [b for b in range(3) if np.any(self.bases == b)]

    def labels(self) -> list[str]:
        """Qiskit Pauli labels (qubit 0 rightmost), one per variable."""
        n = self.num_qubits
        out = []
        for b, m in zip(self.bases, self.masks):
            chars = [BASIS_LETTERS[b] if (int(m) >> q) & 1 else "I" for q in range(n)]
            out.append("".join(reversed(chars)))
        return out

    # ---- evaluation ---------------------------------------------------------------------
    def correlators(self, psi: np.ndarray) -> np.ndarray:
        """<Pi_i> of a statevector, shape (m,): one rotation + one WHT per used basis."""
        self._check_state(psi)
        out = np.empty(self.num_vars)
        for b in self.used_bases():
            sel = self.bases == b
            out[sel] = basis_parities(psi, b)[self.masks[sel]]
        return out

    def correlators_from_probabilities(self, probs_by_basis: dict[int, np.ndarray]
                                       ) -> np.ndarray:
        """<Pi_i> from measured (or exact) probabilities in each rotated basis, shape (m,).

        ``probs_by_basis[b]`` is the outcome distribution, shape (2^n,), of the state rotated by
        ``U_b`` (the three measurement settings of a sampling backend).
        """
        out = np.empty(self.num_vars)
        for b in self.used_bases():
            sel = self.bases == b
            out[sel] = z_parities(probs_by_basis[b])[self.masks[sel]]
        return out

    def correlators_from_counts(self, counts_by_basis: dict[int, tuple[np.ndarray, np.ndarray]]
                                ) -> np.ndarray:
        """<Pi_i> from sampled outcomes: ``{basis: (basis-state indices, counts)}``, shape (m,)."""
        probs = {}
        for b, (idx, cnt) in counts_by_basis.items():
            p = np.bincount(np.asarray(idx, dtype=np.int64), weights=np.asarray(cnt, float),
                            minlength=1 << self.num_qubits)
            probs[b] = p / p.sum()
        return self.correlators_from_probabilities(probs)

    def apply_observable(self, psi: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
        """``O psi`` for ``O = sum_i coeffs[i] Pi_i``, shape (2^n,) complex (a new array).

        Per basis ``O_B = U_B^dagger D_B U_B`` with ``D_B = WHT`` of the coefficients placed at
        their masks, so applying O costs a few WHTs, not one pass per term (used by adjoint
        gradients of losses that depend on the correlators).
        """
        self._check_state(psi)
        c = np.asarray(coeffs, dtype=float).reshape(-1)
        if c.shape[0] != self.num_vars:
            raise OptionError(f"{c.shape[0]} coefficients for {self.num_vars} correlators")
        n = self.num_qubits
        out = np.zeros(1 << n, dtype=np.complex128)
        for b in self.used_bases():
            sel = self.bases == b
            diag = np.zeros(1 << n)
            np.add.at(diag, self.masks[sel], c[sel])
            diag = fwht(diag)
            phi = rotate_to_basis(psi, b)
            phi *= diag
            out += unrotate_from_basis(phi, b)
        return out

    def to_sparse_pauli_ops(self) -> list:
        """One Qiskit ``SparsePauliOp`` per variable (for estimators and tests)."""
        from qiskit.quantum_info import SparsePauliOp

        return [SparsePauliOp(label) for label in self.labels()]

    def _check_state(self, psi: np.ndarray) -> None:
        if num_qubits_of(psi) != self.num_qubits:
            raise OptionError(f"statevector on {num_qubits_of(psi)} qubits, encoding on "
                              f"{self.num_qubits}")


def basis_rotation_circuit(num_qubits: int, basis: int):
    """Qiskit circuit of ``U_B`` on every qubit: nothing (Z), H (X), S^dagger then H (Y)."""
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(num_qubits, name=f"to_{BASIS_LETTERS[basis]}")
    if basis == 2:
        qc.sdg(range(num_qubits))
    if basis in (1, 2):
        qc.h(range(num_qubits))
    return qc


__all__ = [
    "BASIS_LETTERS", "CorrelatorEncoding", "basis_parities", "basis_rotation_circuit",
    "pce_num_qubits", "rotate_to_basis", "unrotate_from_basis", "z_parities",
]
