"""qiskit-aer backend through its V2 primitives (SamplerV2 / EstimatorV2).

Methods ``statevector`` and ``matrix_product_state``; ``device="GPU"`` is passed through to Aer
(it needs qiskit-aer-gpu). Exact mode: Aer's ``save_probabilities`` for distributions (CVaR,
correlators) and for expectation values of diagonal observables (QUBO energies) up to
:data:`PROBABILITY_PATH_QUBITS` qubits; EstimatorV2 with precision 0 for other observables and
wider circuits (matrix_product_state). Sampling mode: SamplerV2 (EstimatorV2 with precision
1/sqrt(shots) for non-diagonal observables).
Circuits are transpiled once to Aer's gate set; the reported depth / two-qubit gate count is
that of the transpiled circuit.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from qopt.backends.base import Backend, BackendError, Observable
from qopt.errors import OptionError

METHODS = ("statevector", "matrix_product_state")
#: exact expectation values of diagonal observables go through probabilities up to this width
PROBABILITY_PATH_QUBITS = 26
DEVICES = ("CPU", "GPU")


class _Prepared:
    """A circuit transpiled for Aer, with its measured and probability-saving variants."""

    def __init__(self, isa, measured, probs):
        self.isa = isa
        self.measured = measured
        self.probs = probs


class AerBackend(Backend):
    """Aer simulator backend.

    Args:
        method: "statevector" or "matrix_product_state".
        device: "CPU" or "GPU" (passed through to Aer).
        shots, seed: see :class:`~qopt.backends.base.Backend`.
        backend_options: further AerSimulator options (e.g. ``{"max_parallel_threads": 1}``).
    """

    name: ClassVar[str] = "aer"

    def __init__(self, method: str = "statevector", device: str = "CPU", *,
                 shots: int | None = None, seed=None, backend_options: dict | None = None):
        if method not in METHODS:
            raise OptionError(f"aer method must be one of {', '.join(METHODS)}, got {method!r}")
        dev = str(device).upper()
        if dev not in DEVICES:
            raise OptionError(f"aer device must be CPU or GPU, got {device!r}")
        super().__init__(shots=shots, seed=seed)
        self.method = method
        self.device = dev
        self.backend_options = {"method": method, "device": dev, **(backend_options or {})}
        if dev == "GPU":
            self._check_gpu()

    @property
    def spec(self) -> str:
        s = "aer" if self.method == "statevector" else "aer:mps"
        return s + (":gpu" if self.device == "GPU" else "")

    def _check_gpu(self) -> None:
        from qiskit_aer import AerSimulator

        if "GPU" not in AerSimulator().available_devices():
            raise BackendError("aer device='GPU' needs qiskit-aer-gpu and a CUDA GPU; this "
                               "installation offers only " +
                               ", ".join(AerSimulator().available_devices()))

    def simulator(self):
        """The AerSimulator (made once per backend)."""
        if getattr(self, "_sim", None) is None:
            from qiskit_aer import AerSimulator

            self._sim = AerSimulator(**self.backend_options)
        return self._sim

    def _prepare(self, circuit):
        from qiskit.transpiler import generate_preset_pass_manager

        base = circuit.remove_final_measurements(inplace=False)
        # qiskit 2.6's Rust one-qubit optimiser (level 1) panics on some wide circuits (seen:
        # a 114-qubit QAOA; pyo3 PanicException is a BaseException): beyond statevector widths
        # the simulator takes the standard gates unoptimised, and a panic falls back too
        level = 1 if base.num_qubits <= 30 else 0
        try:
            isa = generate_preset_pass_manager(optimization_level=level,
                                               backend=self.simulator()).run(base)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:
            if level == 0:
                raise
            isa = generate_preset_pass_manager(optimization_level=0,
                                               backend=self.simulator()).run(base)
        measured = isa.copy()
        measured.measure_all()
        probs = isa.copy()
        probs.save_probabilities()
        return _Prepared(isa, measured, probs)

    def _compiled_circuit(self, prepared):
        return prepared.isa

    @staticmethod
    def _binds(circuit, theta):
        params = list(circuit.parameters)
        if not params:
            return None
        return [{p: theta[:, j].tolist() for j, p in enumerate(params)}]

    def _probabilities(self, prepared, circuit, theta):
        sim = self.simulator()
        k = theta.shape[0]
        binds = self._binds(prepared.probs, theta)
        if binds is None:
            result = sim.run([prepared.probs] * k).result()
        else:
            result = sim.run(prepared.probs, parameter_binds=binds).result()
        if not result.success:
            raise BackendError(f"aer run failed: {result.status}")
        n = circuit.num_qubits
        return np.vstack([np.asarray(result.data(i)["probabilities"], float).reshape(-1)[:1 << n]
                          for i in range(k)])

    def check_circuit(self, circuit, *, exact=None) -> None:
        # matrix_product_state computes exact expectation values of wide circuits through
        # EstimatorV2; only probability vectors (CVaR, correlators in exact mode) are capped
        if self.method == "statevector":
            super().check_circuit(circuit, exact=exact)

    def _expectation_exact(self, prepared, circuit, theta, obs: Observable):
        if obs.diagonal_form and circuit.num_qubits <= PROBABILITY_PATH_QUBITS:
            # one save_probabilities run and the 2^n energies: far fewer passes over the
            # state than EstimatorV2's term-by-term expectation values of a dense QUBO
            return np.atleast_2d(self._probabilities(prepared, circuit, theta)) @ obs.diagonal()
        from qiskit_aer.primitives import EstimatorV2

        est = EstimatorV2(options={"default_precision": 0.0,
                                   "backend_options": dict(self.backend_options)})
        op = obs.pauli().apply_layout(prepared.isa.layout)
        values = theta if circuit.num_parameters else None
        pub = (prepared.isa, op, values) if values is not None else (prepared.isa, op)
        evs = np.asarray(est.run([pub]).result()[0].data.evs, float).reshape(-1)
        return evs if evs.size == theta.shape[0] else np.full(theta.shape[0], evs[0])

    def _expectation_sampled(self, circuit, theta, obs: Observable, shots, seed):
        from qiskit_aer.primitives import EstimatorV2

        prepared = self.prepare(circuit)
        est = EstimatorV2(options={"default_precision": 1.0 / np.sqrt(shots),
                                   "backend_options": dict(self.backend_options),
                                   "run_options": {"seed": int(seed)}})
        op = obs.pauli().apply_layout(prepared.isa.layout)
        pub = (prepared.isa, op, theta) if circuit.num_parameters else (prepared.isa, op)
        self.usage.shots += shots * theta.shape[0]
        self.usage.executions += theta.shape[0]
        evs = np.asarray(est.run([pub]).result()[0].data.evs, float).reshape(-1)
        return evs if evs.size == theta.shape[0] else np.full(theta.shape[0], evs[0])

    def _counts(self, prepared, circuit, theta, shots, seed):
        from qiskit_aer.primitives import SamplerV2

        sampler = SamplerV2(default_shots=shots, seed=seed,
                            options={"backend_options": dict(self.backend_options)})
        pub = (prepared.measured, theta) if circuit.num_parameters else (prepared.measured,)
        k = theta.shape[0]
        if not circuit.num_parameters:
            res = sampler.run([(prepared.measured,)] * k, shots=shots).result()
            return [bitarray_counts(r.data.meas) for r in res]
        bits = sampler.run([pub], shots=shots).result()[0].data.meas
        return [bitarray_counts(bits[i]) for i in range(k)]


def bitarray_counts(bits) -> tuple[np.ndarray, np.ndarray]:
    """A Qiskit ``BitArray`` (one parameter set) to (basis indices, counts), little-endian."""
    arr = np.asarray(bits.array, dtype=np.uint8)           # (shots, nbytes), big-endian bytes
    nbytes = arr.shape[-1]
    weights = (np.int64(1) << (8 * np.arange(nbytes - 1, -1, -1, dtype=np.int64)))
    ints = arr.reshape(-1, nbytes).astype(np.int64) @ weights
    mask = (np.int64(1) << bits.num_bits) - 1
    idx, counts = np.unique(ints & mask, return_counts=True)
    return idx.astype(np.int64), counts.astype(np.int64)


__all__ = ["AerBackend", "bitarray_counts"]
