"""Live progress of one solve: evaluations against the budget, best value so far, elapsed time.

Solvers report through ONE narrow hook, :func:`count`, called where evaluations are already
counted: the variational optimizers' :class:`~qopt.solvers.optimizers.Objective` (every
expectation / CVaR / gradient call of QAOA, VQE, PCE, QRAO, ...) and the classical baselines'
:class:`~qopt.solvers.classical.blackbox.BlackBox` (random search, GA, MAP-Elites). Without an
active tracker the hook is one context-variable lookup.

:func:`tracking` activates a tracker for the duration of a solve (``qopt.solve(...,
progress=...)``): ``progress=True`` writes a status line to stderr once the solve has run for
:data:`DELAY` seconds (refreshed in place on a terminal, a new line every
:data:`PIPE_INTERVAL` seconds otherwise, plus the final count; a background thread keeps the
elapsed time ticking also while a solver reports nothing, e.g. exact enumeration);
``progress=callable`` calls it with a :class:`ProgressEvent` after every reported batch of
evaluations.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

#: seconds a solve runs before the status line appears
DELAY = 2.0
#: refresh period of the status line on a terminal (seconds)
TTY_INTERVAL = 0.25
#: period of a new status line when stderr is not a terminal (a pipe or a log file)
PIPE_INTERVAL = 5.0


@dataclass(frozen=True)
class ProgressEvent:
    """One progress reading. ``evaluations``: objective evaluations so far (all optimizer /
    black-box calls of the solve); ``budget``: the budget of the counter that reports them
    (None if unknown; for variational solvers the optimizer's parameter sets, what the
    solve's ``budget`` buys once the final samples are reserved);
    ``best``: lowest value reported so far (the solver's minimised quantity: energy /
    expectation for variational solvers, minimisation objective for black-box baselines);
    ``elapsed``: seconds since the solve started."""

    solver: str
    evaluations: int
    budget: int | None
    best: float | None
    elapsed: float

    def line(self) -> str:
        """The status line text, e.g. ``qaoa: 120/200 evaluations, best -9.521, 3.4 s``."""
        evals = f"{self.evaluations}" + (f"/{self.budget}" if self.budget else "")
        best = "" if self.best is None else f", best {self.best:.6g}"
        return f"{self.solver}: {evals} evaluations{best}, {self.elapsed:.1f} s"


class Tracker:
    """Adds up what :func:`count` reports during one solve."""

    def __init__(self, solver: str, budget: int | None,
                 callback: Callable[[ProgressEvent], Any] | None = None):
        self.solver = solver
        self.budget = budget
        self.callback = callback
        self.evaluations = 0
        self.best = math.inf
        self.start = time.perf_counter()
        self._counter_budget = False

    def count(self, evaluations: int, best: float | None, budget: int | None) -> None:
        self.evaluations += int(evaluations)
        if best is not None and best < self.best:
            self.best = float(best)
        if budget is not None and not self._counter_budget:
            self.budget, self._counter_budget = int(budget), True   # the counter's own unit
        if self.callback is not None:
            self.callback(self.event())

    def event(self) -> ProgressEvent:
        return ProgressEvent(self.solver, self.evaluations, self.budget,
                             None if math.isinf(self.best) else self.best,
                             time.perf_counter() - self.start)


_active: contextvars.ContextVar[Tracker | None] = contextvars.ContextVar("qopt_progress",
                                                                       default=None)


def count(evaluations: int = 1, best: float | None = None, budget: int | None = None) -> None:
    """The solvers' hook: ``evaluations`` more objective evaluations were spent, the lowest
    value among them (or the incumbent) is ``best``, out of ``budget`` (if the counter knows
    it). A no-op outside :func:`tracking`."""
    tracker = _active.get()
    if tracker is not None:
        tracker.count(evaluations, best, budget)


class StatusLine:
    """A background thread writing ``tracker``'s status line to ``stream`` (see module doc)."""

    def __init__(self, tracker: Tracker, stream: IO[str] | None = None,
                 delay: float | None = None):
        self.tracker = tracker
        self.stream = stream if stream is not None else sys.stderr
        self.delay = DELAY if delay is None else delay
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = TTY_INTERVAL if self.tty else PIPE_INTERVAL
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="qopt-progress", daemon=True)
        self._shown = False

    def _write(self, text: str) -> None:
        with contextlib.suppress(Exception):   # a closed stream must never break a solve
            self.stream.write(text)
            self.stream.flush()

    def _loop(self) -> None:
        if self._stop.wait(self.delay):
            return
        while True:
            line = self.tracker.event().line()
            self._write(f"\r\x1b[2K{line}" if self.tty else line + "\n")
            self._shown = True
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> StatusLine:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        if self._shown and self.tty:
            self._write("\r\x1b[2K")   # leave the terminal clean for the result
        elif self._shown:
            self._write(self.tracker.event().line() + "\n")   # a log ends with the final count


@contextlib.contextmanager
def tracking(progress: bool | Callable[[ProgressEvent], Any] | None, solver: str,
             budget: int | None = None, stream: IO[str] | None = None) -> Iterator[Tracker | None]:
    """Activate progress reporting for a block (see the module docstring); ``progress``
    False / None does nothing."""
    if not progress:
        yield None
        return
    callback = progress if callable(progress) else None
    tracker = Tracker(solver, budget, callback)
    token = _active.set(tracker)
    try:
        if callback is None:
            with StatusLine(tracker, stream):
                yield tracker
        else:
            yield tracker
    finally:
        _active.reset(token)


__all__ = ["DELAY", "ProgressEvent", "StatusLine", "Tracker", "count", "tracking"]
