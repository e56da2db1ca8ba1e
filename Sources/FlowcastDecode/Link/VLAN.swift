internal import FlowcastCore
extension DecodeRun {
    /// IEEE 802.1Q / 802.1ad tag (TPID 0x8100, 0x88A8, and the pre-standard 0x9100),
    /// at any depth. The first two VLAN IDs are kept.
    mutating func decodeVLAN(tpid: UInt16) -> NextLayer {
        // tshark shows an 802.1Q ID once its two bytes are here, even if the type after it is
        // cut off; an 802.1ad tag only whole.
        guard remaining >= (tpid == EtherType.qinq.rawValue ? 4 : 2) else { return truncated(.vlan, needed: 4) }
        let id = b.u16(offset) & 0x0FFF
        if summary.vlan == nil { summary.vlan = id } else if summary.innerVLAN == nil { summary.innerVLAN = id }
        guard remaining >= 4 else { return truncated(.vlan, needed: 4) }
        let type = b.u16(offset + 2)
        offset += 4
        if type <= 1500 {
            if tagsOnly { return stopAfterVendorHeader() }
            // An 802.3 length: it ends the payload, as after an untagged header.
            limit = min(limit, offset + Int(type))
            summary.isLLC = true
            return decodeLLC()
        }
        return .etherType(type)
    }
}
