#!/usr/bin/env python3
"""List, for each capture, the frames in which tshark flags an IPv4 total length longer than what
holds the datagram (its expert info "IPv4 total length exceeds packet length"): a GTP-U, outer IP
or frame length shorter than the inner datagram says, not a capture cut by its snap length. The
decoder records those as a malformed-ipv4 issue and decodes on, as tshark does.

tshark runs without reassembly, as for the decode oracle (expected.py), so it also flags an inner
datagram cut where an outer datagram's first fragment ends (a tunnel fragmented for its MTU). That
is not a bad length, and tshark with its default reassembly flags none of it: those frames (an
IPv4 layer before the last one, or an IPv6 fragment header, that is a first fragment with more to
come) are left out.

Usage: tshark-ip-length.py CAPTURE [CAPTURE ...] > captures/real/ipv4-total-length.tsv

One line per capture, tab-separated: the capture's file name, then the flagged frame numbers
separated by spaces (empty when none). A capture tshark refuses is left out.

Needs tshark 4.0 (Debian 12: apt-get install tshark); tools/regenerate-expected.sh runs it.
"""
import os
import subprocess
import sys

MESSAGE = "IPv4 total length exceeds packet length"
PREFS = ["-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"]


def flagged(capture):
    run = subprocess.run(["tshark", "-r", capture, *PREFS, "-T", "fields", "-E", "occurrence=a", "-e", "frame.number",
                          "-e", "ip.flags.mf", "-e", "ip.frag_offset", "-e", "ipv6.fraghdr.more", "-e", "ipv6.fraghdr.offset",
                          "-e", "_ws.expert.message"],
                         capture_output=True, text=True)
    if run.returncode != 0 and not run.stdout:
        return None
    frames = []
    for line in run.stdout.splitlines():
        number, mf, offset, more6, offset6, messages = (line.split("\t") + [""] * 6)[:6]
        if not any(m.startswith(MESSAGE) for m in messages.split(",")):
            continue
        outer = list(zip(mf.split(","), offset.split(",")))[:-1]
        first_fragment = any(m in ("1", "True") and o == "0" for m, o in outer)
        first_fragment |= any(m in ("1", "True") and o == "0" for m, o in zip(more6.split(","), offset6.split(",")))
        if not first_fragment:
            frames.append(number)
    return frames


def main(paths):
    for path in sorted(paths, key=os.path.basename):
        frames = flagged(path)
        if frames is not None:
            print(os.path.basename(path) + "\t" + " ".join(frames))


if __name__ == "__main__":
    main(sys.argv[1:])
