internal import FlowcastCore
extension DecodeRun {
    /// IEEE 802.1Q / 802.1ad tag (TPID 0x8100, 0x88A8, and the pre-standard 0x9100/0x9200),
    /// at any depth. The first two VLAN IDs are kept.
    mutating func decodeVLAN(tpid: UInt16) -> NextLayer {
        // tshark's 802.1Q dissector (0x8100, 0x9100) shows the ID as soon as its two bytes are
        // there, even in a tag cut short; its 802.1ad one only from a whole tag.
        guard remaining >= (tpid == EtherType.qinq.rawValue ? 4 : 2) else { return truncated(.vlan, needed: 4) }
        let id = b.u16(offset) & 0x0FFF
        if summary.vlan == nil { summary.vlan = id } else if summary.innerVLAN == nil { summary.innerVLAN = id }
        guard remaining >= 4 else { return truncated(.vlan, needed: 4) }
        let type = b.u16(offset + 2)
        offset += 4
        if type < 0x0600 {
            summary.isLLC = true
            return decodeLLC()
        }
        return .etherType(type)
    }
}
