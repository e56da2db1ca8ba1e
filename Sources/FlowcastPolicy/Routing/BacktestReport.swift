/// Mean and 95th percentile (linear interpolation between order statistics) of a sample.
public struct SampleSummary: Codable, Sendable, Hashable {
    public var mean: Double
    public var p95: Double

    public init(_ values: [Double]) {
        mean = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
        p95 = Self.quantile(values, 0.95)
    }

    static func quantile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }
}

/// What one routing method did over a backtest, as an operator would judge it.
public struct MethodSummary: Codable, Sendable, Hashable {
    /// `flowcast`, `ospf`, `ecmp` or `oracle`.
    public var name: String
    /// Realised max link utilisation: mean and 95th percentile over intervals.
    public var mluMean: Double
    public var mluP95: Double
    /// Fraction of intervals in which some link exceeds the target utilisation; nil (JSON null)
    /// with no target (`--target-utilisation 0`), where every interval with traffic would count.
    public var overTargetFraction: Double?
    /// Traffic-weighted path cost (link weights) over the least-weight paths', whole run.
    public var pathStretch: Double
    /// Share of the interval's traffic on a different path than in the interval before, mean over
    /// the intervals after the first; nil (JSON null) when there are none (a one-interval run read
    /// 0, an audit).
    public var movedFraction: Double?

    private enum CodingKeys: String, CodingKey { case name, mluMean, mluP95, overTargetFraction, pathStretch, movedFraction }

    /// As synthesised, but a missing over-target fraction is written as null, not left out: the
    /// keys are the same at every target.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(mluMean, forKey: .mluMean)
        try c.encode(mluP95, forKey: .mluP95)
        try c.encode(overTargetFraction, forKey: .overTargetFraction)
        try c.encode(pathStretch, forKey: .pathStretch)
        try c.encode(movedFraction, forKey: .movedFraction)
    }
}

/// Per-interval scores of one method, summarised into a `MethodSummary`.
struct MethodScore {
    let name: String
    var mlu: [Double] = []
    var over = 0
    var pathCost = 0.0
    var shortestCost = 0.0
    var moved: [Double] = []
    var previous: [[Double]]?
    /// The target utilisation intervals are scored against (0: none).
    let target: Double

    init(name: String, target: Double) { self.name = name; self.target = target }

    /// Scores one interval: `weights` on the true `matrix`, with per-path costs and each demand's
    /// least-weight cost.
    mutating func add(weights: [[Double]], matrix: [Double], mlu: Double, costs: [[Double]], shortest: [Double]) {
        self.mlu.append(mlu)
        if mlu > target + 1e-9 { over += 1 }
        var total = 0.0, shifted = 0.0
        for d in matrix.indices {
            let demand = max(0, matrix[d])
            total += demand
            pathCost += demand * zip(weights[d], costs[d]).reduce(0) { $0 + $1.0 * $1.1 }
            shortestCost += demand * shortest[d]
            if let previous {
                shifted += demand * zip(weights[d], previous[d]).reduce(0) { $0 + abs($1.0 - $1.1) } / 2
            }
        }
        if previous != nil { moved.append(total > 0 ? shifted / total : 0) }
        previous = weights
    }

    var summary: MethodSummary {
        let m = SampleSummary(mlu)
        return MethodSummary(name: name, mluMean: m.mean, mluP95: m.p95,
                             overTargetFraction: target <= 0 ? nil : mlu.isEmpty ? 0 : Double(over) / Double(mlu.count),
                             pathStretch: shortestCost > 0 ? pathCost / shortestCost : 1,
                             movedFraction: moved.isEmpty ? nil : SampleSummary(moved).mean)
    }
}

/// The backtest's result, shaped as `flowcast backtest --json` prints it.
public struct BacktestReport: Codable, Sendable {
    public struct MLU: Codable, Sendable {
        public var flowcast: SampleSummary
        public var oracle: SampleSummary
        public var ospf: SampleSummary
        public var ecmp: SampleSummary
    }
    public struct Ratio: Codable, Sendable {
        public var mean: Double
        public var p95: Double
        public var max: Double
    }
    public var intervals: Int
    /// Realised MLU; `oracle` is the perfect-foresight min-max optimum whatever the target.
    public var mlu: MLU
    public var ratioToOracle: Ratio
    public var solveMs: SampleSummary
    /// The target utilisation the plans and `overTargetFraction` use (0: pure min-max).
    public var targetUtilisation: Double
    /// Factor every demand was multiplied by (`flowcast backtest --scale`).
    public var scale: Double = 1
    /// `flowcast`, `ospf`, `ecmp`, `oracle` (the perfect-foresight plan under the same objective).
    public var methods: [MethodSummary]

    /// Per-interval ratios of the baselines to the oracle, for the text report (not in the JSON).
    public var ospfRatio: Ratio
    public var ecmpRatio: Ratio

    enum CodingKeys: String, CodingKey {
        case intervals, mlu, methods, scale, targetUtilisation
        case ratioToOracle = "ratio_to_oracle"
        case solveMs = "solve_ms"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        intervals = try c.decode(Int.self, forKey: .intervals)
        mlu = try c.decode(MLU.self, forKey: .mlu)
        ratioToOracle = try c.decode(Ratio.self, forKey: .ratioToOracle)
        solveMs = try c.decode(SampleSummary.self, forKey: .solveMs)
        targetUtilisation = try c.decodeIfPresent(Double.self, forKey: .targetUtilisation) ?? 0
        scale = try c.decodeIfPresent(Double.self, forKey: .scale) ?? 1
        methods = try c.decodeIfPresent([MethodSummary].self, forKey: .methods) ?? []
        ospfRatio = Ratio(mean: 0, p95: 0, max: 0)
        ecmpRatio = ospfRatio
    }

    init(flowcast: [Double], oracle: [Double], ospf: [Double], ecmp: [Double], solveMs: [Double], targetUtilisation: Double,
         methods: [MethodSummary]) {
        func ratio(_ xs: [Double]) -> Ratio {
            let r = zip(xs, oracle).map { $1 > 0 ? $0 / $1 : 1 }
            let s = SampleSummary(r)
            return Ratio(mean: s.mean, p95: s.p95, max: r.max() ?? 0)
        }
        intervals = flowcast.count
        mlu = MLU(flowcast: SampleSummary(flowcast), oracle: SampleSummary(oracle), ospf: SampleSummary(ospf), ecmp: SampleSummary(ecmp))
        ratioToOracle = ratio(flowcast)
        ospfRatio = ratio(ospf)
        ecmpRatio = ratio(ecmp)
        self.solveMs = SampleSummary(solveMs)
        self.targetUtilisation = targetUtilisation
        self.methods = methods
    }
}
