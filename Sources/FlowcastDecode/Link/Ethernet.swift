extension DecodeRun {
    /// Ethernet II (IEEE 802.3 frames with a length field and an LLC header are recognised,
    /// counted via `isLLC`, and followed through SNAP with an ethertype and LLC's IP SAP).
    mutating func decodeEthernet() -> NextLayer {
        guard remaining >= 14 else { return truncated(.ethernet, needed: 14) }
        let typeOrLength = b.u16(offset + 12)
        offset += 14
        // 1501-1535 are neither: tshark hands them to its ethertype table, which knows none.
        if typeOrLength > 1500 { return .etherType(typeOrLength) }
        // 802.3: the length field ends the frame's payload (padding after it is not decoded).
        limit = min(limit, offset + Int(typeOrLength))
        summary.isLLC = true
        return decodeLLC()
    }

    /// IEEE 802.2 LLC. SNAP with an OUI whose protocol ID is an ethertype (00-00-00, or the
    /// 802.1H bridge-tunnel 00-00-F8) carries that ethertype; SAP 06 carries IPv4 in UI frames
    /// (control 03 exactly, as tshark reads it) and I frames.
    mutating func decodeLLC() -> NextLayer {
        guard remaining >= 3 else { return truncated(.llc, needed: 3) }
        let dsap = b.u8(offset), ssap = b.u8(offset + 1), control = b.u8(offset + 2)
        if dsap == 0xAA && ssap == 0xAA && control == 0x03 {
            guard remaining >= 8 else { return truncated(.llc, needed: 8) }
            let oui = UInt32(b.u8(offset + 3)) << 16 | UInt32(b.u16(offset + 4))
            let type = b.u16(offset + 6)
            offset += 8
            switch oui {
            case 0x00_0000, 0x00_00F8: return .etherType(type)
            default: return unsupported(.llc, type: Int(type))
            }
        }
        if dsap == 0x06 {
            if control == 0x03 { offset += 3; return .ipv4 }  // UI frame
            if control & 0x01 == 0 {  // I frame: a two-byte control field
                guard remaining >= 4 else { return truncated(.llc, needed: 4) }
                offset += 4
                return .ipv4
            }
        }
        return unsupported(.llc, type: Int(dsap))
    }
}
