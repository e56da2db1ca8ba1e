/// An IPv4 or IPv6 address held inline (no heap), printed as tshark prints it.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The upper 64 bits of an IPv6 address; 0 for IPv4.
    public var high: UInt64
    /// The lower 64 bits of an IPv6 address, or the IPv4 address in the low 32 bits.
    public var low: UInt64
    /// True for IPv6.
    public var isIPv6: Bool

    @inlinable public init(ipv4: UInt32) { high = 0; low = UInt64(ipv4); isIPv6 = false }
    @inlinable public init(ipv6High: UInt64, low: UInt64) { high = ipv6High; self.low = low; isIPv6 = true }

    /// An address from 4 or 16 bytes in network order; nil for any other length.
    @inlinable public init?(bytes: UnsafeRawBufferPointer) {
        switch bytes.count {
        case 4:
            var v: UInt32 = 0
            for i in 0..<4 { v = v << 8 | UInt32(bytes[i]) }
            self.init(ipv4: v)
        case 16:
            var h: UInt64 = 0, l: UInt64 = 0
            for i in 0..<8 { h = h << 8 | UInt64(bytes[i]) }
            for i in 8..<16 { l = l << 8 | UInt64(bytes[i]) }
            self.init(ipv6High: h, low: l)
        default:
            return nil
        }
    }

    /// The IPv4 address as a 32-bit number (meaningless for IPv6).
    @inlinable public var ipv4: UInt32 { UInt32(truncatingIfNeeded: low) }

    /// True for IPv4.
    @inlinable public var isIPv4: Bool { !isIPv6 }

    /// The address as 128 bits with IPv4 `a.b.c.d` written IPv4-mapped (`::ffff:a.b.c.d`,
    /// RFC 4291 §2.5.5.2): one number space in which prefixes of both families are masks.
    @inlinable public var mapped128: (high: UInt64, low: UInt64) {
        isIPv6 ? (high, low) : (0, 0x0000_FFFF_0000_0000 | low)
    }

    /// An IPv4-mapped IPv6 address as the IPv4 address it carries; any other address unchanged.
    /// Topology rules name a host once, whichever family the packet carries it in.
    @inlinable public var unmapped: IPAddress {
        isIPv6 && high == 0 && low >> 32 == 0x0000_FFFF ? IPAddress(ipv4: UInt32(truncatingIfNeeded: low)) : self
    }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text.
    public init?(_ text: String) { self.init(text[...]) }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (including `::` and an embedded IPv4 tail).
    public init?(_ text: Substring) {
        if !text.contains(":") {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var value: UInt32 = 0
            for part in parts {
                // As inet_pton: 1–3 decimal digits, no leading zero (which other parsers read as octal).
                guard !part.isEmpty, part.count <= 3, part.count == 1 || part.first != "0",
                      part.allSatisfy({ $0 >= "0" && $0 <= "9" }), let octet = UInt8(part) else { return nil }
                value = value << 8 | UInt32(octet)
            }
            self.init(ipv4: value)
            return
        }
        var words: [UInt16] = []
        var gap: Int? = nil
        var rest = text[...]
        if rest.hasPrefix("::") { gap = 0; rest = rest.dropFirst(2) }
        while !rest.isEmpty {
            let piece: Substring
            if let colon = rest.firstIndex(of: ":") { piece = rest[..<colon]; rest = rest[rest.index(after: colon)...] } else { piece = rest; rest = "" }
            if piece.isEmpty {
                guard gap == nil else { return nil }
                gap = words.count
                continue
            }
            if piece.contains(".") {
                guard rest.isEmpty, let v4 = IPAddress(piece), !v4.isIPv6 else { return nil }
                words.append(UInt16(v4.ipv4 >> 16)); words.append(UInt16(v4.ipv4 & 0xFFFF))
                continue
            }
            guard piece.count <= 4, piece.allSatisfy(\.isHexDigit), let word = UInt16(piece, radix: 16) else { return nil }
            words.append(word)
        }
        if let gap {
            guard words.count < 8 else { return nil }
            words.insert(contentsOf: repeatElement(0, count: 8 - words.count), at: gap)
        }
        guard words.count == 8 else { return nil }
        var hi: UInt64 = 0, lo: UInt64 = 0
        for i in 0..<4 { hi = hi << 16 | UInt64(words[i]) }
        for i in 4..<8 { lo = lo << 16 | UInt64(words[i]) }
        self.init(ipv6High: hi, low: lo)
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        if a.isIPv6 != b.isIPv6 { return !a.isIPv6 }
        return (a.high, a.low) < (b.high, b.low)
    }

    /// IPv4 dotted quad; IPv6 in RFC 5952 form as glibc's `inet_ntop` writes it (which is what
    /// tshark prints): lowercase, the longest run of two or more zero words as `::` (first run on
    /// ties), and an embedded IPv4 tail for IPv4-mapped and IPv4-compatible addresses.
    public var description: String {
        var out: [UInt8] = []
        out.appendAddress(self)
        return String(decoding: out, as: UTF8.self)
    }

}

extension IPAddress {
    /// Why a router cannot use this address as a gateway in a route, or nil when it can: the
    /// unspecified address, a loopback, multicast or the IPv4 broadcast address, and IPv6
    /// link-local (Linux takes an `fe80::/10` gateway only with the outgoing device, which a
    /// route exporter does not know: "Egress device not specified").
    public var nextHopProblem: String? {
        if isIPv6 {
            if high == 0 && low == 0 { return "the unspecified address" }
            if high == 0 && low == 1 { return "the loopback address" }
            if high >> 56 == 0xFF { return "a multicast address" }
            if high >> 54 == 0x3FA { return "link-local (fe80::/10: a route through it needs its outgoing device, which Flowcast does not know)" }
            return nil
        }
        let v = ipv4
        if v == 0 { return "the unspecified address" }
        if v >> 24 == 127 { return "a loopback address" }
        if v >> 28 == 0xE { return "a multicast address" }
        if v == 0xFFFF_FFFF { return "the broadcast address" }
        return nil
    }
}
