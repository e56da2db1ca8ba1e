@testable import FlowcastReview
import FlowcastPolicy
import Foundation
import Testing

/// A cell the plan gives no blocks (`maxBlocks: 0`, a cell switched off) while it has demand has
/// capacity 0, and the planner writes its utilisation as a stand-in 1000000. `diff` printed it as
/// "100000000.0%" in every format and the report scaled its busiest-cell chart to it; both now say
/// "no blocks for … of demand", and the JSON gives that load, never a percentage.
@Suite struct ReviewCellWithoutBlocksTests {
    /// `document` with `id` given no blocks, as the planner writes such a cell.
    static func withoutBlocks(_ document: PolicyDocument, _ id: String) throws -> PolicyDocument {
        var d = document
        let s = try #require(d.spectrum.cells.firstIndex { $0.id == id })
        let p = try #require(d.predicted.cells.firstIndex { $0.id == id })
        d.spectrum.cells[s].blocks = []
        d.spectrum.cells[s].carriersMHz = []
        d.spectrum.cells[s].bandwidthMHz = 0
        d.spectrum.cells[s].unmetDemand = d.predicted.cells[p].load
        d.predicted.cells[p].capacity = 0
        d.spectrum.cells[s].capacity = 0
        d.predicted.cells[p].utilisation = 1e6
        return d
    }

    @Test func aCellWithoutBlocksIsSaidNotGivenAPercentage() throws {
        let old = try ReviewFixture.baseline
        let new = try Self.withoutBlocks(old, "cell-5")
        let load = try #require(new.predicted.cells.first { $0.id == "cell-5" }).load
        let noBlocks = "no blocks for \(DiffFormat.rate(load)) of demand"
        #expect(noBlocks == "no blocks for 60 Mbit/s of demand")
        let comparison = PolicyComparison(old: "old.json", new: "new.json", isFolder: false,
                                          files: [.init(name: nil, status: .changed, diff: PolicyDiffer().diff(old, new))])
        let text = comparison.text(), markdown = comparison.markdown(), json = try comparison.json()
        for output in [text, markdown, json] { #expect(!output.contains("100000000") && !output.contains("1000000,"), "\(output)") }
        #expect(text.contains("    predicted utilisation 79.5% → \(noBlocks)\n"), "\(text)")
        #expect(text.contains("peak cell utilisation 119.2% (cell-2) → 119.2% (cell-2), \(noBlocks) (cell-5)"), "\(text)")
        #expect(text.contains("  Busier cells:    cell-5 79.5% → \(noBlocks)\n"), "\(text)")
        #expect(text.contains("! new    cell-5 has \(noBlocks), 60 Mbit/s of P90 unmet"), "\(text)")
        #expect(markdown.contains("| 79.5% → \(noBlocks) |"), "\(markdown)")
        #expect(markdown.contains("`cell-5` 79.5% → \(noBlocks)"), "\(markdown)")
        // The other way round, the cell is quieter: its blocks are back.
        let back = PolicyDiffer().diff(new, old)
        #expect(back.impact.quieterCells.first?.cell == "cell-5")
        #expect(PolicyDiff.peakText(back.peakCell, without: back.cellsWithoutBlocks).hasPrefix("119.2% (cell-2), \(noBlocks) (cell-5) → "))

        // JSON: no utilisation on the side without blocks, its load instead; the peak is of the cells with blocks.
        let root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let diff = try #require(((root["files"] as? [[String: Any]])?.first)?["diff"] as? [String: Any])
        let cell = try #require((diff["cells"] as? [[String: Any]])?.first { $0["id"] as? String == "cell-5" })
        let utilisation = try #require(cell["utilisation"] as? [String: Any])
        #expect(utilisation["old"] as? Double == 0.795 && utilisation["new"] == nil)
        #expect((cell["loadWithoutBlocks"] as? [String: Any])?["new"] as? Double == load)
        #expect((cell["loadWithoutBlocks"] as? [String: Any])?["old"] == nil)
        let peak = try #require((diff["peakCell"] as? [String: Any])?["new"] as? [String: Any])
        #expect(peak["id"] as? String == "cell-2")
        let without = try #require(diff["cellsWithoutBlocks"] as? [String: Any])
        #expect((without["old"] as? [Any])?.isEmpty == true)
        #expect((without["new"] as? [[String: Any]])?.map { "\($0["id"]!) \($0["load"]!)" } == ["cell-5 60000000"])
        let busier = try #require(((diff["impact"] as? [String: Any])?["busierCells"] as? [[String: Any]])?.first)
        #expect(busier["cell"] as? String == "cell-5" && busier["old"] as? Double == 0.795 && busier["new"] == nil)
        // A cell changed on neither side without blocks carries no such key.
        #expect((diff["cells"] as? [[String: Any]])?.filter { $0["loadWithoutBlocks"] != nil }.count == 1)
    }

    /// The report: the busiest-cell chart is scaled by the real utilisations, the cell's own chart
    /// shades the interval without blocks (with its load), the first screen and the plan intervals
    /// table say it, and no "100000000" appears anywhere.
    @Test func theReportKeepsItsScaleAndMarksTheIntervalWithoutBlocks() throws {
        let folder = try ReviewReportNoTrafficTests.copy(zero: { _, _ in false })
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("policies/policy-0002.json")
        let edited = try Self.withoutBlocks(try PolicyDocument(reviewing: file), "cell-5")
        try edited.write(to: file)
        let report = RunReport(run: try RunData.load(runDirectory: folder))
        #expect(report.run.problems.isEmpty, "\(report.run.problems)")
        let load = try #require(edited.predicted.cells.first { $0.id == "cell-5" }).load
        let html = report.html()
        #expect(!html.contains("100000000"))
        let timeline = ReviewReportTimelineTests()
        let busiest = try #require(html.components(separatedBy: "data-panel=\"busiest-cell\"").dropFirst().first)
        let chart = try #require(timeline.charts(busiest).first)
        // The highest real predicted utilisation, 1.05 over it: not the stand-in.
        let real = report.run.policies.flatMap { $0.document.predicted.cells }.filter { $0.capacity > 0 }.map(\.utilisation).max() ?? 0
        #expect(chart.yMax < 3 && chart.yMax >= real * 1.05, "\(chart.yMax)")
        let interval = try #require(report.intervals.first { $0.policy.map { report.run.policies[$0].fileName } == "policy-0002.json" })
        let overview = try #require(html.components(separatedBy: "<section id=\"overview\">").dropFirst().first?.components(separatedBy: "</section>").first)
        #expect(overview.contains("cell-5 has no blocks in plan interval \(interval.number), for up to \(DiffFormat.rate(load)) of demand"), "\(overview)")
        let section = try #require(html.components(separatedBy: "<section class=\"entity cell\"").dropFirst().first { $0.contains("data-id=\"cell-5\"") })
        let own = try #require(timeline.charts(section).first { $0.kind == "utilisation" })
        #expect(own.yMax < 3, "\(own.yMax)")
        #expect(own.body.contains("<title>interval \(interval.number): \(DiffFormat.noBlocks(load)) planned</title>"))
        let table = try #require(html.components(separatedBy: "<table class=\"timeline\">").dropFirst().first?.components(separatedBy: "</table>").first)
        #expect(table.contains("<span class=\"over\">\(DiffFormat.noBlocks(load))</span> cell-5</td>"), "\(table)")
    }
}
