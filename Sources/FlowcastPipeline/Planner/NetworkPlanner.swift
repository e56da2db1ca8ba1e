internal import FlowcastCore
internal import FlowcastNATS
internal import FlowcastPolicy
internal import FlowcastTopology
internal import FlowcastAggregate
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

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
    /// Batches since the last full save of the state (see `PlannerJournal`).
    let journal: PlannerJournal
    /// Size of the last full save (bytes): the journal may grow to twice that (plus 64 MiB)
    /// before the next, so full saves cost a bounded share of the ingest.
    var lastStateBytes = 0
    /// Batches taken and journaled, not yet acknowledged.
    var unacknowledged: [FetchedBatch] = []
    var unacknowledgedMessages = 0
    /// When the journal was last synced and its messages acknowledged (wall clock, s).
    var lastSync = 0.0
    /// Lines for the log (standard error in the CLI).
    public var log: (String) -> Void = { _ in }
    /// `--quiet`: a message of a site not in `--sites` is not logged one by one (a fact of the
    /// configuration, not of the message); the total as the run ends says it.
    public var quiet = false
    public private(set) var streamDifferences: [String] = []
    /// Messages taken from the stream by this process (the bench's ingest rate).
    public private(set) var messagesThisRun = 0
    /// Wall time of this run, and the part of it spent in plan steps (solves and writing policies) (s).
    public private(set) var runSeconds = 0.0
    public private(set) var planningSeconds = 0.0
    public private(set) var restored = false
    /// No state in --out and a consumer that had acknowledged nothing (`checkPlanInterval`).
    private var startedFresh = false
    /// Policies (0-based) an earlier run of this state may have published without saving so
    /// (killed between the two), and those this run tried and failed to publish (a timeout may
    /// come after the stream stored it): a duplicate acknowledgement of one of them is the same
    /// document sent again, published.
    private var mayHaveBeenPublished = 0..<0
    private var failedPublishes: Set<Int> = []

    /// Loads the topology and any saved state, connects (an unreachable server throws at once), makes
    /// sure the streams exist and binds the durable consumer.
    /// The lock on `--out` (`OutputFolderLock`), released when the planner goes.
    private var folderLock: OutputFolderLock?

    public init(_ options: NetworkPlannerOptions) throws {
        self.options = options
        let topologyData: Data
        // The topology's own reader first: it names the file and what is wrong, where Foundation's
        // read printed `Error Domain=NSCocoaErrorDomain Code=260 …` for a file that is not there.
        do {
            topology = try Topology(contentsOfFile: options.topologyPath)
            topologyData = try Data(contentsOf: URL(fileURLWithPath: options.topologyPath))
        } catch let error as TopologyError {
            throw NetworkPlannerError.topology("\(error)")
        } catch {
            throw NetworkPlannerError.topology("\(options.topologyPath.visible): cannot read file: \(error.localizedDescription)")
        }
        for c in topology.cells { if let o = c.observer, !options.sites.contains(o) { throw NetworkPlannerError.observer(cellOrLink: "cell '\(c.id)'", site: o) } }
        for l in topology.links { if let o = l.observer, !options.sites.contains(o) { throw NetworkPlannerError.observer(cellOrLink: "link '\(l.id)'", site: o) } }
        let fm = FileManager.default
        for folder in [options.outputDirectory, options.policyDirectory] {
            do { try OutputFolder.create(folder) } catch {
                throw NetworkPlannerError.state(path: folder, reason: "cannot create the folder: \(error.reason)")
            }
        }
        // One planner per folder, as one tap per folder: a second planner on this --out would
        // rewrite its state and policies under it. Held while the planner lives.
        do { folderLock = try OutputFolderLock(options.outputDirectory, command: "planner") } catch {
            throw NetworkPlannerError.state(path: options.outputDirectory, reason: "\(error)")
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
            if let saved = state.merger.duration, saved != options.windowNanoseconds {
                throw NetworkPlannerError.state(path: statePath, reason: "saved for windows of \(SiteMerger.seconds(saved)), not --window \(SiteMerger.seconds(options.windowNanoseconds)); use another --out")
            }
            state.merger.adoptDuration(options.windowNanoseconds)
            // One folder, one configuration: until 7 December 2026 a restart with another
            // --headroom, --churn, --target-utilisation or topology carried on, its policies
            // beside the earlier ones' (an audit: headroom 1.2 in policy-0001, 1.5 in policy-0009).
            let now = Self.settings(options, topologyData: topologyData)
            if let saved = state.settings {
                let changed = now.keys.sorted().filter { saved[$0] != nil && saved[$0] != now[$0] }
                if !changed.isEmpty {
                    throw NetworkPlannerError.state(path: statePath, reason: "saved for "
                        + changed.map { "\($0) \(saved[$0]!)" }.joined(separator: ", ") + "; this run has "
                        + changed.map { "\($0) \(now[$0]!)" }.joined(separator: ", ") + ": use another --out")
                }
            }
            state.settings = now
            restored = true
            // A run killed after publishing and before saving that it had: its policies up to the
            // last written may be on the stream already, and publishing them again is a duplicate.
            mayHaveBeenPublished = state.policiesPublished..<max(state.policiesPublished, state.planner?.policiesWritten ?? 0)
        } else {
            state = NetworkPlannerState(sites: options.sites, everyNanoseconds: options.everyNanoseconds,
                                        merger: SiteMerger(sites: options.sites, duration: options.windowNanoseconds))
            state.settings = Self.settings(options, topologyData: topologyData)
        }
        state.merger.use(topology)
        do {
            journal = try PlannerJournal(path: options.outputDirectory + "/planner-journal.bin", generation: state.generation ?? 0)
        } catch {
            throw NetworkPlannerError.state(path: error.path, reason: error.reason)
        }
        if !journal.batches.isEmpty { restored = true }

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
            plannerOptions.efficiencyModelPath = options.efficiencyModelPath
            plannerOptions.digestsWindows = false
            let planner: IntervalPlanner
            do {
                planner = try IntervalPlanner(
                    topology: topology, topologyData: topologyData,
                    inputDescription: "planner sites \(options.sites.joined(separator: ",")) every \(options.everyNanoseconds)ns",
                    options: plannerOptions)
            } catch let ReplayError.output(path, reason) where plannerOptions.resumeForecastsAt != nil {
                throw NetworkPlannerError.state(path: path, reason: "\(reason); \(statePath) cannot carry on without it: plan again with another --out and --durable (and --from)")
            }
            planner.generator = "flowcast planner \(FlowcastVersion.current)"
            if let saved = state.planner { planner.restore(saved) }
            self.planner = planner
        }

        let fresh = !restored
        startedFresh = fresh
        // A server that does not answer in time is tried again for up to natsStartPatience, as a tap does.
        let started = try retryingStartTimeouts(log: options.startLog) { () throws(NATSError) in
            let connection = try NATSConnection(options.connection)
            var differences: [String] = []
            for stream in [FlowcastSubjects.windowStream, FlowcastSubjects.policyStream] {
                if case let .existing(found) = try connection.ensureStream(stream) {
                    differences += found.map { "stream \(stream.name): \($0)" }
                }
            }
            let consumer = try PullConsumer(connection: connection, stream: FlowcastSubjects.windowStream.name, durable: options.durable,
                                            filterSubject: "flowcast.v1.>", startTimeNanoseconds: options.fromNanoseconds,
                                            ackWaitNanoseconds: 10_000_000_000)
            return (connection, differences, consumer, fresh ? try consumer.acknowledgedFloor() : 0)
        }
        (connection, consumer) = (started.0, started.2)
        streamDifferences = started.1
        // A new --out (no state, no journal) on a durable consumer that has acknowledged messages
        // (the folder removed to start over, or another planner's durable): the server delivers
        // only what comes after them, so the sites' earlier windows never come and the planner
        // waited for ever, silently (the second scale-out audit, finding 4). A consumer this
        // planner just created has acknowledged nothing.
        if started.3 > 0 {
            throw NetworkPlannerError.consumerInUse(durable: options.durable, stream: consumer.stream,
                                                    acknowledgedThrough: started.3, out: options.outputDirectory)
        }
    }

    public var modelWarning: String? { planner?.modelWarning }

    static func wallClock() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Runs until every site has ended and the last interval is planned (`exitWhenDone`), or
    /// `shouldStop` says so; saves the state before it returns.
    /// replay and live refuse a --plan-every that is not a whole number of windows at start; the
    /// planner knows the taps' window only from their first mark, and refuses it then, before any
    /// window is planned or message acknowledged. Until the fourth scale-out audit it planned on,
    /// writing policies with gaps between them, and said so only as a plan failure at the end.
    /// A planner that started on a new --out (no state) with a consumer that had acknowledged
    /// nothing removes the consumer and the files it wrote, so the same command with a right
    /// --plan-every starts over and reads the stream in order. (Its unacknowledged messages would
    /// otherwise come again only after the ack wait, out of order: the next planner took the
    /// stream as cut and, its --lateness on the wall clock once caught up, planned their windows
    /// without their sites.) A planner that resumed a state says to use another --out and
    /// --durable.
    private func checkPlanInterval(_ prefetcher: Prefetcher? = nil) throws {
        guard let window = state.merger.duration, window > 0, options.everyNanoseconds % window != 0 else { return }
        guard startedFresh else {
            throw NetworkPlannerError.planInterval(every: options.everyNanoseconds, window: window, startedOver: nil)
        }
        prefetcher?.stop()
        var removed = true
        do { try connection.deleteConsumer(stream: consumer.stream, name: options.durable) } catch { removed = false }
        let fm = FileManager.default
        for path in [options.outputDirectory + "/planner-state.json", options.outputDirectory + "/planner-journal.bin",
                     options.policyDirectory + "/forecasts.jsonl.partial"] {
            try? fm.removeItem(atPath: path)
        }
        if (try? fm.contentsOfDirectory(atPath: options.policyDirectory))?.isEmpty == true { try? fm.removeItem(atPath: options.policyDirectory) }
        throw NetworkPlannerError.planInterval(every: options.everyNanoseconds, window: window,
                                               startedOver: removed ? options.durable : nil)
    }

    public func run(shouldStop: () -> Bool) throws -> NetworkPlannerSummary {
        let started = Self.wallClock()
        defer { runSeconds = Self.wallClock() - started }
        // A run writes its last file (planner-summary.json) before it returns: the folder is free
        // from then on, also for another planner made in the same process.
        defer { folderLock?.release(); folderLock = nil }
        // Where the killed planner was: its state, then the batches it journaled after saving it.
        let replay = journal.batches
        journal.batches = []
        for batch in replay {
            for m in batch.messages {
                ingest(subject: m.subject, payload: m.payload, stored: m.stored, sequence: m.sequence > 0 ? m.sequence : nil, replayed: true)
            }
            release(clock: batch.clock)
        }
        // Messages delivered before this run and not in its state or journal come again after the
        // ack wait (a killed planner's): their sequences are no cut in the stream.
        if case let .success(delivered) = Result(catching: { () throws(NATSError) in try consumer.deliveredSequence() }) {
            state.merger.redeliveryThrough = delivered
        }
        // Until those have come again, lateness does not run: they are older than the messages
        // read meanwhile, so on the stream's clock their windows would look --lateness overdue
        // (a window closed by two sites, the third's lines among them, was planned without it).
        // Every message unacknowledged now is one (this run has fetched nothing yet). At most
        // three ack waits: one the server dropped (its limits) is not waited for longer.
        var awaitingRedelivery = 0
        if state.merger.redeliveryThrough > 0,
           case let .success(b) = Result(catching: { () throws(NATSError) in try consumer.backlog() }) {
            awaitingRedelivery = Int(max(0, b.acknowledgementPending))
        }
        let redeliveryDeadline = Self.wallClock() + 30
        // The clock the killed planner last released at (its journal's), or none: no lateness.
        let redeliveryClock = replay.last?.clock ?? 0
        try checkPlanInterval()
        if state.generation == nil || !replay.isEmpty { try save() }
        lastSync = Self.wallClock()
        var streamClock = 0.0
        var fetchFailureLogged = false
        var policyFailureLogged = false
        // Policies an earlier run wrote and could not publish are held back too.
        var policiesHeldBack = state.policiesPublished < (state.planner?.policiesWritten ?? 0)
        let prefetcher = Prefetcher(consumer, batch: 4096, milliseconds: 200)
        // When this run first saw the state finished (wall clock), for --exit-when-done's bound.
        var finishedSeenAt: Double?
        prefetcher.start()
        defer { prefetcher.stop() }
        while !shouldStop() {
            noteConnection()
            let batch: FetchedBatch
            switch prefetcher.next() {
            case let .success(fetched):
                batch = fetched
                fetchFailureLogged = false
                // Nothing for a while: is the consumer still there? (A server that lost its store
                // does not answer pulls from it at all.) Asked at most every 5 s while idle.
                if fetched.messages.isEmpty && Self.wallClock() - lastConsumerCheck >= 5 {
                    lastConsumerCheck = Self.wallClock()
                    if case .success(false) = Result(catching: { () throws(NATSError) in try consumer.existsOnServer() }) {
                        log("NATS: " + NATSError.consumerGone(durable: options.durable, stream: consumer.stream).reason)
                        recreateStreams()
                    }
                } else if !fetched.messages.isEmpty {
                    lastConsumerCheck = Self.wallClock()
                }
            case let .failure(error) where error.consumerGone:
                if !fetchFailureLogged { log("NATS: \(error.reason)"); fetchFailureLogged = true }
                recreateStreams()
                continue
            case let .failure(error):
                if !fetchFailureLogged { log("NATS: \(error); retrying"); fetchFailureLogged = true }
                continue
            }
            noteConnection()  // after the fetch too: the batch that came after a reconnection may be the last
            // Lateness runs on the stream's clock: when the server stored the mark that closed a
            // window, and, while a backlog is read, the newest message's time; once caught up, the
            // wall clock. So a planner reading a backlog (a restart, --from) does not plan early
            // windows without a site just because reading took longer than --lateness.
            let received = Self.wallClock()
            let messages = batch.messages.map { m in
                PlannerJournal.Message(subject: m.subject, payload: m.payload,
                                       stored: m.timestampNanoseconds > 0 ? Double(m.timestampNanoseconds) / 1e9 : received,
                                       sequence: m.streamSequence)
            }
            for m in messages { streamClock = max(streamClock, m.stored) }
            if awaitingRedelivery > 0 {
                let through = state.merger.redeliveryThrough
                awaitingRedelivery -= batch.messages.reduce(0) { $0 + ($1.streamSequence > 0 && $1.streamSequence <= through ? 1 : 0) }
                if awaitingRedelivery > 0 && Self.wallClock() >= redeliveryDeadline {
                    log("NATS: \(awaitingRedelivery) message\(awaitingRedelivery == 1 ? "" : "s") the stopped planner was given did not come again "
                        + "within 30 s (removed by the stream's limits?); going on without \(awaitingRedelivery == 1 ? "it" : "them")")
                    awaitingRedelivery = 0
                }
            }
            // Caught up: nothing left undelivered, and nothing delivered that this process has
            // not got (messages a killed planner was given come again after the consumer's ack
            // wait, and a server that does not answer may hold anything). Until 7 December 2026 an
            // empty fetch or the last message's `pending` 0 was enough: after a restart, or a 1 s
            // server stall, the clock jumped to the wall clock minutes past the stored times, and
            // windows were planned without sites whose messages were in the stream (an audit: 412
            // windows so, with --exit-when-done exiting before their redelivery).
            var caughtUp = batch.messages.last.map { $0.pending == 0 } ?? true
            if caughtUp {
                // Counted before the server is asked, so a message delivered meanwhile makes this
                // conservative (not caught up until the next turn), never the reverse.
                let held = unacknowledgedMessages + messages.count + prefetcher.bufferedMessages
                // Not asked while the connection is down (the request would wait out the outage,
                // and the loop would not see it to say so).
                switch connection.isConnected ? Result(catching: { () throws(NATSError) in try consumer.backlog() })
                    : .failure(NATSError.notConnected) {
                case let .success(b): caughtUp = b.pending == 0 && b.acknowledgementPending <= Int64(held)
                case .failure: caughtUp = false
                }
            }
            var clock = caughtUp ? max(Self.wallClock(), streamClock) : streamClock
            if awaitingRedelivery > 0 {
                // Held where it was when the wait began: windows every site closed still go.
                clock = min(clock, redeliveryClock)
            }
            // Journaled before it takes effect: the record (messages, then release at `clock`) is
            // what a restart replays, and a plan step may acknowledge it (see `feed`).
            if !messages.isEmpty {
                try appendToJournal(clock: clock, messages)
                unacknowledged.append(batch)
                unacknowledgedMessages += messages.count
            }
            for m in messages {
                ingest(subject: m.subject, payload: m.payload, stored: m.stored, sequence: m.sequence > 0 ? m.sequence : nil)
            }
            messagesThisRun += messages.count
            try checkPlanInterval(prefetcher)

            // Caught up with the stream: a site of which nothing was read, while every other has
            // ended, had all its messages before what the consumer reads (`SiteMerger.caughtUp`).
            // Not in the journal's record, so the state is saved at once.
            var foundUnread = false
            if caughtUp {
                foundUnread = state.merger.caughtUp(takeAsEnded: options.exitWhenDone, now: clock, lateness: options.latenessSeconds)
                for gap in state.merger.takeGaps() { log(gap) }
            }
            let changes = state.merger.changes
            let policiesBefore = planner?.policiesWritten ?? 0
            release(clock: clock)
            // A release with no message (lateness ran out on the wall clock) changes the state too.
            if messages.isEmpty && state.merger.changes != changes { try appendToJournal(clock: clock, []) }
            var planned = (planner?.policiesWritten ?? 0) != policiesBefore || foundUnread
            if let planner, !state.finished && state.merger.isComplete && state.windowsPlanned > 0 {
                try save()  // the checkpoint needs forecasts.jsonl still open
                try planner.finish()
                planningSeconds += planner.lastSolveSeconds ?? 0
                state.finished = true
                state.planner?.policiesWritten = planner.policiesWritten
                state.planner?.planFailures = planner.planFailures
                log("every site has ended; planned the last interval")
                planned = true
            } else if let planner, !state.finished && state.merger.isComplete && state.windowsPlanned == 0 {
                // Every site ended having closed no window (an empty capture, a filter matching
                // nothing: each end says lastStart null). Until the fourth scale-out audit the planner
                // waited for a window that could not come, and --exit-when-done never exited.
                try save()
                try planner.finish()
                state.finished = true
                state.planner?.policiesWritten = planner.policiesWritten
                state.planner?.planFailures = planner.planFailures
                log("every site has ended without closing a window (each end names none); nothing to plan")
                planned = true
            }
            // A full save after every plan (so no restart plans an interval again) and when the
            // journal has grown past twice the state; otherwise the journal, synced at least every
            // second (well inside the consumer's 10 s ack wait) or at once when many messages
            // await it, and then the acknowledgements.
            let now = Self.wallClock()
            if planned || journal.bytes >= 2 * Int64(lastStateBytes) + (64 << 20) {
                try save()
                // The summary too, after every plan: until 7 December 2026 it was written only as
                // the planner stopped, so a planner running for days showed nothing of itself in
                // its folder (`finished` is false until every site has ended).
                if planned { try writeSummary(makeSummary()) }
            } else if unacknowledgedMessages > 0 && (now - lastSync >= 1 || unacknowledgedMessages >= 100_000) {
                try syncAndAcknowledge()
            }
            do {
                let published = try publishPolicies()
                if policiesHeldBack, let first = published.first, let last = published.last {
                    log("published \(first == last ? first : "\(first) to \(last)") on \(FlowcastSubjects.policy) (held back until nats-server answered)")
                    policiesHeldBack = false
                }
                policyFailureLogged = false
            } catch {
                if !policyFailureLogged { log(error.description); policyFailureLogged = true }
                policiesHeldBack = true
            }
            if state.finished {
                if planner != nil { planner = nil }
                // Once caught up with the stream: a planner started again after it finished (a tap
                // run again, the same capture replayed) took one batch and exited 0, the rest unread
                // and its warnings unsaid (an audit: 12 reruns read 0 to 1,884 of 3,582 messages
                // and exited 0; the 13th, after the ack wait, exited 3).
                // Nothing fetched ahead and not yet merged either (a tap still publishing as the
                // rerun caught up: it exited holding 121 messages it never looked at, a re-audit).
                // Bounded, so a stream that never stops receiving (a busy tap of a site not in --sites)
                // cannot keep a finished planner reading: `--catch-up-limit` (30 s) after it saw the run finished.
                let seen = finishedSeenAt ?? Self.wallClock()
                finishedSeenAt = seen
                let caughtUpNow = caughtUp && prefetcher.bufferedMessages == 0
                if options.exitWhenDone && (caughtUpNow || Self.wallClock() - seen > options.catchUpLimitSeconds) {
                    if !caughtUpNow {
                        log("warning: stopped reading \(String(format: "%g", options.catchUpLimitSeconds)) s after the last interval was planned with messages "
                            + "still arriving (a tap still publishing, or of a site not in --sites?); what came after is for the next run "
                            + "(--catch-up-limit)")
                    }
                    try save()
                    break
                }
            }
        }
        try save()
        // What was fetched ahead goes back to the server (for the next run at once), flushed with
        // the rest before the connection closes.
        prefetcher.stop()
        try? connection.flush(milliseconds: 2000)
        logProblemTotals()
        logAlreadyInStreamTotal()
        let summary = makeSummary()
        try writeSummary(summary)
        return summary
    }

    /// When the connection was first seen down (wall clock, s), and whether that was said.
    private var disconnectedSince: Double?
    private var disconnectionSaid = false

    /// Says, with --quiet too, when the connection to nats-server has been down for 2 s, and when it
    /// is back: the client reconnects on its own and pulls just come back empty meanwhile, so a
    /// planner whose server was down or restarting logged nothing at all (the fourth scale-out
    /// audit).
    private func noteConnection() {
        let now = Self.wallClock()
        if connection.isConnected {
            if disconnectionSaid, let since = disconnectedSince {
                log(String(format: "NATS: connected to %@ again after %.0f s", options.connection.redactedURL, now - since))
            }
            disconnectedSince = nil
            disconnectionSaid = false
        } else if let since = disconnectedSince {
            if !disconnectionSaid && now - since >= 2 {
                disconnectionSaid = true
                log("warning: NATS: the connection to \(options.connection.redactedURL) is down; the client reconnects, and windows are "
                    + "planned as their messages come")
            }
        } else {
            disconnectedSince = now
        }
    }

    /// Times `recreateStreams` has logged what it did (at most a few: the prefetcher may still
    /// hand over failures fetched before the consumer was back).
    private var recreationsLogged = 0
    /// When the planner last had a message or asked whether its consumer still exists (wall clock, s).
    private var lastConsumerCheck = 0.0
    /// The server lost the consumer (nats-server restarted without its JetStream store): the
    /// streams and the durable consumer are created again, as at start, and the planner goes on.
    private func recreateStreams() {
        do {
            var created: [String] = []
            for stream in [FlowcastSubjects.windowStream, FlowcastSubjects.policyStream] {
                if case .created = try connection.ensureStream(stream) { created.append("stream \(stream.name)") }
            }
            try consumer.recreate()
            guard recreationsLogged < 3 else { return }
            recreationsLogged += 1
            log("NATS: created \((created + ["consumer \(options.durable)"]).joined(separator: ", ")) again. What the lost store "
                + "held and this planner had not read is gone: taps re-send only what they still spool, and a window a site "
                + "then lacks is planned without it after --lateness (named in the log and the policy's provenance)")
        } catch {
            guard recreationsLogged < 3 else { return }
            recreationsLogged += 1
            log("NATS: cannot create the streams or consumer \(options.durable) again: \(error); retrying")
        }
    }

    /// One message into the merger (the fetch loop, and the journal's replay: both with the
    /// message's stream sequence, when known); a bad message, a conflicting line or one from an
    /// unlisted site is logged (`logProblem`).
    private func ingest(subject: String, payload: [UInt8], stored: Double, sequence: UInt64?, replayed: Bool = false) {
        let outcome = state.merger.ingest(subject: subject, payload: payload, now: stored, sequence: sequence)
        for gap in state.merger.takeGaps() { log(gap) }
        let at = [sequence.map { "stream sequence \($0)" }, replayed ? "replayed from planner-journal.bin" : nil]
            .compactMap { $0 }.joined(separator: ", ")
        let site = Self.siteName(of: subject).map { "site \($0), " } ?? ""
        switch outcome {
        case .garbage:
            logProblem("garbage", "ignored a message on \(subject) (\(at)): \(state.merger.lastProblem ?? "not a Flowcast v1 message")")
        case .duplicate, .conflict, .mark, .windowLine:
            // A mark or line that closed a window holding lines its mark does not count.
            if let conflict = state.merger.lastProblem {
                logProblem("conflict", "conflict: \(site)\(at): \(conflict)")
                if let token = Self.siteName(of: subject) { conflictSites[token, default: 0] += 1 }
                // A mark that closed a window holding lines it did not count: taken, and every
                // line merged (which are the tap's cannot be told).
                if outcome != .conflict { mergedConflictsThisRun += 1 }
            }
            // A later run of a tap once the last interval is planned: taken, never planned (until
            // 7 December 2026 without a word, an audit: 29 windows read and not planned).
            if outcome != .duplicate && outcome != .conflict && state.finished, let token = Self.siteName(of: subject), !laterAfterFinish.contains(token) {
                laterAfterFinish.insert(token)
                log("warning: site \(token) publishes windows after every site had ended and the last interval was planned "
                    + "(\(at)): this planner plans no more of them; plan them with another --out and --durable")
            }
        case .unlistedSite:
            unlistedThisRun += 1
            if let token = Self.siteName(of: subject), !unlistedSites.contains(token) {
                if unlistedSites.count < Self.problemLogLimit { unlistedSites.insert(token) } else { moreUnlistedSites = true }
            }
            if !quiet { logProblem("unlistedSite", "ignored a message on \(subject) (\(at)): its site is not in --sites") }
        case .otherWindowLength:
            // Said once per site with --quiet too, and in a total as the run ends: the site's
            // windows are planned without it.
            // Windows already planned (a tap rerun with another --window after its first run's
            // windows were planned with it) are not "planned without it": until 8 December 2026
            // the warning said so of them.
            let token = Self.siteName(of: subject) ?? "?"
            let planned = state.merger.lastOtherLengthAlreadyPlanned
            if otherWindowThisRun[token] == nil {
                log("warning: site \(token) publishes \(state.merger.lastProblem ?? "windows of another length") (\(at)"
                    + (planned ? ", a window its \(SiteMerger.seconds(options.windowNanoseconds)) windows already cover): its lines and marks are "
                        + "ignored (a rerun of its tap with another --window?)"
                        : "): its lines and marks are ignored and its windows planned without it")
                    + "; run every tap and the planner with one --window")
            }
            otherWindowThisRun[token, default: 0] += 1
            if planned { otherWindowPlannedThisRun[token, default: 0] += 1 }
        case .unknownID, .farAhead:
            logProblem(outcome.rawValue, "ignored a line on \(subject) (\(at)): \(state.merger.lastProblem ?? outcome.rawValue)")
        case .afterPlanned:
            // Said once per site as it happens and in a total as the run ends, with --quiet too;
            // the run exits 3 (`flowcast planner`): the planned windows may lack the site's data.
            // A line whose window's planned lines are still kept (as digests) is known not to be a
            // copy of one; an older window's may be.
            let token = Self.siteName(of: subject) ?? "?"
            let couldBeCopy = state.merger.lastCouldBeCopy
            if afterPlannedThisRun[token] == nil {
                let another = "another run's line (a trial run, a capture rotated inside a window, a rerun on another topology, "
                    + "a second tap with --site \(token))?"
                log("warning: site \(token): \(state.merger.lastProblem ?? "a line came for a window already planned") (\(at)). "
                    + (couldBeCopy
                        ? "A copy re-sent after the stream's \(FlowcastSubjects.windowStream.duplicateWindowNanoseconds / 60_000_000_000) min "
                            + "duplicate window, or " + another
                        : "Not a copy of a planned line: " + another)
                    + " Such lines are not taken; a total follows as the run ends")
            }
            afterPlannedThisRun[token, default: 0] += 1
            if couldBeCopy { afterPlannedUntoldThisRun[token, default: 0] += 1 }
        case .late:
            // Data lost to --lateness is said, once per site as it happens and in a total as the run
            // ends, with --quiet too: a tap started after its windows were planned without it (a
            // planner reading a backlog measures lateness on the stream's clock) had every line
            // dropped with nothing in the log.
            let token = Self.siteName(of: subject) ?? "?"
            if lateThisRun[token] == nil {
                log("warning: site \(token): a line came for a window already planned without it (--lateness "
                    + "\(options.latenessSeconds)s passed; \(at)); its late lines are not counted, "
                    + "a total follows as the run ends")
            }
            lateThisRun[token, default: 0] += 1
        default:
            break
        }
    }
    /// What a restart must plan with as the state did: the planning options, and the topology.
    static func settings(_ options: NetworkPlannerOptions, topologyData: Data) -> [String: String] {
        ["--headroom": "\(options.plan.headroom)", "--churn": "\(options.plan.churnPenalty)",
         "--target-utilisation": "\(options.plan.targetUtilisation)",
         "--topology": "sha256:" + Provenance.digest(topologyData).dropFirst("sha256:".count).prefix(12)]
    }

    /// A subject's site as its tap was given it (`a.b`, not the subject's `a%2Eb`), else its token.
    private static func siteName(of subject: String) -> String? {
        FlowcastSubjects.siteName(of: subject) ?? FlowcastSubjects.siteToken(of: subject)
    }
    /// Conflicts this run by site, for the total (an audit: with --quiet it named no site).
    private var conflictSites: [String: Int] = [:]
    /// Of the conflicts, those whose lines were all merged (a mark counting fewer lines than the
    /// window held): the first was not kept alone there.
    private var mergedConflictsThisRun = 0
    /// Sites whose windows came after the last interval was planned, said once each.
    private var laterAfterFinish: Set<String> = []
    /// Lines this run that came for windows already planned without their site, by site.
    private var lateThisRun: [String: Int] = [:]
    /// Lines this run for windows already planned with their site's lines that could not be
    /// compared with them (`IngestOutcome.afterPlanned`), by site.
    private var afterPlannedThisRun: [String: Int] = [:]
    /// Of those, lines for windows whose planned lines' digests are no longer kept: maybe copies.
    private var afterPlannedUntoldThisRun: [String: Int] = [:]
    /// Lines this run for windows planned with their site's lines that could not be compared with
    /// them: the plans may lack the site's data, so `flowcast planner` exits 3.
    public var afterPlannedLinesThisRun: Int { afterPlannedThisRun.values.reduce(0, +) }
    /// Lines and marks this run of windows of another length than `--window`, by site.
    private var otherWindowThisRun: [String: Int] = [:]
    /// Of those, messages of windows already planned.
    private var otherWindowPlannedThisRun: [String: Int] = [:]
    /// Messages this run of windows of another length than `--window`: a site's data not planned,
    /// so `flowcast planner` exits 3.
    public var otherWindowLengthThisRun: Int { otherWindowThisRun.values.reduce(0, +) }

    /// At most this many problems of each kind are logged per run; the rest are counted (in
    /// planner-summary.json, and in one line as the run ends).
    static let problemLogLimit = 10
    private var problemsSeen: [String: Int] = [:]
    /// Conflicting lines this run (a line for a site, window and cell or link already held with
    /// other counts): the planner kept the first, which may not be the tap's, so a run that met
    /// one ends with exit status 3 (`flowcast planner`), as a tap that lost messages does.
    public var conflictsThisRun: Int { problemsSeen["conflict"] ?? 0 }
    /// Messages this run from sites not in `--sites`, and the first few of those sites (as their
    /// subjects name them).
    private var unlistedThisRun = 0
    private var unlistedSites: Set<String> = []
    private var moreUnlistedSites = false

    private func logProblem(_ kind: String, _ line: String) {
        let n = problemsSeen[kind, default: 0] + 1
        problemsSeen[kind] = n
        guard n <= Self.problemLogLimit else {
            // Said when there is a rest (it was said at the tenth, also when no eleventh came).
            if n == Self.problemLogLimit + 1 {
                log("logged the first \(Self.problemLogLimit) \(kind) messages; the rest are only counted (planner-summary.json, "
                    + "and a total as the planner stops)")
            }
            return
        }
        log(line)
    }

    /// The kinds whose problems went past the log's limit, with their counts this run.
    /// Messages of sites not in `--sites` have a line of their own, with `--quiet` too.
    private func logProblemTotals() {
        for (kind, n) in problemsSeen.sorted(by: { $0.key < $1.key }) where n > Self.problemLogLimit && kind != "unlistedSite" && kind != "conflict" {
            log("\(n) \(kind) messages this run (\(n - Self.problemLogLimit) not logged)")
        }
        // Said with --quiet too (each conflict is not): the kept line may not be the tap's (a
        // forged or stray line that came first replaced a site's data, and the only trace was
        // "conflicts" in planner-summary.json).
        if let n = problemsSeen["conflict"] {
            let sites = conflictSites.sorted { $0.key < $1.key }.map { "site \($0.key): \($0.value)" }.joined(separator: ", ")
            log("warning: \(n) line\(n == 1 ? "" : "s") this run came for a site, window and cell or link the planner already held "
                + "with other counts\(sites.isEmpty ? "" : " (\(sites))"); "
                + (mergedConflictsThisRun == 0 ? "the first of each was kept and planned with"
                    : mergedConflictsThisRun == n ? "each was a mark that closed a window holding lines it did not count, and all the window's "
                        + "lines were merged and planned with"
                    : "\(mergedConflictsThisRun) of them marks that closed a window holding lines they did not count (all the window's lines "
                        + "were merged); of the others the first of each was kept and planned with")
                + (quiet ? " (the lines are logged without --quiet)" : n > Self.problemLogLimit ? " (\(n - Self.problemLogLimit) not logged)" : ""))
        }
        if unlistedThisRun > 0 {
            let more = moreUnlistedSites ? ", …" : ""
            log("ignored \(unlistedThisRun) messages this run from sites not in --sites: \(unlistedSites.sorted().joined(separator: ", "))\(more)")
        }
        for (site, n) in otherWindowThisRun.sorted(by: { $0.key < $1.key }) {
            let planned = otherWindowPlannedThisRun[site] ?? 0
            log("warning: site \(site): \(n) message\(n == 1 ? "" : "s") of windows of another length than --window "
                + "\(SiteMerger.seconds(options.windowNanoseconds)) ignored; "
                + (planned == n ? "its \(SiteMerger.seconds(options.windowNanoseconds)) windows already covered \(n == 1 ? "that window" : "all of theirs") "
                    + "(a rerun of its tap with another --window?)"
                    : planned == 0 ? "its windows were planned without it"
                    : "its \(SiteMerger.seconds(options.windowNanoseconds)) windows already covered those of \(planned); the windows of the other "
                        + "\(n - planned) were planned without it"))
        }
        for (site, n) in afterPlannedThisRun.sorted(by: { $0.key < $1.key }) {
            let untold = afterPlannedUntoldThisRun[site] ?? 0
            log("warning: site \(site): \(n) line\(n == 1 ? "" : "s") came for windows already planned with its lines, not taken: "
                + (untold == 0
                    ? "none is a copy of a planned line, so another run's lines were not planned with"
                    : "\(untold == n ? "" : "\(n - untold) differ from every planned line; ")\(untold) for windows whose planned lines are "
                        + "not kept (older than those kept, or planned before they were kept) may be copies; another run's lines were not planned with"))
        }
        for (site, n) in lateThisRun.sorted(by: { $0.key < $1.key }) {
            log("warning: site \(site): \(n) line\(n == 1 ? "" : "s") came after \(n == 1 ? "its window was" : "their windows were") planned without it "
                + "(its mark had not come within --lateness, or it published the window later); not counted")
        }
    }

    /// Plans every window that is ready at `clock` (the fetch loop and the journal's replay).
    private func release(clock: Double) {
        guard let planner else { return }
        while let w = state.merger.nextReady(now: clock, lateness: options.latenessSeconds) {
            feed(w, to: planner)
            for gap in state.merger.takeGaps() { log(gap) }
        }
    }

    private func appendToJournal(clock: Double, _ messages: [PlannerJournal.Message]) throws {
        do { try journal.append(clock: clock, messages: messages) } catch {
            throw NetworkPlannerError.state(path: error.path, reason: "cannot write: \(error.reason)")
        }
    }

    /// Makes the journal durable, then acknowledges what it holds.
    private func syncAndAcknowledge() throws {
        guard !unacknowledged.isEmpty else { return }
        do { try journal.sync() } catch {
            throw NetworkPlannerError.state(path: error.path, reason: "cannot sync: \(error.reason)")
        }
        acknowledgeAll()
        lastSync = Self.wallClock()
    }

    private func acknowledgeAll() {
        for b in unacknowledged {
            try? b.acknowledge()
            b.releaseClientMessages()  // the client's copies are no longer needed (ours stay in the batch)
        }
        unacknowledged.removeAll()
        unacknowledgedMessages = 0
    }

    private func feed(_ w: MergedWindow, to planner: IntervalPlanner) {
        planner.missingSites.formUnion(w.missingSites)
        // A site nothing of which was read was said once (`SiteMerger.caughtUp`): not a line per
        // window, and no --lateness passed for it.
        let waitedFor = w.missingSites.filter { !state.merger.sitesNotRead.contains($0) }
        if !waitedFor.isEmpty {
            log("planned window \(IntervalPlanner.iso(w.start)) without \(waitedFor.joined(separator: ", ")) (--lateness \(options.latenessSeconds)s passed)")
        }
        if planner.forecastsWithModel {
            for line in w.windows where !IntervalPlanner.understates(line) {
                let key = "\(line.kind.rawValue):\(line.id)"
                state.historyValues[key, default: []].append((Double(line.bytesUp) + Double(line.bytesDown)) * 8 / (Double(line.durationNanoseconds) / 1e9))
                state.historyTimes[key, default: []].append(Double(line.startNanoseconds) / 1e9)
            }
        }
        // A plan step may take longer than the consumer's ack wait: what is journaled is
        // acknowledged first, so the stream does not deliver it again meanwhile.
        // So may releasing many windows in a row (a slow site catching up): at least every second.
        if planner.plansOnClosing(start: w.start, end: w.start + w.duration) || Self.wallClock() - lastSync >= 1 {
            try? syncAndAcknowledge()
        }
        let before = planner.policiesWritten
        planner.windowClosed(w.windows)
        if planner.policiesWritten != before { planningSeconds += planner.lastSolveSeconds ?? 0 }
        state.windowsPlanned += 1
    }

    /// A full save: the state under the next generation, then an empty journal for it, then the
    /// acknowledgements (a kill between the two writes leaves a journal the new state ignores).
    private func save() throws {
        // What the journal holds is acknowledged first: writing a large state can take longer than
        // the ack wait, and a kill meanwhile leaves the journal to replay.
        try syncAndAcknowledge()
        if let planner {
            var history: [String: (values: [Double], times: [Double])] = [:]
            for (k, v) in state.historyValues { history[k] = (v, state.historyTimes[k] ?? []) }
            if !state.finished { state.planner = try planner.checkpoint(history: history) }
        }
        let generation = (state.generation ?? 0) + 1
        state.generation = generation
        // Key order does not matter in the state file; not sorting saves time on a large state.
        let encoder = JSONEncoder()
        do {
            let data = try encoder.encode(state)
            try PolicyDocument.writeAtomically(data, to: URL(fileURLWithPath: statePath))
            lastStateBytes = data.count
        } catch {
            throw NetworkPlannerError.state(path: statePath, reason: "cannot save: \(error)")
        }
        do { try journal.reset(generation: generation) } catch {
            throw NetworkPlannerError.state(path: error.path, reason: "cannot write: \(error.reason)")
        }
        acknowledgeAll()
    }

    /// A policy the planner could not publish: which, and why, in the planner's words (the
    /// client's status name kept).
    struct PolicyPublishFailure: Error, CustomStringConvertible {
        var name: String
        var error: NATSError

        var description: String {
            let head = "cannot publish \(name) on \(FlowcastSubjects.policy) yet: "
            let tail = " It is published again once the server answers (the file is written)"
            let status = "(NATS status: \(error.statusText))"
            if error.isTimeout {
                return head + "nats-server did not acknowledge it in time \(status); is it down or restarting?" + tail
            }
            if error.isNoResponders {
                return head + "no stream takes the subject \(status); was nats-server restarted without its JetStream store?" + tail
            }
            if error.isNotConnected { return head + "not connected to nats-server \(status)." + tail }
            return head + "\(error.reason)" + (error.jetStreamCode != 0 ? " (JetStream error \(error.jetStreamCode))" : "") + "." + tail
        }
    }

    /// Publishes every policy written and not yet published (message id: durable name, file
    /// name and SHA-256, so a restart's re-publication is a duplicate the stream drops, and
    /// another document is not); returns their names. A policy the stream already held that
    /// this state never published (another run with the same `--durable` published the same
    /// bytes within the duplicate window) is not stored again: said in a warning, recorded in
    /// `policiesAlreadyInStream` and not returned.
    private func publishPolicies() throws(PolicyPublishFailure) -> [String] {
        let written = state.planner?.policiesWritten ?? 0
        let count = max(written, planner?.policiesWritten ?? 0)
        var published: [String] = [], alreadyInStream: [String] = []
        defer { warnAlreadyInStream(alreadyInStream) }
        while state.policiesPublished < count {
            let index = state.policiesPublished
            let name = IntervalPlanner.policyFileName(index + 1)
            guard let data = FileManager.default.contents(atPath: options.policyDirectory + "/" + name) else { break }
            let duplicate: Bool
            do { duplicate = try Self.publishPolicy([UInt8](data), name: name, durable: options.durable, on: connection) } catch {
                failedPublishes.insert(index)
                throw PolicyPublishFailure(name: name, error: error)
            }
            state.policiesPublished += 1
            if duplicate && !mayHaveBeenPublished.contains(index) && !failedPublishes.contains(index) {
                state.policiesAlreadyInStream = (state.policiesAlreadyInStream ?? []) + [name]
                alreadyInStream.append(name)
            } else {
                published.append(name)
            }
        }
        return published
    }

    /// Policies this run found already in the stream (`publishPolicies`): the first is said at
    /// once, the total as the run ends (one per plan step would flood the log).
    private var alreadyInStreamThisRun: [String] = []

    private func warnAlreadyInStream(_ names: [String]) {
        guard let first = names.first else { return }
        let warned = !alreadyInStreamThisRun.isEmpty
        alreadyInStreamThisRun += names
        guard !warned else { return }
        let minutes = FlowcastSubjects.policyStream.duplicateWindowNanoseconds / 60_000_000_000
        log("warning: \(first) was not stored on \(FlowcastSubjects.policy): the stream already held that document from planner "
            + "\(options.durable) (the same message id: planner, file name and SHA-256), published by another run with --durable "
            + "\(options.durable) within its \(minutes) min duplicate window; a reader that has read another \(first) of "
            + "\(options.durable) since keeps that one (give each planning run its own --durable). Further such policies are "
            + "counted (policiesAlreadyInStream in planner-summary.json)")
    }

    /// The total of `warnAlreadyInStream`, as the run ends.
    private func logAlreadyInStreamTotal() {
        guard alreadyInStreamThisRun.count > 1, let first = alreadyInStreamThisRun.first, let last = alreadyInStreamThisRun.last else { return }
        log("warning: \(alreadyInStreamThisRun.count) policies (\(first) to \(last)) were not stored on \(FlowcastSubjects.policy) this "
            + "run: the stream already held them from another run with --durable \(options.durable)")
    }

    /// Room left in a message for the headers of a policy's part (and the client's own).
    static let partHeaderAllowance = 1024

    /// One message when the document fits the server's `max_payload` (what readers of small
    /// policies always got); otherwise numbered parts, each with the document's name, `i/n`, size
    /// and SHA-256 (docs/scaleout.md, "Subjects and message formats"). Message ids
    /// (`PolicyMessageID`) carry the document's SHA-256: a restart's re-publication is a
    /// duplicate, part by part, and another document of the same planner and name is not.
    /// Returns true when the stream acknowledged every message as a duplicate (it held them).
    @discardableResult
    static func publishPolicy(_ data: [UInt8], name: String, durable: String, on connection: NATSConnection) throws(NATSError) -> Bool {
        let digest = SHA256.hex(data)
        let id = PolicyMessageID(planner: durable, name: name, digest: digest)
        let room = connection.maxPayload - partHeaderAllowance
        if data.count <= room || room <= 0 {
            return try connection.publish(subject: FlowcastSubjects.policy, messageID: id.text, payload: data)
        }
        let parts = (data.count + room - 1) / room
        var duplicates = 0
        for i in 0..<parts {
            let slice = data[(i * room)..<min(data.count, (i + 1) * room)]
            var partID = id
            partID.part = "\(i + 1)/\(parts)"
            if try connection.publish(subject: FlowcastSubjects.policy, messageID: partID.text,
                                      headers: [("Flowcast-Policy", name), ("Flowcast-Part", partID.part!),
                                                ("Flowcast-Size", String(data.count)), ("Flowcast-Sha256", digest)],
                                      payload: slice) {
                duplicates += 1
            }
        }
        return duplicates == parts
    }

    /// Each written policy's missing sites, read once (the summary is written after every plan,
    /// and a policy file does not change once written).
    private var missingSitesRead: [String: [String]] = [:]

    func makeSummary() -> NetworkPlannerSummary {
        let m = state.merger
        var missing: [String: [String]] = [:]
        let dir = URL(fileURLWithPath: options.policyDirectory)
        let count = state.planner?.policiesWritten ?? 0
        for n in stride(from: 1, through: count, by: 1) {
            let name = IntervalPlanner.policyFileName(n)
            if let known = missingSitesRead[name] {
                if !known.isEmpty { missing[name] = known }
            } else if let doc = try? PolicyDocument(contentsOf: dir.appendingPathComponent(name)) {
                let sites = doc.provenance.missingSites ?? []
                missingSitesRead[name] = sites
                if !sites.isEmpty { missing[name] = sites }
            }
        }
        return NetworkPlannerSummary(
            sites: options.sites, endedSites: m.endedSites,
            windowLinesBySite: Dictionary(uniqueKeysWithValues: options.sites.map { ($0, m.windowLines(of: $0)) }),
            windowLinesNotPlannedBySite: { () -> [String: Int]? in
                let notPlanned = options.sites.map { ($0, m.notPlannedLines(of: $0)) }.filter { $0.1 > 0 }
                return notPlanned.isEmpty ? nil : Dictionary(uniqueKeysWithValues: notPlanned)
            }(),
            messages: Dictionary(uniqueKeysWithValues: m.counts.map { ($0.key.rawValue, $0.value) }),
            observerIgnored: m.observerIgnored, conflicts: m.conflicts, heldLinesDropped: m.heldLinesDropped,
            learnedCellLinesRefused: m.learnedCellLinesRefused > 0 ? m.learnedCellLinesRefused : nil,
            sitesNotRead: m.sitesNotRead.isEmpty ? nil : m.sitesNotRead,
            clockWarnings: m.clockWarnings, windowsPlanned: state.windowsPlanned,
            windowsWithMissingSites: m.windowsWithMissingSites, policies: max(count, planner?.policiesWritten ?? 0),
            policiesPublished: state.policiesPublished - (state.policiesAlreadyInStream?.count ?? 0),
            policiesAlreadyInStream: state.policiesAlreadyInStream, policiesMissingSites: missing, finished: state.finished,
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
