import FlowcastTestSupport
@testable import FlowcastReview
import FlowcastPolicy
import Foundation
import Testing

/// A run whose capture matched no cell or link (every window 0 bytes, every forecast 0) must not
/// read as a healthy network: the first screen says so with summary.json's packet count, names no
/// "busiest" element, and no entity without traffic claims forecast coverage.
@Suite struct ReviewReportNoTrafficTests {
    /// The run fixture, copied with `edit` applied to each JSON object of each file (one per line
    /// for .jsonl); `zero` ids of windows.jsonl and forecasts.jsonl lose their traffic.
    static func copy(zero: (_ kind: String, _ id: String) -> Bool, policies: (inout [String: Any]) -> Void = { _ in },
                     summary: (inout [String: Any]) -> Void = { _ in }) throws -> URL {
        let fixture = ReviewFixture.url(ReviewFixture.runPath)
        let folder = Scratch.root.appendingPathComponent("flowcast-no-traffic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("policies"), withIntermediateDirectories: true)
        func object(_ data: Data) throws -> [String: Any] { try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]) }
        func lines(_ name: String, _ edit: (inout [String: Any]) -> Void) throws {
            let text = try String(contentsOf: fixture.appendingPathComponent(name), encoding: .utf8)
            let out = try text.split(separator: "\n").map { line in
                var o = try object(Data(line.utf8))
                edit(&o)
                return String(decoding: try JSONSerialization.data(withJSONObject: o, options: .sortedKeys), as: UTF8.self)
            }
            try Data(out.joined(separator: "\n").utf8).write(to: folder.appendingPathComponent(name))
        }
        try lines("windows.jsonl") { o in
            guard zero(o["kind"] as! String, o["id"] as! String) else { return }
            for key in ["bytesUp", "bytesDown", "packetsUp", "packetsDown", "activeFlows", "newFlows"] { o[key] = 0 }
        }
        try lines("policies/forecasts.jsonl") { o in
            guard zero(o["kind"] as! String, o["id"] as! String) else { return }
            for key in ["point", "upper", "actual"] { o[key] = 0 }
        }
        var s = try object(Data(contentsOf: fixture.appendingPathComponent("summary.json")))
        summary(&s)
        try JSONSerialization.data(withJSONObject: s, options: .sortedKeys).write(to: folder.appendingPathComponent("summary.json"))
        for i in 0..<5 {
            let name = "policies/policy-000\(i).json"
            var o = try object(Data(contentsOf: fixture.appendingPathComponent(name)))
            policies(&o)
            try JSONSerialization.data(withJSONObject: o, options: .sortedKeys).write(to: folder.appendingPathComponent(name))
        }
        return folder
    }

    /// The summary table's "Within P90" cell per `kind/id`, as shown.
    static func withinP90(_ html: String) throws -> [String: String] {
        let table = try #require(html.components(separatedBy: "<table class=\"summary\">").dropFirst().first?.components(separatedBy: "</table>").first)
        var out: [String: String] = [:]
        for row in table.components(separatedBy: "<tr><td>").dropFirst() {
            let kind = String(row.prefix { $0 != "<" })
            let id = String(try #require(row.components(separatedBy: "\">").dropFirst().first).prefix { $0 != "<" })
            let cells = row.components(separatedBy: "<td class=\"n\"").dropFirst().map { String($0.drop { $0 != ">" }.dropFirst().prefix { $0 != "<" }) }
            out["\(kind)/\(id)"] = cells[3]  // windows, mean, peak, within P90
        }
        return out
    }

    @Test func aRunWhereNoTrafficMatchedSaysSoAndNamesNoBusiest() throws {
        var packets = 0
        let folder = try Self.copy(zero: { _, _ in true }, policies: { o in
            // What the planner writes for zero forecasts: nothing used, nothing unmet.
            var predicted = o["predicted"] as! [String: Any]
            for key in ["cells", "links"] {
                predicted[key] = (predicted[key] as! [[String: Any]]).map { e in var e = e; e["utilisation"] = 0; e["load"] = 0; return e }
            }
            o["predicted"] = predicted
            var routing = o["routing"] as! [String: Any]
            routing["maxUtilisation"] = 0
            routing["demands"] = (routing["demands"] as! [[String: Any]]).map { d in
                var d = d, forecast = d["forecast"] as! [String: Any]
                forecast["point"] = 0; forecast["upper"] = 0
                d["forecast"] = forecast
                return d
            }
            o["routing"] = routing
            var spectrum = o["spectrum"] as! [String: Any]
            spectrum["cells"] = (spectrum["cells"] as! [[String: Any]]).map { c in
                var c = c, forecast = c["forecast"] as! [String: Any]
                forecast["point"] = 0; forecast["upper"] = 0
                c["forecast"] = forecast; c["unmetDemand"] = 0
                return c
            }
            o["spectrum"] = spectrum
        }, summary: { s in
            let totals = s["totals"] as! [String: Any]
            packets = totals["packets"] as! Int
            var cells = s["cells"] as! [String: Any]
            cells["matchedPackets"] = 0
            cells["matchedBytes"] = 0
            s["cells"] = cells
            s["unmatched"] = totals
        })
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = RunReport(run: try RunData.load(runDirectory: folder))
        #expect(report.run.problems.isEmpty, "\(report.run.problems)")
        #expect(report.run.policies.count == 5)
        let html = report.html()
        let overview = try #require(html.components(separatedBy: "<section id=\"overview\">").dropFirst().first?.components(separatedBy: "</section>").first)
        #expect(packets > 0)
        #expect(overview.contains("<p class=\"warning\" data-panel=\"no-traffic\">No traffic matched the topology: \(packets) packets "
            + "captured (summary.json), 0 matched a cell, \(packets) unmatched;"), "\(overview)")
        #expect(overview.contains("the topology&#39;s match rules"))
        // Every element is at 0 %: none is named the busiest, and no chart is drawn for one.
        #expect(!overview.contains("data-panel=\"busiest-"))
        #expect(overview.contains("<li>Busiest link: none, every link&#39;s predicted utilisation is 0 in all 5 plan intervals.</li>"))
        #expect(overview.contains("<li>Busiest cell (spectrum): none, every cell&#39;s predicted utilisation is 0 in all 5 plan intervals.</li>"))
        #expect(!overview.contains("fits its spectrum"))
        // No entity carried traffic: none claims forecast coverage.
        let shown = try Self.withinP90(html)
        #expect(shown.count == report.entities.count)
        for (key, value) in shown { #expect(value == "–", "\(key): \(value)") }
        // Nor does the plan-interval table name a 0 % busiest link or cell.
        let timeline = try #require(html.components(separatedBy: "<table class=\"timeline\">").dropFirst().first?.components(separatedBy: "</table>").first)
        #expect(timeline.components(separatedBy: "<td class=\"nowrap\">–</td><td class=\"nowrap\">–</td>").count - 1 == 5, "\(timeline)")
        // Nor does a diff's plan line (the changes' tooltip): at 0 % it names no element.
        for iv in report.intervals {
            guard let diff = iv.diff else { continue }
            #expect(diff.summaryLine.contains("peak link utilisation 0.0% (no load) → 0.0% (no load); peak cell utilisation 0.0% (no load) → 0.0% (no load)"),
                    "\(diff.summaryLine)")
        }
    }

    /// Beside entities with traffic, one without any shows "–" for Within P90, the others the
    /// share of their complete forecast lines whose actual stayed at or under the P90, read here
    /// from forecasts.jsonl; and the first screen has no no-traffic warning.
    @Test func withinP90IsADashOnlyWhereThereWasNoTraffic() throws {
        let folder = try Self.copy(zero: { kind, id in kind == "cell" && id == "cell-3" })
        defer { try? FileManager.default.removeItem(at: folder) }
        let html = RunReport(run: try RunData.load(runDirectory: folder)).html()
        #expect(!html.contains("data-panel=\"no-traffic\""))
        var within: [String: (Int, Int)] = [:]
        let text = try String(contentsOf: folder.appendingPathComponent("policies/forecasts.jsonl"), encoding: .utf8)
        for line in text.split(separator: "\n") {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard o["partial"] as? Bool == false, let actual = o["actual"] as? Double, let upper = o["upper"] as? Double else { continue }
            let key = "\(o["kind"]!)/\(o["id"]!)", e = within[key] ?? (0, 0)
            within[key] = (e.0 + (actual <= upper ? 1 : 0), e.1 + 1)
        }
        #expect(within["cell/cell-3"] != nil)
        let shown = try Self.withinP90(html)
        for (key, (inside, n)) in within {
            let expected = key == "cell/cell-3" ? "–" : DiffFormat.trimmed(Double(inside) / Double(n) * 100, decimals: 0) + "%"
            #expect(shown[key] == expected, "\(key)")
        }
        #expect(html.contains("<td class=\"n\" title=\"no traffic in any window\">–</td>"))
    }

    /// With no load anywhere, the network-wide chart's axis is the per-entity charts' 0–1 Mbit/s
    /// (it was 0–1 bit/s, which reads as tiny but real traffic); with load, both top out at the
    /// first round tick at or over 1.1 × the highest value drawn.
    @Test func theNetworkWideAxisFollowsTheEntityChartsRule() throws {
        let timeline = ReviewReportTimelineTests()
        let folder = try Self.copy(zero: { _, _ in true })
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = RunReport(run: try RunData.load(runDirectory: folder))
        #expect(report.run.windows.allSatisfy { $0.load == 0 } && report.run.forecasts.allSatisfy { $0.upper == 0 })
        let charts = timeline.charts(report.html())
        let network = try #require(charts.first { $0.kind == "network-load" })
        let loads = charts.filter { $0.kind == "load" }
        #expect(loads.count == Set(report.run.windows.map { "\($0.kind)/\($0.id)" }).count)
        #expect(network.yMax == 1e6)
        for chart in loads { #expect(chart.yMax == network.yMax) }

        let fixture = RunReport(run: try RunData.load(runDirectory: ReviewFixture.url(ReviewFixture.runPath)))
        let drawn = try #require(timeline.charts(fixture.html()).first { $0.kind == "network-load" })
        let top = max(fixture.networkLoad().map(\.load).max() ?? 0, fixture.networkForecast().map(\.upper).max() ?? 0) * 1.1
        #expect(drawn.yMax >= top && drawn.yMax == SVGChart.niceTicks(0, top).last.map { max($0, top) })
    }

    /// The P90 band of each load chart, read back from its rects: one per forecast line whose P90
    /// is above its point, from the point up to the P90; none where they are equal (cell-3 here,
    /// all 0: it was drawn 0.5 px tall, hanging below the 0 line).
    @Test func theP90BandIsDrawnOnlyWhereItHasHeight() throws {
        let timeline = ReviewReportTimelineTests()
        let folder = try Self.copy(zero: { kind, id in kind == "cell" && id == "cell-3" })
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = RunReport(run: try RunData.load(runDirectory: folder))
        let html = report.html()
        var checked = 0
        for section in html.components(separatedBy: "<section class=\"entity cell\"").dropFirst() {
            let id = String(try #require(section.components(separatedBy: "data-id=\"").dropFirst().first).prefix { $0 != "\"" })
            let chart = try #require(timeline.charts(section).first { $0.kind == "load" })
            let rects = chart.body.components(separatedBy: "<rect x=\"").dropFirst().filter { $0.contains("fill=\"\(Palette.orange)\" fill-opacity=") }
            let lines = report.run.forecasts.filter { $0.kind == "cell" && $0.id == id }.sorted { $0.start < $1.start }
            let banded = lines.filter { $0.upper > $0.point }
            if id == "cell-3" { #expect(banded.isEmpty && !lines.isEmpty) }
            #expect(rects.count == banded.count, "\(id)")
            let px = (chart.yMax - chart.yMin) / 144
            for (rect, line) in zip(rects, banded) {
                let y = timeline.attribute("y", rect), height = timeline.attribute("height", rect)
                #expect(abs(chart.value(y) - line.upper) <= 0.1 * px, "\(id) at \(line.start)")
                #expect(abs(chart.value(y + height) - line.point) <= 0.1 * px, "\(id) at \(line.start)")
                checked += 1
            }
        }
        #expect(checked > 0)
        // A bar thinner than the 0.5 px minimum grows up from its low edge, never below it.
        var chart = SVGChart(kind: "t", title: "t", t0: 0, t1: 10, yMax: 1e6, yLabel: { "\($0)" })
        chart.rect(t0: 0, t1: 10, low: 0, high: 1, colour: Palette.vermillion)
        let rect = chart.render().components(separatedBy: "<rect x=\"").last!
        #expect(abs(timeline.attribute("y", rect) + timeline.attribute("height", rect) - chart.y(0)) < 0.051)
    }
}
