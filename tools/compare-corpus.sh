#!/usr/bin/env bash
# Compares `flowcast decode --format tsv` with tshark on every capture in the test suites of the
# Debian source packages of tcpdump, libpcap and nDPI (about 930 files; 914 are not among
# ../shared/captures/real). Needs deb-src access to deb.debian.org, tshark and python3.
#
# Usage: tools/compare-corpus.sh [WORKDIR] [FLOWCAST]
#   WORKDIR   where the sources are fetched and unpacked (default /tmp/flowcast-corpus)
#   FLOWCAST  the binary to check (default .build/debug/flowcast)
# Prints one line per capture that disagrees and a total; exit 1 on any disagreement.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/flowcast-corpus}
flowcast=$(realpath "${2:-$here/.build/debug/flowcast}")
expected=$here/tools/tshark-expected.py
mkdir -p "$work"
cd "$work"
if ! ls /etc/apt/sources.list.d/*.sources 2>/dev/null | xargs grep -l "deb-src" >/dev/null 2>&1; then
    cat > /etc/apt/sources.list.d/flowcast-deb-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    apt-get update -qq
fi
for package in tcpdump libpcap ndpi; do
    # The orig tarball is what is needed; a missing Debian diff (ndpi's is 404) is not fatal.
    ls ${package}_*.orig.tar.* >/dev/null 2>&1 || apt-get source --download-only -qq "$package" >/dev/null 2>&1 || true
    ls ${package}_*.orig.tar.* >/dev/null 2>&1 || { echo "cannot fetch the source of $package" >&2; exit 2; }
done
for tarball in *.orig.tar.gz *.orig.tar.xz; do
    [ -e "$tarball" ] || continue
    tar xf "$tarball" --wildcards '*.pcap' '*.pcapng' '*.cap' 2>/dev/null || true
done
find . -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort > captures.txt
xargs -P2 -n16 python3 "$expected" < captures.txt > /dev/null 2>&1 || true
status=0
xargs -P2 -n20 python3 "$here/tools/compare-decode.py" --flowcast "$flowcast" < captures.txt > compare.txt 2>&1 || status=1
grep -A4 "^FAIL" compare.txt || true
grep "captures agree" compare.txt | awk -F'[/ ]' '{a += $1; n += $2} END {printf "%d/%d captures agree\n", a, n}'
exit $status
