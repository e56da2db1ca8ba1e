internal import FlowcastCore
internal import FlowcastModel
internal import Foundation
internal import FlowcastPolicy

/// The models a planner forecasts with, read and checked once: `--model` (a next-row model, or an
/// interval model whose horizon is the plan interval) and `--efficiency-model` (an interval model
/// trained with `--target se --horizon` the plan interval). `replay --plan-every`, `live`,
/// `planner` and `plan --series` all read them here, so each refuses the same files with the same
/// line and plans from the same forecasts.
struct PlannerModels {
    var model: ForecastModel?
    var intervalModel: IntervalModel?
    /// Digest of the `--model` file (provenance).
    var modelDigest: String?
    var efficiencyModel: IntervalModel?

    /// `interval`: the plan interval in seconds, which an interval model's horizon must equal (nil:
    /// the `--model` interval model's horizon is the interval, as for `plan --series`); `flag`
    /// names where the interval came from in messages (`--plan-every`).
    init(modelPath: String?, efficiencyModelPath: String?, interval: Double?, flag: String = "--plan-every") throws {
        if let path = modelPath {
            let url = URL(fileURLWithPath: path)
            switch Self.read(url) {
            case .success(let read):
                if let target = read.training.radioTarget { throw IntervalPlannerError.badModel(Self.radioModelAsDemand(path, target)) }
                model = read
            case .failure(.intervalModel(_, let horizon)):
                let loaded = try ModelFile.readInterval(from: url, horizon: horizon)
                if let problem = loaded.mismatch(path: path, horizon: interval ?? horizon, target: nil) {
                    throw IntervalPlannerError.badModel(problem + " (\(flag))")
                }
                if let target = loaded.target { throw IntervalPlannerError.badModel(Self.radioModelAsDemand(path, target)) }
                intervalModel = loaded
            case .failure(let error):
                throw error
            }
            modelDigest = Provenance.digest(try Data(contentsOf: url))
        }
        if let path = efficiencyModelPath {
            let interval = interval ?? intervalModel?.horizonSeconds ?? 60
            let loaded = try ModelFile.readInterval(from: URL(fileURLWithPath: path), horizon: interval)
            if let problem = loaded.mismatch(path: path, horizon: interval, target: .spectralEfficiency) {
                throw IntervalPlannerError.badModel(problem + " (\(flag))")
            }
            if loaded.target == nil { throw IntervalPlannerError.badModel("\(path): the model was not trained on radio KPI logs (--target se)") }
            efficiencyModel = loaded
        }
    }
}

extension PlannerModels {
    /// `--model` forecasts the traffic of cells and links (the windows' bytes); a model trained on
    /// radio KPI logs forecasts one user's downlink rate or a cell's spectral efficiency. An audit
    /// gave replay a 5G model as `--model`: a warning about covariates, then every plan sized on it.
    static func radioModelAsDemand(_ path: String, _ target: String) -> String {
        let what = target == RadioTarget.spectralEfficiency.rawValue ? "spectral efficiency" : "downlink throughput"
        return "\(path.visible): the model forecasts \(what) of radio KPI logs (--target \(target)), not the traffic of "
            + "cells and links that --model forecasts"
            + (target == RadioTarget.spectralEfficiency.rawValue ? "; give it as --efficiency-model" : "; train one on windows.jsonl (flowcast train --series …)")
    }

    static func read(_ url: URL) -> Result<ForecastModel, ModelFileError> {
        do { return .success(try ModelFile.read(from: url)) } catch { return .failure(error) }
    }
}

/// An interval model's forecast of a load series' next interval, in bit/s: the one place the
/// planners (replay, live, planner) and `plan --series` turn a history into the interval's mean,
/// band and source, so the same history gives the same forecast in each.
struct IntervalLoadForecast {
    var point: Double
    var lower: Double
    var upper: Double
    var recentMean: Double
    /// The model's source (or the rule's, where the model does not beat it on its validation
    /// traces) with the band's P10 and the recent mean beside it.
    var source: String

    /// History kept per series: the model's longest feature window is 1800 s (1-second windows
    /// for half an hour).
    static let historyLimit = 1800

    /// Bits per unit of windows.jsonl as `flowcast train` reads it (bytes/s): interval models
    /// trained on windows see bytes/s, so the history is handed to them in it.
    static let windowsUnit = 8.0

    /// `bitsPerSecond`: the series' last values (bit/s; NaN = missing), one per `step` seconds,
    /// the newest last. Nil when the model cannot forecast it (no observed value in the recent
    /// window, or a step longer than the horizon).
    static func forecast(_ model: IntervalModel, name: String, bitsPerSecond: ArraySlice<Double>, step: Double) -> IntervalLoadForecast? {
        forecast(model, name: name, values: bitsPerSecond.suffix(historyLimit).map { $0 / windowsUnit }, bitsPerUnit: windowsUnit, step: step)
    }

    /// `values`: the series as the model sees it, `bitsPerUnit` bit/s per unit of it; the forecast
    /// and its source in bit/s. (`plan --series --unit Mbit/s` wrote the P10 and recent mean into
    /// the source in the file's unit, labelled bit/s.)
    static func forecast(_ model: IntervalModel, name: String, values: [Double], bitsPerUnit: Double, step: Double) -> IntervalLoadForecast? {
        guard let f = try? IntervalForecaster.forecast(model, series: Series(name: name, values: Array(values.suffix(historyLimit))), step: step) else { return nil }
        let lower = f.forecast.lower * bitsPerUnit, recentMean = f.recentMean * bitsPerUnit
        return IntervalLoadForecast(point: f.forecast.point * bitsPerUnit, lower: lower, upper: f.forecast.upper * bitsPerUnit,
                                    recentMean: recentMean,
                                    source: f.source + String(format: ", P10 %.0f bit/s, recentMean %.0f bit/s", lower, recentMean))
    }
}
