import FlowcastTestSupport
import Foundation
import Testing

/// `flowcast demo` on the bundled scenario: the report's comparisons are recomputed here from the
/// run's own files (windows.jsonl, forecasts.jsonl, the policies, the radio KPI logs), by code
/// written apart from the report's, and the model and the plans must beat their baselines.
@Suite("The demo scenario", .serialized)
struct DemoScenarioTests {
    struct Window { var kind: String, id: String, start: Double, duration: Double, load: Double, partial: Bool }

    static func temporaryFolder(_ name: String) throws -> String {
        let path = Scratch.root.appendingPathComponent("flowcast-\(name)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func jsonLines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    static func windows(_ run: String) throws -> [Window] {
        try jsonLines(run + "/windows.jsonl").map { w in
            let duration = w["duration"] as! Double
            let bytes = (w["bytesUp"] as! Double) + (w["bytesDown"] as! Double)
            return Window(kind: w["kind"] as! String, id: w["id"] as! String, start: w["start"] as! Double, duration: duration,
                          load: bytes * 8 / duration, partial: w["partial"] as! Bool)
        }
    }

    /// The report's `data-metric` cells: name → value.
    static func metrics(_ html: String) -> [String: Double] {
        var out: [String: Double] = [:]
        let regex = try! NSRegularExpression(pattern: "data-metric=\"([^\"]+)\" data-value=\"([^\"]+)\"")
        for m in regex.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            out[String(html[Range(m.range(at: 1), in: html)!])] = Double(String(html[Range(m.range(at: 2), in: html)!]))
        }
        return out
    }

    static func close(_ a: Double?, _ b: Double, relative: Double = 1e-5) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= relative * max(abs(b), 1e-12)
    }

    @Test("flowcast demo: the model beats persistence and recentMean, and the plans beat the static split, as the report says")
    func reportScoresAreTheRunsOwn() throws {
        // A folder name with a space and a quote: the diff command the demo prints is copied into a
        // shell, so it must name the two policies there (it printed the path bare).
        let out = try Self.temporaryFolder("demo's run")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try Fixtures.runFlowcast(["demo", "--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        let suggested = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("  flowcast diff ") })
        let shell = try ChildProcess.run("/bin/sh", ["-c", Fixtures.flowcastExecutable.path + " " + suggested.dropFirst("  flowcast ".count)
                                                      + " >/dev/null; echo $?"])
        #expect(shell.stdout == "1\n", "\(suggested): \(shell.stdout) \(shell.stderr)")  // 1: the two policies differ; 2 would be an error
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        let shown = Self.metrics(html)
        let windows = try Self.windows(out)

        // Forecasts: every complete window forecast after a previous one, against persistence and
        // the mean of the complete windows that started in the 60 s before (max(60 s, 2 × 10 s)).
        var series: [String: [Window]] = [:]
        for w in windows where !w.partial { series["\(w.kind):\(w.id)", default: []].append(w) }
        // A series with no traffic in any complete window is not scored (every method is exact on it).
        series = series.filter { $0.value.contains { $0.load > 0 } }
        for kind in ["cell", "link"] {
            var n = 0, model = 0.0, last = 0.0, recent = 0.0
            for f in try Self.jsonLines(out + "/policies/forecasts.jsonl") where f["kind"] as? String == kind {
                guard f["partial"] as? Bool == false, let persistence = f["persistence"] as? Double,
                      let actual = f["actual"] as? Double, let point = f["point"] as? Double, let start = f["start"] as? Double else { continue }
                guard let all = series["\(kind):\(f["id"] as! String)"] else { continue }
                let past = all.filter { $0.start < start && $0.start >= start - 60 }
                guard !past.isEmpty else { continue }
                n += 1
                model += abs(actual - point)
                last += abs(actual - persistence)
                recent += abs(actual - past.map(\.load).reduce(0, +) / Double(past.count))
            }
            #expect(n > 300, "\(kind)")
            #expect(shown["\(kind)-count"] == Double(n))
            #expect(Self.close(shown["\(kind)-forecast-mae"], model / Double(n)), "\(kind)")
            #expect(Self.close(shown["\(kind)-persistence-mae"], last / Double(n)), "\(kind)")
            #expect(Self.close(shown["\(kind)-recentmean-mae"], recent / Double(n)), "\(kind)")
            #expect(Self.close(shown["\(kind)-vs-persistence"], model / last, relative: 1e-4), "\(kind)")
            #expect(model < last && model < recent, "\(kind): model \(model / Double(n)), persistence \(last / Double(n)), recentMean \(recent / Double(n))")
        }

        // Spectrum: per complete cell window in a policy's window, demand against blocks × width ×
        // the mean of the radio log's per-second efficiency (TS 38.214 Table 5.2.2.1-2) over it.
        let table1: [Double] = [0, 0.1523, 0.2344, 0.3770, 0.6016, 0.8770, 1.1758, 1.4766, 1.9141, 2.4063, 2.7305, 3.3223,
                                3.9023, 4.5234, 5.1152, 5.5547]
        let logStart = 1_764_403_200.0  // 2025-11-29T08:00:00Z, the capture's first second
        var efficiency: [String: [Double]] = [:]
        for k in 1...6 {
            let rows = try String(contentsOfFile: "captures/demo/radio-cell-\(k).csv", encoding: .utf8).split(separator: "\n").dropFirst()
            #expect(rows.first?.hasPrefix("2025.11.29_08.00.00,") == true)
            efficiency["cell-\(k)"] = rows.map { table1[Int($0.split(separator: ",")[1])!] }
        }
        // The static split: n78's 20 blocks in two colours (cells 1, 3 and 2, 4 on the chain
        // 1–2–3–4), 10 each; n3's 15 blocks in two colours (cells 5, 6), 7 each, cut to their maximum 4.
        let staticBlocks = ["cell-1": 10, "cell-2": 10, "cell-3": 10, "cell-4": 10, "cell-5": 4, "cell-6": 4]
        let blockHz = ["cell-1": 10e6, "cell-2": 10e6, "cell-3": 10e6, "cell-4": 10e6, "cell-5": 5e6, "cell-6": 5e6]
        let iso = ISO8601DateFormatter()
        var demand = 0.0, planned = 0.0, fixed = 0.0, scored = 0, demandOverEfficiency = 0.0
        let names = try FileManager.default.contentsOfDirectory(atPath: out + "/policies").filter { $0.hasPrefix("policy-") }.sorted()
        #expect(names.count == 10)
        for name in names {
            let policy = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/policies/" + name))) as? [String: Any])
            let window = try #require((policy["provenance"] as? [String: Any])?["window"] as? [String: String])
            let start = iso.date(from: window["start"]!)!.timeIntervalSince1970, end = iso.date(from: window["end"]!)!.timeIntervalSince1970
            for cell in try #require((policy["spectrum"] as? [String: Any])?["cells"] as? [[String: Any]]) {
                let id = cell["id"] as! String, blocks = Double((cell["blocks"] as! [Int]).count)
                #expect((cell["reason"] as? String)?.contains("radio KPIs: mean of the last 120 s of radio-\(id).csv") == true, "\(name) \(id)")
                for w in series["cell:\(id)"] ?? [] where w.start >= start && w.start < end {
                    let seconds = efficiency[id]![Int(w.start - logStart)..<Int(w.start - logStart + w.duration)]
                    let e = seconds.reduce(0, +) / Double(seconds.count)
                    scored += 1
                    demand += w.load
                    if e > 0 { demandOverEfficiency += w.load / e }
                    planned += max(0, w.load - blocks * blockHz[id]! * e)
                    fixed += max(0, w.load - Double(staticBlocks[id]!) * blockHz[id]! * e)
                }
            }
        }
        #expect(shown["spectrum-all-windows"] == Double(scored))
        // The scores name what they used, and the demo's policies were planned with that topology.
        #expect(html.contains("Scored with the topology <code>captures/demo/topology.yaml</code> (sha256:"), "provenance line")
        #expect(!html.contains("planned with another topology"))
        // All cells' efficiency is the one at which they serve their mix, weighted by demand.
        #expect(Self.close(shown["spectrum-all-efficiency"], demand / demandOverEfficiency), "\(shown["spectrum-all-efficiency"] ?? -1)")
        #expect(Self.close(shown["spectrum-all-plan-unmet"], planned / demand))
        #expect(Self.close(shown["spectrum-all-static-unmet"], fixed / demand))
        for (id, n) in staticBlocks { #expect(shown["spectrum-\(id)-static-blocks"] == Double(n), "\(id)") }
        #expect(planned < fixed, "plans leave \(planned / demand) unmet, the static split \(fixed / demand)")
        // The terminal says the same.
        #expect(run.stdout.contains(String(format: "MAE %.3f × persistence", shown["cell-vs-persistence"] ?? 0)), "\(run.stdout)")
        #expect(run.stdout.contains(String(format: "plans leave %.2f%% of demand unmet", planned / demand * 100)), "\(run.stdout)")

        // The plan-interval table's new violations are the diff's "! new" lines, as many, on the
        // cells and links those lines name (cell-3 broke two constraints at once and read as one).
        var severalOnOne = 0
        for (k, name) in names.enumerated().dropFirst() {
            let diff = try Fixtures.runFlowcast(["diff", out + "/policies/" + names[k - 1], out + "/policies/" + name, "--no-color"])
            let lines = diff.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("! new") }
            let row = try #require(html.components(separatedBy: "<tr id=\"interval-\(k + 1)\"").dropFirst().first?.components(separatedBy: "</tr>").first)
            if lines.isEmpty {
                #expect(!row.contains("new violation"), "interval \(k + 1)")
                continue
            }
            let subjects = Set(lines.map { String($0.dropFirst("! new".count).trimmingCharacters(in: .whitespaces).prefix { $0 != " " }) })
            #expect(row.contains("\(lines.count) new violation\(lines.count == 1 ? "" : "s"): "), "interval \(k + 1): \(lines) vs \(row)")
            for subject in subjects {
                // A subject with several is named with how many: "cell-3 (2)".
                let times = lines.filter { $0.dropFirst("! new".count).trimmingCharacters(in: .whitespaces).hasPrefix(subject + " ") }.count
                #expect(row.contains(times > 1 ? "\(subject) (\(times))" : subject), "interval \(k + 1): \(subject) × \(times) in \(row)")
            }
            if lines.count > subjects.count { severalOnOne += 1 }
        }
        #expect(severalOnOne > 0, "the demo has an interval where one cell breaks two constraints")

        // An interval that starts where the windows end has nothing measured in it, and its row says so.
        let dataEnd = windows.map { $0.start + $0.duration }.max() ?? 0
        var beyond = 0
        for (k, name) in names.enumerated() {
            let policy = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/policies/" + name))) as? [String: Any])
            let window = try #require((policy["provenance"] as? [String: Any])?["window"] as? [String: String])
            let start = try #require(ISO8601DateFormatter().date(from: window["start"]!)).timeIntervalSince1970
            let row = try #require(html.components(separatedBy: "<tr id=\"interval-\(k + 1)\"").dropFirst().first?.components(separatedBy: "</tr>").first)
            #expect(row.contains("after the capture: nothing measured in it") == (start >= dataEnd), "\(name) at \(start), windows end \(dataEnd)")
            if start >= dataEnd { beyond += 1 }
        }
        #expect(beyond == 1, "the demo's final policy plans the interval after its capture")
    }

    @Test("replay with the demo's model forecasts exactly what evaluate scores on the same windows (bit/s = 8 × bytes/s)")
    func replayForecastsAreEvaluates() throws {
        let out = try Self.temporaryFolder("demo-eval")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let replay = try Fixtures.runFlowcast(["replay", "captures/demo/demo.pcapng", "--topology", "captures/demo/topology.yaml",
                                               "--sampling", "1500", "--plan-every", "60s", "--model", "captures/demo/model.json",
                                               "--out", out, "--quiet"])
        #expect(replay.status == 0, "\(replay.stderr)")
        let evaluate = try Fixtures.runFlowcast(["evaluate", "--model", "captures/demo/model.json", "--series", out + "/windows.jsonl",
                                                 "--from", "1", "--forecasts", out + "/evaluate.csv"])
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        // windows.jsonl values are bytes per second, and the table names it.
        #expect(evaluate.stdout.contains("one-step forecasts per method; MAE, RMSE and pinball in bytes/s\n"), "\(evaluate.stdout)")
        var scored: [String: (point: Double, upper: Double)] = [:]
        let rows = try String(contentsOfFile: out + "/evaluate.csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",") }
        for row in rows.dropFirst() { scored["\(row[1])@\(Double(row[3])!)"] = (Double(row[5])! * 8, Double(row[6])! * 8) }
        var compared = 0
        for f in try Self.jsonLines(out + "/policies/forecasts.jsonl") {
            guard let e = scored["\(f["kind"] as! String):\(f["id"] as! String)@\(f["start"] as! Double)"] else { continue }
            compared += 1
            #expect(abs(e.point - (f["point"] as! Double)) <= 0.05 + 1e-6 && abs(e.upper - (f["upper"] as! Double)) <= 0.05 + 1e-6, "\(f)")
        }
        #expect(compared > 1000)
    }

    @Test("synth --radio writes the committed logs, and their CQI has the public traces' statistics")
    func radioLogs() throws {
        let dir = try Self.temporaryFolder("synth-radio")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let demo = try Fixtures.runFlowcast(["synth", "--out", dir + "/demo.pcapng", "--radio", dir])
        #expect(demo.status == 0, "\(demo.stderr)")
        for k in 1...6 {
            #expect(FileManager.default.contents(atPath: "\(dir)/radio-cell-\(k).csv") == FileManager.default.contents(atPath: "captures/demo/radio-cell-\(k).csv"))
        }
        #expect(FileManager.default.contents(atPath: dir + "/demo.pcapng") == FileManager.default.contents(atPath: "captures/demo/demo.pcapng"))
        // --duration is the capture's span: 300 s ran one 100 ms slot past it (to 300.0998 s), 10 s to 10.09 s.
        for duration in [300, 10] {
            let path = "\(dir)/d\(duration).pcapng"
            #expect(try Fixtures.runFlowcast(["synth", "--out", path, "--duration", "\(duration)"]).status == 0)
            let inspect = try Fixtures.runFlowcast(["inspect", "--json", path])
            let counts = try #require(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
            let span = (counts["lastTime"] as! Double) - (counts["firstTime"] as! Double)
            #expect(span < Double(duration) && span > Double(duration) - 0.1, "\(duration) s: \(span) s")
        }
        // Two hours per cell against the traces' statistics (tools/analysis/demo-radio-stats.py): pooled
        // mean 11.1 and sd 3.0; autocorrelation 0.85 at 1 s and 0.32 at 60 s; 26 % of seconds changed.
        // Each cell's fixed offset (its coverage) adds spread between cells, so autocorrelation is
        // taken around each cell's own mean, where the generator's process gives 0.87 and 0.30 over
        // two hours (the script's --fit).
        let long = try Fixtures.runFlowcast(["synth", "--out", dir + "/long.pcapng", "--radio", dir + "/long", "--duration", "7200",
                                             "--seed", "5", "--rate", "1"])
        #expect(long.status == 0, "\(long.stderr)")
        var cells: [[Double]] = []
        for k in 1...6 {
            let rows = try String(contentsOfFile: "\(dir)/long/radio-cell-\(k).csv", encoding: .utf8).split(separator: "\n").dropFirst()
            cells.append(rows.map { Double($0.split(separator: ",")[1])! })
            #expect(rows.count == 7200)
        }
        let all = cells.flatMap { $0 }, mean = all.reduce(0, +) / Double(all.count)
        let variance = all.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(all.count)
        func autocorrelation(_ lag: Int) -> Double {
            var num = 0.0, den = 0.0
            for c in cells {
                let m = c.reduce(0, +) / Double(c.count)
                den += c.map { ($0 - m) * ($0 - m) }.reduce(0, +)
                for i in 0..<(c.count - lag) { num += (c[i] - m) * (c[i + lag] - m) }
            }
            return num / den
        }
        let changes = cells.map { c in zip(c, c.dropFirst()).filter { $0 != $1 }.count }.reduce(0, +)
        #expect(abs(mean - 11.1) < 0.6 && abs(variance.squareRoot() - 3.0) < 0.3, "mean \(mean), sd \(variance.squareRoot())")
        #expect(abs(autocorrelation(1) - 0.85) < 0.05 && abs(autocorrelation(60) - 0.31) < 0.1,
                "\(autocorrelation(1)), \(autocorrelation(60))")
        #expect(abs(Double(changes) / Double(6 * 7199) - 0.26) < 0.05)
        #expect(all.allSatisfy { $0 >= 0 && $0 <= 15 && $0 == $0.rounded() })
    }

    /// A copy of the demo scenario (the capture linked, the rest copied) to break one file of.
    static func scenarioCopy() throws -> String {
        let dir = try temporaryFolder("scenario")
        let root = Fixtures.repositoryRoot.path + "/captures/demo/"
        try FileManager.default.createSymbolicLink(atPath: dir + "/demo.pcapng", withDestinationPath: root + "demo.pcapng")
        for name in ["topology.yaml", "model.json"] + (1...6).map({ "radio-cell-\($0).csv" }) {
            try FileManager.default.copyItem(atPath: root + name, toPath: dir + "/" + name)
        }
        return dir
    }

    /// Runs the demo on `scenario`; it must fail with exit 2 and one line naming `file` and saying `what`, writing nothing.
    static func expectRefused(_ scenario: String, extra: [String] = [], file: String, _ what: String,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        let out = scenario + "/out"
        let run = try Fixtures.runFlowcast(["demo", "--scenario", scenario, "--out", out] + extra)
        #expect(run.status == 2, sourceLocation: sourceLocation)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("flowcast demo: ") && lines[0].contains(file) && lines[0].contains(what),
                "\(run.stderr)", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: out), sourceLocation: sourceLocation)
    }

    @Test("a scenario folder with a missing or mismatched file, or a model for another target: one line naming the file, exit 2")
    func badScenarios() throws {
        let dir = try Self.scenarioCopy()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The model is part of the scenario.
        try FileManager.default.moveItem(atPath: dir + "/model.json", toPath: dir + "/kept.json")
        try Self.expectRefused(dir, file: dir + "/model.json", "not found")
        try FileManager.default.moveItem(atPath: dir + "/kept.json", toPath: dir + "/model.json")
        // A radio KPI log that is missing, that is not one, or that stops before the capture does.
        let log = dir + "/radio-cell-3.csv"
        let text = try String(contentsOfFile: log, encoding: .utf8)
        try FileManager.default.removeItem(atPath: log)
        try Self.expectRefused(dir, file: log, "not found (the radio KPI log of cell-3")
        try Data("time,value\n1,2\n".utf8).write(to: URL(fileURLWithPath: log))
        try Self.expectRefused(dir, file: log, "not a radio KPI log")
        try Data((text.split(separator: "\n").prefix(301).joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: log))
        try Self.expectRefused(dir, file: log, "covers 2025-11-29T08:00:00Z–2025-11-29T08:05:00Z, but \(dir)/demo.pcapng runs 2025-11-29T08:00:00Z–2025-11-29T08:09:59Z")
        try Data(text.utf8).write(to: URL(fileURLWithPath: log))
        // A model trained on a radio KPI log (with its covariates), and one trained on 300 s rows.
        var radio = ["Timestamp,Speed,RSRP,RSRQ,SNR,CQI,DL_bitrate,State"]
        for t in 0..<400 {
            let cqi: Int = 6 + (t / 37) % 8, rate: Int = 900 + (t * 7919) % 500
            radio.append(String(format: "2019.11.25_15.%02d.%02d,0,-90,-11,8,%d,%d,D", t / 60, t % 60, cqi, rate))
        }
        try Data((radio.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/radio.csv"))
        let radioModel = dir + "/radio-model.json"
        let trained = try Fixtures.runFlowcast(["train", "--series", dir + "/radio.csv", "--trees", "0", "--out", radioModel])
        #expect(trained.status == 0, "\(trained.stderr)")
        try Self.expectRefused(dir, extra: ["--model", radioModel], file: radioModel, "was trained on radio KPI logs (covariates cqi")
        var slow = ["start,a,b"]  // five-minute rows
        for i in 0..<400 { slow.append(String(format: "2026-01-%02dT%02d:%02d:00,%d,%d", 1 + i / 288, i % 288 / 12, i % 12 * 5, 100 + i % 7, 50 + i % 5)) }
        try Data((slow.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/slow.csv"))
        let slowModel = dir + "/slow-model.json"
        let slowTrained = try Fixtures.runFlowcast(["train", "--series", dir + "/slow.csv", "--trees", "0", "--out", slowModel])
        #expect(slowTrained.status == 0, "\(slowTrained.stderr)")
        try Self.expectRefused(dir, extra: ["--model", slowModel], file: slowModel, "was trained on 300 s rows, the demo's windows are 10 s")
        // Put back, the copy runs.
        let run = try Fixtures.runFlowcast(["demo", "--scenario", dir, "--out", dir + "/out"])
        #expect(run.status == 0, "\(run.stderr)")
    }
}
