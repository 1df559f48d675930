"""Distribution of circuits over several QPUs by hypergraph partitioning (ebit minimisation).

``distribute(circuit_or_path, k=..., qubits_per_qpu=..., engine="kahypar"|"mtkahypar")`` returns
a :class:`Distribution` (qubit -> QPU, gate -> QPU, ebits recomputed from the assignment, per-QPU
loads, two naive baselines, ``to_dict()`` for JSON, ``table()`` for text).
``problem_circuit(kind, size, seed, solver="qaoa", p=1)`` builds a qopt solver's circuit.
"""

from qopt.partition.distribution import (
    CIRCUIT_SOLVERS,
    ENGINES,
    Distribution,
    distribute,
    load_circuit,
    partition_hypergraph,
    problem_circuit,
    qubo_circuit,
)
from qopt.partition.hypergraph import (
    CircuitHypergraph,
    build_hypergraph,
    circuit_hypergraph,
    to_cz_basis,
)
from qopt.partition.kahypar_engine import check_preset, default_preset

__all__ = [
    "CIRCUIT_SOLVERS", "ENGINES", "CircuitHypergraph", "Distribution", "build_hypergraph",
    "check_preset", "circuit_hypergraph", "default_preset", "distribute", "load_circuit",
    "partition_hypergraph", "problem_circuit", "qubo_circuit", "to_cz_basis",
]
