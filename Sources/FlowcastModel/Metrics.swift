/// Forecast accuracy over many one-step forecasts. Ratios (WAPE, sMAPE, coverage) are fractions.
public struct ForecastMetrics: Sendable, Equatable, Codable {
    /// Forecasts scored.
    public var count: Int
    /// Mean absolute error.
    public var mae: Double
    /// Root mean squared error.
    public var rmse: Double
    /// Weighted absolute percentage error: Σ|y − ŷ| / Σ|y|.
    public var wape: Double
    /// Symmetric MAPE: mean of 2|y − ŷ| / (|y| + |ŷ|), with 0 where both are 0; range 0…2.
    public var smape: Double
    /// Fraction of actuals at or below the upper quantile forecast.
    public var coverage: Double
    /// Mean pinball (quantile) loss of the upper quantile forecast.
    public var pinball: Double
    /// Forecasts that were not finite numbers (a method that could not forecast). When any was,
    /// every figure above is NaN: scoring only the others, or counting a NaN as no error (as
    /// sMAPE's 0/0 rule did), would read as a score the method never earned.
    public var nonFinite = 0
}

/// Accumulates forecast errors; one per method in an evaluation.
public struct MetricAccumulator: Sendable {
    /// The quantile the upper forecast targets (0.9 for P90).
    public let quantile: Double
    private var count = 0
    private var absoluteError = 0.0
    private var squaredError = 0.0
    private var absoluteActual = 0.0
    private var symmetricError = 0.0
    private var covered = 0
    private var pinballLoss = 0.0
    private var nonFinite = 0

    public init(quantile: Double = 0.9) {
        self.quantile = quantile
    }

    /// Scores one forecast of `actual`.
    public mutating func add(actual: Double, point: Double, upper: Double) {
        let error = actual - point
        count += 1
        if !point.isFinite || !upper.isFinite { nonFinite += 1 }
        absoluteError += abs(error)
        squaredError += error * error
        absoluteActual += abs(actual)
        let denominator = abs(actual) + abs(point)
        symmetricError += denominator > 0 ? 2 * abs(error) / denominator : 0
        if actual <= upper { covered += 1 }
        pinballLoss += Self.pinball(actual: actual, forecast: upper, quantile: quantile)
    }

    /// Pinball loss: q·(y − f) when under-forecast, (1 − q)·(f − y) when over.
    public static func pinball(actual: Double, forecast: Double, quantile: Double) -> Double {
        let difference = actual - forecast
        return difference >= 0 ? quantile * difference : (quantile - 1) * difference
    }

    /// The metrics so far (all zero before any forecast; all NaN once a forecast was not finite).
    public var metrics: ForecastMetrics {
        guard count > 0 else { return ForecastMetrics(count: 0, mae: 0, rmse: 0, wape: 0, smape: 0, coverage: 0, pinball: 0) }
        guard nonFinite == 0 else {
            return ForecastMetrics(count: count, mae: .nan, rmse: .nan, wape: .nan, smape: .nan, coverage: .nan, pinball: .nan,
                                   nonFinite: nonFinite)
        }
        let n = Double(count)
        return ForecastMetrics(count: count, mae: absoluteError / n, rmse: (squaredError / n).squareRoot(),
                               // No WAPE of actuals that sum to 0 (a silent trace): 0 read as a perfect score.
                               wape: absoluteActual > 0 ? absoluteError / absoluteActual : .nan,
                               smape: symmetricError / n, coverage: Double(covered) / n, pinball: pinballLoss / n)
    }
}
