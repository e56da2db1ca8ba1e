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
/// version 3 the exogenous covariates in the layout, version 4 the tighter clip of the daily-season
/// features, `layout.seasonClip` and `seasonSlopeClip`).
public struct ForecastModel: Sendable, Equatable, Codable {
    /// The model file format this code reads and writes.
    public static let formatVersion = 4
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
        /// What was read from radio KPI logs (`dl`, `se`); nil for other series and older files.
        public var radioTarget: String? = nil
    }

    /// Step size of the online calibration of the upper forecast, in scale units per row: after
    /// every row the offset added to the upper head moves up by `rate × q` when the row was above
    /// the upper forecast and down by `rate × (1 − q)` when not, so its coverage tracks q on any
    /// period (adaptive conformal calibration). Chosen on the Abilene OD splits (docs/forecasting.md).
    public static let upperAdaptationRate = 0.005

    /// The persistence fallback of the point forecast, per series and online: the forecast is
    /// x + w × (heads' point − x), where x is the last value and w = 1 / (1 + e^(rate × (M − P))),
    /// M and P the discounted sums (factor `memory` per row, about 100 rows) of the absolute errors,
    /// in scale units, of the heads' point forecast and of persistence on this series. A global
    /// model can be wrong for one series in a way its features do not show (a trace type it barely
    /// saw, a link whose level shifts where others revert); the fallback then moves that series'
    /// forecast towards the last value, and back as the model does better again. P starts
    /// `priorAdvantage` ahead, so a new series starts at w = 0.9: the trained model is trusted
    /// until the series says otherwise. The weights follow the absolute error because the point
    /// forecast is a median. Measured in docs/forecasting.md; not stored in the model file.
    public enum Fallback {
        public static let rate = 1.0
        public static let memory = 0.99
        public static let priorAdvantage = 2.1972245773362196 / rate  // ln 9
    }

    /// A fresh state for a series with the given time step, using this model's layout, baselines
    /// and heads: the state keeps its next forecast, the upper forecast's online calibration and
    /// the point forecast's persistence fallback (`Fallback`; `fallback: false` turns it off) up to
    /// date as values are observed (`forecastPoint` then only reads them).
    public func makeState(step: Double?, fallback: Bool = true) -> SeriesState {
        SeriesState(layout: layout, seasonality: Seasonality(step: step), step: step, parameters: baselines,
                    heads: ForecastHeads(self), fallback: fallback)
    }

    /// Forecasts the next row of a series from its state (the state must hold at least one value).
    /// A state from `makeState` forecasts with the model that made it, including its calibration.
    public func forecast(_ state: SeriesState) -> Forecast {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: layout.count) { f in
            let (x0, s) = state.features(into: f)
            let (point, upper) = state.cachedForecast ?? ForecastHeads(self).forecast(f, last: x0, scale: s, upperOffset: 0, floor: state.forecastFloor)
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

    /// Point and upper forecast only (the pipeline's hot path: no baseline bookkeeping). For a state
    /// from `makeState` this reads the forecast `observe` already computed.
    public func forecastPoint(_ state: SeriesState) -> (point: Double, upper: Double) {
        if let cached = state.cachedForecast { return cached }
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: layout.count) { f in
            let (x0, s) = state.features(into: f)
            return ForecastHeads(self).forecast(f, last: x0, scale: s, upperOffset: 0, floor: state.forecastFloor)
        }
    }
}

/// A model's two heads (linear weights plus boosted trees) in flat memory of their own, shared by
/// reference with the states the model makes: the hot path reads them with no reference counting.
/// Immutable after `init`.
final class ForecastHeads: @unchecked Sendable {
    /// Features per vector.
    let count: Int
    let quantile: Double
    /// Point weights then upper weights (2 × count).
    private let weights: UnsafeMutablePointer<Double>
    private let point: PackedTrees
    private let upper: PackedTrees

    init(_ model: ForecastModel) {
        count = model.layout.count
        quantile = model.quantile
        weights = .allocate(capacity: 2 * count)
        for j in 0..<count {
            weights[j] = j < model.pointWeights.count ? model.pointWeights[j] : 0
            weights[count + j] = j < model.upperWeights.count ? model.upperWeights[j] : 0
        }
        point = PackedTrees(model.pointTrees)
        upper = PackedTrees(model.upperTrees)
    }

    deinit {
        weights.deallocate()
        point.free()
        upper.free()
    }

    /// The heads' raw outputs from a feature vector: point and upper, x0 + s × (linear + trees).
    @inline(__always)
    func raw(_ f: UnsafeMutableBufferPointer<Double>, last x0: Double, scale s: Double) -> (point: Double, upper: Double) {
        var dp = 0.0
        var du = 0.0
        let n = min(f.count, count)
        for j in 0..<n {
            dp += weights[j] * f[j]
            du += weights[count &+ j] * f[j]
        }
        let features = UnsafePointer(f.baseAddress!)
        dp += point.predict(features)
        du += upper.predict(features)
        // A series whose scale window holds only zeros (an idle cell, link or OD pair) has no
        // scale: its forecast is its last value. Scaled by the floor, the heads gave 4e-20, which
        // sMAPE scores as the worst error against an actual 0 (200 % a step).
        if s <= SeriesState.scaleFloor { return (x0, x0) }
        return (x0 + s * dp, x0 + s * du)
    }

    /// Point and upper forecast: the upper head plus the calibration offset (scale units), never
    /// below the point; both at least `floor`.
    @inline(__always)
    func forecast(_ f: UnsafeMutableBufferPointer<Double>, last x0: Double, scale s: Double, upperOffset: Double,
                  floor: Double) -> (point: Double, upper: Double) {
        let (point, upper) = raw(f, last: x0, scale: s)
        let floored = max(point, floor)
        guard s > SeriesState.scaleFloor else { return (floored, max(upper, floored)) }  // no scale for the offset either
        return (floored, max(max(upper, floor) + s * upperOffset, floored))
    }
}
