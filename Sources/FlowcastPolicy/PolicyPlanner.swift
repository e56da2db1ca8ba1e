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
    ///
    /// `recent` (a running planner's recent windows, replay and live) sizes spectrum by the
    /// `flowcast` rule the spectrum backtest scores (`RecentScenarioSizing`: every window one
    /// scenario of the scenario MIP, scaled towards the last interval, with the current policy's
    /// blocks and the backtest's change cost, `SpectrumScenarioWeights.flowcast`); without it, or
    /// with fewer than two plan intervals of windows, each cell asks for the blocks its P90
    /// forecast needs at its efficiency × headroom (`SpectrumRequest`), and the reasons say which.
    /// Either way `requiredBlocks` and `unmetDemand` are the request sizing's (P90 forecast).
    public func plan(_ input: ForecastSet, provenance: Provenance, current: PolicyDocument? = nil, paths given: [[[Int]]]? = nil,
                     recent: RecentCellWindows? = nil,
                     timed: (_ part: String, _ took: Duration) -> Void = { _, _ in }) throws(PolicyError) -> PolicyDocument {
        let clock = ContinuousClock()
        var mark = clock.now
        // The policy planned against, by its digest, so a diff knows what the reasons compare with.
        var provenanceNamingCurrent = provenance
        if let current { provenanceNamingCurrent.currentDigest = Provenance.digest(try current.jsonData()) }
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
        let allocator = SpectrumAllocator(timeLimit: options.timeLimit, exactLimit: options.exactSpectrumLimit)
        var spectrum: SpectrumAllocation
        var sizingReasons: [String]? = nil
        if let recent, recent.enough {
            (spectrum, sizingReasons) = try scenarioSized(recent, requests: requests, cellForecasts: cellForecasts,
                                                          efficiencySources: efficiencySources, current: currentCells, allocator: allocator)
        } else {
            spectrum = try allocator.allocate(topology, requests: requests)
            if let recent {
                let why = "request sizing: \(Self.seconds(Double(recent.count) * recent.windowSeconds)) of window history"
                    + (recent.demand.isEmpty ? " and no cell in it" : "")
                    + ", the reg-1800 scenarios need two plan intervals (\(Self.seconds(Double(2 * recent.windowsPerInterval) * recent.windowSeconds)))"
                spectrum.note += "; " + why
                sizingReasons = Array(repeating: why, count: topology.cells.count)
            }
        }
        timed("spectrum", clock.now - mark)
        return PolicyDocumentBuilder(topology: topology, options: options).document(
            provenance: provenanceNamingCurrent, paths: paths, demandForecasts: demandForecasts, routing: routing, scenarios: scenarios.count,
            churnPenalty: problem.churnPenalty, currentWeights: currentWeights,
            cellForecasts: cellForecasts, requests: requests, efficiencySources: efficiencySources, spectrum: spectrum,
            sizingReasons: sizingReasons, scenarioSized: recent?.enough ?? false)
    }

    static func seconds(_ s: Double) -> String { String(format: "%.0f s", s) }

    /// Spectrum by the `flowcast` rule on `recent` windows; each cell's reason says how it was sized.
    /// A cell the windows never carried has its P90 forecast in every scenario, at the efficiency
    /// request sizing uses; a cell without measured efficiencies per window has that efficiency in every one.
    func scenarioSized(_ recent: RecentCellWindows, requests: [SpectrumRequest], cellForecasts: [ForecastRef], efficiencySources: [String],
                       current: [String: [Int]], allocator: SpectrumAllocator) throws(PolicyError) -> (SpectrumAllocation, [String]) {
        let n = recent.count
        let hz = topology.cells.map { topology.bands[$0.band].blockMHz * 1e6 }
        let se = topology.cells.indices.map { requests[$0].capacityPerBlock / hz[$0] }
        let demand = topology.cells.indices.map { c in recent.demand[topology.cells[c].id] ?? Array(repeating: cellForecasts[c].upper, count: n) }
        let efficiency = topology.cells.indices.map { c in recent.efficiency[topology.cells[c].id] ?? Array(repeating: se[c], count: n) }
        let sized = RecentScenarioSizing.sized(demand: demand, efficiency: efficiency, range: 0..<n, blockHz: hz,
                                               samplesPerInterval: recent.windowsPerInterval, tail: recent.tail)
        let spectrum = try allocator.allocate(topology, scenarios: sized.scenarios, current: topology.cells.map { current[$0.id] ?? [] },
                                              weights: .flowcast)
        let span = Self.seconds(Double(n) * recent.windowSeconds)
        let reasons = topology.cells.indices.map { c -> String in
            let cell = topology.cells[c]
            let blocks = Double(spectrum.blocks[c].count)
            var asked = 0.0, unmet = 0.0
            for s in 0..<n {
                let d = sized.scenarios.demand[s][c]
                asked += d
                unmet += max(0, d - blocks * sized.scenarios.capacityPerBlock[s][c])
            }
            let expected = String(format: "%.1f %%", asked > 0 ? 100 * unmet / asked : 0)
            let scale = { (x: Double) in String(format: "%.2f", x) }
            let measured = recent.efficiency[cell.id] != nil
            let efficiencyText = String(format: "efficiency %.2f bit/s/Hz (%@) in every window", se[c], efficiencySources[c])
            // The rule fits its scales on three whole intervals; before that they are 1, not a fit
            // that came out at 1.00 ("× 1.00 from the last interval" read as one: an audit).
            let intervals = n / recent.windowsPerInterval
            let fitted = intervals >= 3
            let unscaled = "reg-1800 unscaled: it fits its scales on 3 whole intervals, and there \(intervals == 1 ? "is" : "are") \(intervals)"
            let scales = measured
                ? (fitted ? "demand × \(scale(sized.demandScale[c])), efficiency × \(scale(sized.efficiencyScale[c])) from the last interval, reg-1800; "
                    : unscaled + "; ") + "efficiency measured over each window from its radio KPIs"
                : (fitted ? "demand × \(scale(sized.demandScale[c])) from the last interval, reg-1800; " : unscaled + "; ") + efficiencyText
            if recent.demand[cell.id] == nil {
                return "no window history for this cell: its P90 forecast \(PolicyDocumentBuilder.rate(cellForecasts[c].upper)) in each of "
                    + "\(n) scenarios of the last \(span) (reg-1800; "
                    + (measured ? "efficiency measured over each window from its radio KPIs" : efficiencyText) + "): expected unmet \(expected)"
            }
            return "sized on \(n) windows of the last \(span) as scenarios (\(scales)): expected unmet \(expected)"
        }
        return (spectrum, reasons)
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
        guard !parts.isEmpty else { return .none }
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
        guard !carriers.isEmpty else { return .none }
        return ForecastRef(point: carriers.reduce(0) { $0 + demandForecasts[$1].point },
                           upper: carriers.reduce(0) { $0 + demandForecasts[$1].upper },
                           source: "demand " + carriers.map { topology.demands[$0].id }.joined(separator: ", "))
    }
}
