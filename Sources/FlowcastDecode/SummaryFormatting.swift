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
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
        Swift.withUnsafeMutableBytes(of: &digits) { raw in
            let d = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var count = 0
            var v = value
            repeat {
                d[23 - count] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
                count += 1
            } while v > 0 || count < minimumDigits
            append(contentsOf: UnsafeBufferPointer(start: d + 24 - count, count: count))
        }
    }

    /// Appends a string literal's bytes (no String machinery: for per-line output).
    @inlinable public mutating func appendLiteral(_ s: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
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
        guard address.isIPv6 else { appendDottedQuad(address.ipv4); return }
        var words: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0, 0, 0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &words) { raw in
            for i in 0..<4 {
                raw.storeBytes(of: UInt16(truncatingIfNeeded: address.high >> (48 - 16 * UInt64(i))), toByteOffset: 2 * i, as: UInt16.self)
                raw.storeBytes(of: UInt16(truncatingIfNeeded: address.low >> (48 - 16 * UInt64(i))), toByteOffset: 8 + 2 * i, as: UInt16.self)
            }
        }
        Swift.withUnsafeBytes(of: &words) { raw in
            let word = { (i: Int) in raw.load(fromByteOffset: 2 * i, as: UInt16.self) }
            // RFC 5952: the longest run of two or more zero words (the first of equals) becomes "::".
            var bestStart = -1, bestLength = 0, runStart = -1
            for i in 0...8 {
                if i < 8 && word(i) == 0 {
                    if runStart < 0 { runStart = i }
                } else if runStart >= 0 {
                    if i - runStart > bestLength { bestStart = runStart; bestLength = i - runStart }
                    runStart = -1
                }
            }
            if bestLength < 2 { bestStart = -1 }
            let begin = count
            var i = 0
            while i < 8 {
                if i == bestStart {
                    append(58); append(58)
                    i += bestLength
                    continue
                }
                // inet_ntop's embedded-IPv4 rule: ::a.b.c.d and ::ffff:a.b.c.d
                if i == 6 && bestStart == 0 && (bestLength == 6 || (bestLength == 5 && word(5) == 0xFFFF)) {
                    if last != 58 { append(58) }
                    appendDottedQuad(UInt32(word(6)) << 16 | UInt32(word(7)))
                    return
                }
                if count > begin && last != 58 { append(58) }
                appendHex(word(i))
                i += 1
            }
        }
    }

    /// Lower-case hexadecimal without leading zeros.
    mutating func appendHex(_ value: UInt16) {
        var shift = 12
        while shift > 0 && (value >> UInt16(shift)) == 0 { shift -= 4 }
        while shift >= 0 {
            let nibble = UInt8(truncatingIfNeeded: value >> UInt16(shift)) & 0xF
            append(nibble < 10 ? 48 &+ nibble : 87 &+ nibble)
            shift -= 4
        }
    }

    mutating func appendDottedQuad(_ v: UInt32) {
        appendDecimal(UInt64(v >> 24)); append(UInt8(ascii: "."))
        appendDecimal(UInt64(v >> 16 & 0xFF)); append(UInt8(ascii: "."))
        appendDecimal(UInt64(v >> 8 & 0xFF)); append(UInt8(ascii: "."))
        appendDecimal(UInt64(v & 0xFF))
    }
}
