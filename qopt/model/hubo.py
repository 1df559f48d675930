"""HUBO: minimise a polynomial of any degree over bits, ``E(x) = sum_T c_T prod_{i in T} x_i``.

Storage (see :mod:`qopt.model.poly`): ``linear`` (n,), ``quadratic`` (strictly upper CSR, as in
:class:`QUBO`), ``terms`` = ``{d: (idx int32 (k_d, d), coef float64 (k_d,))}`` for every
degree d >= 3, and ``offset``. :class:`QUBO` is the subclass with no ``terms`` (degree <= 2), so
code taking a QUBO keeps working; both live here (``qopt.model.qubo`` re-exports QUBO) so that
neither module needs the other at run time (:meth:`HUBO.to_qubo`, :meth:`HUBO.quadratise`).

Bit order follows :mod:`qopt.bits`: variable i is qubit i, bit i of a basis-state index. The
first ``num_program_vars`` variables are the source program's; after them come slack bits of
inequality rows (``slack_blocks``) and, in a quadratised QUBO, auxiliary bits (``aux_pairs``:
aux ``num_vars - K + k`` stands for the product of the two variables in row k).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

from qopt.bits import as_bit_matrix
from qopt.errors import OptionError, SizeLimitError
from qopt.limits import check_allocation
from qopt.model.checks import MAX_VARS, bit_rows, count, number, vector
from qopt.model.ising import Ising
from qopt.model.poly import (
    Groups,
    affine_substitute,
    canonical_groups,
    degree_of,
    group_values,
    merge,
    term_masks,
    zeta_transform,
)
from qopt.model.quadratic import quadratic_diagonal_chunks, quadratic_values, split_quadratic
from qopt.model.quadratise import rosenberg
from qopt.model.slack import SlackBlock

#: largest number of variables whose 2^n diagonal is built at all (before the memory check)
MAX_DIAGONAL_VARS = 40
#: low bits filled by doubling inside one chunk of the diagonal (2^20 float64 = 8 MiB)
DEFAULT_CHUNK_BITS = 20


def _check_num_vars(num_vars) -> int:
    return count(num_vars, "num_vars", MAX_VARS)


def _infer_num_vars(terms, linear) -> int:
    if linear is not None:
        return len(vector(linear, None, "linear"))
    top = -1
    if isinstance(terms, Mapping):
        for key in terms:
            items = key if isinstance(key, tuple | list) else (key,)
            for i in items:
                if isinstance(i, int | np.integer) and not isinstance(i, bool):
                    top = max(top, int(i))
    return top + 1


class HUBO:
    """A higher-order unconstrained binary optimisation problem (minimisation).

    Args:
        terms: ``{(i, j, k, ...): c}`` monomials of any degree (an index repeated in a key counts
            once, ``x**2 == x``; ``()`` is a constant, ``(i,)`` or ``i`` a linear term).
        linear: extra linear part, shape (n,).
        offset: constant.
        num_vars: n (default: ``len(linear)``, else the largest index + 1).
        var_names: names of the n variables (default ``x0 .. x{n-1}``).

    ``num_program_vars``, ``slack_blocks``, ``penalties``, ``aux_pairs`` record what a conversion
    added (see the module docstring); users leave them out.
    """

    def __init__(self, terms=None, linear=None, offset: float = 0.0, *,
                 num_vars: int | None = None, var_names=None, num_program_vars: int | None = None,
                 slack_blocks: list[SlackBlock] | None = None, penalties=None,
                 aux_pairs: np.ndarray | None = None):
        n = _check_num_vars(_infer_num_vars(terms, linear) if num_vars is None else num_vars)
        groups = canonical_groups(terms, "binary", n) if terms is not None else {}
        self._set_groups(groups, n, linear, offset)
        self._set_maps(var_names, num_program_vars, slack_blocks, penalties, aux_pairs)

    # ---- construction -----------------------------------------------------------------
    def _set_groups(self, groups: Groups, n: int, linear=None, offset: float = 0.0) -> None:
        self.num_vars = n
        lin = vector(linear, n, "linear")
        offset = number(offset, "offset")
        for d, (idx, _) in groups.items():
            if idx.size and (idx.min() < 0 or idx.max() >= n):
                raise OptionError(f"a degree-{d} term names a variable outside 0..{n - 1}")
        self.offset = float(offset) + (float(groups[0][1].sum()) if 0 in groups else 0.0)
        if 1 in groups:
            lin = lin + np.bincount(groups[1][0][:, 0], groups[1][1], minlength=n)
        self.linear = lin
        if 2 in groups:
            idx, coef = groups[2]
            self.quadratic = sp.csr_matrix((coef, (idx[:, 0], idx[:, 1])), shape=(n, n))
        else:
            self.quadratic = sp.csr_matrix((n, n))
        self.terms: Groups = {d: g for d, g in sorted(groups.items()) if d >= 3 and len(g[1])}

    def _set_maps(self, var_names, num_program_vars, slack_blocks, penalties, aux_pairs) -> None:
        n = self.num_vars
        self.var_names = list(var_names) if var_names is not None else [f"x{i}" for i in range(n)]
        if len(self.var_names) != n:
            raise OptionError(f"{len(self.var_names)} variable names for {n} variables")
        self.num_program_vars = n if num_program_vars is None else int(num_program_vars)
        self.slack_blocks = list(slack_blocks or [])
        self.penalties = penalties
        self.aux_pairs = (np.zeros((0, 2), dtype=np.int64) if aux_pairs is None
                          else np.asarray(aux_pairs, dtype=np.int64).reshape(-1, 2))
        #: what :func:`~qopt.model.quadratise.quadratise` did (auxiliary count, strengths)
        self.quadratisation: dict | None = None
        #: how a conversion expressed each constraint row (by name): penalty / slack / ...
        self.constraint_handling: dict[str, str] = {}

    @classmethod
    def from_groups(cls, groups: Groups, num_vars: int, **maps) -> HUBO:
        """A HUBO from degree-grouped terms (degrees 0, 1, 2 folded into offset / linear /
        quadratic); ``maps`` are the bookkeeping keywords of the constructor."""
        h = cls.__new__(cls)
        h._set_groups({d: merge(*g) for d, g in groups.items()}, _check_num_vars(num_vars))
        h._set_maps(maps.get("var_names"), maps.get("num_program_vars"),
                    maps.get("slack_blocks"), maps.get("penalties"), maps.get("aux_pairs"))
        return h

    @classmethod
    def from_spin(cls, terms, num_vars: int | None = None, **maps) -> HUBO:
        """The HUBO of a spin polynomial ``{(i, j, ...): c}`` (z_i in {+1, -1}, ``z**2 == 1``)
        over bits with z_i = 1 - 2 x_i."""
        n = _check_num_vars(_infer_num_vars(terms, None) if num_vars is None else num_vars)
        spins = canonical_groups(terms, "spin", n)
        return cls.from_groups(affine_substitute(spins, 1.0, -2.0), n, **maps)

    # ---- properties -------------------------------------------------------------------
    def all_terms(self) -> Groups:
        """Every non-constant term grouped by degree, degrees 1 and 2 included."""
        out: Groups = {}
        nz = np.flatnonzero(self.linear)
        if nz.size:
            out[1] = (nz.astype(np.int32).reshape(-1, 1), self.linear[nz].copy())
        U = self.quadratic.tocoo()
        if U.nnz:
            out[2] = merge(np.stack([U.row, U.col], axis=1), U.data)
        out.update(self.terms)
        return out

    @property
    def degree(self) -> int:
        """Largest degree with a non-zero coefficient (0 for a constant)."""
        return degree_of(self.all_terms())

    @property
    def num_terms(self) -> int:
        return sum(len(g[1]) for g in self.all_terms().values())

    @property
    def num_slack(self) -> int:
        """Variables beyond the program's: slack and auxiliary bits."""
        return self.num_vars - self.num_program_vars

    @property
    def num_aux(self) -> int:
        return len(self.aux_pairs)

    @property
    def is_slack(self) -> np.ndarray:
        """Boolean mask, shape (n,): which variables are not the program's (slack or aux)."""
        mask = np.zeros(self.num_vars, dtype=bool)
        mask[self.num_program_vars:] = True
        return mask

    def describe(self) -> dict:
        """What this cost is, as ``info`` reports it: ``cost_degree``, the ``quadratisation``
        (auxiliary bits, strengths) when one was made, and how each constraint row was
        expressed (``constraints``: row name -> penalty / slack / preserved by a mixer)."""
        out: dict = {"cost_degree": self.degree}
        if self.quadratisation:
            out["quadratisation"] = dict(self.quadratisation)
        if self.constraint_handling:
            out["constraints"] = dict(self.constraint_handling)
        return out

    # ---- evaluation -------------------------------------------------------------------
    def energy(self, x) -> np.ndarray | float:
        """E(x) for x of shape (n,) (-> float) or (k, n) (-> shape (k,)); vectorised."""
        X, single = bit_rows(x, self.num_vars)
        e = X @ self.linear + quadratic_values(self.quadratic, X) + self.offset
        for idx, coef in self.terms.values():
            e += group_values(idx, coef, X)
        return float(e[0]) if single else e

    def diagonal_nbytes(self, dtype=np.float64) -> int:
        return (1 << self.num_vars) * np.dtype(dtype).itemsize

    def check_diagonal_size(self, memory_limit: int | None = None, dtype=np.float64) -> None:
        """Raise :class:`SizeLimitError` before allocating a diagonal that would not fit."""
        n = self.num_vars
        what = type(self).__name__
        if n > MAX_DIAGONAL_VARS:
            raise SizeLimitError(
                f"the diagonal of a {n}-variable {what} has 2^{n} entries "
                f"({2.0 ** n * np.dtype(dtype).itemsize:.3g} bytes); the limit is "
                f"{MAX_DIAGONAL_VARS} variables")
        check_allocation(self.diagonal_nbytes(dtype), f"the diagonal of a {n}-variable {what} "
                         f"(2^{n} {np.dtype(dtype).name})", memory_limit)

    def diagonal(self, *, memory_limit: int | None = None, dtype=np.float64,
                 chunk_bits: int = DEFAULT_CHUNK_BITS, out: np.ndarray | None = None) -> np.ndarray:
        """E over all 2^n basis states, shape (2^n,): entry s is E(bits of s).

        A subset-sum (zeta) transform of the coefficients, O(n 2^n) per the whole: for float32 /
        float64 results the blocked numba kernel of :mod:`qopt.model.poly_diagonal`, else chunk
        by chunk of 2^chunk_bits states; refuses with :class:`SizeLimitError` before allocating
        when the result would not fit.
        """
        self.check_diagonal_size(memory_limit, dtype)
        n = self.num_vars
        if out is None:
            out = np.empty(1 << n, dtype=dtype)
        elif out.shape != (1 << n,):
            raise OptionError(f"out has shape {out.shape}, expected {(1 << n,)}")
        if out.dtype in (np.float32, np.float64):     # the blocked numba transform (labs)
            from qopt.model.poly_diagonal import polynomial_diagonal

            return polynomial_diagonal(self.all_terms(), n, self.offset, vartype="binary",
                                       dtype=out.dtype, out=out)
        for start, chunk in self.iter_diagonal_chunks(chunk_bits):
            out[start:start + chunk.size] = chunk
        return out

    def iter_diagonal_chunks(self, chunk_bits: int = DEFAULT_CHUNK_BITS):
        """Yield (start index, energies) over consecutive chunks of the 2^n states.

        For a fixed setting H of the high bits, a term contributes to the low states that
        contain its low part exactly when its high part is inside H; the chunk is the zeta
        transform of those contributions over the low bits.
        """
        n = self.num_vars
        b = min(n, max(int(chunk_bits), 0))
        groups = self.all_terms()
        masks = [term_masks(idx) for idx, _ in groups.values()]
        mask = np.concatenate(masks) if masks else np.zeros(0, np.int64)
        coef = (np.concatenate([c for _, c in groups.values()]) if groups else np.zeros(0))
        low = mask & ((1 << b) - 1)
        high = mask >> b
        for hs in range(1 << (n - b)):
            take = (high & ~hs) == 0
            chunk = np.bincount(low[take], coef[take], minlength=1 << b).astype(float)
            chunk[0] += self.offset
            yield hs << b, zeta_transform(chunk, b)

    # ---- maps back ----------------------------------------------------------------------
    def program_bits(self, x) -> np.ndarray:
        """Drop slack and auxiliary bits: (k, n) or (n,) -> program variables only."""
        arr = np.asarray(x)
        return arr[..., : self.num_program_vars]

    def complete(self, x_program) -> np.ndarray:
        """Program bits plus their best slack bits and consistent auxiliary bits:
        (k, n_prog) or (n_prog,) -> all n bits."""
        X, single = as_bit_matrix(x_program)
        if X.shape[1] != self.num_program_vars:
            raise OptionError(f"expected {self.num_program_vars} program bits, got {X.shape[1]}")
        full = np.zeros((X.shape[0], self.num_vars), dtype=np.uint8)
        full[:, : self.num_program_vars] = X
        for block in self.slack_blocks:
            full[:, block.indices] = block.encode(X)
        first = self.num_vars - self.num_aux
        for k, (i, j) in enumerate(self.aux_pairs.tolist()):
            full[:, first + k] = full[:, i] & full[:, j]
        return full[0] if single else full

    # ---- other forms ----------------------------------------------------------------------
    def to_ising(self) -> Ising:
        """Spin form with x_i = (1 - z_i) / 2 (z_i = +1 for |0>), terms of every order."""
        spins = affine_substitute(self.all_terms(), 0.5, -0.5)
        n = self.num_vars
        h = np.zeros(n)
        if 1 in spins:
            h[spins[1][0][:, 0]] = spins[1][1]
        J = sp.csr_matrix((n, n))
        if 2 in spins:
            idx, coef = spins[2]
            J = sp.csr_matrix((coef, (idx[:, 0], idx[:, 1])), shape=(n, n))
        offset = self.offset + (float(spins[0][1].sum()) if 0 in spins else 0.0)
        return Ising(h, J, offset, {d: g for d, g in spins.items() if d >= 3})

    def to_sparse_pauli_op(self):
        """Qiskit ``SparsePauliOp`` whose eigenvalue on basis state |s> is E(bits of s)."""
        return self.to_ising().to_sparse_pauli_op()

    def to_pennylane(self):
        """PennyLane Hamiltonian (wire i = variable i) with the same spectrum as E."""
        return self.to_ising().to_pennylane()

    def to_mapping(self) -> dict[tuple[int, ...], float]:
        """Every term as ``{(i, j, ...): c}`` (the offset under ``()``)."""
        from qopt.model.poly import group_to_mapping

        out = group_to_mapping(self.all_terms())
        if self.offset:
            out[()] = self.offset
        return out

    def to_qubo(self) -> QUBO:
        """This model as a :class:`QUBO` when its degree is <= 2 (same variables and maps
        back); a higher degree needs :meth:`quadratise`."""
        if isinstance(self, QUBO):
            return self
        if self.terms:
            raise OptionError(f"this HUBO has degree {self.degree}; quadratise() it to get a QUBO")
        q = QUBO(self.quadratic.copy(), self.linear.copy(), self.offset,
                 num_vars=self.num_vars, var_names=self.var_names,
                 num_program_vars=self.num_program_vars, slack_blocks=self.slack_blocks,
                 penalties=self.penalties, aux_pairs=self.aux_pairs)
        q.constraint_handling = dict(self.constraint_handling)
        q.quadratisation = self.quadratisation
        return q

    def quadratise(self) -> QUBO:
        """A QUBO over these variables plus auxiliary bits whose minimum over the auxiliaries
        equals E at every x, by Rosenberg substitution with a proven-safe strength (see
        :mod:`qopt.model.quadratise`). Auxiliary bits follow this HUBO's variables;
        ``aux_pairs`` records them (``complete`` fills them in) and ``quadratisation`` says how
        many and how strong. A HUBO of degree <= 2 comes back unchanged as a QUBO."""
        if not self.terms:
            return self.to_qubo()
        r = rosenberg(self)
        K = len(r.pairs)
        qubo = QUBO(r.quadratic, r.linear, self.offset, num_vars=self.num_vars + K,
                    var_names=[*self.var_names, *(f"aux{k}" for k in range(K))],
                    num_program_vars=self.num_program_vars, slack_blocks=self.slack_blocks,
                    penalties=self.penalties, aux_pairs=r.pairs)
        qubo.constraint_handling = dict(self.constraint_handling)
        qubo.quadratisation = {"quadratised": True, "method": "rosenberg", "auxiliary": K,
                               "strength_min": float(r.strength.min()),
                               "strength_max": float(r.strength.max()),
                               "degree_before": self.degree}
        return qubo

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(n={self.num_vars}, degree={self.degree}, "
                f"terms={self.num_terms}, slack={self.num_slack})")


class QUBO(HUBO):
    """A quadratic unconstrained binary optimisation problem (minimisation):
    ``E(x) = x'Ux + c'x + offset`` over x in {0,1}^n, U strictly upper; the degree <= 2 case of
    :class:`HUBO` (``terms`` empty). Importable as ``qopt.model.qubo.QUBO``.

    Args:
        quadratic: ``x'Mx`` part (dense, sparse or ``{(i, j): w}``); its diagonal is linear.
        linear: shape (n,).
        offset: constant.
        num_vars: n, needed when ``quadratic`` is a mapping or ``None``.
    """

    def __init__(self, quadratic=None, linear=None, offset: float = 0.0, *,
                 num_vars: int | None = None, var_names=None, num_program_vars: int | None = None,
                 slack_blocks: list[SlackBlock] | None = None, penalties=None,
                 aux_pairs: np.ndarray | None = None):
        if num_vars is None:
            if quadratic is not None and hasattr(quadratic, "shape"):
                num_vars = quadratic.shape[0]
            elif linear is not None:
                num_vars = len(vector(linear, None, "linear"))
            else:
                raise OptionError("QUBO needs num_vars when given no matrix or linear part")
        n = _check_num_vars(num_vars)
        self.num_vars = n
        self.quadratic, diag = split_quadratic(quadratic, n)
        self.linear = vector(linear, n, "linear") + diag
        self.offset = number(offset, "offset")
        self.terms = {}
        self._set_maps(var_names, num_program_vars, slack_blocks, penalties, aux_pairs)

    @classmethod
    def from_matrix(cls, matrix, offset: float = 0.0) -> QUBO:
        """QUBO ``x'Mx + offset`` from a square numpy / scipy matrix M (diagonal = linear)."""
        try:
            shape = getattr(matrix, "shape", None) or np.shape(matrix)
        except ValueError:
            raise OptionError("a QUBO matrix must be a square array of numbers") from None
        if len(shape) != 2 or shape[0] != shape[1]:
            raise OptionError(f"a QUBO matrix must be square, got shape {tuple(shape)}")
        return cls(matrix, None, offset, num_vars=shape[0])

    def to_matrix(self) -> np.ndarray:
        """Dense upper-triangular M, shape (n, n), with ``E(x) = x'Mx + offset``."""
        m = self.quadratic.toarray()
        m[np.diag_indices(self.num_vars)] += self.linear
        return m

    def iter_diagonal_chunks(self, chunk_bits: int = DEFAULT_CHUNK_BITS):
        """Yield (start index, energies) over consecutive chunks of the 2^n states."""
        return quadratic_diagonal_chunks(self.quadratic, self.linear, self.offset, chunk_bits)

    def to_ising(self) -> Ising:
        """Spin form with x_i = (1 - z_i) / 2, z_i = +1 for |0>: E = h.z + z'Jz + offset."""
        U = self.quadratic.tocoo()
        J = sp.csr_matrix((U.data / 4.0, (U.row, U.col)), shape=U.shape)
        qsum = np.bincount(U.row, U.data, self.num_vars) + np.bincount(U.col, U.data, self.num_vars)
        h = -self.linear / 2.0 - qsum / 4.0
        offset = self.offset + self.linear.sum() / 2.0 + U.data.sum() / 4.0
        return Ising(h, J, offset)

    def __repr__(self) -> str:
        return (f"QUBO(n={self.num_vars}, slack={self.num_slack}, "
                f"quadratic_terms={self.quadratic.nnz})")
