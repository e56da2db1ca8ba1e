@testable import FlowcastPolicy
import FlowcastTopology
import Testing

/// The `flowcast` sizing rule as the interval planner runs it (`PolicyPlanner.plan(…, recent:)`)
/// against the spectrum backtest's `flowcast` method.
private let zero = "sha256:" + String(repeating: "0", count: 64)
private let provenance = Provenance(inputDigest: zero, topologyDigest: zero)

/// Cells on a path (c0 – c1 – …) sharing `blocks` blocks of 1 MHz.
private func chain(cells: Int, blocks: Int) -> Topology {
    var t = Topology(bands: [Band(id: "b", lowMHz: 0, highMHz: Double(blocks), blockMHz: 1)])
    for c in 0..<cells {
        t.cells.append(Cell(id: "c\(c)", band: 0, minBlocks: 0, maxBlocks: blocks, peakSpectralEfficiency: 5, contiguous: false))
    }
    for c in 0..<cells { t.cells[c].neighbours = [c - 1, c + 1].filter { (0..<cells).contains($0) } }
    return t
}

private func forecasts(_ t: Topology, upper: [Double]) -> ForecastSet {
    ForecastSet(forecasts: t.cells.indices.map { Forecast(id: t.cells[$0].id, kind: .cell, point: upper[$0] / 1.2, upper: upper[$0], source: "test") })
}

@Test func plannerSizesSpectrumAsTheBacktestsFlowcastMethod() throws {
    let t = chain(cells: 3, blocks: 12)
    var rng = SplitMix(seed: 11)
    let seconds = 420, planEvery = 60, t0 = 360
    let truth = RadioTruth(
        demand: (0..<3).map { c in (0..<seconds).map { s in Double(1 + rng.int(6) + (s % 97 < 12 ? 4 * c : 0)) * 1e6 } },
        efficiency: (0..<3).map { _ in (0..<seconds).map { _ in 1 + Double(rng.int(30)) / 10 } })
    let backtest = SpectrumBacktest(topology: t, truth: truth, planEvery: planEvery)
    let f = RadioForecast(point: [1e6, 1e6, 1e6], upper: [2e6, 2e6, 2e6], efficiency: [2, 2, 2])
    let expected = try backtest.allocator.allocate(t, scenarios: backtest.flowcastScenarios(at: t0, forecast: f), current: t.cells.map { _ in [] },
                                                   weights: backtest.weights)
    // The same seconds as one-second windows, as a running planner would keep them.
    let recent = RecentCellWindows(windowSeconds: 1, windowsPerInterval: planEvery,
                                   demand: Dictionary(uniqueKeysWithValues: t.cells.indices.map { (t.cells[$0].id, Array(truth.demand[$0][0..<t0])) }),
                                   efficiency: Dictionary(uniqueKeysWithValues: t.cells.indices.map { (t.cells[$0].id, Array(truth.efficiency[$0][0..<t0])) }),
                                   count: t0)
    let doc = try PolicyPlanner(topology: t).plan(forecasts(t, upper: [2e6, 2e6, 2e6]), provenance: provenance, recent: recent)
    #expect(doc.spectrum.cells.map(\.blocks) == expected.blocks)
    #expect(doc.spectrum.note.contains("scenario MIP") && doc.spectrum.note.contains("\(t0) scenarios"), "\(doc.spectrum.note)")
    for cell in doc.spectrum.cells {
        #expect(cell.reason.hasPrefix("sized on \(t0) windows of the last \(t0) s as scenarios (demand ×"), "\(cell.reason)")
        #expect(cell.reason.contains("from the last interval, reg-1800; efficiency ") && cell.reason.contains("): expected unmet"), "\(cell.reason)")
    }
}

@Test func aBurstyCellGetsMoreThanItsMeanNeedsAndLessThanItsPeak() throws {
    // Two neighbours sharing 30 blocks of 1 MHz at 5 bit/s/Hz (5 Mbit/s a block). c0 idles at
    // 10 Mbit/s and bursts to 100 Mbit/s one window in ten (mean 19 Mbit/s: 4 blocks; peak: 20);
    // c1 moves between 40 and 80 Mbit/s (8 to 16 blocks).
    let t = chain(cells: 2, blocks: 30)
    let n = 180
    let bursty = (0..<n).map { $0 % 10 == 3 ? 100e6 : 10e6 }
    let steady = (0..<n).map { 40e6 + Double(($0 * 7) % 9) * 5e6 }
    let recent = RecentCellWindows(windowSeconds: 10, windowsPerInterval: 6, demand: ["c0": bursty, "c1": steady], efficiency: [:], count: n)
    let doc = try PolicyPlanner(topology: t).plan(forecasts(t, upper: [20e6, 70e6]), provenance: provenance, recent: recent)
    let c0 = doc.spectrum.cells[0].blocks.count
    let meanNeed = Int((bursty.reduce(0, +) / Double(n) / 5e6).rounded(.up))
    #expect(c0 > meanNeed && c0 < 20, "c0 given \(c0) blocks; its mean needs \(meanNeed), its peak 20")
    #expect(doc.spectrum.cells[0].reason.contains("sized on 180 windows of the last 1800 s as scenarios"), "\(doc.spectrum.cells[0].reason)")
    #expect(doc.spectrum.cells[0].reason.contains("efficiency 5.00 bit/s/Hz (configured peak) in every window"), "\(doc.spectrum.cells[0].reason)")
    // requiredBlocks stays the request sizing's: P90 20 Mbit/s × 1.2 at 5 Mbit/s a block.
    #expect(doc.spectrum.cells[0].requiredBlocks == 5)
}

@Test func withoutHistoryTheRequestSizingPlansAndTheReasonSaysSo() throws {
    let t = chain(cells: 2, blocks: 30)
    // Fewer than two plan intervals of windows: request sizing for every cell.
    let short = RecentCellWindows(windowSeconds: 10, windowsPerInterval: 6, demand: ["c0": [1e6, 2e6, 3e6]], efficiency: [:], count: 3)
    let doc = try PolicyPlanner(topology: t).plan(forecasts(t, upper: [20e6, 30e6]), provenance: provenance, recent: short)
    for cell in doc.spectrum.cells {
        #expect(cell.reason.hasPrefix("P90 "), "\(cell.reason)")
        #expect(cell.reason.contains("request sizing: 30 s of window history, the reg-1800 scenarios need two plan intervals (120 s)"), "\(cell.reason)")
    }
    #expect(doc.spectrum.note.contains("request sizing"))
    // No cell in the windows at all.
    let empty = RecentCellWindows(windowSeconds: 10, windowsPerInterval: 6, demand: [:], efficiency: [:], count: 30)
    let none = try PolicyPlanner(topology: t).plan(forecasts(t, upper: [20e6, 30e6]), provenance: provenance, recent: empty)
    #expect(none.spectrum.cells.allSatisfy { $0.reason.contains("and no cell in it") })
    // One cell with windows, one without: the one without plans on its P90 forecast in every scenario.
    let one = RecentCellWindows(windowSeconds: 10, windowsPerInterval: 6, demand: ["c0": Array(repeating: 20e6, count: 30)], efficiency: [:], count: 30)
    let mixed = try PolicyPlanner(topology: t).plan(forecasts(t, upper: [20e6, 30e6]), provenance: provenance, recent: one)
    #expect(mixed.spectrum.cells[0].reason.hasPrefix("sized on 30 windows of the last 300 s"), "\(mixed.spectrum.cells[0].reason)")
    #expect(mixed.spectrum.cells[1].reason.hasPrefix("no window history for this cell: its P90 forecast 30.0 Mbit/s in each of 30 scenarios"),
            "\(mixed.spectrum.cells[1].reason)")
    #expect(mixed.spectrum.cells[1].blocks.count >= 6)
}

@Test func theScalesUseOnlyTheSamplesInTheRange() {
    // A series whose interval after the range is huge: the scales must not see it.
    let planEvery = 10
    var row = (0..<60).map { Double(1 + $0 % 3) }
    row += Array(repeating: 1000, count: 10)
    let a = RecentScenarioSizing.regressionScales([row], 0..<60, samplesPerInterval: planEvery, tail: 10)
    let b = RecentScenarioSizing.regressionScales([Array(row[0..<60])], 0..<60, samplesPerInterval: planEvery, tail: 10)
    #expect(a == b)
}
