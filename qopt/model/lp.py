"""LP (and MPS) files in and out through HiGHS's own reader and writer (``highspy``).

Models written by other tools (docplex, Pyomo, Gurobi, CPLEX ``.lp`` exports) come in as a
:class:`~qopt.model.program.BinaryProgram`. Only binary variables are accepted: integer
variables whose bounds lie within [0, 1] (a variable fixed at 0 or 1 becomes a constraint).
The quadratic objective is the LP format's ``[ ... ] / 2`` section, which HiGHS holds as a
Hessian Q with objective ``c'x + x'Qx / 2``; since x_i^2 = x_i its diagonal becomes linear.
Constraints ``<=``, ``=``, ``>=`` map one to one; ranged rows ``l <= a.x <= u`` are split into
``a.x >= l`` (name suffix ``_lo``) and ``a.x <= u`` (``_hi``). The range variables CPLEX and
docplex write for ranged rows (``a.x - Rg = b`` with a bounded continuous ``Rg`` used nowhere
else) are folded back into ranged rows.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from qopt.errors import InstanceFormatError, OptionError
from qopt.model.program import BinaryProgram
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
    message and its line (HiGHS's log is captured through its logging callback, not printed)."""
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
    raise InstanceFormatError(shown or path, line, "HiGHS could not read the model"
                              + (f": {detail}" if detail else f" (status {status.name})"))


#: model file formats HiGHS reads, by name and suffix (each also gzip-compressed: ``.lp.gz``)
MODEL_FORMATS = {"lp": ".lp", "mps": ".mps"}


def model_format(path: str | Path) -> str | None:
    """"lp" or "mps" from a file name's suffix (``.lp``, ``.mps``, ``.lp.gz``, ``.mps.gz``),
    else None."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    for fmt, suffix in MODEL_FORMATS.items():
        if suffixes and suffixes[-1] == suffix:
            return fmt
    return None


def read_lp(path: str | Path, fmt: str | None = None) -> BinaryProgram:
    """Read an LP / MPS file with HiGHS and return its BinaryProgram.

    ``fmt`` ("lp" or "mps") reads a file whose name does not say its format (HiGHS goes by
    the suffix); by default the suffix decides. Raises :class:`InstanceFormatError` naming
    the file when HiGHS cannot read it (with HiGHS's parser message and line where it gives
    one) or a variable is not binary (naming the variable).
    """
    path = Path(path)
    if fmt is not None and fmt not in MODEL_FORMATS:
        raise OptionError(f"model format must be one of {', '.join(MODEL_FORMATS)}, got {fmt!r}")
    if not path.is_file():
        raise InstanceFormatError(path, None, "no such file")
    fmt = fmt or model_format(path)
    if fmt is None:
        raise InstanceFormatError(path, None, "not an LP or MPS file name (.lp, .mps, .lp.gz, "
                                  ".mps.gz); name the format as 'lp:PATH' or 'mps:PATH'")
    h, highspy = _highs()
    if model_format(path) == fmt:
        _read_model(h, highspy, path)
    else:       # HiGHS picks its parser by suffix: read through a suffixed link
        import tempfile

        with tempfile.TemporaryDirectory(prefix="qopt-model-") as tmp:
            link = Path(tmp) / f"model{MODEL_FORMATS[fmt]}"
            link.symlink_to(path.resolve())
            _read_model(h, highspy, link, shown=path)
    model = h.getModel()
    lp = model.lp_
    n_all, m = int(lp.num_col_), int(lp.num_row_)
    names_all = list(lp.col_names_) or [f"x{i}" for i in range(n_all)]
    integrality = list(lp.integrality_)
    lower = np.asarray(lp.col_lower_, dtype=float)
    upper = np.asarray(lp.col_upper_, dtype=float)
    cost = np.asarray(lp.col_cost_, dtype=float)
    A_all = _constraint_matrix(lp.a_matrix_, m, n_all, highspy).tocsc()
    quadratic_all = _hessian_matrix(model.hessian_, n_all, highspy)
    row_lo = np.asarray(lp.row_lower_, dtype=float).copy()
    row_hi = np.asarray(lp.row_upper_, dtype=float).copy()
    in_hessian = np.zeros(n_all, dtype=bool)
    if quadratic_all is not None:
        Q = quadratic_all.tocoo()
        in_hessian[Q.row[Q.data != 0]] = True
        in_hessian[Q.col[Q.data != 0]] = True
    keep: list[int] = []
    fixed: list[tuple[str, float]] = []
    for j in range(n_all):
        is_int = bool(integrality) and integrality[j] == highspy.HighsVarType.kInteger
        if not is_int and _eliminate_range_variable(j, A_all, cost, in_hessian, lower, upper,
                                                    row_lo, row_hi):
            continue
        lo, hi = np.ceil(lower[j] - 1e-9), np.floor(upper[j] + 1e-9)
        if not is_int or lo < 0 or hi > 1 or lo > hi:
            kind = "integer" if is_int else (integrality[j].name.removeprefix("k").lower()
                                             if integrality else "continuous")
            raise InstanceFormatError(
                path, None, f"variable {names_all[j]!r} is not binary ({kind}, bounds "
                f"[{_bound(lower[j])}, {_bound(upper[j])}]); qopt accepts only binary variables "
                "(integer with bounds within [0, 1])")
        if lo == hi:
            fixed.append((names_all[j], float(lo)))
        keep.append(j)
    cols = np.asarray(keep, dtype=np.int64)
    n = cols.size
    names = [names_all[j] for j in keep]
    sense = "max" if lp.sense_ == highspy.ObjSense.kMaximize else "min"
    quadratic = None if quadratic_all is None else quadratic_all[cols][:, cols]
    program = BinaryProgram(n, cost[cols], quadratic, float(lp.offset_), sense, names, path.stem)
    A = A_all[:, cols].tocsr()
    row_names = list(lp.row_names_) or [f"c{i}" for i in range(m)]
    for r in range(m):
        row = A.getrow(r)
        coeffs = dict(zip(row.indices.tolist(), row.data.tolist()))
        lo_ok, hi_ok = row_lo[r] > -_INF, row_hi[r] < _INF
        if lo_ok and hi_ok and row_lo[r] == row_hi[r]:
            program.add_constraint(coeffs, "==", row_lo[r], row_names[r])
        elif lo_ok and hi_ok:
            program.add_constraint(coeffs, ">=", row_lo[r], f"{row_names[r]}_lo")
            program.add_constraint(coeffs, "<=", row_hi[r], f"{row_names[r]}_hi")
        elif lo_ok:
            program.add_constraint(coeffs, ">=", row_lo[r], row_names[r])
        elif hi_ok:
            program.add_constraint(coeffs, "<=", row_hi[r], row_names[r])
    for name, value in fixed:
        program.add_constraint({names.index(name): 1.0}, "==", value, f"fix_{name}")
    return program


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


def write_lp(program: BinaryProgram, path: str | Path) -> None:
    """Write ``program`` with HiGHS's writer (format from the suffix: ``.lp`` or ``.mps``)."""
    path = Path(path)
    if path.suffix.lower() not in _WRITE_SUFFIXES:
        raise OptionError(f"{path}: write_lp writes {' or '.join(_WRITE_SUFFIXES)} files, "
                          f"not {path.suffix or 'a file without suffix'!r}")
    h, highspy = _highs()
    n, m = program.num_vars, program.num_constraints
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = m
    lp.sense_ = highspy.ObjSense.kMaximize if program.sense == "max" else highspy.ObjSense.kMinimize
    lp.offset_ = float(program.offset)
    lp.col_cost_ = np.asarray(program.linear, dtype=float)
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.ones(n)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    senses = np.asarray(program.constraint_senses, dtype=object)
    rhs = program.rhs
    lp.row_lower_ = np.where(senses == "<=", -np.inf, rhs).astype(float) if m else np.zeros(0)
    lp.row_upper_ = np.where(senses == ">=", np.inf, rhs).astype(float) if m else np.zeros(0)
    A = program.A.tocsc()
    A.sort_indices()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = m
    lp.col_names_ = list(program.var_names)
    lp.row_names_ = list(program.constraint_names)
    status = h.passModel(lp)
    if status == highspy.HighsStatus.kError:
        raise OptionError(f"{path}: HiGHS refused the model (status {status.name})")
    if program.quadratic.nnz:
        # objective term U_ij x_i x_j (i < j) is Q_ji = U_ij in the lower triangle of Q
        L = sp.csc_matrix(program.quadratic.T)
        L.sort_indices()
        hess = highspy.HighsHessian()
        hess.dim_ = n
        hess.format_ = highspy.HessianFormat.kTriangular
        hess.start_ = L.indptr.astype(np.int32)
        hess.index_ = L.indices.astype(np.int32)
        hess.value_ = L.data.astype(float)
        status = h.passHessian(hess)
        if status == highspy.HighsStatus.kError:
            raise OptionError(f"{path}: HiGHS refused the quadratic objective "
                              f"(status {status.name})")
    status = h.writeModel(str(path))
    if status == highspy.HighsStatus.kError:
        raise OptionError(f"{path}: HiGHS could not write the model (status {status.name})")


__all__ = ["MODEL_FORMATS", "model_format", "read_lp", "write_lp"]
