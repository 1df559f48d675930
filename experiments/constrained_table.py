"""Markdown table of the constraint-preserving QAOA rows of a sweep store, next to the other
quantum methods on the same instances (penalty QAOA, PCE, QRAO, ...).

    python experiments/constrained_table.py experiments/results/paper

Columns per (instance, method): feasible states (the simulated subspace), logical qubits,
share of the final samples that are feasible (constrained rows; ``info.sample_feasible_fraction``),
whether the raw best sample is feasible, raw gap (solver's own best sample), post-processed gap
(repair + local search), P(optimum) (exact probability of an optimal solution in the final state
for the subspace runs; the share of optimal samples for the others), evaluations and wall time.
Skipped rows show their reason.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

#: comparison methods (labels in the paper sweep)
OTHERS = ("qaoa", "qaoa p=1 (mps)", "pce", "qrao")


def _pct(v) -> str:
    return "—" if v is None else f"{100 * v:.1f} %"


def _num(v, spec=".3g") -> str:
    return "—" if v is None else format(v, spec)


def rows(store: Path, prefix: str = "qaoa-feasible"):
    con = sqlite3.connect(store)
    con.row_factory = sqlite3.Row
    mine = con.execute("select * from runs where label like ? order by problem_class, "
                       "num_vars, instance, label", (prefix + "%",)).fetchall()
    instances = sorted({(r["problem_class"], r["instance"]) for r in mine})
    others = {}
    for kind, inst in instances:
        q = ("select * from runs where problem_class = ? and instance = ? and status = 'done' "
             "and label not like ? order by label")
        others[(kind, inst)] = [r for r in con.execute(q, (kind, inst, prefix + "%"))
                                if r["label"] in OTHERS or r["label"].startswith("qaoa p=")
                                or r["solver"] in ("pce", "qrao")]
    return mine, others


def line(r) -> str:
    if r["status"] != "done":
        reason = (r["reason"] or r["error"] or "").split(": ", 1)[-1][:90]
        return (f"| {r['problem_class']}:{r['instance']} | {r['label']} | {r['status']}: "
                f"{reason} | | | | | | | | |")
    res = json.loads(r["result"]) if r["result"] else {}
    info = res.get("info", {})
    share = info.get("sample_feasible_fraction")
    p_opt = info.get("probability_optimum_exact", r["prob_optimum"])
    transfer = info.get("transfer")
    label = r["label"] + (f" (from {transfer['source']})" if transfer else "")
    return (f"| {r['problem_class']}:{r['instance']} | {label} | "
            f"{_num(info.get('subspace_size'), ',')} | {r['qubits'] or '—'} | {_pct(share)} | "
            f"{'yes' if r['raw_feasible'] else 'no'} | {_pct(r['raw_gap'])} | {_pct(r['gap'])} | "
            f"{_num(p_opt, '.2g')} | {r['evaluations'] or '—'} | {_num(r['wall_time'], '.0f')} |")


def _raw_pp(r) -> str:
    if r is None:
        return "—"
    raw = _pct(r["raw_gap"]) if r["raw_feasible"] else "infeasible"
    return f"{raw} / {_pct(r['gap'])}"


def compact(mine, others) -> None:
    """One line per finished constrained run, the other methods' results in columns."""
    print("| instance | feasible states | logical qubits | method | share | raw gap | pp gap | "
          "P(opt) | wall s | penalty QAOA raw gap (qubits) | PCE raw / pp | QRAO raw / pp |")
    print("|" + "---|" * 12)
    for r in mine:
        if r["status"] != "done":
            continue
        key = (r["problem_class"], r["instance"])
        info = json.loads(r["result"]).get("info", {})
        by = {o["label"]: o for o in others[key]}
        pen = [o for lab, o in sorted(by.items()) if lab.startswith("qaoa p=")]
        pen_txt = "; ".join(f"{o['label'].removeprefix('qaoa ')}: {_raw_pp(o).split(' / ')[0]} "
                            f"({o['qubits']})" for o in pen) or "— (not run: too many qubits)"
        transfer = info.get("transfer")
        method = r["label"].removeprefix("qaoa-feasible ")
        if transfer:
            method += " from " + ("n=8 QAP" if "generated" in transfer["source"]
                                  else transfer["source"])
        print(f"| {key[0]}:{key[1]} | {info.get('subspace_size', 0):,} | {r['qubits']} | "
              f"{method} | {_pct(info.get('sample_feasible_fraction'))} | {_pct(r['raw_gap'])} | "
              f"{_pct(r['gap'])} | {_num(info.get('probability_optimum_exact'), '.2g')} | "
              f"{_num(r['wall_time'], '.0f')} | {pen_txt} | {_raw_pp(by.get('pce'))} | "
              f"{_raw_pp(by.get('qrao'))} |")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", type=Path, help="results directory (results.sqlite inside)")
    ap.add_argument("--compact", action="store_true",
                    help="only finished constrained runs, other methods in columns")
    args = ap.parse_args(argv)
    store = args.results / "results.sqlite" if args.results.is_dir() else args.results
    mine, others = rows(store)
    if args.compact:
        compact(mine, others)
        return
    print("| instance | method | feasible states | qubits | feasible share of samples | "
          "raw best feasible | raw gap | post-processed gap | P(optimum) | evaluations | "
          "wall s |")
    print("|" + "---|" * 11)
    seen = set()
    for r in mine:
        key = (r["problem_class"], r["instance"])
        print(line(r))
        if key not in seen and r is [m for m in mine if (m["problem_class"], m["instance"])
                                     == key][-1]:
            seen.add(key)
            for o in others[key]:
                print(line(o))


if __name__ == "__main__":
    main()
