internal import FlowcastPolicy
internal import FlowcastTopology
import Foundation

/// The report's first screen: what a reviewer wants before any table. Network-wide load against
/// forecast, the busiest link's and the busiest cell's utilisation per plan interval against
/// capacity, and unmet demand.
extension RunReport {
    /// The element of one kind with the highest predicted utilisation in any policy, with the
    /// policy it peaks in (ties: the earlier interval, then the first id in natural order).
    struct Busiest: Hashable {
        var kind: String
        var id: String
        var utilisation: Double
        var interval: Interval
    }

    func busiest(_ kind: String) -> Busiest? {
        var best: Busiest?
        for iv in intervals {
            guard let p = iv.policy else { continue }
            let predicted = run.policies[p].document.predicted
            // A cell without blocks for its demand has no utilisation (`cellsWithoutBlocks` says it).
            let all = kind == "link" ? predicted.links.map { ($0.id, $0.utilisation) }
                : predicted.cells.filter { $0.loadWithoutBlocks == nil }.map { ($0.id, $0.utilisation) }
            for (id, u) in all.sorted(by: { Natural($0.0) < Natural($1.0) }) where u > (best?.utilisation ?? -1) {
                best = Busiest(kind: kind, id: id, utilisation: u, interval: iv)
            }
        }
        return best
    }

    /// The cells some plan gives no blocks while they have demand: per cell, the plan intervals
    /// and the most demand left without blocks, in natural order.
    func cellsWithoutBlocks() -> [(id: String, intervals: [Int], peak: Double)] {
        var byCell: [String: (intervals: [Int], peak: Double)] = [:]
        for iv in intervals {
            guard let p = iv.policy else { continue }
            for c in PolicyDiffer.cellsWithoutBlocks(run.policies[p].document) {
                let e = byCell[c.id] ?? ([], 0)
                byCell[c.id] = (e.intervals + [iv.number], max(e.peak, c.load))
            }
        }
        return byCell.keys.sorted { Natural($0) < Natural($1) }.map { ($0, byCell[$0]!.intervals, byCell[$0]!.peak) }
    }

    /// True when the run has windows and not one of them carried a byte: no traffic matched the
    /// topology's cells or links (a capture of other traffic, or match rules that fit none of
    /// it), so every load, forecast and plan in the report is 0 and says nothing about the network.
    var noTrafficMatched: Bool { !run.windows.isEmpty && run.windows.allSatisfy { $0.bytesUp + $0.bytesDown == 0 } }

    /// The plain statement of `noTrafficMatched`, with the packets summary.json counted.
    func noTrafficLine() -> String {
        let value = { (key: String) in self.run.summary.first { $0.key == key }.flatMap { Int($0.value) } }
        let matched = value("cells.matchedPackets"), total = value("totals.packets"), unmatched = value("unmatched.packets")
        var counted = ""
        if let total {
            counted = " \(total) packet\(total == 1 ? "" : "s") captured (summary.json)"
                + (matched.map { ", \($0) matched a cell" } ?? "") + (unmatched.map { ", \($0) unmatched" } ?? "") + ";"
        }
        return "No traffic matched the topology:\(counted) every window of every cell and link carried 0 bytes, so every "
            + "load and forecast below is 0 and the plans were sized for no traffic: they say nothing about the network. Check "
            + "the topology's match rules (the demands' prefixes, the cells' GTP addresses and TEIDs; docs/topology.md) against the capture."
    }

    /// Why a run that read packets has no window at all, from its summary.json: an audit's replay
    /// without --topology of a capture with no GTP-U (4,631 packets, none matched, no cell or
    /// link inferred) read "No data: no windows, forecasts or policies" in every section.
    func noWindowsLine() -> String? {
        let value = { (key: String) in self.run.summary.first { $0.key == key }.flatMap { Int($0.value) } }
        guard let total = value("totals.packets"), total > 0 else { return nil }
        let matched = value("cells.matchedPackets") ?? 0
        var line = "No windows: \(total) packet\(total == 1 ? "" : "s") captured (summary.json), \(matched) matched a cell or link"
        if let cells = value("inferredTopology.cells"), let links = value("inferredTopology.links") {
            line += "; the run had no --topology, and the topology it inferred from the capture holds \(cells) cell\(cells == 1 ? "" : "s") "
                + "and \(links) link\(links == 1 ? "" : "s") (it finds cells in GTP-U tunnels and their signalling)"
            if cells + links == 0 { line += ", so there is nothing to chart or plan: replay with the network's --topology (flowcast topology infer drafts one)" }
        } else {
            line += ": every cell and link of the topology stayed empty (check its match rules against the capture; docs/topology.md)"
        }
        return line + "."
    }

    /// The kind summed for the network-wide load: cells (the radio side), else links.
    static func networkKind(_ run: RunData) -> String {
        run.windows.contains { $0.kind == "cell" } || !run.forecasts.contains { $0.kind == "link" } ? "cell" : "link"
    }

    /// Network-wide load per window start: the sum of every `networkKind` window's load (bit/s).
    func networkLoad() -> [(start: Double, duration: Double, load: Double)] {
        var byStart: [Double: (duration: Double, bits: Double)] = [:]
        let kind = networkKind
        for w in run.windows where w.kind == kind {
            let e = byStart[w.start] ?? (w.duration, 0)
            byStart[w.start] = (max(e.duration, w.duration), e.bits + w.load * w.duration)
        }
        return byStart.keys.sorted().map { t in
            let e = byStart[t]!
            return (t, e.duration, e.duration > 0 ? e.bits / e.duration : 0)
        }
    }

    /// Network-wide forecast per forecast start: sums of the point forecasts and of the P90s.
    func networkForecast() -> [(start: Double, end: Double, point: Double, upper: Double)] {
        var byStart: [Double: (point: Double, upper: Double)] = [:]
        let kind = networkKind
        for f in run.forecasts where f.kind == kind {
            let e = byStart[f.start] ?? (0, 0)
            byStart[f.start] = (e.point + f.point, e.upper + f.upper)
        }
        return byStart.keys.sorted().map { t in (t, forecastEnds[t] ?? t + 60, byStart[t]!.point, byStart[t]!.upper) }
    }

    /// Unmet demand per plan interval (bit/s, summed over cells), with the cells short of spectrum.
    func unmetDemand() -> [(interval: Interval, total: Double, cells: [String])] {
        intervals.compactMap { iv in
            guard let p = iv.policy else { return nil }
            let short = run.policies[p].document.spectrum.cells.filter { $0.unmetDemand > 0 }
            return (iv, short.reduce(0) { $0 + $1.unmetDemand }, short.map(\.id).sorted { Natural($0) < Natural($1) })
        }
    }

    func overviewSection() -> String {
        var out = "<section id=\"overview\"><h2>At a glance</h2>"
        guard !run.windows.isEmpty || !run.policies.isEmpty || !run.forecasts.isEmpty else {
            if let line = noWindowsLine() { return out + "<p class=\"warning\" data-panel=\"no-windows\">\(HTML.escape(line))</p></section>" }
            return out + "<p class=\"nodata\">No data: no windows, forecasts or policies.</p></section>"
        }
        if noTrafficMatched { out += "<p class=\"warning\" data-panel=\"no-traffic\">\(HTML.escape(noTrafficLine()))</p>" }
        var charts: [String] = [], lines: [String] = []
        let load = networkLoad(), forecast = networkForecast()
        let things = networkKind == "cell" ? "cells" : "links"
        let count = Set(run.windows.filter { $0.kind == networkKind }.map(\.id)).count
        let title = "Network-wide load (sum of \(count) \(things)) vs forecast, P90 band"
        if load.isEmpty && forecast.isEmpty {
            lines.append("\(title): no windows or forecasts.")
        } else {
            let top = max(load.map(\.load).max() ?? 0, forecast.map(\.upper).max() ?? 0) * 1.1
            var chart = SVGChart(kind: "network-load", title: title, t0: timeRange.lowerBound, t1: timeRange.upperBound,
                                 yMax: Self.rateAxisTop(top), yLabel: DiffFormat.rate)
            chart.band(forecast.map { ($0.start, $0.end, $0.point, $0.upper) }, colour: Palette.orange, opacity: 0.25)
            chart.steps(forecast.map { ($0.start, $0.end, $0.point) }, colour: Palette.orange, width: 2, dash: "6 3")
            chart.line(points(load.map { RunData.Window(kind: networkKind, id: "", start: $0.start, duration: $0.duration, bytesUp: $0.load * $0.duration / 8) }) { $0.load },
                       colour: Palette.blue)
            addIntervalMarkers(&chart)
            charts.append(figure(title, legend: [("actual", Palette.blue, false), ("forecast", Palette.orange, true),
                                                 ("P90 band (sum of P90s)", Palette.orange, false)], chart.render(), panel: "network-load"))
        }
        let unmet = unmetDemand()
        for kind in ["link", "cell"] {
            let name = kind == "link" ? "link" : "cell (spectrum)"
            guard let b = busiest(kind) else {
                lines.append("Busiest \(name): no policy predicts any \(kind)s.")
                continue
            }
            guard b.utilisation > 0 else {
                // All zero: the first id in natural order is no busier than the rest.
                lines.append("Busiest \(name): none, every \(kind)'s predicted utilisation is 0 in all \(unmet.count) plan intervals.")
                continue
            }
            let policy = b.interval.policy.map { run.policies[$0].fileName } ?? "interval \(b.interval.number)"
            let caption = "Busiest \(name): \(b.id), peak \(DiffFormat.percent(b.utilisation)) predicted in \(policy)"
            charts.append(utilisationChart(kind, b.id, title: caption, panel: "busiest-\(kind)"))
        }
        for c in cellsWithoutBlocks() {
            let which = c.intervals.count == 1 ? "plan interval \(c.intervals[0])" : "\(c.intervals.count) plan intervals (\(c.intervals.map(String.init).joined(separator: ", ")))"
            lines.append("\(c.id) has no blocks in \(which), for up to \(DiffFormat.rate(c.peak)) of demand: it has no utilisation there, "
                + "so no busiest-cell figure counts it; its utilisation chart shades \(c.intervals.count == 1 ? "it" : "them").")
        }
        if unmet.isEmpty {
            lines.append("Unmet demand: no policies.")
        } else if unmet.allSatisfy({ $0.total == 0 }) && noTrafficMatched {
            lines.append("Unmet demand: none, but only because there was no traffic to plan for.")
        } else if unmet.allSatisfy({ $0.total == 0 }) {
            lines.append("Unmet demand: none. Every cell's P90 forecast fits its spectrum in all \(unmet.count) plan intervals.")
        } else {
            let worst = unmet.max { $0.total < $1.total }!
            let short = Set(unmet.flatMap(\.cells)).sorted { Natural($0) < Natural($1) }.joined(separator: ", ")
            let title = "Unmet demand per plan interval (P90 beyond the spectrum of \(short)), peak \(DiffFormat.rate(worst.total))"
            let top = SVGChart.niceTicks(0, worst.total * 1.1).last.map { max($0, worst.total * 1.1) } ?? worst.total * 1.1
            var chart = SVGChart(kind: "unmet", title: title, t0: timeRange.lowerBound, t1: timeRange.upperBound, yMax: top, yLabel: DiffFormat.rate)
            for u in unmet where u.total > 0 {
                let gap = (u.interval.end - u.interval.start) * 0.08
                chart.rect(t0: u.interval.start + gap, t1: u.interval.end - gap, low: 0, high: u.total, colour: Palette.vermillion,
                           tooltip: "interval \(u.interval.number) at \(HTML.timestamp(u.interval.start)): \(DiffFormat.rate(u.total)) unmet (\(u.cells.joined(separator: ", ")))")
            }
            addIntervalMarkers(&chart)
            charts.append(figure(title, legend: [("unmet P90 demand", Palette.vermillion, false)], chart.render(), panel: "unmet"))
        }
        out += "<div class=\"charts overview\">\(charts.joined())</div>"
        if !lines.isEmpty { out += "<ul class=\"empty\">" + lines.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>" }
        out += "<p class=\"hint\">Measured is the captured traffic, on each link as the network routed it (the topology's match "
            + "rules); predicted is each policy's plan for its P90 forecast. A cell's utilisation is over the capacity its plan "
            + "expected (its blocks at the efficiency the plan estimated); the spectrum table scores the same blocks at the "
            + "efficiency measured in each window, so a cell under 100 % here can still leave demand unmet there. A link's load chart "
            + "shows the forecaster's own forecast of that link; a plan predicts a link's load from the cells' P90 forecasts routed "
            + "over it (the predicted line of its utilisation chart). Dashed purple markers are the policies that moved spectrum blocks or routing weights (or kept them while their forecast newly breaks a constraint the policy before kept); click one for its diff."
            + (changedIntervals.count > maximumDiffs
               ? " With more intervals whose policy changed (\(changedIntervals.count)) than diffs written (\(maximumDiffs), <code>--diffs</code>), "
                 + "only those whose diffs are written are marked: the ones that broke a constraint or moved most." : "")
            + " Times are UTC.</p>"
        return out + "</section>"
    }
}
