internal import FlowcastCore
extension DecodeRun {
    /// IPv6 (RFC 8200) with hop-by-hop, routing, fragment, destination-options and AH headers.
    ///
    /// A header cut short keeps what tshark shows of it: the next header from 7 bytes, the
    /// source from 24. In the extension chain, tshark reads a routing header's next-header byte
    /// first, hop-by-hop and destination options' once their length byte is there too, and a
    /// fragment header whole or not at all. Mobility, HIP and shim6 (135, 139, 140) are
    /// protocols to tshark, not extension headers: the protocol column names them.
    mutating func decodeIPv6() -> NextLayer {
        // A layer exists once it has a byte, or where the capture cut it off; an empty payload
        // that was not cut (IP-in-IP with nothing after the outer header) leaves none, as tshark.
        guard remaining >= 1 else {
            if cutShort { enterIP() }
            return truncated(.ipv6, needed: 40)
        }
        let version = b.u8(offset) >> 4
        // A wrong version is not IPv6 at all: tshark rejects it and lists no layer.
        guard version == 6 else { return malformed(.ipv6, value: Int(version), limit: 6) }
        enterIP()
        guard remaining >= 40 else {
            if remaining >= 7 { summary.ipProtocol = b.u8(offset + 6) }
            if remaining >= 24 { setIPSource(IPAddress(ipv6High: b.u64(offset + 8), low: b.u64(offset + 16))) }
            return truncated(.ipv6, needed: 40)
        }
        let payloadLength = Int(b.u16(offset + 4))
        let first = b.u8(offset + 6)
        var next = first
        summary.ipProtocol = next
        setIPSource(IPAddress(ipv6High: b.u64(offset + 8), low: b.u64(offset + 16)))
        setIPDestination(IPAddress(ipv6High: b.u64(offset + 24), low: b.u64(offset + 32)))
        offset += 40
        // Payload length 0 with a hop-by-hop header holding a Jumbo Payload option above 65535
        // is a jumbogram (RFC 2675): the frame decides. Without one, the payload is empty.
        if payloadLength != 0 || next != 0 || jumboPayloadLength() <= 0xFFFF {
            limit = min(limit, offset + payloadLength)
            if ipLayers == 1 { summary.ipLength = 40 + payloadLength }
        } else if ipLayers == 1 {
            summary.ipLength = 40 + Int(jumboPayloadLength())  // a jumbogram: its Jumbo Payload option's length (RFC 2675)
        }
        summary.payloadLength = payloadLength
        // After AH, tshark names the payload's protocol only if it decodes it (see
        // `namesPayloadAfterAH`); otherwise, and while AH is cut short, the first next header.
        var afterAH = false
        while true {
            switch next {
            case IPProtocol.hopByHop.rawValue, IPProtocol.ipv6Routing.rawValue, IPProtocol.ipv6DestinationOptions.rawValue:
                let known = next == IPProtocol.ipv6Routing.rawValue ? 1 : 2
                guard remaining >= 8 else { return cutExtension(knownFrom: known, needed: 8) }
                let length = (Int(b.u8(offset + 1)) + 1) * 8
                guard remaining >= length else { return cutExtension(knownFrom: known, needed: length) }
                if next != IPProtocol.ipv6Routing.rawValue, let reach = optionOverrun(headerEnd: offset + length) {
                    summary.ipProtocol = b.u8(offset)
                    return truncated(.ipv6Extension, needed: reach - offset)
                }
                next = b.u8(offset)
                offset += length
                afterAH = false
            case IPProtocol.ah.rawValue:
                let length = remaining >= 2 ? (Int(b.u8(offset + 1)) + 2) * 4 : 8
                guard remaining >= length else {
                    summary.ipProtocol = first
                    return truncated(.ah, needed: length)
                }
                next = b.u8(offset)
                offset += length
                afterAH = true
            case IPProtocol.ipv6Fragment.rawValue:
                guard remaining >= 8 else { return cutExtension(knownFrom: 8, needed: 8) }
                let fragmentOffset = b.u16(offset + 2) >> 3
                next = b.u8(offset)
                offset += 8
                afterAH = false
                summary.isFragment = true
                if fragmentOffset != 0 { summary.ipProtocol = next; return .done }
                if b.u8(offset - 5) & 1 != 0 { insideFirstFragment = true }  // M flag: more to come
            default:
                summary.payloadLength = max(0, limit - offset)
                if afterAH && !Self.namesPayloadAfterAH(next) { summary.ipProtocol = first; return .done }
                // tshark's IPv6 hands even an empty payload on: an empty tunnelled IP header
                // is still the innermost layer, with no fields (a cut one reports truncation).
                if remaining == 0 && !cutShort && (next == IPProtocol.ipv4.rawValue || next == IPProtocol.ipv6.rawValue) {
                    summary.tunnelDepth &+= 1
                    enterIP()
                    return .done
                }
                return transport(next)
            }
        }
    }

    /// An extension header cut short (by the capture or by the payload length: tshark enters
    /// the next header either way). Its next-header field counts once `knownFrom` bytes of it
    /// are here.
    private mutating func cutExtension(knownFrom: Int, needed: Int) -> NextLayer {
        summary.ipProtocol = remaining >= knownFrom ? b.u8(offset) : nil
        return truncated(.ipv6Extension, needed: needed)
    }

    /// Where an option of the hop-by-hop or destination-options header at `offset` (whole, up to
    /// `headerEnd`) reaches past the bytes of its datagram that are here, or nil. tshark's
    /// dissection of that option throws, so no layer follows the header and its next header is
    /// the protocol (tcpdump's ipv6-next-header-oobr captures); an option that runs past the
    /// header but not past the bytes is read and the chain goes on from the header's end. So does
    /// a Pad1 that ends the header where the bytes end (tools/diff-decode-link.py, ipv6-option-overrun).
    @inline(__always) private func optionOverrun(headerEnd: Int) -> Int? {
        var at = offset + 2
        while at < headerEnd {
            if b.u8(at) == 0 {
                // Pad1: tshark looks at the byte after it (for a run of padding), past the
                // header's end when it is the last option, and throws there when no byte follows
                // (a header ending in Pad1 at the datagram's end lists no layer after it).
                at += 1
                if at >= limit { return at + 1 }
                continue
            }
            guard at + 1 < limit else { return at + 2 }
            at += 2 + Int(b.u8(at + 1))
            if at > limit { return at }
        }
        return nil
    }

    /// The value of a Jumbo Payload option (RFC 2675) in the hop-by-hop header at `offset`, or
    /// 0 when it has none (or its bytes are not all here).
    @inline(__always) private func jumboPayloadLength() -> UInt32 {
        guard remaining >= 2 else { return 0 }
        let end = min(offset + (Int(b.u8(offset + 1)) + 1) * 8, limit)
        var at = offset + 2
        while at < end {
            let type = b.u8(at)
            if type == 0 { at += 1; continue }  // Pad1
            guard at + 2 <= end else { return 0 }
            let length = Int(b.u8(at + 1))
            if type == 0xC2 && length == 4 { return at + 6 <= end ? b.u32(at + 2) : 0 }
            at += 2 + length
        }
        return 0
    }
}
