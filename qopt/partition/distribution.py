"""``distribute``: a circuit (Qiskit, OpenQASM 2/3 file, or a qopt solver's) over k QPUs.

Andres-Martinez and Heunen, "Automated distribution of quantum circuits via hypergraph
partitioning" (Phys. Rev. A 100, 032308, 2019): the ebits a distribution needs are the km1 cost
of the circuit hypergraph (:mod:`qopt.partition.hypergraph`), minimised by KaHyPar (or
Mt-KaHyPar) under a capacity of qubits per QPU.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qopt.errors import InstanceFormatError, OptionError
from qopt.partition import baselines, kahypar_engine, mtkahypar_engine
from qopt.partition.hypergraph import CircuitHypergraph, circuit_hypergraph
from qopt.partition.refine import refine_gates

ENGINES = ("kahypar", "mtkahypar")
#: solvers whose circuit :func:`problem_circuit` can build
CIRCUIT_SOLVERS = ("qaoa", "cvar-qaoa", "ma-qaoa", "ws-qaoa")


@dataclass
class Distribution:
    """A circuit distributed over k QPUs.

    Attributes:
        num_qubits: n.
        k: number of QPUs.
        capacity: qubits allowed per QPU.
        qubit_to_qpu: QPU of each qubit, shape (n,).
        gates: the CZ gates of the rewritten circuit in order, shape (g, 2) (their qubits).
        gate_to_qpu: QPU that runs each CZ gate, shape (g,).
        ebits: ebits needed, recomputed from the assignment (never taken from the engine).
        baseline_contiguous_ebits / baseline_graph_ebits: the naive baselines
            (:mod:`qopt.partition.baselines`), one ebit per cut CZ; None when not computed.
        times: wall time in seconds per stage (load, hypergraph, partition, baselines).
        baseline_qubit_to_qpu: the baselines' qubit -> QPU maps ("contiguous", "graph").
    """

    num_qubits: int
    k: int
    capacity: int
    epsilon: float
    engine: str
    seed: int
    qubit_to_qpu: np.ndarray
    gates: np.ndarray
    gate_to_qpu: np.ndarray
    ebits: int
    num_hyperedges: int
    baseline_contiguous_ebits: int | None = None
    baseline_graph_ebits: int | None = None
    source: str = ""
    times: dict[str, float] = field(default_factory=dict)
    keep_diagonal: bool = False
    baseline_qubit_to_qpu: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def qpu_loads(self) -> np.ndarray:
        """Qubits on each QPU, shape (k,)."""
        return np.bincount(self.qubit_to_qpu, minlength=self.k)

    @property
    def num_gates(self) -> int:
        return int(self.gates.shape[0])

    @property
    def cut_gates(self) -> int:
        """CZ gates whose two qubits are on different QPUs under this assignment."""
        if self.num_gates == 0:
            return 0
        q = self.qubit_to_qpu
        return int(np.count_nonzero(q[self.gates[:, 0]] != q[self.gates[:, 1]]))

    @property
    def wall_time(self) -> float:
        """Total wall time of :func:`distribute` in seconds."""
        return float(sum(self.times.values()))

    def reduction(self, baseline: str = "contiguous") -> float | None:
        """Fraction of ebits saved against a baseline (0.4 = 40 % fewer); None if unknown."""
        base = (self.baseline_contiguous_ebits if baseline == "contiguous"
                else self.baseline_graph_ebits)
        if base is None:
            return None
        return 0.0 if base == 0 else 1.0 - self.ebits / base

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict (no numpy types)."""
        red_c, red_g = self.reduction("contiguous"), self.reduction("graph")
        return {
            "source": self.source,
            "engine": self.engine,
            "k": int(self.k),
            "num_qubits": int(self.num_qubits),
            "qubits_per_qpu": int(self.capacity),
            "epsilon": float(self.epsilon),
            "seed": int(self.seed),
            "num_cz_gates": self.num_gates,
            "keep_diagonal": bool(self.keep_diagonal),
            "num_hyperedges": int(self.num_hyperedges),
            "ebits": int(self.ebits),
            "cut_gates": self.cut_gates,
            "baseline_contiguous_ebits": (None if self.baseline_contiguous_ebits is None
                                          else int(self.baseline_contiguous_ebits)),
            "baseline_graph_ebits": (None if self.baseline_graph_ebits is None
                                     else int(self.baseline_graph_ebits)),
            "reduction_vs_contiguous": None if red_c is None else float(red_c),
            "reduction_vs_graph": None if red_g is None else float(red_g),
            "qpu_loads": [int(x) for x in self.qpu_loads],
            "qubit_to_qpu": [int(x) for x in self.qubit_to_qpu],
            "gates": [[int(a), int(b)] for a, b in self.gates],
            "gate_to_qpu": [int(x) for x in self.gate_to_qpu],
            "wall_time": self.wall_time,
            "times": {key: float(v) for key, v in self.times.items()},
            "baseline_qubit_to_qpu": {key: [int(x) for x in v]
                                      for key, v in self.baseline_qubit_to_qpu.items()},
        }

    def table(self) -> str:
        """A printable summary: totals, baselines and one row per QPU."""
        lines = [
            f"circuit     {self.source or '-'}",
            f"qubits      {self.num_qubits}   "
            f"{'CZ/RZZ' if self.keep_diagonal else 'CZ'} gates {self.num_gates}   "
            f"hyperedges {self.num_hyperedges}",
            f"QPUs        k={self.k}   capacity {self.capacity} qubits   engine {self.engine}   "
            f"seed {self.seed}",
            "",
            f"{'distribution':<34}{'ebits':>8}",
            f"{'hypergraph (' + self.engine + ')':<34}{self.ebits:>8}",
        ]
        for label, value, base in (("baseline: contiguous blocks", self.baseline_contiguous_ebits,
                                    "contiguous"),
                                   ("baseline: interaction graph", self.baseline_graph_ebits,
                                    "graph")):
            if value is not None:
                red = self.reduction(base)
                lines.append(f"{label:<34}{value:>8}   ({100 * red:.1f} % saved)")
        lines += ["", f"{'QPU':>4}{'qubits':>8}{'gates':>10}"]
        gate_loads = np.bincount(self.gate_to_qpu, minlength=self.k) if self.num_gates else (
            np.zeros(self.k, dtype=np.int64))
        for b in range(self.k):
            lines.append(f"{b:>4}{int(self.qpu_loads[b]):>8}{int(gate_loads[b]):>10}")
        lines += ["", "wall time   " + "   ".join(f"{key} {v:.2f} s" for key, v in
                                                 self.times.items())
                  + f"   total {self.wall_time:.2f} s"]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# input


_QASM_VERSION = re.compile(r"^\s*OPENQASM\s+(\d+)(?:\.(\d+))?\s*;", re.MULTILINE)
_LINE = (re.compile(r"line (\d+)"), re.compile(r"(\d+),\d+:"))


def _line_of(message: str) -> int | None:
    """Line number quoted in a Qiskit / openqasm3 parser message, if any."""
    for pattern in _LINE:
        m = pattern.search(message)
        if m:
            return int(m.group(1))
    return None


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.DOTALL)
    return re.sub(r"//[^\n]*", "", text)


def load_circuit(path: str | Path):
    """A ``QuantumCircuit`` from an OpenQASM 2 or 3 file (version read from its header).

    Raises :class:`InstanceFormatError` naming the file (and line, where the parser says) for a
    missing file, a missing/unknown version header or a parse error.
    """
    p = Path(path)
    if not p.is_file():
        raise InstanceFormatError(p, None, "no such circuit file")
    try:
        text = p.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceFormatError(p, None, f"cannot read ({exc})") from exc
    m = _QASM_VERSION.search(_strip_comments(text))
    if m is None:
        raise InstanceFormatError(p, None, "no 'OPENQASM 2.0;' or 'OPENQASM 3;' header")
    major = int(m.group(1))
    if major == 2:
        from qiskit import qasm2

        try:
            return qasm2.loads(text, include_path=(str(p.parent), *qasm2.LEGACY_INCLUDE_PATH),
                               custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
        except qasm2.QASM2ParseError as exc:
            raise InstanceFormatError(p, _line_of(str(exc)),
                                      f"OpenQASM 2 parse error: {exc}") from exc
    if major == 3:
        from qiskit import qasm3

        try:
            return qasm3.loads(text)
        except qasm3.QASM3ImporterError as exc:
            raise InstanceFormatError(p, _line_of(str(exc)),
                                      f"OpenQASM 3 import error: {exc or type(exc).__name__}"
                                      ) from exc
        except Exception as exc:  # the importer raises its own parser errors too
            if isinstance(exc, ImportError):
                raise OptionError("OpenQASM 3 input needs qiskit_qasm3_import: "
                                  "pip install qiskit_qasm3_import") from exc
            raise InstanceFormatError(p, _line_of(str(exc)),
                                      f"OpenQASM 3 import error: {exc or type(exc).__name__}"
                                      ) from exc
    raise InstanceFormatError(p, None, f"unsupported OpenQASM version {m.group(0).strip()}")


def problem_circuit(kind: str, size, seed: int = 0, solver: str = "qaoa", p: int = 1):
    """The circuit of a qopt solver for a generated problem ``qopt.generate(kind, size, seed)``.

    The angles are fixed, non-zero and seeded (the circuit's structure, which is all the
    partitioner sees, does not depend on them). Solvers: see :data:`CIRCUIT_SOLVERS`.
    """
    from qopt.model import program_to_qubo
    from qopt.problems import generate

    if solver not in CIRCUIT_SOLVERS:
        raise OptionError(f"no circuit builder for solver {solver!r}; choose from "
                          f"{', '.join(CIRCUIT_SOLVERS)}")
    if int(p) < 1:
        raise OptionError(f"p must be >= 1, got {p}")
    problem = generate(kind, size, seed)
    qubo = program_to_qubo(problem.to_program())
    qc = qubo_circuit(qubo, solver=solver, p=int(p), seed=seed)
    qc.name = f"{solver} p={int(p)} on {getattr(problem, 'name', None) or kind}"
    return qc


def qubo_circuit(qubo, *, solver: str = "qaoa", p: int = 1, seed: int = 0):
    """The QAOA-family circuit of ``qubo`` with seeded non-zero angles (see problem_circuit)."""
    from qopt.seeds import rng_from
    from qopt.solvers.quantum.circuits import as_ising, qaoa_circuit

    rng = rng_from(seed)
    ising = as_ising(qubo)
    gammas = rng.uniform(0.1, 0.9, size=p)
    betas = rng.uniform(0.1, 0.9, size=p)
    warm = None
    if solver == "ma-qaoa":
        gammas = rng.uniform(0.1, 0.9, size=(p, len(ising.terms()[0])))
        betas = rng.uniform(0.1, 0.9, size=(p, ising.num_spins))
    elif solver == "ws-qaoa":
        warm = rng.uniform(0.2, 0.8, size=ising.num_spins)
    return qaoa_circuit(ising, gammas, betas, warm_start=warm)


# ---------------------------------------------------------------------------------------------
# distribution


def _capacity(n: int, k: int, qubits_per_qpu: int | None, epsilon: float) -> int:
    if k < 1:
        raise OptionError(f"k must be >= 1, got {k}")
    if epsilon < 0:
        raise OptionError(f"epsilon must be >= 0, got {epsilon}")
    if qubits_per_qpu is None:
        cap = max(1, math.floor((1.0 + epsilon) * math.ceil(n / k)))
    else:
        cap = int(qubits_per_qpu)
        if cap < 1:
            raise OptionError(f"qubits_per_qpu must be >= 1, got {qubits_per_qpu}")
    if k * cap < n:
        raise OptionError(f"k * qubits_per_qpu = {k} * {cap} = {k * cap} < {n} qubits: the "
                          "circuit does not fit; raise k or qubits_per_qpu")
    return cap


def partition_hypergraph(hg: CircuitHypergraph, k: int, capacity: int, *,
                         engine: str = "kahypar", seed: int = 0, preset=None,
                         threads: int | None = None) -> np.ndarray:
    """Vertex -> QPU assignment (qubits then gates), shape (n + g,), at most ``capacity`` qubits
    per QPU: the engine's partition, capacity-repaired, then each gate moved to its cheapest QPU
    (:func:`~qopt.partition.refine.refine_gates`). The engine's own cost is ignored; callers
    recompute ebits from the assignment."""
    n, g = hg.num_qubits, hg.num_gates
    if hg.num_edges == 0 or k == 1:
        q = baselines.contiguous_assignment(n, k)
        gates = q[hg.gates[:, 0]] if g else np.zeros(0, dtype=np.int64)
        return np.concatenate([q, gates])
    if engine == "kahypar":
        big = g + 1  # exact encoding of weights (1, 0) with KaHyPar's minimum weight 1
        weights = np.concatenate([np.full(n, big, dtype=np.int64), np.ones(g, dtype=np.int64)])
        blocks = kahypar_engine.partition(
            hg.num_vertices, hg.edge_index, hg.pins, weights, [big * (capacity + 1) - 1] * k,
            k=k, epsilon=0.0, seed=seed, preset=preset)
    elif engine == "mtkahypar":
        weights = np.concatenate([np.ones(n, dtype=np.int64), np.zeros(g, dtype=np.int64)])
        blocks = mtkahypar_engine.partition(
            hg.num_vertices, hg.hyperedges(), weights, [capacity] * k, k=k, epsilon=0.0,
            seed=seed, threads=threads)
    else:
        raise OptionError(f"unknown partition engine {engine!r}; choose from {', '.join(ENGINES)}")
    if blocks.shape != (hg.num_vertices,) or np.any(blocks < 0) or np.any(blocks >= k):
        raise OptionError(f"engine {engine!r} returned an invalid assignment")
    blocks = baselines.enforce_capacity(hg, blocks, k, capacity)
    return refine_gates(hg, blocks, k)


def distribute(circuit_or_path, *, k: int, qubits_per_qpu: int | None = None,
               epsilon: float = 0.03, engine: str = "kahypar", seed: int | None = 0,
               preset: str | Path | None = None, compute_baselines: bool = True,
               threads: int | None = None, optimization_level: int = 1,
               keep_diagonal: bool = False) -> Distribution:
    """Distribute a circuit over k QPUs, minimising ebits.

    Args:
        circuit_or_path: a Qiskit ``QuantumCircuit`` or the path of an OpenQASM 2 / 3 file.
        k: number of QPUs.
        qubits_per_qpu: capacity of each QPU in qubits; default ``floor((1 + epsilon) *
            ceil(n / k))`` (KaHyPar's balance bound).
        epsilon: allowed imbalance, used only when ``qubits_per_qpu`` is not given.
        engine: ``"kahypar"`` (checked ``.ini`` preset) or ``"mtkahypar"`` (optional package).
        seed: partitioner seed (same seed, same result for KaHyPar); None means 0.
        preset: KaHyPar ``.ini`` to use instead of the shipped one (checked first).
        compute_baselines: also compute the two naive baselines.
        threads: threads for Mt-KaHyPar (default: all cores).
        optimization_level: Qiskit transpiler level of the CZ rewrite.
        keep_diagonal: keep RZZ gates as gate vertices instead of rewriting each into two CZs
            (a diagonal gate needs one cat-entanglement, like CZ); baselines then charge one
            ebit per cut RZZ / CZ.

    Raises:
        OptionError: bad k / capacity / engine, or k * qubits_per_qpu < qubits (before any work).
        ConfigError: a missing or malformed KaHyPar preset (before KaHyPar runs).
        InstanceFormatError: an unreadable circuit file.
    """
    from qiskit import QuantumCircuit

    seed = 0 if seed is None else int(seed)
    if engine not in ENGINES:
        raise OptionError(f"unknown partition engine {engine!r}; choose from {', '.join(ENGINES)}")
    if engine == "kahypar":
        kahypar_engine.check_preset(kahypar_engine.default_preset() if preset is None else preset)
    elif not mtkahypar_engine.available():
        raise OptionError("engine 'mtkahypar' needs the mtkahypar package: pip install mtkahypar")
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    if isinstance(circuit_or_path, QuantumCircuit):
        circuit, source = circuit_or_path, circuit_or_path.name
    elif isinstance(circuit_or_path, str | Path):
        circuit, source = load_circuit(circuit_or_path), str(circuit_or_path)
    else:
        raise OptionError("distribute needs a QuantumCircuit or an OpenQASM file path, got "
                          f"{type(circuit_or_path).__name__}")
    n = circuit.num_qubits
    capacity = _capacity(n, int(k), qubits_per_qpu, float(epsilon))
    times["load"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    _, hg = circuit_hypergraph(circuit, optimization_level=optimization_level,
                               keep_diagonal=keep_diagonal)
    times["hypergraph"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    assignment = partition_hypergraph(hg, int(k), capacity, engine=engine, seed=int(seed),
                                      preset=preset, threads=threads)
    times["partition"] = time.perf_counter() - t0

    contiguous = graph = None
    base_maps: dict[str, np.ndarray] = {}
    if compute_baselines:
        t0 = time.perf_counter()
        base_maps["contiguous"] = baselines.contiguous_assignment(n, int(k))
        base_maps["graph"] = baselines.graph_assignment(hg, int(k), capacity, engine=engine,
                                                        seed=int(seed), preset=preset,
                                                        threads=threads)
        contiguous = hg.cut_gates(base_maps["contiguous"])
        graph = hg.cut_gates(base_maps["graph"])
        times["baselines"] = time.perf_counter() - t0

    return Distribution(
        num_qubits=n, k=int(k), capacity=capacity, epsilon=float(epsilon), engine=engine,
        seed=int(seed), qubit_to_qpu=assignment[:n].copy(), gates=hg.gates.copy(),
        gate_to_qpu=assignment[n:].copy(), ebits=hg.ebits(assignment),
        num_hyperedges=hg.num_edges, baseline_contiguous_ebits=contiguous,
        baseline_graph_ebits=graph, source=source, times=times, keep_diagonal=keep_diagonal,
        baseline_qubit_to_qpu=base_maps)


__all__ = ["CIRCUIT_SOLVERS", "ENGINES", "Distribution", "distribute", "load_circuit",
           "partition_hypergraph", "problem_circuit", "qubo_circuit"]
