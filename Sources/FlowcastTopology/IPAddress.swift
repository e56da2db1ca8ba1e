#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address held as 128 bits; IPv4 is stored IPv4-mapped (`::ffff:a.b.c.d`), so
/// one comparison path serves both families without allocation.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// The high 64 bits (network byte order, most significant first).
    public var high: UInt64
    /// The low 64 bits.
    public var low: UInt64

    static let v4MappedHigh: UInt64 = 0
    static let v4MappedLowTag: UInt64 = 0x0000_FFFF_0000_0000

    /// An IPv6 address from its two 64-bit halves.
    @inlinable public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// An IPv4 address from its 32-bit value in host order (`10.0.0.1` is `0x0A000001`).
    @inlinable public init(ipv4: UInt32) {
        self.high = 0
        self.low = 0x0000_FFFF_0000_0000 | UInt64(ipv4)
    }

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
            self.init(high: h, low: l)
        default:
            return nil
        }
    }

    /// True when this is an IPv4(-mapped) address.
    @inlinable public var isIPv4: Bool { high == 0 && (low >> 32) == 0x0000_FFFF }

    /// The IPv4 value when `isIPv4`.
    public var ipv4: UInt32? { isIPv4 ? UInt32(truncatingIfNeeded: low) : nil }

    /// Parses dotted-quad IPv4 or textual IPv6.
    public init?(_ text: String) {
        var v4 = in_addr()
        if text.withCString({ inet_pton(AF_INET, $0, &v4) }) == 1 {
            self.init(ipv4: UInt32(bigEndian: v4.s_addr))
            return
        }
        var v6 = in6_addr()
        guard text.withCString({ inet_pton(AF_INET6, $0, &v6) }) == 1 else { return nil }
        let parsed: IPAddress? = withUnsafeBytes(of: &v6) { IPAddress(bytes: $0) }
        guard let parsed else { return nil }
        self = parsed
    }

    public var description: String {
        if let v4 = ipv4 {
            return "\(v4 >> 24).\(v4 >> 16 & 0xFF).\(v4 >> 8 & 0xFF).\(v4 & 0xFF)"
        }
        var groups: [String] = []
        for word in [high, low] {
            for shift in stride(from: 48, through: 0, by: -16) {
                groups.append(String((word >> UInt64(shift)) & 0xFFFF, radix: 16))
            }
        }
        return groups.joined(separator: ":")
    }
}

/// An IPv4 or IPv6 prefix such as `10.20.0.0/16` or `2001:db8::/32`.
public struct IPPrefix: Hashable, Sendable, CustomStringConvertible {
    /// The network address with host bits cleared.
    public var network: IPAddress
    /// The prefix length in the address's own family (0–32 for IPv4, 0–128 for IPv6).
    public var length: Int
    @usableFromInline var maskHigh: UInt64
    @usableFromInline var maskLow: UInt64

    /// Why a prefix failed to parse.
    public enum ParseError: Error, Equatable, Sendable {
        case badAddress(String)
        case badLength(String)
        case hostBitsSet(String)
    }

    /// Parses `address/length`; a bare address is a host prefix. Host bits must be zero.
    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else {
            throw .badAddress(text)
        }
        let maxLength = address.isIPv4 ? 32 : 128
        var length = maxLength
        if parts.count == 2 {
            guard let n = Int(parts[1]), n >= 0, n <= maxLength else { throw .badLength(text) }
            length = n
        }
        let mapped = address.isIPv4 ? length + 96 : length
        let maskHigh: UInt64 = mapped >= 64 ? .max : (mapped == 0 ? 0 : ~(UInt64.max >> UInt64(mapped)))
        let lowBits = max(0, mapped - 64)
        let maskLow: UInt64 = lowBits >= 64 ? .max : (lowBits == 0 ? 0 : ~(UInt64.max >> UInt64(lowBits)))
        guard address.high & ~maskHigh == 0, address.low & ~maskLow == 0 else { throw .hostBitsSet(text) }
        self.network = address
        self.length = length
        self.maskHigh = maskHigh
        self.maskLow = maskLow
    }

    /// True when `address` lies inside this prefix. IPv4 prefixes match only IPv4 addresses.
    @inlinable public func contains(_ address: IPAddress) -> Bool {
        address.high & maskHigh == network.high && address.low & maskLow == network.low
    }

    public var description: String { "\(network)/\(length)" }
}
