internal import FlowcastTopology

/// Gathers a cell's blocks into fewer runs without changing what the allocation is worth.
///
/// Both allocation objectives (`SpectrumModelShape.objective`, the scenario MIP's) depend on a
/// cell's block count and on which of its blocks it held before, never on where its new blocks
/// sit. Among the many optima, the solver returned whichever it met first: an audit's lone
/// cell of 11 blocks in a band of 16 got blocks 0 and 6–15, a 5 MHz carrier no n78 channel
/// bandwidth fits (`export --to nrcelldu` refused it), and the demo's cell-6 got 1, 3, 5 and 13:
/// four carriers where one would do. An operator configures a carrier per run, so fewer runs is
/// the tie-break.
///
/// Only blocks given by this plan (not held before) move, only to blocks the cell did not hold
/// before and no cell it interferes with holds (either's neighbour list, same band), so counts,
/// changes and the neighbour rule are as the solver left them: the objective is the same, and
/// a proven optimum stays one. Cells that must be contiguous are left alone (one run already).
/// Written by hand: it is a tie-break over the solver's answer, not an optimisation of its own.
enum SpectrumCompaction {
    static func compact(_ blocks: [[Int]], topology: Topology, current: [[Int]]) -> [[Int]] {
        var result = blocks
        let cells = topology.cells
        guard result.count == cells.count else { return blocks }
        // Who interferes with whom, both ways, on the same band.
        var interferers = Array(repeating: [Int](), count: cells.count)
        for (c, cell) in cells.enumerated() {
            for n in cell.neighbours where n != c && cells.indices.contains(n) && cells[n].band == cell.band {
                if !interferers[c].contains(n) { interferers[c].append(n) }
                if !interferers[n].contains(c) { interferers[n].append(c) }
            }
        }
        for (c, cell) in cells.enumerated() where !cell.contiguous && result[c].count > 1 {
            let count = topology.bands[cell.band].blockCount
            var mine = Array(repeating: false, count: count)
            for b in result[c] where b >= 0 && b < count { mine[b] = true }
            var held = Array(repeating: false, count: count)
            if c < current.count { for b in current[c] where b >= 0 && b < count { held[b] = true } }
            var taken = Array(repeating: false, count: count)
            for n in interferers[c] { for b in result[n] where b >= 0 && b < count { taken[b] = true } }
            // Each move lowers the number of runs by one or two, so at most a block count of moves.
            for _ in 0..<count {
                guard let move = bestMove(mine: mine, held: held, taken: taken) else { break }
                mine[move.from] = false
                mine[move.to] = true
            }
            result[c] = mine.indices.filter { mine[$0] }
        }
        return result
    }

    /// The move of one new block to a free one that lowers the run count most (the lowest source,
    /// then target, among equals, so the result is the same every time); nil when none lowers it.
    private static func bestMove(mine: [Bool], held: [Bool], taken: [Bool]) -> (from: Int, to: Int)? {
        let count = mine.count
        func has(_ b: Int) -> Bool { b >= 0 && b < count && mine[b] }
        var best: (from: Int, to: Int, delta: Int)?
        for from in 0..<count where mine[from] && !held[from] {
            // Runs after taking `from` away: a block between two of the cell's joins them, so
            // taking it splits a run (+1); a block alone is a run (−1).
            let left = has(from - 1), right = has(from + 1)
            let removed = left && right ? 1 : (!left && !right ? -1 : 0)
            guard removed <= 0 else { continue }
            for to in 0..<count where !mine[to] && !held[to] && !taken[to] && to != from {
                // Adding `to` once `from` is gone: between two runs it joins them (−1), next to one
                // it extends it (0), alone it is a new run (+1).
                let l = to - 1 != from && has(to - 1), r = to + 1 != from && has(to + 1)
                let added = l && r ? -1 : (!l && !r ? 1 : 0)
                let delta = removed + added
                if delta < 0, best == nil || delta < best!.delta { best = (from, to, delta) }
            }
        }
        return best.map { ($0.from, $0.to) }
    }
}
