"""One budget unit for every solver: objective evaluations.

One *evaluation* is the objective of one candidate bit vector, what a classical black box pays
(:class:`qopt.solvers.classical.blackbox.BlackBox`). Quantum solvers convert what they spend
into that unit:

* a parameter set evaluated **exactly** on a simulator (expectation, CVaR or correlators read
  from the statevector, the infinite-shot idealisation) costs 1;
* a parameter set **estimated from measurements** costs one per measured shot
  (``shots x measurement settings``): each shot is a bitstring whose energy is computed;
* final samples and rounding draws cost one per shot;
* enumerating ``k`` leftover variables (recursive QAOA) costs ``2^k``.

``budget=B`` therefore buys ``(B - reserved) // cost`` parameter sets, where ``reserved`` is what
the final step needs (final shots, enumeration) and ``cost`` is 1 (exact) or the shots of one
estimate; a budget that cannot pay for the final step plus one parameter set is refused before
any circuit runs. Results record ``evaluations`` (this unit), ``shots`` (every measured shot)
and ``info["circuit_evaluations"]`` (parameter sets run, gradient calls included).
"""

from __future__ import annotations

from dataclasses import dataclass

from qopt.errors import OptionError


@dataclass(frozen=True)
class QuantumBudget:
    """A quantum solver's budget plan.

    cost: evaluations charged per parameter set (1 exact, else shots x settings).
    reserved: evaluations kept for the final step (final shots, enumeration).
    limit: parameter sets the optimisation may run (the optimizer's budget).
    """

    cost: int
    reserved: int
    limit: int

    def charged(self, circuit_evaluations: int, extra: int = 0) -> int:
        """Evaluations charged for ``circuit_evaluations`` parameter sets plus ``extra``
        (the final step's shots / enumeration actually spent)."""
        return int(circuit_evaluations) * self.cost + int(extra)


def plan_quantum_budget(budget: int | None, maxiter: int, *, shots: int | None,
                        settings: int = 1, reserved: int = 0,
                        reserved_for: str = "the final samples") -> QuantumBudget:
    """Plan a quantum run: ``budget`` in evaluations (None: ``maxiter`` parameter sets, with
    the final step on top). ``shots`` per measurement setting (None = exact evaluation),
    ``settings`` measurement settings per parameter set, ``reserved`` evaluations for the final
    step (``reserved_for`` names it in the error)."""
    cost = 1 if shots is None else int(shots) * int(settings)
    if budget is None:
        return QuantumBudget(cost, int(reserved), int(maxiter))
    limit = (int(budget) - int(reserved)) // cost
    if limit < 1:
        per = "1 (exact)" if shots is None else f"{shots} shots x {settings} setting(s)"
        raise OptionError(
            f"budget {budget} evaluations cannot pay for {reserved_for} ({reserved}) plus one "
            f"parameter set ({per} = {cost}); raise budget or lower the shots")
    return QuantumBudget(cost, int(reserved), limit)


def final_shots(requested: int | None, budget: int | None, default: int = 1024) -> int:
    """Final samples of a quantum run: ``requested``, or by default ``default`` capped at half
    the budget (so a small budget still leaves half for the optimisation)."""
    if requested is not None:
        return int(requested)
    return default if budget is None else max(1, min(default, int(budget) // 2))


__all__ = ["QuantumBudget", "final_shots", "plan_quantum_budget"]
