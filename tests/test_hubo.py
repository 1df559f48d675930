"""HUBO: energies, diagonal, Ising forms and quadratisation against brute force."""


import numpy as np
import pytest

from qopt.bits import indices_to_bits
from qopt.errors import OptionError
from qopt.model import HUBO, QUBO
from qopt.model.quadratise import quadratise


def random_terms(rng, n, count, max_degree):
    terms = {}
    for _ in range(count):
        d = int(rng.integers(1, min(n, max_degree) + 1))
        terms[tuple(rng.choice(n, d, replace=False).tolist())] = float(rng.integers(-6, 7))
    return terms


def naive_energy(terms, offset, x):
    """Independent reference: the polynomial term by term in plain Python."""
    return offset + sum(c * all(x[i] for i in key) for key, c in terms.items())


def all_bits(n):
    return indices_to_bits(np.arange(1 << n), n)


@pytest.mark.parametrize("seed", range(6))
def test_energy_and_diagonal_match_term_by_term(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 9))
    terms = random_terms(rng, n, 12, 5)
    h = HUBO(terms, offset=1.5, num_vars=n)
    X = all_bits(n)
    ref = np.array([naive_energy(terms, 1.5, x) for x in X])
    assert np.allclose(h.energy(X), ref)
    assert np.allclose(h.diagonal(), ref)
    chunks = np.concatenate([c for _, c in h.iter_diagonal_chunks(2)])
    assert np.allclose(chunks, ref)


def test_repeated_indices_and_degrees_fold():
    h = HUBO({(0, 0, 1): 2.0, (2, 1, 0): 1.0, (0, 1, 2): 1.0, (): 3.0, 1: -1.0}, num_vars=3)
    assert h.degree == 3 and h.offset == 3.0
    assert h.quadratic[0, 1] == 2.0 and h.linear[1] == -1.0
    idx, coef = h.terms[3]
    assert idx.tolist() == [[0, 1, 2]] and coef.tolist() == [2.0]


@pytest.mark.parametrize("seed", range(3))
def test_ising_and_pauli_forms_have_the_same_spectrum(seed):
    rng = np.random.default_rng(seed)
    n = 5
    terms = random_terms(rng, n, 10, 4)
    h = HUBO(terms, num_vars=n)
    X = all_bits(n)
    ising = h.to_ising()
    assert np.allclose(ising.energy(1 - 2 * X.astype(float)), h.energy(X))
    op = h.to_sparse_pauli_op()
    assert np.allclose(np.real(op.to_matrix(sparse=True).diagonal()), h.diagonal())


def test_from_spin_matches_spin_products():
    terms = {(0, 1, 2): 1.5, (1,): -2.0, (0, 3): 0.5, (2, 2): 4.0}   # z2 * z2 == 1
    h = HUBO.from_spin(terms, 4)
    X = all_bits(4)
    Z = 1 - 2 * X.astype(float)
    ref = 1.5 * Z[:, 0] * Z[:, 1] * Z[:, 2] - 2.0 * Z[:, 1] + 0.5 * Z[:, 0] * Z[:, 3] + 4.0
    assert np.allclose(h.energy(X), ref)


def test_qubo_is_the_degree_two_case():
    q = QUBO(np.array([[1.0, 2.0], [0.0, -1.0]]))
    assert isinstance(q, HUBO) and q.terms == {} and q.degree == 2
    assert np.allclose(q.diagonal(), [0.0, 1.0, -1.0, 2.0])
    h = HUBO({(0, 1): 2.0, (0,): 1.0, (1,): -1.0})
    assert np.allclose(h.to_qubo().diagonal(), q.diagonal())
    with pytest.raises(OptionError, match="quadratise"):
        HUBO({(0, 1, 2): 1.0}).to_qubo()


@pytest.mark.parametrize("seed", range(40))
def test_quadratisation_is_exact_after_minimising_the_auxiliaries(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 8))
    h = HUBO(random_terms(rng, n, int(rng.integers(2, 9)), 5), num_vars=n)
    q = quadratise(h)
    assert q.terms == {} and q.num_program_vars == n
    k = q.num_vars - n
    D = q.diagonal().reshape(1 << k, 1 << n)       # row: auxiliary setting, column: x
    f = h.diagonal()
    assert np.allclose(D.min(axis=0), f)           # min over auxiliaries is the HUBO, per x
    X = all_bits(n)
    full = q.complete(X)
    assert np.allclose(q.energy(full), f)          # the consistent auxiliaries reach it
    if k:
        # every inconsistent auxiliary setting is strictly worse (by >= 1, the margin)
        consistent = (full[:, n:].astype(np.int64) << np.arange(k)).sum(axis=1)
        mask = np.ones_like(D, dtype=bool)
        mask[consistent, np.arange(1 << n)] = False
        assert (D[mask] >= np.repeat(f[None, :], 1 << k, axis=0)[mask] + 1 - 1e-9).all()
        assert q.quadratisation["auxiliary"] == k


def test_quadratise_reduces_a_quartic_with_two_auxiliaries():
    q = HUBO({(0, 1, 2, 3): -1.0, (0, 1, 2): 2.0}).quadratise()
    assert q.num_aux == 2 and q.degree == 2


def test_hubo_refuses_bad_input():
    with pytest.raises(OptionError, match="out of range"):
        HUBO({(0, 5): 1.0}, num_vars=3)
    with pytest.raises(OptionError, match="not a real number"):
        HUBO({(0, 1): "a"})
    with pytest.raises(OptionError, match="mapping"):
        HUBO([1, 2, 3])
    with pytest.raises(OptionError, match="not an integer"):
        HUBO({(0, 1.5): 1.0})
    with pytest.raises(OptionError, match="bits"):
        HUBO({(0, 1, 2): 1.0}).energy(np.zeros(2))


def test_diagonal_refuses_before_allocating():
    from qopt.errors import SizeLimitError

    with pytest.raises(SizeLimitError, match="limit"):
        HUBO({(0, 1, 44): 1.0}).diagonal()
