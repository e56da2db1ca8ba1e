internal import FlowcastCore
public import FlowcastDecode
public import FlowcastTopology

/// What aggregation needs of one decoded packet, in 88 bytes: its flow key, the static topology
/// match, and the few fields the flow table and windows count.
///
/// The reading thread computes digests right after decoding (`PacketClassifier`), so the key and
/// the topology match run beside the decoder rather than on the aggregating thread, and the
/// batch handed across threads is a third the size of the decoded summaries it replaces. The
/// key's hash is not part of it: the flow table's seed belongs to the aggregating thread, which
/// hashes each batch (`TrafficAggregator.hashBatch`).
public struct PacketDigest: Sendable {
    public var key: FlowKey
    public var timestampNanoseconds: Int64
    public var wireLength: UInt32
    public var teid: UInt32
    public var tcpSequence: UInt32
    public var payloadLength: UInt32
    /// The cell the topology's rules place the packet in, or -1.
    public var cell: Int32
    /// The rule links the packet crosses: `links(of:)` of this range.
    public var linkLower: Int32, linkUpper: Int32
    /// The TCP window (with `hasTCP`), or the ICMP type and code (with `hasICMP`, as
    /// `PacketSummary.icmpTypeCode`): a packet has at most one of the two (they shared a field
    /// while the digest was 80 bytes).
    public var tcpWindow: UInt16
    public var tcpFlags: UInt8
    public var bits: UInt8
    /// With a TEID: the outer destination as `TunnelEnd` keeps it, for the tunnels signalling
    /// taught (a TEID is its receiving end's, so the TEID alone mixed two eNodeBs' tunnels).
    public var outerDestinationTag: UInt32
    /// `PacketSummary.ipLength`: the outermost IP datagram's bytes (in what was padding).
    public var ipLength: UInt32

    public static let hasKey: UInt8 = 1, fromLow: UInt8 = 2, hasTEID: UInt8 = 4, hasTCP: UInt8 = 8
    public static let hasIssue: UInt8 = 16, staticUplink: UInt8 = 32, hasOuter: UInt8 = 64, hasICMP: UInt8 = 128

    @inline(__always) public func has(_ bit: UInt8) -> Bool { bits & bit != 0 }
    @inline(__always) public var linkRange: Range<Int> { Int(linkLower)..<Int(linkUpper) }

    /// The digest of a packet without a topology match (cell −1, no links).
    @inlinable public init(_ s: PacketSummary) {
        var bits: UInt8 = 0
        if let (key, fromLow) = FlowKey.of(s) {
            self.key = key
            bits |= Self.hasKey | (fromLow ? Self.fromLow : 0)
        } else {
            key = FlowKey(lowHigh: 0, lowLow: 0, highHigh: 0, highLow: 0, lowPort: 0, highPort: 0, proto: 0, familyBits: 0)
        }
        timestampNanoseconds = s.timestampNanoseconds
        wireLength = UInt32(truncatingIfNeeded: s.wireLength)
        ipLength = UInt32(clamping: s.ipLength)
        if let t = s.teid { teid = t; bits |= Self.hasTEID } else { teid = 0 }
        outerDestinationTag = s.teid != nil ? s.outerDestination.map(TunnelEnd.tag) ?? 0 : 0
        tcpSequence = s.tcpSequence
        payloadLength = UInt32(clamping: s.payloadLength)
        if let f = s.tcpFlags { tcpFlags = f; bits |= Self.hasTCP } else { tcpFlags = 0 }
        if let icmp = s.icmpTypeCode { tcpWindow = icmp; bits |= Self.hasICMP } else { tcpWindow = s.tcpWindow }
        if s.issue != nil { bits |= Self.hasIssue }
        if s.outerSource != nil && s.outerDestination != nil { bits |= Self.hasOuter }
        cell = -1
        linkLower = 0; linkUpper = 0
        self.bits = bits
    }
}

/// Turns decoded packets into digests: flow key and the topology's static match.
///
/// A value type: the reading thread keeps its own copy (its own match cache); the topology is
/// immutable while a replay runs.
public struct PacketClassifier: Sendable {
    let matcher: TopologyMatcher
    let rulesUseTEID: Bool
    let rulesUseMPLS: Bool
    /// Direct-mapped cache of match results by outer addresses, VLAN (and TEID when a rule
    /// names TEIDs): most packets share a few hundred tunnel endpoint pairs, and the matcher's
    /// dictionary lookups cost more than the rest of the packet's aggregation.
    struct CachedMatch: Sendable {
        var srcHigh: UInt64 = 0, srcLow: UInt64 = 0, dstHigh: UInt64 = 0, dstLow: UInt64 = 0
        var teid: UInt32 = 0, vlan: UInt32 = 0, mpls: UInt32 = 0
        var interface: Int32 = -1
        var cell: Int32 = -1, linkLower: Int32 = 0, linkUpper: Int32 = 0
        var valid = false, uplink = false
    }
    var cache: [CachedMatch] = Array(repeating: CachedMatch(), count: 4096)

    /// True when a rule names a capture interface: the caller then passes each packet's id
    /// (`interfaceID(named:)`).
    public let rulesUseInterfaces: Bool

    /// The id `digest` takes for a capture interface's name, or nil when no rule names it.
    public func interfaceID(named name: String) -> Int32? { matcher.interfaceID(named: name) }

    public init(topology: Topology, matcher: TopologyMatcher) {
        self.matcher = matcher
        rulesUseInterfaces = !matcher.interfaceNames.isEmpty
        rulesUseTEID = topology.rules.contains { $0.teid != nil }
        rulesUseMPLS = matcher.rulesUseMPLS
    }

    @inline(__always)
    public mutating func digest(_ s: PacketSummary, interface: Int32 = -1) -> PacketDigest {
        var d = PacketDigest(s)
        guard let src = s.outerSource, let dst = s.outerDestination else { return d }
        // Most plain traffic names no rule: settled by a bit test, without touching the cache.
        let mpls = rulesUseMPLS ? s.mplsLabel : nil
        guard matcher.mayMatch(source: src, destination: dst, vlan: s.vlan, mpls: mpls) else { return d }
        let teidKey = rulesUseTEID ? (s.teid ?? 0) : 0
        let vlanKey = s.vlan.map { UInt32($0) | 0x10000 } ?? 0
        let mplsKey = mpls.map { $0 | 0x10_0000 } ?? 0
        var h = (src.low &* 0x9E37_79B9_7F4A_7C15) ^ (dst.low &* 0xC2B2_AE3D_27D4_EB4F) ^ src.high ^ (dst.high >> 1)
        h ^= UInt64(teidKey) &* 0x1656_67B1_9E37_79F9 ^ UInt64(vlanKey) << 20 ^ UInt64(mplsKey) &* 0x27D4_EB2F_1656_67C5
        let slot = Int(truncatingIfNeeded: (h ^ (h >> 29)) & 4095)
        var entry = cache.withUnsafeBufferPointer { $0[slot] }
        if !(entry.valid && entry.srcLow == src.low && entry.dstLow == dst.low && entry.srcHigh == src.high
             && entry.dstHigh == dst.high && entry.teid == teidKey && entry.vlan == vlanKey && entry.mpls == mplsKey
            && entry.interface == interface) {
            let m = matcher.match(source: src, destination: dst, teid: s.teid, vlan: s.vlan, interface: interface, mpls: mpls)
            entry = CachedMatch(srcHigh: src.high, srcLow: src.low, dstHigh: dst.high, dstLow: dst.low,
                                teid: teidKey, vlan: vlanKey, mpls: mplsKey, interface: interface, cell: -1,
                                linkLower: Int32(m.links.lowerBound), linkUpper: Int32(m.links.upperBound), valid: true)
            if let mc = m.cell {
                entry.cell = Int32(mc)
                // The rule matched on the source side when the source alone still matches.
                entry.uplink = matcher.match(source: src, destination: nil, teid: s.teid, vlan: s.vlan, interface: interface, mpls: mpls).cell == mc
            }
            cache[slot] = entry
        }
        d.cell = entry.cell; d.linkLower = entry.linkLower; d.linkUpper = entry.linkUpper
        if entry.uplink { d.bits |= PacketDigest.staticUplink }
        return d
    }

}
