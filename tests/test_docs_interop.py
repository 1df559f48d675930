"""Every Python block of docs/guide/interop.md runs (each in a fresh namespace)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guide" / "interop.md"
BLOCKS = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)


def test_guide_has_blocks():
    assert len(BLOCKS) >= 7


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_guide_block_runs(index, capsys):
    pytest.importorskip("dimod")
    pytest.importorskip("qiskit_addon_opt_mapper")
    exec(compile(BLOCKS[index], f"interop.md block {index}", "exec"), {})
