"""Qiskit circuits of the constraint-preserving QAOA ansatz (hardware export, Aer cross-checks).

Same ansatz as the feasible-subspace simulator (conventions of
:mod:`qopt.solvers.quantum.mixers`): initial state, then p layers of the cost layer
``exp(-i gamma H_C)`` (exactly as :func:`~qopt.solvers.quantum.circuits.qaoa_circuit`: RZ / RZZ,
offset as global phase) followed by the partial mixers ``exp(-i beta_k B_k)`` in their order
(B_1 first). Bit order: variable i is qubit i (little-endian, as Qiskit).

Partial mixers as gates (``beta`` is the partial mixer's angle in that layer):

* ``x`` on qubit q: ``RX(2 beta)``.
* ``xy`` on qubits (a, b), ``B = (X_a X_b + Y_a Y_b) / 2``: ``RXX(beta) RYY(beta)`` (XX and YY
  commute, and ``RXX(t) = exp(-i t XX / 2)``, so the product is ``exp(-i beta B)`` exactly).
* ``swap`` of locations (p, q): one 4-qubit double excitation
  ``S+_a S-_b S+_c S-_d + h.c.`` per facility pair u < v (a = (u,p), b = (u,q), c = (v,q),
  d = (v,p)), each a ``PauliEvolutionGate`` of its 8 mutually commuting Pauli strings (so one
  Lie-Trotter step is exact). The double excitations of one B_pq do not commute on all 2^n
  states, but on a permutation state only the pair {u, v} sitting at {p, q} acts, before and
  after its own rotation, so their product equals ``exp(-i beta B_pq)`` on the permutation
  subspace (which it never leaves).
* ``independent-set`` on vertex v: ``RX(2 beta)`` on v controlled on every neighbour being
  |0> (open controls; Qiskit's multi-controlled RX synthesis, unrolled once per number of
  controls to rx / ry / rz / cx / h / x, see :func:`open_controlled_rx`).
* ``capacity``: refused (:class:`~qopt.errors.OptionError`): it needs reversible comparators of
  the packing rows (weighted sums against capacities) on ancilla registers; no practical circuit.

Initial states:

* ``empty`` / any fixed basis state (``identity`` permutation, a ``greedy`` warm start): X gates
  (physically preparable, depth 1);
* W state on each one-hot group (uniform over its one-hot states): a linear cascade of
  controlled-RY and CX gates (m - 1 of each per group of m; preparable); ``|+>`` (H) on free
  variables;
* ``uniform`` over permutations (QAP): ``StatePreparation`` of the n!-state vector. This is
  for cross-checks only: its generic synthesis has O(2^(n^2)) gates, refused above
  :data:`MAX_STATE_PREPARATION_QUBITS` qubits. (Scalable circuits exist — e.g. sequences of
  controlled swaps building the permutation register — but are not implemented.)

Written by hand because no library builds these mixers; the gate pieces (RXX, RYY,
PauliEvolutionGate, multi-controlled RX, StatePreparation) are Qiskit's.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qopt.errors import OptionError, SizeLimitError

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

#: largest register on which the uniform superposition over permutations is prepared by a
#: generic StatePreparation (QAP n = 3 is 9 qubits, n = 4 is 16)
MAX_STATE_PREPARATION_QUBITS = 16

GATE_KINDS = ("x", "xy", "swap", "independent-set", "capacity")


@dataclass(frozen=True)
class PartialGates:
    """One partial mixer as the circuit sees it.

    kind: one of :data:`GATE_KINDS`. qubits: the target (x: ``(q,)``; xy: ``(a, b)``;
    independent-set: ``(v,)``; capacity: ``(j,)``). controls: the neighbours (independent-set).
    excitations: the double excitations ``(a, b, c, d)`` of a swap partial mixer.
    """

    kind: str
    qubits: tuple[int, ...]
    controls: tuple[int, ...] = ()
    excitations: tuple[tuple[int, int, int, int], ...] = ()


def swap_excitations(n: int, p: int, q: int, index=None) -> tuple[tuple[int, int, int, int], ...]:
    """Double excitations of the swap partial mixer of locations (p, q) of an n-permutation.

    ``index[u, k]`` is the qubit of "item u at location k" (default ``u * n + k``, QAP's
    encoding). For each item pair u < v the tuple is (a, b, c, d) = ((u,p), (u,q), (v,q),
    (v,p)): the term ``S+_a S-_b S+_c S-_d`` moves u from q to p and v from p to q.
    """
    idx = (np.arange(n * n).reshape(n, n) if index is None else np.asarray(index))
    return tuple((int(idx[u, p]), int(idx[u, q]), int(idx[v, q]), int(idx[v, p]))
                 for u, v in itertools.combinations(range(n), 2))


def double_excitation_operator(a: int, b: int, c: int, d: int, num_qubits: int):
    """``S+_a S-_b S+_c S-_d + h.c.`` as a SparsePauliOp (S+ = |1><0| = (X - iY) / 2)."""
    from qiskit.quantum_info import SparsePauliOp

    def ladder(q, sign):
        return SparsePauliOp.from_sparse_list([("X", [q], 0.5), ("Y", [q], -0.5j * sign)],
                                              num_qubits)

    term = ladder(a, 1).compose(ladder(b, -1)).compose(ladder(c, 1)).compose(ladder(d, -1))
    return (term + term.adjoint()).simplify()


#: gates of the decomposed open-controlled RX (affine angles: every backend binds them)
_MCRX_BASIS = ("rx", "ry", "rz", "cx", "h", "x")


@functools.lru_cache(maxsize=64)
def open_controlled_rx(num_controls: int):
    """(circuit, theta): RX(theta) on the last qubit controlled on the first ``num_controls``
    qubits all |0>, decomposed once per control count into rx / ry / rz / cx / h / x.

    Decomposed here rather than appended as a controlled gate because qiskit-aer 0.18 binds
    parametrised crx / cry / crz wrongly through ``parameter_binds`` (seen: errors of 0.1 in
    amplitudes), which is how qopt's Aer backend evaluates a parametrised template.
    """
    from qiskit import QuantumCircuit, transpile
    from qiskit.circuit import Parameter
    from qiskit.circuit.library import RXGate

    theta = Parameter("theta")
    qc = QuantumCircuit(num_controls + 1)
    qc.append(RXGate(theta).control(num_controls, ctrl_state=0, annotated=False),
              list(range(num_controls + 1)))
    # level 1 is exact (levels 2-3 may resynthesise blocks approximately)
    return transpile(qc, basis_gates=list(_MCRX_BASIS), optimization_level=1), theta


def append_partial_mixer(qc: QuantumCircuit, partial: PartialGates, beta) -> None:
    """Append ``exp(-i beta B)`` of one partial mixer (see the module docstring)."""
    kind = partial.kind
    if kind == "x":
        qc.rx(2 * beta, partial.qubits[0])
    elif kind == "xy":
        a, b = partial.qubits
        qc.rxx(beta, a, b)
        qc.ryy(beta, a, b)
    elif kind == "swap":
        from qiskit.circuit.library import PauliEvolutionGate

        for exc in partial.excitations:
            op = double_excitation_operator(*exc, qc.num_qubits)
            qc.append(PauliEvolutionGate(op, time=beta), range(qc.num_qubits))
    elif kind == "independent-set":
        v, ctrl = partial.qubits[0], list(partial.controls)
        if not ctrl:
            qc.rx(2 * beta, v)
        else:
            tmpl, theta = open_controlled_rx(len(ctrl))
            qc.compose(tmpl.assign_parameters({theta: 2 * beta}), [*ctrl, v], inplace=True)
    elif kind == "capacity":
        raise OptionError("mixer 'capacity' has no circuit: each partial mixer flips item j "
                          "only when every packing row stays within capacity, which needs "
                          "reversible comparators of the weighted row sums on ancilla "
                          "registers; run it on the feasible-subspace simulator "
                          "(backend='statevector') or pick a mixer with a circuit")
    else:
        raise OptionError(f"unknown partial mixer kind {kind!r}; known: {', '.join(GATE_KINDS)}")


def append_w_state(qc: QuantumCircuit, qubits) -> None:
    """Uniform superposition over the one-hot states of ``qubits`` (a W state), real positive
    amplitudes 1/sqrt(m): X on the first qubit, then CRY + CX moving the remaining weight on."""
    qubits = list(qubits)
    m = len(qubits)
    if m == 0:
        return
    qc.x(qubits[0])
    for i in range(m - 1):
        # qubit i holds sqrt((m-i)/m); keep 1/sqrt(m) of it there and pass the rest to i + 1
        theta = 2.0 * math.acos(math.sqrt(1.0 / (m - i)))
        qc.cry(theta, qubits[i], qubits[i + 1])
        qc.cx(qubits[i + 1], qubits[i])


def permutation_bits(n: int, perms: np.ndarray, index=None) -> np.ndarray:
    """Basis indices (int64) of permutations ``perms`` (shape (k, n), perms[:, u] = location of
    item u) in the one-hot encoding ``index[u, k]`` (default u * n + k)."""
    idx = (np.arange(n * n).reshape(n, n) if index is None else np.asarray(index))
    perms = np.asarray(perms, dtype=np.int64)
    qubit = idx[np.arange(n)[None, :], perms]                  # (k, n)
    return np.sum(np.left_shift(np.int64(1), qubit), axis=1)


def append_uniform_permutations(qc: QuantumCircuit, n: int, index=None) -> None:
    """The uniform superposition over the n! permutation states (StatePreparation; small
    registers only, see :data:`MAX_STATE_PREPARATION_QUBITS`)."""
    from qiskit.circuit.library import StatePreparation

    width = qc.num_qubits
    if width > MAX_STATE_PREPARATION_QUBITS:
        raise SizeLimitError(
            f"init_state='uniform' over permutations has no scalable circuit here: the generic "
            f"StatePreparation of a {width}-qubit register is limited to "
            f"{MAX_STATE_PREPARATION_QUBITS} qubits; use init_state='identity' (X gates) or the "
            "feasible-subspace simulator")
    perms = np.array(list(itertools.permutations(range(n))), dtype=np.int64)
    amp = np.zeros(1 << width, dtype=complex)
    amp[permutation_bits(n, perms, index)] = 1.0 / math.sqrt(len(perms))
    qc.append(StatePreparation(amp), range(width))


@dataclass(frozen=True)
class InitialGates:
    """An initial state as the circuit sees it.

    basis: a fixed basis state (bits, length n), prepared with X gates; or
    groups: one-hot groups in W states, ``plus`` the qubits in |+>, ``ones`` the qubits set
    to 1 (fixed bits outside the groups); or
    permutation: (n, index) for the uniform superposition over permutations.
    """

    basis: tuple[int, ...] | None = None
    groups: tuple[tuple[int, ...], ...] = ()
    plus: tuple[int, ...] = ()
    ones: tuple[int, ...] = ()
    permutation: tuple[int, np.ndarray | None] | None = None


def append_initial_state(qc: QuantumCircuit, init: InitialGates) -> None:
    if init.permutation is not None:
        append_uniform_permutations(qc, *init.permutation)
        return
    if init.basis is not None:
        for q, bit in enumerate(init.basis):
            if bit:
                qc.x(q)
        return
    for g in init.groups:
        append_w_state(qc, g)
    for q in init.plus:
        qc.h(q)
    for q in init.ones:
        qc.x(q)


def mixer_qaoa_circuit(qubo_or_ising, gammas, betas, partials, init: InitialGates, *,
                       measure: bool = False) -> QuantumCircuit:
    """The constraint-preserving QAOA circuit with p = len(gammas) layers.

    Args:
        qubo_or_ising: the cost (a QUBO or Ising; the objective plus any penalties the mixer
            does not preserve).
        gammas: cost angles (true units), shape (p,) or (p, num_terms) (multi-angle).
        betas: mixer angles, shape (p,) (one per layer, shared by its partial mixers) or
            (p, K) with K = len(partials) (ma-qaoa: one per partial mixer).
        partials: the partial mixers in order (:class:`PartialGates`), B_1 applied first.
        init: the initial state (:class:`InitialGates`).
        measure: append a measurement of every qubit.

    Angles may be floats or Qiskit Parameters. The final state equals the dense reference
    ``prod_l [prod_k exp(-i beta_lk B_k)] exp(-i gamma_l H_C) |init>`` including the global
    phase (standard gammas; multi-angle circuits drop the offset's phase as qaoa_circuit does).
    """
    from qiskit import QuantumCircuit

    from qopt.solvers.quantum.circuits import _angles, append_cost_layer, as_ising

    ising = as_ising(qubo_or_ising)
    n = ising.num_spins
    partials = list(partials)
    terms, coeffs = ising.terms()
    gam, p, layer_gammas = _angles(gammas, None, len(terms), "gammas")
    bet, _, _ = _angles(betas, p, len(partials), "betas")
    for part in partials:
        if part.kind == "capacity":
            append_partial_mixer(None, part, 0.0)               # the clear refusal
    qc = QuantumCircuit(n, n if measure else 0, name="qaoa-mixer")
    append_initial_state(qc, init)
    phase = 0.0
    for layer in range(p):
        phase = append_cost_layer(qc, ising, terms, coeffs, gam[layer],
                                  None if layer_gammas is None else layer_gammas[layer], phase)
        for k, part in enumerate(partials):
            append_partial_mixer(qc, part, bet[layer][k])
    qc.global_phase += phase          # on top of the decomposed gates' phases
    if measure:
        qc.measure(range(n), range(n))
    return qc


def circuit_parts(mixer, init):
    """(partials, initial state) of a :class:`~qopt.solvers.quantum.mixers.Mixer` and its
    initial state as :class:`PartialGates` / :class:`InitialGates`; refuses a simulator-only
    initial superposition."""
    kinds = {"controlled-x": "independent-set"}
    parts = [PartialGates(kinds.get(pm.kind, pm.kind), pm.qubits, pm.controls,
                          tuple(pm.swap_terms()) if pm.kind == "swap" else ())
             for pm in mixer.partials]
    n = mixer.num_qubits
    if init.kind == "basis":
        gates = InitialGates(basis=tuple(int(b) for b in init.bits))
    elif init.kind == "plus":
        gates = InitialGates(plus=tuple(range(n)))
    elif mixer.subspace == "permutation":
        idx = np.asarray(mixer.structure.permutation)
        gates = InitialGates(permutation=(idx.shape[0], idx))
    elif mixer.subspace == "one-hot":
        groups = mixer.structure.one_hot_groups
        used = {v for g in groups for v in g}
        gates = InitialGates(groups=tuple(groups),
                             plus=tuple(q for q in range(n) if q not in used))
    else:
        raise OptionError(f"initial state {init.name!r} of mixer {mixer.name!r} has no "
                          "circuit (it is a simulator-only superposition); use "
                          "init_state='empty' or 'greedy' on circuit backends")
    return parts, gates


__all__ = ["GATE_KINDS", "MAX_STATE_PREPARATION_QUBITS", "InitialGates", "PartialGates",
           "append_initial_state", "append_partial_mixer", "append_uniform_permutations",
           "append_w_state", "circuit_parts", "double_excitation_operator",
           "mixer_qaoa_circuit", "open_controlled_rx", "permutation_bits", "swap_excitations"]
