#!/usr/bin/env bash
# Benchmark: the highest tcpreplay rate at which `flowcast live` (on 1 and on 2 capture threads,
# --capture-threads) reports zero kernel drops on a
# veth pair, against `tcpdump -w /dev/null` at the same rates, on the 5,000,000-packet bench
# capture. Root only (it makes a network namespace and a veth pair, removed on exit).
#
# Usage: tools/bench-live.sh [CAPTURE]       (default ../bench-data/bench-5m.pcap)
# Environment:
#   FLOWCAST=path    flowcast binary (default: build release into .build-live-rel)
#   RATES="..."      rates to try, in order: packets per second or 'topspeed'
#                    (default "100000 200000 400000 800000 topspeed")
#   BUFFER_MB=64     kernel capture buffer for both tools
#   LIMIT=N          send only the first N packets (tcpreplay --limit)
#   PRELOAD=1        tcpreplay --preload-pcap (reads the whole capture into memory first)
#   THREADS="1 2"    flowcast --capture-threads values to run at each rate (default "1 2")
# Installs nothing: it stops and says what is missing (tcpreplay, tcpdump, iproute2).
set -euo pipefail
cd "$(dirname "$0")/.."

capture=${1:-../bench-data/bench-5m.pcap}
rates=${RATES:-"100000 200000 400000 800000 topspeed"}
buffer_mb=${BUFFER_MB:-64}
threads=${THREADS:-"1 2"}

[ "$(id -u)" -eq 0 ] || { echo "bench-live: run as root (network namespaces, veth, capture)" >&2; exit 2; }
missing=()
for tool in ip tcpreplay tcpdump; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "bench-live: missing ${missing[*]}; install with: apt-get install iproute2 tcpreplay tcpdump" >&2
    exit 2
fi
[ -f "$capture" ] || { echo "bench-live: no capture at $capture" >&2; exit 2; }

if [ -z "${FLOWCAST:-}" ]; then
    swift build -c release --scratch-path .build-live-rel --product flowcast >&2
    FLOWCAST=.build-live-rel/release/flowcast
fi

tag=$(printf '%x' $((RANDOM * 32768 + RANDOM)))
ns="fcbench-$tag"; near="fcb${tag}a"; far="fcb${tag}b"
work=$(mktemp -d /tmp/bench-live.XXXXXX)
cleanup() {
    [ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null || true
    ip link del "$near" 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip link add "$near" mtu 9000 type veth peer name "$far" mtu 9000 netns "$ns"
sysctl -qw "net.ipv6.conf.$near.disable_ipv6=1"
ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$far.disable_ipv6=1"
ip link set "$near" up
ip netns exec "$ns" ip link set "$far" up

replay_args=(-q)
[ -n "${LIMIT:-}" ] && replay_args+=(--limit "$LIMIT")
[ "${PRELOAD:-0}" = 1 ] && replay_args+=(--preload-pcap)

# Sends the capture at $1; prints the rate tcpreplay achieved (packets per second).
feed() {
    local rate=$1 args=("${replay_args[@]}")
    if [ "$rate" = topspeed ]; then args+=(--topspeed); else args+=(--pps "$rate"); fi
    ip netns exec "$ns" tcpreplay "${args[@]}" -i "$far" "$capture" > "$work/replay.txt" 2>&1
    awk '/Rated:/ { for (i = 1; i <= NF; i++) if ($i ~ /pps/) { print int($(i-1)); exit } }' "$work/replay.txt"
}

# Waits until a counter file stops growing (the reader has caught up).
settle() { sleep 2; }

run_flowcast() {
    local rate=$1 n=$2 out="$work/flowcast-$rate-$2"
    "$FLOWCAST" live -i "$near" --capture-threads "$n" --topology captures/demo/topology.yaml --out "$out" --buffer-mb "$buffer_mb" \
        --idle-timeout 60 --active-timeout 300 --quiet 2> "$work/flowcast.err" &
    pid=$!
    sleep 1
    local achieved; achieved=$(feed "$rate")
    settle
    kill -TERM "$pid"; wait "$pid" || true; pid=
    python3 - "$out/summary.json" "$rate" "$achieved" "$n" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
p = s["capture"]["libpcap"]
print(f"flowcast/{sys.argv[4]} rate={sys.argv[2]:>9}  achieved={sys.argv[3]:>8} pps  received={p['received']:>8}  "
      f"aggregated={s['totals']['packets']:>8}  kernel_drops={p['kernelDrops']:>8}  if_drops={p['interfaceDrops']}")
EOF
}

run_tcpdump() {
    local rate=$1
    tcpdump -i "$near" -w /dev/null -B $((buffer_mb * 1024)) -s 262144 -q 2> "$work/tcpdump.err" &
    pid=$!
    sleep 1
    local achieved; achieved=$(feed "$rate")
    settle
    kill -INT "$pid"; wait "$pid" || true; pid=
    local received dropped
    received=$(awk '/packets received by filter/ { print $1 }' "$work/tcpdump.err")
    dropped=$(awk '/packets dropped by kernel/ { print $1 }' "$work/tcpdump.err")
    printf 'tcpdump   rate=%9s  achieved=%8s pps  received=%8s  kernel_drops=%8s\n' "$rate" "$achieved" "$received" "$dropped"
}

echo "capture: $capture; buffer ${buffer_mb} MiB; $(nproc) cores; $(uname -r)"
for rate in $rates; do
    for n in $threads; do run_flowcast "$rate" "$n"; done
    run_tcpdump "$rate"
done
