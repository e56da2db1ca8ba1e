#!/usr/bin/env bash
# Trains the demo scenario's model (captures/demo/model.json) on captures the demo never replays:
# the same generator (`flowcast synth`) with seeds 11-18, ten minutes each, replayed with the demo
# topology into 10 s windows. Deterministic: the same binary gives the same weights and trees (the
# file's training.sources names the windows files, which some versions of train write as absolute paths).
#   tools/make-demo-model.sh [FLOWCAST] [OUT]     (default: .build/debug/flowcast, captures/demo/model.json)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
flowcast=$(realpath "${1:-$root/.build/debug/flowcast}")
out=${2:-$root/captures/demo/model.json}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
series=()
for seed in 11 12 13 14 15 16 17 18; do
    "$flowcast" synth --seed "$seed" --out "$work/s$seed.pcapng" 2>/dev/null
    "$flowcast" replay "$work/s$seed.pcapng" --topology "$root/captures/demo/topology.yaml" --sampling 1500 \
        --window 10s --out "$work/seed-$seed" --quiet
    rm "$work/s$seed.pcapng"
    series+=(--series "seed-$seed/windows.jsonl")  # relative, where train keeps them so
done
case $out in /*) ;; *) out=$PWD/$out ;; esac
(cd "$work" && "$flowcast" train "${series[@]}" --out "$out")
