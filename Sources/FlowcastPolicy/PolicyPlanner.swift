public import FlowcastTopology
import Foundation

/// Settings for one plan.
public struct PlanOptions: Sendable {
    /// Multiplier on the blocks a forecast needs (1.2 = 20 % headroom).
    public var headroom: Double
    /// Objective cost per unit of split weight moved from the current policy (0 = none).
    public var churnPenalty: Double
    /// Paths per demand when the topology gives none.
    public var pathsPerDemand: Int
    /// Time limit per solve, seconds.
    public var timeLimit: Double
    /// Largest spectrum model (binaries) solved exactly.
    public var exactSpectrumLimit: Int
    /// Link utilisation under which traffic stays on its least-cost path (`RoutingRegime`);
    /// 0 is pure min-max utilisation.
    public var targetUtilisation: Double

    public init(headroom: Double = 1.2, churnPenalty: Double = 0, pathsPerDemand: Int = 4, timeLimit: Double = 10,
                exactSpectrumLimit: Int = 4000, targetUtilisation: Double = 0.7) {
        self.headroom = headroom
        self.churnPenalty = churnPenalty
        self.pathsPerDemand = pathsPerDemand
        self.timeLimit = timeLimit
        self.exactSpectrumLimit = exactSpectrumLimit
        self.targetUtilisation = targetUtilisation
    }
}

extension PlanOptions {
    /// `plan`'s default time limit per solve: 10 s up to 5,000 demands, 10 s more per 5,000
    /// beyond (the routing LPs grow with the demands: at 25,000 demands the benchmark's two took
    /// 32–37 s together, over the old fixed 10 s each).
    public static func scaledTimeLimit(demands: Int) -> Double { 10 * max(1, Double(demands) / 5000) }
}

/// Turns a topology and forecasts into a `PolicyDocument`: routing LP, then spectrum MIP.
public struct PolicyPlanner: Sendable {
    public var topology: Topology
    public var options: PlanOptions

    public init(topology: Topology, options: PlanOptions = PlanOptions()) {
        self.topology = topology
        self.options = options
    }

    /// Candidate paths per demand, in topology demand order: the topology's own, else up to
    /// `pathsPerDemand` shortest (`PathFinder.paths(for:k:)`).
    public func candidatePaths() -> [[[Int]]] {
        PathFinder(topology).paths(for: topology.demands, k: options.pathsPerDemand)
    }

    /// Makes a plan. `current` (the policy in force) feeds the churn penalty and the change objective.
    /// `paths`, when given, are `candidatePaths()` found already (so `plan --timing` finds them once);
    /// `timed` hears how long routing and spectrum took.
    public func plan(_ input: ForecastSet, provenance: Provenance, current: PolicyDocument? = nil, paths given: [[[Int]]]? = nil,
                     timed: (_ part: String, _ took: Duration) -> Void = { _, _ in }) throws(PolicyError) -> PolicyDocument {
        let clock = ContinuousClock()
        var mark = clock.now
        let index = ForecastIndex(input.forecasts)
        let demandForecasts = topology.demands.map { demandForecast($0, input.forecasts, index) }
        let paths = given ?? candidatePaths()
        if given == nil { timed("paths", clock.now - mark); mark = clock.now }
        var scenarios = [demandForecasts.map(\.upper)]
        for extra in input.scenarios ?? [] {
            scenarios.append(topology.demands.indices.map { extra[topology.demands[$0].id] ?? demandForecasts[$0].upper })
        }
        let currentWeights = current.map { doc in
            let decisions = Dictionary(doc.routing.demands.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
            return topology.demands.indices.map { d in
                let decision = decisions[topology.demands[d].id].map { doc.routing.demands[$0] }
                return paths[d].map { path in
                    let ids = path.map { topology.links[$0].id }
                    return decision?.paths.first { $0.links == ids }?.weight ?? 0
                }
            }
        }
        let problem = RoutingProblem(topology: topology, paths: paths, scenarios: scenarios, current: currentWeights,
                                     churnPenalty: currentWeights == nil ? 0 : options.churnPenalty,
                                     targetUtilisation: options.targetUtilisation)
        let routing = try RoutingOptimizer(timeLimit: options.timeLimit).solve(problem)
        timed("routing", clock.now - mark)
        mark = clock.now

        var carriers = [[Int]](repeating: [], count: topology.cells.count)
        for (d, demand) in topology.demands.enumerated() where demand.cells.count == 1 { carriers[demand.cells[0]].append(d) }
        var cellForecasts = topology.cells.indices.map { cellForecast($0, input.forecasts, index, carriers: carriers[$0], demandForecasts) }
        let measured = Dictionary((input.measuredEfficiencies ?? []).map { ($0.cell, $0) }, uniquingKeysWith: { first, _ in first })
        let currentCells = Dictionary((current?.spectrum.cells ?? []).map { ($0.id, $0.blocks) }, uniquingKeysWith: { first, _ in first })
        var requests: [SpectrumRequest] = []
        var efficiencySources: [String] = []
        for (c, cell) in topology.cells.enumerated() {
            let band = topology.bands[cell.band]
            // The cell's own forecast first, then its radio KPIs, then the configured peak; the
            // decision's reason says which.
            let se: Double
            if let forecast = cellForecasts[c].spectralEfficiency {
                se = forecast
                efficiencySources.append("forecast")
            } else if let measured = measured[cell.id] {
                se = measured.bitsPerSecondPerHertz
                cellForecasts[c].spectralEfficiency = se
                efficiencySources.append(measured.source)
            } else if let peak = cell.peakSpectralEfficiency {
                se = peak
                efficiencySources.append("configured peak")
            } else {
                throw .inconsistent("cell '\(cell.id)' has no spectrum efficiency: its forecast gives none, "
                    + (cell.kpiSource == nil ? "" : "its radio KPIs gave none, ") + "and the topology states no peakSpectralEfficiency")
            }
            let currentBlocks = currentCells[cell.id] ?? []
            requests.append(SpectrumRequest(
                requiredBlocks: SpectrumRequest.blocksNeeded(demand: cellForecasts[c].upper, spectralEfficiency: se,
                                                             blockMHz: band.blockMHz, headroom: options.headroom),
                capacityPerBlock: se * band.blockMHz * 1e6, currentBlocks: currentBlocks))
        }
        let spectrum = try SpectrumAllocator(timeLimit: options.timeLimit, exactLimit: options.exactSpectrumLimit)
            .allocate(topology, requests: requests)
        timed("spectrum", clock.now - mark)
        return PolicyDocumentBuilder(topology: topology, options: options).document(
            provenance: provenance, paths: paths, demandForecasts: demandForecasts, routing: routing, scenarios: scenarios.count,
            churnPenalty: problem.churnPenalty, currentWeights: currentWeights,
            cellForecasts: cellForecasts, requests: requests, efficiencySources: efficiencySources, spectrum: spectrum)
    }

    /// Where each id's forecasts are, by kind, in input order: the plan looked every demand and
    /// cell up by a linear search (quadratic: 7.5 % of a 1,000-cell plan step's CPU in a profile).
    struct ForecastIndex {
        var demands: [String: [Int]] = [:]
        var cells: [String: [Int]] = [:]
        init(_ forecasts: [Forecast]) {
            for (i, f) in forecasts.enumerated() {
                switch f.kind {
                case .demand: demands[f.id, default: []].append(i)
                case .cell: cells[f.id, default: []].append(i)
                default: break
                }
            }
        }
    }

    /// The demand's own forecast, else the sum of its cells' forecasts, else zero.
    func demandForecast(_ d: Demand, _ forecasts: [Forecast], _ index: ForecastIndex) -> ForecastRef {
        if let i = index.demands[d.id]?.first {
            let f = forecasts[i]
            return ForecastRef(point: f.point, upper: f.upper, source: f.source)
        }
        let cellIDs = Set(d.cells.map { topology.cells[$0].id })
        let parts = cellIDs.flatMap { index.cells[$0] ?? [] }.sorted().map { forecasts[$0] }
        guard !parts.isEmpty else { return ForecastRef(point: 0, upper: 0, source: "no forecast") }
        return ForecastRef(point: parts.reduce(0) { $0 + $1.point }, upper: parts.reduce(0) { $0 + $1.upper },
                           source: "sum of cells " + parts.map(\.id).sorted().joined(separator: ", ") + " (" + Set(parts.map(\.source)).sorted().joined(separator: ", ") + ")")
    }

    /// The cell's own forecast, else the sum of the demands that carry only it, else zero.
    /// `carriers`: the demands whose only cell is this one, in topology order.
    func cellForecast(_ c: Int, _ forecasts: [Forecast], _ index: ForecastIndex, carriers: [Int], _ demandForecasts: [ForecastRef]) -> ForecastRef {
        let cell = topology.cells[c]
        if let i = index.cells[cell.id]?.first {
            let f = forecasts[i]
            return ForecastRef(point: f.point, upper: f.upper, spectralEfficiency: f.spectralEfficiency, source: f.source)
        }
        guard !carriers.isEmpty else { return ForecastRef(point: 0, upper: 0, source: "no forecast") }
        return ForecastRef(point: carriers.reduce(0) { $0 + demandForecasts[$1].point },
                           upper: carriers.reduce(0) { $0 + demandForecasts[$1].upper },
                           source: "demand " + carriers.map { topology.demands[$0].id }.joined(separator: ", "))
    }
}
