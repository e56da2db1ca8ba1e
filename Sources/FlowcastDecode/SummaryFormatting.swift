/// Text forms of a `PacketSummary`, appended to a reusable byte buffer (no per-packet `String`
/// for IPv4 traffic, which is most of it).
extension PacketSummary {
    /// The 13 tab-separated columns of `flowcast decode --format tsv`, with a newline.
    /// Columns: frame number, epoch time (9 decimals), wire length, captured length, outer
    /// source, outer destination, inner source, inner destination, protocol, source port,
    /// destination port, outermost GTPv1 TEID, outermost VLAN ID. Absent values are empty.
    public func appendTSV(number: Int, to out: inout [UInt8]) {
        out.appendDecimal(number); out.append(9)
        out.appendTimestamp(seconds: timestampSeconds, fraction: timestampFraction); out.append(9)
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
        out.appendASCII(",\"time\":\""); out.appendTimestamp(seconds: timestampSeconds, fraction: timestampFraction)
        out.appendASCII("\",\"wire_len\":"); out.appendDecimal(wireLength)
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

/// Text building blocks shared by every line-oriented output (TSV, JSON Lines).
extension Array where Element == UInt8 {
    @inlinable public mutating func appendASCII(_ s: String) { append(contentsOf: s.utf8) }

    /// Appends a non-negative or negative integer in decimal.
    public mutating func appendDecimal(_ value: Int) {
        if value < 0 { append(UInt8(ascii: "-")); appendDecimal(UInt64(value.magnitude)); return }
        appendDecimal(UInt64(value))
    }

    public mutating func appendDecimal(_ value: UInt64, minimumDigits: Int = 1) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var v = value
        Swift.withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[19 - count] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
                count += 1
            } while v > 0 || count < minimumDigits
            append(contentsOf: d[(20 - count)...])
        }
    }

    /// Seconds since the epoch with (at least) nine decimals, as the record stores them.
    /// Follows Wireshark's rendering of a stored time: a minus sign when either part is
    /// negative, then both magnitudes; a fraction of 1e9 or more is shown as stored rather than
    /// silently carried into the seconds, so a corrupt record stays visible.
    public mutating func appendTimestamp(seconds: Int64, fraction: Int64) {
        if seconds < 0 || fraction < 0 { append(UInt8(ascii: "-")) }
        appendDecimal(seconds.magnitude)
        append(UInt8(ascii: "."))
        appendDecimal(fraction.magnitude, minimumDigits: 9)
    }

    public mutating func appendAddress(_ address: IPAddress?) {
        guard let address else { return }
        if address.isIPv6 { appendASCII(address.description); return }
        let v = address.ipv4
        appendDecimal(UInt64(v >> 24)); append(UInt8(ascii: "."))
        appendDecimal(UInt64(v >> 16 & 0xFF)); append(UInt8(ascii: "."))
        appendDecimal(UInt64(v >> 8 & 0xFF)); append(UInt8(ascii: "."))
        appendDecimal(UInt64(v & 0xFF))
    }
}
