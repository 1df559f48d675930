"""qopt.threads: how many threads the kernels use and how their parts are handed out."""

from __future__ import annotations

import threading

import numba
import pytest

from qopt import threads
from qopt.errors import OptionError


def test_default_is_every_core_numba_may_use_and_using_sets_it():
    assert threads.available() == numba.config.NUMBA_NUM_THREADS
    assert threads.current() == threads.available()
    with threads.using(1) as count:
        assert count == 1 and threads.current() == 1
        with threads.using(None):                  # None keeps the count in effect
            assert threads.current() == 1
    assert threads.current() == threads.available()


def test_bad_counts_are_refused_naming_the_option_and_the_limit():
    for bad in (0, -1, 1.5, "2", True, None):
        with pytest.raises(OptionError, match="threads"):
            threads.check(bad)
    with pytest.raises(OptionError, match="NUMBA_NUM_THREADS"):
        threads.check(threads.available() + 1)


def test_set_default_is_the_process_default_below_using():
    try:
        threads.set_default(1)
        assert threads.current() == 1
        with threads.using(threads.available()):
            assert threads.current() == threads.available()
    finally:
        threads.set_default(None)
    assert threads.current() == threads.available()


def test_using_is_per_caller_thread():
    seen = {}

    def other():
        seen["other"] = threads.current()

    with threads.using(1):
        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert seen["other"] == threads.available()


def test_run_parts_covers_every_part_once_in_order():
    for nparts in (1, 5, 256):
        for count in (1, 2, 7):
            done = []
            lock = threading.Lock()

            def kernel(tag, lo, hi, done=done, lock=lock):
                with lock:
                    done.extend(range(lo, hi))
                return (tag, lo, hi)

            out = threads.run_parts(kernel, nparts, "x", threads=count)
            assert sorted(done) == list(range(nparts))
            assert [o[1] for o in out] == sorted(o[1] for o in out)      # range order
            assert len(out) == min(count, nparts)
            assert threads.split(nparts, count)[-1][1] == nparts


def test_run_parts_waits_for_every_range_when_one_fails():
    finished = []

    def kernel(lo, hi):
        if lo == 0:
            raise ValueError("first range fails")
        finished.append(lo)

    with pytest.raises(ValueError):
        threads.run_parts(kernel, 4, threads=2)
    assert finished == [2]


def test_solve_takes_threads_and_reports_them():
    import qopt

    p = qopt.generate("maxcut", 8, seed=1)
    assert qopt.solve(p, solver="anneal", seed=0, reads=4, sweeps=5, threads=1).info[
        "threads"] == 1
    assert qopt.solve(p, solver="exact").info["threads"] == threads.available()
    with pytest.raises(OptionError, match="threads"):
        qopt.solve(p, solver="exact", threads=0)


def test_subspace_qaoa_uses_every_core_however_loaded_the_machine(monkeypatch):
    """The feasible-subspace simulator used to take cores minus the load average: after a
    minute of full load it ran on one thread. Now the load average is never read."""
    import os

    import qopt
    from qopt.solvers.quantum import qaoa_subspace

    def loaded():
        raise AssertionError("the load average must not decide the thread count")

    monkeypatch.setattr(os, "getloadavg", loaded)
    monkeypatch.setattr(qaoa_subspace, "STATES_PER_THREAD", 1)   # MIS 10 counts as large
    seen = []
    real = qaoa_subspace.SubspaceEvaluator.__init__

    def spy(self, *args, **kwargs):
        real(self, *args, **kwargs)
        seen.append(self.threads)

    monkeypatch.setattr(qaoa_subspace.SubspaceEvaluator, "__init__", spy)
    res = qopt.solve(qopt.generate("mis", 10, seed=2), solver="qaoa", mixer="feasible", p=1,
                     seed=0, budget=20)
    assert res.info["threads"] == threads.available()
    assert seen and set(seen) == {threads.available()}


def test_a_small_feasible_subspace_runs_on_one_thread():
    """A parallel region costs more than a pass over a few hundred states: such a space runs
    on one thread whatever the solve allows, and ``info["threads"]`` says so."""
    import qopt

    res = qopt.solve(qopt.generate("mis", 10, seed=2), solver="qaoa", mixer="feasible", p=1,
                     seed=0, budget=20, threads=threads.available())
    assert res.info["threads"] == 1
