"""mixer_order on the feasible-subspace simulator against the dense 2^n reference with the
partial mixers applied in the same per-layer order; its adjoint gradient against finite
differences; the concentration diagnostics and their note in the printed summary."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.linalg import expm_multiply

from qopt.bits import indices_to_bits
from qopt.errors import OptionError
from qopt.solvers.quantum.concentration import NOTE, concentration
from qopt.solvers.quantum.mixer_order import mixer_orders
from qopt.solvers.quantum.mixers import dense_hamiltonian, in_subspace
from tests.test_subspace import make_case


def dense_ordered(ansatz, x, orders):
    n, mixer = ansatz.n, ansatz.mixer
    allbits = indices_to_bits(np.arange(1 << n), n)
    inside = in_subspace(mixer, allbits)
    psi = np.zeros(1 << n, complex)
    if ansatz.init.kind == "basis":
        psi[int(ansatz.init.bits.astype(np.int64) @ (1 << np.arange(n)))] = 1.0
    else:
        psi = inside / np.sqrt(inside.sum()) + 0j
    E = ansatz.qubo.diagonal()
    H = [dense_hamiltonian(pm, n) for pm in mixer.partials]
    g, b = ansatz.split(x)
    for layer in range(ansatz.p):
        psi = psi * np.exp(-1j * g[layer] * E)
        for k in orders[layer]:
            psi = expm_multiply(-1j * b[layer] * H[k], psi)
    return psi, inside


@pytest.mark.parametrize("kind,mixer,init", [("mdkp", "capacity", "empty"),
                                             ("mis", "independent-set", "empty"),
                                             ("qap", "swap", "identity")])
@pytest.mark.parametrize("order", ["reversed", "random"])
def test_ordered_layers_match_dense(kind, mixer, init, order):
    _program, ansatz, ev = make_case(kind, mixer, init, seed=3, p=2)
    K = ansatz.mixer.num_partials
    orders = mixer_orders(order, 2, K, np.random.default_rng(4))
    ev.sim.orders = orders
    x = np.random.default_rng(1).uniform(0.2, 1.2, ansatz.num_params)
    psi, _inside = dense_ordered(ansatz, x, orders)
    p_sub = np.abs(ev.state(x)) ** 2
    bits = ev.sim.space.bits(np.arange(ev.size))
    idx = bits.astype(np.int64) @ (1 << np.arange(ansatz.n))
    np.testing.assert_allclose(p_sub, np.abs(psi[idx]) ** 2, atol=1e-10)
    # a different order gives a different state (the partials do not commute)
    fixed = np.tile(np.arange(K), (2, 1))
    psi_fixed, _ = dense_ordered(ansatz, x, fixed)
    assert not np.allclose(np.abs(psi_fixed) ** 2, np.abs(psi) ** 2, atol=1e-6)
    # adjoint gradient with the order
    _v, grad = ev.value_and_grad(x)
    eps = 1e-6
    for i in range(len(x)):
        e = np.eye(len(x))[i] * eps
        fd = (ev.value(x + e) - ev.value(x - e)) / (2 * eps)
        assert grad[i] == pytest.approx(fd, rel=1e-4, abs=1e-5)


def test_orders_seeded_and_checked():
    a = mixer_orders("random", 3, 5, np.random.default_rng(7))
    b = mixer_orders("random", 3, 5, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert sorted(a[0].tolist()) == list(range(5))
    assert mixer_orders("fixed", 3, 5, None) is None
    assert mixer_orders("reversed", 2, 3, None).tolist() == [[2, 1, 0], [2, 1, 0]]
    with pytest.raises(OptionError, match="mixer_order"):
        mixer_orders("backwards", 1, 2, None)


def test_concentration_and_note_in_summary():
    c = concentration([0.95, 0.05, 0.0])
    assert c["max_state_probability"] == pytest.approx(0.95)
    h = -(0.95 * np.log2(0.95) + 0.05 * np.log2(0.05))
    assert c["state_entropy"] == pytest.approx(h) and c["concentration_note"] == NOTE
    u = concentration(np.full(8, 1 / 8))
    assert u["state_entropy"] == pytest.approx(3.0) and "concentration_note" not in u
    from qopt.solvers.summary import notes

    class R:
        solver, options, info = "qaoa", {}, c
    assert any(NOTE in n for n in notes(R))
