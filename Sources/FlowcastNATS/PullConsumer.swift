internal import CNats
#if canImport(Glibc)
internal import Glibc
#endif

/// One message fetched from a stream, copied out of the client's buffer.
public struct ReceivedMessage: Sendable {
    public var subject: String
    public var payload: [UInt8]
    /// The message id the publisher set (`Nats-Msg-Id`), or "".
    public var messageID: String
    /// The message's sequence number in its stream (0 when the metadata could not be read).
    public var streamSequence: UInt64
    /// How many times the server has delivered it (1 the first time).
    public var deliveries: UInt64
    /// When the stream stored it (ns since the epoch; 0 when unknown).
    public var timestampNanoseconds: Int64
    /// Messages still waiting in the consumer after this one, as the server counted on delivery.
    public var pending: UInt64
}

/// A batch from `PullConsumer.fetch`; its messages are acknowledged together with `acknowledge()`
/// and the client's copies are released with the batch.
public final class FetchedBatch: @unchecked Sendable {
    public let messages: [ReceivedMessage]
    /// The client's messages (`natsMsg*`), each destroyed once, in `deinit` or `releaseClientMessages`.
    private var handles: [OpaquePointer]
    private let connection: NATSConnection

    init(handles: [OpaquePointer], connection: NATSConnection) {
        self.handles = handles
        self.connection = connection
        var messages: [ReceivedMessage] = []
        messages.reserveCapacity(handles.count)
        for msg in handles {
            let subject = natsMsg_GetSubject(msg).map { String(cString: $0) } ?? ""
            let count = Int(natsMsg_GetDataLength(msg))
            var payload = [UInt8](repeating: 0, count: count)
            if count > 0, let data = natsMsg_GetData(msg) {
                payload.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: data, count: count)) }
            }
            var idPointer: UnsafePointer<CChar>? = nil
            let id = natsMsgHeader_Get(msg, "Nats-Msg-Id", &idPointer) == NATS_OK ? idPointer.map { String(cString: $0) } ?? "" : ""
            var meta: UnsafeMutablePointer<jsMsgMetaData>? = nil
            var sequence: UInt64 = 0, deliveries: UInt64 = 0, pending: UInt64 = 0
            var timestamp: Int64 = 0
            if natsMsg_GetMetaData(&meta, msg) == NATS_OK, let meta {
                sequence = meta.pointee.Sequence.Stream
                deliveries = meta.pointee.NumDelivered
                pending = meta.pointee.NumPending
                timestamp = meta.pointee.Timestamp
                jsMsgMetaData_Destroy(meta)
            }
            messages.append(ReceivedMessage(subject: subject, payload: payload, messageID: id, streamSequence: sequence,
                                            deliveries: deliveries, timestampNanoseconds: timestamp, pending: pending))
        }
        self.messages = messages
    }

    deinit { releaseClientMessages() }

    /// Frees the client's copies now rather than when the batch is dropped (`messages` stay).
    /// After this, `acknowledge()` and `markInProgress()` do nothing.
    public func releaseClientMessages() {
        for msg in handles { natsMsg_Destroy(msg) }
        handles = []
    }

    /// The headers of message `index` (name to first value); the `Nats-*` ones included.
    public func headers(of index: Int) -> [String: String] {
        guard handles.indices.contains(index) else { return [:] }
        let msg = handles[index]
        var keys: UnsafeMutablePointer<UnsafePointer<CChar>?>? = nil
        var count: Int32 = 0
        guard natsMsgHeader_Keys(msg, &keys, &count) == NATS_OK, let keys else { return [:] }
        defer { free(keys) }
        var out: [String: String] = [:]
        for k in 0..<Int(count) {
            guard let key = keys[k] else { continue }
            var value: UnsafePointer<CChar>? = nil
            if natsMsgHeader_Get(msg, key, &value) == NATS_OK, let value { out[String(cString: key)] = String(cString: value) }
        }
        return out
    }

    /// The reply subject of message `index` (`$JS.ACK.…`): what acknowledges that one message
    /// later, with `NATSConnection.acknowledge(reply:)`, after the batch is released.
    public func replySubject(of index: Int) -> String? {
        guard handles.indices.contains(index), let reply = natsMsg_GetReply(handles[index]) else { return nil }
        return String(cString: reply)
    }

    /// Acknowledges every message of the batch, not waiting for confirmation (a lost
    /// acknowledgement means a redelivery, which the consumer's merge ignores).
    public func acknowledge() throws(NATSError) { try reply("+ACK") }

    /// Tells the server the batch is still being worked on: its ack wait starts again, so it is
    /// not delivered a second time meanwhile.
    public func markInProgress() throws(NATSError) { try reply("+WPI") }

    /// Gives the batch back unprocessed (`-NAK`): the server delivers it again at once, to the next
    /// pull of the consumer, rather than after its ack wait.
    public func giveBack() throws(NATSError) { try reply("-NAK") }

    /// The JetStream acknowledgement protocol by hand: the body published to each message's reply
    /// subject (`$JS.ACK.…`), what `natsMsg_Ack` sends; by hand because these messages come from
    /// a plain subscription of ours, not from the client's JetStream one (see `PullConsumer.fetch`),
    /// and libnats's JetStream calls look the message's subscription up.
    private func reply(_ body: StaticString) throws(NATSError) {
        for msg in handles {
            guard let reply = natsMsg_GetReply(msg) else { continue }
            let status = body.withUTF8Buffer { b in
                natsConnection_Publish(connection.connection, reply, b.baseAddress, Int32(b.count))
            }
            try check(status, "acknowledge \(String(cString: reply))")
        }
    }
}

/// A durable pull consumer on a stream: the server remembers what it delivered and what was
/// acknowledged, across restarts of the process.
///
/// The consumer is created or bound with `js_PullSubscribe`, but messages are pulled with our own
/// requests on our own subscription, not with `natsSubscription_Fetch`: in libnats 3.4.1 that
/// function writes past its message array when, at the start of a fetch, more than half of the
/// batch (but not all of it) is already waiting in the subscription, delivered for an earlier
/// request whose fetch had timed out. Its loop then runs until `count == batch - already`, which
/// it has passed, so it takes every message that arrives until its timeout: heap corruption
/// (`malloc(): invalid size (unsorted)`), seen at 5,000 cells (docs/scaleout.md, "The abort").
public final class PullConsumer: @unchecked Sendable {
    let subscription: OpaquePointer
    /// Our subscription on `inbox.*`: each pull request has its own reply subject `inbox.N`.
    let deliveries: OpaquePointer
    let inbox: String
    let connection: NATSConnection
    /// The consumer's name: the durable's, or the one the server gave an ephemeral consumer.
    public let durable: String
    public let stream: String
    /// True when the consumer is ephemeral: deleted by `deinit`, or by the server once nobody has
    /// pulled from it for the inactivity threshold (a reader that was killed).
    public let isEphemeral: Bool
    private let nextSubject: String
    private var requestNumber: UInt64 = 0
    /// What the consumer was made with, for `recreate()`.
    private let filterSubject: String
    private let startTimeNanoseconds: Int64?
    private let ackWaitNanoseconds: Int64

    /// Binds to the durable consumer `durable` on `stream`, creating it when missing: explicit
    /// acknowledgements, delivering from `startTimeNanoseconds` when given, otherwise from the
    /// stream's first message. With `durable` nil the consumer is ephemeral (the server names it),
    /// removed once nobody pulls from it for `inactiveThresholdNanoseconds`, or by `deinit`.
    public init(connection: NATSConnection, stream: String, durable: String?, filterSubject: String,
                startTimeNanoseconds: Int64? = nil, ackWaitNanoseconds: Int64 = 60_000_000_000,
                inactiveThresholdNanoseconds: Int64 = 60_000_000_000) throws(NATSError) {
        self.connection = connection
        self.stream = stream
        self.filterSubject = filterSubject
        self.startTimeNanoseconds = startTimeNanoseconds
        self.ackWaitNanoseconds = ackWaitNanoseconds
        isEphemeral = durable == nil
        let what = durable.map { "consumer \($0) on stream \(stream)" } ?? "ephemeral consumer on stream \(stream)"
        var options = jsSubOptions()
        jsSubOptions_Init(&options)
        var sub: OpaquePointer? = nil
        var code = jsErrCode(rawValue: 0)
        let status = stream.withCString { streamName in
            options.Stream = streamName
            options.ManualAck = true
            options.Config.AckPolicy = js_AckExplicit
            options.Config.AckWait = ackWaitNanoseconds
            options.Config.MaxAckPending = 1 << 20
            if let start = startTimeNanoseconds {
                options.Config.DeliverPolicy = js_DeliverByStartTime
                options.Config.OptStartTime = start
            } else {
                options.Config.DeliverPolicy = js_DeliverAll
            }
            if durable == nil { options.Config.InactiveThreshold = inactiveThresholdNanoseconds }
            return js_PullSubscribe(&sub, connection.jetStream, filterSubject, durable, nil, &options, &code)
        }
        try check(status, what, jetStream: code)
        guard let sub else { throw NATSError(what, NATS_ERR) }
        subscription = sub
        if let durable {
            self.durable = durable
        } else {
            // The name the server gave the ephemeral consumer: our pull requests go to it.
            var info: UnsafeMutablePointer<jsConsumerInfo>? = nil
            var infoCode = jsErrCode(rawValue: 0)
            let asked = natsSubscription_GetConsumerInfo(&info, sub, nil, &infoCode)
            guard asked == NATS_OK, let info, let name = info.pointee.Name else {
                if let info { jsConsumerInfo_Destroy(info) }
                natsSubscription_Unsubscribe(sub)
                natsSubscription_Destroy(sub)
                throw NATSError("\(what): consumer info", asked == NATS_OK ? NATS_ERR : asked, jetStream: infoCode)
            }
            self.durable = String(cString: name)
            jsConsumerInfo_Destroy(info)
        }
        nextSubject = "$JS.API.CONSUMER.MSG.NEXT.\(stream).\(self.durable)"

        var inboxPointer: UnsafeMutablePointer<CChar>? = nil
        let made = natsInbox_Create(&inboxPointer)
        guard made == NATS_OK, let inboxPointer else {
            if durable == nil { natsSubscription_Unsubscribe(sub) }
            natsSubscription_Destroy(sub)
            throw NATSError("consumer \(self.durable): inbox", made)
        }
        inbox = String(cString: inboxPointer)
        natsInbox_Destroy(inboxPointer)
        var own: OpaquePointer? = nil
        let subscribed = natsConnection_SubscribeSync(&own, connection.connection, inbox + ".*")
        guard subscribed == NATS_OK, let own else {
            if durable == nil { natsSubscription_Unsubscribe(sub) }
            natsSubscription_Destroy(sub)
            throw NATSError("consumer \(self.durable): subscribe to its inbox", subscribed)
        }
        // No client-side limit (the default drops messages past 65,536 as a slow consumer): what
        // waits here is bounded by the batches we asked for.
        _ = natsSubscription_SetPendingLimits(own, -1, -1)
        deliveries = own
    }

    /// False when the server says it has no such consumer (or no such stream): a nats-server
    /// restarted without its JetStream store. Pulls from a consumer that is gone are not answered
    /// at all by nats-server 2.9 (a fetch just finds nothing), so a reader that finds nothing for
    /// a while asks.
    public func existsOnServer() throws(NATSError) -> Bool {
        var info: UnsafeMutablePointer<jsConsumerInfo>? = nil
        var code = jsErrCode(rawValue: 0)
        let status = js_GetConsumerInfo(&info, connection.jetStream, stream, durable, nil, &code)
        if let info { jsConsumerInfo_Destroy(info) }
        if status == NATS_OK { return true }
        if status == NATS_NOT_FOUND || code == JSConsumerNotFoundErr || code == JSStreamNotFoundErr { return false }
        throw NATSError("consumer info \(durable) on stream \(stream)", status, jetStream: code)
    }

    /// Pull requests the server holds for the consumer right now (`NumWaiting`): another process
    /// pulling from the same durable consumer keeps one waiting.
    public func waitingPulls() throws(NATSError) -> Int64 {
        try consumerInfo { $0.NumWaiting } ?? 0
    }

    /// Messages the stream holds for this consumer not yet delivered (`NumPending`), and those
    /// delivered and not yet acknowledged (`NumAckPending`: to this process, or to one that died
    /// holding them, which the server delivers again after the ack wait).
    public func backlog() throws(NATSError) -> (pending: UInt64, acknowledgementPending: Int64) {
        try consumerInfo { ($0.NumPending, $0.NumAckPending) } ?? (0, 0)
    }

    /// The highest stream sequence the server has delivered to this consumer (to this process or
    /// to one before it), 0 when it has delivered nothing. (A new consumer's delivered stream
    /// sequence is the one before the stream's first message, though nothing was delivered.)
    public func deliveredSequence() throws(NATSError) -> UInt64 {
        try consumerInfo { $0.Delivered.Consumer > 0 ? $0.Delivered.Stream : 0 } ?? 0
    }

    /// A field of the consumer's info as the server gives it now (`js_GetConsumerInfo`).
    private func consumerInfo<Value>(_ read: (jsConsumerInfo) -> Value) throws(NATSError) -> Value? {
        var info: UnsafeMutablePointer<jsConsumerInfo>? = nil
        var code = jsErrCode(rawValue: 0)
        let status = js_GetConsumerInfo(&info, connection.jetStream, stream, durable, nil, &code)
        defer { if let info { jsConsumerInfo_Destroy(info) } }
        try check(status, "consumer info \(durable) on stream \(stream)", jetStream: code)
        return info.map { read($0.pointee) }
    }

    /// The consumer's ack floor: the stream sequence up to which every message it delivered has
    /// been acknowledged (0 when none has), as the server says (`js_GetConsumerInfo`).
    public func acknowledgedFloor() throws(NATSError) -> UInt64 {
        try consumerInfo { $0.AckFloor.Stream } ?? 0
    }

    /// Creates the durable consumer again, as `init` made it, when the server no longer has it
    /// (a nats-server restarted without its JetStream store: `fetch` throws `isConsumerGone`).
    /// The stream must exist (`NATSConnection.ensureStream`). Pulls go on to the same name.
    public func recreate() throws(NATSError) {
        guard !isEphemeral else { throw NATSError("recreate ephemeral consumer \(durable)", NATS_INVALID_ARG) }
        var config = jsConsumerConfig()
        jsConsumerConfig_Init(&config)
        var info: UnsafeMutablePointer<jsConsumerInfo>? = nil
        var code = jsErrCode(rawValue: 0)
        let status = durable.withCString { name in
            filterSubject.withCString { filter in
                config.Durable = name
                config.FilterSubject = filter
                config.AckPolicy = js_AckExplicit
                config.AckWait = ackWaitNanoseconds
                config.MaxAckPending = 1 << 20
                if let start = startTimeNanoseconds {
                    config.DeliverPolicy = js_DeliverByStartTime
                    config.OptStartTime = start
                } else {
                    config.DeliverPolicy = js_DeliverAll
                }
                return js_AddConsumer(&info, connection.jetStream, stream, &config, nil, &code)
            }
        }
        if let info { jsConsumerInfo_Destroy(info) }
        try check(status, "add consumer \(durable) on stream \(stream)", jetStream: code)
    }

    deinit {
        natsSubscription_Destroy(deliveries)
        // libnats 3.4 deletes a consumer it created on unsubscribe only, never on destroy.
        if isEphemeral { natsSubscription_Unsubscribe(subscription) }
        natsSubscription_Destroy(subscription)
    }

    /// A reply subject for a pull request by hand (tests: deliveries of another request).
    func replySubject(_ tag: String) -> String { inbox + "." + tag }

    /// Messages delivered to us and not yet taken by a fetch.
    var waiting: Int {
        var count: Int32 = 0
        return natsSubscription_GetPending(deliveries, &count, nil) == NATS_OK ? Int(count) : 0
    }

    /// Asks the server for up to `batch` messages on reply subject `inbox.N` and returns it:
    /// `expires` in ms (0: none), or `noWait` (an immediate 404 or 408 when it has fewer).
    @discardableResult
    func request(batch: Int, expiresMilliseconds: Int64, noWait: Bool) throws(NATSError) -> String {
        requestNumber += 1
        let reply = inbox + "." + String(requestNumber)
        var json = "{\"batch\":\(batch)"
        if expiresMilliseconds > 0 { json += ",\"expires\":\(expiresMilliseconds * 1_000_000)" }
        if noWait { json += ",\"no_wait\":true" }
        json += "}"
        let status = json.withCString { body in
            natsConnection_PublishRequest(connection.connection, nextSubject, reply, body, Int32(strlen(body)))
        }
        try check(status, "fetch from consumer \(durable)")
        return reply
    }

    /// Fetches up to `batch` messages, waiting at most `milliseconds` for the first; an empty
    /// batch when none came in time. Never more than `batch`: messages of an earlier request that
    /// arrive late stay in the subscription for the next fetch.
    public func fetch(batch: Int, milliseconds: Int64) throws(NATSError) -> FetchedBatch {
        precondition(batch > 0 && milliseconds > 0)
        var taken: [OpaquePointer] = []
        taken.reserveCapacity(batch)
        let deadline = Self.nowMilliseconds() + milliseconds
        var current = ""        // reply subject of the request this fetch waits on
        var waiting = false     // that request waits (expires) rather than answering at once (no_wait)
        do throws(NATSError) {
            // What already waits here (late deliveries of an earlier request) counts first.
            let ready = min(self.waiting, batch)
            if ready < batch { current = try request(batch: batch - ready, expiresMilliseconds: 0, noWait: true) }
            while taken.count < batch {
                let wait = deadline - Self.nowMilliseconds()
                if wait <= 0 { break }
                var msg: OpaquePointer? = nil
                let status = natsSubscription_NextMsg(&msg, deliveries, wait)
                if status == NATS_TIMEOUT { break }
                try check(status, "fetch from consumer \(durable)")
                guard let msg else { continue }
                guard let code = Self.statusCode(msg) else {
                    taken.append(msg)
                    continue
                }
                // A status (404 no messages, 408 request expired, 409 a limit) ends its own
                // request; one for an earlier request is stale.
                let ours = natsMsg_GetSubject(msg).map { strcmp($0, current) == 0 } ?? false
                natsMsg_Destroy(msg)
                guard ours else { continue }
                if code == 503 && taken.isEmpty {
                    // No responders: the server has no such consumer (nor, maybe, its stream). Said,
                    // not taken for an empty batch: pulling again would wait for ever, silently.
                    throw NATSError.consumerGone(durable: durable, stream: stream)
                }
                if taken.isEmpty && !waiting && (code == 404 || code == 408) {
                    // Nothing was there: ask again, to wait for what comes before the deadline.
                    waiting = true
                    current = try request(batch: batch, expiresMilliseconds: Self.expires(deadline), noWait: false)
                    continue
                }
                break
            }
        } catch {
            for msg in taken { natsMsg_Destroy(msg) }
            throw error
        }
        return FetchedBatch(handles: taken, connection: connection)
    }

    /// A request's expiry a little before the fetch's deadline (as libnats does: 10 ms less), so
    /// that the server ends it first and says so.
    static func expires(_ deadline: Int64) -> Int64 {
        let left = deadline - nowMilliseconds()
        return left >= 20 ? left - 10 : max(left, 1)
    }

    /// The status of a status message (no payload, a `NATS/1.0 CODE` header line), nil for a
    /// stream message.
    static func statusCode(_ msg: OpaquePointer) -> Int? {
        guard natsMsg_GetDataLength(msg) == 0 else { return nil }
        var value: UnsafePointer<CChar>? = nil
        guard natsMsgHeader_Get(msg, "Status", &value) == NATS_OK, let value else { return nil }
        return Int(String(cString: value)) ?? 0
    }

    static func nowMilliseconds() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1000 + Int64(t.tv_nsec) / 1_000_000
    }
}

extension NATSConnection {
    /// Deletes the durable consumer `name` of `stream` (`js_DeleteConsumer`), as `nats consumer
    /// rm` does: a planner or reader that binds the name afterwards starts it anew.
    public func deleteConsumer(stream: String, name: String) throws(NATSError) {
        var code = jsErrCode(rawValue: 0)
        let status = js_DeleteConsumer(jetStream, stream, name, nil, &code)
        try check(status, "delete consumer \(name) on stream \(stream)", jetStream: code)
    }
}
