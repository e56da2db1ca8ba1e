#!/bin/sh
# Replay speed and memory against the C floor: release build, the 5,000,000-packet bench capture
# (made once, outside the repository), a topology mapping its 50 cells, ../shared/bench/compare.sh
# for CPU and wall ratios, then one run under /usr/bin/time -v for peak RSS.
# Usage: tools/bench-replay.sh [RUNS]
set -eu
. "$(dirname "$0")/bench-common.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
BENCH_DATA=$data bash "$shared/bench/compare.sh" -n "${1:-3}" "$data/bench-5m.pcap" -- \
    .build/release/flowcast replay "$data/bench-5m.pcap" --topology tools/bench-topology.yaml --out "$out" --quiet
/usr/bin/time -v .build/release/flowcast replay "$data/bench-5m.pcap" --topology tools/bench-topology.yaml \
    --out "$out" --quiet 2>&1 | grep -E "Maximum resident|Elapsed|User time|System time"
