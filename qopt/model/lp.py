"""LP (and MPS) files in and out through HiGHS's own reader and writer (``highspy``).

Models written by other tools (docplex, Pyomo, Gurobi, CPLEX ``.lp`` exports, QOBLIB's
``.lp.xz``) come in as a :class:`~qopt.model.program.BinaryProgram` when every variable is
binary and every constraint linear (as before), else as a :class:`qopt.Program` with the
file's bounded integer variables (values reported as integers) and quadratic constraints.
Integer variables whose bounds lie within [0, 1] are binaries (one fixed at 0 or 1 becomes a
constraint ``fix_<name>``); continuous and unbounded integer variables are refused, naming the
variable. The quadratic objective is the LP format's ``[ ... ] / 2`` section, which HiGHS
holds as a Hessian Q with objective ``c'x + x'Qx / 2`` (for binaries x^2 = x). Constraints
``<=``, ``=``, ``>=`` map one to one; ranged rows ``l <= a.x <= u`` are split into ``a.x >=
l`` (name suffix ``_lo``) and ``a.x <= u`` (``_hi``). The range variables CPLEX and docplex
write for ranged rows (``a.x - Rg = b`` with a bounded continuous ``Rg`` used nowhere else)
are folded back into ranged rows.

Quadratic constraints: HiGHS (1.16) refuses them while parsing. An LP file that has them is
read by dimod's LP reader instead (``dimod.lp.load``, the extra ``interop``): dimod's reader
is HiGHS's own LP parser extended to quadratic rows, so both agree on the rest of the format,
and it is maintained, where a hand-written parser of the LP grammar would not be. dimod
always minimises, so the file's sense is read from its first keyword and a maximised
objective turned back. MPS files with quadratic rows (``QCMATRIX``) are refused (neither
reader takes them). ``.xz`` and ``.bz2`` files are decompressed first; HiGHS reads ``.gz``.
"""

from __future__ import annotations

import bz2
import lzma
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from qopt.errors import InstanceFormatError, OptionError
from qopt.model.checks import file_path
from qopt.model.interop.terms import ModelTerms, Polynomial
from qopt.stdio import stdout_to_stderr

_WRITE_SUFFIXES = (".lp", ".mps")
#: HiGHS's infinity (|bound| at or above it means unbounded)
_INF = 1e20


def _highs():
    """A silent Highs instance (its once-per-process banner goes to stderr, never stdout)."""
    import highspy

    with stdout_to_stderr():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h, highspy


#: the location line of a HiGHS LP parser error: `` --> path:LINE:COLUMN``
_WHERE = re.compile(r"^\s*-->\s.*:(\d+):(\d+)\s*$")


def _read_model(h, highspy, path: Path, shown: Path | None = None) -> None:
    """``h.readModel(path)``; on failure an InstanceFormatError with HiGHS's first parser
    message and its line (HiGHS's log is captured through its logging callback, not printed).
    The error's ``quadratic_rows`` is True when HiGHS refused a quadratic constraint."""
    messages: list[str] = []
    h.setOptionValue("output_flag", True)
    h.setOptionValue("log_to_console", False)

    def collect(event) -> None:
        messages.append(str(event.message))

    h.cbLogging.subscribe(collect)
    try:
        status = h.readModel(str(path))
    finally:
        h.cbLogging.unsubscribe(collect)
        h.setOptionValue("output_flag", False)
    if status != highspy.HighsStatus.kError:
        return
    line, detail = None, ""
    for text in messages:
        lines = [t for t in text.splitlines() if t.strip()]
        if not lines or not lines[0].startswith("ERROR"):
            continue
        detail = lines[0].removeprefix("ERROR:").strip()
        for t in lines[1:]:
            m = _WHERE.match(t)
            if m:
                line = int(m.group(1))
            elif "^" in t:        # the caret line: `` | ^^^ expected the right-hand side``
                hint = t.split("^")[-1].strip()
                if hint:
                    detail = f"{detail} ({hint})"
        break
    error = InstanceFormatError(shown or path, line, "HiGHS could not read the model"
                                + (f": {detail}" if detail else f" (status {status.name})"))
    error.quadratic_rows = "quadratic constraints are not supported" in detail
    raise error


#: model file formats HiGHS reads, by name and suffix (each also compressed: ``.lp.gz``)
MODEL_FORMATS = {"lp": ".lp", "mps": ".mps"}
_COMPRESSED = (".gz", ".xz", ".bz2")


def model_format(path: str | Path) -> str | None:
    """"lp" or "mps" from a file name's suffix (``.lp``, ``.mps``, also with ``.gz``, ``.xz``
    or ``.bz2``), else None."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes.pop()
    for fmt, suffix in MODEL_FORMATS.items():
        if suffixes and suffixes[-1] == suffix:
            return fmt
    return None


@contextmanager
def _readable(path: Path, fmt: str):
    """A path HiGHS reads as ``fmt``: the file itself, or a suffixed link (HiGHS picks its
    parser by suffix), or a decompressed copy of a ``.xz`` / ``.bz2`` file."""
    suffix = path.suffix.lower()
    if model_format(path) == fmt and suffix not in (".xz", ".bz2"):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="qopt-model-") as tmp:
        target = Path(tmp) / f"model{MODEL_FORMATS[fmt]}"
        if suffix in (".xz", ".bz2"):
            opener = lzma.open if suffix == ".xz" else bz2.open
            try:
                with opener(path, "rb") as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            except (OSError, EOFError, lzma.LZMAError) as exc:
                raise InstanceFormatError(path, None, f"cannot decompress: {exc}") from None
        else:
            target.symlink_to(path.resolve())
        yield target


def read_lp(path: str | Path, fmt: str | None = None):
    """Read an LP / MPS file; a :class:`BinaryProgram` when every variable is binary and
    every constraint linear, else a :class:`qopt.Program` (see the module docstring).

    ``fmt`` ("lp" or "mps") reads a file whose name does not say its format; by default the
    suffix decides. Raises :class:`InstanceFormatError` naming the file when it cannot be
    read (with the parser's message and line where it gives one) or a variable is
    continuous or unbounded (naming the variable).
    """
    from qopt.model.interop.bridge import to_qopt_model

    return to_qopt_model(read_lp_terms(path, fmt))


def read_lp_terms(path: str | Path, fmt: str | None = None) -> ModelTerms:
    """The :class:`~qopt.model.interop.terms.ModelTerms` of an LP / MPS file."""
    path = file_path(path)
    if fmt is not None and fmt not in MODEL_FORMATS:
        raise OptionError(f"model format must be one of {', '.join(MODEL_FORMATS)}, got {fmt!r}")
    if not path.is_file():
        raise InstanceFormatError(path, None, "no such file")
    fmt = fmt or model_format(path)
    if fmt is None:
        raise InstanceFormatError(path, None, "not an LP or MPS file name (.lp, .mps, with "
                                  ".gz / .xz / .bz2); name the format as 'lp:PATH' or "
                                  "'mps:PATH'")
    h, highspy = _highs()
    with _readable(path, fmt) as readable:
        try:
            _read_model(h, highspy, readable, shown=path)
        except InstanceFormatError as exc:
            if not getattr(exc, "quadratic_rows", False) or fmt != "lp":
                raise
            from qopt.model.lp_quadratic import read_with_dimod

            return read_with_dimod(path, readable, exc)
    try:
        return _terms_from_highs(h.getModel(), highspy, path.stem)
    except OptionError as exc:
        raise InstanceFormatError(path, None, str(exc)) from None


def _terms_from_highs(model, highspy, name: str) -> ModelTerms:
    lp = model.lp_
    n_all, m = int(lp.num_col_), int(lp.num_row_)
    names_all = list(lp.col_names_) or [f"x{i}" for i in range(n_all)]
    integrality = list(lp.integrality_)
    lower = np.asarray(lp.col_lower_, dtype=float)
    upper = np.asarray(lp.col_upper_, dtype=float)
    cost = np.asarray(lp.col_cost_, dtype=float)
    A_all = _constraint_matrix(lp.a_matrix_, m, n_all, highspy).tocsc()
    hessian = _hessian_matrix(model.hessian_, n_all, highspy)
    row_lo = np.asarray(lp.row_lower_, dtype=float).copy()
    row_hi = np.asarray(lp.row_upper_, dtype=float).copy()
    in_hessian = np.zeros(n_all, dtype=bool)
    if hessian is not None:
        H = hessian.tocoo()
        in_hessian[H.row[H.data != 0]] = True
        in_hessian[H.col[H.data != 0]] = True
    out = ModelTerms(name=name, sense="max" if lp.sense_ == highspy.ObjSense.kMaximize
                     else "min")
    column = np.full(n_all, -1, dtype=np.int64)      # HiGHS column -> model variable
    fixed: list[tuple[int, str, float]] = []
    for j in range(n_all):
        is_int = bool(integrality) and integrality[j] == highspy.HighsVarType.kInteger
        if not is_int and _eliminate_range_variable(j, A_all, cost, in_hessian, lower, upper,
                                                    row_lo, row_hi):
            continue
        if not is_int:
            kind = integrality[j].name.removeprefix("k").lower() if integrality else \
                "continuous"
            raise OptionError(f"variable {names_all[j]!r} is {kind} (bounds "
                              f"[{_bound(lower[j])}, {_bound(upper[j])}]); qopt takes binary "
                              "and bounded integer variables")
        if not (lower[j] > -_INF and upper[j] < _INF):
            raise OptionError(f"integer variable {names_all[j]!r} is unbounded (bounds "
                              f"[{_bound(lower[j])}, {_bound(upper[j])}]); give it finite "
                              "bounds in the Bounds section")
        lo, hi = np.ceil(lower[j] - 1e-9), np.floor(upper[j] + 1e-9)
        binary = 0 <= lo <= hi <= 1
        column[j] = out.add_variable(names_all[j], "binary" if binary else "integer",
                                     lower[j], upper[j])
        if binary and lo == hi:
            fixed.append((int(column[j]), names_all[j], float(lo)))
    keep = np.flatnonzero(column >= 0)
    for j in keep:
        out.objective.add((int(column[j]),), cost[j])
    out.objective.constant = float(lp.offset_)
    if hessian is not None:
        H = hessian.tocoo()
        for r, c, v in zip(column[H.row].tolist(), column[H.col].tolist(), H.data.tolist()):
            out.objective.add((r, c), v)
    A = A_all.tocsr()
    row_names = list(lp.row_names_) or [f"c{i}" for i in range(m)]
    for r in range(m):
        row = A.getrow(r)
        lhs = Polynomial()
        for j, a in zip(row.indices.tolist(), row.data.tolist()):
            if column[j] >= 0:
                lhs.add((int(column[j]),), a)
        lo_ok, hi_ok = row_lo[r] > -_INF, row_hi[r] < _INF
        if lo_ok and hi_ok and row_lo[r] == row_hi[r]:
            out.add_constraint(row_names[r], lhs, "==", row_lo[r])
        elif lo_ok and hi_ok:
            out.add_constraint(f"{row_names[r]}_lo", lhs, ">=", row_lo[r])
            out.add_constraint(f"{row_names[r]}_hi", Polynomial(dict(lhs.terms)), "<=",
                               row_hi[r])
        elif lo_ok:
            out.add_constraint(row_names[r], lhs, ">=", row_lo[r])
        elif hi_ok:
            out.add_constraint(row_names[r], lhs, "<=", row_hi[r])
    for i, name, value in fixed:
        out.add_constraint(f"fix_{name}", Polynomial({(i,): 1.0}), "==", value)
    return out


def _eliminate_range_variable(j: int, A: sp.csc_matrix, cost: np.ndarray, in_hessian: np.ndarray,
                              lower: np.ndarray, upper: np.ndarray, row_lo: np.ndarray,
                              row_hi: np.ndarray) -> bool:
    """Fold a range variable into its row, as CPLEX / docplex write ranges.

    ``a.x + c r = b`` with a continuous r in [l, u] that appears nowhere else (not in the
    objective, in no other row) is the ranged row ``a.x`` in [b - c u, b - c l] (c > 0) or
    [b - c l, b - c u] (c < 0). Updates ``row_lo`` / ``row_hi`` and returns True when done.
    """
    lo_j, hi_j = A.indptr[j], A.indptr[j + 1]
    if hi_j - lo_j != 1 or cost[j] != 0 or in_hessian[j]:
        return False
    if not (abs(lower[j]) < _INF and abs(upper[j]) < _INF):
        return False
    r, c = int(A.indices[lo_j]), float(A.data[lo_j])
    if c == 0 or row_lo[r] != row_hi[r] or not abs(row_lo[r]) < _INF:
        return False
    b = row_lo[r]
    ends = sorted((b - c * upper[j], b - c * lower[j]))
    row_lo[r], row_hi[r] = ends
    return True


def _bound(v: float) -> str:
    return "inf" if v >= _INF else "-inf" if v <= -_INF else f"{v:g}"


def _constraint_matrix(a, m: int, n: int, highspy) -> sp.csr_matrix:
    start = np.asarray(a.start_, dtype=np.int64)
    index = np.asarray(a.index_, dtype=np.int64)
    value = np.asarray(a.value_, dtype=float)
    if a.format_ == highspy.MatrixFormat.kRowwise:
        return sp.csr_matrix((value, index, start), shape=(m, n))
    return sp.csc_matrix((value, index, start), shape=(m, n)).tocsr()


def _hessian_matrix(hessian, n: int, highspy) -> sp.csr_matrix | None:
    """M with ``x'Mx == x'Qx / 2`` for HiGHS's Hessian Q (triangular or square storage)."""
    if int(hessian.dim_) == 0 or len(hessian.value_) == 0:
        return None
    start = np.asarray(hessian.start_, dtype=np.int64)
    index = np.asarray(hessian.index_, dtype=np.int64)
    value = np.asarray(hessian.value_, dtype=float)
    Q = sp.csc_matrix((value, index, start), shape=(n, n)).tocoo()
    if hessian.format_ == highspy.HessianFormat.kTriangular:
        # lower triangle of a symmetric Q: off-diagonal pair (r, c) counts Q_rc x_r x_c once,
        # the diagonal Q_cc x_c^2 / 2
        data = np.where(Q.row == Q.col, Q.data / 2.0, Q.data)
        return sp.csr_matrix((data, (Q.row, Q.col)), shape=(n, n))
    return sp.csr_matrix((Q.data / 2.0, (Q.row, Q.col)), shape=(n, n))


#: a name the LP format holds (CPLEX's rule, which HiGHS follows): letters, digits and
#: !"#$%&()/,.;?@_`'{}|~, not starting with a digit or a period, at most 255 characters
_LP_NAME = re.compile(r"""(?![0-9.])[A-Za-z0-9!"#$%&()/,.;?@_`'{}|~]{1,255}""")


def _check_names(path: Path, terms: ModelTerms) -> None:
    """Refuse a name the file cannot hold: HiGHS would rename every column (c0, c1, ...) of
    an LP file with one such name, write a leading digit it cannot read back, or replace an
    MPS name's spaces, and the values could no longer be mapped back."""
    lp = path.suffix.lower() == ".lp"
    rows = [c.name for c in terms.constraints]
    for what, names in (("variable", terms.names), ("constraint", rows)):
        for name in names:
            if lp and not _LP_NAME.fullmatch(name):
                raise OptionError(
                    f"{path}: {what} {name!r} has no LP form (LP names take letters, digits "
                    "and !\"#$%&()/,.;?@_`'{}|~, do not start with a digit or '.', and have "
                    "at most 255 characters): rename it, or write an .mps file")
            if not lp and (not name or any(ch.isspace() for ch in name)):
                raise OptionError(f"{path}: {what} {name!r} has no MPS form (MPS names have no "
                                  "spaces): rename it")


def write_lp(model, path: str | Path) -> None:
    """Write a model with HiGHS's writer (format from the suffix: ``.lp`` or ``.mps``).

    ``model``: a ``BinaryProgram``, a :class:`qopt.Program`, a ``QUBO`` or any model object
    :mod:`qopt.model.interop` reads; binary and integer variables, an objective of degree
    <= 2 and linear constraints (HiGHS writes no quadratic rows; spins have no LP form).
    A variable or constraint name the format cannot hold (``x[1]`` in LP, a space in either)
    is refused, naming it: HiGHS would replace it and the file's values would not map back."""
    from qopt.model.interop import as_terms
    from qopt.model.interop.terms import refuse

    path = file_path(path)
    if path.suffix.lower() not in _WRITE_SUFFIXES:
        raise OptionError(f"{path}: write_lp writes {' or '.join(_WRITE_SUFFIXES)} files, "
                          f"not {path.suffix or 'a file without suffix'!r}")
    terms = as_terms(model).canonical()
    refuse(terms, "an LP / MPS file", kinds=("binary", "integer"), max_degree=2)
    _check_names(path, terms)
    for c in terms.constraints:
        if c.lhs.degree > 1:
            raise OptionError(f"{path}: constraint {c.name!r} is quadratic; HiGHS writes linear "
                              "rows only")
    h, highspy = _highs()
    n, m = len(terms.variables), len(terms.constraints)
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = m
    lp.sense_ = highspy.ObjSense.kMaximize if terms.sense == "max" else highspy.ObjSense.kMinimize
    lp.offset_ = float(terms.objective.constant)
    cost = np.zeros(n)
    hess: dict[tuple[int, int], float] = {}
    for key, c in terms.objective.terms.items():
        if len(key) == 1:
            cost[key[0]] += c
        else:                   # x'Qx / 2 with Q lower triangular: Q_ji = c (i < j), Q_ii = 2c
            i, j = key
            hess[(j, i)] = c if i != j else 2.0 * c
    lp.col_cost_ = cost
    lp.col_lower_ = np.array([v.lower for v in terms.variables], dtype=float)
    lp.col_upper_ = np.array([v.upper for v in terms.variables], dtype=float)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    rows, cols, vals = [], [], []
    for r, c in enumerate(terms.constraints):
        for (j,), a in c.lhs.terms.items():
            rows.append(r)
            cols.append(j)
            vals.append(a)
    rhs = np.array([c.rhs for c in terms.constraints], dtype=float)
    senses = np.array([c.sense for c in terms.constraints], dtype=object)
    lp.row_lower_ = np.where(senses == "<=", -np.inf, rhs).astype(float) if m else np.zeros(0)
    lp.row_upper_ = np.where(senses == ">=", np.inf, rhs).astype(float) if m else np.zeros(0)
    A = sp.csc_matrix((vals, (rows, cols)), shape=(m, n))
    A.sort_indices()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = m
    lp.col_names_ = terms.names
    lp.row_names_ = [c.name for c in terms.constraints]
    status = h.passModel(lp)
    if status == highspy.HighsStatus.kError:
        raise OptionError(f"{path}: HiGHS refused the model (status {status.name})")
    if hess:
        (r, c), v = zip(*hess.keys()), list(hess.values())
        L = sp.csc_matrix((v, (r, c)), shape=(n, n))
        L.sort_indices()
        hh = highspy.HighsHessian()
        hh.dim_ = n
        hh.format_ = highspy.HessianFormat.kTriangular
        hh.start_ = L.indptr.astype(np.int32)
        hh.index_ = L.indices.astype(np.int32)
        hh.value_ = L.data.astype(float)
        status = h.passHessian(hh)
        if status == highspy.HighsStatus.kError:
            raise OptionError(f"{path}: HiGHS refused the quadratic objective "
                              f"(status {status.name})")
    status = h.writeModel(str(path))
    if status == highspy.HighsStatus.kError:
        raise OptionError(f"{path}: HiGHS could not write the model (status {status.name})")


__all__ = ["MODEL_FORMATS", "model_format", "read_lp", "read_lp_terms", "write_lp"]
