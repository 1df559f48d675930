"""A sweep on a real local Ray cluster (token authentication on), through `qopt sweep --engine
ray --address HOST:PORT` as a user runs it; rows name the Ray node, also for timeouts and dead
workers. The cluster (`ray start --head --block` in its own process group) is always stopped."""

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from qopt.cli import main
from qopt.experiments.store import ResultStore

ray = pytest.importorskip("ray")

START_SECONDS = 90

CONFIG = """
name = "on-ray"
plugins = ["experiments_toy"]
seeds = [0, 1]

[[problems]]
kind = "toyknap"
sizes = [5]

[[solvers]]
name = "toy-sample"
label = "ok"

[[solvers]]
name = "toy-sample"
label = "slow"
options = { sleep = 60.0 }
timeout = 1
seeds = [0]

[[solvers]]
name = "toy-sample"
label = "crash"
options = { crash = true }
seeds = [0]
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """Stop the cluster: its whole process group (this test started it), TERM then KILL."""
    for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            continue
        if sig == signal.SIGKILL:
            return
    # the group may outlive its leader (raylet, workers): make sure nothing is left
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def cluster():
    """A one-node Ray cluster with token authentication; yields (address, token)."""
    token = os.urandom(24).hex()
    tmp = Path(tempfile.mkdtemp(prefix="qray", dir="/tmp"))   # unix socket paths stay short
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=token, RAY_USAGE_STATS_ENABLED="0")
    log = tmp / "ray-start.log"
    ray_cli = Path(sys.executable).with_name("ray")
    cmd = [str(ray_cli) if ray_cli.exists() else "ray", "start", "--head",
           f"--port={_free_port()}", "--num-cpus=2", "--include-dashboard=false",
           "--disable-usage-stats", f"--temp-dir={tmp}", "--block"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    try:
        deadline, address = time.monotonic() + START_SECONDS, None
        while address is None:
            text = log.read_text()
            m = re.search(r"ray start --address='([^']+)'", text)
            if m and "Ray runtime started" in text:
                address = m.group(1)
            elif proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"ray start did not come up:\n{text[-3000:]}")
            else:
                time.sleep(0.5)
        yield address, token
    finally:
        _stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


def _user_env(token: str | None) -> dict[str, str]:
    """The environment of a user's shell: Ray reads RAY_AUTH_* once per process, so each
    sweep runs in a process of its own, as `qopt sweep` from a shell does."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    if token is not None:
        env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=token)
    return env


def _qopt(env, *argv, timeout=180):
    return subprocess.run([sys.executable, "-m", "qopt.cli", *argv], capture_output=True,
                          text=True, env=env, timeout=timeout)


NODE_IDS = """
import json, sys, ray
ray.init(address=sys.argv[1], include_dashboard=False, log_to_driver=False,
         configure_logging=False)
print(json.dumps([n["NodeID"] for n in ray.nodes() if n["Alive"]]))
ray.shutdown()
"""


@pytest.mark.slow
def test_sweep_on_cluster_rows_name_the_node(cluster, toy_dir):
    address, token = cluster
    env = _user_env(token)
    cfg = toy_dir / "ray.toml"
    cfg.write_text(CONFIG)
    results = toy_dir / "res"
    t0 = time.monotonic()
    proc = _qopt(env, "sweep", str(cfg), "--results", str(results), "--engine", "ray",
                 "--address", address, "--workers", "2", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - t0 < 120                 # the 60 s run was cut at 1 s
    assert "4 runs (2 done, 2 failed" in proc.stdout
    with ResultStore(results / "results.sqlite") as st:
        rows = {(r["label"], r["seed"]): r for r in st.rows()}
    ids = subprocess.run([sys.executable, "-c", NODE_IDS, address], capture_output=True,
                         text=True, env=env, timeout=120)
    nodes = set(json.loads(ids.stdout.strip().splitlines()[-1]))
    ip = address.rsplit(":", 1)[0]
    for key, row in rows.items():
        node_id, _, node_ip = (row["node"] or "").partition("@")
        assert node_id in nodes and node_ip == ip, (key, row["node"], nodes)
        assert row["host"] == socket.gethostname()
    assert rows[("ok", 0)]["status"] == rows[("ok", 1)]["status"] == "done"
    assert json.loads(rows[("ok", 0)]["result"])["solver"] == "toy-sample"
    assert rows[("slow", 0)]["status"] == "failed"
    assert rows[("slow", 0)]["error"] == "timeout after 1 s"
    assert rows[("crash", 0)]["status"] == "failed"
    assert rows[("crash", 0)]["error"].startswith("worker died on Ray node " +
                                                  rows[("crash", 0)]["node"])


@pytest.mark.slow
def test_wrong_token_is_a_qopt_error(cluster, toy_dir):
    address, _ = cluster
    cfg = toy_dir / "ray.toml"
    cfg.write_text(CONFIG)
    proc = _qopt(_user_env("not-the-token"), "sweep", str(cfg), "--results",
                 str(toy_dir / "res"), "--engine", "ray", "--address", address,
                 "--no-progress")
    assert proc.returncode == 2 and proc.stdout == ""
    assert f"qopt: error: could not connect to the Ray cluster at --address {address}" \
        in proc.stderr
    assert "RAY_AUTH_TOKEN" in proc.stderr and "Traceback" not in proc.stderr


def test_no_cluster_at_the_address_fails_fast(toy_dir, capsys):
    cfg = toy_dir / "ray.toml"
    cfg.write_text(CONFIG)
    t0 = time.monotonic()
    code = main(["sweep", str(cfg), "--results", str(toy_dir / "res"), "--engine", "ray",
                 "--address", f"127.0.0.1:{_free_port()}", "--no-progress"])
    assert code == 2 and time.monotonic() - t0 < 10
    err = capsys.readouterr().err
    assert "no Ray cluster answers there" in err and "Traceback" not in err


class _FakeRay:
    """Stands in for ray in _Slot.overdue: ``compile_seconds`` is what the actor reports."""

    def __init__(self, compile_seconds):
        self.compile_seconds = compile_seconds

    def get(self, ref, timeout=None):
        return self.compile_seconds


def _running_slot(elapsed: float, timeout: float):
    from types import SimpleNamespace

    from qopt.experiments.ray_engine import _Slot

    slot = _Slot.__new__(_Slot)
    slot.actor = SimpleNamespace(compile_seconds=SimpleNamespace(remote=lambda: "ref"))
    slot.run_ref, slot.spec = "run", SimpleNamespace(timeout=timeout)
    slot.t0 = time.monotonic() - elapsed
    return slot


def test_compile_seconds_do_not_count_against_a_ray_run_timeout():
    # 3 s into a run with a 1 s timeout: 2.5 s of it compiling -> 0.5 s counted, keep going
    assert _running_slot(3.0, 1.0).overdue(_FakeRay(2.5), compile_timeout=600) is None
    # 1.5 s compiling -> 1.5 s counted: past the timeout
    assert _running_slot(3.0, 1.0).overdue(_FakeRay(1.5), 600) == "timeout after 1 s"
    # compiling longer than the compile bound ends the run whatever its own timeout
    assert _running_slot(30.0, 1.0).overdue(_FakeRay(29.0), 20) == "compile timeout after 20 s"
    # within its timeout nothing is asked of the actor
    assert _running_slot(0.2, 1.0).overdue(None, 600) is None
