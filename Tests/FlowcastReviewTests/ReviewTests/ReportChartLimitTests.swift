import FlowcastTestSupport
@testable import FlowcastReview
import FlowcastCore
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
        let folder = Scratch.root.appendingPathComponent("flowcast-chart-limit-\(UUID().uuidString)")
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

    /// A run folder's ids are not checked as a topology's are: one holding a right-to-left
    /// override, which a browser would obey so that `cell-1` then `2-llec` reads as `cell-1cell-2`,
    /// is shown with the override as its code point, in the summary and the chart alike.
    /// A zero-width space (`cell` U+200B `-1` prints as `cell-1`) is shown the same way.
    @Test(arguments: [("cell-1", "\u{202E}", "2-llec"), ("cell", "\u{200B}", "-1")])
    func aBidirectionalOverrideOrInvisibleCharacterInAnIdIsShownNotObeyed(_ before: String, _ hidden: String, _ after: String) throws {
        let folder = Scratch.root.appendingPathComponent("flowcast-bidi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let id = before + hidden + after
        let scalar = hidden.unicodeScalars.first!
        let escaped = String(format: "\\u%04x", scalar.value)
        let line = #"{"kind":"cell","id":""# + before + escaped + after + #"","start":1767636000,"duration":10,"partial":false,"#
            + #""bytesUp":1000,"bytesDown":0,"packetsUp":3,"packetsDown":0,"activeFlows":1,"#
            + #""newFlows":1,"retransmissions":0,"zeroWindows":0,"decodeIssues":0,"sizeHistogram":[0,0,0,0,0,3,0]}"#
        try Data(line.utf8).write(to: folder.appendingPathComponent("windows.jsonl"))
        let report = RunReport(run: try RunData.load(runDirectory: folder))
        #expect(report.entities.map(\.id) == [id])
        let html = report.html()
        #expect(!html.unicodeScalars.contains { $0.isBidiControl || $0.isInvisible })
        let shown = before + "⟨\(scalar.codePoint)⟩" + after
        #expect(html.contains("<td>\(shown)</td>") || html.contains(">\(shown)</a></td>"))
        #expect(html.components(separatedBy: shown).count >= 3, "the summary and the chart's heading both name it")
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

/// Charts of long runs (more marks than the plot has pixel columns) are reduced per column, and
/// what they draw is what the full marks drew: every column's lowest and highest point.
@Suite struct DenseChartTests {
    func chart() -> SVGChart { SVGChart(kind: "t", title: "t", t0: 0, t1: 86_400, yMax: 100, yLabel: { "\($0)" }) }

    /// The (x, y) vertices of every path's `d`.
    func vertices(_ svg: String) -> [(Double, Double)] {
        svg.components(separatedBy: "<path d=\"").dropFirst().flatMap { part -> [(Double, Double)] in
            let d = part.prefix { $0 != "\"" }
            return d.split(whereSeparator: { $0 == "M" || $0 == "L" }).map { pair in
                let xy = pair.split(separator: " ").map { Double($0)! }
                return (xy[0], xy[1])
            }
        }
    }

    @Test func aDayOfWindowsKeepsEveryColumnsExtremes() {
        var state: UInt64 = 7
        func next() -> UInt64 {  // a fixed LCG: the same values every run
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        // 8,640 ten-second windows with a gap of an hour (no data) in the middle.
        let points: [(Double, Double?)] = (0..<8640).map { i in
            (Double(i) * 10, (4000..<4360).contains(i) ? nil : Double(next() % 10_000) / 100)
        }
        var full = chart(), dense = chart()
        #expect(points.count > dense.denseLimit)
        let columnOf = { (t: Double) in Int(full.x(t).rounded(.down)) }
        dense.line(points, colour: Palette.blue)
        let drawn = vertices(dense.render())
        #expect(drawn.count < 4 * Int(full.plotWidth) + 8, "\(drawn.count) vertices")
        // Every column's lowest and highest point is a drawn vertex (coordinates rounded to 0.1 px).
        var byColumn: [Int: (lo: (Double, Double), hi: (Double, Double))] = [:]
        for (t, v) in points {
            guard let v else { continue }
            let p = (full.x(t), full.y(v)), c = columnOf(t)
            let e = byColumn[c] ?? (p, p)
            byColumn[c] = (p.1 > e.lo.1 ? p : e.lo, p.1 < e.hi.1 ? p : e.hi)  // SVG y grows downwards
        }
        func isDrawn(_ p: (Double, Double)) -> Bool { drawn.contains { abs($0.0 - p.0) <= 0.051 && abs($0.1 - p.1) <= 0.051 } }
        #expect(byColumn.count > 400)
        for (c, e) in byColumn {
            #expect(isDrawn(e.lo) && isDrawn(e.hi), "column \(c): \(e)")
        }
        // The gap stays a gap: the path is broken in two.
        full.line(points, colour: Palette.blue)
        #expect(dense.render().components(separatedBy: "M").count == full.render().components(separatedBy: "M").count)

        // Steps and bands of 8,640 spans: one path, and a rectangle per column spanning the lowest low to highest high.
        var steps = chart()
        let spans: [(Double, Double, Double)] = (0..<8640).map { i in
            let t = Double(i) * 10
            return (t, t + 10, Double(i % 50))
        }
        steps.steps(spans, colour: Palette.orange, dash: "6 3")
        let stepSVG = steps.render()
        #expect(!stepSVG.contains("stroke-dasharray"))
        let levels: Set<Double> = Set((0..<50).map { (v: Int) -> Double in (steps.y(Double(v)) * 10).rounded() / 10 })
        #expect(Set(vertices(stepSVG).map(\.1)) == levels)
        var band = chart()
        let bands: [(Double, Double, Double, Double)] = (0..<8640).map { i in
            let t = Double(i) * 10
            return (t, t + 10, Double(i % 7), 50 + Double(i % 11))
        }
        band.band(bands, colour: Palette.orange)
        let rects = band.render().components(separatedBy: "<rect ").count - 2  // less the frame
        #expect(rects > 0 && rects <= Int(band.plotWidth) + 1, "\(rects) rectangles")
        #expect(band.render().contains("y=\"\(String(format: "%.1f", band.y(60)))\""))
    }
}

/// A day of short plan intervals draws a block held over consecutive intervals as one bar: 200
/// one-minute intervals in which a cell holds blocks 0, 1 and 2, then 0, 1 and 3 from interval 101,
/// are five bars (four green runs and block 3's first, new, interval in orange), not 600.
@Suite struct SpectrumRunTests {
    @Test func heldBlocksAreOneBarPerRun() throws {
        let base = try ReviewFixture.document("policies/examples/demo-policy.json")
        let cell = try #require(base.spectrum.cells.first)
        var run = RunData(runDirectory: "/tmp/spectrum-runs")
        let t0 = 1_767_636_000.0
        for i in 0..<200 {
            var doc = base
            doc.spectrum.cells = [cell]
            doc.spectrum.cells[0].blocks = i < 100 ? [0, 1, 2] : [0, 1, 3]
            run.policies.append(.init(interval: i + 1, fileName: String(format: "policy-%04d.json", i + 1),
                                      start: t0 + 60 * Double(i), end: t0 + 60 * Double(i + 1), document: doc))
        }
        let report = RunReport(run: run)
        let svg = report.spectrumChart(cell.id)
        let bars = svg.components(separatedBy: "<rect ").dropFirst().filter { !$0.contains("class=\"frame\"") }
        let titles = bars.map { part -> String in
            guard let r = part.range(of: "<title>"), let e = part.range(of: "</title>") else { return "" }
            return String(part[r.upperBound..<e.lowerBound])
        }
        let band = cell.band
        #expect(bars.count == 5, "\(titles)")
        #expect(Set(titles.filter { !$0.contains("(new)") }) == [
            "intervals 1–200: \(band) block 0", "intervals 1–200: \(band) block 1",
            "intervals 1–100: \(band) block 2", "intervals 102–200: \(band) block 3"])
        #expect(titles.contains { $0.hasPrefix("interval 101: \(band) block 3 (new)") })
        #expect(bars.filter { $0.contains(Palette.orange) }.count == 1)

        // Twenty such intervals are wide enough to show each: a bar per block per interval, as before.
        run.policies = Array(run.policies.prefix(20))
        let few = RunReport(run: run).spectrumChart(cell.id)
        #expect(few.components(separatedBy: "<rect ").count - 2 == 60)
    }
}

/// Past `--diffs N` the Diffs section writes out the intervals that broke a constraint, then those
/// that moved most, then those with most links changed; the timeline lists every interval and
/// links only to diffs that are written, as the charts' markers do.
@Suite struct ReportDiffLimitTests {
    /// The fixture's four changed intervals: 1 broke two constraints and rerouted a demand, 2 broke
    /// one and moved two things, 3 changed predictions on nine links and moved nothing, 4
    /// reallocated a cell.
    @Test func theDiffsThatMatterAreWrittenAndOnlyThoseLinked() throws {
        var report = RunReport(run: try RunData.load(runDirectory: ReviewFixture.url(ReviewFixture.runPath)))
        let changed = report.intervals.compactMap { iv in iv.diff.flatMap { $0.isEmpty ? nil : iv } }
        #expect(changed.map(\.number) == [1, 2, 3, 4])
        let d = Dictionary(uniqueKeysWithValues: changed.map { ($0.number, $0.diff!) })
        #expect(d[1]!.newViolations == 2 && d[2]!.newViolations == 1 && d[3]!.newViolations == 0 && d[4]!.newViolations == 0)
        #expect(d[3]!.cellsReallocated + d[3]!.demandsRerouted == 0 && d[4]!.cellsReallocated == 1)

        func articles(_ html: String) -> [String] {
            html.components(separatedBy: "<article class=\"diff\" id=\"diff-").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        }
        #expect(report.maximumDiffs == 100)
        var html = report.html()
        #expect(articles(html) == ["1", "2", "3", "4"])
        #expect(!html.contains("data-shown"))

        report.maximumDiffs = 3
        html = report.html()
        #expect(articles(html) == ["1", "2", "4"])
        #expect(html.contains("data-shown=\"3\" data-total=\"4\">Changes for 3 of the run's 4 intervals whose policy differs from the one before"))
        #expect(html.contains("<code>flowcast diff policy-0002.json policy-0003.json</code>"))
        // Interval 3's row keeps its summary, unlinked; nothing anywhere links to its missing diff.
        let row3 = try #require(html.components(separatedBy: "<tr id=\"interval-3\"").dropFirst().first?.components(separatedBy: "</tr>").first)
        #expect(row3.contains("predicted utilisation changed on 9 links") && !row3.contains("href"))
        #expect(!html.contains("href=\"#diff-3\""))

        report.maximumDiffs = 2
        html = report.html()
        #expect(articles(html) == ["1", "2"])
        // Interval 4 reallocated a cell, but only the written diffs are marked past --diffs (a day
        // of plans drew a marker per interval on every chart), and the overview says so.
        #expect(!html.contains("href=\"#diff-4\""))
        #expect(!html.contains("<title>Interval 4: "))
        #expect(html.contains("href=\"#diff-1\"") && html.contains("href=\"#diff-2\""))
        #expect(html.contains("With more intervals whose policy changed (4) than diffs written (2, <code>--diffs</code>), only those whose diffs are written are marked"))
        report.maximumDiffs = 100
        #expect(report.html().contains("<title>Interval 4: ") && !report.html().contains("than diffs written"))
    }
}

/// A window of no duration read as 0 bit/s and lowered its cell's mean; a second line for one
/// window was summed into the summary while the header counted it once. Both are skipped, counted
/// by reason with their first line.
@Test func windowsOfNoDurationAndRepeatedWindowsAreSkippedAndCounted() throws {
    let folder = Scratch.root.appendingPathComponent("flowcast-window-lines-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    func line(_ start: Int, duration: Int = 10, bytes: Int = 1000) -> String {
        #"{"kind":"cell","id":"cell-1","start":\#(start),"duration":\#(duration),"partial":false,"bytesUp":\#(bytes),"bytesDown":0,"#
            + #""packetsUp":3,"packetsDown":0,"activeFlows":1,"newFlows":1,"retransmissions":0,"zeroWindows":0,"decodeIssues":0,"#
            + #""sizeHistogram":[0,0,0,0,0,3,0]}"#
    }
    let lines = [line(1_767_636_000), line(1_767_636_010, duration: 0), line(1_767_636_020), line(1_767_636_000, bytes: 9999), line(1_767_636_000)]
    try Data(lines.joined(separator: "\n").utf8).write(to: folder.appendingPathComponent("windows.jsonl"))
    let run = try RunData.load(runDirectory: folder)
    #expect(run.windows.map(\.start) == [1_767_636_000, 1_767_636_020])
    #expect(run.windows.allSatisfy { $0.bytesUp == 1000 })
    #expect(run.problems.contains("windows.jsonl: 1 line skipped, a window of no duration (first at line 2)"), "\(run.problems)")
    #expect(run.problems.contains("windows.jsonl: 2 lines skipped, a window already read (same kind, id and start) (first at line 4)"), "\(run.problems)")
    // The mean load is of the two windows read: 800 bit/s each.
    #expect(RunReport(run: run).summary("cell", "cell-1").meanLoad == 800)
}
