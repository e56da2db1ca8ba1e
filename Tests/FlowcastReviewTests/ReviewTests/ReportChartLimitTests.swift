@testable import FlowcastReview
import FlowcastPolicy
import Foundation
import Testing

/// A run with more cells, links or demands than `--charts` charts that many of each, chosen as the
/// report says, and still lists every cell and link in the summary.
@Suite struct ReportChartLimitTests {
    func sectionIds(_ html: String, kind: String) -> [String] {
        html.components(separatedBy: "<section class=\"entity \(kind)\"").dropFirst().compactMap { part in
            guard let r = part.range(of: "data-id=\""), let end = part[r.upperBound...].firstIndex(of: "\"") else { return nil }
            return String(part[r.upperBound..<end])
        }
    }

    /// 150 cells whose peak load grows with their number (cell-0 the least): with 100 charts the
    /// report draws cell-50 … cell-149, says 100 of 150, and the summary has a row for each of the
    /// 150, linked to charts only where there are some.
    @Test func chartsTheBusiestAndListsEveryOne() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("flowcast-chart-limit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var lines: [String] = []
        // Ids written in an order unrelated to load, so neither file order nor natural order ranks them.
        for i in (0..<150).map({ ($0 * 37) % 150 }) {
            for t in 0..<3 {
                lines.append(#"{"kind":"cell","id":"cell-\#(i)","start":\#(1_767_636_000 + 10 * t),"duration":10,"partial":false,"#
                    + #""bytesUp":\#(1000 * (i + 1) * (t == 1 ? 2 : 1)),"bytesDown":0,"packetsUp":3,"packetsDown":0,"activeFlows":1,"#
                    + #""newFlows":1,"retransmissions":0,"zeroWindows":0,"decodeIssues":0,"sizeHistogram":[0,0,0,0,0,3,0]}"#)
            }
        }
        try Data(lines.joined(separator: "\n").utf8).write(to: folder.appendingPathComponent("windows.jsonl"))
        var report = RunReport(run: try RunData.load(runDirectory: folder))
        #expect(report.maximumChartedPerKind == 100)
        var html = report.html()
        let charted = sectionIds(html, kind: "cell")
        #expect(charted == (50..<150).map { "cell-\($0)" })
        #expect(html.contains("data-charted=\"100\" data-total=\"150\">Charts for 100 of the run's 150 cells"))
        #expect(html.components(separatedBy: "<tr><td>cell</td>").count - 1 == 150)
        #expect(html.contains("<tr><td>cell</td><td>cell-49</td>"))
        #expect(html.contains("<tr><td>cell</td><td><a href=\"#cell-cell-50\">cell-50</a></td>"))
        #expect(!html.contains("href=\"#cell-cell-49\""))
        // The peak that ranked them is the summary's own.
        let peak = try #require(report.summary("cell", "cell-50").peakLoad)
        #expect(peak == 81_600, "\(peak - 81_600)")

        report.maximumChartedPerKind = 150
        html = report.html()
        #expect(sectionIds(html, kind: "cell").count == 150)
        #expect(!html.contains("data-charted"))
    }

    /// On the fixture run, a limit of 2 charts the two links with the highest peak utilisation in
    /// the summary, and the two demands whose split moved most, counted from the policies.
    @Test func chartsTheLinksAndDemandsThatMatter() throws {
        let run = try RunData.load(runDirectory: ReviewFixture.url(ReviewFixture.runPath))
        var report = RunReport(run: run)
        report.maximumChartedPerKind = 2
        let html = report.html()
        let links = Set(report.entities.filter { $0.kind == "link" }.map(\.id))
        let peaks = links.map { ($0, report.summary("link", $0).peakUtilisation ?? -1) }.sorted { $0.1 > $1.1 }
        #expect(peaks[1].1 > peaks[2].1, "the fixture's second and third links tie: the test would not say which")
        #expect(Set(sectionIds(html, kind: "link")) == Set(peaks.prefix(2).map(\.0)))
        #expect(html.contains("Charts for 2 of the run's \(links.count) links"))

        // Weight moved per demand: half the L1 distance between consecutive policies' splits.
        let documents = run.policies.sorted { $0.interval < $1.interval }.map(\.document)
        var moved: [String: Double] = [:]
        for (a, b) in zip(documents, documents.dropFirst()) {
            for d in b.routing.demands {
                guard let old = a.routing.demands.first(where: { $0.id == d.id }) else { continue }
                var split: [[String]: Double] = [:]
                for p in d.paths { split[p.links, default: 0] += p.weight }
                for p in old.paths { split[p.links, default: 0] -= p.weight }
                moved[d.id, default: 0] += split.values.reduce(0) { $0 + abs($1) } / 2
            }
        }
        // One demand of the fixture moves; the rest keep their split, so a limit of 1 draws that one.
        let ranked = moved.sorted { $0.value > $1.value }
        #expect(ranked.count == 6 && ranked[0].value > 0.05 && ranked[1].value == 0, "\(ranked)")
        report.maximumChartedPerKind = 1
        let demandSection = String(report.html().split(separator: "<section id=\"demands\">", omittingEmptySubsequences: false)[1])
        let drawn = demandSection.components(separatedBy: "<div class=\"demand\" id=\"demand-").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(drawn == [ranked[0].key])
        #expect(demandSection.contains("Charts for 1 of the policies' 6 demands: those whose split moved most over the run (5 kept one split throughout)."))
    }
}
