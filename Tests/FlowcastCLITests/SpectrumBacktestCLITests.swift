import FlowcastTestSupport
import Foundation
import Testing

/// `flowcast backtest --radio-scenario` and `tools/make-radio-scenario.py`.
@Suite("spectrum backtest")
struct SpectrumBacktestCLITests {
    static func folder(_ name: String) throws -> URL {
        let url = Scratch.root.appendingPathComponent("flowcast-spectrum-\(name)-\(getpid())")
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A radio KPI log of `seconds` rows from 2020-01-01T00:00:00.
    static func log(seconds: Int, start: Int = 0) -> String {
        var text = "Timestamp,CQI,DL_bitrate\n"
        for t in start..<(start + seconds) {
            let m = t / 60, s = t % 60
            text += String(format: "2020.01.01_00.%02d.%02d,%d,%d\n", m, s, 5 + t % 10, 20_000 + (t * 7919) % 50_000)
        }
        return text
    }

    /// Two neighbouring cells, logs `cell-1.csv` and `cell-2.csv`.
    static func scenario(_ name: String, seconds: [Int] = [300, 300]) throws -> URL {
        let url = try folder(name)
        try """
        bands:
          - { id: n78, lowMHz: 3400, highMHz: 3410, blockMHz: 1 }
        cells:
          - { id: cell-1, band: n78, peakSpectralEfficiency: 5.5547, kpiSource: cell-1.csv, neighbours: [cell-2] }
          - { id: cell-2, band: n78, peakSpectralEfficiency: 5.5547, kpiSource: cell-2.csv, neighbours: [cell-1] }

        """.write(to: url.appendingPathComponent("topology.yaml"), atomically: true, encoding: .utf8)
        for (c, n) in seconds.enumerated() {
            try log(seconds: n).write(to: url.appendingPathComponent("cell-\(c + 1).csv"), atomically: true, encoding: .utf8)
        }
        return url
    }

    /// A next-second efficiency model (`train --target se`, no trees) of the scenario's cell-1 log, as `se.json` beside it.
    static func efficiencyModel(in url: URL) throws -> URL {
        let se = url.appendingPathComponent("se.json")
        let train = try Fixtures.runFlowcast(["train", "--series", url.appendingPathComponent("cell-1.csv").path, "--target", "se",
                                              "--out", se.path, "--trees", "0"])
        try #require(train.status == 0, "\(train.stderr)")
        return se
    }

    static func failsWithOneLine(_ arguments: [String], mentioning: String) throws {
        let run = try Fixtures.runFlowcast(["backtest"] + arguments)
        #expect(run.status != 0)
        let lines = run.stderr.split(separator: "\n").filter { !$0.hasPrefix("training") }
        #expect(lines.count == 1, "\(run.stderr)")
        #expect(run.stderr.contains(mentioning), "\(run.stderr)")
    }

    @Test func runsOnAHandMadeScenario() throws {
        let url = try Self.scenario("ok")
        let run = try Fixtures.runFlowcast(["backtest", "--radio-scenario", url.path, "--from", "120", "--plan-every", "30s", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let spectrum = try #require(json["spectrum"] as? [String: Any])
        #expect(spectrum["intervals"] as? Int == 6)
        let methods = try #require(spectrum["methods"] as? [[String: Any]])
        #expect(methods.compactMap { $0["name"] as? String } == ["flowcast", "oracle", "static", "lastInterval", "peakEfficiency"])
        let served = Dictionary(uniqueKeysWithValues: methods.map { ($0["name"] as! String, $0["servedFraction"] as! Double) })
        for (name, value) in served { #expect(served["oracle"]! >= value - 1e-9, "\(name)") }
        #expect(methods.first { $0["name"] as? String == "static" }?["blocksChangedPerInterval"] as? Double == 0)
        // Two neighbours that each want every block: every method gives each half, the oracle
        // too, so there is no gap to close, and none is claimed (it read 0).
        #expect(Set(methods.compactMap { $0["unmetFraction"] as? Double }).count == 1, "\(methods)")
        #expect(spectrum["gapClosed"] is NSNull, "\(spectrum)")
        let text = try Fixtures.runFlowcast(["backtest", "--radio-scenario", url.path, "--from", "120", "--plan-every", "30s"])
        #expect(text.stdout.contains("gap closed (best naive → oracle): – (the oracle leaves no less unmet than the best naive method)"),
                "\(text.stdout)")
    }

    /// `scenario.json` says what made the folder: when it is there it must describe this topology
    /// (a corrupt one, or one of another scenario beside these files, was scored without a word).
    @Test func aScenarioDescriptionOfAnotherScenarioIsRefused() throws {
        let url = try Self.scenario("described")
        let description = url.appendingPathComponent("scenario.json")
        let arguments = ["--radio-scenario", url.path, "--from", "120", "--plan-every", "30s", "--json"]
        try #"{"cells": 2, "blocks": 10, "blockMHz": 1, "users": [{"cell": "cell-1"}, {"cell": "cell-2"}]}"#
            .write(to: description, atomically: true, encoding: .utf8)
        #expect(try Fixtures.runFlowcast(["backtest"] + arguments).status == 0)
        try #"{"cells": 3, "blocks": 10, "blockMHz": 1}"#.write(to: description, atomically: true, encoding: .utf8)
        try Self.failsWithOneLine(arguments, mentioning: "scenario.json: describes 3 cells, but topology.yaml has 2; the folder's files are not one scenario")
        try #"{"cells": 2, "blocks": 30, "blockMHz": 2.5, "users": [{"cell": "cell-9"}]}"#.write(to: description, atomically: true, encoding: .utf8)
        try Self.failsWithOneLine(arguments, mentioning: "scenario.json: describes 30 blocks, but band 'n78' has 10 (and 2 more differences from the folder)")
        try #"{"cells": 7,"#.write(to: description, atomically: true, encoding: .utf8)
        try Self.failsWithOneLine(arguments, mentioning: "scenario.json: not valid JSON at line 1, column")
        // The keys the script always writes must be there, as numbers (a review found {} and
        // "cells": "4" scored without a word).
        for text in [#"{}"#, #"{"cells": "2", "blocks": 10, "blockMHz": 1}"#, #"{"cells": 2, "blocks": 10, "blockMHz": null}"#] {
            try text.write(to: description, atomically: true, encoding: .utf8)
            try Self.failsWithOneLine(arguments, mentioning: "scenario.json: '")
        }
        try FileManager.default.removeItem(at: description)
        try FileManager.default.createDirectory(at: description, withIntermediateDirectories: false)
        try Self.failsWithOneLine(arguments, mentioning: "scenario.json: a folder, not the scenario's description")
    }

    @Test func missingFolderOrTopology() throws {
        try Self.failsWithOneLine(["--radio-scenario", "/nonexistent/scenario"], mentioning: "/nonexistent/scenario")
        let empty = try Self.folder("empty")
        try Self.failsWithOneLine(["--radio-scenario", empty.path], mentioning: "topology.yaml: missing")
    }

    @Test func missingCellLog() throws {
        let url = try Self.scenario("missing")
        try FileManager.default.removeItem(at: url.appendingPathComponent("cell-2.csv"))
        try Self.failsWithOneLine(["--radio-scenario", url.path, "--from", "120"], mentioning: "cell-2.csv")
    }

    /// --from near Int.max: `from + every` overflowed (a crash) before it was compared with the logs.
    @Test func fromBeyondTheLogs() throws {
        let url = try Self.scenario("beyond")
        for from in ["9223372036854775807", "300"] {
            try Self.failsWithOneLine(["--radio-scenario", url.path, "--from", from], mentioning: "leaves no whole 60 s interval to plan")
        }
    }

    @Test func mismatchedLogs() throws {
        let url = try Self.scenario("mismatch", seconds: [300, 280])
        try Self.failsWithOneLine(["--radio-scenario", url.path, "--from", "120"], mentioning: "cell-2.csv: 280 seconds")
    }

    @Test func notARadioLog() throws {
        let url = try Self.scenario("notradio")
        try "t,x\n0,1\n1,2\n".write(to: url.appendingPathComponent("cell-1.csv"), atomically: true, encoding: .utf8)
        try Self.failsWithOneLine(["--radio-scenario", url.path, "--from", "120"], mentioning: "cell-1.csv")
    }

    @Test func modelForTheWrongHorizon() throws {
        let url = try Self.scenario("horizon")
        // A model trained on 5-minute steps.
        var wide = "time,a\n"
        for i in 0..<400 { wide += "\(1_600_000_000 + i * 300),\(100 + (i * 37) % 50)\n" }
        let series = url.appendingPathComponent("wide.csv"), model = url.appendingPathComponent("m.json")
        try wide.write(to: series, atomically: true, encoding: .utf8)
        let train = try Fixtures.runFlowcast(["train", "--series", series.path, "--out", model.path, "--trees", "0"])
        try #require(train.status == 0, "\(train.stderr)")
        try Self.failsWithOneLine(["--radio-scenario", url.path, "--from", "120", "--model-demand", model.path],
                                  mentioning: "m.json: the demand model was trained on 300 s steps")
        try Self.failsWithOneLine(["--radio-scenario", url.path, "--from", "120", "--model-se", model.path],
                                  mentioning: "m.json: the efficiency model was trained on 300 s steps")
    }

    /// An efficiency model beside a sizing that sizes efficiency from the observed seconds (the
    /// default reg-N among them) changed nothing, and said nothing: now it says so, and only there.
    @Test func anEfficiencyModelTheSizingDoesNotUseIsSaid() throws {
        let url = try Self.scenario("model-se")
        let se = try Self.efficiencyModel(in: url)
        let common = ["backtest", "--radio-scenario", url.path, "--from", "120", "--plan-every", "30s", "--model-se", se.path, "--json"]
        let unused = try Fixtures.runFlowcast(common)
        #expect(unused.status == 0, "\(unused.stderr)")
        #expect(unused.stderr.contains("warning: --model-se \(se.path) is not used by --sizing reg-1800"), "\(unused.stderr)")
        let used = try Fixtures.runFlowcast(common + ["--sizing", "quantile"])
        #expect(used.status == 0 && !used.stderr.contains("is not used by --sizing"), "\(used.stderr)")
    }

    /// A model for the other target (its file records it): a bit/s/Hz model taken for demand
    /// was accepted and scored, and the reverse.
    @Test func modelForTheWrongTarget() throws {
        let url = try Self.scenario("target")
        let se = try Self.efficiencyModel(in: url)
        try Self.failsWithOneLine(["--radio-scenario", url.path, "--from", "120", "--model-demand", se.path],
                                  mentioning: "se.json: the demand model forecasts --target se, not --target dl")
        // Checked before any work: a wrong --model-se was said after a demand model was trained.
        let dl = url.appendingPathComponent("dl.json")
        #expect(try Fixtures.runFlowcast(["train", "--series", url.appendingPathComponent("cell-1.csv").path, "--target", "dl",
                                          "--out", dl.path, "--trees", "0"]).status == 0)
        let wrong = try Fixtures.runFlowcast(["backtest", "--radio-scenario", url.path, "--from", "120", "--model-se", dl.path, "--sizing", "quantile"])
        #expect(wrong.status != 0 && wrong.stderr.contains("dl.json: the efficiency model forecasts --target dl, not --target se")
                && !wrong.stderr.contains("training"), "\(wrong.stderr)")
        // A model trained on every second of the scenario's logs, scored from --from 120: said.
        let leak = try Fixtures.runFlowcast(["backtest", "--radio-scenario", url.path, "--from", "120", "--model-se", se.path, "--sizing", "quantile"])
        #expect(leak.status == 0 && leak.stderr.contains("was trained on \(url.appendingPathComponent("cell-1.csv").path) (all its rows); scored from row 120"),
                "\(leak.stderr)")
    }

    /// Values no cell carries are refused at their line, as the log reader refuses them for train
    /// and evaluate too (negative ones were read as 0, 1e15 made every method leave all demand
    /// unmet, a log of only '-' scored a perfect 1.0 served);
    /// seconds the reader filled are said, not silently scored.
    @Test func unusableOrFilledSecondsAreReported() throws {
        let url = try Self.scenario("values")
        let cell2 = url.appendingPathComponent("cell-2.csv")
        let good = Self.log(seconds: 300)
        func rewrite(_ edit: (inout [String]) -> Void) throws {
            var lines = good.split(separator: "\n").map(String.init)
            edit(&lines)
            try (lines.joined(separator: "\n") + "\n").write(to: cell2, atomically: true, encoding: .utf8)
        }
        try rewrite { $0[11] = "2020.01.01_00.00.10,7,-5000" }
        try Self.failsWithOneLine(["--radio-scenario", url.path, "--from", "120"], mentioning: "cell-2.csv:12: column 'DL_bitrate': -5000 is out of range (a downlink bitrate is 0 to 1,000,000,000 kbit/s)")
        try rewrite { $0[21] = "2020.01.01_00.00.20,7,1e15" }
        try Self.failsWithOneLine(["--radio-scenario", url.path, "--from", "120"], mentioning: "cell-2.csv:22: column 'DL_bitrate': 1e15 is out of range (a downlink bitrate is 0 to 1,000,000,000 kbit/s)")
        try rewrite { lines in for i in 1..<lines.count { lines[i] = lines[i].split(separator: ",").prefix(2).joined(separator: ",") + ",-" } }
        try Self.failsWithOneLine(["--radio-scenario", url.path, "--from", "120"], mentioning: "cell-2.csv: no DL_bitrate value in any second")
        try rewrite { $0[31] = "2020.01.01_00.00.30,7,-" }
        let run = try Fixtures.runFlowcast(["backtest", "--radio-scenario", url.path, "--from", "120", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("warning: \(cell2.path): 1 second without DL_bitrate (each takes the second before it)"), "\(run.stderr)")
        // A second logged twice is averaged, not carried (it read "(each takes the second before it)" too).
        try rewrite { $0.insert($0[41], at: 41) }
        let twice = try Fixtures.runFlowcast(["backtest", "--radio-scenario", url.path, "--from", "120", "--json"])
        #expect(twice.status == 0, "\(twice.stderr)")
        #expect(twice.stderr.contains("warning: \(cell2.path): 1 second logged twice (averaged)\n"), "\(twice.stderr)")
    }

    /// Too few seconds before --from to train on: the message names --from (the trainer's own
    /// names --until, which backtest does not take).
    @Test func tooLittleHistoryNamesFrom() throws {
        let url = try Self.scenario("short")
        try Self.failsWithOneLine(["--radio-scenario", url.path, "--from", "30", "--plan-every", "30s"],
                                  mentioning: "too little data before --from 30 to train the demand model")
    }

    /// The seconds after the last whole interval are said to be unscored (they were dropped
    /// without a word): 300 s from 120 in 50 s intervals are three, and 270–299 are left.
    @Test func unscoredSecondsAreSaid() throws {
        let url = try Self.scenario("rest")
        let run = try Fixtures.runFlowcast(["backtest", "--radio-scenario", url.path, "--from", "120", "--plan-every", "50s"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("3 intervals of 50 s from second 120 (seconds 270–299, less than an interval, not scored);"), "\(run.stdout)")
    }

    /// One interval changes nothing a mean could count: it read 0.00 for every method.
    @Test func oneIntervalHasNoChangeRate() throws {
        let url = try Self.scenario("one")
        let text = try Fixtures.runFlowcast(["backtest", "--radio-scenario", url.path, "--from", "150", "--plan-every", "150s"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.hasPrefix("1 interval of 150 s from second 150"), "\(text.stdout)")
        let rows = text.stdout.split(separator: "\n").filter { ["flowcast", "oracle", "static"].contains($0.split(separator: " ").first ?? "") }
        #expect(rows.count == 3 && rows.allSatisfy { $0.hasSuffix("   –") }, "\(text.stdout)")
        let json = try Fixtures.runFlowcast(["backtest", "--radio-scenario", url.path, "--from", "150", "--plan-every", "150s", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let methods = (object["spectrum"] as! [String: Any])["methods"] as! [[String: Any]]
        #expect(methods.count == 5 && methods.allSatisfy { $0["blocksChangedPerInterval"] is NSNull }, "\(methods)")
    }

    @Test func fromLeavesNoInterval() throws {
        let url = try Self.scenario("late")
        try Self.failsWithOneLine(["--radio-scenario", url.path, "--from", "290"], mentioning: "no whole 60 s interval")
    }

    static let traces: URL? = Fixtures.shared.map { $0.appendingPathComponent("data/radio-5g/traces") }
        .flatMap { FileManager.default.fileExists(atPath: $0.path) ? $0 : nil }

    /// A log saved with a byte order mark is read (the script said "no Timestamp column", where
    /// flowcast reads the same file), and traces whose users demand nothing make no scenario (one
    /// of a 0.001 MHz block whose backtest read as perfect).
    @Test func scenarioScriptTakesABOMAndRefusesNoDemand() throws {
        let folder = try Self.folder("script-edge")
        func log(_ name: String, bom: Bool, rate: (Int) -> Int) throws -> String {
            var text = (bom ? "\u{FEFF}" : "") + "Timestamp,CQI,DL_bitrate\n"
            for t in 0..<900 {
                text += String(format: "2020.01.01_10.%02d.%02d,%d,%d\n", t / 60, t % 60, 7 + t % 5, rate(t))
            }
            let path = folder.appendingPathComponent(name).path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
        let script = Fixtures.repositoryRoot.appendingPathComponent("tools/make-radio-scenario.py").path
        let bom = try log("bom.csv", bom: true) { t in 2000 + 1500 * (t % 7) }
        let made = try ChildProcess.run("/usr/bin/env", ["python3", script, "--traces", bom, "--out", folder.appendingPathComponent("a").path,
                                                         "--cells", "3", "--users", "2", "--seconds", "600"])
        #expect(made.status == 0, "\(made.stderr)")
        let zero = try log("zero.csv", bom: false) { _ in 0 }
        let refused = try ChildProcess.run("/usr/bin/env", ["python3", script, "--traces", zero, "--out", folder.appendingPathComponent("b").path,
                                                            "--cells", "3", "--users", "2", "--seconds", "600"])
        #expect(refused.status == 1)
        #expect(refused.stderr == "make-radio-scenario: the traces' users demand nothing over --seconds (DL_bitrate is 0 or missing throughout): "
                + "no load to plan for\n", "\(refused.stderr)")
    }

    /// Two seeds at one `--block-mhz` agree on every count `scenario.json` gives; an audit's folder of
    /// one seed's topology and another seed's cell log was scored without a word. The script now
    /// writes the digest of every file, and the backtest checks them.
    @Test("a scenario folder holding another run's cell log or topology is refused by its digests in scenario.json")
    func filesOfTwoScenariosMixedAreRefused() throws {
        let folder = try Self.folder("mixed-seeds")
        var text = "Timestamp,CQI,DL_bitrate\n"
        for t in 0..<900 { text += String(format: "2020.01.01_10.%02d.%02d,%d,%d\n", t / 60, t % 60, 5 + t % 9, 1000 + 700 * ((t * 7) % 11)) }
        let log = folder.appendingPathComponent("trace.csv")
        try Data(text.utf8).write(to: log)
        var other = "Timestamp,CQI,DL_bitrate\n"
        for t in 0..<900 { other += String(format: "2020.01.01_11.%02d.%02d,%d,%d\n", t / 60, t % 60, 3 + t % 12, 4000 + 900 * ((t * 5) % 13)) }
        let log2 = folder.appendingPathComponent("trace2.csv")
        try Data(other.utf8).write(to: log2)
        let script = Fixtures.repositoryRoot.appendingPathComponent("tools/make-radio-scenario.py").path
        for seed in ["1", "2"] {
            let made = try ChildProcess.run("/usr/bin/env", ["python3", script, "--traces", log.path, log2.path, "--out", folder.appendingPathComponent(seed).path,
                                                             "--cells", "3", "--users", "2", "--seconds", "600", "--seed", seed, "--block-mhz", "0.5"])
            try #require(made.status == 0, "\(made.stderr)")
        }
        let one = folder.appendingPathComponent("1")
        let arguments = ["--radio-scenario", one.path, "--from", "300", "--plan-every", "60s", "--json"]
        let whole = try Fixtures.runFlowcast(["backtest"] + arguments)
        #expect(whole.status == 0, "\(whole.stderr)")
        let theirs = try Data(contentsOf: folder.appendingPathComponent("2/cell-2.csv"))
        try #require(theirs != (try Data(contentsOf: one.appendingPathComponent("cell-2.csv"))), "the seeds must differ for the test to mean anything")
        let ours = try Data(contentsOf: one.appendingPathComponent("cell-2.csv"))
        try FileManager.default.copyItem(at: one.appendingPathComponent("topology.yaml"), to: folder.appendingPathComponent("1-topology.yaml.kept"))
        try theirs.write(to: one.appendingPathComponent("cell-2.csv"))
        try Self.failsWithOneLine(arguments, mentioning: "scenario.json: describes cell-2.csv as sha256:")
        try Self.failsWithOneLine(arguments, mentioning: "…; the folder's files are not one scenario")
        try ours.write(to: one.appendingPathComponent("cell-2.csv"))
        try FileManager.default.removeItem(at: one.appendingPathComponent("topology.yaml"))
        try FileManager.default.copyItem(at: folder.appendingPathComponent("2/topology.yaml"), to: one.appendingPathComponent("topology.yaml"))
        try Self.failsWithOneLine(arguments, mentioning: "scenario.json: describes topology.yaml as sha256:")
        // A log that is missing or does not parse is said as such, not as a digest that differs
        // (an audit: the digest hid the line at fault).
        try FileManager.default.removeItem(at: one.appendingPathComponent("topology.yaml"))
        try FileManager.default.copyItem(at: folder.appendingPathComponent("1-topology.yaml.kept"), to: one.appendingPathComponent("topology.yaml"))
        try FileManager.default.removeItem(at: one.appendingPathComponent("cell-3.csv"))
        try Self.failsWithOneLine(arguments, mentioning: "cell-3.csv: no such file or folder")
        let cut = Data(ours.prefix(ours.count / 2)) + Data("2020.01.01_00.05.00,7,x\n".utf8)
        try cut.write(to: one.appendingPathComponent("cell-2.csv"))
        let run = try Fixtures.runFlowcast(["backtest"] + arguments)
        #expect(run.status != 0 && run.stderr.contains("cell-2.csv:") && !run.stderr.contains("sha256"), "\(run.stderr)")
    }

    @Test(.enabled(if: traces != nil)) func scenarioScriptMakesAValidTopologyAndAlignedLogs() throws {
        let base = try #require(Self.traces)
        let files = ["Download/Static/B_2020.02.13_13.57.29.csv", "Netflix/Driving/Season3-StrangerThings/B_2019.11.25_15.34.34.csv",
                     "Amazon_Prime/Driving/Season3-TheExpanse/B_2019.12.01_12.11.21.csv"].map { base.appendingPathComponent($0).path }
        for file in files { try #require(FileManager.default.fileExists(atPath: file), "\(file)") }
        var outputs: [[String: Data]] = []
        for name in ["a", "b"] {
            let out = try Self.folder("script-\(name)")
            let script = try ChildProcess.run("/usr/bin/env", ["python3", Fixtures.repositoryRoot.appendingPathComponent("tools/make-radio-scenario.py").path,
                                                               "--traces"] + files + ["--out", out.path, "--cells", "4", "--users", "5",
                                                                                      "--seconds", "900", "--seed", "3"])
            try #require(script.status == 0, "\(script.stderr)")
            let check = try Fixtures.runFlowcast(["topology", "check", out.appendingPathComponent("topology.yaml").path])
            #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
            var contents: [String: Data] = [:]
            for file in try FileManager.default.contentsOfDirectory(atPath: out.path) {
                contents[file] = try Data(contentsOf: out.appendingPathComponent(file))
            }
            for c in 1...4 {
                let text = String(decoding: try #require(contents["cell-\(c).csv"]), as: UTF8.self)
                #expect(text.split(separator: "\n").count == 901, "cell-\(c).csv")
            }
            outputs.append(contents)
            if name == "a" {
                let run = try Fixtures.runFlowcast(["backtest", "--radio-scenario", out.path, "--from", "600", "--json"])
                #expect(run.status == 0, "\(run.stderr)")
                #expect(run.stdout.contains("\"intervals\":5"), "\(run.stdout)")
            }
        }
        #expect(outputs[0] == outputs[1], "the same seed must give the same files")
        // Block counts whose band edge needs more than six significant digits (31 blocks of
        // 10.573 MHz end at 3727.763 MHz; it was written 3727.76, and flowcast refused the band).
        for blocks in ["31", "32"] {
            let out = try Self.folder("script-blocks-\(blocks)")
            let script = try ChildProcess.run("/usr/bin/env", ["python3", Fixtures.repositoryRoot.appendingPathComponent("tools/make-radio-scenario.py").path,
                                                               "--traces"] + files + ["--out", out.path, "--cells", "4", "--users", "5",
                                                                                      "--seconds", "900", "--seed", "3", "--blocks", blocks])
            try #require(script.status == 0, "\(script.stderr)")
            let check = try Fixtures.runFlowcast(["topology", "check", out.appendingPathComponent("topology.yaml").path])
            #expect(check.status == 0, "--blocks \(blocks): \(check.stdout)\(check.stderr)")
        }
    }
}
