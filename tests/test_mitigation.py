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
