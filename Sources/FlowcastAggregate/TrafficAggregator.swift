public import FlowcastDecode
public import FlowcastTopology

/// Turns decoded packets into flows and per-window load of every cell and link.
///
/// Cells come from the topology's match rules first; tunnels the rules do not place are placed
/// by what GTPv2-C signalling in the capture taught `TunnelCellLearner`. On disagreement the
/// static rule wins and the conflict is counted. Cells that signalling names but the topology
/// lacks are added as dynamic cells named by their global identity (`ecgi:MCC-MNC-ECI`).
/// Windows follow capture time: every window from the first packet's to the last packet's is
/// emitted for every cell and link (empty ones included), the last one marked partial.
public struct TrafficAggregator {
    public struct Configuration: Sendable {
        public var windowNanoseconds: Int64
        public var flows: FlowTable.Configuration
        /// The capture holds one packet in `sampling` (a sampled mirror or ERSPAN session): window
        /// byte and packet counts are scaled by it; flow records stay as captured.
        public var sampling: UInt64
        public init(windowNanoseconds: Int64 = 10_000_000_000, flows: FlowTable.Configuration = .init(), sampling: UInt64 = 1) {
            self.windowNanoseconds = max(1_000_000, windowNanoseconds)
            self.flows = flows
            self.sampling = max(1, sampling)
        }
    }

    /// Totals for summary.json.
    public struct Totals: Sendable {
        public var packets: UInt64 = 0, bytes: UInt64 = 0
        public var nonIPPackets: UInt64 = 0
        public var cellPackets: UInt64 = 0, cellBytes: UInt64 = 0
        public var unmatchedPackets: UInt64 = 0, unmatchedBytes: UInt64 = 0
        public var learnedCellPackets: UInt64 = 0
        public var staticLearnedConflicts: UInt64 = 0
        public var latePackets: UInt64 = 0
        public var windows: UInt64 = 0
        public var signallingMessages: UInt64 = 0
        public var firstNanoseconds: Int64? = nil, lastNanoseconds: Int64 = 0
        public init() {}
    }

    public let configuration: Configuration
    public let topology: Topology
    public private(set) var flows: FlowTable
    public private(set) var learner = TunnelCellLearner()
    public private(set) var totals = Totals()
    /// Cell names: the topology's cells, then dynamic cells learned from signalling.
    public private(set) var cellNames: [String]
    private let matcher: TopologyMatcher
    /// Direct-mapped cache of match results by outer addresses, VLAN (and TEID when a rule
    /// names TEIDs): most packets share a few hundred tunnel endpoint pairs, and the matcher's
    /// dictionary lookups cost more than the rest of the packet's aggregation.
    private struct CachedMatch {
        var srcHigh: UInt64 = 0, srcLow: UInt64 = 0, dstHigh: UInt64 = 0, dstLow: UInt64 = 0
        var teid: UInt32 = 0, vlan: UInt32 = 0, valid = false
        var cell: Int32 = -1, uplink = false
        var links: Range<Int> = 0..<0
    }
    private var matchCache: [CachedMatch] = Array(repeating: CachedMatch(), count: 4096)
    private let rulesUseTEID: Bool
    private var cellIndexByIdentity: [CellIdentity: Int] = [:]
    private var cells: [WindowSummary] = []
    private var links: [WindowSummary] = []
    private var currentWindow: Int64? = nil

    public init(topology: Topology, configuration: Configuration = Configuration()) {
        self.topology = topology
        self.configuration = configuration
        matcher = TopologyMatcher(topology)
        rulesUseTEID = topology.rules.contains { $0.teid != nil }
        flows = FlowTable(configuration: configuration.flows)
        // A topology cell whose id is a global identity (`ecgi:MCC-MNC-ECI`) receives the
        // tunnels signalling places in that cell (see `cellIndex(for:)`).
        cellNames = topology.cells.map(\.id)
    }

    /// Learns from a GTPv2-C message seen in the capture.
    public mutating func learn(_ message: GTPv2Message) {
        learner.learn(message)
        totals.signallingMessages += 1
    }

    /// Flow keys and hashes of the current batch, computed ahead so the table can prefetch.
    private var batchKeys: [FlowKey] = []
    private var batchHashes: [UInt64] = []
    private var batchFromLow: [Bool] = []
    private var batchHasKey: [Bool] = []
    private static let slotLookahead = 8, recordLookahead = 4

    /// Prepares a batch of packets that `add(_:packetNumber:batchIndex:…)` will receive in order:
    /// computes their flow keys once, so slots and records can be prefetched a few packets ahead.
    public mutating func prepare(_ summaries: [PacketSummary]) {
        batchKeys.removeAll(keepingCapacity: true)
        batchHashes.removeAll(keepingCapacity: true)
        batchFromLow.removeAll(keepingCapacity: true)
        batchHasKey.removeAll(keepingCapacity: true)
        let seed = flows.hashSeed
        let empty = FlowKey(lowHigh: 0, lowLow: 0, highHigh: 0, highLow: 0, lowPort: 0, highPort: 0, proto: 0, familyBits: 0)
        for s in summaries {
            if let (key, fromLow) = FlowKey.of(s) {
                batchKeys.append(key); batchHashes.append(key.hash(seed: seed)); batchFromLow.append(fromLow); batchHasKey.append(true)
            } else {
                batchKeys.append(empty); batchHashes.append(0); batchFromLow.append(false); batchHasKey.append(false)
            }
        }
        let n = min(summaries.count, Self.slotLookahead)
        for i in 0..<n where batchHasKey[i] { flows.prefetchSlot(hash: batchHashes[i]) }
    }

    /// Adds one packet. `windowClosed` receives each window's summaries as windows close,
    /// `flowEnded` each flow as it leaves the table. `batchIndex` is the packet's position in
    /// the batch given to `prepare`, or nil.
    public mutating func add(_ s: PacketSummary, packetNumber: Int, batchIndex: Int? = nil,
                             windowClosed: ([WindowSummary]) -> Void,
                             flowEnded: (borrowing FlowRecord, FlowEndReason) -> Void) {
        if let b = batchIndex {
            let ahead = b + Self.slotLookahead, near = b + Self.recordLookahead
            if ahead < batchHashes.count && batchHasKey[ahead] { flows.prefetchSlot(hash: batchHashes[ahead]) }
            if near < batchHashes.count && batchHasKey[near] { flows.prefetchRecord(hash: batchHashes[near]) }
        }
        let now = s.timestampNanoseconds
        totals.packets += 1
        totals.bytes += UInt64(s.wireLength)
        if totals.firstNanoseconds == nil { totals.firstNanoseconds = now }
        totals.lastNanoseconds = max(totals.lastNanoseconds, now)

        // Window bookkeeping (floor division so pre-1970 captures still align).
        let w = configuration.windowNanoseconds
        var window = now / w
        if now < 0 && now % w != 0 { window -= 1 }
        if let current = currentWindow {
            if window > current {
                closeWindows(upTo: window, partial: false, windowClosed)
            } else if window < current {
                totals.latePackets += 1  // out of order: counted in the open window
                window = current
            }
        } else {
            currentWindow = window
            resetAccumulators(window: window)
        }

        // Where the packet belongs.
        var cell = -1
        var uplink: Bool? = nil
        var linkRange: Range<Int> = 0..<0
        if let src = s.outerSource, let dst = s.outerDestination {
            let teidKey = rulesUseTEID ? (s.teid ?? 0) : 0
            let vlanKey = s.vlan.map { UInt32($0) | 0x10000 } ?? 0
            var h = (src.low &* 0x9E37_79B9_7F4A_7C15) ^ (dst.low &* 0xC2B2_AE3D_27D4_EB4F) ^ src.high ^ (dst.high >> 1)
            h ^= UInt64(teidKey) &* 0x1656_67B1_9E37_79F9 ^ UInt64(vlanKey) << 20
            let slot = Int(truncatingIfNeeded: (h ^ (h >> 29)) & 4095)
            let c = matchCache[slot]
            if c.valid && c.srcLow == src.low && c.dstLow == dst.low && c.srcHigh == src.high && c.dstHigh == dst.high
                && c.teid == teidKey && c.vlan == vlanKey {
                cell = Int(c.cell)
                if cell >= 0 { uplink = c.uplink }
                linkRange = c.links
            } else {
                let tsrc = Self.topologyAddress(src), tdst = Self.topologyAddress(dst)
                let m = matcher.match(source: tsrc, destination: tdst, teid: s.teid, vlan: s.vlan)
                linkRange = m.links
                var up = false
                if let mc = m.cell {
                    cell = mc
                    // The rule matched on the source side when the source alone still matches.
                    up = matcher.match(source: tsrc, destination: nil, teid: s.teid, vlan: s.vlan).cell == mc
                    uplink = up
                }
                matchCache[slot] = CachedMatch(srcHigh: src.high, srcLow: src.low, dstHigh: dst.high, dstLow: dst.low,
                                               teid: teidKey, vlan: vlanKey, valid: true, cell: Int32(cell), uplink: up, links: m.links)
            }
            if !learner.cellByTEID.isEmpty, let teid = s.teid, let identity = learner.cellByTEID[teid] {
                if cell < 0 {
                    cell = cellIndex(for: identity)
                    uplink = learner.uplinkTEIDs.contains(teid)
                    totals.learnedCellPackets += 1
                } else if cellNames[cell] != identity.description && topology.cells[cell].globalID != identity.description {
                    totals.staticLearnedConflicts += 1  // the static rule wins
                }
            }
        }
        if cell >= 0 {
            totals.cellPackets += 1
            totals.cellBytes += UInt64(s.wireLength)
        } else {
            totals.unmatchedPackets += 1
            totals.unmatchedBytes += UInt64(s.wireLength)
        }

        // The flow.
        var isNew = false, active = false, retransmission = false
        var flowDirection = 0
        let result: (index: Int, direction: Int, isNew: Bool, retransmission: Bool)?
        if let b = batchIndex {
            result = batchHasKey[b] ? flows.update(s, key: batchKeys[b], fromLow: batchFromLow[b], hash: batchHashes[b],
                                                   packetNumber: packetNumber, expired: flowEnded) : nil
        } else {
            result = flows.update(s, packetNumber: packetNumber, expired: flowEnded)
        }
        if let update = result {
            isNew = update.isNew
            flowDirection = update.direction
            retransmission = update.retransmission
            if isNew { flows.setCell(update.index, Int32(cell)) }
            active = flows.markActive(update.index, window: window)
        } else {
            totals.nonIPPackets += 1
        }
        let up = uplink ?? (flowDirection == 0)
        let bucket = Self.sizeBucket(s.wireLength)
        let zeroWindow = s.tcpWindow == 0 && s.tcpFlags != nil && (s.tcpFlags! & 0x04) == 0
        let scale = configuration.sampling
        let scaledBytes = UInt64(s.wireLength) &* scale
        @inline(__always) func account(_ w: inout WindowSummary) {
            if up { w.bytesUp &+= scaledBytes; w.packetsUp &+= scale } else { w.bytesDown &+= scaledBytes; w.packetsDown &+= scale }
            if isNew { w.newFlows &+= 1 }
            if active { w.activeFlows &+= 1 }
            if retransmission { w.retransmissions &+= 1 }
            if zeroWindow { w.zeroWindows &+= 1 }
            if s.issue != nil { w.decodeIssues &+= 1 }
            w.sizeHistogram[bucket] &+= scale
        }
        if cell >= 0 { account(&cells[cell]) }
        for l in matcher.links(of: TopologyMatch(cell: nil, links: linkRange)) { account(&links[l]) }
    }

    /// Closes every window that ended by `now` (capture-clock nanoseconds) although no packet
    /// after it has arrived: a live interface gone quiet still produces its (empty) windows.
    public mutating func advance(to now: Int64, windowClosed: ([WindowSummary]) -> Void) {
        guard let current = currentWindow else { return }
        let w = configuration.windowNanoseconds
        var window = now / w
        if now < 0 && now % w != 0 { window -= 1 }
        if window > current { closeWindows(upTo: window, partial: false, windowClosed) }
    }

    /// Closes the open window (marked partial) and drains the flow table.
    public mutating func finish(windowClosed: ([WindowSummary]) -> Void,
                                flowEnded: (borrowing FlowRecord, FlowEndReason) -> Void) {
        if let current = currentWindow {
            closeWindows(upTo: current + 1, partial: true, windowClosed)
            currentWindow = nil
        }
        flows.drain(flowEnded)
    }

    // MARK: -

    @inline(__always) static func sizeBucket(_ length: Int) -> Int {
        var i = 0
        for bound in WindowSummary.sizeBounds { if length <= bound { return i }; i += 1 }
        return i
    }

    @inline(__always) static func topologyAddress(_ a: FlowcastDecode.IPAddress) -> FlowcastTopology.IPAddress {
        a.isIPv6 ? FlowcastTopology.IPAddress(high: a.high, low: a.low) : FlowcastTopology.IPAddress(ipv4: a.ipv4)
    }

    private mutating func cellIndex(for identity: CellIdentity) -> Int {
        if let known = cellIndexByIdentity[identity] { return known }
        let name = identity.description
        let index: Int
        if let configured = topology.cells.firstIndex(where: { $0.globalID == name }) {
            index = configured
        } else if let existing = cellNames.firstIndex(of: name) {
            index = existing
        } else {
            cellNames.append(name)
            index = cellNames.count - 1
            if let window = currentWindow {
                cells.append(WindowSummary(kind: .cell, id: name, startNanoseconds: window * configuration.windowNanoseconds,
                                           durationNanoseconds: configuration.windowNanoseconds, partial: false))
            }
        }
        cellIndexByIdentity[identity] = index
        return index
    }

    private mutating func resetAccumulators(window: Int64) {
        let start = window * configuration.windowNanoseconds
        let d = configuration.windowNanoseconds
        cells = cellNames.map { WindowSummary(kind: .cell, id: $0, startNanoseconds: start, durationNanoseconds: d, partial: false) }
        links = topology.links.map { WindowSummary(kind: .link, id: $0.id, startNanoseconds: start, durationNanoseconds: d, partial: false) }
    }

    /// Emits the open window and any empty windows before `next`, then opens `next`.
    private mutating func closeWindows(upTo next: Int64, partial: Bool, _ windowClosed: ([WindowSummary]) -> Void) {
        guard let current = currentWindow else { return }
        for i in cells.indices { cells[i].partial = partial }
        for i in links.indices { links[i].partial = partial }
        windowClosed(cells + links)
        totals.windows += 1
        var w = current + 1
        // A gap in the capture still yields (empty) windows, so series stay regular; a gap of
        // more than a day of windows is reported through `latePackets`-style totals instead of
        // writing millions of empty lines.
        let gapLimit = max(1, 86_400_000_000_000 / configuration.windowNanoseconds)
        while w < next && !partial {
            if w - current > gapLimit { w = next; break }
            resetAccumulators(window: w)
            windowClosed(cells + links)
            totals.windows += 1
            w += 1
        }
        currentWindow = partial ? current : next
        if !partial { resetAccumulators(window: next) }
    }
}
