import FlowcastTestSupport
@testable import FlowcastReview
import FlowcastCore
import FlowcastPolicy
import Foundation
import Testing

/// What a live run writes and a replay does not: outputs rotated into segments, and a topology
/// reload's second generation (policies/reload-N/, and the window the reload fell in written once
/// per topology). An audit found the report empty for a rotated run, blind to every policy after a
/// reload, and dropping the reload window's second half as "a window already read".
@Suite struct ReportLiveRunTests {
    static func line(_ id: String, start: Int, bytes: Int, partial: Bool = false, observedFrom: Double? = nil, dropped: Int = 0) -> String {
        "{\"kind\":\"cell\",\"id\":\"\(id)\",\"start\":\(start),\"duration\":10,\"partial\":\(partial),\"bytesUp\":\(bytes),\"bytesDown\":0,"
            + "\"packetsUp\":\(bytes / 100),\"packetsDown\":0,\"activeFlows\":1,\"newFlows\":1,\"retransmissions\":0,\"zeroWindows\":0,"
            + "\"decodeIssues\":0,\"sizeHistogram\":[0,0,0,0,0,0,0]" + (observedFrom.map { ",\"observedFrom\":\($0)" } ?? "")
            + (dropped > 0 ? ",\"droppedBeforeCapture\":\(dropped)" : "") + "}\n"
    }

    /// Windows that lost packets before capture are said where they are (the chart's words or
    /// marks), and left out of the scores on both sides: a cell whose every loaded window lost
    /// packets was "within P90 100 %" over its quiet windows, with the forecaster's MAE 0 against
    /// a recentMean charged with the drop windows' reads (an audit).
    @Test func dropWindowsAreShownAndNotScored() throws {
        let run = try Self.folder()
        defer { try? FileManager.default.removeItem(at: run) }
        let t = 1_767_636_000
        var windows = "", forecasts = ""
        for k in 0..<6 {
            let loaded = k == 2 || k == 3
            windows += Self.line("cell-1", start: t + 10 * k, bytes: loaded ? 100_000 : 0, dropped: loaded ? 500 + k : 0)
            forecasts += "{\"actual\":\(loaded ? 80_000 : 0),\"id\":\"cell-1\",\"interval\":\(k),\"kind\":\"cell\",\"partial\":\(loaded),"
                + "\"persistence\":0,\"point\":0,\"start\":\(t + 10 * k),\"upper\":0}\n"
        }
        try Data(windows.utf8).write(to: run.appendingPathComponent("windows.jsonl"))
        try Data(forecasts.utf8).write(to: run.appendingPathComponent("policies/forecasts.jsonl"))
        let data = try RunData.load(runDirectory: run)
        var report = RunReport(run: data)
        report.scores = RunScores.compute(run: data, topology: nil)
        let summary = report.summary("cell", "cell-1")
        #expect(summary.windowsWithDrops == 2)
        #expect(summary.p90Coverage == nil, "\(String(describing: summary.p90Coverage))")
        #expect(RunScores.forecastScore(run: data, kind: "cell") == nil)
        let html = report.html()
        #expect(html.contains("packets dropped before capture (load reads low) at "), "drops not said")
        #expect(html.contains("(502)") && html.contains("(503)"))
        #expect(html.contains("No forecasts to score: every window with traffic was cut short or lost packets before capture"))
    }

    static func folder() throws -> URL {
        let url = Scratch.root.appendingPathComponent("flowcast-live-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url.appendingPathComponent("policies/reload-1"), withIntermediateDirectories: true)
        return url
    }

    @Test func reloadHalvesAddUpAndReloadPoliciesAreRead() throws {
        let run = try Self.folder()
        defer { try? FileManager.default.removeItem(at: run) }
        let t = 1_767_636_000
        let windows = Self.line("cell-1", start: t, bytes: 1_000)
            + Self.line("cell-1", start: t + 10, bytes: 300, partial: true)                       // the old topology's, cut at the reload
            + Self.line("cell-1", start: t + 10, bytes: 200, observedFrom: Double(t) + 14.5)      // the new one's, from the reload
            + Self.line("cell-1", start: t + 20, bytes: 900)
            + Self.line("cell-1", start: t + 20, bytes: 900)                                      // a real duplicate: still skipped
        try Data(windows.utf8).write(to: run.appendingPathComponent("windows.jsonl"))
        let fixture = ReviewFixture.url("Tests/FlowcastReviewTests/ReviewFixtures/Run/policies")
        for (from, to) in [("policy-0000.json", "policies/policy-0001.json"), ("policy-0001.json", "policies/reload-1/policy-0001.json")] {
            try FileManager.default.copyItem(at: fixture.appendingPathComponent(from), to: run.appendingPathComponent(to))
        }
        let forecast = { (start: Int) in "{\"actual\":800,\"id\":\"cell-1\",\"interval\":0,\"kind\":\"cell\",\"partial\":false,\"point\":700,\"start\":\(start),\"upper\":900}\n" }
        try Data(forecast(t).utf8).write(to: run.appendingPathComponent("policies/forecasts.jsonl"))
        try Data(forecast(t + 20).utf8).write(to: run.appendingPathComponent("policies/reload-1/forecasts.jsonl"))

        let data = try RunData.load(runDirectory: run)
        let cell = data.windows.filter { $0.id == "cell-1" }.sorted { $0.start < $1.start }
        #expect(cell.map(\.start) == [Double(t), Double(t + 10), Double(t + 20)])
        #expect(cell[1].bytesUp == 500 && cell[1].packets == 5 && !cell[1].partial && cell[1].observedFrom == nil, "\(cell[1])")
        #expect(data.reloadSplitWindows == 1)
        #expect(data.problems.contains("windows.jsonl: 1 line skipped, a window already read (same kind, id and start) (first at line 5)"), "\(data.problems)")
        #expect(data.policies.map(\.fileName) == ["policy-0001.json", "reload-1/policy-0001.json"])
        #expect(data.policies.map(\.generation) == [0, 1])
        #expect(data.reloads.map(\.generation) == [1])
        #expect(data.forecasts.map(\.start).sorted() == [Double(t), Double(t + 20)])
        let html = RunReport(run: data).html()
        #expect(html.contains("The topology was reloaded once during this run"))
        #expect(html.contains("reload-1/policy-0001.json"))
    }

    @Test func rotatedSegmentsAreReadInOrder() throws {
        let run = try Self.folder()
        defer { try? FileManager.default.removeItem(at: run) }
        let t = 1_767_636_000
        try Data((Self.line("cell-1", start: t, bytes: 100) + Self.line("cell-1", start: t + 10, bytes: 200)).utf8)
            .write(to: run.appendingPathComponent("windows-0000.jsonl"))
        try Data(Self.line("cell-1", start: t + 20, bytes: 300).utf8).write(to: run.appendingPathComponent("windows-0001.jsonl"))
        try Data("not a segment\n".utf8).write(to: run.appendingPathComponent("windows-old.jsonl"))
        let flow = try String(contentsOf: ReviewFixture.url("Tests/FlowcastReviewTests/ReviewFixtures/Run/flows.jsonl"), encoding: .utf8)
            .split(separator: "\n").first.map { String($0) + "\n" } ?? ""
        try Data((flow + flow).utf8).write(to: run.appendingPathComponent("flows-0000.jsonl"))
        try Data(flow.utf8).write(to: run.appendingPathComponent("flows-0001.jsonl"))
        let data = try RunData.load(runDirectory: run)
        #expect(data.windows.map(\.bytesUp) == [100, 200, 300])
        #expect(data.flowCount == 3)
        #expect(!data.missing.contains("windows.jsonl") && !data.missing.contains("flows.jsonl"), "\(data.missing)")
    }
}
