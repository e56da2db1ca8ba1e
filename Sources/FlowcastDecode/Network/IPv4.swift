internal import FlowcastCore
extension DecodeRun {
    /// IPv4 (RFC 791) with options and fragments. Only a datagram's first fragment carries a
    /// transport header; later fragments keep the protocol number but no ports.
    ///
    /// Like tshark, a layer exists once it has a byte (or the capture was cut where it starts),
    /// and a header cut short still shows the fields whose bytes are present: the protocol from
    /// 10 bytes, the source from 16. A header whose version, header length or total length is
    /// wrong exists with no fields at all. In a tunnel such a layer is the innermost one.
    mutating func decodeIPv4() -> NextLayer {
        guard remaining >= 1 else {
            if cutShort { enterIP(source: nil, destination: nil, protocol: nil) }
            return truncated(.ipv4, needed: 20)
        }
        let versionIHL = b.u8(offset)
        if versionIHL >> 4 == 6 {
            // An IPv6 packet behind an IPv4 ethertype: tshark's IPv4 dissector hands it to IPv6
            // but the outer "IPv4" layer has no addresses, so neither does the outer column.
            enterIP(source: nil, destination: nil, protocol: nil)
            return .ipv6
        }
        guard versionIHL >> 4 == 4 else {
            enterIP(source: nil, destination: nil, protocol: nil)
            return malformed(.ipv4, value: Int(versionIHL >> 4), limit: 4)
        }
        let headerLength = Int(versionIHL & 0x0F) * 4
        guard headerLength >= 20 else {
            enterIP(source: nil, destination: nil, protocol: nil)
            return malformed(.ipv4, value: headerLength, limit: 20)
        }
        // A total length of 0 comes from TCP segmentation offload: the frame holds the datagram.
        let statedLength = remaining >= 4 ? Int(b.u16(offset + 2)) : 0
        guard statedLength == 0 || statedLength >= headerLength else {
            enterIP(source: nil, destination: nil, protocol: nil)
            return malformed(.ipv4, value: statedLength, limit: headerLength)
        }
        guard remaining >= 20 else {
            enterIP(source: remaining >= 16 ? IPAddress(ipv4: b.u32(offset + 12)) : nil, destination: nil,
                    protocol: remaining >= 10 ? b.u8(offset + 9) : nil)
            return truncated(.ipv4, needed: 20)
        }
        let totalLength = statedLength == 0 ? limit - offset : statedLength
        let fragment = b.u16(offset + 6)
        let proto = b.u8(offset + 9)
        enterIP(source: IPAddress(ipv4: b.u32(offset + 12)), destination: IPAddress(ipv4: b.u32(offset + 16)), protocol: proto)
        summary.isFragment = fragment & 0x3FFF != 0
        guard remaining >= headerLength else { return truncated(.ipv4, needed: headerLength) }
        limit = min(limit, offset + totalLength)
        offset += headerLength
        summary.payloadLength = max(0, totalLength - headerLength)
        if fragment & 0x1FFF != 0 { return .done }  // not the first fragment: no transport header
        return transport(proto)
    }

    /// Makes an IP header the innermost one (and the outermost, if it is the first). A field
    /// that is nil was cut off (see `decodeIPv4`).
    mutating func enterIP(source: IPAddress?, destination: IPAddress?, protocol proto: UInt8?) {
        if !seenIP {
            seenIP = true
            summary.outerSource = source
            summary.outerDestination = destination
        }
        summary.innerSource = source
        summary.innerDestination = destination
        summary.ipProtocol = proto
        summary.sourcePort = nil
        summary.destinationPort = nil
        summary.tcpFlags = nil
        summary.icmpTypeCode = nil
        summary.isFragment = false
    }

    /// The header after an IP header (and its extension headers).
    mutating func transport(_ proto: UInt8) -> NextLayer {
        summary.ipProtocol = proto
        switch proto {
        case IPProtocol.tcp.rawValue: return decodeTCP()
        case IPProtocol.udp.rawValue: return decodeUDP()
        case IPProtocol.sctp.rawValue: return decodeSCTP()
        case IPProtocol.icmp.rawValue, IPProtocol.icmpv6.rawValue:
            // Type and code only: the packet an error quotes is never "innermost".
            if remaining >= 2 { summary.icmpTypeCode = b.u16(offset) }
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
        var quoted = DecodeRun(bytes: b, decoder: decoder)
        quoted.insideQuote = true
        quoted.seenIP = true
        quoted.offset = offset + 8
        quoted.limit = limit
        quoted.summary.wireLength = summary.wireLength
        quoted.run(from: icmpv6 ? .ipv6 : .ipv4)
        if summary.teid == nil { summary.teid = quoted.summary.teid }
        if summary.vlan == nil { summary.vlan = quoted.summary.vlan }
        if let issue = quoted.summary.issue, issue.kind == .truncated, cutShort { summary.issue = issue }
        return .done
    }

    /// IP Authentication Header (RFC 4302): skipped to reach the protected transport.
    mutating func decodeAH() -> NextLayer {
        guard remaining >= 2 else { return truncated(.ah, needed: 2) }
        let next = b.u8(offset)
        let length = (Int(b.u8(offset + 1)) + 2) * 4
        guard remaining >= length else { return truncated(.ah, needed: length) }
        offset += length
        return transport(next)
    }
}
