@testable import FlowcastPolicy
import FlowcastTopology
import Testing

/// The number of runs of consecutive blocks in a sorted list.
private func runs(_ blocks: [Int]) -> Int {
    zip(blocks, blocks.dropFirst()).reduce(blocks.isEmpty ? 0 : 1) { $0 + ($1.1 == $1.0 + 1 ? 0 : 1) }
}

@Suite("Spectrum blocks gathered into runs")
struct SpectrumCompactionTests {
    /// The audit's case: one cell, no neighbours, 11 of 16 blocks of 5 MHz. The solver gave
    /// blocks 0 and 6–15 (a lone 5 MHz carrier `export --to nrcelldu` refused).
    @Test("a lone cell's blocks come out as one run, and the plan exports")
    func aLoneCellGetsOneRun() throws {
        var t = Topology(bands: [Band(id: "n78", lowMHz: 3300, highMHz: 3380, blockMHz: 5)])
        t.cells = [Cell(id: "c0", band: 0, minBlocks: 2, maxBlocks: 11, peakSpectralEfficiency: 1.35)]
        let allocation = try SpectrumAllocator().allocate(t, requests: [SpectrumRequest(requiredBlocks: 107, capacityPerBlock: 6.75e6)])
        #expect(allocation.blocks[0].count == 11 && runs(allocation.blocks[0]) == 1, "\(allocation.blocks[0])")
        #expect(SpectrumCompaction.compact([[0] + Array(6...15)], topology: t, current: [[]]) == [Array(5...15)])
    }

    /// Random interference graphs (neighbour lists not always symmetric, two bands), current
    /// allocations and solver answers: gathering never changes a cell's count, the blocks it
    /// keeps or loses against the current ones (so the objective), or lets two cells that
    /// interfere share a block, and never adds a run; it moves only blocks the plan gave.
    @Test("on random allocations: the same counts, changes and neighbour rule, never more runs, often fewer")
    func keepsWhatTheObjectiveSeesAndNeverAddsARun() throws {
        var rng = SplitMix(seed: 41)
        var fewer = 0, checked = 0
        for round in 0..<400 {
            let bandBlocks = [6 + rng.int(20), 3 + rng.int(8)]
            var t = Topology(bands: bandBlocks.enumerated().map { Band(id: "b\($0)", lowMHz: 0, highMHz: Double($1), blockMHz: 1) })
            let n = 1 + rng.int(round < 200 ? 5 : 20)
            for c in 0..<n {
                let band = rng.int(4) == 0 ? 1 : 0
                t.cells.append(Cell(id: "c\(c)", band: band, minBlocks: 0, maxBlocks: bandBlocks[band], peakSpectralEfficiency: 5,
                                    contiguous: rng.int(6) == 0))
            }
            for c in 0..<n { for other in 0..<n where other != c && rng.int(3) == 0 { t.cells[c].neighbours.append(other) } }
            // A feasible allocation: blocks given at random where no interfering cell holds them.
            var blocks = Array(repeating: [Int](), count: n)
            func interferes(_ a: Int, _ b: Int) -> Bool {
                a != b && t.cells[a].band == t.cells[b].band && (t.cells[a].neighbours.contains(b) || t.cells[b].neighbours.contains(a))
            }
            for c in 0..<n {
                let count = bandBlocks[t.cells[c].band]
                if t.cells[c].contiguous {
                    let start = rng.int(count), length = rng.int(count - start + 1)
                    let run = Array(start..<(start + length))
                    if !run.contains(where: { b in (0..<c).contains { interferes(c, $0) && blocks[$0].contains(b) } }) { blocks[c] = run }
                    continue
                }
                for b in 0..<count where rng.int(3) == 0 && !(0..<c).contains(where: { interferes(c, $0) && blocks[$0].contains(b) }) {
                    blocks[c].append(b)
                }
            }
            let current = (0..<n).map { c in (0..<bandBlocks[t.cells[c].band]).filter { _ in rng.int(4) == 0 } }
            let out = SpectrumCompaction.compact(blocks, topology: t, current: current)
            for c in 0..<n {
                let held = Set(current[c])
                #expect(out[c].count == blocks[c].count, "round \(round) cell \(c)")
                #expect(Set(out[c]).intersection(held) == Set(blocks[c]).intersection(held), "round \(round) cell \(c): kept blocks")
                #expect(out[c] == out[c].sorted() && Set(out[c]).count == out[c].count)
                #expect(runs(out[c]) <= runs(blocks[c]), "round \(round) cell \(c)")
                if t.cells[c].contiguous { #expect(out[c] == blocks[c]) }
                if runs(out[c]) < runs(blocks[c]) { fewer += 1 }
                for other in 0..<n where interferes(c, other) {
                    #expect(Set(out[c]).isDisjoint(with: out[other]), "round \(round): \(c) and \(other) share a block")
                }
                checked += 1
            }
        }
        #expect(checked > 1000 && fewer > 200, "\(checked) cells, \(fewer) with fewer runs")
    }
}
