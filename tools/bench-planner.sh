#!/usr/bin/env bash
# Scale-out benchmark (issue 14, docs/scaleout.md): a release flowcast against a local nats-server.
#  1. plan step: `flowcast plan --timing` for 100, 1,000 and 5,000 cells with 5 demands per cell and
#     4 paths per demand (generated scenario: a router ring with chords, cells on one band with
#     ring neighbours);
#  2. planner ingest: three taps (`replay --publish`, sites a, b, c) publish the demo capture's
#     windows for a topology of N cells (every cell has a line in every window), then
#     `flowcast planner --exit-when-done` reads them all: messages per second, and peak RSS for
#     1,000 and 5,000 cells (their difference per cell is the memory a cell costs);
#  3. a tap's cost of publishing: `replay` of the 5,000,000-packet bench capture with and without
#     `--publish` (one run each);
#  4. the planner's peak RSS with the taps in step: the planner started first, the three taps
#     publishing while it reads (the difference between 1,000 and 5,000 cells per cell is the
#     memory a cell costs a running planner, rather than a backlog's).
# The taps replay as fast as they can, at different speeds on a busy machine, so the planner runs
# with --lateness 1h: it waits for every site, as it would for taps in step.
# Usage: tools/bench-planner.sh      (env: SCRATCH=.build-rel, PARTS=1234 picks the parts,
#        PLAN_CELLS="100 1000 5000", INGEST_CELLS="1000 5000")
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build-rel}
swift build -c release --scratch-path "$SCRATCH" --product flowcast >&2
BIN="$SCRATCH/release/flowcast"
WORK=$(mktemp -d)
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_server() {
    nats-server -js -a 127.0.0.1 -p "$PORT" -sd "$WORK/js" >/dev/null 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 200); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$PORT))" 2>/dev/null && return; sleep 0.05; done
    echo "nats-server did not start" >&2; exit 1
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; rm -rf "$WORK/js"; }
URL="nats://127.0.0.1:$PORT"
echo "machine: $(nproc) cores, $(uname -m); nats-server $(nats-server --version | awk '{print $NF}')"

gen() {  # gen N DEMANDS_PER_CELL FOLDER: topology.yaml and forecasts.json
python3 - "$@" <<'PY'
import json, random, sys
n, per, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(14)
routers = max(20, n // 10)
out = ["bands:", "  - { id: n78, lowMHz: 3300, highMHz: 3800, blockMHz: 10 }", "nodes:"]
out += [f"  - {{ id: r{i}, address: 10.{i // 62500}.{i // 250 % 250}.{i % 250 + 1} }}" for i in range(routers)]
out.append("links:")
for i in range(routers):
    out.append(f"  - {{ id: ring{i}, a: r{i}, b: r{(i + 1) % routers}, capacity: 10G, weight: {1 + rng.randrange(5)} }}")
    if i % 3 == 0:
        out.append(f"  - {{ id: chord{i}, a: r{i}, b: r{(i + routers // 3 + 1) % routers}, capacity: 40G, weight: 3 }}")
out.append("cells:")
for c in range(n):
    out.append(f"  - {{ id: c{c}, band: n78, minBlocks: 1, maxBlocks: 10, peakSpectralEfficiency: 5, "
               f"neighbours: [c{(c + n - 1) % n}, c{(c + 1) % n}], contiguous: true, site: r{c % routers} }}")
forecasts = []
if per > 0:
    out.append("demands:")
    for d in range(n * per):
        s = rng.randrange(routers)
        e = (s + 1 + rng.randrange(routers - 1)) % routers
        out.append(f"  - {{ id: d{d}, source: r{s}, destination: r{e}, prefix: 10.200.{d // 250 % 250}.{d % 250}/32 }}")
        forecasts.append({"id": f"d{d}", "kind": "demand", "point": 1e8, "upper": (1 + rng.randrange(10)) * 1e8, "source": "synthetic"})
for c in range(n):
    forecasts.append({"id": f"c{c}", "kind": "cell", "point": 1e8, "upper": rng.randrange(500) * 1e6, "source": "synthetic"})
open(f"{work}/topology.yaml", "w").write("\n".join(out) + "\n")
json.dump({"forecasts": forecasts, "modelId": "synthetic"}, open(f"{work}/forecasts.json", "w"))
PY
}

PARTS=${PARTS:-1234}
if [[ $PARTS == *1* ]]; then
echo "== 1. one plan step (5 demands per cell, 4 paths each) =="
for n in ${PLAN_CELLS:-100 1000 5000}; do
    d="$WORK/plan-$n"; mkdir -p "$d"; gen "$n" 5 "$d"
    start=$(date +%s%N)
    timing=$("$BIN" plan --topology "$d/topology.yaml" --forecasts "$d/forecasts.json" --out "$d/policy.json" --timing 2>&1 >/dev/null | tr '\n' ' ')
    end=$(date +%s%N)
    echo "cells $n, demands $((n * 5)): process $(( (end - start) / 1000000 )) ms; $timing"
done

fi

if [[ $PARTS == *2* ]]; then
echo "== 2. planner ingest (three taps × the demo capture's 60 windows) =="
for n in ${INGEST_CELLS:-1000 5000}; do
    d="$WORK/ingest-$n"; mkdir -p "$d"; gen "$n" 0 "$d"
    start_server
    pids=()
    start=$(date +%s%N)
    for site in a b c; do
        "$BIN" replay captures/demo/demo.pcapng --topology "$d/topology.yaml" --out "$d/tap-$site" --publish "$URL" --site "$site" --quiet &
        pids+=($!)
    done
    wait "${pids[@]}"
    end=$(date +%s%N)
    echo "cells $n: three taps published $(( 3 * $(grep -o '"lines" : [0-9]*' "$d/tap-a/summary.json" | grep -o '[0-9]*$') )) window lines in $(( (end - start) / 1000000 )) ms"

    /usr/bin/time -v "$BIN" planner --nats "$URL" --topology "$d/topology.yaml" --out "$d/planner" --sites a,b,c \
        --plan-every 3600s --lateness 1h --exit-when-done 2>"$d/planner.err" || { cat "$d/planner.err"; exit 1; }
    grep -E "took .* messages|windows from" "$d/planner.err" | sed "s/^/cells $n: /"
    grep -E "Maximum resident|User time|System time|Elapsed" "$d/planner.err" | sed "s/^\s*/cells $n: /"
    stop_server
done

fi

if [[ $PARTS == *4* ]]; then
echo "== 4. planner memory with taps in step (planner started first, three taps publishing meanwhile) =="
for n in ${INGEST_CELLS:-1000 5000}; do
    d="$WORK/step-$n"; mkdir -p "$d"; gen "$n" 0 "$d"
    start_server
    /usr/bin/time -v "$BIN" planner --nats "$URL" --topology "$d/topology.yaml" --out "$d/planner" --sites a,b,c \
        --plan-every 3600s --lateness 1h --exit-when-done 2>"$d/planner.err" &
    planner=$!
    sleep 1
    pids=()
    for site in a b c; do
        "$BIN" replay captures/demo/demo.pcapng --topology "$d/topology.yaml" --out "$d/tap-$site" --publish "$URL" --site "$site" --quiet &
        pids+=($!)
    done
    wait "${pids[@]}"
    wait "$planner" || { cat "$d/planner.err"; exit 1; }
    grep -E "took .* messages" "$d/planner.err" | sed "s/^/cells $n: /"
    grep -E "Maximum resident" "$d/planner.err" | sed "s/^\s*/cells $n: /"
    stop_server
done

fi

if [[ $PARTS == *3* ]]; then
    echo "== 3. a tap's cost of publishing (5,000,000-packet bench capture, one run each) =="
    data=${BENCH_DATA:-../bench-data}
    [ -f "$data/bench-5m.pcap" ] || python3 "${SHARED:-../shared}/bench/make-bench-pcap.py" "$data/bench-5m.pcap"
    start_server
    for mode in plain publish; do
        extra=()
        [ "$mode" = publish ] && extra=(--publish "$URL" --site bench)
        start=$(date +%s%N)
        "$BIN" replay "$data/bench-5m.pcap" --topology tools/bench-topology.yaml --out "$WORK/tap-$mode" "${extra[@]}" 2>&1 | grep -E "published" || true
        end=$(date +%s%N)
        echo "replay ($mode): $(( (end - start) / 1000000 )) ms, $(grep -o '"lines" : [0-9]*' "$WORK/tap-$mode/summary.json") window lines"
    done
    stop_server
fi
