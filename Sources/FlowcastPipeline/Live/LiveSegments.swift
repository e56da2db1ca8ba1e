internal import FlowcastAggregate
internal import FlowcastCapture
internal import FlowcastCore
internal import Foundation

/// A live run's current output segment: `windows`, `flows` and `stats` files (`NAME.jsonl`, or
/// `NAME-NNNN.jsonl` when rotating), their rotation by the hour or by size, and the per-window
/// statistics line. Shared by the one-thread run (`runLive`) and the several-thread one
/// (`runLiveParallel`), which differ in how windows reach them, not in what they write.
final class LiveSegments {
    let directory: String
    let rotation: LiveRotation
    private let options: LiveOptions
    private(set) var segment = 0
    private var hour: Int
    private(set) var windows: LiveOutputFile
    private(set) var flows: LiveOutputFile
    private(set) var stats: LiveOutputFile
    /// Windows written with packets dropped before capture while they were open (summary.json).
    private(set) var windowsWithDrops = 0

    init(_ options: LiveOptions) throws {
        self.options = options
        directory = options.outputDirectory
        rotation = options.rotation
        hour = options.rotationHour()
        func open(_ base: String) throws -> LiveOutputFile {
            try LiveOutputFile(directory: options.outputDirectory, name: Self.name(base, segment: 0, rotation: options.rotation))
        }
        windows = try open("windows"); flows = try open("flows"); stats = try open("stats")
    }

    static func name(_ base: String, segment: Int, rotation: LiveRotation) -> String {
        rotation == .never ? "\(base).jsonl" : String(format: "\(base)-%04d.jsonl", segment)
    }

    /// The current segment's file name for `base`.
    func name(_ base: String) -> String { Self.name(base, segment: segment, rotation: rotation) }

    /// Where the per-window statistics are: the one file, or the first and last segment of a
    /// rotated run (summary.json named only the last, which holds the last segment's lines).
    var statisticsFiles: String {
        segment == 0 ? name("stats") : "\(Self.name("stats", segment: 0, rotation: rotation)) to \(name("stats"))"
    }

    /// Appends the statistics line of the window that starts at `start`.
    private func appendStatistics(windowStart start: Int64, capture: LiveCaptureStatistics, packets: UInt64, flowsEvicted: Int) {
        stats.buffer.append(contentsOf: Array("{\"windowStart\":".utf8))
        stats.buffer.appendSeconds(start)
        stats.buffer.append(contentsOf: Array((",\"received\":\(capture.received),\"kernelDrops\":\(capture.kernelDrops),"
            + "\"interfaceDrops\":\(capture.interfaceDrops),\"packets\":\(packets),"
            + "\"flowsEvicted\":\(flowsEvicted)}\n").utf8))
    }

    /// Writes one batch of closed windows, the same way for both kinds of run: their lines and
    /// the statistics line go to the segment (flushed), cell bytes are counted, and the planner
    /// and publisher see them. Returns the windows' start for the log line (nil for no windows);
    /// a write error is thrown after the planner and publisher have had the windows.
    /// `dropped` is what the capture's drop counters grew by while the window was open
    /// (`LiveCapture.takeDrops`): every line of the window carries it (`droppedBeforeCapture`).
    func windowsClosed(_ closed: [WindowSummary], dropped: UInt64, cellBytes: inout [String: UInt64], planner: IntervalPlanner?,
                       publisher: TapPublisher?, capture: LiveCaptureStatistics, packets: UInt64,
                       flowsEvicted: Int) throws -> Int64? {
        var windows = closed
        if dropped > 0 {
            for i in windows.indices { windows[i].droppedBeforeCapture = dropped }
            if !windows.isEmpty { windowsWithDrops += 1 }
        }
        let lineStart = self.windows.buffer.count
        for w in windows {
            w.appendJSON(to: &self.windows.buffer)
            if w.kind == .cell { cellBytes[w.id, default: 0] += w.bytesUp + w.bytesDown }
        }
        planner?.windowClosed(windows, lines: self.windows.buffer[lineStart...])
        publisher?.windowsClosed(windows)
        if let failure = planner?.writeFailure { throw failure }
        let start = windows.first?.startNanoseconds
        if let start { appendStatistics(windowStart: start, capture: capture, packets: packets, flowsEvicted: flowsEvicted) }
        try self.windows.flush(); try stats.flush()
        return start
    }

    /// Commits the segment and opens the next when the hour has turned or the windows file has
    /// reached its size; returns the new segment's number, or nil when it was not due.
    func rotateIfDue() throws -> Int? {
        let due: Bool
        switch rotation {
        case .never: due = false
        case .hourly: due = options.rotationHour() != hour
        case .bytes(let limit): due = windows.bytesWritten >= limit
        }
        guard due else { return nil }
        try commit()
        segment += 1
        hour = options.rotationHour()
        windows = try LiveOutputFile(directory: directory, name: name("windows"))
        flows = try LiveOutputFile(directory: directory, name: name("flows"))
        stats = try LiveOutputFile(directory: directory, name: name("stats"))
        return segment
    }

    /// Syncs and renames the three files into place.
    func commit() throws {
        try windows.commit(); try flows.commit(); try stats.commit()
    }
}

/// What a live run has told of its planner so far: after each batch, new policies and radio KPI
/// problems are logged and the latest forecasts go to the metrics. Shared by the one-thread and
/// the several-thread runs; `reset` when a reload brings a new planner.
struct PlannerProgress {
    var policiesBefore = 0
    /// Of the planner's efficiencyProblems.
    var efficiencyProblemsLogged = 0
    /// Of the planner's planFailures.
    var planFailuresLogged = 0

    mutating func reset() { policiesBefore = 0; efficiencyProblemsLogged = 0; planFailuresLogged = 0 }

    mutating func report(_ planner: IntervalPlanner?, control: LiveControl, log: (LiveEvent) -> Void) {
        guard let p = planner else { return }
        if p.policiesWritten != policiesBefore {
            // A batch (or a planner's finish) can write more than one: a line for each, so the
            // log names every file (it logged one line per batch, and a test counting files
            // against lines failed whenever a batch had spanned two plan intervals).
            let written = p.policiesWritten - policiesBefore
            for number in stride(from: policiesBefore + 1, through: p.policiesWritten, by: 1) {
                let file = URL(fileURLWithPath: p.options.directory)
                    .appendingPathComponent(IntervalPlanner.policyFileName(number)).path
                log(.policyWritten(count: number, file: file))
            }
            policiesBefore = p.policiesWritten
            control.update { $0.lastPolicySeconds = Date().timeIntervalSince1970; $0.policiesWritten += written }
        }
        // As soon as a plan meets a problem or fails, not only when the run stops.
        logEfficiencyProblems(of: p, log: log)
        logPlanFailures(of: p, log: log)
        let forecasts = p.cellForecasts, solve = p.lastSolveSeconds
        control.update { $0.cellForecasts = forecasts; $0.lastSolveSeconds = solve }
    }

    mutating func logPlanFailures(of p: IntervalPlanner, log: (LiveEvent) -> Void) {
        for failure in p.planFailures.dropFirst(planFailuresLogged) { log(.planFailed(failure)) }
        planFailuresLogged = max(planFailuresLogged, p.planFailures.count)
    }

    mutating func logEfficiencyProblems(of p: IntervalPlanner, log: (LiveEvent) -> Void) {
        for problem in p.efficiencyProblems.dropFirst(efficiencyProblemsLogged) { log(.efficiencyUnavailable(problem)) }
        efficiencyProblemsLogged = max(efficiencyProblemsLogged, p.efficiencyProblems.count)
    }
}

extension RunSummary {
    /// summary.json of a live run, on one capture thread or several: `interface` names every
    /// interface read, `capture` is the first handle (link type, filter, timestamps), `t` the
    /// run's totals, `learner` what signalling taught (in capture order).
    static func live(interface: String, capture: LiveCapture, result: ReplayResult, totals t: TrafficAggregator.Totals,
                     statistics stats: LiveCaptureStatistics, cellNames: [String], learner: TunnelCellLearner,
                     flowsCreated: Int, flowsEvicted: Int, options: LiveOptions, segments: LiveSegments,
                     topologyReloads: Int) -> RunSummary {
        var summary = RunSummary(
            capture: .interface(.init(
                interface: interface, linkType: capture.primaryLinkType.description, filter: capture.options.filter,
                nanosecondTimestamps: capture.nanosecondTimestamps, packets: result.decode.packets,
                wireBytes: result.decode.wireBytes, capturedBytes: result.decode.capturedBytes,
                firstTime: t.firstNanoseconds.map { Double($0) / 1e9 }, lastTime: t.firstNanoseconds == nil ? nil : Double(t.lastNanoseconds) / 1e9,
                error: result.captureError,
                libpcap: .init(received: stats.received, kernelDrops: stats.kernelDrops, interfaceDrops: stats.interfaceDrops),
                notRead: stats.notRead(packetsRead: result.decode.packets))),
            decode: .init(issues: result.decode.issues.mapValues { .init(count: $0.count, firstPacket: $0.firstPacket) },
                          packetsWithIssues: result.decode.issueCount, nonIPPackets: t.nonIPPackets),
            cells: .init(names: cellNames, matchedPackets: t.cellPackets, matchedBytes: t.cellBytes,
                         learnedFromSignallingPackets: t.learnedCellPackets, signallingMessages: t.signallingMessages,
                         staticRuleConflicts: t.staticLearnedConflicts, learnedTEIDs: learner.cellByTunnel.count,
                         signallingConflicts: learner.conflicts, teidsRefused: learner.refused,
                         cellsRefused: Int(t.cellsRefused),
                         malformedSignalling: t.firstMalformedSignalling.map {
                             Cells.MalformedSignalling(count: t.malformedSignalling, firstPacket: $0.packet, firstProblem: $0.problem)
                         }),
            unmatched: .init(packets: t.unmatchedPackets, bytes: t.unmatchedBytes),
            flows: .init(created: flowsCreated, written: result.flowsWritten, evicted: flowsEvicted),
            windows: .init(seconds: Double(options.aggregation.windowNanoseconds) / 1e9, count: t.windows,
                           lines: result.windowLines, latePackets: t.latePackets, statisticsPerWindow: segments.statisticsFiles),
            totals: .init(packets: t.packets, bytes: t.bytes),
            topologyReloads: topologyReloads, segments: segments.segment + 1, ipfix: options.ipfix != nil ? result.ipfix : nil)
        summary.windows.skippedEmptyWindows = t.skippedEmptyWindows
        summary.windows.withDrops = segments.windowsWithDrops
        return summary
    }
}

extension LiveCaptureStatistics {
    /// Packets received into the kernel's ring but not read (`received` counts the kernel's drops
    /// too, TPACKET_V3's `tp_packets`): what a stop leaves unread.
    func notRead(packetsRead: Int) -> UInt64 {
        received &- min(received, kernelDrops &+ UInt64(packetsRead))
    }
}
