#!/usr/bin/env python3
"""Differential test of flowcast decode against tshark for pcapng file structures the real
captures lack: timestamp resolutions and offsets, simple and obsolete packet blocks, sections in
both byte orders, interfaces of different link types, options, skipped block types, and blocks
tshark refuses (a simple packet block sized other than its snapshot length says, a packet naming
an interface never described, a custom block without its enterprise number). Custom blocks,
copyable or not, are records to tshark, listed among the packets.

Also classic pcap in Kuznetsov's modified format (24-byte record headers).

Usage: tools/diff-pcapng.py [--flowcast PATH] [--out DIR] [--synthetic DIR]
  --out DIR        where the captures are written (default /tmp/diff-pcapng)
  --synthetic DIR  write them there instead, as captures/synthetic/pcapng-*.pcapng and pcap-*.pcap, with their
                   expected files, and compare (the same arguments give the same bytes)
Each capture gets NAME.expected.tsv from tools/tshark-expected.py (and NAME.expected.err where
tshark refuses it); tools/compare-decode.py then compares. Exit status 1 on any difference.
"""
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def block(kind, body, order="<"):
    pad = (-len(body)) % 4
    total = 12 + len(body) + pad
    return struct.pack(order + "II", kind, total) + body + bytes(pad) + struct.pack(order + "I", total)


def option(code, value, order="<"):
    return struct.pack(order + "HH", code, len(value)) + value + bytes((-len(value)) % 4)


def end_of_options(order="<"):
    return option(0, b"", order)


def section(order="<"):
    return block(0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1), order)


def interface(link=1, snaplen=0, options=b"", order="<"):
    return block(1, struct.pack(order + "HHI", link, 0, snaplen) + options, order)


def enhanced(ticks, data, index=0, wire=None, options=b"", order="<"):
    body = struct.pack(order + "IIIII", index, ticks >> 32, ticks & 0xFFFFFFFF, len(data),
                       len(data) if wire is None else wire)
    return block(6, body + data + bytes((-len(data)) % 4) + options, order)


def simple(data, wire=None, order="<"):
    return block(3, struct.pack(order + "I", len(data) if wire is None else wire) + data + bytes((-len(data)) % 4), order)


def obsolete(ticks, data, index=0, order="<"):
    body = struct.pack(order + "HHIIII", index, 0, ticks >> 32, ticks & 0xFFFFFFFF, len(data), len(data))
    return block(2, body + data + bytes((-len(data)) % 4), order)


def udp4(sport=1000, dport=2000):
    ip = bytes.fromhex("4500001c00010000401100000a0000010a000002")
    return ip + struct.pack(">HHHH", sport, dport, 8, 0)


def ethernet(payload):
    return bytes.fromhex("020000000001020000000002") + b"\x08\x00" + payload


T = 1_700_000_000


def variants():
    frame = ethernet(udp4())
    micro = T * 1_000_000
    v = {}
    v["tsresol"] = (section() + interface(options=option(9, b"\x09") + end_of_options()) + enhanced(T * 10**9 + 123_456_789, frame)
                    + interface(options=option(9, b"\x94") + end_of_options()) + enhanced((T << 20) + 12345, frame, index=1)
                    + interface(options=option(9, b"\x00") + end_of_options()) + enhanced(T, frame, index=2)
                    + interface(options=option(9, b"\x03") + end_of_options()) + enhanced(T * 1000 + 7, frame, index=3))
    v["tsoffset"] = (section() + interface(options=option(14, struct.pack("<q", 1000)) + end_of_options()) + enhanced(micro, frame)
                     + interface(options=option(14, struct.pack("<q", -1000)) + end_of_options()) + enhanced(micro, frame, index=1))
    v["simple-blocks"] = (section() + interface(snaplen=40) + simple(frame[:40], wire=len(frame))
                          + section() + interface(snaplen=0) + simple(frame) + simple(ethernet(udp4(7, 8))))
    v["simple-block-oversized"] = section() + interface(snaplen=40) + simple(frame)
    # An enhanced packet block longer than its interface's snapshot length: tshark reads it whole,
    # libpcap refuses the file there.
    v["enhanced-block-over-snaplen"] = (section() + interface(snaplen=40) + enhanced(micro, frame[:40], wire=len(frame))
                                        + enhanced(micro + 1, frame) + enhanced(micro + 2, ethernet(udp4(5, 6))))
    v["byte-orders"] = (section() + interface() + enhanced(micro, frame)
                        + section(">") + interface(order=">") + enhanced(micro + 1_000_000, frame, order=">")
                        + section() + interface() + enhanced(micro + 2_000_000, ethernet(udp4(3, 4))))
    v["big-endian-first"] = (section(">") + interface(order=">") + enhanced(micro, frame, order=">")
                             + section() + interface() + enhanced(micro + 1_000_000, frame))
    v["obsolete-block"] = section() + interface() + obsolete(micro, frame) + enhanced(micro + 1, frame)
    v["options-and-skipped-blocks"] = (section() + interface(options=option(2, b"eth0") + option(3, b"tap") + end_of_options())
                                       + block(4, struct.pack("<HH", 1, 8) + bytes([10, 0, 0, 1]) + b"h\x00\x00\x00" + struct.pack("<HH", 0, 0))
                                       + enhanced(micro, frame, options=option(1, b"a comment") + option(2, struct.pack("<I", 1)) + end_of_options())
                                       + block(5, struct.pack("<III", 0, 0, 0)) + block(0x00000BAD, struct.pack("<I", 32473) + b"xyz!")
                                       + block(0x80000BAD, struct.pack("<I", 32473) + b"data") + enhanced(micro + 5, frame))
    v["link-types-differ"] = (section() + interface() + interface(link=101) + interface(link=113)
                              + enhanced(micro, frame) + enhanced(micro + 1, udp4(), index=1)
                              + enhanced(micro + 2, bytes.fromhex("0000000100060200000000010000") + b"\x08\x00" + udp4(), index=2))
    v["wire-shorter"] = section() + interface() + enhanced(micro, frame, wire=10) + enhanced(micro + 1, frame)
    v["unknown-interface"] = section() + interface() + enhanced(micro, frame) + enhanced(micro + 1, frame, index=3)
    v["empty-section"] = section() + section() + interface() + enhanced(micro, frame)
    # Custom blocks, copyable (0x00000BAD) or not (0x40000BAD), are records to tshark, numbered
    # among the packets, with no time and their data (padding included) as the frame; 0x80000BAD
    # is a local-use block type, no custom block, and is skipped.
    custom = lambda data, kind=0x00000BAD: block(kind, struct.pack("<I", 32473) + data)
    v["custom-blocks"] = (section() + custom(b"before") + interface() + enhanced(micro, frame) + custom(b"abcd")
                          + custom(b"not copied", 0x80000BAD) + custom(b"") + enhanced(micro + 1, frame) + custom(b"abcde")
                          + block(10, struct.pack("<II", 0x544C534B, 4) + b"keys") + enhanced(micro + 2, frame))
    v["custom-block-too-short"] = section() + interface() + enhanced(micro, frame) + block(0x00000BAD, b"")
    v["custom-blocks-not-copyable"] = (section() + custom(b"before", 0x40000BAD) + interface() + enhanced(micro, frame)
                                       + custom(b"not to be copied", 0x40000BAD) + custom(b"abcd") + enhanced(micro + 1, frame)
                                       + section(">") + block(0x40000BAD, struct.pack(">I", 32473) + b"abcde", ">")
                                       + interface(order=">") + enhanced(micro + 2, frame, order=">"))
    # A file with no interface description: libpcap refuses it, tshark reads it (no packets; its
    # custom blocks as records). One whose only block after them is a packet is refused by both.
    v["no-interface"] = section() + custom(b"abc") + block(4, struct.pack("<HH", 0, 0)) + custom(b"not copied", 0x40000BAD)
    v["section-only"] = section()
    v["no-interface-packet"] = section() + custom(b"abc") + enhanced(micro, frame)
    v["custom-block-not-copyable-too-short"] = section() + interface() + enhanced(micro, frame) + block(0x40000BAD, b"")
    return v


def modified_pcap(order="<", records=3, cut=None):
    """Kuznetsov's modified pcap (magic 0xA1B2CD34): 24-byte record headers (interface index,
    protocol and packet type after the lengths), read by libpcap and tshark alike."""
    frame = ethernet(udp4())
    out = struct.pack(order + "IHHiIII", 0xA1B2CD34, 2, 4, 0, 0, 65535, 1)
    for i in range(records):
        out += struct.pack(order + "IIII", T + i, 250_000, len(frame), len(frame)) + struct.pack(order + "IHBB", 2, 0x0800, 0, 0) + frame
    return out if cut is None else out[:cut]


def pcap_variants():
    return {"modified-little-endian": modified_pcap(), "modified-big-endian": modified_pcap(">"),
            "modified-cut-in-record-header": modified_pcap(records=2, cut=24 + 66 + 20)}


def main(argv):
    flowcast, out, synthetic = ".build/debug/flowcast", "/tmp/diff-pcapng", None
    i = 0
    while i < len(argv):
        if argv[i] in ("--flowcast", "--out", "--synthetic") and i + 1 < len(argv):
            value = argv[i + 1]
            if argv[i] == "--flowcast":
                flowcast = value
            elif argv[i] == "--out":
                out = value
            else:
                synthetic = value
            i += 2
            continue
        print(__doc__, file=sys.stderr)
        return 2
    folder = synthetic or out
    os.makedirs(folder, exist_ok=True)
    paths = []
    files = [(f"pcapng-{name}.pcapng", data) for name, data in sorted(variants().items())]
    files += [(f"pcap-{name}.pcap", data) for name, data in sorted(pcap_variants().items())]
    for name, data in files:
        path = os.path.join(folder, name)
        with open(path, "wb") as f:
            f.write(data)
        stale = path + ".expected.err"
        if os.path.exists(stale):
            os.remove(stale)
        paths.append(path)
    subprocess.run([sys.executable, os.path.join(HERE, "tshark-expected.py"), *paths])
    return subprocess.run([sys.executable, os.path.join(HERE, "compare-decode.py"), "--flowcast", flowcast, *paths]).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
