import FlowcastCore

internal import FlowcastModel
public import FlowcastPolicy
public import FlowcastTopology
public import Foundation

/// The forecasts of a one-off plan (`flowcast plan --series`): the row after the first `row`
/// rows of every series of a CSV file, each forecast by a trained model as the interval planner
/// forecasts windows (`StepForecaster`).
public enum SeriesForecasts {
    public enum Failure: Error, CustomStringConvertible {
        /// `row` is not between 1 and the file's row count.
        case rowOutOfRange(row: Int, rows: Int, path: String)

        public var description: String {
            switch self {
            case let .rowOutOfRange(row, rows, path): "row \(row) is not between 1 and \(rows) (rows in \(path.visible))"
            }
        }
    }

    /// Forecasts every series of `seriesPath` named after a demand, `cell:<id>` or `link:<id>`
    /// with the model file at `modelPath`. A next-row model forecasts row `row` (0-based; a
    /// missing value repeats the one before it, 0 before the first). An interval model (`train
    /// --horizon`) forecasts the mean of the `horizon` seconds from row `row` out of the rows before
    /// it (bit/s, missing values missing), exactly as the interval planner does from the same
    /// windows (`IntervalLoadForecast`), and the plan's window is that interval. `warn` hears the
    /// model's covariate warning, if any. The provenance digests the series, topology and model files.
    /// `unitScale` turns the series' unit into bit/s (1e6 for the Abilene files' Mbit/s): the
    /// model forecasts in the unit it was trained on, and the plan's forecasts are scaled after.
    public static func forecast(seriesPath: String, row: Int, modelPath: String, topologyData: Data, generator: String,
                                unitScale: Double = 1, warn: (String) -> Void) throws -> (ForecastSet, Provenance) {
        let seriesURL = URL(fileURLWithPath: seriesPath)
        let set = try SeriesReader.read(file: seriesURL)
        if let warning = set.cutWarning { warn(warning) }
        guard row > 0, row <= set.rowCount else { throw Failure.rowOutOfRange(row: row, rows: set.rowCount, path: seriesPath) }
        let models = try PlannerModels(modelPath: modelPath, efficiencyModelPath: nil, interval: nil)
        func window(_ seconds: Double?) -> PlanWindow? {
            set.time(ofRow: row).map { t in PlanWindow(start: ISOTime.string(seconds: t), end: ISOTime.string(seconds: t + (seconds ?? 0))) }
        }
        var forecasts: [FlowcastPolicy.Forecast] = []
        let modelId: String
        let planWindow: PlanWindow?
        if let interval = models.intervalModel {
            guard let step = set.step else { throw HorizonError.noTimestamps(path: seriesPath) }
            if let warning = StepCheck.warning(modelID: interval.id, trainedStep: interval.training.stepSeconds, sets: [set]) { warn(warning) }
            try HorizonError.check(path: seriesPath, horizon: interval.horizonSeconds, step: step)
            for s in set.series {
                // The model sees the series as replay's planner hands windows over (÷ 8, windows.jsonl's
                // bytes/s); forecasts, and the P10 and recent mean in their source, come back in bit/s
                // (they were in the file's unit labelled bit/s, and only point and upper were scaled).
                guard let f = IntervalLoadForecast.forecast(interval, name: s.name, values: s.values[0..<row].map { $0 / IntervalLoadForecast.windowsUnit },
                                                            bitsPerUnit: IntervalLoadForecast.windowsUnit * unitScale, step: step) else { continue }
                let (kind, id) = Self.kind(of: s.name)
                forecasts.append(FlowcastPolicy.Forecast(id: id, kind: kind, point: f.point, upper: f.upper, source: f.source + " (rows before \(row))"))
            }
            modelId = interval.id
            planWindow = window(interval.horizonSeconds)
        } else {
            let trained = models.model!
            if let warning = trained.covariateWarning(for: [set]) { warn(warning) }
            if let warning = StepCheck.warning(modelID: trained.id, trainedStep: trained.training.stepSeconds, sets: [set]) { warn(warning) }
            for s in set.series {
                let (kind, id) = Self.kind(of: s.name)
                var forecaster = StepForecaster.model(trained, trained.makeState(step: set.step))
                var last = 0.0
                for r in 0..<row {
                    let v = s.values[r]
                    last = v.isNaN ? last : v
                    forecaster.observe(last, at: set.time(ofRow: r))
                }
                guard let f = forecaster.forecast() else { continue }
                forecasts.append(FlowcastPolicy.Forecast(id: id, kind: kind, point: f.point * unitScale, upper: f.upper * unitScale,
                                                         source: "model \(trained.id) at row \(row)"))
            }
            modelId = trained.id
            planWindow = window(set.step)
        }
        let provenance = Provenance(
            inputDigest: Provenance.digest(try Data(contentsOf: seriesURL)), topologyDigest: Provenance.digest(topologyData),
            modelId: modelId, modelDigest: models.modelDigest, window: planWindow, generator: generator)
        return (ForecastSet(forecasts: forecasts, modelId: modelId, window: planWindow), provenance)
    }

    /// A series' forecast kind and id from its column name.
    static func kind(of name: String) -> (FlowcastPolicy.Forecast.Kind, String) {
        if name.hasPrefix("cell:") { return (.cell, String(name.dropFirst(5))) }
        if name.hasPrefix("link:") { return (.link, String(name.dropFirst(5))) }
        return (.demand, name)
    }
}

extension ForecastSet {
    /// Adds the efficiency that each cell's radio KPI log (topology `kpiSource`) gives over the
    /// plan's window (60 s without one), for cells the set does not already give; returns the
    /// logs' problems. With `efficiencyModelPath` (an interval model from `train --target se
    /// --horizon` the window's length) each cell's efficiency is that model's forecast from the
    /// reports before the window, as the interval planner makes it. `beforeWindow` (implied by a
    /// model): only the reports before the window's start count, as in a replay's plans (a
    /// `plan --series` at a past row), rather than the log's latest.
    public mutating func addRadioKPIEfficiencies(_ topology: Topology, efficiencyModelPath: String? = nil,
                                                 beforeWindow: Bool = false) throws -> [String] {
        let horizon = window?.seconds ?? 60
        let models = try PlannerModels(modelPath: nil, efficiencyModelPath: efficiencyModelPath, interval: horizon, flag: "the plan's window")
        let start = window.flatMap { ISOTime.seconds($0.start) }
        let kpi = RadioKPIEfficiency.measure(topology, horizon: horizon, model: models.efficiencyModel,
                                             until: models.efficiencyModel == nil && !beforeWindow ? nil : start)
        let given = Set((measuredEfficiencies ?? []).map(\.cell))
        let added = kpi.measured.filter { !given.contains($0.cell) }
        if !added.isEmpty { measuredEfficiencies = (measuredEfficiencies ?? []) + added }
        return kpi.problems
    }
}

extension PlanWindow {
    /// The window's length in seconds, from its ISO 8601 times; nil when they do not parse or
    /// the end is not after the start.
    public var seconds: Double? {
        guard let start = ISOTime.date(start), let end = ISOTime.date(end), end > start else { return nil }
        return end.timeIntervalSince(start)
    }
}
