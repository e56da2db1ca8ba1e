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
        var allocation = try solve(topology, scenarios: scenarios, current: current, weights: weights)
        allocation.blocks = SpectrumCompaction.compact(allocation.blocks, topology: topology, current: current)
        return allocation
    }

    /// The scenario solver's allocation, its blocks where the solver put them (`allocate` gathers them).
    func solve(_ topology: Topology, scenarios: SpectrumScenarios, current: [[Int]],
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
        // Each step gives the block with the largest gain over every cell. Scanning every cell and
        // every block per step was O(steps × cells × blocks × users): 3 s a plan at 300 cells,
        // growing with the square of the cells. Here a cell's gain only falls as blocks are given (served traffic
        // is concave, the spread reward falls with k, a held block once taken by a neighbour stays
        // taken), so a heap of gains that are upper bounds picks the same block as the full scan
        // (lazy greedy): pop the best, recompute it, take it if it still tops the heap. Blocks a
        // cell may not use are counted per cell as they are given, so a pick is one pass over the
        // band.
        let cells = topology.cells
        var given = cells.map { _ in [Int]() }
        var used = topology.bands.map { [Int](repeating: 0, count: $0.blockCount) }  // cells per block
        var blocked = cells.map { [Int](repeating: 0, count: topology.bands[$0.band].blockCount) }
        var held = cells.map { [Bool](repeating: false, count: topology.bands[$0.band].blockCount) }
        var listedBy = cells.map { _ in [Int]() }  // cells that list c among their neighbours
        for (c, cell) in cells.enumerated() {
            for b in current[c] where held[c].indices.contains(b) { held[c][b] = true }
            for n in cell.neighbours where cells.indices.contains(n) && cells[n].band == cell.band { listedBy[n].append(c) }
        }
        func pick(_ c: Int) -> Int? {
            let band = cells[c].band
            var best: Int?
            for b in blocked[c].indices where blocked[c][b] == 0 {
                guard let a = best else { best = b; continue }
                if (held[c][b] ? 1 : 0, used[band][b]) > (held[c][a] ? 1 : 0, used[band][a]) { best = b }
            }
            return best
        }
        func give(_ c: Int, _ b: Int) {
            given[c].append(b)
            used[cells[c].band][b] += 1
            blocked[c][b] += 1
            for n in listedBy[c] { blocked[n][b] += 1 }
        }
        for c in cells.indices {
            while given[c].count < cells[c].minBlocks {
                guard let b = pick(c) else { return nil }
                give(c, b)
            }
        }
        let servedTable = cells.indices.map { c in (0...max(0, cells[c].maxBlocks)).map { served(c, blocks: $0) } }
        func gain(_ c: Int) -> (gain: Double, block: Int)? {
            let n = given[c].count
            guard n < cells[c].maxBlocks, let b = pick(c) else { return nil }
            let g = servedTable[c][n + 1] - servedTable[c][n] + spread(c, n + 1) + (held[c][b] ? weights.changeCost : -weights.changeCost)
            return g > 0 ? (g, b) : nil
        }
        var heap = GainHeap()
        for c in cells.indices { if let g = gain(c) { heap.push(g.gain, c) } }
        while let top = heap.pop() {
            guard let now = gain(top.cell) else { continue }  // gains never rise: a cell dropped stays out
            if let next = heap.peek, GainHeap.precedes(next, (now.gain, top.cell)) {
                heap.push(now.gain, top.cell)
                continue
            }
            give(top.cell, now.block)
            if let again = gain(top.cell) { heap.push(again.gain, top.cell) }
        }
        return given.map { $0.sorted() }
    }
}

/// A max-heap of (gain, cell), larger gain first and the lower cell on ties (the order in which the
/// scan over cells chose). Written here because the package has no heap dependency and this one
/// needs thirty lines.
struct GainHeap {
    private var items: [(gain: Double, cell: Int)] = []

    static func precedes(_ a: (gain: Double, cell: Int), _ b: (gain: Double, cell: Int)) -> Bool {
        a.gain > b.gain || (a.gain == b.gain && a.cell < b.cell)
    }

    var peek: (gain: Double, cell: Int)? { items.first }

    mutating func push(_ gain: Double, _ cell: Int) {
        items.append((gain, cell))
        var i = items.count - 1
        while i > 0, Self.precedes(items[i], items[(i - 1) / 2]) {
            items.swapAt(i, (i - 1) / 2)
            i = (i - 1) / 2
        }
    }

    mutating func pop() -> (gain: Double, cell: Int)? {
        guard let first = items.first else { return nil }
        items.swapAt(0, items.count - 1)
        items.removeLast()
        var i = 0
        while true {
            var best = i
            let left = 2 * i + 1, right = left + 1
            if left < items.count, Self.precedes(items[left], items[best]) { best = left }
            if right < items.count, Self.precedes(items[right], items[best]) { best = right }
            if best == i { return first }
            items.swapAt(i, best)
            i = best
        }
    }
}
