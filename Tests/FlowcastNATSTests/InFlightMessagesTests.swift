@testable import FlowcastPipeline
import Testing

/// A tap run again on its folder re-sends its spool and publishes the same windows anew, under the
/// same message ids, so one id can be in flight twice. Until 7 December 2026 the messages in flight
/// were one per id: the new one replaced the spooled one, whose acknowledgement then never settled
/// the spool (the run spun at 100 % CPU for --publish-wait and exited 3; an audit reproduced it in 3
/// reruns of 6, which an end-to-end test does not do reliably: the two must be in flight at once).
@Suite("messages in flight")
struct InFlightMessagesTests {
    func message(_ id: String, _ byte: UInt8) -> OutgoingMessage { OutgoingMessage(subject: "flowcast.v1.tap.a", id: id, payload: [byte]) }

    @Test("an id in flight twice keeps both; acknowledgements take the oldest, a refused publish the newest")
    func sameIDTwice() throws {
        var inFlight = InFlightMessages()
        inFlight.append(message("a|window|1", 1), fromSpool: true)
        inFlight.append(message("a|window|1", 2), fromSpool: false)
        inFlight.append(message("a|window|2", 3), fromSpool: false)
        #expect(inFlight.count == 3 && inFlight.all.count == 3)
        let taken = inFlight.removeFirst("a|window|1")
        let first = try #require(taken)
        #expect(first.fromSpool && first.message.payload == [1])
        let again = inFlight.removeFirst("a|window|1")
        let second = try #require(again)
        #expect(!second.fromSpool && second.message.payload == [2])
        let none = inFlight.removeFirst("a|window|1")
        #expect(none == nil && inFlight.count == 1)
        inFlight.append(message("a|window|2", 4), fromSpool: true)
        let newest = inFlight.removeLast("a|window|2"), oldest = inFlight.removeFirst("a|window|2")
        #expect(newest?.message.payload == [4] && oldest?.message.payload == [3])
        #expect(inFlight.isEmpty && inFlight.all.isEmpty)
    }
}
