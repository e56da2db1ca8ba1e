#!/bin/sh
# Decode speed against the C floor (../shared/bench): builds release, makes the 5,000,000-packet
# bench capture once (outside the repository), then runs compare.sh.
# Usage: tools/bench-decode.sh [RUNS]
set -eu
cd "$(dirname "$0")/.."
shared=${SHARED:-../shared}
data=${BENCH_DATA:-../bench-data}
mkdir -p "$data"
[ -f "$data/bench-5m.pcap" ] || python3 "$shared/bench/make-bench-pcap.py" "$data/bench-5m.pcap"
swift build -c release --product flowcast
BENCH_DATA=$data bash "$shared/bench/compare.sh" -n "${1:-3}" "$data/bench-5m.pcap" -- \
    .build/release/flowcast decode "$data/bench-5m.pcap" --format none
