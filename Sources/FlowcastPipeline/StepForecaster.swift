internal import FlowcastModel

/// Forecasts one series one step ahead from the values seen so far: with a trained model, or,
/// without one, by persistence. Replay's and live's interval planner keep one per cell and link;
/// `flowcast plan --series` one per column.
///
/// Without `--model`, each series is forecast by persistence (its last window), with a P90 from
/// the recent mean absolute change. Of the fixed-parameter forecasters measured on the Abilene
/// series (persistence, EWMA α 0.5, Holt α 0.5 with β 0.1–0.3, damped or not), persistence had the
/// lowest MAE (EWMA 2 % above it, Holt 4–14 %), and on the demo EWMA was 35 % above it: it lags
/// the load's swings.
enum StepForecaster {
    case model(ForecastModel, SeriesState)
    case persistence(last: Double?, change: Double)

    mutating func observe(_ x: Double, at time: Double?) {
        switch self {
        case .model(let m, var state):
            state.observe(x, at: time)
            self = .model(m, state)
        case let .persistence(last, change):
            guard let last else { self = .persistence(last: x, change: 0); return }
            self = .persistence(last: x, change: change + 0.3 * (abs(x - last) - change))
        }
    }

    /// The next step's point and upper forecast (never negative; the upper never below the
    /// point), or nil before the first value.
    func forecast() -> (point: Double, upper: Double)? {
        switch self {
        case let .model(m, state):
            guard state.count > 0 else { return nil }
            let f = m.forecastPoint(state)
            return (max(0, f.point), max(0, f.upper, f.point))
        case let .persistence(last, change):
            guard let last else { return nil }
            // The mean absolute change × 1.25 estimates σ; +1.2816σ is the P90 of a normal error.
            return (last, last + 1.2816 * 1.25 * change)
        }
    }
}
