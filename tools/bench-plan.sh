#!/usr/bin/env bash
# Benchmark for issue 5's speed goal: a plan for 100 cells and 500 demands × 4 paths within 1 s.
#
# Builds flowcast in release, generates the benchmark scenario (same shape as the
# planForHundredCellsAndFiveHundredDemands test: a 60-router ring with chords, 100 cells on one
# band with ring neighbours, 500 demands between random router pairs, no candidate paths given so
# the planner finds 4 per demand), then runs `flowcast plan --timing` RUNS times and reports
# path finding, planning (paths + routing LP + spectrum) and whole-process wall time.
#
# Usage: tools/bench-plan.sh [RUNS]     (env: SCRATCH=.build-policy-rel, KEEP=1 keeps the inputs)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
SCRATCH=${SCRATCH:-.build-policy-rel}
swift build -c release --scratch-path "$SCRATCH" --product flowcast >&2
BIN="$SCRATCH/release/flowcast"
WORK=$(mktemp -d)
[[ "${KEEP:-0}" == 1 ]] || trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK" <<'PY'
import json, random, sys
work = sys.argv[1]
rng = random.Random(5)
out = ["bands:", "  - { id: n78, lowMHz: 3300, highMHz: 3800, blockMHz: 10 }", "nodes:"]
out += [f"  - {{ id: r{i}, address: 10.0.{i // 250}.{i % 250 + 1} }}" for i in range(60)]
out.append("links:")
for i in range(60):
    out.append(f"  - {{ id: ring{i}, a: r{i}, b: r{(i + 1) % 60}, capacity: 10G, weight: {1 + rng.randrange(5)} }}")
    if i % 3 == 0:
        out.append(f"  - {{ id: chord{i}, a: r{i}, b: r{(i + 17) % 60}, capacity: 40G, weight: 3 }}")
out.append("cells:")
for c in range(100):
    out.append(f"  - {{ id: c{c}, band: n78, minBlocks: 1, maxBlocks: 10, peakSpectralEfficiency: 5, "
               f"neighbours: [c{(c + 99) % 100}, c{(c + 1) % 100}], contiguous: true }}")
out.append("demands:")
forecasts = []
for d in range(500):
    s = rng.randrange(60)
    e = (s + 1 + rng.randrange(59)) % 60
    out.append(f"  - {{ id: d{d}, source: r{s}, destination: r{e}, prefix: 10.200.{d // 250}.{d % 250}/32 }}")
    forecasts.append({"id": f"d{d}", "kind": "demand", "point": 1e8, "upper": (1 + rng.randrange(10)) * 1e8, "source": "synthetic"})
for c in range(100):
    forecasts.append({"id": f"c{c}", "kind": "cell", "point": 1e8, "upper": rng.randrange(500) * 1e6, "source": "synthetic"})
open(f"{work}/topology.yaml", "w").write("\n".join(out) + "\n")
json.dump({"forecasts": forecasts, "modelId": "synthetic"}, open(f"{work}/forecasts.json", "w"))
PY

"$BIN" topology check "$WORK/topology.yaml"
echo "runs: $RUNS ($(nproc) cores; $(uname -m))"
for i in $(seq "$RUNS"); do
    start=$(date +%s%N)
    "$BIN" plan --topology "$WORK/topology.yaml" --forecasts "$WORK/forecasts.json" --out "$WORK/policy.json" --timing 2>&1 >/dev/null
    end=$(date +%s%N)
    echo "run $i: process wall time $(( (end - start) / 1000000 )) ms"
done
"$BIN" plan --topology "$WORK/topology.yaml" --forecasts "$WORK/forecasts.json" --out "$WORK/policy.json"
python3 - "$WORK/policy.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
paths = [len(d["paths"]) for d in doc["routing"]["demands"]]
print(f"policy: {len(doc['spectrum']['cells'])} cells, {len(paths)} demands, paths per demand {min(paths)}–{max(paths)}")
PY
