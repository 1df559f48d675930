"""Property test: random models (every variable kind, degree up to 4, constraints of every
sense) survive every round trip that can hold them, and every library's evaluator agrees
with the terms on random assignments."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qopt.model.interop import (
    as_terms,
    from_object,
    to_cqm,
    to_optimization_problem,
)
from qopt.model.interop.bridge import to_program
from qopt.model.interop.terms import ModelTerms, Polynomial

pytest.importorskip("qiskit_addon_opt_mapper")
pytest.importorskip("dimod")


@st.composite
def models(draw, max_degree: int = 4) -> ModelTerms:
    n = draw(st.integers(1, 5))
    model = ModelTerms(name="h", sense=draw(st.sampled_from(["min", "max"])))
    for i in range(n):
        kind = draw(st.sampled_from(["binary", "spin", "integer"]))
        lo = draw(st.integers(-3, 2))
        model.add_variable(f"v{i}", kind, lo, lo + draw(st.integers(0, 3)))
    coef = st.integers(-5, 5).map(float)

    def poly(k: int) -> Polynomial:
        p = Polynomial(constant=draw(coef))
        for _ in range(k):
            key = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=max_degree))
            p.add(key, draw(coef))
        return p

    model.objective = poly(draw(st.integers(0, 6)))
    for r in range(draw(st.integers(0, 3))):
        model.add_constraint(f"r{r}", poly(draw(st.integers(1, 3))),
                             draw(st.sampled_from(["<=", "==", ">="])), draw(coef))
    return model


def _rows(model: ModelTerms, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([rng.choice(v.domain, 16) for v in model.variables], axis=1)


@settings(max_examples=40, deadline=None)
@given(model=models(), seed=st.integers(0, 1000))
def test_opt_mapper_and_program_round_trips(model, seed):
    op = to_optimization_problem(model)
    assert from_object(op).same_as(model)
    program = to_program(model)
    assert as_terms(program).same_as(model)
    V = _rows(model, seed)
    ref = model.evaluate(V)
    np.testing.assert_allclose([op.objective.evaluate(r.tolist()) for r in V], ref)
    np.testing.assert_allclose(program.evaluate(V), ref)
    feasible = model.is_feasible(V)
    np.testing.assert_array_equal(program.is_feasible(V), feasible)
    np.testing.assert_array_equal([op.is_feasible(r.tolist()) for r in V], feasible)


@settings(max_examples=30, deadline=None)
@given(model=models(max_degree=2), seed=st.integers(0, 1000))
def test_cqm_round_trip(model, seed):
    cqm = to_cqm(model)
    back = from_object(cqm)
    if model.sense == "max":          # dimod minimises: the objective comes back negated
        back.sense = "max"
        back.objective = Polynomial({k: -c for k, c in back.objective.terms.items()},
                                    -back.objective.constant)
    assert back.same_as(model)
    V = _rows(model, seed)
    names = model.names
    sign = -1.0 if model.sense == "max" else 1.0
    np.testing.assert_allclose(cqm.objective.energies((V, names)), sign * model.evaluate(V))
    np.testing.assert_array_equal([cqm.check_feasible(dict(zip(names, r.tolist())))
                                   for r in V], model.is_feasible(V))
