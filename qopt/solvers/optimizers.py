"""Classical optimizers for variational solvers, one interface, exact evaluation budgets.

Every optimizer is an object with ``minimize(fun, x0, *, grad=None, budget=None, rng=None)``
returning an :class:`OptimizeOutcome`:

* ``fun(x) -> float`` is one objective evaluation (one expectation / CVaR estimate);
* ``grad(x) -> (value, gradient)`` is an analytic gradient (the engine's adjoint sweep) that
  also yields the value; each call counts as **one** evaluation (and is counted apart in
  ``gradient_evaluations``). Optimizers that need a gradient and get none use the two-point
  shift rule on ``fun`` (2 evaluations per parameter);
* ``budget`` is the number of evaluations allowed, honoured exactly: an optimizer never calls
  ``fun`` / ``grad`` more than ``budget`` times (scipy methods are stopped by an exception at
  the limit). Iterative methods (SPSA, Adam, AQGD) use the whole budget; scipy methods may
  stop earlier on convergence;
* the result is the best point evaluated, with the full per-evaluation ``history``.

Names (registry keys): ``cobyla``, ``nelder-mead``, ``l-bfgs-b``, ``spsa``, ``adam``, ``aqgd``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from qopt import progress
from qopt.errors import OptionError
from qopt.suggest import unknown

DEFAULT_BUDGET = 500


@dataclass
class OptimizeOutcome:
    """Best point ``x`` found, its value ``fun``, evaluations used and the history.

    ``history`` holds one dict per evaluation: ``{"evaluation", "value", "best"}``."""

    x: np.ndarray
    fun: float
    evaluations: int
    history: list[dict[str, Any]] = field(default_factory=list)
    gradient_evaluations: int = 0
    message: str = ""


class BudgetExhausted(Exception):
    """Raised inside an optimizer when the evaluation budget is spent (caught by minimize)."""


class Objective:
    """Counts evaluations against a budget, keeps the best point and the history."""

    def __init__(self, fun: Callable | None, grad: Callable | None, budget: int):
        self.fun = fun
        self.grad = grad
        self.budget = int(budget)
        self.evaluations = 0
        self.gradient_evaluations = 0
        self.best_x: np.ndarray | None = None
        self.best = math.inf
        self.history: list[dict[str, Any]] = []

    @property
    def remaining(self) -> int:
        return self.budget - self.evaluations

    def _record(self, x, value: float):
        self.evaluations += 1
        if value < self.best or self.best_x is None:
            self.best = value
            self.best_x = np.array(x, dtype=float, copy=True)
        self.history.append({"evaluation": self.evaluations, "value": value,
                             "best": self.best})
        progress.count(1, value, self.budget)

    def __call__(self, x) -> float:
        if self.evaluations >= self.budget:
            raise BudgetExhausted
        value = float(self.fun(np.asarray(x, dtype=float)))
        self._record(x, value)
        return value

    def value_and_grad(self, x) -> tuple[float, np.ndarray]:
        """One analytic gradient call (one evaluation) or, without ``grad``, the shift rule."""
        if self.grad is None:
            return self(x), shift_rule_gradient(self, x)
        if self.evaluations >= self.budget:
            raise BudgetExhausted
        value, g = self.grad(np.asarray(x, dtype=float))
        value = float(value)
        self.gradient_evaluations += 1
        self._record(x, value)
        return value, np.asarray(g, dtype=float)

    def outcome(self, x0, message: str) -> OptimizeOutcome:
        x = self.best_x if self.best_x is not None else np.asarray(x0, dtype=float)
        return OptimizeOutcome(x=x, fun=self.best, evaluations=self.evaluations,
                               history=self.history,
                               gradient_evaluations=self.gradient_evaluations, message=message)


def shift_rule_gradient(fun: Callable, x, shift: float = math.pi / 2) -> np.ndarray:
    """Two-point shift rule: ``(f(x + s e_k) - f(x - s e_k)) / (2 sin s)`` per parameter.

    Exact for a parameter that enters once as ``exp(-i theta P / 2)`` with P a Pauli string
    (parameter shift, s = pi/2); a central difference otherwise. 2 evaluations per parameter."""
    x = np.asarray(x, dtype=float)
    g = np.empty_like(x)
    denom = 2.0 * math.sin(shift)
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = shift
        g[k] = (fun(x + e) - fun(x - e)) / denom
    return g


class Optimizer:
    """Base class: subclasses implement ``_run(obj, x0, rng)`` using ``obj`` (an Objective)."""

    name: ClassVar[str] = ""
    uses_gradient: ClassVar[bool] = False

    def minimize(self, fun: Callable, x0, *, grad: Callable | None = None,
                 budget: int | None = None, rng=None) -> OptimizeOutcome:
        from qopt.solvers.base import rng_from

        budget = DEFAULT_BUDGET if budget is None else budget
        if not isinstance(budget, int | np.integer) or budget < 1:
            raise OptionError(f"budget must be a positive number of evaluations, got {budget!r}")
        x0 = np.asarray(x0, dtype=float).reshape(-1)
        obj = Objective(fun, grad, int(budget))
        try:
            message = self._run(obj, x0.copy(), rng_from(rng))
        except BudgetExhausted:
            message = "evaluation budget exhausted"
        return obj.outcome(x0, message)

    def _run(self, obj: Objective, x0: np.ndarray, rng: np.random.Generator) -> str:
        raise NotImplementedError

    def workspace_bytes(self, d: int) -> int:
        """Peak memory (bytes) of a run on ``d`` parameters: a few O(d) vectors by default."""
        return 64 * (int(d) + 1)

    def __repr__(self) -> str:
        fields_ = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields_})"


class COBYLA(Optimizer):
    """scipy COBYLA (derivative free). ``rhobeg``: initial trust radius (radians)."""

    name = "cobyla"

    def __init__(self, rhobeg: float = 0.5, tol: float | None = 1e-8):
        self.rhobeg = rhobeg
        self.tol = tol

    def _run(self, obj, x0, rng):
        import warnings

        from scipy.optimize import minimize

        with warnings.catch_warnings():     # tiny budgets: scipy raises maxfun; we stop first
            warnings.simplefilter("ignore", UserWarning)
            res = minimize(obj, x0, method="COBYLA", tol=self.tol,
                           options={"maxiter": max(obj.budget, x0.size + 2),
                                    "rhobeg": self.rhobeg})
        return str(res.message)

    def workspace_bytes(self, d: int) -> int:
        # scipy's COBYLA (PRIMA) keeps several (d+1)^2 float64 matrices: ~10 measured
        return 11 * 8 * (int(d) + 1) ** 2


class NelderMead(Optimizer):
    """scipy Nelder–Mead simplex (derivative free)."""

    name = "nelder-mead"

    def __init__(self, xatol: float = 1e-6, fatol: float = 1e-9, initial_step: float = 0.25):
        self.xatol = xatol
        self.fatol = fatol
        self.initial_step = initial_step

    def _run(self, obj, x0, rng):
        from scipy.optimize import minimize

        simplex = np.vstack([x0] + [x0 + self.initial_step * np.eye(x0.size)[k]
                                    for k in range(x0.size)])
        res = minimize(obj, x0, method="Nelder-Mead",
                       options={"maxfev": obj.budget, "maxiter": obj.budget,
                                "xatol": self.xatol, "fatol": self.fatol,
                                "initial_simplex": simplex})
        return str(res.message)

    def workspace_bytes(self, d: int) -> int:
        # the initial simplex (d+1, d) built here plus scipy's own copies: ~3 measured
        return 4 * 8 * (int(d) + 1) ** 2


class LBFGSB(Optimizer):
    """scipy L-BFGS-B with the analytic (adjoint) gradient; each value+gradient call is one
    evaluation. Without ``grad`` it falls back to the shift rule."""

    name = "l-bfgs-b"
    uses_gradient = True

    def __init__(self, gtol: float = 1e-8, ftol: float = 1e-12):
        self.gtol = gtol
        self.ftol = ftol

    def _run(self, obj, x0, rng):
        from scipy.optimize import minimize

        res = minimize(obj.value_and_grad, x0, jac=True, method="L-BFGS-B",
                       options={"maxfun": obj.budget, "maxiter": obj.budget,
                                "gtol": self.gtol, "ftol": self.ftol})
        return str(res.message)


class SPSA(Optimizer):
    """Simultaneous perturbation stochastic approximation (Spall): 2 evaluations per step.

    Gains ``a_k = learning_rate / (k + 1 + A)^alpha``, ``c_k = perturbation / (k + 1)^gamma``
    with A = 10 % of the iterations; Rademacher perturbations from ``rng``. The last spare
    evaluation (odd budgets) evaluates the final iterate."""

    name = "spsa"

    def __init__(self, learning_rate: float = 0.2, perturbation: float = 0.1,
                 alpha: float = 0.602, gamma: float = 0.101):
        self.learning_rate = learning_rate
        self.perturbation = perturbation
        self.alpha = alpha
        self.gamma = gamma

    def _run(self, obj, x0, rng):
        x = x0
        iters = obj.budget // 2
        big_a = 0.1 * iters
        for k in range(iters):
            ak = self.learning_rate / (k + 1 + big_a) ** self.alpha
            ck = self.perturbation / (k + 1) ** self.gamma
            delta = rng.choice([-1.0, 1.0], size=x.size)
            fp = obj(x + ck * delta)
            fm = obj(x - ck * delta)
            x = x - ak * (fp - fm) / (2 * ck) * delta
        if obj.remaining > 0:
            obj(x)
        return f"{iters} SPSA iterations"


class Adam(Optimizer):
    """Adam on the analytic gradient (one evaluation per step; shift rule without ``grad``)."""

    name = "adam"
    uses_gradient = True

    def __init__(self, learning_rate: float = 0.05, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        self.learning_rate = learning_rate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps

    def _run(self, obj, x0, rng):
        x = x0
        m = np.zeros_like(x)
        v = np.zeros_like(x)
        t = 0
        while obj.remaining > 0:
            _, g = obj.value_and_grad(x)
            t += 1
            m = self.beta1 * m + (1 - self.beta1) * g
            v = self.beta2 * v + (1 - self.beta2) * g * g
            mh = m / (1 - self.beta1 ** t)
            vh = v / (1 - self.beta2 ** t)
            x = x - self.learning_rate * mh / (np.sqrt(vh) + self.eps)
        return f"{t} Adam steps"


class AQGD(Optimizer):
    """Analytic quantum gradient descent: parameter-shift gradient (shift ``shift``, 2
    evaluations per parameter, plus one for the value) and momentum
    ``v = momentum v + (1 - momentum) g; x -= eta v``. When the rest of the budget cannot pay
    for a full gradient it evaluates the iterate and takes shift-rule coordinate steps."""

    name = "aqgd"

    def __init__(self, eta: float = 0.1, momentum: float = 0.25, shift: float = math.pi / 2):
        self.eta = eta
        self.momentum = momentum
        self.shift = shift

    def _run(self, obj, x0, rng):
        x = x0
        vel = np.zeros_like(x)
        steps = 0
        while obj.remaining >= 2 * x.size + 1:
            obj(x)
            g = shift_rule_gradient(obj, x, self.shift)
            vel = self.momentum * vel + (1 - self.momentum) * g
            x = x - self.eta * vel
            steps += 1
        if obj.remaining > 0:           # the rest: the final iterate, then coordinate steps
            f0 = obj(x)
            for k in range(x.size):
                if obj.remaining < 2:
                    break
                e = np.zeros_like(x)
                e[k] = self.shift
                gk = (obj(x + e) - obj(x - e)) / (2.0 * math.sin(self.shift))
                x = x.copy()
                x[k] -= self.eta * gk
            if obj.remaining > 0 and obj.best < f0:
                obj(x)
            while obj.remaining > 0:
                obj(x)
        return f"{steps} AQGD steps"


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (COBYLA, NelderMead, LBFGSB, SPSA, Adam, AQGD)
}


def names() -> list[str]:
    return list(OPTIMIZERS)


def get_optimizer(optimizer=None, default: str = "cobyla", **options) -> Optimizer:
    """An optimizer from a name (with ``options``), an Optimizer instance, or None (default)."""
    if optimizer is None:
        optimizer = default
    if isinstance(optimizer, Optimizer):
        if options:
            raise OptionError("options go with an optimizer name, not with an instance")
        return optimizer
    if isinstance(optimizer, str):
        key = optimizer.lower().replace("_", "-")
        if key not in OPTIMIZERS:
            raise OptionError(unknown("optimizer", optimizer, names()))
        try:
            return OPTIMIZERS[key](**options)
        except TypeError as exc:
            raise OptionError(f"optimizer {key!r}: {exc}") from None
    if hasattr(optimizer, "minimize"):
        return optimizer
    raise OptionError(f"optimizer must be a name or an Optimizer, got {type(optimizer).__name__}")


__all__ = [
    "AQGD", "COBYLA", "LBFGSB", "OPTIMIZERS", "SPSA", "Adam", "NelderMead", "OptimizeOutcome",
    "Optimizer", "get_optimizer", "names", "shift_rule_gradient",
]
