internal import FlowcastCore

/// Records of a few link types begin with a pseudo-header (`LinkType.wiretapPseudoHeaderLength`)
/// that Wireshark's file reader checks before it hands the frame over. A record that fails the
/// check ends tshark's reading of the file there ("appears to be damaged or corrupt"); the
/// readers end theirs at the same record, with tshark's reason. libpcap checks none of this.
enum WiretapPseudoHeader {
    /// Why tshark refuses `data` (a record's captured bytes) of `linkType`, or nil.
    static func refusal(_ data: UnsafeRawBufferPointer, linkType: LinkType) -> String? {
        let needed = linkType.wiretapPseudoHeaderLength
        guard needed > 0 else { return nil }
        guard data.count >= needed else {
            return "\(name(linkType)) file has a \(data.count)-byte packet, too small to have even \(article(linkType))"
        }
        // IrDA and LAPD pseudo-headers are Linux cooked headers whose protocol must say so.
        let protocolField = needed == 16 ? UInt16(data[14]) << 8 | UInt16(data[15]) : 0
        switch linkType.rawValue {
        case 144 where protocolField != 0x0017: return "IrDA capture has a packet with an invalid sll_protocol field"
        case 177 where protocolField != 0x0030: return "LAPD capture has a packet with an invalid sll_protocol field"
        default: return nil
        }
    }

    private static func name(_ linkType: LinkType) -> String {
        switch linkType.rawValue {
        case 123: return "SunATM"
        case 139: return "MTP2"
        case 144: return "IrDA"
        case 177: return "LAPD"
        case 196: return "SITA"
        case 201: return "Bluetooth"
        case 204: return "PPP"
        case 209: return "I2C"
        case 245: return "NFC LLCP"
        case 254: return "Bluetooth monitor"
        default: return linkType.description
        }
    }

    /// tshark's words for the missing pseudo-header.
    private static func article(_ linkType: LinkType) -> String {
        switch linkType.rawValue {
        case 123: return "an ATM pseudo-header"
        case 139: return "an MTP2 pseudo-header"
        case 144: return "an IrDA pseudo-header"
        case 177: return "a LAPD pseudo-header"
        case 196: return "a SITA pseudo-header"
        case 209: return "a I2C pseudo-header"
        default: return "a pseudo-header"
        }
    }
}
