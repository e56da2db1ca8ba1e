internal import FlowcastCore
/// Text forms of a `PacketSummary`, appended to a reusable byte buffer (no per-packet `String`
/// for IPv4 traffic, which is most of it).
extension PacketSummary {
    /// The 13 tab-separated columns of `flowcast decode --format tsv`, with a newline.
    /// Columns: frame number, epoch time (9 decimals), wire length, captured length, outer
    /// source, outer destination, inner source, inner destination, protocol, source port,
    /// destination port, outermost GTPv1 TEID, outermost VLAN ID. Absent values are empty.
    public func appendTSV(number: Int, to out: inout [UInt8]) {
        // Through a cursor (one append per row; `ByteCursor`): at most 21 + 41 + 2 × 21 + 4 × 45
        // + 4 + 6 + 6 + 11 + 5 bytes of fields and 13 separators, under 384.
        out.appendWritten(maximumCount: 384) { c in
            c.decimal(number); c.byte(9)
            if hasTimestamp { c.timestamp(seconds: timestampSeconds, fraction: timestampFraction) }; c.byte(9)
            c.decimal(wireLength); c.byte(9)
            c.decimal(capturedLength); c.byte(9)
            if let outerSource { c.address(outerSource) }; c.byte(9)
            if let outerDestination { c.address(outerDestination) }; c.byte(9)
            if let innerSource { c.address(innerSource) }; c.byte(9)
            if let innerDestination { c.address(innerDestination) }; c.byte(9)
            if let ipProtocol { c.decimal(UInt64(ipProtocol)) }; c.byte(9)
            if let sourcePort { c.decimal(UInt64(sourcePort)) }; c.byte(9)
            if let destinationPort { c.decimal(UInt64(destinationPort)) }; c.byte(9)
            // A quoted packet's TEID and VLAN where the packet has none, as tshark's columns.
            if let teid = teid ?? quotedTEID { c.decimal(UInt64(teid)) }; c.byte(9)
            if let vlan = vlan ?? quotedVLAN { c.decimal(UInt64(vlan)) }
            c.byte(10)
        }
    }

    /// One JSON object (a line of `--format json`): the TSV fields by name, plus the second VLAN
    /// tag, the first two MPLS labels, the outermost GTPv1 message type, QFI, TCP flags, ICMP type
    /// and code, tunnel depth and the decode issue. Under 768 bytes, issue included.
    public func appendJSON(number: Int, to out: inout [UInt8]) {
        out.appendWritten(maximumCount: 768) { c in
            c.literal("{\"frame\":"); c.decimal(number)
            if hasTimestamp {
                c.literal(",\"time\":\""); c.timestamp(seconds: timestampSeconds, fraction: timestampFraction)
                c.byte(UInt8(ascii: "\""))
            }
            c.literal(",\"wire_len\":"); c.decimal(wireLength)
            c.literal(",\"cap_len\":"); c.decimal(capturedLength)
            func field(_ key: StaticString, _ address: IPAddress?) {
                guard let address else { return }
                c.literal(key); c.address(address); c.byte(UInt8(ascii: "\""))
            }
            func field(_ key: StaticString, _ value: UInt64?) {
                guard let value else { return }
                c.literal(key); c.decimal(value)
            }
            field(",\"outer_src\":\"", outerSource)
            field(",\"outer_dst\":\"", outerDestination)
            field(",\"inner_src\":\"", innerSource)
            field(",\"inner_dst\":\"", innerDestination)
            field(",\"proto\":", ipProtocol.map(UInt64.init))
            field(",\"sport\":", sourcePort.map(UInt64.init))
            field(",\"dport\":", destinationPort.map(UInt64.init))
            field(",\"teid\":", (teid ?? quotedTEID).map(UInt64.init))
            field(",\"vlan\":", (vlan ?? quotedVLAN).map(UInt64.init))
            field(",\"inner_vlan\":", innerVLAN.map(UInt64.init))
            field(",\"mpls\":", mplsLabel.map(UInt64.init))
            field(",\"inner_mpls\":", innerMPLSLabel.map(UInt64.init))
            field(",\"gtp_type\":", gtpMessageType.map(UInt64.init))
            field(",\"qfi\":", qfi.map(UInt64.init))
            field(",\"tcp_flags\":", tcpFlags.map(UInt64.init))
            field(",\"icmp_type\":", icmpTypeCode.map { UInt64($0 >> 8) })
            field(",\"icmp_code\":", icmpTypeCode.map { UInt64($0 & 0xFF) })
            if tunnelDepth > 0 { field(",\"tunnels\":", UInt64(tunnelDepth)) }
            if let issue {
                c.literal(",\"issue\":{\"kind\":\""); c.text(issue.kind.description)
                c.literal("\",\"layer\":\""); c.text(issue.layer.description)
                c.literal("\",\"needed\":"); c.decimal(issue.needed)
                c.literal(",\"present\":"); c.decimal(issue.present)
                c.literal(",\"offset\":"); c.decimal(issue.offset)
                c.byte(UInt8(ascii: "}"))
            }
            c.literal("}\n")
        }
    }
}
