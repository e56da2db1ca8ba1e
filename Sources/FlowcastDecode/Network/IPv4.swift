internal import FlowcastCore
extension DecodeRun {
    /// IPv4 (RFC 791) with options and fragments. Only a datagram's first fragment carries a
    /// transport header; later fragments keep the protocol number but no ports.
    ///
    /// A header cut short keeps the fields that are there, as tshark shows them: the protocol
    /// from 10 bytes, the source from 16, the destination from 20 if tshark's search of the
    /// options for a source route stayed within the bytes present (see `destinationOffset`).
    mutating func decodeIPv4() -> NextLayer {
        // A layer exists once it has a byte, or where the capture cut it off; an empty payload
        // that was not cut (IP-in-IP with nothing after the outer header) leaves none, as tshark.
        guard remaining >= 1 else {
            if cutShort { enterIP() }
            return truncated(.ipv4, needed: 20)
        }
        enterIP()
        let versionIHL = b.u8(offset)
        // An IPv6 packet behind an IPv4 ethertype: tshark's IPv4 dissector hands it to IPv6,
        // and the "IPv4" layer it leaves has no fields.
        if versionIHL >> 4 == 6 { return .ipv6 }
        guard versionIHL >> 4 == 4 else { return malformed(.ipv4, value: Int(versionIHL >> 4), limit: 4) }
        let headerLength = Int(versionIHL & 0x0F) * 4
        guard headerLength >= 20 else { return malformed(.ipv4, value: headerLength, limit: 20) }
        guard remaining >= 4 else { return truncated(.ipv4, needed: headerLength) }
        var totalLength = Int(b.u16(offset + 2))
        // The frame's bytes from here on (on the wire, not as captured) where the header gives no length.
        if ipLayers == 1 { summary.ipLength = totalLength != 0 ? totalLength : max(headerLength, summary.wireLength - offset) }
        // A total length of 0 comes from TCP segmentation offload: the frame holds the datagram
        // (and a frame too short for the header has it cut short, not malformed).
        if totalLength == 0 { totalLength = max(headerLength, limit - offset) }
        guard totalLength >= headerLength else { return malformed(.ipv4, value: totalLength, limit: headerLength) }
        // Each field tshark shows once its bytes are here, the header whole or not.
        if remaining >= 10 { summary.ipProtocol = b.u8(offset + 9) }
        if remaining >= 16 { setIPSource(IPAddress(ipv4: b.u32(offset + 12))) }
        if remaining >= 20, let destination = destinationOffset(headerLength: headerLength),
           destination == 16 || remaining >= headerLength {
            setIPDestination(IPAddress(ipv4: b.u32(offset + destination)))
        }
        guard remaining >= headerLength else { return truncated(.ipv4, needed: headerLength) }
        let fragment = b.u16(offset + 6)
        let proto = b.u8(offset + 9)
        summary.isFragment = fragment & 0x3FFF != 0
        // A total length past what holds the datagram (a GTP-U or outer IP length shorter than
        // it; not a capture cut by its snap length) is malformed: tshark flags it ("IPv4 total
        // length exceeds packet length") and goes on with the bytes there, and so does this, the
        // issue counted where it was not (an audit of GTP-U with a short length). Inside an outer
        // datagram's first fragment the inner one is cut where the fragment ends: that is MTU
        // fragmentation of a tunnel, not a bad length, and tshark (reassembling, as by default)
        // flags none of it; an audit found every fragmented GTP-U packet counted malformed.
        // Its payload is then the bytes there, as tshark's tcp.len: the length claimed put the
        // next expected sequence number past the next segment, two retransmissions that were not
        // (an audit). Cut by the capture or by an outer fragment, the claim is what was sent.
        var carried = totalLength
        if totalLength > limit - offset && !cutShort && !insideFirstFragment {
            summary.issue = DecodeIssue(kind: .malformed, layer: .ipv4, needed: totalLength, present: limit - offset, offset: offset)
            carried = limit - offset
        }
        if fragment & 0x2000 != 0 && fragment & 0x1FFF == 0 { insideFirstFragment = true }
        limit = min(limit, offset + totalLength)
        offset += headerLength
        summary.payloadLength = max(0, carried - headerLength)
        if fragment & 0x1FFF != 0 { return .done }  // not the first fragment: no transport header
        return transport(proto)
    }

    /// Where tshark reads the destination address: the header's own field (offset 16), or the
    /// last address of a loose or strict source route option whose pointer is valid (RFC 791
    /// section 3.1: that address is the datagram's final destination; tshark shows it while
    /// decoding the options, so only from a whole header). Nil when the search would read past
    /// the bytes present, where tshark stops and shows no destination.
    @inline(__always) func destinationOffset(headerLength: Int) -> Int? {
        let end = offset + remaining
        var left = headerLength - 20
        var at = offset + 20
        while left > 0 {
            guard at < end else { return nil }
            let option = b.u8(at)
            left -= 1
            if option == 0 { return 16 }  // end of options
            if option == 1 { at += 1; continue }  // no-operation
            guard left > 0 else { return 16 }
            guard at + 1 < end else { return nil }
            let length = Int(b.u8(at + 1))
            left -= 1
            guard length >= 2, length - 2 <= left else { return 16 }
            if option == 0x83 || option == 0x89 {
                guard at + 2 < end else { return nil }
                let pointer = Int(b.u8(at + 2))
                guard pointer >= 4, pointer & 3 == 0, pointer <= length else { return 16 }
                return at - offset + length - 4
            }
            at += length
            left -= length - 2
        }
        return 16
    }

    /// Starts an IP layer: it becomes the innermost one (and the outermost, if it is the first),
    /// with no fields until they are read. tshark shows an IP layer it entered with only the
    /// fields it could read, so an inner header cut short leaves the inner columns empty.
    mutating func enterIP() {
        ipLayers += 1
        summary.innerSource = nil
        summary.innerDestination = nil
        summary.ipProtocol = nil
        summary.sourcePort = nil
        summary.destinationPort = nil
        summary.tcpFlags = nil
        summary.icmpTypeCode = nil
        summary.isFragment = false
    }

    mutating func setIPSource(_ address: IPAddress) {
        if ipLayers == 1 { summary.outerSource = address }
        summary.innerSource = address
    }

    mutating func setIPDestination(_ address: IPAddress) {
        if ipLayers == 1 { summary.outerDestination = address }
        summary.innerDestination = address
    }

    /// The header after an IP header (and its extension headers).
    mutating func transport(_ proto: UInt8) -> NextLayer {
        summary.ipProtocol = proto
        switch proto {
        case IPProtocol.tcp.rawValue: return decodeTCP()
        case IPProtocol.udp.rawValue: return decodeUDP()
        case IPProtocol.sctp.rawValue: return decodeSCTP()
        case IPProtocol.icmp.rawValue, IPProtocol.icmpv6.rawValue:
            // Type and code only: the packet an error quotes is never "innermost". tshark shows
            // an ICMPv6 type and code from their two bytes, ICMP's only from six.
            if remaining >= (proto == IPProtocol.icmp.rawValue ? 6 : 2) { summary.icmpTypeCode = b.u16(offset) }
            return scanQuotedPacket(icmpv6: proto == IPProtocol.icmpv6.rawValue)
        case IPProtocol.ipv4.rawValue: summary.tunnelDepth &+= 1; return .ipv4
        case IPProtocol.ipv6.rawValue: summary.tunnelDepth &+= 1; return .ipv6
        case IPProtocol.gre.rawValue: return decodeGRE()
        // MPLS in IP (RFC 4023) and Ethernet in IP (143, RFC 8986): tshark follows both.
        case 137: summary.tunnelDepth &+= 1; return .mpls
        case 143: summary.tunnelDepth &+= 1; return .ethernet
        case IPProtocol.ah.rawValue: return decodeAH()
        default: return .done
        }
    }

    /// Whether tshark names the protocol after an IPv4 header or an IPv6 AH by the payload's
    /// own protocol (the transports and tunnels it decodes); for any other payload of AH, it
    /// names the IP header's protocol (AH itself, or IPv6's first next header).
    static func namesPayloadAfterAH(_ proto: UInt8) -> Bool {
        switch proto {
        case 1, 2, 4, 6, 17, 41, 47, 50, 51, 58, 88, 89, 103, 112, 132: return true
        default: return false
        }
    }

    /// The packet an ICMP error quotes (ICMP destination unreachable, source quench, time
    /// exceeded, parameter problem; ICMPv6 types 1–4) never gives the innermost fields, but
    /// tshark decodes it, tunnels included, so the TEID and VLAN columns ("outermost" in the
    /// whole frame) may come from it when the packet itself has none. A second run over the same
    /// bytes (on the stack, one level deep) reads it; only those two fields are kept, and its
    /// truncation issue when the capture cut it.
    mutating func scanQuotedPacket(icmpv6: Bool) -> NextLayer {
        guard !insideQuote, summary.teid == nil || summary.vlan == nil else { return .done }
        let layer: ProtocolLayer = icmpv6 ? .icmpv6 : .icmp
        guard remaining >= 1 else { return endOrTruncated(layer, needed: 8) }
        let type = b.u8(offset)
        let quotes = icmpv6 ? (1...4).contains(type) : type == 3 || type == 4 || type == 11 || type == 12
        guard quotes else { return .done }
        guard remaining > 8 else { return endOrTruncated(layer, needed: 9) }
        readQuotedPacket(icmpv6: icmpv6)
        return .done
    }

    /// The second run of `scanQuotedPacket`, kept out of line: inlined, its `DecodeRun` on the
    /// stack made every packet's decoding copy more (decode 14 % slower on the bench capture).
    @inline(never)
    mutating func readQuotedPacket(icmpv6: Bool) {
        var quoted = DecodeRun(bytes: b, decoder: decoder)
        quoted.insideQuote = true
        quoted.ipLayers = 1  // its IP headers are never the outermost
        quoted.offset = offset + 8
        quoted.limit = limit
        quoted.summary.wireLength = summary.wireLength
        quoted.run(from: icmpv6 ? .ipv6 : .ipv4)
        if summary.teid == nil { summary.quotedTEID = quoted.summary.teid }
        if summary.vlan == nil { summary.quotedVLAN = quoted.summary.vlan }
        if let issue = quoted.summary.issue, issue.kind == .truncated, cutShort { summary.issue = issue }
    }

    /// IP Authentication Header (RFC 4302): skipped to reach the protected transport.
    mutating func decodeAH() -> NextLayer {
        guard remaining >= 2 else { return truncated(.ah, needed: 2) }
        let next = b.u8(offset)
        let length = (Int(b.u8(offset + 1)) + 2) * 4
        guard remaining >= length else { return truncated(.ah, needed: length) }
        offset += length
        guard Self.namesPayloadAfterAH(next) else { return .done }
        return transport(next)
    }
}
