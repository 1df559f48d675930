"""One resource plan per solve: every large buffer and every unbounded run time, summed and
checked against the limits before any of it is allocated or started.

A solver (or backend, reader, optimizer) states what it will need from the instance and its
options::

    plan = ResourcePlan("qaoa on maxcut:26")
    plan.add("statevector (2^26 complex128)", 16 * 2**26, option="--size")
    plan.add_time("exact enumeration of 2^40 states", 2**40 / 2e8, option="--max-vars")
    plan.check()          # SizeLimitError naming the options, the estimate and the limit

Memory: the items are summed (they are live at the same time at the peak) and compared with
:func:`qopt.limits.memory_limit` (``QOPT_MEMORY_LIMIT`` or a safe share of what the process may
use). Time: estimated seconds of enumerations that nothing else bounds are summed and compared
with :func:`qopt.limits.time_limit_info` (``QOPT_TIME_LIMIT``, default one hour); runs over it
are refused before they start, not interrupted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from qopt.errors import OptionError, SizeLimitError
from qopt.limits import format_bytes, format_seconds, memory_limit_info, time_limit_info

#: how many of the largest items an error message lists
_SHOWN = 3
#: items of at least this share of the total are named as causes in the message
_SIGNIFICANT = 0.05


@dataclass(frozen=True)
class PlanItem:
    """One buffer (``amount`` in bytes) or one run time (``amount`` in seconds); ``fix`` is
    the advice when it is too large (default: lower ``option``, or a smaller instance)."""

    what: str
    amount: float
    option: str | None = None
    fix: str | None = None

    @property
    def advice(self) -> str:
        if self.fix:
            return self.fix
        return f"lower {self.option}" if self.option else "use a smaller instance"


@dataclass
class ResourcePlan:
    """Peak memory and unbounded run time of one solve, itemised.

    ``context`` names the solve in messages (e.g. ``"qaoa on mis:1dc.64"``). Items are added
    with :meth:`add` (bytes) and :meth:`add_time` (seconds); ``option`` names the option that
    scales the item (``"--p"``), or None for the instance itself.
    """

    context: str = ""
    memory: list[PlanItem] = field(default_factory=list)
    time: list[PlanItem] = field(default_factory=list)

    def add(self, what: str, nbytes: float, option: str | None = None, *,
            fix: str | None = None) -> ResourcePlan:
        """Add a buffer of ``nbytes`` bytes (live at the solve's peak); ``fix`` overrides the
        advice "lower <option>" (e.g. ``"use --relaxation product"``)."""
        self.memory.append(PlanItem(what, _amount(nbytes, what, "nbytes"), option, fix))
        return self

    def add_time(self, what: str, seconds: float, option: str | None = None, *,
                 fix: str | None = None) -> ResourcePlan:
        """Add an estimated run time in seconds of work that nothing else bounds."""
        self.time.append(PlanItem(what, _amount(seconds, what, "seconds"), option, fix))
        return self

    def extend(self, other: ResourcePlan) -> ResourcePlan:
        """Add every item of ``other`` (e.g. a backend's plan into its solver's)."""
        self.memory.extend(other.memory)
        self.time.extend(other.time)
        return self

    @property
    def total_bytes(self) -> float:
        return float(sum(i.amount for i in self.memory))

    @property
    def total_seconds(self) -> float:
        return float(sum(i.amount for i in self.time))

    def check(self, limit: int | None = None, time_limit: float | None = None) -> None:
        """Raise :class:`SizeLimitError` if the summed memory exceeds ``limit`` (default the
        limit in force) or the summed time exceeds ``time_limit`` (default the time limit)."""
        cap, source = memory_limit_info(limit)
        if self.total_bytes > cap:
            raise SizeLimitError(self._message("memory", format_bytes, self.total_bytes,
                                               format_bytes(cap), source, "QOPT_MEMORY_LIMIT"))
        if self.time:
            seconds, tsource = time_limit_info(time_limit)
            if self.total_seconds > seconds:
                raise SizeLimitError(self._message("time", format_seconds, self.total_seconds,
                                                   format_seconds(seconds), tsource,
                                                   "QOPT_TIME_LIMIT"))

    def _message(self, kind, fmt, total, cap_text, source, env) -> str:
        items = sorted(getattr(self, kind), key=lambda i: -i.amount)
        shown = "; ".join(f"{i.what}: {fmt(i.amount)}" + (f" ({i.option})" if i.option else "")
                          for i in items[:_SHOWN])
        more = f"; and {len(items) - _SHOWN} smaller" if len(items) > _SHOWN else ""
        # the options (and the instance) behind the items that make up the total
        big = [i for i in items if i.amount >= _SIGNIFICANT * total]
        fixes = list(dict.fromkeys(i.advice for i in big))
        change = "To fit: " + ", ".join(fixes) + (" or " if fixes else "") + f"raise {env}"
        need = "needs" if kind == "memory" else "would take"
        head = f"{self.context}: " if self.context else ""
        return (f"{head}{need} an estimated {fmt(total)}, over the {kind} limit of {cap_text} "
                f"({source}) -- {shown}{more}. {change}")

    def __str__(self) -> str:
        lines = [f"resource plan{' of ' + self.context if self.context else ''}: "
                 f"{format_bytes(self.total_bytes)}"
                 + (f", {format_seconds(self.total_seconds)}" if self.time else "")]
        for i in self.memory:
            lines.append(f"  {i.what}: {format_bytes(i.amount)}"
                         + (f" ({i.option})" if i.option else ""))
        for i in self.time:
            lines.append(f"  {i.what}: {format_seconds(i.amount)}"
                         + (f" ({i.option})" if i.option else ""))
        return "\n".join(lines)


def _amount(value: float, what: str, unit: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        raise OptionError(f"resource plan item {what!r}: {unit} must be a number, "
                          f"got {value!r}") from None
    if math.isnan(v) or v < 0:
        raise OptionError(f"resource plan item {what!r}: {unit} must be >= 0, got {value!r}")
    return v


__all__ = ["PlanItem", "ResourcePlan"]
