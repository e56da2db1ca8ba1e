#!/usr/bin/env bash
# Renders a `flowcast report` HTML file in headless Chromium and saves PNG screenshots, so a
# person can look at the report the way a browser shows it (no network).
#
# usage: tools/screenshot-report.sh REPORT.html [OUT.png] [WIDTHxHEIGHT]
#        tools/screenshot-report.sh --run RUN_DIR [OUT.png] [WIDTHxHEIGHT]   # builds the report first
# default size 1440x900 (a laptop screen); also writes OUT-full.png, the whole page at that width.
# Needs Debian's chromium (apt-get install -y chromium); not used by any test.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ "${1:-}" == "--run" ]]; then
    run_dir="${2:?usage: $0 --run RUN_DIR [OUT.png] [WIDTHxHEIGHT]}"
    shift 2
    report="$(mktemp -d)/report.html"
    flowcast="${FLOWCAST:-$root/.build/debug/flowcast}"
    [[ -x "$flowcast" ]] || { echo "no flowcast at $flowcast (swift build, or set FLOWCAST=)" >&2; exit 2; }
    topology_args=()
    [[ -f "$root/captures/demo/topology.yaml" ]] && topology_args=(--topology "$root/captures/demo/topology.yaml")
    "$flowcast" report "$run_dir" "${topology_args[@]}" --out "$report" >&2
else
    report="${1:?usage: $0 REPORT.html [OUT.png] [WIDTHxHEIGHT]}"
    shift
fi
out="${1:-report.png}"
size="${2:-1440x900}"
width="${size%x*}"
height="${size#*x}"

browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
[[ -n "$browser" ]] || { echo "chromium not found: apt-get install -y chromium" >&2; exit 2; }
[[ -f "$report" ]] || { echo "no such report: $report" >&2; exit 2; }

url="file://$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT

shoot() {  # shoot OUT WIDTH HEIGHT
    # --host-resolver-rules: any network fetch fails, so a missing inline asset would show.
    # (JavaScript stays on: headless screenshots need it, and the report has no <script>, which
    # ReviewReportTests checks.)
    "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
        --host-resolver-rules="MAP * ~NOTFOUND" \
        --window-size="$2,$3" --screenshot="$1" "$url" >/dev/null 2>&1 || true
    [[ -s "$1" ]] || { echo "chromium wrote no screenshot to $1" >&2; exit 1; }
}

shoot "$out" "$width" "$height"
# The whole page: tall enough for every section (a report is a few thousand pixels).
full="${out%.png}-full.png"
shoot "$full" "$width" "${FULL_HEIGHT:-6000}"
echo "$out"
echo "$full"
