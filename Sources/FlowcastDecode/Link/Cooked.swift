extension DecodeRun {
    /// BSD loopback (NULL, host byte order) and OpenBSD LOOP (network byte order): a 4-byte
    /// address family. IPv6's family number differs by OS (10, 23, 24, 28, 30).
    mutating func decodeNull(networkOrder: Bool) -> NextLayer {
        guard remaining >= 4 else { return truncated(.null, needed: 4) }
        var family = networkOrder ? b.u32(offset) : b.u32le(offset)
        if !networkOrder && family > 0xFFFF {
            if family & 0xFFFF == 0 {
                family = family.byteSwapped  // written on a host of the other byte order
            } else {
                // Some Linux captures put an ethertype in bytes 2–3 instead of a family.
                let type = b.u16(offset + 2)
                offset += 4
                return .etherType(type)
            }
        }
        offset += 4
        switch family {
        case 2: return .ipv4
        case 10, 23, 24, 28, 30: return .ipv6
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
                offset += 4
                limit = min(limit, offset + length - 4)
                switch family {
                case 2: return .ipv4
                case 10: return .ipv6
                default: return .ipAny
                }
            }
            offset += (length + 3) & ~3
        }
        return endOrTruncated(.nflog, needed: 4)
    }
}
