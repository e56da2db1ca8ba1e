internal import FlowcastCore
public import FlowcastNATS
public import FlowcastPolicy
internal import FlowcastTopology
internal import FlowcastAggregate
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// `flowcast planner`: many taps' windows from NATS JetStream in, one network's policies out.
public struct NetworkPlannerOptions: Sendable {
    public var connection: NATSConnectionOptions
    public var topologyPath: String
    public var outputDirectory: String
    /// Where policy-NNNN.json and forecasts.jsonl go (as `replay --policies`).
    public var policyDirectory: String
    public var sites: [String]
    public var everyNanoseconds: Int64
    public var modelPath: String?
    public var plan: PlanOptions
    /// Seconds (wall time) after the first site closed a window before it is planned without the rest.
    public var latenessSeconds: Double
    public var exitWhenDone: Bool
    /// Read the stream from this time (ns since the epoch) when the durable consumer is created.
    public var fromNanoseconds: Int64?
    public var durable: String

    public init(connection: NATSConnectionOptions, topologyPath: String, outputDirectory: String, policyDirectory: String,
                sites: [String], everyNanoseconds: Int64, modelPath: String?, plan: PlanOptions, latenessSeconds: Double,
                exitWhenDone: Bool, fromNanoseconds: Int64?, durable: String) {
        self.connection = connection; self.topologyPath = topologyPath; self.outputDirectory = outputDirectory
        self.policyDirectory = policyDirectory; self.sites = sites; self.everyNanoseconds = everyNanoseconds
        self.modelPath = modelPath; self.plan = plan; self.latenessSeconds = latenessSeconds; self.exitWhenDone = exitWhenDone
        self.fromNanoseconds = fromNanoseconds; self.durable = durable
    }
}

public enum NetworkPlannerError: Error, CustomStringConvertible {
    case topology(String)
    case state(path: String, reason: String)
    case observer(cellOrLink: String, site: String)

    public var description: String {
        switch self {
        case let .topology(reason): return reason
        case let .state(path, reason): return "\(path): \(reason)"
        case let .observer(what, site): return "\(what) has observer '\(site)', which is not in --sites"
        }
    }
}

/// The planner's persistent state (OUT/planner-state.json), saved before messages are acknowledged.
struct NetworkPlannerState: Codable {
    static let formatVersion = 1
    var formatVersion = NetworkPlannerState.formatVersion
    var sites: [String]
    var everyNanoseconds: Int64
    var merger: SiteMerger
    var planner: IntervalPlannerCheckpoint?
    /// Per-series observations, kept only when a model forecasts (see `IntervalPlannerCheckpoint`).
    var historyValues: [String: [Double]] = [:]
    var historyTimes: [String: [Double]] = [:]
    var windowsPlanned = 0
    var policiesPublished = 0
    /// The last interval is planned and forecasts.jsonl committed.
    var finished = false
    var garbageSubjects: [String] = []
}

/// Merges every listed site's windows as they arrive, plans each interval as `replay --plan-every`
/// does, and keeps its state under OUT so that a restart after any kill carries on exactly.
public final class NetworkPlanner {
    public let options: NetworkPlannerOptions
    let connection: NATSConnection
    let consumer: PullConsumer
    let topology: Topology
    var state: NetworkPlannerState
    var planner: IntervalPlanner?
    let statePath: String
    /// Lines for the log (standard error in the CLI).
    public var log: (String) -> Void = { _ in }
    public private(set) var streamDifferences: [String] = []
    /// Messages taken from the stream by this process (the bench's ingest rate).
    public private(set) var messagesThisRun = 0
    /// Wall time of this run, and the part of it spent in plan steps (solves and writing policies) (s).
    public private(set) var runSeconds = 0.0
    public private(set) var planningSeconds = 0.0
    public private(set) var restored = false

    /// Loads the topology and any saved state, connects (an unreachable server throws at once), makes
    /// sure the streams exist and binds the durable consumer.
    public init(_ options: NetworkPlannerOptions) throws {
        self.options = options
        let topologyData: Data
        do {
            topologyData = try Data(contentsOf: URL(fileURLWithPath: options.topologyPath))
            topology = try Topology(contentsOfFile: options.topologyPath)
        } catch {
            throw NetworkPlannerError.topology("\(error)")
        }
        for c in topology.cells { if let o = c.observer, !options.sites.contains(o) { throw NetworkPlannerError.observer(cellOrLink: "cell '\(c.id)'", site: o) } }
        for l in topology.links { if let o = l.observer, !options.sites.contains(o) { throw NetworkPlannerError.observer(cellOrLink: "link '\(l.id)'", site: o) } }
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: options.outputDirectory, withIntermediateDirectories: true)
            try fm.createDirectory(atPath: options.policyDirectory, withIntermediateDirectories: true)
        } catch {
            throw NetworkPlannerError.state(path: options.outputDirectory, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        statePath = options.outputDirectory + "/planner-state.json"
        if let data = fm.contents(atPath: statePath) {
            do { state = try JSONDecoder().decode(NetworkPlannerState.self, from: data) } catch {
                throw NetworkPlannerError.state(path: statePath, reason: "unreadable planner state: \(error)")
            }
            guard state.formatVersion == NetworkPlannerState.formatVersion else {
                throw NetworkPlannerError.state(path: statePath, reason: "state format \(state.formatVersion), this planner reads \(NetworkPlannerState.formatVersion)")
            }
            guard state.sites == options.sites, state.everyNanoseconds == options.everyNanoseconds else {
                throw NetworkPlannerError.state(path: statePath, reason: "saved for --sites \(state.sites.joined(separator: ",")) and --plan-every \(state.everyNanoseconds / 1_000_000_000)s; use another --out")
            }
            restored = true
        } else {
            state = NetworkPlannerState(sites: options.sites, everyNanoseconds: options.everyNanoseconds,
                                        merger: SiteMerger(sites: options.sites))
        }
        state.merger.use(topology)

        if !state.finished {
            // A kill between committing forecasts.jsonl and saving "finished": take the file back.
            let forecasts = options.policyDirectory + "/forecasts.jsonl"
            if let resume = state.planner?.forecastBytes, resume > 0, !fm.fileExists(atPath: forecasts + ".partial"),
               fm.fileExists(atPath: forecasts) {
                try? fm.moveItem(atPath: forecasts, toPath: forecasts + ".partial")
            }
            var plannerOptions = IntervalPlanner.Options(everyNanoseconds: options.everyNanoseconds, directory: options.policyDirectory,
                                                         plan: options.plan, modelPath: options.modelPath)
            plannerOptions.resumeForecastsAt = state.planner?.forecastBytes
            let planner = try IntervalPlanner(
                topology: topology, topologyData: topologyData,
                inputDescription: "planner sites \(options.sites.joined(separator: ",")) every \(options.everyNanoseconds)ns",
                options: plannerOptions)
            planner.generator = "flowcast planner"
            if let saved = state.planner { planner.restore(saved) }
            self.planner = planner
        }

        connection = try NATSConnection(options.connection)
        for stream in [FlowcastSubjects.windowStream, FlowcastSubjects.policyStream] {
            if case let .existing(differences) = try connection.ensureStream(stream) {
                streamDifferences += differences.map { "stream \(stream.name): \($0)" }
            }
        }
        consumer = try PullConsumer(connection: connection, stream: FlowcastSubjects.windowStream.name, durable: options.durable,
                                    filterSubject: "flowcast.v1.>", startTimeNanoseconds: options.fromNanoseconds,
                                    ackWaitNanoseconds: 10_000_000_000)
    }

    public var modelWarning: String? { planner?.modelWarning }

    static func wallClock() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Runs until every site has ended and the last interval is planned (`exitWhenDone`), or
    /// `shouldStop` says so; saves the state before it returns.
    public func run(shouldStop: () -> Bool) throws -> NetworkPlannerSummary {
        var unacknowledged: [FetchedBatch] = []
        let started = Self.wallClock()
        defer { runSeconds = Self.wallClock() - started }
        var lastSave = Self.wallClock()
        var lastSaveSeconds = 0.0
        var streamClock = 0.0
        var fetchFailureLogged = false
        var policyFailureLogged = false
        while !shouldStop() {
            let batch: FetchedBatch
            do {
                batch = try consumer.fetch(batch: 4096, milliseconds: 200)
                fetchFailureLogged = false
            } catch {
                if !fetchFailureLogged { log("NATS: \(error); retrying"); fetchFailureLogged = true }
                usleep(200_000)
                continue
            }
            // Lateness runs on the stream's clock: when the server stored the mark that closed a
            // window, and, while a backlog is read, the newest message's time; once caught up, the
            // wall clock. So a planner reading a backlog (a restart, --from) does not plan early
            // windows without a site just because reading took longer than --lateness.
            let received = Self.wallClock()
            for m in batch.messages {
                let stored = m.timestampNanoseconds > 0 ? Double(m.timestampNanoseconds) / 1e9 : received
                streamClock = max(streamClock, stored)
                let outcome = state.merger.ingest(subject: m.subject, payload: m.payload, now: stored)
                if outcome == .garbage && state.garbageSubjects.count < 1 {
                    state.garbageSubjects.append(m.subject)
                    log("ignored a message on \(m.subject) that is not a Flowcast v1 window, mark or end (each one is counted in planner-summary.json; this is logged once)")
                }
            }
            messagesThisRun += batch.messages.count
            if !batch.messages.isEmpty { unacknowledged.append(batch) }

            var planned = false
            if let planner {
                let before = planner.policiesWritten
                let caughtUp = batch.messages.last.map { $0.pending == 0 } ?? true
                let clock = caughtUp ? max(Self.wallClock(), streamClock) : streamClock
                while let w = state.merger.nextReady(now: clock, lateness: options.latenessSeconds) {
                    feed(w, to: planner)
                }
                if !state.finished && state.merger.isComplete && state.windowsPlanned > 0 {
                    try save()  // the checkpoint needs forecasts.jsonl still open
                    try planner.finish()
                    planningSeconds += planner.lastSolveSeconds ?? 0
                    state.finished = true
                    state.planner?.policiesWritten = planner.policiesWritten
                    state.planner?.planFailures = planner.planFailures
                    log("every site has ended; planned the last interval")
                }
                planned = planner.policiesWritten != before || state.finished
            }
            // Save before acknowledging: after every plan, and otherwise every second, or every 20
            // saves' durations when the state is large (many sites' windows waiting for a slow one),
            // so saving costs about 5 % of the time; but within 5 s, well inside the consumer's 10 s
            // ack wait (no redeliveries), and at once when many messages await it.
            let now = Self.wallClock()
            let pendingMessages = unacknowledged.reduce(0) { $0 + $1.messages.count }
            if planned || state.finished
                || (pendingMessages > 0 && (now - lastSave >= min(5, max(1, 20 * lastSaveSeconds)) || pendingMessages >= 200_000)) {
                let saveStarted = Self.wallClock()
                try save()
                lastSaveSeconds = Self.wallClock() - saveStarted
                lastSave = Self.wallClock()
                for b in unacknowledged { try? b.acknowledge() }
                unacknowledged.removeAll()
            }
            do {
                try publishPolicies()
                policyFailureLogged = false
            } catch {
                if !policyFailureLogged { log("cannot publish policies yet: \(error)"); policyFailureLogged = true }
            }
            if state.finished {
                if planner != nil { planner = nil }
                if options.exitWhenDone {
                    try save()
                    break
                }
            }
        }
        if planner != nil { try save() }
        for b in unacknowledged { try? b.acknowledge() }
        try? connection.flush(milliseconds: 2000)
        let summary = makeSummary()
        try writeSummary(summary)
        return summary
    }

    private func feed(_ w: MergedWindow, to planner: IntervalPlanner) {
        planner.missingSites.formUnion(w.missingSites)
        if !w.missingSites.isEmpty {
            log("planned window \(IntervalPlanner.iso(w.start)) without \(w.missingSites.joined(separator: ", ")) (--lateness \(options.latenessSeconds)s passed)")
        }
        if planner.forecastsWithModel {
            for line in w.windows where !line.partial {
                let key = "\(line.kind.rawValue):\(line.id)"
                state.historyValues[key, default: []].append(Double(line.bytesUp + line.bytesDown) * 8 / (Double(line.durationNanoseconds) / 1e9))
                state.historyTimes[key, default: []].append(Double(line.startNanoseconds) / 1e9)
            }
        }
        let before = planner.policiesWritten
        planner.windowClosed(w.windows)
        if planner.policiesWritten != before { planningSeconds += planner.lastSolveSeconds ?? 0 }
        state.windowsPlanned += 1
    }

    private func save() throws {
        if let planner {
            var history: [String: (values: [Double], times: [Double])] = [:]
            for (k, v) in state.historyValues { history[k] = (v, state.historyTimes[k] ?? []) }
            if !state.finished { state.planner = try planner.checkpoint(history: history) }
        }
        // Key order does not matter in the state file; not sorting saves time on a large state.
        let encoder = JSONEncoder()
        do {
            try PolicyDocument.writeAtomically(try encoder.encode(state), to: URL(fileURLWithPath: statePath))
        } catch {
            throw NetworkPlannerError.state(path: statePath, reason: "cannot save: \(error)")
        }
    }

    /// Publishes every policy written and not yet published (message id: durable name and file
    /// name, so a restart's re-publication is a duplicate the stream drops).
    private func publishPolicies() throws {
        let written = state.planner?.policiesWritten ?? 0
        let count = max(written, planner?.policiesWritten ?? 0)
        while state.policiesPublished < count {
            let name = String(format: "policy-%04d.json", state.policiesPublished + 1)
            guard let data = FileManager.default.contents(atPath: options.policyDirectory + "/" + name) else { return }
            try connection.publish(subject: FlowcastSubjects.policy, messageID: "\(options.durable)|\(name)", payload: [UInt8](data))
            state.policiesPublished += 1
        }
    }

    func makeSummary() -> NetworkPlannerSummary {
        let m = state.merger
        var missing: [String: [String]] = [:]
        let dir = URL(fileURLWithPath: options.policyDirectory)
        let count = state.planner?.policiesWritten ?? 0
        for n in stride(from: 1, through: count, by: 1) {
            let name = String(format: "policy-%04d.json", n)
            if let doc = try? PolicyDocument(contentsOf: dir.appendingPathComponent(name)), let sites = doc.provenance.missingSites {
                missing[name] = sites
            }
        }
        return NetworkPlannerSummary(
            sites: options.sites, endedSites: m.endedSites,
            windowLinesBySite: Dictionary(uniqueKeysWithValues: options.sites.map { ($0, m.windowLines(of: $0)) }),
            messages: Dictionary(uniqueKeysWithValues: m.counts.map { ($0.key.rawValue, $0.value) }),
            observerIgnored: m.observerIgnored, conflicts: m.conflicts, windowsPlanned: state.windowsPlanned,
            windowsWithMissingSites: m.windowsWithMissingSites, policies: max(count, planner?.policiesWritten ?? 0),
            policiesPublished: state.policiesPublished, policiesMissingSites: missing, finished: state.finished,
            planFailures: planner?.planFailures ?? state.planner?.planFailures ?? [])
    }

    private func writeSummary(_ s: NetworkPlannerSummary) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        do {
            var data = try encoder.encode(s)
            data.append(0x0A)
            try PolicyDocument.writeAtomically(data, to: URL(fileURLWithPath: options.outputDirectory + "/planner-summary.json"))
        } catch {
            throw NetworkPlannerError.state(path: options.outputDirectory + "/planner-summary.json", reason: "\(error)")
        }
    }
}

/// OUT/planner-summary.json. Deterministic for a given input: no wall-clock times.
public struct NetworkPlannerSummary: Codable, Sendable {
    public var formatVersion = 1
    public var sites: [String]
    public var endedSites: [String]
    public var windowLinesBySite: [String: Int]
    /// Messages by what became of them: windowLine, mark, end, heartbeat, duplicate, late, unlistedSite, garbage.
    public var messages: [String: Int]
    public var observerIgnored: Int
    public var conflicts: Int
    public var windowsPlanned: Int
    public var windowsWithMissingSites: Int
    public var policies: Int
    public var policiesPublished: Int
    /// Policy file → sites it was planned without.
    public var policiesMissingSites: [String: [String]]
    public var finished: Bool
    public var planFailures: [String]
}
