internal import FlowcastPolicy
internal import FlowcastTopology

/// What an `IntervalPlanner` needs to carry on after its process is killed: forecaster states,
/// the interval bookkeeping, the policy planned last (the next plan's "current"), and how far
/// forecasts.jsonl had been written.
struct IntervalPlannerCheckpoint: Codable, Sendable {
    struct Series: Codable, Sendable {
        /// Persistence forecaster: last value and smoothed absolute change.
        var last: Double?
        var change: Double
        /// Model forecaster: the series' observed values and their times (s), replayed into a
        /// fresh state on restore (the model's state has no serialised form).
        var values: [Double]?
        var times: [Double]?
    }
    var series: [String: Series]
    var lastObserved: [String: Double]
    var lastPlanEnd: Int64?
    var windowIndex: Int
    var current: PolicyDocument?
    var policiesWritten: Int
    var latestEnd: Int64
    var planFailures: [String]
    var efficiencyProblems: [String]
    var missingSites: [String]
    var forecastBytes: Int64
    /// An interval model's history (bit/s per window, the newest last; null for a partial
    /// window) and the window length: what its next forecasts are made from (nil for older
    /// checkpoints and without one).
    var intervalHistory: [String: [Double?]]? = nil
    var windowSeconds: Double? = nil
    /// The spectrum sizing rule's recent windows: each window's [start, end] (ns) and every cell's
    /// rate in each (bit/s, null where the window did not carry it), oldest first (nil for older
    /// checkpoints: the restored planner then sizes by request until it holds two intervals again).
    var recentWindows: [[Int64]]? = nil
    var recentRates: [String: [Double?]]? = nil
}

extension IntervalPlanner {
    /// The planner's state now, with forecasts.jsonl flushed and synced to the length recorded.
    /// `history` holds each series' observations when a model forecasts (see `Series.values`).
    func checkpoint(history: [String: (values: [Double], times: [Double])]) throws -> IntervalPlannerCheckpoint {
        try forecastFile.sync()
        // The checkpoint counts on these bytes: a planner stopped now (SIGTERM) must leave them.
        forecastFile.keepPartialFile()
        var series: [String: IntervalPlannerCheckpoint.Series] = [:]
        for (key, forecaster) in forecasters {
            switch forecaster {
            case let .persistence(last, change):
                series[key] = .init(last: last, change: change)
            case .model:
                let h = history[key]
                series[key] = .init(last: nil, change: 0, values: h?.values ?? [], times: h?.times ?? [])
            }
        }
        return IntervalPlannerCheckpoint(
            series: series, lastObserved: lastObserved, lastPlanEnd: lastPlanEnd, windowIndex: windowIndex,
            current: current, policiesWritten: policiesWritten, latestEnd: latestEnd, planFailures: planFailures,
            efficiencyProblems: efficiencyProblems, missingSites: missingSites.sorted(), forecastBytes: forecastFile.written,
            intervalHistory: intervalModel == nil ? nil : self.history.mapValues { $0.map { $0.isNaN ? nil : $0 } },
            windowSeconds: windowSeconds, recentWindows: recentWindows.map { [$0.start, $0.end] },
            recentRates: Dictionary(topology.cells.indices.map { c in (topology.cells[c].id, recentRates[c].map { $0.isNaN ? nil : $0 }) },
                                    uniquingKeysWith: { first, _ in first }))
    }

    /// Puts a checkpoint's state back (the planner was made with `resumeForecastsAt` = its
    /// `forecastBytes`).
    func restore(_ c: IntervalPlannerCheckpoint) {
        forecasters = [:]
        pending = [:]
        for (key, s) in c.series {
            // The window length, from the first two observations (as `windowClosed` had it).
            let step = s.times.flatMap { $0.count > 1 ? $0[1] - $0[0] : nil }
            var f = makeForecaster(step: step)
            switch f {
            case .persistence:
                f = .persistence(last: s.last, change: s.change)
            case .model:
                for (x, t) in zip(s.values ?? [], s.times ?? []) { f.observe(x / modelUnit, at: t) }
            }
            forecasters[key] = f
            pending[key] = f.forecast().map { ($0.point * modelUnit, $0.upper * modelUnit) }
        }
        lastObserved = c.lastObserved
        lastPlanEnd = c.lastPlanEnd
        windowIndex = c.windowIndex
        current = c.current
        policiesWritten = c.policiesWritten
        latestEnd = c.latestEnd
        planFailures = c.planFailures
        efficiencyProblems = c.efficiencyProblems
        missingSites = Set(c.missingSites)
        if let windows = c.recentWindows, let rates = c.recentRates {
            recentWindows = windows.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
            recentRates = topology.cells.map { cell in
                let row = (rates[cell.id] ?? []).map { $0 ?? .nan }
                return row.count == recentWindows.count ? row : Array(repeating: .nan, count: recentWindows.count)
            }
        }
        if intervalModel != nil {
            self.history = (c.intervalHistory ?? [:]).mapValues { $0.map { $0 ?? .nan } }
            windowSeconds = c.windowSeconds
        }
    }

    /// True when a model (not persistence) forecasts, so the caller keeps series histories.
    var forecastsWithModel: Bool { model != nil }
}
