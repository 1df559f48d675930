""""Did you mean ...?" for mistyped names (solvers, backends, problems, optimizers, options).

:func:`difflib.get_close_matches` ranks the candidates; this module only words the message the
same way everywhere.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, choices: Iterable[str], cutoff: float = 0.6,
            tie: float = 0.02) -> list[str]:
    """The valid names closest to ``name`` (case-insensitive): the best match and any within
    ``tie`` of its similarity (difflib ratio), best first; [] when none reaches ``cutoff``."""
    pool = list(dict.fromkeys(str(c) for c in choices))
    key = str(name).lower()
    hits = difflib.get_close_matches(key, [c.lower() for c in pool], n=3, cutoff=cutoff)
    if not hits:
        return []
    by_lower = {c.lower(): c for c in pool}

    def score(c: str) -> float:
        return difflib.SequenceMatcher(None, key, c).ratio()

    best = score(hits[0])
    return [by_lower[h] for h in hits if score(h) >= best - tie]


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` (or ``'x' or 'y'`` for a tie) for the closest choices, or
    ``""`` when none is close."""
    hits = closest(name, choices)
    return f"; did you mean {' or '.join(map(repr, hits))}?" if hits else ""


def unknown(what: str, name: str, choices: Iterable[str],
            candidates: Iterable[str] | None = None) -> str:
    """The message for an unknown name: ``unknown solver 'qoao'; did you mean 'qaoa'? known:
    exact, milp, ...``. ``candidates`` (default: ``choices``) are the names a suggestion is
    taken from, where ``choices`` holds patterns such as ``ibm:<device>``."""
    pool = list(choices)
    hint = did_you_mean(name, pool if candidates is None else candidates)
    return f"unknown {what} {name!r}{hint or ';'} known: {', '.join(pool)}"


__all__ = ["closest", "did_you_mean", "unknown"]
