@testable import FlowcastPipeline
import FlowcastNATS
import FlowcastPolicy
import FlowcastTestSupport
import Foundation
import Testing

/// The planner's journal on its own: what a restarted planner gets back after a kill.
@Suite("PlannerJournal")
struct PlannerJournalTests {
    static func batch(_ n: Int) -> [PlannerJournal.Message] {
        (0..<n).map { PlannerJournal.Message(subject: "flowcast.v1.win.a.cell.c\($0)", payload: Array("{\"n\":\($0)}".utf8), stored: 1.5 + Double($0),
                                             sequence: 100 + UInt64($0)) }
    }

    @Test("batches come back in order, with their clocks, from a journal of the same generation")
    func roundTrip() throws {
        let path = try Scenario.temporaryFolder("journal").appendingPathComponent("planner-journal.bin").path
        let journal = try PlannerJournal(path: path, generation: 3)
        #expect(journal.batches.isEmpty)
        try journal.append(clock: 10.25, messages: Self.batch(3))
        try journal.append(clock: 11, messages: [])
        try journal.sync()
        let reopened = try PlannerJournal(path: path, generation: 3)
        #expect(reopened.batches.map(\.clock) == [10.25, 11])
        #expect(reopened.batches[0].messages.map(\.subject) == Self.batch(3).map(\.subject))
        #expect(reopened.batches[0].messages.map(\.payload) == Self.batch(3).map(\.payload))
        #expect(reopened.batches[0].messages.map(\.stored) == [1.5, 2.5, 3.5])
        #expect(reopened.batches[0].messages.map(\.sequence) == [100, 101, 102])
        #expect(reopened.batches[1].messages.isEmpty)
    }

    /// A record as version 1 wrote it (no stream sequence): length, clock, count, then per message
    /// stored time, subject and payload, then FNV-1a of the body.
    static func version1Journal(generation: UInt64, clock: Double, messages: [(String, [UInt8], Double)]) -> [UInt8] {
        func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        var body = le(clock.bitPattern, 8) + le(UInt64(messages.count), 4)
        for (subject, payload, stored) in messages {
            body += le(stored.bitPattern, 8) + le(UInt64(subject.utf8.count), 4) + Array(subject.utf8) + le(UInt64(payload.count), 4) + payload
        }
        var h: UInt32 = 2_166_136_261
        for b in body { h = (h ^ UInt32(b)) &* 16_777_619 }
        return Array("FCJRNL01".utf8) + le(generation, 8) + le(UInt64(body.count), 4) + body + le(UInt64(h), 4)
    }

    @Test("a journal written before stream sequences were kept (version 1) is read, and appended to in its own format until reset")
    func version1StillReads() throws {
        let path = try Scenario.temporaryFolder("journal").appendingPathComponent("planner-journal.bin").path
        try Data(Self.version1Journal(generation: 2, clock: 7, messages: [("flowcast.v1.tap.a", Array("{}".utf8), 3.25)]))
            .write(to: URL(fileURLWithPath: path))
        let journal = try PlannerJournal(path: path, generation: 2)
        #expect(journal.batches.map(\.clock) == [7])
        #expect(journal.batches[0].messages.map(\.subject) == ["flowcast.v1.tap.a"])
        #expect(journal.batches[0].messages.map(\.stored) == [3.25])
        #expect(journal.batches[0].messages.map(\.sequence) == [0])
        try journal.append(clock: 8, messages: Self.batch(2))
        let reopened = try PlannerJournal(path: path, generation: 2)
        #expect(reopened.batches.map(\.clock) == [7, 8])
        #expect(reopened.batches[1].messages.map(\.sequence) == [0, 0])
        try reopened.reset(generation: 3)
        try reopened.append(clock: 9, messages: Self.batch(1))
        #expect(try PlannerJournal(path: path, generation: 3).batches[0].messages.map(\.sequence) == [100])
    }

    @Test("a journal of another generation (the state was saved after it) is ignored and started again")
    func otherGeneration() throws {
        let path = try Scenario.temporaryFolder("journal").appendingPathComponent("planner-journal.bin").path
        let journal = try PlannerJournal(path: path, generation: 3)
        try journal.append(clock: 1, messages: Self.batch(2))
        #expect(try PlannerJournal(path: path, generation: 4).batches.isEmpty)
        #expect(try PlannerJournal(path: path, generation: 4).batches.isEmpty)
    }

    @Test("a record torn by a kill is dropped, and the next batch is appended after the last whole one")
    func tornTail() throws {
        let path = try Scenario.temporaryFolder("journal").appendingPathComponent("planner-journal.bin").path
        let journal = try PlannerJournal(path: path, generation: 1)
        try journal.append(clock: 1, messages: Self.batch(2))
        let whole = try Data(contentsOf: URL(fileURLWithPath: path)).count
        try journal.append(clock: 2, messages: Self.batch(5))
        var data = Data()
        for cut in [whole + 3, -1] {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
            try data.prefix(cut < 0 ? data.count + cut : cut).write(to: URL(fileURLWithPath: path))
            let reopened = try PlannerJournal(path: path, generation: 1)
            #expect(reopened.batches.map(\.clock) == [1])
            try reopened.append(clock: 3, messages: Self.batch(1))
            #expect(try PlannerJournal(path: path, generation: 1).batches.map(\.clock) == [1, 3])
            // Back to the two whole batches for the next cut.
            let again = try PlannerJournal(path: path, generation: 9)
            try again.reset(generation: 1)
            try again.append(clock: 1, messages: Self.batch(2))
            try again.append(clock: 2, messages: Self.batch(5))
        }
        // A flipped byte inside a record fails its checksum.
        data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[whole + 10] ^= 0xFF
        try data.write(to: URL(fileURLWithPath: path))
        #expect(try PlannerJournal(path: path, generation: 1).batches.map(\.clock) == [1])
    }
}

/// The planner in this process, as the CLI makes it, on a real nats-server.
enum InProcessPlanner {
    static func options(_ server: NATSServer, out: URL, sites: [String], lateness: Double = 30,
                        exitWhenDone: Bool = false, everySeconds: Int64 = 60) -> NetworkPlannerOptions {
        NetworkPlannerOptions(connection: NATSConnectionOptions(url: server.url, name: "test-planner"), topologyPath: Fixtures.repositoryRoot.appendingPathComponent(Scenario.topology).path,
                              outputDirectory: out.path, policyDirectory: out.appendingPathComponent("policies").path, sites: sites,
                              everyNanoseconds: everySeconds * 1_000_000_000, modelPath: nil, plan: PlanOptions(headroom: 1.2, churnPenalty: 0.01),
                              latenessSeconds: lateness, exitWhenDone: exitWhenDone, fromNanoseconds: nil, durable: "flowcast-planner")
    }
}

@Suite("PlannerJournal: replayed messages in the log", .enabled(if: NATSServer.isAvailable, "needs nats-server (Debian: nats-server)"))
struct PlannerJournalReplayTests {
    @Test("a bad message replayed from the journal at restart is logged with its stream sequence, as it was when it first came")
    func replayedWithSequence() throws {
        let server = try NATSServer()
        let out = try Scenario.temporaryFolder("planner")
        // What a killed planner leaves: no state yet, a journal (generation 0) holding a batch.
        let journal = try PlannerJournal(path: out.appendingPathComponent("planner-journal.bin").path, generation: 0)
        try journal.append(clock: 1_764_403_300, messages: [
            PlannerJournal.Message(subject: "flowcast.v1.win.a.cell.cell-1", payload: Array("not json".utf8), stored: 1_764_403_300, sequence: 42),
        ])
        try journal.sync()
        let planner = try NetworkPlanner(InProcessPlanner.options(server, out: out, sites: ["a"]))
        var lines: [String] = []
        planner.log = { lines.append($0) }
        _ = try planner.run(shouldStop: { true })
        #expect(lines.contains("ignored a message on flowcast.v1.win.a.cell.cell-1 (stream sequence 42, replayed from planner-journal.bin): not one JSON object"),
                "\(lines)")
    }
}

@Suite("planner: nats-server gone while it publishes policies", .enabled(if: NATSServer.isAvailable, "needs nats-server (Debian: nats-server)"))
struct PlannerPublishFailureTests {
    @Test("the server stopped as the planner publishes: one line in Flowcast's words (no libnats internals); started again, the next run publishes what was held back")
    func serverGoneWhilePublishing() throws {
        let server = try NATSServer()
        let tap = try Fixtures.runFlowcast(Scenario.replayArguments(Scenario.demo, out: try Scenario.temporaryFolder("tap"),
                                                                    extra: ["--publish", server.url, "--site", "a"]))
        #expect(tap.status == 0, "\(tap.stderr)")
        let out = try Scenario.temporaryFolder("planner")
        let planner = try NetworkPlanner(InProcessPlanner.options(server, out: out, sites: ["a"], exitWhenDone: true))
        var lines: [String] = []
        // The backlog comes in one batch: every policy is planned, then published. The server
        // goes away between the two.
        planner.log = { line in
            lines.append(line)
            if line == "every site has ended; planned the last interval" { server.stop() }
        }
        let summary = try planner.run(shouldStop: { false })
        #expect(summary.policies == 10)
        #expect(summary.policiesPublished == 0)
        let failure = lines.filter { $0.hasPrefix("cannot publish") }
        #expect(failure == ["cannot publish policy-0001.json on flowcast.v1.policy yet: nats-server did not acknowledge it in time "
                            + "(NATS status: Timeout); is it down or restarting? It is published again once the server answers "
                            + "(the file is written)"], "\(lines)")

        try server.start()
        let again = try NetworkPlanner(InProcessPlanner.options(server, out: out, sites: ["a"], exitWhenDone: true))
        var later: [String] = []
        again.log = { later.append($0) }
        #expect(try again.run(shouldStop: { false }).policiesPublished == 10)
        #expect(later.contains("published policy-0001.json to policy-0010.json on flowcast.v1.policy (held back until nats-server answered)"),
                "\(later)")
    }
}
