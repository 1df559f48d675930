"""Gate matrices and the gate list of the engine's generic path: X-rotation and
warm-start mixers (shape (n, 2, 2), one per qubit), one-qubit rotations, :class:`Op`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def x_rotation_matrices(betas, n: int) -> np.ndarray:
    """exp(-i beta X) per qubit, shape (n, 2, 2); ``betas`` scalar or shape (n,)."""
    b = np.broadcast_to(np.asarray(betas, dtype=float), (n,))
    m = np.empty((n, 2, 2), dtype=np.complex128)
    m[:, 0, 0] = m[:, 1, 1] = np.cos(b)
    m[:, 0, 1] = m[:, 1, 0] = -1j * np.sin(b)
    return m


def warm_start_angles(c) -> np.ndarray:
    """theta_i = 2 arcsin(sqrt(c_i)): RY(theta_i)|0> has probability c_i of reading 1."""
    return 2.0 * np.arcsin(np.sqrt(np.clip(np.asarray(c, dtype=float), 0.0, 1.0)))


def warm_start_generators(thetas) -> np.ndarray:
    """R_i = RY(theta_i) Z RY(-theta_i), shape (n, 2, 2): the warm-start mixer Hamiltonian."""
    t = np.asarray(thetas, dtype=float)
    g = np.empty((len(t), 2, 2), dtype=np.complex128)
    g[:, 0, 0] = np.cos(t)
    g[:, 1, 1] = -np.cos(t)
    g[:, 0, 1] = g[:, 1, 0] = np.sin(t)
    return g


def warm_start_mixers(thetas, betas) -> np.ndarray:
    """exp(-i beta R_i) = cos(beta) I - i sin(beta) R_i, shape (n, 2, 2)."""
    g = warm_start_generators(thetas)
    b = np.broadcast_to(np.asarray(betas, dtype=float), (len(g),))
    eye = np.eye(2)[None]
    return np.cos(b)[:, None, None] * eye - 1j * np.sin(b)[:, None, None] * g



@dataclass
class Op:
    """One gate of a parametrised circuit: ``name`` in rx, ry, rz, rzz, h, x, cz, cx.

    The rotation angle is ``angle + scale * params[param]`` (``param=None``: fixed angle).
    """

    name: str
    qubits: tuple[int, ...]
    param: int | None = None
    angle: float = 0.0
    scale: float = 1.0

    def theta(self, params) -> float:
        return self.angle + (self.scale * float(params[self.param]) if self.param is not None
                             else 0.0)


_PAULI = {
    "rx": np.array([[0, 1], [1, 0]], dtype=np.complex128),
    "ry": np.array([[0, -1j], [1j, 0]], dtype=np.complex128),
    "rz": np.array([[1, 0], [0, -1]], dtype=np.complex128),
}
_ROTATIONS = ("rx", "ry", "rz", "rzz")
_FIXED = ("h", "x", "cz", "cx")


def rotation_matrix(name: str, theta: float) -> np.ndarray:
    """exp(-i theta P / 2) for P = X, Y, Z (name rx, ry, rz), shape (2, 2)."""
    return math.cos(theta / 2) * np.eye(2) - 1j * math.sin(theta / 2) * _PAULI[name]


__all__ = [
    "Op", "rotation_matrix", "warm_start_angles", "warm_start_generators", "warm_start_mixers",
    "x_rotation_matrices",
]
