internal import FlowcastCore
/// Text forms of a `PacketSummary`, appended to a reusable byte buffer (no per-packet `String`
/// for IPv4 traffic, which is most of it).
extension PacketSummary {
    /// The 13 tab-separated columns of `flowcast decode --format tsv`, with a newline.
    /// Columns: frame number, epoch time (9 decimals), wire length, captured length, outer
    /// source, outer destination, inner source, inner destination, protocol, source port,
    /// destination port, outermost GTPv1 TEID, outermost VLAN ID. Absent values are empty.
    public func appendTSV(number: Int, to out: inout [UInt8]) {
        out.appendDecimal(number); out.append(9)
        if hasTimestamp { out.appendTimestamp(seconds: timestampSeconds, fraction: timestampFraction) }; out.append(9)
        out.appendDecimal(wireLength); out.append(9)
        out.appendDecimal(capturedLength); out.append(9)
        out.appendAddress(outerSource); out.append(9)
        out.appendAddress(outerDestination); out.append(9)
        out.appendAddress(innerSource); out.append(9)
        out.appendAddress(innerDestination); out.append(9)
        if let ipProtocol { out.appendDecimal(Int(ipProtocol)) }; out.append(9)
        if let sourcePort { out.appendDecimal(Int(sourcePort)) }; out.append(9)
        if let destinationPort { out.appendDecimal(Int(destinationPort)) }; out.append(9)
        if let teid { out.appendDecimal(Int(teid)) }; out.append(9)
        if let vlan { out.appendDecimal(Int(vlan)) }
        out.append(10)
    }

    /// One JSON object (a line of `--format json`): the TSV fields by name, plus QFI, TCP flags,
    /// tunnel depth and the decode issue.
    public func appendJSON(number: Int, to out: inout [UInt8]) {
        out.appendASCII("{\"frame\":"); out.appendDecimal(number)
        if hasTimestamp {
            out.appendASCII(",\"time\":\""); out.appendTimestamp(seconds: timestampSeconds, fraction: timestampFraction)
            out.append(UInt8(ascii: "\""))
        }
        out.appendASCII(",\"wire_len\":"); out.appendDecimal(wireLength)
        out.appendASCII(",\"cap_len\":"); out.appendDecimal(capturedLength)
        func field(_ name: String, _ address: IPAddress?, to out: inout [UInt8]) {
            guard let address else { return }
            out.appendASCII(",\"\(name)\":\""); out.appendAddress(address); out.append(UInt8(ascii: "\""))
        }
        func field(_ name: String, _ value: Int?, to out: inout [UInt8]) {
            guard let value else { return }
            out.appendASCII(",\"\(name)\":"); out.appendDecimal(value)
        }
        field("outer_src", outerSource, to: &out)
        field("outer_dst", outerDestination, to: &out)
        field("inner_src", innerSource, to: &out)
        field("inner_dst", innerDestination, to: &out)
        field("proto", ipProtocol.map(Int.init), to: &out)
        field("sport", sourcePort.map(Int.init), to: &out)
        field("dport", destinationPort.map(Int.init), to: &out)
        field("teid", teid.map(Int.init), to: &out)
        field("vlan", vlan.map(Int.init), to: &out)
        field("qfi", qfi.map(Int.init), to: &out)
        field("tcp_flags", tcpFlags.map(Int.init), to: &out)
        if tunnelDepth > 0 { field("tunnels", Int(tunnelDepth), to: &out) }
        if let issue {
            out.appendASCII(",\"issue\":{\"kind\":\"\(issue.kind)\",\"layer\":\"\(issue.layer)\",\"needed\":\(issue.needed),\"present\":\(issue.present),\"offset\":\(issue.offset)}")
        }
        out.appendASCII("}\n")
    }
}
