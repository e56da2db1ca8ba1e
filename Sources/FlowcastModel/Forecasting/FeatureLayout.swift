/// The Flowcast model's features, all computed online from one series' history.
///
/// Every feature is scale free: differences from the last value divided by the series' scale
/// (mean |x| over the last `scaleWindow` rows), so one global model serves series of any size,
/// including ones it never saw. The target is the normalised change (x[t+1] − x[t]) / scale.
public struct FeatureLayout: Sendable, Equatable, Codable {
    /// Lags 1…n of the difference from the last value.
    public var lagCount: Int
    /// Rolling-mean windows (rows).
    public var rollingWindows: [Int]
    /// Rows in the normalisation window.
    public var scaleWindow: Int
    /// Rows in the rolling standard deviation.
    public var volatilityWindow: Int
    /// Longest daily season (rows) the model keeps history for; longer seasons are not used.
    public var maxSeasonRows: Int
    /// Normalised features are clipped to ±this, so one spike cannot dominate a forecast.
    public var clip: Double
    /// The daily-season level features (`day_lag_diff`, `day_window_diff`) are clipped to ±this,
    /// and the daily slope (`day_slope`) to ±`seasonSlopeClip`: they stand for yesterday's shape,
    /// and without a tighter bound a burst yesterday is replayed today. On Abilene OD pair 7→2, a
    /// burst of 1 000 Mbit/s made the forecast a day later jump by up to 180 Mbit/s from a steady
    /// 115 (docs/forecasting.md). A normal daily slope is a few percent of the scale per 5 minutes.
    public var seasonClip: Double
    public var seasonSlopeClip: Double
    /// Rows in the recent maximum and minimum (what a spike or a dip in the last rows looked like).
    public var extremaWindow: Int
    /// Names of the exogenous covariates (known at each row, e.g. a radio log's CQI, RSRP, SNR,
    /// RSRQ, download state, speed) the model reads beside the series; empty: no covariate features.
    public var covariates: [String] = []

    /// Rows back for a covariate's trend feature (value now minus value this many rows before).
    static let covariateTrendLag = 5
    /// Rows in the rolling standard deviation of the first covariate (e.g. CQI variability).
    static let covariateVolatilityWindow = 10
    /// Rows of covariate history a state keeps.
    static let covariateHistory = 16

    public static let standard = FeatureLayout(lagCount: 11, rollingWindows: [3, 6, 12, 36, 144], scaleWindow: 288,
                                               volatilityWindow: 12, maxSeasonRows: 20_160, clip: 20, extremaWindow: 12,
                                               seasonClip: 3, seasonSlopeClip: 1)

    public init(lagCount: Int, rollingWindows: [Int], scaleWindow: Int, volatilityWindow: Int, maxSeasonRows: Int, clip: Double,
                extremaWindow: Int, seasonClip: Double, seasonSlopeClip: Double) {
        self.seasonClip = seasonClip
        self.seasonSlopeClip = seasonSlopeClip
        self.extremaWindow = extremaWindow
        self.lagCount = lagCount
        self.rollingWindows = rollingWindows
        self.scaleWindow = scaleWindow
        self.volatilityWindow = volatilityWindow
        self.maxSeasonRows = maxSeasonRows
        self.clip = clip
    }

    /// What makes this layout unusable, if anything (a model file is untrusted input: a zero lag
    /// count or a window of a billion rows must be refused, not trapped on or allocated).
    public var problem: String? {
        let rows = 1...100_000
        if !(1...64).contains(lagCount) { return "lagCount \(lagCount) is not 1…64" }
        if rollingWindows.isEmpty || rollingWindows.count > 16 || !rollingWindows.allSatisfy(rows.contains) {
            return "rollingWindows must be 1 to 16 windows of 1…100000 rows"
        }
        for (name, window) in [("scaleWindow", scaleWindow), ("volatilityWindow", volatilityWindow),
                              ("extremaWindow", extremaWindow)] where !rows.contains(window) {
            return "\(name) \(window) is not 1…100000"
        }
        if !(0...100_000).contains(maxSeasonRows) { return "maxSeasonRows \(maxSeasonRows) is not 0…100000" }
        for (name, value) in [("clip", clip), ("seasonClip", seasonClip), ("seasonSlopeClip", seasonSlopeClip)]
        where !(value.isFinite && value > 0) {
            return "\(name) must be a positive number"
        }
        if covariates.count > 64 { return "more than 64 covariates" }
        return nil
    }

    /// Feature names in vector order; stored in model files and checked on load.
    public var names: [String] {
        var names = ["bias"]
        names += (1...lagCount).map { "lag\($0)_diff" }
        names += rollingWindows.map { "mean\($0)_diff" }
        names += ["std\(volatilityWindow)", "level", "last_abs_change",
                  "day_lag_diff", "day_window_diff", "day_slope", "day_available",
                  "tod_sin", "tod_cos", "weekend",
                  "log_scale", "max\(extremaWindow)_diff", "min\(extremaWindow)_diff"]
        for name in covariates {
            names += ["\(name)_now", "\(name)_d1", "\(name)_d\(FeatureLayout.covariateTrendLag)"]
        }
        if let first = covariates.first {
            names += ["\(first)_std\(FeatureLayout.covariateVolatilityWindow)", "run_length", "busy_run_typical", "idle_run_typical"]
        }
        return names
    }

    public var count: Int { 1 + lagCount + rollingWindows.count + 13 + covariateFeatureCount }

    /// Features from covariates: per covariate its value, 1-row and 5-row change; the first
    /// covariate's recent standard deviation; the signed log length of the current idle/busy run, and
    /// the log of the typical busy and idle run lengths (averages of the runs that ended).
    var covariateFeatureCount: Int { covariates.isEmpty ? 0 : 3 * covariates.count + 4 }

    var rollingStart: Int { 1 + lagCount }
    var dayStart: Int { rollingStart + rollingWindows.count + 3 }
    var calendarStart: Int { dayStart + 4 }
    var shapeStart: Int { calendarStart + 3 }
    var covariateStart: Int { shapeStart + 3 }

    /// Indices the ridge baseline uses: bias, lags and the daily lag — a plain lag regression.
    var ridgeIndices: [Int] { [0] + Array(1...lagCount) + [dayStart, dayStart + 3] }
}
