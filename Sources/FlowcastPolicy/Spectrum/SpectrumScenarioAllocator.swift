public import FlowcastTopology

/// Samples of what every cell will ask for over a plan's interval: each scenario is one possible
/// second (demand and capacity per block of every cell at once, so cells that peak together are
/// planned together).
public struct SpectrumScenarios: Sendable, Hashable {
    /// bit/s, `demand[s][c]` for scenario s and cell c (topology cell order).
    public var demand: [[Double]]
    /// bit/s one block carries for cell c in scenario s (block bandwidth × spectral efficiency).
    public var capacityPerBlock: [[Double]]
    /// How much each scenario counts (nil: equally); the objective uses them normalised to sum 1.
    public var weights: [Double]?

    public init(demand: [[Double]], capacityPerBlock: [[Double]], weights: [Double]? = nil) {
        precondition(demand.count == capacityPerBlock.count, "one capacity row per demand row")
        precondition(weights.map { $0.count == demand.count && $0.allSatisfy { $0 >= 0 } } ?? true, "one non-negative weight per scenario")
        self.demand = demand
        self.capacityPerBlock = capacityPerBlock
        self.weights = weights
    }
}

/// Weights of the scenario objective besides expected served traffic, in units of one block's
/// worth of traffic (the mean capacity per block over scenarios and cells).
public struct SpectrumScenarioWeights: Sendable, Hashable {
    /// Cost of one block changed from the current allocation (given or taken away).
    public var changeCost: Double
    /// Evenness of spare spectrum: a cell's k-th block is worth `changeCost` (so taking a free
    /// block never costs) plus `spreadReward × (max − k + 1) / max`, falling with k: spare blocks
    /// are given out, to the cells with fewest first, rather than left idle.
    public var spreadReward: Double

    public init(changeCost: Double, spreadReward: Double) {
        self.changeCost = changeCost
        self.spreadReward = spreadReward
    }

    /// Served traffic first, then fewest blocks changed, then spare blocks spread evenly: the
    /// weights only break ties (the oracle's and the naive methods' objective).
    public static let tieBreakOnly = SpectrumScenarioWeights(changeCost: 1e-5, spreadReward: 1e-6)
}

extension SpectrumAllocator {
    /// The allocation that maximises expected served traffic over `scenarios`,
    /// Σ_s Σ_c min(demand[s][c], blocks[c] × capacityPerBlock[s][c]) / S, minus the change cost,
    /// plus the spread reward, under the same constraints as `allocate(_:requests:)` (bounds,
    /// neighbours never share a block, contiguity). Exact MIP through Cbc (expected served traffic
    /// by the marginal gain of each block, `ScenarioShape.build`) within the time limit, up to
    /// `exactLimit` binaries as for `allocate(_:requests:)`; beyond it, or with no solution in
    /// time, a greedy heuristic (blocks one at a time to the cell whose expected served traffic
    /// gains most). The limit keeps a running planner's step short: at 1,000 cells of 50
    /// contiguous blocks (100,000 binaries) the exact scenario MIP took about 6 s of CPU per plan.
    public func allocate(_ topology: Topology, scenarios: SpectrumScenarios, current: [[Int]],
                         weights: SpectrumScenarioWeights) throws(PolicyError) -> SpectrumAllocation {
        let shape = ScenarioShape(topology: topology, scenarios: scenarios, current: current, weights: weights)
        assert(shape.gainsAreConcave, "expected served traffic must be concave in the block count")
        guard shape.binaryCount <= exactLimit else {
            guard let blocks = shape.greedy() else {
                throw .inconsistent("spectrum allocation: the greedy heuristic could not fit the minimum bandwidths of neighbouring cells")
            }
            return SpectrumAllocation(blocks: blocks, method: .heuristic, outcome: .timeLimit, gapToLPRelaxation: 1,
                                      note: "scenario MIP: \(shape.binaryCount) binaries exceed the exact limit of \(exactLimit); "
                                          + "greedy heuristic over \(scenarios.demand.count) scenarios, its gap not computed (reported as 1)")
        }
        let (model, y) = shape.build()
        do {
            let s = try model.solve(timeLimit: timeLimit)
            let blocks = y.map { columns in columns.indices.filter { s.values[columns[$0]] > 0.5 } }
            let value = -s.objective, bound = -s.bound
            let gap = s.outcome == .optimal ? 0 : Self.gap(bound, value)
            return SpectrumAllocation(
                blocks: blocks, method: .exactMIP, outcome: s.outcome, gapToLPRelaxation: gap,
                note: "scenario MIP (\(shape.binaryCount) binaries, \(scenarios.demand.count) scenarios), "
                    + (s.outcome == .optimal ? "proven optimal" : "stopped at the \(timeLimit) s time limit with its best solution"))
        } catch .timeLimitWithoutSolution {
            guard let blocks = shape.greedy() else {
                throw .inconsistent("spectrum allocation: the greedy heuristic could not fit the minimum bandwidths of neighbouring cells")
            }
            return SpectrumAllocation(blocks: blocks, method: .heuristic, outcome: .timeLimit, gapToLPRelaxation: 1,
                                      note: "the scenario MIP found no solution within \(timeLimit) s; fell back to the greedy heuristic")
        } catch .infeasible {
            throw .inconsistent("spectrum allocation is infeasible: the minimum bandwidths of neighbouring cells do not fit in their band")
        } catch {
            throw .solver(error)
        }
    }
}

/// The scenario model's data: per-cell unit-free demand and capacity (in blocks' worth of traffic).
struct ScenarioShape {
    let topology: Topology
    let scenarios: SpectrumScenarios
    let current: [[Int]]
    let weights: SpectrumScenarioWeights
    /// bit/s of one block's worth of traffic: the mean positive capacity per block.
    let unit: Double

    init(topology: Topology, scenarios: SpectrumScenarios, current: [[Int]], weights: SpectrumScenarioWeights) {
        self.topology = topology
        self.scenarios = scenarios
        self.current = current.count == topology.cells.count ? current : Array(repeating: [], count: topology.cells.count)
        self.weights = weights
        var sum = 0.0, count = 0
        for row in scenarios.capacityPerBlock { for k in row where k > 0 { sum += k; count += 1 } }
        unit = count > 0 ? sum / Double(count) : 1
    }

    var gainsAreConcave: Bool {
        topology.cells.indices.allSatisfy { c in
            let g = gains(c)
            return zip(g, g.dropFirst()).allSatisfy { $1 <= $0 + 1e-9 }
        }
    }

    var binaryCount: Int {
        topology.cells.reduce(0) { $0 + topology.bands[$1.band].blockCount * ($1.contiguous ? 2 : 1) }
    }

    /// Expected served traffic (in units) of cell c with n blocks.
    func served(_ c: Int, blocks n: Int) -> Double {
        let s = scenarios.demand.count
        guard s > 0 else { return 0 }
        var total = 0.0, weight = 0.0
        for i in 0..<s {
            let w = scenarios.weights?[i] ?? 1
            total += w * min(max(0, scenarios.demand[i][c]), Double(n) * max(0, scenarios.capacityPerBlock[i][c]))
            weight += w
        }
        return weight > 0 ? total / unit / weight : 0
    }

    /// Spread reward of a cell's k-th block (1-based).
    func spread(_ c: Int, _ k: Int) -> Double {
        let top = max(1, topology.cells[c].maxBlocks)
        return weights.changeCost + weights.spreadReward * Double(top - k + 1) / Double(top)
    }

    /// What a cell's k-th block (1-based) adds: expected served traffic, then spread reward.
    /// Expected served traffic is concave in the block count (a mean of min(d, n × k)), and the
    /// spread reward falls with k, so these gains never rise with k.
    func gains(_ c: Int) -> [Double] {
        let top = max(0, topology.cells[c].maxBlocks)
        var previous = 0.0
        return top == 0 ? [] : (1...top).map { k in
            let now = served(c, blocks: k)
            defer { previous = now }
            return now - previous + spread(c, k)
        }
    }

    /// The MIP. Expected served traffic is separable by cell and concave in its block count, so
    /// it is modelled exactly by one column per possible block of the cell, z[c][k] in [0, 1]
    /// with gain g[c][k] (non-increasing in k) and Σ_k z[c][k] ≤ Σ_b y[c][b]: the LP fills the
    /// best gains first, so the model's size does not grow with the number of scenarios.
    func build() -> (LinearModel, [[Int]]) {
        let model = LinearModel()
        var y: [[Int]] = []
        for (c, cell) in topology.cells.enumerated() {
            let blocks = topology.bands[cell.band].blockCount
            let held = Set(current[c])
            let columns = (0..<blocks).map { b in
                model.addColumn(lower: 0, upper: 1, objective: held.contains(b) ? -weights.changeCost : weights.changeCost, integer: true)
            }
            y.append(columns)
            let sum = columns.map { ($0, 1.0) }
            model.addRow(sum, .greaterOrEqual, Double(cell.minBlocks))
            model.addRow(sum, .lessOrEqual, Double(cell.maxBlocks))
            let z = gains(c).map { g in model.addColumn(lower: 0, upper: 1, objective: -g) }
            if !z.isEmpty { model.addRow(z.map { ($0, 1.0) } + columns.map { ($0, -1.0) }, .lessOrEqual, 0) }
            if cell.contiguous { model.addContiguity(of: columns, integer: true) }
        }
        model.addNeighbourExclusion(topology, blocks: y)
        return (model, y)
    }

    /// Every cell gets its minimum, then one block at a time goes to the cell whose expected served
    /// traffic (plus spread reward, minus change cost) gains most and that still has a block free
    /// of its neighbours: its current blocks first, then the block most reused by the cells that do
    /// not interfere with it, then the lowest. Contiguous cells are left to the lexicographic
    /// heuristic with the P90 of their scenarios' needs. Nil when a minimum does not fit.
    func greedy() -> [[Int]]? {
        if topology.cells.contains(where: \.contiguous) {
            let requests = topology.cells.indices.map { c in
                let needs = scenarios.demand.indices.map { s in
                    scenarios.capacityPerBlock[s][c] > 0 ? scenarios.demand[s][c] / scenarios.capacityPerBlock[s][c] : 0
                }.sorted()
                let p90 = needs.isEmpty ? 0 : needs[min(needs.count - 1, Int(0.9 * Double(needs.count)))]
                return SpectrumRequest(requiredBlocks: Int((p90 - 1e-9).rounded(.up)), capacityPerBlock: unit, currentBlocks: current[c])
            }
            return GreedySpectrumHeuristic.allocate(SpectrumModelShape(topology, requests))
        }
        let cells = topology.cells
        var given = cells.map { _ in [Int]() }
        var users = topology.bands.map { [[Int]](repeating: [], count: $0.blockCount) }  // cells per block
        func free(_ c: Int) -> [Int] {
            let band = cells[c].band
            return users[band].indices.filter { b in
                !users[band][b].contains(c) && !users[band][b].contains { cells[c].neighbours.contains($0) }
            }
        }
        func pick(_ c: Int) -> Int? {
            let options = free(c)
            let held = Set(current[c])
            return options.max { a, b in
                let ka = (held.contains(a) ? 1 : 0, users[cells[c].band][a].count, -a)
                let kb = (held.contains(b) ? 1 : 0, users[cells[c].band][b].count, -b)
                return ka < kb
            }
        }
        func give(_ c: Int, _ b: Int) {
            given[c].append(b)
            users[cells[c].band][b].append(c)
        }
        for c in cells.indices {
            while given[c].count < cells[c].minBlocks {
                guard let b = pick(c) else { return nil }
                give(c, b)
            }
        }
        while true {
            var best: (gain: Double, cell: Int, block: Int)?
            for c in cells.indices where given[c].count < cells[c].maxBlocks {
                guard let b = pick(c) else { continue }
                let n = given[c].count
                let gain = served(c, blocks: n + 1) - served(c, blocks: n) + spread(c, n + 1)
                    + (Set(current[c]).contains(b) ? weights.changeCost : -weights.changeCost)
                if gain > 0, best == nil || gain > best!.gain { best = (gain, c, b) }
            }
            guard let best else { break }
            give(best.cell, best.block)
        }
        return given.map { $0.sorted() }
    }
}
