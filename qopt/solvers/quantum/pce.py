"""Pauli Correlation Encoding solver (Sciorilli et al., arXiv:2401.09421): ``solver="pce"``.

The m QUBO variables (slack bits included) are the signs of k-body Pauli correlators on
``n = min{n : 3 C(n, k) >= m}`` qubits (:class:`~qopt.solvers.quantum.pce_encoding.
CorrelatorEncoding`); a hardware-efficient ansatz (:mod:`qopt.solvers.quantum.ansatz`) is
trained on the loss of :class:`~qopt.solvers.quantum.pce_loss.PCELoss` and the answer is
``x_i = 1`` iff ``<Pi_i> < 0``.

Evaluation of one parameter set:

* exact mode on a statevector backend (the default): one state, then per basis one rotation
  and one Walsh–Hadamard transform give every correlator; the gradient is the gradient of the
  fixed observable ``O = sum_i (dL/d<Pi_i>) Pi_i``, by the adjoint method (``O psi`` applied
  with WHTs) or, where no statevector is available, by the parameter-shift rule;
* sampling mode (``shots=...``, or a backend without an exact mode, e.g. hardware): three
  measurement settings — the circuit followed by I, H or S^dagger H on every qubit — each
  measured ``shots`` times; correlators are parities of the outcomes (again one WHT each).

Optimisers come from :mod:`qopt.solvers.optimizers` (default ``"l-bfgs-b"`` with gradients,
``"cobyla"`` without). Budget (:mod:`qopt.solvers.budget`): ``budget`` is in objective
evaluations, the unit of every solver; one parameter set costs 1 in exact mode (a value with
its adjoint gradient counts one, the optimizers' convention; a parameter-shift gradient 2P
sets more) and ``3 x shots`` in sampling mode (every measured shot). ``shots`` counts every
measurement; ``info["circuit_evaluations"]`` the parameter sets.

Samples (over the QUBO's variables, ``num_qubits = n``): the sign rounding at the optimiser's
best parameters (weight 1) and the best sign rounding met during training (weight 0); with
``bit_swap=True`` also the result of PCE's bit-swap search from the best of those (weight 0),
recorded in ``info["bit_swap"]``. The generic repair / local search of :func:`qopt.solve` runs
after that, as for every solver.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from qopt.backends.mitigation import calibration_spent, measurement_cost
from qopt.errors import OptionError
from qopt.solvers.base import Samples, Solver, SolverOutput, Task, rng_from
from qopt.solvers.budget import plan_quantum_budget
from qopt.solvers.plans import add_simulator, add_statevector
from qopt.solvers.quantum.pce_encoding import (
    CorrelatorEncoding,
    basis_rotation_circuit,
    pce_num_qubits,
)
from qopt.solvers.quantum.pce_loss import PCELoss, bit_swap_search, default_alpha, sign_round


@dataclass
class PCEOptions:
    """Options of PCE.

    Attributes:
        k: correlator body count (2 or 3 in the paper).
        num_qubits: register width; None = the smallest n with 3 C(n, k) >= m.
        ansatz: ansatz kind of :mod:`qopt.solvers.quantum.ansatz`; "auto" = "brickwork"
            (RY bricks) for even k and "efficient-su2" with the brick ("pairwise") pattern for
            odd k (odd numbers of Y need complex amplitudes).
        reps: ansatz repetitions; None = enough for about m / 2 parameters (at least 1).
        entangler: "cz" or "cx".
        alpha: tanh sharpness; None = the paper's 1.5 n^floor(k/2).
        beta: regularisation weight (paper: 1/2).
        nu: regularisation scale; None = the Poljak–Turzik bound of the QUBO's coupling graph.
        maxiter: evaluation cap when no ``budget`` is given.
        shots: None = exact correlators; an int = that many shots per measurement setting.
        init_scale: initial parameters uniform in [-init_scale, init_scale] * pi.
        gradient: "auto" (adjoint where a statevector is available, parameter shift on other
            exact backends, none with shots), "adjoint", "parameter-shift" or "none"
            (gradient-free optimisers).
        bit_swap: run PCE's bit-swap search on the best rounding (an extra sample row).
        bit_swap_sweeps: most sweeps of the bit-swap search.
        time_limit: stop training after this many seconds (status "time_limit").
    """

    k: int = 2
    num_qubits: int | None = None
    ansatz: str = "auto"
    reps: int | None = None
    entangler: str = "cz"
    alpha: float | None = None
    beta: float = 0.5
    nu: float | None = None
    maxiter: int = 200
    shots: int | None = None
    init_scale: float = 1.0
    gradient: str = "auto"
    bit_swap: bool = False
    bit_swap_sweeps: int = 100
    time_limit: float | None = None
    optimizer_options: dict = field(default_factory=dict)

    def validate(self) -> None:
        if self.k not in (1, 2, 3, 4):
            raise OptionError(f"k must be 1, 2, 3 or 4, got {self.k!r}")
        if self.alpha is not None and not self.alpha > 0:
            raise OptionError(f"alpha must be positive, got {self.alpha!r}")
        if self.beta < 0:
            raise OptionError(f"beta must be non-negative, got {self.beta!r}")
        if not isinstance(self.maxiter, int) or self.maxiter < 1:
            raise OptionError(f"maxiter must be a positive integer, got {self.maxiter!r}")
        if self.shots is not None and (not isinstance(self.shots, int) or self.shots < 1):
            raise OptionError(f"shots must be a positive integer or None, got {self.shots!r}")
        if self.gradient not in ("auto", "adjoint", "parameter-shift", "none"):
            raise OptionError("gradient must be 'auto', 'adjoint', 'parameter-shift' or 'none', "
                              f"got {self.gradient!r}")
        if self.time_limit is not None and not self.time_limit > 0:
            raise OptionError(f"time_limit must be positive seconds, got {self.time_limit!r}")
        if self.reps is not None and (not isinstance(self.reps, int) or self.reps < 0):
            raise OptionError(f"reps must be a non-negative integer, got {self.reps!r}")


def default_reps(kind: str, num_qubits: int, num_vars: int) -> int:
    """Ansatz repetitions giving about ``num_vars / 2`` parameters (at least one rep).

    Measured on a 500-node 3-regular MaxCut (k = 3, 12 qubits, 300 evaluations): 144
    parameters reached a sign-rounded cut of 571, 552 parameters 621 (annealing: 681)."""
    target = max(num_vars / 2.0, 1.0)
    per_rep = {"brickwork": 2 * num_qubits, "efficient-su2": 2 * num_qubits}.get(kind,
                                                                                num_qubits)
    base = {"brickwork": num_qubits, "efficient-su2": 2 * num_qubits}.get(kind, num_qubits)
    return max(1, math.ceil((target - base) / per_rep))


def make_pce_ansatz(opts: PCEOptions, num_qubits: int, num_vars: int):
    """The ansatz of a PCE run (see :class:`PCEOptions`)."""
    from qopt.solvers.quantum.ansatz import Ansatz

    kind = opts.ansatz
    entanglement = "linear"
    if kind == "auto":
        kind = "brickwork" if opts.k % 2 == 0 else "efficient-su2"
        entanglement = "pairwise"
    reps = opts.reps if opts.reps is not None else default_reps(kind, num_qubits, num_vars)
    return Ansatz(num_qubits, kind, reps, entanglement, opts.entangler)


class CorrelatorEvaluator:
    """Correlators and loss gradients of an ansatz on a backend (see the module docstring).

    Args:
        ansatz: an :class:`~qopt.solvers.quantum.ansatz.Ansatz`.
        encoding: the :class:`CorrelatorEncoding`.
        backend: a :class:`~qopt.backends.base.Backend`.
        shots: None for exact, else shots per measurement setting.
        seed: seeds the sampling.
    """

    def __init__(self, ansatz, encoding: CorrelatorEncoding, backend, shots: int | None,
                 seed=None):
        self.ansatz = ansatz
        self.encoding = encoding
        self.backend = backend
        self.rng = rng_from(seed)
        self.circuit = ansatz.circuit
        exact_ok = getattr(backend, "supports_exact", True)
        self.shots = shots if shots is not None else (None if exact_ok else backend.shots)
        self.has_state = self.shots is None and hasattr(backend, "state")
        self.evaluations = 0
        self.shots_used = 0
        # mitigation (device backends): circuits per estimate, one readout calibration's shots
        self.settings, self.calibration = measurement_cost(backend, self.shots)
        self._rotated = {b: self.circuit.compose(basis_rotation_circuit(ansatz.num_qubits, b))
                         for b in encoding.used_bases()}
        self.engine = None
        if self.has_state:
            from qopt.backends.statevector import StatevectorEngine

            self.engine = StatevectorEngine(ansatz.num_qubits)
            self.ops = engine_ops(ansatz)
            self.layered = LayeredCircuit(self.engine, self.ops)
        self._last: tuple | None = None
        # the in-house backend's states come straight from the engine's gate path
        self._direct = self.has_state and getattr(backend, "name", "") == "statevector"

    @property
    def num_params(self) -> int:
        return self.ansatz.num_parameters

    # ---- correlators -------------------------------------------------------------------
    def state(self, theta: np.ndarray) -> np.ndarray:
        """The ansatz state at ``theta`` (the engine's buffer on the direct path; the last
        state is reused when the same ``theta`` comes again, as for a value then its
        gradient)."""
        theta = np.asarray(theta, dtype=float)
        key = theta.tobytes()
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        if self._direct:
            psi = self.layered.state(theta, self.engine.state)
        else:
            psi = np.asarray(self.backend.state(self.circuit, theta))
        self._last = (key, psi)
        return psi

    def correlators(self, theta: np.ndarray) -> np.ndarray:
        """<Pi_i>, shape (m,), at one parameter set (one evaluation)."""
        self.evaluations += 1
        if self.has_state:
            return self.encoding.correlators(self.state(theta))
        return self._batch_correlators(np.asarray(theta, float)[None, :])[0]

    def _batch_correlators(self, thetas: np.ndarray) -> np.ndarray:
        """(k, m) correlators of a batch through the backend's distributions (3 settings)."""
        k = thetas.shape[0]
        out = np.empty((k, self.encoding.num_vars))
        per_basis: dict[int, list] = {}
        for b, circ in self._rotated.items():
            if self.shots is None:
                per_basis[b] = list(np.atleast_2d(self.backend.probabilities(circ, thetas)))
            else:
                seed = int(self.rng.integers(2**31 - 1))
                # mitigated quasi-distributions on a mitigated device backend, else counts
                sampled = getattr(self.backend, "distributions", self.backend.counts)
                per_basis[b] = sampled(circ, thetas, self.shots, seed=seed)
                self.shots_used += self.shots * k * self.settings
        for r in range(k):
            if self.shots is None:
                out[r] = self.encoding.correlators_from_probabilities(
                    {b: per_basis[b][r] for b in per_basis})
            else:
                out[r] = self.encoding.correlators_from_counts(
                    {b: per_basis[b][r] for b in per_basis})
        return out

    # ---- gradients ---------------------------------------------------------------------
    def gradient_method(self, requested: str) -> str:
        if requested == "auto":
            if self.has_state:
                return "adjoint"
            return "parameter-shift" if self.shots is None else "none"
        if requested == "adjoint" and not self.has_state:
            raise OptionError("gradient='adjoint' needs the exact mode of a statevector backend")
        return requested

    def gradient(self, theta: np.ndarray, coeffs: np.ndarray, method: str) -> np.ndarray:
        """d/dtheta of <O> with ``O = sum_i coeffs[i] Pi_i`` fixed, shape (P,).

        The adjoint sweep rides on the value's evaluation (not counted again); the shift rule
        adds 2P evaluations."""
        if method == "adjoint":
            return self._adjoint(np.asarray(theta, float), np.asarray(coeffs, float))
        P = self.num_params
        shift = np.eye(P) * (np.pi / 2)
        batch = np.vstack([theta + shift, theta - shift])
        self.evaluations += 2 * P
        if self.has_state:
            corr = np.array([self.encoding.correlators(self.state(t)) for t in batch])
        else:
            corr = self._batch_correlators(batch)
        return 0.5 * (corr[:P] - corr[P:]) @ coeffs

    def _adjoint(self, theta: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
        def apply_obs(psi):
            return self.encoding.apply_observable(psi, coeffs)

        return self.layered.gradient(theta, self.state(theta), apply_obs)


# ---- adjoint sweep with a non-diagonal observable, on the engine's gate path ---------------

_GENERATORS = {"rx": np.array([[0, 1], [1, 0]], dtype=np.complex128),
               "ry": np.array([[0, -1j], [1j, 0]], dtype=np.complex128),
               "rz": np.array([[1, 0], [0, -1]], dtype=np.complex128)}


def engine_ops(ansatz) -> list:
    """The ansatz's op list as :class:`qopt.backends.statevector.Op` objects."""
    from qopt.backends.statevector import Op

    return [Op(gate, tuple(qubits), k) for gate, qubits, k in ansatz.ops]


class LayeredCircuit:
    """An ansatz op list regrouped into layers the engine applies in cache-blocked passes.

    Layers: ``("rot", qubits, names, params)`` — at most one parametrised rx / ry / rz per
    qubit, applied together by :meth:`StatevectorEngine.apply_product` and differentiated by
    :meth:`StatevectorEngine.backward_layer`; ``("diag", signs)`` — a run of CZ gates as one
    ±1 diagonal; ``("cx", pairs)``. Rotations on different qubits commute, so moving a gate
    into the current layer keeps the circuit; a qubit seen twice starts a new layer.
    """

    def __init__(self, engine, ops):
        self.engine = engine
        self.n = engine.num_qubits
        self.num_params = 1 + max((op.param for op in ops if op.param is not None), default=-1)
        self.layers: list[tuple] = []
        block: list = []        # consecutive parametrised rotations
        czs: list[tuple[int, int]] = []
        for op in ops:
            if op.name in _GENERATORS and op.param is not None and op.scale == 1.0 \
                    and op.angle == 0.0:
                if czs:
                    self._flush_cz(czs)
                block.append(op)
            elif op.name in ("cz", "cx"):
                if block:
                    self._flush_rot(block)
                if op.name == "cz":
                    czs.append(tuple(op.qubits))
                else:
                    if czs:
                        self._flush_cz(czs)
                    self.layers.append(("cx", [tuple(op.qubits)]))
            else:
                raise OptionError(f"the layered path has no rule for gate {op.name!r}")
        if block:
            self._flush_rot(block)
        if czs:
            self._flush_cz(czs)

    def _flush_rot(self, block: list) -> None:
        """A block of rotations as layers: the j-th gate on a qubit goes to layer j (gates on
        different qubits commute; each qubit keeps its order)."""
        depth: dict[int, int] = {}
        layers: list[dict[int, tuple[str, int]]] = []
        for op in block:
            q = op.qubits[0]
            j = depth.get(q, 0)
            depth[q] = j + 1
            if j == len(layers):
                layers.append({})
            layers[j][q] = (op.name, op.param)
        for cur in layers:
            qubits = np.array(sorted(cur), dtype=np.int64)
            self.layers.append(("rot", qubits, [cur[q][0] for q in qubits],
                                np.array([cur[q][1] for q in qubits], dtype=np.int64)))
        block.clear()

    def _flush_cz(self, czs: list) -> None:
        idx = np.arange(1 << self.n, dtype=np.int64)
        parity = np.zeros(1 << self.n, dtype=np.int64)
        for a, b in czs:
            parity ^= (idx >> a) & (idx >> b) & 1
        self.layers.append(("diag", 1.0 - 2.0 * parity))
        czs.clear()

    def _mats(self, layer, theta, sign: float) -> np.ndarray:
        from qopt.backends.statevector import rotation_matrix

        _, qubits, names, params = layer
        mats = np.broadcast_to(np.eye(2, dtype=np.complex128), (self.n, 2, 2)).copy()
        for q, name, k in zip(qubits, names, params):
            mats[q] = rotation_matrix(name, sign * float(theta[k]))
        return mats

    def state(self, theta, psi: np.ndarray) -> np.ndarray:
        """|psi(theta)> from |0...0>, written into ``psi`` (shape (2^n,) complex128)."""
        eng = self.engine
        psi.fill(0)
        psi[0] = 1.0
        for layer in self.layers:
            if layer[0] == "rot":
                eng.apply_product(self._mats(layer, theta, 1.0), psi)
            elif layer[0] == "diag":
                eng.multiply_diagonal(psi, psi, layer[1])
            else:
                for c, t in layer[1]:
                    eng.apply_cx(c, t, psi)
        return psi

    def gradient(self, theta, psi: np.ndarray, apply_obs) -> np.ndarray:
        """Adjoint gradient of ``<psi|O|psi>``, shape (P,), ``psi`` the final state."""
        eng = self.engine
        phi = np.array(psi, dtype=np.complex128, copy=True)
        lam = np.array(apply_obs(phi), dtype=np.complex128, copy=True)
        grad = np.zeros(self.num_params)
        for layer in reversed(self.layers):
            if layer[0] == "rot":
                _, qubits, names, params = layer
                gens = np.zeros((self.n, 2, 2), dtype=np.complex128)
                for q, name in zip(qubits, names):
                    gens[q] = _GENERATORS[name]
                imov, _ = eng.backward_layer(phi, lam, self._mats(layer, theta, -1.0), gens, 1)
                np.add.at(grad, params, imov[qubits])
            elif layer[0] == "diag":
                eng.multiply_diagonal(phi, phi, layer[1])
                eng.multiply_diagonal(lam, lam, layer[1])
            else:
                for c, t in reversed(layer[1]):
                    eng.apply_cx(c, t, phi)
                    eng.apply_cx(c, t, lam)
        return grad


def ansatz_adjoint_gradient(engine, ops, theta: np.ndarray, psi: np.ndarray, apply_obs
                            ) -> np.ndarray:
    """Adjoint-method gradient of ``<psi(theta)| O |psi(theta)>``, shape (P,).

    ``engine`` is a :class:`~qopt.backends.statevector.StatevectorEngine` (its gate path
    applies the inverse gates), ``ops`` its op list (parametrised gates rx / ry / rz),
    ``psi`` the final state and ``apply_obs`` maps a state to O times it. The engine's own
    ``circuit_gradient`` takes diagonal observables only; PCE's and QRAO's are not.
    """
    phi = np.array(psi, dtype=np.complex128, copy=True)
    lam = np.asarray(apply_obs(phi), dtype=np.complex128).copy()
    grad = np.zeros(len(theta))
    for op in reversed(ops):
        if op.param is not None:
            if op.name not in _GENERATORS:
                raise OptionError(f"no adjoint rule for parametrised gate {op.name!r}")
            gphi = engine.apply_1q(_GENERATORS[op.name], op.qubits[0], phi.copy())
            # d/dt exp(-i t P / 2): dE/dtheta = Im <lam| P |phi> (phi after the gate)
            grad[op.param] += op.scale * float(np.vdot(lam, gphi).imag)
        engine.apply_op(op, theta, phi, inverse=True)
        engine.apply_op(op, theta, lam, inverse=True)
    return grad


class PCESolver(Solver):
    """Pauli Correlation Encoding (see the module docstring)."""

    name = "pce"
    input = "qubo"
    Options = PCEOptions
    #: device runs take mitigation= (correlators from mitigated quasi-distributions)
    supports_mitigation = True

    def plan_resources(self, plan, task, *, backend=None, optimizer=None, budget=None):
        """On the statevector: the register state, sampling vectors, the adjoint sweep's two
        states and the three basis-rotated copies the correlators are read from."""
        opts: PCEOptions = self.options
        m = task.qubo.num_vars
        n = int(opts.num_qubits) if opts.num_qubits is not None else pce_num_qubits(m, opts.k)
        option = "--num-qubits" if opts.num_qubits is not None else "--k"
        if backend not in (None, "statevector"):
            add_simulator(plan, backend, n, option)
            return
        add_statevector(plan, n, gradient=True, diagonal=False, option=option,
                        what="PCE register state")
        plan.add(f"basis-rotated states (3 x 2^{n} complex128)", 48 << n, option)

    def run(self, task: Task, *, backend=None, optimizer=None, seed=None,
            budget=None) -> SolverOutput:
        from qopt.backends.base import Backend
        from qopt.backends.registry import get_backend

        opts: PCEOptions = self.options
        t0 = time.perf_counter()
        qubo = task.qubo
        m = qubo.num_vars
        enc = CorrelatorEncoding.pce(m, opts.k, opts.num_qubits)
        n = enc.num_qubits
        ansatz = make_pce_ansatz(opts, n, m)
        rng = rng_from(seed)
        be = get_backend(backend)
        before = be.usage.executions
        try:
            out = self._train(task, opts, enc, ansatz, be, optimizer, rng, budget, t0)
            if be.usage.executions > before:    # circuits ran (not the engine's own ops)
                out.info["circuit_executions"] = be.usage.executions - before
            return out
        finally:
            if not isinstance(backend, Backend):    # a backend made here is closed here
                be.close()

    def _train(self, task, opts, enc, ansatz, be, optimizer, rng, budget, t0) -> SolverOutput:
        qubo = task.qubo
        m, n = enc.num_vars, enc.num_qubits
        ev = CorrelatorEvaluator(ansatz, enc, be, opts.shots, rng)
        method = ev.gradient_method(opts.gradient)
        alpha = opts.alpha if opts.alpha is not None else default_alpha(n, opts.k)
        loss = PCELoss(qubo, alpha, opts.beta, opts.nu)
        from qopt.solvers.optimizers import get_optimizer

        opt = get_optimizer(optimizer, "l-bfgs-b" if method != "none" else "cobyla",
                            **opts.optimizer_options)
        opt_name = getattr(opt, "name", "") or type(opt).__name__
        use_grad = method != "none" and getattr(opt, "uses_gradient", True)
        # evaluations per optimiser call: one parameter set (adjoint value + gradient counts
        # as one, the convention of qopt.solvers.optimizers), 2P + 1 with the shift rule
        cost = 2 * ev.num_params + 1 if use_grad and method == "parameter-shift" else 1
        calibrated = calibration_spent(be)
        usage = getattr(be, "usage", None)      # a circuit backend's counts so far
        executed = None if usage is None else usage.executions
        plan = plan_quantum_budget(budget, opts.maxiter, shots=ev.shots,
                                   settings=len(ev._rotated) * ev.settings,
                                   reserved=len(ev._rotated) * ev.calibration,
                                   reserved_for="the readout calibration of each basis circuit")
        limit = plan.limit
        if limit < cost:
            raise OptionError(f"budget {limit} is below the {cost} evaluations of one "
                              "parameter-shift gradient; raise it or use gradient='none'")

        history: list[dict] = []
        best = {"energy": np.inf, "bits": None, "loss": np.inf, "theta": None, "corr": None}

        def record(theta, c, value):
            bits = sign_round(c)
            e = float(qubo.energy(bits))
            if e < best["energy"]:
                best["energy"], best["bits"] = e, bits
            if value < best["loss"]:
                best.update(loss=value, theta=np.array(theta, copy=True), corr=c.copy())
            history.append({"evaluation": ev.evaluations, "loss": value, "energy": e})

        from qopt.solvers.optimizers import BudgetExhausted

        deadline = None if opts.time_limit is None else t0 + float(opts.time_limit)
        timed_out = [False]

        def check_time():
            if deadline is not None and time.perf_counter() > deadline and history:
                timed_out[0] = True
                raise BudgetExhausted

        def fun(theta):
            check_time()
            c = ev.correlators(theta)
            value = loss(c)
            record(theta, c, value)
            return value

        def value_and_grad(theta):
            check_time()
            c = ev.correlators(theta)
            value, dc = loss.value_and_grad(c)
            record(theta, c, value)
            return value, ev.gradient(theta, dc, method)

        x0 = rng.uniform(-1, 1, ev.num_params) * np.pi * opts.init_scale
        outcome = opt.minimize(fun, x0, grad=value_and_grad if use_grad else None,
                               budget=max(1, limit // cost), rng=rng)
        status = "budget" if outcome.message == "evaluation budget exhausted" else "done"
        if timed_out[0]:
            status = "time_limit"
        if best["corr"] is None:
            raise OptionError(f"budget {budget} is too small for one PCE evaluation")
        final_bits = sign_round(best["corr"])
        rows = [final_bits, best["bits"]]
        weights = [1.0, 0.0]
        labels = ["sign_at_best_loss", "best_sign_seen"]
        info = {"k": opts.k, "num_qubits": n, "num_vars": m, "compression": m / n,
                "ansatz": {"kind": ansatz.kind, "reps": ansatz.reps,
                           "entanglement": ansatz.entanglement, "entangler": ansatz.entangler,
                           "parameters": ansatz.num_parameters},
                "alpha": alpha, "beta": loss.beta, "nu": loss.nu, "gradient": method,
                "optimizer": str(opt_name), "optimizer_message": outcome.message,
                "best_loss": float(best["loss"]),
                "relaxed_energy": loss.relaxed_energy(best["corr"]),
                "energy_at_best_loss": float(qubo.energy(final_bits)),
                "best_energy_seen": float(best["energy"]),
                "theta": [float(v) for v in best["theta"]],
                "circuit_evaluations": ev.evaluations}
        if opts.bit_swap:
            start = final_bits if qubo.energy(final_bits) <= best["energy"] else best["bits"]
            swapped, rec = bit_swap_search(qubo, start, opts.bit_swap_sweeps)
            rows.append(swapped)
            weights.append(0.0)
            labels.append("bit_swap")
            info["bit_swap"] = rec
        info["rows"] = labels
        depth, twoq = ansatz.circuit.depth(), ansatz.num_two_qubit_gates
        if ev.shots is not None and executed is not None:
            # every circuit run: 3 basis circuits per estimate, ZNE folds, calibrations
            info["circuit_executions"] = usage.executions - executed
            if usage.depth is not None:             # the circuit as run (device ISA)
                depth, twoq = usage.depth, usage.two_qubit_gates
        samples = Samples(np.vstack(rows), np.array(weights))
        return SolverOutput(
            samples=samples, status=status,
            evaluations=plan.charged(ev.evaluations, calibration_spent(be) - calibrated),
            shots=(ev.shots_used + calibration_spent(be) - calibrated
                   if ev.shots is not None else None), history=history,
            num_qubits=n, depth=depth, two_qubit_gates=twoq,
            time={"classical": time.perf_counter() - t0}, info=info)


__all__ = ["CorrelatorEvaluator", "LayeredCircuit", "PCEOptions", "PCESolver",
           "ansatz_adjoint_gradient", "engine_ops", "make_pce_ansatz"]
