internal import FlowcastCore
public import FlowcastAggregate
public import FlowcastCapture
internal import FlowcastDecode
public import FlowcastTopology
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// Replays a capture into DIR/windows.jsonl, DIR/flows.jsonl and DIR/summary.json.
///
/// With `threads: 2` one thread reads and decodes while the other aggregates; aggregation stays
/// sequential in packet order, so the output is byte-identical to `threads: 1` (a test checks).
/// Sharding aggregation itself does not pay on two cores: decoding is the larger half.
public struct ReplayOptions: Sendable {
    public var capturePath: String
    public var topology: Topology
    public var outputDirectory: String
    public var aggregation: TrafficAggregator.Configuration
    public var threads: Int
    /// Read the capture through a memory mapping (false: through a buffer, for a file that may
    /// shrink or be rotated while it is read).
    public var mapFile = true
    /// A BPF expression (tcpdump's syntax): only packets passing it are replayed; summary.json
    /// names it and counts the packets it skipped.
    public var filter: String?
    /// Called now and then from the aggregating thread with (packets, file fraction, live flows).
    public var progress: (@Sendable (Int, Double, Int) -> Void)?
    /// Export every flow over IPFIX as well (docs/ipfix.md).
    public var ipfix: IPFIXOptions?
    /// What the caller cleared from the output folder first (`PreviousRun.clear`), for
    /// summary.json.
    public var previousRun: PreviousRun?
    /// Set when `topology` was inferred from the capture (`inferNetwork`, no `--topology`):
    /// summary.json then says what was inferred and that no plan is made.
    public var inferred: InferredNetwork?
    /// The capture inflated once by a caller that reads it more than once (`replay` without a
    /// topology), when it is gzip-compressed.
    public var inflated: InflatedCapture?

    public init(capturePath: String, topology: Topology, outputDirectory: String,
                aggregation: TrafficAggregator.Configuration = .init(), threads: Int = 2,
                progress: (@Sendable (Int, Double, Int) -> Void)? = nil) {
        self.capturePath = capturePath; self.topology = topology; self.outputDirectory = outputDirectory
        self.aggregation = aggregation; self.threads = threads; self.progress = progress
    }
}

/// What a replay did, for summary.json and the CLI.
public struct ReplayResult: Sendable {
    public var totals: TrafficAggregator.Totals
    public var decode: DecodeStatistics
    public var flowsWritten = 0
    /// Flows ended early because the table held its bound of live flows (`--max-flows`), and that bound.
    public var flowsEvicted = 0
    public var maximumFlows = 0
    public var windowLines = 0
    /// The topology's cells and links ("cell ID", "link ID") named by a match rule (or, for a
    /// cell, a global identity) that no window of the run gave a byte: their rules matched
    /// nothing, or the capture does not reach them. A rule that
    /// matches nothing is valid, so `topology check` cannot say it; the run can (empty with an
    /// inferred topology, whose elements all come from the capture).
    public var silent: [String] = []
    public var captureError: String?
    /// Set when the capture spans more windows than a replay writes
    /// (`TrafficAggregator.replayMaximumWindows`): the windows beyond were counted, not written.
    public var windowBoundError: String?
    /// Per IPFIX collector, when flows were exported.
    public var ipfix: [IPFIXCollectorStatistics] = []
    /// A live run on several capture threads: the packets each thread aggregated (the stop line
    /// names them, so a reader sees how the fanout spread the traffic).
    public var packetsPerCaptureThread: [UInt64] = []
    /// A live run: packets received into the kernel's ring but not read at the stop (summary.json
    /// `capture.notRead`, and the stop log line).
    public var notRead: UInt64?
    /// What an earlier run had left in the output folder, removed before this one wrote there.
    public var previousRun: PreviousRun?
}

/// A batch of decoded packets, as digests, passed from the reader to the aggregator.
struct PacketBatch: @unchecked Sendable {
    var digests: [PacketDigest] = []
    var numbers: [Int] = []
    /// GTPv2-C messages with the index of the packet that carried them.
    var messages: [(Int, GTPv2Message)] = []
    /// For IPFIX export: the flow context of packets that have one, with the packet's index.
    var contexts: [(Int, FlowContext)] = []
    var fileFraction: Double = 0
    /// For an empty batch from a quiet live source: the wall-clock time it was sent (ns), so
    /// windows that ended before it close even though no packet arrived.
    var idleClockNanoseconds: Int64? = nil
    /// Packets with decode issues so far (read on the aggregating thread, for live metrics).
    var decodeIssues = 0
    var error: (any Error)? = nil
    /// Set on the first batch digested with a reloaded topology (live runs): the aggregator
    /// must switch to it before adding the batch.
    var reloadedTopology: Topology? = nil
}

public enum ReplayError: Error, CustomStringConvertible {
    case output(path: String, reason: String)
    public var description: String {
        switch self { case let .output(path, reason): return "\(path.visible): \(reason)" }
    }
}

public func runReplay(_ options: ReplayOptions, planner: IntervalPlanner? = nil, publisher: TapPublisher? = nil) throws -> ReplayResult {
    // Opened (and any filter compiled) before the output folder is made: a bad filter or capture
    // leaves nothing behind.
    let capture = try OfflineCapture(path: options.capturePath, mapFile: options.mapFile, filter: options.filter,
                                     inflated: options.inflated)
    do { try OutputFolder.create(options.outputDirectory) } catch {
        throw ReplayError.output(path: options.outputDirectory, reason: "cannot create the folder: \(error.reason)")
    }
    let windowsFile = try OutputFile(directory: options.outputDirectory, name: "windows.jsonl")
    let flowsFile = try OutputFile(directory: options.outputDirectory, name: "flows.jsonl")
    var configuration = options.aggregation
    if configuration.maximumWindows == nil { configuration.maximumWindows = TrafficAggregator.replayMaximumWindows }
    var aggregator = TrafficAggregator(topology: options.topology, configuration: configuration)
    var result = ReplayResult(totals: .init(), decode: .init())
    result.previousRun = options.previousRun
    let ipfix = try options.ipfix.map { IPFIXFlowSource(exporter: try IPFIXExporter($0), topology: options.topology) }
    // Cell names as of the latest packet; flows name their cell by index into it.
    var cellNames = aggregator.cellNames

    // The topology's cells and links that some window gave traffic (see `ReplayResult.silent`).
    var carried = Set<String>()
    func windowClosed(_ windows: [WindowSummary]) {
        let lineStart = windowsFile.buffer.count
        for w in windows { w.appendJSON(to: &windowsFile.buffer) }
        for w in windows where w.bytesUp > 0 || w.bytesDown > 0 { carried.insert("\(w.kind.rawValue) \(w.id)") }
        result.windowLines += windows.count
        planner?.windowClosed(windows, lines: windowsFile.buffer[lineStart...])
        windowsFile.flushIfNeeded()
        publisher?.windowsClosed(windows)
    }
    func flowEnded(_ record: borrowing FlowRecord, _ reason: FlowEndReason) {
        let lineStart = flowsFile.buffer.count
        let cellName = record.cellName(in: cellNames)
        record.appendJSON(reason: reason, cellName: cellName, to: &flowsFile.buffer)
        publisher?.flowEnded(line: flowsFile.buffer[lineStart...])
        result.flowsWritten += 1
        flowsFile.flushIfNeeded()
        ipfix?.flowEnded(record, reason, cellName: cellName)
    }
    func consume(_ batch: PacketBatch) {
        aggregator.add(batch, windowClosed: windowClosed, flowEnded: flowEnded, contexts: ipfix?.contexts) { cellNames = $0 }
        ipfix?.exporter.endBatch()
        options.progress?(Int(aggregator.totals.packets), batch.fileFraction, aggregator.flows.liveFlows)
    }

    let reader = BatchReader(source: capture, decoder: PacketDecoder(), classifier: aggregator.classifier, batchSize: 4096)
    reader.keepsFlowContexts = ipfix != nil
    reader.pump(threads: options.threads) { batch in
        consume(batch)
        if let error = batch.error { result.captureError = "\(error)" }
    }
    if let ipfix {
        // With export, the open flows end one by one (each also goes to the exporter); the
        // same bytes in flows.jsonl as the parallel drain below, which then has nothing left.
        aggregator.finish(windowClosed: windowClosed, flowEnded: flowEnded)
        result.ipfix = ipfix.exporter.finish()
    }
    // The flows still open at the end are formatted on both cores: the reading thread is done.
    let names = cellNames
    aggregator.finish(windowClosed: windowClosed, parts: max(1, options.threads), formatEnded: { record, out in
        record.appendJSON(reason: .end, cellName: record.cellName(in: names), to: &out)
    }, emit: { bytes, count in
        publisher?.flowsEnded(lines: bytes)
        flowsFile.buffer.append(contentsOf: bytes)
        result.flowsWritten += count
        flowsFile.flushIfNeeded()
    })
    result.totals = aggregator.totals
    result.decode = reader.statistics
    result.decode.filteredPackets = capture.packetsFiltered
    if options.inferred == nil {
        // Only elements something should have matched: a cell named by a rule or by a global
        // identity, a link named by a rule (a backup link no rule names carries nothing by design).
        let t = options.topology
        let ruledCells = Set(t.rules.compactMap(\.cell)), ruledLinks = Set(t.rules.flatMap(\.links))
        result.silent = t.cells.indices.filter { ruledCells.contains($0) || t.cells[$0].globalID != nil }
            .map { "cell \(t.cells[$0].id)" }.filter { !carried.contains($0) }
            + ruledLinks.sorted().map { "link \(t.links[$0].id)" }.filter { !carried.contains($0) }
    }
    if aggregator.totals.droppedWindows > 0, let bound = configuration.maximumWindows {
        let from = aggregator.totals.firstDroppedWindowPacket.map { $0 > 0 ? " from packet \($0) on" : "" } ?? ""
        result.windowBoundError = "\(options.capturePath): the capture spans more than \(bound) windows, the bound of a replay "
            + "(docs/limits.md): \(aggregator.totals.droppedWindows) windows\(from) were counted, not written "
            + "(flows.jsonl and summary.json are complete; a longer --window or a split capture fits)"
    }
    try windowsFile.commit()
    try flowsFile.commit()
    try planner?.finish()
    result.flowsEvicted = aggregator.flows.evictedFlows
    result.maximumFlows = aggregator.flows.configuration.maximumFlows
    var summary = RunSummary(replay: options, capture: capture, aggregator: aggregator, result: result)
    summary.previousRun = result.previousRun
    let summaryFile = try OutputFile(directory: options.outputDirectory, name: "summary.json")
    summaryFile.buffer.append(contentsOf: try summary.json())
    try summaryFile.commit()
    return result
}

/// Reads and decodes packets into batches (on its own thread, or inline), from a capture file or
/// a live interface: generic over the source so each packet is read without an existential.
final class BatchReader<Source: PacketSource & SendableMetatype>: @unchecked Sendable {
    let source: Source
    let decoder: PacketDecoder
    /// The reading thread's own copy: packets are digested (flow key, topology match) where
    /// they are decoded.
    @exclusivity(unchecked) var classifier: PacketClassifier
    let batchSize: Int
    /// Keep each packet's `FlowContext` in its batch (for IPFIX export).
    var keepsFlowContexts = false
    /// Sees every packet before decoding, on the reading thread (live capture to file).
    var tap: ((Packet) throws -> Void)?
    /// Asked on the reading thread before each batch: a new topology to digest with from that
    /// batch on (live reload).
    var pendingTopology: (() -> Topology?)?
    // Only the reading thread touches these while it runs: no dynamic exclusivity checks per packet.
    @exclusivity(unchecked) private(set) var statistics = DecodeStatistics()
    /// A packet dated far ahead of those around it (`DatedAhead`), and where its digest waits in
    /// the batch for the next usable time to judge it.
    @exclusivity(unchecked) private var ahead = DatedAhead()
    @exclusivity(unchecked) private var heldDigest: (index: Int, packet: Int, interface: Int)? = nil
    /// Packets with no usable time after the held one: they took its time, so they take the
    /// corrected one too if it is judged dated ahead (they kept the date ahead: an audit).
    @exclusivity(unchecked) private var heldTimeless: [Int] = []
    /// The first packet with a usable time while the next two judge it (`DatedAhead.first`), and
    /// the packets with no usable time after it (they took its time).
    @exclusivity(unchecked) private var heldFirst: (index: Int, packet: Int, interface: Int)? = nil
    @exclusivity(unchecked) private var heldFirstTimeless: [Int] = []

    /// Takes a held packet's time as it is: nothing more to judge it by in this batch.
    private func releaseHeld() {
        guard heldDigest != nil || heldFirst != nil else { return }
        ahead.release()
        heldDigest = nil
        heldTimeless.removeAll(keepingCapacity: true)
        heldFirst = nil
        heldFirstTimeless.removeAll(keepingCapacity: true)
    }
    /// With rules by interface: the last interface name seen and its id in `classifier`
    /// (names change only between sections of a file, or never on a live interface).
    @exclusivity(unchecked) private var interfaceCache: (name: String?, id: Int32)? = nil

    init(source: Source, decoder: PacketDecoder, classifier: PacketClassifier, batchSize: Int) {
        self.source = source; self.decoder = decoder; self.classifier = classifier; self.batchSize = batchSize
    }

    /// Reads everything and hands each batch to `consume` on the calling thread; with
    /// `threads` ≥ 2 reading and decoding run on a thread of their own.
    func pump(threads: Int, _ consume: (PacketBatch) -> Void) {
        if threads >= 2 {
            let channel = BatchChannel<PacketBatch>(buffers: (0..<4).map { _ in PacketBatch() })
            let thread = Thread { self.run(into: channel) }
            thread.stackSize = 1 << 20
            thread.start()
            while let batch = channel.receive() {
                consume(batch)
                // Moved back, not copied: a reference left here while the reading thread empties
                // the batch made it copy its buffers (a race, up to 300 times per million packets).
                channel.recycle(consume batch)
            }
        } else {
            runInline(consume)
        }
    }
    func run(into channel: BatchChannel<PacketBatch>) {
        var batch = channel.takeEmpty()
        reset(&batch)
        do {
            try read(batch: &batch) { full in
                channel.send(full)
                return channel.takeEmpty()
            }
        } catch {
            batch.error = error
        }
        channel.send(batch)
        channel.close()
    }

    func runInline(_ body: (PacketBatch) -> Void) {
        var batch = PacketBatch()
        reset(&batch)
        do {
            try read(batch: &batch) { full in body(full); return full }
        } catch {
            batch.error = error
        }
        body(batch)
    }

    private var lastIdleTick: Int64 = 0

    static func wallClockNanoseconds() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }

    private func reset(_ batch: inout PacketBatch) {
        batch.reloadedTopology = nil
        if let topology = pendingTopology?() {
            classifier = PacketClassifier(topology: topology, matcher: TopologyMatcher(topology))
            interfaceCache = nil
            batch.reloadedTopology = topology
        }
        batch.idleClockNanoseconds = nil
        batch.digests.removeAll(keepingCapacity: true)
        batch.numbers.removeAll(keepingCapacity: true)
        batch.messages.removeAll(keepingCapacity: true)
        batch.contexts.removeAll(keepingCapacity: true)
        batch.error = nil
        if batch.digests.capacity < batchSize {
            batch.digests.reserveCapacity(batchSize)
            batch.numbers.reserveCapacity(batchSize)
        }
    }

    private func read(batch: inout PacketBatch, handOff: (PacketBatch) -> PacketBatch) throws {
        let size = max(1, Double((source as? OfflineCapture)?.fileSize ?? 1))
        let tap = self.tap
        try source.forEachPacket({ packet in
            if let tap { try tap(packet) }
            let s = decoder.decode(packet.bytes, linkType: packet.linkType.rawValue, wireLength: packet.wireLength,
                                   seconds: packet.timestampSeconds, fraction: packet.timestampFraction, hasTimestamp: packet.hasTimestamp,
                                   fractionInRange: packet.fractionInRange)
            statistics.packets += 1
            statistics.wireBytes += packet.wireLength
            statistics.capturedBytes += packet.capturedLength
            statistics.checkLengths(captured: packet.capturedLength, wire: packet.wireLength, packet: packet.number)
            if let issue = s.issue { statistics.record(issue, packet: packet.number) }
            if let gtpv2 = s.gtpv2Bytes(packet.bytes), let messages = GTPv2Message.parse(gtpv2) {
                for m in messages { batch.messages.append((batch.digests.count, m)) }
            }
            if keepsFlowContexts, let context = FlowContext(s) { batch.contexts.append((batch.digests.count, context)) }
            // The digest carries the time aggregation reads: a packet with none takes the one
            // before it (`DecodeStatistics.settleTime`, patched here on the digest so the summary
            // stays a constant: settling the summary itself cost 10 % of replay's CPU).
            // Rules by interface: the packet's interface name (pcapng if_name, the live interface)
            // as the matcher's id; without such rules nothing is looked up.
            var interface: Int32 = -1
            if classifier.rulesUseInterfaces {
                let name = source.interfaceName(at: packet.interfaceIndex)
                if let cached = interfaceCache, cached.name == name {
                    interface = cached.id
                } else {
                    interface = name.flatMap { classifier.interfaceID(named: $0) } ?? -1
                    interfaceCache = (name, interface)
                }
            }
            var digest = classifier.digest(s, interface: interface)
            if _fastPath(s.timeIsUsable) {
                statistics.lastTime = digest.timestampNanoseconds
                switch ahead.see(digest.timestampNanoseconds) {
                case .none: break
                case .datedAhead(let time):
                    if let held = heldDigest {
                        batch.digests[held.index].timestampNanoseconds = time
                        for i in heldTimeless { batch.digests[i].timestampNanoseconds = time }
                        statistics.countDatedAhead(packet: held.packet, interface: held.interface, judgedBy: packet.interfaceIndex,
                                                   name: source.interfaceName(at: held.interface))
                    }
                case .firstDatedAhead(let time):
                    if let held = heldFirst {
                        batch.digests[held.index].timestampNanoseconds = time
                        for i in heldFirstTimeless { batch.digests[i].timestampNanoseconds = time }
                        statistics.countDatedAhead(packet: held.packet, interface: held.interface, judgedBy: packet.interfaceIndex,
                                                   name: source.interfaceName(at: held.interface), first: true)
                    }
                }
                if !heldTimeless.isEmpty { heldTimeless.removeAll(keepingCapacity: true) }
                heldDigest = ahead.holding ? (batch.digests.count, packet.number, packet.interfaceIndex) : nil
                if _slowPath(heldFirst != nil || ahead.holdingFirst) {
                    if !ahead.holdingFirst {
                        heldFirst = nil
                        heldFirstTimeless.removeAll(keepingCapacity: true)
                    } else if heldFirst == nil {
                        heldFirst = (batch.digests.count, packet.number, packet.interfaceIndex)
                    }
                }
            } else {
                statistics.settle(&digest.timestampNanoseconds, packet: packet.number)
                if heldDigest != nil { heldTimeless.append(batch.digests.count) }
                if _slowPath(heldFirst != nil) { heldFirstTimeless.append(batch.digests.count) }
            }
            batch.digests.append(digest)
            batch.numbers.append(packet.number)
            // A batch ending with a packet under judgement waits for the next usable time (a few
            // packets more at most: one without a time does not judge, and a batch twice the size
            // goes as it is).
            if batch.digests.count >= batchSize && (heldDigest == nil && heldFirst == nil || batch.digests.count >= 2 * batchSize) {
                releaseHeld()
                batch.fileFraction = Double(statistics.capturedBytes + 16 * statistics.packets) / size
                batch.decodeIssues = statistics.issueCount
                var next = handOff(batch)
                // Let go of the handed-off buffers before emptying `next`: with one thread it is the
                // same batch, and clearing arrays still shared with `batch` copied them (two fresh
                // buffers, 359 KB, a batch).
                batch = PacketBatch()
                reset(&next)
                batch = next
            }
        }, drained: {
            // A live source waits for more: pass on what there is, so windows and metrics keep up.
            // When nothing came at all, say so (at most once a second) with the wall-clock time,
            // so windows of a quiet interface still close.
            guard !batch.digests.isEmpty else {
                let now = Self.wallClockNanoseconds()
                guard now - lastIdleTick >= 1_000_000_000 else { return }
                // A read that returned empty-handed with packets waiting (woken after a stall) is
                // not a quiet interface: those packets close their windows themselves. Until
                // 7 December 2026 a 3 s SIGSTOP closed the windows of the packets still in the
                // ring by the clock: one written as zero load, unmarked, and its packets counted
                // late in the next (an audit).
                guard !source.hasPendingPackets else { return }
                lastIdleTick = now
                batch.idleClockNanoseconds = now
                var next = handOff(batch)
                batch = PacketBatch()  // as above: not shared when emptied
                reset(&next)
                batch = next
                return
            }
            batch.decodeIssues = statistics.issueCount
            // Nothing more to judge a held packet by for now (the end of the file, or a live
            // source waiting): its time stands.
            releaseHeld()
            var next = handOff(batch)
            batch = PacketBatch()  // as above: not shared when emptied
            reset(&next)
            batch = next
        })
        batch.fileFraction = 1
        batch.decodeIssues = statistics.issueCount
        releaseHeld()
    }
}

extension TrafficAggregator {
    /// Learns a batch's signalling and adds its packets in capture order (each GTPv2-C message
    /// before the packet after it), prefetching flow-table entries a few packets ahead.
    /// `cellNamesChanged` hears of dynamic cells as they appear, for naming flows as they end;
    /// `contexts` (IPFIX export) receives the context of each flow's first packet.
    mutating func add(_ batch: PacketBatch, windowClosed: ([WindowSummary]) -> Void,
                      flowEnded: (borrowing FlowRecord, FlowEndReason) -> Void,
                      contexts: FlowContextTable? = nil,
                      cellNamesChanged: ([String]) -> Void) {
        if batch.digests.isEmpty, let clock = batch.idleClockNanoseconds {
            // Packets may sit in the kernel buffer for a read timeout: the clock's grace.
            advance(to: clock - Self.clockGraceNanoseconds, windowClosed: windowClosed, flowEnded: flowEnded)
            return
        }
        var m = 0, c = 0
        var known = cellNames.count
        // A plain loop over the arrays: a closure over `self` (withUnsafeBufferPointer) would
        // copy the whole aggregator in and out for every packet.
        let digests = batch.digests, numbers = batch.numbers
        let table = flows
        hashBatch(digests)
        let hashes = batchHashes
        for i in digests.indices {
            while m < batch.messages.count && batch.messages[m].0 == i {
                learn(batch.messages[m].1, packetNumber: numbers[i])
                m += 1
            }
            Self.prefetch(table, digests, hashes, at: i)
            let created = table.createdFlows
            add(digests[i], hash: hashes[i], packetNumber: numbers[i], windowClosed: windowClosed, flowEnded: flowEnded)
            if let contexts, c < batch.contexts.count, batch.contexts[c].0 == i {
                // Kept only for the packet that created its flow.
                if table.createdFlows != created { contexts.insert(batch.contexts[c].1, firstPacket: numbers[i]) }
                c += 1
            }
            if cellNames.count != known {
                known = cellNames.count
                cellNamesChanged(cellNames)
            }
        }
    }
}

extension DecodeStatistics {
    var issueCount: Int { issues.values.reduce(0) { $0 + $1.count } }
}
