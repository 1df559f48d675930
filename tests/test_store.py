"""Results store: WAL SQLite, unique run keys, row round trip, schema upgrade."""

from __future__ import annotations

import sqlite3

import pytest

from qopt.experiments.store import COLUMNS, ResultStore


def row(key: str, **kw) -> dict:
    base = {"run_key": key, "sweep": "s", "problem_class": "maxcut", "instance": "g",
            "solver": "exact", "label": "exact", "status": "done", "seed": 0,
            "repetition": 0, "feasible": True, "objective": 5.0, "gap": 0.0,
            "options": {"p": 2}}
    base.update(kw)
    return base


def test_wal_and_unique_keys(tmp_path):
    with ResultStore(tmp_path / "deep" / "results.sqlite") as st:
        mode = st.conn.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
        assert st.insert(row("a"))
        assert not st.insert(row("a", objective=6.0))        # same key: ignored
        assert st.insert(row("b", status="failed", error="boom", feasible=None))
        assert len(st) == 2
        assert st.keys() == {"a", "b"} and st.keys("failed") == {"b"}
        rows = st.rows()
    assert rows[0]["objective"] == 5.0                      # the first write stays
    assert rows[0]["feasible"] == 1 and rows[1]["feasible"] is None
    assert rows[0]["options"] == '{"p": 2}'
    assert rows[1]["error"] == "boom"
    # the UNIQUE constraint itself refuses duplicates, whatever the writer
    conn = sqlite3.connect(tmp_path / "deep" / "results.sqlite")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO runs (run_key, status) VALUES ('a', 'done')")
    conn.close()


def test_bad_rows_are_refused(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as st:
        with pytest.raises(KeyError, match="colour"):
            st.insert(row("a", colour="red"))
        with pytest.raises(ValueError, match="status"):
            st.insert(row("a", status="maybe"))
        assert len(st) == 0


def test_open_dir_or_file_and_reader_sees_committed_rows(tmp_path):
    writer = ResultStore.open(tmp_path)
    assert writer.path == tmp_path / "results.sqlite"
    reader = ResultStore.open(tmp_path / "results.sqlite")
    for i in range(5):
        writer.insert(row(f"k{i}", seed=i))
        assert len(reader) == i + 1          # every row is committed on its own
    df = reader.dataframe()
    assert list(df["seed"]) == list(range(5))
    assert df["feasible"].tolist() == [True] * 5
    writer.delete(["k0", "k3", "nope"])
    assert reader.keys() == {"k1", "k2", "k4"}
    writer.close()
    reader.close()


def test_skipped_unavailable_keys(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as st:
        st.insert(row("a", status="skipped", reason="solver not available"))
        st.insert(row("b", status="skipped", reason="needs 144 qubits, statevector limit 30"))
        assert st.keys_skipped_unavailable() == {"a"}


def test_old_store_gains_new_columns(tmp_path):
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, run_key TEXT NOT NULL UNIQUE, "
                 "status TEXT NOT NULL)")
    conn.execute("INSERT INTO runs (run_key, status) VALUES ('old', 'done')")
    conn.commit()
    conn.close()
    with ResultStore(path) as st:
        assert {r[1] for r in st.conn.execute("PRAGMA table_info(runs)")} >= set(COLUMNS)
        st.insert(row("new", qubits=7))
        rows = {r["run_key"]: r for r in st.rows()}
    assert rows["old"]["qubits"] is None and rows["new"]["qubits"] == 7
