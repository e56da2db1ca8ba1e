import Foundation

/// The `flowcast` sizing rule chosen by measurement (`reg-1800`, docs/policy.md "Sizing rule"),
/// shared by the spectrum backtest (samples are seconds) and the interval planner of replay and
/// live runs (samples are windows): every recent sample of every cell's demand and efficiency is
/// one scenario for the scenario MIP, each cell's demand and efficiency scaled by
/// 1 + β₁(m/μ − 1) + β₂(m_tail/μ − 1), with μ the cell's mean over the samples, m its mean over
/// the last interval and m_tail over the last `tail` samples of it; β by least squares on every
/// cell's consecutive interval means at once (one fit for demand, one for efficiency).
public enum RecentScenarioSizing {
    /// Seconds of recent samples the rule plans on (`reg-1800`).
    public static let seconds = 1800

    /// Per-cell scales for `series[c][range]` (`samplesPerInterval` samples an interval, the last
    /// `tail` of each its tail): 1 for every cell without three whole intervals in `range`.
    public static func regressionScales(_ series: [[Double]], _ range: Range<Int>, samplesPerInterval: Int, tail: Int) -> [Double] {
        let planEvery = samplesPerInterval
        let count = range.count / planEvery
        guard count >= 3 else { return series.map { _ in 1 } }
        let tail = min(tail, planEvery)
        func features(_ row: [Double], _ i: Int, _ mu: Double) -> (Double, Double) {
            let start = range.upperBound - (count - i) * planEvery
            let m = row[start..<(start + planEvery)].reduce(0, +) / Double(planEvery)
            let end = start + planEvery
            let t = row[(end - tail)..<end].reduce(0, +) / Double(tail)
            return (m / mu - 1, t / mu - 1)
        }
        var a11 = 1e-6, a12 = 0.0, a22 = 1e-6, b1 = 0.0, b2 = 0.0
        var mus: [Double] = []
        for row in series {
            let mu = row[range].reduce(0, +) / Double(range.count)
            mus.append(mu)
            guard mu > 0 else { continue }
            for i in 1..<count {
                let (x1, x2) = features(row, i - 1, mu)
                let y = features(row, i, mu).0
                a11 += x1 * x1; a12 += x1 * x2; a22 += x2 * x2; b1 += x1 * y; b2 += x2 * y
            }
        }
        let det = a11 * a22 - a12 * a12
        let beta1 = det != 0 ? (b1 * a22 - b2 * a12) / det : 0, beta2 = det != 0 ? (a11 * b2 - a12 * b1) / det : 0
        // The fit predicts interval i from interval i − 1, so the next interval's forecast takes the
        // last one in `range` (count − 1). Until 5 December 2026 this read interval `count`, the
        // seconds after `range`: in the backtest the interval being planned (a look-ahead), and
        // past the end of a running planner's windows.
        return series.indices.map { c in
            guard mus[c] > 0 else { return 1 }
            let (x1, x2) = features(series[c], count - 1, mus[c])
            return max(0, 1 + beta1 * x1 + beta2 * x2)
        }
    }

    /// One scenario per sample of `range`: every cell's demand (bit/s, negative as 0) × its scale,
    /// and its capacity per block, efficiency (bit/s/Hz, negative as 0) × `blockHz` × its scale.
    public static func scenarios(demand: [[Double]], efficiency: [[Double]], range: Range<Int>, blockHz: [Double],
                                 demandScale: [Double]? = nil, efficiencyScale: [Double]? = nil, weights: [Double]? = nil) -> SpectrumScenarios {
        var d: [[Double]] = [], capacity: [[Double]] = []
        let cells = blockHz.indices
        for t in range {
            d.append(cells.map { c in max(0, demand[c][t]) * (demandScale?[c] ?? 1) })
            capacity.append(cells.map { c in max(0, efficiency[c][t]) * blockHz[c] * (efficiencyScale?[c] ?? 1) })
        }
        return SpectrumScenarios(demand: d, capacityPerBlock: capacity, weights: weights)
    }

    /// The rule's scenarios for the interval after `range` and the scales it applied.
    public static func sized(demand: [[Double]], efficiency: [[Double]], range: Range<Int>, blockHz: [Double],
                             samplesPerInterval: Int, tail: Int)
        -> (scenarios: SpectrumScenarios, demandScale: [Double], efficiencyScale: [Double]) {
        let ds = regressionScales(demand, range, samplesPerInterval: samplesPerInterval, tail: tail)
        let es = regressionScales(efficiency, range, samplesPerInterval: samplesPerInterval, tail: tail)
        return (scenarios(demand: demand, efficiency: efficiency, range: range, blockHz: blockHz, demandScale: ds, efficiencyScale: es), ds, es)
    }
}

extension SpectrumScenarioWeights {
    /// The `flowcast` method's weights (change cost chosen on the design split, docs/policy.md).
    public static let flowcast = SpectrumScenarioWeights(changeCost: 0.0175, spreadReward: 0.00875)
}

/// What a running planner (replay, live) saw of every cell over its recent windows: the input of
/// the `flowcast` sizing rule in `PolicyPlanner.plan(_:provenance:current:paths:recent:timed:)`.
public struct RecentCellWindows: Sendable {
    /// Seconds each window lasts.
    public var windowSeconds: Double
    /// Windows in one plan interval.
    public var windowsPerInterval: Int
    /// Cell id → rate (bit/s) of each window, oldest first; every array `count` long. A cell the
    /// windows never carried is absent.
    public var demand: [String: [Double]]
    /// Cell id → measured spectral efficiency (bit/s/Hz) over each window, oldest first (cells
    /// with a radio KPI log); the others use the efficiency request sizing would.
    public var efficiency: [String: [Double]]
    /// Windows kept (the same for every cell).
    public var count: Int

    public init(windowSeconds: Double, windowsPerInterval: Int, demand: [String: [Double]], efficiency: [String: [Double]], count: Int) {
        self.windowSeconds = windowSeconds
        self.windowsPerInterval = max(1, windowsPerInterval)
        self.demand = demand
        self.efficiency = efficiency
        self.count = count
    }

    /// Windows in the rule's tail (the last 10 s of an interval), at least one.
    public var tail: Int { max(1, Int((10 / windowSeconds).rounded())) }

    /// Whether the rule can plan on them: at least two plan intervals of windows and a cell with some.
    public var enough: Bool { count >= 2 * windowsPerInterval && !demand.isEmpty }
}
