/// Text and binary building blocks shared by every writer (TSV, JSON Lines, capture files):
/// they append to a reusable byte buffer, so per-packet output builds no `String`.
extension Array where Element == UInt8 {
    @inlinable public mutating func appendASCII(_ s: String) { append(contentsOf: s.utf8) }

    /// Appends a non-negative or negative integer in decimal.
    @inlinable public mutating func appendDecimal(_ value: Int) {
        if value < 0 { append(UInt8(ascii: "-")); appendDecimal(UInt64(value.magnitude)); return }
        appendDecimal(UInt64(value))
    }

    @inlinable public mutating func appendDecimal(_ value: UInt64, minimumDigits: Int = 1) {
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
    @inlinable public mutating func appendTimestamp(seconds: Int64, fraction: Int64) {
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
    public mutating func appendHex(_ value: UInt16) {
        var shift = 12
        while shift > 0 && (value >> UInt16(shift)) == 0 { shift -= 4 }
        while shift >= 0 {
            let nibble = UInt8(truncatingIfNeeded: value >> UInt16(shift)) & 0xF
            append(nibble < 10 ? 48 &+ nibble : 87 &+ nibble)
            shift -= 4
        }
    }

    public mutating func appendDottedQuad(_ v: UInt32) {
        appendDecimal(UInt64(v >> 24)); append(UInt8(ascii: "."))
        appendDecimal(UInt64(v >> 16 & 0xFF)); append(UInt8(ascii: "."))
        appendDecimal(UInt64(v >> 8 & 0xFF)); append(UInt8(ascii: "."))
        appendDecimal(UInt64(v & 0xFF))
    }

    /// Seconds with up to nine decimals and no trailing zeros (`10`, `0.5`, `1700000000.25`).
    public mutating func appendSeconds(_ nanoseconds: Int64) {
        if nanoseconds < 0 { append(UInt8(ascii: "-")) }
        let magnitude = nanoseconds.magnitude
        appendDecimal(magnitude / 1_000_000_000)
        var fraction = magnitude % 1_000_000_000
        guard fraction != 0 else { return }
        var digits = 9
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        append(UInt8(ascii: "."))
        appendDecimal(fraction, minimumDigits: digits)
    }

    /// A JSON string literal with the escapes RFC 8259 requires.
    public mutating func appendJSONString(_ s: String) {
        append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): appendASCII("\\\"")
            case UInt8(ascii: "\\"): appendASCII("\\\\")
            case 0..<0x20:
                appendASCII("\\u00")
                let hex = Array("0123456789abcdef".utf8)
                append(hex[Int(byte >> 4)]); append(hex[Int(byte & 0xF)])
            default: append(byte)
            }
        }
        append(UInt8(ascii: "\""))
    }

    /// Appends an integer in little-endian byte order (capture file headers and records).
    @inlinable public mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
