"""Tests of qopt.partition: circuit hypergraph, ebit accounting, KaHyPar / Mt-KaHyPar engines."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit

from qopt.errors import ConfigError, InstanceFormatError, OptionError, QoptError
from qopt.partition import (
    build_hypergraph,
    check_preset,
    default_preset,
    distribute,
    kahypar_engine,
    mtkahypar_engine,
    partition_hypergraph,
    to_cz_basis,
)
from qopt.partition.baselines import contiguous_assignment, enforce_capacity
from qopt.partition.hypergraph import _DIAGONAL, DIAGONAL_TWO_QUBIT

needs_mt = pytest.mark.skipif(not mtkahypar_engine.available(), reason="mtkahypar not installed")


# --------------------------------------------------------------------------- helpers


def slow_ebits(cz_circuit: QuantumCircuit, qubit_to_qpu, gate_to_qpu) -> int:
    """Independent ebit count: walk each wire, one set of QPUs per run of CZs."""
    n = cz_circuit.num_qubits
    runs: list[set[int] | None] = [None] * n
    total = 0
    gate = 0
    for inst in cz_circuit.data:
        qs = [cz_circuit.find_bit(q).index for q in inst.qubits]
        name = inst.operation.name
        if name in DIAGONAL_TWO_QUBIT:
            for q in qs:
                if runs[q] is None:
                    runs[q] = {int(qubit_to_qpu[q])}
                runs[q].add(int(gate_to_qpu[gate]))
            gate += 1
        elif name == "barrier" or name in _DIAGONAL:
            continue
        else:
            for q in qs:
                if runs[q] is not None:
                    total += len(runs[q]) - 1
                runs[q] = None
    for r in runs:
        if r is not None:
            total += len(r) - 1
    assert gate == len(gate_to_qpu)
    return total


def star(n_leaves: int, breaks: tuple[int, ...] = (), gate: str = "h") -> QuantumCircuit:
    """Qubit 0 does a CZ with each leaf 1..n_leaves; ``gate`` on wire 0 after the listed CZs."""
    qc = QuantumCircuit(n_leaves + 1)
    for leaf in range(1, n_leaves + 1):
        qc.cz(0, leaf)
        if leaf in breaks:
            getattr(qc, gate)(0)
    return qc


def ladder(n: int) -> QuantumCircuit:
    """CZ(i, i+1) for i = 0..n-2 (no one-qubit gates)."""
    qc = QuantumCircuit(n)
    for i in range(n - 1):
        qc.cz(i, i + 1)
    return qc


# --------------------------------------------------------------------------- hypergraph


def test_ladder_hypergraph_structure():
    hg = build_hypergraph(ladder(4))
    assert hg.num_qubits == 4 and hg.num_gates == 3
    edges = sorted(sorted(e) for e in hg.hyperedges())
    # gate j is vertex 4 + j
    assert edges == [[0, 4], [1, 4, 5], [2, 5, 6], [3, 6]]
    # qubits {0,1} | {2,3}, middle gate with qubit 1: only wire 2's run spans two QPUs
    assert hg.ebits([0, 0, 1, 1, 0, 0, 1]) == 1
    assert hg.ebits([0, 0, 1, 1, 0, 1, 1]) == 1
    assert hg.ebits([0, 1, 0, 1, 0, 0, 0]) == 2
    assert hg.cut_gates([0, 0, 1, 1]) == 1


def test_diagonal_gates_keep_a_run_and_others_break_it():
    for gate in ("t", "s", "z", "sdg"):
        qc = QuantumCircuit(3)
        qc.cz(0, 1)
        getattr(qc, gate)(0)
        qc.cz(0, 2)
        assert build_hypergraph(qc).num_edges == 3, gate  # one run on wire 0
    qc = QuantumCircuit(3)
    qc.cz(0, 1)
    qc.rz(0.3, 0)
    qc.p(0.2, 0)
    qc.cz(0, 2)
    assert build_hypergraph(qc).num_edges == 3
    for gate in ("h", "x", "sx"):
        qc = QuantumCircuit(3)
        qc.cz(0, 1)
        getattr(qc, gate)(0)
        qc.cz(0, 2)
        assert build_hypergraph(qc).num_edges == 4, gate  # wire 0 has two runs
    qc = QuantumCircuit(3)
    qc.cz(0, 1)
    qc.barrier()
    qc.cz(0, 2)
    assert build_hypergraph(qc).num_edges == 3


def test_rewrite_to_cz_basis_keeps_qubits_and_two_qubit_count():
    qc = QuantumCircuit(4)
    qc.h(0)
    qc.cx(0, 1)
    qc.rzz(0.4, 1, 2)
    qc.cx(2, 3)
    cz = to_cz_basis(qc)
    assert cz.num_qubits == 4
    ops = cz.count_ops()
    assert set(ops) <= {"cz", "rz", "sx", "x"}
    assert ops["cz"] == 4  # CX -> 1 CZ, RZZ -> 2 CZ


def test_qubit_indices_survive_the_rewrite_with_several_registers():
    from qiskit import QuantumRegister

    from qopt.partition import circuit_hypergraph

    a, b = QuantumRegister(3, "a"), QuantumRegister(4, "b")
    qc = QuantumCircuit(a, b)
    qc.cx(a[2], b[3])
    qc.cz(b[0], a[1])
    qc.rzz(0.3, a[0], b[1])
    cz, hg = circuit_hypergraph(qc)
    assert cz.qubits == qc.qubits
    assert sorted(map(tuple, np.sort(hg.gates, axis=1).tolist())) == [
        (0, 4), (0, 4), (1, 3), (2, 6)]


def test_unbound_parameters_and_wide_gates_are_rejected():
    from qiskit.circuit import Parameter

    qc = QuantumCircuit(2)
    qc.rzz(Parameter("t"), 0, 1)
    with pytest.raises(OptionError, match="unbound parameters"):
        distribute(qc, k=2)
    qc = QuantumCircuit(3)
    qc.ccx(0, 1, 2)
    with pytest.raises(OptionError, match="not CZ"):
        build_hypergraph(qc)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_vectorised_ebits_equal_the_wire_walk(data):
    n = data.draw(st.integers(2, 6))
    ops = data.draw(st.lists(st.tuples(st.sampled_from(["cz", "h", "t", "x", "rz"]),
                                       st.integers(0, n - 1), st.integers(1, n - 1)),
                             min_size=1, max_size=25))
    qc = QuantumCircuit(n)
    for name, a, shift in ops:
        if name == "cz":
            qc.cz(a, (a + shift) % n)
        elif name == "rz":
            qc.rz(0.7, a)
        else:
            getattr(qc, name)(a)
    hg = build_hypergraph(qc)
    k = data.draw(st.integers(1, 4))
    q = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    g = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=hg.num_gates,
                                    max_size=hg.num_gates)), dtype=np.int64)
    assert hg.ebits(hg.vertex_assignment(q, g)) == slow_ebits(qc, q, g)


# --------------------------------------------------------------------------- distribute


def test_star_optimum_uses_one_cat_entanglement():
    # qubit 0 talks to 6 leaves in one run: put 3 leaves on the far QPU and run their 3 gates
    # there -> a single ebit; the naive count is one per cut gate (3)
    d = distribute(star(6), k=2, qubits_per_qpu=4, seed=1)
    assert d.ebits == 1
    assert d.baseline_contiguous_ebits == 3
    assert d.baseline_graph_ebits == 3
    assert d.qpu_loads.max() <= 4


def test_star_with_breaks_needs_one_ebit_per_remote_run():
    # an H after every gate on wire 0: 6 runs of one gate, 3 of them must be remote
    d = distribute(star(6, breaks=(1, 2, 3, 4, 5)), k=2, qubits_per_qpu=4, seed=1)
    assert d.ebits == 3
    # diagonal T gates do not break the run: back to one ebit
    d = distribute(star(6, breaks=(1, 2, 3, 4, 5), gate="t"), k=2, qubits_per_qpu=4, seed=1)
    assert d.ebits == 1


def test_rzz_star_in_both_rewrites():
    qc = QuantumCircuit(7)
    for leaf in range(1, 7):
        qc.rzz(0.3 + 0.1 * leaf, 0, leaf)
    # CZ rewrite: each RZZ = CZ, RZ on the leaf between H-like flips, CZ; wire 0 keeps one run
    d = distribute(qc, k=2, qubits_per_qpu=4, seed=1)
    assert d.num_gates == 12
    assert d.ebits == 1
    assert d.baseline_contiguous_ebits == 6  # two cut CZs per cut RZZ
    assert d.ebits == slow_ebits(to_cz_basis(qc), d.qubit_to_qpu, d.gate_to_qpu)
    # RZZ kept as a diagonal gate vertex: still one ebit, the naive count is one per cut RZZ
    d = distribute(qc, k=2, qubits_per_qpu=4, seed=1, keep_diagonal=True)
    assert d.num_gates == 6 and d.keep_diagonal
    assert d.ebits == 1
    assert d.baseline_contiguous_ebits == 3
    assert d.ebits == slow_ebits(to_cz_basis(qc, keep_diagonal=True), d.qubit_to_qpu,
                                 d.gate_to_qpu)


def test_ladder_distribution():
    d = distribute(ladder(8), k=2, qubits_per_qpu=4, seed=0)
    assert d.ebits == 1
    assert d.baseline_contiguous_ebits == 1
    assert list(d.qpu_loads) == [4, 4]
    d4 = distribute(ladder(8), k=4, qubits_per_qpu=2, seed=0)
    assert d4.ebits == 3  # three cuts along a line of 4 pairs, one ebit each
    assert d4.qpu_loads.max() <= 2
    # one qubit per QPU (and spare QPUs): every gate costs exactly one ebit, none more
    for k in (5, 8):
        d = distribute(ladder(5), k=k, qubits_per_qpu=1, seed=0)
        assert d.ebits == 4, k


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_gate_refinement_never_increases_ebits(data):
    from qopt.partition.refine import refine_gates

    n = data.draw(st.integers(2, 8))
    qc = random_circuit(n, 4, data.draw(st.integers(0, 999)))
    hg = build_hypergraph(to_cz_basis(qc))
    k = data.draw(st.integers(2, 4))
    a = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=hg.num_vertices,
                                    max_size=hg.num_vertices)), dtype=np.int64)
    r = refine_gates(hg, a, k)
    assert np.array_equal(r[:n], a[:n])  # qubits untouched
    assert hg.ebits(r) <= hg.ebits(a)
    # a local optimum: no single gate move helps any more
    for v in range(n, hg.num_vertices):
        for b in range(k):
            moved = r.copy()
            moved[v] = b
            assert hg.ebits(moved) >= hg.ebits(r)


def test_no_two_qubit_gates_costs_nothing():
    qc = QuantumCircuit(5)
    qc.h(range(5))
    d = distribute(qc, k=2)
    assert d.ebits == 0 and d.baseline_contiguous_ebits == 0 and d.num_gates == 0
    assert d.qpu_loads.max() <= d.capacity


def random_circuit(n: int, layers: int, seed: int) -> QuantumCircuit:
    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(n)
    for _ in range(layers):
        perm = rng.permutation(n)
        for a, b in perm[: 2 * (n // 2)].reshape(-1, 2):
            if rng.random() < 0.7:
                qc.cx(int(a), int(b))
        for q in range(n):
            r = rng.random()
            if r < 0.3:
                qc.h(q)
            elif r < 0.6:
                qc.t(q)
    return qc


@settings(max_examples=8, deadline=None)
@given(n=st.integers(4, 14), k=st.integers(2, 4), slack=st.integers(0, 2), seed=st.integers(0, 99))
def test_reported_ebits_equal_recount_and_capacity_holds(n, k, slack, seed):
    qc = random_circuit(n, 4, seed)
    cap = -(-n // k) + slack
    d = distribute(qc, k=k, qubits_per_qpu=cap, seed=seed)
    cz = to_cz_basis(qc)
    assert d.ebits == slow_ebits(cz, d.qubit_to_qpu, d.gate_to_qpu)
    assert d.qpu_loads.sum() == n
    assert d.qpu_loads.max() <= cap
    assert d.num_gates == cz.count_ops().get("cz", 0)
    for base in d.baseline_qubit_to_qpu.values():
        assert np.bincount(base, minlength=k).max() <= cap


def test_same_seed_same_distribution():
    qc = random_circuit(20, 6, 3)
    a = distribute(qc, k=3, seed=5)
    b = distribute(qc, k=3, seed=5)
    assert a.ebits == b.ebits
    assert np.array_equal(a.qubit_to_qpu, b.qubit_to_qpu)


def test_too_small_capacity_fails_before_any_work(monkeypatch):
    import qopt.partition.distribution as dist

    def boom(*args, **kwargs):
        raise AssertionError("hypergraph built despite an impossible capacity")

    monkeypatch.setattr(dist, "circuit_hypergraph", boom)
    with pytest.raises(OptionError, match=r"3 \* 3 = 9 < 10 qubits"):
        distribute(ladder(10), k=3, qubits_per_qpu=3)
    with pytest.raises(OptionError, match="k must be"):
        distribute(ladder(4), k=0)
    with pytest.raises(OptionError, match="unknown partition engine"):
        distribute(ladder(4), k=2, engine="metis")


def test_capacity_repair_moves_qubits_out_of_full_qpus():
    qc = random_circuit(12, 5, 1)
    hg = build_hypergraph(to_cz_basis(qc))
    a = np.zeros(hg.num_vertices, dtype=np.int64)  # everything on QPU 0
    fixed = enforce_capacity(hg, a, 3, 4)
    assert list(np.bincount(fixed[:12], minlength=3)) == [4, 4, 4]
    assert np.array_equal(fixed[12:], a[12:])  # gates untouched
    assert hg.ebits(fixed) == slow_ebits(to_cz_basis(qc), fixed[:12], fixed[12:])


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 999), k=st.integers(2, 4))
def test_single_overflow_repair_is_the_cheapest_move(seed, k):
    from qopt.partition.baselines import enforce_graph_capacity

    rng = np.random.default_rng(seed)
    n = 3 * k + 2  # QPU 0 holds 5 qubits, the others 3; capacity 4 -> exactly one move
    q = rng.permutation(np.concatenate([np.zeros(5, np.int64), np.repeat(np.arange(1, k), 3)]))
    qc = random_circuit(n, 4, seed)
    hg = build_hypergraph(to_cz_basis(qc))
    a = np.concatenate([q, rng.integers(0, k, hg.num_gates)])
    fixed = enforce_capacity(hg, a, k, 4)
    assert np.bincount(fixed[:n], minlength=k).max() <= 4
    assert np.count_nonzero(fixed != a) == 1
    best = min(hg.ebits(np.where(np.arange(hg.num_vertices) == v, t, a))
               for v in np.flatnonzero(q == 0) for t in range(1, k))
    assert hg.ebits(fixed) == best
    pairs, counts = hg.interaction_graph()
    if len(pairs):
        g = enforce_graph_capacity(q, pairs, counts, k, 4)
        assert np.count_nonzero(g != q) == 1
        best_cut = min(hg.cut_gates(np.where(np.arange(n) == v, t, q))
                       for v in np.flatnonzero(q == 0) for t in range(1, k))
        assert hg.cut_gates(g) == best_cut


def test_contiguous_assignment_is_balanced():
    a = contiguous_assignment(10, 4)
    assert list(a) == sorted(a)
    assert sorted(np.bincount(a)) == [2, 2, 3, 3]


def test_json_and_table():
    d = distribute(star(6), k=2, qubits_per_qpu=4, seed=1)
    out = json.loads(json.dumps(d.to_dict()))
    for key in ("ebits", "baseline_contiguous_ebits", "baseline_graph_ebits", "k", "num_qubits",
                "qpu_loads", "qubit_to_qpu", "wall_time", "gate_to_qpu"):
        assert key in out
    assert out["ebits"] == 1 and out["k"] == 2 and out["num_qubits"] == 7
    assert sum(out["qpu_loads"]) == 7 and len(out["qubit_to_qpu"]) == 7
    text = d.table()
    assert "ebits" in text and "contiguous" in text and "QPU" in text


# --------------------------------------------------------------------------- preset


def test_shipped_preset_exists_parses_and_has_the_required_keys():
    path = default_preset()
    assert path.is_file()
    values = check_preset(path)
    assert values["objective"] == "km1"
    assert set(kahypar_engine.REQUIRED_KEYS) <= set(values)


def test_shipped_preset_is_accepted_by_kahypar_in_a_subprocess():
    # if KaHyPar rejected the file it would kill the process: try it in a child first
    code = (
        "import numpy as np\n"
        "from qopt.partition import kahypar_engine as k\n"
        "b = k.partition(4, np.array([0, 2, 4]), np.array([0, 1, 2, 3]), np.ones(4, int),"
        " [2, 2], k=2, epsilon=0.0, seed=1)\n"
        "print(sorted(np.bincount(b).tolist()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[2, 2]"


def _write_preset(tmp_path, drop=None, change=None):
    lines = default_preset().read_text().splitlines()
    out = []
    for line in lines:
        key = line.split("=", 1)[0].strip()
        if drop is not None and key == drop:
            continue
        if change is not None and key == change[0]:
            line = f"{key}={change[1]}"
        out.append(line)
    path = tmp_path / "preset.ini"
    path.write_text("\n".join(out) + "\n")
    return path


def test_missing_preset_file_is_a_qopt_error(tmp_path):
    missing = tmp_path / "nope.ini"
    with pytest.raises(ConfigError, match=r"nope\.ini"):
        distribute(star(3), k=2, preset=missing)


@pytest.mark.parametrize("key", sorted(kahypar_engine.REQUIRED_KEYS))
def test_each_required_key_missing_is_a_config_error(tmp_path, key):
    path = _write_preset(tmp_path, drop=key)
    with pytest.raises(ConfigError, match=f"'{key}'") as info:
        check_preset(path)
    assert str(path) in str(info.value)


def test_malformed_preset_values_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="'c-type'"):
        check_preset(_write_preset(tmp_path, change=("c-type", "bogus")))
    with pytest.raises(ConfigError, match="'objective' must be 'km1'"):
        check_preset(_write_preset(tmp_path, change=("objective", "cut")))
    with pytest.raises(ConfigError, match="'mode'"):
        check_preset(_write_preset(tmp_path, change=("mode", "recursive")))
    with pytest.raises(ConfigError, match="'r-flow-execution-policy'"):
        check_preset(_write_preset(tmp_path, change=("r-flow-execution-policy", "bogus")))
    with pytest.raises(ConfigError, match="'r-hfc-scaling' needs an integer"):
        check_preset(_write_preset(tmp_path, change=("r-hfc-scaling", "1.5x")))
    with pytest.raises(ConfigError, match="'r-hfc-mbc' needs true or false"):
        check_preset(_write_preset(tmp_path, change=("r-hfc-mbc", "yes")))
    with pytest.raises(ConfigError, match="'r-runs' needs an integer"):
        check_preset(_write_preset(tmp_path, change=("r-runs", "many")))
    bad = tmp_path / "garbage.ini"
    bad.write_text("mode=direct\nthis line has no equals sign\n")
    with pytest.raises(ConfigError, match="line 2"):
        check_preset(bad)
    with pytest.raises(QoptError):  # through the public function too, KaHyPar never called
        distribute(star(3), k=2, preset=_write_preset(tmp_path, drop="c-type"))


# --------------------------------------------------------------------------- QASM input


QASM2 = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[7];
cz q[0],q[1];
cz q[0],q[2];
t q[0];
cz q[0],q[3];
cz q[0],q[4];
cz q[0],q[5];
cz q[0],q[6];
creg c[7];
measure q -> c;
"""

QASM3 = """OPENQASM 3.0;
include "stdgates.inc";
qubit[7] q;
cz q[0], q[1];
cz q[0], q[2];
cz q[0], q[3];
s q[0];
cz q[0], q[4];
cz q[0], q[5];
cz q[0], q[6];
"""


def test_qasm2_and_qasm3_files(tmp_path):
    for name, text in (("c2.qasm", QASM2), ("c3.qasm", QASM3)):
        path = tmp_path / name
        path.write_text(text)
        d = distribute(path, k=2, qubits_per_qpu=4, seed=1)
        assert d.num_qubits == 7 and d.num_gates == 6
        assert d.ebits == 1, name
        assert d.source == str(path)


def test_bad_qasm_files_name_file_and_line(tmp_path):
    bad = tmp_path / "bad.qasm"
    bad.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncz q[0] q[1];\n')
    with pytest.raises(InstanceFormatError, match=r"bad\.qasm, line 4"):
        distribute(bad, k=2)
    nohdr = tmp_path / "nohdr.qasm"
    nohdr.write_text("qreg q[2];\n")
    with pytest.raises(InstanceFormatError, match=r"nohdr\.qasm"):
        distribute(nohdr, k=2)
    with pytest.raises(InstanceFormatError, match="no such circuit file"):
        distribute(tmp_path / "missing.qasm", k=2)
    bad3 = tmp_path / "bad3.qasm"
    bad3.write_text("OPENQASM 3.0;\nqubit[2] q;\nfoo q[0];\n")
    with pytest.raises(InstanceFormatError, match=r"bad3\.qasm, line 3"):
        distribute(bad3, k=2)


# --------------------------------------------------------------------------- mt-kahypar


@needs_mt
def test_mtkahypar_engine_star_and_capacity():
    d = distribute(star(6), k=2, qubits_per_qpu=4, engine="mtkahypar", seed=1, threads=1)
    assert d.ebits == 1
    qc = random_circuit(16, 5, 2)
    d = distribute(qc, k=3, qubits_per_qpu=6, engine="mtkahypar", seed=2, threads=1)
    assert d.qpu_loads.max() <= 6
    assert d.ebits == slow_ebits(to_cz_basis(qc), d.qubit_to_qpu, d.gate_to_qpu)


def test_partition_hypergraph_rejects_unknown_engine():
    hg = build_hypergraph(ladder(4))
    with pytest.raises(OptionError):
        partition_hypergraph(hg, 2, 2, engine="nope")


# --------------------------------------------------------------------------- solver circuits


def test_qaoa_circuit_of_a_qubo_partitions_below_the_contiguous_baseline():
    import networkx as nx

    from qopt.model import QUBO
    from qopt.partition import qubo_circuit

    g = nx.random_regular_graph(3, 40, seed=4)
    lin = np.zeros(40)
    quad = {}
    for i, j in g.edges():
        quad[(min(i, j), max(i, j))] = 2.0
        lin[i] -= 1
        lin[j] -= 1
    qc = qubo_circuit(QUBO(quad, lin), p=1, seed=0)
    d = distribute(qc, k=4, seed=0)
    assert d.num_qubits == 40
    assert d.ebits == slow_ebits(to_cz_basis(qc), d.qubit_to_qpu, d.gate_to_qpu)
    assert d.ebits <= 0.6 * d.baseline_contiguous_ebits
    assert d.ebits <= d.baseline_graph_ebits


def test_problem_circuit_for_a_generated_maxcut():
    from qopt.partition import problem_circuit
    from qopt.problems.registry import kinds

    if "maxcut" not in kinds():
        pytest.skip("maxcut generator not registered yet")
    qc = problem_circuit("maxcut", 12, seed=3, solver="qaoa", p=2)
    assert qc.num_qubits == 12
    assert qc.count_ops().get("rzz", 0) > 0
    with pytest.raises(OptionError, match="no circuit builder"):
        problem_circuit("maxcut", 12, seed=3, solver="exact")
    from qopt.partition import CIRCUIT_SOLVERS

    for solver in CIRCUIT_SOLVERS:
        qc = problem_circuit("maxcut", 10, seed=1, solver=solver, p=1)
        d = distribute(qc, k=2, seed=0)
        assert d.num_qubits == 10 and d.qpu_loads.max() <= d.capacity
        assert d.ebits == slow_ebits(to_cz_basis(qc), d.qubit_to_qpu, d.gate_to_qpu)
        assert d.ebits <= d.baseline_graph_ebits
