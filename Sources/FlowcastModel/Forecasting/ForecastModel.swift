/// A point forecast and upper quantile for one series' next row, with the baselines beside it.
public struct Forecast: Sendable, Equatable {
    /// The Flowcast model's point forecast.
    public var point: Double
    /// The Flowcast model's upper quantile forecast (P90 by default).
    public var upper: Double
    /// Per method (including flowcast), point and upper forecasts, in `ForecastMethod.allCases` order.
    public var methods: [(method: ForecastMethod, point: Double, upper: Double)]

    public static func == (lhs: Forecast, rhs: Forecast) -> Bool {
        lhs.point == rhs.point && lhs.upper == rhs.upper && lhs.methods.count == rhs.methods.count
            && zip(lhs.methods, rhs.methods).allSatisfy { $0.method == $1.method && $0.point == $1.point && $0.upper == $1.upper }
    }
}

/// The Flowcast global forecasting model: two heads on scale-free features — the median (point,
/// L1 loss) and the upper quantile (pinball loss) of the next normalised change — each a linear
/// model plus boosted oblivious trees fitted to its residuals; and the tuned baselines. Read and
/// written as versioned JSON by `ModelFile` (version 2 added the trees and the shape features,
/// version 3 the exogenous covariates in the layout).
public struct ForecastModel: Sendable, Equatable, Codable {
    /// The model file format this code reads and writes.
    public static let formatVersion = 3
    public static let formatName = "flowcast-model"

    public var format = ForecastModel.formatName
    public var version = ForecastModel.formatVersion
    /// A short content-derived id, for provenance in forecasts and policies.
    public var id: String
    /// The upper quantile (0.9 for P90).
    public var quantile: Double
    /// Seed the training run used.
    public var seed: UInt64
    public var layout: FeatureLayout
    /// Feature names, in weight order (checked against `layout` on load).
    public var featureNames: [String]
    /// Weights of the point head (median of the normalised change).
    public var pointWeights: [Double]
    /// Weights of the upper-quantile head.
    public var upperWeights: [Double]
    /// Boosted trees added to the point head (fitted to its residuals), if trained with trees.
    public var pointTrees: TreeEnsemble?
    /// Boosted trees added to the upper head.
    public var upperTrees: TreeEnsemble?
    public var baselines: BaselineParameters
    public var training: TrainingSummary

    /// What the model was trained on.
    public struct TrainingSummary: Sendable, Equatable, Codable {
        public var sources: [String]
        public var series: Int
        public var samples: Int
        public var untilRow: Int?
        public var stepSeconds: Double?
    }

    /// A fresh state for a series with the given time step, using this model's layout and baselines.
    public func makeState(step: Double?) -> SeriesState {
        SeriesState(layout: layout, seasonality: Seasonality(step: step), step: step, parameters: baselines)
    }

    /// Forecasts the next row of a series from its state (the state must hold at least one value).
    public func forecast(_ state: SeriesState) -> Forecast {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: layout.count) { f in
            let (x0, s) = state.features(into: f)
            let (point, upper) = heads(f, last: x0, scale: s)
            let b = state.baselinePoints(features: f, last: x0, scale: s)
            func offset(_ m: ForecastMethod) -> Double { (baselines.upperOffsets[m.rawValue] ?? 0) * s }
            let methods: [(method: ForecastMethod, point: Double, upper: Double)] = [
                (.flowcast, point, upper),
                (.persistence, b.persistence, b.persistence + offset(.persistence)),
                (.seasonalDay, b.seasonalDay, b.seasonalDay + offset(.seasonalDay)),
                (.seasonalWeek, b.seasonalWeek, b.seasonalWeek + offset(.seasonalWeek)),
                (.ewma, b.ewma, b.ewma + offset(.ewma)),
                (.holtWinters, b.holtWinters, b.holtWinters + offset(.holtWinters)),
                (.ridge, b.ridge, b.ridge + offset(.ridge)),
            ]
            return Forecast(point: point, upper: upper, methods: methods)
        }
    }

    /// Point and upper forecast only (the pipeline's hot path: no baseline bookkeeping).
    public func forecastPoint(_ state: SeriesState) -> (point: Double, upper: Double) {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: layout.count) { f in
            let (x0, s) = state.features(into: f)
            return heads(f, last: x0, scale: s)
        }
    }

    /// Point and upper forecast from a feature vector: linear heads plus their trees, in scale
    /// units of change from the last value; the upper forecast never falls below the point.
    @inline(__always)
    func heads(_ f: UnsafeMutableBufferPointer<Double>, last x0: Double, scale s: Double) -> (point: Double, upper: Double) {
        var dp = 0.0
        var du = 0.0
        pointWeights.withUnsafeBufferPointer { pw in
            upperWeights.withUnsafeBufferPointer { uw in
                for j in 0..<f.count {
                    dp += pw[j] * f[j]
                    du += uw[j] * f[j]
                }
            }
        }
        let features = UnsafePointer(f.baseAddress!)
        // Optional chaining reads the stored trees in place (`if let` would copy and retain them).
        dp += pointTrees?.predict(features) ?? 0
        du += upperTrees?.predict(features) ?? 0
        let point = x0 + s * dp
        return (point, max(x0 + s * du, point))
    }
}
