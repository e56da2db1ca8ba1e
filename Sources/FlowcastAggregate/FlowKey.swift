public import FlowcastDecode

/// A bidirectional flow's identity: the innermost IP protocol, addresses and ports, in a
/// canonical order (the smaller endpoint first) so both directions find the same flow.
public struct FlowKey: Hashable, Sendable {
    public var low: IPAddress
    public var high: IPAddress
    public var lowPort: UInt16
    public var highPort: UInt16
    /// The IP protocol number in the low 8 bits, bit 8 set when the packet carried ports
    /// (a non-first fragment has none); 0xFFFF when the protocol is unknown.
    public var proto: UInt16

    /// The key of a decoded packet, and whether the packet travels from `low` to `high`.
    /// Returns nil for packets without an IP header.
    @inlinable public static func of(_ s: borrowing PacketSummary) -> (key: FlowKey, fromLow: Bool)? {
        guard let src = s.innerSource, let dst = s.innerDestination else { return nil }
        let sp = s.sourcePort ?? 0, dp = s.destinationPort ?? 0
        let portsBit: UInt16 = s.sourcePort != nil ? 0x100 : 0
        let proto = s.ipProtocol.map { UInt16($0) | portsBit } ?? 0xFFFF
        let srcFirst = src < dst || (src == dst && sp <= dp)
        if srcFirst {
            return (FlowKey(low: src, high: dst, lowPort: sp, highPort: dp, proto: proto), true)
        }
        return (FlowKey(low: dst, high: src, lowPort: dp, highPort: sp, proto: proto), false)
    }

    /// The IP protocol number, or nil when unknown.
    public var ipProtocol: UInt8? { proto == 0xFFFF ? nil : UInt8(truncatingIfNeeded: proto) }
    /// True when the flow's packets carry ports.
    public var hasPorts: Bool { proto != 0xFFFF && proto & 0x100 != 0 }

    @inlinable public init(low: IPAddress, high: IPAddress, lowPort: UInt16, highPort: UInt16, proto: UInt16) {
        self.low = low; self.high = high; self.lowPort = lowPort; self.highPort = highPort; self.proto = proto
    }

    /// A fast, seeded, non-cryptographic hash (multiply–xorshift mixing). The seed is random per
    /// table so crafted traffic cannot aim collisions at a running instance; output order never
    /// depends on it.
    @inlinable func hash(seed: UInt64) -> UInt64 {
        @inline(__always) func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
            let m = a.multipliedFullWidth(by: b)
            return m.high ^ m.low
        }
        var h = seed ^ 0x9E37_79B9_7F4A_7C15
        h = mix(h ^ low.high, 0xA076_1D64_78BD_642F) &+ low.low
        h = mix(h ^ high.high, 0xE703_7ED1_A0B4_28DB) &+ high.low
        let tail = UInt64(lowPort) << 48 | UInt64(highPort) << 32 | UInt64(proto) << 16
            | (low.isIPv6 ? 1 : 0) | (high.isIPv6 ? 2 : 0)
        h = mix(h ^ tail, 0x8EBC_6AF0_9C88_C6E3)
        return mix(h, 0x5899_65CC_7537_4CC3)
    }
}
