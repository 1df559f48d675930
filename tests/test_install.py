"""A non-editable install works from outside the checkout and uninstalls without leftovers.

qopt is built and installed (``pip install --no-deps --no-build-isolation --no-index``) into a
fresh virtual environment whose dependencies come from the environment running the tests (one
``.pth`` line, so nothing is downloaded), a QAOA solve runs with that environment's ``qopt``
command from another folder, and after ``pip uninstall`` nothing of qopt is left in its
site-packages (numba used to write its kernel cache into ``site-packages/qopt``, which turned
a later ``import qopt`` into an empty namespace package). Pays one cold compile of the QAOA
kernels (the installed copy's sources are new files).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)
    assert proc.returncode == 0, f"{args}\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_non_editable_install_solves_outside_checkout_and_uninstalls_cleanly(tmp_path):
    src = tmp_path / "src"        # a copy: the build writes build/ and *.egg-info next to it
    shutil.copytree(REPO / "qopt", src / "qopt",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    py = venv / "bin" / "python"
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
                     ).stdout.strip())
    # dependencies (and pip, setuptools, wheel) from the running environment, after the venv's
    (site / "zz_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "PYTHONPATH", "VIRTUAL_ENV")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    _run([str(py), "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
          "--disable-pip-version-check", "-q", str(src)], env=env, cwd=tmp_path)
    installed = site / "qopt"
    assert (installed / "__init__.py").is_file()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # 12 qubits: the engine's numba kernels run (smaller states take numpy, nothing to compile)
    out = _run([str(venv / "bin" / "qopt"), "solve", "maxcut", "--size", "12", "--solver",
                "qaoa", "--budget", "10", "--seed", "0", "--json", "--no-progress"],
               env=env, cwd=elsewhere).stdout
    result = json.loads(out)
    assert result["status"] in ("done", "budget") and result["feasible"]
    assert result["solver"] == "qaoa" and result["compile_time"] > 0   # kernels compiled here
    where = _run([str(py), "-c", "import qopt, numba; print(qopt.__file__); "
                  "print(numba.config.CACHE_DIR)"], env=env, cwd=elsewhere).stdout.split()
    assert Path(where[0]).resolve() == (installed / "__init__.py").resolve()
    # numba's cache: a folder per digest of the shared kernel sources (qopt.compilation)
    assert Path(where[1]).parent == tmp_path / "cache" / "qopt" / "numba"
    assert Path(where[1]).name.startswith("qopt-")
    assert any(Path(where[1]).rglob("*.nbi"))                 # the kernels were cached there
    assert not [p for p in installed.rglob("*") if p.suffix in (".nbi", ".nbc")]

    _run([str(py), "-m", "pip", "uninstall", "-y", "-q", "qopt-toolkit"], env=env, cwd=elsewhere)
    left = [p.name for p in site.iterdir() if p.name.lower().startswith("qopt")]
    assert left == [], left
    found = _run([str(py), "-c", "import importlib.util as u; s = u.find_spec('qopt'); "
                  "print(s.origin if s else '')"], env=env, cwd=elsewhere).stdout.strip()
    # nothing importable from this venv any more (at most the test environment's own qopt)
    assert not found or not Path(found).resolve().is_relative_to(site.resolve())
