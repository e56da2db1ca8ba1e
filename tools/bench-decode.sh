#!/bin/sh
# Decode speed against the C floor (../shared/bench): builds release, makes the 5,000,000-packet
# bench capture once (outside the repository), then runs compare.sh.
# Usage: tools/bench-decode.sh [RUNS]
set -eu
. "$(dirname "$0")/bench-common.sh"
BENCH_DATA=$data bash "$shared/bench/compare.sh" -n "${1:-3}" "$data/bench-5m.pcap" -- \
    .build/release/flowcast decode "$data/bench-5m.pcap" --format none
