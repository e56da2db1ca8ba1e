public import FlowcastCore
public import FlowcastDecode

/// A bidirectional flow's identity: the innermost IP protocol, addresses and ports, in a
/// canonical order (the smaller endpoint first) so both directions find the same flow.
/// Stored as plain words (40 bytes) so a flow record stays small and comparisons are cheap.
public struct FlowKey: Hashable, Sendable {
    public var lowHigh: UInt64, lowLow: UInt64
    public var highHigh: UInt64, highLow: UInt64
    public var lowPort: UInt16
    public var highPort: UInt16
    /// The IP protocol number in the low 8 bits; bit 8 set when the packet carried ports (a
    /// non-first fragment has none); bit 9/10 when the low/high address is IPv6; 0xFFFF when
    /// the protocol is unknown (with the family bits kept in `familyBits`).
    public var proto: UInt16
    public var familyBits: UInt8

    /// The key of a decoded packet, and whether the packet travels from `low` to `high`.
    /// Returns nil for packets without an IP header.
    @inlinable public static func of(_ s: borrowing PacketSummary) -> (key: FlowKey, fromLow: Bool)? {
        guard let src = s.innerSource, let dst = s.innerDestination else { return nil }
        let sp = s.sourcePort ?? 0, dp = s.destinationPort ?? 0
        let portsBit: UInt16 = s.sourcePort != nil ? 0x100 : 0
        let proto = s.ipProtocol.map { UInt16($0) | portsBit } ?? 0xFFFF
        let srcFirst = src < dst || (src == dst && sp <= dp)
        let (lo, hi, lp, hp) = srcFirst ? (src, dst, sp, dp) : (dst, src, dp, sp)
        let family = (lo.isIPv6 ? 1 : 0) | (hi.isIPv6 ? 2 : 0) as UInt8
        return (FlowKey(lowHigh: lo.high, lowLow: lo.low, highHigh: hi.high, highLow: hi.low,
                        lowPort: lp, highPort: hp, proto: proto, familyBits: family), srcFirst)
    }

    @inlinable public init(lowHigh: UInt64, lowLow: UInt64, highHigh: UInt64, highLow: UInt64,
                           lowPort: UInt16, highPort: UInt16, proto: UInt16, familyBits: UInt8) {
        self.lowHigh = lowHigh; self.lowLow = lowLow; self.highHigh = highHigh; self.highLow = highLow
        self.lowPort = lowPort; self.highPort = highPort; self.proto = proto; self.familyBits = familyBits
    }

    public var low: IPAddress {
        familyBits & 1 != 0 ? IPAddress(ipv6High: lowHigh, low: lowLow) : IPAddress(ipv4: UInt32(truncatingIfNeeded: lowLow))
    }
    public var high: IPAddress {
        familyBits & 2 != 0 ? IPAddress(ipv6High: highHigh, low: highLow) : IPAddress(ipv4: UInt32(truncatingIfNeeded: highLow))
    }

    /// The IP protocol number, or nil when unknown.
    public var ipProtocol: UInt8? { proto == 0xFFFF ? nil : UInt8(truncatingIfNeeded: proto) }
    /// True when the flow's packets carry ports.
    public var hasPorts: Bool { proto != 0xFFFF && proto & 0x100 != 0 }

    /// A fast, seeded, non-cryptographic hash (multiply–xorshift mixing). The seed is random per
    /// table so crafted traffic cannot aim collisions at a running instance; output order never
    /// depends on it.
    @inlinable func hash(seed: UInt64) -> UInt64 {
        @inline(__always) func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
            let m = a.multipliedFullWidth(by: b)
            return m.high ^ m.low
        }
        var h = seed ^ 0x9E37_79B9_7F4A_7C15
        h = mix(h ^ lowHigh, 0xA076_1D64_78BD_642F) &+ lowLow
        h = mix(h ^ highHigh, 0xE703_7ED1_A0B4_28DB) &+ highLow
        let tail = UInt64(lowPort) << 48 | UInt64(highPort) << 32 | UInt64(proto) << 16 | UInt64(familyBits)
        h = mix(h ^ tail, 0x8EBC_6AF0_9C88_C6E3)
        return mix(h, 0x5899_65CC_7537_4CC3)
    }
}
