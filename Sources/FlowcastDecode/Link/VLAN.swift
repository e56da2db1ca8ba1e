extension DecodeRun {
    /// IEEE 802.1Q / 802.1ad tag (TPID 0x8100, 0x88A8, and the pre-standard 0x9100/0x9200),
    /// at any depth. The first two VLAN IDs are kept.
    mutating func decodeVLAN(tpid: UInt16) -> NextLayer {
        guard remaining >= 4 else { return truncated(.vlan, needed: 4) }
        let id = b.u16(offset) & 0x0FFF
        if summary.vlan == nil { summary.vlan = id } else if summary.innerVLAN == nil { summary.innerVLAN = id }
        let type = b.u16(offset + 2)
        offset += 4
        if type < 0x0600 {
            summary.isLLC = true
            return decodeLLC()
        }
        return .etherType(type)
    }
}
