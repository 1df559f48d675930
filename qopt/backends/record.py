"""Records of device runs: every executed ISA circuit, job and count, written as it happens,
so that a run can be replayed without a device and a killed run resumed.

Layout of a record directory::

    record.json            format, the solve call, versions, state (running | done)
    problem.pkl            the problem, when the solve was given an object (not a name / file)
    circuits/<id>.qpy      each executed ISA circuit (QPY), <id> = <logical fingerprint>_<role>
    circuits/<id>.json     its parameter map (parameter names in column order), device facts
    jobs/<n>.json          job n: kind, circuit ids, shots, seed, sha256 of the bound values,
                           job id, state (submitted | done), times, QPU seconds, options
    jobs/<n>.npz           job n: bound parameter values per circuit, raw counts per row
    result.json            the SolveResult, once the run finished

Files are written atomically (temporary file, then rename), the job's JSON on submission
(with the job id), then its counts (the ``.npz``: a job with one is finished), then its JSON
again, so a run killed at any point leaves a record whose finished jobs are complete. Roles:
``measured`` (the circuit itself), ``fold<s>`` (ZNE folds), ``cal0`` / ``cal1`` (readout
calibration).

Modes: ``record`` (a new run), ``resume`` (the same call again: recorded jobs are checked
against the request and served from the record, or fetched by job id when only submitted;
the rest run and are appended), ``replay`` (nothing runs: every job comes from the record,
and a request the record does not hold is a :class:`ReplayError`).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from qopt.backends.base import BackendError, JobFailedError
from qopt.errors import OptionError

FORMAT = 1
MODES = ("record", "resume", "replay")


class ReplayError(BackendError):
    """A replayed or resumed run asked for something its record does not hold."""


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_json(path: Path, obj) -> None:
    _write_atomic(Path(path), json.dumps(obj, indent=1, sort_keys=True).encode())


def read_json(path: Path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ReplayError(f"{path}: cannot read ({type(exc).__name__}: {exc})") from None


def circuit_fingerprint(circuit) -> str:
    """sha256 (first 16 hex digits) of a circuit's structure: widths, and each instruction's
    name, qubit and clbit indices and parameters (as text: ``gamma[0]``, floats by repr).
    Stable across processes (unlike QPY bytes, which hold parameter UUIDs)."""
    h = hashlib.sha256()
    h.update(f"{circuit.num_qubits},{circuit.num_clbits};".encode())
    for inst in circuit.data:
        qs = ",".join(str(circuit.find_bit(q).index) for q in inst.qubits)
        cs = ",".join(str(circuit.find_bit(c).index) for c in inst.clbits)
        ps = ",".join(repr(float(p)) if isinstance(p, float | int) else str(p)
                      for p in inst.operation.params)
        h.update(f"{inst.operation.name}|{qs}|{cs}|{ps};".encode())
    return h.hexdigest()[:16]


def values_digest(values: np.ndarray | None) -> str:
    """sha256 of bound parameter values (float64 bytes and shape)."""
    if values is None:
        return "none"
    v = np.ascontiguousarray(values, dtype=np.float64)
    return hashlib.sha256(str(v.shape).encode() + v.tobytes()).hexdigest()[:16]


def _comparable(call: dict) -> dict:
    """A solve call as resume compares it: a pickled problem by its presence only (its bytes
    may differ with cached attributes; the jobs' requests, checked one by one, would differ
    for another problem)."""
    target = call.get("target")
    if isinstance(target, dict) and "pickle" in target:
        call = {**call, "target": {k: v for k, v in target.items() if k != "sha256"}}
    return call


class Record:
    """A record directory in one of :data:`MODES` (see the module docstring)."""

    def __init__(self, path, mode: str, manifest: dict):
        if mode not in MODES:
            raise OptionError(f"record mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.path = Path(path)
        self.mode = mode
        self.manifest = manifest
        self._next = 0
        self.reused = 0            # jobs served from the record (resume / replay)
        self.executed = 0          # jobs run now
        if mode != "replay":
            (self.path / "circuits").mkdir(parents=True, exist_ok=True)
            (self.path / "jobs").mkdir(parents=True, exist_ok=True)
        self._recorded = len(list((self.path / "jobs").glob("*.json")))

    # ---- opening --------------------------------------------------------------------------
    @classmethod
    def start(cls, path, call: dict, versions: dict) -> Record:
        """A new record at ``path`` (missing or empty directory), or the resumption of the
        unfinished record of the same ``call`` there."""
        p = Path(path)
        man_path = p / "record.json"
        if man_path.exists():
            man = read_json(man_path)
            if man.get("state") == "done":
                raise OptionError(f"{p} holds a finished record; replay it with `qopt replay "
                                  f"{p}` (qopt.replay) or record into a new directory")
            old = _comparable(man.get("call", {}))
            new = _comparable(call)
            if old != new:
                diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
                raise OptionError(f"{p} holds the unfinished record of another solve (differs "
                                  f"in: {', '.join(diff)}); resume it with the same call or "
                                  "record into a new directory")
            rec = cls(p, "resume", man)
            rec.manifest.setdefault("resumed", []).append(time.strftime("%Y-%m-%dT%H:%M:%S"))
            write_json(man_path, rec.manifest)
            return rec
        if p.exists() and not p.is_dir():
            raise OptionError(f"record={str(p)!r} is a file, not a directory; give a new or "
                              "empty directory")
        if p.exists() and any(p.iterdir()):
            raise OptionError(f"record directory {p} exists and is not a qopt record; give a "
                              "new or empty directory")
        p.mkdir(parents=True, exist_ok=True)
        man = {"format": FORMAT, "state": "running", "call": call, "versions": versions,
               "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
        write_json(man_path, man)
        return cls(p, "record", man)

    @classmethod
    def open_replay(cls, path) -> Record:
        """An existing record, for replay (nothing will run)."""
        p = Path(path)
        if not (p / "record.json").exists():
            raise OptionError(f"{p} is not a qopt record (no record.json)")
        man = read_json(p / "record.json")
        if man.get("format") != FORMAT:
            raise ReplayError(f"{p}: record format {man.get('format')!r}, this qopt reads "
                              f"{FORMAT}")
        if not isinstance(man.get("call"), dict):
            raise ReplayError(f"{p / 'record.json'}: no solve call recorded (not a complete "
                              "qopt record)")
        return cls(p, "replay", man)

    @property
    def call(self) -> dict:
        return self.manifest["call"]

    def finish(self, result: dict) -> None:
        """Write the result and mark the record done (record / resume modes)."""
        if self.mode == "replay":
            return
        write_json(self.path / "result.json", result)
        self.manifest.update(state="done", jobs=self._next,
                             finished=time.strftime("%Y-%m-%dT%H:%M:%S"))
        write_json(self.path / "record.json", self.manifest)

    # ---- circuits -------------------------------------------------------------------------
    def _circuit_path(self, cid: str, ext: str) -> Path:
        return self.path / "circuits" / f"{cid}.{ext}"

    def _has_circuit(self, cid: str) -> bool:
        """Whether circuit ``cid`` is recorded: its metadata is written first, its QPY last,
        so a run killed in between has not recorded it (resume makes and records it again)."""
        return (self._circuit_path(cid, "qpy").exists()
                and self._circuit_path(cid, "json").exists())

    def load_circuit(self, cid: str):
        """(circuit, its metadata) recorded under ``cid``, or None when not recorded."""
        qpy_path = self._circuit_path(cid, "qpy")
        if not self._has_circuit(cid):
            if self.mode == "replay":
                raise ReplayError(f"{self.path}: the replay needs circuit {cid}, which the "
                                  "record does not hold (the solve call or qopt changed)")
            return None
        from qiskit import qpy

        meta = read_json(self._circuit_path(cid, "json"))
        try:
            with open(qpy_path, "rb") as fh:
                circ = qpy.load(fh)[0]
        except Exception as exc:  # truncated or damaged file, or another QPY version
            raise ReplayError(f"{qpy_path}: cannot read the circuit ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
        return circ, meta

    def save_circuit(self, cid: str, circuit, meta: dict) -> None:
        if self.mode == "replay" or self._has_circuit(cid):
            return
        import io

        from qiskit import qpy

        buf = io.BytesIO()
        qpy.dump(circuit, buf)
        write_json(self._circuit_path(cid, "json"),
                   {**meta, "parameters": [p.name for p in circuit.parameters]})
        _write_atomic(self._circuit_path(cid, "qpy"), buf.getvalue())

    # ---- jobs -----------------------------------------------------------------------------
    def job(self, backend, kind: str, pubs, shots: int, seed: int):
        """Counts of one job (``pubs``: [(circuit id, circuit, values (k, P) or None)]):
        [per pub: [per row: (indices, counts)]], from the record or run by ``backend``."""
        n = self._next
        self._next += 1
        request = {"kind": kind, "circuits": [cid for cid, _, _ in pubs], "shots": int(shots),
                   "seed": int(seed), "values": [values_digest(v) for _, _, v in pubs]}
        jpath = self.path / "jobs" / f"{n:05d}.json"
        if n < self._recorded:
            meta = read_json(jpath)
            got = {k: meta.get(k) for k in request}
            if got != request:
                bad = [k for k in request if got[k] != request[k]]
                raise ReplayError(f"{self.path}: job {n} differs from the record in "
                                  f"{', '.join(bad)} (the solve call, the code or a package "
                                  "version changed); cannot resume or replay it")
            # the counts file is written atomically once the counts are in: it marks the job
            # done even when the process died before the job file said so
            if meta.get("state") == "done" or (self.path / "jobs" / f"{n:05d}.npz").exists():
                self.reused += 1
                backend.usage.jobs.append(meta.get("job_id") or f"record:{n}")
                if meta.get("quantum_seconds") is not None:      # what the job cost then
                    backend.usage.qpu_time = ((backend.usage.qpu_time or 0.0)
                                              + float(meta["quantum_seconds"]))
                return self._load_counts(n, len(pubs))
            if self.mode == "replay":
                raise ReplayError(f"{self.path}: job {n} was submitted but its result is not "
                                  "in the record (the run was killed); resume the run first")
            replaced = list(meta.get("replaces", []))
            handle = backend.fetch_job(meta.get("job_id"))     # None: rerun it
            if handle is not None:
                try:
                    counts = backend.collect_job(handle, [p[1:] for p in pubs])
                except JobFailedError:
                    # failed or cancelled on the device: it has no counts; submit it again
                    replaced.append(meta.get("job_id"))
                else:
                    self.reused += 1
                    self._save_counts(n, meta, pubs, counts, backend)
                    return counts
            request["replaces"] = replaced
        elif self.mode == "replay":
            if self.manifest.get("state") != "done":
                raise ReplayError(f"{self.path}: the record is unfinished (state "
                                  f"{self.manifest.get('state')!r}: the run was killed or "
                                  f"still runs; it holds {self._recorded} jobs): resume it "
                                  "with the same solve call first")
            raise ReplayError(f"{self.path}: the replay asks for job {n}, the record holds "
                              f"{self._recorded} (the solve call, the code or a package "
                              "version changed)")
        meta = {**request, "state": "submitted", "submitted": time.time(),
                "options": backend.record_options(), "backend": backend.spec}
        for cid, circ, _ in pubs:
            self.save_circuit(cid, circ, {})
        handle = backend.submit_job([p[1:] for p in pubs], shots, seed)
        meta["job_id"] = backend.job_id(handle)
        write_json(jpath, meta)
        counts = backend.collect_job(handle, [p[1:] for p in pubs])
        self.executed += 1
        self._save_counts(n, meta, pubs, counts, backend)
        return counts

    def _save_counts(self, n: int, meta: dict, pubs, counts, backend) -> None:
        arrays: dict[str, np.ndarray] = {}
        for i, (_, _, values) in enumerate(pubs):
            if values is not None:
                arrays[f"values_{i}"] = np.asarray(values, dtype=np.float64)
            for r, (idx, c) in enumerate(counts[i]):
                arrays[f"idx_{i}_{r}"] = np.asarray(idx, dtype=np.int64)
                arrays[f"cnt_{i}_{r}"] = np.asarray(c, dtype=np.int64)
        import io

        buf = io.BytesIO()
        np.savez(buf, **arrays)
        _write_atomic(self.path / "jobs" / f"{n:05d}.npz", buf.getvalue())
        meta = {**meta, "state": "done", "finished": time.time(),
                "rows": [len(c) for c in counts],
                "quantum_seconds": getattr(backend, "last_quantum_seconds", None)}
        write_json(self.path / "jobs" / f"{n:05d}.json", meta)

    def _load_counts(self, n: int, num_pubs: int):
        path = self.path / "jobs" / f"{n:05d}.npz"
        try:
            with np.load(path) as z:
                rows = [sum(1 for key in z.files if key.startswith(f"idx_{i}_"))
                        for i in range(num_pubs)]
                if not all(rows):
                    raise KeyError(f"no counts of pub {rows.index(0)}")
                return [[(z[f"idx_{i}_{r}"], z[f"cnt_{i}_{r}"]) for r in range(rows[i])]
                        for i in range(num_pubs)]
        except Exception as exc:  # truncated, damaged or foreign file
            raise ReplayError(f"{path}: cannot read the counts of job {n} "
                              f"({type(exc).__name__}: {exc})") from None

    def summary(self) -> dict[str, Any]:
        """``info["record"]``: where, mode, jobs recorded / reused / executed."""
        return {"path": str(self.path), "mode": self.mode, "jobs": self._next,
                "reused": self.reused, "executed": self.executed}


__all__ = ["FORMAT", "MODES", "Record", "ReplayError", "circuit_fingerprint", "read_json",
           "values_digest", "write_json"]
