extension DecodeRun {
    /// BSD loopback (NULL, host byte order) and OpenBSD LOOP (network byte order): a 4-byte
    /// address family; IPv6's differs by OS (24, 28, 30). NULL is read as tshark reads it on a
    /// little-endian host: FF 03 starts PPP in HDLC framing, a family in either byte order or
    /// in the upper two bytes is accepted, and a value above 1500 is an ethertype.
    mutating func decodeNull(networkOrder: Bool) -> NextLayer {
        var family: UInt32
        if networkOrder {
            guard remaining >= 4 else { return truncated(.null, needed: 4) }
            family = b.u32(offset)
        } else {
            guard remaining >= 2 else { return truncated(.null, needed: 4) }
            if b.u16(offset) == 0xFF03 { return .ppp(hdlc: true) }
            guard remaining >= 4 else { return truncated(.null, needed: 4) }
            family = b.u32le(offset)
            if family & 0xFFFF_0000 != 0 {
                if family & 0xFF00_0000 == 0 && family & 0x00FF_0000 < 0x0006_0000 {
                    family >>= 16
                } else {
                    family = family.byteSwapped
                }
            } else if family & 0xFF == 0 && family & 0xFF00 < 0x0600 {
                family = UInt32(UInt16(family).byteSwapped)
            }
        }
        offset += 4
        // tshark hands the value to its ethertype table as 16 bits.
        if !networkOrder && family > 1500 { return .etherType(UInt16(truncatingIfNeeded: family)) }
        switch family {
        case 2: return .ipv4
        case 24, 28, 30: return .ipv6
        default: return unsupported(.null, type: Int(family))
        }
    }

    /// Linux cooked capture v1: 16 bytes, protocol type last.
    mutating func decodeLinuxSLL() -> NextLayer {
        guard remaining >= 16 else { return truncated(.linuxSLL, needed: 16) }
        let hatype = b.u16(offset + 2)
        let proto = b.u16(offset + 14)
        offset += 16
        return cookedPayload(hatype: hatype, proto: proto)
    }

    /// Linux cooked capture v2: 20 bytes, protocol type first.
    mutating func decodeLinuxSLL2() -> NextLayer {
        guard remaining >= 20 else { return truncated(.linuxSLL2, needed: 20) }
        let proto = b.u16(offset)
        let hatype = b.u16(offset + 8)
        offset += 20
        return cookedPayload(hatype: hatype, proto: proto)
    }

    private mutating func cookedPayload(hatype: UInt16, proto: UInt16) -> NextLayer {
        // ARPHRD_IPGRE (778) carries a GRE protocol type; everything else an ethertype, with
        // 1 (802.3) and 4 (802.2 LLC) as Linux's special values.
        switch proto {
        case 0x0004: summary.isLLC = true; return decodeLLC()
        case 0x0001, 0x0002, 0x0003: return unsupported(.linuxSLL, type: Int(proto))
        default: return .etherType(proto)
        }
    }

    /// Linux NFLOG: a 4-byte header (family, version, resource id) then TLVs in host byte
    /// order, each padded to 4 bytes; type 9 (NFULA_PAYLOAD) holds the IP packet.
    mutating func decodeNFLOG() -> NextLayer {
        guard remaining >= 4 else { return truncated(.nflog, needed: 4) }
        let family = b.u8(offset)
        offset += 4
        while remaining >= 4 {
            let length = Int(b.u16le(offset))
            let type = b.u16le(offset + 2) & 0x7FFF
            guard length >= 4 else { return malformed(.nflog, value: length, limit: 4) }
            if type == 9 {
                // tshark decodes the payload only when its whole TLV was captured.
                guard remaining >= length else { return truncated(.nflog, needed: length) }
                offset += 4
                limit = min(limit, offset + length - 4)
                // tshark decodes the payload only for the two IP families.
                switch family {
                case 2: return .ipv4
                case 10: return .ipv6
                default: return unsupported(.nflog, type: Int(family))
                }
            }
            offset += (length + 3) & ~3
        }
        return endOrTruncated(.nflog, needed: 4)
    }
}
