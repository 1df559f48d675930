"""Compiled kernels: where numba caches them, and how long compiling them takes.

**Cache location.** numba's ``cache=True`` writes next to the source file by default, which
for an installed qopt is ``site-packages/qopt/...``: pip's uninstall then leaves those folders
behind and a later ``import qopt`` finds an empty namespace package. :func:`configure_cache`
(called first thing by ``import qopt``, before any qopt module imports numba) points numba at a
per-user directory instead: ``NUMBA_CACHE_DIR`` when the user set it, else
``$XDG_CACHE_HOME/qopt/numba`` (default ``~/.cache/qopt/numba``), else a folder in the temp
directory when the home directory is not writable. It sets the environment variable (numba
re-reads ``NUMBA_*`` variables before each compile, and sweep workers inherit it) and, when
numba is already imported, ``numba.config.CACHE_DIR`` too.

**Compile clock.** numba compiles (or loads from its cache) a kernel on its first call with a
new signature, while holding its global compiler lock. :data:`clock` listens to numba's
``numba:compiler_lock`` events (the outermost acquire / release per thread) and adds up those
seconds, so :func:`qopt.solve` can report them apart from solve time, and a sweep worker can
tell its parent "compiling now" so that the run's timeout clock stops meanwhile
(:func:`hooks`). The listener is written here because numba's own ``TimingListener`` neither
handles the nested acquires of one compile nor calls back at the start.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

#: environment variable numba reads its cache directory from
CACHE_ENV = "NUMBA_CACHE_DIR"


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/qopt/numba`` (``~/.cache/qopt/numba`` when XDG_CACHE_HOME is unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "qopt" / "numba"


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def configure_cache() -> str:
    """Point numba's kernel cache at a per-user directory (see the module docstring) and
    return it. A ``NUMBA_CACHE_DIR`` set by the user is kept as it is."""
    given = os.environ.get(CACHE_ENV)
    if given:
        path = given
    else:
        cand = default_cache_dir()
        if not _writable(cand):
            uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
            cand = Path(tempfile.gettempdir()) / f"qopt-{uid}" / "numba"
            cand.mkdir(parents=True, exist_ok=True)
        path = str(cand)
        os.environ[CACHE_ENV] = path
    config = sys.modules.get("numba.core.config")
    if config is not None and getattr(config, "CACHE_DIR", None) != path:
        config.CACHE_DIR = path    # numba imported before qopt: decorators made later see it
    return path


class CompileClock:
    """Seconds spent inside numba's compiler lock (compiling or loading cached kernels).

    ``total`` only grows; measure a stretch of work as the difference of two readings
    (:meth:`measure`). Optional hooks ``on_start()`` / ``on_end(seconds)`` are called at the
    outermost acquire / release (from the compiling thread).
    """

    def __init__(self) -> None:
        self.total = 0.0
        self.events = 0
        self._local = threading.local()
        self._lock = threading.Lock()
        self.on_start: Callable[[], None] | None = None
        self.on_end: Callable[[float], None] | None = None
        self._installed = False

    def _enter(self) -> None:
        depth = getattr(self._local, "depth", 0)
        if depth == 0:
            self._local.t0 = time.perf_counter()
            if self.on_start is not None:
                self.on_start()
        self._local.depth = depth + 1

    def _exit(self) -> None:
        depth = getattr(self._local, "depth", 0)
        if depth <= 0:
            return
        self._local.depth = depth - 1
        if depth == 1:
            seconds = time.perf_counter() - self._local.t0
            with self._lock:
                self.total += seconds
                self.events += 1
            if self.on_end is not None:
                self.on_end(seconds)

    def install(self) -> bool:
        """Start listening (imports numba); False when numba is not installed."""
        if self._installed:
            return True
        try:
            from numba.core import event
        except ImportError:  # pragma: no cover - numba is a core dependency
            return False
        outer = self

        class _Listener(event.Listener):
            def on_start(self, ev) -> None:
                outer._enter()

            def on_end(self, ev) -> None:
                outer._exit()

        with self._lock:
            if not self._installed:
                event.register("numba:compiler_lock", _Listener())
                self._installed = True
        return True

    @property
    def installed(self) -> bool:
        return self._installed

    @contextlib.contextmanager
    def measure(self) -> Iterator[list[float]]:
        """``with clock.measure() as spent:`` -> ``spent[0]`` is the compile seconds inside."""
        spent = [0.0]
        start = self.total
        try:
            yield spent
        finally:
            spent[0] = self.total - start


#: the process's one compile clock
clock = CompileClock()


@contextlib.contextmanager
def hooks(on_start: Callable[[], None] | None, on_end: Callable[[float], None] | None
          ) -> Iterator[None]:
    """Call ``on_start()`` when a compile begins and ``on_end(seconds)`` when it ends, inside
    the block (used by sweep workers to pause their run's timeout)."""
    clock.install()
    saved = clock.on_start, clock.on_end
    clock.on_start, clock.on_end = on_start, on_end
    try:
        yield
    finally:
        clock.on_start, clock.on_end = saved


__all__ = ["CACHE_ENV", "CompileClock", "clock", "configure_cache", "default_cache_dir", "hooks"]
