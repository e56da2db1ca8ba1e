internal import FlowcastPolicy
internal import FlowcastTopology
import Foundation

/// The report's charts: load against forecast, utilisation, spectrum blocks, routing weights and
/// decode issues over time, with the plan intervals marked.
extension RunReport {
    /// A marker where a policy changed a decision: moved spectrum blocks or routing weights, or
    /// kept them while its forecast breaks a constraint the last policy kept. A policy whose only
    /// change is a predicted utilisation (the forecast moved, the plan did not) is in the plan
    /// intervals table with its diff, but marking it would call a plan changed that was not.
    ///
    /// Past `maximumDiffs` changed intervals only those whose diffs are written are marked (the
    /// ones that broke a constraint or moved most): a day of 60 s plans that reallocate every
    /// interval drew 1,440 markers on every chart, a purple wall 0.3 px apart that hid the lines.
    func addIntervalMarkers(_ chart: inout SVGChart) {
        let shown = shownDiffs(), limited = changedIntervals.count > maximumDiffs
        for iv in intervals {
            guard let diff = iv.diff, diff.decisionsChanged + diff.newViolations > 0 else { continue }
            if limited && !shown.contains(iv.number) { continue }
            chart.intervalMarker(at: iv.start, href: shown.contains(iv.number) ? "#diff-\(iv.number)" : nil,
                                 label: "Interval \(iv.number): \(diff.headline)\(diff.summaryLine)")
        }
    }

    func loadChart(_ kind: String, _ id: String) -> String {
        let title = "Load vs forecast (P90 band), \(id)"
        let ws = windows(kind, id), fs = forecasts(kind, id)
        guard !ws.isEmpty || !fs.isEmpty else { return noData(title, kind: "chart load", "No data: no windows or forecasts for \(id).") }
        let top = max(ws.map(\.load).max() ?? 0, fs.map { max($0.line.upper, $0.line.actual ?? 0) }.max() ?? 0) * 1.1
        var chart = SVGChart(kind: "load", title: title, t0: timeRange.lowerBound, t1: timeRange.upperBound,
                             yMax: Self.rateAxisTop(top), yLabel: DiffFormat.rate)
        chart.band(fs.map { ($0.line.start, $0.end, $0.line.point, $0.line.upper) }, colour: Palette.orange, opacity: 0.25)
        chart.steps(fs.map { ($0.line.start, $0.end, $0.line.point) }, colour: Palette.orange, width: 2, dash: "6 3")
        chart.line(points(ws) { $0.load }, colour: Palette.blue)
        addIntervalMarkers(&chart)
        return figure(title, legend: [("actual", Palette.blue, false), ("forecast", Palette.orange, true), ("P90 band", Palette.orange, false)],
                      chart.render())
    }

    /// The top of a bit/s axis whose highest value is `top`: the next round tick; with no load at
    /// all a 0–1 Mbit/s axis (a 1 bit/s one reads as tiny but real traffic). One rule for the
    /// network-wide chart and every cell's and link's.
    static func rateAxisTop(_ top: Double) -> Double {
        top > 0 ? SVGChart.niceTicks(0, top).last.map { max($0, top) } ?? top : 1e6
    }

    func utilisationChart(_ kind: String, _ id: String, title: String? = nil, panel: String? = nil) -> String {
        let title = title ?? "Utilisation of planned capacity, \(id)"
        let ws = windows(kind, id), p = plan(kind, id)
        guard !p.isEmpty else { return noData(title, kind: "chart utilisation", "No data: no policy gives \(id) a capacity.") }
        let measured = points(ws) { utilisation($0, capacity: capacity(at: $0.start, in: p)) }
        // An interval whose plan gives the cell no blocks for its demand has no utilisation (the
        // document's is a stand-in 1000000): the axis is scaled by the real values, and such an
        // interval is shaded over the whole plot, its tooltip saying the demand left without blocks.
        let planned = p.filter { $0.withoutBlocks == nil }, without = p.filter { $0.withoutBlocks != nil }
        let top = max(1.2, (measured.compactMap(\.1).max() ?? 0) * 1.05, (planned.map(\.utilisation).max() ?? 0) * 1.05)
        var chart = SVGChart(kind: "utilisation", title: title, t0: timeRange.lowerBound, t1: timeRange.upperBound,
                             yMax: top, yLabel: { DiffFormat.trimmed($0 * 100, decimals: 0) + "%" })
        for w in without {
            chart.rect(t0: w.interval.start, t1: w.interval.end, low: 0, high: top, colour: Palette.vermillion, opacity: 0.2,
                       tooltip: "interval \(w.interval.number): \(DiffFormat.noBlocks(w.withoutBlocks ?? 0)) planned")
        }
        chart.reference(1, label: "capacity")
        chart.steps(planned.map { ($0.interval.start, $0.interval.end, $0.utilisation) }, colour: Palette.vermillion, width: 2, dash: "6 3")
        chart.line(measured, colour: Palette.blue)
        addIntervalMarkers(&chart)
        var legend = [("measured", Palette.blue, false), ("predicted per plan interval", Palette.vermillion, true), ("capacity", Palette.black, true)]
        if !without.isEmpty { legend.append(("no blocks for its demand", Palette.vermillion, false)) }
        return figure(title, legend: legend, chart.render(), panel: panel, id: id)
    }

    func spectrumChart(_ id: String) -> String {
        let title = "Spectrum blocks over time, \(id)"
        let allocations = intervals.compactMap { iv -> (Interval, CellDecision)? in
            guard let p = iv.policy, let c = policyEntries[p].spectrumCells[id] else { return nil }
            return (iv, run.policies[p].document.spectrum.cells[c])
        }
        guard !allocations.isEmpty else { return noData(title, kind: "chart spectrum", "No data: no policy allocates spectrum to \(id).") }
        let lo = allocations.flatMap(\.1.blocks).min() ?? 0, hi = allocations.flatMap(\.1.blocks).max() ?? 0
        let yMin = Double(max(0, lo - 1)), yMax = Double(hi + 2)
        let bands = Set(allocations.map(\.1.band)).sorted().joined(separator: ", ")
        let step = max(1, Int((yMax - yMin) / 5))
        var chart = SVGChart(kind: "spectrum", title: "\(title) (band \(bands))", t0: timeRange.lowerBound, t1: timeRange.upperBound,
                             yMin: yMin, yMax: yMax, yTicks: stride(from: lo, through: hi, by: step).map { Double($0) + 0.5 },  // blocks that were allocated, none past the band
                             yLabel: { "block \(Int($0))" })
        // An interval narrower than 4 px (a day of 60 s plans is 1,440 in 472 px) has gaps between
        // its bars under 0.2 px, which no one sees: there a block held over consecutive intervals
        // is one bar, not one per interval (69,120 bars, 9 MB for six cells of such a day, became
        // 48). Its first interval stays orange where the block was newly allocated. Wider
        // intervals keep a bar each, the gaps marking the interval boundaries.
        let merge = allocations.count > Int(chart.plotWidth / 4)
        var previous: Set<Int>?
        var open: [Int: (first: Interval, last: Interval, band: String)] = [:]  // block → its run of green bars
        func close(_ b: Int) {
            guard let run = open.removeValue(forKey: b) else { return }
            let gap = (run.first.end - run.first.start) * 0.04
            let which = run.first.number == run.last.number ? "interval \(run.first.number)" : "intervals \(run.first.number)–\(run.last.number)"
            chart.rect(t0: run.first.start + gap, t1: run.last.end - gap, low: Double(b) + 0.1, high: Double(b) + 0.9,
                       colour: Palette.green, tooltip: "\(which): \(run.band) block \(b)")
        }
        var lastEnd: Double?
        for (iv, c) in allocations {
            let gap = (iv.end - iv.start) * 0.04
            let blocks = Set(c.blocks)
            if merge {
                // A run ends where the block is not allocated, the band changes, or intervals do not touch.
                let touching = lastEnd.map { abs(iv.start - $0) < 1e-6 } ?? false
                for b in open.keys.sorted() where !touching || !blocks.contains(b) || open[b]?.band != c.band { close(b) }
            }
            for b in c.blocks {
                let fresh = previous.map { !$0.contains(b) } ?? false
                if merge && !fresh {
                    if open[b] != nil { open[b]?.last = iv } else { open[b] = (iv, iv, c.band) }
                    continue
                }
                chart.rect(t0: iv.start + gap, t1: iv.end - gap, low: Double(b) + 0.1, high: Double(b) + 0.9,
                           colour: fresh ? Palette.orange : Palette.green,
                           tooltip: "interval \(iv.number): \(c.band) block \(b)\(fresh ? " (new)" : ""), \(DiffFormat.mhz(c.bandwidthMHz)) in total")
            }
            previous = blocks
            lastEnd = iv.end
        }
        for b in open.keys.sorted() { close(b) }
        addIntervalMarkers(&chart)
        return figure("\(title) (band \(bands))", legend: [("allocated", Palette.green, false), ("newly allocated", Palette.orange, false)],
                      chart.render())
    }

    func cellDemandWeights(_ cell: String) -> [(demand: String, shares: [(Interval, Double)])] {
        // Every path of every demand carrying the cell, with its weight per interval.
        (cellDemands[cell] ?? []).sorted { Natural($0) < Natural($1) }.flatMap { demand in
            pathWeights(demand).map { (demand: "\(demand): \(DiffFormat.path($0.links))", shares: $0.shares) }
        }
    }

    /// A demand's paths that ever carry traffic, with their weight per interval.
    func pathWeights(_ demand: String) -> [(links: [String], shares: [(Interval, Double)])] {
        var paths: [[String]: [(Interval, Double)]] = [:]
        for iv in intervals {
            guard let p = iv.policy, let d = policyEntries[p].demands[demand] else { continue }
            for path in run.policies[p].document.routing.demands[d].paths { paths[path.links, default: []].append((iv, path.weight)) }
        }
        return paths.filter { $0.value.contains { $0.1 > 0.0005 } }
            .sorted { $0.key.lexicographicallyPrecedes($1.key) { Natural($0) < Natural($1) } }
            .map { (links: $0.key, shares: $0.value) }
    }

    func routingChart(title: String, shares: [(demand: String, shares: [(Interval, Double)])], empty: String) -> String {
        guard !shares.isEmpty else { return noData(title, kind: "chart routing", empty) }
        var chart = SVGChart(kind: "routing", title: title, t0: timeRange.lowerBound, t1: timeRange.upperBound, yMax: 1.05,
                             yTicks: [0, 0.25, 0.5, 0.75, 1], yLabel: { DiffFormat.trimmed($0 * 100, decimals: 0) + "%" })
        var legend: [(String, String, Bool)] = []
        let dashes: [String?] = [nil, "6 3", "2 2", "8 2 2 2"]
        for (i, s) in shares.enumerated() {
            let colour = Palette.cycle[i % Palette.cycle.count], dash = dashes[(i / Palette.cycle.count + i) % dashes.count]
            chart.steps(s.shares.map { ($0.0.start, $0.0.end, $0.1) }, colour: colour, width: 2.5, dash: dash)
            legend.append((s.demand, colour, dash != nil))
        }
        addIntervalMarkers(&chart)
        return figure(title, legend: legend, chart.render())
    }

    func decodeIssuesChart(_ kind: String, _ id: String) -> String {
        let title = "Decode issues and partial windows, \(id)"
        let ws = windows(kind, id)
        guard !ws.isEmpty else { return noData(title, kind: "chart issues", "No data: no windows for \(id).") }
        // Windows that lost packets before capture (live), with how many: their load reads low.
        // Only the "Windows with drops" count said so, not when (an audit).
        let dropped = ws.filter { $0.droppedBeforeCapture > 0 }
        let dropText = dropped.map { "\(SVGChart.clock($0.start, span: 0)) (\(DiffFormat.trimmed($0.droppedBeforeCapture, decimals: 0)))" }
        guard ws.contains(where: { $0.decodeIssues > 0 }) else {
            // Nothing to draw but the partial windows and drops: say them in words.
            let partial = ws.filter(\.cutShort).map { SVGChart.clock($0.start, span: 0) }
            return noData(title, kind: "chart issues", "no decode issues in \(ws.count) windows"
                + (partial.isEmpty ? "" : "; partial window\(partial.count == 1 ? "" : "s") at \(partial.joined(separator: ", ")) (the capture began or ended inside: load may read low; left out of the scores)")
                + (dropped.isEmpty ? "" : "; packets dropped before capture (load reads low) at \(dropText.joined(separator: ", "))") + ".")
        }
        let top = max(4, (ws.map(\.decodeIssues).max() ?? 0) * 1.15)
        var chart = SVGChart(kind: "issues", title: title, t0: timeRange.lowerBound, t1: timeRange.upperBound, yMax: top,
                             yLabel: { DiffFormat.trimmed($0, decimals: 1) })
        for w in ws {
            if w.cutShort {
                // Observed from inside it (the capture began, or a reload's topology took over, then),
                // or cut short (the capture ended in it); a reload's two halves are joined already.
                let tooltip = w.observedFrom.map { "partial window: observed from \(HTML.timestamp($0)), when the capture began or the topology was reloaded" }
                    ?? "partial window: the capture ended inside it, so its load may read low (left out of the scores)"
                chart.rect(t0: w.start, t1: w.start + w.duration, low: 0, high: top, colour: Palette.skyBlue, opacity: 0.25, tooltip: tooltip)
            }
            if w.droppedBeforeCapture > 0 {
                chart.rect(t0: w.start, t1: w.start + w.duration, low: 0, high: top, colour: Palette.orange, opacity: 0.3,
                           tooltip: "\(DiffFormat.trimmed(w.droppedBeforeCapture, decimals: 0)) packets dropped before capture at \(HTML.timestamp(w.start)): load reads low")
            }
            if w.decodeIssues > 0 {
                chart.rect(t0: w.start + w.duration * 0.15, t1: w.start + w.duration * 0.85, low: 0, high: w.decodeIssues,
                           colour: Palette.vermillion, tooltip: "\(DiffFormat.trimmed(w.decodeIssues, decimals: 0)) decode issues at \(HTML.timestamp(w.start))")
            }
        }
        let total = ws.reduce(0) { $0 + $1.decodeIssues }
        return figure("\(title): \(DiffFormat.trimmed(total, decimals: 0)) issues",
                      legend: [("decode issues", Palette.vermillion, false), ("partial window", Palette.skyBlue, false)]
                        + (dropped.isEmpty ? [] : [("packets dropped before capture", Palette.orange, false)]),
                      chart.render())
    }

    func points(_ ws: [RunData.Window], _ value: (RunData.Window) -> Double?) -> [(Double, Double?)] {
        // A gap in the line where windows are missing, so no trend is drawn across them.
        var out: [(Double, Double?)] = []
        for (i, w) in ws.enumerated() {
            if i > 0, w.start - (ws[i - 1].start + ws[i - 1].duration) > max(w.duration, 1) * 0.5 { out.append((w.start, nil)) }
            out.append((w.start + w.duration / 2, value(w)))
        }
        return out
    }
}
