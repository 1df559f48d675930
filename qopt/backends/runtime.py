"""What IBM Runtime and fake-device backends share: device-ISA transpilation with a fixed
transpiler seed, runtime SamplerV2 / EstimatorV2 made per job with the backend's options
(error suppression and the mitigation's twirling / dd merged in), and the credentials check.
"""

from __future__ import annotations

import warnings
from typing import ClassVar

from qopt.backends.base import Backend, BackendError, CredentialsError
from qopt.backends.mitigation import Mitigation, merged_runtime_options
from qopt.backends.primitive import PrimitiveBackend
from qopt.errors import OptionError

MODES = ("session", "batch", "job")


def check_runtime_installed():
    try:
        import qiskit_ibm_runtime  # noqa: F401
    except ImportError:
        raise BackendError("IBM backends need qiskit-ibm-runtime: pip install 'qopt-toolkit[ibm]'"
                           ) from None


def check_credentials(channel: str | None = None, account: str | None = None) -> None:
    """Raise :class:`CredentialsError` unless a saved account or the environment has
    credentials. Local check only (no network); the credentials are not read into qopt."""
    check_runtime_installed()
    from qiskit_ibm_runtime.accounts import AccountManager
    from qiskit_ibm_runtime.accounts.exceptions import AccountsError

    try:
        found = AccountManager.get(name=account, channel=channel)
    except (AccountsError, ValueError, OSError) as exc:
        found = None
        reason = type(exc).__name__
    else:
        reason = "none found"
    if found is None:
        raise CredentialsError(
            "no IBM Quantum credentials (" + reason + "): save an account once with "
            "QiskitRuntimeService.save_account(...) or set QISKIT_IBM_TOKEN (and "
            "QISKIT_IBM_INSTANCE); qopt reads them only through qiskit-ibm-runtime and never "
            "stores them")


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise OptionError(f"IBM mode must be one of {', '.join(MODES)}, got {mode!r}")
    return mode


def suppression_options(options, dd, twirling) -> dict:
    """Runtime options with error-suppression shortcuts merged in (passed through verbatim)."""
    out: dict = {k: (dict(v) if isinstance(v, dict) else v) for k, v in (options or {}).items()}
    if dd:
        seq = "XX" if dd is True else str(dd)
        out.setdefault("dynamical_decoupling", {}).update(enable=True, sequence_type=seq)
    elif dd is False:
        out.setdefault("dynamical_decoupling", {}).update(enable=False)
    if twirling is not None:
        out.setdefault("twirling", {}).update(enable_gates=bool(twirling),
                                              enable_measure=bool(twirling))
    return out


class RuntimeBackend(PrimitiveBackend):
    """Shared by IBM and fake-IBM backends: device ISA transpilation and runtime primitives.

    ``seed_transpiler`` (default 0) fixes the transpiler's random choices (layout, routing),
    so the same circuit gets the same ISA circuit in every run.
    """

    _own_primitives: ClassVar[bool] = True

    def __init__(self, *, shots: int | None = None, seed=None, optimization_level: int = 2,
                 options: dict | None = None, dynamical_decoupling: str | bool | None = None,
                 twirling: bool | None = None, mitigation=None, seed_transpiler: int = 0):
        if optimization_level not in (0, 1, 2, 3):
            raise OptionError(f"optimization_level must be 0..3, got {optimization_level!r}")
        Backend.__init__(self, shots=shots, seed=seed)
        self.sampler = self.estimator = None
        self.mitigation = Mitigation.parse(mitigation)
        self.optimization_level = optimization_level
        self.seed_transpiler = int(seed_transpiler)
        self.options = suppression_options(options, dynamical_decoupling, twirling)
        self._device = None
        self._pm = None
        self._last = None
        self._ids = {}

    def device(self):
        raise NotImplementedError

    @property
    def _facts_device(self):
        return self.device()

    @property
    def num_device_qubits(self) -> int:
        return int(self.device().num_qubits)

    def check_circuit(self, circuit, *, exact=None) -> None:
        n = self.num_device_qubits
        if circuit.num_qubits > n:
            raise OptionError(f"the circuit needs {circuit.num_qubits} qubits; {self.spec} has "
                              f"{n}")

    def _transpile(self, circuit):
        if self._pm is None:
            from qiskit.transpiler import generate_preset_pass_manager

            self._pm = generate_preset_pass_manager(optimization_level=self.optimization_level,
                                                    backend=self.device(),
                                                    seed_transpiler=self.seed_transpiler)
        return self._pm.run(circuit)

    def _runtime_options(self, seed: int) -> dict:
        return merged_runtime_options(self.options, self.active_mitigation())

    def record_options(self) -> dict:
        return {"runtime": self._runtime_options(0), "mode": getattr(self, "mode", None),
                "optimization_level": self.optimization_level,
                "seed_transpiler": self.seed_transpiler,
                "mitigation": self.active_mitigation().spec}

    def _mode(self):
        return self.device()

    def _sampler_for(self, seed: int):
        from qiskit_ibm_runtime import SamplerV2

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*no effect in local testing mode.*")
            warnings.filterwarnings("ignore", message=".*SamplerV2 class is deprecated.*",
                                    category=DeprecationWarning)
            return SamplerV2(mode=self._mode(), options=self._runtime_options(seed))

    def _estimator_options(self, seed: int) -> dict:
        return self._runtime_options(seed)

    def _estimator_for(self, seed: int):
        from qiskit_ibm_runtime import EstimatorV2

        opts = self._estimator_options(seed)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*no effect in local testing mode.*")
            warnings.filterwarnings("ignore", message=".*EstimatorV2 class is deprecated.*",
                                    category=DeprecationWarning)
            return EstimatorV2(mode=self._mode(), options=opts)


__all__ = ["MODES", "RuntimeBackend", "check_credentials", "check_mode",
           "check_runtime_installed", "suppression_options"]
