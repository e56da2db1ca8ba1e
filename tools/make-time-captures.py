#!/usr/bin/env python3
"""Write the captures whose packets carry no usable time, from the first six packets of
captures/real/http-web-browsing.pcap, into captures/synthetic:

  time-beyond-2262.pcapng  packet 4 dated 2300-01-01 (past what 64-bit nanoseconds since 1970 hold)
  time-missing-spb.pcapng  packets 3 and 4 as simple packet blocks, which carry no time

Usage: tools/make-time-captures.py  (from the repository root), then
       tools/tshark-expected.py captures/synthetic/time-*.pcapng
"""
import struct

SOURCE = "captures/real/http-web-browsing.pcap"


def padded(data):
    return data + b"\0" * (-len(data) % 4)


def block(kind, body):
    length = 12 + len(body)
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


def section():
    return block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)) + block(1, struct.pack("<HHI", 1, 0, 0))


def enhanced(ticks, data, wire):  # interface 0, microsecond ticks
    return block(6, struct.pack("<IIIII", 0, ticks >> 32, ticks & 0xFFFFFFFF, len(data), wire) + padded(data))


def simple(data, wire):
    return block(3, struct.pack("<I", wire) + padded(data))


def packets():
    raw = open(SOURCE, "rb").read()
    offset, out = 24, []
    while offset + 16 <= len(raw) and len(out) < 6:
        seconds, micros, caplen, wire = struct.unpack("<IIII", raw[offset:offset + 16])
        out.append((seconds * 1_000_000 + micros, raw[offset + 16:offset + 16 + caplen], wire))
        offset += 16 + caplen
    return out


first = packets()
year2300 = 10_413_792_000 * 1_000_000 + 5
with open("captures/synthetic/time-beyond-2262.pcapng", "wb") as f:
    f.write(section() + b"".join(enhanced(year2300 if i == 3 else t, d, w) for i, (t, d, w) in enumerate(first)))
with open("captures/synthetic/time-missing-spb.pcapng", "wb") as f:
    f.write(section() + b"".join(simple(d, w) if i in (2, 3) else enhanced(t, d, w) for i, (t, d, w) in enumerate(first)))
