internal import Foundation

/// Accuracy of interval forecasts: point errors and the P10–P90 band.
public struct IntervalMetrics: Sendable, Equatable {
    public var count: Int
    public var mae: Double
    public var rmse: Double
    /// Σ|y − ŷ| / Σ|y|.
    public var wape: Double
    /// Fraction of outcomes inside [P10, P90] (0.8 when calibrated).
    public var bandCoverage: Double
    /// Mean pinball loss of the band: the average of the P10's (τ 0.1) and the P90's (τ 0.9).
    public var pinball: Double
    /// Forecasts that were not finite; when any was, every figure above is NaN (as `ForecastMetrics`).
    public var nonFinite = 0
}

/// Accumulates interval forecast errors; one per method.
public struct IntervalMetricAccumulator: Sendable {
    private var count = 0
    private var absoluteError = 0.0
    private var squaredError = 0.0
    private var absoluteActual = 0.0
    private var covered = 0
    private var pinballLoss = 0.0
    private var nonFinite = 0

    public init() {}

    public mutating func add(actual: Double, _ forecast: IntervalForecast) {
        let error = actual - forecast.point
        count += 1
        if ![forecast.point, forecast.lower, forecast.upper].allSatisfy(\.isFinite) { nonFinite += 1 }
        absoluteError += abs(error)
        squaredError += error * error
        absoluteActual += abs(actual)
        if actual >= forecast.lower, actual <= forecast.upper { covered += 1 }
        pinballLoss += 0.5 * (MetricAccumulator.pinball(actual: actual, forecast: forecast.lower, quantile: 0.1)
            + MetricAccumulator.pinball(actual: actual, forecast: forecast.upper, quantile: 0.9))
    }

    public var metrics: IntervalMetrics {
        guard count > 0 else { return IntervalMetrics(count: 0, mae: 0, rmse: 0, wape: 0, bandCoverage: 0, pinball: 0) }
        guard nonFinite == 0 else {
            return IntervalMetrics(count: count, mae: .nan, rmse: .nan, wape: .nan, bandCoverage: .nan, pinball: .nan, nonFinite: nonFinite)
        }
        let n = Double(count)
        return IntervalMetrics(count: count, mae: absoluteError / n, rmse: (squaredError / n).squareRoot(),
                               // No WAPE of actuals that sum to 0 (a silent trace): 0 read as a perfect score.
                               wape: absoluteActual > 0 ? absoluteError / absoluteActual : .nan,
                               bandCoverage: Double(covered) / n, pinball: pinballLoss / n)
    }
}

/// The result of scoring interval forecasts at every origin.
public struct IntervalEvaluationReport: Sendable, Equatable {
    public var horizonSeconds: Double
    /// Series with at least one scored origin.
    public var seriesCount: Int
    /// Origins scored per method.
    public var steps: Int
    /// Metrics per method, in `IntervalMethod.allCases` order (`seasonal` only when some series
    /// has a daily season and more than a day of rows).
    public var methods: [MethodMetrics]
    /// The series' unit, in which MAE, RMSE and pinball are (`SeriesSet.unit`, the same for every
    /// set); nil when the files do not say it or differ. Set by the caller.
    public var unit: String?

    public struct MethodMetrics: Sendable, Equatable {
        public var method: IntervalMethod
        public var metrics: IntervalMetrics
    }

    public subscript(method: IntervalMethod) -> IntervalMetrics? {
        methods.first { $0.method == method }?.metrics
    }
}

/// Scores interval forecasts: at every origin row from `from` on whose next `horizon` seconds lie
/// inside the series and are at least half observed, each method forecasts the mean of those rows
/// from the rows up to the origin only.
public enum IntervalEvaluator {
    public static func evaluate(model: IntervalModel, sets: [SeriesSet], from: Int) throws(HorizonError) -> IntervalEvaluationReport {
        let horizon = model.horizonSeconds
        // Seasonal only where a series has a season it can use: a daily one and more than a day of rows.
        let seasonal = sets.contains { set in set.seasonality.day.map { set.rowCount > $0 } ?? false }
        let methods = IntervalMethod.allCases.filter { $0 != .seasonal || seasonal }
        var accumulators = methods.map { _ in IntervalMetricAccumulator() }
        var seriesCount = 0, steps = 0
        var f = [Double](repeating: 0, count: model.featureNames.count)
        for set in sets {
            guard let step = set.step else { throw .noTimestamps(path: set.source) }
            try HorizonError.check(path: set.source, horizon: horizon, step: step)
            for series in set.series {
                // Counted when it has a scored forecast: the title and "series" say how many were scored.
                let stepsBefore = steps
                defer { if steps > stepsBefore { seriesCount += 1 } }
                let prepared = IntervalSeries(series: series, step: step, horizon: horizon,
                                              covariateColumns: series.covariateColumns(for: model.covariates),
                                              day: set.seasonality.day)
                var ewma = Double.nan
                for t in 0..<prepared.rowCount {
                    let v = prepared.values[t]
                    if !v.isNaN { ewma = ewma.isNaN ? v : ewma + model.ewmaAlpha * (v - ewma) }
                    guard t >= from, let origin = prepared.origin(t), let actual = prepared.target(t) else { continue }
                    prepared.features(t, origin: origin, into: &f)
                    steps += 1
                    for (k, method) in methods.enumerated() {
                        let forecast: IntervalForecast
                        switch method {
                        case .flowcast: forecast = f.withUnsafeBufferPointer { model.forecast($0, origin: origin) }
                        case .persistence: forecast = model.band(.persistence, point: origin.last, origin: origin)
                        case .recentMean: forecast = model.band(.recentMean, point: origin.recentMean, origin: origin)
                        case .ewma: forecast = model.band(.ewma, point: ewma, origin: origin)
                        case .seasonal: forecast = model.band(.seasonal, point: prepared.seasonal(t) ?? origin.last, origin: origin)
                        }
                        accumulators[k].add(actual: actual, forecast)
                    }
                }
            }
        }
        return IntervalEvaluationReport(horizonSeconds: horizon, seriesCount: seriesCount, steps: steps,
                                        methods: zip(methods, accumulators).map { .init(method: $0, metrics: $1.metrics) })
    }
}

extension IntervalEvaluationReport {
    /// `{"horizon_seconds": 60, "series": N, "steps": N, "methods": [{"name": …, "mae": …, "rmse": …,
    /// "wape": …, "p10_p90_coverage": …, "pinball": …, "mae_vs_recent_mean": …}]}`.
    public var json: String {
        func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }
        let rule = self[.recentMean]?.mae ?? 0
        let entries = methods.map { entry in
            let m = entry.metrics
            return "{\"name\": \"\(entry.method.rawValue)\", \"mae\": \(number(m.mae)), \"rmse\": \(number(m.rmse)), "
                + "\"wape\": \(number(m.wape)), \"p10_p90_coverage\": \(number(m.bandCoverage)), \"pinball\": \(number(m.pinball)), "
                + "\"mae_vs_recent_mean\": \(number(rule > 0 ? m.mae / rule : .nan))}"
        }
        return "{\"horizon_seconds\": \(number(horizonSeconds)), \"series\": \(seriesCount), \"steps\": \(steps), "
            + "\"unit\": \(EvaluationUnit.json(unit)), \"methods\": ["
            + entries.joined(separator: ", ") + "]}"
    }

    public var table: String {
        func fixed(_ value: Double, _ digits: Int) -> String { value.isFinite ? String(format: "%.\(digits)f", value) : "-" }
        let rule = self[.recentMean]?.mae ?? 0
        var rows = [["method", "MAE", "RMSE", "WAPE%", "P10-P90cov", "pinball", "MAE×recentMean"]]
        for entry in methods {
            let m = entry.metrics
            rows.append([entry.method.rawValue, AlignedTable.error(m.mae) ?? fixed(m.mae, 4),
                         AlignedTable.error(m.rmse) ?? fixed(m.rmse, 4), fixed(m.wape * 100, 2),
                         fixed(m.bandCoverage, 3), AlignedTable.error(m.pinball) ?? fixed(m.pinball, 4),
                         fixed(rule > 0 ? m.mae / rule : .nan, 3)])
        }
        return AlignedTable.render(rows, title: "\(seriesCount) series, \(steps) forecasts per method of the mean of the next \(IntervalSeries.seconds(horizonSeconds)); "
            + EvaluationUnit.phrase(unit))
    }
}
