"""The local sweep engine: a pool of worker processes (forkserver), each running
:func:`~qopt.experiments.execution.execute` on one RunSpec at a time; the parent is the only
writer of the store and commits each row as it arrives. A run past its timeout has its worker
killed and is stored as failed with ``timeout after N s``.

Compiled kernels (numba) never count against a run's timeout. A local worker tells the parent
when numba starts and stops compiling (or loading cached kernels, :mod:`qopt.compilation`); the
parent stops the run's clock meanwhile and bounds the compile by its own, generous
``compile_timeout``. Each run's compile seconds are stored apart (column ``compile_time``) and
excluded from ``wall_time``. The first run of each (solver, backend) pair runs alone until it
has finished (or has not compiled at all for 30 s, or not for 120 s), so a cold cache is
compiled once while the other workers run other pairs, and then load it from the cache.
Workers import the same qopt as the parent: the forkserver is started with ``PYTHONSAFEPATH``
(the current folder is not put first on ``sys.path``) and the folder of the parent's qopt
first on ``PYTHONPATH``, and each worker checks ``qopt.__file__``.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable
from multiprocessing.connection import wait
from pathlib import Path

from qopt import compilation
from qopt.errors import SolverError
from qopt.experiments.config import RunSpec, import_plugins, is_quantum
from qopt.experiments.execution import execute, failed_row

RowCallback = Callable[[dict], None]


def _set_parent_death_signal() -> None:
    """Linux: have the kernel SIGKILL this worker when its parent dies (best effort)."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _worker_main(conn, plugins, plugin_paths, preload, parent_qopt=None,
                 saved_env=None) -> None:
    _set_parent_death_signal()
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the parent handles Ctrl-C
    if saved_env:
        _restore_env(saved_env)   # what the worker starts itself sees the user's variables
    import qopt

    if parent_qopt is not None and \
            os.path.realpath(qopt.__file__) != os.path.realpath(parent_qopt):
        raise SolverError(f"sweep worker imported qopt from {qopt.__file__}, the parent from "
                          f"{parent_qopt}")
    if plugins:
        import_plugins(plugins, plugin_paths)
    import qopt.solving  # imports paid before the first run's clock starts
    from qopt.solvers.registry import solver_class

    quantum = False
    for name in preload:
        with contextlib.suppress(Exception):
            quantum |= is_quantum(solver_class(name), name)
    if quantum:   # the statevector engine's modules too (imported here, compiled on first use)
        with contextlib.suppress(ImportError):
            from qopt.backends import adapter, kernels, statevector  # noqa: F401

    def tell(message) -> None:
        with contextlib.suppress(BrokenPipeError, OSError):
            conn.send(message)

    try:
        conn.send(("ready", None))
    except (BrokenPipeError, OSError):
        return
    # the parent stops a run's timeout clock while numba compiles
    with compilation.hooks(lambda: tell(("compiling", None)),
                           lambda seconds: tell(("compiled", seconds))):
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                return
            if msg is None:
                return
            row = execute(msg)
            try:
                conn.send(("row", row))
            except (BrokenPipeError, OSError):
                return


@contextlib.contextmanager
def _main_module_hidden():
    """Start workers without re-running the caller's ``__main__`` in them (spawn / forkserver
    would, so a script without an ``if __name__ == "__main__"`` guard would start its sweep
    again in every worker). The workers need nothing from ``__main__``."""
    main = sys.modules.get("__main__")
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if main and k in main.__dict__}
    try:
        if main is not None:
            main.__dict__.pop("__file__", None)
            if "__spec__" in saved:
                main.__spec__ = None
        yield
    finally:
        if main is not None:
            main.__dict__.update(saved)


@contextlib.contextmanager
def _forkserver_env():
    """The environment a forkserver started inside this block gets: ``PYTHONSAFEPATH=1`` (its
    ``python -c`` does not put the current folder first on ``sys.path``, where a checkout's
    ``qopt/`` would shadow the parent's) and the folder of the parent's qopt first on
    ``PYTHONPATH`` (unless it is a site-packages folder, found anyway). Yields the variables'
    previous values, which each worker restores for what it starts itself."""
    import site

    import qopt

    root = str(Path(qopt.__file__).resolve().parent.parent)
    names = ("PYTHONSAFEPATH", "PYTHONPATH")
    saved = {k: os.environ.get(k) for k in names}
    site_dirs = {str(Path(d).resolve()) for d in
                 [*site.getsitepackages(), site.getusersitepackages()]}
    os.environ["PYTHONSAFEPATH"] = "1"
    if root not in site_dirs:
        rest = [d for d in (saved["PYTHONPATH"] or "").split(os.pathsep) if d and d != root]
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *rest])
    try:
        yield saved
    finally:
        _restore_env(saved)


def _restore_env(saved: dict[str, str | None]) -> None:
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _run_key(spec: RunSpec) -> tuple:
    """Runs that share compiled kernels: the same solver on the same backend."""
    return (spec.solver, spec.backend)


#: a (solver, backend) pair's first run opens the pair to the other workers when it ends, or
#: after this many seconds without any compile, or this many seconds after its last compile
#: (kernels compile on first use, after setup and with gaps of Python work between them: under
#: load PCE spent more than 2 s before its first kernel call, and 2 s let a second run compile)
OPEN_IF_NO_COMPILE = 30.0
OPEN_AFTER_COMPILE = 120.0


class _Worker:
    def __init__(self, ctx, plugins, plugin_paths, preload):
        import qopt

        parent, child = ctx.Pipe(duplex=True)
        self.conn = parent
        with _main_module_hidden(), _forkserver_env() as saved:
            self.proc = ctx.Process(target=_worker_main,
                                    args=(child, plugins, plugin_paths, preload,
                                          qopt.__file__, saved),
                                    daemon=True, name="qopt-sweep-worker")
            self.proc.start()
        child.close()
        self.ready = False
        self.spec: RunSpec | None = None
        self.deadline: float | None = None
        self.started = 0.0
        self.compiling_since: float | None = None   # parent's clock; None: not compiling
        self.compile_time = 0.0                      # this run's compile seconds so far
        self.quiet_since = 0.0                       # last end of a compile (or the start)

    def submit(self, spec: RunSpec) -> None:
        self.spec = spec
        self.started = self.quiet_since = time.monotonic()
        self.deadline = None if spec.timeout is None else self.started + spec.timeout
        self.compiling_since, self.compile_time = None, 0.0
        self.conn.send(spec.to_dict())

    def compiling(self, now: float) -> None:
        if self.compiling_since is None:
            self.compiling_since = now

    def compiled(self, now: float) -> None:
        """A compile ended: the run's clock resumes, its deadline moved by the pause."""
        if self.compiling_since is not None:
            pause = now - self.compiling_since
            self.compile_time += pause
            if self.deadline is not None:
                self.deadline += pause
            self.compiling_since = None
        self.quiet_since = now

    def shares_kernels(self, now: float) -> bool:
        """Whether the kernels of this (leading) run's pair are compiled by now: see
        :data:`OPEN_IF_NO_COMPILE` / :data:`OPEN_AFTER_COMPILE`."""
        if self.compiling_since is not None:
            return False
        wait = OPEN_IF_NO_COMPILE if self.compile_time == 0 else OPEN_AFTER_COMPILE
        return now - self.quiet_since > wait

    def overdue(self, now: float, compile_timeout: float | None) -> str | None:
        """Why the current run must be stopped now (None: it may go on)."""
        if self.spec is None:
            return None
        if self.compiling_since is not None:
            if compile_timeout is not None and now - self.compiling_since > compile_timeout:
                return f"compile timeout after {compile_timeout:g} s"
            return None
        if self.deadline is not None and now > self.deadline:
            return f"timeout after {self.spec.timeout:g} s"
        return None

    def next_check(self, compile_timeout: float | None) -> float | None:
        """When :meth:`overdue` could next become true (None: not before a message)."""
        if self.spec is None:
            return None
        if self.compiling_since is not None:
            return None if compile_timeout is None else self.compiling_since + compile_timeout
        return self.deadline

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.proc.kill()
        self.proc.join(5)
        with contextlib.suppress(Exception):
            self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.send(None)
        self.proc.join(2)
        if self.proc.is_alive():
            self.kill()
        with contextlib.suppress(Exception):
            self.conn.close()


class LocalEngine:
    """``workers`` persistent worker processes (default: the core count), one run each at a
    time. ``start_method`` is a multiprocessing start method; the default "forkserver" forks
    workers from a clean server process that has qopt imported already (fast and thread-safe).
    ``compile_timeout`` (seconds, None: unbounded) bounds one stretch of numba compiling inside
    a run, which the run's own ``timeout`` does not count (see the module docstring).
    """

    def __init__(self, workers: int | None = None, start_method: str = "forkserver",
                 compile_timeout: float | None = 600.0):
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        self.ctx = mp.get_context(start_method)
        self.compile_timeout = compile_timeout
        if start_method == "forkserver":
            self.ctx.set_forkserver_preload(["qopt.experiments.local_engine", "qopt.solving"])

    def run(self, specs: Iterable[RunSpec], on_row: RowCallback) -> None:
        pending = list(specs)
        if not pending:
            return
        first = pending[0]
        args = (self.ctx, list(first.plugins), list(first.plugin_paths),
                sorted({s.solver for s in pending}))
        opened: set[tuple] = set()           # pairs whose kernels are compiled (or need none)
        leaders: dict[tuple, _Worker] = {}   # pair -> worker running its first run

        def take() -> RunSpec | None:
            for i, spec in enumerate(pending):
                key = _run_key(spec)
                if key in opened or key not in leaders:
                    return pending.pop(i)
            return None

        def finish(w: _Worker, row: dict) -> None:
            for key, lead in list(leaders.items()):
                if lead is w:
                    opened.add(key)
                    del leaders[key]
            w.spec = None
            on_row(row)

        pool = [_Worker(*args) for _ in range(min(self.workers, len(pending)))]
        try:
            while pending or any(w.spec is not None for w in pool):
                now = time.monotonic()
                for key, lead in list(leaders.items()):
                    if lead.shares_kernels(now):
                        opened.add(key)
                        del leaders[key]
                for i, w in enumerate(pool):
                    if w.ready and w.spec is None and pending:
                        if not w.proc.is_alive():
                            pool[i] = _Worker(*args)
                            continue
                        spec = take()
                        if spec is None:
                            break
                        key = _run_key(spec)
                        if key not in opened:
                            leaders[key] = w
                        w.submit(spec)
                checks = [t for t in (w.next_check(self.compile_timeout) for w in pool)
                          if t is not None]
                wait_for = max(0.0, min(checks) - now) if checks else 1.0
                if leaders:
                    wait_for = min(wait_for, OPEN_IF_NO_COMPILE / 4)
                live = [w for w in pool if w.spec is not None or not w.ready]
                ready = wait([w.conn for w in live] + [w.proc.sentinel for w in live],
                             timeout=min(wait_for, 1.0))
                for i, w in enumerate(pool):
                    if w.spec is None and w.ready:
                        continue
                    rows = []
                    while w.conn in ready and w.conn.poll():
                        try:
                            msg = w.conn.recv()
                        except (EOFError, OSError):
                            w.proc.join(2)
                            break
                        if msg[0] == "ready":
                            w.ready = True
                        elif msg[0] == "compiling":
                            w.compiling(time.monotonic())
                        elif msg[0] == "compiled":
                            w.compiled(time.monotonic())
                        else:
                            rows.append(msg[1])
                    if rows:
                        finish(w, rows[-1])
                        continue
                    if w.spec is None and w.ready:
                        continue
                    if not w.proc.is_alive():
                        spec = w.spec
                        w.kill()
                        pool[i] = _Worker(*args)
                        if spec is None:   # died while starting: its error is on stderr
                            raise SolverError(f"sweep worker exited with code "
                                              f"{w.proc.exitcode} before its first run")
                        now = time.monotonic()
                        finish(w, failed_row(spec, f"worker died (exit code {w.proc.exitcode})",
                                             wall_time=now - w.started - w.compile_time,
                                             compile_time=w.compile_time))
                        continue
                    now = time.monotonic()
                    why = w.overdue(now, self.compile_timeout)
                    if why is not None:
                        spec = w.spec
                        if w.compiling_since is not None:
                            w.compiled(now)
                        w.kill()
                        finish(w, failed_row(spec, why,
                                             wall_time=now - w.started - w.compile_time,
                                             compile_time=w.compile_time))
                        pool[i] = _Worker(*args)
        finally:
            for w in pool:
                if w.spec is None and w.ready:
                    w.stop()
                else:
                    w.kill()


__all__ = ["OPEN_AFTER_COMPILE", "OPEN_IF_NO_COMPILE", "LocalEngine", "RowCallback"]
