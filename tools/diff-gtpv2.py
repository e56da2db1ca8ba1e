#!/usr/bin/env python3
"""Differential test of Flowcast's GTPv2-C parser (`GTPv2Message.parse`) against tshark.

Usage: tools/diff-gtpv2.py [--out DIR] [--only SUBSTRING] [--no-flowcast] [--verbose]
       tools/diff-gtpv2.py --synthetic captures/synthetic   (writes the SYNTHETIC regression captures)

Writes one small pcap per family of variants into DIR (default /tmp/diffgtpv2), named
`gtpv2-<family>.pcap`: Ethernet, IPv4 and UDP port 2123 around hand-packed GTPv2-C bytes (so
malformed variants are possible), fixed timestamps and values, the same bytes on every run. For
each it runs tools/gtpv2-oracle.sh (tshark's reading, CAPTURE.gtpv2.tsv) and a second tshark
run for fields the oracle leaves out (F-TEID IPv6 addresses, TACs, NR cell identities:
CAPTURE.extra.tsv). Flowcast's side comes from the Swift test "GTPv2-C signalling/dump"
(Tests/FlowcastAggregateTests/SignallingTests.swift), which, with FLOWCAST_GTPV2_DUMP=DIR set,
writes CAPTURE.flowcast.tsv for every capture in DIR: the oracle's nine columns as the parser
fills them, then the extra ones. It is run as
  swift test --skip-build --filter 'SignallingTests/dumpParse'
so build the tests first (swift build --build-tests). The comparison prints one line per capture
(agree / FAIL with the first differing frames and columns).

Columns (tab-separated, lists joined with ","): frame, message types, header TEIDs, F-TEID
interface types, F-TEID TEIDs, F-TEID IPv4 addresses, ECIs, ECGI MCCs, ECGI MNCs; extra: F-TEID
IPv6 addresses, ULI TACs, NR cell identities. tshark prints the ECI with the four spare bits in
front; it is compared masked to 28 bits, as SignallingTests does.

Families (FAMILIES below): message types, piggybacking, the TEID flag, ULI flag combinations,
PLMN digits, F-TEID address flags, instances and nesting, grouped IEs, IE lengths, unknown and
zero-length IEs, message length fields, truncation at every byte (short datagrams and capture
snap lengths), several messages in one datagram, NR cells, datagram bounds (Ethernet padding
and trailers, short UDP lengths), UDP over IPv6 and TCP, ECGIs that are no UE location.

A family whose capture should become a regression test is copied by hand to captures/synthetic/
with its .gtpv2.tsv (and .expected.tsv from tools/tshark-expected.py).

Frames marked with quirk() differ for a known reason (QUIRKS: tshark reading past an IE's
length, and Flowcast's deliberate bound on grouped-IE nesting); their differences are listed as
"known", not as failures.

Exit status: 0 when every capture agrees (but for known quirks), 1 otherwise.
"""
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# ---------------------------------------------------------------- building blocks


def ie(t, value=b"", instance=0, length=None, spare=0):
    """One IE: type, length, spare/instance octet, value (length may lie)."""
    n = len(value) if length is None else length
    return struct.pack("!BHB", t, n, (spare << 4) | (instance & 0x0F)) + value


def msg(t, ies=b"", teid=0x11223344, tflag=True, seq=0x000102, piggy=False, length=None,
        version=2, mp=None):
    """A GTPv2-C message; `length` overrides the length field (octets after the first four)."""
    flags = (version << 5) | (0x10 if piggy else 0) | (0x08 if tflag else 0) | (0x04 if mp is not None else 0)
    last = (mp << 4) if mp is not None else 0
    body = (struct.pack("!I", teid) if tflag else b"") + struct.pack("!I", (seq << 8) | last) + ies
    n = len(body) if length is None else length
    return struct.pack("!BBH", flags, t, n) + body


def bcd_plmn(mcc, mnc):
    """TS 24.008 §10.5.1.13: MCC2|MCC1, MNC3|MCC3 (F for a 2-digit MNC), MNC2|MNC1."""
    d = [int(c, 16) for c in mcc]
    m = [int(c, 16) for c in mnc]
    m3 = m[2] if len(m) == 3 else 0xF
    return bytes([(d[1] << 4) | d[0], (m3 << 4) | d[2], (m[1] << 4) | m[0]])


def plmn_raw(o0, o1, o2):
    return bytes([o0, o1, o2])


def fteid(itype, teid, v4=None, v6=None, v4flag=None, v6flag=None, extra=b""):
    v4flag = v4 is not None if v4flag is None else v4flag
    v6flag = v6 is not None if v6flag is None else v6flag
    out = bytes([(0x80 if v4flag else 0) | (0x40 if v6flag else 0) | (itype & 0x3F)]) + struct.pack("!I", teid)
    if v4 is not None:
        out += bytes(v4)
    if v6 is not None:
        out += bytes(v6)
    return out + extra


def v4(a, b, c, d):
    return bytes([a, b, c, d])


def v6(last):
    return bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 10 + [last >> 8, last & 0xFF])


DEFAULT_PLMN = bcd_plmn("001", "01")


def cgi(lac=0x1111, ci=0x2222, plmn=DEFAULT_PLMN):
    return plmn + struct.pack("!HH", lac, ci)


def sai(lac=0x3333, sac=0x4444, plmn=DEFAULT_PLMN):
    return plmn + struct.pack("!HH", lac, sac)


def rai(lac=0x5555, rac=0x66, plmn=DEFAULT_PLMN):
    return plmn + struct.pack("!HBB", lac, rac, 0xFF)


def tai(tac=0x7777, plmn=DEFAULT_PLMN):
    return plmn + struct.pack("!H", tac)


def ecgi(eci=0x0ABCDEF, plmn=DEFAULT_PLMN, spare=0):
    return plmn + struct.pack("!I", (spare << 28) | (eci & 0x0FFFFFFF))


def lai(lac=0x8888, plmn=DEFAULT_PLMN):
    return plmn + struct.pack("!H", lac)


def macro_enb(enb=0x0ABCD, plmn=DEFAULT_PLMN):
    return plmn + struct.pack("!I", enb & 0xFFFFF)[1:]


def ext_macro_enb(enb=0x1ABCD, sm=0, plmn=DEFAULT_PLMN):
    return plmn + struct.pack("!I", (sm << 23) | (enb & 0x1FFFFF))[1:]


ULI_PARTS = [(0x01, cgi), (0x02, sai), (0x04, rai), (0x08, tai), (0x10, ecgi), (0x20, lai),
             (0x40, macro_enb), (0x80, ext_macro_enb)]


def uli(flags, **parts):
    """ULI value: the flags octet, then each flagged part (keyword overrides by function name)."""
    out = bytes([flags])
    for bit, fn in ULI_PARTS:
        if flags & bit:
            out += parts.get(fn.__name__, fn())
    return out


def standard_ies(cell=0x0ABCDEF, user_teid=0xA0000001):
    """ULI (TAI + ECGI), sender F-TEID (S11 MME), bearer context with EBI and S1-U eNB F-TEID."""
    return (ie(86, uli(0x18, tai=tai(0x1234), ecgi=ecgi(cell)))
            + ie(87, fteid(10, 0xC0000001, v4(10, 0, 0, 1)))
            + ie(93, ie(73, b"\x05") + ie(87, fteid(0, user_teid, v4(10, 0, 0, 2)))))


# ---------------------------------------------------------------- pcap writing


def ip_checksum(header):
    s = sum(struct.unpack("!10H", header))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frame(payload, sport=2123, dport=2123, trailer=b"", udp_length=None):
    """Ethernet, IPv4, UDP around `payload`; `trailer` follows the IP datagram (Ethernet padding
    or a trailer); `udp_length` overrides the UDP length field (the IP length still covers all)."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload) if udp_length is None else udp_length, 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                      bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2]))
    hdr = hdr[:10] + struct.pack("!H", ip_checksum(hdr)) + hdr[12:]
    eth = bytes.fromhex("020000000002" "020000000001" "0800")
    return eth + hdr + udp + trailer


def frame6(payload, sport=2123, dport=2123):
    """Ethernet, IPv6, UDP around `payload`."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    hdr = struct.pack("!IHBB", 0x60000000, len(udp), 17, 64) + v6(1) + v6(2)
    return bytes.fromhex("020000000002" "020000000001" "86dd") + hdr + udp


def frame_tcp(payload, sport=2123, dport=2123):
    """Ethernet, IPv4, TCP (PSH ACK) around `payload`."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1000, 1, 0x50, 0x18, 65535, 0, 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                      bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2]))
    hdr = hdr[:10] + struct.pack("!H", ip_checksum(hdr)) + hdr[12:]
    return bytes.fromhex("020000000002" "020000000001" "0800") + hdr + tcp


def write_pcap(path, frames):
    """frames: list of bytes (whole frame) or (bytes, snaplen)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, item in enumerate(frames):
            data, cut = (item, None) if isinstance(item, (bytes, bytearray)) else item
            captured = data if cut is None else data[:cut]
            f.write(struct.pack("<IIII", 1_700_000_000 + i, 0, len(captured), len(data)))
            f.write(captured)


# ---------------------------------------------------------------- known differences

# Frames where tshark 4.0's reading is not one Flowcast should share (evidence in each text);
# a family marks them with quirk(), and their differences are listed apart, not as failures.
QUIRKS = {
    "uli-past-ie": "tshark reads ULI parts past the IE's length: it checks for the IE's end only "
                   "after a part that ends exactly there, so a first part that does not fit, or a "
                   "part cut in its middle, is read from the next IE's bytes (or ends the dissection "
                   "with an exception)",
    "ie-past-ie": "tshark reads an F-TEID's flagged addresses (and a Private Extension's enterprise "
                  "ID) past the IE's length, from the next IE's bytes; a zero-length ULI, F-TEID or "
                  "Private Extension throws and loses every later IE",
    "pra-ecgi": "tshark shows the ECGIs a Presence Reporting Area Action (IE 177) lists as "
                "gtpv2.ecgi_eci, the oracle's ECI column; they name an area's cells, not the UE's, "
                "and Flowcast does not read them",
    "deep-nesting": "deliberate: Flowcast reads grouped IEs four levels deep (no message nests "
                    "deeper than two); tshark goes on to its tree depth limit (500)",
}


class Quirk:
    def __init__(self, item, key):
        self.item, self.key = item, key


def quirk(item, key):
    return Quirk(item, key)


def split_quirks(items):
    """(items, {frame number: quirk key})"""
    plain, marks = [], {}
    for i, item in enumerate(items, 1):
        if isinstance(item, Quirk):
            marks[str(i)] = item.key
            item = item.item
        plain.append(item)
    return plain, marks


# ---------------------------------------------------------------- families

MESSAGE_TYPES = [32, 33, 34, 35, 36, 37, 38, 39, 64, 65, 66, 67, 68, 69, 70, 71, 95, 96, 97, 98, 99, 100,
                 101, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 149, 150, 151,
                 152, 153, 154, 155, 160, 161, 162, 163, 164, 165, 166, 167, 168, 169, 170, 171, 176, 177,
                 200, 201, 211, 231, 0, 3, 31, 250, 255]


def fam_message_types():
    """Every common message type (and a few unassigned ones) with the same IEs: ULI, sender
    F-TEID, a bearer context with an S1-U F-TEID; Echo Request/Response with Recovery only."""
    out = [frame(msg(t, standard_ies(cell=0x0100000 + i, user_teid=0xA0000100 + i), teid=0x1000 + i))
           for i, t in enumerate(MESSAGE_TYPES)]
    out.append(frame(msg(1, ie(3, b"\x07"), tflag=False)))
    out.append(frame(msg(2, ie(3, b"\x07"), tflag=False)))
    return out


def fam_piggyback():
    """The P flag: a response carrying a request, chains of three, a P flag with nothing, with
    garbage or with a cut header behind it, a piggybacked GTPv1 or version-3 header, a carrier
    whose length field is shorter than its header, piggybacked messages without a TEID."""
    a = standard_ies(cell=0x0200001, user_teid=0xA0000201)
    b = standard_ies(cell=0x0200002, user_teid=0xA0000202)
    c = standard_ies(cell=0x0200003, user_teid=0xA0000203)
    out = [
        frame(msg(33, a, piggy=True, teid=0x2001) + msg(95, b, teid=0x2002)),
        frame(msg(33, a, piggy=True, teid=0x2003) + msg(95, b, piggy=True, teid=0x2004) + msg(95, c, teid=0x2005)),
        frame(msg(33, a, piggy=True, teid=0x2006)),
        frame(msg(33, a, piggy=True, teid=0x2007) + b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"),
        frame(msg(33, a, piggy=True, teid=0x2008) + b"\x48\x5f\x00"),
        frame(msg(33, a, piggy=True, teid=0x2009) + msg(95, b, teid=0x200A)[:10]),
        frame(msg(33, a, piggy=True, teid=0x200B) + msg(95, b, teid=0x200C, version=1)),
        frame(msg(33, a, piggy=True, teid=0x200D) + msg(95, b, teid=0x200E, version=3)),
        frame(msg(33, a, piggy=True, teid=0x200F) + msg(95, b, tflag=False)),
        frame(msg(33, b"", piggy=True, teid=0x2010, length=0) + msg(95, b, teid=0x2011)),
        frame(msg(33, b"", piggy=True, teid=0x2012, length=4) + msg(95, b, teid=0x2013)),
        frame(msg(33, b"", piggy=True, teid=0x2014, length=8) + msg(95, b, teid=0x2015)),
        frame(msg(33, a, piggy=True, teid=0x2016, length=len(a) + 8 - 3) + msg(95, b, teid=0x2017)),
        frame(msg(33, a, piggy=True, teid=0x2018, length=len(a) + 8 + 4) + msg(95, b, teid=0x2019)),
        frame(msg(1, ie(3, b"\x07"), piggy=True, tflag=False) + msg(2, ie(3, b"\x08"), tflag=False)),
        frame(msg(33, a, piggy=True, teid=0x201A) + msg(95, b, piggy=True, teid=0x201B)),
        frame(msg(33, a, piggy=True, teid=0x201C) + msg(95, b, teid=0x201D, length=200)),
        frame(msg(33, a, piggy=True, teid=0x201E) + msg(95, b, teid=0x201F) + msg(96, c, teid=0x2020)),
    ]
    return out


def fam_teid_flag():
    """The T flag off (Echo, and other messages sent so), on for an Echo, and the MP flag."""
    s = standard_ies(cell=0x0300001, user_teid=0xA0000301)
    return [
        frame(msg(1, ie(3, b"\x07"), tflag=False)),
        frame(msg(2, ie(3, b"\x07"), tflag=False)),
        frame(msg(1, ie(3, b"\x07"), tflag=True, teid=0x3001)),
        frame(msg(32, s, tflag=False)),
        frame(msg(34, s, tflag=False, piggy=True) + msg(35, s, tflag=False)),
        frame(msg(32, s, teid=0x3002, mp=7)),
        frame(msg(32, s, tflag=False, mp=3)),
        frame(msg(32, s, teid=0)),
    ]


def fam_uli_flags():
    """ULI with each of the 256 flag combinations, every part present with its own values."""
    out = []
    for flags in range(256):
        parts = dict(cgi=cgi(0x1100 + flags, 0x2200 + flags), sai=sai(0x3300 + flags, 0x4400 + flags),
                     rai=rai(0x5500 + flags, flags), tai=tai(0x7700 + flags), ecgi=ecgi(0x0400000 + flags),
                     lai=lai(0x8800 + flags), macro_enb=macro_enb(0x0A000 + flags),
                     ext_macro_enb=ext_macro_enb(0x1A000 + flags, sm=flags & 1))
        out.append(frame(msg(34, ie(86, uli(flags, **parts)), teid=0x4000 + flags)))
    return out


def fam_uli_lengths():
    """ULI values cut at every length (flags claim parts the IE does not hold), longer than the
    parts, empty, spare ECI bits set, two ULIs in one message, ULI inside a bearer context."""
    out = []
    sizes = {bit: len(fn()) for bit, fn in ULI_PARTS}
    for flags in (0x10, 0x18, 0xFF, 0x3F, 0x1F):
        full = uli(flags, ecgi=ecgi(0x0500000 + flags), tai=tai(0x5000 + flags))
        ends, at = set(), 1
        for bit, _ in ULI_PARTS:
            if flags & bit:
                at += sizes[bit]
                ends.add(at)
        for n in range(len(full) + 1):
            item = frame(msg(34, ie(86, full[:n]) + ie(87, fteid(10, 0x5000 + n, v4(10, 5, 0, n))), teid=0x5000 + flags))
            out.append(item if n in ends else quirk(item, "uli-past-ie"))
    out.append(frame(msg(34, ie(86, uli(0x18) + b"\x01\x02\x03\x04\x05"))))
    out.append(quirk(frame(msg(34, ie(86, b""))), "uli-past-ie"))
    for spare in range(16):
        out.append(frame(msg(34, ie(86, uli(0x10, ecgi=ecgi(0x0512345, spare=spare))))))
    out.append(frame(msg(34, ie(86, uli(0x10, ecgi=ecgi(0x0500001))) + ie(86, uli(0x18, ecgi=ecgi(0x0500002), tai=tai(0x5002)), instance=1))))
    out.append(frame(msg(34, ie(93, ie(73, b"\x05") + ie(86, uli(0x10, ecgi=ecgi(0x0500003)))))))
    out.append(frame(msg(34, ie(86, uli(0x10, ecgi=ecgi(0x0500004)), instance=3, spare=0xF))))
    out.append(frame(msg(34, ie(86, uli(0x00)))))
    return out


def fam_plmn():
    """PLMN identities in ECGI (and TAI): 2- and 3-digit MNCs, the filler F elsewhere, digits
    A–E, an all-F PLMN."""
    raws = [bcd_plmn("001", "01"), bcd_plmn("001", "001"), bcd_plmn("310", "410"), bcd_plmn("466", "92"),
            bcd_plmn("999", "999"), bcd_plmn("208", "10"), bcd_plmn("505", "013"), bcd_plmn("234", "15"),
            bcd_plmn("123", "456"), bcd_plmn("100", "00"), bcd_plmn("100", "000"), bcd_plmn("000", "00"),
            plmn_raw(0xFF, 0xFF, 0xFF), plmn_raw(0x21, 0xF3, 0xFF), plmn_raw(0x21, 0x43, 0xF5),
            plmn_raw(0x21, 0xA3, 0x54), plmn_raw(0xA1, 0xF3, 0x54), plmn_raw(0x2F, 0xF3, 0x54),
            plmn_raw(0x21, 0xFF, 0x54), plmn_raw(0x21, 0xF3, 0xB4), plmn_raw(0xED, 0xFC, 0xBA),
            plmn_raw(0x00, 0x00, 0x00), plmn_raw(0x99, 0xF9, 0x99), plmn_raw(0x21, 0x03, 0x54)]
    out = []
    for i, p in enumerate(raws):
        out.append(frame(msg(34, ie(86, uli(0x18, ecgi=ecgi(0x0600000 + i, plmn=p), tai=tai(0x6000 + i, plmn=p))), teid=0x6000 + i)))
    return out


def fam_fteid():
    """F-TEIDs: IPv4, IPv6, both, neither; flags set with the address missing or short; trailing
    octets; every interface type 0–63; instances 0–15 with the CR bits; in and out of bearer
    contexts."""
    out = []
    variants = [fteid(10, 0x7001, v4(10, 7, 0, 1)), fteid(10, 0x7002, v6=v6(2)),
                fteid(10, 0x7003, v4(10, 7, 0, 3), v6(3)), fteid(10, 0x7004),
                fteid(10, 0x7005, v4flag=True), fteid(10, 0x7006, v6flag=True),
                fteid(10, 0x7007, v4flag=True, v6flag=True), fteid(10, 0x7008, v4(10, 7, 0, 8), v6flag=True),
                fteid(10, 0x7009, v4flag=True, v6=v6(9)), fteid(10, 0x700A, v4(10, 7, 0, 10)[:2], v4flag=True),
                fteid(10, 0x700B, v6=v6(11)[:9]), fteid(10, 0x700C, v4(10, 7, 0, 12), extra=b"\xEE\xEE"),
                fteid(10, 0x700D, v4(10, 7, 0, 13), v6(13), extra=b"\xEE"), fteid(10, 0x700E, extra=b"\x0A\x07\x00\x0E"),
                fteid(10, 0x700F, v4(10, 7, 0, 15), v6(15)[:15])]
    for i, value in enumerate(variants):
        out.append(frame(msg(32, ie(87, value), teid=0x7000 + i)))
        out.append(frame(msg(32, ie(93, ie(73, b"\x05") + ie(87, value, instance=2)), teid=0x7100 + i)))
    for itype in range(64):
        out.append(frame(msg(32, ie(87, fteid(itype, 0x7200 + itype, v4(10, 7, 2, itype))), teid=0x7200 + itype)))
    for inst in range(16):
        out.append(frame(msg(32, ie(87, fteid(10, 0x7300 + inst, v4(10, 7, 3, inst)), instance=inst, spare=inst),
                             teid=0x7300 + inst)))
    both = b"".join(ie(87, fteid(i * 2, 0x7400 + i, v4(10, 7, 4, i), v6(i)), instance=i) for i in range(4))
    out.append(frame(msg(32, both + ie(93, ie(73, b"\x05") + both) + ie(93, ie(73, b"\x06") + both, instance=1))))
    return out


def nest(depth, inner, t=93):
    for _ in range(depth):
        inner = ie(t, ie(73, b"\x05") + inner)
    return inner


def fam_grouped():
    """F-TEIDs in grouped IEs: bearer contexts nested 0–8 deep, several bearer contexts, a PDN
    Connection (Context Response, Forward Relocation) holding its own F-TEID and bearer contexts,
    the other grouped IEs tshark 4.0 reads (Overload and Load Control Information, SCEF PDN
    Connection), and IEs that are not grouped but hold IE-shaped bytes."""
    out = []
    f = lambda n: ie(87, fteid(5, 0x8000 + n, v4(10, 8, 0, n & 0xFF)))
    for depth in range(9):
        item = frame(msg(33, f(0x10) + nest(depth, f(depth)), teid=0x8000 + depth))
        out.append(item if depth <= 4 else quirk(item, "deep-nesting"))
    out.append(frame(msg(33, b"".join(ie(93, ie(73, bytes([5 + i])) + f(0x20 + i)) for i in range(11)))))
    pdn = ie(109, ie(71, b"\x03ims") + ie(87, fteid(7, 0x8101, v4(10, 8, 1, 1)), instance=0)
             + ie(93, ie(73, b"\x05") + ie(87, fteid(5, 0x8102, v4(10, 8, 1, 2)), instance=0)
                  + ie(87, fteid(4, 0x8103, v4(10, 8, 1, 3)), instance=1)))
    out.append(frame(msg(131, ie(87, fteid(12 - 2, 0x8100, v4(10, 8, 1, 0))) + pdn, teid=0x8100)))
    out.append(frame(msg(133, ie(87, fteid(10, 0x8110, v4(10, 8, 1, 16))) + pdn + pdn, teid=0x8110)))
    out.append(frame(msg(131, nest(2, f(0x30), t=109), teid=0x8120)))
    out.append(frame(msg(131, ie(109, nest(3, f(0x31))), teid=0x8121)))
    for t in (180, 181, 195, 191, 109, 93, 110, 111, 112, 214, 220, 221, 222, 223):
        out.append(frame(msg(33, ie(t, f(t) + ie(86, uli(0x10, ecgi=ecgi(0x0800000 + t)))), teid=0x8200 + t)))
    return out


def fam_ie_lengths():
    """IE length fields: F-TEID values of every length 0–26 (flags for both addresses), an
    IE that overruns its message but not the datagram, one that overruns the datagram, one that
    overruns its bearer context, zero-length IEs of the types read, unknown IE types between
    F-TEIDs, a bearer context shorter than its IE header."""
    out = []
    full = fteid(10, 0x9000, v4(10, 9, 0, 1), v6(0x9001))
    for n in range(len(full) + 1):
        mark = (lambda item: item) if n == len(full) else (lambda item: quirk(item, "ie-past-ie"))
        out.append(mark(frame(msg(32, ie(87, full[:n]) + ie(87, fteid(11, 0x9100 + n, v4(10, 9, 1, n))), teid=0x9000 + n))))
        out.append(mark(frame(msg(32, ie(93, ie(87, full[:n]) + ie(87, fteid(11, 0x9200 + n, v4(10, 9, 2, n)))), teid=0x9200 + n))))
    good = ie(87, fteid(10, 0x9300, v4(10, 9, 3, 0)))
    over = ie(87, fteid(11, 0x9301, v4(10, 9, 3, 1)))
    # The second F-TEID's last 4 octets lie past the message length, inside the datagram.
    m = msg(32, good + over, teid=0x9300, length=8 + len(good) + len(over) - 4)
    out.append(frame(m))
    out.append(frame(msg(32, good + ie(87, fteid(11, 0x9302, v4(10, 9, 3, 2)), length=20), teid=0x9302)))
    out.append(frame(msg(32, good + ie(87, fteid(11, 0x9303, v4(10, 9, 3, 3)), length=20), teid=0x9303,
                         length=8 + len(good) + 4 + 20)))
    inner = ie(87, fteid(0, 0x9304, v4(10, 9, 3, 4)))
    out.append(frame(msg(32, ie(93, ie(73, b"\x05") + inner, length=5 + len(inner) - 4) + inner[-4:] + good, teid=0x9304)))
    out.append(frame(msg(32, ie(93, ie(73, b"\x05") + inner, length=5 + len(inner) + 4) + good, teid=0x9305)))
    for t in (86, 87, 93, 73, 109, 217, 3, 255):
        item = frame(msg(32, ie(t, b"") + good, teid=0x9400 + t))
        out.append(quirk(item, "uli-past-ie" if t == 86 else "ie-past-ie") if t in (86, 87, 255) else item)
    for t in (0, 200, 250, 254, 255, 87 + 128):
        out.append(frame(msg(32, good + ie(t, b"\x01\x02\x03\x04\x05\x06\x07\x08\x09") + over, teid=0x9500 + t)))
    out.append(frame(msg(32, ie(93, b"\x49\x00") + good, teid=0x9600)))
    out.append(frame(msg(32, ie(93, ie(87, b"", length=9)) + good, teid=0x9601)))
    out.append(frame(msg(32, good + b"\x57\x00", teid=0x9602)))
    out.append(frame(msg(32, good + b"\x57\x00\x09\x00\x8a", teid=0x9603)))
    return out


def fam_message_length():
    """The message length field: 0–12, shorter than the IEs, longer than the datagram, and
    octets after the message without a P flag."""
    s = standard_ies(cell=0x0A00001, user_teid=0xA0000A01)
    out = []
    for n in range(13):
        out.append(frame(msg(32, s, teid=0xA000 + n, length=n)))
    for cut in (1, 5, 11, 20, 30):
        out.append(frame(msg(32, s, teid=0xA100 + cut, length=8 + len(s) - cut)))
    for more in (1, 4, 100, 60000):
        out.append(frame(msg(32, s, teid=0xA200 + more % 256, length=8 + len(s) + more)))
    out.append(frame(msg(32, s, teid=0xA2FF, length=0xFFFF)))
    out.append(frame(msg(32, s, teid=0xA300) + b"\xEE" * 7))
    out.append(frame(msg(1, ie(3, b"\x07"), tflag=False, length=0)))
    out.append(frame(msg(1, ie(3, b"\x07"), tflag=False, length=3)))
    return out


def _truncation_base():
    return msg(32, standard_ies(cell=0x0B00001, user_teid=0xA0000B01)
               + ie(87, fteid(7, 0xB002, v4(10, 11, 0, 2), v6(0xB002)), instance=1), teid=0xB000)


def fam_cut_datagram():
    """A Create Session Request in a datagram cut after every octet (the UDP and IP lengths say
    the datagram ends there; the GTP length still says more)."""
    base = _truncation_base()
    return [frame(base[:n]) for n in range(len(base) + 1)]


def fam_cut_snap():
    """The same message whole on the wire but captured with a snap length at every octet."""
    whole = frame(_truncation_base())
    return [(whole, n) for n in range(42, len(whole) + 1)]


def fam_multiple():
    """Several messages in one datagram: without a P flag (tshark reads only the first), with
    it, and a P-flagged message behind one without."""
    a = msg(34, standard_ies(cell=0x0C00001, user_teid=0xA0000C01), teid=0xC001)
    b = msg(35, standard_ies(cell=0x0C00002, user_teid=0xA0000C02), teid=0xC002)
    ap = msg(34, standard_ies(cell=0x0C00001, user_teid=0xA0000C01), teid=0xC001, piggy=True)
    return [frame(a + b), frame(a + a + a), frame(ap + b), frame(a + ap + b), frame(ap + b + a)]


def fam_nr():
    """NR identities: PSCell ID (IE 217, which tshark 4.0 does not decode) and an ULI whose
    length would hold a 5GS TAI/NCGI after the E-UTRAN parts."""
    pscell = ie(217, bcd_plmn("001", "01") + bytes([0x12, 0x34, 0x56, 0x78, 0x90]))
    return [frame(msg(34, ie(86, uli(0x10)) + pscell)),
            frame(msg(34, pscell)),
            frame(msg(34, ie(86, uli(0x18) + bcd_plmn("001", "01") + b"\x00\x12\x34" + bcd_plmn("001", "01")
                             + b"\x12\x34\x56\x78\x90")))]


def fam_bounds():
    """Where the datagram ends: Ethernet padding and trailers behind short messages (zeros, and
    bytes that would complete an IE or start a message), a UDP length shorter than the IP
    payload, a message length that runs into the trailer."""
    echo = msg(1, ie(3, b"\x07"), tflag=False)
    f = ie(87, fteid(10, 0xD001, v4(10, 13, 0, 1)))
    cut = f[:-4]
    return [
        frame(echo, trailer=bytes(5)),
        frame(msg(1, ie(3, b"\x07"), tflag=False, piggy=True), trailer=bytes(5)),
        frame(msg(1, ie(3, b"\x07"), tflag=False, piggy=True), trailer=b"\x48\x20\x00\x00\x00"),
        frame(msg(34, cut, teid=0xD001, length=8 + len(f)), trailer=f[-4:] + b"\x00\x00"),
        frame(msg(34, cut, teid=0xD002), trailer=f[-4:] + b"\x00\x00"),
        frame(msg(34, f, teid=0xD003), trailer=ie(87, fteid(11, 0xD004, v4(10, 13, 0, 4)))),
        frame(msg(34, f, teid=0xD005, piggy=True), trailer=msg(95, ie(87, fteid(11, 0xD006, v4(10, 13, 0, 6))), teid=0xD006)),
        frame(msg(34, f + f, teid=0xD007), udp_length=8 + 12 + len(f)),
        frame(msg(34, f + f, teid=0xD008), udp_length=8 + 12 + len(f) - 2),
        frame(msg(34, f + f, teid=0xD009), udp_length=8 + 6),
        frame(msg(34, f + f, teid=0xD00A), udp_length=8 + 12 + 2 * len(f) + 10),
        frame(msg(34, f, teid=0xD00B, piggy=True) + msg(95, f, teid=0xD00C), udp_length=8 + 12 + len(f) + 6),
    ]


def fam_transport():
    """GTPv2-C over UDP/IPv6 and over TCP (TS 29.274 allows TCP; Flowcast looks there too)."""
    s = standard_ies(cell=0x0E00001, user_teid=0xA0000E01)
    return [frame6(msg(32, s, teid=0xE001)),
            frame6(msg(33, s, teid=0xE002, piggy=True) + msg(95, s, teid=0xE003)),
            frame_tcp(msg(32, s, teid=0xE004)),
            frame_tcp(msg(32, s, teid=0xE005) + msg(34, s, teid=0xE006), sport=40000)]


def fam_other_ecgi():
    """ECGIs that name no UE location: a Presence Reporting Area Action (IE 177) lists cells of an
    area; tshark shows them as gtpv2.ecgi_eci, Flowcast does not take them for the UE's cell."""
    pra = ie(177, b"\xff\xff" + DEFAULT_PLMN + bytes(range(1, 40)))
    return [quirk(frame(msg(34, pra, teid=0xF001)), "pra-ecgi")]


FAMILIES = {
    "message-types": fam_message_types,
    "piggyback": fam_piggyback,
    "teid-flag": fam_teid_flag,
    "uli-flags": fam_uli_flags,
    "uli-lengths": fam_uli_lengths,
    "plmn": fam_plmn,
    "fteid": fam_fteid,
    "grouped": fam_grouped,
    "ie-lengths": fam_ie_lengths,
    "message-length": fam_message_length,
    "cut-datagram": fam_cut_datagram,
    "cut-snap": fam_cut_snap,
    "multiple": fam_multiple,
    "nr": fam_nr,
    "bounds": fam_bounds,
    "transport": fam_transport,
    "other-ecgi": fam_other_ecgi,
}

# Regression captures in captures/synthetic/ (`--synthetic DIR` writes them again): name ->
# [(family, frame numbers of it, 1-based)]. Each showed a disagreement that a commit fixed.
SYNTHETIC = {
    "gtpv2-datagram-bounds": [("bounds", [1, 2, 3, 4, 5, 6, 7, 8, 9, 11])],
    "gtpv2-grouped-ies": [("grouped", [1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])],
    "gtpv2-message-length": [("message-length", list(range(1, 27))), ("ie-lengths", [53])],
    "gtpv2-header-cut": [("cut-datagram", list(range(2, 16))), ("bounds", [10, 12]),
                         ("piggyback", [2, 4, 5, 6, 7, 8, 10, 11, 13, 14, 15])],
    "gtpv2-plmn-digits": [("plmn", list(range(1, 25)))],
}


def write_synthetic(folder):
    for name, parts in SYNTHETIC.items():
        chosen = []
        for family, frames in parts:
            items, _ = split_quirks(FAMILIES[family]())
            chosen += [items[i - 1] for i in frames]
        path = os.path.join(folder, name + ".pcap")
        write_pcap(path, chosen)
        subprocess.run([os.path.join(HERE, "gtpv2-oracle.sh"), path], check=True, stderr=subprocess.DEVNULL)
        subprocess.run([sys.executable, os.path.join(HERE, "tshark-expected.py"), path], check=True)
        print("wrote", path)


# ---------------------------------------------------------------- oracle, Flowcast, comparison

EXTRA_FIELDS = ["gtpv2.f_teid_ipv6", "gtpv2.tai_tac", "gtpv2.ncgi_nrci"]


def tshark_extra(capture):
    out = subprocess.run(["tshark", "-n", "-r", capture, "-Y", "gtpv2", "-T", "fields", "-E", "occurrence=a",
                          "-E", "aggregator=,", "-e", "frame.number"] + sum((["-e", f] for f in EXTRA_FIELDS), []),
                         capture_output=True, text=True, check=True).stdout
    return {line.split("\t")[0]: line.split("\t")[1:] for line in out.splitlines()}


def read_rows(path):
    rows = {}
    with open(path) as f:
        for line in f.read().splitlines():
            cols = line.split("\t")
            rows[cols[0]] = cols[1:]
    return rows


def normalize_tshark(cols):
    """tshark's columns as Flowcast prints them: the ECI masked to 28 bits; the MCC and MNC
    as numbers (tshark prints e212.ecgi.mcc/mnc as integers: MCC 001 reads 1, and MNC 01 and
    001 both read 1)."""
    cols = list(cols)
    if cols[5]:
        cols[5] = ",".join(str(int(v) & 0x0FFFFFFF) for v in cols[5].split(","))
    return cols


def normalize_extra(cols):
    """tshark prints gtpv2.tai_tac in hexadecimal; Flowcast's dump in decimal."""
    cols = list(cols)
    if cols[1]:
        cols[1] = ",".join(str(int(v, 16)) for v in cols[1].split(","))
    return cols


def numeric(values):
    return ",".join(str(int(v)) if v.isdigit() else v for v in values.split(",")) if values else values


def compare(capture, verbose):
    oracle = {k: normalize_tshark(v) for k, v in read_rows(capture + ".gtpv2.tsv").items()}
    extra = tshark_extra(capture)
    for k in oracle:
        oracle[k] = oracle[k] + normalize_extra(extra.get(k, ["", "", ""]))
    ours = read_rows(capture + ".flowcast.tsv")
    names = ["types", "teids", "itypes", "fteids", "ipv4", "eci", "mcc", "mnc", "ipv6", "tac", "nci"]
    problems = []
    for frame_no in sorted(set(oracle) | set(ours), key=int):
        t, o = oracle.get(frame_no), ours.get(frame_no)
        if t is None or o is None:
            problems.append(f"frame {frame_no}: {'only Flowcast' if t is None else 'only tshark'} reads it"
                            + (f" ({'|'.join(o or t)})" if verbose else ""))
            continue
        for i, name in enumerate(names):
            a, b = t[i], o[i]
            if name in ("mcc", "mnc"):
                a, b = numeric(a), numeric(b)
            if name == "nci" and b and not a:
                continue  # tshark 4.0 does not decode PSCell ID (IE 217)
            if a != b:
                problems.append(f"frame {frame_no} {name}: tshark '{t[i]}' Flowcast '{o[i]}'")
    return problems


def main(argv):
    out_dir, only, verbose, run_flowcast = "/tmp/diffgtpv2", None, False, True
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--out":
            out_dir = args.pop(0)
        elif a == "--only":
            only = args.pop(0)
        elif a == "--verbose":
            verbose = True
        elif a == "--no-flowcast":
            run_flowcast = False
        elif a == "--synthetic":
            write_synthetic(args.pop(0))
            return 0
        else:
            print(__doc__)
            return 2
    os.makedirs(out_dir, exist_ok=True)
    captures = []
    for name, fn in FAMILIES.items():
        if only and only not in name:
            continue
        path = os.path.join(out_dir, f"gtpv2-{name}.pcap")
        items, marks = split_quirks(fn())
        write_pcap(path, items)
        subprocess.run([os.path.join(HERE, "gtpv2-oracle.sh"), path], check=True, stderr=subprocess.DEVNULL)
        captures.append((path, marks))
    if not run_flowcast:
        return 0
    env = dict(os.environ, FLOWCAST_GTPV2_DUMP=os.path.abspath(out_dir))
    run = subprocess.run(["swift", "test", "--skip-build", "--filter", "SignallingTests/dumpParse"],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    if run.returncode != 0:
        print(run.stdout[-3000:], run.stderr[-3000:])
        return 1
    failed = 0
    for path, marks in captures:
        problems = compare(path, verbose)
        known = [p for p in problems if p.split()[1].rstrip(":") in marks]
        problems = [p for p in problems if p not in known]
        if known:
            frames = sorted({p.split()[1].rstrip(":") for p in known}, key=int)
            keys = sorted({marks[f] for f in frames})
            print(f"known {os.path.basename(path)}: {len(frames)} frames differ by tshark quirks ({', '.join(keys)})")
            if verbose:
                for p in known:
                    print("    " + p)
        if problems:
            failed += 1
            print(f"FAIL {os.path.basename(path)}: {len(problems)} differences")
            for p in problems[: (200 if verbose else 12)]:
                print("    " + p)
        else:
            print(f"agree {os.path.basename(path)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
