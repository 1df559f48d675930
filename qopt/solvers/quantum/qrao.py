"""Quantum Random Access Optimization (Fuller et al., arXiv:2111.03167): ``solver="qrao"``.

1. Encode the QUBO's variables with a (q, 1) QRAC, q = ``max_vars_per_qubit`` in {1, 2, 3}:
   greedy colouring of the interaction graph, then q variables of one colour per qubit
   (:class:`~qopt.solvers.quantum.qrac.QRACEncoding`).
2. Minimise the relaxed Hamiltonian (a ``SparsePauliOp``) variationally: a hardware-efficient
   ansatz of :mod:`qopt.solvers.quantum.ansatz` on any backend (``relaxation="circuit"``), or
   product states in closed form (``relaxation="product"``, any width; the QRAC states
   themselves are product states). ``"auto"`` takes the circuit up to ``max_circuit_qubits``
   qubits and product states beyond.
3. Round: semideterministic (Pauli) rounding of the expectations ``<P_i>`` and/or magic
   rounding (``shots`` draws, magic bases uniform per shot and qubit, seeded).

Exact mode on a statevector backend evaluates ``<H>`` with the operator's sparse matrix (built
once) and its gradient by the adjoint method; other backends (Aer, Lightning, IBM, shots) go
through the backend's ``expectation`` / ``gradient`` (parameter shift or the backend's own).
Expectations for Pauli rounding on sampling backends use three measurement settings (X, Y, Z
bases), like PCE.

Optimisers come from :mod:`qopt.solvers.optimizers` (default ``"l-bfgs-b"`` with gradients,
``"cobyla"`` without). Budget (:mod:`qopt.solvers.budget`): ``budget`` is in objective
evaluations, the unit of every solver: a parameter set costs 1 in exact mode (a value with its
adjoint gradient counts one, a shift-rule gradient 2P sets more) and ``shots`` per measurement
group on a sampling backend; the rounding shots (and, sampling, the rounding's correlator
estimate) are paid first. ``maxiter`` caps the parameter sets when no budget is given;
``info["circuit_evaluations"]`` counts them.

Samples (over the QUBO's variables): the magic-rounding outcomes with their counts, and the
semideterministic rounding with weight 0 when both roundings run (weight 1 when it is alone).
``num_qubits`` is the QRAC register width.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np

from qopt.errors import OptionError
from qopt.solvers.base import Samples, Solver, SolverOutput, Task, rng_from
from qopt.solvers.budget import QuantumBudget, final_shots, plan_quantum_budget
from qopt.solvers.plans import add_samples, add_statevector
from qopt.solvers.quantum.ansatz import check_ansatz_options
from qopt.solvers.quantum.pce import CorrelatorEvaluator, LayeredCircuit, engine_ops
from qopt.solvers.quantum.qrac import (
    ProductRelaxation,
    QRACEncoding,
    merge_counts,
    semideterministic_rounding,
)

ROUNDINGS = ("semideterministic", "magic", "both")
RELAXATIONS = ("auto", "circuit", "product")


@dataclass
class QRAOOptions:
    """Options of QRAO.

    Attributes:
        max_vars_per_qubit: q of the (q, 1) QRAC: 1, 2 or 3.
        relaxation: "auto", "circuit" or "product" (see the module docstring).
        max_circuit_qubits: widest register "auto" simulates as a circuit.
        ansatz: ansatz kind of :mod:`qopt.solvers.quantum.ansatz` (complex amplitudes are
            needed for Y-encoded variables: the default "efficient-su2" has RY and RZ).
        reps: ansatz repetitions.
        entanglement: entangling pattern of the ansatz.
        entangler: "cx" or "cz".
        maxiter: evaluation cap when no ``budget`` is given.
        shots: None = exact expectations; an int = shots per evaluation (sampling backends).
        rounding: "semideterministic", "magic" or "both".
        rounding_shots: magic-rounding draws (None: 1000, capped at half the budget).
        gradient: "auto", "adjoint", "backend" (the backend's gradient: parameter shift or its
            own adjoint) or "none" (gradient-free optimisers).
        init_scale: initial parameters uniform in [-init_scale, init_scale] * pi.
        colouring: networkx greedy-colouring strategy.
    """

    max_vars_per_qubit: int = 3
    relaxation: str = "auto"
    max_circuit_qubits: int = 16
    ansatz: str = "efficient-su2"
    reps: int = 2
    entanglement: str = "linear"
    entangler: str = "cx"
    maxiter: int = 200
    shots: int | None = None
    rounding: str = "both"
    rounding_shots: int | None = None
    gradient: str = "auto"
    init_scale: float = 1.0
    colouring: str = "largest_first"
    optimizer_options: dict = field(default_factory=dict)

    def validate(self) -> None:
        check_ansatz_options(self.ansatz, self.reps, self.entanglement, self.entangler)
        if self.max_vars_per_qubit not in (1, 2, 3):
            raise OptionError("max_vars_per_qubit must be 1, 2 or 3, got "
                              f"{self.max_vars_per_qubit!r}")
        if self.relaxation not in RELAXATIONS:
            raise OptionError(f"relaxation must be one of {', '.join(RELAXATIONS)}, got "
                              f"{self.relaxation!r}")
        if self.rounding not in ROUNDINGS:
            raise OptionError(f"rounding must be one of {', '.join(ROUNDINGS)}, got "
                              f"{self.rounding!r}")
        if self.gradient not in ("auto", "adjoint", "backend", "none"):
            raise OptionError("gradient must be 'auto', 'adjoint', 'backend' or 'none', got "
                              f"{self.gradient!r}")
        if not isinstance(self.maxiter, int) or self.maxiter < 1:
            raise OptionError(f"maxiter must be a positive integer, got {self.maxiter!r}")
        if self.rounding_shots is not None and (not isinstance(self.rounding_shots, int)
                                                or self.rounding_shots < 1):
            raise OptionError(f"rounding_shots must be a positive integer, got "
                              f"{self.rounding_shots!r}")
        if self.shots is not None and (not isinstance(self.shots, int) or self.shots < 1):
            raise OptionError(f"shots must be a positive integer or None, got {self.shots!r}")


class _Counter:
    """Parameter sets evaluated (a value with its adjoint gradient counts one) against the
    run's :class:`~qopt.solvers.budget.QuantumBudget` (set once the mode is known)."""

    def __init__(self, budget, maxiter: int):
        self.budget = budget
        self.maxiter = int(maxiter)
        self.plan: QuantumBudget | None = None      # set by set_plan before optimising
        self.evaluations = 0
        self.final = 0          # rounding shots / estimates after the optimisation

    def set_plan(self, *, shots: int | None, settings: int, reserved: int) -> None:
        self.plan = plan_quantum_budget(self.budget, self.maxiter, shots=shots,
                                        settings=settings, reserved=reserved,
                                        reserved_for="the rounding shots")

    @property
    def limit(self) -> int:
        return self.plan.limit

    def spend(self, k: int) -> None:
        self.evaluations += k


class QRAOSolver(Solver):
    """Quantum random access optimisation (see the module docstring)."""

    name = "qrao"
    input = "qubo"
    Options = QRAOOptions

    def plan_resources(self, plan, task, *, backend=None, optimizer=None, budget=None):
        """Exact circuit relaxation on the statevector backend: the relaxed Hamiltonian's sparse
        matrix (built by Qiskit before any state: one entry per basis state and distinct X/Y
        pattern of its terms, 20 bytes each; the build peaks at ~3x that, measured at n = 12
        and 16), the engine state,
        the adjoint sweep's buffers and H|psi>; always the rounding samples."""
        from qopt.backends.adapter import StatevectorBackend

        opts: QRAOOptions = self.options
        qubo = task.qubo
        enc = QRACEncoding.from_qubo(qubo, opts.max_vars_per_qubit, opts.colouring)
        n = enc.num_qubits
        mode = opts.relaxation
        if mode == "auto":
            mode = "circuit" if n <= opts.max_circuit_qubits else "product"
        exact_state = (backend in (None, "statevector") or isinstance(backend, StatevectorBackend))
        if mode == "circuit" and opts.shots is None and exact_state:
            terms, _ = enc.relaxed_terms(qubo)
            patterns = {frozenset(q for ch, q in zip(s, qs, strict=True) if ch in "XY")
                        for s, qs, _ in terms} | {frozenset()}
            nnz = len(patterns) << n
            option = "--relaxation" if opts.relaxation == "circuit" else "--max-circuit-qubits"
            fix = "use --relaxation product" if option == "--relaxation" else None
            plan.add(f"relaxed Hamiltonian as a sparse matrix (2^{n} x {len(patterns)} entries)",
                     64 * nnz, option, fix=fix)
            add_statevector(plan, n, gradient=True, diagonal=False, option=option,
                            what="QRAC register state", fix=fix)
            plan.add(f"H|psi> (2^{n} complex128)", 16 << n, option, fix=fix)
        add_samples(plan, opts.rounding_shots or 1000, qubo.num_vars, "--rounding-shots")

    def run(self, task: Task, *, backend=None, optimizer=None, seed=None,
            budget=None) -> SolverOutput:
        opts: QRAOOptions = self.options
        t0 = time.perf_counter()
        qubo = task.qubo
        rng = rng_from(seed)
        enc = QRACEncoding.from_qubo(qubo, opts.max_vars_per_qubit, opts.colouring)
        n = enc.num_qubits
        mode = opts.relaxation
        if mode == "auto":
            mode = "circuit" if n <= opts.max_circuit_qubits else "product"
        counter = _Counter(budget, opts.maxiter)
        magic_shots = (final_shots(opts.rounding_shots, budget, default=1000)
                       if opts.rounding in ("magic", "both") else 0)
        opts = dataclasses.replace(opts, rounding_shots=magic_shots or None)
        history: list[dict] = []
        info: dict = {"max_vars_per_qubit": enc.max_vars_per_qubit, "num_qubits": n,
                      "num_vars": enc.num_vars, "compression": enc.compression_ratio,
                      "relaxation": mode, "q2vars": enc.q2vars}
        if mode == "product":
            out = self._run_product(enc, qubo, opts, optimizer, rng, counter, history, info)
        else:
            out = self._run_circuit(enc, qubo, opts, backend, optimizer, rng, counter, history,
                                    info)
        samples, status, shots, depth, twoq = out
        info["best_relaxed_energy"] = min((h["relaxed_energy"] for h in history),
                                          default=None)
        info["circuit_evaluations"] = counter.evaluations
        return SolverOutput(samples=samples, status=status,
                            evaluations=counter.plan.charged(counter.evaluations,
                                                             counter.final),
                            shots=shots, history=history, num_qubits=n, depth=depth,
                            two_qubit_gates=twoq, time={"classical": time.perf_counter() - t0},
                            info=info)

    # ---- product states ----------------------------------------------------------------------
    def _run_product(self, enc, qubo, opts, optimizer, rng, counter, history, info):
        model = ProductRelaxation(enc, qubo)
        best = {"value": np.inf, "x": None}

        def fg(x):
            counter.spend(1)
            value, grad = model.value_and_grad(x)
            history.append({"evaluation": counter.evaluations, "relaxed_energy": value})
            if value < best["value"]:
                best.update(value=value, x=np.array(x, copy=True))
            return value, grad

        x0 = rng.uniform(-1, 1, model.num_params) * np.pi * opts.init_scale
        counter.set_plan(shots=None, settings=1, reserved=opts.rounding_shots or 0)
        status = _optimise(lambda x: fg(x)[0], fg, x0, optimizer, opts, counter, 1, rng, info)
        if best["x"] is None:
            raise OptionError(f"budget {counter.budget} is too small for one QRAO evaluation")
        angles = best["x"]
        rows, weights = [], []
        semi = None
        if opts.rounding in ("semideterministic", "both"):
            semi = semideterministic_rounding(model.expectations(angles), rng)
        magic = None
        if opts.rounding in ("magic", "both"):
            magic = model.magic_rounding(angles, opts.rounding_shots, rng)
        samples = _combine(semi, magic, rows, weights)
        counter.final = opts.rounding_shots if magic is not None else 0
        info["ansatz"] = {"kind": "product", "parameters": model.num_params}
        return samples, status, opts.rounding_shots if magic is not None else None, 1, 0

    # ---- circuits ---------------------------------------------------------------------------
    def _run_circuit(self, enc, qubo, opts, backend, optimizer, rng, counter, history, info):
        from qopt.backends.base import Backend
        from qopt.backends.registry import get_backend

        be = get_backend(backend)
        before = be.usage.executions
        try:
            out = self._circuit(enc, qubo, opts, be, optimizer, rng, counter, history, info)
            if be.usage.executions > before:    # every circuit it ran (groups, rounding)
                info["circuit_executions"] = be.usage.executions - before
            return out
        finally:
            if not isinstance(backend, Backend):    # a backend made here is closed here
                be.close()

    def _circuit(self, enc, qubo, opts, be, optimizer, rng, counter, history, info):
        from qopt.solvers.quantum.ansatz import Ansatz

        ansatz = Ansatz(enc.num_qubits, opts.ansatz, opts.reps, opts.entanglement,
                        opts.entangler)
        circuit = ansatz.circuit
        H = enc.relaxed_hamiltonian(qubo)
        exact_ok = getattr(be, "supports_exact", True)
        shots = opts.shots if opts.shots is not None else (None if exact_ok else be.shots)
        has_state = shots is None and hasattr(be, "state")
        method = opts.gradient
        if method == "auto":
            method = "adjoint" if has_state else ("backend" if shots is None else "none")
        if method == "adjoint" and not has_state:
            raise OptionError("gradient='adjoint' needs the exact mode of a statevector backend")
        Hs = H.to_matrix(sparse=True) if has_state else None
        engine = layered = None
        direct = has_state and getattr(be, "name", "") == "statevector"
        if has_state:
            from qopt.backends.statevector import StatevectorEngine

            engine = StatevectorEngine(enc.num_qubits)
            layered = LayeredCircuit(engine, engine_ops(ansatz))

        def state(x):
            if direct:
                return layered.state(np.asarray(x, dtype=float), engine.state)
            return np.asarray(be.state(circuit, x))
        best = {"value": np.inf, "x": None}
        P = ansatz.num_parameters
        # evaluations of one value-and-gradient call: 1 with the adjoint sweep (the
        # optimizers' convention), 2P + 1 through the backend's shift rule
        cost_grad = 1 if method == "adjoint" or getattr(be, "supports_gradient", False) \
            else 2 * P + 1

        sampled = None if shots is None else SampledPauliSum(H, circuit)
        spent = {"shots": 0}

        def value(x):
            if has_state:
                psi = state(x)
                return float(np.real(np.vdot(psi, Hs @ psi))), psi
            if sampled is not None:
                spent["shots"] += shots * len(sampled.groups)
                return sampled.expectation(be, x, shots, rng), None
            return float(be.expectation(circuit, x, H)), None

        def f(x):
            counter.spend(1)
            v, psi = value(x)
            history.append({"evaluation": counter.evaluations, "relaxed_energy": v})
            if v < best["value"]:
                best.update(value=v, x=np.array(x, copy=True))
            return v, psi

        def fg(x):
            v, psi = f(x)
            if method == "adjoint":
                return v, layered.gradient(x, psi, lambda s: Hs @ s)
            counter.spend(cost_grad - 1)
            return v, np.asarray(be.gradient(circuit, x, H, shots=shots)[1], dtype=float)

        x0 = rng.uniform(-1, 1, P) * np.pi * opts.init_scale
        semi_shots = (3 * shots if shots is not None and not has_state
                      and opts.rounding in ("semideterministic", "both") else 0)
        counter.set_plan(shots=shots, settings=len(sampled.groups) if sampled else 1,
                         reserved=(opts.rounding_shots or 0) + semi_shots)
        status = _optimise(lambda x: f(x)[0], fg if method != "none" else None, x0, optimizer,
                           opts, counter, cost_grad, rng, info)
        if best["x"] is None:
            raise OptionError(f"budget {counter.budget} is too small for one QRAO evaluation")
        theta = best["x"]
        semi = magic = None
        shots_used = spent["shots"]
        if sampled is not None:
            info["measurement_groups"] = len(sampled.groups)
        if has_state:
            psi = np.array(state(theta), copy=True)
            if opts.rounding in ("semideterministic", "both"):
                semi = semideterministic_rounding(enc.expectations(psi), rng)
            if opts.rounding in ("magic", "both"):
                magic = enc.magic_rounding_statevector(psi, opts.rounding_shots, rng)
                shots_used += opts.rounding_shots
        else:
            if opts.rounding in ("semideterministic", "both"):
                ev = CorrelatorEvaluator(ansatz, enc.correlator_encoding(), be, shots, rng)
                ev.has_state = False
                semi = semideterministic_rounding(ev.correlators(theta), rng)
                shots_used += ev.shots_used
            if opts.rounding in ("magic", "both"):
                magic = self._magic_on_backend(enc, be, circuit, theta, opts.rounding_shots, rng)
                shots_used += opts.rounding_shots
        samples = _combine(semi, magic, [], [])
        counter.final = shots_used - spent["shots"]
        info["ansatz"] = {"kind": ansatz.kind, "reps": ansatz.reps,
                          "entanglement": ansatz.entanglement, "parameters": P}
        info["gradient"] = method
        info["relaxed_hamiltonian_terms"] = len(H)
        info["theta"] = [float(v) for v in theta]
        return (samples, status, shots_used or None, circuit.depth(),
                ansatz.num_two_qubit_gates)

    @staticmethod
    def _magic_on_backend(enc, be, circuit, theta, shots, rng) -> Samples:
        """Magic rounding through a sampling backend: one circuit per distinct basis row."""
        from qopt.bits import indices_to_bits

        rows, counts, circuits = enc.magic_rounding_circuits(circuit, shots, rng)
        bits, weights = [], []
        for row, cnt, qc in zip(rows, counts, circuits):
            (idx, c), = be.counts(qc, theta, int(cnt), seed=int(rng.integers(2**31 - 1)))
            outcomes = indices_to_bits(idx, enc.num_qubits)
            bits.append(enc.decode_magic(np.broadcast_to(row, outcomes.shape), outcomes))
            weights.append(np.asarray(c, dtype=float))
        return merge_counts(np.vstack(bits), np.concatenate(weights))


class SampledPauliSum:
    """``<H>`` of a Pauli sum from samples: one measurement setting per qubit-wise commuting
    group of terms (the circuit, then H or S^dagger H on qubits measured in X or Y)."""

    def __init__(self, op, circuit):
        self.circuit = circuit
        self.groups = []
        n = op.num_qubits
        for group in op.group_commuting(qubit_wise=True):
            z, x = group.paulis.z, group.paulis.x
            basis_x = np.any(x & ~z, axis=0)      # X on that qubit in some term
            basis_y = np.any(x & z, axis=0)       # Y on that qubit in some term
            qc = circuit.copy()
            for q in range(n):
                if basis_y[q]:
                    qc.sdg(q)
                if basis_x[q] or basis_y[q]:
                    qc.h(q)
            weights = np.left_shift(np.int64(1), np.arange(n, dtype=np.int64))
            masks = (z | x).astype(np.int64) @ weights
            coeffs = np.real(group.coeffs) * np.where(group.paulis.phase % 2 == 0, 1.0, 0.0)
            signs = np.where(group.paulis.phase == 2, -1.0, 1.0)
            self.groups.append((qc, masks, coeffs * signs))

    def expectation(self, backend, theta, shots: int, rng) -> float:
        total = 0.0
        for qc, masks, coeffs in self.groups:
            (idx, cnt), = backend.counts(qc, theta, shots, seed=int(rng.integers(2**31 - 1)))
            parity = np.bitwise_count(idx[:, None] & masks[None, :]) & 1   # (outcomes, terms)
            vals = (1.0 - 2.0 * parity).T @ (cnt / cnt.sum())
            total += float(coeffs @ vals)
        return total


def _optimise(fun, value_and_grad, x0, optimizer, opts, counter: _Counter, cost: int, rng,
              info: dict) -> str:
    """Run a :mod:`qopt.solvers.optimizers` optimizer within ``counter.limit`` evaluations."""
    from qopt.solvers.optimizers import get_optimizer

    opt = get_optimizer(optimizer, "l-bfgs-b" if value_and_grad is not None else "cobyla",
                        **opts.optimizer_options)
    use_grad = value_and_grad is not None and getattr(opt, "uses_gradient", True)
    per_call = cost if use_grad else 1
    if counter.limit < per_call:
        raise OptionError(f"budget {counter.limit} is below the {per_call} evaluations of one "
                          "shift-rule gradient; raise it or use gradient='none'")
    outcome = opt.minimize(fun, x0, grad=value_and_grad if use_grad else None,
                           budget=max(1, counter.limit // per_call), rng=rng)
    info["optimizer"] = getattr(opt, "name", "") or type(opt).__name__
    info["optimizer_message"] = outcome.message
    return "budget" if outcome.message == "evaluation budget exhausted" else "done"


def _combine(semi, magic, rows, weights) -> Samples:
    if magic is not None:
        rows.append(magic.bits)
        weights.append(magic.weights)
    if semi is not None:
        rows.append(semi[None, :])
        weights.append(np.array([0.0 if magic is not None else 1.0]))
    return Samples(np.vstack(rows), np.concatenate(weights))


__all__ = ["QRAOOptions", "QRAOSolver", "SampledPauliSum"]
