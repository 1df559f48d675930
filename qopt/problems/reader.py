"""Shared tokenizer of the instance readers: whitespace-separated numbers with their line numbers.

Every reader goes through :class:`TokenReader`, so every malformed file (truncated, a
non-numeric token, a wrong count, an out-of-range id) raises
:class:`~qopt.errors.InstanceFormatError` naming the file and the 1-based line.

Rules every reader shares: files are read as UTF-8 and a leading byte-order mark is skipped;
every number must be finite with magnitude at most :data:`MAX_ABS_VALUE` = 2^53 (beyond it
float64 no longer holds every integer, so objectives stop being exact, and values such as
1e308 overflow to inf in a sum); a larger one, or an integer beyond int64, is refused naming
its line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qopt.errors import InstanceFormatError, OptionError, QoptWarning

#: largest magnitude of any number in an instance file (2^53: float64 holds every integer up to it)
MAX_ABS_VALUE = 2.0 ** 53


def _too_large(value: float) -> bool:
    return not abs(value) <= MAX_ABS_VALUE


def _within(values: np.ndarray) -> np.ndarray:
    """Elementwise: finite with magnitude at most :data:`MAX_ABS_VALUE` (compared on both
    sides: ``np.abs`` wraps int64's minimum -2^63 to itself, a negative number)."""
    return (values >= -MAX_ABS_VALUE) & (values <= MAX_ABS_VALUE)


def _range_message(what: str, token: str) -> str:
    return (f"{what}: {token!r} is beyond the readers' limit of magnitude 2^53 "
            f"= {int(MAX_ABS_VALUE)} (numbers must be finite and exact in float64)")


def _not_number(what: str, token: str, kind: str) -> str:
    """Message for a token that is not ``kind`` ("a number": says "finite" for inf / nan)."""
    try:
        finite = np.isfinite(float(token))
    except ValueError:
        finite = True
    return f"{what}: {token!r} is not {kind if finite else 'a finite number'}"


def _parse_int(token: str) -> int | None:
    try:
        return int(token)
    except ValueError:
        pass
    try:
        value = float(token)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


def _parse_float(token: str) -> float | None:
    try:
        value = float(token)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


class TokenReader:
    """Tokens of one text file, each with its line number, consumed front to back.

    Args:
        path: the file (used in error messages; read unless ``text`` is given).
        text: the file's content, if already read.
        comment_prefixes: lines whose first token starts with one of these are skipped
            (e.g. ``("c",)`` for DIMACS); blank lines are always skipped.
    """

    def __init__(self, path: str | Path, text: str | None = None,
                 comment_prefixes: Sequence[str] = ()):
        self.path = str(path)
        if text is None:
            try:
                text = Path(path).read_text(encoding="utf-8-sig")
            except UnicodeDecodeError as exc:
                raise InstanceFormatError(path, None, f"not a text file ({exc.reason})") from None
            except OSError as exc:
                raise InstanceFormatError(path, None, f"cannot read: {exc.strerror}") from None
        text = text.removeprefix("\ufeff")
        self.records: list[tuple[int, list[str]]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            fields = line.split()
            if not fields or any(fields[0].startswith(p) for p in comment_prefixes):
                continue
            self.records.append((number, fields))
        self.tokens = [tok for _, fields in self.records for tok in fields]
        self.lines = [number for number, fields in self.records for _ in fields]
        self.pos = 0

    # ---- errors and positions -----------------------------------------------------------
    def error(self, line: int | None, message: str) -> InstanceFormatError:
        """An :class:`InstanceFormatError` for this file at ``line``."""
        return InstanceFormatError(self.path, line, message)

    @property
    def last_line(self) -> int:
        """Line of the last token (1 for a file with no tokens)."""
        return self.lines[-1] if self.lines else 1

    @property
    def remaining(self) -> int:
        return len(self.tokens) - self.pos

    def line(self) -> int:
        """Line of the next token (the last line when none is left)."""
        return self.lines[self.pos] if self.pos < len(self.tokens) else self.last_line

    # ---- consuming ------------------------------------------------------------------------
    def take(self, count: int, what: str, dtype: type = int, *, single: bool = False
             ) -> np.ndarray:
        """The next ``count`` tokens as int64 (``dtype=int``) or float64, shape (count,).

        Raises when the file ends early ("expected 28 profits, file ends at line 3") or a
        token is not a number of the right kind (naming that token's line). ``single`` words
        the message for one named value ("expected the number of items, ...").
        """
        count = int(count)
        if self.remaining < count:
            expected = what if single else f"{count} {what}"
            raise self.error(self.last_line, f"expected {expected}, file ends at line "
                             f"{self.last_line} after {self.remaining}")
        chunk = self.tokens[self.pos:self.pos + count]
        np_type = np.int64 if dtype is int else np.float64
        try:
            values = np.array(chunk, dtype=np_type)
            if not np.all(_within(values)):   # also catches nan / inf
                raise ValueError
        except (ValueError, OverflowError):
            values = np.empty(count, dtype=np_type)
            parse = _parse_int if dtype is int else _parse_float
            kind = "an integer" if dtype is int else "a number"
            for k, tok in enumerate(chunk):
                value = parse(tok)
                if value is None:
                    raise self.error(self.lines[self.pos + k],
                                     _not_number(what, tok, kind)) from None
                if _too_large(value):
                    raise self.error(self.lines[self.pos + k],
                                     _range_message(what, tok)) from None
                values[k] = value
        self.pos += count
        return values

    def integer(self, what: str, minimum: int | None = None) -> int:
        """The next token as an int, at least ``minimum`` when given."""
        line = self.line()
        value = int(self.take(1, what, single=True)[0])
        if minimum is not None and value < minimum:
            raise self.error(line, f"{what} must be at least {minimum}, got {value}")
        return value

    def number(self, what: str) -> float:
        return float(self.take(1, what, float, single=True)[0])

    def expect_end(self, what: str = "data") -> None:
        """Raise when tokens are left after the last expected one."""
        if self.remaining:
            raise self.error(self.line(), f"unexpected extra token {self.tokens[self.pos]!r} "
                             f"after the {what} ({self.remaining} tokens left)")

    # ---- line-oriented formats (``records``) --------------------------------------------
    def parse_ints(self, line: int, fields: Sequence[str], what: str) -> list[int]:
        """``fields`` of one line as ints; raises naming the line on a non-integer."""
        out = []
        for tok in fields:
            value = _parse_int(tok)
            if value is None:
                raise self.error(line, f"{what}: {tok!r} is not an integer")
            if _too_large(value):
                raise self.error(line, _range_message(what, tok))
            out.append(value)
        return out

    def parse_numbers(self, line: int, fields: Sequence[str], what: str) -> list[float]:
        out = []
        for tok in fields:
            value = _parse_float(tok)
            if value is None:
                raise self.error(line, _not_number(what, tok, "a number"))
            if _too_large(value):
                raise self.error(line, _range_message(what, tok))
            out.append(value)
        return out


    def check_ids(self, ids: np.ndarray, lines: np.ndarray, num: int, what: str = "vertex"
                  ) -> None:
        """Raise for the first 1-based id outside 1..num; ``ids`` shape (k,) or (k, r), one
        line number per row in ``lines``."""
        ids = np.asarray(ids)
        bad = np.flatnonzero((ids < 1) | (ids > num))
        if bad.size:
            k = int(bad[0])
            row = k // ids.shape[1] if ids.ndim == 2 else k
            raise self.error(int(lines[row]), f"{what} id {int(ids.flat[k])} outside 1..{num}")


#: bytes a graph reader and its Problem hold per declared vertex at the read's peak (label
#: object and list slot, CSR row pointer, degree); tracemalloc measured 68 (MIS) and 48
#: (MaxCut) on a 10^6-vertex header
GRAPH_BYTES_PER_VERTEX = 72


def check_vertex_count(r: TokenReader, line: int, num_nodes: int) -> None:
    """Refuse a header declaring more vertices than the memory limit allows, before anything
    is allocated per vertex (the reader buffers' :class:`~qopt.resources.ResourcePlan`:
    :class:`SizeLimitError` naming the file, line, estimate and limit)."""
    from qopt.resources import ResourcePlan

    plan = ResourcePlan(f"{r.path}, line {line}")
    plan.add(f"reader buffers: the header declares {num_nodes} vertices "
             f"({GRAPH_BYTES_PER_VERTEX} B per vertex)", num_nodes * GRAPH_BYTES_PER_VERTEX)
    plan.check()


def check_graph_edges(r: TokenReader, edges: np.ndarray, lines: np.ndarray,
                      merged: str = "merged into one") -> None:
    """The edge rules of the graph readers (MIS and MaxCut alike), ``edges`` shape (E, 2) ids,
    ``lines`` shape (E,): a self-loop is an error naming its line; an edge listed again (the
    same pair, either order) is merged, with one :class:`~qopt.errors.QoptWarning` naming the
    first repeat's line and the count (``merged`` says how)."""
    if not len(edges):
        return
    loops = np.flatnonzero(edges[:, 0] == edges[:, 1])
    if loops.size:
        raise r.error(int(lines[loops[0]]), f"self-loop on vertex {edges[loops[0], 0]} "
                                            f"(graph files may not have self-loops)")
    _, first, inverse = np.unique(np.sort(edges, axis=1), axis=0, return_index=True,
                                  return_inverse=True)
    repeats = np.flatnonzero(first[inverse.ravel()] != np.arange(len(edges)))
    if repeats.size:
        import warnings

        k = int(repeats[0])
        warnings.warn(f"{r.path}, line {int(lines[k])}: {repeats.size} repeated edge(s) (the "
                      f"same vertex pair listed again, in either order) {merged}",
                      QoptWarning, stacklevel=3)


def require_finite(what: str, *arrays) -> None:
    """The constructors' form of the readers' number rule: every value finite with magnitude
    at most :data:`MAX_ABS_VALUE`, else an OptionError naming ``what``."""
    for a in arrays:
        ok = _within(a)
        if a.size and not np.all(ok):
            bad = a[~ok].flat[0]
            raise OptionError(f"{what} must be finite with magnitude at most 2^53, got "
                              f"{float(bad)!r}")


def format_number(value: float) -> str:
    """A number as the readers read it back exactly: integral values without a decimal point."""
    v = float(value)
    return str(int(v)) if v.is_integer() else repr(v)


def format_row(values) -> str:
    """One whitespace-separated line of :func:`format_number` values."""
    return " ".join(format_number(v) for v in np.asarray(values, dtype=float).ravel())
