"""Circuits of the constraint-preserving mixers against a dense 2^n reference and Aer.

The reference here is written from the mixer conventions alone (each partial mixer a sum of
partial involutions on all 2^n basis states, exp(-i beta B) by scipy's expm_multiply), so it
checks the circuits and the subspace simulator independently of either.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.linalg import expm_multiply

from qopt.errors import OptionError, SizeLimitError
from qopt.model.qubo import QUBO
from qopt.solvers.quantum.mixer_circuits import (
    InitialGates,
    PartialGates,
    append_w_state,
    mixer_qaoa_circuit,
    permutation_bits,
    swap_excitations,
)

pytest.importorskip("qiskit_aer")

SETTINGS = settings(max_examples=4, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


# -- dense reference ---------------------------------------------------------------------------

def _pairs(n, partner, paired) -> sp.csr_matrix:
    s = np.flatnonzero(paired)
    return sp.csr_matrix((np.ones(s.size), (s, partner[s])), shape=(1 << n, 1 << n))


def dense_partial(n: int, part: PartialGates) -> sp.csr_matrix:
    """B of one partial mixer on all 2^n states (sum of its pairings)."""
    s = np.arange(1 << n, dtype=np.int64)

    def bit(q):
        return (s >> q) & 1

    if part.kind == "x":
        return _pairs(n, s ^ (1 << part.qubits[0]), np.ones(s.size, bool))
    if part.kind == "xy":
        a, b = part.qubits
        return _pairs(n, s ^ ((1 << a) | (1 << b)), bit(a) != bit(b))
    if part.kind == "independent-set":
        free = np.ones(s.size, bool)
        for u in part.controls:
            free &= bit(u) == 0
        return _pairs(n, s ^ (1 << part.qubits[0]), free)
    if part.kind == "swap":
        B = sp.csr_matrix((1 << n, 1 << n))
        for a, b, c, d in part.excitations:
            pattern = (bit(a) != bit(b)) & (bit(a) == bit(c)) & (bit(b) == bit(d))
            B = B + _pairs(n, s ^ ((1 << a) | (1 << b) | (1 << c) | (1 << d)), pattern)
        return B
    raise AssertionError(part.kind)


def dense_qaoa_state(qubo, gammas, betas, partials, psi0) -> np.ndarray:
    """prod_l [prod_k exp(-i beta_lk B_k)] exp(-i gamma_l H_C) psi0, on all 2^n states."""
    n = qubo.num_vars
    energy = qubo.diagonal()
    Bs = [dense_partial(n, part) for part in partials]
    psi = np.asarray(psi0, dtype=complex)
    betas = np.asarray(betas, float)
    for layer, g in enumerate(gammas):
        psi = psi * np.exp(-1j * g * energy)
        for k, B in enumerate(Bs):
            beta = betas[layer] if betas.ndim == 1 else betas[layer, k]
            psi = expm_multiply(-1j * beta * B, psi)
    return psi


def aer_statevector(qc) -> np.ndarray:
    from qiskit import transpile
    from qiskit_aer import AerSimulator

    sim = AerSimulator(method="statevector")
    # level 1 as qopt's AerBackend: levels 2-3 resynthesise 2-qubit blocks approximately
    # (seen: 2e-5 amplitude error on a controlled RX block)
    t = transpile(qc, sim, optimization_level=1)
    t.save_statevector()
    return np.asarray(sim.run(t).result().get_statevector())


def random_qubo(n: int, rng) -> QUBO:
    U = sp.csr_matrix(np.triu(rng.normal(size=(n, n)), 1))
    return QUBO(U, rng.normal(size=n), float(rng.normal()), num_vars=n)


def random_graph(n: int, rng, density: float = 0.35) -> list[tuple[int, int]]:
    return [(u, v) for u, v in itertools.combinations(range(n), 2) if rng.random() < density]


def independent_set_partials(n, edges) -> list[PartialGates]:
    nb: dict[int, list[int]] = {v: [] for v in range(n)}
    for u, v in edges:
        nb[u].append(v)
        nb[v].append(u)
    return [PartialGates("independent-set", (v,), tuple(sorted(nb[v]))) for v in range(n)]


def xy_partials(groups, free, ring: bool) -> list[PartialGates]:
    out = []
    for g in groups:
        m = len(g)
        pairs = (list(itertools.combinations(range(m), 2)) if not ring else
                 [(i, i + 1) for i in range(m - 1)] + ([(m - 1, 0)] if m > 2 else []))
        out += [PartialGates("xy", (g[i], g[j])) for i, j in pairs]
    return out + [PartialGates("x", (q,)) for q in free]


def swap_partials(m: int, index=None) -> list[PartialGates]:
    return [PartialGates("swap", (), excitations=swap_excitations(m, p, q, index))
            for p, q in itertools.combinations(range(m), 2)]


def _angles(rng, p, k=None):
    g = rng.uniform(-1.0, 1.0, p)
    b = rng.uniform(-1.0, 1.0, p if k is None else (p, k))
    return g, b


def _check(qubo, gammas, betas, partials, init, psi0, feasible_idx):
    ref = dense_qaoa_state(qubo, gammas, betas, partials, psi0)
    qc = mixer_qaoa_circuit(qubo, gammas, betas, partials, init)
    got = aer_statevector(qc)
    assert np.max(np.abs(got - ref)) < 1e-9
    outside = 1.0 - float(np.sum(np.abs(got[feasible_idx]) ** 2))
    assert outside < 1e-10
    ref_outside = 1.0 - float(np.sum(np.abs(ref[feasible_idx]) ** 2))
    assert ref_outside < 1e-10
    return got


# -- tests -------------------------------------------------------------------------------------

@pytest.mark.parametrize("m", [1, 2, 3, 5])
def test_w_state_is_uniform_over_one_hot_states(m):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(m)
    append_w_state(qc, range(m))
    psi = aer_statevector(qc)
    want = np.zeros(1 << m)
    want[1 << np.arange(m)] = 1.0 / np.sqrt(m)
    assert np.max(np.abs(psi - want)) < 1e-12


def _independent_sets(n, edges):
    s = np.arange(1 << n)
    ok = np.ones(s.size, bool)
    for u, v in edges:
        ok &= ~((((s >> u) & 1) == 1) & (((s >> v) & 1) == 1))
    return np.flatnonzero(ok)


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(3, 9), p=st.integers(1, 2),
       multi=st.booleans())
def test_independent_set_circuit_matches_dense_reference(seed, n, p, multi):
    rng = np.random.default_rng(seed)
    edges = random_graph(n, rng)
    parts = independent_set_partials(n, edges)
    qubo = random_qubo(n, rng)
    g, b = _angles(rng, p, n if multi else None)
    psi0 = np.zeros(1 << n)
    psi0[0] = 1.0
    _check(qubo, g, b, parts, InitialGates(basis=(0,) * n), psi0, _independent_sets(n, edges))


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1), sizes=st.lists(st.integers(2, 4), min_size=1,
                                                       max_size=3),
       free=st.integers(0, 2), ring=st.booleans(), p=st.integers(1, 2))
def test_xy_circuit_matches_dense_reference(seed, sizes, free, ring, p):
    rng = np.random.default_rng(seed)
    if sum(sizes) + free > 11:
        sizes = sizes[:2]
    n = sum(sizes) + free
    perm = rng.permutation(n)                       # groups on scattered qubits
    groups, start = [], 0
    for m in sizes:
        groups.append(tuple(int(q) for q in perm[start:start + m]))
        start += m
    free_q = tuple(int(q) for q in perm[start:])
    parts = xy_partials(groups, free_q, ring)
    qubo = random_qubo(n, rng)
    g, b = _angles(rng, p)
    # W states x |+>: uniform over one-hot states of every group, free bits anything
    states = np.arange(1 << n)
    feasible = np.ones(states.size, bool)
    for grp in groups:
        feasible &= sum(((states >> q) & 1) for q in grp) == 1
    psi0 = feasible / np.sqrt(feasible.sum())
    _check(qubo, g, b, parts, InitialGates(groups=tuple(groups), plus=free_q), psi0,
           np.flatnonzero(feasible))


def _permutation_states(m, index=None):
    perms = np.array(list(itertools.permutations(range(m))), dtype=np.int64)
    return permutation_bits(m, perms, index)


@pytest.mark.parametrize("init", ["uniform", "identity"])
@pytest.mark.parametrize("multi", [False, True])
def test_swap_circuit_matches_dense_reference(init, multi):
    rng = np.random.default_rng(7 + multi)
    m, n = 3, 9
    index = rng.permutation(n).reshape(m, m)       # any declared index matrix, not only i*m+p
    parts = swap_partials(m, index)
    qubo = random_qubo(n, rng)
    g, b = _angles(rng, 2, len(parts) if multi else None)
    feas = _permutation_states(m, index)
    psi0 = np.zeros(1 << n)
    if init == "uniform":
        psi0[feas] = 1.0 / np.sqrt(feas.size)
        spec = InitialGates(permutation=(m, index))
    else:
        bits = np.zeros(n, dtype=int)
        bits[index[np.arange(m), np.arange(m)]] = 1
        psi0[int(np.sum(bits << np.arange(n)))] = 1.0
        spec = InitialGates(basis=tuple(int(v) for v in bits))
    psi = _check(qubo, g, b, parts, spec, psi0, feas)
    assert np.sum(np.abs(psi[feas]) ** 2 > 1e-6) > 1     # the mixer really moved amplitude


def test_swap_partial_mixer_exchanges_locations():
    """exp(-i pi/2 B_pq) maps the identity permutation to the one with p and q swapped."""
    m, n = 3, 9
    parts = swap_partials(m)[:1]                   # locations (0, 1)
    qubo = QUBO(sp.csr_matrix((n, n)), np.zeros(n), 0.0, num_vars=n)
    ident = InitialGates(basis=tuple(int(v) for v in np.eye(m, dtype=int).ravel()))
    psi = aer_statevector(mixer_qaoa_circuit(qubo, [0.0], [np.pi / 2], parts, ident))
    swapped = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]]).ravel()   # item 0 at 1, item 1 at 0
    k = int(np.sum(swapped << np.arange(n)))
    assert abs(abs(psi[k]) - 1.0) < 1e-12


def test_parametrised_circuit_binds_like_floats():
    from qiskit.circuit import ParameterVector

    rng = np.random.default_rng(3)
    n = 6
    parts = independent_set_partials(n, [(0, 1), (1, 2), (3, 4), (2, 5)])
    qubo = random_qubo(n, rng)
    g, b = _angles(rng, 2, n)
    gv, bv = ParameterVector("gamma", 2), ParameterVector("beta", 2 * n)
    tmpl = mixer_qaoa_circuit(qubo, list(gv), np.array(list(bv), dtype=object).reshape(2, n),
                              parts, InitialGates(basis=(0,) * n))
    bound = tmpl.assign_parameters({**dict(zip(gv, g)), **dict(zip(bv, b.ravel()))})
    direct = mixer_qaoa_circuit(qubo, g, b, parts, InitialGates(basis=(0,) * n))
    assert np.max(np.abs(aer_statevector(bound) - aer_statevector(direct))) < 1e-10


def test_capacity_mixer_has_no_circuit():
    qubo = random_qubo(3, np.random.default_rng(0))
    with pytest.raises(OptionError, match=r"capacity.*comparators"):
        mixer_qaoa_circuit(qubo, [0.1], [0.2], [PartialGates("capacity", (0,))],
                           InitialGates(basis=(0, 0, 0)))


def test_uniform_permutations_refused_on_wide_registers():
    m, n = 5, 25
    qubo = QUBO(sp.csr_matrix((n, n)), np.zeros(n), 0.0, num_vars=n)
    with pytest.raises(SizeLimitError, match="identity"):
        mixer_qaoa_circuit(qubo, [0.1], [0.2], swap_partials(m)[:1],
                           InitialGates(permutation=(m, None)))


def test_angle_shapes_are_checked():
    qubo = random_qubo(4, np.random.default_rng(1))
    parts = independent_set_partials(4, [(0, 1)])
    with pytest.raises(OptionError, match="4 angles per layer"):
        mixer_qaoa_circuit(qubo, [0.1], np.zeros((1, 3)), parts, InitialGates(basis=(0,) * 4))


# -- the same ansatz on the feasible-subspace simulator and on circuit backends ------------------

def _constrained_ansatz(problem, mixer_name, init_name="default", p=2, multi=False):
    from qopt.solvers.quantum.qaoa import Ansatz
    from qopt.solvers.quantum.qaoa_subspace import constrained_cost, setup_constrained

    mixer, init = setup_constrained(problem, mixer_name, init_name)
    cost = constrained_cost(problem.to_program(), mixer)
    return Ansatz(cost, p, multi, None, mixer, init)


def _small_problems():
    from qopt.problems import problem_class

    mis = problem_class("mis").generate((9, 0.35), seed=4)
    qap = problem_class("qap").generate(3, seed=2)
    return [(mis, "independent-set", "default"), (mis, "independent-set", "greedy"),
            (qap, "swap", "default"), (qap, "swap", "identity"), (qap, "xy-ring", "default"),
            (qap, "xy-complete", "identity")]


@pytest.mark.parametrize("case", range(6))
@pytest.mark.parametrize("multi", [False, True])
def test_circuit_state_equals_subspace_simulator(case, multi):
    """Aer's statevector of the solver's own circuit (Ansatz.circuit) equals the subspace
    simulator's state, amplitude by amplitude (global phase included), and is zero outside."""
    from qopt.solvers.quantum.qaoa_subspace import SubspaceEvaluator, setup_constrained

    problem, mixer_name, init_name = _small_problems()[case]
    greedy = problem.repair(np.zeros(problem.num_vars, np.uint8)) if init_name == "greedy" \
        else None
    if greedy is not None:
        _, init = setup_constrained(problem, mixer_name, "greedy", greedy)
        ansatz = _constrained_ansatz(problem, mixer_name, "empty", multi=multi)
        ansatz.init = init
    else:
        ansatz = _constrained_ansatz(problem, mixer_name, init_name, multi=multi)
    rng = np.random.default_rng(case)
    x = rng.uniform(-1, 1, ansatz.num_params)
    ev = SubspaceEvaluator(ansatz)
    sub = np.asarray(ev.state(x)).copy()
    idx = ev.sim.space.bits(np.arange(ev.size)).astype(np.int64) @ (
        np.int64(1) << np.arange(ansatz.n, dtype=np.int64))
    full = aer_statevector(ansatz.circuit(x))
    assert np.max(np.abs(full[idx] - sub)) < 1e-9
    assert 1.0 - float(np.sum(np.abs(full[idx]) ** 2)) < 1e-10


@pytest.mark.parametrize("backend", ["aer", "lightning", "statevector-circuit"])
def test_backends_run_the_mixer_circuit(backend):
    """The constrained solver on a circuit backend evaluates the same objective as the
    subspace simulator (same angles), and its samples are feasible."""
    from qopt.backends.adapter import StatevectorBackend
    from qopt.solvers.quantum.qaoa import CircuitEvaluator
    from qopt.solvers.quantum.qaoa_subspace import SubspaceEvaluator

    if backend == "lightning":
        pytest.importorskip("pennylane_lightning")
    problem, mixer_name, init_name = _small_problems()[0]
    ansatz = _constrained_ansatz(problem, mixer_name, init_name)
    x = np.random.default_rng(0).uniform(-1, 1, ansatz.num_params)
    spec = StatevectorBackend() if backend == "statevector-circuit" else backend
    cev = CircuitEvaluator(ansatz, spec, seed=0)
    ev = SubspaceEvaluator(ansatz)
    assert abs(cev.value(x) - ev.value(x)) < 1e-9
    s = cev.sample(x, 200, np.random.default_rng(1))
    assert np.all(problem.is_feasible(s.bits))


def test_solve_on_aer_with_a_constrained_mixer():
    res = qopt_solve("mis:1tc.8", "qaoa", mixer="feasible", backend="aer", p=1, shots=64,
                     seed=0, budget=120)
    assert res.info["sample_feasible_fraction"] == 1.0
    assert res.num_qubits == 8


def test_capacity_mixer_refused_on_circuit_backends():
    with pytest.raises(OptionError, match="capacity"):
        qopt_solve("mdkp:pet4", "qaoa", mixer="feasible", backend="aer", p=1, shots=32,
                   seed=0, budget=64)


def qopt_solve(*args, **kwargs):
    import qopt

    return qopt.solve(*args, **kwargs)
