#!/usr/bin/env python3
"""Writes the small hand-made run folder the review tests and the report screenshot use.

Shape follows what `flowcast replay --plan-every 60s --policies DIR` writes (windows.jsonl,
flows.jsonl, summary.json, policies/policy-NNNN.json, policies/forecasts.jsonl) so the report can
be built and tested before replay exists. Loads are synthetic but deterministic: the demo's
hand-written forecasts, with cell-2 growing through the run so its spectrum and d-cell-2's split
change between intervals. Policies are planned by the real `flowcast plan`.

Usage: make-run.py FLOWCAST_EXECUTABLE   (from the repository root)
"""
import json, math, os, random, subprocess, sys

flowcast = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
run = os.path.join(here, "Run")
pol = os.path.join(run, "policies")
os.makedirs(pol, exist_ok=True)
base = json.load(open("policies/examples/demo-forecasts.json"))
rng = random.Random(6)
T0 = 1767636000  # 2026-01-05T18:00:00Z
INTERVALS, STEP, WINDOW = 5, 60, 10

def growth(cell, t):
    # cell-2 ramps up 60 % over the run (a stadium filling); the rest breathe gently.
    if cell == "cell-2":
        return 0.75 + 0.6 * (t - T0) / (INTERVALS * STEP)
    return 1 + 0.12 * math.sin((t - T0) / 70 + int(cell[-1]))

cells = {f["id"]: f for f in base["forecasts"] if f["kind"] == "cell"}
windows, actual = [], {}
for w in range(INTERVALS * STEP // WINDOW):
    start = T0 + w * WINDOW
    for cid, f in cells.items():
        rate = f["point"] * growth(cid, start) * rng.uniform(0.85, 1.15)
        up = rate * 0.18 * WINDOW / 8
        down = rate * 0.82 * WINDOW / 8
        issues = rng.choice([0] * 12 + [1, 2, 5]) if cid in ("cell-3", "cell-5") else 0
        windows.append({"kind": "cell", "id": cid, "start": start, "duration": WINDOW, "bytesUp": round(up),
                        "bytesDown": round(down), "packetsUp": round(up / 600), "packetsDown": round(down / 1200),
                        "activeFlows": rng.randint(40, 90), "newFlows": rng.randint(2, 12),
                        "retransmissions": rng.randint(0, 6), "decodeIssues": issues,
                        "partial": w == INTERVALS * STEP // WINDOW - 1})
        actual.setdefault((w * WINDOW // STEP, cid), []).append(rate)
    for lid, share in (("l-s1-s2", 0.9), ("l-s2-agg1", 2.6), ("l-agg1-core", 4.2)):
        rate = cells["cell-2"]["point"] * growth("cell-2", start) * share * rng.uniform(0.9, 1.1)
        windows.append({"kind": "link", "id": lid, "start": start, "duration": WINDOW, "bytesUp": round(rate * 0.3 * WINDOW / 8),
                        "bytesDown": round(rate * 0.7 * WINDOW / 8), "packetsUp": 0, "packetsDown": 0, "activeFlows": 0,
                        "newFlows": 0, "retransmissions": 0, "decodeIssues": 0, "partial": w == INTERVALS * STEP // WINDOW - 1})

with open(os.path.join(run, "windows.jsonl"), "w") as out:
    for row in windows:
        out.write(json.dumps(row, sort_keys=True) + "\n")
with open(os.path.join(run, "flows.jsonl"), "w") as out:
    for i in range(12):
        out.write(json.dumps({"id": i, "cell": f"cell-{i % 6 + 1}", "bytes": 1000 * (i + 1)}) + "\n")
json.dump({"capture": "captures/demo/demo.pcapng", "packets": 48210, "windows": len(windows), "flows": 12,
           "decodeIssues": sum(w["decodeIssues"] for w in windows), "planEvery": "60s"},
          open(os.path.join(run, "summary.json"), "w"), indent=2, sort_keys=True)

forecast_lines, previous = [], None
for i in range(INTERVALS):
    start = T0 + i * STEP
    fs = []
    for cid, f in cells.items():
        g = growth(cid, start + STEP / 2)
        point = f["point"] * g
        fs.append({"id": cid, "kind": "cell", "point": round(point), "upper": round(f["upper"] * g),
                   "source": f"replay interval {i}", **({"spectralEfficiency": f["spectralEfficiency"]} if "spectralEfficiency" in f else {})})
        a = actual[(i, cid)]
        forecast_lines.append({"interval": i, "start": start, "id": cid, "kind": "cell", "point": round(point),
                               "upper": round(f["upper"] * g), "actual": round(sum(a) / len(a))})
    d2 = next(f for f in base["forecasts"] if f["id"] == "d-cell-2")
    g = growth("cell-2", start + STEP / 2)
    fs.append({"id": "d-cell-2", "kind": "demand", "point": round(d2["point"] * g), "upper": round(d2["upper"] * g),
               "source": f"replay interval {i}"})
    path = os.path.join(pol, f"forecasts-{i}.tmp.json")
    json.dump({"forecasts": fs, "modelId": "fixture", "window": {
        "start": f"2026-01-05T18:0{i}:00Z", "end": f"2026-01-05T18:0{i + 1}:00Z"}}, open(path, "w"))
    out = os.path.join(pol, f"policy-{i:04d}.json")
    cmd = [flowcast, "plan", "--topology", "captures/demo/topology.yaml", "--forecasts", path, "--out", out]
    if previous:
        cmd += ["--current", previous]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    os.remove(path)
    previous = out
with open(os.path.join(pol, "forecasts.jsonl"), "w") as out:
    for row in forecast_lines:
        out.write(json.dumps(row, sort_keys=True) + "\n")
