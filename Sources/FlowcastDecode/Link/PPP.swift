extension DecodeRun {
    /// PPP (RFC 1661), optionally in HDLC-like framing (RFC 1662: FF 03), and Cisco HDLC
    /// (0F/8F 00 + ethertype) on the PPP_HDLC link type.
    mutating func decodePPP(hdlc: Bool) -> NextLayer {
        guard remaining >= 2 else { return truncated(.ppp, needed: 2) }
        let first = b.u8(offset)
        if hdlc && (first == 0x0F || first == 0x8F) {
            guard remaining >= 4 else { return truncated(.ppp, needed: 4) }
            let type = b.u16(offset + 2)
            offset += 4
            return .etherType(type)
        }
        if first == 0xFF && b.u8(offset + 1) == 0x03 { offset += 2 }
        guard remaining >= 1 else { return truncated(.ppp, needed: 1) }
        var proto = UInt16(b.u8(offset))
        if proto & 1 == 1 {
            offset += 1  // protocol-field compression: a one-byte protocol
        } else {
            guard remaining >= 2 else { return truncated(.ppp, needed: 2) }
            proto = b.u16(offset)
            offset += 2
        }
        return pppPayload(proto)
    }

    mutating func pppPayload(_ proto: UInt16) -> NextLayer {
        switch proto {
        case 0x0021: return .ipv4
        case 0x0057: return .ipv6
        case 0x0281, 0x0283: return .mpls
        default: return unsupported(.ppp, type: Int(proto))
        }
    }

    /// PPPoE session stage (RFC 2516): 6-byte header, then a PPP protocol field (one byte
    /// when compressed, RFC 1661 section 6.5).
    mutating func decodePPPoESession() -> NextLayer {
        guard remaining >= 6 else { return truncated(.pppoe, needed: 6) }
        let length = Int(b.u16(offset + 4))
        offset += 6
        limit = min(limit, offset + length)
        guard remaining >= 1 else { return truncated(.ppp, needed: 2) }
        var proto = UInt16(b.u8(offset))
        if proto & 1 == 1 {
            offset += 1
        } else {
            guard remaining >= 2 else { return truncated(.ppp, needed: 2) }
            proto = b.u16(offset)
            offset += 2
        }
        return pppPayload(proto)
    }
}
