import Foundation
import FlowcastAggregate
import FlowcastCore
@testable import FlowcastPipeline
import FlowcastTestSupport
import FlowcastTopology
import Testing

/// The merge of live capture threads' windows on its own (`WindowMerger`), as the merging thread
/// feeds it: reports of closed windows and watermarks, one thread at a time.
@Suite("WindowMerger")
struct WindowMergerTests {
    static let second: Int64 = 1_000_000_000

    static func topology() throws -> Topology {
        try Topology(contentsOfFile: Fixtures.captures.appendingPathComponent("demo/topology.yaml").path)
    }

    /// One thread's window: `packets` packets up on the first cell.
    static func window(_ topology: Topology, start: Int64, packets: UInt64) -> [WindowSummary] {
        var w = WindowSummary(kind: .cell, id: topology.cells[0].id, startNanoseconds: start, durationNanoseconds: second, partial: false)
        w.packetsUp = packets
        return [w]
    }

    static func packets(_ merged: [WindowSummary], cell: String) -> UInt64 {
        merged.first { $0.kind == .cell && $0.id == cell }.map { $0.packetsUp + $0.packetsDown } ?? 0
    }

    /// A live audit's two-thread runs counted a late thread window now and then: the first thread
    /// to report had its window written while the other had not yet said how far it had got
    /// (its watermark Int64.min, which `low &- duration` wrapped round to a huge time), so the
    /// other's share of that window came after it was written and counted late in the next.
    @Test("a window waits for a thread that has not yet reported; nothing is late, every packet in its own window")
    func waitsForEveryThread() throws {
        let topology = try Self.topology()
        let cell = topology.cells[0].id
        var merger = WindowMerger(duration: Self.second, workers: 2, topology: topology)
        let t0: Int64 = 1_796_619_448 * Self.second
        // Thread 0 closes the first window and is into the second; thread 1 has said nothing.
        merger.add(windows: [Self.window(topology, start: t0, packets: 5)], worker: 0, watermark: t0 + Self.second)
        #expect(merger.ready().isEmpty, "written before thread 1 reported")
        // Thread 1's share of the first window comes; then it passes it.
        merger.add(windows: [Self.window(topology, start: t0, packets: 3)], worker: 1, watermark: t0 + Self.second)
        let written = merger.ready()
        #expect(written.count == 1)
        #expect(written.first.map { Self.packets($0, cell: cell) } == 8)
        #expect(written.first?.first?.startNanoseconds == t0)
        #expect(merger.lateWindows == 0)
        // The second window waits for both again, then holds both threads' packets.
        merger.add(windows: [Self.window(topology, start: t0 + Self.second, packets: 2)], worker: 0, watermark: t0 + 2 * Self.second)
        #expect(merger.ready().isEmpty)
        merger.add(windows: [Self.window(topology, start: t0 + Self.second, packets: 1)], worker: 1, watermark: t0 + 2 * Self.second)
        let next = merger.ready()
        #expect(next.count == 1 && next.first.map { Self.packets($0, cell: cell) } == 3)
        #expect(merger.lateWindows == 0 && merger.written == 2)
    }

    @Test("a thread window that comes after its window was written is counted late, in the next window")
    func lateWindowIsCounted() throws {
        let topology = try Self.topology()
        let cell = topology.cells[0].id
        var merger = WindowMerger(duration: Self.second, workers: 2, topology: topology)
        let t0: Int64 = 100 * Self.second
        merger.add(windows: [Self.window(topology, start: t0, packets: 4)], worker: 0, watermark: t0 + Self.second)
        merger.add(windows: [], worker: 1, watermark: t0 + Self.second)
        #expect(merger.ready().count == 1)
        // Thread 1 contradicts its own watermark (a window it said was final): late, not lost.
        merger.add(windows: [Self.window(topology, start: t0, packets: 6)], worker: 1, watermark: t0 + Self.second)
        #expect(merger.lateWindows == 1)
        let last = merger.ready(final: true)
        #expect(last.count == 1 && last.first?.first?.startNanoseconds == t0 + Self.second)
        #expect(last.first.map { Self.packets($0, cell: cell) } == 6 && last.first?.first?.partial == true)
    }
}
