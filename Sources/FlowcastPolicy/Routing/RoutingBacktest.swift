public import FlowcastTopology
import Foundation

/// How the backtest's planner builds its robust plan.
public struct RobustPlanOptions: Sendable, Hashable {
    /// Observed matrices of the last `history` intervals used as scenarios.
    public var history: Int
    /// Also plan for the forecast's point and upper-quantile matrices.
    public var forecastScenarios: Bool
    /// Also plan for the newest matrix plus each recent one-step change (m[t−1] + m[t−i] − m[t−i−1],
    /// i = 2…history): plausible next matrices at today's level with the recent volatility.
    public var changeScenarios: Bool
    /// Divide every scenario by its own optimal MLU, so the plan minimises regret (ratio to what
    /// was achievable) rather than letting the busiest past interval dominate.
    public var normalise: Bool
    public var objective: RobustObjective
    /// Candidate paths per demand when the topology gives none.
    public var pathsPerDemand: Int
    /// Solver time limit per solve, seconds.
    public var timeLimit: Double
    /// Link utilisation under which traffic stays on least-cost paths (`RoutingRegime`); 0 plans
    /// min-max utilisation with the robust objective above (`normalise`, `objective`).
    public var targetUtilisation: Double
    /// With a target: cost per unit of traffic share moved from the previous interval's plan.
    public var churnPenalty: Double

    /// Defaults chosen on Abilene rows 1500–2267 (see docs/policy.md, "Backtest").
    public init(history: Int = 12, forecastScenarios: Bool = true, changeScenarios: Bool = true, normalise: Bool = true,
                objective: RobustObjective = RobustObjective(meanWeight: 5, linkWeight: 1), pathsPerDemand: Int = 4,
                timeLimit: Double = 10, targetUtilisation: Double = 0.7, churnPenalty: Double = 0.01) {
        self.targetUtilisation = targetUtilisation
        self.churnPenalty = churnPenalty
        self.history = history
        self.forecastScenarios = forecastScenarios
        self.changeScenarios = changeScenarios
        self.normalise = normalise
        self.objective = objective
        self.pathsPerDemand = pathsPerDemand
        self.timeLimit = timeLimit
    }
}

/// One interval's forecast of every demand (bit/s, topology demand order).
public struct MatrixForecast: Sendable {
    public var point: [Double]
    public var upper: [Double]

    public init(point: [Double], upper: [Double]) {
        self.point = point
        self.upper = upper
    }
}

/// Walks a series of true demand matrices: at each interval, plan from history (and a forecast),
/// then score the plan's realised MLU on the true matrix against OSPF shortest paths, ECMP and the
/// perfect-foresight LP over the same candidate paths.
public struct RoutingBacktest: Sendable {
    public let topology: Topology
    public let options: RobustPlanOptions
    /// Candidate paths per demand (link indices).
    public let paths: [[[Int]]]

    public init(topology: Topology, options: RobustPlanOptions = RobustPlanOptions()) {
        self.topology = topology
        self.options = options
        paths = PathFinder(topology).paths(for: topology.demands, k: options.pathsPerDemand)
    }

    /// Shortest path by total link weight (OSPF), ties by hops then link order: one split per
    /// demand. Found paths always include it (`PathFinder.paths(for:k:)`); of a demand's own paths
    /// in the topology, the least-weight one stands in when the topology leaves OSPF's out.
    public func ospfWeights() -> [[Double]] {
        let finder = PathFinder(topology)
        return topology.demands.indices.map { d in
            let candidates = paths[d]
            let best = finder.shortestByWeight(from: topology.demands[d].source, to: topology.demands[d].destination)
                .flatMap { candidates.firstIndex(of: $0) }
                ?? candidates.indices.min { (finder.cost(candidates[$0]).weight, candidates[$0].count, $0) < (finder.cost(candidates[$1]).weight, candidates[$1].count, $1) }
            return candidates.indices.map { $0 == best ? 1.0 : 0.0 }
        }
    }

    /// Equal split over the candidate paths with the fewest hops (ECMP with unit link costs).
    public func ecmpWeights() -> [[Double]] {
        paths.map { candidates in
            let fewest = candidates.map(\.count).min() ?? 0
            let count = Double(candidates.filter { $0.count == fewest }.count)
            return candidates.map { $0.count == fewest ? 1 / count : 0 }
        }
    }

    func problem(_ scenarios: [[Double]], objective: RobustObjective) -> RoutingProblem {
        RoutingProblem(topology: topology, paths: paths, scenarios: scenarios, robust: objective)
    }

    /// The perfect-foresight optimum MLU for one matrix.
    public func oracle(_ matrix: [Double]) throws(PolicyError) -> Double {
        try oracleSolution(matrix).maxUtilisation
    }

    /// The perfect-foresight min-max plan for one matrix.
    func oracleSolution(_ matrix: [Double]) throws(PolicyError) -> RoutingSolution {
        try RoutingOptimizer(timeLimit: options.timeLimit).solve(problem([matrix], objective: .worstCaseOnly))
    }

    /// The newest of `history` (oldest first) plus each recent one-step change, newest change
    /// first, below 0 taken as 0: the change scenarios of the robust and target plans (and of
    /// replay's and live's, from their windows). None with fewer than three matrices.
    public static func changeScenarios(_ history: [[Double]]) -> [[Double]] {
        guard let newest = history.last, history.count >= 3 else { return [] }
        return stride(from: history.count - 2, through: 1, by: -1).map { i in
            newest.indices.map { d in max(0, newest[d] + history[i][d] - history[i - 1][d]) }
        }
    }

    /// With a target utilisation: the plan for the interval after `history` (oldest first), every
    /// link at or under the target in every scenario where that fits (see `RoutingRegime`). The
    /// scenarios are the observed matrices, the newest plus each recent one-step change, and the
    /// forecast's point and upper matrices, in bit/s (not normalised: the target is an absolute
    /// utilisation). Path cost and churn are weighed by the forecast point (else the newest matrix).
    public func targetPlan(history: [[Double]], forecast: MatrixForecast?, current: [[Double]]?) throws(PolicyError) -> RoutingSolution {
        guard let newest = history.last else { throw .inconsistent("a plan needs at least one observed matrix") }
        var scenarios: [[Double]] = [forecast.map { $0.point.map { max(0, $0) } } ?? newest.map { max(0, $0) }]
        scenarios += history.map { $0.map { max(0, $0) } }
        if options.changeScenarios { scenarios += Self.changeScenarios(history) }
        if let forecast, options.forecastScenarios { scenarios.append(forecast.upper.map { max(0, $0) }) }
        let problem = RoutingProblem(topology: topology, paths: paths, scenarios: scenarios, current: current,
                                     churnPenalty: options.churnPenalty, targetUtilisation: options.targetUtilisation)
        return try RoutingOptimizer(timeLimit: options.timeLimit).solve(problem)
    }

    /// With a target utilisation: the perfect-foresight plan under the same objective, churn
    /// counted against the oracle's own previous plan.
    func targetOracle(_ matrix: [Double], current: [[Double]]?) throws(PolicyError) -> RoutingSolution {
        let problem = RoutingProblem(topology: topology, paths: paths, scenarios: [matrix.map { max(0, $0) }], current: current,
                                     churnPenalty: options.churnPenalty, targetUtilisation: options.targetUtilisation)
        return try RoutingOptimizer(timeLimit: options.timeLimit).solve(problem)
    }

    /// At target 0: among the plans at the min-max optimum `best` (every link within a millionth of
    /// it), the one of least traffic-weighted path cost plus churn against the oracle's previous
    /// plan, the same secondary objective as a target plan's (without its margin). The min-max
    /// solve alone returns whichever optimal vertex the simplex reaches: until 8 December 2026 the
    /// oracle's path stretch and moved traffic were of that vertex, and read worse than Flowcast's
    /// (an audit: stretch 1.263 and moved 0.258 where the same MLU allows 1.061 and 0.028).
    func minMaxOracle(_ matrix: [Double], best: RoutingSolution, current: [[Double]]?) throws(PolicyError) -> [[Double]] {
        let problem = RoutingProblem(topology: topology, paths: paths, scenarios: [matrix.map { max(0, $0) }], current: current,
                                     churnPenalty: options.churnPenalty, targetUtilisation: 0)
        let optimizer = RoutingOptimizer(timeLimit: options.timeLimit)
        return try optimizer.leastCost(problem, cap: best.maxUtilisation * (1 + 1e-6))
    }

    /// Least total link weight from each demand's source to its destination (over every path of
    /// the topology, not only the candidates): the denominator of path stretch.
    public func shortestCosts() -> [Double] {
        let finder = PathFinder(topology)
        let costs = RoutingOptimizer.pathCosts(RoutingProblem(topology: topology, paths: paths, scenarios: []))
        return topology.demands.indices.map { d in
            let best = finder.shortestByWeight(from: topology.demands[d].source, to: topology.demands[d].destination)
            return best.map { $0.reduce(0) { $0 + topology.links[$1].weight } } ?? (costs[d].min() ?? 0)
        }
    }

    /// The robust plan's split weights for the interval after `history` (oldest first), with the
    /// optimal MLU of each history matrix when `options.normalise` is on.
    public func plan(history: [[Double]], historyOptimum: [Double], forecast: MatrixForecast?) throws(PolicyError) -> [[Double]] {
        var scenarios: [[Double]] = []
        for (i, m) in history.enumerated() {
            let scale = options.normalise && historyOptimum[i] > 0 ? 1 / historyOptimum[i] : 1
            scenarios.append(m.map { max(0, $0) * scale })
        }
        // Scenarios at today's level: their own optima would cost a solve each; the newest
        // observed optimum is the same scale to within a few per cent.
        let scale = options.normalise && (historyOptimum.last ?? 0) > 0 ? 1 / historyOptimum.last! : 1
        if options.changeScenarios { scenarios += Self.changeScenarios(history).map { $0.map { $0 * scale } } }
        if let forecast, options.forecastScenarios {
            scenarios.append(forecast.point.map { max(0, $0) * scale })
            scenarios.append(forecast.upper.map { max(0, $0) * scale })
        }
        return try RoutingOptimizer(timeLimit: options.timeLimit).solve(problem(scenarios, objective: options.objective)).weights
    }

    /// Realised max link utilisation of `weights` on a true matrix.
    public func realisedMLU(weights: [[Double]], matrix: [Double]) -> Double {
        RoutingOptimizer.maxUtilisation(RoutingProblem(topology: topology, paths: paths, scenarios: [matrix]), weights: weights, demand: matrix)
    }

    /// Runs from row `from` to the end of `matrices` (rows × demands, bit/s). `forecast(row)` must
    /// use rows before `row` only; it is called once per row, in increasing order.
    public func run(matrices: [[Double]], from: Int, forecast: (Int) throws -> MatrixForecast?,
                    progress: ((Int, Int) -> Void)? = nil) throws -> BacktestReport {
        precondition(from >= 1 && from < matrices.count, "from must leave history before it and rows after it")
        let ospf = ospfWeights(), ecmp = ecmpWeights()
        let k = max(1, options.history)
        let target = options.targetUtilisation
        let costs = RoutingOptimizer.pathCosts(RoutingProblem(topology: topology, paths: paths, scenarios: []))
        let shortest = shortestCosts()
        // Optimal MLU of the history window before the first planned row (not timed: a live
        // planner has these from earlier intervals). Only the min-max plan normalises by them.
        var optimum: [Int: Double] = [:]
        if target <= 0 { for row in max(0, from - k)..<(from - 1) { optimum[row] = try oracle(matrices[row]) } }
        var flowcast: [Double] = [], oracleMLU: [Double] = [], ospfMLU: [Double] = [], ecmpMLU: [Double] = [], solveMs: [Double] = []
        var scores = ["flowcast", "ospf", "ecmp", "oracle"].map { MethodScore(name: $0, target: target) }
        for row in from..<matrices.count {
            let rows = Array(max(0, row - k)..<row)
            let f = try forecast(row)
            let clock = ContinuousClock()
            var weights: [[Double]] = []
            let elapsed = try clock.measure {
                if target > 0 {
                    weights = try targetPlan(history: rows.map { matrices[$0] }, forecast: f, current: scores[0].previous).weights
                } else {
                    // The newest matrix's optimum is part of this interval's planning work.
                    if optimum[row - 1] == nil { optimum[row - 1] = try oracle(matrices[row - 1]) }
                    weights = try plan(history: rows.map { matrices[$0] }, historyOptimum: rows.map { optimum[$0]! }, forecast: f)
                }
            }
            solveMs.append(Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15)
            let truth = matrices[row]
            let best = try oracleSolution(truth)   // scoring only: the next interval solves it again, timed
            optimum[row - k] = nil
            oracleMLU.append(best.maxUtilisation)
            flowcast.append(realisedMLU(weights: weights, matrix: truth))
            ospfMLU.append(realisedMLU(weights: ospf, matrix: truth))
            ecmpMLU.append(realisedMLU(weights: ecmp, matrix: truth))
            let oracleWeights = target > 0 ? try targetOracle(truth, current: scores[3].previous).weights
                : try minMaxOracle(truth, best: best, current: scores[3].previous)
            for (m, (w, mlu)) in [(weights, flowcast.last!), (ospf, ospfMLU.last!), (ecmp, ecmpMLU.last!),
                                  (oracleWeights, target > 0 ? realisedMLU(weights: oracleWeights, matrix: truth) : best.maxUtilisation)].enumerated() {
                scores[m].add(weights: w, matrix: truth, mlu: mlu, costs: costs, shortest: shortest)
            }
            progress?(row - from + 1, matrices.count - from)
        }
        return BacktestReport(flowcast: flowcast, oracle: oracleMLU, ospf: ospfMLU, ecmp: ecmpMLU, solveMs: solveMs,
                              targetUtilisation: target, methods: scores.map(\.summary))
    }
}
