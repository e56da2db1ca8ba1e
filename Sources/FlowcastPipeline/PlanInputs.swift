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
            case let .rowOutOfRange(row, rows, path): "row \(row) is not between 1 and \(rows) (rows in \(path))"
            }
        }
    }

    /// Forecasts every series of `seriesPath` named after a demand, `cell:<id>` or `link:<id>`
    /// with the model file at `modelPath`; a missing value repeats the one before it (0 before
    /// the first). `warn` hears the model's covariate warning, if any. The provenance digests
    /// the series, topology and model files.
    public static func forecast(seriesPath: String, row: Int, modelPath: String, topologyData: Data, generator: String,
                                warn: (String) -> Void) throws -> (ForecastSet, Provenance) {
        let seriesURL = URL(fileURLWithPath: seriesPath), modelURL = URL(fileURLWithPath: modelPath)
        let trained = try ModelFile.read(from: modelURL)
        let set = try SeriesReader.read(file: seriesURL)
        if let warning = trained.covariateWarning(for: [set]) { warn(warning) }
        guard row > 0, row <= set.rowCount else { throw Failure.rowOutOfRange(row: row, rows: set.rowCount, path: seriesPath) }
        var forecasts: [FlowcastPolicy.Forecast] = []
        for s in set.series {
            let kind: FlowcastPolicy.Forecast.Kind, id: String
            if s.name.hasPrefix("cell:") { kind = .cell; id = String(s.name.dropFirst(5)) }
            else if s.name.hasPrefix("link:") { kind = .link; id = String(s.name.dropFirst(5)) }
            else { kind = .demand; id = s.name }
            var forecaster = StepForecaster.model(trained, trained.makeState(step: set.step))
            var last = 0.0
            for r in 0..<row {
                let v = s.values[r]
                last = v.isNaN ? last : v
                forecaster.observe(last, at: set.time(ofRow: r))
            }
            guard let f = forecaster.forecast() else { continue }
            forecasts.append(FlowcastPolicy.Forecast(id: id, kind: kind, point: f.point, upper: f.upper,
                                                     source: "model \(trained.id) at row \(row)"))
        }
        let window = set.time(ofRow: row).map { t in
            PlanWindow(start: ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: t)),
                       end: ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: t + (set.step ?? 0))))
        }
        let provenance = Provenance(
            inputDigest: Provenance.digest(try Data(contentsOf: seriesURL)), topologyDigest: Provenance.digest(topologyData),
            modelId: trained.id, modelDigest: Provenance.digest(try Data(contentsOf: modelURL)), window: window,
            generator: generator)
        return (ForecastSet(forecasts: forecasts, modelId: trained.id, window: window), provenance)
    }
}

extension ForecastSet {
    /// Adds the efficiency that each cell's radio KPI log (topology `kpiSource`) gives over the
    /// plan's window (60 s without one), for cells the set does not already give; returns the
    /// logs' problems.
    public mutating func addRadioKPIEfficiencies(_ topology: Topology) -> [String] {
        let kpi = RadioKPIEfficiency.measure(topology, horizon: window?.seconds ?? 60)
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
        let iso = ISO8601DateFormatter()
        guard let start = iso.date(from: start), let end = iso.date(from: end), end > start else { return nil }
        return end.timeIntervalSince(start)
    }
}
