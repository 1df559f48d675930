"""Device runs recorded, replayed without a device, and resumed after a SIGKILL; device facts
in every device result; mitigation= / record= refused where they cannot apply."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("qiskit_ibm_runtime")
pytest.importorskip("mthree")

import qopt
from qopt.backends.record import Record, ReplayError
from qopt.errors import OptionError
from qopt.problems.maxcut import MaxCut
from qopt.records import differences

ROOT = Path(__file__).resolve().parents[1]
#: one recorded call, small enough for fake:manila (5 qubits): 8 jobs (a calibration, 6
#: estimates with their folds) and the final samples
CALL = dict(solver="qaoa", p=1, backend="fake:manila", seed=3, shots=128, maxiter=6,
            mitigation="readout,zne")
SCRIPT = """
import sys, qopt
from qopt.problems.maxcut import MaxCut
r = qopt.solve(MaxCut.generate(4, seed=1), "qaoa", p=1, backend="fake:manila", seed=3,
               shots=128, maxiter=6, mitigation="readout,zne", record=sys.argv[1])
print(r.to_json())
"""


def _problem():
    return MaxCut.generate(4, seed=1)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """An uninterrupted recorded run: (record directory, result)."""
    path = tmp_path_factory.mktemp("rec") / "run"
    return path, qopt.solve(_problem(), record=path, **CALL)


def test_device_facts_in_the_result(recorded):
    _, r = recorded
    dev = r.info["device"]
    assert dev["name"] == "fake_manila" and dev["num_qubits"] == 4
    assert len(dev["layout"]) == len(dev["measured"]) == 4
    assert set(dev["layout"]) == set(dev["measured"]) <= set(range(5))
    assert dev["depth"] == r.depth and dev["two_qubit_gates"] == r.two_qubit_gates > 0
    assert dev["calibration_time"]
    readout = {q["qubit"]: q["readout_error"] for q in dev["qubits"]}
    assert set(dev["measured"]) <= set(readout)
    assert all(p["error"] > 0 for p in dev["pairs"])
    # ESP <= the readout part alone (every other factor is <= 1)
    bound = np.prod([1 - readout[q] for q in dev["measured"]])
    assert 0 < dev["estimated_success_probability"] < bound
    mit = r.info["mitigation"]
    assert mit["spec"] == "readout,zne" and mit["scales"] == [1, 3, 5]
    assert mit["calibration_shots_total"] == 2 * 128
    assert mit["calibrations"][0]["qubits"] == dev["measured"]


def test_record_holds_circuits_counts_and_the_call(recorded):
    path, r = recorded
    man = json.loads((path / "record.json").read_text())
    assert man["state"] == "done" and man["call"]["seed"] == 3
    assert man["call"]["mitigation"] == "readout,zne" and "qiskit" in man["versions"]
    jobs = sorted((path / "jobs").glob("*.json"))
    assert len(jobs) == r.info["record"]["jobs"] == r.info["record"]["executed"] >= 3
    first = json.loads(jobs[0].read_text())
    assert first["kind"] == "calibration" and first["job_id"] and first["state"] == "done"
    est = json.loads(jobs[1].read_text())
    assert est["kind"] == "estimate" and len(est["circuits"]) == 3      # scales 1, 3, 5
    with np.load(jobs[1].with_suffix(".npz")) as z:
        assert z["cnt_0_0"].sum() == z["cnt_2_0"].sum() == 128
        assert z["values_0"].shape == (1, 2)
    from qiskit import qpy

    meta = json.loads((path / "circuits" / (est["circuits"][0] + ".json")).read_text())
    assert meta["parameters"] == ["beta[0]", "gamma[0]"]
    with open(path / "circuits" / (est["circuits"][2] + ".qpy"), "rb") as fh:
        fold5 = qpy.load(fh)[0]
    assert fold5.num_qubits == 5 and fold5.num_parameters == 2


def test_replay_recomputes_the_result_without_a_device(recorded, monkeypatch):
    path, r = recorded

    def no_device(*a, **k):
        raise AssertionError("a replay ran a job")

    monkeypatch.setattr("qopt.backends.fake.FakeIBMBackend.submit_job", no_device)
    monkeypatch.setattr("qopt.backends.fake.fake_device", no_device)
    again = qopt.replay(path)
    assert again.info["replay"]["identical"], again.info["replay"]["differences"]
    assert again.solution == r.solution and again.objective == r.objective
    assert again.history == r.history and again.info["expectation"] == r.info["expectation"]
    assert again.backend == "fake:manila" and again.info["replay"]["jobs"] == len(
        list((path / "jobs").glob("*.json")))


def test_replay_refuses_a_record_that_does_not_match(recorded, tmp_path):
    import shutil

    path, _ = recorded
    bad = tmp_path / "bad"
    shutil.copytree(path, bad)
    job = bad / "jobs" / "00002.json"
    meta = json.loads(job.read_text())
    meta["seed"] += 1
    job.write_text(json.dumps(meta))
    with pytest.raises(ReplayError, match="job 2 differs from the record in seed"):
        qopt.replay(bad)
    with pytest.raises(OptionError, match="finished record"):
        qopt.solve(_problem(), record=path, **CALL)
    with pytest.raises(OptionError, match="not a qopt record"):
        qopt.replay(tmp_path)


def test_killed_run_resumes_without_rerunning_finished_jobs(recorded, tmp_path):
    """A recorded solve in a subprocess is SIGKILLed after some jobs have finished; the same
    call resumes it: the finished jobs come from the record, only the rest run, and the
    result equals the uninterrupted run's (job ids aside: they are new for every job)."""
    _, full = recorded
    path = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(path)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while len(list((path / "jobs").glob("*.npz"))) < 3:
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = len(list((path / "jobs").glob("*.npz")))
    assert json.loads((path / "record.json").read_text())["state"] == "running"
    total = full.info["record"]["jobs"]
    assert 3 <= finished < total
    resumed = qopt.solve(_problem(), record=path, **CALL)
    rec = resumed.info["record"]
    assert rec["mode"] == "resume" and rec["jobs"] == total
    assert rec["reused"] == finished and rec["executed"] == total - finished
    diff = [d for d in differences(resumed.to_dict(), full.to_dict()) if ".jobs" not in d]
    assert diff == []
    assert resumed.solution == full.solution and resumed.history == full.history


def test_mitigation_and_record_refused_where_they_cannot_apply(tmp_path):
    p = _problem()
    with pytest.raises(OptionError, match="simulator"):
        qopt.solve(p, "qaoa", mitigation="readout", seed=1)
    with pytest.raises(OptionError, match="classical"):
        qopt.solve(p, "anneal", mitigation="readout", seed=1)
    with pytest.raises(OptionError, match="explicit seed"):
        qopt.solve(p, "qaoa", backend="fake:manila", record=tmp_path / "r")
    with pytest.raises(OptionError, match="device"):
        qopt.solve(p, "qaoa", backend="aer", record=tmp_path / "r", seed=1)
    with pytest.raises(OptionError, match="unknown mitigation"):
        qopt.solve(p, "qaoa", backend="fake:manila", mitigation="rem", seed=1)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    with pytest.raises(OptionError, match="not a qopt record"):
        qopt.solve(p, "qaoa", backend="fake:manila", seed=1, record=tmp_path / "full")
    assert not (tmp_path / "r").exists()


def test_unfinished_record_of_another_call_is_refused(tmp_path):
    rec = Record.start(tmp_path / "r", {"seed": 1}, {})
    assert rec.mode == "record"
    with pytest.raises(OptionError, match="another solve"):
        qopt.solve(_problem(), record=tmp_path / "r", **CALL)


class _StubService:
    """Stands in for QiskitRuntimeService: a fake device and the jobs it ran, by id."""

    def __init__(self, device):
        self.device = device
        self.jobs = {}

    def backend(self, name):
        return self.device

    def job(self, job_id):
        return self.jobs[job_id]


def test_ibm_run_resumes_by_job_id(tmp_path, monkeypatch):
    """The client dies after job 2 was submitted to IBM Quantum but before its result came
    back: the resumed run reads jobs 0-1 from the record and job 2 back by its id (never
    submitting them again), then runs the rest."""
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    from qopt.backends.ibm import IBMBackend

    monkeypatch.setattr("qopt.backends.ibm.check_credentials", lambda *a: None)
    service = _StubService(FakeManilaV2())
    submitted = []
    submit = IBMBackend.submit_job

    def submit_and_keep(self, pubs, shots, seed):
        job = submit(self, pubs, shots, seed)
        service.jobs[job.job_id()] = job
        submitted.append(job.job_id())
        return job

    monkeypatch.setattr(IBMBackend, "submit_job", submit_and_keep)
    save = Record._save_counts

    def die_at_job_2(self, n, *args):
        if n == 2:
            raise KeyboardInterrupt            # the client process dies
        return save(self, n, *args)

    def backend():
        b = IBMBackend("ibm_fake_manila", mode="job")
        b._service = service
        return b

    call = dict(solver="qaoa", p=1, seed=3, shots=64, maxiter=4, record=tmp_path / "r",
                mitigation="readout")
    monkeypatch.setattr(Record, "_save_counts", die_at_job_2)
    with pytest.raises(KeyboardInterrupt):
        qopt.solve(_problem(), backend=backend(), **call)
    assert len(submitted) == 3
    assert json.loads((tmp_path / "r" / "jobs" / "00002.json").read_text())["state"] == \
        "submitted"
    monkeypatch.setattr(Record, "_save_counts", save)
    r = qopt.solve(_problem(), backend=backend(), **call)
    rec = r.info["record"]
    assert rec["reused"] == 3 and rec["executed"] == rec["jobs"] - 3
    assert len(submitted) == 3 + rec["executed"]
    assert r.info["device"]["name"] == "fake_manila" and r.backend == "ibm:ibm_fake_manila"


def test_cli_record_then_replay_gives_the_same_result(tmp_path, capsys):
    """`qopt solve ... --backend fake:sherbrooke --record DIR --json`, then
    `qopt replay DIR --json`: the same objective and solution, identical result."""
    from qopt.cli.app import main

    rec = tmp_path / "rec"
    argv = ["solve", "maxcut", "--size", "6", "--seed", "2", "--solver", "qaoa", "--p", "1",
            "--backend", "fake:sherbrooke", "--shots", "100", "--maxiter", "2",
            "--mitigation", "readout", "--record", str(rec), "--json", "--no-progress"]
    assert main(argv) == 0
    solved = json.loads(capsys.readouterr().out)
    assert main(["replay", str(rec), "--json"]) == 0
    replayed = json.loads(capsys.readouterr().out)
    assert replayed["objective"] == solved["objective"]
    assert replayed["solution"] == solved["solution"]
    assert replayed["info"]["replay"]["identical"] is True
    assert solved["info"]["device"]["name"] == "fake_sherbrooke"
    assert solved["info"]["mitigation"]["spec"] == "readout"
    assert main(["replay", str(rec)]) == 0                          # the table form
    table = capsys.readouterr().out
    assert "fake_sherbrooke, layout [" in table and "readout (200 calibration shots)" in table
    assert main(["replay", str(tmp_path), "--json"]) == 2          # not a record
    assert "not a qopt record" in capsys.readouterr().err


def test_solvers_reading_raw_counts_refuse_mitigation():
    from qopt.backends.registry import get_backend

    with pytest.raises(OptionError, match="raw counts"):
        qopt.solve(_problem(), "qrao", backend="fake:manila", mitigation="readout", seed=1)
    # the backend's own mitigation too (qrao mixed mitigated and raw estimates, and its
    # shots left the calibration out)
    own = get_backend("fake:manila", mitigation="readout,zne")
    with pytest.raises(OptionError, match="raw counts"):
        qopt.solve(_problem(), "qrao", backend=own, seed=1)
    with pytest.raises(OptionError, match="made with mitigation='readout,zne'"):
        qopt.solve(_problem(), "qaoa", backend=own, mitigation="zne", seed=1)
    assert own.usage.jobs == [] and not own._prepared


def test_a_backend_object_calibrates_again_in_each_recorded_solve(tmp_path):
    """One backend object, two recorded solves: the second calibrates its own readout (its
    record holds the calibration job, so it replays; its info and shots count only its own
    calibration) instead of reusing the first solve's calibration, which its record lacks."""
    from qopt.backends.registry import get_backend

    b = get_backend("fake:manila", mitigation="readout")
    call = dict(solver="qaoa", p=1, backend=b, seed=3, shots=64, maxiter=1)
    first = qopt.solve(_problem(), record=tmp_path / "a", **call)
    second = qopt.solve(_problem(), record=tmp_path / "b", **call)
    for r in (first, second):
        assert r.info["mitigation"]["calibration_shots_total"] == 128
        assert len(r.info["mitigation"]["calibrations"]) == 1
    assert second.shots == first.shots and second.history == first.history
    assert json.loads((tmp_path / "b" / "jobs" / "00000.json").read_text())["kind"] == \
        "calibration"
    again = qopt.replay(tmp_path / "b")
    assert again.info["replay"]["identical"], again.info["replay"]["differences"]


def test_replay_keeps_the_reference_the_solve_was_given(tmp_path):
    """optimum= / reference= are part of the recorded call: the replay measures gap and
    ratios against the same C* from the same source (its seconds are a timing)."""
    p = MaxCut(4, [(0, 1), (1, 2), (2, 3), (3, 0)], name="ring4")      # no best-known value
    call = dict(solver="qaoa", p=1, backend="fake:manila", seed=3, shots=64, maxiter=1,
                reference="exact")
    r = qopt.solve(p, record=tmp_path / "r", **call)
    assert r.reference["source"] == "exact" and r.reference["value"] == 4.0
    again = qopt.replay(tmp_path / "r")
    assert again.info["replay"]["identical"], again.info["replay"]["differences"]
    assert again.reference["source"] == "exact" and again.gap == r.gap is not None
    assert json.loads((tmp_path / "r" / "record.json").read_text())["call"]["reference"] == \
        "exact"


def test_a_run_on_a_qiskit_sampler_replays(tmp_path):
    """record= takes any Qiskit sampler (a device backend); its record replays without it."""
    from qiskit_aer.primitives import SamplerV2

    sampler = SamplerV2(options={"run_options": {"seed": 5}})
    r = qopt.solve(_problem(), "qaoa", p=1, backend=sampler, seed=3, shots=64, maxiter=2,
                   mitigation="readout", record=tmp_path / "r")
    again = qopt.replay(tmp_path / "r")
    assert again.info["replay"]["identical"], again.info["replay"]["differences"]
    assert again.backend == r.backend and again.history == r.history


def _copy(path, to, *, running=False):
    import shutil

    shutil.copytree(path, to)
    if running:
        man = json.loads((to / "record.json").read_text())
        man["state"] = "running"
        (to / "record.json").write_text(json.dumps(man))
        (to / "result.json").unlink()
    return to


def test_damaged_records_are_refused_naming_the_file(recorded, tmp_path):
    """A truncated counts or circuit file, a missing pickled problem or a manifest without
    the call: a ReplayError naming the file, not a zip / QPY / key error."""
    path, _ = recorded
    cases = {
        r"jobs/00001\.npz": lambda d: (d / "jobs" / "00001.npz").write_bytes(b"PK\x03\x04"),
        r"_measured\.qpy": lambda d: [f.write_bytes(f.read_bytes()[:40])
                                      for f in (d / "circuits").glob("*_measured.qpy")],
        r"problem\.pkl": lambda d: (d / "problem.pkl").unlink(),
        r"record\.json: .*call": lambda d: (d / "record.json").write_text('{"format": 1}'),
    }
    for i, (names_file, damage) in enumerate(cases.items()):
        bad = _copy(path, tmp_path / f"case{i}")
        damage(bad)
        with pytest.raises(ReplayError, match=names_file):
            qopt.replay(bad)


def test_an_unfinished_record_replays_only_after_resuming(recorded, tmp_path):
    """A record whose run stopped early is refused by replay as unfinished (not as a changed
    call); resuming it completes it, also when the run died between writing a circuit's QPY
    and its metadata."""
    path, full = recorded
    part = _copy(path, tmp_path / "part", running=True)
    last = sorted((part / "jobs").glob("*.json"))[-1]
    last.unlink()
    last.with_suffix(".npz").unlink()
    with pytest.raises(ReplayError, match="record is unfinished"):
        qopt.replay(part)
    for f in (part / "circuits").glob("*_fold3.json"):
        f.unlink()                                   # its .qpy was written, then the kill
    resumed = qopt.solve(_problem(), record=part, **CALL)
    assert resumed.info["record"]["executed"] == 1 and resumed.history == full.history
    assert qopt.replay(part).info["replay"]["identical"]


def test_record_into_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(OptionError, match="not a directory"):
        Record.start(tmp_path / "f", {}, {})


class _StubJobs:
    """What Record.job needs of a backend: jobs by id, the ones in ``failed`` end failed."""

    spec = "stub"

    def __init__(self):
        from qopt.backends.base import Usage

        self.usage = Usage()
        self.submitted: list[str] = []
        self.failed: set[str] = set()

    def record_options(self):
        return {}

    def submit_job(self, pubs, shots, seed):
        self.submitted.append(f"job{len(self.submitted)}")
        return self.submitted[-1]

    def job_id(self, handle):
        return handle

    def fetch_job(self, job_id):
        return job_id

    def collect_job(self, handle, pubs):
        from qopt.backends.base import JobFailedError

        if handle in self.failed:
            raise JobFailedError(handle, "CANCELLED")
        return [[(np.array([0, 1]), np.array([3, 5]))] for _ in pubs]


def test_resume_resubmits_a_job_that_failed_on_the_device(tmp_path):
    """A job submitted before the kill that the device then cancelled has no counts to read
    back: the resumed run submits it again (once) instead of failing on it for ever."""
    from qiskit import QuantumCircuit

    from qopt.backends.base import JobFailedError

    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    pubs = [("c_measured", qc, None)]
    stub = _StubJobs()
    stub.failed.add("job0")
    with pytest.raises(JobFailedError):
        Record.start(tmp_path / "r", {"seed": 1}, {}).job(stub, "sample", pubs, 8, 1)
    rec = Record.start(tmp_path / "r", {"seed": 1}, {})
    counts = rec.job(stub, "sample", pubs, 8, 1)
    assert stub.submitted == ["job0", "job1"] and counts[0][0][1].tolist() == [3, 5]
    meta = json.loads((tmp_path / "r" / "jobs" / "00000.json").read_text())
    assert meta["job_id"] == "job1" and meta["replaces"] == ["job0"] and meta["state"] == "done"
    assert rec.summary()["executed"] == 1
