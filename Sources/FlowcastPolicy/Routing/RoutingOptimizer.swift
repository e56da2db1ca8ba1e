public import FlowcastTopology

/// One routing problem: demands (bit/s), their candidate paths, and optional scenarios and current weights.
public struct RoutingProblem: Sendable {
    public var topology: Topology
    /// Candidate paths per demand (link indices), in topology demand order.
    public var paths: [[[Int]]]
    /// Demand per scenario (bit/s): `scenarios[0]` is the forecast the plan is reported for; the plan
    /// minimises the worst max-link-utilisation over all of them.
    public var scenarios: [[Double]]
    /// Current split per demand and path (same shape as `paths`), for the churn penalty.
    public var current: [[Double]]?
    /// Objective cost per unit of split weight moved away from `current`.
    public var churnPenalty: Double
    /// When set, the robust objective below replaces the plain worst case and its path-length
    /// tie-break (one solve instead of two).
    public var robust: RobustObjective?
    /// Utilisation every link should stay at or under; 0 is pure min-max utilisation (the objective
    /// above). Above 0, see `RoutingRegime`: least path cost while every link fits under it.
    /// `robust` is then not used.
    public var targetUtilisation: Double

    public init(topology: Topology, paths: [[[Int]]], scenarios: [[Double]], current: [[Double]]? = nil, churnPenalty: Double = 0,
                robust: RobustObjective? = nil, targetUtilisation: Double = 0) {
        self.topology = topology
        self.paths = paths
        self.scenarios = scenarios
        self.current = current
        self.churnPenalty = churnPenalty
        self.robust = robust
        self.targetUtilisation = targetUtilisation
    }
}

/// A robust routing objective over several demand scenarios:
///
///     minimise  U + meanWeight · mean_s U_s + linkWeight · mean_l z_l
///     where     U_s ≥ utilisation of every link under scenario s,  U ≥ U_s,
///               z_l ≥ utilisation of link l (each direction) under every scenario.
///
/// The worst case alone is degenerate: only the bottleneck link is priced, so every other link may
/// be loaded up to U, and the next interval's bottleneck is often one of those. The mean term
/// prices every scenario, the link term every link, so the split keeps headroom where it is cheap.
public struct RobustObjective: Sendable, Hashable {
    public var meanWeight: Double
    public var linkWeight: Double

    public init(meanWeight: Double, linkWeight: Double) {
        self.meanWeight = meanWeight
        self.linkWeight = linkWeight
    }

    /// The plain worst case in one solve (no tie-break): what an optimum-only caller needs.
    public static let worstCaseOnly = RobustObjective(meanWeight: 0, linkWeight: 0)
}

/// The split weights chosen and what they do to the links.
public struct RoutingSolution: Sendable {
    /// Share of each demand on each of its paths; sums to 1 per demand.
    public var weights: [[Double]]
    /// Max link utilisation under `scenarios[0]`.
    public var maxUtilisation: Double
    /// Worst max link utilisation over all scenarios (the robust objective).
    public var worstCaseUtilisation: Double
    /// Load per link in its busier direction under `scenarios[0]`, bit/s.
    public var linkLoads: [Double]
    public var outcome: SolveOutcome
    /// Which objective chose the split (pure min-max unless the problem has a target).
    public var regime: RoutingRegime = .minMaxUtilisation
    /// Utilisation of each link in its busier direction, worst over all scenarios (empty for a
    /// `RobustObjective` solve).
    public var worstLinkUtilisation: [Double] = []
    /// An over-target plan with several scenarios: each scenario's utilisation cap
    /// (`RoutingRegime`), and the links where some scenario is at its cap. Empty and nil otherwise.
    public var scenarioCaps: [Double] = []
    public var bindingLinks: Set<Int>?
}

/// Min-max link utilisation routing as an LP (Clp's dual simplex).
///
/// Variables: split x[d][p] ∈ [0,1] with Σp x = 1, and U. For every scenario, link and direction,
/// Σ demand·x / capacity ≤ U. Objective: U (+ churn · Σ|x − current|). A second solve keeps that
/// optimum and prefers shorter paths among the equally good splits, so plans do not wander.
/// With a target utilisation, least path cost under it instead (`RoutingRegime`).
public struct RoutingOptimizer: Sendable {
    public var timeLimit: Double

    public init(timeLimit: Double = 10) { self.timeLimit = timeLimit }

    /// Load of every (link, direction) given weights and one demand vector. Index 2·link + dir.
    public static func directedLoads(_ problem: RoutingProblem, weights: [[Double]], demand: [Double]) -> [Double] {
        var load = [Double](repeating: 0, count: problem.topology.links.count * 2)
        for (d, paths) in problem.paths.enumerated() {
            for (p, path) in paths.enumerated() {
                for (link, dir) in directions(path, from: problem.topology.demands[d].source, problem.topology) {
                    load[2 * link + dir] += demand[d] * weights[d][p]
                }
            }
        }
        return load
    }

    /// (link, direction) along a path; direction 0 is a→b.
    static func directions(_ path: [Int], from source: Int, _ topology: Topology) -> [(Int, Int)] {
        var here = source
        return path.map { l in
            let link = topology.links[l]
            let dir = here == link.a ? 0 : 1
            here = link.otherEnd(from: here) ?? here
            return (l, dir)
        }
    }

    /// Max utilisation over links for given weights and demand.
    public static func maxUtilisation(_ problem: RoutingProblem, weights: [[Double]], demand: [Double]) -> Double {
        let load = directedLoads(problem, weights: weights, demand: demand)
        var worst = 0.0
        for (i, l) in problem.topology.links.enumerated() {
            worst = max(worst, max(load[2 * i], load[2 * i + 1]) / l.capacity)
        }
        return worst
    }

    /// Why a demand cannot be planned: named with its line in the topology and its nodes (it
    /// said only "has no path from source to destination"; `topology check` notes it too).
    public static func unroutable(_ topology: Topology, demand d: Int) -> String {
        let demand = topology.demands[d]
        let node = { (i: Int) in topology.nodes.indices.contains(i) ? "'\(topology.nodes[i].id)'" : "?" }
        return "demand '\(demand.id)' (line \(demand.line) of the topology) has no path from node \(node(demand.source)) "
            + "to \(node(demand.destination)) over the topology's links"
    }

    public func solve(_ problem: RoutingProblem) throws(PolicyError) -> RoutingSolution {
        for (d, paths) in problem.paths.enumerated() where paths.isEmpty {
            throw .inconsistent(Self.unroutable(problem.topology, demand: d))
        }
        if problem.targetUtilisation > 0 { return try solveWithTarget(problem) }
        let first = try build(problem, phase: nil).solve()
        let second = problem.robust == nil ? try build(problem, phase: first.solution.objective).solve() : first
        var weights = second.weights
        for d in weights.indices {
            let total = weights[d].reduce(0, +)
            weights[d] = weights[d].map { max(0, $0) / (total > 0 ? total : 1) }
        }
        let loads = Self.directedLoads(problem, weights: weights, demand: problem.scenarios[0])
        let linkLoads = problem.topology.links.indices.map { max(loads[2 * $0], loads[2 * $0 + 1]) }
        let worst = problem.scenarios.map { Self.maxUtilisation(problem, weights: weights, demand: $0) }.max() ?? 0
        return RoutingSolution(weights: weights, maxUtilisation: Self.maxUtilisation(problem, weights: weights, demand: problem.scenarios[0]),
                               worstCaseUtilisation: worst, linkLoads: linkLoads,
                               outcome: first.solution.outcome == .optimal && second.solution.outcome == .optimal ? .optimal : .timeLimit,
                               // Not for the robust objective: the backtest solves it once per timed interval.
                               worstLinkUtilisation: problem.robust == nil ? Self.worstLinkUtilisation(problem, weights: weights) : [])
    }

    /// Utilisation of every link in its busier direction, worst over the problem's scenarios.
    static func worstLinkUtilisation(_ problem: RoutingProblem, weights: [[Double]]) -> [Double] {
        var worst = [Double](repeating: 0, count: problem.topology.links.count)
        for demand in problem.scenarios {
            let load = directedLoads(problem, weights: weights, demand: demand)
            for (i, l) in problem.topology.links.enumerated() { worst[i] = max(worst[i], load[2 * i] / l.capacity, load[2 * i + 1] / l.capacity) }
        }
        return worst
    }

    struct Built {
        let model: LinearModel
        let x: [[Int]]
        let timeLimit: Double
        func solve() throws(PolicyError) -> (solution: LinearSolution, weights: [[Double]]) {
            do {
                let s = try model.solve(timeLimit: timeLimit)
                return (s, x.map { $0.map { s.values[$0] } })
            } catch .timeLimitWithoutSolution(let seconds) {
                throw .inconsistent("routing LP (\(x.count) demands, \(model.columnCount) columns, \(model.rowCount) rows) "
                    + "found no solution within the \(seconds) s time limit per solve; give it more with --time-limit")
            } catch { throw .solver(error) }
        }
    }

    /// Phase 1 (`optimum == nil`): minimise U + churn. Phase 2: keep that within a hair, minimise path length.
    func build(_ problem: RoutingProblem, phase optimum: Double?) -> Built {
        let model = LinearModel()
        // Straight to Clp's dual simplex: through Cbc (its driver, then primal simplex) the two
        // min-max solves of 1,000 cells and 5,000 demands took 25 s; the robust objective is also
        // solved once per backtest interval.
        model.directLP = true
        let topology = problem.topology
        let secondary = optimum != nil
        let u = model.addColumn(objective: secondary ? 0 : 1)
        let finder = PathFinder(topology)
        var x: [[Int]] = []
        for (d, paths) in problem.paths.enumerated() {
            let ids = paths.map { path in
                model.addColumn(lower: 0, upper: 1, objective: secondary ? finder.cost(path).weightedHops : 0)
            }
            x.append(ids)
            model.addRow(ids.map { ($0, 1.0) }, .equal, 1)
            _ = d
        }
        var objectiveTerms: [(column: Int, coefficient: Double)] = [(u, 1)]
        if let current = problem.current, problem.churnPenalty > 0 {
            for d in x.indices {
                for p in x[d].indices {
                    let c = current[d][p]
                    let t = model.addColumn(objective: secondary ? 0 : problem.churnPenalty)
                    model.addRow([(t, 1), (x[d][p], -1)], .greaterOrEqual, -c)   // t ≥ x − c
                    model.addRow([(t, 1), (x[d][p], 1)], .greaterOrEqual, c)     // t ≥ c − x
                    objectiveTerms.append((t, problem.churnPenalty))
                }
            }
        }
        // Which (demand, path) cross each (link, direction).
        var users = [[(d: Int, p: Int)]](repeating: [], count: topology.links.count * 2)
        for (d, paths) in problem.paths.enumerated() {
            for (p, path) in paths.enumerated() {
                for (link, dir) in Self.directions(path, from: topology.demands[d].source, topology) {
                    users[2 * link + dir].append((d, p))
                }
            }
        }
        if let robust = problem.robust {
            addRobustRows(robust, problem, model: model, u: u, x: x, users: users)
        } else {
            for demand in problem.scenarios {
                for (i, list) in users.enumerated() where !list.isEmpty {
                    let capacity = topology.links[i / 2].capacity
                    var terms = list.compactMap { use -> (column: Int, coefficient: Double)? in
                        demand[use.d] > 0 ? (x[use.d][use.p], demand[use.d] / capacity) : nil
                    }
                    guard !terms.isEmpty else { continue }
                    terms.append((u, -1))
                    model.addRow(terms, .lessOrEqual, 0)
                }
            }
        }
        if let optimum {
            model.addRow(objectiveTerms, .lessOrEqual, optimum * (1 + 1e-7) + 1e-9)
        }
        return Built(model: model, x: x, timeLimit: timeLimit)
    }
}

extension RoutingOptimizer {
    /// Rows and columns of `RobustObjective` (see there).
    func addRobustRows(_ robust: RobustObjective, _ problem: RoutingProblem, model: LinearModel, u: Int, x: [[Int]],
                       users: [[(d: Int, p: Int)]]) {
        let topology = problem.topology
        let used = users.indices.filter { !users[$0].isEmpty }
        let perScenario = problem.scenarios.map { _ in
            robust.meanWeight > 0 ? model.addColumn(objective: robust.meanWeight / Double(problem.scenarios.count)) : u
        }
        let perLink = robust.linkWeight > 0 ? used.map { _ in model.addColumn(objective: robust.linkWeight / Double(used.count)) } : []
        // z_l ≥ util_s(l) is implied by z_l ≥ util_t(l) when scenario t's demand is at least s's on
        // every demand crossing l (all coefficients are non-negative): that row is left out.
        let dominated: [[Bool]] = perLink.isEmpty ? [] : used.map { i in
            let demands = Array(Set(users[i].map(\.d))).sorted()
            let scenarios = problem.scenarios
            return scenarios.indices.map { s in
                scenarios.indices.contains { t in
                    guard t != s else { return false }
                    var strict = false
                    for d in demands {
                        let a = max(0, scenarios[s][d]), b = max(0, scenarios[t][d])
                        if a > b { return false }
                        if a < b { strict = true }
                    }
                    return strict || t < s   // equal rows: keep the first
                }
            }
        }
        for (s, demand) in problem.scenarios.enumerated() {
            if perScenario[s] != u { model.addRow([(perScenario[s], 1), (u, -1)], .lessOrEqual, 0) }
            for (j, i) in used.enumerated() {
                let capacity = topology.links[i / 2].capacity
                let terms = users[i].compactMap { use -> (column: Int, coefficient: Double)? in
                    demand[use.d] > 0 ? (x[use.d][use.p], demand[use.d] / capacity) : nil
                }
                guard !terms.isEmpty else { continue }
                model.addRow(terms + [(perScenario[s], -1)], .lessOrEqual, 0)
                if !perLink.isEmpty, !dominated[j][s] { model.addRow(terms + [(perLink[j], -1)], .lessOrEqual, 0) }
            }
        }
    }
}

extension PathFinder.Cost {
    /// Hop count with weight as a fractional tie-break, for the secondary objective.
    var weightedHops: Double { Double(hops) + weight / (1 + weight) * 0.5 }
}
