/// The result of scoring rolling one-step-ahead forecasts.
public struct EvaluationReport: Sendable, Equatable {
    /// Series with at least one scored forecast (a series too short for --from is not counted).
    public var seriesCount: Int
    /// Forecasts scored per method (series × rows with an observed actual).
    public var steps: Int
    /// Metrics per method, in `ForecastMethod.allCases` order.
    public var methods: [MethodMetrics]
    /// The quantile every method's upper forecast targets: the model's (`train --quantile`). The
    /// coverage and pinball columns are named after it (`p90_coverage` for the default 0.9).
    public var quantile: Double = 0.9
    /// Scored forecasts whose seasonal baseline had a whole season of history behind it (a day,
    /// a week); the others are persistence's. On 1 s radio logs no trace is a day long, and the
    /// seasonal rows equalled persistence's without a word.
    public var daySeasonSteps = 0
    public var weekSeasonSteps = 0
    /// The series' unit, in which MAE, RMSE and pinball are (`SeriesSet.unit`, the same for every
    /// set); nil when the files do not say it or differ. Set by the caller.
    public var unit: String?

    /// "P90" for 0.9, "P97.5" for 0.975: how the upper forecast is named in the outputs.
    public static func upperName(_ quantile: Double) -> String {
        let percent = (quantile * 1000).rounded() / 10
        return percent == percent.rounded() ? "P\(Int(percent))" : "P\(percent)"
    }

    public struct MethodMetrics: Sendable, Equatable {
        public var method: ForecastMethod
        public var metrics: ForecastMetrics
    }

    /// The metrics of one method.
    public subscript(method: ForecastMethod) -> ForecastMetrics? {
        methods.first { $0.method == method }?.metrics
    }
}

/// One scored forecast, as `Evaluator.evaluate` hands it to its `record` callback.
public struct ScoredForecast {
    /// The series' file (or label) and name.
    public var source: String
    public var series: String
    /// The 0-based data row forecast, and its time (seconds) when the file has timestamps.
    public var row: Int
    public var time: Double?
    public var actual: Double
    /// Every method's point and upper forecast, in `ForecastMethod.allCases` order.
    public var forecast: Forecast
}

/// Scores every method with rolling one-step-ahead forecasts: each row from `from` on is
/// forecast from earlier rows only, then observed. Missing actuals are not scored; missing
/// history rows carry the last value forward. `record`, when given, sees every scored forecast
/// (`flowcast evaluate --forecasts`).
public enum Evaluator {
    public static func evaluate(model: ForecastModel, sets: [SeriesSet], from: Int, fallback: Bool = true,
                                record: ((ScoredForecast) -> Void)? = nil) -> EvaluationReport {
        var accumulators = ForecastMethod.allCases.map { _ in MetricAccumulator(quantile: model.quantile) }
        var seriesCount = 0
        var steps = 0
        var daySeasonSteps = 0, weekSeasonSteps = 0
        for set in sets {
            for series in set.series {
                // Counted when it has a scored forecast: the title and "series" say how many were scored.
                let stepsBefore = steps
                defer { if steps > stepsBefore { seriesCount += 1 } }
                var state = model.makeState(step: set.step, fallback: fallback)
                var last = Double.nan
                var row = Array(repeating: Double.nan, count: model.layout.covariates.count)
                let columns = series.covariateColumns(for: model.layout.covariates)  // by name, not position
                for (t, value) in series.values.enumerated() {
                    if t >= from, !value.isNaN, state.count > 0 {
                        let forecast = model.forecast(state)
                        for (index, method) in forecast.methods.enumerated() {
                            accumulators[index].add(actual: value, point: method.point, upper: method.upper)
                        }
                        steps += 1
                        let season = state.seasonBehind
                        if season.day { daySeasonSteps += 1 }
                        if season.week { weekSeasonSteps += 1 }
                        record?(ScoredForecast(source: set.source, series: series.name, row: t, time: set.time(ofRow: t),
                                               actual: value, forecast: forecast))
                    }
                    if !value.isNaN { last = value }
                    if !last.isNaN {
                        // A missing value goes in as NaN: the state carries the last one forward
                        // and leaves the upper calibration alone.
                        if row.isEmpty {
                            state.observe(value, at: set.time(ofRow: t))
                        } else {
                            series.covariates(atRow: t, columns: columns, into: &row)
                            state.observe(value, at: set.time(ofRow: t), covariates: row)
                        }
                    }
                }
            }
        }
        let methods = zip(ForecastMethod.allCases, accumulators).map {
            EvaluationReport.MethodMetrics(method: $0, metrics: $1.metrics)
        }
        return EvaluationReport(seriesCount: seriesCount, steps: steps, methods: methods, quantile: model.quantile,
                                daySeasonSteps: daySeasonSteps, weekSeasonSteps: weekSeasonSteps)
    }
}
