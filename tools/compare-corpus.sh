#!/usr/bin/env bash
# Compares `flowcast decode --format tsv` with tshark on every capture in the test suites of the
# Debian source packages of tcpdump, libpcap and nDPI (930 files; 914 are not among
# ../shared/captures/real): about 5 minutes on 2 cores once the sources are fetched (nDPI's is
# 127 MB). Needs deb-src access to deb.debian.org, tshark and python3.
# With --more, also the captures of Wireshark 4.0.17 (test/captures, gzip ones too), gopacket
# 1.1.19 (pcap/ and the pcapng test suite pcapgo/tests), dnscap 2.1.1, tcpflow 1.6.1,
# python-dpkt 1.9.8, pcapy 0.11.5, cowpatty 4.8 and ladvd 1.1.2 from Debian, and pypacker 5.4's
# sdist from PyPI: 376 more files (1,306 in all: about 50 MB more to fetch, and about 6 minutes
# in all on 2 cores).
#
# Usage: tools/compare-corpus.sh [--more] [WORKDIR] [FLOWCAST]
#   --more    the extra corpora too
#   WORKDIR   where the sources are fetched and unpacked (default /tmp/flowcast-corpus)
#   FLOWCAST  the binary to check (default .build/debug/flowcast)
# Prints one line per capture that disagrees and a total; exit 1 on any disagreement.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
more=false
if [ "${1:-}" = "--more" ]; then more=true; shift; fi
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
# The orig tarball is what is needed; a missing Debian diff (ndpi's is 404) is not fatal.
fetch() {
    ls ${1}_*.orig.tar.* >/dev/null 2>&1 || apt-get source --download-only -qq "$1" >/dev/null 2>&1 || true
    ls ${1}_*.orig.tar.* >/dev/null 2>&1 || { echo "cannot fetch the source of $1" >&2; exit 2; }
}
for package in tcpdump libpcap ndpi; do fetch "$package"; done
for tarball in tcpdump_*.orig.tar.* libpcap_*.orig.tar.* ndpi_*.orig.tar.*; do
    case $tarball in *.asc) continue ;; esac
    tar xf "$tarball" --wildcards '*.pcap' '*.pcapng' '*.cap' 2>/dev/null || true
done
find . -path ./more -prune -o -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) -print | sort > captures.txt
if $more; then
    mkdir -p more
    for package in wireshark gopacket dnscap tcpflow python-dpkt pcapy cowpatty ladvd; do fetch "$package"; done
    ls pypacker-5.4.tar.gz >/dev/null 2>&1 \
        || pip download -q --no-deps --no-binary :all: -d . pypacker==5.4 >/dev/null 2>&1 \
        || { echo "cannot fetch the pypacker 5.4 sdist from PyPI" >&2; exit 2; }
    for tarball in wireshark_*.orig.tar.* gopacket_*.orig.tar.* dnscap_*.orig.tar.* tcpflow_*.orig.tar.* \
                   python-dpkt_*.orig.tar.* pcapy_*.orig.tar.* cowpatty_*.orig.tar.* ladvd_*.orig.tar.* pypacker-5.4.tar.gz; do
        case $tarball in *.asc) continue ;; esac
        # Wireshark's test captures are gzip-compressed in part; cowpatty's are .dump (Wireshark's
        # .dump files are ABI dumps, not captures).
        dump=; case $tarball in cowpatty_*) dump='*.dump' ;; esac
        tar xf "$tarball" -C more --wildcards '*.pcap' '*.pcapng' '*.cap' '*.pcap.gz' '*.pcapng.gz' $dump 2>/dev/null || true
    done
    # ._NAME: macOS resource forks in cowpatty's tarball, not captures.
    find more -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' -o -name '*.dump' -o -name '*.pcap.gz' \
        -o -name '*.pcapng.gz' \) ! -name '._*' | sort >> captures.txt
fi
xargs -P2 -n16 python3 "$expected" < captures.txt > /dev/null 2>&1 || true
status=0
xargs -P2 -n20 python3 "$here/tools/compare-decode.py" --flowcast "$flowcast" < captures.txt > compare.txt 2>&1 || status=1
grep -A4 "^FAIL" compare.txt || true
grep "captures agree" compare.txt | awk -F'[/ ]' '{a += $1; n += $2} END {printf "%d/%d captures agree\n", a, n}'
exit $status
