#!/usr/bin/env python3
"""Derive the expected VLAN tags, MPLS labels and outermost GTPv1 message type of every frame
that has any of them, from tshark (the decoding oracle), for the decoder's `vlan`, `innerVLAN`,
`mplsLabel`, `innerMPLSLabel` and `gtpMessageType` (match rules by `mpls` and `vlan` read them).

Usage: tshark-labels.py CAPTURE [CAPTURE ...]   writes CAPTURE.labels.tsv beside each capture
                                                that has such frames (and removes a stale one)

Six tab-separated columns, no header: frame number, first and second VLAN ID (802.1Q or
802.1ad, in the order tshark decodes the tags), first and second MPLS label, and the message
type of the first GTPv1 header (GTP-U or GTPv1-C); empty where the frame has none. Tags, labels
and GTP headers of the packet an ICMP error quotes are left out (the decoder keeps only that
packet's first TEID and VLAN, apart from the frame's own), so reading stops at the first ICMP
or ICMPv6 layer, as tools/tshark-expected.py stops there for the innermost columns. MPLS carried
in UDP (RFC 7510) is left out: tools/tshark-expected.py does not follow it, nor does the decoder.
The GTP column is a GTPv1 header's (version 0 carries no TEID, and the decoder reads none).

Needs tshark 4.0 (Debian 12: apt-get install tshark); run it with tools/regenerate-expected.sh.
"""
import os
import subprocess
import sys

FIELDS = ["frame.number", "frame.protocols", "vlan.id", "ieee8021ad.id", "mpls.label", "mpls.bottom",
          "gtp.message", "gtp.flags.version"]
PREFS = ["-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"]
FIELD_OF = {"vlan": "vlan.id", "ieee8021ad": "ieee8021ad.id", "mpls": "mpls.label", "gtp": "gtp.message"}


def split_stacks(labels, bottoms):
    stacks, current = [], []
    for label, bottom in zip(labels.split(",") if labels else [], bottoms.split(",") if bottoms else []):
        current.append(label)
        if bottom in ("1", "True"):
            stacks.append(current)
            current = []
    if current:
        stacks.append(current)
    return stacks


def derive(capture):
    out_path = capture + ".labels.tsv"
    args = ["tshark", "-n", "-r", capture, *PREFS, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
            "-E", "aggregator=,"]
    for field in FIELDS:
        args += ["-e", field]
    run = subprocess.run(args, capture_output=True, text=True)
    lines = []
    for raw in run.stdout.splitlines():
        row = dict(zip(FIELDS, raw.split("\t")))
        seen = {}
        vlans, labels, gtp, gtp_seen, after_udp = [], [], "", False, False
        for token in row.get("frame.protocols", "").split(":"):
            if token in ("icmp", "icmpv6"):
                break
            if token == "udp":
                after_udp = True
            if token in ("gtp", "vxlan", "geneve", "gre", "erspan"):
                after_udp = False
            if token not in FIELD_OF:
                continue
            if token == "mpls" and after_udp:
                continue  # MPLS in UDP (RFC 7510): not decoded (the decode oracle does not enter it)
            if token == "mpls":  # one "mpls" layer holds a whole label stack: split at each bottom
                stacks = split_stacks(row.get("mpls.label", ""), row.get("mpls.bottom", ""))
                index = seen.get(token, 0)
                seen[token] = index + 1
                labels += stacks[index] if index < len(stacks) else []
                continue
            index = seen.get(token, 0)
            seen[token] = index + 1
            values = row.get(FIELD_OF[token], "")
            values = values.split(",") if values else []
            value = values[index] if index < len(values) else ""
            if token in ("vlan", "ieee8021ad"):
                vlans.append(value)
            elif not gtp_seen:  # the first GTP header only, and only a GTPv1 one
                gtp_seen = True
                versions = row.get("gtp.flags.version", "").split(",")
                if value and index < len(versions) and versions[index] == "1":
                    gtp = str(int(value, 0))
        if not (vlans or labels or gtp):
            continue
        vlans += ["", ""]
        labels += ["", ""]
        lines.append("\t".join([row["frame.number"], vlans[0], vlans[1], labels[0], labels[1], gtp]))
    if lines:
        with open(out_path, "w") as f:
            f.write("".join(line + "\n" for line in lines))
    elif os.path.exists(out_path):
        os.remove(out_path)
    return 0 if run.returncode == 0 else 1


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 64
    return max(derive(capture) for capture in argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
