internal import FlowcastPolicy
internal import FlowcastTopology
import Foundation

extension PolicyComparison {
    /// Markdown for a pull-request comment: the plan line in bold, one table per kind of change,
    /// the evidence behind each change in a collapsed block, then the impact.
    public func markdown() -> String {
        var out: [String] = []
        if !isFolder, let diff = files.first?.diff {
            out.append("### Policy diff: \(DiffFormat.markdownCode(DiffFormat.visible(old))) → \(DiffFormat.markdownCode(DiffFormat.visible(new)))")
            out.append(contentsOf: diff.markdownLines(options: options))
            return out.joined(separator: "\n") + "\n"
        }
        out.append("### Policy diff: \(DiffFormat.markdownCode(DiffFormat.visible(old) + "/")) → \(DiffFormat.markdownCode(DiffFormat.visible(new) + "/"))")
        out.append("")
        out.append("| | File | Status |")
        out.append("|---|---|---|")
        for f in files {
            let symbol = switch f.status { case .added: "+"; case .removed: "-"; case .changed: "~"; case .unchanged: "=" }
            let detail = f.cells.map { " (\($0) cells, \(f.demands ?? 0) demands)" } ?? ""
            let code = DiffFormat.markdownCode(DiffFormat.visible(f.name ?? ""), inTable: true)
            let link = f.status == .changed ? "[\(code)](#\(anchor(f.name ?? "")))" : code
            out.append("| \(symbol) | \(link) | \(f.status.rawValue)\(detail) |")
        }
        for f in files where f.status == .changed {
            out.append("")
            out.append("#### \(DiffFormat.markdownText(DiffFormat.visible(f.name ?? "")))")
            out.append(contentsOf: f.diff?.markdownLines(options: options) ?? [])
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// GitHub's heading anchor for a file name heading: lower case, spaces as hyphens, other
    /// punctuation dropped (the heading is escaped, so its text is the name itself).
    private func anchor(_ name: String) -> String {
        String(name.lowercased().compactMap { $0 == " " ? "-" : ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : nil })
    }
}

extension PolicyDiff {
    func markdownLines(options: DiffOptions) -> [String] {
        var out = ["", "**\(DiffFormat.markdownText(headline + summaryLine))**"]
        if let hidden = hiddenLine(options: options) { out.append(""); out.append("_\(hidden)_") }
        // A side without blocks for its load has no utilisation: it says so.
        func use(_ u: Double?, _ without: Double?) -> String? { without.map(DiffFormat.noBlocks) ?? u.map(DiffFormat.percent) }
        if !cells.isEmpty {
            out += ["", "| | Cell | Band | Blocks | Bandwidth | Predicted utilisation | Blocks gained / lost |", "|---|---|---|---|---|---|---|"]
            for c in cells {
                out.append("| \(c.action.symbol) | \(cellText(c.id)) | \(arrow(c.band.old, c.band.new)) | "
                    + "\(arrow(c.blocks.old.map(DiffFormat.blockRanges), c.blocks.new.map(DiffFormat.blockRanges))) | "
                    + "\(arrow(c.bandwidthMHz.old.map(DiffFormat.mhz), c.bandwidthMHz.new.map(DiffFormat.mhz))) | "
                    + "\(arrow(use(c.utilisation.old, c.loadWithoutBlocks?.old), use(c.utilisation.new, c.loadWithoutBlocks?.new))) | "
                    + "+\(c.blocksGained) / -\(c.blocksLost) |")
            }
        }
        if !demands.isEmpty {
            out += ["", "| | Demand | Path | Weight | Change |", "|---|---|---|---|---|"]
            for d in demands {
                for (i, p) in d.paths.enumerated() {
                    let first = i == 0
                    let change = d.action == .changed ? (abs(p.delta) >= 0.0005 ? DiffFormat.points(from: p.weight.old ?? 0, to: p.weight.new ?? 0) : "") : ""
                    let moved = first && d.action == .changed ? " (\(d.changeText(moved: "moved")))" : ""
                    out.append("| \(first ? d.action.symbol : "") | \(first ? cellText(d.id) + moved : "") | "
                        + "\(cellText(DiffFormat.path(p.links))) | "
                        + "\(arrow(p.weight.old.map(DiffFormat.percent), p.weight.new.map(DiffFormat.percent)))\(pathTag(p, d.action)) | \(change) |")
                }
                if d.paths.isEmpty { out.append("| \(d.action.symbol) | \(cellText(d.id)) | | | |") }
            }
        }
        if !links.isEmpty {
            out += ["", "| | Link | Predicted utilisation | Change | Capacity |", "|---|---|---|---|---|"]
            for l in links {
                let change = (l.utilisation.old).flatMap { o in l.utilisation.new.map { DiffFormat.points(from: o, to: $0) } } ?? ""
                // What moved it, when a demand's forecast did: in the change's cell.
                let cause = l.forecastShifts.map { "; forecast: " + DiffFormat.markdownText(PolicyDiff.forecastShiftText($0)) } ?? ""
                out.append("| \(l.action.symbol) | \(cellText(l.id)) | "
                    + "\(arrow(l.utilisation.old.map(DiffFormat.percent), l.utilisation.new.map(DiffFormat.percent))) | \(change)\(cause) | "
                    + "\(arrow(l.capacity.old.map(DiffFormat.rate), l.capacity.new.map(DiffFormat.rate))) |")
            }
        }
        if !settings.isEmpty {
            out += ["", "| | Setting of | Field | Old | New |", "|---|---|---|---|---|"]
            for c in settings {
                out.append("| ~ | \(c.kind) \(cellText(c.id)) | \(cellText(c.field)) | \(cellText(c.old ?? "none")) | \(cellText(c.new ?? "none")) |")
            }
        }
        if !cells.isEmpty || !demands.isEmpty {
            out += ["", "<details><summary>Why: forecasts and reasons</summary>", ""]
            for c in cells {
                out.append("- \(DiffFormat.markdownCode("\(c.action.symbol) \(c.id)")): \(DiffFormat.markdownText(Self.evidence(c.forecast, previous: c.previousForecast))). "
                    + "Reason (vs \(c.reasonComparedWith)): \(DiffFormat.markdownText(c.reason))")
            }
            for d in demands {
                out.append("- \(DiffFormat.markdownCode("\(d.action.symbol) \(d.id)")): \(DiffFormat.markdownText(Self.evidence(d.forecast, previous: d.previousForecast))). "
                    + "Reason (vs \(d.reasonComparedWith)): \(DiffFormat.markdownText(d.reason))")
            }
            out += ["", "</details>"]
        }
        if !provenance.isEmpty {
            out += ["", "Inputs: " + provenance.map { "`\($0.field)` \(DiffFormat.markdownText($0.old ?? "none")) → \(DiffFormat.markdownText($0.new ?? "none"))" }.joined(separator: "; ")]
        }
        out += ["", "**Impact**", ""]
        func item(_ label: String, _ items: [String]) { out.append("- \(label): " + (items.isEmpty ? "none" : items.joined(separator: ", "))) }
        item("Spectrum gained", impact.spectrumGained.map { "\(DiffFormat.markdownCode($0.cell)) +\(DiffFormat.blocks($0.blocks)) (\(DiffFormat.signedMHz($0.mhz)))" })
        item("Spectrum lost", impact.spectrumLost.map { "\(DiffFormat.markdownCode($0.cell)) -\(DiffFormat.blocks(-$0.blocks)) (\(DiffFormat.signedMHz($0.mhz)))" })
        if !impact.spectrumRetuned.isEmpty {
            item("Retuned cells", impact.spectrumRetuned.map { "\(DiffFormat.markdownCode($0.cell)) \(DiffFormat.blocks($0.blocksMoved)) moved" })
        }
        item("Busier links", impact.busierLinks.map { "\(DiffFormat.markdownCode($0.link)) \(DiffFormat.percent($0.old)) → \(DiffFormat.percent($0.new))" })
        item("Quieter links", impact.quieterLinks.map { "\(DiffFormat.markdownCode($0.link)) \(DiffFormat.percent($0.old)) → \(DiffFormat.percent($0.new))" })
        item("Busier cells", impact.busierCells.map { "\(DiffFormat.markdownCode($0.cell)) \($0.text)" })
        item("Quieter cells", impact.quieterCells.map { "\(DiffFormat.markdownCode($0.cell)) \($0.text)" })
        if impact.violations.isEmpty && impact.resolved.isEmpty {
            item("Constraint violations", [])
        } else {
            out.append("- Constraint violations:")
            for v in impact.violations { out.append("  - \(v.isNew ? "**new**" : "still"): \(cellText(v.message))") }
            for v in impact.resolved { out.append("  - fixed: \(cellText(v.message))") }
        }
        return out
    }

    /// For a demand in both documents, a path only one of them lists (the text's tags).
    private func pathTag(_ p: PathChange, _ action: ChangeAction) -> String {
        guard action == .changed else { return "" }
        return p.weight.old == nil ? " (new path)" : p.weight.new == nil ? " (path removed)" : ""
    }

    private func arrow(_ old: String?, _ new: String?) -> String {
        switch (old, new) {
        case let (o?, n?): o == n ? cellText(n) : "\(cellText(o)) → \(cellText(n))"
        case let (nil, n?): cellText(n)
        case let (o?, nil): "~~\(cellText(o))~~"
        default: ""
        }
    }

    /// Text from a policy (ids, reasons, messages) in a table cell or a list: escaped.
    private func cellText(_ s: String) -> String { DiffFormat.markdownText(s) }
}
