"""How each variable of a :class:`~qopt.model.user.Program` becomes bits.

Every encoding is affine: ``value = offset + sum_k weights[k] * bits[k]``, so any bit row maps
back to values with one matrix product, and the lowered objective equals the model's objective
at the decoded values exactly.

- binary: one bit, value = bit.
- spin: one bit, value = 1 - 2 bit (s = +1 is bit 0).
- integer ``lb..ub``, range r = ub - lb:
  - ``"log"`` (bounded binary, the default): ceil(log2(r + 1)) bits with weights
    1, 2, 4, ..., and a last weight r - (2^k - 1) so the bits span exactly 0..r; no constraint.
  - ``"unary"``: r bits of weight 1 (value = lb + number of bits set); no constraint; several
    bit rows give the same value.
  - ``"one-hot"``: r + 1 bits, bit k meaning value lb + k (weights 0..r), with the constraint
    ``sum bits == 1``: a one-hot group that constraint-preserving mixers keep feasible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qopt.errors import ModelError
from qopt.model.convert import slack_weights

ENCODINGS = ("log", "unary", "one-hot")
_ALIASES = {"log": "log", "binary": "log", "bounded-binary": "log", "bounded_binary": "log",
            "unary": "unary", "one-hot": "one-hot", "onehot": "one-hot", "one_hot": "one-hot"}
#: most bits a unary or one-hot integer may take
MAX_UNARY_BITS = 1 << 16


def encoding_name(encoding, variable: str) -> str:
    """The canonical name of an integer encoding (``log`` / ``unary`` / ``one-hot``)."""
    if not isinstance(encoding, str) or encoding.lower() not in _ALIASES:
        raise ModelError(f"variable {variable!r}: unknown integer encoding {encoding!r}; "
                         f"choose one of {ENCODINGS}")
    return _ALIASES[encoding.lower()]


@dataclass(frozen=True)
class VarEncoding:
    """One variable's bits: ``value = offset + weights . bits[indices]``.

    ``indices`` are positions in the lowered program's bits; ``one_hot`` says whether the bits
    form a one-hot group (with its ``sum == 1`` row ``row`` in the lowered program).
    """

    name: str
    kind: str
    encoding: str | None
    lb: int
    ub: int
    indices: np.ndarray
    weights: np.ndarray
    offset: float
    row: int | None = None

    @property
    def one_hot(self) -> bool:
        return self.encoding == "one-hot"

    def bit_names(self) -> list[str]:
        if self.kind == "binary":
            return [self.name]
        if self.kind == "spin":
            return [f"{self.name}@b"]
        return [f"{self.name}@{k}" for k in range(len(self.indices))]

    def encode(self, value) -> np.ndarray:
        """The bits of one value (the canonical row where several give it)."""
        v = _integral(value, self.name)
        if self.kind == "spin":
            if v not in (-1, 1):
                raise ModelError(f"spin variable {self.name!r} takes -1 or +1, got {value!r}")
            return np.array([int(v == -1)], dtype=np.uint8)
        if not self.lb <= v <= self.ub:
            raise ModelError(f"variable {self.name!r} = {value!r} is outside "
                             f"{self.lb}..{self.ub}")
        t = v - self.lb
        k = len(self.indices)
        bits = np.zeros(k, dtype=np.uint8)
        if self.kind == "binary":
            bits[0] = v
        elif self.encoding == "unary":
            bits[:t] = 1
        elif self.encoding == "one-hot":
            bits[t] = 1
        elif k:
            rest = int(self.weights[-1])
            if t >= rest:
                bits[-1], t = 1, t - rest
            bits[:-1] = (t >> np.arange(k - 1)) & 1
        return bits


def _integral(value, name: str) -> int:
    if isinstance(value, bool | np.bool_):
        return int(value)
    if not isinstance(value, int | float | np.number) or not np.isfinite(float(value)) \
            or float(value) != round(float(value)):
        raise ModelError(f"variable {name!r} takes integer values, got {value!r}")
    return round(float(value))


def encode_variable(name: str, kind: str, lb: int, ub: int, encoding: str | None,
                    first: int) -> VarEncoding:
    """The encoding of one variable whose bits start at index ``first``."""
    if kind == "binary":
        return VarEncoding(name, kind, None, 0, 1, np.array([first]), np.ones(1), 0.0)
    if kind == "spin":
        return VarEncoding(name, kind, None, -1, 1, np.array([first]), np.array([-2.0]), 1.0)
    enc = encoding_name(encoding or "log", name)
    r = ub - lb
    if enc == "log":
        weights = slack_weights(r).astype(float)
    elif enc == "unary":
        weights = np.ones(r)
    else:
        weights = np.arange(r + 1, dtype=float)
    if enc != "log" and len(weights) > MAX_UNARY_BITS:
        raise ModelError(f"integer variable {name!r} ({lb}..{ub}) would take {len(weights)} "
                         f"bits in {enc} encoding (limit {MAX_UNARY_BITS}); use encoding='log'")
    idx = np.arange(first, first + len(weights), dtype=np.int64)
    return VarEncoding(name, kind, enc, lb, ub, idx, weights, float(lb))


def decode_matrix(encodings: list[VarEncoding], X: np.ndarray) -> np.ndarray:
    """Values of every variable for each bit row, (k, n_bits) -> (k, n_vars) float."""
    X = np.atleast_2d(np.asarray(X))
    V = np.empty((X.shape[0], len(encodings)))
    for j, e in enumerate(encodings):
        V[:, j] = e.offset + X[:, e.indices].astype(float) @ e.weights
    return V
