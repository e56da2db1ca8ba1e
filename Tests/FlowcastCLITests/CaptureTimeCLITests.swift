import FlowcastTestSupport
import Foundation
import Testing

/// Packets that carry no usable time: one dated 2300 (past what 64-bit nanoseconds since 1970
/// hold) trapped `inspect` and read as 1715 in `flows` and `replay`; simple packet blocks, which
/// carry none, read as 1970 and split their flow. Each now takes the time of the packet before
/// it, and the commands say how many did. `decode` prints each record's own time, as tshark
/// does (the captures' expected output is tshark's).
@Suite struct CaptureTimeCLITests {
    static let beyond = "captures/synthetic/time-beyond-2262.pcapng"
    static let missing = "captures/synthetic/time-missing-spb.pcapng"

    @Test func inspectSpansTheUsableTimesAndCountsTheRest() throws {
        let run = try Fixtures.runFlowcast(["inspect", Self.beyond])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("time: 2005-10-07T23:23:50.351Z → 2005-10-07T23:23:55.634Z (5.283 s)"), "\(run.stdout)")
        #expect(run.stdout.contains("packets without a usable time: 1 (first at packet 4;"), "\(run.stdout)")
        let json = try Fixtures.runFlowcast(["inspect", "--json", Self.beyond])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["packetsWithoutTime"] as? [String: Int]) == ["count": 1, "firstPacket": 4])
        #expect((object["lastTime"] as? Double).map { abs($0 - 1_128_727_435.634189) < 1e-6 } == true)
        let spb = try Fixtures.runFlowcast(["inspect", Self.missing])
        #expect(spb.stdout.contains("time: 2005-10-07T23:23:50.351Z → 2005-10-07T23:23:55.634Z"), "\(spb.stdout)")
        #expect(spb.stdout.contains("packets without a usable time: 2 (first at packet 3;"), "\(spb.stdout)")
    }

    /// Packets 3 to 6 are one TCP connection (port 56730 to 80): one flow of four packets, not two.
    @Test(arguments: [beyond, missing]) func flowsKeepOneConnectionOneFlow(_ capture: String) throws {
        let run = try Fixtures.runFlowcast(["flows", capture])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = run.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        let http = rows.filter { $0.count > 10 && ($0[2] == "56730" || $0[4] == "56730") }
        #expect(http.count == 1, "\(run.stdout)")
        #expect(http.first?[5] == "3" && http.first?[7] == "1", "\(http)")
        for row in rows where row.count > 10 {
            for t in [row[9], row[10]] { #expect((Double(t) ?? 0) > 1_128_727_430 && (Double(t) ?? 0) < 1_128_727_436, "\(row)") }
        }
        #expect(run.stderr.contains("without a usable time (no timestamp in the record, or one before 1677 or after 2262), first packet "
                                    + (capture == Self.beyond ? "4" : "3")), "\(run.stderr)")
    }

    @Test func replayTimesStayIn2005() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("flowcast-time-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try Fixtures.runFlowcast(["replay", Self.beyond, "--out", out.path, "--window", "1s"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("flowcast replay: warning: 1 packet without a usable time"), "\(run.stderr)")
        // The run's first and last times are the capture's usable ones (the packet dated 2300 read
        // as 1715 made the first time -8034271494).
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("summary.json"))) as? [String: Any])
        let capture = try #require(summary["capture"] as? [String: Any])
        #expect((capture["firstTime"] as? Double).map { abs($0 - 1_128_727_430.350788) < 1e-6 } == true, "\(capture)")
        #expect((capture["lastTime"] as? Double).map { abs($0 - 1_128_727_435.634189) < 1e-6 } == true, "\(capture)")
    }
}
