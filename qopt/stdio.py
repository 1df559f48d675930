"""Keep stdout clean for machine-readable output: C-level stdout writes go to stderr.

Native libraries (HiGHS prints its banner when the first ``Highs()`` of a process is built)
write to file descriptor 1 directly, below Python's ``sys.stdout``; only an ``os.dup2`` of the
descriptor stops them from landing in ``qopt solve --json`` output. ``contextlib.redirect_stdout``
cannot do this (it swaps the Python object only), hence this small module.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading

_LOCK = threading.Lock()
_STATE: dict = {"depth": 0, "saved": None}


@contextlib.contextmanager
def stdout_to_stderr():
    """Within the block, anything written to file descriptor 1 (Python or C) goes to stderr.

    Nested and concurrent (threads) uses share one redirection, undone when the last one
    leaves. Where descriptors cannot be duplicated (an embedding without fd 1), a no-op.
    """
    with _LOCK:
        if _STATE["depth"] == 0:
            try:
                sys.stdout.flush()
                saved = os.dup(1)
                os.dup2(2, 1)
            except (OSError, ValueError, AttributeError):
                saved = None
            _STATE["saved"] = saved
        _STATE["depth"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _STATE["depth"] -= 1
            saved = _STATE["saved"]
            if _STATE["depth"] == 0 and saved is not None:
                with contextlib.suppress(OSError, ValueError, AttributeError):
                    sys.stdout.flush()
                os.dup2(saved, 1)
                os.close(saved)
                _STATE["saved"] = None


__all__ = ["stdout_to_stderr"]
