"""Error mitigation on device backends: the spec, extrapolation weights, nearest probability
(against mthree's), M3 readout correction (against the tensored inverse), global folding
(against the unfolded operator), and the direction of the mitigated error on a noisy fake
device."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("qiskit_ibm_runtime")
pytest.importorskip("mthree")

from qopt.backends.base import circuit_stats
from qopt.backends.folding import (
    combine_distributions,
    extrapolation_weights,
    fold_global,
)
from qopt.backends.mitigation import Mitigation, nearest_probability
from qopt.backends.readout import ReadoutCalibration, calibration_circuits, measured_qubits
from qopt.errors import OptionError


def test_mitigation_spec_parses_and_refuses():
    assert Mitigation.parse(None).spec == "none" and not Mitigation.parse("none").active
    m = Mitigation.parse("readout,zne")
    assert m.readout and m.zne and m.scales == (1, 3, 5) and m.settings == 3
    assert Mitigation.parse("zne+readout") == m
    z = Mitigation.parse("zne:linear:1:3:5:7")
    assert z.extrapolation == "linear" and z.scales == (1, 3, 5, 7)
    assert Mitigation.parse(z.spec) == z
    t = Mitigation.parse("readout,twirling,dd:XY4")
    assert t.runtime_options() == {"twirling": {"enable_gates": True, "enable_measure": True},
                                   "dynamical_decoupling": {"enable": True,
                                                            "sequence_type": "XY4"}}
    assert m.calibration_cost(1000) == 2000 and Mitigation(zne=True).calibration_cost(9) == 0
    for bad in ("readou", "zne:2:4", "zne:1", "readout,readout", "none,zne", "zne:1:x", 3):
        with pytest.raises(OptionError):
            Mitigation.parse(bad)
    with pytest.raises(OptionError):
        Mitigation(readout=True, calibration_shots=0)


@pytest.mark.parametrize("scales", [(1, 3), (1, 3, 5), (1, 3, 5, 7)])
def test_richardson_weights_extrapolate_polynomials_exactly(scales):
    s = np.array(scales, float)
    w = extrapolation_weights(scales)
    rng = np.random.default_rng(len(scales))
    for deg in range(len(scales)):              # exact up to degree len - 1
        coef = rng.normal(size=deg + 1)
        assert w @ np.polyval(coef, s) == pytest.approx(coef[-1], abs=1e-10)
    lin = extrapolation_weights(scales, "linear")
    y = rng.normal(size=s.size)
    assert lin @ y == pytest.approx(np.polyfit(s, y, 1)[-1], abs=1e-10)
    assert w.sum() == pytest.approx(1.0) and lin.sum() == pytest.approx(1.0)


def test_combined_distribution_is_linear_in_expectations():
    rng = np.random.default_rng(1)
    dists = [(np.sort(rng.choice(16, 9, replace=False)), rng.integers(1, 50, 9))
             for _ in range(3)]
    energies = rng.normal(size=16)
    w = extrapolation_weights((1, 3, 5))
    idx, q = combine_distributions(dists, w)
    per = [energies[i] @ c / c.sum() for i, c in dists]
    assert energies[idx] @ q == pytest.approx(w @ per, abs=1e-12)
    assert q.sum() == pytest.approx(1.0)


def test_nearest_probability_matches_mthree():
    from mthree.classes import QuasiDistribution

    rng = np.random.default_rng(2)
    for m in (2, 5, 40):
        q = rng.normal(0.3, 1.0, m)
        q /= q.sum()
        mine = nearest_probability(q)
        keys = [format(i, "08b") for i in range(m)]
        ref = QuasiDistribution(dict(zip(keys, q))).nearest_probability_distribution()
        ref_vec = np.array([ref.get(k, 0.0) for k in keys])
        np.testing.assert_allclose(mine, ref_vec, atol=1e-12)
        assert mine.min() >= 0 and mine.sum() == pytest.approx(1.0)
    p = rng.dirichlet(np.ones(7))
    np.testing.assert_allclose(nearest_probability(p), p)


def _random_calibration(n, rng):
    mats = np.empty((n, 2, 2))
    p10, p01 = rng.uniform(0.01, 0.08, n), rng.uniform(0.02, 0.12, n)
    mats[:, 0, 0], mats[:, 1, 0], mats[:, 0, 1], mats[:, 1, 1] = 1 - p10, p10, p01, 1 - p01
    return ReadoutCalibration(tuple(range(10, 10 + n)), mats, 1000)


def test_m3_correction_inverts_the_tensored_assignment_matrix():
    rng = np.random.default_rng(3)
    n = 5
    cal = _random_calibration(n, rng)
    ideal = rng.dirichlet(np.ones(1 << n))
    measured = cal.full_matrix() @ ideal               # independent reference: the kron
    _, q = cal.correct(np.arange(1 << n), measured * 10_000)
    np.testing.assert_allclose(q, ideal, atol=2e-6)    # M3 works in float32
    # bit i of the index is qubit i: a one-hot state read through qubit 0's matrix only
    one = ReadoutCalibration((3,), cal.matrices[:1], 1000)
    _, q1 = one.correct(np.array([0, 1]), one.matrices[0] @ np.array([0.0, 1.0]))
    np.testing.assert_allclose(q1, [0.0, 1.0], atol=1e-6)


def test_calibration_from_counts_marginals():
    # bit 0 reads 1 on 5% of |0> shots, bit 1 reads 0 on 20% of |1> shots
    zeros = (np.array([0, 1]), np.array([95, 5]))
    ones = (np.array([3, 1]), np.array([80, 20]))
    cal = ReadoutCalibration.from_counts((7, 4), zeros, ones, 100)
    np.testing.assert_allclose(cal.matrices[0], [[0.95, 0.0], [0.05, 1.0]])
    np.testing.assert_allclose(cal.matrices[1], [[1.0, 0.2], [0.0, 0.8]])
    np.testing.assert_allclose(cal.errors, [0.025, 0.1])


def _isa_circuit():
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    dev = FakeManilaV2()
    g = Parameter("g")
    qc = QuantumCircuit(3)
    qc.h(range(3))
    qc.rzz(g, 0, 1)
    qc.rzz(g, 1, 2)
    qc.rx(0.4, range(3))
    qc.measure_all()
    pm = generate_preset_pass_manager(optimization_level=2, backend=dev, seed_transpiler=0)
    return pm.run(qc), dev


def test_global_folding_keeps_the_unitary_and_scales_the_gates():
    from qiskit.quantum_info import Operator

    isa, dev = _isa_circuit()
    base = isa.assign_parameters([0.7]).remove_final_measurements(inplace=False)
    ops = isa.count_ops()
    twoq = circuit_stats(isa)[1]
    assert twoq >= 2
    for scale in (3, 5):
        folded = fold_global(isa, scale, dev.target)
        assert circuit_stats(folded)[1] == scale * twoq
        assert folded.count_ops()["measure"] == ops["measure"] == 3
        assert set(folded.count_ops()) <= set(dev.target.operation_names) | {"barrier"}
        bound = folded.assign_parameters([0.7]).remove_final_measurements(inplace=False)
        assert Operator(bound).equiv(Operator(base))
        assert measured_qubits(folded) == measured_qubits(isa)
    with pytest.raises(OptionError):
        fold_global(isa, 2)


def test_calibration_circuits_prepare_zeros_and_ones_on_the_measured_qubits():
    from qiskit.primitives import StatevectorSampler

    isa, dev = _isa_circuit()
    mq = measured_qubits(isa)
    c0, c1 = calibration_circuits(isa, mq, dev.target)
    assert c0.num_qubits == isa.num_qubits == 5
    res = StatevectorSampler(seed=1).run([c0, c1], shots=10).result()
    assert res[0].data.meas.get_counts() == {"000": 10}
    assert res[1].data.meas.get_counts() == {"111": 10}


def _maxcut_ansatz(n: int):
    from scipy.optimize import minimize

    from qopt.problems.maxcut import MaxCut
    from qopt.solvers.base import Task
    from qopt.solvers.quantum.qaoa_evaluators import Ansatz, EngineEvaluator

    ansatz = Ansatz(Task(MaxCut.generate(n, seed=1)).qubo, 1)
    exact = EngineEvaluator(ansatz)
    best = min((minimize(exact.value, np.array([g, 0.4]), method="COBYLA")
                for g in (0.3, 0.8)), key=lambda r: r.fun)
    return ansatz, best.x, float(best.fun)


def test_mitigation_shrinks_the_error_of_h_on_a_noisy_fake_device():
    """6-node MaxCut, QAOA p=1 at its optimal angles on fake:sherbrooke (4000 shots): the
    error of <H> against the noiseless value shrinks with readout mitigation and at least
    halves with readout + ZNE (a wrong bit order, calibration or extrapolation sign would
    make it grow). The 8-node, 20,000-shot figure is benchmarks/mitigation.py's."""
    from qopt.backends.registry import get_backend
    from qopt.solvers.quantum.qaoa_evaluators import CircuitEvaluator

    ansatz, x, exact = _maxcut_ansatz(6)
    err = {}
    for mit in ("none", "readout", "readout,zne"):
        b = get_backend("fake:sherbrooke", mitigation=mit)
        err[mit] = abs(CircuitEvaluator(ansatz, b, shots=4000, seed=1).value(x) - exact)
        settings, cal = b.measurement_cost(4000)
        assert b.usage.shots == 4000 * settings + cal        # calibration shots counted
    assert err["readout"] < err["none"]
    assert err["readout,zne"] <= 0.5 * err["none"]


def test_readout_mitigation_without_noise_returns_the_raw_distribution():
    """Noise off: the calibration is the identity, so the M3-corrected quasi-distribution is
    the measured one (same seed, same counts), bit for bit in the same order."""
    from qopt.backends.registry import get_backend
    from qopt.solvers.quantum.qaoa_evaluators import CircuitEvaluator

    ansatz, x, _ = _maxcut_ansatz(4)
    raw = CircuitEvaluator(ansatz, get_backend("fake:manila", noise=False), shots=500, seed=5)
    b = get_backend("fake:manila", noise=False, mitigation="readout")
    mitigated = CircuitEvaluator(ansatz, b, shots=500, seed=5)
    assert mitigated.value(x) == pytest.approx(raw.value(x), abs=1e-5)
    cal = b.mitigation_info()["calibrations"][0]
    assert cal["p1_given_0"] == [0.0] * 4 and cal["p0_given_1"] == [0.0] * 4
    s_raw = raw.sample(x, 500, np.random.default_rng(2))
    s_mit = mitigated.sample(x, 500, np.random.default_rng(2))
    np.testing.assert_array_equal(s_raw.bits, s_mit.bits)
    np.testing.assert_allclose(s_mit.weights, s_raw.weights, atol=1e-3)


def test_readout_mitigation_undoes_asymmetric_readout_errors_on_the_right_bits():
    """Any Qiskit sampler: Aer with large, different readout errors on qubits 0 and 2 only.
    The mitigated distribution matches the ideal one (statevector reference), the raw one
    does not; swapping bits or transposing the assignment matrices would not match."""
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Statevector
    from qiskit_aer.noise import NoiseModel, ReadoutError
    from qiskit_aer.primitives import SamplerV2

    from qopt.backends.registry import get_backend

    nm = NoiseModel()
    nm.add_readout_error(ReadoutError([[0.95, 0.05], [0.30, 0.70]]), [0])
    nm.add_readout_error(ReadoutError([[0.80, 0.20], [0.02, 0.98]]), [2])
    sampler = SamplerV2(options={"backend_options": {"noise_model": nm},
                                 "run_options": {"seed": 11}})
    qc = QuantumCircuit(3)
    qc.ry(2.2, 0)
    qc.h(1)
    qc.ry(0.7, 2)
    ideal = Statevector(qc).probabilities()              # little-endian, like qopt
    b = get_backend(sampler, shots=40_000, mitigation="readout")
    (d,), _, _ = b._mitigated(qc, None, None, 3)
    got = np.zeros(8)
    got[d.indices] = d.quasi
    raw_idx, raw_c = get_backend(sampler, shots=40_000).counts(qc)[0]
    raw = np.zeros(8)
    raw[raw_idx] = raw_c / raw_c.sum()
    assert np.abs(got - ideal).max() < 0.02 < np.abs(raw - ideal).max()
    cal = b.mitigation_info()["calibrations"][0]
    np.testing.assert_allclose(cal["p1_given_0"], [0.05, 0, 0.2], atol=0.01)
    np.testing.assert_allclose(cal["p0_given_1"], [0.30, 0, 0.02], atol=0.01)


def test_runtime_options_carry_twirling_dd_and_estimator_resilience(monkeypatch):
    """twirling / dd go to SamplerV2's options, readout / zne to EstimatorV2's resilience
    options (non-diagonal observables on IBM); the runtime's own option classes accept both."""
    import warnings

    from qiskit_ibm_runtime import EstimatorV2, SamplerV2
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    from qopt.backends.ibm import IBMBackend

    monkeypatch.setattr("qopt.backends.ibm.check_credentials", lambda *a: None)
    b = IBMBackend("ibm_x", mitigation="readout,zne,twirling,dd:XY4",
                   options={"twirling": {"num_randomizations": 8}})
    opts = b._runtime_options(0)
    assert opts["twirling"] == {"enable_gates": True, "enable_measure": True,
                                "num_randomizations": 8}
    assert opts["dynamical_decoupling"] == {"enable": True, "sequence_type": "XY4"}
    est = b._estimator_options(0)
    assert est["resilience"] == {"measure_mitigation": True, "zne_mitigation": True,
                                 "zne": {"noise_factors": [1, 3, 5],
                                         "extrapolator": "polynomial_degree_2"}}
    assert b.record_options()["mitigation"] == "readout,zne,twirling,dd:XY4"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = SamplerV2(mode=FakeManilaV2(), options=opts)
        e = EstimatorV2(mode=FakeManilaV2(), options=est)
    assert s.options.twirling.num_randomizations == 8
    assert s.options.dynamical_decoupling.sequence_type == "XY4"
    assert e.options.resilience.zne.noise_factors == (1, 3, 5) or \
        list(e.options.resilience.zne.noise_factors) == [1, 3, 5]


def test_vqe_budget_pays_for_zne_circuits_and_readout_calibration():
    """Each estimate costs shots x 3 circuits (scales 1, 3, 5), the final samples too, and the
    calibration 2 x shots once: every measured shot is charged and the budget holds."""
    import qopt
    from qopt.problems.maxcut import MaxCut

    budget = 3 * 64 * 4 + 3 * 128 + 2 * 64
    r = qopt.solve(MaxCut.generate(4, seed=1), "vqe", backend="fake:manila", seed=2, shots=64,
                   final_shots=128, reps=1, budget=budget, mitigation="readout,zne")
    k = r.info["circuit_evaluations"]
    assert 1 <= k <= 4
    assert r.evaluations == r.shots == 3 * 64 * k + 3 * 128 + 2 * 64 <= budget
    assert r.info["mitigation"]["calibration_shots_total"] == 128
    with pytest.raises(OptionError, match="calibration"):
        qopt.solve(MaxCut.generate(4, seed=1), "vqe", backend="fake:manila", seed=2,
                   shots=64, final_shots=128, reps=1, budget=3 * 128 + 2 * 64,
                   mitigation="readout,zne")


def test_fixed_angle_qaoa_on_a_device_charges_mitigation():
    """Fixed angles (maxiter=0) on fake:manila with readout + ZNE: one estimate of the given
    angles and the final samples, 3 circuits each, plus the calibration, all charged and
    within the budget; a budget without room for the calibration is refused."""
    import qopt
    from qopt.problems.maxcut import MaxCut

    g = MaxCut.generate(4, seed=1)
    angles = {"gamma": [0.6], "beta": [0.4]}
    r = qopt.solve(g, "qaoa", p=1, angles=angles, maxiter=0, backend="fake:manila", seed=1,
                   shots=256, mitigation="readout,zne", budget=3 * 512 + 512)
    assert r.info["fixed_angles"] and r.info["circuit_evaluations"] == 1
    assert r.info["gammas"] == [0.6] and r.info["betas"] == [0.4]
    assert r.evaluations == r.shots == 3 * (256 + 256) + 2 * 256
    assert r.circuit_executions == 3 * 2 + 2           # two sets x 3 scales, 2 calibrations
    assert r.info["mitigation"]["calibration_shots_total"] == 512
    with pytest.raises(OptionError, match="calibration"):
        qopt.solve(g, "qaoa", p=1, angles=angles, maxiter=0, backend="fake:manila", seed=1,
                   shots=256, mitigation="readout,zne", budget=3 * 512 + 100)


def test_mitigated_samples_and_evaluation_come_from_one_quasi_distribution():
    """sample_and_evaluate: <H> from the quasi-distribution q, the samples weighted by the
    nearest probability vector to q (every measured bitstring kept, some with weight 0)."""
    from qopt.backends.registry import get_backend
    from qopt.bits import bits_to_indices

    ansatz, x, _ = _maxcut_ansatz(4)
    b = get_backend("fake:manila", mitigation="readout,zne")
    circuit = ansatz.circuit()
    theta = np.array([x[1], x[0] * ansatz.gamma_scale])        # beta[0], gamma[0]
    samples, ev = b.sample_and_evaluate(circuit, theta, ansatz.qubo, shots=300, seed=4)
    (d,), _, _ = b._mitigated(circuit, theta, 300, 4)            # the same job again
    energies = ansatz.qubo.energy(samples.bits)
    np.testing.assert_array_equal(bits_to_indices(samples.bits), d.indices)
    assert ev.expectation == pytest.approx(energies @ d.quasi, abs=1e-12)
    np.testing.assert_allclose(samples.weights, nearest_probability(d.quasi) * 300)
    assert d.quasi.min() < 0 <= samples.weights.min()            # ZNE made some negative
    assert ev.best_energy == energies.min() and ev.cvar == ev.expectation


def test_pce_correlators_from_mitigated_distributions_are_charged():
    """PCE on a device with readout + ZNE: each basis circuit's correlators come from the
    mitigated quasi-distribution (3 circuits per estimate), the calibrations are charged."""
    import qopt
    from qopt.backends.registry import get_backend
    from qopt.problems.maxcut import MaxCut

    b = get_backend("fake:manila")
    r = qopt.solve(MaxCut.generate(6, seed=1), "pce", backend=b, seed=3, shots=64,
                   maxiter=3, mitigation="readout,zne")
    cal = r.info["mitigation"]["calibration_shots_total"]
    assert cal > 0 and cal % (2 * 64) == 0                  # one calibration per qubit set
    # every estimate: 3 basis circuits x 3 noise scales x 64 shots
    assert r.shots == r.evaluations == r.info["circuit_evaluations"] * 3 * 3 * 64 + cal
    # ... and 9 circuits; each calibration 2 (the result reported one per estimate)
    assert r.circuit_executions == b.usage.executions == \
        r.info["circuit_evaluations"] * 9 + 2 * cal // (2 * 64)
    # the device circuit's depth, as info["device"] (the result had the logical circuit's)
    assert (r.depth, r.two_qubit_gates) == (r.info["device"]["depth"],
                                            r.info["device"]["two_qubit_gates"])
