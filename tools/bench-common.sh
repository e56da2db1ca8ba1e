# Setup shared by tools/bench-decode.sh and tools/bench-replay.sh; sourced (`. …`), not run.
# Moves to the repository root, sets `shared` (../shared, or $SHARED) and `data` (../bench-data,
# or $BENCH_DATA), makes the 5,000,000-packet bench capture there once (outside the
# repository) and builds the release flowcast. $0 is the sourcing script, in tools/.
cd "$(dirname "$0")/.."
shared=${SHARED:-../shared}
data=${BENCH_DATA:-../bench-data}
mkdir -p "$data"
[ -f "$data/bench-5m.pcap" ] || python3 "$shared/bench/make-bench-pcap.py" "$data/bench-5m.pcap"
swift build -c release --product flowcast
