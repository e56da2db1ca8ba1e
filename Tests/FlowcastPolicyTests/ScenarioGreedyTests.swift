@testable import FlowcastPolicy
import FlowcastTopology
import Testing

/// The scenario greedy as first written: every step scans every cell and every block for the
/// largest gain. The lazy greedy in `ScenarioShape.greedy` must choose exactly what this does.
private func scanningGreedy(_ shape: ScenarioShape) -> [[Int]]? {
    let cells = shape.topology.cells
    var given = cells.map { _ in [Int]() }
    var users = shape.topology.bands.map { [[Int]](repeating: [], count: $0.blockCount) }
    func pick(_ c: Int) -> Int? {
        let band = cells[c].band
        let options = users[band].indices.filter { b in
            !users[band][b].contains(c) && !users[band][b].contains { cells[c].neighbours.contains($0) }
        }
        let held = Set(shape.current[c])
        return options.max { a, b in
            (held.contains(a) ? 1 : 0, users[band][a].count, -a) < (held.contains(b) ? 1 : 0, users[band][b].count, -b)
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
            let gain = shape.served(c, blocks: n + 1) - shape.served(c, blocks: n) + shape.spread(c, n + 1)
                + (Set(shape.current[c]).contains(b) ? shape.weights.changeCost : -shape.weights.changeCost)
            if gain > 0, best == nil || gain > best!.gain { best = (gain, c, b) }
        }
        guard let best else { break }
        give(best.cell, best.block)
    }
    return given.map { $0.sorted() }
}

/// Random interference graphs (neighbour lists not always symmetric, two bands), minimums,
/// current allocations and scenarios with ties (demand and capacity on a coarse grid).
@Test func lazyScenarioGreedyChoosesWhatTheFullScanChooses() {
    var rng = SplitMix(seed: 15)
    var compared = 0, infeasible = 0
    for round in 0..<300 {
        let bandBlocks = [4 + rng.int(12), 2 + rng.int(6)]
        var t = Topology(bands: bandBlocks.enumerated().map { Band(id: "b\($0)", lowMHz: 0, highMHz: Double($1), blockMHz: 1) })
        let n = 2 + rng.int(round < 150 ? 8 : 30)
        for c in 0..<n {
            let band = rng.int(4) == 0 ? 1 : 0
            let top = rng.int(bandBlocks[band] + 1)
            t.cells.append(Cell(id: "c\(c)", band: band, minBlocks: rng.int(3) == 0 ? min(top, 1 + rng.int(2)) : 0,
                                maxBlocks: top, peakSpectralEfficiency: 5, contiguous: false))
        }
        for c in 0..<n {
            for other in 0..<n where other != c && rng.int(4) == 0 {
                t.cells[c].neighbours.append(other)
                if rng.int(5) != 0 { t.cells[other].neighbours.append(c) }
            }
        }
        let current = (0..<n).map { c in (0..<bandBlocks[t.cells[c].band]).filter { _ in rng.int(3) == 0 } }
        let s = 1 + rng.int(12)
        let scenarios = SpectrumScenarios(demand: (0..<s).map { _ in (0..<n).map { _ in Double(rng.int(6)) * 1e6 } },
                                          capacityPerBlock: (0..<s).map { _ in (0..<n).map { _ in Double(rng.int(3)) * 1e6 } })
        let weights = [SpectrumScenarioWeights.tieBreakOnly, .init(changeCost: 0.0175, spreadReward: 0.01),
                       .init(changeCost: 0.3, spreadReward: 0)][rng.int(3)]
        let shape = ScenarioShape(topology: t, scenarios: scenarios, current: current, weights: weights)
        let expected = scanningGreedy(shape)
        #expect(shape.greedy() == expected, "round \(round)")
        if expected == nil { infeasible += 1 } else { compared += 1 }
    }
    #expect(compared > 200 && infeasible > 0, "\(compared) feasible, \(infeasible) infeasible")
}

@Test func gainHeapPopsLargestGainThenLowestCell() {
    var heap = GainHeap()
    var rng = SplitMix(seed: 3)
    var pushed: [(gain: Double, cell: Int)] = []
    for cell in 0..<200 {
        let gain = Double(rng.int(20)) / 4
        heap.push(gain, cell)
        pushed.append((gain, cell))
    }
    var popped: [(gain: Double, cell: Int)] = []
    while let top = heap.pop() { popped.append(top) }
    let sorted = pushed.sorted { GainHeap.precedes($0, $1) }
    #expect(popped.map(\.cell) == sorted.map(\.cell))
}
