internal import FlowcastAggregate
public import FlowcastCore
internal import FlowcastDecode
public import FlowcastTopology
internal import Foundation

/// What IPFIX export keeps of a flow's first packet beyond the flow record: the outer tunnel
/// endpoints, the VLAN and the QFI. Kept aside (`FlowContextTable`) rather than in the 168-byte
/// flow record, so runs that export nothing pay nothing for it.
public struct FlowContext: Sendable, Equatable {
    /// Outermost IP source and destination, when the packet was tunnelled (A's side first).
    public var outerSource: IPAddress?
    public var outerDestination: IPAddress?
    public var vlan: UInt16?
    public var qfi: UInt8?

    /// The context of a decoded packet, or nil when it has nothing to keep (untunnelled, untagged).
    @inline(__always)
    init?(_ s: PacketSummary) {
        let tunnelled = s.tunnelDepth > 0 && s.outerSource != nil && s.outerDestination != nil
        guard tunnelled || s.vlan != nil || s.qfi != nil else { return nil }
        outerSource = tunnelled ? s.outerSource : nil
        outerDestination = tunnelled ? s.outerDestination : nil
        vlan = s.vlan
        qfi = s.qfi
    }

    public init(outerSource: IPAddress?, outerDestination: IPAddress?, vlan: UInt16?, qfi: UInt8?) {
        self.outerSource = outerSource; self.outerDestination = outerDestination; self.vlan = vlan; self.qfi = qfi
    }
}

/// The contexts of live flows, by the packet number of their first packet (unique per run): set
/// as a flow is created, taken as it ends. Touched by the aggregating thread only.
public final class FlowContextTable: @unchecked Sendable {
    private var contexts: [Int: FlowContext] = [:]

    public init() {}

    func insert(_ context: FlowContext, firstPacket: Int) { contexts[firstPacket] = context }

    /// Removes and returns a flow's context.
    func take(firstPacket: Int) -> FlowContext? { contexts.removeValue(forKey: firstPacket) }

    var count: Int { contexts.count }
}

/// The pipeline's side of IPFIX export: turns each ended flow record into an `IPFIXFlow` (with
/// its context and cell) for the exporter. Lives on the aggregating thread.
public final class IPFIXFlowSource: @unchecked Sendable {
    public let exporter: IPFIXExporter
    let contexts = FlowContextTable()
    private var globalIDs: [String: String] = [:]
    private var cells: [String: IPFIXCell] = [:]

    /// Added to every flowId: a run whose flows come from several captures (`live` on several
    /// interfaces or capture threads, each numbering its own packets from 1) puts the capture's
    /// index in the top 16 bits, so flowIds stay unique within the run.
    let flowIDPrefix: UInt64

    /// `capture`: the index of the capture this source exports for (0 for a file or one capture).
    public init(exporter: IPFIXExporter, topology: Topology, capture: Int = 0) {
        self.exporter = exporter
        flowIDPrefix = UInt64(UInt16(clamping: capture)) << 48
        topologyChanged(topology)
    }

    /// Cells are named by the topology in force (a live run reloads it).
    func topologyChanged(_ topology: Topology) {
        globalIDs = [:]
        cells = [:]
        for c in topology.cells { if let g = c.globalID { globalIDs[c.id] = g } }
    }

    /// Exports a flow as it leaves the table; `cellName` as flows.jsonl names its cell.
    func flowEnded(_ record: borrowing FlowRecord, _ reason: FlowEndReason, cellName: String?) {
        var cell: IPFIXCell? = nil
        if let cellName {
            if let known = cells[cellName] { cell = known } else {
                let made = IPFIXCell(name: cellName, globalID: globalIDs[cellName])
                cells[cellName] = made
                cell = made
            }
        }
        let context = contexts.count == 0 ? nil : contexts.take(firstPacket: record.firstPacket)
        var flow = IPFIXFlow(record, reason: reason, context: context, cell: cell)
        flow.flowID |= flowIDPrefix
        exporter.export(flow)
    }
}
