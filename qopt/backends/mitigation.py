"""Error mitigation of sampled results on device backends: ``mitigation="none" | "readout" |
"zne" | "readout,zne"`` (plus the runtime's own ``twirling`` and ``dd``).

What each part does:

* ``readout``: the physical qubits the circuit measures are calibrated once per backend and
  qubit set (two circuits, all |0> and all |1>, :mod:`qopt.backends.readout`), and every
  measured distribution is corrected with M3 into a *quasi-distribution* over the measured
  bitstrings. Calibration shots are spent once, counted in ``shots`` and the budget, and
  recorded (``info["mitigation"]``).
* ``zne``: every estimate runs the circuit folded to each noise scale factor (default 1, 3, 5;
  :mod:`qopt.backends.folding`) in one job, and the distributions (readout-corrected first
  when both are on) are extrapolated to zero noise bitstring by bitstring with fixed linear
  weights (Richardson by default). Each estimate costs ``shots x len(scales)``.
* ``twirling``, ``dd`` / ``dd:XY4``: Pauli twirling (gates and measurements) and dynamical
  decoupling, passed through to the IBM Runtime SamplerV2 options (local testing mode on fake
  devices ignores them, as it says).

What mitigated *samples* mean: the result of readout correction or extrapolation is a
quasi-probability vector ``q`` over the measured bitstrings (sums to 1, may be negative).
Expectation values and Z-correlators are linear in it and use ``q`` itself (unbiased, with a
larger variance). CVaR and the returned samples need a probability distribution: they use
``p``, the probability vector closest to ``q`` (Smolin, Gambetta, Smith, PRL 108, 070502:
negative mass removed, the rest shifted evenly), so CVaR_1 is reported as the expectation from
``q`` and CVaR_alpha<1 comes from ``p``. The best sample is the lowest-energy bitstring that was
*measured* (at any noise scale): mitigation reweights bitstrings, it never hides one that was
seen. Samples carry every measured bitstring with weight ``p * shots`` (possibly 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qopt.backends.base import Evaluation, cvar_from_distribution
from qopt.backends.folding import (
    DEFAULT_SCALES,
    EXTRAPOLATIONS,
    check_scales,
    extrapolation_weights,
)
from qopt.errors import OptionError

#: the mitigation names of the CLI / Python string form
NAMES = ("none", "readout", "zne", "twirling", "dd")


@dataclass(frozen=True)
class Mitigation:
    """What to mitigate. Build it from the string form with :meth:`parse`
    (``"readout,zne"``, ``"zne:linear:1:3:5:7"``, ``"readout,twirling,dd:XY4"``).

    readout: M3 readout correction. zne: zero-noise extrapolation by global folding over
    ``scales`` (odd, from 1) with ``extrapolation`` "richardson" or "linear".
    calibration_shots: shots of each of the two readout calibration circuits (None: the
    shots of the estimate that triggers the calibration). distance: M3's Hamming distance
    (None: all bits up to 16 measured bits, else 3). twirling, dd: runtime options passed
    through (dd names the sequence, e.g. "XX", "XY4").
    """

    readout: bool = False
    zne: bool = False
    twirling: bool = False
    dd: str | None = None
    scales: tuple[int, ...] = DEFAULT_SCALES
    extrapolation: str = "richardson"
    calibration_shots: int | None = None
    distance: int | None = None

    def __post_init__(self):
        object.__setattr__(self, "scales", check_scales(self.scales))
        if self.extrapolation not in EXTRAPOLATIONS:
            raise OptionError(f"zne extrapolation must be one of {', '.join(EXTRAPOLATIONS)}, "
                              f"got {self.extrapolation!r}")
        cs = self.calibration_shots
        if cs is not None and (not isinstance(cs, int | np.integer) or cs < 1):
            raise OptionError(f"calibration_shots must be a positive integer, got {cs!r}")
        if self.distance is not None and (not isinstance(self.distance, int)
                                          or self.distance < 1):
            raise OptionError(f"mitigation distance must be a positive integer, got "
                              f"{self.distance!r}")

    @classmethod
    def parse(cls, spec) -> Mitigation:
        """A Mitigation from None / "none", a comma-separated string, a dict of fields or a
        Mitigation."""
        if isinstance(spec, Mitigation):
            return spec
        if spec is None:
            return cls()
        if isinstance(spec, dict):
            try:
                return cls(**spec)
            except TypeError as exc:
                raise OptionError(f"bad mitigation options {spec!r}: {exc}") from None
        if not isinstance(spec, str):
            raise OptionError(f"mitigation must be a string such as 'readout,zne', got "
                              f"{type(spec).__name__}")
        kw: dict = {}
        tokens = [t.strip() for t in spec.replace("+", ",").split(",") if t.strip()]
        for tok in tokens or ["none"]:
            name, *args = [a.strip() for a in tok.split(":")]
            name = name.lower()
            if name in kw or (name == "none" and len(tokens) > 1):
                raise OptionError(f"mitigation {spec!r}: {name!r} given twice or with others")
            if name == "none" and not args:
                continue
            if name == "readout" and not args:
                kw["readout"] = True
            elif name == "zne":
                kw["zne"] = True
                nums = [a for a in args if a.lower() not in EXTRAPOLATIONS]
                for a in args:
                    if a.lower() in EXTRAPOLATIONS:
                        kw["extrapolation"] = a.lower()
                if nums:
                    try:
                        kw["scales"] = tuple(int(a) for a in nums)
                    except ValueError:
                        raise OptionError(f"mitigation {tok!r}: scale factors are odd integers, "
                                          "e.g. zne:1:3:5") from None
            elif name == "twirling" and not args:
                kw["twirling"] = True
            elif name == "dd" and len(args) <= 1:
                kw["dd"] = args[0] if args else "XX"
            else:
                raise OptionError(f"unknown mitigation {tok!r} in {spec!r}; use none, readout, "
                                  "zne (zne:1:3:5, zne:linear), twirling, dd (dd:XY4), "
                                  "comma-separated")
        return cls(**kw)

    @property
    def active(self) -> bool:
        """Whether qopt post-processes counts (readout and / or zne)."""
        return self.readout or self.zne

    @property
    def settings(self) -> int:
        """Circuits run per estimate (the noise scale factors with zne, else 1)."""
        return len(self.scales) if self.zne else 1

    def weights(self) -> np.ndarray:
        return (extrapolation_weights(self.scales, self.extrapolation) if self.zne
                else np.ones(1))

    def calibration_cost(self, shots: int) -> int:
        """Shots of the readout calibration for estimates of ``shots`` shots (0 without)."""
        return 2 * int(self.calibration_shots or shots) if self.readout else 0

    @property
    def spec(self) -> str:
        parts = []
        if self.readout:
            parts.append("readout")
        if self.zne:
            extra = [] if self.extrapolation == "richardson" else [self.extrapolation]
            if tuple(self.scales) != DEFAULT_SCALES:
                extra += [str(s) for s in self.scales]
            parts.append(":".join(["zne", *extra]))
        if self.twirling:
            parts.append("twirling")
        if self.dd:
            parts.append(f"dd:{self.dd}")
        return ",".join(parts) or "none"

    def runtime_options(self) -> dict:
        """SamplerV2 options for twirling / dynamical decoupling (passed through)."""
        out: dict = {}
        if self.twirling:
            out["twirling"] = {"enable_gates": True, "enable_measure": True}
        if self.dd:
            out["dynamical_decoupling"] = {"enable": True, "sequence_type": self.dd}
        return out

    def as_dict(self) -> dict:
        return {"spec": self.spec, "readout": self.readout, "zne": self.zne,
                "scales": list(self.scales) if self.zne else None,
                "extrapolation": self.extrapolation if self.zne else None,
                "weights": self.weights().tolist() if self.zne else None,
                "twirling": self.twirling, "dd": self.dd,
                "calibration_shots": self.calibration_shots, "distance": self.distance}


def nearest_probability(q) -> np.ndarray:
    """The probability vector closest (Euclidean) to the quasi-probabilities ``q`` (shape (m,),
    normalised to sum 1 first): Smolin, Gambetta, Smith (PRL 108, 070502), vectorised. The
    smallest entries are set to 0 while their mass, spread over the others, would leave them
    negative; the removed mass is taken evenly from the rest."""
    q = np.asarray(q, dtype=float).reshape(-1)
    q = q / q.sum()
    if q.size == 0 or q.min() >= 0.0:
        return q
    order = np.argsort(q, kind="stable")
    s = q[order]
    d = s.size
    before = np.concatenate(([0.0], np.cumsum(s)[:-1]))       # mass of the smaller ones
    ok = s + before / (d - np.arange(d)) >= 0.0
    k = int(np.argmax(ok))                                      # first entry that survives
    out_sorted = np.zeros(d)
    out_sorted[k:] = s[k:] + before[k] / (d - k)
    out = np.empty(d)
    out[order] = out_sorted
    return out


@dataclass
class MitigatedDistribution:
    """One parameter set's mitigated distribution: measured bitstrings (little-endian
    indices, shape (m,)) and their quasi-probabilities (shape (m,), sum 1)."""

    indices: np.ndarray
    quasi: np.ndarray
    _probs: np.ndarray | None = field(default=None, repr=False)

    @property
    def probabilities(self) -> np.ndarray:
        """The nearest probability vector (see :func:`nearest_probability`)."""
        if self._probs is None:
            self._probs = nearest_probability(self.quasi)
        return self._probs

    def evaluation(self, energies: np.ndarray, alpha: float, shots: int) -> Evaluation:
        e = float(energies @ self.quasi)
        cvar = e if alpha >= 1.0 else cvar_from_distribution(energies, self.probabilities,
                                                             alpha)
        j = int(np.argmin(energies))
        return Evaluation(expectation=e, cvar=cvar, best_index=int(self.indices[j]),
                          best_energy=float(energies[j]), shots=shots)


def measurement_cost(backend, shots: int | None) -> tuple[int, int]:
    """(circuits per estimate, one-time calibration shots) of estimates of ``shots`` shots on
    ``backend`` under its mitigation; (1, 0) in exact mode and on backends without
    mitigation. A solver's budget plan charges ``shots x circuits`` per estimate and final
    sample set, and reserves the calibration shots."""
    cost = getattr(backend, "measurement_cost", None)
    if shots is None or cost is None:
        return 1, 0
    return cost(int(shots))


def calibration_spent(backend) -> int:
    """Readout calibration shots ``backend`` has spent so far, over all solves (0 without
    mitigation); a solve charges the difference between its end and its start."""
    return int(getattr(backend, "__dict__", {}).get("_calibration_shots_spent", 0))


def merged_runtime_options(options: dict, mitigation: Mitigation) -> dict:
    """Runtime primitive ``options`` with the mitigation's twirling / dd merged in (explicit
    options win)."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in options.items()}
    for key, val in mitigation.runtime_options().items():
        out[key] = {**val, **out.get(key, {})}
    return out


__all__ = ["NAMES", "MitigatedDistribution", "Mitigation", "calibration_spent", "measurement_cost",
           "merged_runtime_options", "nearest_probability"]
