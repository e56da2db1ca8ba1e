import FlowcastTestSupport
@testable import FlowcastReview
import FlowcastPolicy
import Foundation
import Testing

@Suite struct ReviewReportTests {
    func fixtureReport() throws -> (RunReport, String) {
        let run = try RunData.load(runDirectory: ReviewFixture.url(ReviewFixture.runPath))
        let report = RunReport(run: run, cellDemands: ["cell-2": ["d-cell-2"]])
        return (report, report.html())
    }

    /// The text of each `<section class="entity KIND" …>…</section>`.
    func sections(_ html: String, kind: String) -> [String] {
        html.components(separatedBy: "<section class=\"entity \(kind)\"").dropFirst().map {
            String($0[..<($0.range(of: "</section>")?.lowerBound ?? $0.endIndex)])
        }
    }

    func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test func readsTheWholeRunFolder() throws {
        let (report, _) = try fixtureReport()
        #expect(report.run.windows.count == 270)
        #expect(report.run.policies.map(\.interval) == [0, 1, 2, 3, 4])
        #expect(report.run.forecasts.count == 30)
        #expect(report.run.flowCount == 12)
        #expect(report.run.missing.isEmpty && report.run.problems.isEmpty)
        #expect(report.intervals.map(\.start) == (0..<5).map { 1_767_636_000 + Double($0) * 60 })
    }

    @Test func everyCellHasExactlyOneLoadChart() throws {
        let (report, html) = try fixtureReport()
        let cells = sections(html, kind: "cell")
        #expect(cells.count == report.entities.filter { $0.kind == "cell" }.count)
        #expect(cells.count == 6)
        for section in cells {
            #expect(count("<svg class=\"chart load\"", in: section) == 1)
            #expect(count("<svg class=\"chart utilisation\"", in: section) == 1)
            #expect(count("<svg class=\"chart spectrum\"", in: section) == 1)
            // A cell with no decode issue gets one line instead of a chart.
            #expect(count("<svg class=\"chart issues\"", in: section) + count("<li class=\"empty chart issues\">", in: section) == 1)
        }
        #expect(sections(html, kind: "link").count == 13)
    }

    @Test func theHTMLIsSelfContained() throws {
        let (_, html) = try fixtureReport()
        for forbidden in ["http://", "https://", "<script", " src=", "url(", "@import", "<link", "<iframe", "<img"] {
            #expect(!html.lowercased().contains(forbidden), "report contains \(forbidden)")
        }
    }

    @Test func everyInternalLinkHasATarget() throws {
        let (_, html) = try fixtureReport()
        let hrefs = html.components(separatedBy: "href=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(!hrefs.isEmpty)
        for href in Set(hrefs) {
            #expect(href.hasPrefix("#"), "external link \(href)")
            #expect(html.contains("id=\"\(href.dropFirst())\""), "no target for \(href)")
        }
    }

    @Test func policyChangesAreLinkedFromTheirTime() throws {
        let (report, html) = try fixtureReport()
        let changed = report.intervals.filter { $0.diff.map { !$0.isEmpty } ?? false }
        #expect(!changed.isEmpty)
        var marked = 0
        for iv in changed {
            #expect(html.contains("id=\"diff-\(iv.number)\""))
            // A marker on the charts where the plan itself changed (or its forecast breaks a
            // constraint), not where only a predicted utilisation moved.
            let diff = try #require(iv.diff)
            let decided = diff.cells.count + diff.demands.count + diff.newViolations > 0
            #expect(html.contains("<a href=\"#diff-\(iv.number)\"><title>Interval \(iv.number)") == decided, "interval \(iv.number)")
            if decided { marked += 1 }
        }
        #expect(marked > 0)
    }

    @Test func usesOnlyTheOkabeItoPalette() throws {
        let (_, html) = try fixtureReport()
        let allowed = Set(Palette.cycle.map { $0.uppercased() })
        let colours = ["fill=\"#", "stroke=\"#", "border-color:#"].flatMap { marker in
            html.components(separatedBy: marker).dropFirst().map { "#" + $0.prefix(6).uppercased() }
        }
        #expect(!colours.isEmpty)
        for c in colours { #expect(allowed.contains(c), "colour \(c) is not Okabe–Ito") }
    }

    @Test func anEmptyRunFolderSaysNoData() throws {
        let folder = Scratch.root.appendingPathComponent("flowcast-empty-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try RunData.load(runDirectory: folder)
        #expect(Set(run.missing) == ["windows.jsonl", "flows.jsonl", "summary.json", "forecasts.jsonl", "policy-NNNN.json"])
        let html = RunReport(run: run).html()
        #expect(html.contains("No data"))
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
    }

    /// Also with CRLF line ends, which a Swift `String` holds as one `Character`.
    @Test(arguments: ["\n", "\r\n"]) func badLinesAreSkippedAndCounted(lineEnd: String) throws {
        let folder = Scratch.root.appendingPathComponent("flowcast-bad-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let lines = [
            windowLine(kind: "cell", id: "cell-1", start: 100, bytesUp: 1000, bytesDown: 4000, decodeIssues: 3),
            #"{"kind":"cell","id":"cell-1","start":110,"duration":10,"bytesUp":1000"#,
            "not json",
            windowLine(kind: "link", id: "l-1", start: 110, bytesUp: 10, bytesDown: 20, partial: true),
        ]
        try Data(lines.joined(separator: lineEnd).utf8).write(to: folder.appendingPathComponent("windows.jsonl"))
        let run = try RunData.load(runDirectory: folder)
        #expect(run.windows.count == 2)
        #expect(run.windows[0].decodeIssues == 3 && run.windows[0].load == 4000)
        #expect(run.windows[1].start == 110 && run.windows[1].partial)
        #expect(run.problems.filter { $0 != RunData.noSummary } == ["windows.jsonl: 2 lines skipped (first at line 2)"])
        let html = RunReport(run: run).html()
        #expect(html.contains("2 lines skipped"))
        #expect(sections(html, kind: "cell").count == 1)
    }

    /// A window at a time no capture has (1e20 s) or as long as no window is (1e300 s) held the
    /// report drawing a time tick a day until memory ran out; a line at time 0 beside today's
    /// drew 20,000 ticks. Such lines are skipped and counted, and a span of years gets a few ticks.
    @Test func windowsAtNoCaptureTimeAreSkippedAndTicksStayFew() throws {
        let folder = Scratch.root.appendingPathComponent("flowcast-far-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let lines = [
            windowLine(kind: "cell", id: "cell-1", start: 0, bytesUp: 1000, bytesDown: 4000),
            windowLine(kind: "cell", id: "cell-1", start: 1_767_636_000, bytesUp: 1000, bytesDown: 4000),
            windowLine(kind: "cell", id: "cell-1", start: 1, bytesUp: 1, bytesDown: 1).replacingOccurrences(of: #""start":1,"#, with: #""start":1e20,"#),
            windowLine(kind: "cell", id: "cell-1", start: 2, bytesUp: 1, bytesDown: 1).replacingOccurrences(of: #""duration":10"#, with: #""duration":1e300"#),
        ]
        try Data(lines.joined(separator: "\n").utf8).write(to: folder.appendingPathComponent("windows.jsonl"))
        let run = try RunData.load(runDirectory: folder)
        #expect(run.windows.map(\.start) == [0, 1_767_636_000])
        #expect(run.problems.filter { $0 != RunData.noSummary } == ["windows.jsonl: 2 lines skipped (first at line 3)"])
        let html = RunReport(run: run).html()
        #expect(html.contains("2 lines skipped"))
        let ticks = SVGChart.timeTicks(0, 1_767_636_010)
        #expect((1...16).contains(ticks.count) && ticks.allSatisfy { $0 >= 0 && $0 <= 1_767_636_010 }, "\(ticks.count)")
        #expect(SVGChart.timeTicks(0, 1e300).count <= 16 && SVGChart.timeTicks(0, .infinity).isEmpty)
        #expect(SVGChart.timeTicks(0, 60) == [0, 10, 20, 30, 40, 50, 60])
    }

    /// windows.jsonl has one spelling: decode issues as counts by kind and ISO start times were
    /// never written by replay (whose first version wrote today's keys); such lines are skipped.
    @Test func otherSpellingsAreSkippedAndCounted() throws {
        let folder = Scratch.root.appendingPathComponent("flowcast-spelling-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let lines = [
            windowLine(kind: "cell", id: "cell-1", start: 100, bytesUp: 1000, bytesDown: 4000, decodeIssues: 3),
            windowLine(kind: "cell", id: "cell-1", start: 110, bytesUp: 1000, bytesDown: 4000, decodeIssues: 3)
                .replacingOccurrences(of: #""decodeIssues":3"#, with: #""decodeIssues":{"truncated":2,"unsupported":1}"#),
            windowLine(kind: "link", id: "l-1", start: 110, bytesUp: 10, bytesDown: 20, partial: true)
                .replacingOccurrences(of: #""start":110"#, with: #""start":"1970-01-01T00:01:50Z""#),
        ]
        try Data(lines.joined(separator: "\n").utf8).write(to: folder.appendingPathComponent("windows.jsonl"))
        let run = try RunData.load(runDirectory: folder)
        #expect(run.windows.count == 1)
        #expect(run.problems.filter { $0 != RunData.noSummary } == ["windows.jsonl: 2 lines skipped (first at line 2)"])
    }

    /// A line of a formatVersion this flowcast does not read is skipped and named with its line.
    @Test func anUnknownFormatVersionIsNamed() throws {
        let folder = Scratch.root.appendingPathComponent("flowcast-version-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("policies"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let forecast = #"{"interval":1,"start":0,"kind":"cell","id":"c1","point":100,"upper":120,"actual":90,"partial":false"#
        try Data((forecast + "}\n" + forecast + #","formatVersion":7}"#).utf8)
            .write(to: folder.appendingPathComponent("policies/forecasts.jsonl"))
        let run = try RunData.load(runDirectory: folder)
        #expect(run.forecasts.count == 1)
        #expect(run.problems == ["forecasts.jsonl:2: formatVersion 7 is not supported (this flowcast reads version 1)",
                                 "forecasts.jsonl: 1 line skipped (first at line 2)"])
    }

    /// A live run's windows that lost packets before capture read low: the summary counts them
    /// per cell and link, from the lines' own `droppedBeforeCapture`; a run without drops has no
    /// such column.
    @Test func windowsWithDropsAreCountedAndShown() throws {
        let folder = Scratch.root.appendingPathComponent("flowcast-drops-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let dropped = { (line: String, n: Int) in String(line.dropLast()) + #","droppedBeforeCapture":\#(n)}"# }
        var lines = [
            windowLine(kind: "cell", id: "cell-1", start: 100, bytesUp: 1000, bytesDown: 4000),
            dropped(windowLine(kind: "cell", id: "cell-1", start: 110, bytesUp: 1000, bytesDown: 4000), 13_695),
            dropped(windowLine(kind: "link", id: "l-1", start: 110, bytesUp: 10, bytesDown: 20), 13_695),
            dropped(windowLine(kind: "cell", id: "cell-1", start: 120, bytesUp: 1000, bytesDown: 4000), 2),
        ]
        try Data(lines.joined(separator: "\n").utf8).write(to: folder.appendingPathComponent("windows.jsonl"))
        var report = RunReport(run: try RunData.load(runDirectory: folder))
        #expect(report.run.problems.filter { $0 != RunData.noSummary }.isEmpty, "\(report.run.problems)")
        #expect(report.summary("cell", "cell-1").windowsWithDrops == 2)
        #expect(report.summary("link", "l-1").windowsWithDrops == 1)
        var html = report.html()
        #expect(html.contains(">Windows with drops</th>"))
        #expect(html.contains("<td class=\"n over\">2</td>"))

        lines = lines.map { $0.replacingOccurrences(of: #","droppedBeforeCapture":13695"#, with: "").replacingOccurrences(of: #","droppedBeforeCapture":2"#, with: "") }
        try Data(lines.joined(separator: "\n").utf8).write(to: folder.appendingPathComponent("windows.jsonl"))
        report = RunReport(run: try RunData.load(runDirectory: folder))
        html = report.html()
        #expect(report.summary("cell", "cell-1").windowsWithDrops == 0)
        #expect(!html.contains("Windows with drops"))
    }

    /// The first window of a capture that began inside it reads low, as the last (partial) one
    /// does: both count as partial windows and neither is scored.
    @Test func firstWindowObservedInPartCountsAsPartial() throws {
        let folder = Scratch.root.appendingPathComponent("flowcast-observed-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let lines = [
            String(windowLine(kind: "cell", id: "cell-1", start: 100, bytesUp: 100, bytesDown: 400).dropLast()) + #","observedFrom":108}"#,
            windowLine(kind: "cell", id: "cell-1", start: 110, bytesUp: 1000, bytesDown: 4000),
            windowLine(kind: "cell", id: "cell-1", start: 120, bytesUp: 1000, bytesDown: 4000),
            windowLine(kind: "cell", id: "cell-1", start: 130, bytesUp: 10, bytesDown: 40, partial: true),
        ]
        try Data(lines.joined(separator: "\n").utf8).write(to: folder.appendingPathComponent("windows.jsonl"))
        let report = RunReport(run: try RunData.load(runDirectory: folder))
        #expect(report.run.problems.filter { $0 != RunData.noSummary }.isEmpty, "\(report.run.problems)")
        #expect(report.run.windows.first?.observedFrom == 108)
        #expect(report.summary("cell", "cell-1").partialWindows == 2)
        // Only the two complete windows' loads are scored (4,000 bit/s each).
        #expect(RunScores.loads(report.run)["cell:cell-1"]?.map(\.load) == [4000, 4000])
        #expect(report.html().contains("no decode issues in 4 windows; partial windows at "))
    }

    /// One windows.jsonl line as replay writes it (the `WindowLine` format).
    func windowLine(kind: String, id: String, start: Int, bytesUp: Int, bytesDown: Int, decodeIssues: Int = 0,
                    partial: Bool = false) -> String {
        #"{"kind":"\#(kind)","id":"\#(id)","start":\#(start),"duration":10,"partial":\#(partial),"bytesUp":\#(bytesUp),"#
            + #""bytesDown":\#(bytesDown),"packetsUp":3,"packetsDown":4,"activeFlows":1,"newFlows":1,"retransmissions":0,"#
            + #""zeroWindows":0,"decodeIssues":\#(decodeIssues),"sizeHistogram":[0,0,0,0,0,7,0]}"#
    }

    /// The forecaster's MAE over persistence's, from the baseline each forecasts.jsonl line carries;
    /// partial windows and lines without a baseline are left out.
    @Test func forecastErrorAgainstPersistence() throws {
        let folder = Scratch.root.appendingPathComponent("flowcast-baseline-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("policies"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let lines = [
            #"{"interval":1,"start":0,"kind":"cell","id":"c1","point":100,"upper":120,"actual":90,"partial":false}"#,
            #"{"interval":2,"start":10,"kind":"cell","id":"c1","point":95,"upper":120,"actual":100,"persistence":90,"partial":false}"#,
            #"{"interval":3,"start":20,"kind":"cell","id":"c1","point":98,"upper":120,"actual":80,"persistence":100,"partial":false}"#,
            #"{"interval":4,"start":30,"kind":"cell","id":"c1","point":85,"upper":120,"actual":10,"persistence":80,"partial":true}"#,
        ]
        try Data(lines.joined(separator: "\n").utf8).write(to: folder.appendingPathComponent("policies/forecasts.jsonl"))
        let report = RunReport(run: try RunData.load(runDirectory: folder))
        // (|100 − 95| + |80 − 98|) / (|100 − 90| + |80 − 100|) = 23 / 30.
        let ratio = try #require(report.summary("cell", "c1").maeToPersistence)
        #expect(abs(ratio - 23.0 / 30) < 1e-12)
        #expect(report.html().contains("<td class=\"n\">0.77</td>"))
        // The partial window (actual 10, a cut-short rate) counts in none of the scores.
        let summary = report.summary("cell", "c1")
        #expect(summary.p90Coverage == 1)
        let mape = try #require(summary.meanAbsolutePercentageError)
        #expect(abs(mape - (10.0 / 90 + 5.0 / 100 + 18.0 / 80) / 3) < 1e-12)
    }

    @Test func summaryNumbersComeFromTheWindowsAndForecasts() throws {
        let (report, _) = try fixtureReport()
        let s = report.summary("cell", "cell-3")
        #expect(s.windows == 30 && s.partialWindows == 1)
        let windows = report.run.windows.filter { $0.id == "cell-3" }
        #expect(s.decodeIssues == windows.reduce(0) { $0 + $1.decodeIssues })
        #expect(s.peakLoad == windows.map(\.load).max())
        let lines = report.run.forecasts.filter { $0.id == "cell-3" && !$0.partial }
        #expect(s.p90Coverage == Double(lines.filter { $0.actual! <= $0.upper }.count) / Double(lines.count))
    }

    /// Peak utilisation: each window's load (both directions, for a link too: what the planner
    /// predicts) over the capacity of the policy in force at its start; none before the first.
    @Test func peakUtilisationUsesTheCapacityInForceAndNoneBeforeTheFirstPlan() throws {
        var run = try RunData.load(runDirectory: ReviewFixture.url(ReviewFixture.runPath))
        let firstPlan = try #require(RunReport(run: run).intervals.first?.start)
        // Windows the run had before its first plan (a capture starts before any plan), each
        // far busier than anything later: none may set a peak.
        for (kind, id) in [("cell", "cell-2"), ("link", "l-s2-agg1")] {
            run.windows.append(RunData.Window(kind: kind, id: id, start: firstPlan - 10, duration: 10, bytesUp: 1e12, bytesDown: 1e12))
        }
        let report = RunReport(run: run)
        for (kind, id) in report.entities {
            let inForce = report.intervals.compactMap { iv -> (start: Double, capacity: Double)? in
                guard let p = iv.policy else { return nil }
                let predicted = report.run.policies[p].document.predicted
                let capacity = kind == "cell" ? predicted.cells.first { $0.id == id }?.capacity
                    : predicted.links.first { $0.id == id }?.capacity
                return capacity.map { (iv.start, $0) }
            }
            let expected = report.run.windows.filter { $0.kind == kind && $0.id == id && $0.start >= firstPlan }.compactMap { w in
                inForce.last { $0.start <= w.start }.map { w.load / $0.capacity }
            }.max()
            #expect(report.summary(kind, id).peakUtilisation == expected, "\(kind) \(id)")
        }
        #expect(try #require(report.summary("cell", "cell-2").peakUtilisation) < 10)
        #expect(try #require(report.summary("link", "l-s2-agg1").peakUtilisation) < 10)
        // Each peak over 100 % is marked, in the one class attribute a browser reads.
        let html = report.html()
        let over = report.entities.filter { (report.summary($0.kind, $0.id).peakUtilisation ?? 0) > 1 }
        #expect(!over.isEmpty)
        for (kind, id) in over {
            let peak = DiffFormat.percent(try #require(report.summary(kind, id).peakUtilisation))
            #expect(html.contains("<td class=\"n over\">\(peak)</td>"), "\(kind) \(id) \(peak)")
        }
        #expect(html.ranges(of: /class="[^"]*"\s+class=/).isEmpty, "an element with two class attributes")
    }

    /// The plan-interval table names a constraint a policy newly breaks beside what moved (a
    /// forecast outgrowing kept blocks read only as "predicted utilisation changed on 8 links"),
    /// exactly the new violations of that interval's diff.
    @Test func thePlanIntervalsTableNamesNewViolations() throws {
        let (report, html) = try fixtureReport()
        var named = 0
        for iv in report.intervals {
            guard let diff = iv.diff else { continue }
            let row = try #require(html.components(separatedBy: "<tr id=\"interval-\(iv.number)\"").dropFirst().first?
                .components(separatedBy: "</tr>").first)
            // As many as the diff's new violations (its "! new" lines), named by the cells and links they are on.
            let count = diff.impact.violations.filter(\.isNew).count
            let subjects = diff.impact.violations.filter(\.isNew).map(\.subject)
            let broken = Set(subjects).sorted { Natural($0) < Natural($1) }.map { subject in
                let times = subjects.filter { $0 == subject }.count
                return times > 1 ? "\(subject) (\(times))" : subject
            }
            if broken.isEmpty {
                #expect(!row.contains("new violation"), "interval \(iv.number)")
            } else {
                #expect(row.contains("\(count) new violation\(count == 1 ? "" : "s"): \(broken.joined(separator: ", "))"), "\(row)")
                named += 1
            }
        }
        #expect(named > 0)  // (a cell breaking two at once: DemoScenarioTests, on the demo's own run)
    }
}
