@testable import FlowcastNATS
import CNats
import Testing

/// The NATS client's error texts as an operator reads them (an audit: "Error ((js.c:535):
/// insufficient resources)", "No responders available for request: No responders available for
/// request", and nothing to say JetStream was off or another stream held the subjects).
@Suite("NATS error texts")
struct NATSErrorTextTests {
    @Test("the client's source location is dropped from its detail", arguments: [
        ("(js.c:535): insufficient resources", "insufficient resources"),
        ("(js.c:2121): configuration requests deliver policy to be 4, but consumer's value is 0",
         "configuration requests deliver policy to be 4, but consumer's value is 0"),
        ("(conn.c:12): (js.c:3): nested", "nested"),
        ("no location (here)", "no location (here)"),
        ("(a note) text", "(a note) text"),
    ] as [(String, String)])
    func sourceLocationDropped(_ detail: String, _ shown: String) {
        #expect(NATSError.withoutSourceLocation(detail) == shown)
    }

    @Test("JetStream errors an operator meets say what to do")
    func hints() {
        let overlap = NATSError.hint(status: NATS_ERR, jetStream: JSStreamSubjectOverlapErr, operation: "add stream FLOWCAST_WINDOWS", text: "Error")
        #expect(overlap?.contains("another stream on the server already takes some of these subjects") == true)
        let off = NATSError.hint(status: NATS_NO_RESPONDERS, jetStream: jsErrCode(rawValue: 0), operation: "add stream FLOWCAST_WINDOWS", text: "x")
        #expect(off == "nothing answered the JetStream API: is JetStream enabled (nats-server -js)?")
        let full = NATSError.hint(status: NATS_ERR, jetStream: JSInsufficientResourcesErr, operation: "publish x", text: "x")
        #expect(full?.contains("max_file_store") == true)
        let from = NATSError.hint(status: NATS_ERR, jetStream: jsErrCode(rawValue: 0), operation: "add consumer planner",
                                  text: "Error (configuration requests deliver policy to be 4, but consumer's value is 0)")
        #expect(from?.contains("give a new --durable") == true)
        // A publish nothing answered is the tap's own case (it creates the stream again): no hint here.
        #expect(NATSError.hint(status: NATS_NO_RESPONDERS, jetStream: jsErrCode(rawValue: 0), operation: "publish flowcast.v1.win.a", text: "x") == nil)
    }
}
