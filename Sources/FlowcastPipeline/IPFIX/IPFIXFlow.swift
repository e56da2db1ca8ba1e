public import FlowcastAggregate
public import FlowcastCore

/// What the exporter sends of one ended flow: the flow record's counters and identity plus what
/// only the pipeline knows (end reason, cell, tunnel endpoints). A value copied out of the flow
/// table on the aggregating thread and encoded on the exporter's own.
public struct IPFIXFlow: Sendable {
    /// Unique per run: the capture packet number of the flow's first packet, plus one (with the
    /// capture's index in the top 16 bits when a live run has several, `IPFIXFlowSource`).
    public var flowID: UInt64
    /// The IP protocol number; nil when the decoder did not know it.
    public var ipProtocol: UInt8?
    /// A is the source of the flow's first packet.
    public var addressA: IPAddress, addressB: IPAddress
    public var portA: UInt16, portB: UInt16
    public var packets: (ab: UInt64, ba: UInt64)
    /// Frame bytes (`layer2OctetDeltaCount`).
    public var bytes: (ab: UInt64, ba: UInt64)
    /// Bytes of the outermost IP datagrams (`octetDeltaCount`).
    public var ipBytes: (ab: UInt64, ba: UInt64)
    public var firstNanoseconds: Int64, lastNanoseconds: Int64
    public var tcpFlags: (ab: UInt8, ba: UInt8)
    /// ICMP/ICMPv6 type (high byte) and code of each direction's first message.
    public var icmpTypeCode: (ab: UInt16?, ba: UInt16?) = (nil, nil)
    public var teid: (ab: UInt32?, ba: UInt32?)
    /// True when A→B is the uplink; the aggregator's rule when nothing placed the flow.
    public var abIsUplink: Bool
    public var endReason: FlowEndReason
    public var context: FlowContext?
    public var cell: IPFIXCell?
    /// The capture interface's index (observationPointId), stamped by the exporter that takes the
    /// flow: capture threads on different interfaces share one session per collector.
    var observationPoint: UInt32 = 0

    /// A flow from its parts (flows that do not come from a flow table, and tests).
    init(flowID: UInt64, ipProtocol: UInt8?, addressA: IPAddress, addressB: IPAddress, portA: UInt16, portB: UInt16,
         packets: (UInt64, UInt64), bytes: (UInt64, UInt64), ipBytes: (UInt64, UInt64)? = nil,
         firstNanoseconds: Int64, lastNanoseconds: Int64, tcpFlags: (UInt8, UInt8) = (0, 0), teid: (UInt32?, UInt32?) = (nil, nil), abIsUplink: Bool = true,
         endReason: FlowEndReason = .end, context: FlowContext? = nil, cell: IPFIXCell? = nil) {
        self.flowID = flowID; self.ipProtocol = ipProtocol; self.addressA = addressA; self.addressB = addressB
        self.portA = portA; self.portB = portB; self.packets = packets; self.bytes = bytes
        self.ipBytes = ipBytes.map { ($0.0, $0.1) } ?? (bytes.0, bytes.1)
        self.firstNanoseconds = firstNanoseconds; self.lastNanoseconds = lastNanoseconds
        self.tcpFlags = tcpFlags; self.teid = teid; self.abIsUplink = abIsUplink; self.endReason = endReason
        self.context = context; self.cell = cell
    }

    /// A flow as it leaves the table.
    public init(_ record: borrowing FlowRecord, reason: FlowEndReason, context: FlowContext?, cell: IPFIXCell?) {
        flowID = UInt64(record.firstPacket) &+ 1
        ipProtocol = record.key.ipProtocol
        addressA = record.addressA; addressB = record.addressB
        portA = record.key.hasPorts ? record.portA : 0
        portB = record.key.hasPorts ? record.portB : 0
        packets = (record.packets.0, record.packets.1)
        bytes = (record.bytes.0, record.bytes.1)
        ipBytes = (record.ipBytes.0, record.ipBytes.1)
        firstNanoseconds = record.firstNanoseconds; lastNanoseconds = record.lastNanoseconds
        tcpFlags = (record.tcpFlags.0, record.tcpFlags.1)
        icmpTypeCode = (record.icmpTypeCode.0, record.icmpTypeCode.1)
        teid = (record.teid.0, record.teid.1)
        // Windows count a flow nothing placed as uplink in its first packet's direction.
        abIsUplink = record.abIsUplink ?? true
        endReason = reason
        self.context = context
        self.cell = cell
    }
}

extension IPFIXFlow {
    /// The tunnel's endpoints (A's side first) for the templates that carry TEIDs: the outer
    /// addresses of a tunnelled first packet, or, for a GTP-U flow whose payload was not an IP
    /// packet (so the flow is the tunnel's own UDP flow, TEIDs known), its own addresses.
    var tunnelEndpoints: (IPAddress, IPAddress)? {
        if let s = context?.outerSource, let d = context?.outerDestination { return (s, d) }
        if teid.ab != nil || teid.ba != nil { return (addressA, addressB) }
        return nil
    }
}

/// A cell as IPFIX names it: the topology's name and the global identity, when known.
public struct IPFIXCell: Sendable, Equatable {
    public var name: String
    /// `MCC-MNC-ECI` / `MCC-MNC-NCI` (without the `ecgi:` / `ncgi:` prefix), or "".
    public var ecgi: String, ncgi: String

    /// A cell named `name` whose global identity (a topology `globalId`, or the name itself for
    /// a cell learned from signalling) is `globalID`.
    public init(name: String, globalID: String?) {
        self.name = name
        let identity = globalID ?? name
        ecgi = identity.hasPrefix("ecgi:") ? String(identity.dropFirst(5)) : ""
        ncgi = identity.hasPrefix("ncgi:") ? String(identity.dropFirst(5)) : ""
    }
}

/// RFC 7011 / RFC 5102 flowEndReason codes.
extension FlowEndReason {
    var ipfixCode: UInt8 {
        switch self {
        case .idle: return 0x01     // idle timeout
        case .active: return 0x02   // active timeout
        case .end: return 0x04      // forced end: the capture ended or the run stopped
        case .evicted: return 0x05  // lack of resources: the flow table was full
        }
    }
}
