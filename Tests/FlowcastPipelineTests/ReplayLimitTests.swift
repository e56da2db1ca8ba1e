import FlowcastAggregate
import FlowcastCapture
import FlowcastCore
import FlowcastPipeline
import FlowcastTestSupport
import FlowcastTopology
import Foundation
import Testing

/// Replay at its bounds (docs/limits.md): flows, windows per run, gaps in capture time. Captures
/// are written in the test, with the timestamps each case needs.
@Suite("Replay limits")
struct ReplayLimitTests {
    /// An Ethernet/IPv4/UDP packet from 10.0.0.1:`port` to 10.0.0.2:53.
    static func packet(port: UInt16) -> [UInt8] {
        var p: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]
        p += [0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        p += [UInt8(port >> 8), UInt8(port & 0xFF), 0, 53, 0, 8, 0, 0]
        return p
    }

    /// A pcap in a fresh folder with one packet per (timestamp, source port); returns the folder.
    static func capture(_ packets: [(Int64, UInt16)]) throws -> String {
        let folder = Scratch.root.appendingPathComponent("flowcast-limits-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let writer = try CaptureWriter(path: folder + "/in.pcap", format: .pcap, linkType: .ethernet)
        for (time, port) in packets {
            let bytes = packet(port: port)
            try bytes.withUnsafeBytes { try writer.write($0, timestampNanoseconds: time) }
        }
        try writer.close()
        return folder
    }

    static func replay(_ folder: String, aggregation: TrafficAggregator.Configuration) throws -> (ReplayResult, [String: Any]) {
        let result = try runReplay(ReplayOptions(capturePath: folder + "/in.pcap", topology: Topology(), outputDirectory: folder + "/out",
                                                 aggregation: aggregation, threads: 1))
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/out/summary.json")))
        return (result, summary as! [String: Any])
    }

    static func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    @Test("at the flow bound, evictions are counted in summary.json and every flow is written once")
    func flowsAtTheBound() throws {
        // 200 flows (one per source port), one packet each, 1 ms apart; the table holds 16.
        let folder = try Self.capture((0..<200).map { (1_000_000_000 + Int64($0) * 1_000_000, UInt16(10_000 + $0)) })
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let flows = FlowTable.Configuration(idleTimeout: 0, activeTimeout: 0, maximumFlows: 16)
        let (result, summary) = try Self.replay(folder, aggregation: .init(flows: flows))
        let f = try #require(summary["flows"] as? [String: Any])
        let written = try Self.lines(folder + "/out/flows.jsonl")
        let evictedLines = written.filter { $0["end"] as? String == "evicted" || $0["reason"] as? String == "evicted" }.count
        #expect(f["created"] as? Int == 200 && f["written"] as? Int == 200 && written.count == 200)
        #expect(f["maximumLive"] as? Int == 16 && f["peakLive"] as? Int == 16)
        let evicted = try #require(f["evicted"] as? Int)
        #expect(evicted >= 200 - 16 && evicted == evictedLines, "summary \(evicted), lines \(evictedLines)")
        #expect(result.windowBoundError == nil)
        let cells = try #require(summary["cells"] as? [String: Any])
        #expect(cells["teidsRefused"] as? Int == 0 && cells["cellsRefused"] as? Int == 0)
    }

    @Test("summary.json's firstTime and lastTime are the earliest and latest packet, whatever the file's order")
    func timeSpanOutOfOrder() throws {
        let second: Int64 = 1_000_000_000, base: Int64 = 1_764_403_200 * 1_000_000_000
        // Merged captures are not in time order: the earliest packet is the second, the latest the third.
        let offsets: [Int64] = [20, 10, 30, 25]
        let folder = try Self.capture(offsets.enumerated().map { (base + $0.element * second, UInt16(1000 + $0.offset)) })
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (_, summary) = try Self.replay(folder, aggregation: .init())
        let capture = try #require(summary["capture"] as? [String: Any])
        #expect(capture["firstTime"] as? Double == Double(base / second + 10), "\(capture)")
        #expect(capture["lastTime"] as? Double == Double(base / second + 30), "\(capture)")
    }

    @Test("a gap in capture time beyond a day of windows is skipped whole and counted, not written")
    func gapIsCounted() throws {
        // 10 s windows; a packet, then one ten days later: 86,399 empty windows between them.
        let day: Int64 = 86_400_000_000_000
        let folder = try Self.capture([(day, 1), (day + 10 * day, 2)])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (result, summary) = try Self.replay(folder, aggregation: .init())
        let windows = try #require(summary["windows"] as? [String: Any])
        #expect(windows["count"] as? Int == 2)
        #expect(windows["skippedEmptyWindows"] as? Int == 86_399)
        #expect(windows["droppedWindows"] as? Int == 0)
        #expect(result.windowBoundError == nil)
        // Said on the terminal too, with the packet after the gap (it was in summary.json alone).
        let run = try Fixtures.runFlowcast(["replay", folder + "/in.pcap", "--out", folder + "/cli"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("flowcast replay: note: \(folder)/in.pcap: 86399 empty windows of a gap in capture time before packet 2 "
            + "were skipped, not written (summary.json windows.skippedEmptyWindows;"), "\(run.stderr)")
    }

    @Test("a gap under the gap bound is written as empty windows")
    func shortGapIsWritten() throws {
        let folder = try Self.capture([(0, 1), (100_000_000_000, 2)])  // 10 windows of 10 s
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (_, summary) = try Self.replay(folder, aggregation: .init())
        let windows = try #require(summary["windows"] as? [String: Any])
        #expect(windows["count"] as? Int == 11 && windows["skippedEmptyWindows"] as? Int == 0)
        #expect(TrafficAggregator.maximumGapWindows == 100_000)
    }

    @Test("windows beyond the run's bound are counted, not written, and the replay reports it with the packet")
    func windowsBeyondTheBound() throws {
        #expect(TrafficAggregator.replayMaximumWindows == 10_000_000)
        // One packet every 10 s for 20 windows; a bound of 5 windows.
        let folder = try Self.capture((0..<20).map { (Int64($0) * 10_000_000_000, UInt16(1_000 + $0)) })
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (result, summary) = try Self.replay(folder, aggregation: .init(maximumWindows: 5))
        let windows = try #require(summary["windows"] as? [String: Any])
        #expect(windows["count"] as? Int == 5 && windows["droppedWindows"] as? Int == 15)
        // The run's flows are all written all the same.
        #expect((summary["flows"] as? [String: Any])?["written"] as? Int == 20)
        let message = try #require(result.windowBoundError)
        #expect(message.contains("more than 5 windows") && message.contains("15 windows from packet 7 on"), "\(message)")
    }

    @Test("cells signalling names beyond the bound on cells are refused and counted; their packets are unmatched")
    func learnedCellsBeyondTheBound() throws {
        // A topology already at the bound: the six cells the demo's signalling teaches find no room.
        let band = Band(id: "b", lowMHz: 3300, highMHz: 3400, blockMHz: 10)
        let cells = (0..<TopologyLimits.maximumCells).map {
            Cell(id: "c\($0)", band: 0, minBlocks: 1, maxBlocks: 2, peakSpectralEfficiency: nil)
        }
        let out = Scratch.root.appendingPathComponent("flowcast-limits-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let demo = Fixtures.captures.appendingPathComponent("demo/demo.pcapng").path
        // One window of an hour: 65,536 lines, not one per 10 s.
        _ = try runReplay(ReplayOptions(capturePath: demo, topology: Topology(bands: [band], cells: cells), outputDirectory: out,
                                        aggregation: .init(windowNanoseconds: 3_600_000_000_000), threads: 1))
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        let c = try #require(summary["cells"] as? [String: Any])
        #expect(c["cellsRefused"] as? Int == 6)
        #expect(c["learnedTEIDs"] as? Int == 99 && c["learnedFromSignallingPackets"] as? Int == 0)
        #expect((c["names"] as? [String])?.count == TopologyLimits.maximumCells)
        #expect(c["matchedPackets"] as? Int == 0)
    }
}
