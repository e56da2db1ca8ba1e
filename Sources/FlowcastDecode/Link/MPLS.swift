extension DecodeRun {
    /// An MPLS label stack (RFC 3032). The payload has no type field: like tshark, a first nibble
    /// of 4 or 6 means IP, 0 means a pseudowire control word followed by Ethernet, and anything
    /// else is tried as Ethernet.
    mutating func decodeMPLS() -> NextLayer {
        while true {
            guard remaining >= 4 else { return truncated(.mpls, needed: 4) }
            let entry = b.u32(offset)
            let label = entry >> 12
            if summary.mplsLabel == nil { summary.mplsLabel = label } else if summary.innerMPLSLabel == nil { summary.innerMPLSLabel = label }
            offset += 4
            if entry & 0x100 != 0 { break }  // bottom of stack
        }
        guard remaining >= 1 else { return endOrTruncated(.mpls, needed: 1) }
        switch b.u8(offset) >> 4 {
        case 4: return tagsOnly ? stopAfterVendorHeader() : .ipv4
        case 6: return tagsOnly ? stopAfterVendorHeader() : .ipv6
        case 0:
            guard remaining >= 4 else { return truncated(.mpls, needed: 4) }
            offset += 4  // pseudowire control word (RFC 4385)
            return .ethernet
        default:
            return .ethernet
        }
    }
}
