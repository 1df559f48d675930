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

**Stale kernels.** numba checks a cached kernel against its own source file only, but the
statevector kernels (:mod:`qopt.backends.kernels`) inline helpers from other modules of their
package, and the subspace and histogram kernels inline helpers of their ``*_kernels`` module:
an edit of a helper would leave the kernels built from the old one in the cache. So
qopt's kernels live in a subfolder ``qopt-<digest>`` of that directory, the digest taken over
the sources of :data:`SHARED_KERNEL_SOURCES` (any edit there starts a fresh folder; folders of
other digests unused for :data:`STALE_DAYS` days are removed when a new one is made).

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
import hashlib
import os
import re
import shutil
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


#: sources (globs relative to qopt's folder) of compiled helpers that kernels of other modules
#: inline: the statevector kernels' package (its helpers and the SIMD intrinsics, which the
#: subspace kernels use too) and the helper modules of the subspace and histogram kernels
SHARED_KERNEL_SOURCES = ("backends/kernels/*.py", "backends/subspace_kernels.py",
                         "backends/histogram_kernels.py")
#: folders of other digests unused this long are removed when a new one is made
STALE_DAYS = 30
_DIGEST_DIR = re.compile(r"qopt-[0-9a-f]{12}")


def kernel_digest() -> str:
    """12 hex digits of a SHA-256 over the sources of :data:`SHARED_KERNEL_SOURCES`."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for pattern in SHARED_KERNEL_SOURCES:
        for f in sorted(root.glob(pattern)):
            h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:12]


def _prune_stale(base: Path, keep: str) -> None:
    """Remove digest folders other than ``keep`` in ``base`` not modified for STALE_DAYS."""
    cutoff = time.time() - STALE_DAYS * 86400
    with contextlib.suppress(OSError):
        for entry in base.iterdir():
            if (entry.name != keep and _DIGEST_DIR.fullmatch(entry.name) and entry.is_dir()
                    and entry.stat().st_mtime < cutoff):
                shutil.rmtree(entry, ignore_errors=True)


def configure_cache() -> str:
    """Point numba's kernel cache at ``qopt-<digest>`` inside a per-user directory (see the
    module docstring) and return it. A ``NUMBA_CACHE_DIR`` set by the user is the directory
    used (a digest folder given by a parent process is taken as it is when it is this
    qopt's, else replaced by this qopt's)."""
    digest = f"qopt-{kernel_digest()}"
    given = os.environ.get(CACHE_ENV)
    if given:
        base = Path(given)
        if _DIGEST_DIR.fullmatch(base.name):
            base = base.parent
    else:
        base = default_cache_dir()
        if not _writable(base):
            uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
            base = Path(tempfile.gettempdir()) / f"qopt-{uid}" / "numba"
    target = base / digest
    if not target.is_dir():
        with contextlib.suppress(OSError):
            target.mkdir(parents=True, exist_ok=True)
            _prune_stale(base, digest)
    path = str(target)
    os.environ[CACHE_ENV] = path
    config = sys.modules.get("numba.core.config")
    if config is not None and getattr(config, "CACHE_DIR", None) != path:
        config.CACHE_DIR = path    # numba imported before qopt: decorators made later see it
    return path


class CompileClock:
    """Seconds spent inside numba's compiler lock (compiling or loading cached kernels).

    ``total`` only grows; measure a stretch of work as the difference of two readings
    (:meth:`measure`). It counts the wall seconds during which at least one thread is inside
    numba's compiler lock or waiting for it (numba signals the acquire before taking the
    lock): kernel threads that reach a kernel at the same time, one compiling and the others
    waiting, count those seconds once (summing per thread counted them once per thread, and a
    cold two-thread anneal reported more compile seconds than the process lived). Optional
    hooks ``on_start()`` / ``on_end(seconds)`` are called when the first thread enters and
    the last one leaves.
    """

    def __init__(self) -> None:
        self.total = 0.0
        self.events = 0
        self._local = threading.local()
        self._lock = threading.Lock()
        self._active = 0                 # threads inside the compiler lock or waiting for it
        self._t0 = 0.0
        self.on_start: Callable[[], None] | None = None
        self.on_end: Callable[[float], None] | None = None
        self._installed = False

    def _enter(self) -> None:
        depth = getattr(self._local, "depth", 0)
        self._local.depth = depth + 1
        if depth:
            return
        with self._lock:
            self._active += 1
            first = self._active == 1
            if first:
                self._t0 = time.perf_counter()
        if first and self.on_start is not None:
            self.on_start()

    def _exit(self) -> None:
        depth = getattr(self._local, "depth", 0)
        if depth <= 0:
            return
        self._local.depth = depth - 1
        if depth != 1:
            return
        with self._lock:
            self._active -= 1
            last = self._active == 0
            if last:
                seconds = time.perf_counter() - self._t0
                self.total += seconds
                self.events += 1
        if last and self.on_end is not None:
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


__all__ = [
    "CACHE_ENV", "SHARED_KERNEL_SOURCES", "CompileClock", "clock", "configure_cache",
    "default_cache_dir", "hooks", "kernel_digest",
]
