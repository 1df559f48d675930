"""ResourcePlan sums, limits and messages; the memory limit's sources."""

from __future__ import annotations

import pytest

from qopt import limits
from qopt.errors import OptionError, SizeLimitError
from qopt.resources import ResourcePlan


def test_plan_sums_and_refuses_naming_options_estimate_and_limit():
    plan = ResourcePlan("qaoa on maxcut:26")
    plan.add("statevector (2^26 complex128)", 16 * 2**26, option="--size")
    plan.add("COBYLA workspace", 3 * 2**30, option="--p")
    plan.add("instance", 10)
    assert plan.total_bytes == 16 * 2**26 + 3 * 2**30 + 10
    plan.check(limit=5 * 2**30)          # fits
    with pytest.raises(SizeLimitError) as err:
        plan.check(limit=2**30)          # each item fits alone, the sum does not
    msg = str(err.value)
    assert "qaoa on maxcut:26" in msg and "--p" in msg and "--size" in msg
    assert "4.0 GiB" in msg and "1.0 GiB" in msg and "\n" not in msg


def test_plan_time_limit():
    plan = ResourcePlan("exact").add_time("2^40 states", 5000.0, option="--max-vars")
    plan.check(time_limit=10_000)
    with pytest.raises(SizeLimitError, match="--max-vars"):
        plan.check(time_limit=60)


def test_plan_rejects_nan_and_negative_items():
    with pytest.raises(OptionError):
        ResourcePlan().add("x", float("nan"))
    with pytest.raises(OptionError):
        ResourcePlan().add_time("x", -1)


def test_memory_limit_env_and_bad_env(monkeypatch):
    monkeypatch.setenv("QOPT_MEMORY_LIMIT", "1G")
    assert limits.memory_limit() == 2**30
    assert limits.worker_memory_limit(4) == 2**28
    for bad in ("lots", "inf", "nan", "-1G", "0"):
        monkeypatch.setenv("QOPT_MEMORY_LIMIT", bad)
        with pytest.raises(OptionError, match="QOPT_MEMORY_LIMIT"):
            limits.memory_limit()
    monkeypatch.setenv("QOPT_TIME_LIMIT", "inf")
    with pytest.raises(OptionError, match="QOPT_TIME_LIMIT"):
        limits.time_limit_info()
    monkeypatch.setenv("QOPT_TIME_LIMIT", "2h")
    assert limits.time_limit_info()[0] == 7200.0


def test_default_limit_takes_the_tightest_source(monkeypatch):
    monkeypatch.delenv("QOPT_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(limits, "physical_memory", lambda: 64 * 2**30)
    monkeypatch.setattr(limits, "cgroup_memory_limit", lambda: 8 * 2**30)
    monkeypatch.setattr(limits, "address_space_left", lambda: None)
    value, source = limits.memory_limit_info()
    assert value == 4 * 2**30 and "cgroup" in source
    monkeypatch.setattr(limits, "address_space_left", lambda: 2 * 2**30)
    value, source = limits.memory_limit_info()
    assert value == 2**30 and "ulimit" in source


def test_cgroup_files_are_read(tmp_path):
    (tmp_path / "memory.max").write_text("max\n")
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text(str(3 * 2**30))
    assert limits.cgroup_memory_limit(tmp_path) == 3 * 2**30
    free = tmp_path / "unlimited"
    (free / "memory").mkdir(parents=True)
    (free / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712")
    assert limits.cgroup_memory_limit(free) is None


def test_address_space_left_under_ulimit():
    resource = pytest.importorskip("resource")
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        assert 0 <= limits.address_space_left() <= soft
    else:
        assert limits.address_space_left() is None
