import FlowcastTopology

/// The allocation heuristic used beyond the exact MIP's size.
///
/// Cells are served in order of unmet-demand weight × blocks needed (largest first, ties by
/// topology order). Each cell takes the largest block count from min(max(need, min), max) down
/// to its minimum that fits among blocks not used by neighbours already served: contiguous
/// cells take the free run that overlaps their current blocks most (lowest start on ties);
/// others take free blocks, their current ones first, then lowest index. Returns nil when some
/// cell cannot get even its minimum. It never breaks a constraint; its gap to the LP
/// relaxation is reported in the policy.
enum GreedySpectrumHeuristic {
    static func allocate(_ shape: SpectrumModelShape) -> [[Int]]? {
        let topology = shape.topology
        let order = topology.cells.indices.sorted { a, b in
            let ka = shape.unmetWeight[a] * Double(shape.requests[a].requiredBlocks)
            let kb = shape.unmetWeight[b] * Double(shape.requests[b].requiredBlocks)
            return ka != kb ? ka > kb : a < b
        }
        var result = [[Int]?](repeating: nil, count: topology.cells.count)
        for c in order {
            let cell = topology.cells[c]
            let count = topology.bands[cell.band].blockCount
            var used = [Bool](repeating: false, count: count)
            for n in cell.neighbours where topology.cells[n].band == cell.band {
                for b in result[n] ?? [] { used[b] = true }
            }
            let current = Set(shape.requests[c].currentBlocks)
            let target = min(max(shape.requests[c].requiredBlocks, cell.minBlocks), cell.maxBlocks)
            var chosen: [Int]?
            for length in stride(from: target, through: cell.minBlocks, by: -1) {
                if length == 0 { chosen = []; break }
                if cell.contiguous {
                    var best: (start: Int, overlap: Int)?
                    var start = 0
                    while start + length <= count {
                        if let blocked = (start..<start + length).last(where: { used[$0] }) {
                            start = blocked + 1
                            continue
                        }
                        let overlap = (start..<start + length).filter(current.contains).count
                        if best == nil || overlap > best!.overlap { best = (start, overlap) }
                        start += 1
                    }
                    if let best { chosen = Array(best.start..<best.start + length) }
                } else {
                    let free = (0..<count).filter { !used[$0] }
                    if free.count >= length {
                        let preferred = free.filter(current.contains) + free.filter { !current.contains($0) }
                        chosen = Array(preferred.prefix(length)).sorted()
                    }
                }
                if chosen != nil { break }
            }
            guard let chosen else { return nil }
            result[c] = chosen
        }
        var blocks = result.map { $0 ?? [] }
        giveOutSpare(shape, &blocks)
        return blocks
    }

    /// Gives blocks no neighbour holds to the cells, one at a time, each to the cell holding the
    /// fewest spare blocks (ties by topology order) that can take one within its maximum: the
    /// MIP's spare tier (`SpectrumModelShape.spareValue`) done greedily. A contiguous cell grows
    /// its run at either end; a cell prefers a block it holds now, then the lowest.
    ///
    /// A contiguous cell whose run cannot grow at either end (its neighbours hold the blocks
    /// beside it) moves the run to a longer gap its neighbours leave free, when the move costs no
    /// change: the new place overlaps at least as many of the blocks it holds now as the old.
    /// Without this, the first pass's lowest-start rule leaves every other cell of a chain of
    /// neighbours stuck at one block beside its neighbour's run while most of the band is idle
    /// (a ring of 5,000 cells with 50 blocks: half the cells held 1 block, gap to the LP
    /// relaxation 0.17). A cell moves at most four times, so the pass ends.
    static func giveOutSpare(_ shape: SpectrumModelShape, _ blocks: inout [[Int]]) {
        let topology = shape.topology
        var full = [Bool](repeating: false, count: topology.cells.count)
        var moves = [UInt8](repeating: 0, count: topology.cells.count)
        while true {
            var pick: (cell: Int, spare: Int)?
            for c in topology.cells.indices where !full[c] && blocks[c].count < topology.cells[c].maxBlocks {
                let spare = blocks[c].count - shape.requests[c].requiredBlocks
                if pick == nil || spare < pick!.spare { pick = (c, spare) }
            }
            guard let (c, _) = pick else { return }
            let cell = topology.cells[c]
            let count = topology.bands[cell.band].blockCount
            var used = [Bool](repeating: false, count: count)
            for n in cell.neighbours where topology.cells[n].band == cell.band { for b in blocks[n] { used[b] = true } }
            let current = Set(shape.requests[c].currentBlocks)
            var candidates: [Int]
            if cell.contiguous, let lo = blocks[c].min(), let hi = blocks[c].max() {
                candidates = [lo - 1, hi + 1].filter { $0 >= 0 && $0 < count && !used[$0] }
                if candidates.isEmpty && moves[c] < 4,
                   let run = relocatedRun(length: blocks[c].count, from: lo, used: used, current: current) {
                    blocks[c] = run
                    moves[c] += 1
                    continue
                }
            } else {
                candidates = (0..<count).filter { !used[$0] && !blocks[c].contains($0) }
            }
            guard let block = candidates.first(where: current.contains) ?? candidates.first else {
                full[c] = true
                continue
            }
            blocks[c].append(block)
            blocks[c].sort()
        }
    }

    /// Where a stuck contiguous run of `length` blocks starting at `from` can go instead: a run
    /// inside a gap of more than `length` free blocks (`used` marks the neighbours' blocks; the
    /// cell's own are free to it) that overlaps at least as many currently held blocks as the
    /// old run. Most overlap first, then the longest gap, then the lowest start. Nil when no
    /// such gap exists.
    static func relocatedRun(length: Int, from: Int, used: [Bool], current: Set<Int>) -> [Int]? {
        let held = (from..<from + length).filter(current.contains).count
        var best: (overlap: Int, gap: Int, start: Int)?
        var gapStart = 0
        while gapStart < used.count {
            if used[gapStart] { gapStart += 1; continue }
            var gapEnd = gapStart
            while gapEnd < used.count && !used[gapEnd] { gapEnd += 1 }
            let gap = gapEnd - gapStart
            // The gap that holds the run now is no better than staying (the run cannot grow in it).
            if gap > length && !(gapStart <= from && from + length <= gapEnd) {
                for start in gapStart...(gapEnd - length) {
                    let overlap = (start..<start + length).filter(current.contains).count
                    guard overlap >= held else { continue }
                    if best == nil || overlap > best!.overlap || (overlap == best!.overlap && gap > best!.gap) {
                        best = (overlap, gap, start)
                    }
                }
            }
            gapStart = gapEnd
        }
        guard let best else { return nil }
        return Array(best.start..<best.start + length)
    }
}
