"""Qiskit circuit builders for the QAOA family (export path for Aer / IBM / the partitioner).

Conventions (shared with :mod:`qopt.backends.statevector`):

* bit order of :mod:`qopt.bits`: variable i is qubit i;
* the cost Hamiltonian ``H_C`` is the QUBO / HUBO energy written in spin form,
  ``H_C = sum_i h_i Z_i + sum_{i<j} J_ij Z_i Z_j + sum_T c_T prod_{i in T} Z_i + offset``
  (:meth:`HUBO.to_ising`, terms of every order), so its eigenvalue on basis state |s> is
  ``energy(bits of s)``;
* cost layer ``exp(-i gamma H_C)`` = ``RZ(2 gamma h_i)`` on each qubit, ``RZZ(2 gamma J_ij)``
  on each coupled pair and, for a term on d >= 3 qubits, ``exp(-i gamma c_T Z...Z)`` as a CNOT
  ladder onto the last qubit, ``RZ(2 gamma c_T)`` there, and the ladder undone (2 (d - 1)
  CNOTs; the parity of the d bits is computed into the last qubit and uncomputed); the offset
  becomes a global phase ``-gamma * offset``;
* mixer ``exp(-i beta sum_i X_i)`` = ``RX(2 beta)`` on each qubit;
* warm start (Egger et al.): qubit i starts in ``RY(theta_i)|0>`` with
  ``sin^2(theta_i / 2) = c_i`` and mixes with ``exp(-i beta R_i)``, ``R_i = RY(theta_i) Z
  RY(-theta_i)``, i.e. ``RY(theta_i) RZ(2 beta) RY(-theta_i)``; at ``c_i = 1/2`` this is the
  standard ``RX(2 beta)`` mixer on ``|+>``.

Angles may be floats or Qiskit ``Parameter`` objects (a parametrised template).
Multi-angle QAOA: ``gammas`` of shape (p, num_terms) gives every cost term its own angle (terms
in the order of :meth:`Ising.terms`: fields first, then couplings) and ``betas`` of shape
(p, n) gives every qubit its own mixer angle.
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from qopt.errors import OptionError

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from qopt.model.qubo import Ising


def as_ising(qubo_or_ising) -> Ising:
    """The Ising form of a :class:`QUBO` or :class:`HUBO` (or an :class:`Ising` as is)."""
    from qopt.model.hubo import HUBO
    from qopt.model.qubo import Ising

    if isinstance(qubo_or_ising, Ising):
        return qubo_or_ising
    if isinstance(qubo_or_ising, HUBO):
        return qubo_or_ising.to_ising()
    raise OptionError(f"expected a QUBO, HUBO or Ising model, got "
                      f"{type(qubo_or_ising).__name__}")


def append_z_rotation(qc: QuantumCircuit, qubits, angle) -> None:
    """Append ``exp(-i angle/2 Z_q0 ... Z_qk)``: RZ for one qubit, RZZ for two, else a CNOT
    ladder computing the parity into the last qubit, ``RZ(angle)`` there, and the ladder
    undone."""
    q = [int(i) for i in qubits]
    if len(q) == 1:
        qc.rz(angle, q[0])
        return
    if len(q) == 2:
        qc.rzz(angle, q[0], q[1])
        return
    ladder = list(pairwise(q))
    for a, b in ladder:
        qc.cx(a, b)
    qc.rz(angle, q[-1])
    for a, b in reversed(ladder):
        qc.cx(a, b)


def _angles(values, p: int | None, width: int, what: str) -> tuple[list[list], int, list | None]:
    """(p rows of ``width`` angles (floats or Parameters), p, the per-layer angles if 1-D)."""
    arr = np.asarray(values, dtype=object)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim == 1:
        rows = [[a] * width for a in arr]
    elif arr.ndim == 2:
        if arr.shape[1] != width:
            raise OptionError(f"multi-angle {what} need {width} angles per layer, "
                              f"got shape {arr.shape}")
        rows = [list(r) for r in arr]
    else:
        raise OptionError(f"{what} must have shape (p,) or (p, {width}), got {arr.shape}")
    if p is not None and len(rows) != p:
        raise OptionError(f"gammas and betas need the same number of layers, got {p} and "
                          f"{len(rows)}")
    conv = [[float(a) if isinstance(a, int | float | np.number) else a for a in r] for r in rows]
    return conv, len(rows), (list(arr) if arr.ndim == 1 else None)


def append_cost_layer(qc: QuantumCircuit, ising: Ising, qubits, coeffs, gamma_row,
                      layer_gamma, phase):
    """Append ``exp(-i gamma H_C)``: ``RZ(2 gamma_k h_i)`` / ``RZZ(2 gamma_k J_ij)`` / a
    multi-qubit Z rotation (:func:`append_z_rotation`) per term (``gamma_row``: one angle per
    term). Returns ``phase`` plus the offset's global phase
    ``-layer_gamma * offset`` (standard QAOA; ``layer_gamma`` None for multi-angle: dropped)."""
    for k, (q, c) in enumerate(zip(qubits, coeffs)):
        append_z_rotation(qc, q, 2.0 * float(c) * gamma_row[k])
    if layer_gamma is not None and ising.offset != 0.0:
        g = layer_gamma
        phase = phase - (float(g) if isinstance(g, int | float | np.number) else g) * float(
            ising.offset)
    return phase


def qaoa_circuit(qubo_or_ising, gammas, betas, *, measure: bool = False,
                 warm_start=None) -> QuantumCircuit:
    """The QAOA circuit for ``qubo_or_ising`` with p = len(gammas) layers.

    Args:
        qubo_or_ising: a :class:`~qopt.model.qubo.QUBO`, :class:`~qopt.model.hubo.HUBO` or
            :class:`~qopt.model.ising.Ising` (terms of any order).
        gammas: cost angles, shape (p,) (or (p, num_terms) for multi-angle QAOA).
        betas: mixer angles, shape (p,) (or (p, n) for multi-angle QAOA).
        measure: append a measurement of every qubit into a classical register.
        warm_start: relaxed values c in (0, 1), shape (n,): warm-start initial state and mixer.

    Returns:
        A ``QuantumCircuit`` on n qubits whose final state equals the engine's
        :meth:`~qopt.backends.statevector.StatevectorEngine.qaoa_state` (global phase included
        for standard angles; multi-angle circuits drop the offset's global phase).
    """
    from qiskit import QuantumCircuit

    ising = as_ising(qubo_or_ising)
    n = ising.num_spins
    qubits, coeffs = ising.terms()
    gam, p, layer_gammas = _angles(gammas, None, len(qubits), "gammas")
    bet, _, _ = _angles(betas, p, n, "betas")
    thetas = None
    if warm_start is not None:
        c = np.asarray(warm_start, dtype=float).reshape(-1)
        if c.shape != (n,) or np.any(c < 0) or np.any(c > 1):
            raise OptionError(f"warm_start needs {n} values in [0, 1], got shape {c.shape}")
        thetas = 2.0 * np.arcsin(np.sqrt(c))

    qc = QuantumCircuit(n, n if measure else 0, name="qaoa")
    if thetas is None:
        qc.h(range(n))
    else:
        for i in range(n):
            qc.ry(float(thetas[i]), i)
    phase = 0.0
    for layer in range(p):
        phase = append_cost_layer(qc, ising, qubits, coeffs, gam[layer],
                                  None if layer_gammas is None else layer_gammas[layer], phase)
        for i in range(n):
            if thetas is None:
                qc.rx(2.0 * bet[layer][i], i)
            else:
                qc.ry(-float(thetas[i]), i)
                qc.rz(2.0 * bet[layer][i], i)
                qc.ry(float(thetas[i]), i)
    qc.global_phase = phase
    if measure:
        qc.measure(range(n), range(n))
    return qc


def qaoa_resources(qubo_or_ising, p: int) -> dict[str, int]:
    """Analytic size of the standard QAOA circuit: qubits and two-qubit gates (one RZZ per
    coupling, 2 (d - 1) CNOTs per term on d >= 3 qubits)."""
    ising = as_ising(qubo_or_ising)
    per_layer = int(ising.J.nnz) + sum(2 * (d - 1) * len(g[1]) for d, g in ising.higher.items()
                                       if d >= 3)
    return {"num_qubits": ising.num_spins, "two_qubit_gates": int(p) * per_layer}


__all__ = ["append_cost_layer", "append_z_rotation", "as_ising", "qaoa_circuit",
           "qaoa_resources"]
