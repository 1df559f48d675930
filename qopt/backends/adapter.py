"""``"statevector"``: the in-house statevector engine behind the common backend interface.

A Qiskit circuit is unrolled once (:class:`~qopt.backends.lightning.AffineCircuit`: gates whose
angles are ``A @ params + b``). When every gate is one of the engine's generic gate path
(rx, ry, rz, rzz, h, x, cz, cx; QAOA and the hardware-efficient ansätze) it runs on the
:class:`~qopt.backends.statevector.StatevectorEngine`: one-qubit gates grouped into layers, each
layer one cache-blocked ``apply_product`` pass (a leading layer written directly as a product
state), each maximal run of cx / x / cz gates one gather pass of
:mod:`qopt.backends.clifford` into a scratch buffer, rzz by ``apply_op``, and the adjoint
gradient over the same items (:func:`layered_gradient`). Exact CVaR / ``evaluate`` read the
amplitudes directly: one histogram pass over energy buckets of the cached energy order
(:class:`~qopt.backends.clifford.EnergyBuckets`), no probability vector. ``fused=False``
restores the per-gate path. Other circuits run on the numpy gate path below (dense 2x2 / 4x4
matrices applied by reshaping the state).
Little-endian throughout: amplitude index bit i is qubit i. Exact mode returns |psi|^2;
sampling mode draws from it with the call's seed.
"""

from __future__ import annotations

import time
import weakref
from contextlib import nullcontext
from typing import ClassVar

import numpy as np

from qopt.backends.base import (
    Backend,
    BackendError,
    Evaluation,
    Observable,
    as_param_matrix,
    check_alpha,
    check_exact_width,
)
from qopt.backends.clifford import CLIFFORD_GATES, CliffordRun, product_state
from qopt.backends.energy_buckets import EnergyBuckets
from qopt.backends.lightning import AffineCircuit
from qopt.errors import SizeLimitError
from qopt.limits import check_allocation

_SQ2 = 1.0 / np.sqrt(2.0)
_FIXED = {
    "h": np.array([[1, 1], [1, -1]], complex) * _SQ2,
    "x": np.array([[0, 1], [1, 0]], complex),
    "y": np.array([[0, -1j], [1j, 0]], complex),
    "z": np.diag([1, -1]).astype(complex),
    "s": np.diag([1, 1j]),
    "sdg": np.diag([1, -1j]),
    "t": np.diag([1, np.exp(1j * np.pi / 4)]),
    "tdg": np.diag([1, np.exp(-1j * np.pi / 4)]),
    "sx": 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]),
    "sxdg": 0.5 * np.array([[1 - 1j, 1 + 1j], [1 + 1j, 1 - 1j]]),
}
_I2 = np.eye(2, dtype=complex)
_P0 = np.diag([1, 0]).astype(complex)
_P1 = np.diag([0, 1]).astype(complex)
_PX = _FIXED["x"]
_PY = _FIXED["y"]
_PZ = _FIXED["z"]


def _rot(p, t):
    return np.cos(t / 2) * np.eye(p.shape[0]) - 1j * np.sin(t / 2) * p


def _controlled(u):
    # basis index 2 * c + t (control = first wire)
    return np.kron(_P0, _I2) + np.kron(_P1, u)


def gate_matrix(name: str, angles) -> np.ndarray:
    """Unitary of a gate; 2-qubit matrices in basis 2 * bit(wires[0]) + bit(wires[1])."""
    if name in _FIXED:
        return _FIXED[name]
    a = list(angles)
    if name == "rx":
        return _rot(_PX, a[0])
    if name == "ry":
        return _rot(_PY, a[0])
    if name == "rz":
        return _rot(_PZ, a[0])
    if name == "p":
        return np.diag([1, np.exp(1j * a[0])])
    if name == "u":
        th, ph, la = a
        return np.array([[np.cos(th / 2), -np.exp(1j * la) * np.sin(th / 2)],
                         [np.exp(1j * ph) * np.sin(th / 2),
                          np.exp(1j * (ph + la)) * np.cos(th / 2)]])
    if name == "cx":
        return _controlled(_PX)
    if name == "cy":
        return _controlled(_PY)
    if name == "cz":
        return np.diag([1, 1, 1, -1]).astype(complex)
    if name == "swap":
        return np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], complex)
    if name == "rzz":
        return _rot(np.kron(_PZ, _PZ), a[0])
    if name == "rxx":
        return _rot(np.kron(_PX, _PX), a[0])
    if name == "ryy":
        return _rot(np.kron(_PY, _PY), a[0])
    if name == "crx":
        return _controlled(_rot(_PX, a[0]))
    if name == "cry":
        return _controlled(_rot(_PY, a[0]))
    if name == "crz":
        return _controlled(_rot(_PZ, a[0]))
    if name == "cp":
        return np.diag([1, 1, 1, np.exp(1j * a[0])])
    raise KeyError(name)


def apply_gate(psi: np.ndarray, n: int, matrix: np.ndarray, wires) -> np.ndarray:
    """``matrix`` on ``wires`` of the n-qubit state ``psi`` (shape (2^n,)), little-endian."""
    axes = [n - 1 - w for w in wires]            # C-order axis of qubit w
    k = len(wires)
    t = np.moveaxis(psi.reshape((2,) * n), axes, list(range(k))).reshape(1 << k, -1)
    t = matrix @ t
    t = np.moveaxis(t.reshape((2,) * n), list(range(k)), axes)
    return np.ascontiguousarray(t).reshape(-1)


def numpy_state(prepared: AffineCircuit, theta: np.ndarray) -> np.ndarray:
    """Final state of the unrolled circuit at parameters ``theta`` (shape (P,))."""
    n = prepared.num_qubits
    angles = prepared.A @ theta + prepared.b
    psi = np.zeros(1 << n, dtype=complex)
    psi[0] = 1.0
    for name, wires, sl, _adjoint in prepared.gates:
        psi = apply_gate(psi, n, gate_matrix(name, angles[sl]), wires)
    return psi


def engine_ops(prepared: AffineCircuit) -> list | None:
    """The unrolled circuit as engine :class:`~qopt.backends.statevector.Op` s, or None when a
    gate (or an angle depending on several parameters) is outside the engine's gate path."""
    from qopt.backends.statevector import Op

    rotations, fixed = ("rx", "ry", "rz", "rzz"), ("h", "x", "cz", "cx")
    ops = []
    for name, wires, sl, _adjoint in prepared.gates:
        if name in fixed:
            ops.append(Op(name, tuple(wires)))
            continue
        if name not in rotations:
            return None
        row = prepared.A[sl.start]
        nz = np.flatnonzero(row)
        if nz.size > 1:
            return None
        if nz.size == 0:
            ops.append(Op(name, tuple(wires), None, float(prepared.b[sl.start])))
        else:
            j = int(nz[0])
            ops.append(Op(name, tuple(wires), j, float(prepared.b[sl.start]), float(row[j])))
    return ops


def layer_ops(ops, num_qubits: int | None = None, *, fuse: bool = False
              ) -> list[tuple[str, object]]:
    """Group engine ops into ("layer", [one-qubit ops, at most one per qubit]) and
    ("gate", two-qubit op) items with the same action as ``ops``; with ``fuse=True`` (needs
    ``num_qubits``, the engine's width) each maximal run of non-parametrised cx / x / cz gates
    becomes one ("clifford", :class:`FusedClifford`) item applied in one pass.

    A one-qubit op joins the pending layer unless its qubit already has one there; a two-qubit
    op flushes the pending layer only when it touches one of the layer's qubits (gates on
    disjoint qubits commute, so the others may wait). The items act as
    ``emitted + pending run + pending layer``: a Clifford gate joins the pending run unless it
    touches the pending layer, any other gate first flushes the run.
    """
    if fuse and num_qubits is None:
        raise ValueError("layer_ops(fuse=True) needs num_qubits")
    items: list[tuple[str, object]] = []
    layer: list = []
    used: set[int] = set()
    run: list = []

    def flush_run():
        if run:
            items.append(("clifford", FusedClifford(int(num_qubits), list(run))))
            run.clear()

    def flush_layer():
        nonlocal layer, used
        if layer:
            items.append(("layer", layer))
        layer, used = [], set()

    for op in ops:
        if fuse and op.name in CLIFFORD_GATES and op.param is None:
            if used.intersection(op.qubits):
                flush_run()
                flush_layer()
            run.append(op)
            continue
        if len(op.qubits) == 1:
            if op.qubits[0] in used:
                flush_run()
                flush_layer()
            layer.append(op)
            used.add(op.qubits[0])
            continue
        flush_run()
        if used.intersection(op.qubits):
            flush_layer()
        items.append(("gate", op))
    flush_run()
    flush_layer()
    return items


class FusedClifford:
    """A run of cx / x / cz engine ops (``ops``, circuit order) and its
    :class:`~qopt.backends.clifford.CliffordRun` on the engine's ``num_qubits``."""

    def __init__(self, num_qubits: int, ops):
        self.ops = list(ops)
        self.run = CliffordRun(num_qubits, [(op.name, op.qubits) for op in self.ops])

    def apply(self, engine, psi, spare, *, inverse: bool = False):
        """Apply the run (or its inverse) to ``psi``: returns (state, free buffer); the state
        is ``spare`` when the run permutes, else ``psi`` (in place). A permuting run without
        a ``spare`` buffer (None: it did not fit) runs gate by gate, in place."""
        run = self.run
        if spare is None and run.permutes:
            for op in (reversed(self.ops) if inverse else self.ops):   # all self-inverse
                engine.apply_op(op, (), psi)
            return psi, None
        out = spare if run.permutes else psi
        with _threads(engine):
            run.apply(psi, out, inverse=inverse, use_numba=engine.uses_numba, xp=engine.xp)
        return (out, psi) if run.permutes else (psi, spare)


def _threads(engine):
    """The engine's numba thread setting for one kernel call (no-op context without it)."""
    ctx = getattr(engine, "_threads", None)
    return ctx() if ctx is not None else nullcontext()


_WORK: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def work_buffers(engine, count: int) -> list | None:
    """``count`` state-sized buffers: the engine's ``state`` and ``count - 1`` scratch buffers
    kept per engine (allocated once, memory-checked); None when they do not fit."""
    extra = _WORK.setdefault(engine, [])
    while len(extra) < count - 1:
        try:
            check_allocation(engine.nbytes * (len(extra) + 2),
                             f"{len(extra) + 2} {engine.num_qubits}-qubit state buffers "
                             "(fused Clifford runs)", engine.memory_limit)
        except SizeLimitError:
            return None
        extra.append(engine.xp.empty_like(engine.state))
    return [engine.state, *extra[:count - 1]]


def _one_qubit_matrix(op, theta) -> np.ndarray:
    from qopt.backends.statevector import rotation_matrix

    if op.name in ("rx", "ry", "rz"):
        return rotation_matrix(op.name, op.theta(theta))
    return _FIXED[op.name]


def _layer_mats(n: int, layer, theta) -> np.ndarray:
    mats = np.tile(np.eye(2, dtype=complex), (n, 1, 1))
    for op in layer:
        mats[op.qubits[0]] = _one_qubit_matrix(op, theta)
    return mats


def _first_layer_columns(n: int, layer, theta) -> np.ndarray:
    """Column 0 of each qubit's matrix in ``layer``: the layer applied to |0...0>, (n, 2)."""
    return _layer_mats(n, layer, theta)[:, :, 0]


def run_layered(engine, items, theta, *, spare=None, fused: bool = True) -> np.ndarray:
    """Run layered engine ops (see :func:`layer_ops`) from |0...0> in the engine's state.

    Each one-qubit layer is one cache-blocked ``apply_product`` pass over the state; two-qubit
    gates use the engine's generic path; a fused Clifford run is one gather pass into a scratch
    buffer (the result may therefore end in a scratch buffer: use the returned array). With
    ``fused`` a leading one-qubit layer is written directly as a product state, in the same
    pass as the Clifford run that follows it.
    ``spare``: the scratch buffer (default: the engine's work buffer).
    """
    return _run_layered(engine, items, theta, spare=spare, fused=fused)[0]


def _run_layered(engine, items, theta, *, spare=None, fused: bool = True):
    """(final state, free scratch buffer or None): see :func:`run_layered`."""
    n = engine.num_qubits
    psi = engine.state
    if spare is None and any(kind == "clifford" for kind, _ in items):
        bufs = work_buffers(engine, 2)
        spare = bufs[1] if bufs is not None else None
    start = 0
    if fused and items and items[0][0] == "layer":
        cols = _first_layer_columns(n, items[0][1], theta)
        nxt = items[1][1] if len(items) > 1 and items[1][0] == "clifford" else None
        if nxt is not None and nxt.run.permutes and spare is not None:
            # the layer's product state and the run after it in one write pass
            with _threads(engine):
                nxt.run.apply_to_product(cols, spare, use_numba=engine.uses_numba,
                                         xp=engine.xp)
            psi, spare = spare, psi
            start = 2
        else:
            product_state(psi, cols, engine.xp)
            start = 1
    else:
        psi.fill(0)
        psi[0] = 1.0
    for kind, item in items[start:]:
        if kind == "layer":
            engine.apply_product(_layer_mats(n, item, theta), psi)
        elif kind == "gate":
            engine.apply_op(item, theta, psi)
        else:
            psi, spare = item.apply(engine, psi, spare)
    return psi, spare


def _im_pauli(lam_conj: np.ndarray, phi: np.ndarray, name: str, q: int) -> float:
    """Im <lam| P_q |phi> for the generator P of rx / ry / rz on qubit q (``lam_conj`` is
    conj(lam), computed once per layer)."""
    L = lam_conj.reshape(-1, 2, 1 << q)
    F = phi.reshape(-1, 2, 1 << q)
    if name == "rz":
        z = (L[:, 0, :] * F[:, 0, :]).sum() - (L[:, 1, :] * F[:, 1, :]).sum()
        return float(z.imag)
    a = (L[:, 0, :] * F[:, 1, :]).sum()         # <lam_0|phi_1>
    b = (L[:, 1, :] * F[:, 0, :]).sum()         # <lam_1|phi_0>
    # X: a + b; Y = [[0, -i], [i, 0]]: -i a + i b, whose imaginary part is Re(b - a)
    return float((a + b).imag) if name == "rx" else float((b - a).real)


def _im_zz(lam: np.ndarray, phi: np.ndarray, a: int, b: int) -> float:
    """Im <lam| Z_a Z_b |phi>."""
    n = int(lam.size).bit_length() - 1
    lo, hi = min(a, b), max(a, b)
    t = (np.conj(lam) * phi).reshape(1 << (n - hi - 1), 2, 1 << (hi - lo - 1), 2, 1 << lo)
    z = (t[:, 0, :, 0, :].sum() + t[:, 1, :, 1, :].sum() - t[:, 0, :, 1, :].sum()
         - t[:, 1, :, 0, :].sum())
    return float(z.imag)


def layered_gradient(engine, items, theta, diag, *, fused: bool = True
                     ) -> tuple[float, np.ndarray]:
    """(<D>, d<D>/d theta) by the adjoint method over layers, diagonal observable ``diag``.

    Within a layer every qubit has at most one gate, so all of the layer's generators are
    evaluated at the layer's output: dE/d theta_k = scale_k * Im <lam| P_k |phi>. Fused
    Clifford runs (no parameters) are undone by their inverse gather on phi and lam. Uses three
    state buffers of the engine (the state and two scratch buffers) when they fit.
    """
    n = engine.num_qubits
    bufs = work_buffers(engine, 3)
    if bufs is None:
        psi, spare = _run_layered(engine, items, theta, spare=None, fused=fused)
        lam = np.empty_like(psi)
    else:
        _, b1, b2 = bufs
        psi, spare = _run_layered(engine, items, theta, spare=b1, fused=fused)
        lam = b2
    d = np.asarray(diag, dtype=float)
    value = float(engine.expectation(d, psi))
    phi = psi                                        # the forward state is not needed again
    engine.multiply_diagonal(lam, psi, d)
    grad = np.zeros(len(theta))
    for kind, item in reversed(items):
        if kind == "layer":
            if any(op.param is not None for op in item):
                lam_conj = np.conj(lam)
                for op in item:
                    if op.param is not None:
                        grad[op.param] += op.scale * _im_pauli(lam_conj, phi, op.name,
                                                               op.qubits[0])
            inv = np.conj(np.transpose(_layer_mats(n, item, theta), (0, 2, 1)))
            engine.apply_product(inv, phi)
            engine.apply_product(inv, lam)
            continue
        if kind == "clifford":
            phi, spare = item.apply(engine, phi, spare, inverse=True)
            lam, spare = item.apply(engine, lam, spare, inverse=True)
            continue
        if item.param is not None:      # rzz is the only parametrised two-qubit op
            grad[item.param] += item.scale * _im_zz(lam, phi, *item.qubits)
        engine.apply_op(item, theta, phi, inverse=True)
        engine.apply_op(item, theta, lam, inverse=True)
    return value, grad


class _Prepared:
    def __init__(self, affine: AffineCircuit, ops: list | None, fused: bool):
        self.affine = affine
        self.ops = ops
        self.items = (layer_ops(ops, affine.num_qubits, fuse=fused) if ops is not None
                      else None)


class StatevectorBackend(Backend):
    """The in-house statevector engine as a :class:`~qopt.backends.base.Backend`.

    Circuits made of rx / ry / rz / rzz / h / x / cz / cx (QAOA, the hardware-efficient
    ansätze) run on the engine's generic gate path, with adjoint gradients; other gates on
    the numpy gate path of this module (gradients then by parameter shift / differences).

    ``fused=True`` (default): each run of cx / x / cz gates is one gather pass
    (:mod:`qopt.backends.clifford`), a leading one-qubit layer is written as a product state,
    and exact CVaR / :meth:`evaluate` come from one histogram pass over the amplitudes (energy
    buckets of the observable's cached order; no probability vector).
    ``fused=False``: the per-gate path and the generic distribution path (for comparison).
    Other keyword options go to :class:`~qopt.backends.statevector.StatevectorEngine`.
    """

    name: ClassVar[str] = "statevector"
    supports_gradient: ClassVar[bool] = True

    def __init__(self, *, shots: int | None = None, seed=None, fused: bool = True,
                 **engine_options):
        super().__init__(shots=shots, seed=seed)
        self.fused = bool(fused)
        self.engine_options = engine_options
        self._engines: dict[int, object] = {}
        self._sorted: tuple | None = None

    def engine(self, n: int):
        eng = self._engines.get(n)
        if eng is None:
            from qopt.backends.statevector import StatevectorEngine

            eng = StatevectorEngine(n, **self.engine_options)
            self._engines = {n: eng}
        return eng

    def _prepare(self, circuit):
        check_exact_width(circuit.num_qubits)
        check_allocation(16 << circuit.num_qubits, f"a {circuit.num_qubits}-qubit statevector")
        affine = AffineCircuit.from_qiskit(circuit)
        return _Prepared(affine, engine_ops(affine), self.fused)

    def _compiled_circuit(self, prepared):
        return None

    def _state(self, prepared: _Prepared, theta: np.ndarray) -> np.ndarray:
        if prepared.ops is None:
            return numpy_state(prepared.affine, theta)
        return run_layered(self.engine(prepared.affine.num_qubits), prepared.items, theta,
                           fused=self.fused)

    def state(self, circuit, params=None) -> np.ndarray:
        """The final state, shape (2^n,) complex (little-endian; a copy)."""
        prepared = self.prepare(circuit)
        theta = np.asarray(params if params is not None else [], float).reshape(-1)
        return np.array(self._state(prepared, theta), copy=True)

    def _probabilities(self, prepared, circuit, theta):
        out = np.empty((theta.shape[0], 1 << prepared.affine.num_qubits))
        for r, row in enumerate(theta):
            psi = self._state(prepared, row)
            np.multiply(psi.real, psi.real, out=out[r])
            out[r] += psi.imag * psi.imag
        return out

    def _expectation_exact(self, prepared, circuit, theta, obs: Observable):
        if obs.diagonal_form:
            diag = obs.diagonal()
            if prepared.ops is not None:
                eng = self.engine(prepared.affine.num_qubits)
                return np.array([eng.expectation(diag, self._state(prepared, row))
                                 for row in theta])
            return self._probabilities(prepared, circuit, theta) @ diag
        matrix = obs.pauli().to_matrix(sparse=True)
        vals = []
        for row in theta:
            psi = self._state(prepared, row)
            vals.append(float(np.real(np.vdot(psi, matrix @ psi))))
        return np.asarray(vals)

    def _gradient_exact(self, prepared, circuit, theta, obs: Observable):
        if prepared.ops is None or not obs.diagonal_form:
            return None
        eng = self.engine(prepared.affine.num_qubits)
        return layered_gradient(eng, prepared.items, theta, obs.diagonal(), fused=self.fused)

    # ---- exact CVaR / evaluate straight from the amplitudes --------------------------------
    def _sorted_energies(self, obs: Observable):
        """(stable argsort of the diagonal, the diagonal in that order, its
        :class:`~qopt.backends.clifford.EnergyBuckets`), cached per observable."""
        hit = self._sorted
        if hit is None or hit[0] is not obs:
            fast = EnergyBuckets.integer_levels(obs.diagonal())
            if fast is not None:                   # counting sort of integer energies
                hit = (obs, *fast)
            else:
                order = obs.order()
                sdiag = np.ascontiguousarray(obs.diagonal()[order])
                hit = (obs, order, sdiag, EnergyBuckets.build(order, sdiag))
            self._sorted = hit
        return hit[1], hit[2], hit[3]

    def _counts(self, prepared, circuit, theta, shots: int, seed: int):
        """Multinomial draws from |psi|^2 as the base class draws them (same generator calls,
        same numbers), one probability buffer instead of a (k, 2^n) matrix and copies."""
        if not self.fused:
            return super()._counts(prepared, circuit, theta, shots, seed)
        rng = np.random.default_rng(seed)
        p = np.empty(1 << prepared.affine.num_qubits)
        out = []
        for row in theta:
            psi = self._state(prepared, row)
            np.multiply(psi.real, psi.real, out=p)
            p += psi.imag * psi.imag
            p /= p.sum()
            c = rng.multinomial(shots, p)
            nz = np.flatnonzero(c)
            out.append((nz.astype(np.int64), c[nz].astype(np.int64)))
        return out

    def _exact_scan(self, circuit, params, observable, alpha: float, shots):
        """[(expectation, cvar, best index, best energy)] per parameter set and whether one
        set was given, or None when the generic path applies (sampling mode, per-gate mode,
        non-diagonal observable, circuit outside the engine's gate path).

        One histogram pass per parameter set over the energy buckets of the observable (its
        energy levels when there are few), then the CVaR walks the energy order only inside
        the bucket holding the alpha boundary (:class:`~qopt.backends.clifford.EnergyBuckets`).
        """
        if not self.fused or self._mode_shots(shots) is not None:
            return None
        obs = self._observable(observable, circuit.num_qubits)
        if not obs.diagonal_form:
            return None
        self.check_circuit(circuit, exact=True)
        theta, single = as_param_matrix(params, circuit.num_parameters)
        prepared = self.prepare(circuit)
        if prepared.ops is None:
            return None
        eng = self.engine(prepared.affine.num_qubits)
        order, sdiag, buckets = self._sorted_energies(obs)
        diag = obs.diagonal()
        kw = {"use_numba": eng.uses_numba, "xp": eng.xp}
        t0 = time.perf_counter()
        out = []
        for row in theta:
            psi = self._state(prepared, row)
            with _threads(eng):
                masses, firsts = buckets.masses(psi, diag, **kw)
                mass = float(masses.sum())
                if not mass > 0.0:
                    raise BackendError("cannot take CVaR of an empty distribution")
                value = buckets.cvar(psi, order, sdiag, masses, firsts, alpha, **kw)
                pos = max(buckets.best(psi, order, masses, 1e-12 * mass, **kw), 0)
            out.append((float(firsts.sum()) / mass, value, int(order[pos]), float(sdiag[pos])))
        self.usage.simulation_time += time.perf_counter() - t0
        self.usage.executions += theta.shape[0]
        return out, single

    def cvar(self, circuit, params, observable, alpha: float, shots: int | None = None, *,
             seed=None):
        """CVaR_alpha of a diagonal observable (exact mode: one histogram pass)."""
        alpha = check_alpha(alpha)
        hit = self._exact_scan(circuit, params, observable, alpha, shots)
        if hit is None:
            return super().cvar(circuit, params, observable, alpha, shots, seed=seed)
        rows, single = hit
        vals = np.array([r[1] for r in rows])
        return float(vals[0]) if single else vals

    def evaluate(self, circuit, params, observable, *, alpha: float = 1.0,
                 shots: int | None = None, seed=None) -> list[Evaluation]:
        """Expectation, CVaR and best state per parameter set (exact mode: one histogram pass
        over the amplitudes per set, no probability vector)."""
        alpha = check_alpha(alpha)
        hit = self._exact_scan(circuit, params, observable, alpha, shots)
        if hit is None:
            return super().evaluate(circuit, params, observable, alpha=alpha, shots=shots,
                                    seed=seed)
        return [Evaluation(expectation=e, cvar=c, best_index=i, best_energy=b, shots=None)
                for e, c, i, b in hit[0]]


__all__ = ["FusedClifford", "StatevectorBackend", "apply_gate", "engine_ops", "gate_matrix",
           "layer_ops", "layered_gradient", "numpy_state", "run_layered", "work_buffers"]
