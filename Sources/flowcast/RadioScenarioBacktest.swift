import FlowcastCore
import FlowcastModel
import FlowcastPipeline
import FlowcastPolicy
import FlowcastTopology
import Foundation

/// A scenario folder of `tools/make-radio-scenario.py`: `topology.yaml` and one radio KPI log
/// per cell (`kpiSource`), all covering the same seconds, and the script's `scenario.json` (what
/// made it), which is optional but, when there, must describe this topology.
struct RadioScenario {
    let topology: Topology
    let truth: RadioTruth
    /// Each cell's log read as downlink bitrate (Mbit/s) and as spectral efficiency.
    let demandSets: [SeriesSet]
    let efficiencySets: [SeriesSet]

    static func load(folder: String) throws -> RadioScenario {
        let path = URL(fileURLWithPath: folder).appendingPathComponent("topology.yaml").path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw CommandFailure(message: "\(folder): no such scenario folder")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure(message: "\(path): missing (a radio scenario folder holds topology.yaml and one radio KPI log per cell)")
        }
        let topology: Topology
        do { topology = try Topology(contentsOfFile: path) } catch {
            let first = error.problems.first.map { "\($0)" } ?? "\(path): invalid topology"
            throw CommandFailure(message: first + (error.problems.count > 1 ? " (and \(error.problems.count - 1) more problems)" : ""))
        }
        guard !topology.cells.isEmpty else { throw CommandFailure(message: "\(path): no cells") }
        let description = try checkDescription(folder: folder, topology: topology)
        var demandSets: [SeriesSet] = [], efficiencySets: [SeriesSet] = []
        var demand: [[Double]] = [], efficiency: [[Double]] = []
        for cell in topology.cells {
            guard let log = cell.kpiSource else {
                throw CommandFailure(message: "\(path): cell '\(cell.id)' has no kpiSource (a radio scenario needs one radio KPI log per cell)")
            }
            let table = cell.cqiTable.flatMap(CQITable.init(rawValue:)) ?? .table1
            let url = URL(fileURLWithPath: log)
            let dl = try SeriesReader.read(file: url, options: SeriesReadOptions(radioTarget: .downlinkBitrate, cqiTable: table))
            guard dl.radioTarget != nil, let values = dl.series.first?.values else {
                throw CommandFailure(message: "\(log): not a radio KPI log (Timestamp, CQI and DL_bitrate columns), named by cell '\(cell.id)'")
            }
            let se = try SeriesReader.read(file: url, options: SeriesReadOptions(radioTarget: .spectralEfficiency, cqiTable: table))
            // Before the seconds are compared: a log cut short says so first.
            if let warning = dl.cutWarning { printError(warning) }
            if let first = demandSets.first {
                guard dl.startTime == first.startTime, values.count == first.series[0].values.count else {
                    // Both logs named, neither blamed: the first is not the right one by being first.
                    func span(_ set: SeriesSet, _ n: Int) -> String {
                        "\(n) seconds from " + (set.startTime.map { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: $0)) } ?? "an unknown time")
                    }
                    throw CommandFailure(message: "\(log): \(span(dl, values.count)), but \(first.source) has "
                        + "\(span(first, first.series[0].values.count)) (every cell's log must cover the same seconds)")
                }
            }
            if let problem = Self.problem(values, log: log, what: "DL_bitrate", unit: "Mbit/s", bound: Self.maximumMbitPerSecond)
                ?? Self.problem(se.series[0].values, log: log, what: "CQI", unit: "bit/s/Hz", bound: .infinity) {
                throw CommandFailure(message: problem)
            }
            func seconds(_ n: Int, _ what: String) -> String? { n > 0 ? "\(n) second\(n == 1 ? "" : "s") \(what)" : nil }
            // "each takes the second before it" is said of the seconds without a value only: a
            // second logged twice is averaged (it read as if carried too, an audit).
            let carriedOver = [seconds(dl.report.missingValues, "without DL_bitrate"), seconds(se.report.missingValues, "without CQI"),
                               seconds(dl.report.gapRows, "missing from the log")].compactMap { $0 }
            let regularised = (carriedOver.isEmpty ? [] : [carriedOver.joined(separator: ", ") + " (each takes the second before it)"])
                + [seconds(dl.report.duplicateRows, "logged twice (averaged)")].compactMap { $0 }
            if !regularised.isEmpty {
                printError("warning: \(log): " + regularised.joined(separator: ", "))
            }
            demandSets.append(dl)
            efficiencySets.append(se)
            demand.append(carried(values).map { $0 * 1e6 })
            efficiency.append(carried(se.series[0].values))
        }
        // The digests last: a log that is missing or does not parse is said as such (it was said
        // only as a digest that differs, an audit), and one that parses but is another scenario's
        // by its digest.
        try checkDigests(description, folder: folder)
        return RadioScenario(topology: topology, truth: RadioTruth(demand: demand, efficiency: efficiency),
                             demandSets: demandSets, efficiencySets: efficiencySets)
    }

    /// A cell's downlink no real cell carries, Mbit/s: 1 Tbit/s. One logged value of 1e15 made
    /// every method's unmet demand 0.99999.
    static let maximumMbitPerSecond = 1e6

    /// Why a cell log's series cannot be scored: no value at all (every DL_bitrate '-' scored a
    /// perfect 1.0 served), or a value negative, infinite or beyond `bound` (negative ones were
    /// read as 0), with the second it is at. Nil when usable.
    static func problem(_ values: [Double], log: String, what: String, unit: String, bound: Double) -> String? {
        guard values.contains(where: { !$0.isNaN }) else { return "\(log): no \(what) value in any second" }
        guard let bad = values.firstIndex(where: { !$0.isNaN && !($0 >= 0 && $0 <= bound) }) else { return nil }
        let limit = bound.isFinite ? " and at most \(bound.formatted()) \(unit)" : ""
        return "\(log): second \(bad) of the log: \(what) gives \(values[bad]) \(unit); it must be finite, at least 0\(limit)"
    }

    /// Missing seconds take the last value (zero before the first).
    static func carried(_ values: [Double]) -> [Double] {
        var last = 0.0
        return values.map { v in
            if v.isFinite { last = max(0, v) }
            return last
        }
    }
}

/// Flowcast's per-cell forecasts of a radio scenario, from history only: the demand model's
/// one-second-ahead point and upper forecast (Mbit/s → bit/s), and the efficiency either from an
/// efficiency model or, as `plan`, `replay` and `live` do, the mean of the last
/// max(60 s, 2 × interval) seconds of CQI reports (`RadioKPIEfficiency.window`).
final class RadioForecaster {
    let demandModel: ForecastModel
    let efficiencyModel: ForecastModel?
    let scenario: RadioScenario
    let horizon: Int
    private var demandStates: [SeriesState]
    private var efficiencyStates: [SeriesState]
    private var observed = 0

    init(scenario: RadioScenario, demandModel: ForecastModel, efficiencyModel: ForecastModel?, horizon: Int) {
        self.scenario = scenario
        self.demandModel = demandModel
        self.efficiencyModel = efficiencyModel
        self.horizon = horizon
        demandStates = scenario.demandSets.map { demandModel.makeState(step: $0.step) }
        efficiencyStates = efficiencyModel.map { m in scenario.efficiencySets.map { m.makeState(step: $0.step) } } ?? []
    }

    /// The row's covariates in the model's order (nil for a model without covariates).
    static func covariates(_ model: ForecastModel, _ series: Series, row: Int) -> [Double]? {
        guard !model.layout.covariates.isEmpty else { return nil }
        return model.layout.covariates.map { name in
            guard let k = series.covariateNames.firstIndex(of: name), row < series.covariates[k].count else { return .nan }
            return series.covariates[k][row]
        }
    }

    func forecast(at t0: Int) -> RadioForecast {
        let truth = scenario.truth
        let cells = scenario.topology.cells.indices
        while observed < t0 {
            for c in cells {
                let dl = scenario.demandSets[c]
                demandStates[c].observe(truth.demand[c][observed] / 1e6, at: dl.time(ofRow: observed),
                                        covariates: Self.covariates(demandModel, dl.series[0], row: observed))
                if let efficiencyModel {
                    let se = scenario.efficiencySets[c]
                    efficiencyStates[c].observe(truth.efficiency[c][observed], at: se.time(ofRow: observed),
                                                covariates: Self.covariates(efficiencyModel, se.series[0], row: observed))
                }
            }
            observed += 1
        }
        var point: [Double] = [], upper: [Double] = [], efficiency: [Double] = []
        let window = Int(RadioKPIEfficiency.window(horizon: Double(horizon)))
        for c in cells {
            let f = demandModel.forecastPoint(demandStates[c])
            point.append(max(0, f.point) * 1e6)
            upper.append(max(0, f.upper, f.point) * 1e6)
            if let efficiencyModel {
                efficiency.append(max(0, efficiencyModel.forecastPoint(efficiencyStates[c]).point))
            } else {
                let recent = truth.efficiency[c][max(0, t0 - window)..<t0]
                efficiency.append(recent.isEmpty ? 0 : recent.reduce(0, +) / Double(recent.count))
            }
        }
        return RadioForecast(point: point, upper: upper, efficiency: efficiency)
    }
}

extension BacktestCommand {
    /// `recent-N`, `recent-N-half-H`, `scaled-N` or `quantile`.
    static func parseSizing(_ text: String) -> SpectrumSizing? {
        if text == "quantile" { return .quantile }
        if text.hasPrefix("recent-"), let half = text.range(of: "-half-") {
            guard let n = Int(text[text.index(text.startIndex, offsetBy: 7)..<half.lowerBound]), n >= 1,
                  let h = Int(text[half.upperBound...]), h >= 1 else { return nil }
            return .recentSeconds(n, halfLife: h)
        }
        for prefix in ["recent-", "scaled-", "ar1-", "ar1f-", "reg-"] where text.hasPrefix(prefix) {
            guard let n = Int(text.dropFirst(prefix.count)), n >= 1 else { return nil }
            switch prefix {
            case "recent-": return .recentSeconds(n)
            case "scaled-": return .forecastScaledSeconds(n)
            case "ar1f-": return .persistenceDemandForecastEfficiency(n)
            case "reg-": return .pooledRegressionSeconds(n)
            default: return .persistenceScaledSeconds(n)
            }
        }
        return nil
    }

    /// A model file for a 1 s series of `target`; wrong step, another target or unreadable: one
    /// line naming the file (a bit/s/Hz model was taken for the demand model, and the reverse).
    func radioModel(_ path: String, what: String, target: RadioTarget) throws -> ForecastModel {
        let model: ForecastModel
        do { model = try ModelFile.read(from: URL(fileURLWithPath: path)) } catch .intervalModel(let path, let horizon) {
            // The reader's own hint names --horizon, which this command does not take.
            throw CommandFailure(message: "\(path): the \(what) model forecasts the mean of the next \(horizon.formatted()) s "
                + "(trained with --horizon); the spectrum backtest needs a next-second model (train it without --horizon)")
        }
        if let own = model.training.radioTarget, own != target.rawValue {
            throw CommandFailure(message: "\(path): the \(what) model forecasts --target \(own), not --target \(target.rawValue) "
                + "(train it with flowcast train --target \(target.rawValue) on the scenario's cell logs)")
        }
        if let step = model.training.stepSeconds, step != 1 {
            throw CommandFailure(message: "\(path): the \(what) model was trained on \(step.formatted()) s steps; a radio scenario's "
                + "cell logs are 1 s series (train it on them: flowcast train --series DIR/cell-1.csv …)")
        }
        return model
    }

    func runSpectrum(folder: String) throws {
        do {
            let scenario = try RadioScenario.load(folder: folder)
            let every = Int(planEvery.nanoseconds / 1_000_000_000)
            let from = self.from ?? 600
            let seconds = scenario.truth.seconds
            guard from >= every else {
                throw CommandFailure(message: "--from \(from) leaves less than one --plan-every (\(every) s) of history before the first plan")
            }
            guard from <= seconds - every else {  // not from + every: --from 2^63 − 1 overflowed
                throw CommandFailure(message: "\(folder): its cell logs hold \(seconds) s; --from \(from) leaves no whole \(every) s interval to plan")
            }
            // Both model files are checked before any work (a wrong --model-se was said only after a
            // demand model had been trained: an audit).
            let efficiencyModel = try modelSe.map { try radioModel($0, what: "efficiency", target: .spectralEfficiency) }
            let demandModel: ForecastModel
            if let modelDemand {
                demandModel = try radioModel(modelDemand, what: "demand", target: .downlinkBitrate)
            } else {
                if !json { printError("training a demand model on seconds 0–\(from - 1) of \(folder)'s cell logs …") }
                do { demandModel = try Trainer.train(scenario.demandSets, options: TrainingOptions(until: from)) } catch TrainingError.tooLittleData(let rows, _) {
                    // The seconds before --from train it (as --until would in train): the hint is --from.
                    throw CommandFailure(message: "\(folder): too little data before --from \(from) to train the demand model: \(rows) usable "
                        + "samples of the cell logs (need at least 50; give a later --from, or --model-demand)")
                }
            }
            // The models' covariates the cell logs lack, and rows scored that a model was trained on
            // (an audit: neither was said here, though evaluate says both).
            for (model, sets) in [(modelDemand.map { _ in demandModel }, scenario.demandSets), (efficiencyModel, scenario.efficiencySets)] {
                guard let model else { continue }
                for warning in [model.covariateWarning(for: sets),
                                ModelInputCheck.trainingOverlapWarning(modelID: model.id, sources: model.training.sources,
                                                                       untilRow: model.training.untilRow, sets: sets, from: from)] {
                    if let warning { printError(warning) }
                }
            }
            // Only the sizings that take an efficiency forecast use the model; the others size
            // efficiency from the observed seconds, and a --model-se beside them changed nothing
            // without a word.
            switch Self.parseSizing(sizing)! {
            case .quantile, .persistenceDemandForecastEfficiency: break
            default:
                if let modelSe {
                    printError("flowcast backtest: warning: --model-se \(modelSe) is not used by --sizing \(sizing), which sizes efficiency "
                        + "from the observed seconds; --sizing quantile and ar1f-N use an efficiency forecast")
                }
            }
            var topology = scenario.topology
            for c in topology.cells.indices where topology.cells[c].peakSpectralEfficiency == nil {
                // The configured peak: the top of the cell's CQI table when the topology gives none.
                let table = topology.cells[c].cqiTable.flatMap(CQITable.init(rawValue:)) ?? .table1
                topology.cells[c].peakSpectralEfficiency = SpectralEfficiency.bitsPerSecondPerHertz(cqi: 15, table: table)
            }
            let forecaster = RadioForecaster(scenario: scenario, demandModel: demandModel, efficiencyModel: efficiencyModel, horizon: every)
            let backtest = SpectrumBacktest(topology: topology, truth: scenario.truth, planEvery: every,
                                            sizing: Self.parseSizing(sizing)!,
                                            weights: SpectrumScenarioWeights(changeCost: changeCost, spreadReward: changeCost / 2))
            let report = try backtest.run(from: from) { forecaster.forecast(at: $0) }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                func f(_ x: Double) -> String { String(format: "%.4f", x) }
                // Seconds after the last whole interval are not scored: said, not dropped silently.
                let end = from + report.spectrum.intervals * every
                let rest = end < seconds ? " (seconds \(end)–\(seconds - 1), less than an interval, not scored)" : ""
                var lines = ["\(report.spectrum.intervals) interval\(report.spectrum.intervals == 1 ? "" : "s") of \(every) s from second \(from)\(rest); flowcast sizing \(sizing); "
                    + "model \(demandModel.id)"]
                lines.append("method          unmet    served   blocks changed per interval")
                for m in report.spectrum.methods {
                    lines.append(m.name.padding(toLength: 16, withPad: " ", startingAt: 0) + f(m.unmetFraction) + "   "
                        + f(m.servedFraction) + "   " + (m.blocksChangedPerInterval.map { String(format: "%.2f", $0) } ?? "–"))
                }
                lines.append("gap closed (best naive → oracle): " + (report.spectrum.gapClosed.map(f)
                    ?? "– (the oracle leaves no less unmet than the best naive method)"))
                print(lines.joined(separator: "\n"))
            }
        } catch {
            let worded = CommandFailure.wording(error)
            throw worded is CommandFailure ? worded : CommandFailure(message: "\(error)")
        }
    }
}

extension RadioScenario {
    /// Refuses a `scenario.json` that does not parse or that describes another scenario than the
    /// folder's topology (cell count and names, the band's blocks and their width): the files of
    /// two scenarios mixed in one folder scored silently, and a corrupt one went unnoticed. A
    /// folder without one (a hand-made scenario) is scored as it is.
    /// Returns the description's `files` (name → digest), checked by `checkDigests` once the logs
    /// have been read; nil without a description or digests.
    @discardableResult
    static func checkDescription(folder: String, topology: Topology) throws -> [String: String]? {
        let path = URL(fileURLWithPath: folder).appendingPathComponent("scenario.json").path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return nil }
        if isFolder.boolValue { throw CommandFailure(message: "\(path): a folder, not the scenario's description (a JSON file)") }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CommandFailure(message: "\(path): cannot be read (\(error.localizedDescription))")
        }
        let parsed = data.withUnsafeBytes { JSONValue.parse($0) }
        guard case .object(let object)? = parsed else {
            let why = data.withUnsafeBytes { JSONValue.failure($0) }
            throw CommandFailure(message: "\(path): " + (why.map { "not valid JSON at line \($0.line), column \($0.column): \($0.reason)" }
                ?? "not a JSON object") + " (tools/make-radio-scenario.py writes it; remove it to score the folder's topology and logs alone)")
        }
        func number(_ key: String) -> Double? { if case .number(let v)? = object[key] { return v } else { return nil } }
        // What the script always writes: without it the file says nothing to check the folder by.
        if let missing = ["cells", "blocks", "blockMHz"].first(where: { number($0) == nil }) {
            throw CommandFailure(message: "\(path): '\(missing)' is missing or not a number (tools/make-radio-scenario.py writes it; "
                + "remove the file to score the folder's topology and logs alone)")
        }
        let band = topology.bands[topology.cells[0].band]
        var problems: [String] = []
        if let cells = number("cells"), Int(exactly: cells) != topology.cells.count {
            problems.append("\(cells.formatted()) cells, but topology.yaml has \(topology.cells.count)")
        }
        if let blocks = number("blocks"), Int(exactly: blocks) != band.blockCount {
            problems.append("\(blocks.formatted()) blocks, but band '\(band.id)' has \(band.blockCount)")
        }
        if let width = number("blockMHz"), abs(width - band.blockMHz) > 1e-6 {
            problems.append("blocks of \(width) MHz, but band '\(band.id)' has \(band.blockMHz) MHz")
        }
        if case .array(let users)? = object["users"] {
            let names = Set(topology.cells.map(\.id))
            let unknown = users.compactMap { user -> String? in
                guard case .object(let u) = user, case .string(let cell)? = u["cell"] else { return nil }
                return names.contains(cell) ? nil : cell
            }
            if let first = unknown.first { problems.append("users of cell '\(first)', which topology.yaml does not have") }
        }
        // The script's digests of the files it wrote: two seeds at one --block-mhz agree on every
        // count above, and an audit's folder of one seed's topology and another's logs was scored.
        var files: [String: String]?
        if let value = object["files"] {
            guard case .object(let digests) = value else {
                throw CommandFailure(message: "\(path): 'files' is not an object of file names and digests (tools/make-radio-scenario.py writes it; "
                    + "remove the file to score the folder's topology and logs alone)")
            }
            var checked: [String: String] = [:]
            for name in digests.keys.sorted() {
                guard case .string(let digest)? = digests[name], digest.hasPrefix("sha256:"),
                      !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
                    throw CommandFailure(message: "\(path): 'files' entry '\(name.visible)' is not a file name with a sha256: digest")
                }
                checked[name] = digest
            }
            files = checked
        }
        try refuse(problems, path: path)
        return files
    }

    /// The description's digests against the folder's files.
    static func checkDigests(_ digests: [String: String]?, folder: String) throws {
        guard let digests else { return }
        let path = URL(fileURLWithPath: folder).appendingPathComponent("scenario.json").path
        var problems: [String] = []
        for (name, digest) in digests.sorted(by: { $0.key < $1.key }) {
            let file = URL(fileURLWithPath: folder).appendingPathComponent(name)
            guard let bytes = FileManager.default.contents(atPath: file.path) else {
                problems.append("\(name.visible), which the folder does not have")
                continue
            }
            let actual = Provenance.digest(bytes)
            if actual != digest {
                problems.append("\(name.visible) as \(digest.prefix(19).visible)…, but the folder's is \(actual.prefix(19))…")
            }
        }
        try refuse(problems, path: path)
    }

    private static func refuse(_ problems: [String], path: String) throws {
        guard let first = problems.first else { return }
        let more = problems.count - 1
        throw CommandFailure(message: "\(path): describes \(first)"
            + (more > 0 ? " (and \(more) more difference\(more == 1 ? "" : "s") from the folder)" : "")
            + "; the folder's files are not one scenario")
    }
}
