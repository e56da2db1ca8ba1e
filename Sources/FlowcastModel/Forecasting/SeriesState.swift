/// One series' online state: the recent history and running sums the model's features need, plus
/// the baselines' states. Feed it one value per window with `observe(_:at:)`; forecast with
/// `ForecastModel.forecast(_:)`. Nothing here looks ahead: features use only observed values.
public struct SeriesState: Sendable {
    let layout: FeatureLayout
    /// Rows per day and week for this series' step, when usable.
    public let seasonality: Seasonality
    /// Seconds per row, when known (for calendar features).
    public let step: Double?
    let parameters: BaselineParameters
    let dayPeriod: Int?
    let weekPeriod: Int?
    private var ring: [Double]
    private var head = -1
    /// Values observed so far.
    public private(set) var count = 0
    /// Time of the last observed value, when known.
    public private(set) var lastTime: Double?
    private var windowSums: [Double]
    private var scaleSum = 0.0
    private var volatilitySum = 0.0
    private var volatilitySquares = 0.0
    var ewmaLevel = 0.0
    var holtWinters: HoltWintersState
    /// Covariate history: `covariateHistory` rows × covariates, row-major ring sharing `count`.
    private var covariateRing: [Double]
    private var covariateHead = -1
    /// The current idle/busy run: its length in rows and whether the series is busy.
    private var runLength = 0
    private var runBusy = false
    /// The series' typical busy and idle run lengths: exponential averages of the runs that ended,
    /// in rows (0 before the first one ends). A bulk download's runs last about ten seconds, a
    /// video stream's one or two: the series' own history says which it is, so the model does not
    /// have to guess from covariates that only correlate with it (such as speed).
    private var typicalBusyRun = 0.0
    private var typicalIdleRun = 0.0
    /// Whether any observed value was negative; while none was, forecasts are floored at 0.
    private var sawNegative = false
    /// The model's heads when the state was made by `ForecastModel.makeState` (nil: plain state).
    let heads: ForecastHeads?
    /// With heads: the point (after the persistence fallback) and raw upper forecasts of the next
    /// row, computed when the last value was observed, and the scale they were made with.
    private var nextPoint = Double.nan
    /// The heads' own point forecast of the next row, before the persistence fallback.
    private var nextModelPoint = Double.nan
    /// Persistence fallback (with heads, unless turned off): exponentially discounted absolute
    /// errors, in scale units, of the heads' point forecast and of persistence on this series.
    let fallback: Bool
    private var modelLoss = 0.0
    private var persistenceLoss = ForecastModel.Fallback.priorAdvantage
    private var nextUpper = Double.nan
    private var nextScale = 1.0
    /// Online calibration of the upper forecast (scale units), updated by every observed (not missing) value.
    public private(set) var upperOffset = 0.0

    public init(layout: FeatureLayout = .standard, seasonality: Seasonality, step: Double?,
                parameters: BaselineParameters = BaselineParameters()) {
        self.init(layout: layout, seasonality: seasonality, step: step, parameters: parameters, heads: nil)
    }

    init(layout: FeatureLayout, seasonality: Seasonality, step: Double?, parameters: BaselineParameters, heads: ForecastHeads?,
         fallback: Bool = false) {
        self.heads = heads
        self.fallback = fallback && heads != nil
        self.layout = layout
        self.seasonality = seasonality
        self.step = step
        self.parameters = parameters
        dayPeriod = seasonality.day.flatMap { $0 <= layout.maxSeasonRows ? $0 : nil }
        weekPeriod = seasonality.week.flatMap { $0 <= layout.maxSeasonRows ? $0 : nil }
        let longest = max(layout.scaleWindow, layout.rollingWindows.max() ?? 0, layout.lagCount, layout.volatilityWindow, layout.extremaWindow,
                          (dayPeriod ?? 0) + 1, weekPeriod ?? 0)
        ring = Array(repeating: 0, count: longest + 1)
        windowSums = Array(repeating: 0, count: layout.rollingWindows.count)
        holtWinters = HoltWintersState(period: dayPeriod)
        covariateRing = Array(repeating: 0, count: FeatureLayout.covariateHistory * layout.covariates.count)
    }

    /// Covariate `k` `lag` rows before the latest (0 = latest); the oldest kept value if history is shorter.
    @inline(__always)
    func covariate(_ k: Int, lag: Int) -> Double {
        let history = FeatureLayout.covariateHistory
        var row = covariateHead - min(lag, count - 1, history - 1)
        if row < 0 { row += history }
        return covariateRing[row * layout.covariates.count + k]
    }

    /// The value `lag` rows before the latest (0 = latest); the oldest kept value if history is shorter.
    @inline(__always)
    public func value(lag: Int) -> Double {
        let k = min(lag, count - 1, ring.count - 1)
        var index = head - k
        if index < 0 { index += ring.count }
        return ring[index]
    }

    /// Adds the next value, with the row's covariates when the model uses them
    /// (`layout.covariates` order; a missing or `NaN` covariate carries its last value forward, 0
    /// before the first one). A missing value is `NaN`: the last value is carried forward (before
    /// the first value the row is skipped), and the upper calibration is not updated (passing the
    /// last value again instead counts the row as covered).
    public mutating func observe(_ newValue: Double, at time: Double? = nil, covariates: [Double]? = nil) {
        let missing = newValue.isNaN
        if missing && count == 0 { return }
        let x = missing ? value(lag: 0) : newValue
        if let heads, count > 0, !missing {
            // Was x above the upper forecast made for it? Move the offset so coverage tracks q.
            let upper = max(nextUpper + nextScale * upperOffset, nextPoint)
            if fallback {
                let memory = ForecastModel.Fallback.memory
                let perScale = 1 / nextScale
                modelLoss = memory * modelLoss + abs(x - nextModelPoint) * perScale
                persistenceLoss = memory * persistenceLoss + abs(x - value(lag: 0)) * perScale
            }
            upperOffset += ForecastModel.upperAdaptationRate * ((x > upper ? 1 : 0) - (1 - heads.quantile))
        }
        let kCount = layout.covariates.count
        if kCount > 0 {
            let history = FeatureLayout.covariateHistory
            let previous = covariateHead
            covariateHead += 1
            if covariateHead == history { covariateHead = 0 }
            for k in 0..<kCount {
                var c = covariates.flatMap { k < $0.count ? $0[k] : nil } ?? .nan
                if c.isNaN { c = previous >= 0 ? covariateRing[previous * kCount + k] : 0 }
                covariateRing[covariateHead * kCount + k] = c
            }
            // Busy: above 5 % of the scale (the scale before this row; any positive value at first).
            let busy = x > (count > 0 ? 0.05 * scale : 0)
            if count > 0, busy == runBusy {
                runLength += 1
            } else {
                if count > 0 {
                    // The run that just ended joins its kind's average (the first one is the average).
                    func averaged(_ typical: Double) -> Double {
                        typical == 0 ? Double(runLength) : typical + Self.runAveraging * (Double(runLength) - typical)
                    }
                    if runBusy { typicalBusyRun = averaged(typicalBusyRun) } else { typicalIdleRun = averaged(typicalIdleRun) }
                }
                runLength = 1
                runBusy = busy
            }
        }
        if x < 0 { sawNegative = true }
        // Baselines first: their update uses the state before x.
        if count == 0 { ewmaLevel = x } else { ewmaLevel += parameters.ewmaAlpha * (x - ewmaLevel) }
        holtWinters.observe(x, alpha: parameters.holtWintersAlpha, beta: parameters.holtWintersBeta,
                            gamma: parameters.holtWintersGamma)
        for (index, window) in layout.rollingWindows.enumerated() {
            if count >= window { windowSums[index] -= value(lag: window - 1) }
            windowSums[index] += x
        }
        if count >= layout.scaleWindow { scaleSum -= abs(value(lag: layout.scaleWindow - 1)) }
        scaleSum += abs(x)
        if count >= layout.volatilityWindow {
            let leaving = value(lag: layout.volatilityWindow - 1)
            volatilitySum -= leaving
            volatilitySquares -= leaving * leaving
        }
        volatilitySum += x
        volatilitySquares += x * x
        head += 1
        if head == ring.count { head = 0 }
        ring[head] = x
        count += 1
        if let time { lastTime = time } else if let last = lastTime, let step { lastTime = last + step }
        if let heads {
            (nextModelPoint, nextUpper, nextScale) = rawForecast(heads)
            nextPoint = nextModelPoint
            if fallback {
                // Towards the last value as far as persistence has recently done better here.
                let w = 1 / (1 + exp(ForecastModel.Fallback.rate * (modelLoss - persistenceLoss)))
                nextPoint = x + w * (nextModelPoint - x)
            }
        }
    }

    /// The heads' raw point and upper forecast of the next row and the scale (non-mutating, so the
    /// closure borrows the state instead of copying it).
    @inline(__always)
    private func rawForecast(_ heads: ForecastHeads) -> (point: Double, upper: Double, scale: Double) {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: layout.count) { f in
            let (x0, s) = features(into: f)
            let (point, upper) = heads.raw(f, last: x0, scale: s)
            return (max(point, forecastFloor), max(upper, forecastFloor), s)
        }
    }

    /// The lowest value a forecast may take: 0 for a series that has never been negative (loads,
    /// bitrates: a forecast below 0 is never right, and flooring it only lowers the error), else
    /// none.
    var forecastFloor: Double { sawNegative ? -.infinity : 0 }

    /// Exponential-average weight of the latest ended run in the typical run lengths.
    static let runAveraging = 0.2

    /// With heads (a state from `makeState` holding a value): the next row's point and calibrated
    /// upper forecast.
    var cachedForecast: (point: Double, upper: Double)? {
        guard heads != nil, count > 0 else { return nil }
        return (nextPoint, max(nextUpper + (nextScale > Self.scaleFloor ? nextScale * upperOffset : 0), nextPoint))
    }

    /// The normalisation scale: mean |x| over the scale window (never zero).
    public var scale: Double {
        let n = Double(min(count, layout.scaleWindow))
        return max(n > 0 ? scaleSum / n : 0, Self.scaleFloor)
    }

    /// The least scale: a window of zeros (a running sum may keep 1e-17 of values gone) is at it.
    static let scaleFloor = 1e-9

    /// Writes the feature vector for forecasting the next row; returns the last value and scale.
    func features(into f: UnsafeMutableBufferPointer<Double>) -> (last: Double, scale: Double) {
        let x0 = value(lag: 0)
        let s = scale
        let clip = layout.clip
        @inline(__always) func norm(_ v: Double) -> Double { min(max(v / s, -clip), clip) }
        f[0] = 1
        for k in 1...layout.lagCount { f[k] = norm(value(lag: k) - x0) }
        var i = layout.rollingStart
        for (index, window) in layout.rollingWindows.enumerated() {
            f[i] = norm(windowSums[index] / Double(min(count, window)) - x0)
            i += 1
        }
        let n = Double(min(count, layout.volatilityWindow))
        let mean = volatilitySum / n
        f[i] = norm(max(volatilitySquares / n - mean * mean, 0).squareRoot())
        f[i + 1] = norm(x0) - 1
        f[i + 2] = norm(abs(x0 - value(lag: 1)))
        let d = layout.dayStart
        if let day = dayPeriod, count > day {
            let dayAhead = value(lag: day - 1)  // the row one day before the forecast row
            let level = min(layout.seasonClip, clip)
            let slope = min(layout.seasonSlopeClip, clip)
            f[d] = min(max(norm(dayAhead - x0), -level), level)
            f[d + 1] = min(max(norm((value(lag: day) + dayAhead + value(lag: day - 2)) / 3 - x0), -level), level)
            f[d + 2] = min(max(norm(dayAhead - value(lag: day)), -slope), slope)
            f[d + 3] = 1
        } else {
            f[d] = 0; f[d + 1] = 0; f[d + 2] = 0; f[d + 3] = 0
        }
        let c = layout.calendarStart
        if let last = lastTime, let step {
            let target = last + step
            let secondOfDay = target - (target / 86_400).rounded(.down) * 86_400
            let angle = 2 * Double.pi * secondOfDay / 86_400
            f[c] = sin(angle)
            f[c + 1] = cos(angle)
            // 1970-01-01 was a Thursday: day 0 → weekday 4 (Sunday = 0).
            let weekday = (Int((target / 86_400).rounded(.down)) % 7 + 7 + 4) % 7
            f[c + 2] = weekday == 0 || weekday == 6 ? 1 : 0
        } else {
            f[c] = 0; f[c + 1] = 0; f[c + 2] = 0
        }
        // Series size (not scale free on purpose: large aggregates are smoother than small ones).
        let e = layout.shapeStart
        f[e] = min(max(log(s), -clip), clip)
        if layout.extremaWindow - 1 <= layout.lagCount {
            // The lag features already hold the window, normalised and clipped (both monotone).
            var high = 0.0
            var low = 0.0
            for k in 1..<max(layout.extremaWindow, 1) {
                high = max(high, f[k])
                low = min(low, f[k])
            }
            f[e + 1] = high
            f[e + 2] = low
        } else {
            var high = x0
            var low = x0
            for k in 1..<max(min(layout.extremaWindow, count), 1) {
                let v = value(lag: k)
                high = max(high, v)
                low = min(low, v)
            }
            f[e + 1] = norm(high - x0)
            f[e + 2] = norm(low - x0)
        }
        let kCount = layout.covariates.count
        if kCount > 0 {
            var i = layout.covariateStart
            let trend = FeatureLayout.covariateTrendLag
            for k in 0..<kCount {
                let now = covariate(k, lag: 0)
                f[i] = min(max(now, -clip), clip)
                f[i + 1] = min(max(now - covariate(k, lag: 1), -clip), clip)
                f[i + 2] = min(max(now - covariate(k, lag: trend), -clip), clip)
                i += 3
            }
            let window = min(FeatureLayout.covariateVolatilityWindow, count)
            var sum = 0.0
            var squares = 0.0
            for lag in 0..<window {
                let c = covariate(0, lag: lag)
                sum += c
                squares += c * c
            }
            let mean = sum / Double(max(window, 1))
            f[i] = min(max(squares / Double(max(window, 1)) - mean * mean, 0).squareRoot(), clip)
            let run = log(1 + Double(runLength))
            f[i + 1] = runBusy ? run : -run
            f[i + 2] = log(1 + typicalBusyRun)
            f[i + 3] = log(1 + typicalIdleRun)
        }
        return (x0, s)
    }

    /// Whether the seasonal baselines' next forecasts come from a season ago (true) or, without a
    /// whole season of history or a season at this step, from persistence (false).
    public var seasonBehind: (day: Bool, week: Bool) {
        (dayPeriod.map { count >= $0 } ?? false, weekPeriod.map { count >= $0 } ?? false)
    }

    /// The baselines' point forecasts for the next row, in `ForecastMethod` order after flowcast.
    func baselinePoints(features f: UnsafeMutableBufferPointer<Double>, last x0: Double, scale s: Double) -> (persistence: Double, seasonalDay: Double, seasonalWeek: Double, ewma: Double, holtWinters: Double, ridge: Double) {
        let seasonalDay = dayPeriod.map { count >= $0 ? value(lag: $0 - 1) : x0 } ?? x0
        let seasonalWeek = weekPeriod.map { count >= $0 ? value(lag: $0 - 1) : x0 } ?? x0
        var ridge = 0.0
        let weights = parameters.ridgeWeights
        if weights.count == layout.count {
            for index in layout.ridgeIndices { ridge += weights[index] * f[index] }
        }
        return (x0, seasonalDay, seasonalWeek, ewmaLevel, holtWinters.forecast, s > Self.scaleFloor ? x0 + s * ridge : x0)  // as the model's (`raw`)
    }
}

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif
