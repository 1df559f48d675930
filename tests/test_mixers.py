"""Constraint structure and mixer definitions: detection, choice of mixer, and that every mixer
(as the dense matrix exponential of its Hamiltonian on all 2^n states) keeps the feasible set."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.linalg import expm_multiply

from qopt.bits import indices_to_bits
from qopt.errors import OptionError
from qopt.model.program import BinaryProgram
from qopt.model.structure import detect_structure
from qopt.problems.maxcut import MaxCut
from qopt.problems.mdkp import MDKP
from qopt.problems.mis import MIS
from qopt.problems.qap import QAP
from qopt.solvers.quantum.mixers import (
    build_mixer,
    dense_hamiltonian,
    in_subspace,
    initial_state,
    pair_masks,
)

SETTINGS = settings(max_examples=6, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def one_hot_program(sizes, free: int, seed: int) -> BinaryProgram:
    """Random quadratic objective, one ``sum x = 1`` row per group (in order), free bits."""
    rng = np.random.default_rng(seed)
    n = sum(sizes) + free
    prog = BinaryProgram(n, rng.integers(-3, 4, n), np.triu(rng.integers(-2, 3, (n, n)), 1))
    start = 0
    for m in sizes:
        row = np.zeros(n)
        row[start:start + m] = 1
        prog.add_constraint(row, "==", 1)
        start += m
    return prog


def instance(kind: str, seed: int):
    """(structure, n, feasible rows predicate) of a small random instance of each class."""
    if kind == "mis":
        p = MIS.generate((9, 0.35), seed=seed)
        return p.constraint_structure(), p.num_vars, p.is_feasible
    if kind == "mdkp":
        p = MDKP.generate(9, seed=seed)
        return p.constraint_structure(), p.num_vars, p.is_feasible
    if kind == "qap":
        p = QAP.generate(3, seed=seed)
        return p.constraint_structure(), p.num_vars, p.is_feasible
    prog = one_hot_program((3, 2, 3), 2, seed)
    return detect_structure(prog), prog.num_vars, prog.is_feasible


# ---- structure ---------------------------------------------------------------------------
def test_detect_structure_reads_each_kind():
    q = QAP.generate(4, seed=1)
    s = detect_structure(q.to_program())
    assert np.array_equal(s.permutation, np.arange(16).reshape(4, 4))
    assert len(s.permutation_rows) == 8 and s.other_rows() == ()
    assert len(s.one_hot_groups) == 4          # the facility rows: disjoint, in row order
    m = MIS.generate(10, seed=2)
    s = detect_structure(m.to_program())
    assert len(s.conflict_edges) == len(m.edges) and not s.has_packing
    k = MDKP.generate(8, seed=3)
    s = detect_structure(k.to_program())
    assert s.packing_A.shape == (k.num_constraints, 8) and not s.has_conflicts
    prog = one_hot_program((3, 2), 1, 0)
    prog.add_constraint(np.r_[1, -1, 0, 0, 0, 2], ">=", 0)     # not structured
    s = detect_structure(prog)
    assert s.one_hot_groups == ((0, 1, 2), (3, 4)) and s.other_rows() == (2,)


def test_feasible_picks_the_mixer_that_preserves_everything():
    def pick(problem):
        return build_mixer("feasible", problem.constraint_structure(), problem.num_vars).name

    assert pick(QAP.generate(3, seed=0)) == "swap"
    assert pick(MIS.generate(8, seed=0)) == "independent-set"
    assert pick(MDKP.generate(8, seed=0)) == "capacity"
    prog = one_hot_program((3, 3), 0, 1)
    assert build_mixer("feasible", detect_structure(prog), 6).name == "xy-ring"
    # xy on QAP keeps only the facility rows: the location rows stay penalties
    q = QAP.generate(3, seed=0)
    xy = build_mixer("xy-ring", q.constraint_structure(), 9)
    assert xy.preserved_rows == (0, 1, 2)


def test_mixer_errors_name_the_missing_structure():
    cut = MaxCut.generate(6, seed=0)
    with pytest.raises(OptionError, match="no constraint structure"):
        build_mixer("feasible", cut.constraint_structure(), 6)
    mis = MIS.generate(6, seed=0)
    with pytest.raises(OptionError, match="permutation encoding"):
        build_mixer("swap", mis.constraint_structure(), 6)
    with pytest.raises(OptionError, match="unknown mixer"):
        build_mixer("xx", mis.constraint_structure(), 6)


def test_partial_mixer_order_and_initial_states():
    q = QAP.generate(4, seed=0)
    sw = build_mixer("swap", q.constraint_structure(), 16)
    assert [pm.positions for pm in sw.partials] == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3),
                                                    (2, 3)]
    ring = build_mixer("xy-ring", detect_structure(one_hot_program((3, 2), 1, 0)), 6)
    assert [pm.qubits for pm in ring.partials] == [(0, 1), (1, 2), (2, 0), (3, 4), (5,)]
    assert [pm.kind for pm in ring.partials] == ["xy"] * 4 + ["x"]
    init = initial_state(sw, "default")
    assert init.name == "uniform" and init.kind == "uniform"
    ident = initial_state(sw, "identity")
    assert np.array_equal(ident.bits, np.eye(4, dtype=np.uint8).reshape(-1))
    mis = MIS.generate(6, seed=0)
    ism = build_mixer("feasible", mis.constraint_structure(), 6)
    assert initial_state(ism, "default").name == "empty"
    assert not initial_state(ism, "uniform").preparable
    with pytest.raises(OptionError, match="outside"):
        initial_state(ism, "greedy", np.ones(6))
    with pytest.raises(OptionError, match="not feasible"):
        initial_state(sw, "empty")


# ---- properties on all 2^n states --------------------------------------------------------
@pytest.mark.parametrize("kind,mixer", [("mis", "independent-set"), ("mis", "capacity"),
                                        ("mdkp", "capacity"), ("qap", "swap"),
                                        ("qap", "xy-ring"), ("onehot", "xy-ring"),
                                        ("onehot", "xy-complete")])
@SETTINGS
@given(seed=st.integers(0, 10_000), beta=st.floats(-3.0, 3.0))
def test_dense_mixer_never_leaves_the_feasible_set(kind, mixer, seed, beta):
    structure, n, _ = instance(kind, seed)
    mx = build_mixer(mixer, structure, n)
    allbits = indices_to_bits(np.arange(1 << n), n)
    inside = in_subspace(mx, allbits)
    rng = np.random.default_rng(seed)
    psi = np.where(inside, rng.normal(size=1 << n) + 1j * rng.normal(size=1 << n), 0)
    psi /= np.linalg.norm(psi)
    for pm in mx.partials:
        H = dense_hamiltonian(pm, n)
        assert abs(H - H.T).max() == 0.0                          # Hermitian (real symmetric)
        psi = expm_multiply(-1j * beta * H, psi)
        assert np.sum(np.abs(psi[~inside]) ** 2) <= 1e-10
    assert abs(np.linalg.norm(psi) - 1) < 1e-10


@pytest.mark.parametrize("kind,mixer", [("mis", "independent-set"), ("mdkp", "capacity"),
                                        ("qap", "swap"), ("onehot", "xy-complete")])
@SETTINGS
@given(seed=st.integers(0, 10_000))
def test_pairing_is_the_dense_hamiltonian_on_feasible_states(kind, mixer, seed):
    """On feasible states every partial mixer maps s to exactly its partner (an involution)."""
    structure, n, _ = instance(kind, seed)
    mx = build_mixer(mixer, structure, n)
    masks = np.arange(1 << n, dtype=np.uint64)
    inside = in_subspace(mx, indices_to_bits(np.arange(1 << n), n))
    feas = masks[inside]
    for pm in mx.partials:
        H = sp.csc_matrix(dense_hamiltonian(pm, n))
        t, paired = pair_masks(pm, feas)
        cols = H[:, feas.astype(np.int64)].toarray()
        expect = np.zeros_like(cols)
        expect[t[paired].astype(np.int64), np.flatnonzero(paired)] = 1.0
        assert np.array_equal(cols, expect)
        t2, _ = pair_masks(pm, t)
        assert np.array_equal(t2, feas)                           # involution


def test_uniform_over_permutations_is_not_called_preparable():
    sw = build_mixer("swap", QAP.generate(3, seed=0).constraint_structure(), 9)
    assert not initial_state(sw, "uniform").preparable
    assert initial_state(sw, "identity").preparable
