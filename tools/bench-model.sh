#!/usr/bin/env bash
# Benchmark of the Flowcast forecasting model (FlowcastModel), release build, one core:
#  - training on all public Abilene OD rows (about 400k samples): CPU and wall time of `flowcast train`;
#  - inference: µs per series-step of the hot path (observe, forecastPoint), from
#    `flowcast evaluate --time-inference` (thread CPU time, best of 3 passes).
# Goals (issue 4): training ≤ 60 s on one core, forecastPoint ≤ 1 µs per series-step.
# Usage: tools/bench-model.sh [scratch path]   (default .build-model-rel)
#        FLOWCAST=/path/to/release/flowcast tools/bench-model.sh   (use a binary already built)
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH="${1:-.build-model-rel}"
if [[ -n "${FLOWCAST:-}" ]]; then
    F="$FLOWCAST"
else
    swift build -c release --scratch-path "$SCRATCH" --product flowcast >&2
    F="$SCRATCH/release/flowcast"
fi
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
OD=data/abilene/od_tm_public.csv

echo "== train on all public OD rows (taskset: one core)"
/usr/bin/time -f "train: %U s user CPU, %e s wall, %M KB max RSS" \
    taskset -c 0 "$F" train --series "$OD" --out "$OUT/od-all.json"

echo "== inference (model trained on rows < 2268, timed on rows 2268-3023)"
taskset -c 0 "$F" train --series "$OD" --until 2268 --out "$OUT/od.json" >/dev/null
taskset -c 0 "$F" evaluate --model "$OUT/od.json" --series "$OD" --from 2268 --time-inference 2>&1 >/dev/null \
    | grep '^inference'

# The radio path (52 features with the covariates) when the GPL 5G traces are beside the project;
# they are read in place, never copied.
TRACES=""
for candidate in ../shared/data/radio-5g/traces /work/shared/data/radio-5g/traces; do
    [[ -d "$candidate/Download" ]] && { TRACES="$candidate"; break; }
done
if [[ -n "$TRACES" ]]; then
    echo "== inference, 5G DL with covariates (trained on Download + Netflix, timed on Amazon_Prime)"
    taskset -c 0 "$F" train --series "$TRACES/Download" --series "$TRACES/Netflix" --out "$OUT/dl.json" >/dev/null 2>&1
    taskset -c 0 "$F" evaluate --model "$OUT/dl.json" --series "$TRACES/Amazon_Prime" --from 0 --time-inference 2>&1 >/dev/null \
        | grep '^inference'
else
    echo "== 5G traces not found: radio inference not timed" >&2
fi
