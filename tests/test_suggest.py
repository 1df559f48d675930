"""Mistyped names get the closest valid one, in Python and on the command line."""

import pytest

import qopt
from qopt.cli import main
from qopt.suggest import closest


def test_closest_ranks_and_ties():
    assert closest("anneel", ["anneal", "exact"]) == ["anneal"]
    assert closest("zzzz", ["anneal", "exact"]) == []
    assert set(closest("qoao", ["qaoa", "qrao", "exact"])) == {"qaoa", "qrao"}
    assert closest("QAOA", ["qaoa"]) == ["qaoa"]


@pytest.mark.parametrize("kwargs, expected", [
    ({"solver": "qoao"}, "did you mean 'qrao' or 'qaoa'"),
    ({"solver": "anneel"}, "did you mean 'anneal'"),
    ({"solver": "qaoa", "backend": "statevecor"}, "did you mean 'statevector'"),
    ({"solver": "qaoa", "backend": "lightnin"}, "did you mean 'lightning'"),
    ({"solver": "qaoa", "optimizer": "cobila"}, "did you mean 'cobyla'"),
    ({"solver": "qaoa", "pp": 2}, "did you mean 'p'"),
    ({"solver": "qaoa", "bakend": "aer"}, "did you mean 'backend'"),
])
def test_python_typos_suggest(kwargs, expected):
    with pytest.raises(qopt.OptionError, match=expected):
        qopt.solve("maxcut:reg3_16", budget=5, **kwargs)


def test_problem_class_typo_suggests():
    with pytest.raises(qopt.OptionError, match="did you mean 'mdkp'"):
        qopt.load("mdpk", "hp1")
    with pytest.raises(qopt.OptionError, match="did you mean 'maxcut'"):
        qopt.generate("maxcat", 8, 1)
    with pytest.raises(qopt.OptionError, match="did you mean 'pet2'"):
        qopt.load("mdkp", "pet22")


@pytest.mark.parametrize("argv, expected", [
    (["solve", "mdkp", "--instance", "hp1", "--solver", "milp", "--tim-limit", "3"],
     "did you mean '--time-limit'"),
    (["solve", "mdkp", "--instance", "hp1", "--solver", "milp", "--sed", "3"],
     "did you mean '--seed'"),
    (["solve", "mdkp", "--instance", "hp1", "--solver", "mlip"], "did you mean 'milp'"),
    (["solve", "mdpk", "--instance", "hp1"], "did you mean 'mdkp'"),
    (["solve", "maxcut", "--size", "6", "--seed", "1", "--solver", "qaoa", "--backend", "aerr"],
     "did you mean 'aer'"),
    (["sweep", "x.toml", "--wokers", "2"], "did you mean '--workers'"),
])
def test_cli_typos_suggest(capsys, argv, expected):
    try:
        code = main(argv)
    except SystemExit as exc:          # argparse's own exit for an unrecognised argument
        code = exc.code
    assert code == 2
    assert expected in capsys.readouterr().err

