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
    private var list: natsMsgList

    init(list: natsMsgList) {
        self.list = list
        var messages: [ReceivedMessage] = []
        messages.reserveCapacity(Int(list.Count))
        for i in 0..<Int(list.Count) {
            guard let msg = list.Msgs[i] else { continue }
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

    deinit { natsMsgList_Destroy(&list) }

    /// Acknowledges every message of the batch (`natsMsg_Ack`, not waiting for confirmation: a
    /// lost acknowledgement means a redelivery, which the consumer's merge ignores).
    public func acknowledge() throws(NATSError) {
        for i in 0..<Int(list.Count) {
            guard let msg = list.Msgs[i] else { continue }
            try check(natsMsg_Ack(msg, nil), "acknowledge \(messages.indices.contains(i) ? messages[i].subject : "")")
        }
    }
}

/// A durable pull consumer on a stream (`js_PullSubscribe`): the server remembers what it
/// delivered and what was acknowledged, across restarts of the process.
public final class PullConsumer: @unchecked Sendable {
    let subscription: OpaquePointer
    let connection: NATSConnection
    public let durable: String

    /// Binds to the durable consumer `durable` on `stream`, creating it when missing: explicit
    /// acknowledgements, delivering from `startTimeNanoseconds` when given, otherwise from the
    /// stream's first message.
    public init(connection: NATSConnection, stream: String, durable: String, filterSubject: String,
                startTimeNanoseconds: Int64? = nil, ackWaitNanoseconds: Int64 = 60_000_000_000) throws(NATSError) {
        self.connection = connection
        self.durable = durable
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
            return js_PullSubscribe(&sub, connection.jetStream, filterSubject, durable, nil, &options, &code)
        }
        try check(status, "consumer \(durable) on stream \(stream)", jetStream: code)
        guard let sub else { throw NATSError("consumer \(durable)", NATS_ERR) }
        subscription = sub
    }

    deinit { natsSubscription_Destroy(subscription) }

    /// Fetches up to `batch` messages, waiting at most `milliseconds` for the first; an empty
    /// batch when none came in time.
    public func fetch(batch: Int, milliseconds: Int64) throws(NATSError) -> FetchedBatch {
        var list = natsMsgList()
        var code = jsErrCode(rawValue: 0)
        let status = natsSubscription_Fetch(&list, subscription, Int32(batch), milliseconds, &code)
        if status == NATS_TIMEOUT { return FetchedBatch(list: list) }
        try check(status, "fetch from consumer \(durable)", jetStream: code)
        return FetchedBatch(list: list)
    }
}
