internal import CNats
#if canImport(Glibc)
internal import Glibc
#endif

/// How to reach a NATS server. Credentials and CA paths go to the C client and are never logged.
public struct NATSConnectionOptions: Sendable {
    /// `nats://HOST:PORT` (several separated by commas).
    public var url: String
    /// The connection's name as the server shows it (`flowcast-tap-<site>`).
    public var name: String
    /// A `.creds` file (user JWT and NKey seed), for `natsOptions_SetUserCredentialsFromFiles`.
    public var credentialsFile: String?
    /// PEM CA certificates the server's TLS certificate must chain to; turns TLS on.
    public var trustedCAFile: String?
    /// How long the first connection may take before it is an error (ms).
    public var connectTimeoutMilliseconds: Int64 = 2000
    /// Pause between reconnection attempts (ms); reconnection is retried for ever.
    public var reconnectWaitMilliseconds: Int64 = 250
    /// Most asynchronous publishes waiting for their acknowledgement.
    public var maxPendingPublishes: Int64 = 8192
    /// How long an asynchronous publish waits for its acknowledgement before it is reported failed (ms).
    public var publishAckWaitMilliseconds: Int64 = 4000
    /// How long JetStream API requests (stream info, add stream, add consumer) may take (ms); a
    /// busy server with a large stream can take seconds to create a consumer.
    public var apiWaitMilliseconds: Int64 = 10_000

    public init(url: String, name: String, credentialsFile: String? = nil, trustedCAFile: String? = nil) {
        self.url = url; self.name = name; self.credentialsFile = credentialsFile; self.trustedCAFile = trustedCAFile
    }

    /// `url` as messages may show it: every URL's userinfo secret replaced (`NATSConnectionOptions.redacted`).
    public var redactedURL: String { Self.redacted(url) }

    /// A NATS URL (or several separated by commas) with the secrets of its userinfo replaced by
    /// `***`: the password of `user:password@` (`nats://bob:***@host:4222`), and a token (or a
    /// user alone, which NATS takes as a token) whole (`nats://***@host:4222`). Until 8 December
    /// 2026 taps, the planner and `flowcast policies` printed the URL as given, password included,
    /// while credentials files are never logged. The userinfo ends at the item's last `@` (a
    /// password may hold `/`, `?` or `#`; a host never holds `@`).
    public static func redacted(_ urls: String) -> String {
        urls.split(separator: ",", omittingEmptySubsequences: false).map { item -> String in
            let start = item.firstRange(of: "://")?.upperBound ?? item.startIndex
            guard let at = item[start...].lastIndex(of: "@") else { return String(item) }
            let userinfo = item[start..<at]
            let kept = userinfo.firstIndex(of: ":").map { String(userinfo[..<$0]) + ":***" } ?? "***"
            return String(item[..<start]) + kept + String(item[at...])
        }.joined(separator: ",")
    }
}

/// The outcome of one asynchronous JetStream publish, delivered on a client thread.
public struct PublishAcknowledgement: Sendable {
    public var subject: String
    public var messageID: String
    public var payload: [UInt8]
    /// nil when the stream stored the message (or dropped it as a duplicate of one it stored).
    public var error: NATSError?
    /// True when the stream's duplicate window recognised the message id.
    public var duplicate: Bool
}

/// Relays the C client's per-message acknowledgement callback to a Swift closure.
final class AcknowledgementRelay: @unchecked Sendable {
    var handler: (@Sendable (PublishAcknowledgement) -> Void)?
}

/// Called by the C client for every asynchronous publish, positive or not. The message is ours to
/// destroy (nats.h, `jsPubAckHandler`).
private func acknowledgementCallback(_ js: OpaquePointer?, _ msg: OpaquePointer?, _ ack: UnsafeMutablePointer<jsPubAck>?,
                                     _ failure: UnsafeMutablePointer<jsPubAckErr>?, _ closure: UnsafeMutableRawPointer?) {
    guard let msg, let closure else { return }
    defer { natsMsg_Destroy(msg) }
    let relay = Unmanaged<AcknowledgementRelay>.fromOpaque(closure).takeUnretainedValue()
    guard let handler = relay.handler else { return }
    let subject = natsMsg_GetSubject(msg).map { String(cString: $0) } ?? ""
    var idPointer: UnsafePointer<CChar>? = nil
    let id = natsMsgHeader_Get(msg, "Nats-Msg-Id", &idPointer) == NATS_OK ? idPointer.map { String(cString: $0) } ?? "" : ""
    let count = Int(natsMsg_GetDataLength(msg))
    var payload = [UInt8](repeating: 0, count: count)
    if count > 0, let data = natsMsg_GetData(msg) {
        payload.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: data, count: count)) }
    }
    var error: NATSError? = nil
    if let failure {
        error = NATSError("publish \(subject)", failure.pointee.Err, jetStream: failure.pointee.ErrCode)
        // Not when it only repeats the status in other case (an audit read "No responders
        // available for request: No responders available for request").
        if let text = failure.pointee.ErrText.map({ String(cString: $0) }), let e = error,
           !e.reason.lowercased().contains(text.lowercased()) {
            error?.reason += ": " + text
        }
    } else if ack == nil {
        error = NATSError("publish \(subject)", NATS_ERR)
    }
    handler(PublishAcknowledgement(subject: subject, messageID: id, payload: payload, error: error,
                                   duplicate: ack?.pointee.Duplicate ?? false))
}

/// A connection to a NATS server with its JetStream context: the only owner of the C handles.
///
/// The first connection is made (or refused) at init, within `connectTimeoutMilliseconds`; after
/// that the client reconnects for ever, buffering what is published meanwhile.
public final class NATSConnection: @unchecked Sendable {
    let connection: OpaquePointer
    let jetStream: OpaquePointer
    private let relay = AcknowledgementRelay()
    /// The server's URL as given, with any password or token in it replaced (`NATSConnectionOptions.redacted`):
    /// for messages.
    public let url: String
    let ackWait: Int64

    /// "cannot resolve HOST: REASON" for the first server of a `nats://…[,nats://…]` URL list whose
    /// host name does not resolve, or nil when every one does (or is an address).
    static func unresolvedHost(in urls: String) -> String? {
        for url in urls.split(separator: ",") {
            var rest = url.trimmingPrefix("nats://")
            if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
            if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
            let host: Substring
            if rest.hasPrefix("[") {
                host = rest.dropFirst().prefix { $0 != "]" }
            } else {
                host = rest.prefix { $0 != ":" }
            }
            guard !host.isEmpty else { continue }
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var result: UnsafeMutablePointer<addrinfo>?
            let code = getaddrinfo(String(host), nil, &hints, &result)
            if code == 0 { freeaddrinfo(result); continue }
            return "cannot resolve \(host): \(String(cString: gai_strerror(code)))"
        }
        return nil
    }

    /// Connects; throws at once (no retry) when the server refuses, cannot be reached in time, or
    /// the credentials or CA file cannot be used.
    public init(_ options: NATSConnectionOptions) throws(NATSError) {
        url = options.redactedURL
        ackWait = options.publishAckWaitMilliseconds
        var opts: OpaquePointer? = nil
        try check(natsOptions_Create(&opts), "connect to \(url)")
        defer { natsOptions_Destroy(opts) }
        let what = "connect to \(url)"
        try check(natsOptions_SetURL(opts, options.url), what)
        try check(natsOptions_SetName(opts, options.name), what)
        try check(natsOptions_SetTimeout(opts, options.connectTimeoutMilliseconds), what)
        try check(natsOptions_SetMaxReconnect(opts, -1), what)
        try check(natsOptions_SetReconnectWait(opts, options.reconnectWaitMilliseconds), what)
        try check(natsOptions_SetPingInterval(opts, 2000), what)
        try check(natsOptions_SetMaxPingsOut(opts, 2), what)
        // A write that the network does not take for 10 s fails, and the client reconnects. Without
        // it a silent partition under load left the client's flusher blocked in send() on a full
        // socket holding the connection's lock: no ping could find the link dead, and a tap's
        // --publish-wait never ran out (an audit: a replay tap hung until the network healed).
        try check(natsOptions_SetWriteDeadline(opts, 10_000), what)
        if let creds = options.credentialsFile {
            try check(natsOptions_SetUserCredentialsFromFiles(opts, creds, nil), "\(what): credentials file")
        }
        if let ca = options.trustedCAFile {
            try check(natsOptions_SetSecure(opts, true), "\(what): TLS")
            try check(natsOptions_LoadCATrustedCertificates(opts, ca), "\(what): CA file")
        }
        var nc: OpaquePointer? = nil
        let connected = natsConnection_Connect(&nc, opts)
        if connected != NATS_OK {
            var error = NATSError(what, connected)
            // The client says "No server available for connection" for a host name that does not
            // resolve too; say which name did not (an audit took it for a server that is down).
            if connected == NATS_NO_SERVER, let unresolved = Self.unresolvedHost(in: options.url) { error.reason += " (\(unresolved))" }
            throw error
        }
        guard let nc else { throw NATSError(what, NATS_ERR) }
        connection = nc

        var jsOpts = jsOptions()
        jsOptions_Init(&jsOpts)
        jsOpts.Wait = options.apiWaitMilliseconds
        jsOpts.PublishAsync.MaxPending = options.maxPendingPublishes
        jsOpts.PublishAsync.AckHandler = acknowledgementCallback
        jsOpts.PublishAsync.AckHandlerClosure = Unmanaged.passUnretained(relay).toOpaque()
        jsOpts.PublishAsync.StallWait = 50
        var js: OpaquePointer? = nil
        let status = natsConnection_JetStream(&js, nc, &jsOpts)
        guard status == NATS_OK, let js else {
            natsConnection_Destroy(nc)
            throw NATSError("\(what): JetStream context", status)
        }
        jetStream = js
    }

    deinit {
        jsCtx_Destroy(jetStream)
        natsConnection_Close(connection)
        natsConnection_Destroy(connection)
    }

    /// True while the connection is up (not reconnecting, not closed).
    public var isConnected: Bool { natsConnection_Status(connection) == NATS_CONN_STATUS_CONNECTED }

    /// Where every asynchronous publish's acknowledgement (or failure) goes; set before publishing.
    public func onAcknowledgement(_ handler: @escaping @Sendable (PublishAcknowledgement) -> Void) {
        relay.handler = handler
    }

    /// Publishes without waiting (`js_PublishMsgAsync`); the outcome reaches `onAcknowledgement`.
    /// Throws when the message cannot even be queued (closed connection, stalled past StallWait).
    public func publishAsync(subject: String, messageID: String, payload: UnsafeRawBufferPointer) throws(NATSError) {
        var msg: OpaquePointer? = nil
        let base = payload.baseAddress?.assumingMemoryBound(to: CChar.self)
        try check(natsMsg_Create(&msg, subject, nil, base, Int32(payload.count)), "publish \(subject)")
        var pubOpts = jsPubOptions()
        jsPubOptions_Init(&pubOpts)
        pubOpts.MaxWait = ackWait
        let status = messageID.withCString { id -> natsStatus in
            pubOpts.MsgId = id
            return js_PublishMsgAsync(jetStream, &msg, &pubOpts)
        }
        // On success the library owns the message and sets `msg` to NULL.
        if let msg { natsMsg_Destroy(msg) }
        try check(status, "publish \(subject)")
    }

    /// The largest message the server accepts (its `max_payload`, 1 MiB by default), as it said on
    /// connecting; headers count towards it.
    public var maxPayload: Int { Int(natsConnection_GetMaxPayload(connection)) }

    /// Publishes and waits for the stream's acknowledgement (`js_PublishMsg`); returns true when the
    /// stream already held a message with this id. `headers` are set on the message in order.
    @discardableResult
    public func publish(subject: String, messageID: String?, headers: [(String, String)] = [],
                        payload: some Collection<UInt8>) throws(NATSError) -> Bool {
        var msg: OpaquePointer? = nil
        let status: natsStatus = payload.withContiguousStorageIfAvailable { raw in
            natsMsg_Create(&msg, subject, nil, UnsafeRawPointer(raw.baseAddress)?.assumingMemoryBound(to: CChar.self), Int32(raw.count))
        } ?? Array(payload).withUnsafeBytes { raw in
            natsMsg_Create(&msg, subject, nil, raw.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(raw.count))
        }
        try check(status, "publish \(subject)")
        defer { natsMsg_Destroy(msg) }
        for (key, value) in headers {
            try check(natsMsgHeader_Set(msg, key, value), "publish \(subject): header \(key)")
        }
        var pubOpts = jsPubOptions()
        jsPubOptions_Init(&pubOpts)
        pubOpts.MaxWait = ackWait
        var ack: UnsafeMutablePointer<jsPubAck>? = nil
        var code = jsErrCode(rawValue: 0)
        let result: natsStatus
        if let messageID {
            result = messageID.withCString { id in
                pubOpts.MsgId = id
                return js_PublishMsg(&ack, jetStream, msg, &pubOpts, &code)
            }
        } else {
            result = js_PublishMsg(&ack, jetStream, msg, &pubOpts, &code)
        }
        defer { if let ack { jsPubAck_Destroy(ack) } }
        try check(result, "publish \(subject)", jetStream: code)
        return ack?.pointee.Duplicate ?? false
    }

    /// Waits until every asynchronous publish has its outcome, or `milliseconds` pass (then throws
    /// a timeout error; the outcomes still arrive later).
    public func waitForAcknowledgements(milliseconds: Int64) throws(NATSError) {
        var pubOpts = jsPubOptions()
        jsPubOptions_Init(&pubOpts)
        pubOpts.MaxWait = milliseconds
        try check(js_PublishAsyncComplete(jetStream, &pubOpts), "wait for publish acknowledgements")
    }

    /// A core NATS publish with a reply subject (a JetStream API request by hand, as
    /// `PullConsumer` sends its pull requests); thread-safe like every publish of the client.
    func publish(subject: String, reply: String, payload: [UInt8]) throws(NATSError) {
        let status = payload.withUnsafeBytes { raw in
            natsConnection_PublishRequest(connection, subject, reply, raw.baseAddress, Int32(raw.count))
        }
        try check(status, "publish \(subject)")
    }

    /// Acknowledges one message by its reply subject (`FetchedBatch.replySubject(of:)`), as
    /// `FetchedBatch.acknowledge()` does each of its messages: `+ACK`, or with `negative` `-NAK`
    /// (deliver it again at once, to this consumer or the next reader of a durable one).
    public func acknowledge(reply: String, negative: Bool = false) throws(NATSError) {
        let body = negative ? "-NAK" : "+ACK"
        let status = body.withCString { b in natsConnection_Publish(connection, reply, b, Int32(strlen(b))) }
        try check(status, "acknowledge \(reply)")
    }

    /// Sends what is buffered and waits for the server's PONG.
    public func flush(milliseconds: Int64) throws(NATSError) {
        try check(natsConnection_FlushTimeout(connection, milliseconds), "flush to \(url)")
    }
}
