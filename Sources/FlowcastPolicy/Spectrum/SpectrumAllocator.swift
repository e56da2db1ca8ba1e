public import FlowcastTopology

/// What one cell asks of the allocator.
public struct SpectrumRequest: Hashable, Sendable {
    /// Blocks the forecast needs (after headroom), before the cell's bounds are applied.
    public var requiredBlocks: Int
    /// bit/s one block carries at the forecast spectrum efficiency (weights unmet demand).
    public var capacityPerBlock: Double
    /// Blocks the cell has now, if any (changes from these are penalised).
    public var currentBlocks: [Int]

    public init(requiredBlocks: Int, capacityPerBlock: Double, currentBlocks: [Int] = []) {
        self.requiredBlocks = requiredBlocks
        self.capacityPerBlock = capacityPerBlock
        self.currentBlocks = currentBlocks
    }

    /// The most blocks `blocksNeeded` reports: a band holds at most `Topology.maximumBlocksPerBand`.
    public static let neededBlocksCeiling = 1_000_000_000

    /// ceil(demand / (efficiency × block bandwidth) × headroom): the blocks a P90 demand needs.
    public static func blocksNeeded(demand: Double, spectralEfficiency: Double, blockMHz: Double, headroom: Double) -> Int {
        guard demand > 0, spectralEfficiency > 0, blockMHz > 0 else { return 0 }
        let exact = demand / (spectralEfficiency * blockMHz * 1e6) * headroom
        // Held far above any band's block count (and Int's range), so a tiny efficiency or huge
        // demand means "more than the band has", never a trap converting to Int.
        guard exact.isFinite, exact < Double(Self.neededBlocksCeiling) else { return Self.neededBlocksCeiling }
        return Int((exact - 1e-9).rounded(.up))
    }
}

/// The blocks given to every cell and how they were found.
public struct SpectrumAllocation: Hashable, Sendable {
    /// Sorted block indices per cell, in topology cell order.
    public var blocks: [[Int]]
    public var method: Method
    public var outcome: SolveOutcome
    /// Relative gap to the LP relaxation bound: (objective − bound) / objective; 0 when proven optimal.
    public var gapToLPRelaxation: Double
    public var note: String

    public enum Method: String, Hashable, Sendable { case exactMIP = "exact-mip", heuristic = "greedy-heuristic" }
}

/// Assigns spectrum blocks to cells.
///
/// Constraints: each cell gets between its min and max blocks of its own band; cells that
/// interfere (neighbours on the same band) never share a block; contiguous cells get one run.
/// Objective, lexicographic: least unmet demand (blocks short × bit/s per block), then blocks
/// changed from the current allocation against spare blocks given out. A block no neighbour
/// needs is worth more held than idle (an idle block carries nothing, and the forecast's P90 is
/// exceeded one interval in ten): each spare block a cell holds beyond its need is worth between
/// 1 and 1.5 changes, the first more than the next (`SpectrumModelShape.spareValue`), so a
/// free block is taken, spare blocks spread evenly over the cells, and a spare block never moves
/// from one cell to another (that is two changes for less than one change's worth). Exact MIP
/// through Cbc when the model has at most `exactLimit` binaries and solves within `timeLimit`;
/// otherwise the greedy heuristic below, with its gap to the LP relaxation reported.
public struct SpectrumAllocator: Sendable {
    public var timeLimit: Double
    /// Largest number of binary variables solved exactly.
    public var exactLimit: Int

    /// Largest number of binary variables whose LP relaxation the heuristic solves for its gap;
    /// beyond it the gap is bounded by the cells' separate bound instead. A size, not a time,
    /// so the document does not depend on the machine. On an idle ring of cells with 50
    /// contiguous blocks each (a degenerate LP), Clp took 10 s at 100,000 binaries (1,000 cells)
    /// and did not finish in 10 s at 200,000 or 500,000; 20,000 is 200 such cells.
    public var relaxationLimit: Int

    public init(timeLimit: Double = 10, exactLimit: Int = 4000, relaxationLimit: Int = 20_000) {
        self.timeLimit = timeLimit
        self.exactLimit = exactLimit
        self.relaxationLimit = relaxationLimit
    }

    public func allocate(_ topology: Topology, requests: [SpectrumRequest]) throws(PolicyError) -> SpectrumAllocation {
        var allocation = try solve(topology, requests: requests)
        allocation.blocks = SpectrumCompaction.compact(allocation.blocks, topology: topology, current: requests.map(\.currentBlocks))
        return allocation
    }

    /// The solver's allocation, its blocks where the solver put them (`allocate` gathers them).
    func solve(_ topology: Topology, requests: [SpectrumRequest]) throws(PolicyError) -> SpectrumAllocation {
        let shape = SpectrumModelShape(topology, requests)
        if shape.binaryCount <= exactLimit {
            let built = shape.build(integer: true)
            do {
                let s = try built.model.solve(timeLimit: timeLimit)
                let blocks = built.blocks(from: s.values)
                let objective = shape.objective(blocks)
                let gap = s.outcome == .optimal ? 0 : Self.gap(objective, s.bound + shape.constant)
                return SpectrumAllocation(
                    blocks: blocks, method: .exactMIP, outcome: s.outcome, gapToLPRelaxation: gap,
                    note: s.outcome == .optimal
                        ? "exact MIP (\(shape.binaryCount) binaries), proven optimal"
                        : "exact MIP stopped at the \(timeLimit) s time limit with its best solution")
            } catch .timeLimitWithoutSolution {
                return try heuristic(shape, why: "the exact MIP found no solution within \(timeLimit) s; fell back to the greedy heuristic")
            } catch .infeasible {
                throw .inconsistent("spectrum allocation is infeasible: the minimum bandwidths of neighbouring cells do not fit in their band")
            } catch {
                throw .solver(error)
            }
        }
        return try heuristic(shape, why: "\(shape.binaryCount) binaries exceed the exact limit of \(exactLimit); greedy heuristic")
    }

    static func gap(_ objective: Double, _ bound: Double) -> Double {
        guard objective > 1e-9 else { return 0 }
        return max(0, (objective - bound) / objective)
    }

    func heuristic(_ shape: SpectrumModelShape, why: String) throws(PolicyError) -> SpectrumAllocation {
        guard let blocks = GreedySpectrumHeuristic.allocate(shape) else {
            throw .inconsistent("spectrum allocation: the greedy heuristic could not fit the minimum bandwidths of neighbouring cells")
        }
        let objective = shape.objective(blocks)
        var gap = 0.0
        // The LP relaxation lies between the cells' separate bound and the heuristic's objective:
        // when that bound already reaches the objective, the gap to it is 0 without solving it
        // (at 1,000 cells the LP was 28 % of a plan step's CPU). With spare blocks in the objective
        // the separate bound rarely reaches it exactly (each cell alone could hold every spare
        // block), but when the gap to it is under 5e-5 the gap to the LP relaxation, no larger,
        // rounds to the same 0.0000 in the document: the LP would change only the note.
        let separate = shape.separateCellBound()
        if let separate {
            if objective <= separate + 1e-9 * max(1, abs(objective)) {
                return SpectrumAllocation(blocks: blocks, method: .heuristic, outcome: .timeLimit, gapToLPRelaxation: 0,
                                          note: why + "; gap to LP relaxation \(0.0)")
            }
            let bounded = Self.gap(objective, separate)
            if bounded < 5e-5 {
                return SpectrumAllocation(blocks: blocks, method: .heuristic, outcome: .timeLimit, gapToLPRelaxation: bounded,
                                          note: why + "; gap to LP relaxation at most \(bounded) (to each cell's own bound, "
                                              + "which is below the relaxation; the relaxation was not solved)")
            }
            if shape.binaryCount > relaxationLimit {
                return SpectrumAllocation(blocks: blocks, method: .heuristic, outcome: .timeLimit, gapToLPRelaxation: bounded,
                                          note: why + "; gap to LP relaxation at most \(bounded) (to each cell's own bound, "
                                              + "which is below the relaxation; the relaxation of \(shape.binaryCount) binaries "
                                              + "exceeds \(relaxationLimit) and was not solved)")
            }
        }
        // Clp's dual simplex directly: through Cbc's driver the relaxation ignored the time limit
        // (a ring of 5,000 cells: 61 s against a 10 s limit).
        let relaxation = shape.build(integer: false).model
        relaxation.directLP = true
        do {
            gap = Self.gap(objective, try relaxation.solve(timeLimit: timeLimit).objective + shape.constant)
        } catch {
            if let separate {
                let bounded = Self.gap(objective, separate)
                return SpectrumAllocation(blocks: blocks, method: .heuristic, outcome: .timeLimit, gapToLPRelaxation: bounded,
                                          note: why + "; LP relaxation unavailable (\(error)); gap to LP relaxation at most "
                                              + "\(bounded) (to each cell's own bound, which is below the relaxation)")
            }
            return SpectrumAllocation(blocks: blocks, method: .heuristic, outcome: .timeLimit, gapToLPRelaxation: 1,
                                      note: why + "; LP relaxation unavailable (\(error)), gap reported as 1")
        }
        return SpectrumAllocation(blocks: blocks, method: .heuristic, outcome: .timeLimit, gapToLPRelaxation: gap,
                                  note: why + "; gap to LP relaxation \(gap)")
    }
}

/// The allocation model's sizes, weights and objective, shared by the MIP and the heuristic.
struct SpectrumModelShape {
    let topology: Topology
    let requests: [SpectrumRequest]
    /// Weight of one unmet block per cell, ≥ 1, and the factor that makes unmet dominate change.
    let unmetWeight: [Double]
    let dominance: Double
    /// Per cell, the most spare blocks it can hold (max blocks − need, at least 0).
    let spareRoom: [Int]

    init(_ topology: Topology, _ requests: [SpectrumRequest]) {
        self.topology = topology
        self.requests = requests
        let floor = requests.map(\.capacityPerBlock).filter { $0 > 0 }.min() ?? 1
        unmetWeight = requests.map { max(1, $0.capacityPerBlock / floor) }
        let blocks = topology.cells.reduce(0) { $0 + topology.bands[$1.band].blockCount }
        // Changes (at most two per block of a cell's band) and spare blocks (at most 1.5 each)
        // together stay below one unmet block.
        dominance = Double(4 * blocks + 1)
        spareRoom = topology.cells.indices.map { max(0, topology.cells[$0].maxBlocks - requests[$0].requiredBlocks) }
    }

    /// What the k-th spare block (k from 1) of cell `c` is worth, in changes: from 1.5 down
    /// towards 1 over the band's blocks, the same for every cell of a band, so free blocks go
    /// first to the cells holding fewest spare ones.
    func spareValue(_ c: Int, _ k: Int) -> Double {
        let count = Double(topology.bands[topology.cells[c].band].blockCount)
        return 1 + 0.5 * (count - Double(k) + 1) / count
    }

    /// The objective's constant part left out of the model: one per currently held block, and
    /// every spare block's value (the model counts the spare blocks a cell does not hold).
    var constant: Double {
        var total = Double(requests.reduce(0) { $0 + $1.currentBlocks.count })
        for c in topology.cells.indices where spareRoom[c] > 0 {
            for k in 1...spareRoom[c] { total += spareValue(c, k) }
        }
        return total
    }

    /// A lower bound on the LP relaxation's optimum (plus `constant`): each cell alone, without
    /// its neighbours' exclusion and its contiguity rows, as an LP. Alone, a cell takes Y blocks,
    /// the ones it holds first (each −1, the others +1), pays for the shortfall and gains the
    /// values of the spare blocks beyond its need (falling with k); the cost is convex and
    /// piecewise linear in Y with breaks at integers, so the best integer Y is its optimum. Nil
    /// when a cell cannot meet its own bounds (the LP decides then).
    func separateCellBound() -> Double? {
        var total = constant
        for (c, cell) in topology.cells.enumerated() {
            let count = topology.bands[cell.band].blockCount
            let held = Set(requests[c].currentBlocks).filter { $0 >= 0 && $0 < count }.count
            let most = min(cell.maxBlocks, count)
            guard cell.minBlocks <= most else { return nil }
            let need = requests[c].requiredBlocks
            var best = Double.infinity
            for y in max(0, cell.minBlocks)...max(0, most) {
                let change = Double(y <= held ? -y : y - 2 * held)
                let short = need > 0 ? dominance * unmetWeight[c] * Double(max(0, need - y)) : 0
                // Spare blocks held: the ones beyond the need (taking more shortfall to hold more
                // costs the dominance weight, over the 1.5 a spare block is worth at most).
                var spare = 0.0
                let beyond = min(spareRoom[c], max(0, y - need))
                if beyond > 0 { for k in 1...beyond { spare += spareValue(c, k) } }
                best = min(best, change + short - spare)
            }
            total += best
        }
        return total
    }

    var binaryCount: Int {
        topology.cells.reduce(0) { $0 + topology.bands[$1.band].blockCount * ($1.contiguous ? 2 : 1) }
    }

    /// The same objective the MIP minimises (with its constant): unmet blocks, changes, and the
    /// value of the spare blocks not held.
    func objective(_ blocks: [[Int]]) -> Double {
        var total = 0.0
        for (c, given) in blocks.enumerated() {
            let short = max(0, requests[c].requiredBlocks - given.count)
            total += dominance * unmetWeight[c] * Double(short)
            total += Double(Set(given).symmetricDifference(requests[c].currentBlocks).count)
            let spare = min(spareRoom[c], max(0, given.count - requests[c].requiredBlocks))
            if spare < spareRoom[c] {
                for k in (spare + 1)...spareRoom[c] { total += spareValue(c, k) }
            }
        }
        return total
    }

    struct Built {
        let model: LinearModel
        let y: [[Int]]
        func blocks(from values: [Double]) -> [[Int]] {
            y.map { columns in columns.indices.filter { values[columns[$0]] > 0.5 } }
        }
    }

    func build(integer: Bool) -> Built {
        let model = LinearModel()
        var y: [[Int]] = []
        for (c, cell) in topology.cells.enumerated() {
            let count = topology.bands[cell.band].blockCount
            let current = Set(requests[c].currentBlocks)
            // Change cost: choosing a block the cell lacks costs +1, dropping one it has costs +1
            // (the constant part, |current|, is left out of the model).
            let columns = (0..<count).map { b in
                model.addColumn(lower: 0, upper: 1, objective: current.contains(b) ? -1 : 1, integer: integer)
            }
            y.append(columns)
            model.addRow(columns.map { ($0, 1.0) }, .greaterOrEqual, Double(cell.minBlocks))
            model.addRow(columns.map { ($0, 1.0) }, .lessOrEqual, Double(cell.maxBlocks))
            let need = requests[c].requiredBlocks
            var short: Int?
            if need > 0 {
                // short ≥ need − Σ y
                short = model.addColumn(lower: 0, objective: dominance * unmetWeight[c])
                model.addRow(columns.map { ($0, 1.0) } + [(short!, 1)], .greaterOrEqual, Double(need))
            }
            if spareRoom[c] > 0 {
                // Spare block k held (s_k, continuous: the values fall with k, so the solver
                // fills them in order): Σ s ≤ Σ y − need + short, i.e. the blocks beyond the need.
                let spare = (1...spareRoom[c]).map { model.addColumn(lower: 0, upper: 1, objective: -spareValue(c, $0)) }
                var terms = spare.map { ($0, 1.0) } + columns.map { ($0, -1.0) }
                if let short { terms.append((short, -1)) }
                model.addRow(terms, .lessOrEqual, Double(-need))
            }
            if cell.contiguous { model.addContiguity(of: columns, integer: integer) }
        }
        model.addNeighbourExclusion(topology, blocks: y)
        return Built(model: model, y: y)
    }
}

extension LinearModel {
    /// The blocks `columns` (0/1 per block of a band, in order) form one contiguous run: a block
    /// is used only if the run starts there or the block before it is used, and the run starts
    /// once at most. Shared by the spectrum MIPs (`SpectrumAllocator`, `SpectrumScenarioAllocator`).
    func addContiguity(of columns: [Int], integer: Bool) {
        guard !columns.isEmpty else { return }
        let starts = columns.map { _ in addColumn(lower: 0, upper: 1, integer: integer) }
        addRow(starts.map { ($0, 1.0) }, .lessOrEqual, 1)
        for b in columns.indices {
            var terms: [(column: Int, coefficient: Double)] = [(columns[b], 1), (starts[b], -1)]
            if b > 0 { terms.append((columns[b - 1], -1)) }
            addRow(terms, .lessOrEqual, 0)
        }
    }

    /// Neighbouring cells on the same band never share a block: `blocks[c][b]` is cell c's
    /// 0/1 column for block b.
    func addNeighbourExclusion(_ topology: Topology, blocks y: [[Int]]) {
        for (c, cell) in topology.cells.enumerated() {
            for n in cell.neighbours where n > c && topology.cells[n].band == cell.band {
                for b in y[c].indices { addRow([(y[c][b], 1), (y[n][b], 1)], .lessOrEqual, 1) }
            }
        }
    }
}
