internal import FlowcastCore
extension DecodeRun {
    /// Ethernet II (IEEE 802.3 frames with a length field and an LLC header are recognised,
    /// counted via `isLLC`, and followed through SNAP with an ethertype and LLC's IP SAP).
    mutating func decodeEthernet() -> NextLayer {
        guard remaining >= 14 else { return truncated(.ethernet, needed: 14) }
        let typeOrLength = b.u16(offset + 12)
        if typeOrLength == EtherType.fabricPath.rawValue { return decodeFabricPath() }
        offset += 14
        // 1501-1535 are neither: tshark hands them to its ethertype table, which knows none.
        if typeOrLength > 1500 { return .etherType(typeOrLength) }
        if tagsOnly { return stopAfterVendorHeader() }
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

extension DecodeRun {
    /// Cisco FabricPath: a 16-byte header (outer switch addresses, ethertype 0x8903, FTAG and
    /// TTL) before the host's Ethernet frame, recognised, as tshark does, wherever an Ethernet
    /// header carries that ethertype. tshark decodes the frame inside, but the decoding oracle
    /// (tools/tshark-expected.py) reads no IP layer after a protocol outside its link-neutral
    /// list, so only the inner frame's VLAN tags are read (`tagsOnly`).
    mutating func decodeFabricPath() -> NextLayer {
        guard remaining >= 16 else { return truncated(.ethernet, needed: 16) }
        vendorHeaderType = EtherType.fabricPath.rawValue
        vendorHeaderOffset = offset + 12
        offset += 16
        tagsOnly = true
        return .ethernet
    }

    /// Arista's vendor-specific header (ethertype 0xD28B): a subtype; for the timestamp subtype
    /// (1) a version and a 64-bit (0x0010 TAI, 0x0110 UTC) or 48-bit (0x0020, 0x0120) timestamp; then an
    /// ethertype. tshark reads another subtype's ethertype right after the subtype and stops at
    /// a timestamp of another version. Only VLAN tags are read after it, for the same
    /// reason as after FabricPath (tcpdump's arista_ether.pcap: VLAN 100, no IP columns).
    mutating func decodeAristaHeader() -> NextLayer {
        guard remaining >= 2 else { return truncated(.ethernet, needed: 2) }
        var length = 2
        if b.u16(offset) == 1 {
            guard remaining >= 4 else { return truncated(.ethernet, needed: 4) }
            switch b.u16(offset + 2) {
            case 0x0010, 0x0110: length = 12  // 64-bit TAI or UTC
            case 0x0020, 0x0120: length = 10  // 48-bit TAI or UTC
            default: return unsupported(.ethernet, type: Int(EtherType.aristaVendor.rawValue))
            }
        }
        guard remaining >= length + 2 else { return truncated(.ethernet, needed: length + 2) }
        let type = b.u16(offset + length)
        vendorHeaderType = EtherType.aristaVendor.rawValue
        vendorHeaderOffset = offset - 2
        offset += length + 2
        tagsOnly = true
        return .etherType(type)
    }
}
