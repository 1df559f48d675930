"""A sweep plugin for the experiments tests: a tiny knapsack problem class and two seeded
sampling solvers (one classical, one posing as quantum with a qubit count), registered under
names no real module uses. Tests copy this file next to their sweep config and name it in
``plugins``; :func:`unregister` removes the entries again."""

from __future__ import annotations

import dataclasses
import math
import os
import time
from pathlib import Path

import numpy as np

from qopt.bits import indices_to_bits
from qopt.errors import OptionError, SizeLimitError, SolverError
from qopt.model.program import BinaryProgram
from qopt.problems import registry as problems
from qopt.problems.base import Problem
from qopt.solvers import registry as solvers
from qopt.solvers.base import Samples, Solver, SolverOutput, rng_from


class ToyKnapsack(Problem):
    """Maximise p.x subject to w.x <= capacity; the optimum is found by enumeration."""

    kind = "toyknap"
    sense = "max"

    def __init__(self, profits, weights, capacity, name=None, optimum=None, source=None):
        self.p = np.asarray(profits, float)
        self.w = np.asarray(weights, float)
        self.capacity = float(capacity)
        if optimum is None:
            X = indices_to_bits(np.arange(2 ** len(self.p)), len(self.p))
            ok = X @ self.w <= self.capacity
            optimum = float((X[ok] @ self.p).max())
        super().__init__(name, optimum, source)

    @property
    def num_vars(self) -> int:
        return len(self.p)

    def evaluate_batch(self, X):
        return X @ self.p

    def violation_batch(self, X):
        return np.maximum(X @ self.w - self.capacity, 0.0)

    def build_program(self):
        prog = BinaryProgram(self.num_vars, linear=self.p, sense="max", name=self.name)
        prog.add_constraint(self.w, "<=", self.capacity, "capacity")
        return prog

    def decode(self, bits):
        return [int(i) for i in np.flatnonzero(np.asarray(bits).reshape(-1))]

    def encode(self, solution):
        x = np.zeros(self.num_vars, np.uint8)
        x[list(solution)] = 1
        return x

    @classmethod
    def generate(cls, size, seed=None):
        rng = np.random.default_rng(seed)
        p = rng.integers(1, 20, size)
        w = rng.integers(1, 10, size)
        return cls(p, w, int(w.sum() // 2), name=f"toyknap-{size}-s{seed}")

    @classmethod
    def read(cls, path, name=None, optimum=None):
        lines = Path(path).read_text().split("\n")
        n, cap = (int(v) for v in lines[0].split())
        p = [float(v) for v in lines[1].split()]
        w = [float(v) for v in lines[2].split()]
        if len(p) != n or len(w) != n:
            raise OptionError(f"{path}: bad toy instance")
        return cls(p, w, cap, name=name or str(path), optimum=optimum)


@dataclasses.dataclass
class SampleOptions:
    shots: int = 32
    sleep: float = 0.0
    fail: bool = False
    too_big: bool = False
    crash: bool = False

    def validate(self):
        if self.shots <= 0:
            raise OptionError(f"shots must be positive, got {self.shots}")


class ToySampler(Solver):
    """``shots`` seeded uniform random QUBO bitstrings (``budget`` overrides shots)."""

    name = "toy-sample"
    input = "qubo"
    Options = SampleOptions

    def run(self, task, *, backend=None, optimizer=None, seed=None, budget=None):
        o = self.options
        if o.fail:
            raise SolverError("toy failure on purpose")
        if o.crash:
            os._exit(3)          # the worker process dies without a word
        if o.too_big:
            raise SizeLimitError("toy state needs 2 TiB, over the memory limit")
        if o.sleep:
            time.sleep(o.sleep)
        n = task.qubo.num_vars
        shots = budget or o.shots
        bits = rng_from(seed).integers(0, 2, (shots, n), dtype=np.uint8)
        return SolverOutput(Samples(bits), evaluations=shots, shots=shots)


@dataclasses.dataclass
class QOptions:
    compress: int = 1
    p: int = 1


class ToyQuantum(Solver):
    """Poses as a circuit solver: needs ceil(n / compress) qubits, depth 3 p."""

    name = "toy-q"
    input = "qubo"
    quantum = True
    Options = QOptions

    def required_qubits(self, task) -> int:
        return math.ceil(task.qubo.num_vars / self.options.compress)

    def run(self, task, *, backend=None, optimizer=None, seed=None, budget=None):
        rng = rng_from(seed)
        n = task.qubo.num_vars
        shots = budget or 16
        bits = rng.integers(0, 2, (shots, n), dtype=np.uint8)
        return SolverOutput(Samples(bits), evaluations=shots, shots=shots,
                            num_qubits=self.required_qubits(task), depth=3 * self.options.p,
                            two_qubit_gates=n * self.options.p)


problems.register(ToyKnapsack)
solvers.register("toy-sample", ToySampler)
solvers.register("toy-q", ToyQuantum)


def unregister() -> None:
    problems._CLASSES.pop("toyknap", None)
    problems.shipped_index.cache_clear()
    solvers._SOLVERS.pop("toy-sample", None)
    solvers._SOLVERS.pop("toy-q", None)
