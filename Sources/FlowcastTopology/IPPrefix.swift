public import FlowcastCore

/// An IPv4 or IPv6 prefix such as `10.20.0.0/16` or `2001:db8::/32`.
public struct IPPrefix: Hashable, Sendable, CustomStringConvertible {
    /// The network address with host bits cleared.
    public var network: IPAddress
    /// `network` in IPv4-mapped 128-bit form, the space the masks apply in.
    @usableFromInline var networkHigh: UInt64, networkLow: UInt64
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
        guard parts.count <= 2, let address = IPAddress(parts[0])?.unmapped else {
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
        let bits = address.mapped128
        guard bits.high & ~maskHigh == 0, bits.low & ~maskLow == 0 else { throw .hostBitsSet(text) }
        self.network = address
        (self.networkHigh, self.networkLow) = bits
        self.length = length
        self.maskHigh = maskHigh
        self.maskLow = maskLow
    }

    /// True when `address` lies inside this prefix, comparing IPv4-mapped forms: an IPv4
    /// prefix matches IPv4 addresses and the IPv4-mapped IPv6 addresses that carry them.
    @inlinable public func contains(_ address: IPAddress) -> Bool {
        let bits = address.mapped128
        return bits.high & maskHigh == networkHigh && bits.low & maskLow == networkLow
    }

    public var description: String { "\(network)/\(length)" }
}
