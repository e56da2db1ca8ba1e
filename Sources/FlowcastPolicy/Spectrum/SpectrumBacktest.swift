public import FlowcastTopology
import Foundation

/// What a cell asked for and could use, second by second.
public struct RadioTruth: Sendable {
    /// bit/s, `demand[c][t]` (topology cell order, one value a second).
    public var demand: [[Double]]
    /// bit/s/Hz, `efficiency[c][t]`.
    public var efficiency: [[Double]]

    public init(demand: [[Double]], efficiency: [[Double]]) {
        self.demand = demand
        self.efficiency = efficiency
    }

    public var seconds: Int { demand.first?.count ?? 0 }
}

/// Flowcast's estimates for the interval starting at a second, per cell.
public struct RadioForecast: Sendable {
    /// Demand, bit/s: the point forecast and the upper (P90) one.
    public var point: [Double]
    public var upper: [Double]
    /// Spectral efficiency, bit/s/Hz.
    public var efficiency: [Double]

    public init(point: [Double], upper: [Double], efficiency: [Double]) {
        self.point = point
        self.upper = upper
        self.efficiency = efficiency
    }
}

/// How the `flowcast` method sizes its plan (chosen by measurement, docs/policy.md).
public enum SpectrumSizing: Sendable, Hashable {
    /// One scenario: the forecast's upper quantile at the forecast efficiency.
    case quantile
    /// The last `seconds` observed seconds (demand and efficiency of every cell) as scenarios,
    /// weighted by 2^(−age / halfLife) when a half-life (seconds) is given, else equally.
    case recentSeconds(Int, halfLife: Int? = nil)
    /// The last `seconds` observed seconds, each cell's demand scaled by its point forecast over
    /// its mean demand in those seconds.
    case forecastScaledSeconds(Int)
    /// The last `seconds` observed seconds, each cell's demand (and efficiency, likewise) scaled towards its last interval:
    /// by (μ + ρ (m − μ)) / μ, with μ the cell's mean demand over those seconds, m its mean over
    /// the last interval and ρ ∈ [0, 1] the lag-one autocorrelation of its interval means over
    /// those seconds (an AR(1) forecast of the next interval's mean, fitted per cell and plan).
    case persistenceScaledSeconds(Int)
    /// As `persistenceScaledSeconds` for demand; each cell's efficiency scaled by Flowcast's
    /// efficiency forecast over its mean efficiency in those seconds.
    case persistenceDemandForecastEfficiency(Int)
    /// The last `seconds` observed seconds, each cell's demand and efficiency scaled by a linear
    /// forecast of the next interval's mean relative to the cell's mean μ over those seconds, from
    /// the last interval's mean and the mean of its last 10 s (both relative to μ), fitted by least
    /// squares on every cell's interval means in those seconds at once (one fit for demand, one
    /// for efficiency, per plan).
    case pooledRegressionSeconds(Int)
}

/// One method's result over a spectrum backtest.
public struct SpectrumMethodSummary: Codable, Sendable, Hashable {
    public var name: String
    /// Unmet demand over total demand, whole run.
    public var unmetFraction: Double
    /// Served over total demand, whole run.
    public var servedFraction: Double
    /// Blocks given or taken away per interval (summed over cells), mean over the intervals after
    /// the first; nil (JSON null) for a run of one interval, which changes nothing it could count.
    public var blocksChangedPerInterval: Double?
    /// Plans the exact MIP did not prove optimal (time limit or heuristic).
    public var unprovenPlans: Int

    private enum CodingKeys: String, CodingKey { case name, unmetFraction, servedFraction, blocksChangedPerInterval, unprovenPlans }

    /// As synthesised, but a missing mean is written as null: the keys are the same in every run.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(unmetFraction, forKey: .unmetFraction)
        try c.encode(servedFraction, forKey: .servedFraction)
        try c.encode(blocksChangedPerInterval, forKey: .blocksChangedPerInterval)
        try c.encode(unprovenPlans, forKey: .unprovenPlans)
    }
}

/// `flowcast backtest --radio-scenario --json`: `{"spectrum": {...}}`.
public struct SpectrumBacktestReport: Codable, Sendable {
    public struct Body: Codable, Sendable {
        public var intervals: Int
        public var planEverySeconds: Int
        public var fromSecond: Int
        public var sizing: String
        public var methods: [SpectrumMethodSummary]
        /// (best naive unmet − flowcast unmet) / (best naive unmet − oracle unmet); nil (JSON null)
        /// when the oracle leaves no less unmet than the best naive method, so there is no gap
        /// (it read 0 there, even where flowcast left more unmet than both).
        public var gapClosed: Double?

        private enum CodingKeys: String, CodingKey { case intervals, planEverySeconds, fromSecond, sizing, methods, gapClosed }

        public init(intervals: Int, planEverySeconds: Int, fromSecond: Int, sizing: String, methods: [SpectrumMethodSummary], gapClosed: Double?) {
            self.intervals = intervals
            self.planEverySeconds = planEverySeconds
            self.fromSecond = fromSecond
            self.sizing = sizing
            self.methods = methods
            self.gapClosed = gapClosed
        }

        /// As synthesised, but a gap that is not there is written as null: the keys are the same in every run.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(intervals, forKey: .intervals)
            try c.encode(planEverySeconds, forKey: .planEverySeconds)
            try c.encode(fromSecond, forKey: .fromSecond)
            try c.encode(sizing, forKey: .sizing)
            try c.encode(methods, forKey: .methods)
            try c.encode(gapClosed, forKey: .gapClosed)
        }
    }
    public var spectrum: Body

    public func method(_ name: String) -> SpectrumMethodSummary? { spectrum.methods.first { $0.name == name } }
}

/// Plans blocks every interval and scores each plan second by second against what happened.
///
/// Served bit/s of a cell in a second = min(demand, blocks × block bandwidth × efficiency).
/// Every method but `static` plans through the same scenario MIP
/// (`SpectrumAllocator.allocate(_:scenarios:current:weights:)`); only `flowcast` prices block
/// changes (`weights`), the others maximise served traffic and use changes and spreading as tie
/// breaks (`SpectrumScenarioWeights.tieBreakOnly`: served first, then fewest changes, then spare
/// blocks given out evenly):
/// - `flowcast`: `sizing` from the forecasts and recent seconds;
/// - `oracle`: the interval's own seconds as scenarios (perfect foresight for a plan fixed over
///   the interval);
/// - `static`: an equal split by colouring, never changed;
/// - `lastInterval`: one scenario, the last interval's mean demand and efficiency;
/// - `peakEfficiency`: one scenario, the forecast's upper demand at the cells' configured peak efficiency.
public struct SpectrumBacktest: Sendable {
    public let topology: Topology
    public let truth: RadioTruth
    public var planEvery: Int
    public var sizing: SpectrumSizing
    public var weights: SpectrumScenarioWeights
    public var allocator: SpectrumAllocator

    public static let methodNames = ["flowcast", "oracle", "static", "lastInterval", "peakEfficiency"]

    /// Defaults chosen on the design split of the public 5G traces (docs/policy.md, "Spectrum backtest").
    public init(topology: Topology, truth: RadioTruth, planEvery: Int, sizing: SpectrumSizing = .pooledRegressionSeconds(1800),
                weights: SpectrumScenarioWeights = .flowcast,
                allocator: SpectrumAllocator = SpectrumAllocator(timeLimit: 5)) {
        self.topology = topology
        self.truth = truth
        self.planEvery = planEvery
        self.sizing = sizing
        self.weights = weights
        self.allocator = allocator
    }

    var blockHz: [Double] { topology.cells.map { topology.bands[$0.band].blockMHz * 1e6 } }

    /// An equal split by colouring: cells coloured greedily in topology order (lowest colour no
    /// neighbour on the band has), each band's blocks cut into one equal contiguous run per colour
    /// (the first runs one block longer when it does not divide), each cell its colour's run,
    /// cut to its maximum and, if short of its minimum, extended.
    public func staticSplit() -> [[Int]] {
        let cells = topology.cells
        var colour = [Int](repeating: -1, count: cells.count)
        for c in cells.indices {
            let taken = Set(cells[c].neighbours.filter { cells[$0].band == cells[c].band }.map { colour[$0] })
            colour[c] = (0...).first { !taken.contains($0) }!
        }
        return cells.indices.map { c in
            let band = cells[c].band
            let colours = (cells.indices.filter { cells[$0].band == band }.map { colour[$0] }.max() ?? 0) + 1
            let count = topology.bands[band].blockCount
            let size = count / colours, extra = count % colours
            let start = colour[c] * size + min(colour[c], extra)
            var run = Array(start..<min(count, start + size + (colour[c] < extra ? 1 : 0)))
            run = Array(run.prefix(cells[c].maxBlocks))
            var next = run.last.map { $0 + 1 } ?? 0
            while run.count < cells[c].minBlocks && next < count { run.append(next); next += 1 }
            return run
        }
    }

    func seconds(_ range: Range<Int>, scale: [Double]? = nil, efficiencyScale: [Double]? = nil, halfLife: Int? = nil) -> SpectrumScenarios {
        let weights = halfLife.map { h in range.map { t in pow(2, -Double(range.upperBound - 1 - t) / Double(max(1, h))) } }
        return RecentScenarioSizing.scenarios(demand: truth.demand, efficiency: truth.efficiency, range: range, blockHz: blockHz,
                                              demandScale: scale, efficiencyScale: efficiencyScale, weights: weights)
    }

    func mean(_ series: [[Double]], _ range: Range<Int>) -> [Double] {
        series.map { row in range.isEmpty ? 0 : range.reduce(0.0) { $0 + row[$1] } / Double(range.count) }
    }

    /// The `flowcast` method's scenarios for the interval starting at `t0`.
    public func flowcastScenarios(at t0: Int, forecast: RadioForecast) -> SpectrumScenarios {
        let hz = blockHz
        switch sizing {
        case .quantile:
            return SpectrumScenarios(demand: [forecast.upper], capacityPerBlock: [zip(forecast.efficiency, hz).map { $0 * $1 }])
        case .recentSeconds(let w, let halfLife):
            return seconds(max(0, t0 - w)..<t0, halfLife: halfLife)
        case .forecastScaledSeconds(let w):
            let range = max(0, t0 - w)..<t0
            let recent = mean(truth.demand, range)
            let scale = topology.cells.indices.map { c in recent[c] > 0 ? forecast.point[c] / recent[c] : 1 }
            return seconds(range, scale: scale)
        case .persistenceScaledSeconds(let w):
            let range = max(0, t0 - w)..<t0
            let scale = topology.cells.indices.map { c in persistenceScale(truth.demand[c], range) }
            let efficiency = topology.cells.indices.map { c in persistenceScale(truth.efficiency[c], range) }
            return seconds(range, scale: scale, efficiencyScale: efficiency)
        case .pooledRegressionSeconds(let w):
            // The rule the interval planner of replay and live runs shares (there, samples are windows).
            return RecentScenarioSizing.sized(demand: truth.demand, efficiency: truth.efficiency, range: max(0, t0 - w)..<t0,
                                              blockHz: blockHz, samplesPerInterval: planEvery, tail: 10).scenarios
        case .persistenceDemandForecastEfficiency(let w):
            let range = max(0, t0 - w)..<t0
            let scale = topology.cells.indices.map { c in persistenceScale(truth.demand[c], range) }
            let recent = mean(truth.efficiency, range)
            let efficiency = topology.cells.indices.map { c in recent[c] > 0 ? forecast.efficiency[c] / recent[c] : 1 }
            return seconds(range, scale: scale, efficiencyScale: efficiency)
        }
    }

    /// (μ + ρ (m − μ)) / μ for `persistenceScaledSeconds` (1 without two whole intervals).
    func persistenceScale(_ series: [Double], _ range: Range<Int>) -> Double {
        let count = range.count / planEvery
        guard count >= 3 else { return 1 }
        let means = (0..<count).map { i in
            let start = range.upperBound - (count - i) * planEvery
            return series[start..<(start + planEvery)].reduce(0, +) / Double(planEvery)
        }
        let mu = means.reduce(0, +) / Double(count)
        guard mu > 0 else { return 1 }
        var num = 0.0, den = 0.0
        for i in 0..<count {
            den += (means[i] - mu) * (means[i] - mu)
            if i > 0 { num += (means[i] - mu) * (means[i - 1] - mu) }
        }
        let rho = den > 0 ? min(1, max(0, num / den)) : 0
        return max(0, mu + rho * (means[count - 1] - mu)) / mu
    }

    /// Runs from second `from` (which must leave at least one interval of history) over every whole
    /// interval; `forecast(t0)` may use seconds before t0 only and is called in increasing order.
    public func run(from: Int, forecast: (Int) throws -> RadioForecast,
                    progress: ((Int, Int) -> Void)? = nil) throws -> SpectrumBacktestReport {
        precondition(planEvery >= 1 && from >= planEvery, "from must leave one interval of history")
        let intervals = (truth.seconds - from) / planEvery
        let hz = blockHz
        let names = Self.methodNames
        var current = [[[Int]]](repeating: topology.cells.map { _ in [] }, count: names.count)
        var served = [Double](repeating: 0, count: names.count), changed = served
        var unproven = [Int](repeating: 0, count: names.count)
        var total = 0.0
        let fixed = staticSplit()
        let peak = topology.cells.map { $0.peakSpectralEfficiency ?? 0 }
        for i in 0..<intervals {
            let t0 = from + i * planEvery, range = t0..<(t0 + planEvery)
            let f = try forecast(t0)
            let lastRange = (t0 - planEvery)..<t0
            let lastDemand = mean(truth.demand, lastRange), lastEfficiency = mean(truth.efficiency, lastRange)
            var plans: [[[Int]]] = []
            for (m, name) in names.enumerated() {
                let scenarios: SpectrumScenarios
                var w = SpectrumScenarioWeights.tieBreakOnly
                switch name {
                case "flowcast": scenarios = flowcastScenarios(at: t0, forecast: f); w = weights
                case "oracle": scenarios = seconds(range)
                case "lastInterval":
                    scenarios = SpectrumScenarios(demand: [lastDemand], capacityPerBlock: [zip(lastEfficiency, hz).map { $0 * $1 }])
                case "peakEfficiency":
                    scenarios = SpectrumScenarios(demand: [f.upper], capacityPerBlock: [zip(peak, hz).map { $0 * $1 }])
                default:
                    plans.append(fixed)
                    continue
                }
                let a = try allocator.allocate(topology, scenarios: scenarios, current: current[m], weights: w)
                if a.method != .exactMIP || a.outcome != .optimal { unproven[m] += 1 }
                plans.append(a.blocks)
            }
            for (m, plan) in plans.enumerated() {
                if i > 0 {
                    changed[m] += Double(zip(plan, current[m]).reduce(0) { $0 + Set($1.0).symmetricDifference($1.1).count })
                }
                current[m] = plan
                for c in topology.cells.indices {
                    let n = Double(plan[c].count)
                    for t in range { served[m] += min(max(0, truth.demand[c][t]), n * hz[c] * max(0, truth.efficiency[c][t])) }
                }
            }
            for c in topology.cells.indices { for t in range { total += max(0, truth.demand[c][t]) } }
            progress?(i + 1, intervals)
        }
        let summaries = names.indices.map { m in
            SpectrumMethodSummary(name: names[m], unmetFraction: total > 0 ? 1 - served[m] / total : 0,
                                  servedFraction: total > 0 ? served[m] / total : 1,
                                  blocksChangedPerInterval: intervals > 1 ? changed[m] / Double(intervals - 1) : nil,
                                  unprovenPlans: unproven[m])
        }
        let naive = summaries.filter { ["static", "lastInterval", "peakEfficiency"].contains($0.name) }.map(\.unmetFraction).min() ?? 0
        let oracle = summaries[1].unmetFraction, ours = summaries[0].unmetFraction
        let gap: Double? = naive - oracle > 1e-12 ? (naive - ours) / (naive - oracle) : nil
        return SpectrumBacktestReport(spectrum: .init(intervals: intervals, planEverySeconds: planEvery, fromSecond: from,
                                                      sizing: Self.describe(sizing), methods: summaries, gapClosed: gap))
    }

    public static func describe(_ sizing: SpectrumSizing) -> String {
        switch sizing {
        case .quantile: return "quantile"
        case .recentSeconds(let w, let h): return "recent-\(w)" + (h.map { "-half-\($0)" } ?? "")
        case .forecastScaledSeconds(let w): return "scaled-\(w)"
        case .persistenceScaledSeconds(let w): return "ar1-\(w)"
        case .persistenceDemandForecastEfficiency(let w): return "ar1f-\(w)"
        case .pooledRegressionSeconds(let w): return "reg-\(w)"
        }
    }
}
