#!/usr/bin/env python3
"""List, for each capture, the frames in which tshark flags an IPv4 total length longer than what
holds the datagram (its expert info "IPv4 total length exceeds packet length"): a GTP-U, outer IP
or frame length shorter than the inner datagram says, not a capture cut by its snap length. The
decoder records those as a malformed-ipv4 issue and decodes on, as tshark does.

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
    run = subprocess.run(["tshark", "-r", capture, *PREFS, "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.message"],
                         capture_output=True, text=True)
    if run.returncode != 0 and not run.stdout:
        return None
    frames = []
    for line in run.stdout.splitlines():
        number, _, messages = line.partition("\t")
        if any(m.startswith(MESSAGE) for m in messages.split(",")):
            frames.append(number)
    return frames


def main(paths):
    for path in sorted(paths, key=os.path.basename):
        frames = flagged(path)
        if frames is not None:
            print(os.path.basename(path) + "\t" + " ".join(frames))


if __name__ == "__main__":
    main(sys.argv[1:])
