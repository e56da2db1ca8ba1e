#!/usr/bin/env python3
"""List, for each pcapng capture, the interface name tshark gives each frame (frame.interface_name,
the interface description's if_name option), for the reader's oracle test.

Usage: tshark-interface-names.py CAPTURE [CAPTURE ...] > captures/real/interface-names.tsv

One line per frame that has a name, tab-separated: the capture's path under captures/ (as given,
less a leading "captures/"), the frame number, the name. Captures whose frames have no name are left out (tshark shows those as "unknown", so an
interface literally named "unknown" would be left out too). Needs tshark 4.0 (Debian 12).
"""
import os
import subprocess
import sys


def main(paths):
    for path in sorted(paths):
        run = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.number", "-e", "frame.interface_name"],
                             capture_output=True, text=True)
        for line in run.stdout.splitlines():
            number, _, name = line.partition("\t")
            # tshark writes "unknown" for an interface without an if_name option.
            if name and name != "unknown":
                shown = path[len("captures/"):] if path.startswith("captures/") else path
                print(shown + "\t" + number + "\t" + name)


if __name__ == "__main__":
    main(sys.argv[1:])
