#!/usr/bin/env python3
"""Derive the expected ICMP type and code of every packet whose innermost protocol is ICMP or
ICMPv6, from tshark (the decoding oracle), for the decoder's `icmpTypeCode`.

Usage: tshark-icmp.py CAPTURE [CAPTURE ...]   writes CAPTURE.icmp.tsv beside each capture that
                                              has such packets (and removes a stale one)

CAPTURE.expected.tsv (tools/tshark-expected.py) says which packets have ICMP (1) or ICMPv6 (58)
as their innermost protocol: the ICMP header read is the first one tshark decodes in the frame,
since the packet an ICMP error quotes is never innermost. Three tab-separated columns, no header:
frame number, type, code; both "-" when tshark decoded no type and code (a message cut short),
both "?" for the first fragment of an IPv6 datagram, whose transport header tshark does not
decode with reassembly off (a comparison skips those, as it skips their ports).

Needs tshark 4.0 (Debian 12: apt-get install tshark); run it with tools/regenerate-expected.sh.
"""
import os
import subprocess
import sys

FIELDS = ["frame.number", "frame.protocols", "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code",
          "ipv6.fraghdr.offset"]
PREFS = ["-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"]


def first(value):
    return value.split(",")[0] if value else ""


def icmp_frames(expected_path):
    frames = set()
    with open(expected_path) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) > 8 and cols[8] in ("1", "58"):
                frames.add(int(cols[0]))
    return frames


def derive(capture):
    frames = icmp_frames(capture + ".expected.tsv")
    out_path = capture + ".icmp.tsv"
    if not frames:
        if os.path.exists(out_path):
            os.remove(out_path)
        return 0
    args = ["tshark", "-n", "-r", capture, *PREFS, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
            "-E", "aggregator=,"]
    for field in FIELDS:
        args += ["-e", field]
    run = subprocess.run(args, capture_output=True, text=True)
    lines = []
    for raw in run.stdout.splitlines():
        row = dict(zip(FIELDS, raw.split("\t")))
        number = int(row["frame.number"])
        if number not in frames:
            continue
        tokens = row["frame.protocols"].split(":")
        kind = next((t for t in tokens if t in ("icmp", "icmpv6")), None)
        icmp_type = first(row.get(kind + ".type", "")) if kind else ""
        icmp_code = first(row.get(kind + ".code", "")) if kind else ""
        if icmp_type and icmp_code:
            lines.append(f"{number}\t{icmp_type}\t{icmp_code}")
        elif "ipv6.fraghdr" in tokens and row.get("ipv6.fraghdr.offset", "").split(",")[-1] == "0":
            lines.append(f"{number}\t?\t?")
        else:
            lines.append(f"{number}\t-\t-")
    with open(out_path, "w") as f:
        f.write("".join(line + "\n" for line in lines))
    return 0 if run.returncode == 0 else 1


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 64
    return max(derive(capture) for capture in argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
