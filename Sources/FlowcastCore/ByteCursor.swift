/// A write position in a buffer of known size, for output lines built many small pieces at a
/// time (a flow's JSON line is about forty). Appending each piece to a `[UInt8]` pays the
/// array's uniqueness and capacity checks and a call per piece: on a capture of 300k short flows
/// that was about a fifth of replay's CPU. A cursor writes with plain stores and the line goes to
/// the output array in one append (`Array.appendWritten`).
///
/// Every piece checks, once, that it fits (a `precondition`, kept in release builds): a bound
/// that is wrong stops the program rather than writing past the buffer.
public struct ByteCursor {
    @usableFromInline var position: UnsafeMutablePointer<UInt8>
    @usableFromInline let end: UnsafeMutablePointer<UInt8>

    @inlinable public init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        position = buffer.baseAddress!
        end = buffer.baseAddress! + buffer.count
    }

    @inlinable mutating func reserve(_ count: Int) {
        precondition(end - position >= count, "ByteCursor: the line is longer than its bound")
    }

    @inlinable public mutating func byte(_ b: UInt8) {
        reserve(1)
        position.pointee = b
        position += 1
    }

    @inlinable public mutating func literal(_ s: StaticString) {
        let n = s.utf8CodeUnitCount
        reserve(n)
        position.update(from: s.utf8Start, count: n)
        position += n
    }

    /// The UTF-8 bytes of `s` as they are (no escaping).
    @inlinable public mutating func text(_ s: String) {
        var s = s
        s.withUTF8 { bytes in
            reserve(bytes.count)
            guard let base = bytes.baseAddress else { return }
            position.update(from: base, count: bytes.count)
            position += bytes.count
        }
    }

    /// Digits counted by comparison and written two at a time from a table of the pairs
    /// 00–99: a flow's JSON line has about twenty numbers.
    @inlinable public mutating func decimal(_ value: UInt64, minimumDigits: Int = 1) {
        var digits = 1, power: UInt64 = 10
        while digits < 20 && value >= power { digits += 1; power = power &* 10 }
        let n = Swift.max(digits, minimumDigits)
        reserve(n)
        var p = position + n, v = value
        let pairs = ByteCursor.digitPairs.utf8Start
        while v >= 10 {
            let pair = Int(truncatingIfNeeded: v % 100) &* 2
            v /= 100
            p -= 2
            p[0] = pairs[pair]; p[1] = pairs[pair &+ 1]
        }
        // One digit (or none) left above the pairs; then the zeros that pad to `minimumDigits`.
        if v > 0 || p == position + n { p -= 1; p.pointee = UInt8(truncatingIfNeeded: v) &+ 48 }
        while p > position { p -= 1; p.pointee = 48 }
        position += n
    }

    @inlinable static var digitPairs: StaticString { "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899" }

    @inlinable public mutating func decimal(_ value: Int) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        decimal(UInt64(value.magnitude))
    }

    /// Seconds since the epoch with (at least) nine decimals: `Array.appendTimestamp`.
    @inlinable public mutating func timestamp(seconds: Int64, fraction: Int64) {
        if seconds < 0 || fraction < 0 { byte(UInt8(ascii: "-")) }
        decimal(seconds.magnitude)
        byte(UInt8(ascii: "."))
        decimal(fraction.magnitude, minimumDigits: 9)
    }

    public mutating func dottedQuad(_ v: UInt32) {
        decimal(UInt64(v >> 24)); byte(UInt8(ascii: "."))
        decimal(UInt64(v >> 16 & 0xFF)); byte(UInt8(ascii: "."))
        decimal(UInt64(v >> 8 & 0xFF)); byte(UInt8(ascii: "."))
        decimal(UInt64(v & 0xFF))
    }

    /// Lower-case hexadecimal without leading zeros.
    public mutating func hex(_ value: UInt16) {
        var shift = 12
        while shift > 0 && (value >> UInt16(shift)) == 0 { shift -= 4 }
        reserve(shift / 4 + 1)
        while shift >= 0 {
            let nibble = UInt8(truncatingIfNeeded: value >> UInt16(shift)) & 0xF
            position.pointee = nibble < 10 ? 48 &+ nibble : 87 &+ nibble
            position += 1
            shift -= 4
        }
    }

    /// An address as inet_ntop writes it: dotted quad, or IPv6 per RFC 5952 (the longest run of
    /// two or more zero words, the first of equals, as "::"; ::a.b.c.d and ::ffff:a.b.c.d).
    public mutating func address(_ address: IPAddress) {
        guard address.isIPv6 else { dottedQuad(address.ipv4); return }
        @inline(__always) func word(_ i: Int) -> UInt16 {
            UInt16(truncatingIfNeeded: (i < 4 ? address.high : address.low) >> (48 - 16 * UInt64(i & 3)))
        }
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
        var lastWasColon = false, wroteAny = false
        var i = 0
        while i < 8 {
            if i == bestStart {
                byte(58); byte(58)
                lastWasColon = true; wroteAny = true
                i += bestLength
                continue
            }
            if i == 6 && bestStart == 0 && (bestLength == 6 || (bestLength == 5 && word(5) == 0xFFFF)) {
                if !lastWasColon { byte(58) }
                dottedQuad(UInt32(word(6)) << 16 | UInt32(word(7)))
                return
            }
            if wroteAny && !lastWasColon { byte(58) }
            hex(word(i))
            lastWasColon = false; wroteAny = true
            i += 1
        }
    }

    /// A JSON string literal with the escapes RFC 8259 requires.
    public mutating func jsonString(_ s: String) {
        var s = s
        s.withUTF8 { bytes in
            reserve(bytes.count * 6 + 2)
            var p = position
            p.pointee = UInt8(ascii: "\""); p += 1
            for b in bytes {
                switch b {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    p[0] = UInt8(ascii: "\\"); p[1] = b; p += 2
                case 0..<0x20:
                    let hex: StaticString = "0123456789abcdef"
                    p[0] = UInt8(ascii: "\\"); p[1] = UInt8(ascii: "u"); p[2] = 48; p[3] = 48
                    p[4] = hex.utf8Start[Int(b >> 4)]; p[5] = hex.utf8Start[Int(b & 0xF)]
                    p += 6
                default:
                    p.pointee = b; p += 1
                }
            }
            p.pointee = UInt8(ascii: "\""); p += 1
            position = p
        }
    }
}

extension Array where Element == UInt8 {
    /// Appends what `body` writes, at most `maximumCount` bytes, in one append: `body` writes
    /// into a scratch buffer on the stack (on the heap past a few kilobytes).
    @inlinable public mutating func appendWritten(maximumCount: Int, _ body: (inout ByteCursor) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maximumCount) { scratch in
            var cursor = ByteCursor(scratch)
            body(&cursor)
            append(contentsOf: UnsafeBufferPointer(start: scratch.baseAddress, count: cursor.position - scratch.baseAddress!))
        }
    }
}
