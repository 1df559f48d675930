"""``qopt.solve`` on every kind of input, SolveResult JSON, raw vs post-processed reports."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import qopt
from qopt import BinaryProgram, OptionError, SolveResult
from qopt.bits import indices_to_bits
from qopt.problems.base import Problem


def brute_min(M: np.ndarray) -> float:
    n = M.shape[0]
    X = indices_to_bits(np.arange(1 << n), n).astype(float)
    return float(np.einsum("ki,ij,kj->k", X, M, X).min())


def only_json_types(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and only_json_types(v) for k, v in value.items())
    if isinstance(value, list):
        return all(only_json_types(v) for v in value)
    return value is None or type(value) in (str, int, float, bool)


def test_registered_problem():
    problem = qopt.load("mdkp", "pet3")
    res = qopt.solve(problem, "milp")
    assert res.objective == problem.optimum and res.gap == 0.0 and res.feasible
    assert res.approximation_ratio == 1.0 and res.problem_class == "mdkp"
    by_name = qopt.solve("mdkp:pet3", "milp")
    assert by_name.objective == problem.optimum


@pytest.mark.parametrize("sense, optimum, objective, ratio", [
    ("max", 10.0, 8.0, 0.8), ("min", 8.0, 10.0, 0.8),
    ("max", -2.0, -4.0, 0.5), ("min", -10.0, -8.0, 0.8),
    ("min", -1.0, 3.0, None), ("max", 0.0, -1.0, None), ("min", -3.0, -3.0, 1.0),
])
def test_approximation_ratio_is_at_most_one_for_any_sign(sense, optimum, objective, ratio):
    from qopt.problems.custom import ProgramProblem

    # one variable, forced to 1: the only feasible solution has the given objective
    p = BinaryProgram(1, [objective], sense=sense)
    p.add_constraint([1], "==", 1)
    res = qopt.solve(ProgramProblem(p, optimum=optimum), "exact")
    assert res.objective == objective and res.feasible
    if ratio is None:
        assert res.approximation_ratio is None
    else:
        assert res.approximation_ratio == pytest.approx(ratio)
    if optimum != 0:
        assert res.gap == pytest.approx(abs(optimum - objective) / abs(optimum))
    else:
        assert res.gap is None


def test_user_binary_program():
    # maximise 5a + 4b + 3c - 2ab subject to a + b + c <= 2
    p = BinaryProgram(3, [5, 4, 3], {(0, 1): -2.0}, sense="max", name="mine")
    p.add_constraint([1, 1, 1], "<=", 2)
    for solver in ("exact", "milp"):
        res = qopt.solve(p, solver)
        assert res.problem == "mine" and res.sense == "max"
        assert res.objective == 8.0 and res.solution == [1, 0, 1]


@pytest.mark.parametrize("solver", ["exact", "milp", "anneal"])
def test_numpy_matrix_qubo(solver):
    rng = np.random.default_rng(4)
    M = rng.integers(-5, 6, size=(10, 10)).astype(float)
    res = qopt.solve(M, solver, seed=1)
    assert res.objective == pytest.approx(brute_min(M))
    assert res.problem_class == "qubo" and res.feasible


def test_scipy_sparse_qubo():
    M = sp.random(12, 12, density=0.3, random_state=5, format="csr") * 10 - sp.eye(12) * 3
    dense = M.toarray()
    res = qopt.solve(M, "exact")
    assert res.objective == pytest.approx(brute_min(dense))
    assert qopt.solve(M, "milp").objective == pytest.approx(res.objective)


def test_networkx_graph_classes():
    G = nx.petersen_graph()
    assert qopt.solve(G, "exact", kind="maxcut").objective == 12.0
    assert qopt.solve(G, "milp", kind="maxcut").objective == 12.0
    assert qopt.solve(G, "exact", kind="mis").objective == 4.0
    mis = qopt.solve(G, "milp", kind="mis")
    assert mis.objective == 4.0 and mis.feasible
    chosen = [v for v, b in enumerate(mis.solution) if b]
    assert not any(G.has_edge(u, v) for u in chosen for v in chosen)
    with pytest.raises(OptionError, match="kind"):
        qopt.solve(G, "exact")


def test_solve_result_json_round_trip():
    res = qopt.solve(qopt.generate("mis", 12, 0), "anneal", seed=3, budget=4000, reads=20)
    text = res.to_json()
    data = json.loads(text)
    assert only_json_types(data)
    back = SolveResult.from_json(text)
    assert back == res
    assert back.to_dict() == res.to_dict()
    for key in ("objective", "feasible", "gap", "optimum", "solution", "wall_time"):
        assert key in data


def test_raw_and_postprocessed_reports_are_separate():
    problem = qopt.generate("mdkp", (14, 3), 2)
    # one read and one sweep: the raw sample is a poor annealing state
    res = qopt.solve(problem, "anneal", seed=0, reads=1, sweeps=1)
    assert res.raw is not None and [s["step"] for s in res.postprocess] == ["repair",
                                                                            "local_search"]
    assert res.postprocess[0]["objective_before"] == res.raw.objective
    assert res.postprocess[-1]["objective_after"] == res.objective
    assert res.feasible
    assert res.objective > res.raw.objective              # post-processing improved it
    assert res.objective == problem.evaluate(np.array(res.solution, dtype=np.uint8))
    assert res.raw.objective == problem.evaluate(np.array(res.raw.solution, dtype=np.uint8))
    plain = qopt.solve(problem, "anneal", seed=0, reads=1, sweeps=1, postprocess=False)
    assert plain.postprocess == [] and plain.solution == plain.raw.solution
    assert plain.raw == res.raw


class _NoWork(Problem):
    """Any use of this problem means work started."""

    kind = "nowork"

    @property
    def num_vars(self) -> int:
        raise AssertionError("work started")

    def evaluate_batch(self, X):
        raise AssertionError("work started")

    def violation_batch(self, X):
        raise AssertionError("work started")

    def build_program(self):
        raise AssertionError("work started")

    def decode(self, bits):
        raise AssertionError("work started")

    def encode(self, solution):
        raise AssertionError("work started")


@pytest.mark.parametrize("solver", ["exact", "milp", "anneal"])
def test_unknown_option_named_before_work(solver):
    with pytest.raises(OptionError, match="'nonsense'"):
        qopt.solve(_NoWork(), solver, nonsense=3)
    with pytest.raises(OptionError, match="unknown solver"):
        qopt.solve(_NoWork(), "no-such-solver")


def test_options_record_a_penalty_mapping_as_data_and_a_backend_object_by_name():
    from qopt.backends.registry import get_backend

    res = qopt.solve("mdkp:pet2", "anneal", seed=1, budget=200, penalty={0: 1000.0})
    assert json.loads(res.to_json())["options"]["penalty"] == {"0": 1000.0}
    res = qopt.solve("mdkp:pet2", "anneal", seed=1, budget=200, penalty=[500.0] * 10)
    assert res.options["penalty"] == [500.0] * 10
    with get_backend("statevector") as backend:
        res = qopt.solve("mis:1tc.8", "vqe", seed=1, budget=3, backend=backend, reps=1)
    assert res.backend == "statevector"


@pytest.mark.parametrize("solver", ["exact", "milp", "anneal", "random", "ga", "map-elites"])
def test_classical_solvers_refuse_backend_and_optimizer(solver):
    with pytest.raises(OptionError, match="backend= does not apply"):
        qopt.solve("mis:1tc.8", solver, backend="aer")
    with pytest.raises(OptionError, match="optimizer= does not apply"):
        qopt.solve("mis:1tc.8", solver, optimizer="cobyla")
    with pytest.raises(OptionError, match="backend= and optimizer= do not apply"):
        qopt.solve("mis:1tc.8", solver, backend="aer", optimizer="cobyla")


def test_market_split_gap_is_measured_on_the_deviation():
    """MSP's optimum is the least total deviation (4 here): infeasible answers still get a gap."""
    exact = qopt.solve("msp:msp_m2_s1", "exact")
    assert exact.optimum == 4 and exact.objective == 4 and not exact.feasible
    assert exact.gap == 0.0 and exact.approximation_ratio == 1.0
    assert exact.probability_optimum == 1.0
    rnd = qopt.solve("msp:msp_m2_s1", "random", budget=20, seed=3, postprocess=False)
    assert rnd.gap == abs(rnd.objective - 4) / 4
    # problems whose optimum is only defined over feasible points still need feasibility
    mis = qopt.solve("mis:1tc.8", "exact")
    assert mis.gap == 0.0
