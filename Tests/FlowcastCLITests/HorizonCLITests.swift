import Foundation
import Testing
import FlowcastTestSupport

@Suite("train and evaluate --horizon")
struct HorizonCLITests {
    /// A radio KPI log in the 5G traces' format (900 s; the bitrate follows CQI and State).
    func radioLog(in folder: URL) throws -> String {
        var lines = ["Timestamp,Speed,RSRP,RSRQ,SNR,CQI,DL_bitrate,State"]
        for t in 0..<900 {
            let cqi = 6 + (t / 37) % 8, busy = (t / 23) % 3 != 0
            lines.append(String(format: "2019.11.25_15.%02d.%02d,0,-90,-11,8,%d,%d,%@", t / 60, t % 60, cqi,
                                busy ? cqi * 900 + (t * 7919) % 500 : 3, busy ? "D" : "I"))
        }
        let log = folder.appendingPathComponent("B_2019.11.25_15.00.00.csv").path
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: log))
        return log
    }

    func folder() throws -> URL {
        let folder = Scratch.root.appendingPathComponent("flowcast-horizon-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// A failure: exit 1, nothing on stdout, one line on stderr that contains `text`.
    func expectOneLineError(_ run: FlowcastRun, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status == 1, "\(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stdout.isEmpty, sourceLocation: sourceLocation)
        let errorLines = run.stderr.split(separator: "\n").filter { !$0.hasPrefix("read ") }
        #expect(errorLines.count == 1, "\(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.contains(text), "\(run.stderr)", sourceLocation: sourceLocation)
    }

    /// Next-row options beside --horizon are a usage error (64), as train's clashes are (it was a
    /// run failure, 1), and the help says so.
    @Test func nextRowOptionsWithAHorizonAreAUsageError() throws {
        for option in [["--forecasts", "x.csv"], ["--time-inference"], ["--no-fallback"]] {
            let run = try Fixtures.runFlowcast(["evaluate", "--model", "m.json", "--series", "s.csv", "--from", "0", "--horizon", "60s"] + option)
            #expect(run.status == 64, "\(option): \(run.stderr)")
            #expect(run.stderr.contains("--forecasts, --time-inference and --no-fallback are for next-row models, not with --horizon"), "\(run.stderr)")
        }
        let help = try Fixtures.runFlowcast(["help", "evaluate"]).stdout.replacingOccurrences(of: "\n", with: " ")
            .split(separator: " ").joined(separator: " ")
        #expect(help.contains("or with --horizon of the mean of the next DURATION"), "\(help)")
        #expect(help.components(separatedBy: "Next-row models only.").count == 4, "\(help)")
    }

    @Test("evaluate --horizon lists every baseline with MAE, RMSE, band coverage and pinball loss")
    func evaluateReportsBaselines() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = try radioLog(in: folder)
        let model = folder.appendingPathComponent("se60.json").path
        let train = try Fixtures.runFlowcast(["train", "--series", log, "--target", "se", "--horizon", "60s", "--trees", "0", "--out", model])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("mean of the next 60 s"))
        let run = try Fixtures.runFlowcast(["evaluate", "--model", model, "--series", log, "--target", "se", "--horizon", "60s",
                                            "--from", "600", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(report["horizon_seconds"] as? Double == 60)
        #expect(report["unit"] as? String == "bit/s/Hz")
        #expect(report["steps"] as? Int == 900 - 600 - 60)  // origins 600…839: their next 60 s lie inside the log
        let methods = try #require(report["methods"] as? [[String: Any]])
        #expect(methods.compactMap { $0["name"] as? String } == ["flowcast", "persistence", "recentMean", "ewma"])
        for method in methods {
            for key in ["mae", "rmse", "p10_p90_coverage", "pinball"] { #expect(method[key] is Double, "\(key)") }
        }
        let table = try Fixtures.runFlowcast(["evaluate", "--model", model, "--series", log, "--target", "se", "--horizon", "1m",
                                              "--from", "600"])
        #expect(table.status == 0 && table.stdout.contains("recentMean"), "\(table.stderr)")
        #expect(table.stdout.hasPrefix("1 series, 240 forecasts per method of the mean of the next 60 s; MAE, RMSE and pinball in bit/s/Hz\n"),
                "\(table.stdout)")
    }

    @Test("a model for another horizon, target or kind, or a horizon shorter than the step: one line naming the file, exit 1")
    func badInput() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = try radioLog(in: folder)
        let interval = folder.appendingPathComponent("se60.json").path, nextRow = folder.appendingPathComponent("se.json").path
        #expect(try Fixtures.runFlowcast(["train", "--series", log, "--target", "se", "--horizon", "60s", "--trees", "0", "--out", interval]).status == 0)
        #expect(try Fixtures.runFlowcast(["train", "--series", log, "--target", "se", "--trees", "0", "--out", nextRow]).status == 0)
        expectOneLineError(try Fixtures.runFlowcast(["evaluate", "--model", interval, "--series", log, "--target", "se", "--horizon", "300s", "--from", "0"]),
                           "\(interval): the model forecasts the mean of the next 60 s, not of the next 300 s")
        expectOneLineError(try Fixtures.runFlowcast(["evaluate", "--model", interval, "--series", log, "--target", "dl", "--horizon", "60s", "--from", "0"]),
                           "\(interval): the model forecasts --target se, not --target dl")
        expectOneLineError(try Fixtures.runFlowcast(["evaluate", "--model", nextRow, "--series", log, "--target", "dl", "--from", "0"]),
                           "\(nextRow): the model forecasts --target se, not --target dl")
        expectOneLineError(try Fixtures.runFlowcast(["evaluate", "--model", interval, "--series", log, "--target", "se", "--from", "0"]),
                           "\(interval): the model forecasts the mean of the next 60 s (trained with --horizon), not the next row")
        expectOneLineError(try Fixtures.runFlowcast(["evaluate", "--model", nextRow, "--series", log, "--target", "se", "--horizon", "60s", "--from", "0"]),
                           "\(nextRow): the model forecasts the next row (trained without --horizon)")
        // Abilene rows are 5 minutes apart: a 60 s horizon is shorter than a row.
        let od = "\(Fixtures.repositoryRoot.path)/data/abilene/od_tm_public.csv"
        expectOneLineError(try Fixtures.runFlowcast(["train", "--series", od, "--horizon", "60s", "--out", folder.appendingPathComponent("od.json").path]),
                           "\(od): the horizon 60 s is shorter than the series step 300 s")
        expectOneLineError(try Fixtures.runFlowcast(["evaluate", "--model", interval, "--series", od, "--horizon", "60s", "--from", "0"]),
                           "\(od): the horizon 60 s is shorter than the series step 300 s")
        // A horizon that is not whole rows was rounded to whole rows and reported as asked: 450 s
        // on 5-minute rows scored 600 s means as "the next 450 s".
        expectOneLineError(try Fixtures.runFlowcast(["train", "--series", od, "--horizon", "450s", "--out", folder.appendingPathComponent("od.json").path]),
                           "\(od): the horizon 450 s is not a whole number of the series' 300 s steps (300 s or 600 s would be)")
        expectOneLineError(try Fixtures.runFlowcast(["train", "--series", log, "--target", "se", "--horizon", "1500ms", "--trees", "0",
                                                     "--out", folder.appendingPathComponent("se1500.json").path]),
                           "\(log): the horizon 1.5 s is not a whole number of the series' 1 s steps (1 s or 2 s would be)")
    }

    /// An audit: an interval model was checked neither for the covariates the series lack (a
    /// next-row model was) nor, like a next-row model, for rows it was trained on (0.436 ×
    /// recentMean on its own training rows, 0.864 on rows it never saw, nothing said).
    @Test("evaluate --horizon warns of covariates the series lack and of rows the model was trained on; --until before --from is quiet")
    func modelInputWarnings() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = try radioLog(in: folder)
        let all = folder.appendingPathComponent("all.json").path, before = folder.appendingPathComponent("before.json").path
        let trainAll = try Fixtures.runFlowcast(["train", "--series", log, "--target", "se", "--horizon", "60s", "--trees", "4", "--out", all])
        #expect(trainAll.status == 0, "\(trainAll.stderr)")
        #expect(trainAll.stdout.contains("× recentMean: beats the rule -> ") || trainAll.stdout.contains("× recentMean: does not beat the rule (planners keep it) -> "),
                "\(trainAll.stdout)")
        #expect(try Fixtures.runFlowcast(["train", "--series", log, "--target", "se", "--horizon", "60s", "--trees", "4", "--until", "600",
                                          "--out", before]).status == 0)
        let id = try #require((try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: all))) as? [String: Any])?["id"] as? String)
        let overlap = "warning: model \(id) was trained on \(log) (all its rows); scored from row 600, its errors there measure what it learnt "
            + "of those rows, not how it forecasts rows it never saw (train with --until 600, or on other files)"
        let leaked = try Fixtures.runFlowcast(["evaluate", "--model", all, "--series", log, "--target", "se", "--horizon", "60s", "--from", "600"])
        #expect(leaked.status == 0 && leaked.stderr.contains(overlap), "\(leaked.stderr)")
        let honest = try Fixtures.runFlowcast(["evaluate", "--model", before, "--series", log, "--target", "se", "--horizon", "60s", "--from", "600"])
        #expect(honest.status == 0 && !honest.stderr.contains("warning"), "\(honest.stderr)")
        // The same log without its other KPI columns: the model's covariates go in as missing.
        let bare = folder.appendingPathComponent("bare").appendingPathComponent("B_2019.11.25_15.00.00.csv")
        try FileManager.default.createDirectory(at: bare.deletingLastPathComponent(), withIntermediateDirectories: true)
        let rows = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { line -> String in
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            return [f[0], f[5], f[6]].joined(separator: ",")
        }
        try Data((rows.joined(separator: "\n") + "\n").utf8).write(to: bare)
        let lacking = try Fixtures.runFlowcast(["evaluate", "--model", before, "--series", bare.path, "--target", "se", "--horizon", "60s", "--from", "600"])
        #expect(lacking.status == 0, "\(lacking.stderr)")
        #expect(lacking.stderr.contains("warning: model ") && lacking.stderr.contains(" was trained with covariates (")
                && lacking.stderr.contains("1 of 1 series lack rsrp, snr, rsrq, state, speed: they go in as missing"), "\(lacking.stderr)")
        // Two options that clash: --stop-on-tail changed nothing beside --validation-tail.
        let clash = try Fixtures.runFlowcast(["train", "--series", log, "--target", "se", "--horizon", "60s", "--validation-tail", "--stop-on-tail",
                                              "--out", folder.appendingPathComponent("x.json").path])
        #expect(clash.status == 64 && clash.stderr.contains("--stop-on-tail and --validation-tail clash"), "\(clash.stderr)")
    }
}

@Suite("replay plans each interval from an interval model")
struct HorizonReplayTests {
    @Test("the policies' forecasts name the interval model; a model for another interval is one line, exit 2")
    func replayWithAnIntervalModel() throws {
        let folder = Scratch.root.appendingPathComponent("flowcast-horizon-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let capture = "captures/demo/demo.pcapng", topology = "captures/demo/topology.yaml"
        let first = folder.appendingPathComponent("windows").path
        #expect(try Fixtures.runFlowcast(["replay", capture, "--topology", topology, "--out", first, "--quiet"]).status == 0)
        let model = folder.appendingPathComponent("m60.json").path
        let train = try Fixtures.runFlowcast(["train", "--series", first + "/windows.jsonl", "--horizon", "60s", "--trees", "0", "--out", model])
        #expect(train.status == 0, "\(train.stderr)")
        let out = folder.appendingPathComponent("planned").path
        let run = try Fixtures.runFlowcast(["replay", capture, "--topology", topology, "--out", out, "--plan-every", "60s",
                                            "--model", model, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let policy = try String(contentsOfFile: out + "/policies/policy-0005.json", encoding: .utf8)
        #expect(policy.contains("mean of the next 60 s, P10–P90 band"))
        #expect(policy.contains("sum of its cells' forecasts of the interval's mean"))
        #expect(!policy.contains("persistence (no --model)"))
        let wrong = try Fixtures.runFlowcast(["replay", capture, "--topology", topology, "--out", folder.appendingPathComponent("wrong").path,
                                              "--plan-every", "120s", "--model", model, "--quiet"])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.split(separator: "\n").count == 1)
        #expect(wrong.stderr.contains("\(model): the model forecasts the mean of the next 60 s, not of the next 120 s"))
    }
}

/// Each policy's forecasts by `kind:id` (cells from spectrum, demands from routing, links from
/// predicted are derived, so cells and demands): point, upper, source, and the cells' reasons.
func policyForecasts(_ path: String) throws -> [String: (point: Double, upper: Double, source: String, efficiency: Double?, reason: String?)] {
    let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    var result: [String: (point: Double, upper: Double, source: String, efficiency: Double?, reason: String?)] = [:]
    let cells = try #require((object["spectrum"] as? [String: Any])?["cells"] as? [[String: Any]])
    for cell in cells {
        guard let f = cell["forecast"] as? [String: Any] else { continue }
        result["cell:\(cell["id"] as! String)"] = ((f["point"] as! NSNumber).doubleValue, (f["upper"] as! NSNumber).doubleValue,
                                                   f["source"] as! String, (f["spectralEfficiency"] as? NSNumber)?.doubleValue,
                                                   cell["reason"] as? String)
    }
    let demands = try #require((object["routing"] as? [String: Any])?["demands"] as? [[String: Any]])
    for demand in demands {
        guard let f = demand["forecast"] as? [String: Any] else { continue }
        result["demand:\(demand["id"] as! String)"] = ((f["point"] as! NSNumber).doubleValue, (f["upper"] as! NSNumber).doubleValue,
                                                       f["source"] as! String, nil, nil)
    }
    return result
}

@Suite("plan --series plans an interval from an interval model")
struct HorizonPlanSeriesTests {
    @Test("plan --series --at R with an interval model (and --efficiency-model) forecasts what replay's plan of that interval does")
    func planSeriesEqualsReplay() throws {
        let folder = Scratch.root.appendingPathComponent("flowcast-horizon-plan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let models = try DemoIntervalModels(in: folder)
        let demandId = try DemoIntervalModels.id(of: models.demand), seId = try DemoIntervalModels.id(of: models.efficiency)
        let capture = "captures/demo/demo.pcapng", topology = "captures/demo/topology.yaml"
        let replayed = folder.appendingPathComponent("planned").path
        let run = try Fixtures.runFlowcast(["replay", capture, "--topology", topology, "--out", replayed, "--plan-every", "60s",
                                            "--model", models.demand, "--efficiency-model", models.efficiency, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let csv = folder.appendingPathComponent("series.csv").path
        try DemoIntervalModels.seriesCSV(windows: models.windows, to: csv)
        // Replay plans policy-0005 after 5 × 60 s of 10 s windows: the first 30 rows.
        let plan = folder.appendingPathComponent("plan.json").path
        let planned = try Fixtures.runFlowcast(["plan", "--topology", topology, "--series", csv, "--at", "30", "--model", models.demand,
                                                "--efficiency-model", models.efficiency, "--out", plan])
        #expect(planned.status == 0, "\(planned.stderr)")
        let got = try policyForecasts(plan), want = try policyForecasts(replayed + "/policies/policy-0005.json")
        #expect(got.count == want.count && got.count >= 12, "\(got.keys.sorted()) vs \(want.keys.sorted())")
        for (key, w) in want {
            let g = try #require(got[key], "\(key) missing from plan --series")
            #expect(g.point == w.point && g.upper == w.upper && g.efficiency == w.efficiency, "\(key): \(g) vs \(w)")
            if key.hasPrefix("cell:") {
                #expect(g.source == w.source + " (rows before 30)", "\(g.source)")
                #expect(g.source.hasPrefix("model \(demandId): mean of the next 60 s, P10–P90 band"), "\(g.source)")
                #expect(g.reason?.contains("model \(seId): mean of the next 60 s") == true, "\(g.reason ?? "")")
            }
        }
        // A model whose validation does not beat recentMean: the rule's mean, and the source says so.
        let losing = folder.appendingPathComponent("losing.json").path
        try DemoIntervalModels.notBeatingTheRule(models.demand, to: losing)
        let rule = folder.appendingPathComponent("rule.json").path
        #expect(try Fixtures.runFlowcast(["plan", "--topology", topology, "--series", csv, "--at", "30", "--model", losing,
                                          "--out", rule]).status == 0)
        let replayedRule = folder.appendingPathComponent("rule-replay").path
        #expect(try Fixtures.runFlowcast(["replay", capture, "--topology", topology, "--out", replayedRule, "--plan-every", "60s",
                                          "--model", losing, "--quiet"]).status == 0)
        let ruleGot = try policyForecasts(rule), ruleWant = try policyForecasts(replayedRule + "/policies/policy-0005.json")
        for (key, w) in ruleWant where key.hasPrefix("cell:") {
            let g = try #require(ruleGot[key])
            #expect(g.point == w.point && g.upper == w.upper, "\(key)")
            #expect(g.source.hasPrefix("recentMean: mean of the last 120 s (model \(demandId) does not beat it: MAE 2.000 × on its validation traces)"),
                    "\(g.source)")
            #expect(g.point != got[key]!.point || g.point == 0)
        }
    }
}
