internal import CNats

/// A failed NATS or JetStream call: what was being done, the client's status text and, for
/// JetStream API errors, the server's error code.
public struct NATSError: Error, CustomStringConvertible, Sendable {
    /// What Flowcast was doing (`connect to nats://127.0.0.1:4222`, `add stream FLOWCAST`, …).
    public var operation: String
    /// `natsStatus_GetText` of the status, plus `nats_GetLastError`'s detail when it adds any and
    /// is about this status.
    public var reason: String
    /// `natsStatus_GetText` of the status alone (`Timeout`, `No Responders Available For Request`).
    public var statusText: String
    /// The C client's `natsStatus` value.
    public var status: Int32
    /// JetStream's `jsErrCode` (0 when the server sent none).
    public var jetStreamCode: Int32

    public var description: String {
        jetStreamCode != 0 ? "\(operation): \(reason) (JetStream error \(jetStreamCode))" : "\(operation): \(reason)"
    }

    /// A pull answered 503 (no responders): the server has no consumer `durable` on `stream`.
    public static func consumerGone(durable: String, stream: String) -> NATSError {
        var e = NATSError("fetch from consumer \(durable)", NATS_NO_RESPONDERS)
        e.reason = "the server has no consumer \(durable) on stream \(stream): was nats-server restarted without its JetStream store?"
        e.consumerGone = true
        return e
    }

    /// Not asked: the connection is down.
    public static var notConnected: NATSError { NATSError("request", NATS_CONNECTION_DISCONNECTED) }

    /// Set by `fetch` for a pull no consumer answered (`consumerGone`).
    public internal(set) var consumerGone = false

    /// The stream took no message on its subject: no responders (no stream listens on it).
    public var isNoResponders: Bool { status == Int32(NATS_NO_RESPONDERS.rawValue) }

    /// No answer came in time (a request, or a publish waiting for the stream's acknowledgement).
    public var isTimeout: Bool { status == Int32(NATS_TIMEOUT.rawValue) }

    /// The connection is down: closed, reconnecting, stale, or no server to connect to.
    /// (An I/O error is the socket breaking under a write: with the client's write deadline, a send
    /// to a server that went away can fail so before the client has noticed it is gone.)
    public var isNotConnected: Bool {
        status == Int32(NATS_IO_ERROR.rawValue)
            || status == Int32(NATS_NO_SERVER.rawValue) || status == Int32(NATS_CONNECTION_CLOSED.rawValue)
            || status == Int32(NATS_CONNECTION_DISCONNECTED.rawValue) || status == Int32(NATS_STALE_CONNECTION.rawValue)
    }

    /// True for a status that means the server or an answer could not be reached in time.
    public var isUnreachable: Bool {
        status == Int32(NATS_IO_ERROR.rawValue)
            || status == Int32(NATS_NO_SERVER.rawValue) || status == Int32(NATS_TIMEOUT.rawValue)
            || status == Int32(NATS_CONNECTION_CLOSED.rawValue) || status == Int32(NATS_CONNECTION_DISCONNECTED.rawValue)
            || status == Int32(NATS_NO_RESPONDERS.rawValue) || status == Int32(NATS_STALE_CONNECTION.rawValue)
    }

    init(_ operation: String, _ status: natsStatus, jetStream code: jsErrCode = jsErrCode(rawValue: 0)) {
        self.operation = operation
        self.status = Int32(status.rawValue)
        jetStreamCode = Int32(code.rawValue)
        statusText = String(cString: natsStatus_GetText(status))
        var text = statusText
        // The client's last error is per thread and not cleared by a call that succeeds, nor set by
        // every call that fails (a publish that times out leaves it alone): a detail of another
        // status is an earlier, unrelated failure, not this one's. (js_PullSubscribe in 3.4.1 sets
        // its subscription's pending limits to MaxAckPending messages and MaxAckPending MiB, which
        // with our 1<<20 is 2^40 bytes, 0 as an int: refused, "Limits must be either > 0 or
        // negative…", and ignored; harmless, as that subscription is not the one we read.)
        var detailStatus = NATS_OK
        if let found = nats_GetLastError(&detailStatus).map({ String(cString: $0) }), detailStatus == status {
            // The client's detail starts with its own source location ("(js.c:535): "), which
            // means nothing to an operator; and it may only repeat the status in other case
            // ("No responders available for request: No responders available for request").
            let detail = Self.withoutSourceLocation(found)
            if !detail.isEmpty, detail.lowercased() != text.lowercased(), !detail.lowercased().contains(text.lowercased()) {
                text += " (\(detail))"
            }
        }
        if let hint = Self.hint(status: status, jetStream: code, operation: operation, text: text) { text += "; " + hint }
        reason = text
    }

    /// `(js.c:2121): configuration …` → `configuration …`.
    static func withoutSourceLocation(_ detail: String) -> String {
        var rest = Substring(detail)
        while rest.hasPrefix("("), let close = rest.firstIndex(of: ")"),
              case let inside = rest[rest.index(after: rest.startIndex)..<close], inside.contains(".c:"),
              inside.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == ":" || $0 == "_" }) {
            rest = rest[rest.index(after: close)...].drop { $0 == ":" || $0 == " " }
        }
        return String(rest)
    }

    /// What an operator can do about the JetStream errors a Flowcast setup meets (an audit found
    /// "cannot use NATS at …: Error" for a stream whose subjects overlap Flowcast's, and only "No
    /// responders available for request" from a server without JetStream).
    static func hint(status: natsStatus, jetStream code: jsErrCode, operation: String, text: String) -> String? {
        if operation.hasPrefix("add consumer") && text.contains("deliver policy") {
            return "the durable consumer exists with another starting point (--from): give a new --durable, or delete the consumer"
        }
        switch code {
        case JSStreamSubjectOverlapErr:
            return "another stream on the server already takes some of these subjects (flowcast.v1.…): remove it or narrow its subjects"
        case JSNotEnabledErr, JSNotEnabledForAccountErr:
            return "JetStream is not enabled (start nats-server with -js, or enable it for the account)"
        case JSInsufficientResourcesErr, JSStorageResourcesExceededErr:
            return "the server's JetStream storage is full or its limits (max_file_store, max_mem_store) are too small"
        default: break
        }
        let api = operation.hasPrefix("add stream") || operation.hasPrefix("add consumer") || operation.hasPrefix("consumer info")
            || operation.hasPrefix("delete consumer") || operation.hasPrefix("stream info")
        if api && status == NATS_NO_RESPONDERS {
            return "nothing answered the JetStream API: is JetStream enabled (nats-server -js)?"
        }
        return nil
    }
}

/// Turns a `natsStatus` into a thrown `NATSError` (the one choke point for C return codes).
@inline(__always)
func check(_ status: natsStatus, _ operation: @autoclosure () -> String,
           jetStream code: jsErrCode = jsErrCode(rawValue: 0)) throws(NATSError) {
    guard status == NATS_OK else { throw NATSError(operation(), status, jetStream: code) }
}
