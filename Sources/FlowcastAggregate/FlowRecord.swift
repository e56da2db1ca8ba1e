public import FlowcastCore
internal import FlowcastDecode

/// One flow's counters (168 bytes). Direction 0 is A→B, where A is the source of the flow's
/// first packet.
public struct FlowRecord: Sendable {
    public var key: FlowKey
    /// TCP handshake: bit 0: a SYN without ACK was seen, 1: `initialRTT` is valid, 2: that SYN
    /// went B→A (its time is then `advanceMicros.1`, else `.0`). Fills the byte after the key.
    var tcpState: UInt8 = 0
    public var packets: (UInt64, UInt64) = (0, 0)
    /// Frame bytes (as captured on the wire: link-layer header, padding and trailer included).
    public var bytes: (UInt64, UInt64) = (0, 0)
    /// Bytes of the packets' outermost IP datagrams (`PacketSummary.ipLength`): what IPFIX's
    /// `octetDeltaCount` counts. Until 7 December 2026 IPFIX sent the frame bytes there, 2 % more
    /// on the demo and 50 % more on a stream of TCP acknowledgements (40 bytes in 60-byte frames).
    public var ipBytes: (UInt64, UInt64) = (0, 0)
    public var firstNanoseconds: Int64
    public var lastNanoseconds: Int64
    /// Capture packet number of the first packet (orders flows that start at the same time).
    public var firstPacket: Int
    /// First GTP-U TEID seen per direction (valid when `hasTEID`).
    var teidValue: (UInt32, UInt32) = (0, 0)
    /// Segments that re-sent sequence space already seen, per direction (a retransmission estimate).
    public var retransmissions: (UInt32, UInt32) = (0, 0)
    /// TCP segments advertising a zero window, per direction.
    public var zeroWindows: (UInt32, UInt32) = (0, 0)
    /// Next expected TCP sequence number per direction (valid per `flags`).
    var nextSequence: (UInt32, UInt32) = (0, 0)
    /// Capture time, in microseconds modulo 2³², of the segment that last advanced
    /// `nextSequence` per direction (Wireshark's `nextseqtime`); differences wrap, so a gap is
    /// exact up to 71 minutes, far beyond the default timeouts.
    var advanceMicros: (UInt32, UInt32) = (0, 0)
    /// Last window index in which this flow was counted active (low 32 bits).
    var lastActiveWindow: Int32 = .min
    /// Cell index the flow was first attributed to (-1: none).
    public var cell: Int32 = -1
    /// OR of TCP flags seen per direction.
    public var tcpFlags: (UInt8, UInt8) = (0, 0)
    /// ICMP/ICMPv6 type (high byte) and code of the first message seen per direction; 0xFFFF
    /// none yet (a message of type 255 code 255, reserved in both families, reads as none).
    var icmpValue: (UInt16, UInt16) = (0xFFFF, 0xFFFF)
    /// Bit 0: A is `key.low`; 1/2: TEID seen A→B / B→A; 3/4: sequence valid A→B / B→A;
    /// 5: the uplink direction is known, 6: and it is A→B; 7: live.
    var flags: UInt8
    /// TCP initial round-trip time (the latest SYN without ACK to the first ACK without SYN) as a
    /// small float, `(16 + low 4 bits) << high 4 bits` µs (`FlowTable.initialRTTMicros`): 16 µs
    /// to 1.02 s, rounded down by less than 1/16; valid when `tcpState & 2`. Fills the last byte.
    var initialRTT: UInt8 = 0

    init(key: FlowKey, aIsLow: Bool, now: Int64, firstPacket: Int) {
        self.key = key
        firstNanoseconds = now
        lastNanoseconds = now
        self.firstPacket = firstPacket
        flags = (aIsLow ? 1 : 0) | 0x80
    }

    /// True when A is `key.low`.
    public var aIsLow: Bool { flags & 1 != 0 }
    var isLive: Bool { flags & 0x80 != 0 }
    public var addressA: IPAddress { aIsLow ? key.low : key.high }
    public var addressB: IPAddress { aIsLow ? key.high : key.low }
    public var portA: UInt16 { aIsLow ? key.lowPort : key.highPort }
    public var portB: UInt16 { aIsLow ? key.highPort : key.lowPort }
    /// True when A→B is the uplink, false when B→A is, nil when nothing placed the flow in a
    /// cell (as its first packet's direction was judged; see `TrafficAggregator`).
    public var abIsUplink: Bool? { flags & 0x20 != 0 ? flags & 0x40 != 0 : nil }
    /// Type and code (type in the high byte) of the first ICMP or ICMPv6 message seen per
    /// direction; nil for other protocols and directions without a readable message.
    public var icmpTypeCode: (UInt16?, UInt16?) {
        (icmpValue.0 == 0xFFFF ? nil : icmpValue.0, icmpValue.1 == 0xFFFF ? nil : icmpValue.1)
    }
    /// First GTP-U TEID seen per direction.
    public var teid: (UInt32?, UInt32?) {
        (flags & 2 != 0 ? teidValue.0 : nil, flags & 4 != 0 ? teidValue.1 : nil)
    }
}

/// Why a flow left the table.
public enum FlowEndReason: String, Sendable, Codable {
    case idle, active, evicted, end
}
