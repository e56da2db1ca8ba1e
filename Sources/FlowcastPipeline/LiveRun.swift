internal import FlowcastCore
public import FlowcastAggregate
public import FlowcastCapture
internal import FlowcastDecode
public import FlowcastTopology
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

// MARK: - Live

/// How live output files rotate.
public enum LiveRotation: Sendable, Equatable {
    case never
    /// A new segment at each UTC hour.
    case hourly
    /// A new segment once windows.jsonl passes this many bytes.
    case bytes(Int)
}

/// Where a live run also saves what it captured: a ring of `files` pcapng files of `megabytes`.
public struct LiveCaptureFileOptions: Sendable {
    public var path: String
    public var files: Int
    public var megabytes: Int
    public init(path: String, files: Int, megabytes: Int) { self.path = path; self.files = files; self.megabytes = megabytes }
}

extension LiveOptions {
    /// These options for a run whose capture is open now: its first window is observed from now,
    /// not from the window's start (`TrafficAggregator.ObservationStart`).
    var capturingFromNow: LiveOptions {
        var o = self
        o.aggregation.observationStart = .at(BatchReader<LiveCapture>.wallClockNanoseconds())
        return o
    }
}

public struct LiveOptions: Sendable {
    public var topology: Topology
    public var outputDirectory: String
    public var aggregation: TrafficAggregator.Configuration
    public var rotation: LiveRotation
    public var captureFile: LiveCaptureFileOptions?
    /// Export every flow over IPFIX as well (docs/ipfix.md).
    public var ipfix: IPFIXOptions?
    /// Seconds added to the wall clock that hourly rotation reads, and to nothing else (windows
    /// follow capture time). For tests: a run started a second before an hour ends rotates a
    /// second later.
    public var rotationClockOffset: Double = 0
    /// Several interfaces in one run: each flow line names the interface it was seen on.
    public var tagsInterfaces = false
    /// The hour (since 1970, UTC) that hourly rotation is in now.
    func rotationHour() -> Int { Int((Date().timeIntervalSince1970 + rotationClockOffset) / 3600) }
    public init(topology: Topology, outputDirectory: String, aggregation: TrafficAggregator.Configuration = .init(),
                rotation: LiveRotation = .never, captureFile: LiveCaptureFileOptions? = nil) {
        self.topology = topology; self.outputDirectory = outputDirectory; self.aggregation = aggregation
        self.rotation = rotation; self.captureFile = captureFile
    }
}

/// What a live run has done so far: read by the metrics endpoint from any thread. Every count
/// is a running total over the whole run (topology reloads included).
public struct LiveSnapshot: Sendable {
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    public var liveFlows = 0
    public var flowsWritten = 0
    public var flowsEvicted = 0
    public var windows: UInt64 = 0
    public var decodeIssues = 0
    public var unmatchedPackets: UInt64 = 0
    public var capture = LiveCaptureStatistics()
    /// Bytes per cell over all closed windows (both directions).
    public var cellBytes: [String: UInt64] = [:]
    public var policiesWritten = 0
    public var planFailures = 0
    /// Wall-clock time of the latest policy written, in seconds since the epoch.
    public var lastPolicySeconds: Double?
    /// Seconds the latest plan took.
    public var lastSolveSeconds: Double?
    /// Latest forecast per cell (bit/s): point and upper quantile.
    public var cellForecasts: [String: (point: Double, upper: Double)] = [:]
    public var topologyReloads = 0
    /// Per IPFIX collector, when flows are exported.
    public var ipfix: [IPFIXCollectorStatistics] = []
    public init() {}
}

/// Something a live run reports to the operator's log.
public enum LiveEvent: Sendable {
    /// `dropped`: packets dropped before capture while the window was open.
    case windowClosed(start: Int64, lines: Int, capture: LiveCaptureStatistics, packets: UInt64, dropped: UInt64)
    case topologyReloaded(generation: Int)
    /// `count`: the policy's number in its planner's folder, `file` its path.
    case policyWritten(count: Int, file: String)
    case planFailed(String)
    /// A cell's radio KPI log gave no efficiency (the problem): its plans used the configured peak.
    case efficiencyUnavailable(String)
    case rotated(segment: Int)
    /// A reload asked of a run on several capture threads, which keeps its topology.
}

/// The thread-safe controls of a live run: stop, topology reload and the metrics snapshot.
public final class LiveControl: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: Topology?
    private var current = LiveSnapshot()
    private var stopping = false

    public init() {}

    /// Hands over a validated topology; it takes effect after the current batch.
    public func reload(_ topology: Topology) {
        lock.lock(); pending = topology; lock.unlock()
    }

    func takePendingTopology() -> Topology? {
        lock.lock(); defer { lock.unlock() }
        let p = pending; pending = nil
        return p
    }

    public var snapshot: LiveSnapshot {
        lock.lock(); defer { lock.unlock() }
        return current
    }

    func update(_ body: (inout LiveSnapshot) -> Void) {
        lock.lock(); body(&current); lock.unlock()
    }

    public var isStopping: Bool {
        lock.lock(); defer { lock.unlock() }
        return stopping
    }

    /// Marks the run as stopping (the caller then stops the capture), at the wall clock's time.
    public func markStopping() {
        let now = BatchReader<LiveCapture>.wallClockNanoseconds()
        lock.lock(); stopping = true; if stoppedAt == nil { stoppedAt = now }; lock.unlock()
    }
    private var stoppedAt: Int64?
    /// When the stop was asked for (wall-clock ns), if it was: the run's windows reach that time
    /// even on a quiet interface (the open window is the one the stop falls in), and flows idle
    /// by then end as idle. Packets still in the kernel's ring at the stop are never read.
    var stopTime: Int64? {
        lock.lock(); defer { lock.unlock() }
        return stoppedAt
    }
}

/// An output file of a live run: appended as windows close, flushed at once (a write error, a
/// full disk say, is thrown there and then), renamed into place from `NAME.partial` when its
/// segment ends, so a reader never sees a torn line in a committed file.
final class LiveOutputFile {
    let path: String
    let temporaryPath: String
    var buffer: [UInt8] = []
    private(set) var bytesWritten = 0
    private var descriptor: Int32

    init(directory: String, name: String) throws {
        path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        temporaryPath = path + ".partial"
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else {
            throw ReplayError.output(path: temporaryPath, reason: String(cString: strerror(errno)))
        }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    func flush() throws {
        var written = 0
        let failure: String? = buffer.withUnsafeBytes { raw in
            while written < raw.count {
                let n = write(descriptor, raw.baseAddress! + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                written += n
            }
            return nil
        }
        bytesWritten += written
        buffer.removeAll(keepingCapacity: true)
        if let failure {
            throw ReplayError.output(path: temporaryPath, reason: failure + " (the file is incomplete and left as .partial)")
        }
    }

    func commit() throws {
        try flush()
        if fsync(descriptor) != 0 { throw ReplayError.output(path: temporaryPath, reason: String(cString: strerror(errno))) }
        close(descriptor)
        descriptor = -1
        guard rename(temporaryPath, path) == 0 else {
            throw ReplayError.output(path: path, reason: String(cString: strerror(errno)))
        }
    }
}

/// A ring of pcapng files: FILE, then FILE.1 … FILE.(N-1) as each fills; the oldest is reused.
final class CaptureRing {
    let options: LiveCaptureFileOptions
    let linkType: LinkType
    let snaplen: UInt32
    private var writer: CaptureWriter?
    private var index = 0

    init(_ options: LiveCaptureFileOptions, linkType: LinkType, snaplen: UInt32) throws {
        self.options = options; self.linkType = linkType; self.snaplen = snaplen
        writer = try CaptureWriter(path: options.path, format: .pcapng, linkType: linkType, snaplen: snaplen)
    }

    func write(_ packet: Packet) throws {
        guard let writer else { return }
        try writer.write(packet.bytes, timestampNanoseconds: packet.timestampNanoseconds, wireLength: packet.wireLength)
        if options.megabytes > 0 && writer.bytesWritten >= options.megabytes << 20 {
            try writer.close()
            index = (index + 1) % max(1, options.files)
            let path = index == 0 ? options.path : "\(options.path).\(index)"
            self.writer = try CaptureWriter(path: path, format: .pcapng, linkType: linkType, snaplen: snaplen)
        }
    }

    func close() throws { try writer?.close(); writer = nil }
}

/// Runs the replay pipeline on a live capture until `capture.stop()`: windows are written (and
/// flushed) as they close, flows as they end, per-window capture statistics to stats.jsonl, and
/// on stop the open window, the remaining flows, a final policy and summary.json.
///
/// `makePlanner(topology, data, generation)` makes the planner for the first topology
/// (generation 0) and for each reloaded one. A reload ends the open window (marked partial)
/// and the open flows, and starts aggregating with the new topology.
public func runLive(_ options: LiveOptions, capture: LiveCapture, control: LiveControl, publisher: TapPublisher? = nil,
                    makePlanner: (Topology, Int) throws -> IntervalPlanner?,
                    log: (LiveEvent) -> Void) throws -> ReplayResult {
    let options = options.capturingFromNow
    let directory = options.outputDirectory
    var result = ReplayResult(totals: .init(), decode: .init())
    let segments = try LiveSegments(options)
    var generation = 0
    var aggregator = TrafficAggregator(topology: options.topology, configuration: options.aggregation)
    let ipfix = try options.ipfix.map { IPFIXFlowSource(exporter: try IPFIXExporter($0), topology: options.topology) }
    var planner = try makePlanner(options.topology, 0)
    var retired = TrafficAggregator.Totals()
    var retiredEvicted = 0, retiredCreated = 0
    var cellNames = aggregator.cellNames
    var cellBytes: [String: UInt64] = [:]
    var failure: (any Error)?
    var progress = PlannerProgress()
    var retiredPlanFailures = 0  // of the planners before a reload: the metric never goes back
    // As of the end of the previous batch: window callbacks run inside the aggregator's own
    // mutation and must not read it.
    var packetsSoFar: UInt64 = 0, evictedSoFar = 0

    // Set while the run's last window is written: it takes every drop not yet given to a window.
    var writingLastWindow = false
    func windowClosed(_ windows: [WindowSummary]) {
        result.windowLines += windows.count
        // libpcap's counters read now, not the 250 ms timer's last read: a stats line must never
        // show fewer packets received than aggregated.
        let stats = capture.refreshStatistics(), packets = packetsSoFar
        let dropped = windows.first.map { w in
            capture.takeDrops(before: writingLastWindow && w.partial ? nil : w.startNanoseconds + options.aggregation.windowNanoseconds)
        } ?? 0
        do {
            if let start = try segments.windowsClosed(windows, dropped: dropped, cellBytes: &cellBytes, planner: planner, publisher: publisher,
                                                      capture: stats, packets: packets, flowsEvicted: evictedSoFar) {
                log(.windowClosed(start: start, lines: windows.count, capture: stats, packets: packets, dropped: dropped))
            }
        } catch { if failure == nil { failure = error } }
    }
    func flowEnded(_ record: borrowing FlowRecord, _ reason: FlowEndReason) {
        let lineStart = segments.flows.buffer.count
        let cellName = record.cellName(in: cellNames)
        record.appendJSON(reason: reason, cellName: cellName, to: &segments.flows.buffer)
        publisher?.flowEnded(line: segments.flows.buffer[lineStart...])
        result.flowsWritten += 1
        ipfix?.flowEnded(record, reason, cellName: cellName)
    }
    func retire() {
        aggregator.finish(windowClosed: windowClosed, flowEnded: flowEnded)
        retired.add(aggregator.totals)
        retiredEvicted += aggregator.flows.evictedFlows
        retiredCreated += aggregator.flows.createdFlows
    }
    /// The planner's final policy (at a reload or the stop) counts in the metrics and is logged,
    /// as every other policy is.
    func finishPlanner() {
        guard let p = planner else { return }
        do { try p.finish() } catch { if failure == nil { failure = error } }
        progress.report(p, control: control, log: log)
    }
    func rotateIfDue() throws {
        if let segment = try segments.rotateIfDue() { log(.rotated(segment: segment)) }
    }

    // The reading thread digests packets (flow key, topology match), so it applies a reloaded
    // topology itself and flags the first batch digested with it.
    let reader = BatchReader(source: capture, decoder: PacketDecoder(), classifier: aggregator.classifier, batchSize: 4096)
    reader.pendingTopology = { control.takePendingTopology() }
    reader.keepsFlowContexts = ipfix != nil
    var ring: CaptureRing?
    if let file = options.captureFile {
        let r = try CaptureRing(file, linkType: capture.primaryLinkType, snaplen: UInt32(capture.options.snapshotLength))
        ring = r
        reader.tap = { packet in try r.write(packet) }
    }
    reader.pump(threads: 2) { batch in
        if let topology = batch.reloadedTopology {
            // Windows that ended a grace second before the reload are whole (a quiet interface's
            // open window lags the clock); the one open now closes partial.
            aggregator.advance(to: BatchReader<LiveCapture>.wallClockNanoseconds() - TrafficAggregator.clockGraceNanoseconds,
                               windowClosed: windowClosed, flowEnded: flowEnded)
            retire()
            finishPlanner()
            retiredPlanFailures += planner?.planFailures.count ?? 0
            generation += 1
            aggregator = TrafficAggregator(topology: topology, configuration: options.aggregation.afterReload(at: BatchReader<LiveCapture>.wallClockNanoseconds()))
            ipfix?.topologyChanged(topology)
            cellNames = aggregator.cellNames
            do { planner = try makePlanner(topology, generation) } catch { planner = nil; log(.planFailed("\(error)")) }
            progress.reset()
            log(.topologyReloaded(generation: generation))
        }
        aggregator.add(batch, windowClosed: windowClosed, flowEnded: flowEnded, contexts: ipfix?.contexts) { cellNames = $0 }
        ipfix?.exporter.endBatch()
        if let error = batch.error { result.captureError = "\(error)" }
        do { try segments.flows.flush(); try rotateIfDue() } catch { if failure == nil { failure = error } }
        progress.report(planner, control: control, log: log)
        let t = aggregator.totals, f = aggregator.flows
        let written = result.flowsWritten, issues = batch.decodeIssues, stats = capture.statistics, cells = cellBytes
        let evicted = retiredEvicted + f.evictedFlows, live = f.liveFlows, windows = retired.windows + t.windows
        packetsSoFar = retired.packets + t.packets; evictedSoFar = evicted
        let planFailures = retiredPlanFailures + (planner?.planFailures.count ?? 0)
        let exportStatistics = ipfix?.exporter.statistics ?? []
        control.update {
            $0.ipfix = exportStatistics
            $0.packets = retired.packets + t.packets; $0.bytes = retired.bytes + t.bytes
            $0.unmatchedPackets = retired.unmatchedPackets + t.unmatchedPackets
            $0.liveFlows = live; $0.flowsWritten = written; $0.flowsEvicted = evicted; $0.windows = windows
            $0.decodeIssues = issues; $0.capture = $0.capture.merged(with: stats); $0.cellBytes = cells
            $0.planFailures = planFailures
            $0.topologyReloads = generation
        }
        if failure != nil { capture.stop() }
    }
    if let ring { do { try ring.close() } catch { if failure == nil { failure = error } } }
    // Stopped: the open window, every open flow and a final policy, then the summary.
    if let stop = control.stopTime { aggregator.advance(to: stop, windowClosed: windowClosed, flowEnded: flowEnded) }
    ipfix?.exporter.beginDraining()
    writingLastWindow = true
    retire()
    if let ipfix { result.ipfix = ipfix.exporter.finish() }
    finishPlanner()
    if let failure { throw failure }
    try segments.commit()
    result.totals = retired
    result.decode = reader.statistics
    let stats = capture.refreshStatistics()
    control.update {
        $0.capture = $0.capture.merged(with: stats); $0.liveFlows = 0; $0.flowsWritten = result.flowsWritten; $0.windows = retired.windows
        $0.ipfix = result.ipfix
    }

    result.notRead = stats.notRead(packetsRead: result.decode.packets)
    let t = retired
    let summary = RunSummary.live(interface: capture.interface, capture: capture, result: result, totals: t, statistics: stats,
                                  cellNames: cellNames, learner: aggregator.learner, flowsCreated: retiredCreated,
                                  flowsEvicted: retiredEvicted, options: options, segments: segments, topologyReloads: generation)
    let summaryFile = try LiveOutputFile(directory: directory, name: "summary.json")
    summaryFile.buffer.append(contentsOf: try summary.json())
    try summaryFile.commit()
    return result
}

extension TrafficAggregator.Totals {
    /// Adds another aggregator's totals (a live run swaps aggregators on a topology reload).
    mutating func add(_ o: TrafficAggregator.Totals) {
        packets += o.packets; bytes += o.bytes; nonIPPackets += o.nonIPPackets
        cellPackets += o.cellPackets; cellBytes += o.cellBytes
        unmatchedPackets += o.unmatchedPackets; unmatchedBytes += o.unmatchedBytes
        learnedCellPackets += o.learnedCellPackets; staticLearnedConflicts += o.staticLearnedConflicts
        latePackets += o.latePackets; windows += o.windows; signallingMessages += o.signallingMessages
        skippedEmptyWindows += o.skippedEmptyWindows; cellsRefused += o.cellsRefused
        firstLatePacket = [firstLatePacket, o.firstLatePacket].compactMap { $0 }.min()
        firstGapPacket = [firstGapPacket, o.firstGapPacket].compactMap { $0 }.min()
        malformedSignalling += o.malformedSignalling
        if firstMalformedSignalling == nil { firstMalformedSignalling = o.firstMalformedSignalling }
        if let f = o.firstNanoseconds {
            lastNanoseconds = firstNanoseconds == nil ? o.lastNanoseconds : max(lastNanoseconds, o.lastNanoseconds)
            firstNanoseconds = min(firstNanoseconds ?? f, f)
        }
    }
}
