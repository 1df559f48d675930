"""Plans before runs: :func:`plan` (``qopt.plan``, ``qopt solve ... --dry-run``) and the
measured time model (:mod:`qopt.planning.timing`)."""

from qopt.planning.plan import WARN_SECONDS, Plan, plan

__all__ = ["WARN_SECONDS", "Plan", "plan"]
