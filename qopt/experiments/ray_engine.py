"""Sweep engine on a Ray cluster: :func:`~qopt.experiments.execution.execute` in Ray actors.

**Where.** ``address=None`` starts a private Ray on this machine for the sweep (``workers``
CPUs) and stops it afterwards; ``"auto"`` joins the cluster that ``ray start`` started on this
machine; ``"HOST:PORT"`` joins the cluster whose head printed that address (``ray start --head
--port PORT``). The parent is the only writer of the store, as with the local engine.

**Connecting.** A ``HOST:PORT`` address is probed with a plain TCP connect first (3 s), so a
wrong address or a stopped head fails at once. Ray's own failures in ``ray.init`` (a missing or
wrong token when the cluster has token authentication, ``RAY_AUTH_MODE=token``; a Ray or Python
version that differs from the cluster's) become an :class:`~qopt.errors.OptionError` naming
``--address`` and the authentication settings, never a raw ``ConnectionError``.

**Workers.** One actor per slot (``num_cpus=1``; ``workers`` slots, default the cluster's CPUs)
takes one run at a time. Each actor reports where it lives when it starts -- Ray node id, node
IP and host name -- and its qopt version, which must equal this process's (a node with another
qopt would produce rows that do not belong in the same store). Every row records its node in
``node`` (``NODE_ID@IP``) and ``host``: rows the actor returns, and rows the parent writes
itself for a run that timed out or whose actor died (the node the run was on, not the parent's).

**Timeouts.** A run's timeout counts from its submission minus the seconds its actor spent
compiling numba kernels during the run (asked from the actor, which serves that question on a
second thread, ``max_concurrency=2``); a compile longer than ``compile_timeout`` ends the run.
A timed-out actor is killed and replaced.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from qopt.errors import OptionError, SolverError
from qopt.experiments.config import RunSpec, import_plugins

RowCallback = Callable[[dict], None]

#: seconds the TCP probe of a HOST:PORT address waits
PROBE_SECONDS = 3.0

AUTH_HELP = ("if the cluster uses token authentication (RAY_AUTH_MODE=token when it was "
             "started), set the same RAY_AUTH_MODE=token here and give its token through "
             "RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token (`ray get-auth-token` on "
             "the head prints it); the Ray and Python versions must match the cluster's")


def node_label(node_id: str | None, ip: str | None) -> str | None:
    """The ``node`` column: ``NODE_ID@IP`` (Ray's hex node id, the node's IP address)."""
    if node_id is None:
        return None
    return f"{node_id}@{ip}" if ip else node_id


class _RayWorker:
    """Body of a Ray actor: one persistent worker, like a local pool process."""

    def __init__(self, plugins, plugin_paths, preload):
        import ray

        import qopt
        from qopt import compilation

        if plugins:
            import_plugins(plugins, plugin_paths)
        import qopt.solving
        from qopt.solvers.registry import solver_class

        for name in preload:
            with contextlib.suppress(Exception):
                solver_class(name)
        ctx = ray.get_runtime_context()
        self.where = {"node_id": ctx.get_node_id(), "ip": ray.util.get_node_ip_address(),
                      "host": socket.gethostname(), "qopt_version": qopt.__version__,
                      "qopt_file": qopt.__file__}
        self.where["node"] = node_label(self.where["node_id"], self.where["ip"])
        self._clock = compilation.clock
        self._run_start = self._clock.total
        self._compiling_since: float | None = None

    def ready(self) -> dict:
        """Where this actor runs (node id, IP, host) and its qopt version."""
        return self.where

    def compile_seconds(self) -> float:
        """Seconds of numba compiling in the current run so far (including one under way)."""
        spent = self._clock.total - self._run_start
        since = self._compiling_since
        return spent + (time.monotonic() - since if since is not None else 0.0)

    def run(self, spec_data: dict) -> dict:
        from qopt import compilation
        from qopt.experiments.execution import execute

        def started() -> None:
            self._compiling_since = time.monotonic()

        def ended(_seconds: float) -> None:
            self._compiling_since = None

        self._run_start = self._clock.total
        with compilation.hooks(started, ended):
            row = execute(spec_data)
        self._compiling_since = None
        row["host"], row["node"] = self.where["host"], self.where["node"]
        return row


def probe(address: str) -> None:
    """Fail fast when nothing listens at ``HOST:PORT`` (``auto`` / ``ray://`` are left to Ray)."""
    if address == "auto" or "://" in address:
        return
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise OptionError(f"--address {address!r}: expected HOST:PORT (the address `ray start "
                          "--head` prints, e.g. 127.0.0.1:6379) or 'auto'")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=PROBE_SECONDS):
            pass
    except OSError as exc:
        raise OptionError(f"--address {address}: no Ray cluster answers there ({exc}); start "
                          f"one with `ray start --head --port {port}` or check the address "
                          "with `ray status`") from None


def connect(address: str | None, workers: int | None) -> bool:
    """``ray.init`` for a sweep; True when this call started Ray (the caller shuts it down)."""
    import ray

    if ray.is_initialized():
        return False
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                              "configure_logging": False}
    if address is None:
        kwargs["num_cpus"] = int(workers or os.cpu_count() or 1)
    else:
        probe(address)
    try:
        ray.init(address=address, **kwargs)
    except (ConnectionError, RuntimeError, TimeoutError) as exc:
        with contextlib.suppress(Exception):
            ray.shutdown()
        where = "a local Ray" if address is None else f"the Ray cluster at --address {address}"
        mode = os.environ.get("RAY_AUTH_MODE")
        raise OptionError(f"could not connect to {where}: {type(exc).__name__}: "
                          f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}; "
                          f"RAY_AUTH_MODE is {mode!r} in this shell; {AUTH_HELP}") from None
    return True


class RayEngine:
    """Runs :func:`~qopt.experiments.execution.execute` in Ray actors (see the module doc)."""

    def __init__(self, workers: int | None = None, address: str | None = None,
                 compile_timeout: float | None = 600.0):
        self.workers = workers
        self.address = address
        self.compile_timeout = compile_timeout

    def run(self, specs: Iterable[RunSpec], on_row: RowCallback) -> None:
        try:
            import ray
        except ImportError:
            raise OptionError("engine 'ray' needs the ray package: "
                              "pip install 'qopt-toolkit[distributed]'") from None
        pending = deque(specs)
        if not pending:
            return
        started_here = connect(self.address, self.workers)
        try:
            self._run(ray, pending, on_row)
        finally:
            if started_here:
                ray.shutdown()

    def _run(self, ray, pending: deque, on_row: RowCallback) -> None:
        import qopt
        from qopt.experiments.execution import failed_row

        actor_cls = ray.remote(num_cpus=1, max_restarts=0, max_concurrency=2)(_RayWorker)
        first = pending[0]
        args = (list(first.plugins), list(first.plugin_paths),
                sorted({s.solver for s in pending}))
        slots = int(self.workers or ray.cluster_resources().get("CPU", 1))
        slots = [_Slot(actor_cls, args) for _ in range(max(1, min(slots, len(pending))))]

        def finish(slot: _Slot, row: dict) -> None:
            slot.run_ref = slot.spec = None
            on_row(row)

        try:
            while pending or any(s.run_ref is not None for s in slots):
                for slot in slots:
                    if slot.where is not None and slot.run_ref is None and pending:
                        slot.submit(pending.popleft())
                refs = [r for s in slots for r in (s.ready_ref, s.run_ref) if r is not None]
                done = set(ray.wait(refs, num_returns=1, timeout=0.5)[0])
                for slot in slots:
                    if slot.ready_ref is not None and slot.ready_ref in done:
                        slot.started(ray, qopt.__version__)
                    elif slot.run_ref is not None and slot.run_ref in done:
                        spec, elapsed = slot.spec, time.monotonic() - slot.t0
                        try:
                            row = ray.get(slot.run_ref)
                        except Exception as exc:   # the actor died (node lost, OOM kill)
                            row = failed_row(spec, f"worker died on Ray node {slot.node}: "
                                             f"{type(exc).__name__}: {_first_line(exc)}",
                                             wall_time=elapsed, **slot.placement())
                            slot.replace(ray)
                        finish(slot, row)
                for slot in slots:
                    why = slot.overdue(ray, self.compile_timeout)
                    if why is not None:
                        row = failed_row(slot.spec, why, wall_time=time.monotonic() - slot.t0,
                                         **slot.placement())
                        slot.replace(ray)
                        finish(slot, row)
        finally:
            for slot in slots:
                with contextlib.suppress(Exception):
                    ray.kill(slot.actor)


class _Slot:
    """One actor, the run it has (if any) and where it lives."""

    def __init__(self, actor_cls, args):
        self.actor_cls, self.args = actor_cls, args
        self.actor = actor_cls.remote(*args)
        self.ready_ref = self.actor.ready.remote()
        self.where: dict | None = None
        self.run_ref = None
        self.spec: RunSpec | None = None
        self.t0 = 0.0

    @property
    def node(self) -> str | None:
        return None if self.where is None else self.where["node"]

    def placement(self) -> dict[str, Any]:
        """The ``host`` / ``node`` columns of a row about this actor's run."""
        if self.where is None:
            return {}
        return {"host": self.where["host"], "node": self.where["node"]}

    def started(self, ray, version: str) -> None:
        try:
            where = ray.get(self.ready_ref)
        except Exception as exc:
            raise SolverError(f"a Ray worker could not start: {type(exc).__name__}: "
                              f"{_first_line(exc)}; every node needs the same Python, Ray and "
                              "qopt as this process "
                              "(pip install 'qopt-toolkit[distributed]')") from None
        self.ready_ref = None
        if where["qopt_version"] != version:
            raise SolverError(f"Ray node {where['node']} ({where['host']}) runs qopt "
                              f"{where['qopt_version']} from {where['qopt_file']}, this process "
                              f"qopt {version}: install the same qopt on every node")
        self.where = where

    def submit(self, spec: RunSpec) -> None:
        self.spec, self.t0 = spec, time.monotonic()
        self.run_ref = self.actor.run.remote(spec.to_dict())

    def overdue(self, ray, compile_timeout: float | None) -> str | None:
        """Why the current run must stop (its timeout, or its compile bound), else None."""
        spec = self.spec
        if self.run_ref is None or spec is None or spec.timeout is None:
            return None
        elapsed = time.monotonic() - self.t0
        if elapsed <= spec.timeout:
            return None
        try:   # compile seconds do not count against the run's timeout
            compiling = float(ray.get(self.actor.compile_seconds.remote(), timeout=5))
        except Exception:
            compiling = 0.0
        if compile_timeout is not None and compiling > compile_timeout:
            return f"compile timeout after {compile_timeout:g} s"
        if elapsed - compiling <= spec.timeout:
            return None
        return f"timeout after {spec.timeout:g} s"

    def replace(self, ray) -> None:
        with contextlib.suppress(Exception):
            ray.kill(self.actor)
        self.actor = self.actor_cls.remote(*self.args)
        self.ready_ref = self.actor.ready.remote()
        self.where = None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


__all__ = ["RayEngine", "connect", "node_label", "probe"]
