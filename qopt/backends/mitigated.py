"""The mitigated sampling path of device backends (:class:`MitigatedSampling`): readout
calibration jobs, folded circuits, and expectation / CVaR / evaluate / correlators / samples of
diagonal observables from mitigated distributions. What the mitigation does and what mitigated
samples mean: :mod:`qopt.backends.mitigation`.
"""

from __future__ import annotations

import time

import numpy as np

from qopt.backends.base import Evaluation, as_param_matrix, check_alpha, parity_signs
from qopt.backends.folding import combine_distributions
from qopt.backends.mitigation import MitigatedDistribution, Mitigation, calibration_spent
from qopt.bits import indices_to_bits
from qopt.errors import OptionError
from qopt.samples import Samples


class MitigatedSampling:
    """Mixin for sampling backends with ``_execute`` (see
    :class:`~qopt.backends.primitive.PrimitiveBackend`): expectation, CVaR, evaluate,
    correlators and samples of diagonal observables from mitigated distributions whenever
    :meth:`active_mitigation` is active; the plain paths otherwise."""

    mitigation: Mitigation

    # ---- configuration --------------------------------------------------------------------
    def active_mitigation(self) -> Mitigation:
        """The backend's own mitigation, else the one of the solve in progress
        (``qopt.solve(..., mitigation=...)``), else none."""
        from qopt.backends.device_run import active_run

        own = self.mitigation
        run = active_run()
        if run is None or run.mitigation is None:
            return own
        if own.spec not in ("none", run.mitigation.spec):
            raise OptionError(f"backend {self.spec!r} was made with mitigation={own.spec!r} "
                              f"but the solve asks for mitigation={run.mitigation.spec!r}")
        return run.mitigation

    def measurement_cost(self, shots: int) -> tuple[int, int]:
        """(circuits per estimate, one-time calibration shots) for estimates of ``shots``."""
        mit = self.active_mitigation()
        return mit.settings, mit.calibration_cost(shots)

    # ---- the mitigated distributions ------------------------------------------------------
    def _mitigated(self, circuit, params, shots, seed):
        """([MitigatedDistribution] per parameter set, single, shots)."""
        mit = self.active_mitigation()
        theta, single = as_param_matrix(params, circuit.num_parameters)
        s = self._mode_shots(shots)
        self.check_circuit(circuit, exact=False)
        prepared = self.prepare(circuit)
        seed = self._seed(seed)
        cal = self._calibration(prepared, mit, s, seed) if mit.readout else None
        circuits = [self._folded(prepared, sc) for sc in (mit.scales if mit.zne else (1,))]
        t0 = time.perf_counter()
        per_pub = self._execute("estimate", [(c, theta) for c in circuits], s, seed)
        self.usage.simulation_time += time.perf_counter() - t0
        k = theta.shape[0]
        self.usage.executions += k * len(circuits)
        self.usage.shots += s * k * len(circuits)
        weights = mit.weights()
        out = []
        for r in range(k):
            dists = [per_pub[j][r] for j in range(len(circuits))]
            if cal is not None:
                dists = [cal.correct(i, c, distance=mit.distance) for i, c in dists]
            idx, q = combine_distributions(dists, weights)
            out.append(MitigatedDistribution(idx, q))
        return out, single, s

    def _calibrations_of(self, run) -> dict:
        """The readout calibrations (by measured qubits) made during the device run ``run``
        (a solve; None: outside any solve)."""
        if self.__dict__.get("_calibration_run") is not run:
            return {}
        return self.__dict__.get("_calibrations", {})

    def _calibration(self, prepared, mit: Mitigation, shots: int, seed: int):
        """The readout calibration of the qubits ``prepared`` measures (one job, made once per
        qubit set and solve, its shots counted). A backend object used by several solves
        calibrates again in each: the solve's budget, record and ``info`` hold their own
        calibration, and a record replays without the backend's history."""
        from qopt.backends.device_run import active_run
        from qopt.backends.readout import ReadoutCalibration

        run = active_run()
        if "_calibrations" not in self.__dict__ or self.__dict__["_calibration_run"] is not run:
            self.__dict__["_calibration_run"] = run
            self.__dict__["_calibrations"] = {}
        cache = self.__dict__["_calibrations"]
        qubits = prepared.measured_qubits
        hit = cache.get(qubits)
        if hit is not None:
            return hit
        cal_shots = int(mit.calibration_shots or shots)
        zeros_c, ones_c = self._calibration_circuits(prepared)
        cal_seed = (int(seed) * 7919 + 17) % (2**31 - 1)
        t0 = time.perf_counter()
        jobs_before = len(self.usage.jobs)
        (zeros,), (ones,) = self._execute("calibration", [(zeros_c, None), (ones_c, None)],
                                          cal_shots, cal_seed)
        self.usage.simulation_time += time.perf_counter() - t0
        self.usage.executions += 2
        self.usage.shots += 2 * cal_shots
        self.__dict__["_calibration_shots_spent"] = calibration_spent(self) + 2 * cal_shots
        cal = ReadoutCalibration.from_counts(qubits, zeros, ones, cal_shots)
        cal.jobs = list(self.usage.jobs[jobs_before:])
        cache[qubits] = cal
        return cal

    def mitigation_info(self, mitigation: Mitigation | None = None, run=None
                        ) -> dict | None:
        """``info["mitigation"]``: the settings, calibration shots and calibrations
        (``mitigation``: the solve's, which overrides the backend's own "none"; ``run``: the
        solve's :class:`~qopt.backends.device_run.DeviceRun`, None outside a solve)."""
        mit = mitigation if mitigation is not None else self.active_mitigation()
        if mit.spec == "none":
            return None
        cals = list(self._calibrations_of(run).values())
        return {**mit.as_dict(),
                "calibration_shots_total": int(sum(2 * c.shots for c in cals)),
                "calibrations": [c.as_dict() for c in cals]}

    # ---- the interface under mitigation ---------------------------------------------------
    def _use_mitigation(self, observable, circuit, shots) -> bool:
        if not self.active_mitigation().active or self._mode_shots(shots) is None:
            return False
        return self._observable(observable, circuit.num_qubits).diagonal_form

    def expectation(self, circuit, params, observable, shots=None, *, seed=None):
        if not self._use_mitigation(observable, circuit, shots):
            return super().expectation(circuit, params, observable, shots, seed=seed)
        obs = self._observable(observable, circuit.num_qubits)
        dists, single, _ = self._mitigated(circuit, params, shots, seed)
        vals = np.array([obs.energies(d.indices) @ d.quasi for d in dists])
        return float(vals[0]) if single else vals

    def cvar(self, circuit, params, observable, alpha: float, shots=None, *, seed=None):
        if not self._use_mitigation(observable, circuit, shots):
            return super().cvar(circuit, params, observable, alpha, shots, seed=seed)
        evs, single = self._mitigated_evaluations(circuit, params, observable, alpha, shots,
                                                  seed)
        vals = np.array([e.cvar for e in evs])
        return float(vals[0]) if single else vals

    def evaluate(self, circuit, params, observable, *, alpha: float = 1.0, shots=None,
                 seed=None) -> list[Evaluation]:
        if not self._use_mitigation(observable, circuit, shots):
            return super().evaluate(circuit, params, observable, alpha=alpha, shots=shots,
                                    seed=seed)
        return self._mitigated_evaluations(circuit, params, observable, alpha, shots, seed)[0]

    def _mitigated_evaluations(self, circuit, params, observable, alpha, shots, seed):
        alpha = check_alpha(alpha)
        obs = self._observable(observable, circuit.num_qubits)
        dists, single, s = self._mitigated(circuit, params, shots, seed)
        return [d.evaluation(obs.energies(d.indices), alpha, s) for d in dists], single

    def correlators(self, circuit, params, terms, *, shots=None, seed=None) -> np.ndarray:
        if not self.active_mitigation().active or self._mode_shots(shots) is None:
            return super().correlators(circuit, params, terms, shots=shots, seed=seed)
        dists, single, _ = self._mitigated(circuit, params, shots, seed)
        terms = [tuple(t) for t in terms]
        vals = np.array([[d.quasi @ parity_signs(d.indices, t) for t in terms]
                         for d in dists]).reshape(len(dists), len(terms))
        return vals[0] if single else vals

    def distributions(self, circuit, params, shots=None, *, seed=None):
        """Sampled distributions per parameter set, [(indices, weights)]: the mitigated
        quasi-probabilities under mitigation (weights sum to 1, may be negative), else the raw
        counts (:meth:`counts`). For solvers that compute linear functionals (correlators)
        themselves from the measured distribution."""
        if not self.active_mitigation().active:
            return self.counts(circuit, params, shots, seed=seed)
        dists, _, _ = self._mitigated(circuit, params, shots, seed)
        return [(d.indices, d.quasi) for d in dists]

    def sample(self, circuit, params, shots=None, seed=None) -> Samples:
        if not self.active_mitigation().active:
            return super().sample(circuit, params, shots, seed)
        return self.sample_and_evaluate(circuit, params, None, shots=shots, seed=seed)[0]

    def sample_and_evaluate(self, circuit, params, observable, *, alpha: float = 1.0,
                            shots=None, seed=None) -> tuple[Samples, Evaluation | None]:
        """Samples of one parameter set and, under mitigation and when ``observable`` is
        given, its :class:`Evaluation` from the same mitigated distribution (one execution;
        the expectation from the quasi-distribution, not from the samples' weights). Without
        mitigation: the plain samples and None."""
        theta, single = as_param_matrix(params, circuit.num_parameters)
        if not single:
            raise OptionError("sample() takes one parameter set; loop over a batch")
        s = shots or self.shots
        if not self.active_mitigation().active:
            return super().sample(circuit, theta[0], s, seed), None
        (d,), _, s = self._mitigated(circuit, theta, s, seed)
        samples = Samples(indices_to_bits(d.indices, circuit.num_qubits), d.probabilities * s)
        ev = None
        if observable is not None:
            obs = self._observable(observable, circuit.num_qubits)
            ev = d.evaluation(obs.energies(d.indices), check_alpha(alpha), s)
        return samples, ev


__all__ = ["MitigatedSampling"]
