internal import FlowcastCore
internal import FlowcastAggregate
public import FlowcastCapture
internal import FlowcastDecode
public import FlowcastTopology
internal import Foundation
internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#endif

// MARK: - Live capture on several threads

/// The GTPv2-C messages every capture thread of a run has read, so each thread's learner knows
/// the tunnels signalling placed on any thread (signalling and the tunnels it sets up hash to
/// different threads). A thread publishes once per batch that carried signalling and looks for
/// others' messages once per batch: an atomic count spares the lock when there is nothing new.
final class SignallingExchange: @unchecked Sendable {
    private let lock = NSLock()
    private var log: [(worker: Int, nanoseconds: Int64, message: GTPv2Message)] = []
    private let published = Atomic<Int>(0)

    func publish(worker: Int, _ messages: [(Int64, GTPv2Message)]) {
        guard !messages.isEmpty else { return }
        lock.lock()
        for (t, m) in messages { log.append((worker, t, m)) }
        published.store(log.count, ordering: .releasing)
        lock.unlock()
    }

    /// Other threads' messages from `cursor` on (advanced past them).
    func take(for worker: Int, from cursor: inout Int) -> [GTPv2Message] {
        guard published.load(ordering: .acquiring) != cursor else { return [] }
        lock.lock(); defer { lock.unlock() }
        let new = log[cursor...].filter { $0.worker != worker }.map(\.message)
        cursor = log.count
        return new
    }

    /// Every message in capture-time order (stable for equal times): what one thread reading the
    /// whole interface would have learned from, for the summary's learned-tunnel counts.
    func learnerInCaptureOrder() -> TunnelCellLearner {
        lock.lock(); defer { lock.unlock() }
        var learner = TunnelCellLearner()
        for entry in log.enumerated().sorted(by: { ($0.element.nanoseconds, $0.offset) < ($1.element.nanoseconds, $1.offset) }) {
            learner.learn(entry.element.message)
        }
        return learner
    }
}

/// What a capture thread hands the merging thread after each batch (never per packet).
struct WorkerReport: Sendable {
    var worker: Int
    /// The topology generation the report's windows belong to (0, then one more per reload).
    var generation = 0
    /// The thread has closed its last window of `generation` (a reload, or the stop).
    var endsGeneration = false
    /// Windows the thread's aggregator closed, each as its cells and links.
    var windows: [[WindowSummary]] = []
    /// flows.jsonl lines of the flows that ended, formatted on the capture thread.
    var flowLines: [UInt8] = []
    var flowCount = 0
    /// Every window ending at or before this (capture-clock nanoseconds) is final for the thread.
    var watermark = Int64.min
    var totals = TrafficAggregator.Totals()
    var liveFlows = 0, createdFlows = 0, evictedFlows = 0
    var decodeIssues = 0
    var decode: DecodeStatistics?
    var captureError: String?
    var failure: String?
    var finished = false
}

/// The hand-off from capture threads to the merging thread: one lock per batch.
final class ReportQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var reports: [WorkerReport] = []

    func send(_ report: WorkerReport) {
        condition.lock(); reports.append(report); condition.signal(); condition.unlock()
    }

    /// Everything queued, waiting up to `seconds` for the first.
    func receive(waiting seconds: Double) -> [WorkerReport] {
        condition.lock(); defer { condition.unlock() }
        if reports.isEmpty { _ = condition.wait(until: Date().addingTimeInterval(seconds)) }
        let taken = reports
        reports.removeAll(keepingCapacity: true)
        return taken
    }
}

/// Merges the windows of several capture threads into the windows one thread would have closed:
/// per window start, the per-cell and per-link counts of every thread added up (a flow lives on
/// one thread, so flow counts add up too). A window is written once every thread has passed its
/// end; a thread's missing window counts as empty. The same rule as the planner's site merge,
/// with threads for sites.
struct WindowMerger {
    let duration: Int64
    private(set) var watermarks: [Int64]
    private var cellKeys: [String] = [], linkKeys: [String] = []
    private var known: Set<String> = []
    private var pending: [Int64: [String: WindowSummary]] = [:]
    private var partialStarts: Set<Int64> = []
    /// Start of the next window to write, once one was written.
    private(set) var nextStart: Int64?
    /// Thread windows that arrived after their window was written (counted in the next one).
    private(set) var lateWindows = 0
    private(set) var written: UInt64 = 0

    let topology: Topology

    init(duration: Int64, workers: Int, topology: Topology) {
        self.duration = duration
        self.topology = topology
        watermarks = Array(repeating: Int64.min, count: workers)
        for c in topology.cells { cellKeys.append(c.id); known.insert("cell\u{0}" + c.id) }
        for l in topology.links { linkKeys.append(l.id); known.insert("link\u{0}" + l.id) }
    }

    var cellNames: [String] { cellKeys }

    mutating func add(_ window: [WindowSummary]) {
        guard var start = window.first?.startNanoseconds else { return }
        if let next = nextStart, start < next { start = next; lateWindows += 1 }
        // A thread's window cut short (a reload, the stop) makes the merged window partial.
        if window.first?.partial == true { partialStarts.insert(start) }
        var slot = pending[start] ?? [:]
        for w in window {
            let key = w.kind.rawValue + "\u{0}" + w.id
            if known.insert(key).inserted {
                if w.kind == .cell { cellKeys.append(w.id) } else { linkKeys.append(w.id) }
            }
            if var sum = slot[key] {
                sum.bytesUp &+= w.bytesUp; sum.bytesDown &+= w.bytesDown
                sum.packetsUp &+= w.packetsUp; sum.packetsDown &+= w.packetsDown
                sum.activeFlows &+= w.activeFlows; sum.newFlows &+= w.newFlows
                sum.retransmissions &+= w.retransmissions; sum.zeroWindows &+= w.zeroWindows
                sum.decodeIssues &+= w.decodeIssues
                for i in 0..<SizeHistogram.count { sum.sizeHistogram[i] &+= w.sizeHistogram[i] }
                // The threads share one capture: a thread that observed the whole window shows the
                // capture did; otherwise it was observed from the earliest of their starts.
                if let a = sum.observedFromNanoseconds, let b = w.observedFromNanoseconds {
                    sum.observedFromNanoseconds = min(a, b)
                } else {
                    sum.observedFromNanoseconds = nil
                }
                slot[key] = sum
            } else {
                var copy = w
                copy.startNanoseconds = start
                slot[key] = copy
            }
        }
        pending[start] = slot
    }

    /// A thread's closed windows and how far it has got.
    mutating func add(windows: [[WindowSummary]], worker: Int, watermark: Int64) {
        for w in windows { add(w) }
        advance(worker: worker, to: watermark)
    }

    mutating func advance(worker: Int, to watermark: Int64) {
        watermarks[worker] = max(watermarks[worker], watermark)
    }

    /// The windows every thread has passed, in order, gaps between them filled with empty
    /// windows; with `final`, everything pending, the last one marked partial.
    mutating func ready(final: Bool = false) -> [[WindowSummary]] {
        // A thread that has not reported how far it has got (Int64.min) holds everything back.
        // Until 7 December 2026 `low &- duration` wrapped round to a huge time for such a thread,
        // so a window of the first thread to report was written before the other's share of it
        // came, which then counted late in the next window (`latePackets` 1 now and then on two
        // capture threads, with or without a stall).
        let (bound, overflow) = (final ? Int64.max : (watermarks.min() ?? Int64.min)).subtractingReportingOverflow(duration)
        var out: [[WindowSummary]] = []
        while let last = pending.keys.max() {
            let start = nextStart ?? pending.keys.min()!
            guard start <= last, final || (!overflow && start <= bound) else { break }
            let slot = pending.removeValue(forKey: start) ?? [:]
            let cutShort = partialStarts.remove(start) != nil
            func line(_ kind: WindowSummary.Kind, _ id: String) -> WindowSummary {
                var w = slot[kind.rawValue + "\u{0}" + id]
                    ?? WindowSummary(kind: kind, id: id, startNanoseconds: start, durationNanoseconds: duration, partial: false)
                w.partial = (final && pending.isEmpty) || cutShort
                return w
            }
            out.append(cellKeys.map { line(.cell, $0) } + linkKeys.map { line(.link, $0) })
            written += 1
            nextStart = start + duration
        }
        return out
    }
}

extension DecodeStatistics {
    /// Adds another thread's counts (issues: counts added, the earlier first packet kept).
    mutating func add(_ o: DecodeStatistics) {
        packets += o.packets; wireBytes += o.wireBytes; capturedBytes += o.capturedBytes
        for (code, issue) in o.issueCounts {
            if let mine = issueCounts[code] {
                issueCounts[code] = (mine.count + issue.count, min(mine.firstPacket, issue.firstPacket))
            } else {
                issueCounts[code] = issue
            }
        }
    }
}

extension LiveCaptureStatistics {
    /// The counters of several handles added up.
    static func sum(_ all: [LiveCaptureStatistics]) -> LiveCaptureStatistics {
        var s = LiveCaptureStatistics()
        for o in all { s.received += o.received; s.kernelDrops += o.kernelDrops; s.interfaceDrops += o.interfaceDrops }
        return s
    }
}

/// A topology reload handed to every capture thread: each takes it once, at its next batch
/// (`BatchReader.pendingTopology`), closes its open window and flows under the old topology and
/// goes on under the new one. The merging thread offers the next only once every thread has
/// taken the last.
final class TopologyHandoff: @unchecked Sendable {
    private let lock = NSLock()
    private var offered: (generation: Int, topology: Topology)?
    private var taken: [Int]

    init(workers: Int) { taken = Array(repeating: 0, count: workers) }

    func offer(_ topology: Topology, generation: Int) {
        lock.lock(); offered = (generation, topology); lock.unlock()
    }

    /// The offered topology, once per thread; nil when there is none new for it.
    func take(for worker: Int) -> Topology? {
        lock.lock(); defer { lock.unlock() }
        guard let o = offered, taken[worker] < o.generation else { return nil }
        taken[worker] = o.generation
        return o.topology
    }
}

/// One capture thread: reads its handle of the fanout group, decodes, and aggregates into a
/// flow table and windows of its own; hands closed windows and ended flows over per batch.
/// Allocates nothing and takes no lock per packet.
private func captureThread(worker: Int, capture: LiveCapture, options: LiveOptions, exchange: SignallingExchange,
                           handoff: TopologyHandoff, ipfix: IPFIXFlowSource?, queue: ReportQueue, control: LiveControl) {
    var aggregator = TrafficAggregator(topology: options.topology, configuration: options.aggregation)
    var cellNames = aggregator.cellNames
    var report = WorkerReport(worker: worker)
    var generation = 0
    // What the aggregators of earlier topologies counted: reports carry running totals.
    var retired = TrafficAggregator.Totals()
    var retiredCreated = 0, retiredEvicted = 0
    var cursor = 0
    var ownMessages: [(Int64, GTPv2Message)] = []
    func windowClosed(_ windows: [WindowSummary]) { report.windows.append(windows) }
    // `,"interface":"NAME"}` (NAME as JSON text), for a run on several interfaces.
    let interfaceTag: [UInt8]? = options.tagsInterfaces
        ? Array((",\"interface\":" + String(decoding: (try? JSONEncoder().encode(capture.interface)) ?? Data("\"\"".utf8), as: UTF8.self) + "}\n").utf8)
        : nil
    func flowEnded(_ record: borrowing FlowRecord, _ reason: FlowEndReason) {
        let cellName = record.cellName(in: cellNames)
        record.appendJSON(reason: reason, cellName: cellName, to: &report.flowLines)
        ipfix?.flowEnded(record, reason, cellName: cellName)
        if let interfaceTag {
            report.flowLines.removeLast(2)  // the line's closing "}\n"
            report.flowLines.append(contentsOf: interfaceTag)
        }
        report.flowCount += 1
    }
    func send(finished: Bool, idleClock: Int64?) {
        if let start = aggregator.openWindowStartNanoseconds {
            report.watermark = start
        } else if let clock = idleClock {
            // No window open: whatever this thread reads later was captured after clock - 1 s
            // (the grace for packets waiting in the kernel ring; see `TrafficAggregator.add(_:…)`).
            report.watermark = clock - TrafficAggregator.clockGraceNanoseconds
        }
        if finished { report.watermark = Int64.max }
        report.generation = generation
        report.totals = retired
        report.totals.add(aggregator.totals)
        report.liveFlows = aggregator.flows.liveFlows
        report.createdFlows = retiredCreated + aggregator.flows.createdFlows
        report.evictedFlows = retiredEvicted + aggregator.flows.evictedFlows
        report.finished = finished
        if finished { report.endsGeneration = true }
        queue.send(report)
        let watermark = report.watermark
        report = WorkerReport(worker: worker)
        report.watermark = watermark
        report.flowLines.reserveCapacity(4096)
    }
    let reader = BatchReader(source: capture, decoder: PacketDecoder(), classifier: aggregator.classifier, batchSize: 4096)
    // The reader digests with the new topology from the batch that carries it, as `runLive`'s does.
    reader.pendingTopology = { handoff.take(for: worker) }
    reader.keepsFlowContexts = ipfix != nil
    reader.runInline { batch in
        if let topology = batch.reloadedTopology {
            // As one thread does on a reload: the open window closes (partial) and open flows
            // end under the old topology; that generation ends here for this thread.
            for m in exchange.take(for: worker, from: &cursor) { aggregator.learnShared(m) }
            // As `runLive`: windows that ended a grace second before the reload are whole.
            aggregator.advance(to: BatchReader<LiveCapture>.wallClockNanoseconds() - TrafficAggregator.clockGraceNanoseconds,
                               windowClosed: windowClosed, flowEnded: flowEnded)
            aggregator.finish(windowClosed: windowClosed, flowEnded: flowEnded)
            report.watermark = Int64.max
            report.endsGeneration = true
            send(finished: false, idleClock: nil)
            retired.add(aggregator.totals)
            retiredCreated += aggregator.flows.createdFlows
            retiredEvicted += aggregator.flows.evictedFlows
            generation += 1
            aggregator = TrafficAggregator(topology: topology, configuration: options.aggregation.afterReload(at: BatchReader<LiveCapture>.wallClockNanoseconds()))
            ipfix?.topologyChanged(topology)
            cellNames = aggregator.cellNames
            report.watermark = Int64.min
        }
        for m in exchange.take(for: worker, from: &cursor) { aggregator.learnShared(m) }
        aggregator.add(batch, windowClosed: windowClosed, flowEnded: flowEnded, contexts: ipfix?.contexts) { cellNames = $0 }
        ipfix?.exporter.endBatch()
        if !batch.messages.isEmpty {
            ownMessages.removeAll(keepingCapacity: true)
            for (i, m) in batch.messages { ownMessages.append((batch.digests[i].timestampNanoseconds, m)) }  // i: the carrying packet
            exchange.publish(worker: worker, ownMessages)
        }
        if let error = batch.error { report.captureError = "\(error)" }
        report.decodeIssues = batch.decodeIssues
        send(finished: false, idleClock: batch.idleClockNanoseconds)
    }
    // Stopped: the open window and every open flow of this thread.
    for m in exchange.take(for: worker, from: &cursor) { aggregator.learnShared(m) }
    // Every thread reaches the same stop time, so their last windows agree.
    if let stop = control.stopTime { aggregator.advance(to: stop, windowClosed: windowClosed, flowEnded: flowEnded) }
    ipfix?.exporter.beginDraining()
    aggregator.finish(windowClosed: windowClosed, flowEnded: flowEnded)
    report.decode = reader.statistics
    send(finished: true, idleClock: nil)
}

/// `runLive` on the handles of a PACKET_FANOUT group, one capture thread each (aggregating what
/// its handle reads), this thread merging their windows exactly (`WindowMerger`) and writing
/// every output as `runLive` does. Flows are formatted on the capture threads and written here.
///
/// A topology reload (SIGHUP) is offered to every thread (`TopologyHandoff`); each closes its
/// open window and flows under the old topology at its next batch, and once all have, the old
/// generation's windows are written (the last partial), its planner finishes, and the new one's
/// planner (policies/reload-N) takes over, as with one thread. IPFIX export runs on every capture
/// thread (an exporter each); capture to file runs on one thread (`runLive`).
public func runLiveParallel(_ options: LiveOptions, captures: [LiveCapture], control: LiveControl,
                            publisher: TapPublisher? = nil,
                            makePlanner: (Topology, Int) throws -> IntervalPlanner?,
                            log: (LiveEvent) -> Void) throws -> ReplayResult {
    let options = options.capturingFromNow
    let directory = options.outputDirectory
    var result = ReplayResult(totals: .init(), decode: .init())
    let segments = try LiveSegments(options)
    var planner = try makePlanner(options.topology, 0)
    var generation = 0
    var retiredPlanFailures = 0
    var failure: (any Error)?
    var cellBytes: [String: UInt64] = [:]
    var progress = PlannerProgress()
    let n = captures.count
    // One merger per topology generation; two only while a reload is under way.
    var mergers = [0: WindowMerger(duration: options.aggregation.windowNanoseconds, workers: n, topology: options.topology)]
    var endedGeneration = [Bool](repeating: false, count: n)
    var windowsWritten: UInt64 = 0, lateWindows = 0
    var cellNames = mergers[0]!.cellNames
    var latest = [WorkerReport](repeating: WorkerReport(worker: 0), count: n)
    var lastReport = [UInt64](repeating: DispatchTime.now().uptimeNanoseconds, count: n)
    var finished = [Bool](repeating: false, count: n)
    var decode = DecodeStatistics()
    // Read now (a stats line must never show fewer packets received than aggregated).
    func statistics() -> LiveCaptureStatistics { .sum(captures.map { $0.refreshStatistics() }) }
    func packetsSoFar() -> UInt64 { latest.reduce(0) { $0 + $1.totals.packets } }
    func evictedSoFar() -> Int { latest.reduce(0) { $0 + $1.evictedFlows } }

    // Set while the run's last window is written: it takes every drop not yet given to a window.
    var writingLastWindow = false
    func windowClosed(_ windows: [WindowSummary]) {
        result.windowLines += windows.count
        let stats = statistics(), packets = packetsSoFar()
        // Drops are counted per socket; a merged window holds every socket's traffic, so it
        // carries the sum of what each socket dropped while it was open.
        let dropped: UInt64 = windows.first.map { w in
            let end: Int64? = writingLastWindow ? nil : w.startNanoseconds + options.aggregation.windowNanoseconds
            return captures.reduce(0) { $0 + $1.takeDrops(before: end) }
        } ?? 0
        do {
            if let start = try segments.windowsClosed(windows, dropped: dropped, cellBytes: &cellBytes, planner: planner, publisher: publisher,
                                                      capture: stats, packets: packets, flowsEvicted: evictedSoFar()) {
                log(.windowClosed(start: start, lines: windows.count, capture: stats, packets: packets, dropped: dropped))
            }
        } catch { if failure == nil { failure = error } }
    }
    func rotateIfDue() throws {
        if let segment = try segments.rotateIfDue() { log(.rotated(segment: segment)) }
    }
    func stopAll() { for c in captures { c.stop() } }

    let exchange = SignallingExchange()
    let handoff = TopologyHandoff(workers: n)
    let queue = ReportQueue()
    // IPFIX: an exporter per capture thread, each naming its interface (observationPointId), so
    // no lock is taken per flow; all share one transport session (one sequence counter) per
    // collector: a session per thread in one observation domain read to collectors as one
    // stream with gaps that were no losses.
    let exporters: [IPFIXFlowSource?] = try options.ipfix.map { o in
        try IPFIXExporter.sharingSessions(o, observationPoints: captures.map { if_nametoindex($0.interface) }).enumerated().map {
            IPFIXFlowSource(exporter: $1, topology: options.topology, capture: $0)
        }
    } ?? captures.map { _ in nil }
    // The exporters share their senders, and so their statistics.
    func exportStatistics() -> [IPFIXCollectorStatistics] { exporters.first??.exporter.statistics ?? [] }
    // `--max-flows` bounds the run's flows: each thread's table holds its share (the fanout keeps
    // a flow on one thread). Until 7 December 2026 every thread had the whole bound, so two
    // threads held twice the flows and memory docs/limits.md gives (an audit: 18,920 live flows
    // at --max-flows 10000).
    var threadOptions = options
    threadOptions.aggregation.flows.maximumFlows = max(1, (options.aggregation.flows.maximumFlows + n - 1) / n)
    var threads: [Thread] = []
    for (i, capture) in captures.enumerated() {
        let ipfix = exporters[i]
        let options = threadOptions
        let thread = Thread { captureThread(worker: i, capture: capture, options: options, exchange: exchange, handoff: handoff,
                                            ipfix: ipfix, queue: queue, control: control) }
        thread.stackSize = 1 << 20
        thread.name = "flowcast capture \(i)"
        threads.append(thread)
    }
    for thread in threads { thread.start() }

    while !finished.allSatisfy({ $0 }) {
        let reports = queue.receive(waiting: 0.25)
        for r in reports {
            mergers[r.generation]?.add(windows: r.windows, worker: r.worker, watermark: r.watermark)
            if r.endsGeneration && r.generation == generation { endedGeneration[r.worker] = true }
            if r.flowCount > 0 {
                segments.flows.buffer.append(contentsOf: r.flowLines)
                publisher?.flowsEnded(lines: r.flowLines)
                result.flowsWritten += r.flowCount
            }
            if let e = r.captureError { result.captureError = e; stopAll() }
            if let d = r.decode { decode.add(d) }
            latest[r.worker] = r
            lastReport[r.worker] = DispatchTime.now().uptimeNanoseconds
            if r.finished { finished[r.worker] = true }
        }
        if mergers.count > 1, endedGeneration.allSatisfy({ $0 }) {
            // Every thread has closed the old topology's windows: write them (the last partial),
            // finish its planner, and go on with the new generation's.
            var old = mergers.removeValue(forKey: generation)!
            for window in old.ready(final: true) { windowClosed(window) }
            windowsWritten += old.written; lateWindows += old.lateWindows
            if let p = planner {
                do { try p.finish() } catch { if failure == nil { failure = error } }
                progress.report(p, control: control, log: log)  // its final policy counts and is logged
                retiredPlanFailures += p.planFailures.count
            }
            generation += 1
            endedGeneration = Array(repeating: false, count: n)
            let topology = mergers[generation]!.topology
            cellNames = mergers[generation]!.cellNames
            do { planner = try makePlanner(topology, generation) } catch { planner = nil; log(.planFailed("\(error)")) }
            progress.reset()
            log(.topologyReloaded(generation: generation))
        }
        if let current = mergers[generation] {
            var m = current
            for window in m.ready() { windowClosed(window) }
            mergers[generation] = m
        }
        do { try segments.flows.flush(); try rotateIfDue() } catch { if failure == nil { failure = error } }
        // A reload is offered once the previous one is through (one generation ahead at most).
        if mergers.count == 1, let topology = control.takePendingTopology() {
            mergers[generation + 1] = WindowMerger(duration: options.aggregation.windowNanoseconds, workers: n, topology: topology)
            handoff.offer(topology, generation: generation + 1)
            for c in captures { c.wake() }  // each thread takes it at its next batch, even on a quiet interface
        }
        // A thread blocked on a quiet interface does not wake by itself: wake it (at most once a
        // second) so it closes its windows by the wall clock and the merge can go on.
        let now = DispatchTime.now().uptimeNanoseconds
        for i in 0..<n where !finished[i] && now &- lastReport[i] > 1_000_000_000 {
            lastReport[i] = now
            captures[i].wake()
        }
        progress.report(planner, control: control, log: log)
        var t = TrafficAggregator.Totals()
        for r in latest { t.add(r.totals) }
        let written = result.flowsWritten, issues = latest.reduce(0) { $0 + $1.decodeIssues }, stats = statistics()
        let cells = cellBytes, live = latest.reduce(0) { $0 + $1.liveFlows }, evicted = evictedSoFar()
        let windows = windowsWritten + (mergers[generation]?.written ?? 0)
        let planFailures = retiredPlanFailures + (planner?.planFailures.count ?? 0)
        control.update {
            $0.packets = t.packets; $0.bytes = t.bytes; $0.unmatchedPackets = t.unmatchedPackets
            $0.liveFlows = live; $0.flowsWritten = written; $0.flowsEvicted = evicted; $0.windows = windows
            $0.decodeIssues = issues; $0.capture = $0.capture.merged(with: stats); $0.cellBytes = cells
            $0.planFailures = planFailures; $0.topologyReloads = generation
        }
        if options.ipfix != nil {
            let exported = exportStatistics()
            control.update { $0.ipfix = exported }
        }
        if failure != nil { stopAll() }
    }
    for thread in threads { while thread.isExecuting { usleep(1_000) } }
    if options.ipfix != nil {
        // The last exporter to finish sends what is queued and returns the final statistics.
        result.ipfix = exporters.compactMap { $0?.exporter.finish() }.last ?? []
        let exported = result.ipfix
        control.update { $0.ipfix = exported }
    }
    // Stopped: every thread closed its open window; the merge writes what is left, the last
    // window marked partial; then a final policy and the summary.
    // A reload still under way at the stop: the old generation closes first, with its planner,
    // then the new one's windows go to a planner of their own.
    for g in mergers.keys.sorted() {
        var m = mergers[g]!
        if g > generation {
            if let p = planner {
                do { try p.finish() } catch { if failure == nil { failure = error } }
                progress.report(p, control: control, log: log)
                retiredPlanFailures += p.planFailures.count
            }
            generation = g
            do { planner = try makePlanner(m.topology, generation) } catch { planner = nil; log(.planFailed("\(error)")) }
            progress.reset()
            log(.topologyReloaded(generation: generation))
        }
        let ready = m.ready(final: true)
        for (i, window) in ready.enumerated() {
            writingLastWindow = g == mergers.keys.max() && i == ready.count - 1
            windowClosed(window)
        }
        windowsWritten += m.written; lateWindows += m.lateWindows
        cellNames = m.cellNames
    }
    if let p = planner {
        do { try p.finish() } catch { if failure == nil { failure = error } }
        progress.report(p, control: control, log: log)
    }
    if let failure { throw failure }
    try segments.commit()
    var t = TrafficAggregator.Totals()
    for r in latest { t.add(r.totals) }
    t.windows = windowsWritten
    t.latePackets += UInt64(lateWindows)
    result.totals = t
    result.decode = decode
    let stats = LiveCaptureStatistics.sum(captures.map { $0.refreshStatistics() })
    control.update {
        $0.capture = $0.capture.merged(with: stats); $0.liveFlows = 0; $0.flowsWritten = result.flowsWritten; $0.windows = t.windows
    }
    result.notRead = stats.notRead(packetsRead: result.decode.packets)
    let learner = exchange.learnerInCaptureOrder()
    let first = captures[0]
    let names = captures.interfaceNames
    var summary = RunSummary.live(interface: names.joined(separator: ","), capture: first, result: result, totals: t,
                                  statistics: stats, cellNames: cellNames, learner: learner,
                                  flowsCreated: latest.reduce(0) { $0 + $1.createdFlows }, flowsEvicted: evictedSoFar(),
                                  options: options, segments: segments, topologyReloads: generation)
    if names.count > 1, case .interface(var capture) = summary.capture {
        capture.interfaces = names.map { name in
            let s = LiveCaptureStatistics.sum(captures.filter { $0.interface == name }.map(\.statistics))
            return .init(interface: name, libpcap: .init(received: s.received, kernelDrops: s.kernelDrops, interfaceDrops: s.interfaceDrops))
        }
        summary.capture = .interface(capture)
    }
    // Every thread skips the same quiet gap: the run skipped what the most-skipping thread did.
    summary.windows.skippedEmptyWindows = latest.map(\.totals.skippedEmptyWindows).max() ?? 0
    let summaryFile = try LiveOutputFile(directory: directory, name: "summary.json")
    summaryFile.buffer.append(contentsOf: try summary.json())
    try summaryFile.commit()
    result.packetsPerCaptureThread = latest.map(\.totals.packets)
    return result
}
