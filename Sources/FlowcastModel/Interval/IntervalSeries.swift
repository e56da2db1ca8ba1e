import FlowcastCore

internal import Foundation

/// The rule the planner sizes by without a model, and the `recentMean` baseline: the mean of the
/// observed values of the last max(60 s, 2 × horizon) (docs/forecasting.md, "Interval ahead").
public enum RecentMeanRule {
    /// Seconds of history averaged for an interval of `horizon` seconds.
    public static func window(horizon: Double) -> Double { max(60, 2 * horizon) }
}

/// Why a series cannot be forecast at a horizon.
public enum HorizonError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file has no timestamps, so a horizon in seconds means nothing in rows.
    case noTimestamps(path: String)
    /// The horizon is shorter than one row of the file.
    case shorterThanStep(path: String, horizon: Double, step: Double)
    /// The horizon is not a whole number of rows: the mean would be over a rounded number of
    /// rows, another horizon than the one named in the outputs.
    case notWholeSteps(path: String, horizon: Double, step: Double)

    /// Refuses a horizon shorter than the series' step or not a whole number of steps.
    public static func check(path: String, horizon: Double, step: Double) throws(HorizonError) {
        guard step <= horizon else { throw .shorterThanStep(path: path, horizon: horizon, step: step) }
        let steps = horizon / step
        guard abs(steps - steps.rounded()) <= 1e-9 * steps else { throw .notWholeSteps(path: path, horizon: horizon, step: step) }
    }

    public var description: String {
        switch self {
        case .noTimestamps(let path):
            "\(path.visible): the series has no timestamps, so a horizon in seconds cannot be turned into rows"
        case .shorterThanStep(let path, let horizon, let step):
            "\(path.visible): the horizon \(IntervalSeries.seconds(horizon)) is shorter than the series step \(IntervalSeries.seconds(step))"
        case .notWholeSteps(let path, let horizon, let step):
            "\(path.visible): the horizon \(IntervalSeries.seconds(horizon)) is not a whole number of the series' \(IntervalSeries.seconds(step)) steps "
                + "(\(IntervalSeries.seconds(max(1, (horizon / step).rounded(.down)) * step)) or \(IntervalSeries.seconds(((horizon / step).rounded(.down) + 1) * step)) would be)"
        }
    }
}

/// One series prepared for interval-ahead forecasting: prefix sums of its observed values (and of
/// its covariates) so every window mean is O(1), and the horizon and windows in rows of its grid.
/// An origin `t` is the row just observed; its target is the mean of the observed values of rows
/// t + 1 … t + H.
struct IntervalSeries {
    /// Window lengths, in seconds, of the recent-mean features (converted to rows, at least 1).
    static let windowSeconds: [Double] = [5, 10, 30, 60, 120, 300, 600, 1800]
    /// Seconds over which the extremes (max, min) and the short spread are taken.
    static let shortSeconds = 60.0
    /// Seconds over which the scale (mean |x|) is taken, at least the recent-mean window.
    static let scaleSeconds = 600.0
    /// Covariate change window (seconds).
    static let covariateChangeSeconds = 10.0

    let values: [Double]
    let filled: [Double]
    private let sum: [Double]
    private let sumAbs: [Double]
    private let sumSquares: [Double]
    private let count: [Int32]
    /// First row with a negative value (values.count when none): forecasts before it are floored at 0.
    private let firstNegative: Int
    private let covariateFilled: [[Double]]
    private let covariateSum: [[Double]]
    private let covariateCount: [[Int32]]
    let horizonRows: Int
    let recentRows: Int
    let scaleRows: Int
    let windowRows: [Int]
    let shortRows: Int
    let changeRows: Int
    /// Rows of the busy fractions' windows (10 s, 60 s) and of the long one (600 s, or the recent window).
    let busyRows: (Int, Int)
    let longRows: Int
    let day: Int?

    /// `covariateColumns`: the series' column for each of the model's covariates (nil = absent).
    init(series: Series, step: Double, horizon: Double, covariateColumns: [Int?], day: Int?) {
        values = series.values
        let n = values.count
        func rows(_ seconds: Double) -> Int { max(1, Int((seconds / step).rounded())) }
        horizonRows = rows(horizon)
        recentRows = rows(RecentMeanRule.window(horizon: horizon))
        scaleRows = max(recentRows, rows(Self.scaleSeconds))
        windowRows = Self.windowSeconds.map(rows)
        shortRows = rows(Self.shortSeconds)
        changeRows = rows(Self.covariateChangeSeconds)
        busyRows = (rows(10), rows(60))
        longRows = max(rows(600), recentRows)
        self.day = day
        var filled = values, sum = [Double](repeating: 0, count: n + 1), sumAbs = sum, sumSquares = sum
        var count = [Int32](repeating: 0, count: n + 1)
        var last = Double.nan
        var firstNegative = n
        for t in 0..<n {
            let v = values[t]
            if v.isNaN {
                filled[t] = last
                sum[t + 1] = sum[t]; sumAbs[t + 1] = sumAbs[t]; sumSquares[t + 1] = sumSquares[t]; count[t + 1] = count[t]
            } else {
                last = v
                sum[t + 1] = sum[t] + v; sumAbs[t + 1] = sumAbs[t] + abs(v); sumSquares[t + 1] = sumSquares[t] + v * v
                count[t + 1] = count[t] + 1
                if v < 0, firstNegative == n { firstNegative = t }
            }
        }
        self.filled = filled
        self.sum = sum
        self.sumAbs = sumAbs
        self.sumSquares = sumSquares
        self.count = count
        self.firstNegative = firstNegative
        var covariateFilled: [[Double]] = [], covariateSum: [[Double]] = [], covariateCount: [[Int32]] = []
        for column in covariateColumns {
            let source = column.map { series.covariates[$0] } ?? []
            var f = [Double](repeating: .nan, count: n), s = [Double](repeating: 0, count: n + 1), c = [Int32](repeating: 0, count: n + 1)
            var lastCovariate = Double.nan
            for t in 0..<n {
                let v = t < source.count ? source[t] : .nan
                if v.isNaN {
                    s[t + 1] = s[t]; c[t + 1] = c[t]
                } else {
                    lastCovariate = v; s[t + 1] = s[t] + v; c[t + 1] = c[t] + 1
                }
                f[t] = lastCovariate
            }
            covariateFilled.append(f); covariateSum.append(s); covariateCount.append(c)
        }
        self.covariateFilled = covariateFilled
        self.covariateSum = covariateSum
        self.covariateCount = covariateCount
    }

    var rowCount: Int { values.count }

    /// Mean of the observed values of rows a ..< b (clamped to the series), nil when there are none.
    func mean(_ a: Int, _ b: Int) -> Double? {
        let lo = max(0, a), hi = min(values.count, b)
        guard hi > lo else { return nil }
        let n = count[hi] - count[lo]
        return n > 0 ? (sum[hi] - sum[lo]) / Double(n) : nil
    }

    /// Observed rows among a ..< b.
    func observed(_ a: Int, _ b: Int) -> Int {
        let lo = max(0, a), hi = min(values.count, b)
        return hi > lo ? Int(count[hi] - count[lo]) : 0
    }

    private func standardDeviation(_ a: Int, _ b: Int) -> Double {
        let lo = max(0, a), hi = min(values.count, b)
        guard hi > lo else { return 0 }
        let n = Double(count[hi] - count[lo])
        guard n > 1 else { return 0 }
        let m = (sum[hi] - sum[lo]) / n
        return max(0, (sumSquares[hi] - sumSquares[lo]) / n - m * m).squareRoot()
    }

    /// What an origin's forecasts are made relative to: the recent mean `m` (the rule), the scale
    /// `s`, the last value and the floor.
    struct Origin {
        var recentMean: Double
        var scale: Double
        var last: Double
        var floor: Double
    }

    /// The recent mean, scale and last value at origin `t`; nil before the first observed value
    /// within the recent window.
    func origin(_ t: Int) -> Origin? {
        guard t >= 0, t < values.count, !filled[t].isNaN, let m = mean(t + 1 - recentRows, t + 1) else { return nil }
        let lo = max(0, t + 1 - scaleRows)
        let n = count[t + 1] - count[lo]
        let meanAbs = n > 0 ? (sumAbs[t + 1] - sumAbs[lo]) / Double(n) : 0
        let s = max(meanAbs, abs(m), 1e-9)
        return Origin(recentMean: m, scale: s, last: filled[t], floor: t < firstNegative ? 0 : -.infinity)
    }

    /// The mean of the next `horizonRows` rows after origin `t`, when the whole window lies inside
    /// the series and at least half of it is observed; nil otherwise (not scored, not trained on).
    func target(_ t: Int) -> Double? {
        guard t + horizonRows < values.count, observed(t + 1, t + 1 + horizonRows) * 2 >= horizonRows else { return nil }
        return mean(t + 1, t + 1 + horizonRows)
    }

    /// The seasonal baseline: the mean of the same window (t, t + H] as many whole days earlier as
    /// it takes to end by t (one day for a horizon of a day or less), when the series has a daily
    /// season and that much history; nil otherwise. Until 6 December 2026 it went back one day
    /// whatever the horizon, so a horizon past a day read rows after t (an audit: at 2 days half
    /// the window was the target's own rows, and `seasonal` scored 0.65 × recentMean).
    func seasonal(_ t: Int) -> Double? {
        guard let day, day > 0 else { return nil }
        let back = day * max(1, (horizonRows + day - 1) / day)
        guard t + 1 - back >= 0 else { return nil }
        return mean(t + 1 - back, t + 1 - back + horizonRows)
    }

    /// Feature names, in vector order, for `covariates`.
    static func featureNames(covariates: [String]) -> [String] {
        var names = ["bias"]
        names += windowSeconds.map { "mean_\(Int($0))s" }
        names += ["last", "log_scale", "level", "spread_recent", "spread_short", "trend", "max_short", "min_short",
                  "idle_fraction", "observed_fraction", "season", "season_available",
                  "busy_10s", "busy_60s", "busy_600s", "busy_level", "run", "mean_so_far", "log_age"]
        for c in covariates { names += ["\(c)_last", "\(c)_recent", "\(c)_change"] }
        return names
    }

    static func featureCount(covariates: Int) -> Int { 1 + windowSeconds.count + 19 + 3 * covariates }

    /// Normalised features are clipped to this, so one outlier cannot dominate a linear head.
    static let clip = 20.0

    /// Writes the features of origin `t` into `f` (length `featureCount`).
    func features(_ t: Int, origin o: Origin, into f: inout [Double]) {
        let m = o.recentMean, s = o.scale
        @inline(__always) func norm(_ v: Double) -> Double { min(max(v / s, -Self.clip), Self.clip) }
        var k = 0
        f[k] = 1; k += 1
        for rows in windowRows {
            f[k] = norm((mean(t + 1 - rows, t + 1) ?? o.last) - m); k += 1
        }
        f[k] = norm(o.last - m); k += 1
        f[k] = log(s); k += 1
        f[k] = norm(m); k += 1
        f[k] = norm(standardDeviation(t + 1 - recentRows, t + 1)); k += 1
        f[k] = norm(standardDeviation(t + 1 - shortRows, t + 1)); k += 1
        let half = max(1, recentRows / 2)
        if let newer = mean(t + 1 - half, t + 1), let older = mean(t + 1 - 2 * half, t + 1 - half) {
            f[k] = norm(newer - older)
        } else {
            f[k] = 0
        }
        k += 1
        var high = -Double.infinity, low = Double.infinity, idleRows = 0, seen = 0
        for r in max(0, t + 1 - shortRows)...t where !values[r].isNaN {
            high = max(high, values[r]); low = min(low, values[r])
        }
        for r in max(0, t + 1 - recentRows)...t where !values[r].isNaN {
            seen += 1
            if abs(values[r]) <= 0.05 * s { idleRows += 1 }
        }
        f[k] = high.isFinite ? norm(high - m) : 0; k += 1
        f[k] = low.isFinite ? norm(low - m) : 0; k += 1
        f[k] = seen > 0 ? Double(idleRows) / Double(seen) : 0; k += 1
        f[k] = Double(seen) / Double(min(recentRows, t + 1)); k += 1
        if let season = seasonal(t) {
            f[k] = norm(season - m); f[k + 1] = 1
        } else {
            f[k] = 0; f[k + 1] = 0
        }
        k += 2
        // On-off structure (DL: transfers and idle seconds): busy = above 5 % of the scale.
        var busy10 = 0, busy60 = 0, busy600 = 0, seen10 = 0, seen60 = 0, seen600 = 0, busySum = 0.0
        var run = 0, runBusy: Bool?
        var runOpen = true
        for r in stride(from: t, through: max(0, t + 1 - longRows), by: -1) {
            let v = values[r]
            if v.isNaN { continue }
            let isBusy = abs(v) > 0.05 * s
            let age = t - r
            if age < busyRows.0 { seen10 += 1; if isBusy { busy10 += 1 } }
            if age < busyRows.1 { seen60 += 1; if isBusy { busy60 += 1 } }
            seen600 += 1
            if isBusy { busy600 += 1; busySum += v }
            if runOpen {
                if runBusy == nil { runBusy = isBusy }
                if runBusy == isBusy { run += 1 } else { runOpen = false }
            }
        }
        f[k] = seen10 > 0 ? Double(busy10) / Double(seen10) : 0
        f[k + 1] = seen60 > 0 ? Double(busy60) / Double(seen60) : 0
        f[k + 2] = seen600 > 0 ? Double(busy600) / Double(seen600) : 0
        f[k + 3] = busy600 > 0 ? norm(busySum / Double(busy600) - m) : 0
        f[k + 4] = (runBusy == false ? -1 : 1) * log(1 + Double(run))
        f[k + 5] = norm((mean(0, t + 1) ?? m) - m)
        f[k + 6] = log(1 + Double(t))
        k += 7
        for c in covariateFilled.indices {
            let last = covariateFilled[c][t]
            let sums = covariateSum[c], counts = covariateCount[c]
            func covariateMean(_ rows: Int) -> Double? {
                let lo = max(0, t + 1 - rows)
                let n = counts[t + 1] - counts[lo]
                return n > 0 ? (sums[t + 1] - sums[lo]) / Double(n) : nil
            }
            let lastValue = last.isNaN ? 0 : last
            f[k] = lastValue
            f[k + 1] = covariateMean(recentRows) ?? lastValue
            f[k + 2] = lastValue - (covariateMean(changeRows) ?? lastValue)
            k += 3
        }
    }

    /// `60s`: a duration as `--horizon` takes it.
    static func argument(_ value: Double) -> String { seconds(value).replacingOccurrences(of: " ", with: "") }

    /// `60 s`, `1.5 s`: a duration for messages.
    static func seconds(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? "\(Int(value)) s" : "\(value) s"
    }
}
