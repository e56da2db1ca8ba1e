#!/bin/sh
# Replay speed with --ipfix to a local nfcapd against replay without it, on the 5,000,000-packet
# bench capture (see tools/bench-replay.sh). Prints the wall time of each run and the ratio of
# the best runs (without / with: 1.0 means export costs nothing). Needs nfcapd (Debian nfdump).
# Usage: tools/bench-ipfix.sh [RUNS]
set -eu
. "$(dirname "$0")/bench-common.sh"
runs=${1:-3}
out=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$out/nfcapd"
nfcapd -b 127.0.0.1 -p "$port" -w "$out/nfcapd" -B 8388608 >"$out/nfcapd.log" 2>&1 &
collector=$!
trap 'kill "$collector" 2>/dev/null; wait "$collector" 2>/dev/null; rm -rf "$out"' EXIT
sleep 1
best() { sort -n | head -1; }
timed() {
    start=$(date +%s.%N)
    .build/release/flowcast replay "$data/bench-5m.pcap" --topology tools/bench-topology.yaml --out "$out/run" --quiet "$@" >"$out/replay.log" 2>&1
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}
: >"$out/plain"; : >"$out/ipfix"
for i in $(seq "$runs"); do
    t=$(timed); echo "without --ipfix: $t s"; echo "$t" >>"$out/plain"
    t=$(timed --ipfix "udp://127.0.0.1:$port"); echo "with --ipfix:    $t s"; echo "$t" >>"$out/ipfix"
    python3 -c "import json; print('  ', json.load(open('$out/run/summary.json'))['ipfix'][0])"
done
plain=$(best <"$out/plain"); ipfix=$(best <"$out/ipfix")
echo "best: $plain s without, $ipfix s with; speed with/without = $(echo "scale=3; $plain / $ipfix" | bc)"
kill "$collector"; wait "$collector" 2>/dev/null || true
grep -E "Ident|Sequence" "$out/nfcapd.log" | tail -2
