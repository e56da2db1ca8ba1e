internal import FlowcastCore
extension DecodeRun {
    /// GRE (RFC 2784/2890, and version 1 of RFC 2637) carrying IPv4, IPv6, MPLS, PPP,
    /// transparent Ethernet bridging, or ERSPAN.
    mutating func decodeGRE() -> NextLayer {
        guard remaining >= 4 else { return truncated(.gre, needed: 4) }
        let flags = b.u16(offset)
        let protocolType = b.u16(offset + 2)
        var length = 4
        if flags & 0xC000 != 0 { length += 4 }  // checksum (+ offset)
        if flags & 0x2000 != 0 { length += 4 }  // key
        if flags & 0x1000 != 0 { length += 4 }  // sequence number
        if flags & 0x0007 == 1 && flags & 0x0080 != 0 { length += 4 }  // PPTP acknowledgment
        guard remaining >= length else { return truncated(.gre, needed: length) }
        offset += length
        summary.tunnelDepth &+= 1
        switch protocolType {
        case EtherType.ipv4.rawValue: return .ipv4
        case EtherType.ipv6.rawValue: return .ipv6
        case EtherType.transparentEthernet.rawValue: return .ethernet
        case EtherType.mplsUnicast.rawValue, EtherType.mplsMulticast.rawValue: return .mpls
        case EtherType.ppp.rawValue: return .ppp(hdlc: false)
        case EtherType.erspanII.rawValue: return decodeERSPAN(typeIII: false, hasHeader: flags & 0x1000 != 0)
        case EtherType.erspanIII.rawValue: return decodeERSPAN(typeIII: true, hasHeader: true)
        default: return unsupported(.gre, type: Int(protocolType))
        }
    }

    /// ERSPAN, as taps mirror traffic: type I (no header), type II (8 bytes) and type III
    /// (12 bytes plus an optional 8-byte platform sub-header), then the mirrored Ethernet frame.
    mutating func decodeERSPAN(typeIII: Bool, hasHeader: Bool) -> NextLayer {
        guard hasHeader else { return .ethernet }
        var length = typeIII ? 12 : 8
        guard remaining >= length else { return truncated(.erspan, needed: length) }
        if typeIII && b.u8(offset + 11) & 0x01 != 0 { length += 8 }
        guard remaining >= length else { return truncated(.erspan, needed: length) }
        offset += length
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
