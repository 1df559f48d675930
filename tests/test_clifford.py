"""Fused Clifford runs (cx / x / cz as one GF(2) gather pass), the product-state first layer
and the fused exact CVaR scan of the statevector adapter: equal to the per-gate path, to
Qiskit / Aer statevectors and to the definitions, to 1e-12; numba and numpy paths alike."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit.quantum_info import Statevector
from qiskit_aer import AerSimulator

from qopt.backends import clifford, energy_buckets
from qopt.backends.adapter import (
    FusedClifford,
    StatevectorBackend,
    layer_ops,
    layered_gradient,
    run_layered,
)
from qopt.backends.base import cvar_from_distribution
from qopt.backends.statevector import Op, StatevectorEngine
from qopt.model.qubo import QUBO
from qopt.solvers.quantum.ansatz import Ansatz

TOL = 1e-12


def random_gates(rng, n: int, count: int, names=("cx", "cz", "x")):
    out = []
    for _ in range(count):
        name = names[rng.integers(len(names))]
        if name == "x":
            out.append(("x", (int(rng.integers(n)),)))
        else:
            a, b = rng.choice(n, 2, replace=False)
            out.append((name, (int(a), int(b))))
    return out


def random_state(rng, n: int) -> np.ndarray:
    v = rng.normal(size=1 << n) + 1j * rng.normal(size=1 << n)
    return v / np.linalg.norm(v)


def per_gate(engine: StatevectorEngine, gates, psi: np.ndarray) -> np.ndarray:
    out = psi.copy()
    for name, qs in gates:
        engine.apply_op(Op(name, qs), (), out)
    return out


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 9), count=st.integers(1, 30), seed=st.integers(0, 2**31))
def test_run_equals_per_gate_path_and_inverse_undoes_it(n, count, seed):
    rng = np.random.default_rng(seed)
    gates = random_gates(rng, n, count)
    run = clifford.CliffordRun(n, gates)
    eng = StatevectorEngine(n)
    psi = random_state(rng, n)
    want = per_gate(eng, gates, psi)
    for use_numba, method in ((True, "gather"), (True, "scatter"), (False, None)):
        out = run.apply(psi, np.empty_like(psi), use_numba=use_numba, method=method)
        np.testing.assert_allclose(out, want, atol=TOL, rtol=0)
        back = run.apply(out, np.empty_like(psi), inverse=True, use_numba=use_numba,
                         method=method)
        np.testing.assert_allclose(back, psi, atol=TOL, rtol=0)
    # the affine map and sign form themselves, basis state by basis state
    for x in rng.integers(0, 1 << n, 8):
        e = np.zeros(1 << n, complex)
        e[x] = 1.0
        y, sign = run.apply_to_index(int(x))
        got = per_gate(eng, gates, e)
        assert got[y] == pytest.approx(sign, abs=TOL)
        assert np.count_nonzero(np.abs(got) > 0.5) == 1


@pytest.mark.parametrize("use_numba", [True, False])
def test_sign_only_runs_act_in_place(use_numba):
    rng = np.random.default_rng(3)
    n = 7
    gates = random_gates(rng, n, 12, names=("cz",))
    run = clifford.CliffordRun(n, gates)
    assert not run.permutes
    psi = random_state(rng, n)
    want = per_gate(StatevectorEngine(n), gates, psi)
    buf = psi.copy()
    run.apply(buf, buf, use_numba=use_numba)
    np.testing.assert_allclose(buf, want, atol=TOL, rtol=0)
    permuting = clifford.CliffordRun(n, [("cx", (0, 1))])
    with pytest.raises(ValueError, match="separate output"):
        permuting.apply(buf, buf)
    with pytest.raises(ValueError, match="not a Clifford"):
        clifford.CliffordRun(n, [("h", (0,))])
    with pytest.raises(ValueError, match="bad qubits"):
        clifford.CliffordRun(n, [("cx", (0, 0))])


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 7), seed=st.integers(0, 2**31))
def test_substitute_rewrites_the_quadratic_form(n, seed):
    rng = np.random.default_rng(seed)
    upper = np.triu(rng.integers(0, 2, (n, n)), 1).astype(np.uint8)
    lin = rng.integers(0, 2, n).astype(np.uint8)
    const = int(rng.integers(2))
    A = rng.integers(0, 2, (n, n)).astype(np.uint8)
    a = rng.integers(0, 2, n).astype(np.uint8)
    U2, l2, c2 = clifford.substitute(upper, lin, const, A, a)
    assert not np.tril(U2).any()

    def q(U, lv, c, v):
        return (int(v @ U.astype(int) @ v) + int(lv.astype(int) @ v) + c) & 1

    for y in range(1 << n):
        yv = np.array([(y >> i) & 1 for i in range(n)])
        xv = (A.astype(int) @ yv + a) & 1
        assert q(upper, lin, const, xv) == q(U2, l2, c2, yv)


def test_byte_tables_cover_every_byte_of_wide_indices():
    rng = np.random.default_rng(5)
    n = 27
    A = rng.integers(0, 2, (n, n)).astype(np.uint8)
    T = clifford.byte_tables(A)
    assert T.shape == (4, 256)
    for z in rng.integers(0, 1 << n, 20):
        bits = np.array([(int(z) >> i) & 1 for i in range(n)])
        want = clifford.bits_to_int((A.astype(int) @ bits) & 1)
        got = 0
        for k in range(T.shape[0]):
            got ^= int(T[k, (int(z) >> (8 * k)) & 255])
        assert got == want


def random_ops(rng, n: int, count: int, num_params: int) -> list[Op]:
    ops = []
    for _ in range(count):
        kind = rng.integers(8)
        q = int(rng.integers(n))
        if kind < 3:
            p = int(rng.integers(num_params)) if rng.random() < 0.8 else None
            ops.append(Op(("rx", "ry", "rz")[kind], (q,), p, float(rng.normal()),
                          float(rng.choice([1.0, -2.0]))))
        elif kind == 3:
            ops.append(Op("h", (q,)))
        elif kind == 4:
            ops.append(Op("x", (q,)))
        else:
            a, b = (int(v) for v in rng.choice(n, 2, replace=False))
            name = ("cx", "cz", "rzz")[kind - 5]
            p = int(rng.integers(num_params)) if name == "rzz" else None
            ops.append(Op(name, (a, b), p, 0.3 if name == "rzz" else 0.0))
    return ops


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 8), count=st.integers(1, 40), seed=st.integers(0, 2**31))
def test_fused_layering_equals_sequential_gates_and_its_gradient(n, count, seed):
    rng = np.random.default_rng(seed)
    P = 4
    ops = random_ops(rng, n, count, P)
    theta = rng.uniform(-np.pi, np.pi, P)
    diag = rng.normal(size=1 << n)
    items = layer_ops(ops, n, fuse=True)
    flat = [op for kind, it in items
            for op in (it if kind == "layer" else it.ops if kind == "clifford" else [it])]
    assert sorted(map(id, flat)) == sorted(map(id, ops))     # every op exactly once
    # no two Clifford items in a row: the runs are maximal
    kinds = [k for k, _ in items]
    assert all(not (a == b == "clifford") for a, b in itertools.pairwise(kinds))
    for use_numba in (True, False):
        eng = StatevectorEngine(n, use_numba=use_numba)
        want = eng.run_circuit(ops, theta).copy()
        want_val, want_grad = eng.circuit_gradient(ops, theta, diag)
        got = run_layered(eng, items, theta)
        np.testing.assert_allclose(got, want, atol=TOL, rtol=0)
        val, grad = layered_gradient(eng, items, theta, diag)
        assert val == pytest.approx(want_val, abs=1e-10)
        np.testing.assert_allclose(grad, want_grad, atol=1e-10, rtol=0)


def aer_state(qc, theta) -> np.ndarray:
    bound = qc.assign_parameters(theta)
    bound.save_statevector()
    res = AerSimulator(method="statevector", precision="double").run(bound).result()
    return np.asarray(res.get_statevector())


@pytest.mark.parametrize("kind", ["real-amplitudes", "efficient-su2", "brickwork"])
def test_hardware_efficient_ansatze_equal_aer_and_per_gate_path(kind):
    rng = np.random.default_rng(11)
    fused, pergate = StatevectorBackend(), StatevectorBackend(fused=False)
    numpy_engine = StatevectorBackend(use_numba=False)
    for n, ent, gate in [(10, "linear", "cx"), (7, "circular", "cz"), (6, "full", "cx"),
                         (9, "pairwise", "cz"), (5, "circular", "cx"), (8, "full", "cz"),
                         (4, "pairwise", "cx"), (3, "linear", "cz")]:
        a = Ansatz(n, kind, 2, ent, gate)
        qc = a.circuit
        theta = rng.uniform(-np.pi, np.pi, qc.num_parameters)
        got = fused.state(qc, theta)
        prepared = fused.prepare(qc)
        if kind != "brickwork" or n > 2:
            assert any(k == "clifford" for k, _ in prepared.items)
        np.testing.assert_allclose(got, aer_state(qc, theta), atol=TOL, rtol=0)
        np.testing.assert_allclose(got, pergate.state(qc, theta), atol=TOL, rtol=0)
        np.testing.assert_allclose(got, numpy_engine.state(qc, theta), atol=TOL, rtol=0)


def test_adjoint_gradient_equals_parameter_shift_through_fused_runs():
    rng = np.random.default_rng(2)
    n = 6
    qubo = QUBO.from_matrix(np.triu(rng.normal(size=(n, n))))
    for backend in (StatevectorBackend(), StatevectorBackend(use_numba=False)):
        for ent, gate in [("full", "cx"), ("circular", "cz")]:
            qc = Ansatz(n, "efficient-su2", 2, ent, gate).circuit
            theta = rng.uniform(-np.pi, np.pi, qc.num_parameters)
            value, grad = backend.gradient(qc, theta, qubo)
            P = qc.num_parameters
            shifted = np.vstack([theta + np.eye(P) * np.pi / 2, theta - np.eye(P) * np.pi / 2])
            vals = backend.expectation(qc, shifted, qubo)
            np.testing.assert_allclose(grad, 0.5 * (vals[:P] - vals[P:]), atol=1e-10)
            want = Statevector(qc.assign_parameters(theta)).probabilities() @ qubo.diagonal()
            assert value == pytest.approx(want, abs=1e-10)


def test_product_state_first_layer():
    rng = np.random.default_rng(4)
    for n in (1, 2, 5, 8):
        cols = rng.normal(size=(n, 2)) + 1j * rng.normal(size=(n, 2))
        want = np.ones(1)
        for q in range(n):                      # qubit q is bit q: kron(new high, low)
            want = np.kron(cols[q], want)
        psi = np.empty(1 << n, complex)
        clifford.product_state(psi, cols)
        np.testing.assert_allclose(psi, want, atol=TOL)


@pytest.mark.parametrize("use_numba", [True, False])
def test_run_applied_to_a_product_state_in_one_pass(use_numba):
    rng = np.random.default_rng(14)
    for n in (1, 2, 5, 9, 12):
        cols = rng.normal(size=(n, 2)) + 1j * rng.normal(size=(n, 2))
        psi = clifford.product_state(np.empty(1 << n, complex), cols)
        gates = random_gates(rng, n, 3 * n) if n > 1 else [("x", (0,))]
        run = clifford.CliffordRun(n, gates)
        want = per_gate(StatevectorEngine(n), gates, psi)
        got = run.apply_to_product(cols, np.empty_like(psi), use_numba=use_numba)
        np.testing.assert_allclose(got, want, atol=TOL, rtol=0)


@pytest.mark.parametrize("use_numba", [True, False])
@pytest.mark.parametrize("max_buckets", [None, 7, 1])
def test_energy_buckets_give_exact_cvar_mean_and_best_state(use_numba, max_buckets):
    rng = np.random.default_rng(8)
    for n, rounded in ((3, False), (9, True), (12, False), (12, True)):
        psi = random_state(rng, n)
        psi[rng.random(1 << n) < 0.3] = 0.0         # states with zero probability
        psi *= 0.7                                   # unnormalised: scales by the mass
        diag = rng.normal(size=1 << n)
        if rounded:
            diag = np.round(diag, 1)                 # ties: few distinct energies
        order = np.argsort(diag, kind="stable")
        bk = energy_buckets.EnergyBuckets.build(order, diag[order], max_buckets)
        distinct = np.unique(diag).size
        assert bk.pure == (distinct <= (max_buckets or energy_buckets.MAX_BUCKETS))
        if bk.pure:
            np.testing.assert_array_equal(bk.energies, np.unique(diag))
            np.testing.assert_array_equal(bk.energies[bk.bucket], diag)
        # buckets are contiguous runs of the order
        np.testing.assert_array_equal(np.diff(bk.bucket[order].astype(int)) >= 0, True)
        p = np.abs(psi) ** 2
        m, f = bk.masses(psi, diag, use_numba=use_numba)
        np.testing.assert_allclose(m, np.bincount(bk.bucket, p, bk.size), rtol=1e-12,
                                   atol=1e-15)
        assert f.sum() / m.sum() == pytest.approx(p @ diag / p.sum(), abs=1e-12)
        for alpha in (1e-4, 0.1, 0.25, 0.5, 1.0):
            got = bk.cvar(psi, order, diag[order], m, f, alpha, use_numba=use_numba)
            assert got == pytest.approx(cvar_from_distribution(diag, p, alpha), abs=1e-12)
        pos = bk.best(psi, order, m, 1e-12 * p.sum(), use_numba=use_numba)
        seen = np.flatnonzero(p > 1e-12 * p.sum())
        assert order[pos] == seen[np.argmin(diag[seen])]


@pytest.mark.parametrize("levels", [True, False])
def test_fused_evaluate_and_cvar_equal_generic_path(levels, monkeypatch):
    rng = np.random.default_rng(6)
    n = 8
    qubo = QUBO.from_matrix(np.round(np.triu(rng.normal(size=(n, n))), 1))
    if not levels:                      # buckets of the order instead of energy levels
        monkeypatch.setattr(energy_buckets, "MAX_BUCKETS", 5)
    qc = Ansatz(n, "real-amplitudes", 2, "linear").circuit
    batch = rng.uniform(-np.pi, np.pi, (3, qc.num_parameters))
    fused, generic = StatevectorBackend(), StatevectorBackend(fused=False)
    fused.evaluate(qc, batch[0], qubo)
    assert fused._sorted[3].pure == levels
    for alpha in (0.05, 0.25, 1.0):
        got = fused.evaluate(qc, batch, qubo, alpha=alpha)
        want = generic.evaluate(qc, batch, qubo, alpha=alpha)
        for g, w in zip(got, want):
            assert g.cvar == pytest.approx(w.cvar, abs=TOL)
            assert g.expectation == pytest.approx(w.expectation, abs=TOL)
            assert (g.best_index, g.best_energy, g.shots) == (w.best_index, w.best_energy, None)
        np.testing.assert_allclose(fused.cvar(qc, batch, qubo, alpha),
                                   generic.cvar(qc, batch, qubo, alpha), atol=TOL, rtol=0)
        assert fused.cvar(qc, batch[0], qubo, alpha) == pytest.approx(
            generic.cvar(qc, batch[0], qubo, alpha), abs=TOL)
    assert fused.usage.executions == generic.usage.executions + 1
    # sampling mode still draws from the same distribution with the same seed
    s1 = fused.evaluate(qc, batch[0], qubo, alpha=0.25, shots=200, seed=3)[0]
    s2 = generic.evaluate(qc, batch[0], qubo, alpha=0.25, shots=200, seed=3)[0]
    assert (s1.cvar, s1.best_index, s1.shots) == (s2.cvar, s2.best_index, 200)


def test_scratch_buffers_that_do_not_fit_fall_back_to_gates_in_place():
    rng = np.random.default_rng(9)
    n = 6
    qubo = QUBO.from_matrix(np.triu(rng.normal(size=(n, n))))
    qc = Ansatz(n, "efficient-su2", 2, "full", "cx").circuit
    theta = rng.uniform(-np.pi, np.pi, qc.num_parameters)
    tight = StatevectorBackend(memory_limit=16 << n)     # the state fits, no scratch buffer
    roomy = StatevectorBackend()
    np.testing.assert_allclose(tight.state(qc, theta), roomy.state(qc, theta), atol=TOL)
    v1, g1 = tight.gradient(qc, theta, qubo)
    v2, g2 = roomy.gradient(qc, theta, qubo)
    assert v1 == pytest.approx(v2, abs=TOL)
    np.testing.assert_allclose(g1, g2, atol=1e-10)
    item = next(it for k, it in tight.prepare(qc).items if k == "clifford")
    assert isinstance(item, FusedClifford)


def test_layer_ops_fuse_needs_the_width_and_unfused_items_are_unchanged():
    ops = [Op("ry", (0,), 0), Op("cx", (0, 1)), Op("cz", (1, 2)), Op("x", (2,)),
           Op("ry", (1,), 1), Op("cx", (1, 2))]
    with pytest.raises(ValueError, match="num_qubits"):
        layer_ops(ops, fuse=True)
    assert [k for k, _ in layer_ops(ops)] == ["layer", "gate", "gate", "layer", "gate"]
    fused = layer_ops(ops, 3, fuse=True)
    assert [k for k, _ in fused] == ["layer", "clifford", "layer", "clifford"]
    assert [op.name for op in fused[1][1].ops] == ["cx", "cz", "x"]


def test_best_state_skips_levels_of_negligible_states():
    rng = np.random.default_rng(12)
    n = 10
    diag = rng.integers(-6, 6, 1 << n).astype(float)
    order = np.argsort(diag, kind="stable")
    bk = energy_buckets.EnergyBuckets.build(order, diag[order])
    psi = random_state(rng, n)
    psi[diag <= -5] = 3e-7          # two lowest levels: mass above threshold, no state is
    for use_numba in (True, False):
        m, _ = bk.masses(psi, diag, use_numba=use_numba)
        thresh = 1e-12 * m.sum()
        assert m[0] > thresh
        pos = bk.best(psi, order, m, thresh, use_numba=use_numba)
        assert diag[order[pos]] == -4.0
        assert pos == np.flatnonzero((diag[order] == -4.0) & (np.abs(psi[order]) > 1e-6))[0]


def test_large_runs_pick_gather_or_scatter_by_timing_with_identical_results():
    rng = np.random.default_rng(13)
    n = 16
    gates = [("cx", (i, i + 1)) for i in range(n - 1)] + [("cz", (0, n - 1)), ("x", (3,))]
    run = clifford.CliffordRun(n, gates)
    psi = random_state(rng, n)
    want = per_gate(StatevectorEngine(n), gates, psi)
    for _ in range(5):
        np.testing.assert_array_equal(run.apply(psi, np.empty_like(psi)), want)
        back = run.apply(want, np.empty_like(psi), inverse=True)
        np.testing.assert_allclose(back, psi, atol=TOL, rtol=0)
    assert run._choice[False] in ("gather", "scatter")
    assert run._choice[True] in ("gather", "scatter")
    with pytest.raises(ValueError, match="method"):
        run.apply(psi, np.empty_like(psi), method="diagonal")


def test_integer_energies_sorted_by_counting_sort_like_argsort():
    rng = np.random.default_rng(15)
    diag = rng.integers(-20, 9, 1 << 11).astype(float)
    order, sdiag, bk = energy_buckets.EnergyBuckets.integer_levels(diag)
    want = np.argsort(diag, kind="stable")
    np.testing.assert_array_equal(order, want)
    np.testing.assert_array_equal(sdiag, diag[want])
    ref = energy_buckets.EnergyBuckets.build(want, diag[want])
    assert bk.pure and ref.pure
    for name in ("energies", "bucket", "starts"):
        np.testing.assert_array_equal(getattr(bk, name), getattr(ref, name))
    assert energy_buckets.EnergyBuckets.integer_levels(diag + 0.5) is None        # not integers
    assert energy_buckets.EnergyBuckets.integer_levels(diag + 1.0) is not None
    assert energy_buckets.EnergyBuckets.integer_levels(diag, max_buckets=5) is None
    assert energy_buckets.EnergyBuckets.integer_levels(diag * 1e7) is None        # span too wide
    bad = diag.copy()
    bad[7] = np.nan
    assert energy_buckets.EnergyBuckets.integer_levels(bad) is None


def test_final_samples_drawn_exactly_as_the_generic_path():
    rng = np.random.default_rng(16)
    n = 9
    qc = Ansatz(n, "real-amplitudes", 2, "circular").circuit
    batch = rng.uniform(-np.pi, np.pi, (2, qc.num_parameters))
    got = StatevectorBackend().counts(qc, batch, 500, seed=4)
    want = StatevectorBackend(fused=False).counts(qc, batch, 500, seed=4)
    for (i1, c1), (i2, c2) in zip(got, want, strict=True):
        np.testing.assert_array_equal(i1, i2)
        np.testing.assert_array_equal(c1, c2)


def test_without_numba_everything_runs_on_the_numpy_paths(monkeypatch):
    for name in ("nb", "_gather_nb", "_scatter_nb", "_gather_product_nb"):
        monkeypatch.setattr(clifford, name, None)
    for name in ("nb", "_bucket_masses_nb", "_partial_nb", "_first_seen_nb", "_int_range_nb",
                 "_int_counts_nb", "_counting_order_nb"):
        monkeypatch.setattr(energy_buckets, name, None)
    rng = np.random.default_rng(17)
    n = 7
    qubo = QUBO.from_matrix(np.triu(rng.integers(-2, 3, (n, n))).astype(float))
    qc = Ansatz(n, "efficient-su2", 2, "full", "cx").circuit
    theta = rng.uniform(-np.pi, np.pi, qc.num_parameters)
    plain = StatevectorBackend(use_numba=False)
    generic = StatevectorBackend(use_numba=False, fused=False)
    np.testing.assert_allclose(plain.state(qc, theta), aer_state(qc, theta), atol=TOL)
    got, want = plain.evaluate(qc, theta, qubo, alpha=0.2)[0], generic.evaluate(
        qc, theta, qubo, alpha=0.2)[0]
    assert got.cvar == pytest.approx(want.cvar, abs=TOL)
    assert (got.best_index, got.best_energy) == (want.best_index, want.best_energy)
    np.testing.assert_allclose(plain.gradient(qc, theta, qubo)[1],
                               generic.gradient(qc, theta, qubo)[1], atol=1e-10)
