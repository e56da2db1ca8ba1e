/// Text and binary building blocks shared by every writer (TSV, JSON Lines, capture files):
/// they append to a reusable byte buffer, so per-packet output builds no `String`.
extension Array where Element == UInt8 {
    @inlinable public mutating func appendASCII(_ s: String) { append(contentsOf: s.utf8) }

    /// Appends a non-negative or negative integer in decimal (`ByteCursor.decimal`).
    @inlinable public mutating func appendDecimal(_ value: Int) {
        appendWritten(maximumCount: 21) { $0.decimal(value) }
    }

    @inlinable public mutating func appendDecimal(_ value: UInt64, minimumDigits: Int = 1) {
        appendWritten(maximumCount: Swift.max(20, minimumDigits)) { $0.decimal(value, minimumDigits: minimumDigits) }
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
        appendWritten(maximumCount: 48) { $0.timestamp(seconds: seconds, fraction: fraction) }
    }

    /// An address as inet_ntop writes it (`ByteCursor.address`); nothing for nil.
    public mutating func appendAddress(_ address: IPAddress?) {
        guard let address else { return }
        appendWritten(maximumCount: 48) { $0.address(address) }
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
        appendWritten(maximumCount: s.utf8.count * 6 + 2) { $0.jsonString(s) }
    }

    /// Appends an integer in little-endian byte order (capture file headers and records).
    @inlinable public mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
