"""Property test (hypothesis): mutated instance files and CLI option values thrown at
``qopt solve`` (in-process ``qopt.cli.main``). Every outcome is exit code 0 with a result, or
exit code 2 with one ``qopt: error:`` line naming the file or the option; never a traceback,
never a hang (each call runs under a SIGALRM timeout).

Values come from ranges that finish quickly when valid (small instances, small budgets); the
absurd ones (10^12 reads, p = 10^7, declared sizes of 10^9) must be refused by the resource
plans or the readers before any work. Derandomised, with a fixed example count, so CI runs the
same ~150 cases in well under two minutes.
"""

from __future__ import annotations

import contextlib
import signal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qopt.cli import main

#: seconds one CLI call may take before it counts as a hang
CALL_TIMEOUT = 30

FUZZ = settings(max_examples=70, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# ---- instance files ---------------------------------------------------------------------------
#: a small valid file per reader (QOBLIB market split, DIMACS, Gset, ORLib MDKP, QAPLIB)
SEED_FILES = {
    "mis": ("g.txt", "p edge 5 5\ne 1 2\ne 2 3\ne 3 4\ne 4 5\ne 5 1\n"),
    "maxcut": ("g.txt", "5 5\n1 2 1\n2 3 1\n3 4 1\n4 5 1\n5 1 1\n"),
    "mdkp": ("k.dat", "4 2 0\n5 4 3 2\n2 3 1 4\n1 1 2 2\n5 4\n"),
    "qap": ("q.dat", "3\n\n0 1 2\n1 0 1\n2 1 0\n\n0 5 2\n5 0 3\n2 3 0\n"),
    "msp": ("m.txt", "2 4\n3 5 2 7 8\n1 4 6 2 5\n"),
}
TOKENS = ["0", "1", "2", "3", "-1", "-7", "1.5", "1e308", "-1e308", "nan", "inf", "x", "",
          "99999999999999999999999", "1000000000", "c note", "p", "e", "\ufeff", "\x00", "\t"]


@st.composite
def mutated_file(draw):
    kind = draw(st.sampled_from(sorted(SEED_FILES)))
    name, text = SEED_FILES[kind]
    lines = [ln.split() for ln in text.splitlines()]
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["replace", "replace", "delete", "duplicate", "insert",
                                   "append_token", "truncate", "bom"]))
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        token = draw(st.sampled_from(TOKENS) | st.integers(-10**6, 10**6).map(str))
        if op == "replace" and lines and lines[i]:
            lines[i][draw(st.integers(0, len(lines[i]) - 1))] = token
        elif op == "delete" and lines:
            del lines[i]
        elif op == "duplicate" and lines:
            lines.insert(i, list(lines[i]))
        elif op == "insert":
            lines.insert(i, [token, draw(st.sampled_from(TOKENS))])
        elif op == "append_token" and lines:
            lines[i].append(token)
        elif op == "truncate":
            lines = lines[: i + 1]
        elif op == "bom" and lines:
            lines[0] = ["\ufeff" + (lines[0][0] if lines[0] else ""), *lines[0][1:]]
    body = "\n".join(" ".join(ln) for ln in lines) + draw(st.sampled_from(["\n", ""]))
    return kind, name, body


# ---- option values ----------------------------------------------------------------------------
def pool(valid: list[str], invalid: list[str]):
    """A value: valid (quick to run) six times as often as invalid."""
    return st.sampled_from(valid * 6 + invalid) if invalid else st.sampled_from(valid)


BAD_NUM = ["-1", "nan", "inf", "x", "[1, 2]", "1000000000000"]
SOLVER_OPTIONS = {
    "exact": {"--max-vars": (["8", "20", "30"], ["-1", "0", "40", "63", "x"]),
              "--chunk-bits": (["4", "10"], ["0", "30"]),
              "--max-samples": (["1", "10"], ["0", "-3"]),
              "--method": (["auto", "batch"], ["nope"])},
    "milp": {"--time-limit": (["0.5", "5", "none"], ["nan", "-1", "0", "x"])},
    "anneal": {"--reads": (["1", "8", "none"], BAD_NUM), "--sweeps": (["10", "none"], BAD_NUM),
               "--beta-min": (["0.1", "none"], ["-1", "0", "nan"]),
               "--beta-max": (["5", "none"], ["-1", "0", "nan", "inf"]),
               "--kernel": (["auto", "numpy"], ["nope"])},
    "random": {"--batch-size": (["1", "64"], BAD_NUM), "--density": (["0.5", "1"], BAD_NUM),
               "--repair": (["true", "false"], ["maybe"])},
    "ga": {"--pop-size": (["2", "8", "20"], [*BAD_NUM, "100000000000", "1"]),
           "--crossover-prob": (["0", "0.9"], BAD_NUM),
           "--mutation-rate": (["0.1", "none"], BAD_NUM)},
    "map-elites": {"--cells": (["1", "5"], ["-1", "0", "10000000", "x"]),
                   "--emitters": (["1", "2"], ["0"]), "--batch-size": (["1", "8"], ["0"]),
                   "--initial": (["1", "16"], ["0"])},
    "qaoa": {"--p": (["1", "2"], ["-1", "0", "10000000", "x"]),
             "--alpha": (["0.5", "1"], BAD_NUM), "--shots": (["16", "none"], ["-1", "0"]),
             "--restarts": (["1", "2"], ["0"]), "--init": (["ramp", "random"], ["nope"])},
}
#: budgets that keep a valid run short
BUDGETS = (["40", "200"], ["-5", "0", "x"])
SIZES = {"maxcut": (["4", "6", "8", "10"], ["-2", "0", "3", "7", "x"]),
         "mis": (["4", "6", "9"], ["-1", "0"])}


@st.composite
def cli_call(draw):
    solver = draw(st.sampled_from(sorted(SOLVER_OPTIONS)))
    kind = draw(st.sampled_from(sorted(SIZES)))
    argv = ["solve", kind, "--size", draw(pool(*SIZES[kind])), "--solver", solver]
    flags = SOLVER_OPTIONS[solver]
    for flag in draw(st.lists(st.sampled_from(sorted(flags)), max_size=3, unique=True)):
        argv += [flag, draw(pool(*flags[flag]))]
    if solver not in ("exact", "milp") or draw(st.booleans()):
        argv += ["--budget", draw(pool(*BUDGETS))]
    if draw(st.booleans()):
        argv += ["--seed", draw(pool(["0", "7", str(2**70)], ["-1", "x"]))]
    if draw(st.booleans()):
        argv += ["--penalty", draw(pool(["auto", "0", "10"], ["-1", "nan", "x"]))]
    if draw(st.sampled_from([False] * 6 + [True])):
        argv += [draw(st.sampled_from(["--backend", "--optimizer"])),
                 draw(st.sampled_from(["statevector", "nosuch", "aer:weird", "cobyla",
                                       "nope"]))]
    return argv


# ---- the property -----------------------------------------------------------------------------
class Hang(BaseException):
    """Raised by the alarm: not an Exception, so no ``except Exception`` in qopt swallows it."""


@contextlib.contextmanager
def time_limit(seconds: int):
    def on_alarm(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_cli(capsys, argv: list[str]) -> tuple[int, str, list[str]]:
    with time_limit(CALL_TIMEOUT):
        code = main([*argv, "--no-progress"])
    out, err = capsys.readouterr()
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("qopt: warning:")]
    return code, out, lines


def assert_clean(code: int, out: str, lines: list[str], names: list[str], argv) -> None:
    if code == 0:
        assert "objective" in out, (argv, out)
        return
    assert code == 2, (argv, code, lines)
    assert len(lines) == 1 and lines[0].startswith("qopt: error: "), (argv, lines)
    msg = lines[0].lower()
    assert any(n.lower() in msg for n in names), (argv, lines[0], names)


@pytest.fixture(autouse=True)
def _small_memory_limit(monkeypatch):
    # whatever a mutated header declares, the plans keep allocations small
    monkeypatch.setenv("QOPT_MEMORY_LIMIT", "512M")
    monkeypatch.setenv("QOPT_TIME_LIMIT", "60")


@FUZZ
@given(case=mutated_file(), solver=st.sampled_from(["random", "anneal", "exact"]))
def test_mutated_instance_files_never_crash(tmp_path_factory, capsys, case, solver):
    kind, name, body = case
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_text(body, encoding="utf-8")
    argv = ["solve", kind, "--instance", str(path), "--solver", solver]
    argv += ["--budget", "64"] if solver != "exact" else ["--max-vars", "16"]
    code, out, lines = run_cli(capsys, argv)
    # an instance too large for exact is refused naming the option that bounds it
    assert_clean(code, out, lines, [name, "max_vars", "--max-vars"], argv)


@FUZZ
@given(argv=cli_call())
def test_option_values_never_crash(capsys, argv):
    code, out, lines = run_cli(capsys, argv)
    names = [a.lstrip("-") for a in argv if a.startswith("--")]
    names += [n.replace("-", "_") for n in names] + ["seed", "budget", "size", "penalty"]
    names += ["memory limit", "time limit"]     # a plan over a limit names the limit
    assert_clean(code, out, lines, names, argv)
