/// An IPv4 or IPv6 address held inline (no heap), printed as tshark prints it.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The upper 64 bits of an IPv6 address; 0 for IPv4.
    public var high: UInt64
    /// The lower 64 bits of an IPv6 address, or the IPv4 address in the low 32 bits.
    public var low: UInt64
    /// True for IPv6.
    public var isIPv6: Bool

    public init(ipv4: UInt32) { high = 0; low = UInt64(ipv4); isIPv6 = false }
    public init(ipv6High: UInt64, low: UInt64) { high = ipv6High; self.low = low; isIPv6 = true }

    /// The IPv4 address as a 32-bit number (meaningless for IPv6).
    public var ipv4: UInt32 { UInt32(truncatingIfNeeded: low) }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (including `::` and an embedded IPv4 tail).
    public init?(_ text: Substring) {
        if !text.contains(":") {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var value: UInt32 = 0
            for part in parts {
                guard !part.isEmpty, part.count <= 3, let octet = UInt8(part) else { return nil }
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
            guard piece.count <= 4, let word = UInt16(piece, radix: 16) else { return nil }
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
