"""Options of the QAOA family (qaoa, cvar-qaoa, ma-qaoa, ws-qaoa, rqaoa), validated before
any work (see :mod:`qopt.solvers.quantum.qaoa` for the conventions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from qopt.errors import OptionError
from qopt.solvers.quantum import initialisation as init_mod
from qopt.solvers.quantum.angles import check_angles, check_maxiter


@dataclass
class QAOAOptions:
    """Options of the QAOA solvers.

    p: layers. alpha: CVaR level in (0, 1] (1 = expectation). init: ramp | interp | fourier |
    random | transfer (angles of ``transfer_from``, a smaller instance "kind:name" optimised
    first with these options and init ``source_init``, or a schedule file "*.json"; then
    only the final samples and ``fine_tune`` evaluations are paid: see
    :mod:`qopt.solvers.quantum.transfer`). restarts: independent optimisations (the first
    from ``init``, the others from random angles), budget split evenly. shots: final samples
    drawn from the best state (and the shots of one estimate on a sampling backend); None =
    1024, capped at half the budget.
    maxiter: parameter sets to run when ``solve(budget=...)`` is not given; 0 with ``angles``:
    evaluate the given angles once, do not optimise. optimizer: default optimizer name when
    the ``optimizer`` keyword is not given. angles: fixed true angles
    ``{"gamma": [...], "beta": [...]}`` as ``info["gammas"]`` / ``info["betas"]`` record them
    (the starting point of the optimisation, or with ``maxiter=0`` the angles evaluated; see
    :mod:`qopt.solvers.quantum.angles`). convention: the convention of ``angles``, ``qopt``
    (default) or ``qokit`` (QOKit's: gamma halved, beta unchanged; see
    :mod:`qopt.solvers.quantum.labs_angles`). mixer: ``x`` (transverse
    field, default) or a constraint-preserving mixer (xy-ring, xy-complete, swap,
    independent-set, capacity, feasible: see :mod:`qopt.solvers.quantum.mixers`), which runs
    on the program's variables without slack qubits (on the feasible-subspace simulator by
    default), or ``grover`` (GM-QAOA on the cost histogram of the feasible set:
    :mod:`qopt.solvers.quantum.grover`). init_state: default | uniform | identity | empty |
    greedy (constrained mixers). mixer_order: fixed | reversed | random, the order of the
    partial mixers in each layer (:mod:`qopt.solvers.quantum.mixer_order`).
    precision: complex128 (default) or complex64 states on the in-house statevector (x mixer):
    half the memory and traffic (30 qubits in 8 GiB), about 1e-6 relative accuracy (see
    :mod:`qopt.backends.statevector`).
    """

    p: int = 1
    alpha: float = 1.0
    init: str = "ramp"
    restarts: int = 1
    shots: int | None = None
    maxiter: int = 300
    optimizer: str = "cobyla"
    mixer: str = "x"
    init_state: str = "default"
    mixer_order: str = "fixed"
    transfer_from: str | None = None
    fine_tune: int = 0
    source_init: str = "ramp"
    angles: dict | None = None
    convention: str = "qopt"
    precision: str = "complex128"
    #: the solver's angles are multi-angle (ma-qaoa): init="transfer" is refused here
    multi_angle: ClassVar[bool] = False

    def validate(self):
        from qopt.solvers.quantum.mixers import INIT_STATES, MIXERS

        if self.mixer not in MIXERS:
            raise OptionError(f"mixer must be one of {', '.join(MIXERS)}, got {self.mixer!r}")
        if self.init_state not in INIT_STATES:
            raise OptionError(f"init_state must be one of {', '.join(INIT_STATES)}, got "
                              f"{self.init_state!r}")
        if self.mixer == "x" and self.init_state not in ("default", "uniform"):
            raise OptionError(f"init_state={self.init_state!r} needs a constraint-preserving "
                              "mixer (--mixer feasible, ...); the x mixer starts from |+>^n")
        from qopt.solvers.quantum.grover import check_grover_options
        from qopt.solvers.quantum.mixer_order import check_mixer_order

        check_mixer_order(self.mixer_order)
        if self.mixer_order != "fixed" and self.mixer in ("x", "grover"):
            raise OptionError(f"mixer_order={self.mixer_order!r} orders the partial mixers of "
                              f"a sequential constraint-preserving mixer; mixer "
                              f"{self.mixer!r} has none whose order matters")
        check_grover_options(self)
        if self.precision not in ("complex128", "complex64"):
            raise OptionError(f"precision must be complex128 or complex64, got "
                              f"{self.precision!r}")
        if not isinstance(self.p, int) or self.p < 1:
            raise OptionError(f"p must be a positive integer, got {self.p!r}")
        if not 0.0 < float(self.alpha) <= 1.0:
            raise OptionError(f"alpha must be in (0, 1], got {self.alpha!r}")
        init_mod.check_init(self.init)
        from qopt.solvers.quantum.transfer import check_transfer_options

        check_transfer_options(self.init, self.transfer_from, self.fine_tune, self.source_init,
                               multi_angle=self.multi_angle, restarts=self.restarts)
        if not isinstance(self.restarts, int) or self.restarts < 1:
            raise OptionError(f"restarts must be a positive integer, got {self.restarts!r}")
        if self.shots is not None and (not isinstance(self.shots, int) or self.shots < 1):
            raise OptionError(f"shots must be a positive integer or None, got {self.shots!r}")
        check_maxiter(self.maxiter, self.angles)
        check_angles(self.angles, self.p, multi_angle=self.multi_angle)
        from qopt.solvers.quantum.labs_angles import CONVENTIONS

        if self.convention not in CONVENTIONS:
            raise OptionError(f"convention must be one of {', '.join(map(repr, CONVENTIONS))}, "
                              f"got {self.convention!r}")
        if self.convention != "qopt" and (self.angles is None or self.multi_angle):
            raise OptionError(f"convention={self.convention!r} converts the angles= option of "
                              "standard QAOA (one gamma and one beta a layer); give angles")
        if self.angles is not None:
            if self.init != "ramp":
                raise OptionError(f"angles and init={self.init!r} both choose the starting "
                                  "angles: give one of them")
            if self.maxiter == 0 and self.restarts != 1:
                raise OptionError(f"maxiter=0 evaluates the given angles once: restarts must "
                                  f"be 1, got {self.restarts!r}")


@dataclass
class CVaRQAOAOptions(QAOAOptions):
    alpha: float = 0.25


@dataclass
class WSQAOAOptions(QAOAOptions):
    """Warm start: ``epsilon`` clips the relaxed values to [eps, 1 - eps] (Egger et al. use
    0.25); ``relaxation`` "local" (best of ``relax_starts`` seeded L-BFGS-B runs on the box
    relaxation, fine for non-convex QUBOs) or "convex" (the QUBO convexified with
    mu * sum(x_i^2 - x_i), which leaves binary energies unchanged, solved once)."""

    epsilon: float = 0.25
    relaxation: str = "local"
    relax_starts: int = 8

    def validate(self):
        super().validate()
        if not 0.0 <= self.epsilon < 0.5:
            raise OptionError(f"epsilon must be in [0, 0.5), got {self.epsilon!r}")
        if self.relaxation not in ("local", "convex"):
            raise OptionError(f"relaxation must be 'local' or 'convex', got {self.relaxation!r}")


@dataclass
class RQAOAOptions(QAOAOptions):
    """Recursive QAOA: eliminate one variable per round until ``n_cutoff`` remain (then
    solve exactly); ``singles``: also consider single-spin fixes z_i = sign <Z_i>."""

    n_cutoff: int = 8
    singles: bool = True

    def validate(self):
        super().validate()
        if not isinstance(self.n_cutoff, int) or self.n_cutoff < 1:
            raise OptionError(f"n_cutoff must be a positive integer, got {self.n_cutoff!r}")
        if self.mixer != "x":
            raise OptionError(f"rqaoa eliminates variables of the Ising model and takes only "
                              f"the x mixer, got mixer={self.mixer!r}; use qaoa, cvar-qaoa, "
                              "ma-qaoa or ws-qaoa with a constraint-preserving mixer")
        if self.init == "transfer":
            raise OptionError("rqaoa optimises a new, smaller Ising model every round and "
                              "takes no transferred angles (init='transfer'); use qaoa, "
                              "cvar-qaoa or ws-qaoa")


@dataclass
class MAQAOAOptions(QAOAOptions):
    """Options of ma-qaoa: those of qaoa; init="transfer" is refused at validation."""

    multi_angle: ClassVar[bool] = True


__all__ = ["CVaRQAOAOptions", "MAQAOAOptions", "QAOAOptions", "RQAOAOptions", "WSQAOAOptions"]
