#!/usr/bin/env python3
"""Spectrum backtest on the public 5G traces, split by trace: the `flowcast` sizing rule is
chosen on scenarios built from the design traces and reported on scenarios built from the
held-out ones (traces never used to choose anything). The split is by SHA-256 of each trace's
path in ../shared/data/radio-5g/traces_index.csv: a third held out.

  tools/bench-spectrum.py [--split design|heldout] [--sizing reg-1800 ...] [--change-cost 0.0175 ...]
                          [--seeds 1 2] [--static-unmet 0.10] [--work /tmp/flowcast-spectrum]

Prints per scenario and averaged: unmet and served fraction, blocks changed per interval for
every method, and the gap flowcast closes between the best naive method and the oracle.
Standard library only; builds scenarios with tools/make-radio-scenario.py (7 cells, 16 users,
30 blocks by default) and runs `flowcast backtest --radio-scenario … --json`.
"""
import argparse
import concurrent.futures
import csv
import hashlib
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(os.path.dirname(ROOT), "shared", "data", "radio-5g")
NAIVE = ["static", "lastInterval", "peakEfficiency"]


def traces(split):
    with open(os.path.join(DATA, "traces_index.csv"), newline="") as f:
        names = sorted(row["trace"] for row in csv.DictReader(f))
    held = [n for n in names if hashlib.sha256(n.encode()).digest()[0] % 3 == 0]
    chosen = held if split == "heldout" else [n for n in names if n not in held]
    return [os.path.join(DATA, "traces", n) for n in chosen]


def scenario(split, seed, a):
    out = os.path.join(a.work, f"{split}-seed{seed}" + ("" if a.static_unmet == 0.10 else f"-load{a.static_unmet:g}"))
    if not os.path.exists(os.path.join(out, "scenario.json")):
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "make-radio-scenario.py"), "--traces", *traces(split),
                        "--out", out, "--seed", str(seed), "--seconds", str(a.seconds), "--static-unmet", str(a.static_unmet)],
                       check=True)
    return out


def run(folder, sizing, cost, a):
    command = [a.flowcast, "backtest", "--radio-scenario", folder, "--sizing", sizing, "--change-cost", str(cost),
               "--plan-every", a.plan_every, "--from", str(a.start), "--json"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)}: {done.stderr.strip()}")
    return json.loads(done.stdout)["spectrum"]


def gap(methods):
    naive = min(methods[n]["unmetFraction"] for n in NAIVE)
    oracle = methods["oracle"]["unmetFraction"]
    return (naive - methods["flowcast"]["unmetFraction"]) / (naive - oracle) if naive - oracle > 1e-12 else 0.0


def table(title, methods):
    print(title)
    print("  method          unmet    served   blocks changed/interval")
    for name in ["flowcast", "oracle"] + NAIVE:
        m = methods[name]
        print(f"  {name:<15} {m['unmetFraction']:.4f}   {m['servedFraction']:.4f}   {m['blocksChangedPerInterval']:.2f}")
    naive = min(NAIVE, key=lambda n: methods[n]["unmetFraction"])
    ok = (all(methods["flowcast"]["unmetFraction"] < methods[n]["unmetFraction"] for n in NAIVE) and gap(methods) >= 0.5
          and methods["flowcast"]["blocksChangedPerInterval"] <= methods["lastInterval"]["blocksChangedPerInterval"])
    print(f"  gap closed (best naive {naive} → oracle): {gap(methods):.3f}; goal {'met' if ok else 'NOT met'}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--split", choices=["design", "heldout"], default="heldout")
    p.add_argument("--sizing", nargs="+", default=["reg-1800"])
    p.add_argument("--change-cost", nargs="+", type=float, default=[0.0175])
    p.add_argument("--seeds", nargs="+", type=int, default=[1, 2])
    p.add_argument("--seconds", type=int, default=3600)
    p.add_argument("--static-unmet", type=float, default=0.10, help="the load (make-radio-scenario.py --static-unmet)")
    p.add_argument("--from", dest="start", type=int, default=600)
    p.add_argument("--plan-every", default="60s")
    p.add_argument("--work", default="/tmp/flowcast-spectrum")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--flowcast", default=os.path.join(ROOT, ".build", "release", "flowcast"))
    a = p.parse_args()
    folders = [scenario(a.split, seed, a) for seed in a.seeds]
    jobs = [(f, s, c) for s in a.sizing for c in a.change_cost for f in folders]
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        results = list(pool.map(lambda j: run(*j, a), jobs))
    by = {}
    for (folder, sizing, cost), r in zip(jobs, results):
        methods = {m["name"]: m for m in r["methods"]}
        table(f"{a.split} {os.path.basename(folder)}: sizing {sizing}, change cost {cost}, {r['intervals']} intervals", methods)
        by.setdefault((sizing, cost), []).append(methods)
    for (sizing, cost), runs in by.items():
        mean = {n: {k: sum(r[n][k] for r in runs) / len(runs) for k in ["unmetFraction", "servedFraction", "blocksChangedPerInterval"]}
                for n in runs[0]}
        table(f"{a.split} mean of {len(runs)} scenarios: sizing {sizing}, change cost {cost}", mean)


if __name__ == "__main__":
    main()
