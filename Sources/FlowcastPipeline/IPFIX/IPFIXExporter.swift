internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// How a run exports flows over IPFIX.
public struct IPFIXOptions: Sendable {
    public var collectors: [IPFIXCollector]
    /// The header's observationDomainId: one per tap (RFC 7011 §3.1).
    public var observationDomain: UInt32
    /// Every record's observationPointId: the capture interface's index (0 for a file).
    public var observationPoint: UInt32
    /// Seconds between template (and type record) refreshes on UDP.
    public var templateInterval: Double
    /// Largest message in bytes: the path MTU less IP and UDP headers.
    public var maximumMessageSize: Int
    /// Flows waiting per collector beyond which new ones are dropped (counted).
    public var queueCapacity: Int
    /// Wait for room instead of dropping while a collector is reachable: for replay, where the
    /// file can wait and every flow should arrive. A live capture never waits.
    public var waitWhenFull: Bool
    /// N of a 1-in-N sampled tap (`replay --sampling`): announced in a sampling options record so
    /// collectors scale the counters; 1 sends no such record.
    public var samplingInterval: UInt32
    /// Most data records a second sent to a UDP collector (0: as fast as the kernel takes them).
    /// UDP has no flow control: a collector that falls behind loses datagrams in its socket
    /// buffer, and nothing tells the exporter (see `defaultUDPRecordsPerSecond`).
    public var udpRecordsPerSecond: Double
    /// How long replay waits for a collector it had a session with to come back (a restart)
    /// before it drops flows for it, seconds.
    public var reconnectPatience: Double

    /// The default UDP pace. Measured (docs/ipfix.md): replay of 200,000 one-packet flows to nfcapd
    /// with its default socket buffer on a 2-core machine: unpaced, 169,876 of 200,011 records
    /// arrived (16 sequence errors) while Flowcast counted none lost.
    public static let defaultUDPRecordsPerSecond: Double = 100_000

    public init(collectors: [IPFIXCollector], observationDomain: UInt32 = 0, observationPoint: UInt32 = 0,
                templateInterval: Double = 60, maximumMessageSize: Int = 1400, queueCapacity: Int = 1 << 16,
                waitWhenFull: Bool = false, samplingInterval: UInt32 = 1,
                udpRecordsPerSecond: Double = IPFIXOptions.defaultUDPRecordsPerSecond, reconnectPatience: Double = 30) {
        self.collectors = collectors; self.observationDomain = observationDomain; self.observationPoint = observationPoint
        self.templateInterval = templateInterval; self.maximumMessageSize = maximumMessageSize
        self.queueCapacity = max(1, queueCapacity); self.waitWhenFull = waitWhenFull
        self.samplingInterval = max(1, samplingInterval)
        self.udpRecordsPerSecond = udpRecordsPerSecond.isFinite ? max(0, udpRecordsPerSecond) : 0
        self.reconnectPatience = reconnectPatience.isFinite ? max(0, reconnectPatience) : 0
    }
}

/// What export to one collector did, for summary.json and the metrics.
public struct IPFIXCollectorStatistics: Codable, Sendable, Equatable {
    public var collector: String
    /// Flows handed to this collector, and those of them never sent: dropped because its queue
    /// was full, or still queued when it could not be reached by the end of the run.
    public var flowsQueued = 0, flowsDropped = 0
    /// Data records (flow and type records) and messages sent, and their bytes.
    public var recordsSent = 0, messagesSent = 0, bytesSent = 0
    /// Messages (and the data records in them) a send failed for.
    public var messagesLost = 0, recordsLost = 0
    public var templateSends = 0
    /// TCP connections made, and attempts that failed.
    public var connections = 0, connectFailures = 0
    /// TCP: sessions that broke under the exporter (the collector reset or closed them, or the
    /// network did), and the data records of them its host had acknowledged, counted in
    /// `recordsSent`, which the collector may never have read: a collector that resets a session
    /// discards what its socket held unread. nil while none (and in a summary written before
    /// 8 December 2026). Until then a collector that accepted and closed every session showed
    /// every record sent, exit 0 (an audit: 18 sessions, 0 bytes read).
    public var sessionsBroken: Int?
    public var recordsUnconfirmed: Int?
    public var lastError: String?

    /// Whether the collector missed something: a flow never sent, a record whose send failed, or
    /// one acknowledged by the host of a session that then broke.
    public var lostSomething: Bool { flowsDropped > 0 || recordsLost > 0 || (recordsUnconfirmed ?? 0) > 0 }
}

/// Exports ended flows to IPFIX collectors, each from a thread of its own.
///
/// The aggregating thread only appends flows to a local list and hands the list over once per
/// packet batch (`endBatch`); encoding, sending, template refresh and reconnection happen on the
/// collectors' threads. Each collector's queue is bounded: when it is full (a slow or
/// unreachable collector) new flows are dropped and counted, so capture never waits on the
/// network (replay may wait instead, see `IPFIXOptions.waitWhenFull`).
///
/// Capture threads of one run each have an exporter (`sharingSessions`) but share its collectors'
/// senders: one transport session, one sequence counter and one observation domain per
/// collector, as RFC 7011 §3.1 counts them. With a session per thread in one domain, nfcapd
/// (which tells exporters apart by address and domain) read the threads' interleaved messages
/// as one stream and counted losses that never happened.
public final class IPFIXExporter: @unchecked Sendable {
    public let options: IPFIXOptions
    private var pending: [IPFIXFlow] = []
    private let senders: [CollectorSender]

    public convenience init(_ options: IPFIXOptions) throws {
        self.init(options, senders: try Self.makeSenders(options, users: 1))
    }

    private init(_ options: IPFIXOptions, senders: [CollectorSender]) {
        self.options = options
        self.senders = senders
        pending.reserveCapacity(4096)
    }

    private static func makeSenders(_ options: IPFIXOptions, users: Int) throws -> [CollectorSender] {
        let senders = try options.collectors.map { try CollectorSender(IPFIXSocket($0), options: options, users: users) }
        for s in senders { s.start() }
        return senders
    }

    /// One exporter per capture thread, each stamping its records with its interface's index
    /// (`observationPoints`), all sending through one session per collector. Their `statistics`
    /// are the shared senders', the same for every one of them.
    public static func sharingSessions(_ options: IPFIXOptions, observationPoints: [UInt32]) throws -> [IPFIXExporter] {
        guard !observationPoints.isEmpty else { return [] }
        let senders = try makeSenders(options, users: observationPoints.count)
        return observationPoints.map { point in
            var o = options
            o.observationPoint = point
            return IPFIXExporter(o, senders: senders)
        }
    }

    /// Adds a flow to the current batch (aggregating thread).
    public func export(_ flow: IPFIXFlow) {
        var flow = flow
        flow.observationPoint = options.observationPoint
        pending.append(flow)
        if pending.count >= 4096 { endBatch() }
    }

    /// Hands the current batch to every collector (aggregating thread).
    public func endBatch() {
        guard !pending.isEmpty else { return }
        for s in senders { s.enqueue(pending) }
        pending.removeAll(keepingCapacity: true)
    }

    /// The run has stopped reading and ends its open flows: from now until `timeout` seconds pass,
    /// a full queue waits for room (as replay's does) rather than drop flows that a healthy
    /// collector would take in a moment. A live capture calls this before it drains its flow table.
    public func beginDraining(timeout: Double = 5) {
        let deadline = Date().addingTimeInterval(timeout)
        for s in senders { s.waitUntil(deadline) }
    }

    /// Sends what is queued (a TCP collector that cannot be reached gets `timeout` seconds),
    /// stops the threads and returns the statistics. Of exporters sharing sessions, the last to
    /// finish does this, once the others have handed over their last flows; the statistics are
    /// final when it returns.
    @discardableResult
    public func finish(timeout: Double = 5) -> [IPFIXCollectorStatistics] {
        endBatch()
        let last = senders.filter { $0.finish(deadline: Date().addingTimeInterval(timeout)) }
        for s in last { s.join() }
        return statistics
    }

    /// Statistics so far, per collector (any thread).
    public var statistics: [IPFIXCollectorStatistics] { senders.map(\.statistics) }
}

/// One collector's queue, thread and session state.
final class CollectorSender: @unchecked Sendable {
    private let socket: IPFIXSocket
    private let options: IPFIXOptions
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [IPFIXFlow] = []
    private var finishing = false
    private var finishDeadline = Date.distantFuture
    private var done = false
    /// False once the collector could not be reached (a failed connect, a closed session), true
    /// again when a session opens; presumed reachable before the first session opens (with the
    /// first flow), so that the first flows wait for room as later ones do.
    private var reachable = true
    /// When the collector last stopped being reachable (nil while it is): replay waits for one it
    /// had a session with for `reconnectPatience` from then (a collector restarting).
    private var unreachableSince: Date?
    /// Until when a full queue waits for room although `waitWhenFull` is off (`beginDraining`).
    private var drainDeadline = Date.distantPast
    private var stats: IPFIXCollectorStatistics
    /// Exporters sending through this sender (capture threads) that have not finished.
    private var users: Int
    // The sender thread's own.
    private var encoder: IPFIXEncoder
    private var lastTemplates = Date.distantPast
    /// A UDP send failed (no collector listening, or it restarted): send the templates and type
    /// records again before the next records, rather than leave a collector that comes back
    /// unable to decode anything until the next refresh.
    private var templatesLost = false
    /// UDP: the data records and bytes of the last datagram the kernel took, until a later send
    /// or the end of the session shows whether the collector refused it.
    private var lastDatagram: (records: Int, bytes: Int)?
    /// UDP: whether the socket was asked, since the last datagram went, if the collector refused it.
    private var refusalAsked = false
    /// A message of flow records went since the last templates.
    private var recordsSinceTemplates = true
    private var backoff = 0.25
    private var nextConnect = Date.distantPast
    /// TCP: data records of this session its collector's host has acknowledged (counted sent).
    /// Guarded by `condition`.
    private var sessionRecordsAcknowledged = 0
    /// TCP: this session's messages its collector's host has not acknowledged yet, oldest first,
    /// each with the session's bytes written at its end; counted sent once acknowledged.
    private var inFlight: [(end: UInt64, message: [UInt8], records: Int)] = []
    private var inFlightHead = 0
    /// TCP: messages a failed session's collector never acknowledged (and the one whose send
    /// failed), sent again, renumbered, first thing in the next session. Guarded by `condition`.
    private var resend: [(message: [UInt8], records: Int)] = []
    /// UDP pacing: records that may go at once (a token bucket), as of `paceStamp` (monotonic ns).
    private var paceTokens = 0.0
    private var paceStamp: UInt64 = 0

    init(_ socket: IPFIXSocket, options: IPFIXOptions, users: Int = 1) {
        self.socket = socket
        self.options = options
        self.users = users
        stats = IPFIXCollectorStatistics(collector: socket.collector.description)
        encoder = IPFIXEncoder(observationDomain: options.observationDomain,
                               maximumMessageSize: options.maximumMessageSize, samplingInterval: options.samplingInterval,
                               clock: { UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970)) })
    }

    var statistics: IPFIXCollectorStatistics {
        condition.lock(); defer { condition.unlock() }
        return stats
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "ipfix \(socket.collector)"
        thread.start()
    }

    func enqueue(_ flows: [IPFIXFlow]) {
        condition.lock()
        defer { condition.unlock() }
        // Replay waits for room as long as it takes; live only while it drains at its stop.
        // A second at a time: until 7 December 2026 replay waited until Date.distantFuture, which
        // Foundation's NSCondition turns into nanoseconds that overflow, and replay died of SIGILL
        // whenever a collector's queue filled (an audit: every run to a slow TCP collector).
        while !queue.isEmpty && queue.count + flows.count > options.queueCapacity && !done
                && (reachable || awaitingReturn()) && (options.waitWhenFull || Date() < drainDeadline) {
            let second = Date().addingTimeInterval(1)
            _ = condition.wait(until: options.waitWhenFull ? second : min(drainDeadline, second))
        }
        let room = max(0, options.queueCapacity - queue.count)
        if room >= flows.count {
            queue.append(contentsOf: flows)
        } else {
            queue.append(contentsOf: flows.prefix(room))
            stats.flowsDropped += flows.count - room
        }
        stats.flowsQueued += flows.count
        condition.broadcast()
    }

    /// Replay, a collector it had a session with, unreachable for less than `reconnectPatience`:
    /// it is probably restarting, and the file can wait for it. Until 7 December 2026 replay
    /// dropped flows from the moment a session failed: an audit's TCP collector, restarted
    /// mid-replay, missed about 40,000 of 200,000 flows. Called with `condition` held.
    private func awaitingReturn() -> Bool {
        guard options.waitWhenFull, stats.connections > 0, let since = unreachableSince else { return false }
        return Date().timeIntervalSince(since) < options.reconnectPatience
    }

    /// Called with `condition` held.
    private func markUnreachable() {
        if reachable || unreachableSince == nil { unreachableSince = Date() }
        reachable = false
    }

    func waitUntil(_ deadline: Date) {
        condition.lock()
        drainDeadline = deadline
        condition.unlock()
    }

    /// One exporter is done; when it is the last, the thread sends what is queued and stops
    /// (true: the caller joins).
    func finish(deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        users -= 1
        guard users <= 0 else { return false }
        finishing = true
        finishDeadline = deadline
        // Replay's collector went away during the run: it gets the rest of its patience to come back.
        if awaitingReturn(), let since = unreachableSince {
            finishDeadline = max(deadline, since.addingTimeInterval(options.reconnectPatience))
        }
        condition.broadcast()
        return true
    }

    func join() {
        condition.lock()
        while !done { condition.wait() }
        condition.unlock()
    }

    // MARK: the sender thread

    private func run() {
        var batch: [IPFIXFlow] = []
        while true {
            if !socket.isOpen && !hasFlowsToSend() { break }
            if !socket.isOpen {
                // Past the finish deadline with no session: a collector that accepts connections
                // and then stops reading would otherwise take the queue round for ever.
                condition.lock()
                let expired = finishing && Date() >= finishDeadline
                if expired { stats.flowsDropped += queue.count; queue.removeAll() }
                condition.unlock()
                if expired { break }
            }
            if !socket.isOpen && !connect() {
                // Unreachable: keep the queue (bounded) and retry after the backoff, or give up
                // at the finish deadline.
                condition.lock()
                if finishing && Date() >= finishDeadline {
                    stats.flowsDropped += queue.count
                    queue.removeAll()
                    condition.unlock()
                    break
                }
                let until = finishing ? min(nextConnect, finishDeadline) : nextConnect
                _ = condition.wait(until: until)
                condition.unlock()
                continue
            }
            condition.lock()
            while queue.isEmpty && !finishing && !templatesDue() {
                // Wake for the next template refresh (UDP), or now and then.
                var until = Date().addingTimeInterval(1)
                if socket.collector.transport == .udp { until = min(until, lastTemplates.addingTimeInterval(options.templateInterval)) }
                _ = condition.wait(until: until)
            }
            swap(&batch, &queue)
            let last = finishing && batch.isEmpty
            condition.broadcast()  // room in the queue
            condition.unlock()

            if !batch.isEmpty && socket.peerClosed() {
                closeSession(final: false, broken: true)
                if !connect() {
                    requeue(&batch)
                    continue
                }
            }
            if templatesLost {
                // Before the next records, or at the refresh; not alone at the end of a run.
                if !batch.isEmpty || templatesDue() { sendTemplates(typeRecords: true) }
            } else if templatesDue() {
                sendTemplates(typeRecords: false)
            }
            // A TCP session that fails mid-batch (the collector restarted, or stopped reading for
            // the send timeout) is closed: the flows not yet in a message sent or lost go back to
            // the front of the queue for the next session. Until 7 December 2026 the rest of the
            // batch, up to the whole queue, was encoded into the closed socket and counted lost
            // ("not connected", which also hid the real error).
            let tcp = socket.collector.transport == .tcp
            // A live run's stop is bounded: a collector that reads, but slowly (a trickle no send
            // timeout catches), held it for as long as the queue took to send; past the deadline
            // the rest is dropped and counted. Replay sends everything, as it waited for room.
            // Asked as the batch goes, about once a message (a send to a collector that trickles
            // blocks a second or more, the kernel waiting for half its buffer to free): a batch
            // of 65,536 flows taken before the stop began went on for 7 s past a 1 s deadline.
            var stopped = false
            var next = 0
            while next < batch.count {
                if tcp && !socket.isOpen { break }
                if !options.waitWhenFull && next & 7 == 0 {
                    condition.lock(); stopped = finishing && Date() >= finishDeadline; condition.unlock()
                    if stopped { break }
                }
                if !tcp {
                    // UDP: paced flow by flow, so that nothing waits between asking whether the
                    // collector refused the last datagram and the next send; templates go again,
                    // ahead of the records not yet sent, as soon as it did, and at every refresh.
                    // Until 7 December 2026 both were asked only between batches, and a batch is up
                    // to the whole queue (65,536 flows, a minute and more at a paced rate): a
                    // collector that restarted got no template for as long, its records counted
                    // sent (an audit: 20,786 records nfcapd could not decode), and a refresh
                    // interval of 1 s left 7.95 s between templates.
                    pace(records: batch[next].recordCount)
                    if lastDatagram != nil && !refusalAsked {
                        refusalAsked = true
                        if socket.takeRefusal(waitingMilliseconds: 0) { condition.lock(); chargeRefusal(); condition.unlock() }
                    }
                    // Once between data messages: while the collector is down, every datagram is
                    // refused, templates too, and a resend per flow would send little else.
                    if (templatesLost && recordsSinceTemplates) || (next & 63 == 0 && templatesDue()) {
                        let held = encoder.holdOpenMessage()
                        sendTemplates(typeRecords: templatesLost)
                        if let held { encoder.restore(held) }
                    }
                }
                encoder.append(batch[next]) { message, records in
                    send(message, records: records, paced: tcp)
                    recordsSinceTemplates = true
                }
                // This flow's records are in the open message, after the one that failed (which
                // goes again, held, in the next session): it goes again whole, as the rest.
                if tcp && !socket.isOpen { break }
                next += 1
            }
            if stopped && socket.isOpen {
                // Past the deadline: nothing more is sent, the open message's flows included
                // (a send to a collector that only trickles can take its whole 2 s timeout).
                let open = encoder.discardOpenMessage()
                condition.lock()
                stats.flowsDropped += batch.count - next + open + queue.count
                stats.lastError = "the collector had not taken every flow when the run stopped"
                queue.removeAll()
                condition.unlock()
                batch.removeAll(keepingCapacity: true)
                break
            } else if next < batch.count {
                encoder.resetSession()  // the open message holds only flows that go again
                var rest = Array(batch[next...])
                requeue(&rest)
            } else {
                encoder.flush { message, records in send(message, records: records, paced: tcp); recordsSinceTemplates = true }
            }
            batch.removeAll(keepingCapacity: true)
            if last { break }
        }
        // The last datagram's refusal, if any, comes back after it: no later send reports it.
        // On loopback it is there at once; a remote collector's takes a round trip.
        if lastDatagram != nil && socket.takeRefusal(waitingMilliseconds: 100) {
            condition.lock(); chargeRefusal(); condition.unlock()
        }
        condition.lock(); commitLastDatagram(); condition.unlock()
        // TCP: what the collector's host acknowledges before the deadline counts sent; what is
        // still on its way as the socket closes goes on after it (the kernel sends it).
        if socket.isOpen && socket.collector.transport == .tcp {
            condition.lock(); let left = finishDeadline.timeIntervalSinceNow; condition.unlock()
            socket.awaitAcknowledgement(milliseconds: Int(max(0, min(left, 2)) * 1000))  // whole seconds are enough
        }
        // A last session the collector had already closed, or resets as Flowcast ends it, broke
        // too: a short run whose flows all went in one session to a collector that closes every
        // session read nothing and exited 0 (a re-audit). A collector that answers the end of the
        // stream with its own (it read everything) confirms the session; no answer within a
        // second (a collector still reading a backlog) leaves it counted as before.
        var closedByCollector = false
        if socket.isOpen && socket.collector.transport == .tcp {
            if socket.peerClosed() {
                closedByCollector = true
            } else {
                condition.lock(); let left = finishDeadline.timeIntervalSinceNow; condition.unlock()
                closedByCollector = socket.confirmClose(milliseconds: Int32((max(0, min(left, 1)) * 1000).rounded())) == false
            }
        }
        closeSession(final: true, broken: closedByCollector)
        condition.lock()
        if !resend.isEmpty {
            // Never sent again: no session opened before the end.
            stats.messagesLost += resend.count
            stats.recordsLost += resend.reduce(0) { $0 + $1.records }
            resend.removeAll()
        }
        reachable = false
        done = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits, with no session open, until there is a flow to send (true) or the exporter
    /// finishes with none (false). A session opens with its first flow, not at start: a run
    /// that never ends a flow (a quiet interface) opened a session of templates alone on every
    /// collector.
    private func hasFlowsToSend() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !finishing { condition.wait() }
        return !queue.isEmpty
    }

    /// Puts a taken batch back at the front of the queue, whole: it came out of the queue, so
    /// the queue holds at most twice its capacity, and the exporters wait (replay) or drop
    /// (live) until it is under capacity again. (Until 7 December 2026 what no longer fitted was
    /// dropped, and with replay refilling the queue while the batch was out, that was most of it.)
    private func requeue(_ batch: inout [IPFIXFlow]) {
        condition.lock()
        queue.insert(contentsOf: batch, at: 0)
        batch.removeAll(keepingCapacity: true)
        markUnreachable()
        condition.broadcast()
        condition.unlock()
    }

    private func templatesDue() -> Bool {
        socket.collector.transport == .udp && Date().timeIntervalSince(lastTemplates) >= options.templateInterval
    }

    /// Opens the socket (after the backoff for TCP); a new session starts with templates.
    private func connect() -> Bool {
        if Date() < nextConnect { return false }
        if let error = socket.open(timeoutMilliseconds: 1000) {
            nextConnect = Date().addingTimeInterval(backoff)
            // Replay, which may be waiting for the collector to come back, tries every 2 s at most.
            backoff = min(backoff * 2, options.waitWhenFull ? 2 : 30)
            condition.lock()
            stats.connectFailures += 1
            stats.lastError = "connect: \(error)"
            markUnreachable()
            condition.broadcast()  // a replay waiting for room stops waiting
            condition.unlock()
            return false
        }
        backoff = 0.25
        encoder.resetSession()
        condition.lock()
        stats.connections += 1
        sessionRecordsAcknowledged = 0
        reachable = true
        unreachableSince = nil
        condition.unlock()
        sendTemplates()
        resendHeld()
        guard socket.isOpen else {
            // The new session failed at once (a collector that accepts and resets): back off as
            // for a failed connect, rather than reconnect in a tight loop.
            nextConnect = Date().addingTimeInterval(backoff)
            backoff = min(backoff * 2, options.waitWhenFull ? 2 : 30)
            return false
        }
        return true
    }

    /// TCP: sends again, renumbered for this session, the messages the last session's collector
    /// never acknowledged. A failure part way holds the rest again (after what failed).
    private func resendHeld() {
        condition.lock()
        let held = resend
        resend.removeAll()
        condition.unlock()
        for i in held.indices {
            var message = held[i].message
            encoder.renumber(&message, records: held[i].records)
            if !send(message, records: held[i].records) {
                condition.lock(); resend += held[(i + 1)...]; condition.unlock()
                return
            }
        }
    }

    /// Closes the session and settles its messages in flight (`settle`).
    private func closeSession(final: Bool, broken: Bool = false) {
        socket.close()
        condition.lock()
        settle(final: final)
        if broken { noteBrokenSession() }
        condition.unlock()
    }

    /// TCP: the session broke under the exporter (`sessionsBroken`); what its collector's host
    /// acknowledged in it is unconfirmed. Called with `condition` held, after `settle`.
    private func noteBrokenSession() {
        stats.sessionsBroken = (stats.sessionsBroken ?? 0) + 1
        if sessionRecordsAcknowledged > 0 {
            stats.recordsUnconfirmed = (stats.recordsUnconfirmed ?? 0) + sessionRecordsAcknowledged
        }
        sessionRecordsAcknowledged = 0
    }

    /// TCP, the session closed: its messages the collector's host acknowledged count sent; the
    /// others are sent again in the next session (none comes after the final one: they are on
    /// their way as the socket closes, and count sent). Until 7 December 2026 every message the
    /// kernel took counted sent at once, and a collector killed mid-replay lost what its host
    /// never took, tens of thousands of records, counted sent (an audit: 18 of about 52,000
    /// counted lost). What the collector's host took and its process never read is lost unseen:
    /// no TCP sender can know it. Called with `condition` held.
    private func settle(final: Bool, failed: (message: [UInt8], records: Int)? = nil) {
        let acknowledged = socket.acknowledgedAtClose
        for entry in inFlight[inFlightHead...] {
            if final || acknowledged.map({ entry.end <= $0 }) ?? true {
                stats.messagesSent += 1; stats.recordsSent += entry.records; stats.bytesSent += entry.message.count
                sessionRecordsAcknowledged += entry.records
            } else {
                resend.append((entry.message, entry.records))
            }
        }
        inFlight.removeAll(keepingCapacity: true)
        inFlightHead = 0
        if let failed {
            if !final && acknowledged != nil {
                resend.append(failed)
            } else {
                stats.messagesLost += 1
                stats.recordsLost += failed.records
            }
        }
    }

    /// TCP: counts sent the messages in flight the collector's host has acknowledged by now.
    /// Called with `condition` held.
    private func commitAcknowledged() {
        guard inFlightHead < inFlight.count, let acknowledged = socket.acknowledged() else { return }
        while inFlightHead < inFlight.count && inFlight[inFlightHead].end <= acknowledged {
            let entry = inFlight[inFlightHead]
            stats.messagesSent += 1; stats.recordsSent += entry.records; stats.bytesSent += entry.message.count
            sessionRecordsAcknowledged += entry.records
            inFlightHead += 1
        }
        if inFlightHead >= 256 && inFlightHead * 2 >= inFlight.count {
            inFlight.removeFirst(inFlightHead)
            inFlightHead = 0
        }
    }

    private func sendTemplates(typeRecords: Bool = true) {
        templatesLost = false
        recordsSinceTemplates = false
        var first = true
        func emit(_ message: [UInt8], records: Int) {
            let sent = send(message, records: records)
            // A refusal the first message reports is of a datagram sent before these templates,
            // which follow it: no need to send them again. One a later message reports may be of
            // a template message.
            if first && sent { templatesLost = false }
            first = false
        }
        encoder.appendTemplates(typeRecords: typeRecords, emit: emit)
        encoder.flush(emit: emit)
        lastTemplates = Date()
        condition.lock(); stats.templateSends += 1; condition.unlock()
    }

    /// Sends a message and counts it sent or lost.
    ///
    /// UDP: a refusal reported by send() (ECONNREFUSED) is the ICMP "port unreachable" an earlier
    /// datagram brought back, and the kernel did not transmit this one. The earlier datagram (the
    /// latest one sent: on loopback the one refused) moves from sent to lost, and this one is sent
    /// again. Counting this one lost instead charged each outage to the wrong records (template
    /// resends rather than flows) and a collector down for a whole run showed flow records sent.
    @discardableResult
    private func send(_ message: [UInt8], records: Int, paced: Bool = true) -> Bool {
        // Flow records are paced as they are encoded (`run`); templates and type records here.
        if paced && socket.collector.transport == .udp { pace(records: records) }
        let wasOpen = socket.isOpen
        var failure = socket.send(message)
        var refusals = 0
        if let f = failure, f.refused {
            refusals += 1
            failure = socket.send(message)  // the refusal is read: this one goes out now
        }
        condition.lock()
        defer { condition.unlock() }
        if refusals > 0 { chargeRefusal() }
        // The datagram before this one was not refused: it counts as sent now.
        commitLastDatagram()
        if let failure {
            stats.lastError = "send: \(failure.reason)"
            if socket.collector.transport == .tcp {
                // The socket is closed: the session's messages are settled, this one with them.
                settle(final: false, failed: (message, records))
                if wasOpen { noteBrokenSession() }
            } else {
                stats.messagesLost += 1
                stats.recordsLost += records
                templatesLost = true
            }
            if !socket.isOpen { markUnreachable() }
            return false
        } else if socket.collector.transport == .udp {
            lastDatagram = (records, message.count)
            refusalAsked = false
            return true
        } else {
            inFlight.append((socket.written, message, records))
            commitAcknowledged()
            return true
        }
    }

    /// Waits until `records` more data records may go (a datagram of templates counts as one):
    /// a token bucket filled at `udpRecordsPerSecond`, holding at most a hundredth of a second's
    /// worth (and at least one message), so a burst fits a collector's default socket buffer
    /// (about 212 KB: at 100,000 records a second, 1,000 records in about 50 datagrams).
    /// Written here rather than taken from a library: it is a dozen lines on the sender's own
    /// thread, which may sleep.
    private func pace(records: Int) {
        let rate = options.udpRecordsPerSecond
        guard rate > 0 else { return }
        let need = Double(max(records, 1))
        let burst = max(rate / 100, need)
        func refill() {
            let now = DispatchTime.now().uptimeNanoseconds
            if paceStamp == 0 { paceTokens = burst } else { paceTokens = min(burst, paceTokens + Double(now &- paceStamp) * rate / 1e9) }
            paceStamp = now
        }
        refill()
        // Slices of at most 100 ms until the tokens are there (one sleep capped at 1 s did not hold
        // a rate under a message a second: an audit's 0.5 a second sent 16); a live run's stop,
        // bounded, does not wait for them.
        while paceTokens < need {
            condition.lock()
            let stopping = finishing && !options.waitWhenFull && Date() >= finishDeadline
            condition.unlock()
            if stopping { break }
            // At least 1 ms (or the bucket's whole burst, if that is less): records are paced one
            // flow at a time, and a sleep of 10 µs per flow doubled the sender's system time.
            let floor = min(1_000, burst / rate * 1e6)
            usleep(useconds_t(min(max((need - paceTokens) / rate * 1e6, floor), 100_000).rounded(.up)))
            refill()
        }
        paceTokens -= need
    }

    /// UDP: the last datagram the kernel took counts as sent once a later send (or the end of
    /// the session) shows the collector did not refuse it; until then it is in none of the
    /// counts. (Until 7 December 2026 it counted as sent at once and was taken back on a
    /// refusal, so `flowcast_ipfix_records_sent_total`, a counter, went down, and a collector
    /// down for a whole live run showed records sent all along.) Called with `condition` held.
    private func commitLastDatagram() {
        guard let last = lastDatagram else { return }
        stats.messagesSent += 1; stats.recordsSent += last.records; stats.bytesSent += last.bytes
        lastDatagram = nil
    }

    /// The collector refused the last datagram sent (UDP): it counts as lost, not sent, and the
    /// templates and type records go out again before the next records (it may be restarting).
    /// Called with `condition` held.
    private func chargeRefusal() {
        if let last = lastDatagram {
            stats.messagesLost += 1; stats.recordsLost += last.records
        }
        lastDatagram = nil
        stats.lastError = "send: \(String(cString: strerror(ECONNREFUSED)))"
        templatesLost = true
    }
}
