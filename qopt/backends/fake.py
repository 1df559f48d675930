"""Fake IBM devices (``"fake:<name>"``, e.g. ``fake:sherbrooke``): the offline mode of the IBM
backend.

Circuits are transpiled to the fake device's ISA exactly as for hardware (depth and two-qubit
gates are those of the device circuit), then run through qiskit-ibm-runtime's local testing
mode on Aer with the device's noise model restricted to the physical qubits the job's circuits
use (noise on idle qubits cannot change the measured bits; restricting keeps a 127-qubit
device fast). Each job's Aer seed is the call's seed, so the same seed gives the same counts.
"""

from __future__ import annotations

import types
import warnings
from typing import ClassVar

from qopt.backends.runtime import RuntimeBackend, check_mode, check_runtime_installed
from qopt.errors import OptionError


def fake_backend_names() -> list[str]:
    """Names accepted by ``fake:<name>`` (e.g. "sherbrooke", "torino", "manila")."""
    check_runtime_installed()
    from qiskit_ibm_runtime import fake_provider

    out = []
    for attr in dir(fake_provider):
        if attr.startswith("Fake") and attr not in ("FakeProviderForBackendV2",
                                                    "FakeFractionalBackend"):
            out.append(attr[4:].removesuffix("V2").lower())
    return sorted(out)


def fake_device(name: str):
    """A qiskit-ibm-runtime fake backend by short name ("sherbrooke", "fake_sherbrooke",
    "ibm_sherbrooke" or "FakeSherbrooke")."""
    check_runtime_installed()
    from qiskit_ibm_runtime import fake_provider

    key = name.strip().lower().removeprefix("fake").removeprefix("_").removeprefix("ibm_")
    key = key.removesuffix("v2")
    for attr in dir(fake_provider):
        if attr.startswith("Fake") and attr[4:].removesuffix("V2").lower() == key:
            return getattr(fake_provider, attr)()
    raise OptionError(f"unknown fake IBM device {name!r}; known: {', '.join(fake_backend_names())}")


def used_qubits(isa) -> tuple[int, ...]:
    """Physical qubits an ISA circuit acts on (barriers aside), sorted."""
    return tuple(sorted({isa.find_bit(q).index for inst in isa.data for q in inst.qubits
                         if inst.operation.name != "barrier"}))


def compact_circuit(isa, remap: dict[int, int]):
    """``isa`` on the qubits of ``remap`` only (physical qubit -> compact index)."""
    from qiskit import QuantumCircuit, QuantumRegister

    small = QuantumCircuit(QuantumRegister(len(remap), "q"), *isa.cregs,
                           global_phase=isa.global_phase)
    for inst in isa.data:
        if inst.operation.name == "barrier":
            continue
        small.append(inst.operation, [remap[isa.find_bit(q).index] for q in inst.qubits],
                     [isa.find_bit(c).index for c in inst.clbits])
    return small


class FakeIBMBackend(RuntimeBackend):
    """A fake IBM device (``"fake:<name>"``): device-ISA transpilation, then qiskit-ibm-runtime
    local testing mode on Aer with the device's noise model on the qubits the circuit uses.

    Args:
        name: fake device name, e.g. "sherbrooke" (127 qubits), "torino", "kyiv".
        noise: False runs the same ISA circuit without noise.
        mode: "batch", "session" or "job", accepted as for ``ibm:<device>`` (local testing mode
            runs every job at once, without sessions).
        options, dynamical_decoupling, twirling: passed through to the runtime primitives
            (local testing mode ignores the error-suppression ones, as hardware would not).
        mitigation: "none" | "readout" | "zne" | "readout,zne" (see
            :mod:`qopt.backends.mitigation`), computed the same way as on hardware.
    """

    name: ClassVar[str] = "fake"

    def __init__(self, name: str = "sherbrooke", *, shots: int | None = None, seed=None,
                 optimization_level: int = 2, options: dict | None = None,
                 dynamical_decoupling: str | bool | None = None, twirling: bool | None = None,
                 noise: bool = True, mode: str = "batch", mitigation=None,
                 seed_transpiler: int = 0):
        self.mode = check_mode(mode)  # parity with ibm:<device>; local mode has no sessions
        super().__init__(shots=shots, seed=seed, optimization_level=optimization_level,
                         options=options, dynamical_decoupling=dynamical_decoupling,
                         twirling=twirling, mitigation=mitigation,
                         seed_transpiler=seed_transpiler)
        self._device = fake_device(name)
        self.device_name = name
        self.noise = bool(noise)
        self._compact: dict[int, tuple] = {}
        self._simulators: dict[tuple[int, ...], object] = {}

    @property
    def spec(self) -> str:
        return f"fake:{self.device_name}"

    def device(self):
        return self._device

    def _simulator(self, qubits: tuple[int, ...]):
        """Aer simulator with the device noise of physical ``qubits`` (compact indices)."""
        sim = self._simulators.get(qubits)
        if sim is not None:
            return sim
        from qiskit.transpiler import Target
        from qiskit_aer import AerSimulator
        from qiskit_aer.noise import NoiseModel

        if not self.noise:
            sim = AerSimulator()
        else:
            remap = {q: i for i, q in enumerate(qubits)}
            full = self._device.target
            qprops = full.qubit_properties
            sub = Target(num_qubits=len(qubits), dt=full.dt,
                         qubit_properties=[qprops[q] for q in qubits] if qprops else None)
            for name in full.operation_names:
                props = {}
                for qargs, p in (full[name] or {}).items():
                    if qargs is not None and set(qargs) <= remap.keys():
                        props[tuple(remap[q] for q in qargs)] = p
                if props:
                    sub.add_instruction(full.operation_from_name(name), props, name=name)
            view = types.SimpleNamespace(version=2, operation_names=list(sub.operation_names),
                                         target=sub, dt=full.dt)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = NoiseModel.from_backend(view)
            sim = AerSimulator(noise_model=model, basis_gates=model.basis_gates)
        self._simulators[qubits] = sim
        return sim

    def _used(self, circ) -> tuple[int, ...]:
        hit = self._compact.get(id(circ))
        if hit is None or hit[0] is not circ:
            hit = (circ, used_qubits(circ), {})
            self._compact[id(circ)] = hit
        return hit[1]

    def _compacted(self, circ, qubits: tuple[int, ...]):
        entry = self._compact[id(circ)]
        small = entry[2].get(qubits)
        if small is None:
            small = compact_circuit(circ, {q: i for i, q in enumerate(qubits)})
            entry[2][qubits] = small
        return small

    def submit_job(self, pubs, shots: int, seed: int):
        """One local-testing-mode job: the pubs' circuits cut to the qubits they use, on Aer
        with those qubits' noise, Aer seeded with ``seed``."""
        from qiskit_ibm_runtime import SamplerV2

        qubits = tuple(sorted(set().union(*(self._used(c) for c, _ in pubs))))
        small = [(self._compacted(c, qubits), v) for c, v in pubs]
        opts = self._runtime_options(seed)
        opts["simulator"] = {**opts.get("simulator", {}), "seed_simulator": int(seed)}
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*no effect in local testing mode.*")
            warnings.filterwarnings("ignore", message=".*SamplerV2 class is deprecated.*",
                                    category=DeprecationWarning)
            sampler = SamplerV2(mode=self._simulator(qubits), options=opts)
            return sampler.run(self._sampler_pubs(small), shots=shots)

    def _expectation_sampled(self, circuit, theta, obs, shots, seed):
        raise OptionError("fake IBM backends estimate diagonal observables (QUBO / Ising) from "
                          "samples; non-diagonal observables are not supported here")


__all__ = ["FakeIBMBackend", "compact_circuit", "fake_backend_names", "fake_device",
           "used_qubits"]
