"""Bit order, said once: variable i is qubit i, little-endian as in Qiskit.

A computational-basis state index ``s`` holds variable ``i`` in bit ``i`` of ``s``
(``(s >> i) & 1``). In a bitstring the character for qubit 0 is the *rightmost* one, so
``"011"`` means x0 = 1, x1 = 1, x2 = 0. Arrays of bits are ``uint8`` with shape ``(n,)``
or ``(k, n)`` and column ``i`` is variable ``i``.
"""

from __future__ import annotations

import numpy as np


def indices_to_bits(indices, num_bits: int) -> np.ndarray:
    """Basis-state indices, shape (k,), to bit rows, shape (k, num_bits) uint8."""
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    shifts = np.arange(num_bits, dtype=np.int64)
    return ((idx[:, None] >> shifts[None, :]) & 1).astype(np.uint8)


def bits_to_indices(bits) -> np.ndarray:
    """Bit rows, shape (k, n) or (n,), to basis-state indices, shape (k,) int64 (n <= 62)."""
    b = np.atleast_2d(np.asarray(bits, dtype=np.int64))
    weights = np.left_shift(np.int64(1), np.arange(b.shape[1], dtype=np.int64))
    return b @ weights


def bitstring_to_bits(bitstring: str) -> np.ndarray:
    """Qiskit-order bitstring (qubit 0 rightmost) to bits, shape (n,) uint8."""
    return np.frombuffer(bitstring[::-1].encode("ascii"), dtype=np.uint8) - ord("0")


def bits_to_bitstring(bits) -> str:
    """Bits, shape (n,), to a Qiskit-order bitstring (qubit 0 rightmost)."""
    b = np.asarray(bits, dtype=np.uint8).reshape(-1)
    return (b[::-1] + ord("0")).tobytes().decode("ascii")


def as_bit_matrix(x) -> tuple[np.ndarray, bool]:
    """``x`` as a (k, n) uint8 matrix, and whether it was a single row (1-D) on input."""
    arr = np.asarray(x)
    single = arr.ndim == 1
    return np.atleast_2d(arr).astype(np.uint8, copy=False), single
