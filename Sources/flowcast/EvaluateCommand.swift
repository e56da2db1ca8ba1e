import FlowcastCore
import ArgumentParser
import FlowcastModel
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score rolling forecasts of the model and every baseline: of the next row, or with --horizon of the mean of the next DURATION.")

    @Option(help: "The model JSON from `flowcast train`.")
    var model: String
    @Option(help: "A series file or folder; may be repeated. Each file is its own history.")
    var series: [String]
    @Option(parsing: .unconditional, help: "First 0-based row to score, of each series' time grid (its rows in time order, a repeated time averaged into one row, a missing step an empty row: a regular file's data rows); earlier rows are history only.")
    var from: Int
    @Flag(help: "Print the report as JSON.")
    var json = false
    @Option(help: "For radio KPI logs: dl (DL bitrate, Mbit/s) or se (spectral efficiency from CQI).")
    var target: String = "dl"
    @Flag(help: "Keep Abilene self pairs (od_s_s), which are left out by default.")
    var includeSelfPairs = false
    @Flag(help: "Also time the model's hot path over every scored series-step (thread CPU time): observe, which computes the next forecast, and forecastPoint, which reads it. Next-row models only.")
    var timeInference = false
    @Option(help: ArgumentHelp("Also write every scored forecast to this CSV file: source, series, row, time, actual, then each method's point and upper forecast (P90 for a model trained with the default --quantile). Next-row models only.",
                               valueName: "file"))
    var forecasts: String?
    @Flag(help: "Score the model's point forecast without its per-series persistence fallback. Next-row models only.")
    var noFallback = false
    @Option(parsing: .unconditional, help: ArgumentHelp("Score forecasts of the mean of the next DURATION (e.g. 60s) with a model from `train --horizon`, "
                               + "beside persistence, recentMean, EWMA and (with a daily season) seasonal.", valueName: "duration"))
    var horizon: DurationArgument?

    func validate() throws {
        try horizon?.checkRange("--horizon")
        // A usage error (64) as train's clashes with --horizon are; it was a run failure (1).
        if horizon != nil, forecasts != nil || timeInference || noFallback {
            throw ValidationError("--forecasts, --time-inference and --no-fallback are for next-row models, not with --horizon")
        }
        guard from >= 0 else { throw ValidationError("--from must be 0 or more") }
        // The forecasts file replaces what is at its path: never an input (an audit's
        // `--forecasts v/clob.csv` on `--series v/clob.csv` replaced the series without a word).
        if let forecasts {
            let out = URL(fileURLWithPath: forecasts).standardizedFileURL.resolvingSymlinksInPath().path
            for input in series + [model] where URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath().path == out {
                throw ValidationError("--forecasts \(forecasts) is also an input (\(input)); write the forecasts to another file")
            }
        }
        guard RadioTarget(rawValue: target) != nil else { throw ValidationError("--target must be dl or se") }
    }

    func run() throws {
        let options = SeriesReadOptions(radioTarget: RadioTarget(rawValue: target) ?? .downlinkBitrate,
                                        includeSelfPairs: includeSelfPairs)
        do {
            if let horizon { return try evaluateInterval(horizon: horizon.seconds, options: options) }
            let model = try ModelFile.read(from: URL(fileURLWithPath: self.model))
            let sets = try readSeries(series, options: options)
            if let problem = RadioModelCheck.problem(path: self.model, target: model.training.radioTarget, sets: sets) {
                throw CommandFailure(message: problem)
            }
            if let own = model.training.radioTarget, sets.contains(where: { $0.radioTarget != nil }), own != target {
                throw CommandFailure(message: "\(self.model): the model forecasts --target \(own), not --target \(target)")
            }
            if let warning = model.covariateWarning(for: sets) { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
            if let warning = StepCheck.warning(modelID: model.id, trainedStep: model.training.stepSeconds, sets: sets) { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
            if let warning = ModelInputCheck.trainingOverlapWarning(modelID: model.id, sources: model.training.sources,
                                                                    untilRow: model.training.untilRow, sets: sets, from: from) {
                FileHandle.standardError.write(Data((warning + "\n").utf8))
            }
            var table: ForecastTable? = forecasts.map { _ in ForecastTable(quantile: model.quantile) }
            var report = Evaluator.evaluate(model: model, sets: sets, from: from, fallback: !noFallback,
                                            record: table == nil ? nil : { table?.append($0) })
            report.unit = Self.unit(of: sets)
            guard report.steps > 0 else {
                // All-zero metrics would read as a perfect score (and there is no forecast to write).
                throw CommandFailure(message: "nothing to score: no series has an observed value at row \(from) or later "
                    + "(the longest has \(sets.map(\.rowCount).max() ?? 0) rows)")
            }
            if let forecasts, let table {
                do { try AtomicFile.write(Array(table.text.utf8), to: forecasts) } catch {
                    throw CommandFailure(message: "\(forecasts): cannot write the forecasts: \(error.reason)")
                }
            }
            Self.noteUnscored(report.methods.map { ($0.method.rawValue, $0.metrics.nonFinite, $0.metrics.count) })
            print(json ? report.json : report.table)
            if timeInference {
                let timing = Self.timeHotPath(model: model, sets: sets, from: from, fallback: !noFallback)
                // observe computes the next forecast (features, both heads) and forecastPoint reads it:
                // the cost is under observe, and forecastPoint's is the read (it showed 0.000 µs
                // beside a help line that read as if it timed the forecast).
                let line = "inference: observe (with the next forecast it computes) \(Self.micro(timing.observe)) µs, "
                    + "forecastPoint (reads it) \(Self.micro(timing.forecast)) µs per series-step (\(timing.steps) series-steps, model \(model.id))"
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
        } catch {
            throw CommandFailure.wording(error)
        }
    }
}

extension EvaluateCommand {
    func evaluateInterval(horizon: Double, options: SeriesReadOptions) throws {
        let model = try ModelFile.readInterval(from: URL(fileURLWithPath: self.model), horizon: horizon)
        let sets = try readSeries(series, options: options)
        let radio = sets.contains { $0.radioTarget != nil }
        // A horizon shorter than a series' step is said first, as before the radio check.
        for set in sets { if let step = set.step { try HorizonError.check(path: set.source, horizon: horizon, step: step) } }
        if let problem = RadioModelCheck.problem(path: self.model, target: model.target, sets: sets) { throw CommandFailure(message: problem) }
        if let problem = model.mismatch(path: self.model, horizon: horizon, target: radio ? options.radioTarget : nil) {
            throw CommandFailure(message: problem)
        }
        var report = try IntervalEvaluator.evaluate(model: model, sets: sets, from: from)
        report.unit = Self.unit(of: sets)
        guard report.steps > 0 else {
            throw CommandFailure(message: "nothing to score: no series has a whole \(horizon.formatted()) s interval observed after row \(from)")
        }
        // Said once the series are scored (a horizon shorter than their step is refused first).
        if let warning = model.covariateWarning(for: sets) { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
        if let warning = StepCheck.warning(modelID: model.id, trainedStep: model.training.stepSeconds, sets: sets) { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
        if let warning = ModelInputCheck.trainingOverlapWarning(modelID: model.id, sources: model.training.sources,
                                                                untilRow: model.training.untilRow, sets: sets, from: from) {
            FileHandle.standardError.write(Data((warning + "\n").utf8))
        }
        Self.noteUnscored(report.methods.map { ($0.method.rawValue, $0.metrics.nonFinite, $0.metrics.count) })
        print(json ? report.json : report.table)
    }

    /// The unit of every set, when the files fix it and agree (errors are in it); nil otherwise.
    /// Sets in different known units are warned of: their errors are summed across the units.
    static func unit(of sets: [SeriesSet]) -> String? {
        let units = Set(sets.map(\.unit))
        if units.count == 1 { return units.first! }
        if units.compactMap({ $0 }).count > 1 || units.contains(nil) && units.count > 1 {
            var examples: [String] = []
            for unit in units.sorted(by: { ($0 ?? "~") < ($1 ?? "~") }) {
                guard let set = sets.first(where: { $0.unit == unit }) else { continue }
                examples.append("\(unit ?? "a unit the file does not say") in \(set.source)")
            }
            FileHandle.standardError.write(Data(("warning: the series are in different units (" + examples.joined(separator: "; ")
                + "): MAE, RMSE and pinball add errors of different units; evaluate each kind on its own\n").utf8))
        }
        return nil
    }

    /// Says on stderr which methods gave forecasts that were not numbers, and so have no scores
    /// ('-' in the table, null in the JSON) rather than scores of the forecasts that were.
    static func noteUnscored(_ methods: [(name: String, nonFinite: Int, count: Int)]) {
        for method in methods where method.nonFinite > 0 {
            let line = "warning: \(method.name) gave \(method.nonFinite) of \(method.count) forecasts that are not finite numbers: "
                + "it is not scored ('-', null in --json)"
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}

/// The CSV behind `evaluate --forecasts`: one line per scored forecast.
struct ForecastTable {
    private(set) var text: String

    /// The header names each method's upper forecast after the model's quantile (`_p90`).
    init(quantile: Double) {
        let upper = EvaluationReport.upperName(quantile).lowercased()
        text = "source,series,row,time,actual,"
            + ForecastMethod.allCases.map { "\($0.rawValue),\($0.rawValue)_\(upper)" }.joined(separator: ",") + "\n"
    }

    mutating func append(_ scored: ScoredForecast) {
        text += Self.quoted(scored.source) + "," + Self.quoted(scored.series) + ",\(scored.row),"
        text += scored.time.map { "\($0)" } ?? ""
        text += ",\(scored.actual)"
        for method in scored.forecast.methods { text += ",\(method.point),\(method.upper)" }
        text += "\n"
    }

    /// RFC 4180 quoting, only where a field needs it.
    static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension EvaluateCommand {
    /// Per series-step seconds of `forecastPoint` and of `observe`, by thread CPU time: one pass
    /// observes only, a second observes and forecasts; the difference is the forecast. Best of 3.
    static func timeHotPath(model: ForecastModel, sets: [SeriesSet], from: Int, fallback: Bool) -> (forecast: Double, observe: Double, steps: Int) {
        var warm: [(state: SeriesState, values: ArraySlice<Double>, set: SeriesSet, series: Series, columns: [Int?])] = []
        var row = Array(repeating: Double.nan, count: model.layout.covariates.count)
        for set in sets {
            for series in set.series where series.values.count > from {
                var state = model.makeState(step: set.step, fallback: fallback)
                var last = Double.nan
                let columns = series.covariateColumns(for: model.layout.covariates)
                for t in 0..<from {
                    if !series.values[t].isNaN { last = series.values[t] }
                    series.covariates(atRow: t, columns: columns, into: &row)
                    if !last.isNaN { state.observe(last, at: set.time(ofRow: t), covariates: row.isEmpty ? nil : row) }
                }
                warm.append((state, series.values[from...], set, series, columns))
            }
        }
        func cpu() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
        }
        func pass(forecasting: Bool) -> (seconds: Double, steps: Int, sink: Double) {
            var sink = 0.0
            var steps = 0
            let start = cpu()
            for entry in warm {
                var state = entry.state
                var t = from
                for value in entry.values {
                    if forecasting, state.count > 0 {
                        let f = model.forecastPoint(state)
                        sink += f.point + f.upper
                    }
                    if !value.isNaN {
                        if row.isEmpty {
                            state.observe(value, at: entry.set.time(ofRow: t))
                        } else {
                            entry.series.covariates(atRow: t, columns: entry.columns, into: &row)
                            state.observe(value, at: entry.set.time(ofRow: t), covariates: row)
                        }
                    }
                    steps += 1
                    t += 1
                }
            }
            return (cpu() - start, steps, sink)
        }
        var best = (forecast: Double.infinity, observe: Double.infinity, steps: 0)
        for _ in 0..<3 {
            let observing = pass(forecasting: false)
            let both = pass(forecasting: true)
            let steps = max(both.steps, 1)
            if both.sink.isNaN { continue }
            best.observe = min(best.observe, observing.seconds / Double(steps))
            best.forecast = min(best.forecast, max(both.seconds - observing.seconds, 0) / Double(steps))
            best.steps = both.steps
        }
        return best
    }

    static func micro(_ seconds: Double) -> String {
        String(format: "%.3f", seconds * 1e6)
    }
}
