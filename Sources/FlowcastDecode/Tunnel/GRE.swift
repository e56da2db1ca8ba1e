internal import FlowcastCore
extension DecodeRun {
    /// GRE (RFC 2784/2890, and version 1 of RFC 2637) carrying IPv4, IPv6, MPLS, PPP,
    /// transparent Ethernet bridging, or ERSPAN.
    mutating func decodeGRE() -> NextLayer {
        guard remaining >= 4 else { return truncated(.gre, needed: 4) }
        let flags = b.u16(offset)
        let protocolType = b.u16(offset + 2)
        var length = 4
        if flags & 0xC000 != 0 { length += 4 }  // checksum (+ offset), present with routing too
        if flags & 0x2000 != 0 { length += 4 }  // key
        if flags & 0x1000 != 0 { length += 4 }  // sequence number
        if flags & 0x0007 == 1 && flags & 0x0080 != 0 { length += 4 }  // PPTP acknowledgment
        guard remaining >= length else { return truncated(.gre, needed: length) }
        if flags & 0x4000 != 0 {
            // RFC 1701 source routing: entries (address family, offset, length, then that many
            // bytes) up to a null one (family 0, length 0).
            while true {
                guard remaining >= length + 4 else { return truncated(.gre, needed: length + 4) }
                let family = b.u16(offset + length)
                let entryLength = Int(b.u8(offset + length + 3))
                length += 4
                if family == 0 && entryLength == 0 { break }
                length += entryLength
            }
        }
        offset += length
        summary.tunnelDepth &+= 1
        switch protocolType {
        case EtherType.ipv4.rawValue: return .ipv4
        case 0x883E:
            // WCCP redirection: IPv4, after a 4-byte redirect header unless the first octet
            // already looks like IPv4 (tshark's test).
            guard remaining >= 1 else { return endOrTruncated(.gre, needed: 1) }
            if b.u8(offset) >> 4 != 4 {
                guard remaining >= 4 else { return truncated(.gre, needed: 4) }
                offset += 4
            }
            return .ipv4
        case EtherType.ipv6.rawValue: return .ipv6
        case EtherType.transparentEthernet.rawValue, 0x6400: return .ethernet  // and 0x6400 as Ethernet
        case EtherType.mplsUnicast.rawValue, EtherType.mplsMulticast.rawValue: return .mpls
        case EtherType.ppp.rawValue: return .ppp(hdlc: false)
        case EtherType.erspanII.rawValue: return decodeERSPAN(typeI: flags & 0x1000 == 0)
        case EtherType.erspanIII.rawValue: return decodeERSPAN(typeI: false)
        default: return unsupported(.gre, type: Int(protocolType))
        }
    }

    /// ERSPAN, as taps mirror traffic: type I (GRE type 0x88BE without a sequence number: no
    /// header), else the header's version decides, whatever the GRE type: 1 is type II (8 bytes),
    /// 2 type III (12 bytes plus an optional 8-byte platform sub-header) whose frame type must be
    /// 0 (Ethernet), then the mirrored Ethernet frame. Other versions and frame types stop here,
    /// as in tshark.
    mutating func decodeERSPAN(typeI: Bool) -> NextLayer {
        guard !typeI else { return .ethernet }
        guard remaining >= 1 else { return truncated(.erspan, needed: 8) }
        let version = b.u8(offset) >> 4
        switch version {
        case 1:
            guard remaining >= 8 else { return truncated(.erspan, needed: 8) }
            offset += 8
        case 2:
            var length = 12
            guard remaining >= length else { return truncated(.erspan, needed: length) }
            let frameType = Int(b.u16(offset + 10) >> 10) & 0x1F
            if b.u8(offset + 11) & 0x01 != 0 { length += 8 }
            guard remaining >= length else { return truncated(.erspan, needed: length) }
            guard frameType == 0 else { return unsupported(.erspan, type: frameType) }
            offset += length
        default:
            return unsupported(.erspan, type: Int(version))
        }
        return .ethernet
    }

    /// VXLAN (RFC 7348): 8 bytes, then Ethernet.
    mutating func decodeVXLAN() -> NextLayer {
        guard remaining >= 8 else { return truncated(.vxlan, needed: 8) }
        offset += 8
        summary.tunnelDepth &+= 1
        return .ethernet
    }

    /// Geneve (RFC 8926): 8 bytes plus options, then the payload its protocol type names.
    mutating func decodeGeneve() -> NextLayer {
        guard remaining >= 8 else { return truncated(.geneve, needed: 8) }
        let length = 8 + Int(b.u8(offset) & 0x3F) * 4
        let protocolType = b.u16(offset + 2)
        guard remaining >= length else { return truncated(.geneve, needed: length) }
        offset += length
        summary.tunnelDepth &+= 1
        return .etherType(protocolType)
    }
}
