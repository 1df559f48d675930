"""Memory and time limits checked before any large allocation or long enumeration.

The memory limit is, in order of precedence: the ``limit`` argument, the ``QOPT_MEMORY_LIMIT``
environment variable (bytes, or with a K/M/G/T suffix), or a safe share (half) of what this
process may really use: the smallest of physical memory, the cgroup (v2 ``memory.max`` or v1
``memory.limit_in_bytes``) limit and the address space left under ``RLIMIT_AS`` (``ulimit -v``).
A sweep divides the limit among its workers by setting ``QOPT_MEMORY_LIMIT`` for each worker
(:func:`worker_memory_limit`).

The time limit of estimated enumerations (:class:`qopt.resources.ResourcePlan`) is the ``limit``
argument, else ``QOPT_TIME_LIMIT`` (seconds, or with an s/m/h/d suffix), else one hour.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
from pathlib import Path

from qopt.errors import OptionError, SizeLimitError

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


#: share of the usable memory qopt plans for when no QOPT_MEMORY_LIMIT is set
SAFE_SHARE = 0.5
#: default time limit (seconds) of enumerations whose run time has no natural bound
DEFAULT_TIME_LIMIT = 3600.0
_UNLIMITED = 2**62  # cgroup v1 writes "no limit" as a page-rounded 2^63 - 1
_TIME_SUFFIX = {"S": 1, "M": 60, "H": 3600, "D": 86400}


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    if not text or text == "max":
        return None
    try:
        value = int(text)
    except ValueError:
        return None
    return value if 0 < value < _UNLIMITED else None


@functools.cache
def cgroup_memory_limit(root: str | os.PathLike = "/sys/fs/cgroup") -> int | None:
    """The tightest cgroup memory limit over this process's cgroup and its ancestors, or None.

    Reads cgroup v2 ``memory.max`` and v1 ``memory/memory.limit_in_bytes``; inside a container
    the cgroup is usually mounted as the root, so the root's files are read too. Read once per
    process and root (a solve's plan check stays in microseconds).
    """
    root = Path(root)
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        lines = []
    candidates: list[Path] = [root / "memory.max", root / "memory" / "memory.limit_in_bytes"]
    for line in lines:
        _, controllers, rel = line.split(":", 2) if line.count(":") >= 2 else ("", "", "")
        rel = rel.strip("/")
        parts = Path(rel).parts if rel else ()
        for k in range(len(parts), 0, -1):
            sub = Path(*parts[:k])
            if controllers == "":
                candidates.append(root / sub / "memory.max")
            elif "memory" in controllers.split(","):
                candidates.append(root / "memory" / sub / "memory.limit_in_bytes")
    found = [v for v in map(_read_int, candidates) if v is not None]
    return min(found) if found else None


def address_space_left() -> int | None:
    """Bytes of address space left under ``RLIMIT_AS`` (``ulimit -v``), or None if unlimited."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft < 0:
        return None
    try:
        used = int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        used = 0
    return max(soft - used, 0)


def _from_env(name: str, parse, expected: str) -> float | None:
    """The environment variable ``name`` parsed (None when unset), else OptionError."""
    text = os.environ.get(name)
    if not text:
        return None
    try:
        value = parse(text)
    except (ValueError, OverflowError):
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise OptionError(f"{name}={text!r} is not {expected}")
    return value


def memory_limit_info(limit: int | None = None) -> tuple[int, str]:
    """``(bytes, where it comes from)`` of the memory limit in force (see the module docstring)."""
    if limit is not None:
        return int(limit), "memory_limit argument"
    value = _from_env("QOPT_MEMORY_LIMIT", parse_bytes,
                      "a positive size (bytes, or a number with a K/M/G/T suffix, e.g. 4G)")
    if value is not None:
        return int(value), f"QOPT_MEMORY_LIMIT={os.environ['QOPT_MEMORY_LIMIT']}"
    sources = [(physical_memory(), "physical memory")]
    cg = cgroup_memory_limit()
    if cg is not None:
        sources.append((cg, "cgroup memory limit"))
    left = address_space_left()
    if left is not None:
        sources.append((left, "address space left under ulimit -v"))
    usable, name = min(sources)
    return int(usable * SAFE_SHARE), f"{SAFE_SHARE:.0%} of the {name} ({format_bytes(usable)})"


def memory_limit(limit: int | None = None) -> int:
    """The byte limit in force for one solve (all its buffers together)."""
    return memory_limit_info(limit)[0]


def worker_memory_limit(workers: int) -> int:
    """This process's memory limit divided among ``workers`` processes (at least 1 MiB each)."""
    return max(memory_limit() // max(int(workers), 1), 2**20)


@contextlib.contextmanager
def memory_limit_override(nbytes: int | None):
    """Within the block ``QOPT_MEMORY_LIMIT`` is ``nbytes`` (None: unchanged); restored after.

    A sweep runs each run under its share of the limit this way (:func:`worker_memory_limit`)."""
    if nbytes is None:
        yield
        return
    saved = os.environ.get("QOPT_MEMORY_LIMIT")
    os.environ["QOPT_MEMORY_LIMIT"] = str(int(nbytes))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("QOPT_MEMORY_LIMIT", None)
        else:
            os.environ["QOPT_MEMORY_LIMIT"] = saved


def parse_seconds(text: str) -> float:
    """``"90"`` -> 90.0, ``"2h"`` -> 7200.0 (suffixes s, m, h, d)."""
    t = text.strip().upper()
    if t and t[-1] in _TIME_SUFFIX:
        return float(t[:-1]) * _TIME_SUFFIX[t[-1]]
    return float(t)


def time_limit_info(limit: float | None = None) -> tuple[float, str]:
    """``(seconds, where it comes from)`` of the limit on estimated enumeration time."""
    if limit is not None:
        return float(limit), "time limit"
    value = _from_env("QOPT_TIME_LIMIT", parse_seconds,
                      "a positive number of seconds (optionally with an s/m/h/d suffix, e.g. 2h)")
    if value is not None:
        return float(value), f"QOPT_TIME_LIMIT={os.environ['QOPT_TIME_LIMIT']}"
    return DEFAULT_TIME_LIMIT, "the default"


def format_seconds(seconds: float) -> str:
    """Human-readable duration, e.g. ``3.1 h``."""
    s = float(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            return f"{s / size:.1f} {unit}"
    return f"{s:.2g} s"


def check_allocation(nbytes: int, what: str, limit: int | None = None) -> None:
    """Raise :class:`SizeLimitError` naming ``what`` if ``nbytes`` exceeds the limit."""
    cap = memory_limit(limit)
    if nbytes > cap:
        raise SizeLimitError(
            f"{what} needs {format_bytes(nbytes)}, over the memory limit of "
            f"{format_bytes(cap)} (set QOPT_MEMORY_LIMIT or pass memory_limit to change it)"
        )
