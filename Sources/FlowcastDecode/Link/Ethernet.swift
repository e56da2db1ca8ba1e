extension DecodeRun {
    /// Ethernet II (IEEE 802.3 frames with a length field and an LLC header are recognised,
    /// counted via `isLLC`, and followed only through SNAP with an ethertype).
    mutating func decodeEthernet() -> NextLayer {
        guard remaining >= 14 else { return truncated(.ethernet, needed: 14) }
        let typeOrLength = b.u16(offset + 12)
        offset += 14
        if typeOrLength >= 0x0600 { return .etherType(typeOrLength) }
        summary.isLLC = true
        return decodeLLC()
    }

    /// IEEE 802.2 LLC; SNAP with OUI 00-00-00 carries an ethertype.
    mutating func decodeLLC() -> NextLayer {
        guard remaining >= 3 else { return truncated(.llc, needed: 3) }
        if b.u8(offset) == 0xAA && b.u8(offset + 1) == 0xAA && b.u8(offset + 2) == 0x03 {
            guard remaining >= 8 else { return truncated(.llc, needed: 8) }
            let oui = UInt32(b.u8(offset + 3)) << 16 | UInt32(b.u16(offset + 4))
            let type = b.u16(offset + 6)
            offset += 8
            if oui == 0 { return .etherType(type) }
            return unsupported(.llc, type: Int(type))
        }
        return unsupported(.llc, type: Int(b.u8(offset)))
    }
}
