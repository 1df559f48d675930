"""LABS scaling of Shaydulin et al. (Science Advances 2024) reproduced with qopt.

Sections (all printed, with the load average beside every timing):

1. **Published overlaps**: for every row of QOKit's table (``best_LABS_QAOA_parameters_wrt_
   overlap.json``) with N <= ``--check-max`` (22), qopt's exact P(opt) at the published angles
   (converted from QOKit's convention) against the published overlap; the largest difference.
2. **Fixed-angle QAOA**: P(opt) at depth ``--p`` (12) for N = ``--nmin`` .. ``--nmax``; the time
   to solution ``TTS = 1 / P(opt)`` (expected repetitions of the circuit to sample an optimum),
   and its exponential fit ``TTS ~ a b^N`` with a 95 % interval on b, beside the published 1.46.
3. **Memetic tabu search**: seconds and evaluations to the proven optimum, median over
   ``--seeds`` seeds, fitted the same way, beside the published 1.34.
4. **Peer speed**: one LABS QAOA expectation (N = ``--peer-n``, p = ``--p``) on qopt's engine
   against QOKit's C simulator (``apply_qaoa_furx`` + QOKit's expectation), the same
   precomputed diagonal for both, as a ratio. QOKit is not a dependency: build its C simulator
   from its sources (``qokit/fur/c/csim/src``, ``make``) and pass ``--qokit-lib
   PATH/libcsim.so`` (several allowed: e.g. as shipped, ``-fopenmp -fPIC -Wall`` without -O,
   and rebuilt with ``-O3 -march=native``; label them with ``--qokit-label``).
5. ``--plot FILE``: P(opt) and both TTS against N, with the fits.

``--mts-acceptance``: only the issue's acceptance runs (mts seeded, N = 32 within 60 s, N = 40
within 300 s).

    nice -n 5 python benchmarks/labs_scaling.py --nmax 26 --seeds 5 \\
        --qokit-lib /tmp/qokit/libcsim.so --qokit-label "as shipped (-O0)" --plot out.png
"""

from __future__ import annotations

import argparse
import ctypes
import os
import time

import numpy as np

from qopt.backends.statevector import StatevectorEngine
from qopt.errors import OptionError
from qopt.problems.labs import LABS
from qopt.solvers.base import Task
from qopt.solvers.classical.mts import MTSSolver
from qopt.solvers.quantum.labs_angles import (
    published_angles,
    published_rows,
    qaoa_optimum_probability,
    qokit_to_qopt,
)

PUBLISHED = {"qaoa_p12": 1.46, "mts": 1.34}


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def fit_exponent(ns, values):
    """Least-squares fit log(v) = log(a) + N log(b); (b, 95 % interval of b) (t quantile)."""
    from scipy import stats

    x, y = np.asarray(ns, float), np.log(np.asarray(values, float))
    res = stats.linregress(x, y)
    t = stats.t.ppf(0.975, len(x) - 2) if len(x) > 2 else np.nan
    lo, hi = res.slope - t * res.stderr, res.slope + t * res.stderr
    return float(np.exp(res.slope)), (float(np.exp(lo)), float(np.exp(hi))), res


def check_published(max_n: int) -> float:
    worst, count, t0 = 0.0, 0, time.perf_counter()
    cache = {}
    for row in published_rows(max_n):
        n = row["N"]
        if n not in cache:
            lab = LABS(n)
            d = lab.diagonal()
            cache = {n: (d, lab.optimal_states(d), StatevectorEngine(n))}
        d, opt, eng = cache[n]
        g, b = qokit_to_qopt(row["gamma"], row["beta"])
        got = qaoa_optimum_probability(d, opt, g, b, engine=eng)
        worst = max(worst, abs(got - row["overlap"]))
        count += 1
    print(f"[1] published overlaps, N <= {max_n}: {count} (N, p) rows, max |qopt - QOKit| = "
          f"{worst:.2e} ({time.perf_counter() - t0:.0f} s, {load()})")
    return worst


def qaoa_scaling(nmin: int, nmax: int, p: int):
    rows = []
    print(f"[2] fixed-angle QAOA, p = {p}: N, P(opt) qopt, P(opt) published, TTS = 1/P(opt), "
          "seconds")
    for n in range(nmin, nmax + 1):
        try:
            ang = published_angles(n, p)
        except OptionError as exc:                # a missing row is reported, not fatal
            print(f"    N={n}: {exc}")
            continue
        t0 = time.perf_counter()
        lab = LABS(n)
        d = lab.diagonal()
        prob = qaoa_optimum_probability(d, lab.optimal_states(d), ang["gamma"], ang["beta"])
        dt = time.perf_counter() - t0
        rows.append((n, prob, ang["overlap"]))
        print(f"    N={n:2d}  {prob:.6e}  {ang['overlap']:.6e}  {1 / prob:10.2f}  {dt:6.2f} s "
              f"({load()})", flush=True)
    ns = [r[0] for r in rows]
    b, ci, res = fit_exponent(ns, [1 / r[1] for r in rows])
    print(f"    fit TTS ~ b^N over N = {ns[0]}..{ns[-1]}: b = {b:.3f} [{ci[0]:.3f}, {ci[1]:.3f}] "
          f"(published, p = 12, N up to 40: {PUBLISHED['qaoa_p12']})")
    return rows, (b, ci, res)


def mts_scaling(nmin: int, nmax: int, seeds: int):
    rows = []
    MTSSolver().run(Task(LABS(8)), seed=0)                     # compile outside the clock
    print(f"[3] memetic tabu search: N, median seconds / evaluations to the optimum over "
          f"{seeds} seeds (min .. max seconds)")
    for n in range(nmin, nmax + 1):
        secs, evals, cpu = [], [], []
        for seed in range(seeds):
            c0 = time.process_time()
            out = MTSSolver().run(Task(LABS(n)), seed=seed)
            cpu.append(time.process_time() - c0)
            assert out.info["target_reached"], (n, seed)
            secs.append(out.info["seconds_to_target"])
            evals.append(out.info["evaluations_to_target"])
        rows.append((n, float(np.median(secs)), float(np.median(evals)), float(np.median(cpu))))
        print(f"    N={n:2d}  {np.median(secs):9.4f} s  {np.median(evals):12.0f} evals  "
              f"(cpu {np.median(cpu):.4f} s; {min(secs):.4f} .. {max(secs):.4f}; {load()})",
              flush=True)
    ns = [r[0] for r in rows]
    b, ci, res = fit_exponent(ns, [max(r[2], 1.0) for r in rows])
    bt, cit, _ = fit_exponent(ns, [max(r[1], 1e-6) for r in rows])
    print(f"    fit evaluations ~ b^N over N = {ns[0]}..{ns[-1]}: b = {b:.3f} "
          f"[{ci[0]:.3f}, {ci[1]:.3f}]; seconds: b = {bt:.3f} [{cit[0]:.3f}, {cit[1]:.3f}] "
          f"(published: {PUBLISHED['mts']})")
    return rows, (b, ci, res)


class QOKitC:
    """QOKit's C simulator through ctypes (``apply_qaoa_furx`` of ``libcsim.so``)."""

    def __init__(self, path: str):
        self.lib = ctypes.cdll.LoadLibrary(path)
        f = self.lib.apply_qaoa_furx
        dbl = np.ctypeslib.ndpointer(ctypes.c_double, flags="C_CONTIGUOUS")
        f.restype = None
        f.argtypes = [dbl, dbl, dbl, dbl, dbl, ctypes.c_uint, ctypes.c_size_t, ctypes.c_size_t]
        self.f = f

    def expectation(self, diag, gammas, betas, n):
        """QOKit's path: |+> as real / imaginary arrays, the C layers, then its numpy
        expectation ``costs . (re^2 + im^2)``; gammas, betas in QOKit's convention."""
        re = np.full(1 << n, (1 << n) ** -0.5)
        im = np.zeros(1 << n)
        g = np.ascontiguousarray(gammas, dtype=float)
        b = np.ascontiguousarray(betas, dtype=float)
        self.f(re, im, g, b, diag, n, 1 << n, len(g))
        return float(np.dot(diag, re * re + im * im))


def peer_speed(n: int, p: int, libs: list[str], labels: list[str], repeats: int):
    lab = LABS(n)
    d64 = lab.diagonal().astype(np.float64)
    ang = published_angles(n, p, convention="qokit")
    g, b = qokit_to_qopt(ang["gamma"], ang["beta"])
    eng = StatevectorEngine(n)
    eng.qaoa_expectation(d64, g, b)                          # compile / warm up

    def timed(fn):
        walls, cpus, val = [], [], None
        for _ in range(repeats):
            t, c = time.perf_counter(), time.process_time()
            val = fn()
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
        return val, walls, cpus

    ev_q, w_q, c_q = timed(lambda: eng.qaoa_expectation(d64, g, b))
    print(f"[4] peer speed: one LABS QAOA expectation, N = {n}, p = {p}, {repeats} repeats "
          f"(median, min..max wall; CPU), {load()}")
    import numba

    print(f"    qopt engine (numba, complex128, {numba.get_num_threads()} threads): "
          f"{np.median(w_q):.3f} s ({min(w_q):.3f}..{max(w_q):.3f}; cpu {np.median(c_q):.3f} s)"
          f"  <E> = {ev_q:.6f}")
    out = {"qopt": (float(np.median(w_q)), float(np.median(c_q)))}
    offset = n * (n - 1) / 2
    for path, label in zip(libs, labels):
        sim = QOKitC(path)
        hc = d64 - offset                                    # QOKit's diagonal: E - N(N-1)/2
        sim.expectation(hc, ang["gamma"], ang["beta"], n)
        ev_k, w_k, c_k = timed(lambda s=sim, h=hc: s.expectation(h, ang["gamma"], ang["beta"],
                                                                  n))
        assert abs(ev_k + offset - ev_q) < 1e-6 * max(1.0, abs(ev_q)), (ev_k + offset, ev_q)
        ratio = np.median(w_k) / np.median(w_q)
        print(f"    QOKit C {label}: {np.median(w_k):.3f} s ({min(w_k):.3f}..{max(w_k):.3f}; "
              f"cpu {np.median(c_k):.3f} s)  same <E>; QOKit / qopt = {ratio:.2f}x")
        out[label] = (float(np.median(w_k)), float(np.median(c_k)))
    return out


def plot(path, qaoa_rows, qaoa_fit, mts_rows, mts_fit, p):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    n1 = np.array([r[0] for r in qaoa_rows])
    ax[0].semilogy(n1, [1 / r[1] for r in qaoa_rows], "o", label=f"QAOA p={p}: 1/P(opt), qopt")
    ax[0].semilogy(n1, [1 / r[2] for r in qaoa_rows], "x", label="QOKit published")
    b, _, res = qaoa_fit
    ax[0].semilogy(n1, np.exp(res.intercept + res.slope * n1), "-", label=f"fit {b:.3f}^N")
    ax[0].set_xlabel("N")
    ax[0].set_ylabel("TTS (circuit repetitions)")
    ax[0].legend()
    n2 = np.array([r[0] for r in mts_rows])
    ax[1].semilogy(n2, [r[2] for r in mts_rows], "s", label="MTS median evaluations")
    b2, _, res2 = mts_fit
    ax[1].semilogy(n2, np.exp(res2.intercept + res2.slope * n2), "-", label=f"fit {b2:.3f}^N")
    ax[1].set_xlabel("N")
    ax[1].set_ylabel("evaluations to the optimum")
    ax[1].legend()
    fig.suptitle("LABS: fixed-angle QAOA and memetic tabu search (qopt)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"[5] plot written to {path}")


def _acceptance_run(n: int, queue) -> None:
    c0 = time.process_time()
    out = MTSSolver(generations=10**9).run(Task(LABS(n)), seed=0)
    queue.put((out.info, out.evaluations, time.process_time() - c0))


def _child_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def mts_acceptance() -> bool:
    """mts, seed 0, until the proven optimum (generations unbounded), each run in a child
    process stopped at its limit (N = 32: 60 s, N = 40: 300 s)."""
    import multiprocessing as mp

    MTSSolver().run(Task(LABS(8)), seed=0)
    ok = True
    for n, limit in ((32, 60.0), (40, 300.0)):
        cpu0 = _child_cpu()
        queue = mp.get_context("fork").Queue()
        proc = mp.get_context("fork").Process(target=_acceptance_run, args=(n, queue))
        t0 = time.perf_counter()
        proc.start()
        proc.join(limit + 30.0)                  # + numba's cache load in the child
        if proc.is_alive():
            proc.terminate()
            proc.join()
            ok = False
            print(f"mts N={n} seed=0: no optimum within {time.perf_counter() - t0:.0f} s wall "
                  f"({_child_cpu() - cpu0:.0f} s cpu); limit {limit:.0f} s: NOT met ({load()})",
                  flush=True)
            continue
        info, evals, cpu = queue.get()
        secs = info["seconds"]
        good = info["target_reached"] and secs <= limit
        ok &= good
        print(f"mts N={n} seed=0: energy {info['best_energy']} (optimum {LABS(n).optimum}) "
              f"in {secs:.2f} s wall, {cpu:.2f} s cpu, {evals} evaluations, "
              f"{info['generations']} generations; limit {limit:.0f} s: "
              f"{'met' if good else 'NOT met'} ({load()})", flush=True)
    return ok


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nmin", type=int, default=11)
    ap.add_argument("--nmax", type=int, default=26)
    ap.add_argument("--p", type=int, default=12)
    ap.add_argument("--check-max", type=int, default=22)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--mts-nmin", type=int, default=16)
    ap.add_argument("--mts-nmax", type=int, default=None)
    ap.add_argument("--peer-n", type=int, default=22)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--qokit-lib", action="append", default=[])
    ap.add_argument("--qokit-label", action="append", default=[])
    ap.add_argument("--plot", default=None)
    ap.add_argument("--skip", default="", help="comma list of sections to skip: 1,2,3,4")
    ap.add_argument("--mts-acceptance", action="store_true")
    a = ap.parse_args(argv)
    if a.mts_acceptance:
        raise SystemExit(0 if mts_acceptance() else 1)
    skip = set(a.skip.split(",")) - {""}
    print(f"labs_scaling: {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, {load()}")
    if "1" not in skip:
        check_published(a.check_max)
    qaoa = qaoa_scaling(a.nmin, a.nmax, a.p) if "2" not in skip else None
    mts = (mts_scaling(a.mts_nmin, a.mts_nmax or a.nmax, a.seeds) if "3" not in skip
           else None)
    if a.qokit_lib and "4" not in skip:
        labels = a.qokit_label + [f"lib{i}" for i in range(len(a.qokit_label),
                                                           len(a.qokit_lib))]
        peer_speed(a.peer_n, a.p, a.qokit_lib, labels, a.repeats)
    if a.plot and qaoa and mts:
        plot(a.plot, qaoa[0], qaoa[1], mts[0], mts[1], a.p)


if __name__ == "__main__":
    main()
