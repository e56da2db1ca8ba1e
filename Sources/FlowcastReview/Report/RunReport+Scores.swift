internal import FlowcastPolicy
import Foundation

/// The report's "against the baselines" section: the forecaster's MAE against persistence and
/// `recentMean`, and the spectrum plans' unmet demand against the static split. Every number is
/// in a `data-metric` / `data-value` cell, so tests read the figures the page shows.
extension RunReport {
    func scoresSection(_ scores: RunScores) -> String {
        var out = "<section id=\"baselines\"><h2>Against the baselines</h2>"
        func cell(_ metric: String, _ value: Double, _ text: String, bold: Bool = false) -> String {
            "<td class=\"n\" data-metric=\"\(metric)\" data-value=\"\(String(format: "%.6g", value))\">\(bold ? "<b>\(text)</b>" : text)</td>"
        }
        func ratio(_ x: Double, _ y: Double) -> Double { y > 0 ? x / y : .nan }
        // Two decimals: the plans and the static split can differ by a tenth of a percent.
        func share(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }
        // The share of demand unmet, then its mean per window in brackets (for all cells: the
        // cells' unmet summed per window, averaged over the windows), each in its own data-metric.
        func unmet(_ metric: String, _ fraction: Double, _ perWindow: Double, bold: Bool) -> String {
            let text = share(fraction) + " (\(DiffFormat.rate(perWindow)))"
            return "<td class=\"n\" data-metric=\"\(metric)\" data-value=\"\(String(format: "%.6g", fraction))\" "
                + "data-per-window=\"\(String(format: "%.6g", perWindow))\">\(bold ? "<b>\(text)</b>" : text)</td>"
        }
        if scores.forecasts.isEmpty && run.forecasts.contains(where: { $0.actual != nil }) {
            // Forecasts there are, but no series carried traffic in a window they can be scored on.
            out += "<p class=\"nodata\">No forecasts to score: every window with traffic was cut short or lost packets before capture "
                + "(left out, as the forecaster leaves them out), and forecasts of windows with no traffic are exact for every method.</p>"
        } else if scores.forecasts.isEmpty {
            out += "<p class=\"nodata\">No forecasts to score (forecasts.jsonl with actuals and the persistence baseline).</p>"
        } else {
            let seconds = scores.forecasts.first.map { DiffFormat.trimmed($0.recentSeconds, decimals: 0) } ?? "60"
            out += "<h3>Forecasts, one window ahead</h3><table class=\"scores\" data-table=\"forecasts\"><thead><tr><th>Kind</th>"
                + "<th>Forecaster</th><th>Windows scored</th><th>MAE, forecaster</th><th>MAE, persistence</th>"
                + "<th title=\"Mean of the complete windows that started in the last \(seconds) s: max(60 s, 2 × window), the planner's rule for efficiency\">MAE, recentMean (\(seconds) s)</th>"
                + "<th>× persistence</th><th>× recentMean</th></tr></thead><tbody>"
            for f in scores.forecasts {
                let p = ratio(f.forecastMAE, f.persistenceMAE), r = ratio(f.forecastMAE, f.recentMeanMAE)
                out += "<tr data-kind=\"\(f.kind)\"><td>\(f.kind)s</td><td>\(HTML.escape(f.forecaster))</td>"
                    + cell("\(f.kind)-count", Double(f.count), "\(f.count)")
                    + cell("\(f.kind)-forecast-mae", f.forecastMAE, DiffFormat.rate(f.forecastMAE))
                    + cell("\(f.kind)-persistence-mae", f.persistenceMAE, DiffFormat.rate(f.persistenceMAE))
                    + cell("\(f.kind)-recentmean-mae", f.recentMeanMAE, DiffFormat.rate(f.recentMeanMAE))
                    // Three decimals always, as `flowcast demo` prints them (0.410, not 0.41).
                    + cell("\(f.kind)-vs-persistence", p, p.isFinite ? String(format: "%.3f", p) : "–", bold: p < 1)
                    + cell("\(f.kind)-vs-recentmean", r, r.isFinite ? String(format: "%.3f", r) : "–", bold: r < 1) + "</tr>"
            }
            out += "</tbody></table><p class=\"hint\">Mean absolute error of the point forecast made for each complete window "
                + "(forecasts.jsonl) against the window's load (windows.jsonl), beside persistence (the last window) and recentMean "
                + "on the same windows; below 1 the forecaster is better. Cells and links that carried no traffic in the run are "
                + "left out (every method is exact on them); a link that carries one cell's traffic scores as that cell does.</p>"
        }
        if !scores.spectrum.isEmpty {
            out += "<h3>Spectrum plans against a static split</h3><table class=\"scores\" data-table=\"spectrum\"><thead><tr>"
                + "<th>Cell</th><th>Windows scored</th><th title=\"Σ demand / Σ (demand ÷ efficiency) over the scored windows: the efficiency the demand was served at, what sizing needs\">Measured efficiency (demand-weighted)</th><th>Configured peak</th><th>Blocks, plan</th>"
                + "<th>Blocks, static</th><th>Unmet, plan</th><th>Unmet, static</th></tr></thead><tbody>"
            for s in scores.spectrum {
                let all = s.cell == "all"
                let better = s.plannedUnmet < s.staticUnmet
                out += "<tr data-cell=\"\(HTML.escape(s.cell))\"\(all ? " class=\"total\"" : "")><td>\(all ? "all cells" : HTML.escape(s.cell))</td>"
                    + cell("spectrum-\(s.cell)-windows", Double(s.windows), "\(s.windows)")
                    + cell("spectrum-\(s.cell)-efficiency", s.efficiency, DiffFormat.trimmed(s.efficiency, decimals: 2) + " bit/s/Hz")
                    + "<td class=\"n\">\(s.peakEfficiency.map { DiffFormat.trimmed($0, decimals: 2) + " bit/s/Hz" } ?? "–")</td>"
                    + cell("spectrum-\(s.cell)-plan-blocks", s.plannedBlocks, DiffFormat.trimmed(s.plannedBlocks, decimals: 1))
                    + cell("spectrum-\(s.cell)-static-blocks", s.staticBlocks, DiffFormat.trimmed(s.staticBlocks, decimals: 1))
                    + unmet("spectrum-\(s.cell)-plan-unmet", s.plannedUnmetFraction, s.plannedUnmetPerWindow, bold: better)
                    + unmet("spectrum-\(s.cell)-static-unmet", s.staticUnmetFraction, s.staticUnmetPerWindow,
                            bold: s.staticUnmet < s.plannedUnmet) + "</tr>"
            }
            out += "</tbody></table><p class=\"hint\">Each complete cell window after the first plan, with the blocks of the "
                + "policy in force: demand is the window's load, bytes both ways as the planner sizes cells on it (uplink bytes too "
                + "are counted against the planned blocks, at the downlink's efficiency), what the blocks carry is blocks × block width × the efficiency "
                + "the cell's radio KPI log measured over the window's seconds (CQI through its TS 38.214 table); unmet is the "
                + "demand beyond it, as a share of the cells' demand (and its mean per window; for all cells, the cells' unmet "
                + "summed per window and averaged over the windows). The static split colours the "
                + "cells of each band greedily and gives each colour an equal run of blocks, within each cell's maxBlocks, never "
                + "changed (as <code>flowcast backtest --radio-scenario</code>'s <code>static</code>). Measured efficiency is "
                + "weighted by demand, for each cell and for all cells alike (Σ demand / Σ demand ÷ efficiency: the rate at which "
                + "the demand was served, what sizing needs; a plain mean of windows counts an idle window as a loaded one), so the "
                + "all-cells figure is the same aggregate of the rows.</p>"
        }
        if let source = scores.topologySource {
            var line = "Scored with the topology <code>\(HTML.escape(source.path))</code> (\(HTML.escape(source.digest)))"
            if !scores.radioLogs.isEmpty {
                line += " and the radio KPI logs " + scores.radioLogs.map { "\(HTML.escape($0.cell)) <code>\(HTML.escape($0.path))</code>" }
                    .joined(separator: ", ")
            }
            out += "<p class=\"hint provenance\">\(line).</p>"
            if let planned = plannedWithOtherTopologies {
                out += "<p class=\"hint over\">The policies were planned with another topology (\(HTML.escape(planned.joined(separator: ", "))))"
                    + ": the spectrum scores use this file's cells, bands and logs.</p>"
            }
        }
        if !scores.notes.isEmpty {
            out += "<ul class=\"empty\">" + scores.notes.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>"
        }
        return out + "</section>"
    }
}

extension RunReport {
    /// The topology digests the policies were planned with, when any differs from the `--topology`
    /// the report scores with (sorted); nil otherwise. The policies say which topology they were
    /// planned with: another file scores them against cells, bands or logs they were not planned
    /// for. The page says so, and `flowcast report` on the terminal (an audit found it on the
    /// page only).
    public var plannedWithOtherTopologies: [String]? {
        guard let source = scores?.topologySource else { return nil }
        let planned = Set(run.policies.map(\.document.provenance.topologyDigest))
        return !planned.isEmpty && planned != [source.digest] ? planned.sorted() : nil
    }
}
