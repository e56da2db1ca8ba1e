import FlowcastTestSupport
@testable import FlowcastReview
import FlowcastPolicy
import Foundation
import Testing

/// A run whose plan interval (45 s, from 18:01:00) is neither its load window (10 s) nor a
/// minute, with forecasts.jsonl numbered per load window as replay writes it: every policy must
/// still be drawn and listed at its own provenance window.
@Suite struct ReviewReportTimelineTests {
    static let t0 = 1_767_636_000.0  // the fixture's first window, 2026-01-05 18:00:00 UTC
    static let planStart = t0 + 60, planEvery = 45.0

    /// Copies the run fixture, renumbers its policies 1…5 with 45 s provenance windows from
    /// 18:01:00, and writes one forecast line per cell and 10 s window, numbered 1…30.
    static func offsetRun() throws -> URL {
        let fixture = ReviewFixture.url(ReviewFixture.runPath)
        let folder = Scratch.root.appendingPathComponent("flowcast-offset-run-\(UUID().uuidString)")
        let policies = folder.appendingPathComponent("policies")
        try FileManager.default.createDirectory(at: policies, withIntermediateDirectories: true)
        for name in ["windows.jsonl", "flows.jsonl", "summary.json"] {
            try FileManager.default.copyItem(at: fixture.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        for i in 0..<5 {
            let data = try Data(contentsOf: fixture.appendingPathComponent("policies/policy-000\(i).json"))
            var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            var provenance = try #require(object["provenance"] as? [String: Any])
            let start = planStart + Double(i) * planEvery
            provenance["window"] = ["start": iso(start), "end": iso(start + planEvery)]
            object["provenance"] = provenance
            let out = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
            try out.write(to: policies.appendingPathComponent(String(format: "policy-%04d.json", i + 1)))
        }
        var lines: [String] = []
        for window in try windowLines() where window.kind == "cell" {
            let n = Int((window.start - t0) / 10) + 1
            lines.append(#"{"interval":\#(n),"start":\#(Int(window.start)),"kind":"cell","id":"\#(window.id)","point":\#(window.load),"upper":\#(window.load * 1.2),"actual":\#(window.load),"partial":false}"#)
        }
        try Data(lines.joined(separator: "\n").utf8).write(to: policies.appendingPathComponent("forecasts.jsonl"))
        return folder
    }

    /// windows.jsonl of the fixture, read here independently of RunData.
    static func windowLines() throws -> [(kind: String, id: String, start: Double, load: Double)] {
        let text = try String(contentsOf: ReviewFixture.url(ReviewFixture.runPath + "/windows.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let bytes = ((o["bytesUp"] as? Double) ?? 0) + ((o["bytesDown"] as? Double) ?? 0)
            return (o["kind"] as! String, o["id"] as! String, o["start"] as! Double, bytes * 8 / (o["duration"] as! Double))
        }
    }

    static func iso(_ t: Double) -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: Date(timeIntervalSince1970: t))
    }

    static func utc(_ t: Double) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return f.string(from: Date(timeIntervalSince1970: t))
    }

    /// Each policy file's provenance window, read from the JSON (not through RunData).
    static func provenance(_ folder: URL) throws -> [String: (start: Double, end: Double)] {
        var out: [String: (Double, Double)] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("policies").path)
        where name.hasPrefix("policy-") {
            let data = try Data(contentsOf: folder.appendingPathComponent("policies/\(name)"))
            let o = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let w = try #require((o["provenance"] as? [String: Any])?["window"] as? [String: String])
            let f = ISO8601DateFormatter()
            out[name] = (try #require(f.date(from: w["start"]!)).timeIntervalSince1970, try #require(f.date(from: w["end"]!)).timeIntervalSince1970)
        }
        return out
    }

    func build() throws -> (folder: URL, report: RunReport, html: String, windows: [String: (start: Double, end: Double)]) {
        let folder = try Self.offsetRun()
        let report = RunReport(run: try RunData.load(runDirectory: folder), cellDemands: ["cell-2": ["d-cell-2"]])
        return (folder, report, report.html(), try Self.provenance(folder))
    }

    /// One parsed `<svg class="chart KIND" …>`: its kind, axes and body.
    struct Chart {
        var kind: String, t0: Double, t1: Double, yMin: Double, yMax: Double, body: String
        /// The time at an x coordinate (SVGChart's plot area: 62 … 534 of 560).
        func time(_ x: Double) -> Double { t0 + (x - 62) / 472 * (t1 - t0) }
        func value(_ y: Double) -> Double { yMin + (1 - (y - 10) / 144) * (yMax - yMin) }
        /// Seconds that 0.06 px (the rounding of coordinates) stands for.
        var slack: Double { (t1 - t0) / 472 * 0.06 }
    }

    func charts(_ html: String) -> [Chart] {
        html.components(separatedBy: "<svg class=\"chart ").dropFirst().map { chunk in
            let head = String(chunk.prefix { $0 != ">" }), body = String(chunk[..<(chunk.range(of: "</svg>")?.lowerBound ?? chunk.endIndex)])
            return Chart(kind: String(head.prefix { $0 != "\"" }), t0: attribute("data-t0", head), t1: attribute("data-t1", head),
                         yMin: attribute("data-y-min", head), yMax: attribute("data-y-max", head), body: body)
        }
    }

    func attribute(_ name: String, _ text: String) -> Double {
        guard let r = text.range(of: " \(name)=\"") else { return .nan }
        return Double(text[r.upperBound...].prefix { $0 != "\"" }) ?? .nan
    }

    @Test func policiesTakeTheirTimeFromTheirProvenance() throws {
        let (folder, report, _, windows) = try build()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(report.run.policies.count == 5)
        #expect(report.intervals.count == 5)
        for iv in report.intervals {
            let policy = report.run.policies[try #require(iv.policy)]
            let w = try #require(windows[policy.fileName])
            #expect(iv.start == w.start && iv.end == w.end, "\(policy.fileName)")
        }
        // The axis runs to the last policy's end, not to where forecasts.jsonl's numbers would put it.
        #expect(report.timeRange.upperBound >= Self.planStart + 5 * Self.planEvery)
    }

    @Test func thePlanIntervalsTableHasOneRowPerPolicyAtItsWindowStart() throws {
        let (folder, _, html, windows) = try build()
        defer { try? FileManager.default.removeItem(at: folder) }
        let table = try #require(html.components(separatedBy: "<table class=\"timeline\">").dropFirst().first?
            .components(separatedBy: "</table>").first)
        let rows = table.components(separatedBy: "<tr id=\"interval-").dropFirst()
        #expect(rows.count == windows.count)
        var seen: Set<String> = []
        for row in rows {
            let file = String(try #require(row.components(separatedBy: "data-policy=\"").dropFirst().first).prefix { $0 != "\"" })
            let start = String(try #require(row.components(separatedBy: "<td class=\"nowrap start\">").dropFirst().first).prefix { $0 != "<" })
            let w = try #require(windows[file])
            #expect(start == Self.utc(w.start), "\(file)")
            #expect(row.contains("<code>\(file)</code>"))
            seen.insert(file)
        }
        #expect(seen == Set(windows.keys))
    }

    @Test func everyChartMarkerStandsAtItsPolicysWindowStart() throws {
        let (folder, report, html, windows) = try build()
        defer { try? FileManager.default.removeItem(at: folder) }
        let byNumber = Dictionary(uniqueKeysWithValues: report.run.policies.map { ($0.interval, $0.fileName) })
        var markers = 0
        var marked: Set<Int> = [], titles: [Int: String] = [:]
        for chart in charts(html) {
            for piece in chart.body.components(separatedBy: "<a href=\"#diff-").dropFirst() {
                let n = try #require(Int(piece.prefix { $0.isNumber }))
                let x = attribute("x1", String(try #require(piece.components(separatedBy: "<line").dropFirst().first)))
                let file = try #require(byNumber[n])
                let w = try #require(windows[file])
                #expect(abs(chart.time(x) - w.start) <= chart.slack, "\(chart.kind) marker for interval \(n)")
                markers += 1
                marked.insert(n)
                let title = String(try #require(piece.components(separatedBy: "<title>").dropFirst().first).prefix { $0 != "<" })
                titles[n] = title
            }
        }
        #expect(markers > 0)
        // A marker stands where the policy moved blocks or weights (read from the policy files
        // here), or kept them while its forecast breaks a constraint, and nowhere else.
        let files = byNumber.sorted { $0.key < $1.key }
        var changed: Set<Int> = []
        for (previous, current) in zip(files, files.dropFirst())
        where try Self.decisions(folder, previous.value) != Self.decisions(folder, current.value) {
            changed.insert(current.key)
        }
        #expect(changed.isSubset(of: marked), "decisions changed at \(changed.sorted()), marked \(marked.sorted())")
        for n in marked.subtracting(changed) {
            #expect(titles[n]?.contains("breaks") == true, "interval \(n) is marked but changed no decision: \(titles[n] ?? "")")
        }
    }

    /// What a policy decides: each cell's blocks and each demand's path weights.
    static func decisions(_ folder: URL, _ file: String) throws -> [String: String] {
        let data = try Data(contentsOf: folder.appendingPathComponent("policies/\(file)"))
        let o = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var out: [String: String] = [:]
        for cell in ((o["spectrum"] as? [String: Any])?["cells"] as? [[String: Any]]) ?? [] {
            out["cell:\(cell["id"] ?? "")"] = "\(cell["blocks"] ?? "")"
        }
        for demand in ((o["routing"] as? [String: Any])?["demands"] as? [[String: Any]]) ?? [] {
            let weights = ((demand["paths"] as? [[String: Any]]) ?? []).map { "\($0["weight"] ?? "")" }
            out["demand:\(demand["id"] ?? "")"] = weights.joined(separator: ",")
        }
        return out
    }

    @Test func spectrumAndRoutingSpanEveryPolicyWindow() throws {
        let (folder, report, html, windows) = try build()
        defer { try? FileManager.default.removeItem(at: folder) }
        let byNumber = Dictionary(uniqueKeysWithValues: report.run.policies.map { ($0.interval, $0.fileName) })
        let spectrum = charts(html).filter { $0.kind == "spectrum" }
        #expect(!spectrum.isEmpty)
        for chart in spectrum {
            for piece in chart.body.components(separatedBy: "<rect x=\"").dropFirst() where piece.contains("<title>interval ") {
                let x = Double(piece.prefix { $0 != "\"" })!, width = attribute("width", piece)
                let n = Int(try #require(piece.components(separatedBy: "<title>interval ").dropFirst().first).prefix { $0.isNumber })!
                let file = try #require(byNumber[n])
                let w = try #require(windows[file])
                // Drawn over the window with 4 % gaps either side.
                #expect(abs(chart.time(x + width / 2) - (w.start + w.end) / 2) <= chart.slack * 2, "interval \(n)")
            }
        }
        let starts = Set(windows.values.map(\.start)), ends = Set(windows.values.map(\.end))
        let routing = charts(html).filter { $0.kind == "routing" }
        #expect(!routing.isEmpty)
        for chart in routing {
            for piece in chart.body.components(separatedBy: "<line x1=\"").dropFirst() where piece.contains("stroke-width=\"2.5\"") {
                let a = chart.time(Double(piece.prefix { $0 != "\"" })!), b = chart.time(attribute("x2", piece))
                #expect(starts.contains { abs($0 - a) <= chart.slack } && ends.contains { abs($0 - b) <= chart.slack })
            }
        }
    }

    // MARK: The first screen

    @Test func theReportOpensWithTheOverviewThenTheTable() throws {
        let (folder, _, html, _) = try build()
        defer { try? FileManager.default.removeItem(at: folder) }
        let overview = try #require(html.range(of: "<section id=\"overview\">")), table = try #require(html.range(of: "<section id=\"timeline\">"))
        #expect(overview.lowerBound < table.lowerBound)
        #expect(html.range(of: "<table")!.lowerBound > overview.lowerBound)
        for panel in ["network-load", "busiest-link", "busiest-cell"] { #expect(html.contains("data-panel=\"\(panel)\"")) }
    }

    @Test func theBusiestLinkAndCellAreTheHighestInThePolicies() throws {
        let (folder, _, html, _) = try build()
        defer { try? FileManager.default.removeItem(at: folder) }
        for kind in ["link", "cell"] {
            var best: (id: String, u: Double)?
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("policies").path).sorted()
            where name.hasPrefix("policy-") {
                let o = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("policies/\(name)"))) as! [String: Any]
                for e in (o["predicted"] as! [String: Any])["\(kind)s"] as! [[String: Any]] {
                    let u = e["utilisation"] as! Double
                    if u > best?.u ?? -1 { best = (e["id"] as! String, u) }
                }
            }
            let named = try #require(html.components(separatedBy: "data-panel=\"busiest-\(kind)\" data-id=\"").dropFirst().first)
            #expect(String(named.prefix { $0 != "\"" }) == best?.id)
            #expect(named.contains(DiffFormat.percent(best!.u)))
        }
    }

    @Test func theNetworkWideLoadIsTheSumOfTheCellWindows() throws {
        let (folder, report, html, _) = try build()
        defer { try? FileManager.default.removeItem(at: folder) }
        var sums: [Double: Double] = [:]
        for w in try Self.windowLines() where w.kind == "cell" { sums[w.start, default: 0] += w.load }
        let computed = report.networkLoad()
        #expect(computed.map(\.start) == sums.keys.sorted())
        for c in computed { #expect(abs(c.load - sums[c.start]!) <= 1e-6 * sums[c.start]!) }
        // And what is drawn: the actual line's points, read back through the chart's axes.
        let chart = try #require(charts(html).first { $0.kind == "network-load" })
        let path = try #require(chart.body.components(separatedBy: "<path d=\"").dropFirst().first { $0.contains("stroke=\"\(Palette.blue)\"") })
        let points = path.prefix { $0 != "\"" }.split { $0 == "M" || $0 == "L" }.map { $0.split(separator: " ").map { Double($0)! } }
        #expect(points.count == sums.count)
        for p in points {
            let t = chart.time(p[0]), start = try #require(sums.keys.min { abs($0 + 5 - t) < abs($1 + 5 - t) })
            #expect(abs(chart.value(p[1]) - sums[start]!) <= (chart.yMax - chart.yMin) * 0.06 / 144 + 1, "at \(Self.utc(start))")
        }
    }

    @Test func unmetDemandIsDrawnPerIntervalOrSaidInOneLine() throws {
        let (folder, report, html, _) = try build()
        defer { try? FileManager.default.removeItem(at: folder) }
        let totals = report.run.policies.map { $0.document.spectrum.cells.reduce(0) { $0 + $1.unmetDemand } }
        if totals.allSatisfy({ $0 == 0 }) {
            #expect(html.contains("<li>Unmet demand: none."))
            #expect(!html.contains("data-panel=\"unmet\""))
        } else {
            let chart = try #require(charts(html).first { $0.kind == "unmet" })
            let bars = chart.body.components(separatedBy: "<rect x=\"").dropFirst().filter { $0.contains("unmet (") }
            #expect(bars.count == totals.filter { $0 > 0 }.count)
        }
    }

    @Test func anEmptyDecodeIssuesPanelIsOneLine() throws {
        let (folder, report, html, _) = try build()
        defer { try? FileManager.default.removeItem(at: folder) }
        for section in html.components(separatedBy: "<section class=\"entity ").dropFirst() {
            let id = String(try #require(section.components(separatedBy: "data-id=\"").dropFirst().first).prefix { $0 != "\"" })
            let kind = section.hasPrefix("cell") ? "cell" : "link"
            let ws = report.run.windows.filter { $0.kind == kind && $0.id == id }
            let quiet = !ws.contains { $0.decodeIssues > 0 }
            #expect(section.contains("<svg class=\"chart issues\"") == !quiet, "\(kind) \(id)")
            #expect(section.contains("<li class=\"empty chart issues\">") == quiet, "\(kind) \(id)")
            if quiet, let partial = ws.first(where: \.partial) {
                let clock = SVGChart.clock(partial.start, span: 0)
                #expect(section.contains(" at \(clock)") || section.contains(", \(clock)"), "\(kind) \(id): partial window named")
            }
        }
    }
}
