"""Cost histograms and Grover-mixer / threshold QAOA against independent references: the
feasible-subspace enumeration (energies of every feasible state), the same GM-QAOA ansatz
simulated as a full state over F (projector mixer applied to the state vector), brute-force
optimum shares, finite differences, a chi-square test of the exact sampler, and the Grover
bound as a property."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

import qopt
from qopt.backends.grover import GroverSimulator, grover_bound, level_entropy_bits
from qopt.backends.histogram import build_histogram, integer_quantum
from qopt.backends.subspace import FeasibleSubspace
from qopt.errors import OptionError, SizeLimitError
from qopt.model.structure import detect_structure
from qopt.problems.mdkp import MDKP
from qopt.problems.mis import MIS
from qopt.problems.qap import QAP
from qopt.solvers.quantum.mixers import build_mixer
from qopt.solvers.quantum.qaoa_subspace import constrained_cost
from tests.test_mixers import one_hot_program

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def case(kind: str, seed: int):
    """(program, mixer, cost, problem or None) of a small instance of each feasible-set kind."""
    if kind == "onehot":
        program = one_hot_program((3, 2, 3), 2, seed)
        structure, problem = detect_structure(program), None
    else:
        problem = {"mis": lambda: MIS.generate((12, 0.3), seed=seed),
                   "mdkp": lambda: MDKP.generate(11, seed=seed),
                   "qap": lambda: QAP.generate(6, seed=seed)}[kind]()
        program, structure = problem.to_program(), problem.constraint_structure()
    mixer = build_mixer("feasible", structure, program.num_vars)
    return program, mixer, constrained_cost(program, mixer), problem


def reference(mixer, cost):
    """(energies of every feasible state, its bit rows) from the subspace enumeration."""
    space = FeasibleSubspace.build(mixer)
    return space.energies(cost), space.bits(np.arange(space.size))


def full_state_gm(E, gammas, betas, threshold=None):
    """GM-QAOA / threshold QAOA on the full state over F (one amplitude per feasible state)."""
    N = E.size
    # threshold: a phase on cost <= threshold (E in floats, the levels on an integer grid)
    d = E if threshold is None else \
        (threshold + 1e-9 * max(1.0, abs(threshold)) >= E).astype(float)
    psi = np.full(N, 1 / np.sqrt(N), complex)
    for g, b in zip(gammas, betas, strict=True):
        psi = psi * np.exp(-1j * g * d)
        psi = psi + (np.exp(-1j * b) - 1) * psi.sum() / N      # exp(-i b |F><F|)
    return psi


@pytest.mark.parametrize("kind", ["qap", "mis", "mdkp", "onehot"])
@pytest.mark.parametrize("seed", [0, 1])
def test_histogram_equals_enumeration(kind, seed):
    _program, mixer, cost, _ = case(kind, seed)
    E, _ = reference(mixer, cost)
    levels, counts = np.unique(np.round(E, 9), return_counts=True)
    for threads in (1, 2):
        h = build_histogram(mixer, cost, threads=threads)
        assert h.size == E.size
        np.testing.assert_allclose(h.levels, levels, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(h.counts, counts)


@pytest.mark.parametrize("kind", ["qap", "mis", "mdkp", "onehot"])
@pytest.mark.parametrize("threshold", [False, True])
def test_level_simulation_equals_full_state(kind, threshold):
    _program, mixer, cost, _ = case(kind, 2)
    E, _ = reference(mixer, cost)
    h = build_histogram(mixer, cost)
    rng = np.random.default_rng(3)
    g, b = rng.uniform(0, 2, 3) / (1 if threshold else E.std()), rng.uniform(0, 3, 3)
    th = float(np.quantile(E, 0.2)) if threshold else None
    psi = full_state_gm(E, g, b, th)
    sim = GroverSimulator(h.levels, h.counts, threshold=th)
    a = sim.state(g, b)
    lev = np.searchsorted(h.levels, E - 1e-9)
    # every state of a level has the level's amplitude / sqrt(m_c)
    np.testing.assert_allclose(psi, (a / np.sqrt(h.counts))[lev], atol=1e-12)
    p_full = np.abs(psi) ** 2
    np.testing.assert_allclose(sim.probabilities(), np.bincount(lev, p_full), atol=1e-12)
    assert sim.expectation() == pytest.approx(p_full @ E, abs=1e-9)
    assert sim.probabilities()[0] == pytest.approx(p_full[E.min() + 1e-9 >= E].sum())
    assert sim.max_state_probability() == pytest.approx(p_full.max())
    nz = p_full[p_full > 0]
    assert sim.state_entropy() == pytest.approx(-(nz * np.log2(nz)).sum())
    order = np.argsort(E)
    from qopt.backends.base import cvar_from_distribution
    assert sim.cvar(0.2) == pytest.approx(cvar_from_distribution(E[order], p_full[order], 0.2))


@pytest.mark.parametrize("alpha", [1.0, 0.3])
def test_level_gradient_matches_finite_differences(alpha):
    _program, mixer, cost, _ = case("qap", 4)
    h = build_histogram(mixer, cost)
    sim = GroverSimulator(h.levels, h.counts)
    rng = np.random.default_rng(0)
    g, b = rng.uniform(0, 0.02, 2), rng.uniform(0, 2, 2)
    v, dg, db = sim.value_and_grad(g, b, alpha)
    eps = 1e-6

    def f(gg, bb):
        sim.state(gg, bb)
        return sim.expectation() if alpha >= 1 else sim.cvar(alpha)

    assert v == pytest.approx(f(g, b))
    for i in range(2):
        e = np.eye(2)[i] * eps
        assert dg[i] == pytest.approx((f(g + e, b) - f(g - e, b)) / (2 * eps), rel=1e-4, abs=1e-4)
        assert db[i] == pytest.approx((f(g, b + e) - f(g, b - e)) / (2 * eps), rel=1e-4, abs=1e-4)


@pytest.mark.parametrize("kind", ["qap", "mis", "mdkp", "onehot"])
@pytest.mark.parametrize("threshold", [False, True])
def test_exact_sampling_matches_state_distribution(kind, threshold):
    """Second-pass samples of GM- and threshold-QAOA states: every one feasible, and their
    frequencies over F fit the full-state probabilities (chi-square over the states, pooled
    where expected counts are small)."""
    program, mixer, cost, _ = case(kind, 5)
    E, B = reference(mixer, cost)
    h = build_histogram(mixer, cost, threads=2)
    th = float(np.quantile(E, 0.1)) if threshold else None
    sim = GroverSimulator(h.levels, h.counts, threshold=th)
    g = np.array([2.1, 1.3]) if threshold else np.array([0.7, 0.4]) / E.std()
    b = np.array([1.1, 0.6])
    sim.state(g, b)
    p_full = np.abs(full_state_gm(E, g, b, th)) ** 2
    rng = np.random.default_rng(11)
    shots = 20000
    X = h.sample_states(sim.draw_levels(shots, rng), rng, threads=2)
    assert X.shape == (shots, program.num_vars)
    assert np.all(program.is_feasible(X))
    # map each sample to its state index in the enumeration
    key_all = {r.tobytes(): i for i, r in enumerate(B.astype(np.uint8))}
    idx = np.array([key_all[r.tobytes()] for r in X.astype(np.uint8)])
    obs = np.bincount(idx, minlength=E.size).astype(float)
    exp = p_full * shots
    big = exp >= 5
    o = np.r_[obs[big], obs[~big].sum()]
    e = np.r_[exp[big], exp[~big].sum()]
    keep = e > 0
    assert chisquare(o[keep], e[keep] * o[keep].sum() / e[keep].sum()).pvalue > 1e-3
    # same seed, same samples
    rng2 = np.random.default_rng(11)
    X2 = h.sample_states(sim.draw_levels(shots, rng2), rng2, threads=1)
    np.testing.assert_array_equal(X, X2)


def test_optimum_share_equals_brute_force_permutations():
    """probability_optimum_initial = the share of optimal permutations, by brute force over
    all m! assignments of the problem's own evaluator."""
    problem = QAP.generate(6, seed=7)
    m = 6
    perms = np.array(list(itertools.permutations(range(m))))
    X = np.stack([problem.encode(p) for p in perms])
    values = problem.evaluate_batch(X)
    best = values.min()
    share = float(np.mean(np.isclose(values, best)))
    problem.optimum = float(best)
    r = qopt.solve(problem, "th-qaoa", p=1, seed=0, maxiter=30, shots=64)
    assert r.info["probability_optimum_initial"] == pytest.approx(share, rel=1e-12)
    assert r.info["optimum_multiplicity"] == int(np.isclose(values, best).sum())
    assert r.info["histogram_best_objective"] == pytest.approx(best)


@SETTINGS
@given(st.integers(1, 4), st.integers(0, 2**31 - 1), st.booleans())
def test_probability_never_exceeds_grover_bound(p, seed, threshold):
    rng = np.random.default_rng(seed)
    L = int(rng.integers(2, 40))
    counts = rng.integers(1, 50, L)
    levels = np.sort(rng.choice(1000, L, replace=False)).astype(float)
    sim = GroverSimulator(levels, counts, threshold=levels[rng.integers(L)] if threshold else None)
    sim.state(rng.uniform(-4, 4, p), rng.uniform(-4, 4, p))
    prob = sim.probabilities()
    share = counts / counts.sum()
    # |a_c| <= (2p + 1) w_c for every level, the optimum's included
    assert np.all(prob <= (2 * p + 1) ** 2 * share + 1e-12)
    assert prob[0] <= grover_bound(p, share[0]) + 1e-12


def test_uniform_state_diagnostics():
    counts = np.array([1, 3, 6])
    assert level_entropy_bits(counts / 10, counts) == pytest.approx(np.log2(10))
    sim = GroverSimulator([0.0, 1.0, 2.0], counts)
    assert sim.max_state_probability() == pytest.approx(0.1)


def test_integer_quantum():
    assert integer_quantum([3.0, -2.0, 0.0]) == (1.0, True)
    q, exact = integer_quantum([0.5, 0.25, 1.75])
    assert exact and q == 0.25
    q, exact = integer_quantum([np.pi, np.e])
    assert not exact and q == pytest.approx(np.pi * 2.0**-40)


def test_th_qaoa_end_to_end_and_seeded():
    problem = MIS.generate((14, 0.3), seed=2)
    r1 = qopt.solve(problem, "th-qaoa", p=2, seed=5, shots=200)
    r2 = qopt.solve(problem, "th-qaoa", p=2, seed=5, shots=200)
    i = r1.info
    assert i["sample_feasible_fraction"] == 1.0 and r1.raw.feasible
    assert i["probability_optimum_exact"] > i["probability_optimum_initial"]
    assert i["probability_optimum_exact"] <= i["grover_bound"] + 1e-12
    assert i["state_entropy_unit"] == "bits"
    assert i["threshold"] in [t["threshold"] for t in i["thresholds_tried"]]
    assert r1.objective == r2.objective and i["gammas"] == r2.info["gammas"]
    # given threshold and fixed angles: valued once, not optimised
    r3 = qopt.solve(problem, "th-qaoa", p=1, threshold=i["threshold"], maxiter=0,
                    angles={"gamma": [np.pi], "beta": [np.pi]}, seed=1, shots=10)
    assert r3.info["circuit_evaluations"] == 1 and r3.info["gammas"] == [np.pi]


def test_refusals_before_work():
    problem = QAP.generate(5, seed=0)
    with pytest.raises(OptionError, match="histogram"):
        qopt.solve(problem, "th-qaoa", backend="aer")
    with pytest.raises(OptionError, match="angles"):
        qopt.solve(problem, "th-qaoa", p=2, angles={"gamma": [1.0], "beta": [1.0]})
    with pytest.raises(OptionError, match="maxiter"):
        qopt.solve(problem, "th-qaoa", maxiter=0)
    with pytest.raises(OptionError):
        qopt.solve(qopt.QUBO(np.zeros((3, 3))), "th-qaoa")


def test_pass_time_is_planned():
    """A 13-item permutation pass is refused by the time plan before it starts."""
    import os

    problem = QAP.generate(13, seed=0)
    old = os.environ.get("QOPT_TIME_LIMIT")
    os.environ["QOPT_TIME_LIMIT"] = "10"
    try:
        with pytest.raises(SizeLimitError, match="histogram pass"):
            qopt.solve(problem, "th-qaoa")
    finally:
        if old is None:
            del os.environ["QOPT_TIME_LIMIT"]
        else:
            os.environ["QOPT_TIME_LIMIT"] = old


def test_gm_qaoa_solver_matches_full_state():
    """qaoa --mixer grover: the reported P(opt), expectation and concentration equal the
    full-state simulation over F at the reported (true) angles; samples are permutations."""
    problem = QAP.generate(6, seed=9)
    _, mixer, cost, _ = case("qap", 9)
    E, _ = reference(mixer, cost)
    problem.optimum = float(E.min())          # QAP: cost = objective on permutations
    r = qopt.solve(problem, "qaoa", mixer="grover", p=2, seed=3, shots=300)
    i = r.info
    psi = full_state_gm(E, i["gammas"], i["betas"])
    p_full = np.abs(psi) ** 2
    optimal = np.less_equal(E, E.min() + 1e-9)
    assert i["probability_optimum_exact"] == pytest.approx(p_full[optimal].sum())
    assert i["expectation"] == pytest.approx(p_full @ E)
    assert i["max_state_probability"] == pytest.approx(p_full.max())
    assert i["probability_optimum_exact"] > i["probability_optimum_initial"]
    assert i["probability_optimum_exact"] <= i["grover_bound"]
    assert r.raw.feasible and i["sample_feasible_fraction"] == 1.0
    assert r.probability_optimum is not None


@pytest.mark.parametrize("solver,opts,match", [
    ("ma-qaoa", {}, "per-term"), ("ws-qaoa", {}, "ws-qaoa"),
    ("qaoa", {"init_state": "empty"}, "init_state"),
    ("qaoa", {"backend": "aer"}, "histogram")])
def test_grover_mixer_refusals(solver, opts, match):
    with pytest.raises(OptionError, match=match):
        qopt.solve(QAP.generate(4, seed=0), solver, mixer="grover", **opts)


def test_mixer_order_refused_where_it_cannot_matter():
    with pytest.raises(OptionError, match="mixer_order"):
        qopt.solve(MIS.generate((6, 0.3), seed=0), "qaoa", mixer_order="random")
    with pytest.raises(OptionError, match="mixer_order"):
        qopt.solve(MIS.generate((6, 0.3), seed=0), "qaoa", mixer="independent-set",
                   mixer_order="sideways")


def test_concentration_reported_by_statevector_and_subspace():
    problem = MIS.generate((8, 0.3), seed=1)
    sv = qopt.solve(problem, "qaoa", p=1, seed=0, maxiter=20, shots=50)
    sub = qopt.solve(problem, "qaoa", mixer="independent-set", p=1, seed=0, maxiter=20,
                     shots=50, mixer_order="random")
    for r in (sv, sub):
        assert 0 < r.info["max_state_probability"] <= 1
        assert r.info["state_entropy_unit"] == "bits" and r.info["state_entropy"] >= 0
    assert len(sub.info["mixer_orders"]) == 1


def test_mdkp_greedy_collapse_is_reported():
    """Held-out MDKP (16 items, 4 rows, generator seed 101), capacity mixer from the empty
    set, p = 3: the optimised state is one basis state, and the result says so."""
    from qopt.solvers.quantum.concentration import NOTE

    r = qopt.solve(MDKP.generate((16, 4), seed=101), "qaoa", mixer="capacity", p=3, seed=0,
                   budget=1000)
    assert r.info["max_state_probability"] >= 0.9
    assert r.info["concentration_note"] == NOTE and NOTE in str(r)


@pytest.mark.parametrize("kind", ["mis", "onehot"])
def test_histogram_of_a_hubo_cost(kind):
    """Terms of degree 3 and 4 added to the cost: the histogram equals the HUBO's own energies
    of every feasible state (sets and products walk them by flip deltas)."""
    from qopt.model.hubo import HUBO

    _, mixer, cost, _ = case(kind, 3)
    _, B = reference(mixer, cost)
    n = cost.num_vars
    rng = np.random.default_rng(0)
    terms = {(int(i),): float(v) for i, v in enumerate(cost.linear)}
    U = cost.quadratic.tocoo()
    terms.update({(int(i), int(j)): float(v) for i, j, v in zip(U.row, U.col, U.data,
                                                                strict=True)})
    for d in (3, 3, 4, 4, 4):
        terms[tuple(sorted(rng.choice(n, d, replace=False).tolist()))] = float(
            rng.integers(-5, 6))
    hubo = HUBO(terms, offset=cost.offset, num_vars=n)
    assert hubo.degree >= 3
    E = hubo.energy(B)
    levels, counts = np.unique(np.round(E, 9), return_counts=True)
    h = build_histogram(mixer, hubo, threads=2)
    np.testing.assert_allclose(h.levels, levels, atol=1e-9)
    np.testing.assert_array_equal(h.counts, counts)
    rng2 = np.random.default_rng(1)
    X = h.sample_states(np.r_[0, np.ones(h.num_levels - 1, np.int64)], rng2)
    np.testing.assert_allclose(np.sort(hubo.energy(X)), h.levels[1:], atol=1e-9)
