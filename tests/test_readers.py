"""Readers: every shipped instance parses with its indexed sizes; malformed files raise
InstanceFormatError naming the file and the right line."""

from __future__ import annotations

import numpy as np
import pytest

from qopt.errors import InstanceFormatError, QoptError
from qopt.problems import MDKP, MIS, QAP, MarketSplit, MaxCut, kinds, load, shipped_index
from qopt.problems.reader import TokenReader

SHIPPED = [(k, name) for k in ("mdkp", "mis", "qap", "maxcut", "msp") for name in shipped_index(k)]


def sizes(problem) -> dict:
    if problem.kind == "mdkp":
        return {"n": problem.num_vars, "m": problem.num_constraints}
    if problem.kind in ("mis", "maxcut"):
        return {"nodes": problem.n, "edges": len(problem.edges)}
    if problem.kind == "qap":
        return {"n": problem.n}
    if problem.kind == "msp":
        return {"m": problem.num_products, "n": problem.num_vars}
    raise AssertionError(problem.kind)


def test_shipped_counts():
    assert len(shipped_index("mdkp")) == 12
    assert len(shipped_index("mis")) == 7
    assert len(shipped_index("qap")) == 11
    assert 4 <= len(shipped_index("maxcut")) <= 6
    assert {v["size"]["m"] for v in shipped_index("msp").values()} == {2, 3, 4, 5}
    assert set(kinds()) == {"mdkp", "mis", "qap", "maxcut", "msp", "labs"}


@pytest.mark.parametrize(("kind", "name"), SHIPPED)
def test_shipped_instance_parses(kind, name):
    entry = shipped_index(kind)[name]
    problem = load(kind, name)
    assert problem.name == name
    assert sizes(problem) == entry["size"]
    assert problem.optimum == entry["optimum"] and problem.optimum is not None
    program = problem.to_program()
    assert program.num_vars == problem.num_vars
    # the file's data made it into the program: e.g. mdkp has one row per constraint
    if kind == "mdkp":
        assert program.num_constraints == entry["size"]["m"]
    if kind == "mis":
        assert program.num_constraints == entry["size"]["edges"]


def test_mdkp_file_optimum_and_override(tmp_path):
    p = tmp_path / "a.dat"
    p.write_text("2 1 7\n3 4\n1 1\n1\n")
    assert MDKP.read(p).optimum == 7
    assert MDKP.read(p, optimum=5).optimum == 5
    p.write_text("2 1 0\n3 4\n1 1\n1\n")
    assert MDKP.read(p).optimum is None


def test_mdkp_reads_hp1_values():
    p = load("mdkp", "hp1")
    assert p.profits[:3].tolist() == [560, 1125, 68]
    assert p.weights.shape == (4, 28)
    assert p.weights[0, :3].tolist() == [40, 91, 3]


def test_qap_reads_matrices():
    p = load("qap", "chr12a")
    assert p.flow[0, :5].tolist() == [0, 90, 10, 23, 43]
    assert p.flow.shape == p.distance.shape == (12, 12)


def test_mis_reads_one_based_ids():
    p = load("mis", "1tc.8")
    assert p.labels == list(range(1, 9))
    assert sorted(map(tuple, (p.edges + 1).tolist()))[0] == (2, 3)


@pytest.mark.parametrize("cls,size", [(MDKP, (6, 3)), (MIS, 9), (QAP, 4), (MaxCut, 8),
                                      (MarketSplit, 3)])
def test_write_read_roundtrip(tmp_path, cls, size):
    a = cls.generate(size, 5)
    path = tmp_path / "inst.txt"
    a.write(path)
    b = cls.read(path)
    X = np.random.default_rng(0).integers(0, 2, size=(64, a.num_vars), dtype=np.uint8)
    np.testing.assert_array_equal(a.evaluate(X), b.evaluate(X))
    np.testing.assert_array_equal(a.violation(X), b.violation(X))


def test_write_keeps_large_integers_exact(tmp_path):
    a = QAP([[0, 39464925], [7, 0]], [[0, 58098], [1, 0]])
    a.write(tmp_path / "q.dat")
    b = QAP.read(tmp_path / "q.dat")
    assert b.flow[0, 1] == 39464925 and b.distance[0, 1] == 58098


def test_weighted_maxcut_roundtrip(tmp_path):
    a = MaxCut(3, [[0, 1], [1, 2]], [2.5, -1.0])
    a.write(tmp_path / "g.txt")
    b = MaxCut.read(tmp_path / "g.txt")
    assert b.weights.tolist() == [2.5, -1.0]
    assert b.labels == [1, 2, 3]


# ---- malformed files ------------------------------------------------------------------------
MALFORMED = [
    # (class, content, line, fragment of the message)
    (MDKP, "", 1, "expected the number of items, file ends at line 1 after 0"),
    (MDKP, "3 2 0\n1 2 3\n4 5 6\n", 3, "expected 6 weights, file ends at line 3 after 3"),
    (MDKP, "28 4 3418\n1 2 3\n", 2, "expected 28 profits, file ends at line 2 after 3"),
    (MDKP, "3 1 0\n1 2 3\n4 5 6\n", 3, "expected 1 capacities, file ends at line 3 after 0"),
    (MDKP, "3 1 0\n1 x 3\n4 5 6\n7\n", 2, "profits: 'x' is not a number"),
    (MDKP, "3 1 0\n1 2 3\n\n4 5 6\n7 8\n", 5, "unexpected extra token '8'"),
    (MDKP, "0 1 0\n", 1, "the number of items must be at least 1"),
    (MDKP, "2.5 1 0\n1 2\n1 1\n3\n", 1, "the number of items: '2.5' is not an integer"),
    (MIS, "p edge 4 2\ne 1 2\n", 2, "expected 2 edges, file ends at line 2 after 1"),
    (MIS, "c hello\np edge 4 2\ne 1 2\ne 2 x\n", 4, "edge: 'x' is not an integer"),
    (MIS, "p edge 4 2\ne 1 2\ne 2 5\n", 3, "vertex id 5 outside 1..4"),
    (MIS, "p edge 4 2\ne 0 2\ne 2 3\n", 2, "vertex id 0 outside 1..4"),
    (MIS, "p edge 4 1\ne 1 2\ne 2 3\n", 3, "more than the 1 edges"),
    (MIS, "e 1 2\np edge 4 1\n", 1, "edge before the 'p edge N M' line"),
    (MIS, "c only a comment\n", 1, "no 'p edge N M' line"),
    (MIS, "p edge 4 1\ne 1 2 3\n", 2, "expected 'e u v'"),
    (MIS, "p edge 4 1\nx 1 2\n", 2, "unknown line type 'x'"),
    (MIS, "p edge 4\n", 1, "expected 'p edge N M'"),
    (MIS, "p edge 4 1\ne 3 3\n", 2, "self-loop on vertex 3"),
    (QAP, "3\n0 1 2\n1 0 3\n2 3 0\n0 5 6\n5 0\n", 6, "expected 9 distance matrix entries, "
                                                   "file ends at line 6 after 5"),
    (QAP, "2\n0 1\n1 0\n0 q\n1 0\n", 4, "distance matrix entries: 'q' is not a number"),
    (QAP, "2\n0 1\n1 0\n0 1\n1 0\n9\n", 6, "unexpected extra token '9'"),
    (QAP, "two\n", 1, "the size n: 'two' is not an integer"),
    (MaxCut, "3 3\n1 2 1\n2 3 1\n", 3, "expected 3 edges, file ends at line 3 after 2"),
    (MaxCut, "3 2\n1 2 1\n2 4 1\n", 3, "vertex id 4 outside 1..3"),
    (MaxCut, "3 2\n1 2 1\n2 3 heavy\n", 3, "edge weight: 'heavy' is not a number"),
    (MaxCut, "3 2\n1 2 1\n2 3 1 7\n", 3, "expected 'i j w'"),
    (MaxCut, "3 1\n1 2 1\n2 3 1\n", 3, "more than the 1 edges"),
    (MaxCut, "3\n1 2 1\n", 1, "expected 'n m'"),
    (MaxCut, "", 1, "empty file"),
    (MarketSplit, "2 3\n1 2 3 9\n", 2, "expected 2 rows of 4 integers"),
    (MarketSplit, "2 3\n1 2 3 7\n4 ? 6 8\n", 3, "row entries (integers): '?' is not an integer"),
    (MarketSplit, "1 2\n1 2 1\n5\n", 3, "more than the 1 rows the header announces"),
    (MarketSplit, "2 3\n1 2 3\n4 5 6\n7 8\n", 2, "needs '2 3 legacy' as its header"),
    (MarketSplit, "2 3 legacy\n1 2 3\n4 ? 6\n7 8\n", 3, "coefficients: '?' is not an integer"),
]


@pytest.mark.parametrize(("cls", "content", "line", "fragment"), MALFORMED)
def test_malformed_file_names_file_and_line(tmp_path, cls, content, line, fragment):
    path = tmp_path / f"bad_{cls.kind}.txt"
    path.write_text(content)
    with pytest.raises(InstanceFormatError) as info:
        cls.read(path)
    err = info.value
    assert isinstance(err, QoptError)
    assert err.path == str(path)
    assert err.line == line
    assert str(err).startswith(f"{path}, line {line}: ")
    assert fragment in str(err)


def test_missing_file_names_the_file(tmp_path):
    path = tmp_path / "nope.dat"
    with pytest.raises(InstanceFormatError, match=r"nope\.dat: cannot read"):
        MDKP.read(path)


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "bin.dat"
    path.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(InstanceFormatError, match="not a text file"):
        QAP.read(path)


def test_load_reads_a_path_and_reports_errors(tmp_path):
    good = tmp_path / "g.txt"
    good.write_text("p edge 3 1\ne 1 3\n")
    assert load("mis", str(good)).num_vars == 3
    bad = tmp_path / "b.txt"
    bad.write_text("p edge 3 1\ne 1 4\n")
    with pytest.raises(InstanceFormatError, match=r"b\.txt, line 2"):
        load("mis", str(bad))


def test_token_reader_tracks_lines():
    r = TokenReader("mem", text="c x\n1 2\n\n  3\n4 5 6\n", comment_prefixes=("c",))
    assert r.take(2, "a").tolist() == [1, 2]
    assert r.line() == 4
    assert r.take(1, "b").tolist() == [3]
    assert r.take(3, "c", float).tolist() == [4.0, 5.0, 6.0]
    assert r.remaining == 0 and r.last_line == 5
    with pytest.raises(InstanceFormatError, match="mem, line 5: expected 2 d"):
        r.take(2, "d")
