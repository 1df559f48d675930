"""Lowering: a :class:`~qopt.model.user.Program` to a :class:`~qopt.model.program.BinaryProgram`
over bits, recording every variable's encoding so any bit row maps back to the user's values.

Each variable is replaced by its affine encoding ``value = offset + weights . bits`` (see
:mod:`qopt.model.encodings`) and every monomial is expanded over bits with ``b**2 == b``; the
lowered objective is therefore *equal* to the model's objective at the decoded values for every
bit row, and each model constraint becomes one row of the same degree in the bits (its
constant moved to the right-hand side). One-hot integers add a row ``sum bits == 1`` named
``"<var>:one-hot"``, which :func:`~qopt.model.structure.detect_structure` reads as a one-hot
group. Bits are laid out variable by variable, in declaration order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from qopt.errors import ModelError, SizeLimitError
from qopt.model.checks import bit_rows
from qopt.model.encodings import VarEncoding, encode_variable, encoding_name
from qopt.model.expr import Expression
from qopt.model.program import BinaryProgram


@dataclass
class Lowering:
    """A lowered program: ``program`` (over bits) and, per model variable, its ``encodings``.

    ``decode`` / ``decode_matrix`` map bits to the model's values; ``encode`` maps values to
    bits; ``source`` is the :class:`~qopt.model.user.Program`.
    """

    source: object
    program: BinaryProgram
    encodings: list[VarEncoding]
    one_hot_rows: tuple[int, ...]

    def __post_init__(self):
        nb = self.program.num_vars
        rows = np.concatenate([e.indices for e in self.encodings]) if self.encodings else \
            np.zeros(0, np.int64)
        cols = np.concatenate([np.full(len(e.indices), j) for j, e in
                               enumerate(self.encodings)]) if self.encodings else rows
        vals = np.concatenate([e.weights for e in self.encodings]) if self.encodings else \
            np.zeros(0)
        self._W = sp.csr_matrix((vals, (rows, cols)), shape=(nb, len(self.encodings)))
        self._offset = np.array([e.offset for e in self.encodings], dtype=float)

    def decode_matrix(self, X) -> np.ndarray:
        """Values of every model variable per bit row: (k, n_bits) -> (k, n_vars) float."""
        X, _ = bit_rows(X, self.program.num_vars, "bit rows")
        return np.asarray(self._W.T.dot(X.T.astype(float))).T + self._offset[None, :]

    def decode(self, bits) -> dict[str, int]:
        """One bit row -> ``{variable name: value}`` (ints: 0/1, +/-1, integers)."""
        X, single = bit_rows(bits, self.program.num_vars, "bits")
        if not single:
            raise ModelError(f"decode takes one bit row of {self.program.num_vars} bits; use "
                             "decode_matrix for several")
        V = self.decode_matrix(X)[0]
        return {e.name: round(v) for e, v in zip(self.encodings, V, strict=True)}

    def encode(self, values) -> np.ndarray:
        """``{variable name: value}`` (every variable) -> one bit row, shape (n_bits,) uint8."""
        if not isinstance(values, Mapping):
            raise ModelError("encode takes a {variable name: value} mapping")
        bits = np.zeros(self.program.num_vars, dtype=np.uint8)
        for e in self.encodings:
            if e.name not in values:
                raise ModelError(f"values miss variable {e.name!r}")
            bits[e.indices] = e.encode(values[e.name])
        return bits

    def describe(self) -> dict:
        """Plain summary: each variable's kind, encoding and number of bits."""
        return {e.name: {"kind": e.kind, "encoding": e.encoding, "bits": len(e.indices)}
                for e in self.encodings}


def _affine(enc: VarEncoding) -> dict[tuple[int, ...], float]:
    out = {(int(i),): float(w) for i, w in zip(enc.indices, enc.weights, strict=True) if w}
    if enc.offset:
        out[()] = enc.offset
    return out


#: most bit products one objective or constraint may expand into
MAX_EXPANDED_TERMS = 5_000_000


def _expand(expr: Expression, affines: list[dict], bit_of: list[int], what: str) -> dict:
    """The expression over bits: each variable replaced by its affine form, b**2 == b.
    Refuses (SizeLimitError naming ``what``) before expanding past MAX_EXPANDED_TERMS."""
    bound = 0
    for mono in expr.coefficients:
        size = 1
        for i in mono:
            size *= len(affines[i])
        bound += size
        if bound > MAX_EXPANDED_TERMS:
            raise SizeLimitError(
                f"{what} would expand into more than {MAX_EXPANDED_TERMS:,} products of bits "
                "(powers and products of wide integers); use the log encoding or narrower "
                "bounds")
    out: dict[tuple[int, ...], float] = {}
    for mono, coef in expr.coefficients.items():
        if all(bit_of[i] >= 0 for i in mono):   # fast path: binaries stand for their bit
            key = tuple(sorted({bit_of[i] for i in mono}))
            out[key] = out.get(key, 0.0) + coef
            continue
        cur: dict[tuple[int, ...], float] = {(): coef}
        for i in mono:
            nxt: dict[tuple[int, ...], float] = {}
            for ka, va in cur.items():
                for kb, vb in affines[i].items():
                    k = tuple(sorted(set(ka) | set(kb)))
                    nxt[k] = nxt.get(k, 0.0) + va * vb
            cur = nxt
        for k, v in cur.items():
            out[k] = out.get(k, 0.0) + v
    return out


def lower(program, encodings: Mapping[str, str] | None = None) -> Lowering:
    """Lower a :class:`~qopt.model.user.Program` (see the module docstring)."""
    if encodings is not None and not isinstance(encodings, Mapping):
        raise ModelError("encodings must be a mapping {integer variable name: encoding}, got "
                         f"{type(encodings).__name__}")
    overrides = dict(encodings or {})
    for name in overrides:
        var = program.variable(name)
        if var.kind != "integer":
            raise ModelError(f"encodings names {name!r}, which is {var.kind}, not integer")
    encs: list[VarEncoding] = []
    first = 0
    for v in program.variables:
        choice = overrides.get(v.name, v.encoding or program.default_encoding)
        if v.kind == "integer":
            choice = encoding_name(choice, v.name)
        e = encode_variable(v.name, v.kind, v.lb, v.ub, choice, first)
        encs.append(e)
        first += len(e.indices)
    nb = first
    names = [n for e in encs for n in e.bit_names()]
    affines = [_affine(e) for e in encs]
    bit_of = [int(e.indices[0]) if e.kind == "binary" else -1 for e in encs]
    obj = _expand(program.objective, affines, bit_of, "the objective")
    bp = BinaryProgram(nb, sense=program.sense, var_names=names, name=program.name, terms=obj)
    for c in program.constraints:
        row = _expand(c.expr, affines, bit_of, f"constraint {c.name!r}")
        const = row.pop((), 0.0)
        bp.add_constraint(row, c.sense, c.rhs - const, name=c.name)
    one_hot = []
    for e in encs:
        if e.one_hot:
            one_hot.append(bp.add_constraint({(int(i),): 1.0 for i in e.indices}, "==", 1.0,
                                             name=f"{e.name}:one-hot"))
    return Lowering(program, bp, encs, tuple(one_hot))
