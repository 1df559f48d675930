"""QOBLIB's ``.qs`` QUBO files, read and written (also ``.qs.xz``, ``.qs.gz``, ``.qs.bz2``).

The layout, as QOBLIB's own converter (``misc/convert_lp2qubo.py``) writes it::

    # any comment lines
    # ObjectiveOffset 202539
    n nnz
    i j q        (nnz lines, 1-based, i <= j: the upper triangle of the symmetric matrix Q)

The energy to minimise is ``x'Qx + offset`` with Q symmetric: a diagonal entry ``i i q`` is
the linear coefficient q of x_i, an off-diagonal entry ``i j q`` (i < j) stands for Q_ij =
Q_ji = q and so contributes ``2 q x_i x_j``. Variables are named ``x1 .. xn`` after the file.

Reading is strict (errors name the file and the 1-based line, and nothing is guessed): the
header must be two integers; exactly ``nnz`` entry lines must follow, each three numbers with
integer indices in 1..n and i <= j (a lower-triangle entry is refused rather than mirrored),
no entry twice, every number finite and within 2^53 (the instance readers' limit);
at most one ``ObjectiveOffset`` comment.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import re
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from qopt.errors import InstanceFormatError, OptionError
from qopt.model.checks import file_path
from qopt.model.qubo import QUBO

#: largest magnitude of a number (float64 holds every integer up to 2^53; the instance
#: readers of :mod:`qopt.problems.reader` share the limit)
MAX_ABS_VALUE = 2.0 ** 53

_OPENERS = {".xz": lzma.open, ".gz": gzip.open, ".bz2": bz2.open}
_OFFSET = re.compile(r"^#\s*ObjectiveOffset\b\s*(.*?)\s*$", re.IGNORECASE)


def is_qs(path: str | Path) -> bool:
    """Whether a file name is a ``.qs`` file (optionally ``.xz`` / ``.gz`` / ``.bz2``)."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in _OPENERS:
        suffixes.pop()
    return bool(suffixes) and suffixes[-1] == ".qs"


def _read_text(path: Path) -> str:
    opener = _OPENERS.get(path.suffix.lower(), open)
    try:
        with opener(path, "rt", encoding="utf-8-sig") as f:
            return f.read()
    except FileNotFoundError:
        raise InstanceFormatError(path, None, "no such file") from None
    except (OSError, EOFError, lzma.LZMAError, UnicodeDecodeError) as exc:
        raise InstanceFormatError(path, None, f"cannot read: {exc}") from None


def read_qs(path: str | Path) -> QUBO:
    """The :class:`~qopt.model.qubo.QUBO` of a ``.qs`` file (see the module docstring).

    The entry lines are parsed by pandas' C reader; a file it does not take cleanly, or
    whose entries fail a check, is read again line by line to name the first bad line."""
    path = file_path(path)
    text = _read_text(path)
    fast = _parse_fast(text)
    if fast is not None:
        return _qubo(*fast)
    return _parse_strict(path, text)


def _qubo(n: int, offset: float, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> QUBO:
    diag = rows == cols
    linear = np.zeros(n)
    linear[rows[diag] - 1] = vals[diag]
    off = ~diag
    quadratic = sp.csr_matrix((2.0 * vals[off], (rows[off] - 1, cols[off] - 1)), shape=(n, n))
    return QUBO(quadratic, linear, offset, var_names=[f"x{i}" for i in range(1, n + 1)])


def _parse_fast(text: str):
    """(n, offset, rows, cols, vals) when the file is clean (comments only before the
    header, exactly nnz valid entries), else None (the strict reader then says why)."""
    import io

    import pandas as pd

    offset, seen, pos = 0.0, 0, 0
    header = None
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line = text[pos:end].strip()
        pos = end + 1
        if not line:
            continue
        if line.startswith("#"):
            m = _OFFSET.match(line)
            if m:
                seen += 1
                try:
                    offset = float(m.group(1))
                except ValueError:
                    return None
            continue
        header = line.split()
        break
    body = text[pos:]
    if header is None or len(header) != 2 or seen > 1 or "#" in body or \
            not abs(offset) <= MAX_ABS_VALUE:
        return None
    try:
        n, nnz = int(header[0]), int(header[1])
    except ValueError:
        return None
    if not body.strip():
        empty = np.zeros(0, np.int64)
        return (n, offset, empty, empty, np.zeros(0)) if nnz == 0 and n >= 1 else None
    try:
        frame = pd.read_csv(io.StringIO(body), sep=r"\s+", header=None, engine="c",
                            skip_blank_lines=True)
    except (ValueError, pd.errors.ParserError):
        return None
    numeric = pd.api.types.is_numeric_dtype
    if n < 1 or frame.shape != (nnz, 3) or not all(numeric(t) for t in frame.dtypes):
        return None
    if not all(pd.api.types.is_integer_dtype(frame[c]) for c in frame.columns[:2]):
        return None                         # "1.0" as an index: the strict reader refuses it
    rows, cols, vals = (frame[c].to_numpy() for c in frame.columns)
    rows, cols, vals = rows.astype(np.int64), cols.astype(np.int64), vals.astype(np.float64)
    ok = (np.all((rows >= 1) & (cols <= n) & (rows <= cols))
          and np.all(np.abs(vals) <= MAX_ABS_VALUE)
          and not np.any(np.diff(np.sort(rows * (n + 1) + cols)) == 0))
    return (n, offset, rows, cols, vals) if ok else None


def _parse_strict(path: Path, text: str) -> QUBO:
    """Line by line, naming the first bad line (see the module docstring)."""
    offset, offset_line = 0.0, None
    records: list[tuple[int, list[str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            m = _OFFSET.match(stripped)
            if m:
                if offset_line is not None:
                    raise InstanceFormatError(path, number, "a second ObjectiveOffset (the first "
                                              f"is on line {offset_line})")
                offset, offset_line = _number(path, number, m.group(1), "ObjectiveOffset"), number
            continue
        records.append((number, stripped.split()))
    if not records:
        raise InstanceFormatError(path, None, "no header line 'n nnz' (the file has only "
                                  "comments)")
    line, header = records[0]
    if len(header) != 2:
        raise InstanceFormatError(path, line, f"expected the header 'n nnz' (two integers), "
                                  f"got {len(header)} fields")
    n = _integer(path, line, header[0], "number of variables n", 1)
    nnz = _integer(path, line, header[1], "number of entries nnz", 0)
    entries = records[1:]
    if len(entries) != nnz:
        where = entries[-1][0] if entries else line
        raise InstanceFormatError(path, where, f"the header announces {nnz} entries, the file "
                                  f"has {len(entries)}")
    if nnz > n * (n + 1) // 2:
        raise InstanceFormatError(path, line, f"{nnz} entries exceed the {n * (n + 1) // 2} "
                                  f"of an upper triangle with n = {n}")
    lines = np.fromiter((r[0] for r in entries), dtype=np.int64, count=nnz)
    widths = np.fromiter((len(r[1]) for r in entries), dtype=np.int64, count=nnz)
    if np.any(widths != 3):
        k = int(np.argmax(widths != 3))
        raise InstanceFormatError(path, int(lines[k]), "expected an entry 'i j q' (three "
                                  f"fields), got {widths[k]}")
    fields = np.array([r[1] for r in entries], dtype=object).reshape(nnz, 3)
    rows = _column(path, lines, fields[:, 0], "row index i", n)
    cols = _column(path, lines, fields[:, 1], "column index j", n)
    vals = _values(path, lines, fields[:, 2])
    lower = rows > cols
    if np.any(lower):
        k = int(np.argmax(lower))
        raise InstanceFormatError(path, int(lines[k]), f"entry ({rows[k]}, {cols[k]}) lies "
                                  "below the diagonal; a .qs file lists the upper triangle "
                                  "(i <= j)")
    key = rows * (n + 1) + cols
    order = np.argsort(key, kind="stable")
    repeated = np.flatnonzero(np.diff(key[order]) == 0)
    if repeated.size:
        first, second = order[repeated[0]], order[repeated[0] + 1]
        raise InstanceFormatError(path, int(lines[second]), f"entry ({rows[second]}, "
                                  f"{cols[second]}) repeats line {int(lines[first])}")
    return _qubo(n, offset, rows, cols, vals)


def _integer(path: Path, line: int, token: str, what: str, minimum: int) -> int:
    try:
        value = int(token)
    except ValueError:
        raise InstanceFormatError(path, line, f"{what}: {token!r} is not an integer") from None
    if value < minimum:
        raise InstanceFormatError(path, line, f"{what} must be at least {minimum}, got {value}")
    return value


def _number(path: Path, line: int, token: str, what: str) -> float:
    try:
        value = float(token)
    except ValueError:
        raise InstanceFormatError(path, line, f"{what}: {token!r} is not a number") from None
    if not abs(value) <= MAX_ABS_VALUE:
        raise InstanceFormatError(path, line, f"{what}: {token!r} is not finite or beyond the "
                                  "readers' limit 2^53")
    return value


def _column(path: Path, lines: np.ndarray, tokens: np.ndarray, what: str, n: int) -> np.ndarray:
    try:
        values = tokens.astype(np.int64)
    except (ValueError, OverflowError):
        for k, tok in enumerate(tokens):
            _integer(path, int(lines[k]), tok, what, 1)
        raise                                               # pragma: no cover
    bad = (values < 1) | (values > n)
    if np.any(bad):
        k = int(np.argmax(bad))
        raise InstanceFormatError(path, int(lines[k]), f"{what} {values[k]} is outside 1..{n}")
    return values


def _values(path: Path, lines: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    try:
        values = tokens.astype(np.float64)
        if np.all(np.abs(values) <= MAX_ABS_VALUE):
            return values
    except ValueError:
        pass
    for k, tok in enumerate(tokens):
        _number(path, int(lines[k]), tok, "coefficient q")
    raise AssertionError("unreachable")                     # pragma: no cover


def write_qs(qubo, path: str | Path, comment: str | None = None) -> None:
    """Write ``qubo`` as a ``.qs`` file (compressed by a ``.xz`` / ``.gz`` / ``.bz2`` suffix):
    the upper triangle of the symmetric Q with x'Qx + offset = the QUBO's energy.

    ``qubo``: a :class:`QUBO`, or any unconstrained binary model of degree <= 2 (a
    ``Program``, ``BinaryProgram``, a dimod BINARY BQM, an opt-mapper problem, ...; a max
    model is written negated, since a ``.qs`` file is minimised). Lower a constrained model
    first (``qopt.program_to_qubo``)."""
    path = file_path(path)
    if not is_qs(path):
        raise OptionError(f"{path}: write_qs writes .qs files (optionally .qs.xz / .qs.gz / "
                          ".qs.bz2), not {''.join(path.suffixes) or 'a file without suffix'!r}")
    if not isinstance(qubo, QUBO):
        qubo = _as_qubo(qubo)
    n = qubo.num_vars
    U = sp.coo_matrix(qubo.quadratic)
    upper = sp.coo_matrix((U.data / 2.0, (np.minimum(U.row, U.col), np.maximum(U.row, U.col))),
                          shape=(n, n))
    M = (upper + sp.diags(qubo.linear)).tocsr()
    M.sum_duplicates()
    M.eliminate_zeros()
    M = M.tocoo()
    order = np.lexsort((M.col, M.row))
    r, c, v = M.row[order] + 1, M.col[order] + 1, M.data[order]
    lines = [f"# {line}" for line in (comment or "").splitlines()]
    lines += [f"# ObjectiveOffset {_fmt(qubo.offset)}", f"{n} {len(v)}"]
    lines += [f"{i} {j} {_fmt(q)}" for i, j, q in zip(r.tolist(), c.tolist(), v.tolist())]
    opener = _OPENERS.get(path.suffix.lower(), open)
    with opener(path, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def _as_qubo(model) -> QUBO:
    """The QUBO (minimised) of an unconstrained binary model of degree <= 2."""
    from qopt.model.interop import as_terms
    from qopt.model.interop.terms import refuse

    terms = as_terms(model)
    refuse(terms, "a .qs file (a QUBO)", kinds=("binary",), max_degree=2, constraints=False)
    canon = terms.canonical()
    sign = -1.0 if canon.sense == "max" else 1.0
    n = len(canon.variables)
    linear = np.zeros(n)
    quad: dict[tuple[int, int], float] = {}
    for key, c in canon.objective.terms.items():
        if len(key) == 1:
            linear[key[0]] = sign * c
        else:
            quad[key] = sign * c
    return QUBO(quad or None, linear, sign * canon.objective.constant, num_vars=n,
                var_names=canon.names)


def _fmt(value: float) -> str:
    """Integers as integers, others with every digit float64 keeps (repr)."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 2 ** 53 else repr(value)


__all__ = ["is_qs", "read_qs", "write_qs"]
