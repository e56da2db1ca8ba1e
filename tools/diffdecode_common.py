"""What tools/diff-decode-link.py and tools/diff-decode-tunnel.py share: their command line and
the pcap files they write (imported from tools/, where Python finds it beside the script)."""
import os
import struct
import sys


def write_pcap(path, linktype, packets, big_endian=False, stamp=None):
    """A classic microsecond pcap (little-endian unless `big_endian`). A packet is its bytes, or
    (bytes, wire length) for a record cut short. `stamp(i)` gives frame i's (seconds, microseconds);
    each tool keeps its own so that the captures it wrote before stay byte for byte the same."""
    e = ">" if big_endian else "<"
    stamp = stamp or (lambda i: (1_700_000_000 + i, (i * 1000) % 1_000_000))
    with open(path, "wb") as f:
        f.write(struct.pack(e + "IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for i, p in enumerate(packets):
            data, wire = (p, len(p)) if isinstance(p, (bytes, bytearray)) else p
            f.write(struct.pack(e + "IIII", *stamp(i), len(data), wire))
            f.write(data)


def parse_arguments(argv, default_out, usage, extra=()):
    """--flowcast BIN, --out DIR, --only SUBSTRING, --verbose, and the one-value options named
    in `extra`; a dict of them, or exits 64 with `usage` on anything else."""
    here = os.path.dirname(os.path.abspath(__file__))
    options = {"flowcast": os.path.join(os.path.dirname(here), ".build", "debug", "flowcast"),
               "out": default_out, "only": None, "verbose": False}
    i = 0
    while i < len(argv):
        name = argv[i][2:] if argv[i].startswith("--") else None
        if name == "verbose":
            options["verbose"] = True; i += 1; continue
        if name in ("flowcast", "out", "only", *extra) and i + 1 < len(argv):
            options[name] = argv[i + 1]; i += 2; continue
        print(usage, file=sys.stderr)
        sys.exit(64)
    return options
