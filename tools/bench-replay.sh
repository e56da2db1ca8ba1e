#!/bin/sh
# Replay speed and memory against the C floor: release build, the 5,000,000-packet bench capture
# (made once, outside the repository), a topology mapping its 50 cells, ../shared/bench/compare.sh
# for CPU and wall ratios, then one run under /usr/bin/time -v for peak RSS.
# With `dense`, a 1,000,000-packet capture of the same generator with five times the flow slots
# (150,000; about 350,000 flows of three packets on average) instead: the case where ending and
# writing flows, not reading packets, is most of the work.
# Usage: tools/bench-replay.sh [RUNS] [dense]
set -eu
. "$(dirname "$0")/bench-common.sh"
capture=$data/bench-5m.pcap
if [ "${2:-}" = dense ]; then
    capture=$data/bench-dense-1m.pcap
    [ -f "$capture" ] || python3 "$shared/bench/make-bench-pcap.py" "$capture" -n 1000000 --ue-flows 100000 --plain-flows 50000
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
BENCH_DATA=$data bash "$shared/bench/compare.sh" -n "${1:-3}" "$capture" -- \
    .build/release/flowcast replay "$capture" --topology tools/bench-topology.yaml --out "$out" --quiet
/usr/bin/time -v .build/release/flowcast replay "$capture" --topology tools/bench-topology.yaml \
    --out "$out" --quiet 2>&1 | grep -E "Maximum resident|Elapsed|User time|System time"
