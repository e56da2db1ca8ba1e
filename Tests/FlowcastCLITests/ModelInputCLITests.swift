import FlowcastTestSupport
import Foundation
import Testing

/// Bad input to `train` and `evaluate`, as a user meets it: one line naming the file or option,
/// a non-zero exit, never a silently wrong result.
@Suite("Model input on the command line")
struct ModelInputCLITests {
    func temporaryFolder() throws -> URL {
        let url = Scratch.root.appendingPathComponent("flowcast-model-input-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A next-row and a 60 s interval model of the demo's radio KPI logs (`--target se`), trained in
    /// `folder`: their paths.
    static func spectralEfficiencyModels(in folder: URL) throws -> (next: String, interval: String) {
        let next = folder.appendingPathComponent("se.json").path, interval = folder.appendingPathComponent("se60.json").path
        let logs = ["captures/demo/radio-cell-1.csv", "captures/demo/radio-cell-2.csv"]
        for (out, extra) in [(next, [String]()), (interval, ["--horizon", "60s"])] {
            let trained = try Fixtures.runFlowcast(["train"] + logs.flatMap { ["--series", $0] } + ["--target", "se", "--out", out] + extra)
            #expect(trained.status == 0, "\(trained.stderr)")
        }
        return (next, interval)
    }

    /// A wide CSV of one series with a 5-minute step and a daily wave.
    func series(rows: Int = 600, header: String = "t") -> String {
        var lines = ["\(header),x"]
        for t in 0..<rows { lines.append("\(t * 300),\(100 + 30 * sin(Double(t) * 2 * .pi / 288) + Double(t % 7))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A model of radio KPI logs forecasts a radio quantity; an audit ran a 5G spectral-efficiency
    /// model on Abilene and got two warnings, then full figures (and a backtest planned on them).
    @Test("a model trained on radio KPI logs, used on series that are not, is refused in one line (evaluate, with and without --horizon, and backtest)")
    func radioModelOnOtherSeries() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (next, interval) = try Self.spectralEfficiencyModels(in: folder)
        let abilene = "data/abilene/link_load_ospf_public.csv"
        // A series of one row a second, so a 60 s horizon is whole rows of it (Abilene's are 300 s).
        let perSecond = folder.appendingPathComponent("seconds.csv")
        try Data((["t,x"] + (0..<900).map { "\($0),\(100 + $0 % 17)" }).joined(separator: "\n").utf8).write(to: perSecond)
        let runs = [
            (try Fixtures.runFlowcast(["evaluate", "--model", next, "--series", abilene, "--from", "3000"]), next,
             Fixtures.repositoryRoot.appendingPathComponent(abilene).path),
            (try Fixtures.runFlowcast(["evaluate", "--model", interval, "--series", perSecond.path, "--from", "600", "--horizon", "60s"]), interval,
             perSecond.path),
            (try Fixtures.runFlowcast(["backtest", "--topology", "captures/abilene/topology.yaml", "--series", "data/abilene/od_tm_public.csv",
                                       "--from", "3000", "--model", next]), next, Fixtures.repositoryRoot.appendingPathComponent("data/abilene/od_tm_public.csv").path),
        ]
        for (i, (run, path, series)) in runs.enumerated() {
            #expect(run.status == 1, "\(i): \(run.stderr)")
            // The series file as the reader names it (its absolute path).
            #expect(run.stderr.contains("\(path): the model forecasts spectral efficiency of radio KPI logs (--target se), and "
                                        + "\(series) is not one; train a model on these series"),
                    "\(i): \(run.stderr)")
        }
    }

    /// `--model` of the planners forecasts cells' and links' traffic. An audit gave `replay
    /// --plan-every` a 5G model there: a warning about covariates, then every plan sized on it.
    @Test("replay --plan-every and plan --series refuse a model of radio KPI logs as --model, next-row or interval, and say where it goes")
    func radioModelAsDemandModel() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (next, interval) = try Self.spectralEfficiencyModels(in: folder)
        for model in [next, interval] {
            let out = folder.appendingPathComponent("run-\(UUID().uuidString)")
            let replay = try Fixtures.runFlowcast(["replay", "captures/demo/demo.pcapng", "--topology", "captures/demo/topology.yaml",
                                                   "--window", "10s", "--plan-every", "60s", "--model", model, "--out", out.path])
            #expect(replay.status == 2, "\(replay.stderr)")
            #expect(replay.stderr.contains("\(model): the model forecasts spectral efficiency of radio KPI logs (--target se), not the "
                                           + "traffic of cells and links that --model forecasts; give it as --efficiency-model"), "\(replay.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("policies").path))
        }
        let plan = try Fixtures.runFlowcast(["plan", "--topology", "captures/abilene/topology.yaml", "--series", "data/abilene/od_tm_public.csv",
                                             "--at", "3000", "--model", next, "--out", folder.appendingPathComponent("plan").path])
        #expect(plan.status != 0, "\(plan.stderr)")
        #expect(plan.stderr.contains("\(next): the model forecasts spectral efficiency of radio KPI logs"), "\(plan.stderr)")
    }

    /// `--forecasts` replaces what is at its path: an audit's pointed at its own --series, which
    /// was replaced by the forecasts without a word.
    @Test("--forecasts naming an input (the same file by another path) is a usage error; the input is untouched")
    func forecastsOverAnInput() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("series.csv")
        try Data(series().utf8).write(to: input)
        let run = try Fixtures.runFlowcast(["evaluate", "--model", "model.json", "--series", input.path, "--from", "500",
                                            "--forecasts", folder.path + "/./series.csv"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("--forecasts \(folder.path)/./series.csv is also an input (\(input.path)); write the forecasts to another file"),
                "\(run.stderr)")
        #expect(try String(contentsOf: input, encoding: .utf8) == series())
    }

    /// The model audit: an empty folder read "no series has an observed value at row 0"; an --until
    /// past every series' end was taken silently, holding nothing back.
    @Test("an empty series folder is said to hold no series; an --until past the end is a warning")
    func emptyFolderAndUntilPastTheEnd() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let empty = folder.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let run = try Fixtures.runFlowcast(["evaluate", "--model", "captures/demo/model.json", "--series", empty.path, "--from", "0"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("\(empty.path): no series file (an empty folder?)"), "\(run.stderr)")
        let file = folder.appendingPathComponent("s.csv")
        try Data(series(rows: 300).utf8).write(to: file)
        let trained = try Fixtures.runFlowcast(["train", "--series", file.path, "--until", "5000", "--out", folder.appendingPathComponent("m.json").path])
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stderr.contains("warning: --until 5000 is at or past the end of every series (the longest has 300 rows): "
                                        + "every row is trained on, none held back"), "\(trained.stderr)")
    }

    @Test("--learning-rate, --ridge and --patience outside their ranges are usage errors naming the option")
    func trainingOptionsOutOfRange() throws {
        let base = ["train", "--series", "data/abilene/link_load_ospf_public.csv", "--horizon", "60m", "--out", "/nonexistent/model.json"]
        let cases: [([String], String)] = [
            (["--learning-rate", "nan"], "--learning-rate must be above 0 and at most 1, found nan"),
            (["--learning-rate", "0"], "--learning-rate must be above 0 and at most 1, found 0.0"),
            (["--learning-rate", "1.5"], "--learning-rate must be above 0 and at most 1, found 1.5"),
            (["--ridge=-1"], "--ridge must be a finite penalty of 0 or more, found -1.0"),
            (["--ridge", "inf"], "--ridge must be a finite penalty of 0 or more, found inf"),
            (["--patience=-3"], "--patience must be 0 or more, found -3"),
        ]
        for (options, message) in cases {
            let run = try Fixtures.runFlowcast(base + options)
            #expect(run.status == 64 && run.stderr.contains(message), "\(options): \(run.stderr)")
        }
    }

    @Test("interval-model options without --horizon, and a covariate name train does not know, are usage errors (they were ignored)")
    func ignoredTrainingOptions() throws {
        let base = ["train", "--series", "data/abilene/link_load_ospf_public.csv", "--out", "/nonexistent/model.json"]
        let cases: [([String], String)] = [
            (["--learning-rate", "0.5"], "--learning-rate needs --horizon (it shapes interval models only)"),
            (["--no-linear"], "--no-linear needs --horizon"),
            (["--origin-stride", "5"], "--origin-stride needs --horizon"),
            (["--without-covariate", "CQI"], "--without-covariate 'CQI' is not one of cqi, rsrp, snr, rsrq, state, speed"),
            (["--without-covariate", "bogus"], "--without-covariate 'bogus' is not one of"),
        ]
        for (options, message) in cases {
            let run = try Fixtures.runFlowcast(base + options)
            #expect(run.status == 64 && run.stderr.contains(message), "\(options): \(run.stderr)")
        }
    }

    @Test("a --horizon as long as the series says so, not 'too little data … check --until'")
    func horizonLongerThanTheSeries() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("cell.csv").path
        // A radio KPI log of 300 one-second rows.
        var log = "Timestamp,CQI,DL_bitrate\n"
        for t in 0..<300 {
            let cqi = 5 + t % 10, rate = 20_000 + t * 7
            log += String(format: "2020.01.01_00.%02d.%02d,%d,%d\n", t / 60, t % 60, cqi, rate)
        }
        try log.write(toFile: path, atomically: true, encoding: .utf8)
        let run = try Fixtures.runFlowcast(["train", "--series", path, "--horizon", "300s", "--out", folder.appendingPathComponent("m.json").path])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("--horizon 300 s is not shorter than the longest series (\(path): 300 s)"), "\(run.stderr)")
        #expect(!run.stderr.contains("--until"))
    }

    @Test("a file of a folder that is not a series is named with why on stderr and counted")
    func skippedFilesAreListed() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try series().write(to: folder.appendingPathComponent("a.csv"), atomically: true, encoding: .utf8)
        try series().write(to: folder.appendingPathComponent("b.csv"), atomically: true, encoding: .utf8)
        try series(header: "Timestmp").write(to: folder.appendingPathComponent("c.csv"), atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("m.json").path
        let run = try Fixtures.runFlowcast(["train", "--series", folder.path, "--trees", "0", "--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("warning: \(folder.path)/c.csv: skipped, not a series file: line 1: no time column") }, "\(run.stderr)")
        #expect(lines.contains { $0.hasPrefix("read 2 files, 1200 rows") && $0.hasSuffix("; skipped 1 file that is not series") }, "\(run.stderr)")
    }

    @Test("a model file out of range is refused by evaluate, naming the file and the JSON path")
    func outOfRangeModelIsRefused() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var object = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("captures/demo/model.json"))) as! [String: Any]
        var baselines = object["baselines"] as! [String: Any]
        baselines["holtWintersAlpha"] = 1e308
        object["baselines"] = baselines
        let model = folder.appendingPathComponent("m.json").path
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: model))
        let data = folder.appendingPathComponent("a.csv")
        try series().write(to: data, atomically: true, encoding: .utf8)
        let run = try Fixtures.runFlowcast(["evaluate", "--model", model, "--series", data.path, "--from", "300", "--json"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("\(model): $.baselines.holtWintersAlpha: must be a smoothing factor in (0, 1], found 1e+308"), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test("train --out in a missing folder names the file given, not its temporary")
    func outInAMissingFolder() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("a.csv")
        try series().write(to: data, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("missing/dir/m.json").path
        let run = try Fixtures.runFlowcast(["train", "--series", data.path, "--trees", "0", "--out", out])
        #expect(run.status == 1)
        #expect(run.stderr.contains("\(out): cannot write model: "), "\(run.stderr)")
        #expect(!run.stderr.contains(".partial"), "\(run.stderr)")
    }
}
