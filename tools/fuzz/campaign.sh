#!/usr/bin/env bash
# The fuzzing campaign of docs/fuzzing.md: each target in turn, one process at a time, until it
# has run its number of executions or its time cap (seconds), whichever comes first. Each line
# of the summary is tools/fuzz.sh's last line plus the slowest input's time.
#
#   tools/fuzz/campaign.sh [TARGET:RUNS:SECONDS ...]
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
plan=("$@")
if [ ${#plan[@]} -eq 0 ]; then
    plan=(decode:10000000:3600 pcap:10000000:3600 pcapng:10000000:3600 gtpv2:1000000:600 topology:1000000:1800
          policy:1000000:1800 diff:1000000:1800 series:1000000:1800 model:1000000:1800)
fi
"$root/tools/fuzz.sh" --list >/dev/null
for entry in "${plan[@]}"; do
    IFS=: read -r target runs seconds <<<"$entry"
    start=$(date -u +%H:%M:%S)
    # libFuzzer's -timeout is wall-clock time: on a shared machine, or at a low priority, an input
    # of 3 ms of CPU was reported as a 1 s timeout. The bound that matters, 100 ms of CPU per
    # input, is measured by the targets themselves (FuzzSupport: inputs over it are saved to
    # artifacts/slow-*), so the campaign's wall-clock timeout only catches hangs.
    line=$(FUZZ_SKIP_BUILD="${FUZZ_SKIP_BUILD:-0}" FUZZ_FLAGS="-runs=$runs -timeout=${FUZZ_TIMEOUT:-30}" \
        "$root/tools/fuzz.sh" "$target" "$seconds" | tail -1)
    slowest=$(grep '^slowest unit' "$root/tools/fuzz/artifacts/$target.log" | tail -1)
    echo "$start $line; $slowest"
done
