#!/usr/bin/env bash
# Generates the seed corpora that are too large to commit, into tools/fuzz/corpus/TARGET-seeds/
# (gitignored), from what the repository holds.
#
#   tools/fuzz/make-seeds.sh [TARGET...]      (default: every target)
#
# The built fuzz-decode (for decode and gtpv2) and fuzz-model (for model) make the seeds only
# they can make; FUZZ_BIN names the folder holding them (default tools/fuzz/.build/release).
# Set FLOWCAST_FUZZ_EXTRA_CAPTURES to a folder of captures the project has never seen to add
# them as seeds too (see docs/fuzzing.md).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${FUZZ_BIN:-$here/.build/release}"
wanted=" ${*:-decode pcap pcapng gtpv2 topology policy diff series model} "
wants() { [[ "$wanted" == *" $1 "* ]]; }
out="$here/corpus"
mkdir -p "$out"
seeds() { rm -rf "$out/$1-seeds"; mkdir -p "$out/$1-seeds"; echo "$out/$1-seeds"; }

captures=("$root"/captures/real/*.pcap "$root"/captures/real/*.pcapng "$root"/captures/real/*.cap "$root"/captures/demo/demo.pcapng)
if [ -n "${FLOWCAST_FUZZ_EXTRA_CAPTURES:-}" ]; then
    captures+=("$FLOWCAST_FUZZ_EXTRA_CAPTURES"/*.pcap "$FLOWCAST_FUZZ_EXTRA_CAPTURES"/*.pcapng "$FLOWCAST_FUZZ_EXTRA_CAPTURES"/*.cap)
fi
existing=()
for c in "${captures[@]}"; do [ -f "$c" ] && existing+=("$c"); done

# pcap, pcapng: whole files, cut to their first 64 KiB (libFuzzer's -max_len cuts them anyway).
if wants pcap || wants pcapng; then
    p=$(seeds pcap); n=$(seeds pcapng)
    for c in "${existing[@]}"; do
        magic=$(head -c4 "$c" | od -An -tx1 | tr -d ' \n')
        case "$magic" in
            0a0d0d0a) head -c 65536 "$c" > "$n/$(basename "$c")" ;;
            *) head -c 65536 "$c" > "$p/$(basename "$c")" ;;
        esac
    done
fi

# decode: the first packets of each capture, one file each (link-type byte + packet), and
# gtpv2: the GTPv2-C payloads among them; both written by the decode target itself.
if wants decode || wants gtpv2; then
    d=$(seeds decode); g=$(seeds gtpv2)
    (IFS=:; FLOWCAST_FUZZ_MAKE_SEEDS="$d" FLOWCAST_FUZZ_GTPV2_SEEDS="$g" FLOWCAST_FUZZ_MAX_PACKETS=64 \
        FLOWCAST_FUZZ_CAPTURES="${existing[*]}" "$bin/fuzz-decode" -runs=0 "$d" >/dev/null 2>&1) || true
fi

# topology: every topology in the repository.
if wants topology; then
    t=$(seeds topology)
    for f in "$root"/captures/*/topology.yaml "$root"/tools/bench-topology.yaml "$root"/Tests/*/ReviewFixtures/*.yaml; do
        if [ -f "$f" ]; then cp "$f" "$t/$(basename "$(dirname "$f")")-$(basename "$f")"; fi
    done
    # Links with their ends' interface addresses (links[].addresses), which no shipped topology uses.
    cat > "$t/link-addresses.yaml" <<'YAML'
nodes:
  - { id: s1, address: 10.255.0.1 }
  - { id: a1, address: "2001:db8::11" }
links:
  - { id: l1, a: s1, b: a1, capacity: 1G, addresses: { s1: 192.0.2.0, a1: 192.0.2.1 } }
  - { id: l2, a: s1, b: a1, capacity: 1G, addresses: { a1: "2001:db8::2:1" } }
demands:
  - { id: d1, source: s1, destination: a1, prefix: 10.20.0.0/24 }
YAML
    # And small ones (the target runs under a 4 KiB input bound, docs/fuzzing.md): each
    # topology with every top-level list cut to its first two entries, and each section alone.
    python3 - "$t" <<'PY'
import os, re, sys
folder = sys.argv[1]
for name in sorted(os.listdir(folder)):
    if name.startswith("small-"):
        continue
    text = open(os.path.join(folder, name), encoding="utf-8").read()
    sections, current = [], None
    for line in text.splitlines():
        if re.match(r"[A-Za-z]", line):
            current = [line, []]
            sections.append(current)
        elif current is not None and line.strip() and not line.lstrip().startswith("#"):
            if line.startswith("  - ") or line.startswith("- ") or not current[1]:
                current[1].append([line])
            else:
                current[1][-1].append(line)
    def render(parts, keep):
        out = []
        for head, entries in parts:
            out.append(head)
            for entry in entries[:keep]:
                out.extend(entry)
        return "\n".join(out) + "\n"
    base = os.path.splitext(name)[0]
    with open(os.path.join(folder, f"small-{base}.yaml"), "w", encoding="utf-8") as f:
        f.write(render(sections, 2))
    for head, entries in sections:
        key = head.split(":")[0]
        with open(os.path.join(folder, f"small-{base}-{key}.yaml"), "w", encoding="utf-8") as f:
            f.write(render([(head, entries)], 3))
PY
fi

# policy: every policy document in the repository; diff: pairs of them (OLD NUL NEW).
if wants policy || wants diff; then
pol=$(seeds policy); dif=$(seeds diff)
docs=("$root"/policies/baseline/*.json "$root"/policies/examples/demo-policy.json \
      "$root"/Tests/FlowcastReviewTests/ReviewFixtures/Run/policies/*.json \
      "$root"/Tests/FlowcastReviewTests/ReviewFixtures/Folders/*/*.json \
      "$root"/Tests/FlowcastReviewTests/ReviewFixtures/Policies/*.json "$root"/Tests/FlowcastPolicyTests/Golden/policy.json)
i=0
for f in "${docs[@]}"; do
    [ -f "$f" ] || continue
    i=$((i + 1)); cp "$f" "$pol/$i-$(basename "$f")"
done
pair() { { cat "$1"; printf '\0'; cat "$2"; } > "$dif/$3"; }
pair "$root/policies/baseline/demo.json" "$root/policies/examples/demo-policy.json" baseline-example
pair "$root/Tests/FlowcastReviewTests/ReviewFixtures/Folders/old/demo.json" "$root/Tests/FlowcastReviewTests/ReviewFixtures/Folders/new/demo.json" folders-demo
pair "$root/Tests/FlowcastReviewTests/ReviewFixtures/Folders/old/policy-0000.json" "$root/Tests/FlowcastReviewTests/ReviewFixtures/Folders/new/policy-0000.json" folders-0000
pair "$root/Tests/FlowcastReviewTests/ReviewFixtures/Run/policies/policy-0000.json" "$root/Tests/FlowcastReviewTests/ReviewFixtures/Run/policies/policy-0004.json" run-0000-0004
pair "$root/policies/baseline/demo.json" "$root/Tests/FlowcastReviewTests/ReviewFixtures/Policies/failed-link.json" baseline-failed-link
# Small documents for the 8 KiB input bound of policy and diff: each document with every list
# cut to its first two entries, written compactly; pairs of them for diff.
python3 - "$pol" "$dif" <<'PY'
import json, os, sys
pol, dif = sys.argv[1], sys.argv[2]
def trim(value):
    if isinstance(value, list):
        return [trim(v) for v in value[:2]]
    if isinstance(value, dict):
        return {k: trim(v) for k, v in value.items()}
    return value
small = []
for name in sorted(os.listdir(pol)):
    if name.startswith("small-"):
        continue
    try:
        doc = json.load(open(os.path.join(pol, name), encoding="utf-8"))
    except ValueError:
        continue
    text = json.dumps(trim(doc), separators=(",", ":"), sort_keys=True).encode()
    path = os.path.join(pol, "small-" + name)
    open(path, "wb").write(text)
    small.append(text)
for i in range(len(small) - 1):
    open(os.path.join(dif, f"small-{i}"), "wb").write(small[i] + b"\0" + small[i + 1])
PY
fi

# series: head rows of the Abilene data (wide CSV) and the review fixtures' windows.jsonl.
if wants series; then
    s=$(seeds series)
    for f in "$root"/data/abilene/*.csv; do head -n 12 "$f" > "$s/abilene-$(basename "$f")"; done
    head -n 40 "$root/Tests/FlowcastReviewTests/ReviewFixtures/Run/windows.jsonl" > "$s/windows.jsonl"
fi

# model: a small model trained by the model target itself.
if wants model; then
    m=$(seeds model)
    FLOWCAST_FUZZ_MAKE_SEEDS="$m" "$bin/fuzz-model" -runs=0 "$m" >/dev/null 2>&1 || true
fi

for target in $wanted; do
    printf '%s: %s seeds\n' "$target" "$(ls "$out/$target-seeds" 2>/dev/null | wc -l)"
done
