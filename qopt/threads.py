"""Threads of the compiled kernels: how many, and running a kernel's parts on them.

**How many.** Every kernel (statevector engine, feasible-subspace simulator, annealing, tabu,
PCE, ...) runs on :func:`current` threads: the ``threads=`` of the solve under way
(:func:`qopt.solve` keyword, CLI ``--threads``; :func:`using`), else the process default
(:func:`set_default`: a sweep worker gets its share of the cores), else every core numba may
use (:func:`available`: ``NUMBA_NUM_THREADS`` when set, else the CPUs this process may run
on). The count never follows the load average: a parallel region sized by the load of a
moment shrinks under its own work (a solve's previous minute counts as load) and swings with
whatever else runs; numerical libraries let the user decide (``NUMBA_NUM_THREADS``,
``OMP_NUM_THREADS``, an option), and so does qopt. A kernel may take fewer threads than
that for a small state, where a parallel region costs more than the work (the feasible-subspace
simulator: one thread per ``STATES_PER_THREAD`` states); ``info["threads"]`` says what ran.

**Running.** The big kernels are compiled serial and ``nogil`` (numba's ``parallel=True``
parfor lowering roughly triples their compile time: 6.6 s instead of 2.2 s for the QAOA
low-qubit pass) and split their work into a fixed number of *parts* that depends on the
problem size only. :func:`run_parts` hands contiguous part ranges to a process-wide pool of
Python threads (the calling thread takes the first range); each part writes its own partial
result, and the caller sums the partials in part order, so every reduction is bit-identical
for any thread count. Kernels that keep numba's ``prange`` run inside :func:`numba_threads`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextvars import ContextVar

from qopt.errors import OptionError

_current: ContextVar[int | None] = ContextVar("qopt_threads", default=None)
_default: int | None = None


def available() -> int:
    """Threads numba may use in this process: ``NUMBA_NUM_THREADS`` when set, else numba's
    default, the CPUs this process may run on (read without importing numba when it is not
    imported yet, by numba's own rule)."""
    numba = sys.modules.get("numba")
    if numba is not None:
        return int(numba.config.NUMBA_NUM_THREADS)
    given = os.environ.get("NUMBA_NUM_THREADS")
    if given:
        return max(1, int(given))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:          # pragma: no cover - platforms without affinity
        return max(1, os.cpu_count() or 1)


def check(threads, option: str = "threads") -> int:
    """``threads`` as an int in 1..:func:`available`, else :class:`OptionError` naming
    ``option`` and the limit."""
    if isinstance(threads, bool) or not isinstance(threads, int | float) or \
            int(threads) != threads or threads < 1:
        raise OptionError(f"{option} must be a positive whole number of threads, got "
                          f"{threads!r}")
    limit = available()
    if threads > limit:
        raise OptionError(f"{option}={int(threads)} is more than the {limit} threads numba may "
                          f"use here (NUMBA_NUM_THREADS, or the CPUs of this process); set "
                          f"NUMBA_NUM_THREADS before starting Python to allow more")
    return int(threads)


def set_default(threads: int | None) -> None:
    """The process default of :func:`current` (None: :func:`available`); a sweep worker sets
    its share of the cores here."""
    global _default
    _default = None if threads is None else check(threads)


def worker_threads(workers: int) -> int:
    """Each of ``workers`` processes sharing this machine gets this many kernel threads: the
    cores numba may use divided among them (at least 1)."""
    return max(1, available() // max(int(workers), 1))


def current() -> int:
    """Threads for the kernels called now (see the module docstring)."""
    given = _current.get()
    if given is not None:
        return given
    return _default if _default is not None else available()


def resolve(threads: int | None) -> int:
    """``threads`` checked, or :func:`current` when None."""
    return current() if threads is None else check(threads)


@contextlib.contextmanager
def using(threads: int | None) -> Iterator[int]:
    """Run the enclosed kernels on ``threads`` threads (None: leave :func:`current` as it
    is); yields the count in effect. Per thread of the caller (a context variable)."""
    count = resolve(threads)
    token = _current.set(count)
    try:
        yield count
    finally:
        _current.reset(token)


@contextlib.contextmanager
def numba_threads(threads: int | None = None) -> Iterator[int]:
    """Run the enclosed numba ``prange`` kernels on ``threads`` threads (None:
    :func:`current`), restoring numba's previous count afterwards. numba is not imported
    for the default count (kernels imported later inside the block start at it anyway)."""
    count = resolve(threads)
    if "numba" not in sys.modules and count == available():
        yield count
        return
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(count)
    try:
        yield count
    finally:
        numba.set_num_threads(before)


class _Pool:
    """A lazily grown pool of worker threads shared by every kernel call of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._size = 0

    def executor(self, workers: int) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None or self._size < workers:
                old = self._executor
                self._executor = ThreadPoolExecutor(max_workers=workers,
                                                    thread_name_prefix="qopt-kernel")
                self._size = workers
                if old is not None:
                    old.shutdown(wait=False)
            return self._executor

    def reset(self) -> None:
        """Forget the pool (in a forked child its threads do not exist)."""
        self._executor = None
        self._size = 0
        self._lock = threading.Lock()


_pool = _Pool()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_pool.reset)


def split(nparts: int, threads: int) -> list[tuple[int, int]]:
    """Contiguous ranges [lo, hi) of ``range(nparts)``, one per thread (at most nparts)."""
    t = max(1, min(int(threads), int(nparts)))
    return [(i * nparts // t, (i + 1) * nparts // t) for i in range(t)]


def run_parts(kernel: Callable, nparts: int, *args, threads: int | None = None) -> list:
    """``kernel(*args, lo, hi)`` over contiguous ranges of parts ``0..nparts-1``, one range
    per thread (:func:`current` threads when None), the first in the calling thread; returns
    the kernels' return values in range order. The kernel must release the GIL (numba
    ``nogil=True``) to run in parallel, and write only its own parts' outputs."""
    ranges = split(nparts, current() if threads is None else threads)
    if len(ranges) == 1:
        return [kernel(*args, 0, nparts)]
    ex = _pool.executor(len(ranges) - 1)
    futures = [ex.submit(kernel, *args, lo, hi) for lo, hi in ranges[1:]]
    try:
        first = kernel(*args, *ranges[0])
    finally:
        wait(futures)              # never leave a part running on the caller's arrays
    return [first] + [f.result() for f in futures]


__all__ = [
    "available", "check", "current", "numba_threads", "resolve", "run_parts", "set_default",
    "split", "using", "worker_threads",
]
