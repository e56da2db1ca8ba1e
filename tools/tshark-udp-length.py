#!/usr/bin/env python3
"""List, for each capture, the frames in which tshark flags a UDP length field that cannot be
right (its expert info "Bad length value": below 8, or past the IP payload). The decoder records
those as a malformed-udp issue and decodes on, as tshark's columns do.

tshark runs without reassembly, as for the decode oracle (expected.py), so it also flags a UDP
header whose datagram is cut where a fragment ends: the first fragment of a datagram (or of an
outer datagram carrying it in a tunnel) holds the whole length, past the fragment by design.
tshark with its default reassembly flags none of it, and those frames (an IPv4 layer with more
fragments to come at offset 0, or an IPv6 fragment header likewise) are left out.

Usage: tshark-udp-length.py CAPTURE [CAPTURE ...] > captures/real/udp-length.tsv

One line per capture, tab-separated: the capture's name (its file name for captures/real, else
its path under captures/, such as synthetic/tun-lengths.pcap), then the flagged frame numbers
separated by spaces (empty when none). A capture tshark refuses is left out.

Needs tshark 4.0 (Debian 12: apt-get install tshark); tools/regenerate-expected.sh runs it.
"""
import os
import subprocess
import sys

MESSAGE = "Bad length value"
PREFS = ["-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"]


def flagged(capture):
    run = subprocess.run(["tshark", "-r", capture, *PREFS, "-T", "fields", "-E", "occurrence=a", "-e", "frame.number",
                          "-e", "udp.length", "-e", "ip.flags.mf", "-e", "ip.frag_offset", "-e", "ipv6.fraghdr.more",
                          "-e", "ipv6.fraghdr.offset", "-e", "_ws.expert.message"],
                         capture_output=True, text=True)
    if run.returncode != 0 and not run.stdout:
        return None
    frames = []
    for line in run.stdout.splitlines():
        number, length, mf, offset, more6, offset6, messages = (line.split("\t") + [""] * 7)[:7]
        # Only UDP's own message: other dissectors word theirs differently.
        if not length or not any(m.startswith(MESSAGE) for m in messages.split(",")):
            continue
        first_fragment = any(m in ("1", "True") and o == "0" for m, o in zip(mf.split(","), offset.split(",")))
        first_fragment |= any(m in ("1", "True") and o == "0" for m, o in zip(more6.split(","), offset6.split(",")))
        if not first_fragment:
            frames.append(number)
    return frames


def main(paths):
    def name(path):
        parts = os.path.normpath(path).split(os.sep)
        return parts[-1] if parts[-2:-1] == ["real"] else "/".join(parts[-2:])
    for path in sorted(paths, key=name):
        frames = flagged(path)
        if frames is not None:
            print(name(path) + "\t" + " ".join(frames))


if __name__ == "__main__":
    main(sys.argv[1:])
