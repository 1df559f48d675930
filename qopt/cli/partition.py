"""``qopt partition``: distribute a circuit (a QASM file or a solver's circuit for a generated
problem) over k QPUs with KaHyPar, and report the ebit cost."""

from __future__ import annotations

import json

from qopt.errors import OptionError


def add_parser(sub) -> None:
    p = sub.add_parser("partition", help="distribute a circuit over k QPUs (KaHyPar)")
    p.add_argument("circuit", nargs="?", help="OpenQASM 2/3 file")
    p.add_argument("--problem", help="build the circuit of a solver for a generated problem")
    p.add_argument("--size", type=int, default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--solver", default="qaoa")
    p.add_argument("--p", type=int, default=1)
    p.add_argument("--k", type=int, required=True, help="number of QPUs")
    p.add_argument("--qubits-per-qpu", type=int, default=None, help="capacity of each QPU")
    p.add_argument("--epsilon", type=float, default=0.03, help="allowed imbalance")
    p.add_argument("--engine", default="kahypar", choices=("kahypar", "mtkahypar"))
    p.add_argument("--keep-diagonal", action="store_true",
                   help="keep each RZZ as one two-qubit gate instead of two CZs")
    p.add_argument("--preset", default=None, help="KaHyPar .ini preset (default: shipped)")
    p.add_argument("--threads", type=int, default=None, help="Mt-KaHyPar threads")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=run)


def run(args) -> int:
    from qopt.partition import distribute, problem_circuit

    if (args.circuit is None) == (args.problem is None):
        raise OptionError("give either a circuit file or --problem KIND --size N")
    if args.problem is not None:
        if args.size is None:
            raise OptionError("--problem needs --size")
        circuit = problem_circuit(args.problem, args.size, args.seed, solver=args.solver, p=args.p)
    else:
        circuit = args.circuit
    dist = distribute(circuit, k=args.k, qubits_per_qpu=args.qubits_per_qpu,
                      epsilon=args.epsilon, engine=args.engine, seed=args.seed,
                      keep_diagonal=args.keep_diagonal, preset=args.preset, threads=args.threads)
    print(json.dumps(dist.to_dict()) if args.json else dist.table())
    return 0
