"""QAOA on higher-order costs: QOKit's published LABS angles reproduced exactly, and the circuits
with multi-qubit Z rotations against the statevector engine, amplitude by amplitude, on Aer."""

from __future__ import annotations

import numpy as np
import pytest

from qopt.backends.statevector import StatevectorEngine
from qopt.bits import indices_to_bits
from qopt.errors import OptionError
from qopt.model.hubo import HUBO
from qopt.problems.labs import LABS
from qopt.solvers.quantum.circuits import qaoa_circuit, qaoa_resources
from qopt.solvers.quantum.labs_angles import (
    convert_angles,
    published_angles,
    published_rows,
    qaoa_optimum_probability,
    qokit_to_qopt,
    qopt_to_qokit,
)


def qokit_reference_overlap(n, gammas, betas):
    """QOKit's own definition, written out independently of the engine: from |+>^N apply
    exp(-i gamma/2 (E - N(N-1)/2)) then exp(-i beta X) on every qubit (dense 2x2 per qubit)."""
    p = LABS(n)
    E = p.diagonal().astype(float) - n * (n - 1) / 2
    psi = np.full(2 ** n, 2 ** (-n / 2), dtype=complex)
    for g, b in zip(gammas, betas):
        psi *= np.exp(-0.5j * g * E)
        rx = np.array([[np.cos(b), -1j * np.sin(b)], [-1j * np.sin(b), np.cos(b)]])
        t = psi.reshape([2] * n)
        for q in range(n):                     # qubit q is axis n - 1 - q (bit q of index)
            t = np.moveaxis(np.tensordot(rx, t, axes=([1], [n - 1 - q])), 0, n - 1 - q)
        psi = t.reshape(-1)
    return float(np.sum(np.abs(psi[p.optimal_states()]) ** 2))


@pytest.mark.parametrize("n,p", [(5, 1), (7, 3), (9, 2), (10, 5), (12, 4), (13, 10)])
def test_published_overlap_reproduced_to_1e6(n, p):
    row = published_angles(n, p, convention="qokit")
    g, b = convert_angles(row["gamma"], row["beta"], "qokit")
    lab = LABS(n)
    d = lab.diagonal()
    got = qaoa_optimum_probability(d, lab.optimal_states(d), g, b)
    assert got == pytest.approx(row["overlap"], abs=1e-6)
    if n <= 10:
        assert qokit_reference_overlap(n, row["gamma"], row["beta"]) == pytest.approx(got,
                                                                                   abs=1e-10)


def test_angle_conversion_and_table():
    g, b = qokit_to_qopt([0.4, 1.0], [-0.2, 0.3])
    assert g.tolist() == [0.2, 0.5] and b.tolist() == [-0.2, 0.3]
    g2, b2 = qopt_to_qokit(g, b)
    assert np.allclose(g2, [0.4, 1.0]) and np.allclose(b2, [-0.2, 0.3])
    assert qokit_to_qopt([1.0], [0.1], energy_scale=0.5)[0].tolist() == [1.0]
    row = published_angles(8, 2)                              # qopt convention by default
    raw = published_angles(8, 2, convention="qokit")
    assert np.allclose(row["gamma"], np.array(raw["gamma"]) / 2)
    assert len(published_rows(22)) > 500
    with pytest.raises(OptionError, match="p in"):
        published_angles(8, 99)
    with pytest.raises(OptionError, match="convention"):
        convert_angles([0.1], [0.1], "qiskit")
    with pytest.raises(OptionError):
        qokit_to_qopt([0.1, 0.2], [0.1])


def _random_hubo(rng, n):
    terms = {tuple(rng.choice(n, size=d, replace=False).tolist()): float(rng.normal())
             for d in (1, 2, 2, 3, 3, 4, 4, 4)}
    return HUBO(terms, num_vars=n, offset=0.25)


@pytest.mark.parametrize("seed", [0, 1])
def test_circuit_with_cubic_and_quartic_terms_matches_the_engine_on_aer(seed):
    from qiskit import transpile
    from qiskit_aer import AerSimulator

    rng = np.random.default_rng(seed)
    h = _random_hubo(rng, 6)
    assert h.degree == 4
    g, b = rng.uniform(-1, 1, size=2), rng.uniform(-1, 1, size=2)
    qc = qaoa_circuit(h, g, b)
    qc.save_statevector()
    sim = AerSimulator(method="statevector")
    aer = np.asarray(sim.run(transpile(qc, sim)).result().get_statevector())
    eng = StatevectorEngine(6).qaoa_state(h.diagonal(), g, b)
    np.testing.assert_allclose(aer, eng, atol=1e-12)        # global phase included
    two = sum(1 for inst in qc.data if inst.operation.name in ("cx", "rzz"))
    assert two == qaoa_resources(h, 2)["two_qubit_gates"]


def test_labs_circuit_reproduces_the_published_overlap():
    from qiskit.quantum_info import Statevector

    n = 7
    row = published_angles(n, 2)
    lab = LABS(n)
    h = _labs_hubo(lab)
    qc = qaoa_circuit(h, row["gamma"], row["beta"])
    probs = np.abs(Statevector(qc).data) ** 2
    assert probs[lab.optimal_states()].sum() == pytest.approx(row["overlap"], abs=1e-6)
    four_body = sum(1 for inst in qc.data if inst.operation.name == "cx")
    assert four_body == 2 * 3 * len(h.terms[4][1]) * 2       # p = 2 layers of 6 CNOTs each


def _labs_hubo(lab):
    from qopt.model.convert import program_to_hubo

    return program_to_hubo(lab.to_program())


def test_hubo_expectation_agrees_across_backends_and_brute_force():
    from qiskit.circuit.library import real_amplitudes
    from qiskit.quantum_info import Statevector

    from qopt.backends.registry import get_backend

    rng = np.random.default_rng(5)
    h = _random_hubo(rng, 5)
    qc = real_amplitudes(5, reps=2)
    theta = rng.uniform(-np.pi, np.pi, qc.num_parameters)
    probs = np.abs(Statevector(qc.assign_parameters(theta)).data) ** 2
    ref = float(probs @ h.energy(indices_to_bits(np.arange(32), 5)))
    for spec in ("statevector", "aer"):
        be = get_backend(spec, seed=0)
        try:
            got = float(np.atleast_1d(be.expectation(qc, theta, h))[0])
        finally:
            be.close()
        assert got == pytest.approx(ref, abs=1e-9), spec


def test_vqe_on_an_8_variable_hubo_uses_8_qubits():
    import qopt

    rng = np.random.default_rng(0)
    h = _random_hubo(rng, 8)
    r = qopt.solve(h, solver="vqe", seed=1, maxiter=20)
    assert r.num_qubits == 8 and r.info["cost_degree"] == 4
    assert r.info.get("quadratisation") is None
    assert r.objective == pytest.approx(float(h.energy(np.array(r.solution))))


def test_qaoa_on_an_8_variable_hubo_uses_8_qubits_and_matches_aer_and_lightning():
    import qopt

    rng = np.random.default_rng(2)
    h = _random_hubo(rng, 8)
    r = qopt.solve(h, solver="qaoa", seed=1, p=2, maxiter=20)
    assert r.num_qubits == 8 and r.info["cost_degree"] == 4
    assert r.info.get("quadratisation") is None
    angles = {"gamma": r.info["gammas"], "beta": r.info["betas"]}
    fixed = qopt.solve(h, solver="qaoa", p=2, angles=angles, maxiter=0, seed=0)
    aer = qopt.solve(h, solver="qaoa", p=2, angles=angles, maxiter=0, seed=0, backend="aer")
    assert fixed.info["expectation"] == pytest.approx(aer.info["expectation"], abs=1e-9)
    assert aer.num_qubits == 8 and aer.two_qubit_gates > 0
    pytest.importorskip("pennylane_lightning")
    lit = qopt.solve(h, solver="qaoa", p=2, angles=angles, maxiter=0, seed=0,
                     backend="lightning")
    assert fixed.info["expectation"] == pytest.approx(lit.info["expectation"], abs=1e-9)


def test_fixed_angle_qaoa_in_qokit_convention_gives_the_published_overlap():
    import qopt

    raw = published_angles(12, 4, convention="qokit")
    r = qopt.solve("labs:12", solver="qaoa", p=4, maxiter=0, seed=0, convention="qokit",
                   angles={"gamma": raw["gamma"], "beta": raw["beta"]})
    assert r.num_qubits == 12 and r.info["fixed_angles"]
    assert r.info["angle_convention"] == "qokit"
    assert r.info["gammas"] == pytest.approx(np.array(raw["gamma"]) / 2)
    assert r.info["probability_optimum_exact"] == pytest.approx(raw["overlap"], abs=1e-6)
    with pytest.raises(OptionError, match="give angles"):
        qopt.solve("labs:8", solver="qaoa", convention="qokit")
    with pytest.raises(OptionError, match="convention"):
        qopt.solve("labs:8", solver="qaoa", convention="cirq", maxiter=0, p=4,
                   angles={"gamma": raw["gamma"], "beta": raw["beta"]})


def test_subspace_cost_keeps_higher_order_terms():
    import qopt
    from qopt.backends.subspace import FeasibleSubspace
    from qopt.model.program import BinaryProgram
    from qopt.problems.custom import ProgramProblem
    from qopt.solvers.quantum.qaoa_subspace import (
        constrained_cost,
        setup_constrained,
        subspace_energies,
    )

    prog = BinaryProgram(6, linear=[0.5, -0.2, 0.1, 0.3, -0.4, 0.2],
                         terms={(0, 2, 4): 3.0, (1, 3, 5, 0): -2.0, (1, 2, 5): 1.5})
    for g in ((0, 1), (2, 3), (4, 5)):
        row = np.zeros(6)
        row[list(g)] = 1
        prog.add_constraint(row, "==", 1)
    problem = ProgramProblem(prog)
    mixer, _ = setup_constrained(problem, "xy-complete")
    cost = constrained_cost(prog, mixer)
    assert cost.degree == 4 and cost.num_vars == 6          # no auxiliary bits
    space = FeasibleSubspace.build(mixer)
    X = space.bits(np.arange(space.size))
    assert space.size == 8
    np.testing.assert_allclose(subspace_energies(space, cost), prog.objective(X), atol=1e-12)
    r = qopt.solve(problem, solver="qaoa", mixer="xy-complete", p=2, maxiter=30, seed=0)
    assert r.num_qubits == 6 and r.feasible


def test_opt_mapper_hubo_solved_by_qaoa_on_8_qubits():
    """Issue #18's acceptance: an unconstrained 8-variable OptimizationProblem with cubic and
    quartic terms, solved by qaoa on 8 qubits (no auxiliary qubits), objective as opt-mapper
    evaluates it."""
    import qopt

    om = pytest.importorskip("qiskit_addon_opt_mapper")
    op = om.OptimizationProblem("hubo8")
    for i in range(8):
        op.binary_var(f"x{i}")
    op.minimize(linear={"x0": 1, "x3": -2}, quadratic={("x1", "x2"): 1.5, ("x4", "x7"): -1},
                higher_order={3: {("x0", "x1", "x5"): 2.0, ("x2", "x6", "x7"): -1.0},
                              4: {("x3", "x4", "x5", "x6"): -3.0}})
    r = qopt.solve(op, solver="qaoa", p=2, seed=1, maxiter=30)
    assert r.num_qubits == 8 and r.info["cost_degree"] == 4
    assert r.info.get("quadratisation") is None
    x = [r.values[f"x{i}"] for i in range(8)]
    assert r.objective == pytest.approx(op.objective.evaluate(x))


def test_sweep_counts_the_qubits_the_solver_uses():
    """A sweep's qubit check sees the cost the solver takes: qaoa runs LABS 6 on 6 qubits (the
    quartic cost itself), so a statevector limit of 8 qubits keeps it (the quadratised QUBO
    would need 13); ma-qaoa takes the quadratisation and is skipped, naming its 13 qubits."""
    from qopt.experiments import parse_config
    from qopt.experiments.execution import execute

    cfg = parse_config('backends = ["statevector"]\nseeds = [0]\n[limits]\nstatevector = 8\n'
                       '[[problems]]\nkind = "labs"\nsizes = [6]\n'
                       '[[solvers]]\nname = "qaoa"\noptions = { maxiter = 2 }\n'
                       '[[solvers]]\nname = "ma-qaoa"\noptions = { maxiter = 2 }\n')
    rows = {r.solver: execute(r) for r in cfg.runs}
    assert rows["qaoa"]["status"] == "done" and rows["qaoa"]["qubits"] == 6
    assert rows["ma-qaoa"]["status"] == "skipped"
    assert "needs 13 qubits" in rows["ma-qaoa"]["reason"]
