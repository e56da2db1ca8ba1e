@testable import FlowcastPipeline
import Foundation
import Testing

/// The planner's journal on its own: what a restarted planner gets back after a kill.
@Suite("PlannerJournal")
struct PlannerJournalTests {
    static func batch(_ n: Int) -> [PlannerJournal.Message] {
        (0..<n).map { PlannerJournal.Message(subject: "flowcast.v1.win.a.cell.c\($0)", payload: Array("{\"n\":\($0)}".utf8), stored: 1.5 + Double($0)) }
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
        #expect(reopened.batches[1].messages.isEmpty)
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
