"""Optimizers: one interface, exact evaluation budgets, recorded history, real minimisation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from qopt.errors import OptionError
from qopt.solvers.optimizers import (
    AQGD,
    OPTIMIZERS,
    SPSA,
    get_optimizer,
    shift_rule_gradient,
)

CENTRE = np.array([0.3, -0.7, 1.1])


class Counted:
    """A smooth test objective with its own call counters (value, gradient)."""

    def __init__(self):
        self.calls = 0
        self.grad_calls = 0

    def fun(self, x):
        self.calls += 1
        return float(np.sum(1 - np.cos(x - CENTRE)) + 0.1 * np.sum((x - CENTRE) ** 2))

    def grad(self, x):
        self.grad_calls += 1
        val = float(np.sum(1 - np.cos(x - CENTRE)) + 0.1 * np.sum((x - CENTRE) ** 2))
        return val, np.sin(x - CENTRE) + 0.2 * (x - CENTRE)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("budget", [1, 7, 60])
def test_budget_is_never_exceeded_and_history_is_complete(name, budget):
    obj = Counted()
    opt = get_optimizer(name)
    out = opt.minimize(obj.fun, np.zeros(3), grad=obj.grad, budget=budget, rng=0)
    used = obj.calls + obj.grad_calls
    assert used == out.evaluations <= budget
    assert len(out.history) == out.evaluations
    assert [h["evaluation"] for h in out.history] == list(range(1, out.evaluations + 1))
    best = [h["best"] for h in out.history]
    assert all(b2 <= b1 for b1, b2 in itertools.pairwise(best))
    assert out.fun == min(h["value"] for h in out.history)
    assert out.gradient_evaluations == obj.grad_calls
    if name in ("spsa", "adam", "aqgd"):
        assert out.evaluations == budget         # iterative methods spend the whole budget


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_each_optimizer_minimises(name):
    obj = Counted()
    out = get_optimizer(name).minimize(obj.fun, np.zeros(3), grad=obj.grad, budget=400, rng=1)
    start = obj.fun(np.zeros(3))
    assert out.fun < 0.05 * start
    assert abs(obj.fun(out.x) - out.fun) < 1e-12


def test_gradient_methods_use_the_gradient_and_fall_back_to_shift_rule():
    obj = Counted()
    get_optimizer("l-bfgs-b").minimize(obj.fun, np.zeros(3), grad=obj.grad, budget=30)
    assert obj.grad_calls > 0 and obj.calls == 0
    obj = Counted()
    out = get_optimizer("adam").minimize(obj.fun, np.zeros(3), budget=35)
    assert obj.grad_calls == 0 and obj.calls == out.evaluations == 35


def test_shift_rule_is_exact_for_sinusoids():
    def f(x):
        return float(np.cos(x[0]) + 2 * np.sin(x[1]))

    x = np.array([0.4, -1.2])
    assert np.allclose(shift_rule_gradient(f, x), [-np.sin(0.4), 2 * np.cos(-1.2)], atol=1e-12)


def test_seeded_stochastic_optimizers_are_reproducible():
    for opt in (SPSA(), AQGD()):
        a = opt.minimize(Counted().fun, np.zeros(3), budget=41, rng=5)
        b = opt.minimize(Counted().fun, np.zeros(3), budget=41, rng=5)
        assert np.array_equal(a.x, b.x) and a.history == b.history


def test_bad_names_and_budgets_raise():
    with pytest.raises(OptionError, match="unknown optimizer"):
        get_optimizer("bfgs-please")
    with pytest.raises(OptionError):
        get_optimizer("spsa", nonsense=1)
    with pytest.raises(OptionError):
        get_optimizer("cobyla").minimize(Counted().fun, np.zeros(2), budget=0)
    inst = SPSA(learning_rate=0.05)
    assert get_optimizer(inst) is inst
    assert get_optimizer(None).name == "cobyla"
