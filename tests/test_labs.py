"""LABS: energies against the definition and brute force, the shipped optima, the skew-symmetric
reduction, QOBLIB .sol files, the polynomial diagonal, and memetic tabu search."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import qopt
from qopt.bits import indices_to_bits
from qopt.errors import InstanceFormatError, OptionError, SizeLimitError
from qopt.model.poly_diagonal import exact_dtype, polynomial_diagonal, term_masks
from qopt.problems.labs import (
    LABS,
    labs_energy,
    optimal_energy,
    read_solution,
    spins_of,
    write_solution,
)

DATA = Path(__file__).parent / "data" / "labs"     # QOBLIB commit de698d45d874


def energy_by_definition(s) -> int:
    """E = sum_k C_k^2 written out as in Packebusch & Mertens (1-based in the paper)."""
    n = len(s)
    return sum(sum(s[i] * s[i + k] for i in range(n - k)) ** 2 for k in range(1, n))


def all_spins(n):
    return spins_of(indices_to_bits(np.arange(2 ** n), n))


# ---- energies and optima -----------------------------------------------------------------
def test_energy_matches_the_definition_on_random_sequences():
    rng = np.random.default_rng(0)
    for n in (2, 3, 7, 20, 41):
        S = rng.choice([-1, 1], size=(5, n))
        assert labs_energy(S).tolist() == [energy_by_definition(list(s)) for s in S]


@pytest.mark.parametrize("n", range(2, 15))
def test_brute_force_minimum_is_the_shipped_optimum(n):
    assert labs_energy(all_spins(n)).min() == optimal_energy(n)


@pytest.mark.parametrize("n", [16, 18, 20])
def test_diagonal_minimum_is_the_shipped_optimum_up_to_20(n):
    p = LABS(n)
    d = p.diagonal()
    assert d.dtype == np.float32                       # LABS energies are exact in float32
    rng = np.random.default_rng(n)
    idx = rng.integers(0, 2 ** n, size=200)
    X = indices_to_bits(idx, n)
    assert np.array_equal(d[idx], labs_energy(spins_of(X)))
    assert d.min() == p.optimum == optimal_energy(n)


def test_shipped_table_and_merit_factor():
    assert optimal_energy(13) == 6 and optimal_energy(66) == 257 and optimal_energy(67) is None
    p = LABS(13)
    best = p.encode([1, 1, 1, 1, 1, -1, -1, 1, 1, -1, 1, -1, 1])     # the Barker sequence
    assert p.evaluate(best) == 6
    assert p.merit_factor(best) == pytest.approx(169 / 12)
    assert "Packebusch" in p.source
    assert LABS(70).optimum is None


def test_load_generate_and_bad_input():
    p = qopt.load("labs:13")
    assert isinstance(p, LABS) and p.n == 13 and p.optimum == 6 and p.num_vars == 13
    q = qopt.load("labs:13-skew")
    assert q.skew and q.num_vars == 7
    assert qopt.generate("labs", 9).n == 9
    assert qopt.load("labs:labs013").name == "labs013"           # QOBLIB's instance names
    assert qopt.load("labs:labs013_skew").skew and qopt.load("labs:13_skew").num_vars == 7
    for bad in (1, 0, -3, 2.5, "7", True):
        with pytest.raises(OptionError):
            LABS(bad)
    with pytest.raises(OptionError, match="odd"):
        LABS(10, skew=True)
    with pytest.raises(OptionError):
        qopt.load("labs:x13")
    with pytest.raises(OptionError, match="spins"):
        LABS(5).encode([1, 0, 1, 1, 1])


def test_encode_decode_round_trip():
    p = LABS(9)
    rng = np.random.default_rng(1)
    for x in rng.integers(0, 2, size=(10, 9)):
        assert np.array_equal(p.encode(p.decode(x)), x)
        assert p.decode(x) == (1 - 2 * x).tolist()


@pytest.mark.parametrize("n,skew", [(8, False), (9, True)])
def test_program_and_hubo_equal_the_energy_on_every_state(n, skew):
    from qopt.model.convert import program_to_hubo

    p = LABS(n, skew=skew)
    prog = p.to_program()
    assert prog.degree == 4 and prog.num_vars == p.num_vars
    X = indices_to_bits(np.arange(2 ** p.num_vars), p.num_vars)
    ref = np.array([energy_by_definition(s) for s in np.array([p.decode(x) for x in X])])
    assert np.array_equal(prog.objective(X), ref)
    h = program_to_hubo(prog)
    assert np.array_equal(h.diagonal(), ref) and np.array_equal(p.diagonal(), ref)


@pytest.mark.parametrize("n,skew", [(66, False), (131, True)])
def test_program_is_the_energy_beyond_63_variables(n, skew):
    """Long sequences (N >= 65, or skew with more than 63 free spins): the term list must not
    depend on 64-bit masks (1 << 64 overflowed: labs:66 solved a different polynomial)."""
    from qopt.model.convert import program_to_hubo
    from qopt.model.poly import groups_values

    p = LABS(n, skew=skew)
    X = np.random.default_rng(n).integers(0, 2, size=(20, p.num_vars))
    ref = np.array([energy_by_definition(s) for s in np.array([p.decode(x) for x in X])])
    terms, offset = p.spin_polynomial
    assert np.array_equal(groups_values(terms, 1 - 2 * X, spin=True) + offset, ref)
    assert np.array_equal(program_to_hubo(p.to_program()).energy(X), ref)
    with pytest.raises(OptionError, match="63 variables"):
        term_masks({2: (np.array([[0, 64]]), np.array([1.0]))}, 65)


# ---- skew-symmetric reduction ------------------------------------------------------------
def test_skew_sequences_are_skew_symmetric_with_zero_odd_correlations():
    from qopt.problems.labs import autocorrelations

    p = LABS(11, skew=True)
    X = indices_to_bits(np.arange(2 ** p.num_vars), p.num_vars)
    S = np.array([p.decode(x) for x in X])
    c = p.num_vars - 1
    for j in range(1, c + 1):
        assert np.array_equal(S[:, c + j], (-1) ** j * S[:, c - j])
    assert np.all(autocorrelations(S)[:, 0::2] == 0)          # C_1, C_3, ... vanish
    assert np.array_equal(p.diagonal(), p.evaluate(X))        # substituted polynomial


@pytest.mark.parametrize("n", [3, 5, 7, 9, 11, 13, 15, 17])
def test_skew_optima_by_brute_force_over_all_sequences(n):
    S = all_spins(n)
    c = (n + 1) // 2 - 1
    skew = np.ones(len(S), dtype=bool)
    for j in range(1, c + 1):
        skew &= S[:, c + j] == (-1) ** j * S[:, c - j]
    best = labs_energy(S[skew]).min()
    assert LABS(n, skew=True).optimum == best
    assert best >= optimal_energy(n)


# ---- QOBLIB .sol files ---------------------------------------------------------------------
@pytest.mark.parametrize("name,n,energy", [("labs013.opt.sol", 13, 6),
                                           ("labs040.opt.sol", 40, 108),
                                           ("labs066.bst.sol", 66, 417)])
def test_read_qoblib_solutions(name, n, energy):
    stated, bits = read_solution(DATA / name)
    assert stated == energy and len(bits) == n
    assert energy_by_definition(list(1 - 2 * bits.astype(int))) == energy
    p = LABS.read(DATA / name)
    assert p.n == n and p.evaluate(bits) == energy


def test_write_then_read_and_qoblib_layout(tmp_path):
    _, bits = read_solution(DATA / "labs013.opt.sol")
    out = tmp_path / "x.sol"
    assert write_solution(out, bits) == 6
    assert out.read_text() == (DATA / "labs013.opt.sol").read_text()


def test_bad_solution_files_name_the_line(tmp_path):
    f = tmp_path / "bad.sol"
    f.write_text("# Energy: 5\n0\n1\n2\n")
    with pytest.raises(InstanceFormatError, match="line 4"):
        read_solution(f)
    f.write_text("# Energy: 7\n0\n0\n0\n")
    with pytest.raises(InstanceFormatError, match=r"line 1.*states energy 7.*is 5"):
        read_solution(f)
    with pytest.raises(InstanceFormatError):
        read_solution(tmp_path / "missing.sol")


def test_qoblib_submission_of_labs_runs_writes_full_sequences(tmp_path):
    """A LABS sweep reported as a QOBLIB submission, end to end: instances named as in
    ``qopt.load`` (``"7"``, ``"9-skew"``), every solution file a full sequence of N lines whose
    stated energy is the sequence's and the run's objective (a skew-symmetric run used to write
    its free half only, with that half's energy), accepted by QOBLIB's own validator."""
    import subprocess
    import sys

    from qopt.experiments.config import parse_config
    from qopt.experiments.report import write_report
    from tests.sweep_runs import run_into_store

    cfg = parse_config('name = "labs"\nseeds = [0]\n[[problems]]\nkind = "labs"\n'
                       'instances = ["7", "9-skew"]\n[[solvers]]\nname = "exact"\n'
                       '[[solvers]]\nname = "anneal"\n', source="labs.toml", base_dir=tmp_path)
    run_into_store(cfg, tmp_path / "results")
    out = tmp_path / "submission"
    write_report(tmp_path / "results", out, formats="qoblib-submission", submitter="Ada")
    sols = sorted(out.glob("*/*/solutions/*.sol"))
    assert {s.parent.parent.name for s in sols} == {"labs007", "labs009_skew"}
    assert len(sols) == 4
    for sol in sols:
        n = 9 if "labs009" in sol.name else 7
        stated, bits = read_solution(sol)            # refuses a stated energy that is not
        assert len(bits) == n                         # the sequence's
        objective = float(sol.read_text().split("objective ")[1].split()[0])
        assert stated == objective == energy_by_definition(list(1 - 2 * bits.astype(int)))
        assert LABS(n, skew=n == 9).optimum == stated          # exact and anneal: optimal
    from qopt.errors import ConfigError

    with pytest.raises(ConfigError, match=r"instances\[0\].*odd length"):
        parse_config('[[problems]]\nkind = "labs"\ninstances = ["10-skew"]\n'
                     '[[solvers]]\nname = "exact"\n', source="bad.toml")
    checker = Path(__file__).parent / "qoblib" / "check_submission.py"
    for root in sorted(p for p in out.iterdir() if p.is_dir()):
        for pattern in ("labs007", "labs009_skew"):
            proc = subprocess.run([sys.executable, str(checker), str(root),
                                   "--strict-problem-match", "--instance-pattern", pattern],
                                  capture_output=True, text=True, timeout=300)
            assert proc.returncode == 0 and "Overall: OK" in proc.stdout, proc.stdout


# ---- polynomial diagonal -------------------------------------------------------------------
def _random_poly(rng, n, k=40, max_degree=4):
    terms = {}
    for d in range(1, max_degree + 1):
        terms[d] = (rng.integers(0, n, size=(k, d)), rng.normal(size=k))
    return terms


def _brute(terms, n, offset, vartype):
    X = indices_to_bits(np.arange(2 ** n), n).astype(float)
    V = 1 - 2 * X if vartype == "spin" else X
    out = np.full(2 ** n, offset)
    for idx, coef in terms.values():
        out += np.prod(V[:, idx], axis=2) @ coef
    return out


@pytest.mark.parametrize("vartype", ["spin", "binary"])
@pytest.mark.parametrize("n,low", [(1, None), (6, 0), (9, 3), (11, None), (12, 5)])
def test_polynomial_diagonal_against_brute_force(vartype, n, low):
    rng = np.random.default_rng(n)
    terms = _random_poly(rng, n)
    ref = _brute(terms, n, 0.25, vartype)
    d = polynomial_diagonal(terms, n, 0.25, vartype=vartype, low_bits=low, use_numba=True)
    assert d.dtype == np.float64
    np.testing.assert_allclose(d, ref, atol=1e-9)
    np.testing.assert_allclose(polynomial_diagonal(terms, n, 0.25, vartype=vartype,
                                                   use_numba=False), ref, atol=1e-9)


def test_repeated_variables_reduce_by_the_algebra():
    masks, coefs = term_masks([(np.array([[0, 0, 1]]), np.array([2.0]))], 3, "spin")
    assert masks.tolist() == [2] and coefs.tolist() == [2.0]        # s0^2 s1 = s1
    masks, coefs = term_masks([(np.array([[0, 0, 1]]), np.array([2.0]))], 3, "binary")
    assert masks.tolist() == [3]                                     # x0^2 x1 = x0 x1


def test_float32_only_when_exact():
    assert exact_dtype(np.array([2.0, 4.0]), 3.0) == np.float32
    assert exact_dtype(np.array([0.5])) == np.float64
    assert exact_dtype(np.array([2.0 ** 24])) == np.float64


def test_diagonal_memory_refused_before_allocation():
    with pytest.raises(SizeLimitError, match="diagonal"):
        polynomial_diagonal({}, 30, memory_limit=1 << 20)
    with pytest.raises(SizeLimitError, match="limit is 40"):
        polynomial_diagonal({}, 41)
    with pytest.raises(OptionError):
        polynomial_diagonal({2: (np.array([[0, 5]]), np.array([1.0]))}, 3)


# ---- memetic tabu search -------------------------------------------------------------------
def test_mts_reaches_the_optimum_and_is_reproducible():
    r = qopt.solve("labs:21", solver="mts", seed=3)
    assert r.objective == 26 and r.gap == 0 and r.info["target_reached"]
    assert r.info["evaluations_to_target"] == r.evaluations
    again = qopt.solve("labs:21", solver="mts", seed=3)
    assert again.solution == r.solution and again.evaluations == r.evaluations
    assert labs_energy(np.array([r.decoded]))[0] == 26


def test_mts_budget_is_exact_and_counted():
    r = qopt.solve("labs:30", solver="mts", seed=0, budget=5000, target_energy=None)
    assert r.evaluations == 5000
    assert r.objective >= optimal_energy(30)


def test_mts_beyond_the_term_list_limit_and_values_without_the_program():
    """mts needs no polynomial: a sequence longer than the term list's limit is searched, and
    the result's values come without building the O(N^3) program (it used to be built after
    the run, and refused there)."""
    from qopt.problems.labs import MAX_TERMS_N

    r = qopt.solve(f"labs:{MAX_TERMS_N + 50}", solver="mts", seed=0, budget=2000,
                   postprocess=False)
    assert r.evaluations == 2000 and len(r.values) == MAX_TERMS_N + 50
    assert r.values["x0"] == r.solution[0]
    p = LABS(9, skew=True)
    assert p.values([1, 0, 1, 1, 0]) == dict(zip(p.to_program().var_names, [1, 0, 1, 1, 0]))


def test_mts_stops_when_a_child_itself_meets_the_target():
    """Time to solution is honest: the run stops at the first evaluation that meets the target,
    also when a child is optimal before its tabu search (one tabu iteration, heavy mutation
    makes that frequent); that used to go unrecorded, the run went on and reported a later
    (or no, -1) evaluations_to_target."""
    opts = dict(population=2, tabu_min=0.01, tabu_max=0.01, mutation_rate=0.5)
    checked = 0
    for n, seed in [(n, s) for n in (8, 11) for s in range(8)]:
        r = qopt.solve(f"labs:{n}", solver="mts", seed=seed, postprocess=False, **opts)
        assert r.info["target_reached"]
        assert r.info["evaluations_to_target"] == r.evaluations
        g = r.info["generations"]
        if g > 1:                     # one generation fewer has not met the target yet
            checked += 1
            early = qopt.solve(f"labs:{n}", solver="mts", seed=seed, postprocess=False,
                               generations=g - 1, **opts)
            assert not early.info["target_reached"], (n, seed)
    assert checked >= 8


def test_mts_returns_only_sequences_it_paid_for():
    """A budget below the population: only the members the budget evaluated come back (the
    others used to be evaluated too, uncharged, and returned)."""
    from qopt.solvers.base import Task
    from qopt.solvers.classical.mts import MTSSolver

    out = MTSSolver().run(Task(LABS(20)), seed=0, budget=50)
    assert out.evaluations == 50
    assert 1 <= len(out.samples.bits) <= 50
    assert np.array_equal(np.sort(labs_energy(spins_of(out.samples.bits))),
                          labs_energy(spins_of(out.samples.bits)))       # best first


def test_mts_refuses_what_it_cannot_search():
    with pytest.raises(OptionError, match="LABS"):
        qopt.solve(qopt.generate("maxcut", 6), solver="mts")
    with pytest.raises(OptionError, match="skew"):
        qopt.solve("labs:11-skew", solver="mts")
    with pytest.raises(OptionError):
        qopt.solve("labs:11", solver="mts", population=1)
    with pytest.raises(OptionError):
        qopt.solve("labs:11", solver="mts", crossover_rate=1.5)
