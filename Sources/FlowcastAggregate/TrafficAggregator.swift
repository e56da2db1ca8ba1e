internal import FlowcastCore
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
        /// Most windows the run writes (nil: no bound, as a live run, which writes as time
        /// passes); windows beyond it are counted in `Totals.droppedWindows`, not written.
        public var maximumWindows: UInt64?
        /// When observation began, if known (`ObservationStart`); a first window that began
        /// before it is marked `observedFromNanoseconds`.
        public var observationStart: ObservationStart
        public init(windowNanoseconds: Int64 = 10_000_000_000, flows: FlowTable.Configuration = .init(), sampling: UInt64 = 1,
                    maximumWindows: UInt64? = nil, observationStart: ObservationStart = .unknown) {
            self.windowNanoseconds = max(1_000_000, windowNanoseconds)
            self.flows = flows
            self.sampling = max(1, sampling)
            self.maximumWindows = maximumWindows
            self.observationStart = observationStart
        }

        /// For the aggregator a live topology reload starts at `now` (capture-clock ns): its first
        /// window holds only the traffic since the reload (or since its earliest packet, if one
        /// read after the reload was stamped before it), and opens at the reload even on a quiet
        /// interface.
        public func afterReload(at now: Int64) -> Configuration {
            var c = self
            c.observationStart = .at(now)
            return c
        }
    }

    /// When the traffic a run aggregates began to be observed.
    public enum ObservationStart: Sendable, Equatable {
        /// Not known: a capture file records packets, not when its capture started, and a first
        /// packet shortly after a window's start says nothing of whether the window was watched
        /// before it. The first window is read as whole (replay).
        case unknown
        /// Capture-clock ns: when a live capture opened.
        case at(Int64)
        /// The earliest packet: for a run that knows only that its first window holds nothing
        /// from before its earliest packet. (A live reload, whose time is known, uses `at`.)
        case earliestPacket
    }

    /// 10,000,000 windows: the bound a replay runs with. 3.2 years of 10 s windows, 116 days of
    /// 1 s ones; beyond it a capture's timestamps are far off (a clock jump) rather than a
    /// capture, and every window is a line per cell and link in windows.jsonl, which `train` then
    /// puts on one grid in memory.
    public static let replayMaximumWindows: UInt64 = 10_000_000
    /// 100,000 empty windows: a gap in capture time longer than this or than a day of windows is
    /// skipped whole and counted (`Totals.skippedEmptyWindows`) instead of written as empty
    /// windows, so one far-off timestamp costs one count, not millions of lines.
    public static let maximumGapWindows: Int64 = 100_000

    /// Totals for summary.json.
    public struct Totals: Sendable {
        public var packets: UInt64 = 0, bytes: UInt64 = 0
        public var nonIPPackets: UInt64 = 0
        public var cellPackets: UInt64 = 0, cellBytes: UInt64 = 0
        public var unmatchedPackets: UInt64 = 0, unmatchedBytes: UInt64 = 0
        public var learnedCellPackets: UInt64 = 0
        public var staticLearnedConflicts: UInt64 = 0
        public var latePackets: UInt64 = 0
        /// The first packet counted late (its number in the capture), and the first packet that
        /// opened a window past a skipped gap (`skippedEmptyWindows`): where a replay's warning
        /// points (one packet dated decades ahead put the rest of the capture in its window, and
        /// the warning gave a count alone).
        public var firstLatePacket: Int? = nil
        public var firstGapPacket: Int? = nil
        public var windows: UInt64 = 0
        /// Empty windows of over-long gaps, not written (`maximumGapWindows`).
        public var skippedEmptyWindows: UInt64 = 0
        /// Windows beyond `Configuration.maximumWindows`, not written, and the packet that
        /// opened the first of them.
        public var droppedWindows: UInt64 = 0
        public var firstDroppedWindowPacket: Int? = nil
        /// Cells signalling named beyond `TopologyLimits.maximumCells` (their packets are unmatched).
        public var cellsRefused: UInt64 = 0
        public var signallingMessages: UInt64 = 0
        /// GTPv2-C messages with a problem (`GTPv2Message.problem`), learned from all the same,
        /// and the first: its packet and what was wrong.
        public var malformedSignalling: UInt64 = 0
        public var firstMalformedSignalling: (packet: Int, problem: String)? = nil
        /// The earliest and latest packet time (`lastNanoseconds` is meaningful only with a first).
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
    /// Digests packets for the single-threaded path; a reading thread takes a copy
    /// (`classifier`) and digests there.
    public private(set) var classifier: PacketClassifier
    private var cellIndexByIdentity: [CellIdentity: Int] = [:]
    /// The topology cell a learned identity names (by `globalId` or id), -1 for none; filled once
    /// per identity, so the per-packet conflict check builds no string.
    private var topologyCellByIdentity: [CellIdentity: Int] = [:]
    private var cells: [WindowSummary] = []
    private var links: [WindowSummary] = []
    private var currentWindow: Int64? = nil
    /// Until the first window is handed on (it may have been observed only in part).
    private var firstWindowPending = true

    public init(topology: Topology, configuration: Configuration = Configuration()) {
        self.topology = topology
        self.configuration = configuration
        matcher = TopologyMatcher(topology)
        flows = FlowTable(configuration: configuration.flows)
        classifier = PacketClassifier(topology: topology, matcher: matcher)
        // A topology cell whose id is a global identity (`ecgi:MCC-MNC-ECI`) receives the
        // tunnels signalling places in that cell (see `cellIndex(for:)`).
        cellNames = topology.cells.map(\.id)
    }

    /// Learns from a GTPv2-C message seen in the capture.
    public mutating func learn(_ message: GTPv2Message, packetNumber: Int = 0) {
        learner.learn(message)
        totals.signallingMessages += 1
        if let problem = message.problem {
            totals.malformedSignalling += 1
            if totals.firstMalformedSignalling == nil { totals.firstMalformedSignalling = (packetNumber, problem) }
        }
    }

    /// Learns from a GTPv2-C message another capture thread of the same run saw (counted there).
    public mutating func learnShared(_ message: GTPv2Message) {
        learner.learn(message)
    }

    /// Start of the open window (capture-clock nanoseconds): every earlier window has been
    /// handed to `windowClosed`. Nil before the first packet.
    public var openWindowStartNanoseconds: Int64? { currentWindow.map { $0 * configuration.windowNanoseconds } }

    private static let slotLookahead = 8, recordLookahead = 4

    /// Hashes of the current batch's keys (`hashBatch`), reused from batch to batch.
    public private(set) var batchHashes: [UInt64] = []

    /// Computes the flow hashes of a batch (with this table's seed) and starts loading the slots
    /// of its first packets. The pass also brings the digests,
    /// written on the other core, into this core's cache.
    public mutating func hashBatch(_ batch: [PacketDigest]) {
        let seed = flows.hashSeed
        batchHashes.removeAll(keepingCapacity: true)
        for d in batch { batchHashes.append(d.has(PacketDigest.hasKey) ? d.key.hash(seed: seed) : 0) }
        for i in 0..<min(batch.count, Self.slotLookahead) where batch[i].has(PacketDigest.hasKey) {
            flows.prefetchSlot(hash: batchHashes[i])
        }
    }

    /// Starts loading the flow-table entries of packets a few ahead of `index` in a batch, so
    /// the cache misses of a large table overlap instead of stalling in turn. (Static, on the
    /// table: a method on the aggregator value would copy the whole aggregator per packet where
    /// the optimiser cannot borrow it in place.)
    @inline(__always)
    public static func prefetch(_ flows: FlowTable, _ batch: [PacketDigest], _ hashes: [UInt64], at index: Int) {
        let ahead = index + Self.slotLookahead, near = index + Self.recordLookahead
        if ahead < batch.count && batch[ahead].has(PacketDigest.hasKey) { flows.prefetchSlot(hash: hashes[ahead]) }
        if near < batch.count && batch[near].has(PacketDigest.hasKey) { flows.prefetchRecord(hash: hashes[near]) }
    }

    /// Adds one decoded packet. `windowClosed` receives each window's summaries as windows
    /// close, `flowEnded` each flow as it leaves the table.
    public mutating func add(_ s: PacketSummary, packetNumber: Int,
                             windowClosed: ([WindowSummary]) -> Void,
                             flowEnded: (borrowing FlowRecord, FlowEndReason) -> Void) {
        let d = classifier.digest(s)
        add(d, hash: d.key.hash(seed: flows.hashSeed), packetNumber: packetNumber, windowClosed: windowClosed, flowEnded: flowEnded)
    }

    /// Adds one packet's digest (from `classifier`, or a copy of it on another thread) with its
    /// key's hash.
    @inline(__always)
    public mutating func add(_ d: PacketDigest, hash: UInt64, packetNumber: Int,
                             windowClosed: ([WindowSummary]) -> Void,
                             flowEnded: (borrowing FlowRecord, FlowEndReason) -> Void) {
        let now = d.timestampNanoseconds
        let wire = UInt64(d.wireLength)
        totals.packets += 1
        totals.bytes += wire
        // Earliest and latest, not first and last in file order: a capture's packets need not be
        // in time order (merged or multi-interface captures), and summary.json calls these the
        // capture's time span. `lastNanoseconds` counts only once there is a first packet, so a
        // capture from before 1970 does not end at 0.
        if let first = totals.firstNanoseconds {
            if now < first { totals.firstNanoseconds = now }
            if now > totals.lastNanoseconds { totals.lastNanoseconds = now }
        } else {
            totals.firstNanoseconds = now
            totals.lastNanoseconds = now
        }

        var window = windowIndex(now)
        if let current = currentWindow {
            if window > current {
                closeWindows(upTo: window, partial: false, packet: packetNumber, windowClosed)
            } else if window < current {
                totals.latePackets += 1  // out of order: counted in the open window
                if totals.firstLatePacket == nil { totals.firstLatePacket = packetNumber }
                window = current
            }
        } else if case .at(let t) = configuration.observationStart, case let opened = windowIndex(t), opened < window {
            // Observation began windows before this first packet (a live capture opened, or a
            // reload, before a quiet spell the clock has not yet closed): those windows are
            // empty, not missing.
            currentWindow = opened
            resetAccumulators(window: opened)
            closeWindows(upTo: window, partial: false, packet: packetNumber, windowClosed)
        } else {
            currentWindow = window
            resetAccumulators(window: window)
        }

        // Where the packet belongs: the topology's rules first, then what signalling taught.
        var cell = Int(d.cell)
        var uplink: Bool? = cell >= 0 ? d.has(PacketDigest.staticUplink) : nil
        if d.has(PacketDigest.hasOuter) && d.has(PacketDigest.hasTEID) && !learner.cellByTunnel.isEmpty,
           case let end = TunnelEnd(addressTag: d.outerDestinationTag, teid: d.teid), let identity = learner.cellByTunnel[end] {
            if cell < 0 {
                cell = cellIndex(for: identity)
                if cell >= 0 {
                    uplink = learner.uplinkTunnels.contains(end)
                    totals.learnedCellPackets += 1
                }
            } else if learnedIdentityConflicts(staticCell: cell, identity) {
                totals.staticLearnedConflicts += 1  // the static rule wins
            }
        }
        if cell >= 0 {
            totals.cellPackets += 1
            totals.cellBytes += wire
        } else {
            totals.unmatchedPackets += 1
            totals.unmatchedBytes += wire
        }

        // The flow.
        var isNew = false, active = false, retransmission = false
        var flowDirection = 0
        if d.has(PacketDigest.hasKey) {
            let update = flows.update(d, hash: hash, packetNumber: packetNumber, expired: flowEnded)
            isNew = update.isNew
            flowDirection = update.direction
            retransmission = update.retransmission
            if isNew {
                flows.setCell(update.index, Int32(cell))
                // A new flow's first packet travels A→B.
                if let uplink { flows.setUplink(update.index, abIsUplink: uplink) }
            }
            active = flows.markActive(update.index, window: window)
        } else {
            totals.nonIPPackets += 1
        }
        let up = uplink ?? (flowDirection == 0)
        let bucket = Self.sizeBucket(Int(d.wireLength))
        let zeroWindow = d.has(PacketDigest.hasTCP) && d.tcpWindow == 0 && d.tcpFlags & 0x07 == 0  // as FlowTable's
        let hasIssue = d.has(PacketDigest.hasIssue)
        let scale = configuration.sampling
        let scaledBytes = wire &* scale
        @inline(__always) func account(_ w: inout WindowSummary) {
            if up { w.bytesUp &+= scaledBytes; w.packetsUp &+= scale } else { w.bytesDown &+= scaledBytes; w.packetsDown &+= scale }
            if isNew { w.newFlows &+= 1 }
            if active { w.activeFlows &+= 1 }
            if retransmission { w.retransmissions &+= 1 }
            if zeroWindow { w.zeroWindows &+= 1 }
            if hasIssue { w.decodeIssues &+= 1 }
            w.sizeHistogram[bucket] &+= scale
        }
        if cell >= 0 { account(&cells[cell]) }
        for i in d.linkRange { account(&links[matcher.link(at: i)]) }
    }

    /// How far behind the wall clock a live run closes windows and ends flows by it: packets can
    /// wait in the kernel's ring for a read timeout. One figure for the idle clock, a reload and
    /// the merge's watermark.
    public static let clockGraceNanoseconds: Int64 = 1_000_000_000

    /// The window `t` (capture-clock ns) falls in: floor division, so pre-1970 captures align too.
    @inline(__always) func windowIndex(_ t: Int64) -> Int64 {
        let w = configuration.windowNanoseconds
        return t / w - (t < 0 && t % w != 0 ? 1 : 0)
    }

    /// Closes every window that ended by `now` (capture-clock nanoseconds) although no packet
    /// after it has arrived, and ends the flows idle or active past their timeouts by then: a
    /// live interface gone quiet still produces its (empty) windows and ends its flows on time.
    /// When observation began at a known time (a live capture opening, a reload), the window it
    /// began in is open from then even before the first packet: a quiet tap writes windows of
    /// zero load from its start, not nothing until its first packet (an audit: a tap started
    /// 3.5 s before its first packet lost its first three windows).
    public mutating func advance(to now: Int64, windowClosed: ([WindowSummary]) -> Void,
                                 flowEnded: (borrowing FlowRecord, FlowEndReason) -> Void) {
        let index = windowIndex
        if currentWindow == nil, totals.packets == 0, totals.windows == 0, case .at(let start) = configuration.observationStart,
           index(now) > index(start) {
            currentWindow = index(start)
            resetAccumulators(window: index(start))
        }
        flows.sweep(now: now, expired: flowEnded)
        guard let current = currentWindow else { return }
        let window = index(now)
        if window > current { closeWindows(upTo: window, partial: false, windowClosed) }
    }

    /// Closes the open window (marked partial) and drains the flow table.
    public mutating func finish(windowClosed: ([WindowSummary]) -> Void,
                                flowEnded: (borrowing FlowRecord, FlowEndReason) -> Void) {
        closeOpenWindow(windowClosed)
        flows.drain(flowEnded)
    }

    /// `finish` that formats the flows still open on `parts` threads (`FlowTable.drainFormatted`).
    public mutating func finish(windowClosed: ([WindowSummary]) -> Void, parts: Int,
                                formatEnded: @escaping @Sendable (borrowing FlowRecord, inout [UInt8]) -> Void,
                                emit: ([UInt8], Int) -> Void) {
        closeOpenWindow(windowClosed)
        flows.drainFormatted(parts: parts, format: formatEnded, emit: emit)
    }

    /// Emits the open window, marked partial (the end of the run).
    private mutating func closeOpenWindow(_ windowClosed: ([WindowSummary]) -> Void) {
        guard let current = currentWindow else { return }
        closeWindows(upTo: current + 1, partial: true, windowClosed)
        currentWindow = nil
    }

    // MARK: -

    @inline(__always) static func sizeBucket(_ length: Int) -> Int {
        var i = 0
        for bound in WindowSummary.sizeBounds { if length <= bound { return i }; i += 1 }
        return i
    }

    /// A conflict is a learned identity that contradicts the static rule's cell: it names another
    /// cell of the topology, or the static cell has a global identity of its own that differs.
    /// A static cell without a global identity conflicts only with an identity naming another cell.
    private mutating func learnedIdentityConflicts(staticCell cell: Int, _ identity: CellIdentity) -> Bool {
        let named: Int
        if let known = topologyCellByIdentity[identity] {
            named = known
        } else {
            let name = identity.description
            named = topology.cells.firstIndex { $0.globalID == name || $0.id == name } ?? -1
            topologyCellByIdentity[identity] = named
        }
        if named >= 0 { return named != cell }
        return cell < topology.cells.count && topology.cells[cell].globalID != nil
    }

    private mutating func cellIndex(for identity: CellIdentity) -> Int {
        if let known = cellIndexByIdentity[identity] { return known }
        let name = identity.description
        let index: Int
        if let configured = topology.cells.firstIndex(where: { $0.globalID == name }) {
            index = configured
        } else if let existing = cellNames.firstIndex(of: name) {
            index = existing
        } else if cellNames.count >= TopologyLimits.maximumCells {
            // Remembered as refused (the identities are bounded by the learner's tables).
            totals.cellsRefused += 1
            index = -1
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

    /// Emits the open window and any empty windows before `next`, then opens `next` (opened by
    /// packet `packet`).
    private mutating func closeWindows(upTo next: Int64, partial: Bool, packet: Int = 0,
                                       _ windowClosed: ([WindowSummary]) -> Void) {
        guard let current = currentWindow else { return }
        for i in cells.indices { cells[i].partial = partial }
        for i in links.indices { links[i].partial = partial }
        emit(windowClosed, packet: packet)
        // A gap in the capture still yields (empty) windows, so series stay regular; a gap of
        // more than a day of windows (or more than `maximumGapWindows`) is skipped whole and
        // counted (`Totals.skippedEmptyWindows`) instead of written as millions of empty lines.
        let empty = next &- current &- 1
        let gapLimit = min(max(1, 86_400_000_000_000 / configuration.windowNanoseconds), Self.maximumGapWindows)
        if !partial && empty > gapLimit {
            let (sum, overflow) = totals.skippedEmptyWindows.addingReportingOverflow(UInt64(empty))
            totals.skippedEmptyWindows = overflow ? .max : sum
            if totals.firstGapPacket == nil && packet > 0 { totals.firstGapPacket = packet }
        } else {
            var w = current + 1
            while w < next && !partial {
                resetAccumulators(window: w)
                emit(windowClosed, packet: packet)
                w += 1
            }
        }
        currentWindow = partial ? current : next
        if !partial { resetAccumulators(window: next) }
    }

    /// Marks the first window when observation began after its start: when the live capture
    /// opened or the topology was reloaded, or earlier if a packet read then was stamped earlier
    /// (a late packet of an earlier time is counted in the open window, so the earliest, not the
    /// first, bounds what the window holds).
    private mutating func markObservedFrom() {
        guard let start = cells.first?.startNanoseconds ?? links.first?.startNanoseconds else { return }
        let from: Int64
        switch (configuration.observationStart, totals.firstNanoseconds) {
        case (.unknown, _): return
        // A packet stamped before the capture opened (read as it opened) moves the time back.
        case (.at(let t), let earliest?): from = min(t, earliest)
        case (.at(let t), nil): from = t  // a window with no packet, opened by the clock
        case (.earliestPacket, let earliest?): from = earliest
        case (.earliestPacket, nil): return
        }
        guard from > start, from - start < configuration.windowNanoseconds else { return }
        for i in cells.indices { cells[i].observedFromNanoseconds = from }
        for i in links.indices { links[i].observedFromNanoseconds = from }
    }

    /// Hands the accumulated window on, unless the run is at its bound on windows.
    private mutating func emit(_ windowClosed: ([WindowSummary]) -> Void, packet: Int) {
        if let bound = configuration.maximumWindows, totals.windows >= bound {
            if totals.droppedWindows == 0 { totals.firstDroppedWindowPacket = packet }
            totals.droppedWindows += 1
            return
        }
        if firstWindowPending {
            firstWindowPending = false
            markObservedFrom()
        }
        windowClosed(cells + links)
        totals.windows += 1
    }
}
