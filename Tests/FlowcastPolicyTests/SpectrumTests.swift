@testable import FlowcastPolicy
import FlowcastTopology
import Testing

@Test func blocksNeededFollowsTheFormula() {
    // 400 Mbit/s at 5.5 bit/s/Hz in 10 MHz blocks is 7.27 blocks; ×1.2 is 8.73 → 9.
    #expect(SpectrumRequest.blocksNeeded(demand: 400e6, spectralEfficiency: 5.5, blockMHz: 10, headroom: 1.2) == 9)
    #expect(SpectrumRequest.blocksNeeded(demand: 110e6, spectralEfficiency: 5.5, blockMHz: 10, headroom: 1) == 2)
    #expect(SpectrumRequest.blocksNeeded(demand: 0, spectralEfficiency: 5.5, blockMHz: 10, headroom: 1.2) == 0)
}

/// A random band of `blocks` blocks with `cells` cells on a ring-or-path of neighbours.
func randomInstance(_ rng: inout SplitMix, cells: Int, blocks: Int) -> (Topology, [SpectrumRequest]) {
    var t = Topology(bands: [Band(id: "b", lowMHz: 0, highMHz: Double(blocks) * 5, blockMHz: 5)])
    for c in 0..<cells {
        let minBlocks = rng.int(2)
        t.cells.append(Cell(id: "c\(c)", band: 0, minBlocks: minBlocks, maxBlocks: minBlocks + rng.int(blocks / 2 + 1),
                            peakSpectralEfficiency: 4, contiguous: rng.int(2) == 0))
    }
    for c in 0..<cells {
        for n in (c + 1)..<cells where rng.int(3) > 0 {
            t.cells[c].neighbours.append(n)
            t.cells[n].neighbours.append(c)
        }
    }
    let requests = (0..<cells).map { _ in
        SpectrumRequest(requiredBlocks: rng.int(blocks), capacityPerBlock: Double(1 + rng.int(3)) * 1e6,
                        currentBlocks: (0..<blocks).filter { _ in rng.int(4) == 0 })
    }
    return (t, requests)
}

/// Checks every constraint of an allocation; returns the first broken one.
func violation(_ t: Topology, _ blocks: [[Int]]) -> String? {
    for (c, cell) in t.cells.enumerated() {
        let b = blocks[c]
        if b.count < cell.minBlocks || b.count > cell.maxBlocks { return "\(cell.id) outside its bounds" }
        if Set(b).count != b.count || b.contains(where: { $0 < 0 || $0 >= t.bands[cell.band].blockCount }) { return "\(cell.id) bad blocks" }
        if cell.contiguous, let lo = b.min(), let hi = b.max(), hi - lo + 1 != b.count { return "\(cell.id) not contiguous" }
        for n in cell.neighbours where t.cells[n].band == cell.band && !Set(b).isDisjoint(with: blocks[n]) {
            return "\(cell.id) shares a block with neighbour \(t.cells[n].id)"
        }
    }
    return nil
}

/// Every assignment, by enumeration: the exact optimum of tiny instances.
func bruteForceOptimum(_ t: Topology, _ requests: [SpectrumRequest]) -> Double? {
    let shape = SpectrumModelShape(t, requests)
    let count = t.bands[0].blockCount
    let subsets = (0..<(1 << count)).map { mask in (0..<count).filter { mask & (1 << $0) != 0 } }
    var best: Double?
    var chosen = [[Int]](repeating: [], count: t.cells.count)
    func go(_ c: Int) {
        if c == t.cells.count {
            if violation(t, chosen) == nil { best = min(best ?? .infinity, shape.objective(chosen)) }
            return
        }
        for s in subsets {
            chosen[c] = s
            // prune early on neighbour clashes
            if t.cells[c].neighbours.contains(where: { $0 < c && !Set(s).isDisjoint(with: chosen[$0]) }) { continue }
            go(c + 1)
        }
    }
    go(0)
    return best
}

@Test(arguments: 0..<25)
func mipOptimumEqualsBruteForce(seed: Int) throws {
    var rng = SplitMix(seed: UInt64(1000 + seed))
    let (t, requests) = randomInstance(&rng, cells: 3, blocks: 5)
    let brute = bruteForceOptimum(t, requests)
    do {
        let a = try SpectrumAllocator().allocate(t, requests: requests)
        #expect(violation(t, a.blocks) == nil)
        #expect(a.method == .exactMIP && a.outcome == .optimal)
        let objective = SpectrumModelShape(t, requests).objective(a.blocks)
        #expect(brute != nil)
        #expect(abs(objective - (brute ?? -1)) < 1e-6)
    } catch {
        #expect(brute == nil, "solver said \(error) but brute force found \(String(describing: brute))")
    }
}

@Test func allocationConstraintsHoldOnThousandsOfRandomInstances() {
    var rng = SplitMix(seed: 7)
    var checked = 0
    for i in 0..<2000 {
        let (t, requests) = randomInstance(&rng, cells: 2 + rng.int(6), blocks: 4 + rng.int(12))
        let shape = SpectrumModelShape(t, requests)
        // The heuristic on every instance; the exact MIP on every 20th (Cbc runs one solve at a time).
        if let h = GreedySpectrumHeuristic.allocate(shape) {
            #expect(violation(t, h) == nil, "heuristic, instance \(i): \(violation(t, h) ?? "")")
            checked += 1
        }
        if i % 20 == 0, let a = try? SpectrumAllocator().allocate(t, requests: requests) {
            #expect(violation(t, a.blocks) == nil, "MIP, instance \(i): \(violation(t, a.blocks) ?? "")")
        }
    }
    #expect(checked > 1000)
}

@Test func heuristicBeyondTheSizeLimitReportsItsGap() throws {
    var rng = SplitMix(seed: 99)
    let (t, requests) = randomInstance(&rng, cells: 6, blocks: 12)
    let a = try SpectrumAllocator(exactLimit: 0).allocate(t, requests: requests)
    #expect(a.method == .heuristic)
    #expect(a.gapToLPRelaxation >= 0 && a.gapToLPRelaxation <= 1)
    #expect(a.note.contains("exceed the exact limit"))
    #expect(violation(t, a.blocks) == nil)
}

@Test func neighboursNeverShareABlockInTheDemoPlan() throws {
    let (t, doc) = try demoPlan()
    for cell in doc.spectrum.cells {
        let c = t.cellIndex(cell.id)!
        for n in t.cells[c].neighbours where t.cells[n].band == t.cells[c].band {
            #expect(Set(cell.blocks).isDisjoint(with: doc.spectrum.cells[n].blocks))
        }
    }
}

@Test func leastChangeKeepsTheCurrentBlocks() throws {
    var t = Topology(bands: [Band(id: "b", lowMHz: 0, highMHz: 50, blockMHz: 5)])
    t.cells = [Cell(id: "a", band: 0, minBlocks: 1, maxBlocks: 4, peakSpectralEfficiency: 4, contiguous: true)]
    let a = try SpectrumAllocator().allocate(t, requests: [SpectrumRequest(requiredBlocks: 3, capacityPerBlock: 1, currentBlocks: [5, 6, 7])])
    // Its three blocks stay; the spare one it may hold (maximum 4) is next to them.
    #expect(a.blocks == [[4, 5, 6, 7]] || a.blocks == [[5, 6, 7, 8]], "\(a.blocks)")
}

@Test func spareBlocksAreGivenOutEvenlyAndStayPut() throws {
    func cells(_ ids: [String]) -> [Cell] {
        ids.map { Cell(id: $0, band: 0, minBlocks: 0, maxBlocks: 12, peakSpectralEfficiency: 4, contiguous: false) }
    }
    func requests(_ need: [Int], _ current: [[Int]] = []) -> [SpectrumRequest] {
        need.indices.map { SpectrumRequest(requiredBlocks: need[$0], capacityPerBlock: 1e6, currentBlocks: current.isEmpty ? [] : current[$0]) }
    }
    // Two neighbours on 12 blocks, each needing 2: the 8 spare blocks are split evenly.
    var pair = Topology(bands: [Band(id: "b", lowMHz: 0, highMHz: 60, blockMHz: 5)])
    pair.cells = cells(["a", "b"])
    pair.cells[0].neighbours = [1]; pair.cells[1].neighbours = [0]
    for exactLimit in [4000, 0] {  // the MIP, then the greedy heuristic
        let even = try SpectrumAllocator(exactLimit: exactLimit).allocate(pair, requests: requests([2, 2]))
        #expect(violation(pair, even.blocks) == nil)
        #expect(even.blocks.map(\.count) == [6, 6], "\(even.method): \(even.blocks)")
    }

    // Three in a row: the ends are not neighbours and hold the same blocks (each serves twice);
    // every block is used. (From nothing, each block taken is a change too: the optimum, checked
    // by brute force in `mipOptimumEqualsBruteForce`, gives the middle one spare block here.)
    var row = Topology(bands: [Band(id: "b", lowMHz: 0, highMHz: 60, blockMHz: 5)])
    row.cells = cells(["a", "b", "c"])
    row.cells[0].neighbours = [1]; row.cells[1].neighbours = [0, 2]; row.cells[2].neighbours = [1]
    let first = try SpectrumAllocator().allocate(row, requests: requests([2, 2, 2]))
    #expect(violation(row, first.blocks) == nil)
    #expect(Set(first.blocks[0]).union(first.blocks[1]).count == 12 && first.blocks[0] == first.blocks[2], "\(first.blocks)")
    #expect(first.blocks.map(\.count) == [9, 3, 9], "\(first.blocks)")
    // The same needs again, from that plan: nothing moves.
    let again = try SpectrumAllocator().allocate(row, requests: requests([2, 2, 2], first.blocks))
    #expect(again.blocks == first.blocks)
    // b needs 8: it keeps its 3 and takes 5 of the ends' spare blocks; the ends keep the rest.
    let more = try SpectrumAllocator().allocate(row, requests: requests([2, 8, 2], first.blocks))
    #expect(violation(row, more.blocks) == nil)
    #expect(more.blocks[1].count == 8 && Set(first.blocks[1]).isSubset(of: more.blocks[1]), "\(more.blocks)")
    #expect(more.blocks[0].count == 4 && Set(more.blocks[0]).isSubset(of: first.blocks[0]), "\(more.blocks)")
    let greedy = try SpectrumAllocator(exactLimit: 0).allocate(row, requests: requests([2, 2, 2]))
    #expect(violation(row, greedy.blocks) == nil)
    #expect(Set(greedy.blocks[1]).union(greedy.blocks[0]).count == 12, "\(greedy.blocks)")
}

/// Issue 14: the heuristic skips its LP relaxation when the cells' separate bound reaches its
/// objective. That bound must never exceed the LP relaxation (else a gap would be hidden); where
/// it closes the gap, the LP's gap is 0 too.
@Test func separateCellBoundNeverExceedsTheLPRelaxation() throws {
    var rng = SplitMix(seed: 1414)
    var closed = 0, open = 0
    for i in 0..<300 {
        let (t, requests) = randomInstance(&rng, cells: 2 + rng.int(6), blocks: 4 + rng.int(12))
        let shape = SpectrumModelShape(t, requests)
        guard let lp = try? shape.build(integer: false).model.solve(timeLimit: 10) else { continue }
        let relaxation = lp.objective + shape.constant
        let bound = try #require(shape.separateCellBound(), "instance \(i)")
        #expect(bound <= relaxation + 1e-6 * max(1, abs(relaxation)), "instance \(i): bound \(bound), LP \(relaxation)")
        guard let blocks = GreedySpectrumHeuristic.allocate(shape) else { continue }
        let objective = shape.objective(blocks)
        if objective <= bound + 1e-9 * max(1, abs(objective)) {
            closed += 1
            #expect(SpectrumAllocator.gap(objective, relaxation) < 1e-9, "instance \(i)")
            let a = try SpectrumAllocator(exactLimit: 0).allocate(t, requests: requests)
            #expect(a.gapToLPRelaxation == 0 && a.note.hasSuffix("gap to LP relaxation 0.0"))
        } else {
            open += 1
        }
    }
    // Both ways are exercised: the shortcut, and the LP where the bound does not close.
    #expect(closed > 10 && open > 10, "closed \(closed), open \(open)")
}

/// Issue 14: beyond the exact MIP's size, an idle chain of contiguous cells must still get its
/// spare spectrum. Before runs could move, the first pass put every other cell of a ring at one
/// block beside its neighbour's run, where it could never grow: half of 5,000 cells held 1 block
/// of a 50-block band with 40 idle.
@Test(arguments: [400, 401])
func heuristicFillsAnIdleRingOfContiguousCells(cells: Int) throws {
    var t = Topology(bands: [Band(id: "n78", lowMHz: 3300, highMHz: 3800, blockMHz: 10)])
    for c in 0..<cells {
        t.cells.append(Cell(id: "c\(c)", band: 0, minBlocks: 1, maxBlocks: 10, peakSpectralEfficiency: 5,
                            neighbours: [(c + cells - 1) % cells, (c + 1) % cells], contiguous: true))
    }
    let requests = (0..<cells).map { _ in SpectrumRequest(requiredBlocks: 0, capacityPerBlock: 5e7, currentBlocks: []) }
    let a = try SpectrumAllocator().allocate(t, requests: requests)
    #expect(a.method == .heuristic)
    #expect(violation(t, a.blocks) == nil)
    // An odd ring needs three colours, but 3 × 10 blocks still fit in 50.
    #expect(a.blocks.allSatisfy { $0.count == 10 }, "\(Dictionary(grouping: a.blocks, by: \.count).mapValues(\.count))")
    #expect(a.gapToLPRelaxation == 0)
}

/// A model over the relaxation's size limit reports the gap to the cells' separate bound, which
/// is never smaller than the gap to the relaxation itself, and says the relaxation was not solved.
@Test func gapBeyondTheRelaxationLimitBoundsTheRelaxationGap() throws {
    var rng = SplitMix(seed: 2414)
    var bounded = 0
    for i in 0..<200 {
        let (t, requests) = randomInstance(&rng, cells: 2 + rng.int(6), blocks: 4 + rng.int(12))
        let shape = SpectrumModelShape(t, requests)
        guard let lp = try? shape.build(integer: false).model.solve(timeLimit: 10),
              let a = try? SpectrumAllocator(exactLimit: 0, relaxationLimit: 0).allocate(t, requests: requests)
        else { continue }
        let trueGap = SpectrumAllocator.gap(shape.objective(a.blocks), lp.objective + shape.constant)
        #expect(a.gapToLPRelaxation >= trueGap - 1e-9, "instance \(i): \(a.gapToLPRelaxation) < \(trueGap)")
        if a.note.contains("was not solved") && a.note.contains("exceeds 0") { bounded += 1 }
    }
    #expect(bounded > 20, "\(bounded)")
}
