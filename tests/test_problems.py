"""Problem classes: decode / describe / neighbours / repair specifics, graphs, generators and
the shipped optima."""

from __future__ import annotations

import itertools
import json
from itertools import permutations

import networkx as nx
import numpy as np
import pytest

from qopt.bits import indices_to_bits
from qopt.errors import OptionError
from qopt.model import program_to_qubo
from qopt.problems import MDKP, MIS, QAP, MarketSplit, MaxCut, generate, load, shipped_index

GEN_SIZES = {"mdkp": (7, 3), "mis": 9, "qap": 4, "maxcut": 10, "msp": 3}


def exhaustive_best(problem, chunk_bits: int = 16, feasible_only: bool = True):
    """(best native objective over feasible x, or over all x, and one x attaining it), by
    enumeration in chunks."""
    n = problem.num_vars
    best, arg = None, None
    sign = 1.0 if problem.sense == "max" else -1.0
    for start in range(0, 1 << n, 1 << chunk_bits):
        X = indices_to_bits(np.arange(start, min(start + (1 << chunk_bits), 1 << n)), n)
        f = problem.evaluate(X)
        feas = problem.is_feasible(X) if feasible_only else np.ones(len(X), dtype=bool)
        if feas.any():
            k = np.flatnonzero(feas)[np.argmax(sign * f[feas])]
            if best is None or sign * f[k] > sign * best:
                best, arg = f[k], X[k].copy()
    return best, arg


# ---- generators ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(GEN_SIZES))
def test_generate_is_deterministic_per_seed(kind):
    a, b = generate(kind, GEN_SIZES[kind], 11), generate(kind, GEN_SIZES[kind], 11)
    c = generate(kind, GEN_SIZES[kind], 12)
    X = np.random.default_rng(1).integers(0, 2, size=(200, a.num_vars), dtype=np.uint8)
    np.testing.assert_array_equal(a.evaluate(X), b.evaluate(X))
    np.testing.assert_array_equal(a.violation(X), b.violation(X))
    assert a.describe() == b.describe()
    assert a.describe() != c.describe()


def test_mdkp_generate_chu_beasley():
    p = MDKP.generate(30, 4)
    assert (p.num_vars, p.num_constraints) == (30, 5)
    assert p.weights.min() >= 1 and p.weights.max() <= 1000
    np.testing.assert_array_equal(p.capacities, np.floor(0.5 * p.weights.sum(axis=1)))
    base = p.weights.sum(axis=0) / 5
    assert np.all(p.profits >= np.floor(base)) and np.all(p.profits <= base + 500)
    assert MDKP.generate((6, 2), 0).weights.shape == (2, 6)
    with pytest.raises(OptionError):
        MDKP.generate(0, 1)


def test_mis_generate_density():
    assert len(MIS.generate((8, 1.0), 3).edges) == 28
    assert len(MIS.generate((8, 0.0), 3).edges) == 0
    p = MIS.generate(60, 3)
    assert 0.2 < p.describe()["density"] < 0.4


def test_maxcut_generate_is_three_regular():
    p = MaxCut.generate(16, 5)
    assert len(p.edges) == 24
    assert np.all(np.bincount(p.edges.ravel(), minlength=16) == 3)
    with pytest.raises(OptionError, match="even"):
        MaxCut.generate(7, 1)


def test_msp_generate_cornuejols_dawande():
    p = MarketSplit.generate(4, 9)
    assert p.coefficients.shape == (4, 30)
    assert p.coefficients.min() >= 0 and p.coefficients.max() <= 99
    np.testing.assert_array_equal(p.targets, np.floor(p.coefficients.sum(axis=1) / 2))
    assert p.optimum is None
    with pytest.raises(OptionError):
        MarketSplit.generate(1, 0)


def test_qap_generate_symmetric_zero_diagonal():
    p = QAP.generate(6, 2)
    for M in (p.flow, p.distance):
        np.testing.assert_array_equal(M, M.T)
        assert np.all(np.diag(M) == 0)
    assert p.distance[~np.eye(6, dtype=bool)].min() >= 1


# ---- describe -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(GEN_SIZES))
def test_describe_is_plain_json(kind):
    p = generate(kind, GEN_SIZES[kind], 0)
    d = json.loads(json.dumps(p.describe()))
    assert d["kind"] == kind and d["num_vars"] == p.num_vars and d["sense"] == p.sense


def test_describe_contents():
    assert load("mdkp", "pet2").describe()["m"] == 10
    d = load("mis", "1tc.8").describe()
    assert d["nodes"] == 8 and d["num_edges"] == 6 and len(d["edges"]) == 6
    assert load("qap", "tai10a").describe()["n"] == 10
    assert load("maxcut", "reg3_16").describe()["total_weight"] == 24


# ---- MDKP ---------------------------------------------------------------------------------------
def test_mdkp_decode_encode():
    p = MDKP([5, 4, 3], [[1, 1, 1]], [2])
    assert p.decode([1, 0, 1]) == [0, 2]
    np.testing.assert_array_equal(p.encode([2, 0]), [1, 0, 1])
    with pytest.raises(OptionError):
        p.encode([3])


def test_mdkp_repair_drops_lowest_ratio_then_fills():
    p = MDKP([10, 1, 5, 2], [[5, 5, 5, 1]], [10])
    # profit per normalised weight: items 0..3 -> 20, 2, 10, 20
    # all in: load 16 > 10 -> drop item 1 (11), then item 2 (6); refill: 1 and 2 do not fit
    y = p.repair(np.ones(4, dtype=np.uint8))
    assert p.decode(y) == [0, 3]
    # from empty: by ratio 0 (load 5), 3 (6), 2 (11 > 10: no), 1 (no)
    assert p.decode(p.repair(np.zeros(4, dtype=np.uint8))) == [0, 3]
    # a feasible x is kept and filled: {1} + item 0 (load 10), then item 3 no longer fits
    assert p.decode(p.repair(np.array([0, 1, 0, 0], dtype=np.uint8))) == [0, 1]
    assert p.decode(p.repair(np.array([0, 1, 0, 1], dtype=np.uint8))) == [1, 3]


def test_mdkp_neighbours_flips_and_swaps():
    p = MDKP.generate(8, 1)
    x = np.array([1, 0, 1, 0, 0, 1, 0, 0], dtype=np.uint8)
    nb = p.neighbours(x)
    assert nb.shape == (8 + 3 * 5, 8)
    dist = (nb != x).sum(axis=1)
    assert np.all(dist[:8] == 1) and np.all(dist[8:] == 2)
    assert np.all(nb[8:].sum(axis=1) == 3)                    # swaps keep the item count
    assert len(np.unique(nb, axis=0)) == len(nb)
    assert p.neighbours(np.zeros(8, dtype=np.uint8)).shape == (8, 8)


@pytest.mark.parametrize("name", ["pet2", "pet3", "pb5", "pet4"])
def test_mdkp_shipped_optimum_by_enumeration(name):
    p = load("mdkp", name)
    best, x = exhaustive_best(p)
    assert best == p.optimum
    assert p.is_feasible(x) and p.evaluate(x) == p.optimum


def test_mdkp_repair_on_shipped_instance():
    p = load("mdkp", "hp1")
    y = p.repair(np.ones(p.num_vars, dtype=np.uint8))
    assert p.is_feasible(y)
    assert 0.5 * p.optimum < p.evaluate(y) <= p.optimum


# ---- MIS ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["1tc.8", "1tc.16"])
def test_mis_shipped_optimum_by_enumeration(name):
    p = load("mis", name)
    best, x = exhaustive_best(p)
    assert best == p.optimum
    sol = p.decode(x)
    assert len(sol) == p.optimum and sol == sorted(sol) and min(sol) >= 1


def test_mis_from_graph_keeps_labels():
    G = nx.Graph([("a", "b"), ("b", "c"), ("c", "d")])
    p = MIS.from_graph(G)
    assert p.num_vars == 4 and len(p.edges) == 3
    x = p.encode(["a", "c"])
    assert p.is_feasible(x) and p.evaluate(x) == 2
    assert p.decode(x) == ["a", "c"]
    assert not p.is_feasible(p.encode(["b", "c"]))
    with pytest.raises(OptionError, match="not in the graph"):
        p.encode(["z"])
    # tuple labels (grid graphs) decode to JSON-friendly lists and encode back
    q = MIS.from_graph(nx.grid_2d_graph(2, 2))
    s = q.decode(q.repair(np.zeros(4, dtype=np.uint8)))
    assert all(isinstance(v, list) for v in s)
    assert q.decode(q.encode(s)) == s


def test_mis_repair_removes_most_conflicted_first():
    # star: centre 0 with leaves 1..4, all chosen -> drop the centre, keep all leaves
    p = MIS(5, [[0, 1], [0, 2], [0, 3], [0, 4]])
    assert p.decode(p.repair(np.ones(5, dtype=np.uint8))) == [1, 2, 3, 4]
    # from empty: lowest degree first -> the leaves, never the centre
    assert p.decode(p.repair(np.zeros(5, dtype=np.uint8))) == [1, 2, 3, 4]
    # path a-b-c all chosen: b has two conflicts -> {a, c}
    path = MIS(3, [[0, 1], [1, 2]])
    assert path.decode(path.repair(np.ones(3, dtype=np.uint8))) == [0, 2]


def test_mis_duplicate_edges_and_self_loops():
    p = MIS(3, [[0, 1], [1, 0], [0, 1]])
    assert len(p.edges) == 1 and p.violation(np.array([1, 1, 0])) == 1
    with pytest.raises(OptionError, match="self-loop"):
        MIS(3, [[1, 1]])


def test_mis_program_is_edge_packing():
    p = load("mis", "1tc.16")
    prog = p.to_program()
    assert prog.num_constraints == len(p.edges)
    assert all(s == "<=" for s in prog.constraint_senses) and np.all(prog.rhs == 1)
    assert program_to_qubo(prog).num_slack == 0


# ---- QAP ----------------------------------------------------------------------------------------
# best-known permutations published with QAPLIB (1-based locations of facilities 1..n)
QAPLIB_SOLUTIONS = {
    "nug12": [12, 7, 9, 3, 4, 8, 11, 1, 5, 6, 10, 2],
    "chr12a": [7, 5, 12, 2, 1, 3, 9, 11, 10, 6, 8, 4],
    "had12": [3, 10, 11, 2, 12, 5, 6, 7, 8, 1, 4, 9],
}


@pytest.mark.parametrize("name", sorted(QAPLIB_SOLUTIONS))
def test_qap_shipped_optimum_attained_by_published_permutation(name):
    p = load("qap", name)
    x = p.encode(np.array(QAPLIB_SOLUTIONS[name]) - 1)
    assert p.is_feasible(x)
    assert p.evaluate(x) == p.optimum
    assert p.to_program().objective(x) == p.optimum


def test_qap_evaluate_matches_definition():
    p = load("qap", "tai10a")
    rng = np.random.default_rng(3)
    perms = [rng.permutation(10) for _ in range(20)]
    X = np.array([p.encode(q) for q in perms])
    expected = [sum(p.flow[i, j] * p.distance[q[i], q[j]] for i in range(10) for j in range(10))
                for q in perms]
    np.testing.assert_allclose(p.evaluate(X), expected)
    assert min(expected) >= p.optimum


def test_qap_small_optimum_by_permutations():
    p = QAP.generate(4, 8)
    costs = {q: p.evaluate(p.encode(q)) for q in permutations(range(4))}
    best, x = exhaustive_best(p)
    assert best == min(costs.values())
    assert p.decode(x) in [list(q) for q, c in costs.items() if c == best]


def test_qap_decode_encode_and_variable_order():
    p = QAP.generate(3, 0)
    x = p.encode([2, 0, 1])
    np.testing.assert_array_equal(x.reshape(3, 3), [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert x[0 * 3 + 2] == 1                                   # variable i*n + k
    assert p.decode(x) == [2, 0, 1]
    y = x.copy()
    y[0] = 1                                                   # facility 0 at two locations
    assert p.decode(y) == [-1, 0, 1]
    assert p.decode(np.zeros(9, dtype=np.uint8)) == [-1, -1, -1]
    with pytest.raises(OptionError):
        p.encode([0, 1])


def test_qap_encode_batch_matches_encode_and_refuses_other_widths():
    p = QAP.generate(3, 0)
    P = np.array([[2, 0, 1], [0, -1, 2]])
    np.testing.assert_array_equal(p.encode_batch(P), np.stack([p.encode(r) for r in P]))
    assert p.encode_batch([]).shape == (0, 9)
    with pytest.raises(OptionError):
        p.encode_batch(np.zeros((3, 2), dtype=int))            # 6 entries: not two rows of 3
    with pytest.raises(OptionError):
        p.encode_batch([[0, 1, 3]])


def test_qap_repair_is_nearest_permutation():
    p = QAP.generate(6, 1)
    perm = [3, 1, 5, 0, 2, 4]
    x = p.encode(perm)
    noisy = x.copy()
    noisy[0 * 6 + 0] = 1                                       # one extra bit
    assert p.decode(p.repair(noisy)) == perm
    missing = x.copy()
    missing[2 * 6 + 5] = 0                                     # one bit lost
    assert p.decode(p.repair(missing)) == perm
    assert p.is_feasible(p.repair(np.zeros(36, dtype=np.uint8)))


def test_qap_neighbours_are_all_swaps():
    p = QAP.generate(5, 4)
    perm = [4, 2, 0, 1, 3]
    nb = p.neighbours(p.encode(perm))
    assert nb.shape == (10, 25)
    assert np.all(p.is_feasible(nb))
    decoded = [p.decode(r) for r in nb]
    assert len({tuple(d) for d in decoded}) == 10
    for d in decoded:
        assert sum(a != b for a, b in zip(d, perm)) == 2
    x = np.zeros(25, dtype=np.uint8)
    assert p.neighbours(x).shape == (25, 25)                   # not a permutation: 1-flips


# ---- MaxCut -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(shipped_index("maxcut")))
def test_maxcut_shipped_optimum_by_qubo_diagonal(name):
    p = load("maxcut", name)
    qubo = program_to_qubo(p.to_program())
    assert qubo.num_vars == p.num_vars
    best_e, best_s = np.inf, 0
    for start, chunk in qubo.iter_diagonal_chunks():
        k = int(np.argmin(chunk))
        if chunk[k] < best_e:
            best_e, best_s = float(chunk[k]), start + k
    x = indices_to_bits([best_s], p.num_vars)[0]
    assert -best_e == p.optimum
    assert p.evaluate(x) == p.optimum
    G = p.to_graph()
    assert nx.cut_size(G, np.flatnonzero(x).tolist(), weight="weight") == p.optimum


def test_maxcut_from_graph_weights_and_labels():
    G = nx.Graph()
    G.add_edge("u", "v", weight=3.0)
    G.add_edge("v", "w")
    G.add_edge("u", "w", weight=-2.0)
    p = MaxCut.from_graph(G)
    x = p.encode(["v"])
    assert p.evaluate(x) == 4.0
    assert p.decode(x) == ["v"]
    assert p.evaluate(p.encode(["u"])) == 1.0
    X = indices_to_bits(np.arange(8), 3)
    expected = [nx.cut_size(G, [n for n, b in zip(G.nodes, row) if b], weight="weight")
                for row in X]
    np.testing.assert_allclose(p.evaluate(X), expected)


def test_maxcut_merges_parallel_edges_and_refuses_loops():
    p = MaxCut(3, [[0, 1], [1, 0], [1, 2]], [1.0, 2.0, 5.0])
    assert p.edges.tolist() == [[0, 1], [1, 2]] and p.weights.tolist() == [3.0, 5.0]
    assert p.evaluate(np.array([1, 0, 1])) == 8.0
    assert np.all(p.violation(indices_to_bits(np.arange(8), 3)) == 0)
    with pytest.raises(OptionError, match="self-loops"):       # the same rule as MIS
        MaxCut(3, [[0, 1], [2, 2]], [1.0, 5.0])


# ---- MSP ----------------------------------------------------------------------------------------
def test_msp_planted_solution():
    rng = np.random.default_rng(0)
    A = rng.integers(0, 100, size=(3, 20))
    planted = rng.integers(0, 2, size=20).astype(np.uint8)
    p = MarketSplit(A, A @ planted)
    assert p.evaluate(planted) == 0 and p.is_feasible(planted)
    np.testing.assert_array_equal(p.repair(planted), planted)
    y = planted.copy()
    y[[2, 7]] ^= 1
    assert p.evaluate(y) == np.abs(A @ y - A @ planted).sum() > 0
    assert p.evaluate(p.repair(y)) <= p.evaluate(y)
    qubo = program_to_qubo(p.to_program())
    assert qubo.energy(planted) == 0
    assert qubo.energy(y) == pytest.approx(((A @ y - A @ planted) ** 2).sum())


def test_msp_decode_and_neighbours():
    p = MarketSplit.generate(2, 3)
    x = np.zeros(10, dtype=np.uint8)
    x[[1, 4]] = 1
    assert p.decode(x) == [1, 4]
    np.testing.assert_array_equal(p.encode([4, 1]), x)
    assert p.neighbours(x).shape == (10 + 2 * 8, 10)


def subset_sums(A: np.ndarray) -> np.ndarray:
    """Column sums of every subset of A's columns, shape (2^k, m), row s = subset of bits of s."""
    S = np.zeros((1, A.shape[0]), dtype=np.int64)
    for col in A.T:
        S = np.concatenate([S, S + col])
    return S


def deviation_at_most(p: MarketSplit, radius: int) -> int | None:
    """Smallest total deviation <= radius any x reaches, by meet in the middle (None if none):
    a.x = d + delta with |delta|_1 = r is looked up for r = 0, 1, ... over all splits x = (L, R)."""
    A, d = p.coefficients.astype(np.int64), p.targets.astype(np.int64)
    m, n = A.shape
    h = n // 2
    SL, SR = subset_sums(A[:, :h]), subset_sums(A[:, h:])
    base = int(max(SL.max(), SR.max(), d.max())) + radius + 1
    weights = base ** np.arange(m)
    keys = np.sort(SL @ weights)
    for r in range(radius + 1):
        for delta in itertools.product(range(-r, r + 1), repeat=m):
            if sum(map(abs, delta)) != r:
                continue
            need = d + np.asarray(delta) - SR            # what the left half must sum to
            need = need[np.all(need >= 0, axis=1)]
            q = need @ weights
            pos = np.minimum(np.searchsorted(keys, q), len(keys) - 1)
            if np.any(keys[pos] == q):
                return r
    return None


@pytest.mark.parametrize("name", ["msp_m2_s1", "msp_m2_s2", "msp_m3_s1"])
def test_msp_shipped_optimum_by_enumeration(name):
    p = load("msp", name)
    best, x = exhaustive_best(p, feasible_only=False)
    assert best == p.optimum == p.evaluate(x)
    assert deviation_at_most(p, int(p.optimum)) == p.optimum      # the helper below agrees


@pytest.mark.parametrize("name", sorted(shipped_index("msp")))
def test_msp_shipped_optimum_attained_and_not_beaten(name):
    entry = shipped_index("msp")[name]
    p = load("msp", name)
    x = p.encode(entry["solution"])
    assert p.evaluate(x) == p.optimum
    assert p.is_feasible(x) == (p.optimum == 0)
    if p.optimum > 0:
        assert deviation_at_most(p, int(p.optimum) - 1) is None
