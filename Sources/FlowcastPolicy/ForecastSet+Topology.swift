public import FlowcastTopology

extension ForecastSet {
    /// The first thing in a forecasts file that does not fit `topology`, at its JSON path: a
    /// forecast or a scenario naming an id the topology does not have (a typo dropped the
    /// forecast and planned the cell it meant for nothing), or more demands × scenarios than
    /// `maximumScenarioEntries`. Nil when everything fits. `problem` holds the checks that need
    /// no topology.
    public func problem(for topology: Topology) -> String? {
        let ids: [Forecast.Kind: Set<String>] = [
            .cell: Set(topology.cells.map(\.id)), .link: Set(topology.links.map(\.id)), .demand: Set(topology.demands.map(\.id)),
        ]
        for (i, f) in forecasts.enumerated() where !(ids[f.kind]?.contains(f.id) ?? false) {
            return "$.forecasts[\(i)].id: the topology has no \(f.kind.rawValue) '\(f.id)'"
        }
        // A measured efficiency for a cell the topology lacks (a misspelt id) was dropped, and the
        // cell it meant planned at its log's or its peak efficiency without a word.
        for (i, m) in (measuredEfficiencies ?? []).enumerated() where !(ids[.cell]?.contains(m.cell) ?? false) {
            return "$.measuredEfficiencies[\(i)].cell: the topology has no cell '\(m.cell)'"
        }
        // Not one cell or demand forecast: the plan would be for no traffic at all, written as a
        // policy like any other ("forecasts": [] planned every link at 0 % without a word).
        if !(topology.cells.isEmpty && topology.demands.isEmpty), !forecasts.contains(where: { $0.kind != .link }),
           (scenarios ?? []).allSatisfy(\.isEmpty) {
            return "$.forecasts: no forecast for any of the topology's \(topology.demands.count) demands and \(topology.cells.count) cells "
                + "(the plan would be for no traffic)"
        }
        let demands = ids[.demand] ?? []
        for (s, scenario) in (scenarios ?? []).enumerated() {
            if let id = scenario.keys.sorted().first(where: { !demands.contains($0) }) {
                return "$.scenarios[\(s)]['\(id)']: the topology has no demand '\(id)' (scenarios map demand ids to bit/s)"
            }
        }
        let entries = ((scenarios?.count ?? 0) + 1) * topology.demands.count
        if entries > Self.maximumScenarioEntries {
            return "$.scenarios: \(scenarios?.count ?? 0) scenarios and the forecast over \(topology.demands.count) demands "
                + "are \(entries) demand scenarios, more than the \(Self.maximumScenarioEntries) a plan takes"
        }
        return nil
    }
}
