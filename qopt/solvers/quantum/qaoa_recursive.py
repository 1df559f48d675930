"""Recursive QAOA (Bravyi, Kliesch, Koenig, Tang 2020): the QAOA skeleton's set-up and angle
search (:class:`~qopt.solvers.quantum.qaoa_run.QAOARun`) once per round on a shrinking Ising
model, then an exact solve of the rest."""

from __future__ import annotations

import numpy as np

from qopt.backends.mitigation import calibration_spent
from qopt.samples import Samples
from qopt.solvers.base import SolverOutput, Task
from qopt.solvers.budget import QuantumBudget, plan_quantum_budget
from qopt.solvers.quantum.qaoa import QAOASolver
from qopt.solvers.quantum.qaoa_ansatz import ising_to_qubo
from qopt.solvers.quantum.qaoa_options import RQAOAOptions
from qopt.solvers.quantum.qaoa_run import QAOARun, circuit_resources, executions
from qopt.solvers.quantum.qaoa_search import slices


class RecursiveRun(QAOARun):
    """The rounds of :class:`RQAOASolver`: each builds the round's ansatz and evaluator
    through the skeleton's hooks and optimises it with one shared angle search (fixed
    ``angles`` apply to every round)."""

    def plan_budget(self) -> QuantumBudget:
        """Reserved: enumerating the last ``n_cutoff`` variables and the correlators of each
        round (one more estimate per round on a sampling backend)."""
        o = self.o
        n = self.task.qubo.num_vars
        rounds, left = max(0, n - o.n_cutoff), min(n, o.n_cutoff)
        settings, calibration = self.cost        # mitigation: circuits per estimate, readout
        return plan_quantum_budget(
            self.budget, max(o.maxiter, 1) * max(1, rounds), shots=self.per_estimate,
            settings=settings, reserved=(1 << left) + rounds * ((self.per_estimate or 0)
                                                                * settings + calibration),
            reserved_for=f"enumerating {left} variables and {rounds} correlator estimates")

    def run(self) -> SolverOutput:
        import scipy.sparse as sp

        from qopt.model.qubo import Ising

        o = self.o
        qubo = self.task.qubo
        n = qubo.num_vars
        ising = qubo.to_ising()
        h = np.asarray(ising.h, dtype=float).copy()
        J = ising.J.toarray()
        J = J + J.T                                    # symmetric, J[i, j] = coupling of i, j
        offset = float(ising.offset)
        active = list(range(n))
        rules: list[tuple[int, int | None, float]] = []   # (var, partner or None, sign)
        rounds = max(0, n - o.n_cutoff)
        self.prepare()
        before = executions(self.backend)       # a circuit backend's count so far
        per_estimate = self.per_estimate
        plan = self.plan_budget()
        shares = slices(plan.limit, max(1, rounds))
        run = self.new_search()
        history, sim, round_info = [], 0.0, []
        max_q, max_two = 0, 0
        for r in range(rounds):
            k = len(active)
            sub_J = np.triu(J[np.ix_(active, active)], 1)
            sub = Ising(h[active].copy(), sp.csr_matrix(sub_J), offset)
            ansatz = self.build_ansatz(ising_to_qubo(sub))
            run.start = self.start_parameters(ansatz)
            ev = self.build_evaluator(ansatz)
            run.history = []
            x, f = run.optimise(ansatz, ev, shares[r])
            history += [{**hh, "round": r} for hh in run.history]
            sim += getattr(ev, "simulation_time", 0.0)
            res = circuit_resources(ansatz)
            max_q, max_two = max(max_q, res["num_qubits"]), max(max_two, res["two_qubit_gates"])
            iu, ju = np.nonzero(sub_J)
            cands = [(1 << int(a)) | (1 << int(b)) for a, b in zip(iu, ju)]
            if o.singles or not cands:
                cands += [1 << a for a in range(k)]
            corr = ev.z_correlators(x, cands)
            pick = int(np.argmax(np.abs(corr)))
            sign = 1.0 if corr[pick] >= 0 else -1.0
            bits = [a for a in range(k) if (cands[pick] >> a) & 1]
            if len(bits) == 2:
                i, j = active[bits[0]], active[bits[1]]
                # z_j = sign z_i: fold j into i
                offset += sign * J[i, j]
                h[i] += sign * h[j]
                J[i, :] += sign * J[j, :]
                J[:, i] += sign * J[:, j]
                J[i, i] = 0.0
                J[j, :] = 0.0
                J[:, j] = 0.0
                rules.append((j, i, sign))
                active.remove(j)
            else:
                i = active[bits[0]]
                offset += sign * h[i]
                h += sign * J[i, :]
                J[i, :] = 0.0
                J[:, i] = 0.0
                h[i] = 0.0
                rules.append((i, None, sign))
                active.remove(i)
            round_info.append({"round": r, "qubits": k, "objective": f,
                               "correlation": float(corr[pick]),
                               "eliminated": rules[-1][0],
                               "partner": rules[-1][1], "sign": sign})
        # exact solve of the rest
        z = np.zeros(n)
        k = len(active)
        if k:
            sub_J = np.triu(J[np.ix_(active, active)], 1)
            sub = Ising(h[active].copy(), sp.csr_matrix(sub_J), offset)
            d = ising_to_qubo(sub).diagonal()
            best = int(np.argmin(d))
            z[active] = 1.0 - 2.0 * ((best >> np.arange(k)) & 1)
        for var, partner, sign in reversed(rules):
            z[var] = sign * (z[partner] if partner is not None else 1.0)
        bits = ((1 - z) / 2).astype(np.uint8)
        info = {"rounds": round_info, "n_cutoff": o.n_cutoff,
                "circuit_evaluations": run.evaluations, "enumerated": 1 << k,
                "energy": float(qubo.energy(bits))}
        if before is not None:          # every circuit run: estimates, correlators, folds
            info["circuit_executions"] = executions(self.backend) - before
        settings = self.cost[0]
        calibration = calibration_spent(self.backend) - self.calibrated_before
        measured = (run.evaluations + rounds) * (per_estimate or 0) * settings + calibration
        correlators = rounds * (per_estimate or 0) * settings + calibration
        return SolverOutput(samples=Samples(bits[None, :], np.ones(1)), status=run.status,
                            evaluations=plan.charged(run.evaluations,
                                                     (1 << k) + correlators),
                            shots=measured or None, history=history,
                            num_qubits=max_q or k, depth=None, two_qubit_gates=max_two,
                            time={"simulation": sim}, info=info)


class RQAOASolver(QAOASolver):
    """Recursive QAOA (Bravyi, Kliesch, Koenig, Tang 2020) on the Ising form.

    Each round runs QAOA on the current Ising model, measures <Z_i Z_j> on its couplings (and
    <Z_i> if ``singles``), and eliminates the variable with the largest |correlation| by
    z_j = sign * z_i (or z_i = sign). At ``n_cutoff`` variables the rest is solved exactly by
    enumeration; the full assignment is rebuilt and returned as the single sample."""

    name = "rqaoa"
    Options = RQAOAOptions

    def run_class(self) -> type[QAOARun]:
        return RecursiveRun

    def run(self, task: Task, *, backend=None, optimizer=None, seed: int | None = None,
            budget: int | None = None) -> SolverOutput:
        return RecursiveRun(self, task, backend=backend, optimizer=optimizer, seed=seed,
                            budget=budget).run()


__all__ = ["RQAOASolver", "RecursiveRun"]
