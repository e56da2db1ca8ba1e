internal import FlowcastCore
extension DecodeRun {
    /// IPv6 (RFC 8200) with hop-by-hop, routing, fragment, destination-options and AH headers.
    /// A header cut short is listed as IPv4's is (see `decodeIPv4`), with the next header from 7
    /// bytes and the source from 24; a wrong version is not IPv6 at all (tshark rejects it).
    mutating func decodeIPv6() -> NextLayer {
        guard remaining >= 1 else {
            if cutShort { enterIP(source: nil, destination: nil, protocol: nil) }
            return truncated(.ipv6, needed: 40)
        }
        let version = b.u8(offset) >> 4
        guard version == 6 else { return malformed(.ipv6, value: Int(version), limit: 6) }
        guard remaining >= 40 else {
            enterIP(source: remaining >= 24 ? IPAddress(ipv6High: b.u64(offset + 8), low: b.u64(offset + 16)) : nil,
                    destination: nil, protocol: remaining >= 7 ? b.u8(offset + 6) : nil)
            return truncated(.ipv6, needed: 40)
        }
        let payloadLength = Int(b.u16(offset + 4))
        var next = b.u8(offset + 6)
        let source = IPAddress(ipv6High: b.u64(offset + 8), low: b.u64(offset + 16))
        let destination = IPAddress(ipv6High: b.u64(offset + 24), low: b.u64(offset + 32))
        enterIP(source: source, destination: destination, protocol: next)
        offset += 40
        // Payload length 0 with a hop-by-hop header is a jumbogram (RFC 2675): the frame decides.
        if payloadLength != 0 || next != 0 { limit = min(limit, offset + payloadLength) }
        summary.payloadLength = payloadLength
        while true {
            switch next {
            case IPProtocol.hopByHop.rawValue, IPProtocol.ipv6Routing.rawValue, IPProtocol.ipv6DestinationOptions.rawValue,
                 IPProtocol.mobility.rawValue, IPProtocol.hip.rawValue, IPProtocol.shim6.rawValue:
                // A cut extension header still names its successor if its first byte is here
                // (tshark reads that field before the rest).
                guard remaining >= 8 else { return truncatedExtension(needed: 8) }
                let length = (Int(b.u8(offset + 1)) + 1) * 8
                guard remaining >= length else { return truncatedExtension(needed: length) }
                next = b.u8(offset)
                offset += length
            case IPProtocol.ah.rawValue:
                guard remaining >= 8 else { return truncatedExtension(needed: 8) }
                let length = (Int(b.u8(offset + 1)) + 2) * 4
                guard remaining >= length else { return truncatedExtension(needed: length) }
                next = b.u8(offset)
                offset += length
            case IPProtocol.ipv6Fragment.rawValue:
                guard remaining >= 8 else {
                    summary.ipProtocol = nil  // the fragment header is read whole or not at all
                    return truncated(.ipv6Extension, needed: 8)
                }
                let fragmentOffset = b.u16(offset + 2) >> 3
                next = b.u8(offset)
                offset += 8
                summary.isFragment = true
                if fragmentOffset != 0 { summary.ipProtocol = next; return .done }
            default:
                summary.payloadLength = max(0, limit - offset)
                // tshark's IPv6 hands even an empty payload on: an empty tunnelled IP header
                // is still the innermost layer, with no fields (a cut one reports truncation).
                if remaining == 0 && !cutShort && (next == IPProtocol.ipv4.rawValue || next == IPProtocol.ipv6.rawValue) {
                    summary.tunnelDepth &+= 1
                    enterIP(source: nil, destination: nil, protocol: nil)
                    return .done
                }
                return transport(next)
            }
        }
    }

    private mutating func truncatedExtension(needed: Int) -> NextLayer {
        summary.ipProtocol = remaining >= 1 ? b.u8(offset) : nil
        return truncated(.ipv6Extension, needed: needed)
    }
}
