/// The baselines' tuned parameters, fitted on the training rows and stored in the model file so
/// evaluation and live runs use exactly what training chose.
public struct BaselineParameters: Sendable, Equatable, Codable {
    /// EWMA smoothing factor (tuned by pooled MAE on the training rows).
    public var ewmaAlpha: Double
    /// Additive Holt-Winters level, trend and daily-season smoothing factors (tuned likewise).
    public var holtWintersAlpha: Double
    public var holtWintersBeta: Double
    public var holtWintersGamma: Double
    /// Ridge regression on lag features (full feature-vector length, zero off the lag features).
    public var ridgeWeights: [Double]
    /// Per method, the P90 offset in scale units: upper = point + offset × scale.
    public var upperOffsets: [String: Double]

    public init(ewmaAlpha: Double = 0.7, holtWintersAlpha: Double = 0.6, holtWintersBeta: Double = 0,
                holtWintersGamma: Double = 0.1, ridgeWeights: [Double] = [], upperOffsets: [String: Double] = [:]) {
        self.ewmaAlpha = ewmaAlpha
        self.holtWintersAlpha = holtWintersAlpha
        self.holtWintersBeta = holtWintersBeta
        self.holtWintersGamma = holtWintersGamma
        self.ridgeWeights = ridgeWeights
        self.upperOffsets = upperOffsets
    }
}

/// Every method an evaluation scores, in report order; raw values are the report names.
public enum ForecastMethod: String, Sendable, CaseIterable, Codable {
    case flowcast
    case persistence
    case seasonalDay = "seasonal_day"
    case seasonalWeek = "seasonal_week"
    case ewma
    case holtWinters = "holt_winters"
    case ridge
}

/// Additive Holt-Winters state for one series; without a usable season it is Holt's linear method.
struct HoltWintersState: Sendable {
    var level = 0.0
    var trend = 0.0
    var season: [Double]
    var count = 0

    init(period: Int?) {
        season = Array(repeating: 0, count: period ?? 0)
    }

    var forecast: Double {
        level + trend + (season.isEmpty ? 0 : season[count % season.count])
    }

    mutating func observe(_ x: Double, alpha: Double, beta: Double, gamma: Double) {
        guard count > 0 else {
            level = x
            if !season.isEmpty { season[0] = 0 }
            count = 1
            return
        }
        let slot = season.isEmpty ? 0 : count % season.count
        let seasonal = season.isEmpty ? 0 : season[slot]
        let previousLevel = level
        level = alpha * (x - seasonal) + (1 - alpha) * (level + trend)
        trend = beta * (level - previousLevel) + (1 - beta) * trend
        if !season.isEmpty { season[slot] = gamma * (x - level) + (1 - gamma) * seasonal }
        count += 1
    }
}
