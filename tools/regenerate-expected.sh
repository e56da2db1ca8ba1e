#!/bin/sh
# Regenerates captures/real/*.expected.tsv (and .expected.err), *.icmp.tsv, *.labels.tsv, ipv4-total-length.tsv, udp-length.tsv and ip-bytes.tsv with tshark,
# the decoding oracle.
# tools/tshark-expected.py defines every column and edge case; it needs tshark 4.0 (Debian 12:
# apt-get install tshark). Usage: tools/regenerate-expected.sh [CAPTURE ...]
set -eu
cd "$(dirname "$0")/.."
command -v tshark >/dev/null || { echo "tshark is not installed (apt-get install tshark)" >&2; exit 2; }
synthetic=""
if [ "$#" -eq 0 ]; then
    set -- $(ls captures/real/* | grep -Ev '\.(tsv|err|txt|md)$' | grep -v MANIFEST)
    synthetic=$(ls captures/synthetic/* | grep -Ev '\.(tsv|err|txt|md)$')
fi
python3 tools/tshark-expected.py "$@" || true   # exit 1 just means tshark refused some file
python3 tools/tshark-icmp.py "$@" || true       # ICMP type and code, from the expected files just written
python3 tools/tshark-labels.py "$@" $synthetic || true  # VLAN tags, MPLS labels, GTP message type
python3 tools/tshark-ip-length.py $(ls captures/real/* | grep -Ev '\.(tsv|err|txt|md)$' | grep -v MANIFEST) \
    > captures/real/ipv4-total-length.tsv       # IPv4 total lengths past what holds the datagram
python3 tools/tshark-udp-length.py $(ls captures/real/* captures/synthetic/* | grep -Ev '\.(tsv|err|txt|md)$' | grep -v MANIFEST) \
    > captures/real/udp-length.tsv              # UDP lengths tshark calls bad (below 8, past the IP payload)
python3 tools/tshark-ip-bytes.py $(ls captures/real/* | grep -Ev '\.(tsv|err|txt|md)$' | grep -v MANIFEST) \
    > captures/real/ip-bytes.tsv                # each frame's outermost IP datagram length (octetDeltaCount)
python3 tools/tshark-interface-names.py captures/real/*.pcapng captures/synthetic/*.pcapng \
    > captures/real/interface-names.tsv         # each pcapng frame's interface name (if_name)
git status --short captures/
