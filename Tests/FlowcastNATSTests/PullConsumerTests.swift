@testable import FlowcastNATS
@testable import FlowcastPipeline
import FlowcastTestSupport
import Foundation
import Testing

/// `PullConsumer` against a real nats-server: what a fetch returns when deliveries of other pull
/// requests are waiting or arrive meanwhile.
@Suite("pull consumer over a real nats-server", .serialized, .enabled(if: NATSServer.isAvailable, "needs nats-server (Debian: nats-server)"))
struct PullConsumerTests {
    static func streamWith(_ count: Int, server: NATSServer) throws -> NATSConnection {
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "pull-consumer-test"))
        _ = try connection.ensureStream(StreamConfiguration(name: "PULLTEST", subjects: ["pulltest.>"], maxAgeNanoseconds: 3_600_000_000_000,
                                                            duplicateWindowNanoseconds: 120_000_000_000))
        for i in 0..<count {
            try Array("message \(i)".utf8).withUnsafeBytes { try connection.publishAsync(subject: "pulltest.x", messageID: "m\(i)", payload: $0) }
        }
        try connection.waitForAcknowledgements(milliseconds: 30_000)
        return connection
    }

    /// The planner stops its prefetcher as it exits: what it fetched ahead and never merged went
    /// unacknowledged, so the next run waited out the consumer's ack wait for it (a re-audit: 540
    /// messages of a tap that finished as the planner exited). It is given back (`-NAK`) now.
    @Test("a prefetcher stopped with batches fetched ahead gives them back: the next pull gets them at once, not after the ack wait")
    func stoppedPrefetcherGivesBack() throws {
        let server = try NATSServer()
        let connection = try Self.streamWith(500, server: server)
        let consumer = try PullConsumer(connection: connection, stream: "PULLTEST", durable: "giveback", filterSubject: "pulltest.>",
                                        startTimeNanoseconds: nil, ackWaitNanoseconds: 30_000_000_000)
        let prefetcher = Prefetcher(consumer, batch: 100, milliseconds: 200)
        prefetcher.start()
        let until = Date().addingTimeInterval(10)
        while prefetcher.bufferedMessages < 200 && Date() < until { usleep(10_000) }
        // The caller takes and acknowledges one batch; the others wait in the prefetcher.
        try prefetcher.next().get().acknowledge()
        usleep(300_000)
        prefetcher.stop()
        try connection.flush(milliseconds: 2000)
        var seen = 0
        let start = Date()
        while seen < 400 && Date().timeIntervalSince(start) < 5 {
            let batch = try consumer.fetch(batch: 500, milliseconds: 300)
            seen += batch.messages.count
            try batch.acknowledge()
        }
        #expect(seen == 400, "\(seen) of the 400 not acknowledged came within 5 s (the ack wait is 30 s)")
    }

    /// libnats 3.4.1's `natsSubscription_Fetch`, given a batch of 4,096 with 3,000 messages of an
    /// earlier request already waiting, asked for 1,096 more and then kept taking messages until
    /// its timeout, writing each past its array of 4,096 (here 2,000 more: the heap corruption
    /// behind `malloc(): invalid size (unsorted)` at 5,000 cells).
    @Test("a fetch never takes more than its batch, with an earlier request's deliveries waiting and more arriving")
    func fetchStaysWithinItsBatch() throws {
        let server = try NATSServer()
        let connection = try Self.streamWith(10_000, server: server)
        let consumer = try PullConsumer(connection: connection, stream: "PULLTEST", durable: "pulltest", filterSubject: "pulltest.>")
        let next = "$JS.API.CONSUMER.MSG.NEXT.PULLTEST.pulltest"
        // Deliveries of a request whose fetch gave up: 3,000 waiting in the subscription.
        try connection.publish(subject: next, reply: consumer.replySubject("earlier"), payload: Array("{\"batch\":3000,\"expires\":5000000000}".utf8))
        let until = Date().addingTimeInterval(10)
        while consumer.waiting < 3000 && Date() < until { usleep(10_000) }
        #expect(consumer.waiting == 3000)
        // And another one's, arriving while the fetch below could still be waiting.
        let late = Thread {
            usleep(300_000)
            try? connection.publish(subject: next, reply: consumer.replySubject("late"), payload: Array("{\"batch\":2000,\"expires\":5000000000}".utf8))
        }
        late.start()
        let first = try consumer.fetch(batch: 4096, milliseconds: 2000)
        #expect(first.messages.count == 4096)
        var seen = Set<UInt64>()
        for m in first.messages { seen.insert(m.streamSequence) }
        try first.acknowledge()
        usleep(500_000)  // the late request's deliveries are in by now
        var fetches = 0
        while seen.count < 10_000 && fetches < 20 {
            let batch = try consumer.fetch(batch: 4096, milliseconds: 500)
            #expect(batch.messages.count <= 4096)
            for m in batch.messages {
                #expect(seen.insert(m.streamSequence).inserted, "sequence \(m.streamSequence) twice")
                #expect(m.deliveries == 1)
                #expect(m.payload == Array("message \(m.streamSequence - 1)".utf8))
            }
            try batch.acknowledge()
            fetches += 1
        }
        #expect(seen.count == 10_000)
        #expect(seen.min() == 1 && seen.max() == 10_000)
    }

    @Test("an empty stream: a fetch waits its time and returns nothing; a message published meanwhile comes at once")
    func fetchWaitsThenDelivers() throws {
        let server = try NATSServer()
        let connection = try Self.streamWith(0, server: server)
        let consumer = try PullConsumer(connection: connection, stream: "PULLTEST", durable: "pulltest", filterSubject: "pulltest.>")
        var started = Date()
        let empty = try consumer.fetch(batch: 100, milliseconds: 300)
        #expect(empty.messages.isEmpty)
        #expect(Date().timeIntervalSince(started) >= 0.25)
        let publisher = Thread {
            usleep(200_000)
            _ = try? connection.publish(subject: "pulltest.y", messageID: "late", payload: Array("late".utf8))
        }
        started = Date()
        publisher.start()
        var got: [ReceivedMessage] = []
        while got.isEmpty && Date().timeIntervalSince(started) < 5 {
            got += try consumer.fetch(batch: 100, milliseconds: 1000).messages
        }
        #expect(got.map(\.payload) == [Array("late".utf8)])
        #expect(got.first?.messageID == "late")
        #expect(Date().timeIntervalSince(started) < 1.5)
    }

    /// The client's last error is per thread and outlives the call that set it: binding a pull
    /// consumer leaves "Limits must be either > 0 or negative…" behind (a failure inside libnats),
    /// which a publish that times out later on the same thread used to carry as its reason.
    @Test("an error names its own status only, not an earlier unrelated failure of the client on the same thread")
    func errorsCarryNoStaleDetail() throws {
        let server = try NATSServer()
        let connection = try Self.streamWith(1, server: server)
        _ = try PullConsumer(connection: connection, stream: "PULLTEST", durable: "stale", filterSubject: "pulltest.>")
        server.stop()
        do {
            try connection.publish(subject: "pulltest.x", messageID: "after-stop", payload: Array("x".utf8))
            Issue.record("a publish with the server stopped succeeded")
        } catch {
            #expect(error.isTimeout || error.isNotConnected, "\(error)")
            // Its own status alone, or with its own detail: with the client's write deadline (7
            // December 2026) a send to the stopped server can fail as an I/O error with the socket's
            // errno ("IO Error (send error: 32)") before the client sees the connection gone.
            #expect(error.reason == error.statusText || (error.statusText == "IO Error" && error.reason.hasPrefix("IO Error (send error: ")),
                    "\(error)")
            #expect(!error.description.contains("Limits must be"), "\(error)")
        }
    }
}
