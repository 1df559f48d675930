"""QUBO: minimise ``E(x) = x'Ux + c'x + offset`` over x in {0,1}^n, U strictly upper.

Bit order follows :mod:`qopt.bits`: variable i is qubit i, bit i of a basis-state index.
The first ``num_program_vars`` variables are the source program's; any further ones are
slack bits added by the conversion, listed in :attr:`QUBO.slack_blocks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from qopt.bits import as_bit_matrix, indices_to_bits
from qopt.errors import OptionError, SizeLimitError
from qopt.limits import check_allocation
from qopt.model.quadratic import quadratic_values, split_quadratic

#: largest number of variables whose 2^n diagonal is built at all (before the memory check)
MAX_DIAGONAL_VARS = 40
#: low bits filled by doubling inside one chunk of the diagonal (2^20 float64 = 8 MiB)
DEFAULT_CHUNK_BITS = 20


@dataclass
class SlackBlock:
    """Slack bits of one inequality ``a.x + sum_k w_k s_k == b`` (``<=`` rows; ``>=`` negated).

    ``indices`` are the slack variables' QUBO indices, ``weights`` their integer weights
    (1, 2, 4, ..., remainder) spanning exactly 0..``upper``.
    """

    constraint: int
    coefficients: sp.csr_matrix  # shape (1, num_program_vars), already sign-normalised to <=
    rhs: float
    indices: np.ndarray
    weights: np.ndarray
    upper: int = field(default=0)

    def encode(self, x_program: np.ndarray) -> np.ndarray:
        """Best slack bits for program rows x, shape (k, n_prog) -> (k, len(indices))."""
        lhs = np.asarray(self.coefficients.dot(x_program.T.astype(float))).ravel()
        target = np.clip(np.rint(self.rhs - lhs), 0, self.upper).astype(np.int64)
        bits = np.zeros((x_program.shape[0], len(self.weights)), dtype=np.uint8)
        if len(self.weights) == 0:
            return bits
        rest = self.weights[-1]
        use_rest = target >= rest
        remaining = np.where(use_rest, target - rest, target)
        bits[:, -1] = use_rest
        k = len(self.weights) - 1
        bits[:, :k] = (remaining[:, None] >> np.arange(k)[None, :]) & 1
        return bits


class QUBO:
    """A quadratic unconstrained binary optimisation problem (minimisation).

    Args:
        quadratic: ``x'Mx`` part (dense, sparse or ``{(i, j): w}``); its diagonal is linear.
        linear: shape (n,).
        offset: constant.
        num_vars: n, needed when ``quadratic`` is a mapping or ``None``.
    """

    def __init__(self, quadratic=None, linear=None, offset: float = 0.0, *,
                 num_vars: int | None = None, var_names=None, num_program_vars: int | None = None,
                 slack_blocks: list[SlackBlock] | None = None, penalties=None):
        if num_vars is None:
            if quadratic is not None and hasattr(quadratic, "shape"):
                num_vars = quadratic.shape[0]
            elif linear is not None:
                num_vars = len(linear)
            else:
                raise OptionError("QUBO needs num_vars when given no matrix or linear part")
        n = int(num_vars)
        self.num_vars = n
        self.quadratic, diag = split_quadratic(quadratic, n)
        lin = np.zeros(n) if linear is None else np.asarray(linear, dtype=float).reshape(-1)
        if lin.shape != (n,):
            raise OptionError(f"linear part has {lin.size} entries, expected {n}")
        self.linear = lin + diag
        self.offset = float(offset)
        self.var_names = list(var_names) if var_names is not None else [f"x{i}" for i in range(n)]
        self.num_program_vars = n if num_program_vars is None else int(num_program_vars)
        self.slack_blocks = list(slack_blocks or [])
        self.penalties = penalties

    # ---- construction -----------------------------------------------------------------
    @classmethod
    def from_matrix(cls, matrix, offset: float = 0.0) -> QUBO:
        """QUBO ``x'Mx + offset`` from a square numpy / scipy matrix M (diagonal = linear)."""
        shape = getattr(matrix, "shape", None) or np.shape(matrix)
        if len(shape) != 2 or shape[0] != shape[1]:
            raise OptionError(f"a QUBO matrix must be square, got shape {tuple(shape)}")
        return cls(matrix, None, offset, num_vars=shape[0])

    # ---- properties -------------------------------------------------------------------
    @property
    def num_slack(self) -> int:
        return self.num_vars - self.num_program_vars

    @property
    def is_slack(self) -> np.ndarray:
        """Boolean mask, shape (n,): which variables are slack bits."""
        mask = np.zeros(self.num_vars, dtype=bool)
        mask[self.num_program_vars:] = True
        return mask

    def to_matrix(self) -> np.ndarray:
        """Dense upper-triangular M, shape (n, n), with ``E(x) = x'Mx + offset``."""
        m = self.quadratic.toarray()
        m[np.diag_indices(self.num_vars)] += self.linear
        return m

    # ---- evaluation -------------------------------------------------------------------
    def energy(self, x) -> np.ndarray | float:
        """E(x) for x of shape (n,) (-> float) or (k, n) (-> shape (k,)); vectorised."""
        X, single = as_bit_matrix(x)
        if X.shape[1] != self.num_vars:
            raise OptionError(f"bitstrings have {X.shape[1]} bits, QUBO has {self.num_vars}")
        e = X @ self.linear + quadratic_values(self.quadratic, X) + self.offset
        return float(e[0]) if single else e

    def diagonal_nbytes(self, dtype=np.float64) -> int:
        return (1 << self.num_vars) * np.dtype(dtype).itemsize

    def check_diagonal_size(self, memory_limit: int | None = None, dtype=np.float64) -> None:
        """Raise :class:`SizeLimitError` before allocating a diagonal that would not fit."""
        n = self.num_vars
        if n > MAX_DIAGONAL_VARS:
            raise SizeLimitError(
                f"the diagonal of a {n}-variable QUBO has 2^{n} entries "
                f"({2.0 ** n * np.dtype(dtype).itemsize:.3g} bytes); the limit is "
                f"{MAX_DIAGONAL_VARS} variables")
        check_allocation(self.diagonal_nbytes(dtype), f"the diagonal of a {n}-variable QUBO "
                         f"(2^{n} {np.dtype(dtype).name})", memory_limit)

    def diagonal(self, *, memory_limit: int | None = None, dtype=np.float64,
                 chunk_bits: int = DEFAULT_CHUNK_BITS, out: np.ndarray | None = None) -> np.ndarray:
        """E over all 2^n basis states, shape (2^n,): entry s is E(bits of s).

        Built in O(2^n) by doubling, one chunk of 2^chunk_bits states at a time; refuses with
        :class:`SizeLimitError` before allocating when the result would not fit.
        """
        self.check_diagonal_size(memory_limit, dtype)
        n = self.num_vars
        if out is None:
            out = np.empty(1 << n, dtype=dtype)
        elif out.shape != (1 << n,):
            raise OptionError(f"out has shape {out.shape}, expected {(1 << n,)}")
        for start, chunk in self.iter_diagonal_chunks(chunk_bits):
            out[start:start + chunk.size] = chunk
        return out

    def iter_diagonal_chunks(self, chunk_bits: int = DEFAULT_CHUNK_BITS):
        """Yield (start index, energies) over consecutive chunks of the 2^n states."""
        n = self.num_vars
        b = min(n, max(int(chunk_bits), 0))
        h = n - b
        U = self.quadratic.tocsc()
        low_upper = U[:b, :b].toarray()
        low_diag = np.empty(1 << b)
        low_diag[0] = 0.0
        for i in range(b):
            half = 1 << i
            low_diag[half:2 * half] = (low_diag[:half] + self.linear[i]
                                       + _linear_diagonal(low_upper[:i, i]))
        if h == 0:
            yield 0, low_diag + self.offset
            return
        cross = U[:b, b:].toarray()                 # (b, h): coupling low j to high k
        high_upper = U[b:, b:]
        high_lin = self.linear[b:]
        chunk_high = min(h, 10)                     # high configurations handled per batch
        for hs in range(0, 1 << h, 1 << chunk_high):
            H = indices_to_bits(np.arange(hs, min(hs + (1 << chunk_high), 1 << h)), h)
            const = H @ high_lin + quadratic_values(high_upper, H) + self.offset
            lin_low = H.astype(float) @ cross.T    # (batch, b)
            for r in range(H.shape[0]):
                yield (hs + r) << b, low_diag + const[r] + _linear_diagonal(lin_low[r])

    # ---- maps back ----------------------------------------------------------------------
    def program_bits(self, x) -> np.ndarray:
        """Drop slack bits: (k, n) or (n,) -> program variables only."""
        arr = np.asarray(x)
        return arr[..., : self.num_program_vars]

    def complete(self, x_program) -> np.ndarray:
        """Program bits plus their best slack bits: (k, n_prog) or (n_prog,) -> full QUBO bits."""
        X, single = as_bit_matrix(x_program)
        if X.shape[1] != self.num_program_vars:
            raise OptionError(f"expected {self.num_program_vars} program bits, got {X.shape[1]}")
        full = np.zeros((X.shape[0], self.num_vars), dtype=np.uint8)
        full[:, : self.num_program_vars] = X
        for block in self.slack_blocks:
            full[:, block.indices] = block.encode(X)
        return full[0] if single else full

    # ---- Ising and operator forms --------------------------------------------------------
    def to_ising(self) -> Ising:
        """Spin form with x_i = (1 - z_i) / 2, z_i = +1 for |0>: E = h.z + z'Jz + offset."""
        U = self.quadratic.tocoo()
        J = sp.csr_matrix((U.data / 4.0, (U.row, U.col)), shape=U.shape)
        qsum = np.bincount(U.row, U.data, self.num_vars) + np.bincount(U.col, U.data, self.num_vars)
        h = -self.linear / 2.0 - qsum / 4.0
        offset = self.offset + self.linear.sum() / 2.0 + U.data.sum() / 4.0
        return Ising(h, J, offset)

    def to_sparse_pauli_op(self):
        """Qiskit ``SparsePauliOp`` whose eigenvalue on basis state |s> is E(bits of s)."""
        return self.to_ising().to_sparse_pauli_op()

    def to_pennylane(self):
        """PennyLane Hamiltonian (wire i = variable i) with the same spectrum as E."""
        return self.to_ising().to_pennylane()

    def __repr__(self) -> str:
        return (f"QUBO(n={self.num_vars}, slack={self.num_slack}, "
                f"quadratic_terms={self.quadratic.nnz})")


def _linear_diagonal(weights: np.ndarray) -> np.ndarray:
    """``v[s] = sum_i weights[i] * bit_i(s)`` over all 2^len(weights) states, by doubling."""
    k = len(weights)
    out = np.empty(1 << k)
    out[0] = 0.0
    for i in range(k):
        half = 1 << i
        np.add(out[:half], weights[i], out=out[half:2 * half])
    return out


@dataclass
class Ising:
    """``E(z) = sum_i h_i z_i + sum_{i<j} J_ij z_i z_j + offset`` with z in {+1, -1}^n."""

    h: np.ndarray
    J: sp.csr_matrix
    offset: float

    @property
    def num_spins(self) -> int:
        return len(self.h)

    def energy(self, z) -> np.ndarray | float:
        Z = np.atleast_2d(np.asarray(z, dtype=float))
        e = Z @ self.h + np.einsum("ij,ij->i", np.asarray(self.J.T.dot(Z.T).T), Z) + self.offset
        return float(e[0]) if np.ndim(z) == 1 else e

    def terms(self) -> tuple[list[tuple[int, ...]], np.ndarray]:
        """Non-zero terms as (qubit tuples, coefficients): singles, then pairs i<j."""
        J = self.J.tocoo()
        singles = np.nonzero(self.h)[0]
        qubits = [(int(i),) for i in singles] + [(int(i), int(j)) for i, j in zip(J.row, J.col)]
        coeffs = np.concatenate([self.h[singles], J.data])
        return qubits, coeffs

    def to_sparse_pauli_op(self):
        from qiskit.quantum_info import SparsePauliOp

        qubits, coeffs = self.terms()
        items = [("Z" * len(q), list(q), float(c)) for q, c in zip(qubits, coeffs)]
        items.append(("", [], float(self.offset)))
        return SparsePauliOp.from_sparse_list(items, num_qubits=self.num_spins).simplify(atol=0)

    def to_pennylane(self):
        import pennylane as qml

        qubits, coeffs = self.terms()
        ops = [qml.Identity(0)]
        for q in qubits:
            ops.append(qml.PauliZ(q[0]) if len(q) == 1 else qml.PauliZ(q[0]) @ qml.PauliZ(q[1]))
        return qml.Hamiltonian([float(self.offset), *map(float, coeffs)], ops)
