internal import Foundation

/// Every method an interval evaluation scores, in report order; raw values are the report names.
public enum IntervalMethod: String, Sendable, CaseIterable, Codable {
    case flowcast
    case persistence
    /// The planner's rule: the mean of the last max(60 s, 2 × horizon).
    case recentMean
    case ewma
    /// The same window one day earlier (only for series with a daily season).
    case seasonal
}

/// One quantile head of the interval model: a linear model plus boosted oblivious trees on the
/// interval features, predicting (interval mean − recent mean) / scale at quantile `tau`.
public struct IntervalHead: Sendable, Equatable, Codable {
    public var tau: Double
    public var weights: [Double]
    public var trees: TreeEnsemble?
    /// Added to the output (scale units): the band heads' calibration on the validation traces.
    public var shift: Double

    func predict(_ f: UnsafeBufferPointer<Double>) -> Double {
        var total = shift
        for j in 0..<min(weights.count, f.count) { total += weights[j] * f[j] }
        if let trees, trees.treeCount > 0 { total += trees.predict(f.baseAddress!) }
        return total
    }
}

/// The interval forecast of one series at one origin: the mean of the next `horizon` seconds.
public struct IntervalForecast: Sendable, Equatable {
    public var point: Double
    /// The P10 and P90 of the interval mean.
    public var lower: Double
    public var upper: Double
}

/// The Flowcast interval model: forecasts the mean of the next `horizonSeconds` of a series (not
/// its next row), as a change from the recent mean (`RecentMeanRule`) in units of the series'
/// scale, with three quantile heads (P10, median, P90). Its own file format
/// (`"format": "flowcast-interval-model"`), read and written by `ModelFile`.
public struct IntervalModel: Sendable, Equatable, Codable {
    public static let formatVersion = 1
    public static let formatName = "flowcast-interval-model"

    public var format = IntervalModel.formatName
    public var version = IntervalModel.formatVersion
    /// A short content-derived id, for provenance.
    public var id: String
    /// The interval forecast: the mean of the next this many seconds.
    public var horizonSeconds: Double
    /// What the model forecasts of radio KPI logs (`dl`, `se`); nil for other series.
    public var target: String?
    /// Covariates (by name) the features use, in order; empty when trained without.
    public var covariates: [String]
    public var featureNames: [String]
    public var lower: IntervalHead
    public var point: IntervalHead
    public var upper: IntervalHead
    /// EWMA smoothing factor of the `ewma` baseline, tuned on the training origins.
    public var ewmaAlpha: Double
    /// Per baseline, the P10 and P90 of its normalised training residuals: band = point + offset × scale.
    public var bandOffsets: [String: [Double]]
    public var validation: ValidationSummary
    public var training: TrainingSummary

    /// The model against the planner's rule on the validation traces (never fitted on).
    public struct ValidationSummary: Sendable, Equatable, Codable {
        public var series: Int
        public var origins: Int
        public var flowcastMAE: Double
        public var recentMeanMAE: Double
        /// Flowcast's MAE over recentMean's: below 1 when the model beats the rule.
        public var ratio: Double { recentMeanMAE > 0 ? flowcastMAE / recentMeanMAE : 1 }
    }

    public struct TrainingSummary: Sendable, Equatable, Codable {
        public var sources: [String]
        public var series: Int
        public var samples: Int
        public var untilRow: Int?
        public var stepSeconds: Double?
    }

    /// True when the model beat the recent-mean rule on its validation traces; the planner uses
    /// the rule otherwise.
    public var beatsRecentMean: Bool { validation.ratio < 1 }

    func forecast(_ f: UnsafeBufferPointer<Double>, origin o: IntervalSeries.Origin) -> IntervalForecast {
        let p = max(o.recentMean + o.scale * point.predict(f), o.floor)
        let lo = max(min(o.recentMean + o.scale * lower.predict(f), p), o.floor)
        let hi = max(o.recentMean + o.scale * upper.predict(f), p)
        return IntervalForecast(point: p, lower: lo, upper: hi)
    }

    /// The band of a baseline's point forecast from its training residuals.
    func band(_ method: IntervalMethod, point p: Double, origin o: IntervalSeries.Origin) -> IntervalForecast {
        let offsets = bandOffsets[method.rawValue] ?? [0, 0]
        let lo = max(min(p + (offsets.first ?? 0) * o.scale, p), o.floor)
        let hi = max(p + (offsets.last ?? 0) * o.scale, p)
        return IntervalForecast(point: p, lower: lo, upper: hi)
    }

    /// Why this model cannot forecast `sets` at `horizon` seconds for `target`; nil when it can.
    /// One line naming the model file and what is wrong.
    public func mismatch(path: String, horizon: Double, target: RadioTarget?) -> String? {
        if abs(horizon - horizonSeconds) > 1e-9 {
            return "\(path): the model forecasts the mean of the next \(IntervalSeries.seconds(horizonSeconds)), "
                + "not of the next \(IntervalSeries.seconds(horizon)) (train one with --horizon \(IntervalSeries.argument(horizon)))"
        }
        if let target, let own = self.target, own != target.rawValue {
            return "\(path): the model forecasts --target \(own), not --target \(target.rawValue)"
        }
        return nil
    }
}

/// The next interval's forecast of one series from its history: the model's when it beats the
/// recent-mean rule on its validation traces, the rule's otherwise, with the band and a source
/// naming which. For planners: `history` is the series up to now on its grid (NaN = missing).
public enum IntervalForecaster {
    public struct Result: Sendable, Equatable {
        public var forecast: IntervalForecast
        /// The recent-mean rule at the same origin (what the plan would use without the model).
        public var recentMean: Double
        /// True when the model's forecast is used, false when the rule is.
        public var fromModel: Bool
        /// Names where the numbers come from, e.g. `model 1a2b3c4d (mean of the next 60 s, P10–P90)`.
        public var source: String
    }

    /// Forecasts the mean of the next `model.horizonSeconds` after the last row of `series`
    /// (grid step `step` seconds). Nil when the series has no observed value in the recent window.
    public static func forecast(_ model: IntervalModel, series: Series, step: Double) throws(HorizonError) -> Result? {
        try HorizonError.check(path: series.name, horizon: model.horizonSeconds, step: step)
        let prepared = IntervalSeries(series: series, step: step, horizon: model.horizonSeconds,
                                      covariateColumns: series.covariateColumns(for: model.covariates),
                                      day: Seasonality(step: step).day)
        let t = prepared.rowCount - 1
        guard let origin = prepared.origin(t) else { return nil }
        var f = [Double](repeating: 0, count: model.featureNames.count)
        prepared.features(t, origin: origin, into: &f)
        let window = IntervalSeries.seconds(RecentMeanRule.window(horizon: model.horizonSeconds))
        let horizon = IntervalSeries.seconds(model.horizonSeconds)
        if model.beatsRecentMean {
            let forecast = f.withUnsafeBufferPointer { model.forecast($0, origin: origin) }
            let ratio = String(format: "%.3f", model.validation.ratio)
            return Result(forecast: forecast, recentMean: origin.recentMean, fromModel: true,
                          source: "model \(model.id): mean of the next \(horizon), P10–P90 band (MAE \(ratio) × recentMean on its validation traces)")
        }
        let forecast = model.band(.recentMean, point: origin.recentMean, origin: origin)
        let ratio = String(format: "%.3f", model.validation.ratio)
        return Result(forecast: forecast, recentMean: origin.recentMean, fromModel: false,
                      source: "recentMean: mean of the last \(window) (model \(model.id) does not beat it: MAE \(ratio) × on its validation traces), "
                        + "P10–P90 band from its training residuals")
    }
}
