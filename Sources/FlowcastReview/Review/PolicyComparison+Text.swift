internal import FlowcastPolicy
internal import FlowcastTopology
import Foundation

/// Terminal colours for the text diff. Okabe–Ito hues (blue, vermillion, orange) so added and
/// removed stay apart for red–green colour blindness; the symbols carry the meaning without colour.
struct TextStyle {
    var colour: Bool

    func added(_ s: String) -> String { paint(s, "38;5;25") }
    func removed(_ s: String) -> String { paint(s, "38;5;166") }
    func changed(_ s: String) -> String { paint(s, "38;5;172") }
    func bold(_ s: String) -> String { paint(s, "1") }
    func dim(_ s: String) -> String { paint(s, "2") }

    func action(_ a: ChangeAction, _ s: String) -> String {
        switch a {
        case .added: added(s)
        case .removed: removed(s)
        case .changed: changed(s)
        }
    }

    private func paint(_ s: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
}

extension PolicyComparison {
    /// Human-readable diff: `+`/`-`/`~` per cell, demand and link, a summary line and the impact.
    /// ANSI colours only when `colour` is true (a terminal without `--no-color`).
    public func text(colour: Bool = false) -> String {
        let style = TextStyle(colour: colour)
        var out: [String] = []
        if !isFolder, let only = files.first, let diff = only.diff {
            out.append(style.bold("Policy diff: \(DiffFormat.visible(old)) → \(DiffFormat.visible(new))"))
            out.append(contentsOf: diff.textLines(style: style, options: options))
            return out.joined(separator: "\n") + "\n"
        }
        let counts = Dictionary(grouping: files, by: \.status).mapValues(\.count)
        let tally = [FileStatus.changed, .added, .removed, .unchanged].compactMap { s in
            counts[s].map { "\($0) \(s.rawValue)" }
        }.joined(separator: ", ")
        out.append(style.bold("Policy diff: \(DiffFormat.visible(old))/ → \(DiffFormat.visible(new))/ (\(files.count) file\(files.count == 1 ? "" : "s"): \(tally.isEmpty ? "none" : tally))"))
        for file in files {
            let name = DiffFormat.visible(file.name ?? "")
            out.append("")
            switch file.status {
            case .added:
                out.append(style.added("+ \(name)") + "  added (\(file.cells ?? 0) cells, \(file.demands ?? 0) demands)")
            case .removed:
                out.append(style.removed("- \(name)") + "  removed (\(file.cells ?? 0) cells, \(file.demands ?? 0) demands)")
            case .unchanged:
                out.append("= \(name)  unchanged" + (file.diff.map { $0.hidden.total > 0 ? " (\($0.hidden.total) hidden below thresholds)" : "" } ?? ""))
            case .changed:
                out.append(style.changed("~ \(name)"))
                out.append(contentsOf: (file.diff?.textLines(style: style, options: options) ?? []).map { $0.isEmpty ? $0 : "  " + $0 })
            }
        }
        return out.joined(separator: "\n") + "\n"
    }
}

extension DemandChange {
    /// `25.0% of traffic moved`, `50.0% no longer routed` or both, for a changed demand. A demand
    /// whose weights only changed their total moved nothing: "0.0% of traffic moved" before the
    /// share dropped said a move that did not happen (an audit).
    func changeText(moved word: String) -> String {
        let share = unrouted.map { $0 > 0 ? "\(DiffFormat.percent($0)) no longer routed" : "\(DiffFormat.percent(-$0)) more routed" }
        return [moved > 0 || share == nil ? "\(DiffFormat.percent(moved)) \(word)" : nil, share].compactMap { $0 }.joined(separator: ", ")
    }
}

extension PolicyDiff {
    /// The plan line: `Plan: X cells reallocated, Y demands rerouted, Z unchanged; peak link
    /// utilisation A% (l-1) → B% (l-2); peak cell utilisation C% (cell-1) → D% (cell-1)`.
    public var summaryLine: String {
        "Plan: \(cellsReallocated) cell\(cellsReallocated == 1 ? "" : "s") reallocated\(Self.addedRemoved(cellsAdded, cellsRemoved)), "
            + "\(demandsRerouted) demand\(demandsRerouted == 1 ? "" : "s") rerouted\(Self.addedRemoved(demandsAdded, demandsRemoved)), "
            + (demandsRoutedShareChanged == 0 ? ""
                : "\(demandsRoutedShareChanged) demand\(demandsRoutedShareChanged == 1 ? "" : "s") with \(demandsRoutedShareChanged == 1 ? "its" : "their") routed share changed, ")
            + (settings.isEmpty ? "" : "\(settings.count) setting\(settings.count == 1 ? "" : "s") changed, ")
            + "\(unchanged) unchanged; "
            + "peak link utilisation \(peakLinkText); peak cell utilisation \(peakCellText)"
    }

    /// ` (1 added, 6 removed)`, or nothing when none was.
    static func addedRemoved(_ added: Int, _ removed: Int) -> String {
        let parts = [added > 0 ? "\(added) added" : nil, removed > 0 ? "\(removed) removed" : nil].compactMap { $0 }
        return parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"
    }

    /// `A% (l-1) → B% (l-2)`: the busiest link on each side.
    public var peakLinkText: String { Self.peakText(peakLink) }
    /// `C% (cell-1) → D% (cell-3)`: the busiest cell (spectrum) on each side, and a side's cells
    /// without blocks for their demand after it (`119.2% (cell-2), no blocks for 60 Mbit/s of
    /// demand (cell-5)`).
    public var peakCellText: String { Self.peakText(peakCell, without: cellsWithoutBlocks) }

    static func peakText(_ c: Change<UtilisationPeak>, without: Change<[CellWithoutBlocks]> = Change(old: [], new: [])) -> String {
        // No peak where nothing carries load (every element ties at 0 %; or there is none).
        func side(_ p: UtilisationPeak?, _ none: [CellWithoutBlocks]) -> String {
            let peak = p.map { "\(DiffFormat.percent($0.utilisation)) (\($0.id))" }
            guard !none.isEmpty else { return peak ?? "\(DiffFormat.percent(0)) (no load)" }
            let blocks = "\(DiffFormat.noBlocks(none.reduce(0) { $0 + $1.load })) (\(none.map(\.id).joined(separator: ", ")))"
            return peak.map { "\($0), \(blocks)" } ?? blocks
        }
        return "\(side(c.old, without.old ?? [])) → \(side(c.new, without.new ?? []))"
    }

    /// What the thresholds hid, or nil when nothing was hidden.
    func hiddenLine(options: DiffOptions) -> String? {
        var parts: [String] = []
        if hidden.demands > 0 {
            parts.append("\(hidden.demands) demand\(hidden.demands == 1 ? "" : "s") (--min-weight-change \(DiffFormat.exact(options.minWeightChange)))")
        }
        if hidden.cells > 0 {
            parts.append("\(hidden.cells) cell\(hidden.cells == 1 ? "" : "s") (--min-blocks \(options.minBlocks))")
        }
        if hidden.links > 0 {
            parts.append("\(hidden.links) link\(hidden.links == 1 ? "" : "s") (--min-utilisation-change \(DiffFormat.exact(options.minUtilisationChange)))")
        }
        if hidden.cellUtilisations > 0 {
            let n = hidden.cellUtilisations
            parts.append("\(n) cell utilisation\(n == 1 ? "" : "s") (--min-utilisation-change \(DiffFormat.exact(options.minUtilisationChange)))")
        }
        return parts.isEmpty ? nil : "Hidden below thresholds: " + parts.joined(separator: ", ")
    }

    func textLines(style: TextStyle, options: DiffOptions) -> [String] {
        var out: [String] = []
        for p in provenance {
            let (o, n) = Self.shortened(p.old, p.new)
            out.append(style.dim("  \(p.field): \(o) → \(n)"))
        }
        if !cells.isEmpty {
            out.append("")
            out.append(style.bold("Cells"))
            for c in cells { out.append(contentsOf: cellLines(c, style: style)) }
        }
        if !demands.isEmpty {
            out.append("")
            out.append(style.bold("Demands"))
            for d in demands { out.append(contentsOf: demandLines(d, style: style)) }
        }
        if !links.isEmpty {
            out.append("")
            out.append(style.bold("Links"))
            let width = links.map(\.id.count).max() ?? 0
            for l in links {
                out.append(linkLine(l, width: width, style: style))
                if let shifts = l.forecastShifts { out.append(style.dim("    forecast: " + Self.forecastShiftText(shifts))) }
            }
        }
        if !settings.isEmpty {
            out.append("")
            out.append(style.bold("Settings"))
            let width = settings.map(\.id.count).max() ?? 0
            for c in settings {
                out.append(style.changed("~ " + c.id.padding(toLength: width, withPad: " ", startingAt: 0)) + "  \(c.kind) \(c.field): "
                    + "\(c.old ?? "none") → \(c.new ?? "none")")
            }
        }
        out.append("")
        out.append(style.bold(headline + summaryLine))
        if let hiddenLine = hiddenLine(options: options) { out.append(hiddenLine) }
        out.append(contentsOf: impactLines(style: style))
        return out
    }

    private func cellLines(_ c: CellChange, style: TextStyle) -> [String] {
        let head: String
        switch c.action {
        case .added:
            head = "\(c.band.new ?? "") blocks \(DiffFormat.blockRanges(c.blocks.new ?? [])) (\(DiffFormat.mhz(c.bandwidthMHz.new ?? 0)))"
        case .removed:
            head = "\(c.band.old ?? "") blocks \(DiffFormat.blockRanges(c.blocks.old ?? [])) (\(DiffFormat.mhz(c.bandwidthMHz.old ?? 0)))"
        case .changed:
            let band = c.band.old == c.band.new ? (c.band.new ?? "") : "\(c.band.old ?? "") → \(c.band.new ?? "")"
            head = "\(band) blocks \(DiffFormat.blockRanges(c.blocks.old ?? [])) → \(DiffFormat.blockRanges(c.blocks.new ?? []))"
                + "  (+\(c.blocksGained)/-\(c.blocksLost) blocks, \(DiffFormat.mhz(c.bandwidthMHz.old ?? 0)) → \(DiffFormat.mhz(c.bandwidthMHz.new ?? 0)))"
        }
        var out = [style.action(c.action, "\(c.action.symbol) \(c.id)") + "  " + head]
        if let u = cellUtilisationText(c.utilisation, without: c.loadWithoutBlocks ?? Change(old: nil, new: nil)) { out.append("    predicted utilisation \(u)") }
        out.append(style.dim("    " + Self.evidence(c.forecast, previous: c.previousForecast)))
        out.append(style.dim("    reason (vs \(c.reasonComparedWith)): \(c.reason)"))
        return out
    }

    private func demandLines(_ d: DemandChange, style: TextStyle) -> [String] {
        let head: String
        switch d.action {
        case .added: head = "new demand"
        case .removed: head = "demand removed"
        case .changed:
            head = d.changeText(moved: "of traffic moved")
        }
        var out = [style.action(d.action, "\(d.action.symbol) \(d.id)") + "  " + head]
        let width = d.paths.map { DiffFormat.path($0.links).count }.max() ?? 0
        for p in d.paths {
            let name = DiffFormat.path(p.links).padding(toLength: width, withPad: " ", startingAt: 0)
            var weights: String
            switch d.action {
            case .added: weights = DiffFormat.percent(p.weight.new ?? 0)
            case .removed: weights = DiffFormat.percent(p.weight.old ?? 0)
            case .changed:
                weights = "\(DiffFormat.percent(p.weight.old ?? 0)) → \(DiffFormat.percent(p.weight.new ?? 0))"
                if abs(p.delta) >= 0.0005 { weights += "  \(DiffFormat.points(from: p.weight.old ?? 0, to: p.weight.new ?? 0))" }
                // Said in words: without colour, "27.9% → 0.0%" reads the same for a path emptied and
                // one the new plan no longer lists (a link gone from the topology).
                if p.weight.old == nil { weights += "  (new path)" } else if p.weight.new == nil { weights += "  (path removed)" }
            }
            out.append("    \(name)  \(weights)")
        }
        out.append(style.dim("    " + Self.evidence(d.forecast, previous: d.previousForecast)))
        out.append(style.dim("    reason (vs \(d.reasonComparedWith)): \(d.reason)"))
        return out
    }

    /// `d-cell-3 P90 400 Mbit/s → 2 Gbit/s, 400 Mbit/s → 2 Gbit/s over the link`, one per demand.
    static func forecastShiftText(_ shifts: [DemandLoadShift]) -> String {
        let more = shifts.count > 3 ? "; and \(shifts.count - 3) more (JSON forecastShifts)" : ""
        return shifts.prefix(3).map { s in
            let whole = DiffFormat.rate(s.load.old ?? 0) == DiffFormat.rate(s.upper.old ?? 0)
                && DiffFormat.rate(s.load.new ?? 0) == DiffFormat.rate(s.upper.new ?? 0)
            return "\(s.demand) P90 \(DiffFormat.rate(s.upper.old ?? 0)) → \(DiffFormat.rate(s.upper.new ?? 0))"
                + (whole ? ", all of it over the link"
                         : ", \(DiffFormat.rate(s.load.old ?? 0)) → \(DiffFormat.rate(s.load.new ?? 0)) of it over the link")
        }.joined(separator: "; ") + more
    }

    private func linkLine(_ l: LinkChange, width: Int, style: TextStyle) -> String {
        let id = l.id.padding(toLength: width, withPad: " ", startingAt: 0)
        let body: String
        switch l.action {
        case .added:
            body = "added, predicted utilisation \(DiffFormat.percent(l.utilisation.new ?? 0)) of \(DiffFormat.rate(l.capacity.new ?? 0))"
        case .removed:
            body = "removed (was \(DiffFormat.percent(l.utilisation.old ?? 0)) of \(DiffFormat.rate(l.capacity.old ?? 0)))"
        case .changed:
            var s = "predicted utilisation \(utilisationText(l.utilisation) ?? "")"
            if l.capacity.old != l.capacity.new {
                s += "; capacity \(DiffFormat.rate(l.capacity.old ?? 0)) → \(DiffFormat.rate(l.capacity.new ?? 0))"
            }
            body = s
        }
        return style.action(l.action, "\(l.action.symbol) \(id)") + "  " + body
    }

    private func impactLines(style: TextStyle) -> [String] {
        var out = ["", style.bold("Impact")]
        func list(_ label: String, _ items: [String]) {
            out.append("  \(label.padding(toLength: 17, withPad: " ", startingAt: 0))" + (items.isEmpty ? "none" : items.joined(separator: ", ")))
        }
        list("Spectrum gained:", impact.spectrumGained.map { "\($0.cell) +\(DiffFormat.blocks($0.blocks)) (\(DiffFormat.signedMHz($0.mhz)))" })
        list("Spectrum lost:", impact.spectrumLost.map { "\($0.cell) -\(DiffFormat.blocks(-$0.blocks)) (\(DiffFormat.signedMHz($0.mhz)))" })
        if !impact.spectrumRetuned.isEmpty {
            list("Retuned cells:", impact.spectrumRetuned.map { "\($0.cell) \(DiffFormat.blocks($0.blocksMoved)) moved" })
        }
        list("Busier links:", impact.busierLinks.map { "\($0.link) \(DiffFormat.percent($0.old)) → \(DiffFormat.percent($0.new))" })
        list("Quieter links:", impact.quieterLinks.map { "\($0.link) \(DiffFormat.percent($0.old)) → \(DiffFormat.percent($0.new))" })
        list("Busier cells:", impact.busierCells.map { "\($0.cell) \($0.text)" })
        list("Quieter cells:", impact.quieterCells.map { "\($0.cell) \($0.text)" })
        if impact.violations.isEmpty && impact.resolved.isEmpty {
            list("Violations:", [])
        } else {
            out.append("  Violations:")
            for v in impact.violations {
                let tag = v.isNew ? style.removed("! new    ") : "! still  "
                out.append("    \(tag)\(v.message)")
            }
            for v in impact.resolved { out.append("    " + style.added("✓ fixed  ") + v.message) }
        }
        return out
    }

    private func utilisationText(_ u: Change<Double>) -> String? {
        switch (u.old, u.new) {
        case let (o?, n?):
            abs(n - o) < 0.0005 ? "\(DiffFormat.percent(n)) (unchanged)" : "\(DiffFormat.percent(o)) → \(DiffFormat.percent(n))  (\(DiffFormat.points(from: o, to: n)))"
        case let (nil, n?): DiffFormat.percent(n)
        case let (o?, nil): DiffFormat.percent(o)
        default: nil
        }
    }

    /// A cell's utilisation line; a side without blocks says so with its load, not a percentage
    /// (and no percentage points to it).
    private func cellUtilisationText(_ u: Change<Double>, without: Change<Double>) -> String? {
        guard without.old != nil || without.new != nil else { return utilisationText(u) }
        func side(_ u: Double?, _ w: Double?) -> String? { w.map(DiffFormat.noBlocks) ?? u.map(DiffFormat.percent) }
        switch (side(u.old, without.old), side(u.new, without.new)) {
        case let (o?, n?): return "\(o) → \(n)"
        case let (o, n): return o ?? n
        }
    }

    /// Two values of a provenance field, digests cut to 12 hex digits, or longer where the two
    /// agree that far: two digests differing past the 12th printed as "X → X" (an audit).
    static func shortened(_ old: String?, _ new: String?) -> (String, String) {
        var keep = 19  // "sha256:" and 12 hex digits
        if let old, let new, old != new, old.hasPrefix("sha256:"), new.hasPrefix("sha256:") {
            let common = zip(old, new).prefix { $0 == $1 }.count
            keep = max(keep, common + 1)
        }
        func short(_ s: String?) -> String {
            guard let s else { return "none" }
            if s.hasPrefix("sha256:") && s.count > keep { return String(s.prefix(keep)) + "…" }
            return s
        }
        return (short(old), short(new))
    }

    /// `forecast P90 620 Mbit/s (was 500 Mbit/s), point 420 Mbit/s, SE 5.2 bit/s/Hz — source`.
    static func evidence(_ f: ForecastRef, previous: ForecastRef?) -> String {
        var s = "forecast P90 \(DiffFormat.rate(f.upper))"
        if let previous, abs(previous.upper - f.upper) > 0.5 { s += " (was \(DiffFormat.rate(previous.upper)))" }
        s += ", point \(DiffFormat.rate(f.point))"
        if let se = f.spectralEfficiency { s += ", SE \(DiffFormat.trimmed(se, decimals: 2)) bit/s/Hz" }
        return s + " — \(f.source)"
    }
}

extension CellUtilisationShift {
    /// `79.5% → 43.4%`, a side without blocks as `no blocks for 60 Mbit/s of demand`.
    var text: String {
        func side(_ u: Double?, _ w: Double?) -> String { w.map(DiffFormat.noBlocks) ?? u.map(DiffFormat.percent) ?? "n/a" }
        return "\(side(old, loadWithoutBlocks?.old)) → \(side(new, loadWithoutBlocks?.new))"
    }
}
