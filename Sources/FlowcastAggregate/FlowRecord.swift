public import FlowcastDecode

/// One flow's counters. Direction 0 is A→B, where A is the source of the flow's first packet.
public struct FlowRecord: Sendable {
    public var key: FlowKey
    /// True when A is `key.low`.
    public var aIsLow: Bool
    public var packets: (UInt64, UInt64) = (0, 0)
    public var bytes: (UInt64, UInt64) = (0, 0)
    public var firstNanoseconds: Int64
    public var lastNanoseconds: Int64
    /// The record's own timestamp text parts of the first and last packets (for exact display).
    public var firstSeconds: Int64 = 0, firstFraction: Int64 = 0
    public var lastSeconds: Int64 = 0, lastFraction: Int64 = 0
    /// Capture packet number of the first packet (orders flows that start at the same time).
    public var firstPacket: Int
    /// OR of TCP flags seen per direction.
    public var tcpFlags: (UInt8, UInt8) = (0, 0)
    /// First GTP-U TEID seen per direction.
    public var teid: (UInt32?, UInt32?) = (nil, nil)
    /// Segments that re-sent sequence space already seen, per direction (a retransmission estimate).
    public var retransmissions: (UInt32, UInt32) = (0, 0)
    /// TCP segments advertising a zero window, per direction.
    public var zeroWindows: (UInt32, UInt32) = (0, 0)
    /// Next expected TCP sequence number per direction (valid when `seqValid`).
    var nextSequence: (UInt32, UInt32) = (0, 0)
    var sequenceValid: (Bool, Bool) = (false, false)
    /// Cell index the flow was first attributed to (-1: none).
    public var cell: Int32 = -1
    /// Last window index in which this flow was counted active, per the aggregator.
    var lastActiveWindow: Int64 = .min
    // Intrusive lists: least-recently-seen order and creation order (record indices, -1 = none).
    var lruPrevious: Int32 = -1, lruNext: Int32 = -1
    var agePrevious: Int32 = -1, ageNext: Int32 = -1

    public var addressA: IPAddress { aIsLow ? key.low : key.high }
    public var addressB: IPAddress { aIsLow ? key.high : key.low }
    public var portA: UInt16 { aIsLow ? key.lowPort : key.highPort }
    public var portB: UInt16 { aIsLow ? key.highPort : key.lowPort }
}

/// Why a flow left the table.
public enum FlowEndReason: String, Sendable, Codable {
    case idle, active, evicted, end
}
