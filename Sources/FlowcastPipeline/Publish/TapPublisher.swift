internal import FlowcastCore
public import FlowcastAggregate
public import FlowcastNATS
internal import FlowcastDecode
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// What `replay --publish` and `live --publish` need to reach the planner.
public struct PublishOptions: Sendable {
    public var connection: NATSConnectionOptions
    /// The tap's name in subjects, message ids and the planner's `--sites`.
    public var site: String
    public var publishFlows: Bool
    /// `replay` or `live`: tells the planner how to read this tap's lateness.
    public var mode: String
    /// The spool folder (`OUT/publish-spool`) and its size limit.
    public var spoolDirectory: String
    public var spoolLimitBytes: Int64
    /// Messages held in memory for the publishing thread; past it they go to the spool.
    public var queueCapacity: Int
    /// At the end, how long to wait for the server to take what is still spooled or unacknowledged.
    public var drainSeconds: Double
    /// Live taps: seconds between heartbeats on `flowcast.v1.tap.<site>` (0: none).
    public var heartbeatSeconds: Double
    /// Lines for the log (standard error in the CLI), from the publishing thread: the stream
    /// refusing messages, and the stream created again.
    public var log: @Sendable (String) -> Void = { _ in }

    public init(connection: NATSConnectionOptions, site: String, publishFlows: Bool = false, mode: String,
                spoolDirectory: String, spoolLimitBytes: Int64 = 512 << 20, queueCapacity: Int = 200_000,
                drainSeconds: Double = 60, heartbeatSeconds: Double = 0) {
        self.connection = connection; self.site = site; self.publishFlows = publishFlows; self.mode = mode
        self.spoolDirectory = spoolDirectory; self.spoolLimitBytes = spoolLimitBytes; self.queueCapacity = queueCapacity
        self.drainSeconds = drainSeconds; self.heartbeatSeconds = heartbeatSeconds
    }
}

/// A tap's publishing totals, in messages (window lines, window marks, flows, the end).
public struct PublishCounters: Sendable, Equatable {
    /// Acknowledged by the stream the first time they were sent.
    public var published = 0
    /// Acknowledged after being spooled and sent again.
    public var resent = 0
    /// Messages of this run written to the spool (server unreachable, queue full, no
    /// acknowledgement in time), each once however often it went back.
    public var spooled = 0
    /// Lost because the spool was full.
    public var dropped = 0
    /// Window lines handed to the publisher.
    public var windowLines = 0
    /// Still in the spool or unacknowledged when the tap stopped (re-sent by the next tap with the
    /// same output folder).
    public var leftInSpool = 0
    /// Acknowledgements the stream marked duplicate (a re-sent window it already held).
    public var duplicates = 0
    /// Of `duplicates`, messages acknowledged as duplicates the first time this tap sent them (not
    /// re-sent from its spool): the stream already held a message with the same id from elsewhere,
    /// another tap with the same `--site` or an earlier run of this capture (within the stream's
    /// duplicate window), and dropped this one.
    public var alreadyInStream = 0
}

/// Publishes a tap's closed windows to NATS JetStream without ever blocking capture: the capture
/// thread appends to a bounded in-memory queue and returns; one publishing thread sends
/// asynchronously with message ids, and every message stays owned (in memory or in the spool) until
/// the stream acknowledges it. Unreachable server: messages go to the spool and are re-sent on
/// reconnect.
public final class TapPublisher: @unchecked Sendable {
    public let options: PublishOptions
    public let connection: NATSConnection
    /// Stream settings that differ on the server from Flowcast's (the stream is used as it is).
    public private(set) var streamDifferences: [String] = []
    private let lock = NSCondition()
    private var queue: [OutgoingMessage] = []
    private let spool: PublishSpool
    /// Unacknowledged messages by id, oldest first, and whether each came from the spool. One id
    /// can be in flight twice: a tap run again on its folder re-sends its spool and publishes the
    /// same windows anew, under the same ids. Until 7 December 2026 this held one entry per id, so
    /// the new message replaced the spooled one, whose acknowledgement then never settled the
    /// spool: the run spun at 100 % CPU for all of `--publish-wait`, exited 3 saying the spool's
    /// messages were not taken, and left them spooled (an audit: 3 reruns of 6).
    private var inFlight = InFlightMessages()
    private var counters = PublishCounters()
    private var finishing = false
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)
    // Capture-thread state.
    private var previousWindowStart: Int64?
    private var windowsPublished = 0
    private var flowsPublished = 0
    private var scratch: [UInt8] = []
    // Refusals by the stream (under `lock`): the spool is re-sent after `backoff` seconds, doubling
    // to 10 s while the stream goes on refusing, so a tap does not spin re-sending to a server that
    // lost its stream.
    private var refused: NATSError?
    private var streamMissing = false
    private var backoff = 0.0
    private var resendNotBefore = 0.0
    private var refusalLogged = -Double.infinity

    /// Connects, makes sure the streams exist, and starts the publishing thread. Throws when the
    /// server cannot be reached or refuses (the caller exits with status 2).
    public init(_ options: PublishOptions) throws {
        self.options = options
        let started = try Self.start(options)
        connection = started.connection
        streamDifferences = started.differences
        spool = try PublishSpool(directory: options.spoolDirectory, limitBytes: options.spoolLimitBytes)
        connection.onAcknowledgement { [unowned self] ack in self.acknowledged(ack) }
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "flowcast-publish"
        self.thread = thread
        thread.start()
    }

    /// Connects and makes sure the streams exist, trying a timeout again for up to
    /// `natsStartPatience` (`retryingStartTimeouts`): on a loaded two-core CI machine a tap failed
    /// at once with "cannot publish to …: Timeout" while its peers, started with it, got through,
    /// and the planner waited for that site. A refusal or any other error stops at once.
    private static func start(_ options: PublishOptions) throws(NATSError) -> (connection: NATSConnection, differences: [String]) {
        try retryingStartTimeouts(log: options.log) { () throws(NATSError) in
            let connection = try NATSConnection(options.connection)
            var differences: [String] = []
            for stream in [FlowcastSubjects.windowStream] + (options.publishFlows ? [FlowcastSubjects.flowStream] : []) {
                if case let .existing(found) = try connection.ensureStream(stream) {
                    differences += found.map { "stream \(stream.name): \($0)" }
                }
            }
            return (connection, differences)
        }
    }

    // MARK: capture thread

    /// Queues one closed window (every cell and link of it) and its mark.
    public func windowsClosed(_ windows: [WindowSummary]) {
        guard let first = windows.first else { return }
        let site = options.site
        var messages: [OutgoingMessage] = []
        messages.reserveCapacity(windows.count + 1)
        for w in windows {
            scratch.removeAll(keepingCapacity: true)
            w.appendJSON(to: &scratch)
            // `…]}\n` → `…],"site":"NAME"}`: the windows.jsonl line plus the site.
            scratch.removeLast(2)
            scratch.appendLiteral(",\"site\":"); scratch.appendJSONString(site); scratch.append(UInt8(ascii: "}"))
            messages.append(OutgoingMessage(subject: FlowcastSubjects.window(site: site, kind: w.kind, id: w.id),
                                            id: FlowcastSubjects.windowMessageID(site: site, kind: w.kind, id: w.id,
                                                                                 start: w.startNanoseconds, payload: scratch),
                                            payload: scratch))
        }
        let mark = TapMark(site: site, mode: options.mode, start: first.startNanoseconds,
                           duration: first.durationNanoseconds, previous: previousWindowStart, lines: windows.count)
        let markPayload = mark.json()
        messages.append(OutgoingMessage(subject: FlowcastSubjects.tap(site: site), id: mark.messageID(payload: markPayload),
                                        payload: markPayload))
        previousWindowStart = first.startNanoseconds
        windowsPublished += 1
        enqueue(messages, windowLines: windows.count)
    }

    /// Queues one ended flow's flows.jsonl line (with `--publish-flows`).
    /// The message id is `<site>|flow|<n>|<content>`, n counting the tap's flows from 1 (a replay
    /// of the same capture ends its flows in the same order, so a re-sent capture's flows are
    /// duplicates); the content (`FlowcastSubjects.content(of:)`) keeps another run's flows, a
    /// trial's, from taking the ids of this one's (until 7 December 2026 the stream dropped a
    /// run's first flows as duplicates of an earlier run's within its duplicate window).
    public func flowEnded(line: ArraySlice<UInt8>) {
        guard options.publishFlows else { return }
        flowsPublished += 1
        var payload = Array(line)
        if payload.last == UInt8(ascii: "\n") { payload.removeLast() }
        enqueue([OutgoingMessage(subject: FlowcastSubjects.flow(site: options.site),
                                 id: "\(options.site)|flow|\(flowsPublished)|\(FlowcastSubjects.content(of: payload))",
                                 payload: payload)],
                windowLines: 0)
    }

    /// Queues several flows.jsonl lines (the flows still open at the end of a capture).
    public func flowsEnded<Bytes: Collection<UInt8>>(lines: Bytes) {
        guard options.publishFlows else { return }
        let all = Array(lines)
        for line in all.split(separator: UInt8(ascii: "\n")) where !line.isEmpty { flowEnded(line: line) }
    }

    private func enqueue(_ messages: [OutgoingMessage], windowLines: Int) {
        lock.lock()
        counters.windowLines += windowLines
        for m in messages {
            if queue.count < options.queueCapacity { queue.append(m) } else { spoolLocked(m) }
        }
        lock.signal()
        lock.unlock()
    }

    /// Publishes the tap's end (`flowcast.v1.tap.<site>`, with `summary` merged in), waits up to
    /// `drainSeconds` for the server to acknowledge everything, and stops the publishing thread.
    public func finish(summary: TapEndSummary = TapEndSummary()) -> PublishCounters {
        let end = TapEnd(site: options.site, mode: options.mode, lastStart: previousWindowStart, windows: windowsPublished)
        var extra = summary
        lock.lock()
        extra.publish = .init(published: counters.published, resent: counters.resent,
                              spooled: counters.spooled, dropped: counters.dropped,
                              alreadyInStream: counters.alreadyInStream > 0 ? counters.alreadyInStream : nil)
        lock.unlock()
        enqueue([OutgoingMessage(subject: FlowcastSubjects.tap(site: options.site), id: end.messageID,
                                 payload: end.json(summary: extra))], windowLines: 0)
        lock.lock()
        finishing = true
        lock.signal()
        lock.unlock()
        done.wait()
        lock.lock()
        defer { lock.unlock() }
        let files = ["active.spool", "sending.spool"].map { options.spoolDirectory + "/" + $0 }
        // Distinct messages: one re-sent from sending.spool while still in flight as the run ended
        // stays there, and the same window published anew went to active.spool too.
        var left = Set(queue.map(\.id))
        for file in files { left.formUnion(PublishSpool.parse([UInt8](FileManager.default.contents(atPath: file) ?? Data())).map(\.id)) }
        counters.leftInSpool = left.count
        if spool.isEmpty { try? FileManager.default.removeItem(atPath: options.spoolDirectory) }
        return counters
    }

    /// The counters so far (live metrics).
    public var snapshot: PublishCounters { lock.lock(); defer { lock.unlock() }; return counters }

    // MARK: publishing thread

    private func run() {
        var deadline: Double? = nil
        var lastHeartbeat = Self.now()
        var resend: [OutgoingMessage] = []
        while true {
            lock.lock()
            while queue.isEmpty && !finishing
                    && !(connection.isConnected && (!resend.isEmpty || (!spool.isEmpty && spool.sendingOutstanding == 0
                                                                         && Self.now() >= resendNotBefore))) {
                if !lock.wait(until: Date(timeIntervalSinceNow: 0.2)) { break }
            }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            let ending = finishing
            var refusal: (error: NATSError, missing: Bool, log: Bool)? = nil
            if let error = refused {
                backoff = min(max(backoff * 2, 0.25), 10)
                resendNotBefore = Self.now() + backoff
                let log = Self.now() - refusalLogged >= 30
                if log { refusalLogged = Self.now() }
                refusal = (error, streamMissing, log)
                refused = nil
                streamMissing = false
            }
            if connection.isConnected && resend.isEmpty && Self.now() >= resendNotBefore { resend = spool.takeForResend() }
            let retryIn = backoff
            lock.unlock()
            if let refusal { streamRefused(refusal.error, missing: refusal.missing, log: refusal.log, retryIn: retryIn) }

            if options.heartbeatSeconds > 0 && Self.now() - lastHeartbeat >= options.heartbeatSeconds && !ending {
                lastHeartbeat = Self.now()
                // The heartbeat's time is the wall clock (seconds since the epoch, as docs/scaleout.md
                // gives it); `now()` is the monotonic clock the intervals are timed by. Until
                // 7 December 2026 the heartbeat carried that (seconds since boot: "time":56074.905).
                var wall = timespec()
                clock_gettime(CLOCK_REALTIME, &wall)
                let ns = Int64(wall.tv_sec) * 1_000_000_000 + Int64(wall.tv_nsec)
                var payload: [UInt8] = []
                payload.appendLiteral("{\"formatVersion\":1,\"type\":\"heartbeat\",\"site\":"); payload.appendJSONString(options.site)
                payload.appendLiteral(",\"time\":"); payload.appendSeconds(ns); payload.appendLiteral("}")
                send(OutgoingMessage(subject: FlowcastSubjects.tap(site: options.site), id: "\(options.site)|heartbeat|\(ns)",
                                     payload: payload), fromSpool: false)
            }
            // The spool first, a chunk at a time, so new windows are not held behind a long backlog.
            if connection.isConnected && !resend.isEmpty {
                let chunk = resend.prefix(2048)
                for m in chunk { send(m, fromSpool: true) }
                resend.removeFirst(chunk.count)
            }
            for m in batch { send(m, fromSpool: false) }

            if ending {
                if deadline == nil { deadline = Self.now() + options.drainSeconds }
                try? connection.waitForAcknowledgements(milliseconds: 200)
                lock.lock()
                let settled = queue.isEmpty && inFlight.isEmpty && resend.isEmpty && spool.isEmpty
                let backingOff = Self.now() < resendNotBefore
                let nothingInFlight = inFlight.isEmpty
                lock.unlock()
                if settled || Self.now() >= deadline! {
                    // Unsent re-sends stay in sending.spool for the next tap with this folder, and
                    // what still waits for an acknowledgement is spooled too (a late acknowledgement
                    // then finds nothing to resolve; the next run's re-send is a duplicate).
                    lock.lock()
                    for entry in inFlight.all where !entry.fromSpool { spoolLocked(entry.message) }
                    inFlight.removeAll()
                    lock.unlock()
                    break
                }
                // Not a tight loop while the server is away or the spool waits out a refusal, nor
                // while nothing is in flight to wait for (waiting for acknowledgements then
                // returns at once).
                if !connection.isConnected || backingOff { usleep(100_000) } else if nothingInFlight && resend.isEmpty { usleep(20_000) }
            }
        }
        done.signal()
    }

    private func send(_ m: OutgoingMessage, fromSpool: Bool) {
        lock.lock()
        if !connection.isConnected {
            // Not even queued in the client: spool it now (re-sent on reconnect).
            if fromSpool { resolvedFromSending() }
            spoolLocked(m, again: fromSpool)
            lock.unlock()
            return
        }
        inFlight.append(m, fromSpool: fromSpool)
        lock.unlock()
        let queued = m.payload.withUnsafeBytes { raw -> Bool in
            do {
                try connection.publishAsync(subject: m.subject, messageID: m.id, payload: raw)
                return true
            } catch {
                return false
            }
        }
        if !queued {
            lock.lock()
            if inFlight.removeLast(m.id) != nil {
                if fromSpool { resolvedFromSending() }
                spoolLocked(m, again: fromSpool)
            }
            lock.unlock()
        }
    }

    /// The client's acknowledgement thread.
    private func acknowledged(_ ack: PublishAcknowledgement) {
        lock.lock()
        defer { lock.signal(); lock.unlock() }
        guard let (message, fromSpool) = inFlight.removeFirst(ack.messageID) else { return }
        if fromSpool { resolvedFromSending() }
        if let error = ack.error {
            spoolLocked(message, again: fromSpool)
            refused = error
            if error.isNoResponders { streamMissing = true }
        } else {
            backoff = 0
            // The refusal log's 30 s limit is not reset by an acknowledgement: a stream that takes
            // some subjects and refuses others (its subjects do not cover the marks, say) logged
            // the same refusal line several times a second (an audit: 4 lines in 5 s).
            if fromSpool { counters.resent += 1 } else { counters.published += 1 }
            if ack.duplicate {
                counters.duplicates += 1
                if !fromSpool { counters.alreadyInStream += 1 }
            }
        }
    }

    /// The stream refused messages (they are spooled): says so, and when nothing listens on the
    /// subject (no responders: the stream is gone, say a nats-server restarted without its
    /// JetStream store) creates the stream again, as at start.
    private func streamRefused(_ error: NATSError, missing: Bool, log shouldLog: Bool, retryIn: Double) {
        // "Refused" only when the stream answered with an error; a timeout or a lost connection is
        // no answer (a server that was down read as one that refused).
        let verb = error.jetStreamCode != 0 ? "NATS refused messages" : "NATS did not acknowledge messages"
        var line = "\(verb) (\(error)); they are spooled and re-sent in \(retryIn) s, then at most every 10 s"
        if missing {
            let streams = [FlowcastSubjects.windowStream] + (options.publishFlows ? [FlowcastSubjects.flowStream] : [])
            do {
                var created: [String] = []
                for stream in streams { if case .created = try connection.ensureStream(stream) { created.append(stream.name) } }
                if !created.isEmpty {
                    // Re-sent now, as the line says: the refusals' back-off (up to 10 s) no longer
                    // holds (an audit: a tap with --publish-wait 20 ended with the whole spool
                    // unsent, the new stream empty for 15 s).
                    lock.lock()
                    backoff = 0
                    resendNotBefore = 0
                    lock.signal()
                    lock.unlock()
                    line = "NATS: no stream took the messages (no responders: was nats-server restarted without its JetStream store?); "
                        + "created stream \(created.joined(separator: ", ")) again and re-sending the spool"
                    options.log(line)
                    return
                }
            } catch let failure {
                // No responders also while a server shuts down: not only a stream that is gone.
                line += "; no stream answered (the stream is gone, or the server is going down), and creating it failed: \(failure)"
            }
        }
        if shouldLog { options.log(line) }
    }

    private func resolvedFromSending() {
        spool.sendingOutstanding -= 1
        if spool.sendingOutstanding == 0 { spool.finishedSending() }
    }

    /// `again`: the message came from the spool (this run's or an earlier run's) and goes back to
    /// it, which `spooled` does not count a second time (until 7 December 2026 a message spooled,
    /// re-sent and refused again counted twice: "spooled" read more than the messages there were).
    private func spoolLocked(_ m: OutgoingMessage, again: Bool = false) {
        if spool.append(m) {
            if !again { counters.spooled += 1 }
        } else {
            counters.dropped += 1
        }
    }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}

/// Messages published and not yet acknowledged, by message id; an id published twice (a spooled
/// message and the same window published anew) has both, oldest first, and acknowledgements come
/// back in the order the server took the messages.
struct InFlightMessages {
    private var byID: [String: [(message: OutgoingMessage, fromSpool: Bool)]] = [:]
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }
    var all: [(message: OutgoingMessage, fromSpool: Bool)] { byID.values.flatMap { $0 } }

    mutating func append(_ m: OutgoingMessage, fromSpool: Bool) {
        byID[m.id, default: []].append((m, fromSpool))
        count += 1
    }

    /// The oldest message in flight under `id` (an acknowledgement).
    mutating func removeFirst(_ id: String) -> (message: OutgoingMessage, fromSpool: Bool)? {
        guard var list = byID[id], !list.isEmpty else { return nil }
        let first = list.removeFirst()
        byID[id] = list.isEmpty ? nil : list
        count -= 1
        return first
    }

    /// The newest message in flight under `id` (one the client did not take).
    mutating func removeLast(_ id: String) -> (message: OutgoingMessage, fromSpool: Bool)? {
        guard var list = byID[id], let last = list.popLast() else { return nil }
        byID[id] = list.isEmpty ? nil : list
        count -= 1
        return last
    }

    mutating func removeAll() { byID.removeAll(); count = 0 }
}
