"""Higher order on the classical side: every solver family on HUBOs and on user models with
integers, spins and quadratic / cubic constraints, against brute force."""

import numpy as np
import pytest

import qopt
from qopt.bits import indices_to_bits
from qopt.model import HUBO, Program
from qopt.problems.custom import QUBOProblem
from qopt.solvers.base import Task
from qopt.solvers.classical import anneal_kernels as kernels
from qopt.solvers.classical.anneal import _Landscape
from qopt.solvers.classical.poly_fields import PolyTerms


def cubic_quartic_hubo(n=10, seed=0):
    rng = np.random.default_rng(seed)
    terms = {}
    for d, count in ((1, n), (2, n), (3, n), (4, n // 2)):
        for _ in range(count):
            terms[tuple(rng.choice(n, d, replace=False).tolist())] = float(rng.integers(-5, 6))
    return HUBO(terms, num_vars=n)


def brute_force_model(p):
    """Optimum of a Program over its whole domain (independent of any encoding)."""
    import itertools

    ranges = [range(v.lb, v.ub + 1) if v.kind != "spin" else (-1, 1) for v in p.variables]
    grid = np.array(list(itertools.product(*ranges)), dtype=float)
    ok = p.is_feasible(grid)
    vals = p.evaluate(grid[ok])
    return vals.min() if p.sense == "min" else vals.max()


def model_with_constraints(encoding):
    p = Program("cubic-model", sense="max")
    x = p.binary_vars(4, "x")
    n = p.integer_var("n", 0, 4, encoding=encoding)
    s = p.spin_var("s")
    p.maximize(3 * x[0] * x[1] * x[2] - 2 * x[1] * x[2] * x[3] * n + n * s + x[3] * n
               - x[0] * s + 2 * x[2] - n ** 2 / 4)
    p.add_constraint(x[0] * x[1] + x[2] * n <= 3, name="quadratic")
    p.add_constraint(x[0] * x[1] * x[3] <= 0, name="cubic")
    p.add_constraint(x[0] + x[3] + n >= 2, name="linear")
    return p


@pytest.mark.parametrize("solver, options", [
    ("exact", {}), ("milp", {}), ("anneal", {"reads": 8, "sweeps": 200}),
    ("tabu", {"iterations": 300}), ("ga", {}), ("map-elites", {}), ("random", {}),
])
def test_solver_families_reach_the_hubo_optimum(solver, options):
    h = cubic_quartic_hubo()
    best = h.diagonal().min()
    r = qopt.solve(h, solver, seed=3, **options)
    assert r.objective == pytest.approx(best)
    assert h.energy(np.array(r.solution)) == pytest.approx(r.objective)
    if solver in ("anneal", "tabu"):
        assert r.info["cost_degree"] == 4 and "quadratisation" not in r.info
    assert r.values == {f"x{i}": b for i, b in enumerate(r.solution)}


@pytest.mark.parametrize("solver", ["gw", "burer-monteiro", "pce", "qrao"])
def test_quadratic_only_solvers_get_a_safe_quadratisation(solver):
    h = HUBO({(0, 1, 2): -3.0, (1, 2, 3, 4): 2.0, (0, 4): 1.0, (3,): -1.0, (2,): 0.5})
    r = qopt.solve(h, solver, seed=1)
    q = r.info["quadratisation"]
    assert q["quadratised"] and q["auxiliary"] == 2 and q["degree_before"] == 4
    assert r.num_vars == 5 and len(r.solution) == 5          # auxiliaries never reach the result
    assert r.objective == pytest.approx(h.diagonal().min())


@pytest.mark.parametrize("encoding", ["log", "unary", "one-hot"])
@pytest.mark.parametrize("solver, options", [
    ("exact", {}), ("milp", {}), ("anneal", {"reads": 32, "sweeps": 300}),
    ("tabu", {"iterations": 1500}),
])
def test_user_model_solved_in_its_own_terms(encoding, solver, options):
    p = model_with_constraints(encoding)
    best = brute_force_model(p)
    r = qopt.solve(p, solver, seed=5, **options)
    assert set(r.values) == {"x0", "x1", "x2", "x3", "n", "s"}
    assert isinstance(r.values["n"], int) and r.values["s"] in (-1, 1)
    assert r.feasible and p.is_feasible(r.values)
    assert r.objective == pytest.approx(p.evaluate(r.values))    # the model's own objective
    assert r.objective == pytest.approx(best)
    if solver in ("anneal", "tabu"):
        assert r.info["constraints"]["cubic"] == "penalty (products)"
        assert r.info["constraints"]["quadratic"].startswith("slack")


def test_values_survive_json():
    p = model_with_constraints("log")
    r = qopt.solve(p, "exact")
    back = qopt.SolveResult.from_json(r.to_json())
    assert back.values == r.values and back.objective == r.objective


def test_problems_without_a_model_get_values_from_their_names():
    r = qopt.solve(qopt.generate("mis", 6, seed=1), "exact")
    assert list(r.values) == [f"x{i}" for i in range(6)]
    assert [r.values[f"x{i}"] for i in range(6)] == r.solution


def test_task_gives_each_solver_its_form():
    h = cubic_quartic_hubo(6)
    hubo_task = Task(QUBOProblem(h), max_degree=None)
    qubo_task = Task(QUBOProblem(h), max_degree=2)
    assert hubo_task.cost is h
    assert qubo_task.cost.terms == {} and qubo_task.cost.num_aux > 0
    assert qopt.solvers.registry.make_solver("anneal").max_degree is None
    assert qopt.solvers.registry.make_solver("gw").max_degree == 2


def _fields_from_scratch(h, X):
    """Independent reference: F_j = E(x with x_j = 1) - E(x with x_j = 0)."""
    F = np.empty(X.shape, dtype=float)
    for j in range(X.shape[1]):
        one, zero = X.copy(), X.copy()
        one[:, j], zero[:, j] = 1, 0
        F[:, j] = h.energy(one) - h.energy(zero)
    return F


@pytest.mark.parametrize("kernel", ["numpy", "numba"])
def test_anneal_kernel_keeps_fields_and_energies_exact(kernel):
    h = cubic_quartic_hubo(9, seed=4)
    rng = np.random.default_rng(0)
    land = _Landscape.of(h, slack_moves=True)
    lanes, steps = 4, 9 * 30
    X = rng.integers(0, 2, size=(lanes, 9), dtype=np.int8)
    F, G, consts = land.arrays(X)
    assert np.allclose(F, _fields_from_scratch(h, X))
    E = h.energy(X).astype(float)
    pos, since = np.zeros(lanes, np.int64), np.zeros(lanes, np.int64)
    rlen = np.full(lanes, 30, dtype=np.int64)
    best_e, best_x = E.copy(), X.copy()
    out = np.zeros((lanes, 8, 9), dtype=np.int8)
    count = np.zeros(lanes, dtype=np.int64)
    fn = kernels.anneal_numba if kernel == "numba" else kernels.anneal_numpy
    fn(X, F, G, E, *consts, kernels.beta_table(0.1, 3.0), rng.standard_exponential((lanes, steps)),
       0, steps, 30, 5, pos, rlen, since, best_e, best_x, out, count)
    assert np.allclose(F, _fields_from_scratch(h, X))
    assert np.allclose(E, h.energy(X))
    Z = consts[-1][0]
    assert np.array_equal(Z, PolyTerms.of(h).zeros(X))


def test_tabu_numpy_and_numba_agree_on_a_hubo():
    h = cubic_quartic_hubo(12, seed=7)
    a = qopt.solve(h, "tabu", seed=1, budget=3000, kernel="numpy")
    b = qopt.solve(h, "tabu", seed=1, budget=3000, kernel="numba")
    assert a.solution == b.solution and a.evaluations == b.evaluations == 3000


def test_brute_force_reference_is_independent():
    """The test's own reference: the HUBO diagonal equals term-by-term evaluation."""
    h = cubic_quartic_hubo(8, seed=2)
    X = indices_to_bits(np.arange(256), 8)
    ref = np.array([sum(c * all(x[i] for i in k) for k, c in h.to_mapping().items())
                    for x in X])
    assert np.allclose(h.diagonal(), ref)


def one_hot_model():
    p = Program("one-hot-ints")
    n = p.integer_var("n", 0, 3, encoding="one-hot")
    m = p.integer_var("m", 1, 3, encoding="one-hot")
    x = p.binary_var("x")
    p.minimize((n - 2) ** 2 + n * m * x - 3 * x + m)
    return p


@pytest.mark.parametrize("mixer", ["xy-ring", "xy-complete"])
def test_constraint_preserving_mixer_keeps_one_hot_integers_and_says_so(mixer):
    p = one_hot_model()
    r = qopt.solve(p, "qaoa", mixer=mixer, p=1, seed=3, maxiter=20)
    assert r.info["sample_feasible_fraction"] == 1.0           # every sample one-hot
    assert r.num_qubits == 8                                   # 4 + 3 + 1 bits, no slack / aux
    assert r.feasible and r.values["n"] in range(4) and r.values["m"] in range(1, 4)
    # info describes the cost the mixer's run used: the cubic term kept (no quadratisation),
    # and both one-hot rows preserved by the mixer, not penalised
    assert r.info["cost_degree"] == 3 and "quadratisation" not in r.info
    assert r.info["constraints"] == {"n:one-hot": f"preserved by the {mixer} mixer",
                                     "m:one-hot": f"preserved by the {mixer} mixer"}
    # the x mixer pays for them instead, on the HUBO of the whole lowered program
    rx = qopt.solve(p, "qaoa", p=1, seed=3, maxiter=20)
    assert rx.info["constraints"]["n:one-hot"] == "penalty (square)"


def test_preserving_mixer_reports_its_penalised_rows_as_they_are_penalised():
    p = one_hot_model()
    n, m = p.variable("n"), p.variable("m")
    p.add_constraint(n + m <= 4, name="cap")
    r = qopt.solve(p, "qaoa", mixer="xy-ring", p=1, seed=3, maxiter=10)
    assert r.info["penalised_rows"] == ["cap"]
    assert r.info["constraints"]["cap"] == "penalty (unbalanced)"   # what constrained_cost uses
    assert r.info["constraints"]["n:one-hot"] == "preserved by the xy-ring mixer"
