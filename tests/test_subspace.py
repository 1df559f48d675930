"""Feasible-subspace simulator against the dense 2^n reference (cost layers + mixers as matrix
exponentials), its adjoint gradient against finite differences, its memory refusal, and the
constrained QAOA solvers end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.linalg import expm_multiply

import qopt
from qopt.backends.base import cvar_from_distribution
from qopt.backends.subspace import FeasibleSubspace
from qopt.bits import indices_to_bits
from qopt.errors import OptionError, SizeLimitError
from qopt.model.structure import detect_structure
from qopt.problems.mdkp import MDKP
from qopt.problems.mis import MIS
from qopt.problems.qap import QAP
from qopt.solvers.quantum.mixers import build_mixer, dense_hamiltonian, in_subspace, initial_state
from qopt.solvers.quantum.qaoa import Ansatz
from qopt.solvers.quantum.qaoa_subspace import SubspaceEvaluator, constrained_cost
from qopt.solving import as_problem
from tests.test_mixers import one_hot_program

SETTINGS = settings(max_examples=5, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def make_case(kind: str, mixer: str, init: str, seed: int, p: int = 2, multi: bool = False,
              alpha: float = 1.0):
    """(program, ansatz, evaluator) of a small random instance."""
    if kind == "onehot":
        program = one_hot_program((3, 2, 3), 2, seed)
        structure, repair = detect_structure(program), None
    else:
        problem = {"mis": lambda: MIS.generate((9, 0.35), seed=seed),
                   "mdkp": lambda: MDKP.generate(9, seed=seed),
                   "qap": lambda: QAP.generate(3, seed=seed)}[kind]()
        program, structure, repair = problem.to_program(), problem.constraint_structure(), \
            problem.repair
    n = program.num_vars
    mx = build_mixer(mixer, structure, n)
    greedy = repair(np.zeros(n, np.uint8)) if init == "greedy" else None
    ini = initial_state(mx, init, greedy)
    ansatz = Ansatz(constrained_cost(program, mx), p, multi, None, mx, ini)
    return program, ansatz, SubspaceEvaluator(ansatz, alpha)


def dense_state(ansatz: Ansatz, x) -> tuple[np.ndarray, np.ndarray]:
    """(psi over all 2^n states, in-subspace mask): initial state, then per layer the cost
    phase and every partial mixer as expm_multiply of its dense Hamiltonian."""
    n, mixer, init = ansatz.n, ansatz.mixer, ansatz.init
    allbits = indices_to_bits(np.arange(1 << n), n)
    inside = in_subspace(mixer, allbits)
    if init.kind == "basis":
        psi = np.zeros(1 << n, complex)
        psi[int(init.bits.astype(np.int64) @ (1 << np.arange(n)))] = 1.0
    else:
        psi = inside / np.sqrt(inside.sum()) + 0j
    E = ansatz.qubo.diagonal()
    z = 1.0 - 2.0 * allbits
    H = [dense_hamiltonian(pm, n) for pm in mixer.partials]
    g, b = ansatz.split(x)
    for layer in range(ansatz.p):
        if ansatz.multi_angle:
            d = sum(g[layer, t] * c * np.prod(z[:, list(term)], axis=1)
                    for t, (term, c) in enumerate(zip(ansatz.terms, ansatz.coeffs, strict=True)))
        else:
            d = g[layer] * E
        psi = psi * np.exp(-1j * d)
        for k, Hk in enumerate(H):
            beta = b[layer, k] if ansatz.multi_angle else b[layer]
            psi = expm_multiply(-1j * beta * Hk, psi)
    return psi, inside


CASES = [("mis", "independent-set", "default"), ("mis", "capacity", "greedy"),
         ("mdkp", "capacity", "default"), ("qap", "swap", "default"),
         ("qap", "swap", "identity"), ("qap", "xy-ring", "default"),
         ("onehot", "xy-ring", "default"), ("onehot", "xy-complete", "identity")]


@pytest.mark.parametrize("kind,mixer,init", CASES)
@SETTINGS
@given(seed=st.integers(0, 10_000), multi=st.booleans())
def test_subspace_distribution_equals_dense_reference(kind, mixer, init, seed, multi):
    _, ansatz, ev = make_case(kind, mixer, init, seed, multi=multi)
    x = np.random.default_rng(seed).uniform(-1.5, 1.5, ansatz.num_params)
    psi, inside = dense_state(ansatz, x)
    dense = np.abs(psi) ** 2
    assert dense[~inside].sum() <= 1e-10
    ev.state(x)
    sub = ev.sim.probabilities()
    idx = ev.sim.space.bits(np.arange(ev.size)).astype(np.int64) @ (1 << np.arange(ansatz.n))
    assert ev.size == inside.sum()
    assert np.abs(dense[idx] - sub).max() <= 1e-9
    assert abs(ev.value(x) - dense @ ansatz.qubo.diagonal()) <= 1e-9 * max(1, abs(ev.value(x)))


@pytest.mark.parametrize("kind,mixer,init", CASES[::2])
@pytest.mark.parametrize("multi", [False, True])
def test_adjoint_gradient_equals_finite_differences(kind, mixer, init, multi):
    _, ansatz, ev = make_case(kind, mixer, init, seed=7, p=2, multi=multi)
    x = np.random.default_rng(3).uniform(-1, 1, ansatz.num_params)
    val, grad = ev.value_and_grad(x)
    assert val == pytest.approx(ev.value(x), abs=1e-10)
    h = 1e-5
    fd = np.array([(ev.value(x + h * e) - ev.value(x - h * e)) / (2 * h)
                   for e in np.eye(len(x))])
    scale = max(1.0, np.abs(fd).max())
    assert np.abs(grad - fd).max() <= 1e-6 * scale


def test_cvar_on_the_subspace_matches_the_distribution():
    ev = make_case("mdkp", "capacity", "default", seed=2, alpha=0.2)[2]
    x = np.array([0.4, -0.3, 0.7, 0.2])
    e, c = ev.expectation_and_cvar(x)
    p = ev.sim.probabilities().copy()
    assert c == pytest.approx(cvar_from_distribution(ev.diag, p, 0.2), abs=1e-9)
    assert e == pytest.approx(p @ ev.diag, abs=1e-9)
    val, grad = ev.value_and_grad(x)           # CVaR gradient: weights held fixed, finite
    assert val == pytest.approx(c, abs=1e-9) and np.all(np.isfinite(grad))


def test_samples_and_correlators_are_full_feasible_rows():
    program, ansatz, ev = make_case("qap", "swap", "default", seed=1)
    x = np.array([0.3, 0.2, 0.5, 0.4])
    s = ev.sample(x, 500, np.random.default_rng(0))
    assert s.bits.shape[1] == 9 and s.weights.sum() == 500
    assert np.all(program.is_feasible(s.bits))
    psi, _ = dense_state(ansatz, x)
    probs = np.abs(psi) ** 2
    z = 1 - 2 * indices_to_bits(np.arange(512), 9).astype(float)
    masks = [1 | 2, 1 << 4, (1 << 2) | (1 << 8)]
    expect = [probs @ np.prod(z[:, [q for q in range(9) if (m >> q) & 1]], axis=1)
              for m in masks]
    assert np.allclose(ev.z_correlators(x, masks), expect, atol=1e-12)


def test_feasible_set_over_the_memory_limit_is_refused_before_allocation(monkeypatch):
    mis = MIS.generate((40, 0.05), seed=0)            # far more than 2,000 independent sets
    mx = build_mixer("feasible", mis.constraint_structure(), 40)
    monkeypatch.setenv("QOPT_MEMORY_LIMIT", "200K")
    with pytest.raises(SizeLimitError, match=r"at least [\d,]+ states"):
        FeasibleSubspace.build(mx)
    q = QAP.generate(9, seed=0)                        # 9! states, known in advance
    mx = build_mixer("swap", q.constraint_structure(), 81)
    with pytest.raises(SizeLimitError, match="at least 362,880 states"):
        FeasibleSubspace.build(mx)
    monkeypatch.setenv("QOPT_MEMORY_LIMIT", "4M")
    with pytest.raises(SizeLimitError, match=r"at least [\d,]+ states"):
        qopt.solve(mis, "qaoa", mixer="feasible", p=1, maxiter=2)


def test_partner_tables_and_per_layer_partners_agree(monkeypatch):
    q = QAP.generate(5, seed=4)
    mx = build_mixer("swap", q.constraint_structure(), 25)
    full = FeasibleSubspace.build(mx)
    assert full.tables is not None
    # room for the states but not for the 10 x 120 uint32 tables: computed per layer
    need = full.plan.total_bytes - 4 * 10 * 120
    monkeypatch.setenv("QOPT_MEMORY_LIMIT", str(int(need) + 100))
    lean = FeasibleSubspace.build(mx)
    assert lean.tables is None
    for k in range(mx.num_partials):
        assert np.array_equal(lean.partner(k), full.partner(k))


# ---- the solvers end to end --------------------------------------------------------------
def test_qaoa_feasible_mixer_on_mis_samples_only_independent_sets():
    r = qopt.solve("mis:1tc.16", "qaoa", mixer="feasible", p=2, maxiter=40, seed=1)
    i = r.info
    assert i["mixer"]["name"] == "independent-set" and r.num_qubits == 16
    assert i["sample_feasible_fraction"] == 1.0 and r.raw.feasible
    assert i["subspace_size"] > 16 and i["initial_state"]["name"] == "empty"
    assert i["expectation"] < i["initial_expectation"]
    assert i["probability_optimum_exact"] > i["probability_optimum_initial"]


def test_qaoa_swap_mixer_on_a_generated_qap_and_ma_qaoa_angles():
    q = QAP.generate(6, seed=3)
    q.optimum = float(min(q.evaluate(q.encode(p)) for p in _perms(6)))
    r = qopt.solve(q, "qaoa", mixer="feasible", p=2, maxiter=40, seed=2)
    assert r.info["sample_feasible_fraction"] == 1.0 and r.raw.feasible
    assert r.info["subspace_size"] == 720 and r.num_qubits == 36 and r.num_slack == 0
    assert r.info["expectation"] < r.info["initial_expectation"]
    ma = qopt.solve(q, "ma-qaoa", mixer="swap", init_state="identity", p=1, maxiter=30,
                    seed=2)
    assert len(ma.info["betas"][0]) == 15                   # one beta per partial swap
    assert ma.info["initial_state"]["preparable"] and ma.info["sample_feasible_fraction"] == 1


def test_constrained_mdkp_has_no_slack_qubits_and_ws_qaoa_starts_feasible():
    r = qopt.solve("mdkp:pet2", "ws-qaoa", mixer="feasible", p=1, maxiter=15, seed=0)
    assert r.num_qubits == 10 and r.info["sample_feasible_fraction"] == 1.0
    init = r.info["initial_state"]
    assert init["name"] == "warm-start" and init["kind"] == "basis"
    problem = as_problem("mdkp:pet2")
    assert problem.is_feasible(np.array(init["bits"]))
    c = qopt.solve("mdkp:pet2", "cvar-qaoa", mixer="capacity", p=1, maxiter=10, seed=0)
    assert c.info["sample_feasible_fraction"] == 1.0 and c.info["alpha"] == 0.25


def test_mixer_option_errors():
    with pytest.raises(OptionError, match="rqaoa"):
        qopt.solve("mis:1tc.8", "rqaoa", mixer="feasible")
    with pytest.raises(OptionError, match="mixer must be one of"):
        qopt.solve("mis:1tc.8", "qaoa", mixer="ring")
    with pytest.raises(OptionError, match="no constraint structure"):
        qopt.solve("maxcut:reg3_16", "qaoa", mixer="feasible", maxiter=2)
    with pytest.raises(OptionError, match="init_state"):
        qopt.solve("mis:1tc.8", "qaoa", init_state="empty")


def _perms(m):
    from itertools import permutations
    return permutations(range(m))


def test_cli_mixer_and_init_state_flags(capsys):
    from qopt.cli import main

    rc = main(["solve", "mdkp", "--instance", "pet2", "--solver", "ma-qaoa", "--mixer",
               "feasible", "--init-state", "greedy", "--p", "1", "--maxiter", "5", "--seed",
               "3", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["num_qubits"] == 10 and out["num_slack"] == 0
    assert out["info"]["mixer"]["name"] == "capacity"
    assert out["info"]["initial_state"]["name"] == "greedy"
    assert out["info"]["sample_feasible_fraction"] == 1.0
    assert len(out["info"]["betas"][0]) == 10                # ma-qaoa: one per partial mixer


@pytest.mark.parametrize("multi", [False, True])
def test_x_mixer_on_the_whole_space_equals_the_engine(multi):
    """The subspace simulator with the x mixer on all 2^n masks reproduces the engine."""
    from qopt.solvers.quantum.qaoa import EngineEvaluator

    mis = MIS.generate((7, 0.4), seed=5)
    qubo = constrained_cost(mis.to_program(), build_mixer("x", None, 7))
    mx = build_mixer("x", None, 7)
    ansatz = Ansatz(qubo, 2, multi, None, mx, initial_state(mx, "default"))
    sub = SubspaceEvaluator(ansatz)
    eng = EngineEvaluator(Ansatz(qubo, 2, multi))
    x = np.random.default_rng(1).uniform(-1, 1, ansatz.num_params)
    assert sub.size == 128
    assert sub.value(x) == pytest.approx(eng.value(x), abs=1e-9)
    assert np.allclose(sub.value_and_grad(x)[1], eng.value_and_grad(x)[1], atol=1e-8)


def test_parameter_transfer_with_a_constrained_mixer():
    r = qopt.solve("mis:1tc.16", "qaoa", mixer="feasible", p=2, maxiter=20, seed=0,
                   init="transfer", transfer_from="mis:1tc.8")
    assert r.info["transfer"]["source_instance"] == "1tc.8"
    assert r.info["circuit_evaluations"] == 1 and r.info["sample_feasible_fraction"] == 1.0
    assert r.info["expectation"] < r.info["initial_expectation"]


def test_mdkp_pet4_runs_on_its_20_items():
    r = qopt.solve("mdkp:pet4", "qaoa", mixer="feasible", p=1, maxiter=6, seed=1, shots=256)
    assert r.num_qubits == 20 and r.num_slack == 0
    assert r.info["subspace_size"] == 422_601 and r.info["sample_feasible_fraction"] == 1.0
    assert r.info["expectation"] < r.info["initial_expectation"] == 0.0


def test_values_and_gradients_do_not_depend_on_the_thread_count():
    """Reductions sum fixed chunks in order: one thread and two give the same bits, so the
    optimiser's path (and the result under a seed) does not change with the machine's load."""
    mis = MIS.generate((30, 0.2), seed=2)                # 55,768 independent sets
    mx = build_mixer("independent-set", mis.constraint_structure(), 30)
    ansatz = Ansatz(constrained_cost(mis.to_program(), mx), 2, False, None, mx,
                    initial_state(mx, "default"))
    one, two = SubspaceEvaluator(ansatz, threads=1), SubspaceEvaluator(ansatz, threads=2)
    assert one.size > 4 * 8192                     # several reduction chunks
    x = np.random.default_rng(3).uniform(-1, 1, ansatz.num_params)
    v1, g1 = one.value_and_grad(x)
    v2, g2 = two.value_and_grad(x)
    assert v1 == v2 and np.array_equal(g1, g2)
    assert one.value(x) == two.value(x) == v1


@pytest.mark.parametrize("kind,mixer,init", [("mis", "independent-set", "default"),
                                             ("mis", "capacity", "greedy"),
                                             ("mdkp", "capacity", "default")])
@pytest.mark.parametrize("block", [4, 1 << 15])
def test_blocked_runs_and_paired_passes_equal_the_dense_reference(kind, mixer, init, block,
                                                                  monkeypatch):
    """Mask subspaces apply their leading partial mixers block by block (states sharing the
    bits above the run, in cache) and the others two per pass (orbits of a base state): the
    distribution, value and gradient are those of one partial mixer after the other."""
    from qopt.backends import subspace

    monkeypatch.setattr(subspace, "MASK_BLOCK_STATES", block)
    _, ansatz, ev = make_case(kind, mixer, init, seed=5, p=2)
    runs = ev.sim.space.runs
    blocked = [r for r in runs if r[2] is not None]
    assert blocked and (block > 4 or len(runs) > 2)
    x = np.random.default_rng(2).uniform(-1.2, 1.2, ansatz.num_params)
    psi, _ = dense_state(ansatz, x)
    ev.state(x)
    idx = ev.sim.space.bits(np.arange(ev.size)).astype(np.int64) @ (1 << np.arange(ansatz.n))
    assert np.abs(np.abs(psi[idx]) ** 2 - ev.sim.probabilities()).max() <= 1e-10
    val, grad = ev.value_and_grad(x)
    single = SubspaceEvaluator(ansatz)
    single.sim.space.runs = [(k, k + 1, None) for k in range(ansatz.mixer.num_partials)]
    monkeypatch.setattr(type(single.sim), "_pairable", lambda *a: False)
    v2, g2 = single.value_and_grad(x)
    assert abs(val - v2) <= 1e-10 and np.allclose(grad, g2, atol=1e-10)


@pytest.mark.parametrize("kind,mixer", [("mis", "independent-set"), ("mdkp", "capacity")])
def test_pair_lists_give_the_scanned_blocked_runs_bit_for_bit(kind, mixer, monkeypatch):
    """A blocked run from its pair lists (qopt.backends.subspace_pairs) performs the scan's
    rotations in the scan's order: identical states, forward and inverse, with the phase;
    the lists are in the memory plan, and a limit without room for them leaves the scan."""
    from qopt.backends import subspace

    monkeypatch.setattr(subspace, "MASK_BLOCK_STATES", 16)
    _, ansatz, ev = make_case(kind, mixer, "default", seed=3, p=1)
    space, sim = ev.sim.space, ev.sim
    assert space.pairs and any("pair lists" in item.what for item in space.plan.memory)
    for (k0, k1), (first, second, offs) in space.pairs.items():
        assert np.all(first < second) and offs[-1] == first.size
        assert first.size == sum(int(np.count_nonzero(space.tables[k] > np.arange(space.size)))
                                 for k in range(k0, k1))
    rng = np.random.default_rng(0)
    betas = rng.uniform(-1, 1, ansatz.mixer.num_partials)
    start = rng.normal(size=sim.size) + 1j * rng.normal(size=sim.size)
    table = np.exp(-0.3j * np.arange(64))
    sim.use_levels(np.arange(sim.size) % 64 * 1.0)
    for inverse in (False, True):
        listed = sim.apply_mixer(betas, start.copy(), inverse=inverse, phase=table)
        kept, space.pairs = space.pairs, {}
        scanned = sim.apply_mixer(betas, start.copy(), inverse=inverse, phase=table)
        space.pairs = kept
        assert np.array_equal(listed, scanned)
        assert not np.allclose(listed, start)
    need = space.plan.total_bytes
    pair_bytes = sum(8 * f.size + 8 * o.size for f, _, o in space.pairs.values())
    monkeypatch.setenv("QOPT_MEMORY_LIMIT", str(int(need - pair_bytes + 8)))
    lean = FeasibleSubspace.build(ansatz.mixer)
    assert lean.tables is not None and not lean.pairs


def test_pair_rotation_is_the_scalar_formula_bit_for_bit():
    """The 2-lane pair rotation (kernels.simd.rotate_pair, used by every subspace pass) gives
    exactly the scalar formula's bits: (c a.re + sn b.im, c a.im - sn b.re) and the same for
    b, with signed and unsigned indices."""
    from qopt.backends import subspace_kernels as K

    rng = np.random.default_rng(7)
    n = 4096
    psi = rng.normal(size=n) * 10.0 ** rng.integers(-30, 30, n) + 1j * rng.normal(size=n)
    partner = np.arange(n)
    perm = rng.permutation(n)
    partner[perm[: n // 2]] = perm[n // 2:]
    partner[perm[n // 2:]] = perm[: n // 2]
    for beta, dtype in ((0.37, np.uint32), (-2.1, np.int64), (1e-9, np.int32)):
        got = psi.copy()
        K.rotate_pairs(got, partner.astype(dtype), beta)
        c, sn = np.cos(beta), np.sin(beta)
        s = np.flatnonzero(partner > np.arange(n))
        t = partner[s]
        a, b = psi[s], psi[t]
        want = psi.copy()
        want.real[s] = c * a.real + sn * b.imag
        want.imag[s] = c * a.imag - sn * b.real
        want.real[t] = c * b.real + sn * a.imag
        want.imag[t] = c * b.imag - sn * a.real
        assert np.array_equal(got.view(np.uint64), want.view(np.uint64)), dtype
