import FlowcastTestSupport
import Foundation
import Testing

/// `plan --series` in another unit than bit/s: the Abilene series are Mbit/s, and without a unit
/// the plan read them as bit/s (links at 0 %).
@Suite("plan --series --unit")
struct PlanUnitCLITests {
    @Test func aSeriesInMbitPerSecondIsPlannedInBitPerSecond() throws {
        let folder = Scratch.root.appendingPathComponent("flowcast-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // The first 200 rows of the real Abilene matrices (Mbit/s).
        let lines = try String(contentsOfFile: "data/abilene/od_tm_public.csv", encoding: .utf8).split(separator: "\n").prefix(201)
        let header = lines.first!.split(separator: ",").map(String.init)
        let mbit = folder.appendingPathComponent("mbit.csv").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: mbit, atomically: true, encoding: .utf8)
        let model = folder.appendingPathComponent("m.json").path
        let train = try Fixtures.runFlowcast(["train", "--series", mbit, "--out", model, "--trees", "0"])
        try #require(train.status == 0, "\(train.stderr)")
        func plan(_ extra: [String]) throws -> [String: Any] {
            let out = folder.appendingPathComponent(UUID().uuidString + ".json").path
            let run = try Fixtures.runFlowcast(["plan", "--topology", "captures/abilene/topology.yaml", "--series", mbit, "--at", "150",
                                                "--model", model, "--out", out] + extra)
            try #require(run.status == 0, "\(run.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        }
        // Each demand's forecast, in bit/s, is near its last hour of rows (Mbit/s) × 1e6: the same
        // order as the data, where without --unit it was a millionth of it.
        let rows = lines.dropFirst().prefix(150).suffix(12).map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let demands = try #require((plan(["--unit", "Mbit/s"])["routing"] as? [String: Any])?["demands"] as? [[String: Any]])
        // (Demands burst: a few forecasts sit far from their hour's mean, so the test is on most
        // of them and on the total.)
        var compared = 0, near = 0, forecastTotal = 0.0, recentTotal = 0.0
        for demand in demands {
            let id = demand["id"] as! String, column = try #require(header.firstIndex(of: id))
            let recent = rows.compactMap { Double($0[column]) }.reduce(0, +) / Double(rows.count) * 1e6
            let point = try #require((demand["forecast"] as? [String: Any])?["point"] as? Double)
            forecastTotal += point
            recentTotal += recent
            guard recent > 1e5 else { continue }
            compared += 1
            if point > recent / 3 && point < recent * 3 { near += 1 }
        }
        #expect(compared > 100 && Double(near) >= 0.9 * Double(compared), "\(near) of \(compared)")
        #expect(forecastTotal > recentTotal / 1.5 && forecastTotal < recentTotal * 1.5, "\(forecastTotal) against \(recentTotal)")
        let links = try #require((plan(["--unit", "Mbit/s"])["predicted"] as? [String: Any])?["links"] as? [[String: Any]])
        #expect(links.compactMap { $0["load"] as? Double }.max()! > 1e8)  // hundreds of Mbit/s on the busiest link
        let unscaled = try #require((plan([])["predicted"] as? [String: Any])?["links"] as? [[String: Any]])
        #expect(unscaled.compactMap { $0["load"] as? Double }.max()! < 1e4)  // read as bit/s: what --unit is for
        // --at past the rows is a usage error of plan (its usage line, not the top command's).
        let late = try Fixtures.runFlowcast(["plan", "--topology", "captures/abilene/topology.yaml", "--series", mbit, "--at", "5000",
                                             "--model", model, "--out", folder.appendingPathComponent("late.json").path])
        #expect(late.status == 64 && late.stderr.contains("--at must be between 1 and 200 (rows in \(mbit))"), "\(late.stderr)")
        #expect(late.stderr.contains("Usage: flowcast plan") && !late.stderr.contains("<subcommand>"), "\(late.stderr)")
        // A demand whose column is missing is planned for no traffic, and said so (it was silent).
        let columns = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let dropped = try #require(header.firstIndex(of: "od_4_7"))
        let without = folder.appendingPathComponent("without.csv").path
        try (columns.map { row in row.enumerated().filter { $0.offset != dropped }.map { String($0.element) }.joined(separator: ",") }
            .joined(separator: "\n") + "\n").write(toFile: without, atomically: true, encoding: .utf8)
        let missingOut = folder.appendingPathComponent("missing.json").path
        let missing = try Fixtures.runFlowcast(["plan", "--topology", "captures/abilene/topology.yaml", "--series", without, "--at", "150",
                                                "--model", model, "--unit", "Mbit/s", "--out", missingOut])
        #expect(missing.status == 0, "\(missing.stderr)")
        #expect(missing.stderr.contains("flowcast plan: warning: 1 demand with no forecast in \(without), planned for no traffic: od_4_7"),
                "\(missing.stderr)")
        let zero = try #require((try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: missingOut))) as? [String: Any])?["routing"]
            as? [String: Any])?["demands"] as? [[String: Any]]
        #expect(zero?.first { $0["id"] as? String == "od_4_7" }.flatMap { ($0["forecast"] as? [String: Any])?["source"] as? String } == "no forecast")
        // A series none of whose columns is a demand or cell of the topology: refused, as a
        // forecasts file with none is (it wrote a policy for no traffic, exit 0).
        let noneOut = folder.appendingPathComponent("none.json").path
        let none = try Fixtures.runFlowcast(["plan", "--topology", "captures/demo/topology.yaml", "--series", mbit, "--at", "150",
                                             "--model", model, "--out", noneOut])
        #expect(none.status == 1 && none.stderr.contains("flowcast plan: \(mbit): no column is named after any of the topology's 6 demands and 6 cells"),
                "\(none.stderr)")
        #expect(!FileManager.default.fileExists(atPath: noneOut))
        // --unit without --series is a usage error.
        let wrong = try Fixtures.runFlowcast(["plan", "--topology", "captures/abilene/topology.yaml", "--forecasts", "x.json",
                                              "--unit", "Mbit/s", "--out", "/nonexistent/p.json"])
        #expect(wrong.status == 64 && wrong.stderr.contains("--unit is the unit of --series"), "\(wrong.stderr)")

        // An interval model: the P10 and recent mean in each forecast's source are in bit/s as they
        // say (they were the file's Mbit/s labelled bit/s). recentMean is the mean of the last
        // max(60 s, 2 × 10 min) = 4 rows before --at.
        let interval = folder.appendingPathComponent("m10.json").path
        let trained = try Fixtures.runFlowcast(["train", "--series", mbit, "--out", interval, "--trees", "0", "--horizon", "10m"])
        try #require(trained.status == 0, "\(trained.stderr)")
        let intervalOut = folder.appendingPathComponent("interval.json").path
        let planned = try Fixtures.runFlowcast(["plan", "--topology", "captures/abilene/topology.yaml", "--series", mbit, "--at", "150",
                                                "--model", interval, "--unit", "Mbit/s", "--out", intervalOut])
        try #require(planned.status == 0, "\(planned.stderr)")
        let intervalJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: intervalOut))) as? [String: Any]
        let intervalDemands: [[String: Any]] = try #require((intervalJSON?["routing"] as? [String: Any])?["demands"] as? [[String: Any]])
        var checked = 0
        for demand in intervalDemands {
            let id = demand["id"] as! String
            guard let column = header.firstIndex(of: id), let source = (demand["forecast"] as? [String: Any])?["source"] as? String,
                  let said = source.components(separatedBy: "recentMean ").last?.split(separator: " ").first.flatMap({ Double($0) }) else { continue }
            let last4 = lines.dropFirst().prefix(150).suffix(4).compactMap { Double($0.split(separator: ",", omittingEmptySubsequences: false)[column]) }
            let mean: Double = last4.reduce(0, +) / Double(last4.count) * 1e6
            let tolerance: Double = max(1.0, mean * 1e-9)
            #expect(abs(said - mean) <= tolerance, "\(id): \(source) against \(mean) bit/s")
            checked += 1
        }
        #expect(checked > 100, "\(checked)")
    }
}

/// `plan --current`: the policy in force prices churn by its weights, so it must split each demand
/// whole and be about this network. A policy of another topology was read without a word.
@Suite("plan --current")
struct PlanCurrentCLITests {
    /// `plan --current` priced moving traffic at 0 unless `--churn` was given, where replay, live,
    /// the planner and backtest price it at 0.01: the same forecasts and policy in force gave
    /// `plan` a plan free to move more (an audit of the help lines).
    @Test("plan --current prices churn at the planners' 0.01 unless --churn says otherwise; without --current there is none")
    func churnDefaultsToThePlannersWithACurrentPolicy() throws {
        let folder = Scratch.root.appendingPathComponent("flowcast-churn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let base = ["plan", "--topology", "captures/demo/topology.yaml", "--forecasts", "policies/examples/demo-forecasts.json"]
        for (extra, expected) in [([String](), 0.0), (["--current", "policies/baseline/demo.json"], 0.01),
                                  (["--current", "policies/baseline/demo.json", "--churn", "0"], 0.0),
                                  (["--current", "policies/baseline/demo.json", "--churn", "0.5"], 0.5)] {
            let out = folder.appendingPathComponent(UUID().uuidString + ".json")
            let run = try Fixtures.runFlowcast(base + extra + ["--out", out.path])
            #expect(run.status == 0, "\(extra): \(run.stderr)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
            #expect((document["routing"] as? [String: Any])?["churnPenalty"] as? Double == expected, "\(extra)")
        }
        let alone = try Fixtures.runFlowcast(base + ["--churn", "0.1", "--out", folder.appendingPathComponent("x.json").path])
        #expect(alone.status == 64 && alone.stderr.contains("--churn needs --current"), "\(alone.stderr)")
    }

    /// The topology audit: a plan whose best still overloads a link exited 0 with "max link
    /// utilisation 1.0427" as the only sign; and over the target, a demand split over paths of
    /// equal cost read "under the 77% target" (a scenario's cap) beside a 70 % target.
    @Test("plan warns of links over capacity in its best plan; over the target no reason names a scenario's cap as the target")
    func overCapacityIsWarnedAndReasonsNameTheTarget() throws {
        let folder = Scratch.root.appendingPathComponent("flowcast-over-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let failed = try Fixtures.runFlowcast(["plan", "--topology", "Tests/FlowcastReviewTests/ReviewFixtures/failed-link-topology.yaml",
                                               "--forecasts", "policies/examples/demo-forecasts.json", "--out", folder.appendingPathComponent("f.json").path])
        #expect(failed.status == 0, "\(failed.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("f.json"))) as? [String: Any])
        let links = try #require((document["predicted"] as? [String: Any])?["links"] as? [[String: Any]])
        let over = links.filter { ($0["utilisation"] as? Double ?? 0) > 1 }
        try #require(over.count == 1)
        let percent = String(format: "%.1f%%", (over[0]["utilisation"] as! Double) * 100)
        #expect(failed.stderr.contains("flowcast plan: warning: 1 link over capacity in the plan (the least it allows): \(over[0]["id"] as! String) at \(percent); "
                                       + "the forecasts exceed what the topology's links can carry"), "\(failed.stderr)")
        let fits = try Fixtures.runFlowcast(["plan", "--topology", "captures/demo/topology.yaml", "--forecasts", "policies/examples/demo-forecasts.json",
                                             "--out", folder.appendingPathComponent("d.json").path])
        #expect(fits.status == 0 && !fits.stderr.contains("over capacity"), "\(fits.stderr)")
        // The demo topology with a second site-2–agg-1 link and a zero-weight agg-1–agg-2 one, no
        // candidate paths of its own: no plan fits every scenario under 70 %.
        var yaml = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("captures/demo/topology.yaml"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("    paths:") && !$0.hasPrefix("      - [") }.joined(separator: "\n")
        let last = "  - { id: l-agg1-agg2, a: agg-1, b: agg-2, capacity: 10G, weight: 2 }"
        try #require(yaml.contains(last))
        yaml = yaml.replacingOccurrences(of: last, with: last + "\n  - { id: l-agg1-agg2-b, a: agg-1, b: agg-2, capacity: 10G, weight: 0 }"
            + "\n  - { id: l-s2-agg1-b, a: site-2, b: agg-1, capacity: 1G, weight: 5 }")
        let topology = folder.appendingPathComponent("parallel.yaml")
        try Data(yaml.utf8).write(to: topology)
        let parallel = try Fixtures.runFlowcast(["plan", "--topology", topology.path, "--forecasts", "policies/examples/demo-forecasts.json",
                                                 "--out", folder.appendingPathComponent("p.json").path])
        #expect(parallel.status == 0, "\(parallel.stderr)")
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("p.json"))) as? [String: Any])
        let reasons = try #require((plan["routing"] as? [String: Any])?["demands"] as? [[String: Any]]).compactMap { $0["reason"] as? String }
        #expect(reasons.contains { $0.contains("no plan fits every scenario under the 70% target") }, "\(reasons)")
        for reason in reasons { #expect(!reason.contains("target") || reason.contains("under the 70% target"), "\(reason)") }
    }

    @Test func aPolicyOfAnotherNetworkOrWithAPartialSplitIsRefusedAnEditedTopologyWarned() throws {
        let folder = Scratch.root.appendingPathComponent("flowcast-current-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let demoForecasts = "policies/examples/demo-forecasts.json", baseline = "policies/baseline/demo.json"
        func plan(_ topology: String, _ forecasts: String, current: String) throws -> FlowcastRun {
            try Fixtures.runFlowcast(["plan", "--topology", topology, "--forecasts", forecasts, "--current", current,
                                      "--churn", "0.5", "--out", folder.appendingPathComponent(UUID().uuidString + ".json").path])
        }
        // The demo's reviewed policy as the current one of the Abilene network: none of its
        // demands or cells is there.
        let empty = folder.appendingPathComponent("one.json").path
        try #"{"forecasts": [{"kind": "demand", "id": "od_0_1", "point": 1e8, "upper": 1.2e8, "source": "test"}]}"#
            .write(toFile: empty, atomically: true, encoding: .utf8)
        let foreign = try plan("captures/abilene/topology.yaml", empty, current: baseline)
        #expect(foreign.status == 1 && foreign.stderr.contains("\(baseline): a policy for another network")
                && foreign.stderr.contains("none of its 6 demands and 6 cells is in captures/abilene/topology.yaml"), "\(foreign.stderr)")
        // A split of 4: refused, naming the demand.
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: baseline))) as? [String: Any])
        var routing = object["routing"] as! [String: Any]
        var demands = routing["demands"] as! [[String: Any]]
        var paths = demands[0]["paths"] as! [[String: Any]]
        for i in paths.indices { paths[i]["weight"] = 1.0 }
        demands[0]["paths"] = paths
        routing["demands"] = demands
        object["routing"] = routing
        try ExportCLITests.routingLoads(&object)
        let partial = folder.appendingPathComponent("partial.json").path
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: URL(fileURLWithPath: partial))
        let split = try plan("captures/demo/topology.yaml", demoForecasts, current: partial)
        #expect(split.status == 1 && split.stderr.contains("$.routing.demands[0].paths: the weights of 'd-cell-1' sum to 4.0, not 1"), "\(split.stderr)")
        // The same network, its topology file edited since (a comment): planned, with a warning.
        let edited = folder.appendingPathComponent("topology.yaml").path
        let text = try String(contentsOfFile: "captures/demo/topology.yaml", encoding: .utf8)
        try ("# edited\n" + text.replacingOccurrences(of: "kpiSource: radio-cell-", with: "kpiSource: \(FileManager.default.currentDirectoryPath)/captures/demo/radio-cell-"))
            .write(toFile: edited, atomically: true, encoding: .utf8)
        let warned = try plan(edited, demoForecasts, current: baseline)
        #expect(warned.status == 0, "\(warned.stderr)")
        #expect(warned.stderr.contains("warning: \(baseline) was planned for another version of the topology")
                && warned.stderr.contains("0 of its demands and 0 of its cells are not in \(edited)"), "\(warned.stderr)")
        let same = try plan("captures/demo/topology.yaml", demoForecasts, current: baseline)
        #expect(same.status == 0 && !same.stderr.contains("another"), "\(same.stderr)")
    }
}

/// A link forecast is not an input of a plan (a link carries the demands the plan routes there):
/// one was ignored without a word, and is now named.
@Test func planSaysALinkForecastIsNotUsed() throws {
    let folder = Scratch.root.appendingPathComponent("flowcast-linkfc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "policies/examples/demo-forecasts.json"))) as? [String: Any])
    var forecasts = try #require(object["forecasts"] as? [[String: Any]])
    forecasts.append(["id": "l-s1-s2", "kind": "link", "point": 5e9, "upper": 6e9, "source": "hand-written"])
    object["forecasts"] = forecasts
    let path = folder.appendingPathComponent("f.json").path
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    let run = try Fixtures.runFlowcast(["plan", "--topology", "captures/demo/topology.yaml", "--forecasts", path,
                                        "--out", folder.appendingPathComponent("p.json").path])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stderr.contains("flowcast plan: warning: \(path): 1 link forecast not used (l-s1-s2): a plan puts on each link the demands it routes there"),
            "\(run.stderr)")
}
