"""The angle search of the QAOA family: init (ramp, interp, fourier, random, transfer, fixed
angles), restarts and the budget split between them (see :mod:`qopt.solvers.budget`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from qopt.errors import OptionError
from qopt.solvers.optimizers import get_optimizer
from qopt.solvers.quantum import initialisation as init_mod
from qopt.solvers.quantum.qaoa_ansatz import Ansatz
from qopt.solvers.quantum.qaoa_evaluators import CircuitEvaluator, ExactEvaluator


def slices(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` near-equal integer shares (the first ones larger)."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


class AngleSearch:
    """Budgeted search of the angles of one ansatz: init, restarts, transfer, fixed angles.

    ``o``: the solver's options (init, restarts, fine_tune, maxiter, optimizer, ...). Set
    ``transfer`` (a :class:`~qopt.solvers.quantum.transfer.Schedule`, init="transfer") or
    ``start`` (normalised parameters from ``angles``) before :meth:`optimise`. With a
    ``start`` and ``o.maxiter == 0`` the start is evaluated once and not optimised.
    ``history`` / ``evaluations`` (parameter sets run) accumulate over calls.
    """

    def __init__(self, solver_opts, optimizer, rng: np.random.Generator,
                 *, gradients: bool = True):
        self.o = solver_opts
        self.opt = get_optimizer(optimizer, default=solver_opts.optimizer)
        self.rng = rng
        self.gradients = gradients      # False on sampling backends: shift rule on estimates
        self.history: list[dict[str, Any]] = []
        self.evaluations = 0
        self.exhausted = False          # some optimisation stopped at its budget share
        self.transfer = None            # init="transfer": the transferred Schedule
        self.start: np.ndarray | None = None    # angles=...: normalised start parameters

    @property
    def fixed(self) -> bool:
        """Whether the given angles are only evaluated (``angles`` with ``maxiter=0``)."""
        return self.start is not None and self.o.maxiter == 0

    @property
    def status(self) -> str:
        """"budget" when an optimisation was cut by the budget, else "done" (converged)."""
        return "budget" if self.exhausted else "done"

    def _minimize(self, evaluator, fun_x, x0, budget, tag: dict, grad=None):
        if budget <= 0:
            return x0, math.inf
        out = self.opt.minimize(fun_x, x0, grad=grad if self.gradients else None,
                                budget=budget, rng=self.rng)
        start = self.evaluations
        for h in out.history:
            self.history.append({**tag, "evaluation": start + h["evaluation"],
                                 "value": h["value"], "best": h["best"]})
        self.evaluations += out.evaluations
        self.exhausted |= out.message == "evaluation budget exhausted"
        return out.x, out.fun

    def optimise(self, ansatz: Ansatz, evaluator, budget: int) -> tuple[np.ndarray, float]:
        """Best (normalised x, objective) within ``budget`` parameter sets."""
        o = self.o
        if self.fixed:
            return self._value_once(evaluator, self.start, {"restart": 0, "p": ansatz.p,
                                                            "fixed": True}, budget)
        best_x, best_f = None, math.inf
        for r, share in enumerate(slices(budget, o.restarts)):
            if r == 0 and self.start is not None:
                x, f = self._minimize(evaluator, evaluator.value, self.start, share,
                                      {"restart": r, "p": ansatz.p, "angles": True},
                                      grad=evaluator.value_and_grad)
            elif r == 0 and o.init == "interp":
                x, f = self._interp(ansatz, evaluator, share, r)
            elif r == 0 and o.init == "fourier":
                x, f = self._fourier(ansatz, evaluator, share, r)
            elif r == 0 and o.init == "transfer":
                x, f = self._transferred(ansatz, evaluator, share, r)
            else:
                g, b = (init_mod.linear_ramp(ansatz.p) if r == 0 and o.init == "ramp"
                        else init_mod.random_angles(ansatz.p, self.rng))
                x0 = ansatz.join(g, b)
                x, f = self._minimize(evaluator, evaluator.value, x0, share,
                                      {"restart": r, "p": ansatz.p},
                                      grad=evaluator.value_and_grad)
            if best_x is None or f < best_f:
                best_x, best_f = x, f
        return best_x, best_f

    def _transferred(self, ansatz: Ansatz, evaluator, budget: int, r: int):
        """init="transfer": the transferred angles, valued once, or fine-tuned from them for
        at most ``fine_tune`` evaluations of the budget share."""
        if self.transfer is None:
            raise OptionError("init='transfer' is not supported by this solver")
        x0 = ansatz.join(self.transfer.gammas, self.transfer.betas)
        tag = {"restart": r, "p": ansatz.p, "transfer": True}
        if self.o.fine_tune > 0:
            return self._minimize(evaluator, evaluator.value, x0, min(self.o.fine_tune, budget),
                                  tag, grad=evaluator.value_and_grad)
        return self._value_once(evaluator, x0, tag, budget)

    def _value_once(self, evaluator, x0, tag: dict, budget: int):
        """Evaluate ``x0`` once (one parameter set of the budget), recorded in the history."""
        if budget <= 0:
            return x0, math.inf
        f = float(evaluator.value(x0))
        self.evaluations += 1
        self.history.append({**tag, "evaluation": self.evaluations, "value": f, "best": f})
        return x0, f

    def _interp(self, ansatz: Ansatz, evaluator, budget: int, r: int):
        """Layer-by-layer growth: optimise depth 1, 2, ..., p, each from INTERP of the last."""
        p = ansatz.p
        shares = slices(budget, p)
        g, b = init_mod.linear_ramp(1)
        x = f = None
        for q in range(1, p + 1):
            sub = Ansatz(ansatz.qubo, q, ansatz.multi_angle, ansatz.warm_start, ansatz.mixer,
                         ansatz.init)
            sub.gamma_scale = ansatz.gamma_scale
            ev = SubEvaluator(evaluator, sub, ansatz)
            if q == 1:
                x0 = sub.join(g, b)
            elif ansatz.multi_angle:
                x0 = ma_interp(sub, x)
            else:
                x0 = np.concatenate(init_mod.interp_next(x[: q - 1], x[q - 1:]))
            x, f = self._minimize(ev, ev.value, x0, shares[q - 1],
                                  {"restart": r, "p": q}, grad=ev.value_and_grad)
        return x, f

    def _fourier(self, ansatz: Ansatz, evaluator, budget: int, r: int):
        """FOURIER[p]: optimise (u, v) with gammas = S u, betas = C v (standard angles only)."""
        if ansatz.multi_angle:
            raise OptionError("init='fourier' is for standard (not multi-angle) QAOA")
        p = ansatz.p
        S, C = init_mod.fourier_basis(p, p)
        u0, v0 = init_mod.fourier_from_angles(*init_mod.linear_ramp(p), p)

        def to_x(y):
            return np.concatenate([S @ y[:p], C @ y[p:]])

        def fun(y):
            return evaluator.value(to_x(y))

        def grad(y):
            val, gx = evaluator.value_and_grad(to_x(y))
            return val, np.concatenate([S.T @ gx[:p], C.T @ gx[p:]])

        y, f = self._minimize(evaluator, fun, np.concatenate([u0, v0]), budget,
                              {"restart": r, "p": p, "fourier": True}, grad=grad)
        return to_x(y), f


def ma_interp(sub: Ansatz, x_prev) -> np.ndarray:
    """INTERP growth of multi-angle parameters (each term / partial-mixer angle grown on its
    own)."""
    q, T, n = sub.p, sub.num_terms, sub.num_partials
    g = np.asarray(x_prev[: (q - 1) * T]).reshape(q - 1, T)
    b = np.asarray(x_prev[(q - 1) * T:]).reshape(q - 1, n)
    gg = np.apply_along_axis(init_mod.interp_grow, 0, g) if T else np.zeros((q, 0))
    bb = np.apply_along_axis(init_mod.interp_grow, 0, b)
    return np.concatenate([gg.ravel(), bb.ravel()])


class SubEvaluator:
    """The parent evaluator's backend used for a shallower ansatz (INTERP stages)."""

    def __init__(self, parent, sub: Ansatz, full: Ansatz):
        self.sub = sub
        if isinstance(parent, ExactEvaluator):
            ev = type(parent).__new__(type(parent))
            ev.__dict__.update(parent.__dict__)
            ev.ansatz = sub
            self.ev = ev
        else:
            self.ev = CircuitEvaluator(sub, parent.backend, parent.alpha, shots=parent.shots,
                                       seed=parent._rng)
        self.parent = parent

    def value(self, x):
        return self.ev.value(x)

    def value_and_grad(self, x):
        return self.ev.value_and_grad(x)


__all__ = ["AngleSearch", "SubEvaluator", "ma_interp", "slices"]
