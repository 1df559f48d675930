"""Low-autocorrelation binary sequences (LABS): minimise the sidelobe energy of a ±1 sequence.

For spins ``s_0 .. s_{N-1}`` (``s_i = 1 - 2 x_i``: bit 0 is spin +1, as in QOBLIB and QOKit)
the aperiodic autocorrelations are ``C_k = sum_{i=0}^{N-1-k} s_i s_{i+k}`` and the energy is
``E(s) = sum_{k=1}^{N-1} C_k^2``; the merit factor is ``F = N^2 / (2 E)``. Expanded,
``E = N(N-1)/2 + sum_k sum_{i<j} 2 s_i s_{i+k} s_j s_{j+k}``: a polynomial of degree 4 (terms
with ``j = i + k`` collapse to 2-body terms ``2 s_i s_{j+k}``), see :meth:`LABS.spin_terms`.

Optimal energies for N = 2 .. 66 were proven by exhaustive branch and bound: T. Packebusch and
S. Mertens, "Low autocorrelation binary sequences", J. Phys. A 49, 165001 (2016),
arXiv:1512.02475. They ship in ``data/labs/optima.json`` with that citation, so ``gap`` is
exact there; beyond 66 the optimum is None.

Skew-symmetric reduction (``skew=True``, odd N = 2m - 1): only sequences with
``s_{c+l} = (-1)^l s_{c-l}`` (c = m - 1 the centre, l = 1 .. m - 1) are searched, so the
variables are the first m spins. These sequences have ``C_k = 0`` for every odd k, and the
best of them is optimal for many odd N (not all: N = 11 yes, ...). The optimum of the reduced
problem is the best skew-symmetric energy, shipped for odd N <= 41 (computed by exhaustive
enumeration with :func:`qopt.model.poly_diagonal.polynomial_diagonal`, reproduced in the tests
for small N), else None.

QOBLIB solution files (``.sol``): ``# Energy: E`` (other ``#`` lines ignored) then N lines of
0 / 1, bit b meaning spin 1 - 2b (:func:`read_solution`, :func:`write_solution`).
"""

from __future__ import annotations

import json
from functools import cache, cached_property
from importlib import resources
from pathlib import Path

import numpy as np

from qopt.errors import InstanceFormatError, OptionError
from qopt.model.program import BinaryProgram
from qopt.problems.base import Problem
from qopt.problems.registry import register

#: longest sequence whose optimum is proven (Packebusch & Mertens 2016)
MAX_PROVEN = 66
#: longest sequence whose 4-body term list is built (N^3 / 3 terms: 1.4 GB of int64 at 800)
MAX_TERMS_N = 400


@cache
def _optima() -> dict:
    text = (resources.files("qopt.problems") / "data" / "labs" / "optima.json").read_text()
    return json.loads(text)


def optimal_energy(n: int, skew: bool = False) -> int | None:
    """Proven optimal energy of length n (skew: best skew-symmetric energy), or None."""
    table = _optima()["skew_symmetric" if skew else "energies"]
    v = table.get(str(int(n)))
    return None if v is None else int(v)


def optima_source() -> str:
    """Citation of the shipped optimal energies."""
    return _optima()["source"]


def spins_of(X) -> np.ndarray:
    """Bits (k, N) or (N,) to spins ``1 - 2 x`` as int64."""
    return 1 - 2 * np.asarray(X, dtype=np.int64)


def autocorrelations(S) -> np.ndarray:
    """``C_k`` for k = 1 .. N-1 of spin rows S, shape (k_rows, N) -> (k_rows, N - 1) int64."""
    S = np.atleast_2d(np.asarray(S, dtype=np.int64))
    n = S.shape[1]
    C = np.empty((S.shape[0], max(n - 1, 0)), dtype=np.int64)
    for k in range(1, n):                    # loop over the N - 1 shifts, vectorised over rows
        C[:, k - 1] = np.einsum("ri,ri->r", S[:, :n - k], S[:, k:])
    return C


def labs_energy(S) -> np.ndarray:
    """``E = sum_k C_k^2`` of spin rows, shape (k, N) -> (k,) int64 (a 1-D row -> shape (1,))."""
    C = autocorrelations(S)
    return np.einsum("rk,rk->r", C, C)


def merit_factor(energy, n: int):
    """``N^2 / (2 E)`` (inf for E = 0, which only N = 1 has)."""
    e = np.asarray(energy, dtype=float)
    with np.errstate(divide="ignore"):
        f = n * n / (2.0 * e)
    return float(f) if f.ndim == 0 else f


def labs_spin_terms(n: int) -> tuple[dict[int, tuple[np.ndarray, np.ndarray]], float]:
    """LABS energy as a spin polynomial: ({2: (idx (k2, 2), coef), 4: (idx (k4, 4), coef)},
    offset ``N(N-1)/2``), like terms merged (a 4-set met for several shifts k adds up).

    For each shift k and i < j the product ``s_i s_{i+k} s_j s_{j+k}`` has four distinct
    indices unless ``j = i + k``, where it is ``s_i s_{j+k}``."""
    n = int(n)
    if n > MAX_TERMS_N:
        raise OptionError(f"LABS term list for N = {n} is too large (limit N <= {MAX_TERMS_N})")
    quads, pairs = [np.zeros((0, 4), np.int64)], [np.zeros((0, 2), np.int64)]
    for k in range(1, n - 1):
        i, j = np.triu_indices(n - k, 1)
        two = j == i + k
        pairs.append(np.stack([i[two], j[two] + k], axis=1))
        i, j = i[~two], j[~two]
        quads.append(np.stack([i, i + k, j, j + k], axis=1))
    groups, _ = spin_groups([np.concatenate(pairs), np.concatenate(quads)], None, n)
    return {d: groups.get(d, (np.zeros((0, d), np.int32), np.zeros(0))) for d in (2, 4)}, \
        n * (n - 1) / 2.0


def spin_groups(rows, coefs, num_vars: int) -> tuple[dict[int, tuple[np.ndarray, np.ndarray]],
                                                     float]:
    """Spin monomials merged: ``rows`` a list of index arrays (k, d) (repeats allowed inside a
    row: ``s_i^2 = 1``), ``coefs`` the matching list of (k,) coefficients (None: 2 each, the
    LABS expansion) -> ({degree: (idx int32 (m, degree) increasing rows, coef (m,))}, constant).

    Each reduced row is packed into one int64 in base ``num_vars`` (``num_vars^4 < 2^63`` for
    the degrees here), so like terms merge by a 1-D unique whatever ``num_vars``; bit masks
    would overflow beyond 63 variables."""
    n = max(int(num_vars), 1)
    coefs = [np.full(len(r), 2.0) for r in rows] if coefs is None else coefs
    by_degree: dict[int, tuple[list, list]] = {}
    constant = 0.0
    for r, c in zip(rows, coefs, strict=True):
        r = np.sort(np.asarray(r, dtype=np.int64), axis=1)
        c = np.asarray(c, dtype=np.float64)
        same = r[:, :, None] == r[:, None, :]
        first = np.ones(r.shape, dtype=bool)
        first[:, 1:] = r[:, 1:] != r[:, :-1]
        keep = first & (same.sum(axis=2) % 2 == 1)     # odd multiplicity survives, once
        degree = keep.sum(axis=1)
        for d in np.unique(degree).tolist():
            sel = degree == d
            if d == 0:
                constant += float(c[sel].sum())
                continue
            if float(n) ** d >= 2.0 ** 63:
                raise OptionError(f"cannot merge degree-{d} terms over {n} variables")
            key = np.zeros(int(sel.sum()), dtype=np.int64)
            for col in r[sel][keep[sel]].reshape(-1, d).T:
                key = key * n + col
            keys, vals = by_degree.setdefault(d, ([], []))
            keys.append(key)
            vals.append(c[sel])
    out = {}
    for d, (keys, vals) in sorted(by_degree.items()):
        uniq, inverse = np.unique(np.concatenate(keys), return_inverse=True)
        coef = np.bincount(inverse.ravel(), weights=np.concatenate(vals), minlength=len(uniq))
        nz = coef != 0
        uniq, coef = uniq[nz], coef[nz]
        idx = np.empty((len(uniq), d), dtype=np.int32)
        for col in range(d - 1, -1, -1):
            idx[:, col] = uniq % n
            uniq = uniq // n
        out[d] = (idx, coef)
    return out, constant


@register
class LABS(Problem):
    """LABS of length ``n`` (see module docstring).

    Args:
        n: sequence length N >= 2.
        skew: search only skew-symmetric sequences (odd n): (n + 1) // 2 variables.
        optimum: overrides the shipped optimal energy.
    """

    kind = "labs"
    sense = "min"

    def __init__(self, n: int, *, skew: bool = False, name: str | None = None,
                 optimum: float | None = None, source: str | None = None):
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
            raise OptionError(f"LABS needs an integer length n >= 2, got {n!r}")
        if not isinstance(skew, bool | np.bool_):
            raise OptionError(f"skew must be true or false, got {skew!r}")
        if skew and n % 2 == 0:
            raise OptionError(f"the skew-symmetric reduction needs an odd length, got n = {n}")
        n = int(n)
        if optimum is None:
            optimum = optimal_energy(n, bool(skew))
        super().__init__(name or f"labs{n:03d}{'_skew' if skew else ''}", optimum,
                         source or (optima_source() if optimum is not None else None))
        self.n = n
        self.skew = bool(skew)

    @property
    def num_vars(self) -> int:
        return (self.n + 1) // 2 if self.skew else self.n

    # ---- construction ---------------------------------------------------------------------
    @classmethod
    def from_name(cls, name: str) -> LABS | None:
        """``"N"`` or ``"N-skew"`` (the part after ``labs:``), or an instance's own name
        (``"labs013"`` as in QOBLIB, ``"labs013_skew"``), else None."""
        text = str(name).strip().lower()
        skew = text.endswith(("-skew", "_skew"))
        text = text.removesuffix("-skew").removesuffix("_skew")
        text = text.removeprefix("labs") if text.removeprefix("labs").isdigit() else text
        if not text.isdigit():
            return None
        return cls(int(text), skew=skew)

    @classmethod
    def generate(cls, size, seed: int | None = None) -> LABS:
        """LABS of length ``size`` (deterministic: the seed is not used)."""
        if isinstance(size, tuple | list):
            raise OptionError(f"LABS size is one integer N, got {list(size)}")
        return cls(int(size))

    @classmethod
    def read(cls, path, name: str | None = None, optimum: float | None = None) -> LABS:
        """A LABS instance from a QOBLIB solution file: its length is the sequence's."""
        _, bits = read_solution(path)
        return cls(len(bits), name=name or Path(path).stem.split(".")[0], optimum=optimum,
                   source=str(path))

    # ---- sequences ------------------------------------------------------------------------
    def sequence_bits(self, X) -> np.ndarray:
        """Variables (k, num_vars) to the full sequence's bits (k, n) uint8 (identity unless
        skew: ``x_{c+l} = x_{c-l} XOR (l odd)``)."""
        X = np.atleast_2d(np.asarray(X, dtype=np.uint8))
        if X.shape[1] != self.num_vars:
            raise OptionError(f"LABS n={self.n}: rows have {X.shape[1]} bits, expected "
                              f"{self.num_vars}")
        if not self.skew:
            return X
        c = self.num_vars - 1
        ls = np.arange(1, c + 1)
        tail = X[:, c - ls] ^ (ls & 1).astype(np.uint8)[None, :]
        return np.concatenate([X, tail], axis=1)

    def evaluate_batch(self, X):
        return labs_energy(spins_of(self.sequence_bits(X))).astype(float)

    def violation_batch(self, X):
        return np.zeros(np.atleast_2d(X).shape[0])

    def merit_factor(self, x):
        """Merit factor ``N^2 / (2 E)`` of one bit vector (-> float) or rows (-> (k,))."""
        return merit_factor(self.evaluate(x), self.n)

    @cached_property
    def spin_polynomial(self) -> tuple[dict[int, tuple[np.ndarray, np.ndarray]], float]:
        """(terms, offset) of E over this problem's variables' spins (skew: substituted)."""
        terms, offset = labs_spin_terms(self.n)
        if not self.skew:
            return terms, offset
        c = self.num_vars - 1
        pos = np.arange(self.n)
        var = np.where(pos <= c, pos, 2 * c - pos)             # s_{c+l} = (-1)^l s_{c-l}
        sign = np.where((pos > c) & ((pos - c) % 2 == 1), -1.0, 1.0)
        groups, constant = spin_groups([var[idx] for idx, _ in terms.values()],
                                       [coef * np.prod(sign[idx], axis=1)
                                        for idx, coef in terms.values()], self.num_vars)
        return groups, offset + constant

    def diagonal(self, *, dtype=None, memory_limit: int | None = None, out=None) -> np.ndarray:
        """E at all 2^num_vars basis states (float32: LABS energies are exact in it)."""
        from qopt.model.poly_diagonal import polynomial_diagonal

        terms, offset = self.spin_polynomial
        return polynomial_diagonal(terms, self.num_vars, offset, vartype="spin", dtype=dtype,
                                   memory_limit=memory_limit, out=out)

    def optimal_states(self, diag=None) -> np.ndarray:
        """Basis indices of the optimal sequences (from ``diag``, or the diagonal built here);
        needs a known optimum or takes the diagonal's minimum."""
        d = self.diagonal() if diag is None else diag
        target = d.min() if self.optimum is None else self.optimum
        return np.flatnonzero(d == target)

    def build_program(self):
        """The BinaryProgram of E over this problem's bits (``s_i = 1 - 2 x_i`` substituted
        into :attr:`spin_polynomial`): linear, quadratic and quartic terms."""
        from qopt.model.hubo import HUBO
        from qopt.model.poly import group_to_mapping

        terms, offset = self.spin_polynomial
        h = HUBO.from_spin({(): offset, **{tuple(int(i) for i in row): float(c)
                                           for idx, coef in terms.values()
                                           for row, c in zip(idx, coef)}}, self.num_vars)
        return BinaryProgram(self.num_vars, h.linear, h.quadratic, h.offset, sense="min",
                             name=self.name, terms=group_to_mapping(h.terms))

    # ---- native solutions -----------------------------------------------------------------
    def values(self, bits) -> dict:
        """``{"x0": bit, ...}`` over this problem's variables, the names of
        :meth:`to_program` without building its O(N^3) term list (``mts`` never needs it)."""
        x = np.asarray(bits).reshape(-1)
        if x.shape[0] != self.num_vars:
            raise OptionError(f"LABS n={self.n}: {x.shape[0]} bits, expected {self.num_vars}")
        return {f"x{i}": int(b) for i, b in enumerate(x.tolist())}

    def decode(self, bits) -> list[int]:
        """The full sequence as spins ±1 (bit b -> 1 - 2b)."""
        return spins_of(self.sequence_bits(np.asarray(bits).reshape(1, -1))[0]).tolist()

    def encode(self, solution) -> np.ndarray:
        """Spins ±1 of the full sequence (or of the free half when skew) -> bits."""
        s = np.asarray(solution, dtype=np.int64).reshape(-1)
        if not np.all(np.abs(s) == 1):
            raise OptionError("a LABS sequence is a list of spins +1 / -1")
        if len(s) not in (self.n, self.num_vars):
            raise OptionError(f"a LABS sequence of length {self.n} needs {self.n} spins, "
                              f"got {len(s)}")
        bits = ((1 - s) // 2).astype(np.uint8)[:self.num_vars]
        if len(s) == self.n and not np.array_equal(self.sequence_bits(bits)[0], (1 - s) // 2):
            raise OptionError("the sequence is not skew-symmetric")
        return bits

    def describe(self) -> dict:
        d = super().describe()
        d.update(length=self.n, skew=self.skew, optimum_source=self.source,
                 optimal_merit_factor=None if self.optimum is None
                 else merit_factor(self.optimum, self.n))
        return d


# ---- QOBLIB solution files ------------------------------------------------------------------
def read_solution(path) -> tuple[int | None, np.ndarray]:
    """A QOBLIB LABS ``.sol`` file -> (the energy its ``# Energy:`` line states or None, bits
    (N,) uint8). Every non-comment line must be one 0 or 1; the stated energy must match the
    sequence's (a :class:`~qopt.errors.InstanceFormatError` naming the line otherwise)."""
    path = Path(path)
    stated, stated_line, bits = None, 0, []
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise InstanceFormatError(path, None, f"cannot read ({exc.strerror or exc})") from None
    for no, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if sep and key.strip().lower() == "energy":
                try:
                    stated, stated_line = int(value.strip()), no
                except ValueError:
                    raise InstanceFormatError(path, no, f"energy {value.strip()!r} is not an "
                                              "integer") from None
            continue
        if line not in ("0", "1"):
            raise InstanceFormatError(path, no, f"expected 0 or 1, got {line!r}")
        bits.append(int(line))
    if len(bits) < 2:
        raise InstanceFormatError(path, None, "a LABS solution needs at least 2 lines of 0 / 1, "
                                  f"got {len(bits)}")
    x = np.array(bits, dtype=np.uint8)
    if stated is not None:
        actual = int(labs_energy(spins_of(x))[0])
        if actual != stated:
            raise InstanceFormatError(path, stated_line, f"states energy {stated}, the "
                                      f"sequence's is {actual}")
    return stated, x


def solution_text(bits, comments=()) -> str:
    """A QOBLIB ``.sol`` text of the sequence ``bits`` (N,): ``# Energy``, ``# Consecutive
    entries``, any further ``comments`` as ``#`` lines, then N lines of 0 / 1."""
    x = np.asarray(bits, dtype=np.uint8).reshape(-1)
    energy = int(labs_energy(spins_of(x))[0])
    runs = np.diff(np.flatnonzero(np.diff(np.r_[-1, x.astype(int), -1]) != 0))
    text = [f"# Energy: {energy}", f"# Consecutive entries: {''.join(map(str, runs))}",
            *(f"# {c}" for c in comments), *map(str, x.tolist())]
    return "\n".join(text) + "\n"


def write_solution(path, bits) -> int:
    """Write bits (N,) as a QOBLIB ``.sol`` file (``# Energy``, ``# Consecutive entries``, N
    lines of 0 / 1); returns the energy."""
    Path(path).write_text(solution_text(bits))
    return int(labs_energy(spins_of(np.asarray(bits, dtype=np.uint8).reshape(-1)))[0])


__all__ = ["LABS", "MAX_PROVEN", "autocorrelations", "labs_energy", "labs_spin_terms",
           "merit_factor", "optimal_energy", "read_solution", "solution_text", "spin_groups",
           "spins_of", "write_solution"]
