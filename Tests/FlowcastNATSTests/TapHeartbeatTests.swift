import FlowcastNATS
import FlowcastPipeline
import FlowcastTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A live tap's heartbeat, read back from the stream as the planner reads it.
@Suite("tap heartbeat", .enabled(if: NATSServer.isAvailable, "needs nats-server (Debian: nats-server)"))
struct TapHeartbeatTests {
    /// Until 7 December 2026 the heartbeat carried the monotonic clock (seconds since boot, an
    /// audit: "time":56074.905), not the wall clock docs/scaleout.md gives.
    @Test("a heartbeat's time and message id are the wall clock")
    func heartbeatIsWallClock() throws {
        let server = try NATSServer()
        let spool = Scratch.root.appendingPathComponent("flowcast-heartbeat-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let before = Date().timeIntervalSince1970
        let publisher = try TapPublisher(PublishOptions(connection: NATSConnectionOptions(url: server.url, name: "heartbeat-test"), site: "edge-9",
                                                        mode: "live", spoolDirectory: spool, drainSeconds: 5, heartbeatSeconds: 0.2))
        usleep(1_500_000)
        _ = publisher.finish()
        let after = Date().timeIntervalSince1970
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "heartbeat-reader"))
        let consumer = try PullConsumer(connection: connection, stream: "FLOWCAST_WINDOWS", durable: "heartbeats", filterSubject: "flowcast.v1.tap.>")
        let messages = try consumer.fetch(batch: 100, milliseconds: 2000).messages
        let beats = messages.compactMap { m -> (time: Double, id: String)? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(m.payload)) as? [String: Any],
                  object["type"] as? String == "heartbeat", let time = object["time"] as? Double else { return nil }
            return (time, m.messageID)
        }
        #expect(beats.count >= 2, "\(messages.map { String(decoding: $0.payload, as: UTF8.self) })")
        for beat in beats {
            #expect(beat.time >= before - 1 && beat.time <= after + 1, "heartbeat time \(beat.time), run from \(before) to \(after)")
            let idTime = beat.id.split(separator: "|").last.flatMap { Double($0) }.map { $0 / 1e9 }
            #expect(beat.id.hasPrefix("edge-9|heartbeat|") && idTime.map { abs($0 - beat.time) < 0.001 } == true, "\(beat.id)")
        }
    }
}

/// A stream that takes a tap's window lines and not its marks (its subjects cover
/// `flowcast.v1.win.>` only): every mark refused, every line taken.
@Suite("a stream that refuses some of a tap's subjects", .enabled(if: NATSServer.isAvailable, "needs nats-server (Debian: nats-server)"))
struct PartialRefusalTests {
    /// Until 7 December 2026 each acknowledged line reset the 30 s limit of the refusal line, so
    /// it came several times a second (an audit: 4 identical lines in 5 s).
    @Test("the refusal is logged at most once in 30 s although other messages are taken meanwhile; the tap exits 3")
    func refusalLoggedOnce() throws {
        let server = try NATSServer()
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "narrow-stream"))
        _ = try connection.ensureStream(StreamConfiguration(name: "FLOWCAST_WINDOWS", subjects: ["flowcast.v1.win.>"],
                                                            maxAgeNanoseconds: 3_600_000_000_000, duplicateWindowNanoseconds: 120_000_000_000))
        let out = try Scenario.temporaryFolder("narrow-tap")
        let tap = try Fixtures.runFlowcast(Scenario.replayArguments(Scenario.demo, out: out,
                                                                    extra: ["--publish", server.url, "--site", "a", "--publish-wait", "4"]))
        #expect(tap.status == 3, "\(tap.stderr)")
        let lines = tap.stderr.split(separator: "\n").filter { $0.contains("NATS refused messages") || $0.contains("NATS did not acknowledge") }
        #expect(lines.count == 1, "\(tap.stderr)")
    }
}
