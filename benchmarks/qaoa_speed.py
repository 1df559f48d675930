"""Time one QAOA expectation and one gradient: qopt's engine vs qiskit-aer and lightning.qubit.

Same graph, same angles, same run:

* engine: :class:`qopt.backends.statevector.StatevectorEngine` with ``--precision``
  (complex128 or complex64 states), the cost diagonal the QAOA solver uses
  (:func:`~qopt.solvers.quantum.qaoa_evaluators.engine_diagonal`: uint8 / uint16 levels of
  an integer cost from 24 qubits on, else float64; built once, not timed), ``qaoa_expectation``
  and ``qaoa_gradient`` (adjoint, all 2p angles, its sweep in the state buffer as the solver
  runs it: one extra state);
* aer: ``qiskit_aer.primitives.EstimatorV2`` on the bound standard QAOA circuit
  (:func:`qopt.solvers.quantum.circuits.qaoa_circuit`) with the cost as a ``SparsePauliOp``;
* lightning: PennyLane ``lightning.qubit``, the standard QAOA circuit, ``qml.expval`` of the
  cost Hamiltonian;
* floor: one read+write pass over the engine's own state (in-place scaling with numpy, so
  in the state's precision and with no second state in memory), timed here, times
  ``p * (ceil(n / 10) + 0.5)`` passes.

The engine's buffers go through qopt's memory check (``QOPT_MEMORY_LIMIT``, default half the
memory): at n = 30 in complex64 the state (8 GiB) and the cost levels (1 GiB) fit the default
on a 24 GiB machine, the gradient's extra state does not (``QOPT_MEMORY_LIMIT=18G`` allows it);
a part that does not fit is skipped with the limit printed, its columns ``nan``.

Graphs: ``regular3`` (random 3-regular MaxCut, seed 0) or ``complete`` (MaxCut on K_n, a dense
QUBO). Every time is the minimum over ``--repeats`` runs after one warm-up run.

    python benchmarks/qaoa_speed.py --n 24 --p 4 --graph regular3
    python benchmarks/qaoa_speed.py --n 30 --p 1 --no-peers --precision complex64

The last line is ``n=.. p=.. graph=.. precision=.. engine_s=.. aer_s=.. lightning_s=..
grad_s=.. floor_s=.. speedup_aer=.. speedup_lightning=.. grad_ratio=.. floor_ratio=..``.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import networkx as nx
import numpy as np


def maxcut_qubo(G):
    from qopt.model.qubo import QUBO

    n = G.number_of_nodes()
    quad = {(min(i, j), max(i, j)): 2.0 for i, j in G.edges}
    lin = np.zeros(n)
    for i, j in G.edges:
        lin[i] -= 1.0
        lin[j] -= 1.0
    return QUBO(quad, lin, num_vars=n)


def instance(graph: str, n: int, p: int):
    """(qubo, gammas, betas): MaxCut on a random 3-regular graph (seed 0) or K_n, and p
    random angles of each kind in [0.1, 0.6] (seed 0): what every QAOA speed script times."""
    G = nx.random_regular_graph(3, n, seed=0) if graph == "regular3" else nx.complete_graph(n)
    rng = np.random.default_rng(0)
    gammas = rng.uniform(0.1, 0.6, p)
    betas = rng.uniform(0.1, 0.6, p)
    return maxcut_qubo(G), gammas, betas


def best_time(fn, repeats: int) -> float:
    fn()                                        # warm-up (JIT, caches, allocations)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def floor_pass(psi, repeats: int) -> float:
    """One read+write pass over the state ``psi`` (in-place multiply by 1, one numpy thread;
    overwrites nothing that matters: every QAOA call rebuilds its state)."""
    one = psi.dtype.type(1.0)
    return best_time(lambda: np.multiply(psi, one, out=psi), max(repeats, 5))


def aer_time(qubo, gammas, betas, repeats: int) -> tuple[float, float]:
    from qiskit_aer.primitives import EstimatorV2

    from qopt.solvers.quantum.circuits import qaoa_circuit

    qc = qaoa_circuit(qubo, gammas, betas)
    op = qubo.to_sparse_pauli_op()
    est = EstimatorV2()
    value = {}

    def run():
        value["v"] = float(est.run([(qc, op)]).result()[0].data.evs)

    return best_time(run, repeats), value["v"]


def lightning_time(qubo, gammas, betas, repeats: int) -> tuple[float, float]:
    import pennylane as qml

    ising = qubo.to_ising()
    n = ising.num_spins
    terms, coeffs = ising.terms()
    H = qubo.to_pennylane()
    dev = qml.device("lightning.qubit", wires=n)

    @qml.qnode(dev, diff_method=None)
    def circuit():
        for i in range(n):
            qml.Hadamard(i)
        for g, b in zip(gammas, betas):
            for q, c in zip(terms, coeffs):
                if len(q) == 1:
                    qml.RZ(2 * g * c, wires=q[0])
                else:
                    qml.IsingZZ(2 * g * c, wires=list(q))
            for i in range(n):
                qml.RX(2 * b, wires=i)
        return qml.expval(H)

    value = {}

    def run():
        value["v"] = float(circuit())

    return best_time(run, repeats), value["v"]


def main(argv=None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--p", type=int, default=4)
    ap.add_argument("--graph", choices=("regular3", "complete"), default="regular3")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--precision", choices=("complex128", "complex64"), default="complex128",
                    help="the engine's state precision (peers always run complex128)")
    ap.add_argument("--no-peers", action="store_true", help="time the engine only")
    args = ap.parse_args(argv)
    n, p = args.n, args.p

    from qopt.backends.statevector import StatevectorEngine
    from qopt.errors import SizeLimitError
    from qopt.limits import format_bytes, memory_limit_info
    from qopt.solvers.quantum.qaoa_evaluators import engine_diagonal

    qubo, gammas, betas = instance(args.graph, n, p)
    print(f"# load average before: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})",
          flush=True)

    limit, source = memory_limit_info()
    print(f"# memory limit {format_bytes(limit)} ({source})", flush=True)
    t0 = time.perf_counter()
    diag = engine_diagonal(qubo)
    t_diag = time.perf_counter() - t0
    eng = StatevectorEngine(n, dtype=args.precision)
    engine_value = eng.qaoa_expectation(diag, gammas, betas)
    engine_s = best_time(lambda: eng.qaoa_expectation(diag, gammas, betas), args.repeats)
    try:
        grad_s = best_time(lambda: eng.qaoa_gradient(diag, gammas, betas, keep_state=False),
                           args.repeats)
    except SizeLimitError as exc:
        print(f"# gradient skipped: {exc}", flush=True)
        grad_s = float("nan")
    c0 = time.process_time()
    eng.qaoa_expectation(diag, gammas, betas)
    cpu_s = time.process_time() - c0
    floor_s = floor_pass(eng.state, args.repeats) * p * (math.ceil(n / 10) + 0.5)
    print(f"# engine: value {engine_value:.12f}, {args.precision} state "
          f"{format_bytes(eng.nbytes)}, cost {type(diag).__name__} "
          f"{format_bytes(diag.nbytes)} built once in {t_diag:.3f}s, numba={eng.uses_numba}, "
          f"threads={eng.threads_in_use}, CPU time of one expectation {cpu_s:.4g}s (all "
          "threads; wall >> CPU / threads means the process waited for a core)", flush=True)

    aer_s = lightning_s = float("nan")
    if not args.no_peers:
        aer_s, aer_value = aer_time(qubo, gammas, betas, args.repeats)
        print(f"# aer value {aer_value:.12f} (diff {abs(aer_value - engine_value):.2e})",
              flush=True)
        lightning_s, l_value = lightning_time(qubo, gammas, betas, args.repeats)
        print(f"# lightning value {l_value:.12f} (diff {abs(l_value - engine_value):.2e})",
              flush=True)
    print(f"# load average after: {os.getloadavg()[0]:.2f}", flush=True)
    line = (f"n={n} p={p} graph={args.graph} precision={args.precision} "
            f"engine_s={engine_s:.4g} aer_s={aer_s:.4g} lightning_s={lightning_s:.4g} "
            f"grad_s={grad_s:.4g} floor_s={floor_s:.4g} "
            f"speedup_aer={aer_s / engine_s:.3g} speedup_lightning={lightning_s / engine_s:.3g} "
            f"grad_ratio={grad_s / engine_s:.3g} floor_ratio={engine_s / floor_s:.3g}")
    print(line)
    return line


if __name__ == "__main__":
    main()
