"""Memory limits checked before any large allocation.

The limit is, in order of precedence: the ``limit`` argument, the ``QOPT_MEMORY_LIMIT``
environment variable (bytes, or with a K/M/G/T suffix), or half of this machine's physical
memory.
"""

from __future__ import annotations

import os

from qopt.errors import SizeLimitError

_SUFFIX = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def format_bytes(nbytes: float) -> str:
    """Human-readable binary size, e.g. ``8.0 TiB``."""
    value = float(nbytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def parse_bytes(text: str) -> int:
    """``"12G"`` -> 12 * 2**30; plain integers are bytes."""
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    if t and t[-1] in _SUFFIX:
        return int(float(t[:-1]) * _SUFFIX[t[-1]])
    return int(float(t))


def physical_memory() -> int:
    """Physical memory of this machine in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def memory_limit(limit: int | None = None) -> int:
    """The byte limit in force for one large buffer."""
    if limit is not None:
        return int(limit)
    env = os.environ.get("QOPT_MEMORY_LIMIT")
    if env:
        return parse_bytes(env)
    return physical_memory() // 2


def check_allocation(nbytes: int, what: str, limit: int | None = None) -> None:
    """Raise :class:`SizeLimitError` naming ``what`` if ``nbytes`` exceeds the limit."""
    cap = memory_limit(limit)
    if nbytes > cap:
        raise SizeLimitError(
            f"{what} needs {format_bytes(nbytes)}, over the memory limit of "
            f"{format_bytes(cap)} (set QOPT_MEMORY_LIMIT or pass memory_limit to change it)"
        )
