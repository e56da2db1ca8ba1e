#!/usr/bin/env python3
"""List, for each capture, the length of every frame's outermost IP datagram as tshark reads it:
IPv4's total length (ip.len) or IPv6's 40 + payload length (ipv6.plen), whichever layer comes
first in frame.protocols; 0 for a frame with neither. The decoder's `PacketSummary.ipLength`,
which IPFIX exports as octetDeltaCount and flows.jsonl as ip_bytes_ab/ip_bytes_ba, is checked
against it frame by frame (OracleTests).

tshark runs without reassembly, as for the decode oracle (expected.py).

Usage: tshark-ip-bytes.py CAPTURE [CAPTURE ...] > captures/real/ip-bytes.tsv

One line per capture, tab-separated: the capture's file name, then one length per frame in frame
order, separated by spaces. A capture tshark refuses is left out.

Needs tshark 4.0 (Debian 12: apt-get install tshark); tools/regenerate-expected.sh runs it.
"""
import os
import subprocess
import sys

PREFS = ["-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"]


def lengths(capture):
    run = subprocess.run(["tshark", "-r", capture, *PREFS, "-T", "fields", "-E", "occurrence=f",
                          "-e", "frame.number", "-e", "frame.protocols", "-e", "ip.len", "-e", "ipv6.plen"],
                         capture_output=True, text=True)
    if run.returncode != 0 and not run.stdout:
        return None
    out = []
    for line in run.stdout.splitlines():
        number, protocols, v4, v6 = (line.split("\t") + [""] * 4)[:4]
        layers = protocols.split(":")
        first = next((p for p in layers if p in ("ip", "ipv6")), None)
        if first == "ip" and v4:
            out.append(int(v4))
        elif first == "ipv6" and v6:
            out.append(40 + int(v6))
        else:
            out.append(0)
    return out


def main(paths):
    for path in sorted(paths, key=os.path.basename):
        found = lengths(path)
        if found is None:
            continue
        print(os.path.basename(path) + "\t" + " ".join(str(n) for n in found))


if __name__ == "__main__":
    main(sys.argv[1:])
