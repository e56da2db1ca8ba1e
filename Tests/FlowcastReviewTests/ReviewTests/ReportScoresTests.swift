import FlowcastTestSupport
@testable import FlowcastReview
import FlowcastPolicy
import FlowcastTopology
import Foundation
import Testing

/// "Spectrum plans against a static split" on the run fixture, with the demo topology and radio
/// logs of one CQI throughout (7: 1.4766 bit/s/Hz in TS 38.214 table 1), so every figure can be
/// recomputed here from windows.jsonl and the policies alone.
@Suite struct ReviewReportScoresTests {
    static let efficiency = 1.4766
    static let blockHz = ["cell-1": 10e6, "cell-2": 10e6, "cell-3": 10e6, "cell-4": 10e6, "cell-5": 5e6, "cell-6": 5e6]
    /// The static split of the demo's bands (as DemoScenarioTests checks it): n78 in two colours of
    /// 10 blocks, n3's two colours of 7 cut to the cells' maximum of 4.
    static let staticBlocks = ["cell-1": 10.0, "cell-2": 10, "cell-3": 10, "cell-4": 10, "cell-5": 4, "cell-6": 4]

    /// The demo topology beside six radio logs at CQI 7 over the fixture's time.
    /// `cqi(k, second)`: cell-k's CQI in the log's second from its start (120 s before the fixture's first window).
    static func topology(cqi: (Int, Int) -> Int = { _, _ in 7 }) throws -> (folder: URL, topology: Topology) {
        let folder = Scratch.root.appendingPathComponent("flowcast-scores-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: ReviewFixture.url("captures/demo/topology.yaml"), to: folder.appendingPathComponent("topology.yaml"))
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy.MM.dd_HH.mm.ss"
        let t0 = 1_767_636_000.0 - 120
        for k in 1...6 {
            let rows = (0..<720).map { "\(f.string(from: Date(timeIntervalSince1970: t0 + Double($0)))),\(cqi(k, $0)),-" }
            try Data((["Timestamp,CQI,DL_bitrate"] + rows).joined(separator: "\n").utf8).write(to: folder.appendingPathComponent("radio-cell-\(k).csv"))
        }
        return (folder, try Topology(contentsOfFile: folder.appendingPathComponent("topology.yaml").path))
    }

    /// Each shown unmet cell's (data-metric) share and mean per window.
    func unmetCells(_ html: String) -> [String: (share: Double, perWindow: Double, text: String)] {
        var out: [String: (Double, Double, String)] = [:]
        for piece in html.components(separatedBy: "data-metric=\"").dropFirst() where piece.hasPrefix("spectrum-") && piece.contains("-unmet\"") {
            let metric = String(piece.prefix { $0 != "\"" })
            func attribute(_ name: String) -> Double { Double(piece.components(separatedBy: "\(name)=\"").dropFirst().first?.prefix { $0 != "\"" } ?? "") ?? .nan }
            let cell = piece.drop { $0 != ">" }.dropFirst()
            let text = String(cell[..<(cell.range(of: "</td>")?.lowerBound ?? cell.endIndex)])
                .replacingOccurrences(of: "<b>", with: "").replacingOccurrences(of: "</b>", with: "")
            out[metric] = (attribute("data-value"), attribute("data-per-window"), text)
        }
        return out
    }

    /// "Measured efficiency" is one measure in every row: Σ demand / Σ (demand / efficiency) over
    /// the cell's scored windows, recomputed here from windows.jsonl, the policies' windows and
    /// radio logs whose CQI changes every 10 s window (so a plain mean of windows differs); the
    /// all-cells row is the same aggregate of the rows. A cell's was the plain mean of its windows.
    @Test func measuredEfficiencyIsDemandWeightedInEveryRow() throws {
        // TS 38.214 table 1 at CQI 3, 7, 11, 15; constant over each 10 s window (the log starts 120 s before the first).
        let table = [3: 0.377, 7: 1.4766, 11: 3.3223, 15: 5.5547], cycle = [3, 7, 11, 15]
        func cqi(_ k: Int, _ second: Int) -> Int { cycle[(second / 10 * (k + 1) + k) % 4] }
        let (folder, topology) = try Self.topology(cqi: cqi)
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try RunData.load(runDirectory: ReviewFixture.url(ReviewFixture.runPath))
        var report = RunReport(run: run)
        report.scores = RunScores.compute(run: run, topology: topology)
        let html = report.html()
        func shown(_ metric: String) -> Double? {
            html.components(separatedBy: "data-metric=\"\(metric)\" data-value=\"").dropFirst().first.flatMap { Double($0.prefix { $0 != "\"" }) }
        }
        let iso = ISO8601DateFormatter()
        var windows: [(start: Double, end: Double)] = []
        for i in 0..<5 {
            let url = ReviewFixture.url("\(ReviewFixture.runPath)/policies/policy-000\(i).json")
            let o = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            let w = try #require((o["provenance"] as? [String: Any])?["window"] as? [String: String])
            windows.append((iso.date(from: w["start"]!)!.timeIntervalSince1970, iso.date(from: w["end"]!)!.timeIntervalSince1970))
        }
        let t0 = 1_767_636_000.0 - 120
        var perCell: [String: (demand: Double, overEfficiency: Double, plain: Double, n: Int)] = [:]
        let text = try String(contentsOf: ReviewFixture.url(ReviewFixture.runPath + "/windows.jsonl"), encoding: .utf8)
        for line in text.split(separator: "\n") {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard o["kind"] as? String == "cell", o["partial"] as? Bool == false else { continue }
            let id = o["id"] as! String, start = o["start"] as! Double
            guard windows.contains(where: { $0.start <= start && start < $0.end }) else { continue }
            let load = ((o["bytesUp"] as! Double) + (o["bytesDown"] as! Double)) * 8 / (o["duration"] as! Double)
            let k = Int(id.dropFirst(5))!, efficiency = table[cqi(k, Int(start - t0))]!
            let e = perCell[id] ?? (0, 0, 0, 0)
            perCell[id] = (e.demand + load, e.overEfficiency + load / efficiency, e.plain + efficiency, e.n + 1)
        }
        #expect(perCell.count == 6)
        func close(_ a: Double?, _ b: Double) -> Bool { a.map { abs($0 - b) <= 1e-5 * max(abs(b), 1) } ?? false }
        var differs = false
        for (id, c) in perCell {
            let weighted = c.demand / c.overEfficiency
            #expect(close(shown("spectrum-\(id)-efficiency"), weighted), "\(id): shown \(shown("spectrum-\(id)-efficiency") ?? .nan), expected \(weighted)")
            if abs(c.plain / Double(c.n) - weighted) > 0.01 * weighted { differs = true }
        }
        #expect(differs, "the logs must make a plain mean differ from the demand-weighted one")
        let all = perCell.values.map(\.demand).reduce(0, +) / perCell.values.map(\.overEfficiency).reduce(0, +)
        #expect(close(shown("spectrum-all-efficiency"), all))
        // The total is the same aggregate of the rows shown.
        let rows = try perCell.keys.map { id in (perCell[id]!.demand, try #require(shown("spectrum-\(id)-efficiency"))) }
        #expect(close(shown("spectrum-all-efficiency"), rows.map(\.0).reduce(0, +) / rows.map { $0.0 / $0.1 }.reduce(0, +)))
        #expect(html.contains(">Measured efficiency (demand-weighted)</th>"))
    }

    @Test func theAllCellsBracketIsTheMeanPerNetworkWindow() throws {
        let (folder, topology) = try Self.topology()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try RunData.load(runDirectory: ReviewFixture.url(ReviewFixture.runPath))
        var report = RunReport(run: run)
        report.scores = RunScores.compute(run: run, topology: topology)
        let shown = unmetCells(report.html())

        // Recomputed from the files: each complete cell window in a policy's provenance window.
        let iso = ISO8601DateFormatter()
        var plans: [(start: Double, end: Double, blocks: [String: Double])] = []
        for i in 0..<5 {
            let url = ReviewFixture.url("\(ReviewFixture.runPath)/policies/policy-000\(i).json")
            let o = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            let w = try #require((o["provenance"] as? [String: Any])?["window"] as? [String: String])
            let cells = try #require((o["spectrum"] as? [String: Any])?["cells"] as? [[String: Any]])
            plans.append((iso.date(from: w["start"]!)!.timeIntervalSince1970, iso.date(from: w["end"]!)!.timeIntervalSince1970,
                          Dictionary(uniqueKeysWithValues: cells.map { ($0["id"] as! String, Double(($0["blocks"] as! [Int]).count)) })))
        }
        var planned: [Double: Double] = [:], fixed: [Double: Double] = [:]  // per window start, summed over cells
        var perCell: [String: (planned: Double, fixed: Double, demand: Double, n: Int)] = [:]
        let text = try String(contentsOf: ReviewFixture.url(ReviewFixture.runPath + "/windows.jsonl"), encoding: .utf8)
        for line in text.split(separator: "\n") {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard o["kind"] as? String == "cell", o["partial"] as? Bool == false else { continue }
            let id = o["id"] as! String, start = o["start"] as! Double
            let load = ((o["bytesUp"] as! Double) + (o["bytesDown"] as! Double)) * 8 / (o["duration"] as! Double)
            guard let plan = plans.first(where: { $0.start <= start && start < $0.end }), let blocks = plan.blocks[id] else { continue }
            let p = max(0, load - blocks * Self.blockHz[id]! * Self.efficiency)
            let s = max(0, load - Self.staticBlocks[id]! * Self.blockHz[id]! * Self.efficiency)
            planned[start, default: 0] += p
            fixed[start, default: 0] += s
            let e = perCell[id] ?? (0, 0, 0, 0)
            perCell[id] = (e.planned + p, e.fixed + s, e.demand + load, e.n + 1)
        }
        let networkWindows = Double(planned.count)
        let plannedMean = planned.values.reduce(0, +) / networkWindows, fixedMean = fixed.values.reduce(0, +) / networkWindows
        #expect(plannedMean > 0 && fixedMean > 0)
        // Not the mean per cell window, which is what the bracket used to show.
        #expect(perCell.values.map(\.n).reduce(0, +) > planned.count)

        func close(_ a: Double?, _ b: Double) -> Bool { a.map { abs($0 - b) <= 1e-5 * max(abs(b), 1) } ?? false }
        let all = try #require(shown["spectrum-all-plan-unmet"]), allStatic = try #require(shown["spectrum-all-static-unmet"])
        #expect(close(all.perWindow, plannedMean), "shown \(all.perWindow), expected \(plannedMean)")
        #expect(close(allStatic.perWindow, fixedMean), "shown \(allStatic.perWindow), expected \(fixedMean)")
        #expect(all.text.hasSuffix("(\(DiffFormat.rate(plannedMean)))"), "\(all.text)")
        #expect(allStatic.text.hasSuffix("(\(DiffFormat.rate(fixedMean)))"), "\(allStatic.text)")
        let demand = perCell.values.map(\.demand).reduce(0, +)
        #expect(close(all.share, planned.values.reduce(0, +) / demand))
        // A cell's bracket stays its own mean per window.
        for (id, c) in perCell {
            let row = try #require(shown["spectrum-\(id)-plan-unmet"]), fixedRow = try #require(shown["spectrum-\(id)-static-unmet"])
            #expect(close(row.perWindow, c.planned / Double(c.n)), "\(id)")
            #expect(close(fixedRow.perWindow, c.fixed / Double(c.n)), "\(id)")
        }
    }

    @Test("the spectrum scores name the topology and radio logs they used, and warn when the policies were planned with another topology")
    func scoresNameTheirSources() throws {
        let (folder, topology) = try Self.topology()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try RunData.load(runDirectory: ReviewFixture.url(ReviewFixture.runPath))
        let planned = Set(run.policies.map(\.document.provenance.topologyDigest))
        try #require(planned.count == 1)
        for digest in [planned.first!, "sha256:" + String(repeating: "0", count: 64)] {
            var report = RunReport(run: run)
            report.scores = RunScores.compute(run: run, topology: topology)
            report.scores?.topologySource = ("t.yaml", digest)
            let html = report.html()
            #expect(html.contains("Scored with the topology <code>t.yaml</code> (\(digest)) and the radio KPI logs cell-1 <code>"), "\(digest)")
            for k in 1...6 { #expect(html.contains("cell-\(k) <code>\(folder.path)/radio-cell-\(k).csv</code>") || html.contains("radio-cell-\(k).csv</code>")) }
            #expect(html.contains("The policies were planned with another topology") == (digest != planned.first!), "\(digest)")
        }
    }
}
