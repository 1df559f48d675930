"""docplex's own evaluation of a model at rows of values (the tests' independent reference)."""

from __future__ import annotations


def docplex_values(m, V) -> tuple[list[float], list[bool]]:
    """(objective, every constraint satisfied) of docplex model ``m`` at each row of ``V``
    (values of its variables in declaration order), through docplex's SolveSolution."""
    from docplex.mp.solution import SolveSolution

    xs = list(m.iter_variables())
    objective, feasible = [], []
    for row in V:
        sol = SolveSolution(m, dict(zip(xs, row.tolist())))
        objective.append(sol.get_value(m.objective_expr))
        feasible.append(all(ct.is_satisfied(sol) for ct in m.iter_constraints()))
    return objective, feasible
