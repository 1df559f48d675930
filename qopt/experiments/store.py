"""Results store: SQLite in WAL mode, one row per run in table ``runs`` (``run_key`` unique).

Only the sweep's parent process writes; each row is committed on its own before the next run
starts, so a killed sweep loses at most the runs in flight and a re-run skips stored keys.
Row ``status`` is ``done`` (a SolveResult is stored), ``failed`` (``error`` says why, e.g.
``timeout after 5 s``) or ``skipped`` (``reason`` says why, e.g. ``needs 144 qubits,
statevector limit 30``). Times are seconds; ``gap`` is a fraction (0.05 = 5 %).

A store is new only when its file does not exist; it is built beside its path and moved into
place in one step, so a kill or a concurrent reader never meets a half-made file. An existing
file is checked when opened (SQLite's ``quick_check``): a 0-byte, truncated or garbage file raises
:class:`~qopt.errors.StoreError` naming the file and how to recover, as does any SQLite error
later (never a bare ``sqlite3.DatabaseError``).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from qopt.errors import StoreError

#: column name -> SQLite type, in table order
COLUMNS: dict[str, str] = {
    "run_key": "TEXT NOT NULL UNIQUE",
    "sweep": "TEXT",
    "problem_class": "TEXT",
    "instance": "TEXT",
    "size": "NUMERIC",
    "num_vars": "INTEGER",
    "solver": "TEXT",
    "label": "TEXT",
    "options": "TEXT",
    "backend": "TEXT",
    "budget": "INTEGER",
    "seed": "INTEGER",
    "repetition": "INTEGER",
    "status": "TEXT NOT NULL",
    "reason": "TEXT",
    "error": "TEXT",
    "solver_status": "TEXT",
    "sense": "TEXT",
    "optimum": "REAL",
    "feasible": "INTEGER",
    "objective": "REAL",
    "gap": "REAL",
    "approx_ratio": "REAL",
    "energy": "REAL",
    "raw_feasible": "INTEGER",
    "raw_objective": "REAL",
    "raw_gap": "REAL",
    "raw_approx_ratio": "REAL",
    "raw_energy": "REAL",
    "prob_optimum": "REAL",
    "prob_optimum_exact": "REAL",
    "expectation_ratio": "REAL",
    "expectation_ratio_se": "REAL",
    "qubits": "INTEGER",
    "num_slack": "INTEGER",
    "depth": "INTEGER",
    "two_qubit_gates": "INTEGER",
    "evaluations": "INTEGER",
    "shots": "INTEGER",
    "objective_evaluations": "INTEGER",
    "shots_total": "INTEGER",
    "circuit_executions": "INTEGER",
    "wall_time": "REAL",
    "compile_time": "REAL",
    "time_classical": "REAL",
    "time_simulation": "REAL",
    "time_qpu": "REAL",
    "result": "TEXT",
    "spec": "TEXT",
    "host": "TEXT",
    "node": "TEXT",
    "started_at": "TEXT",
    "finished_at": "TEXT",
}

#: columns that vary between two executions of the same seeded run (timing, placement)
VOLATILE_COLUMNS = frozenset({"wall_time", "compile_time", "time_classical",
                              "time_simulation", "time_qpu", "host", "node", "started_at",
                              "finished_at", "result"})

STATUSES = ("done", "failed", "skipped")

_RECOVER = ("to recover, move it aside (mv {path} {path}.bad) and re-run the sweep, which "
            "starts a new store and runs every run again; rows may be salvaged with the sqlite3 "
            "shell's '.recover' command")


class ResultStore:
    """The ``runs`` table of ``path`` (a file, created with its directory when missing)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = None   # before _create: its errors go through _guard, which reads it
        if not self.path.exists():
            self._create()
        elif self.path.is_file() and self.path.stat().st_size == 0:
            raise StoreError(f"{self.path}: the results store is an empty (0-byte) file, not a "
                             f"SQLite database (only a missing file starts a new store); "
                             f"to recover, delete it (rm {self.path}) and re-run the sweep")
        with self._guard():
            self.conn = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None)
            bad = [r[0] for r in self.conn.execute("PRAGMA quick_check(3)")]
            if bad != ["ok"]:
                raise sqlite3.DatabaseError("; ".join(bad))
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            _create_table(self.conn)
            have = {r[1] for r in self.conn.execute("PRAGMA table_info(runs)")}
            for k, t in COLUMNS.items():   # stores written by an older qopt gain new columns
                if k not in have:
                    self.conn.execute(f"ALTER TABLE runs ADD COLUMN {k} "
                                      f"{t.replace(' UNIQUE', '')}")

    def _create(self) -> None:
        """Build an empty store beside ``path`` and move it into place in one step, so the
        path never holds a partly written (e.g. 0-byte) database: not after a kill, not for a
        reader that opens it meanwhile. If another process got there first, its store is kept."""
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.new")
        try:
            with self._guard():
                conn = sqlite3.connect(str(tmp), isolation_level=None)
                try:
                    conn.execute("PRAGMA journal_mode=WAL")     # persistent in the file
                    _create_table(conn)
                finally:
                    conn.close()
            try:
                os.link(tmp, self.path)          # fails, keeping theirs, if the path exists
            except FileExistsError:
                pass
            except OSError:                      # a file system without hard links
                if not self.path.exists():
                    os.replace(tmp, self.path)
        finally:
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{tmp}{suffix}")

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn SQLite errors into a StoreError naming this store and how to recover."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if self.conn is not None and not isinstance(exc, sqlite3.OperationalError):
                with contextlib.suppress(sqlite3.Error):
                    self.conn.close()
            text = str(exc)
            if any(w in text for w in ("locked", "busy")):
                raise StoreError(f"{self.path}: the results store is locked by another process "
                                 f"(sqlite: {text}); wait for the other sweep or report to "
                                 f"finish, then re-run") from None
            raise StoreError(f"{self.path}: the results store is damaged or not a qopt store "
                             f"(sqlite: {text}); {_RECOVER.format(path=self.path)}") from None

    @classmethod
    def open(cls, where: str | Path | ResultStore) -> ResultStore:
        """A store from a store, a ``.sqlite`` file, or a results directory."""
        if isinstance(where, ResultStore):
            return where
        return cls(cls.locate(where))

    @staticmethod
    def locate(where: str | Path) -> Path:
        """The store file of a ``.sqlite`` file or a results directory (``DIR/results.sqlite``)."""
        p = Path(where)
        if p.is_dir() or p.suffix not in (".sqlite", ".db", ".sqlite3"):
            p = p / "results.sqlite"
        return p

    # ---- writing ----------------------------------------------------------------------------
    def insert(self, row: dict[str, Any]) -> bool:
        """Commit one row; False (nothing written) if its ``run_key`` is already stored."""
        unknown = set(row) - set(COLUMNS)
        if unknown:
            raise KeyError(f"unknown result columns: {sorted(unknown)}")
        if row.get("status") not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {row.get('status')!r}")
        keys = list(row)
        sql = (f"INSERT OR IGNORE INTO runs ({', '.join(keys)}) "
               f"VALUES ({', '.join('?' for _ in keys)})")
        with self._guard():
            cur = self.conn.execute(sql, [_sql_value(row[k]) for k in keys])
        return cur.rowcount == 1

    def delete(self, run_keys: Iterable[str]) -> int:
        """Remove rows by key (used to retry failed runs); returns the number removed."""
        keys = list(run_keys)
        if not keys:
            return 0
        n = 0
        with self._guard():
            self.conn.execute("BEGIN IMMEDIATE")
            for k in keys:
                n += self.conn.execute("DELETE FROM runs WHERE run_key = ?", (k,)).rowcount
            self.conn.execute("COMMIT")
        return n

    # ---- reading ----------------------------------------------------------------------------
    def keys(self, status: str | None = None) -> set[str]:
        with self._guard():
            if status is None:
                return {r[0] for r in self.conn.execute("SELECT run_key FROM runs")}
            return {r[0] for r in self.conn.execute(
                "SELECT run_key FROM runs WHERE status = ?", (status,))}

    def keys_skipped_unavailable(self) -> set[str]:
        """Keys of rows skipped because their solver was not available."""
        with self._guard():
            return {r[0] for r in self.conn.execute(
                "SELECT run_key FROM runs WHERE status = 'skipped' AND reason LIKE "
                "'solver not available%'")}

    def __len__(self) -> int:
        with self._guard():
            return self.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

    def rows(self, sweep: str | None = None) -> list[dict[str, Any]]:
        """All rows (in insertion order) as dicts with the columns of :data:`COLUMNS`."""
        cols = ", ".join(COLUMNS)
        with self._guard():
            if sweep is None:
                cur = self.conn.execute(f"SELECT {cols} FROM runs ORDER BY id")
            else:
                cur = self.conn.execute(f"SELECT {cols} FROM runs WHERE sweep = ? ORDER BY id",
                                        (sweep,))
            data = cur.fetchall()
        names = list(COLUMNS)
        return [dict(zip(names, r)) for r in data]

    def dataframe(self, sweep: str | None = None):
        """The rows as a pandas DataFrame (booleans as bool, options/result JSON as text)."""
        import pandas as pd

        df = pd.DataFrame(self.rows(sweep), columns=list(COLUMNS))
        for c in ("feasible", "raw_feasible"):
            df[c] = df[c].map(lambda v: None if v is None or v != v else bool(v)).astype(object)
        return df

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _create_table(conn: sqlite3.Connection) -> None:
    cols = ", ".join(f"{k} {t}" for k, t in COLUMNS.items())
    conn.execute(f"CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, {cols})")


def _sql_value(v: Any) -> Any:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, dict | list | tuple):
        return json.dumps(v, sort_keys=True)
    return v


__all__ = ["COLUMNS", "STATUSES", "VOLATILE_COLUMNS", "ResultStore"]
