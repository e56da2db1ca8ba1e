#!/usr/bin/env python3
"""Count, per TCP flow, the frames tshark's sequence analysis flags, for the flow table's
retransmission estimate (FlowTableTests.retransmissionsMatchTshark).

Usage: tshark-retransmissions.py CAPTURE [CAPTURE ...] > Tests/FlowcastAggregateTests/Oracles/tcp-retransmissions.tsv

For each capture, runs (default profile, no user preferences)
    tshark -n -r CAPTURE -Y tcp.analysis.KIND -T fields -E occurrence=l \\
        -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e tcp.srcport -e tcp.dstport
for KIND in retransmission (which tshark also sets on fast and spurious retransmissions),
fast_retransmission, spurious_retransmission and out_of_order, and prints one tab-separated line
per capture and flow with any of them: capture name, flow ("ADDRESS PORT ADDRESS PORT", the
innermost endpoints as "ADDRESS PORT" sorted as text), then the four counts in that order. A flow
is the 5-tuple, both directions summed, as `flowcast flows` with no timeouts.

Needs tshark 4.0 (Debian 12: apt-get install tshark); the committed file was made with 4.0.17.
"""
import os
import subprocess
import sys

KINDS = ["retransmission", "fast_retransmission", "spurious_retransmission", "out_of_order"]
FIELDS = ["ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport", "tcp.dstport"]


def flows(path, kind):
    command = ["tshark", "-n", "-r", path, "-Y", "tcp.analysis." + kind, "-T", "fields", "-E", "occurrence=l"]
    for field in FIELDS:
        command += ["-e", field]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        c = line.split("\t")
        ends = sorted([f"{c[0] or c[1]} {c[4]}", f"{c[2] or c[3]} {c[5]}"])
        yield " ".join(ends)


def main():
    print("# capture\tflow\tretransmission\tfast_retransmission\tspurious_retransmission\tout_of_order")
    print("# " + subprocess.run(["tshark", "-v"], capture_output=True, text=True).stdout.splitlines()[0])
    print("# made by: tools/tshark-retransmissions.py " + " ".join(os.path.basename(p) for p in sys.argv[1:]))
    for path in sys.argv[1:]:
        counts = {}
        for i, kind in enumerate(KINDS):
            for flow in flows(path, kind):
                counts.setdefault(flow, [0] * len(KINDS))[i] += 1
        for flow in sorted(counts):
            print("\t".join([os.path.basename(path), flow] + [str(n) for n in counts[flow]]))


if __name__ == "__main__":
    main()
