public import FlowcastPolicy
internal import FlowcastTopology
/// Compares two policy documents by identity: cells by id, demands by id and their paths by link
/// sequence, links by id. Never textual, so key order and array order never show as a change.
public struct PolicyDiffer: Sendable {
    public var options: DiffOptions

    public init(options: DiffOptions = DiffOptions()) { self.options = options }

    /// The semantic difference from `old` to `new`.
    public func diff(_ old: PolicyDocument, _ new: PolicyDocument) -> PolicyDiff {
        var hidden = HiddenChanges()
        var unchanged = 0
        let basis = Self.reasonBasis(old, new)
        var hiddenCells: Set<String> = []
        // A change under a threshold is shown after all where NEW breaks a constraint OLD kept on
        // that cell, link or demand (or, for a demand, on a link of its paths): the change that
        // made the overload is never the one hidden.
        let constraints = violations(new, comparedWith: old)
        var newlyBroken = Set(constraints.filter(\.isNew).map(\.subject))
        // Two neighbours newly sharing a block: the subject is the pair, and the reallocation of
        // either cell (the move that made them share) is never hidden. An audit hid a cell's
        // one-block move under --min-blocks 5 and read "No plan changes, but NEW breaks 2
        // constraints".
        let newlyShared = Set(constraints.filter { $0.isNew && $0.kind == .neighboursShareBlock }.map(\.subject))
        if !newlyShared.isEmpty {
            for c in new.spectrum.cells {
                for nid in c.neighbours where newlyShared.contains("\(c.id)+\(nid)") { newlyBroken.insert(c.id); newlyBroken.insert(nid) }
            }
        }
        let settings = settingChanges(old, new)
        let withSettings = Set(settings.map { $0.kind + "/" + $0.id })
        let cells = diffCells(old, new, basis: basis, hidden: &hidden, hiddenCells: &hiddenCells, unchanged: &unchanged, keep: newlyBroken,
                              withSettings: withSettings)
        let demands = diffDemands(old, new, basis: basis, hidden: &hidden, unchanged: &unchanged, keep: newlyBroken,
                                  withSettings: withSettings)
        let links = diffLinks(old, new, hidden: &hidden, keep: newlyBroken)
        let cellShifts = cellUtilisationShifts(old, new, hidden: hiddenCells, hiddenShifts: &hidden.cellUtilisations)
        let impact = Impact(
            spectrumGained: spectrumShifts(cells).filter { $0.blocks > 0 || ($0.blocks == 0 && $0.mhz > 0) }
                .sorted { ($0.blocks, $0.mhz, Natural($1.cell)) > ($1.blocks, $1.mhz, Natural($0.cell)) },
            spectrumLost: spectrumShifts(cells).filter { $0.blocks < 0 || ($0.blocks == 0 && $0.mhz < 0) }
                .sorted { ($0.blocks, $0.mhz, Natural($0.cell)) < ($1.blocks, $1.mhz, Natural($1.cell)) },
            busierLinks: utilisationShifts(links).filter { $0.new > $0.old }
                .sorted { ($0.new - $0.old, Natural($1.link)) > ($1.new - $1.old, Natural($0.link)) },
            quieterLinks: utilisationShifts(links).filter { $0.new < $0.old }
                .sorted { ($0.new - $0.old, Natural($0.link)) < ($1.new - $1.old, Natural($1.link)) },
            busierCells: cellShifts.filter { $0.rise > 0 }
                .sorted { ($0.rise, Natural($1.cell)) > ($1.rise, Natural($0.cell)) },
            quieterCells: cellShifts.filter { $0.rise < 0 }
                .sorted { ($0.rise, Natural($0.cell)) < ($1.rise, Natural($1.cell)) },
            violations: constraints, resolved: resolvedViolations(old, new, newConstraints: constraints),
            spectrumRetuned: spectrumRetunes(cells))
        return PolicyDiff(cells: cells, demands: demands, links: links, unchanged: unchanged,
                          peakLink: Change(old: Self.peakLink(old), new: Self.peakLink(new)),
                          peakCell: Change(old: Self.peakCell(old), new: Self.peakCell(new)),
                          hidden: hidden, impact: impact, provenance: provenanceChanges(old.provenance, new.provenance),
                          settings: settings, cellsWithoutBlocks: Change(old: Self.cellsWithoutBlocks(old), new: Self.cellsWithoutBlocks(new)))
    }

    // MARK: Settings

    /// What an exporter deploys besides blocks and weights, compared for cells and demands on
    /// both sides. A reviewer told "No changes" shipped another carrier (NRCellDU `arfcnDL`), next
    /// hop (`ip route`), cell identity or slice (A1 scope) until 6 December 2026. A cell's carriers
    /// and bandwidth are compared only where its band and blocks are the same (otherwise the cell's
    /// own change shows them).
    func settingChanges(_ old: PolicyDocument, _ new: PolicyDocument) -> [SettingChange] {
        var out: [SettingChange] = []
        func compare(_ kind: String, _ id: String, _ field: String, _ a: String?, _ b: String?) {
            if a != b { out.append(SettingChange(kind: kind, id: id, field: field, old: a, new: b)) }
        }
        func carriers(_ c: CellDecision) -> String {
            c.carriersMHz.map { $0.map { DiffFormat.trimmed($0, decimals: 3) }.joined(separator: "-") }.joined(separator: ", ")
        }
        func slice(_ s: SliceRef?) -> String? { s.map { "sst \($0.sst)" + ($0.sd.map { " sd \($0)" } ?? "") } }
        let cellsBefore = keyed(old.spectrum.cells, by: \.id), cellsAfter = keyed(new.spectrum.cells, by: \.id)
        for id in sortedUnion(cellsBefore.keys, cellsAfter.keys) {
            guard let o = cellsBefore[id], let n = cellsAfter[id] else { continue }
            if o.band == n.band && o.blocks.sorted() == n.blocks.sorted() {
                compare("cell", id, "carriersMHz", carriers(o), carriers(n))
                compare("cell", id, "bandwidthMHz", DiffFormat.mhz(o.bandwidthMHz), DiffFormat.mhz(n.bandwidthMHz))
            }
            compare("cell", id, "globalId", o.globalId, n.globalId)
            compare("cell", id, "slice", slice(o.slice), slice(n.slice))
        }
        // The target the routing plans hold links under: another target moves traffic by itself.
        if let a = old.routing.targetUtilisation, let b = new.routing.targetUtilisation, a != b {
            func target(_ u: Double) -> String { u == 0 ? "0 (pure min-max)" : DiffFormat.percent(u) }
            compare("routing", "plan", "targetUtilisation", target(a), target(b))
        }
        let demandsBefore = keyed(old.routing.demands, by: \.id), demandsAfter = keyed(new.routing.demands, by: \.id)
        for id in sortedUnion(demandsBefore.keys, demandsAfter.keys) {
            guard let o = demandsBefore[id], let n = demandsAfter[id] else { continue }
            compare("demand", id, "source", o.source, n.source)
            compare("demand", id, "destination", o.destination, n.destination)
            compare("demand", id, "prefix", o.prefix, n.prefix)
            let pathsBefore = Dictionary(o.paths.map { ($0.links, $0) }, uniquingKeysWith: { a, _ in a })
            for p in n.paths {
                guard let q = pathsBefore[p.links] else { continue }
                let name = "path " + DiffFormat.path(p.links)
                compare("demand", id, name + ": nextHop", q.nextHop, p.nextHop)
                compare("demand", id, name + ": nodes", q.nodes.joined(separator: " "), p.nodes.joined(separator: " "))
            }
        }
        return out
    }

    /// The link with the highest predicted utilisation (ties: load over capacity unrounded, then the
    /// first id in natural order); nil when no link carries load.
    public static func peakLink(_ document: PolicyDocument) -> UtilisationPeak? {
        peak(document.predicted.links.map { (UtilisationPeak(id: $0.id, utilisation: $0.utilisation), exact($0.load, $0.capacity, $0.utilisation)) })
    }

    /// The cell with the highest predicted spectrum utilisation (ties as for links), of the cells
    /// with blocks: one without blocks for its load has no utilisation (`cellsWithoutBlocks`).
    public static func peakCell(_ document: PolicyDocument) -> UtilisationPeak? {
        peak(document.predicted.cells.filter { $0.loadWithoutBlocks == nil }
            .map { (UtilisationPeak(id: $0.id, utilisation: $0.utilisation), exact($0.load, $0.capacity, $0.utilisation)) })
    }

    /// The cells a document gives no blocks while they have demand, in natural order.
    public static func cellsWithoutBlocks(_ document: PolicyDocument) -> [CellWithoutBlocks] {
        var seen: Set<String> = []
        return document.predicted.cells.compactMap { c in c.loadWithoutBlocks.flatMap { seen.insert(c.id).inserted ? CellWithoutBlocks(id: c.id, load: $0) : nil } }
            .sorted { Natural($0.id) < Natural($1.id) }
    }

    /// Load over capacity before the document's rounding to four decimals: elements that round to
    /// the same utilisation (all 0.0001 on a lightly loaded network) are told apart by it, so the
    /// one named busiest is.
    private static func exact(_ load: Double, _ capacity: Double, _ rounded: Double) -> Double {
        capacity > 0 && load.isFinite ? load / capacity : rounded
    }

    /// The busiest, or nil when none carries load (its utilisation 0, as shown): every element
    /// ties there, and naming the first (`{"id": "l-agg1-agg2", "utilisation": 0}` in the JSON)
    /// called an arbitrary one the busiest where the text says "0.0% (no load)".
    private static func peak(_ all: [(peak: UtilisationPeak, exact: Double)]) -> UtilisationPeak? {
        all.min { ($1.peak.utilisation, $1.exact, Natural($0.peak.id)) < ($0.peak.utilisation, $0.exact, Natural($1.peak.id)) }
            .flatMap { $0.peak.utilisation > 0 ? $0.peak : nil }
    }

    /// Which policy each side's reasons compare with. A planner writes "no change" against the
    /// policy in force before its window; that is OLD only when OLD's window ends where NEW's
    /// begins. Two plans of one window (a what-if) both compare with the policy before it.
    static func reasonBasis(_ old: PolicyDocument, _ new: PolicyDocument) -> (new: String, old: String) {
        // Documents since 7 December 2026 name the policy they were planned against: no guess.
        if let planned = new.provenance.currentDigest, let oldDigest = try? Provenance.digest(old.jsonData()) {
            return (planned == oldDigest ? "OLD" : "the policy before NEW, not OLD", "the policy before OLD")
        }
        // Without it (planned with no current policy, or written before): guessed from the windows.
        let oldStart = old.provenance.window.flatMap { RunData.epoch($0.start) }, oldEnd = old.provenance.window.flatMap { RunData.epoch($0.end) }
        let newStart = new.provenance.window.flatMap { RunData.epoch($0.start) }
        guard let oldStart, let oldEnd, let newStart else { return ("the policy before NEW", "the policy before OLD") }
        if oldStart == newStart { return ("the policy before this window", "the policy before this window") }
        return (oldEnd == newStart ? "OLD" : "the policy before NEW, not OLD", "the policy before OLD")
    }

    /// Documents hold numbers to four decimals; their differences carry binary rounding
    /// (0.09 − 0.07 = 0.01999…). A difference within this of a threshold counts as at it.
    static let slack = 1e-9

    // MARK: Cells

    private func diffCells(_ old: PolicyDocument, _ new: PolicyDocument, basis: (new: String, old: String), hidden: inout HiddenChanges,
                           hiddenCells: inout Set<String>,
                           unchanged: inout Int, keep: Set<String>, withSettings: Set<String>) -> [CellChange] {
        let before = keyed(old.spectrum.cells, by: \.id), after = keyed(new.spectrum.cells, by: \.id)
        let useBefore = keyed(old.predicted.cells, by: \.id), useAfter = keyed(new.predicted.cells, by: \.id)
        var out: [CellChange] = []
        for id in sortedUnion(before.keys, after.keys) {
            let o = before[id], n = after[id]
            let oldBlocks = Set(o?.blocks ?? []), newBlocks = Set(n?.blocks ?? [])
            let sameBand = o?.band == n?.band
            let gained = sameBand ? newBlocks.subtracting(oldBlocks).count : newBlocks.count
            let lost = sameBand ? oldBlocks.subtracting(newBlocks).count : oldBlocks.count
            let action: ChangeAction
            switch (o, n) {
            case (nil, _): action = .added
            case (_, nil): action = .removed
            default:
                if gained + lost == 0 {
                    if !withSettings.contains("cell/" + id) { unchanged += 1 }  // else listed under Settings
                    continue
                }
                if gained + lost < options.minBlocks && !keep.contains(id) { hidden.cells += 1; hiddenCells.insert(id); continue }
                action = .changed
            }
            let evidence = n ?? o!
            out.append(CellChange(
                id: id, action: action, band: Change(old: o?.band, new: n?.band),
                blocks: Change(old: o.map { $0.blocks.sorted() }, new: n.map { $0.blocks.sorted() }),
                bandwidthMHz: Change(old: o?.bandwidthMHz, new: n?.bandwidthMHz),
                utilisation: Change(old: o == nil ? nil : useBefore[id]?.knownUtilisation,
                                    new: n == nil ? nil : useAfter[id]?.knownUtilisation),
                blocksGained: gained, blocksLost: lost, forecast: evidence.forecast,
                previousForecast: n == nil ? nil : o?.forecast, reason: evidence.reason,
                reasonComparedWith: n == nil ? basis.old : basis.new,
                loadWithoutBlocks: Change(old: o == nil ? nil : useBefore[id]?.loadWithoutBlocks,
                                          new: n == nil ? nil : useAfter[id]?.loadWithoutBlocks)))
        }
        return out
    }

    /// Cells with other blocks but as many, and as many MHz: the net lists above leave them out,
    /// so a diff that retunes every cell read "Spectrum gained: none, lost: none".
    private func spectrumRetunes(_ cells: [CellChange]) -> [SpectrumRetune] {
        cells.compactMap { c -> SpectrumRetune? in
            // Another band with the same block numbers is a retune too: every block is new.
            guard let old = c.blocks.old, let new = c.blocks.new, old.count == new.count, old != new || c.band.old != c.band.new,
                  Self.round((c.bandwidthMHz.new ?? 0) - (c.bandwidthMHz.old ?? 0)) == 0 else { return nil }
            return SpectrumRetune(cell: c.id, blocksMoved: c.blocksGained)
        }.sorted { ($0.blocksMoved, Natural($1.cell)) > ($1.blocksMoved, Natural($0.cell)) }
    }

    private func spectrumShifts(_ cells: [CellChange]) -> [SpectrumShift] {
        cells.map {
            SpectrumShift(cell: $0.id, blocks: ($0.blocks.new?.count ?? 0) - ($0.blocks.old?.count ?? 0),
                          mhz: Self.round(($0.bandwidthMHz.new ?? 0) - ($0.bandwidthMHz.old ?? 0)))
        }
    }

    // MARK: Demands

    private func diffDemands(_ old: PolicyDocument, _ new: PolicyDocument, basis: (new: String, old: String), hidden: inout HiddenChanges,
                             unchanged: inout Int, keep: Set<String>, withSettings: Set<String>) -> [DemandChange] {
        let before = keyed(old.routing.demands, by: \.id), after = keyed(new.routing.demands, by: \.id)
        var out: [DemandChange] = []
        for id in sortedUnion(before.keys, after.keys) {
            let o = before[id], n = after[id]
            let oldPaths = weights(o), newPaths = weights(n)
            var paths: [PathChange] = []
            var moved = 0.0, changed = false, oldTotal = 0.0, newTotal = 0.0
            let tolerance = options.weightTolerance + Self.slack
            for key in Set(oldPaths.keys).union(newPaths.keys) {
                let ow = oldPaths[key], nw = newPaths[key]
                let delta = (nw ?? 0) - (ow ?? 0)
                moved += abs(delta)
                oldTotal += ow ?? 0; newTotal += nw ?? 0
                if abs(delta) > tolerance { changed = true }
                if max(ow ?? 0, nw ?? 0) > tolerance || abs(delta) > tolerance {
                    // A side on which the demand does not list the path has no weight (JSON: no key), so
                    // a path the new plan dropped reads "path removed", not as one it merely emptied.
                    paths.append(PathChange(links: key, weight: Change(old: ow, new: nw)))
                }
            }
            paths.sort {
                let a = max($0.weight.old ?? 0, $0.weight.new ?? 0), b = max($1.weight.old ?? 0, $1.weight.new ?? 0)
                return a != b ? a > b : $0.links.lexicographicallyPrecedes($1.links) { Natural($0) < Natural($1) }
            }
            let action: ChangeAction
            var unrouted: Double? = nil
            switch (o, n) {
            case (nil, _): action = .added; moved = 1
            case (_, nil): action = .removed; moved = 1
            default:
                // What leaves one path for another; a change in the total is traffic dropped (or
                // added), not moved.
                let dropped = oldTotal - newTotal
                moved = Self.round(max(0, moved - abs(dropped)) / 2)
                if abs(dropped) > tolerance { unrouted = Self.round(dropped) }
                if !changed {
                    if !withSettings.contains("demand/" + id) { unchanged += 1 }  // else listed under Settings
                    continue
                }
                // Traffic moved onto a link NEW newly overloads.
                let onBrokenLink = newPaths.contains { key, w in w > (oldPaths[key] ?? 0) + options.weightTolerance && key.contains(where: keep.contains) }
                if max(moved, abs(unrouted ?? 0)) < options.minWeightChange - Self.slack && !keep.contains(id) && !onBrokenLink {
                    hidden.demands += 1
                    continue
                }
                action = .changed
            }
            let evidence = n ?? o!
            out.append(DemandChange(id: id, action: action, paths: paths, moved: moved, unrouted: unrouted, forecast: evidence.forecast,
                                    previousForecast: n == nil ? nil : o?.forecast, reason: evidence.reason,
                reasonComparedWith: n == nil ? basis.old : basis.new))
        }
        return out
    }

    /// Weight per path (keyed by its link sequence); repeated paths add up.
    private func weights(_ demand: DemandDecision?) -> [[String]: Double] {
        var out: [[String]: Double] = [:]
        for p in demand?.paths ?? [] { out[p.links, default: 0] += p.weight }
        return out
    }

    // MARK: Links

    private func diffLinks(_ old: PolicyDocument, _ new: PolicyDocument, hidden: inout HiddenChanges, keep: Set<String>) -> [LinkChange] {
        let before = keyed(old.predicted.links, by: \.id), after = keyed(new.predicted.links, by: \.id)
        var out: [LinkChange] = []
        for id in sortedUnion(before.keys, after.keys) {
            let o = before[id], n = after[id]
            let action: ChangeAction
            switch (o, n) {
            case (nil, _): action = .added
            case (_, nil): action = .removed
            case let (o?, n?):
                let delta = abs(n.utilisation - o.utilisation)
                let capacityChanged = o.capacity != n.capacity
                if delta <= options.utilisationTolerance + Self.slack && !capacityChanged { continue }
                if delta < options.minUtilisationChange - Self.slack && !capacityChanged && !keep.contains(id) { hidden.links += 1; continue }
                action = .changed
            }
            out.append(LinkChange(id: id, action: action, utilisation: Change(old: o?.utilisation, new: n?.utilisation),
                                  load: Change(old: o?.load, new: n?.load), capacity: Change(old: o?.capacity, new: n?.capacity),
                                  forecastShifts: action == .changed ? forecastShifts(over: id, old, new) : nil))
        }
        return out
    }

    /// The demands over `link` (on either side) whose P90 forecast changed, by how much of it the
    /// link carries either side where that changed, the largest change first; nil for none.
    private func forecastShifts(over link: String, _ old: PolicyDocument, _ new: PolicyDocument) -> [DemandLoadShift]? {
        func through(_ d: DemandDecision) -> Double {
            d.forecast.upper * d.paths.reduce(0) { $0 + ($1.links.contains(link) ? $1.weight : 0) }
        }
        let before = keyed(old.routing.demands, by: \.id)
        var shifts: [DemandLoadShift] = []
        for n in new.routing.demands {
            guard let o = before[n.id], o.forecast.upper != n.forecast.upper else { continue }
            let was = through(o), now = through(n)
            // Only where its P90 over this link moved: a demand whose grown forecast the link does
            // not carry (its path there at weight 0.5 on one side and 0.25 on the other, say, or
            // never) is no cause of the link's change (it was named, and a reroute missed: an audit).
            guard abs(now - was) >= 0.5 else { continue }
            shifts.append(DemandLoadShift(demand: n.id, load: Change(old: was, new: now), upper: Change(old: o.forecast.upper, new: n.forecast.upper)))
        }
        shifts.sort {
            let a = abs(($0.load.new ?? 0) - ($0.load.old ?? 0)), b = abs(($1.load.new ?? 0) - ($1.load.old ?? 0))
            return a != b ? a > b : Natural($0.demand) < Natural($1.demand)
        }
        return shifts.isEmpty ? nil : shifts
    }

    /// Cells in both documents whose predicted utilisation moved by more than the tolerance and
    /// at least `minUtilisationChange` (the threshold links are held to), blocks changed or not;
    /// a cell whose reallocation `--min-blocks` hid (`hidden`, as `diffCells` decided) stays out,
    /// as hidden changes do.
    /// `hiddenShifts` counts the cells whose utilisation moved, but less than the threshold (they
    /// were left out of the impact and counted nowhere: an audit).
    private func cellUtilisationShifts(_ old: PolicyDocument, _ new: PolicyDocument, hidden: Set<String>,
                                       hiddenShifts: inout Int) -> [CellUtilisationShift] {
        let before = keyed(old.predicted.cells, by: \.id)
        return new.predicted.cells.compactMap { n in
            guard let o = before[n.id], !hidden.contains(n.id) else { return nil }
            let without = o.loadWithoutBlocks == nil && n.loadWithoutBlocks == nil ? nil : Change(old: o.loadWithoutBlocks, new: n.loadWithoutBlocks)
            switch (o.knownUtilisation, n.knownUtilisation) {
            case let (ou?, nu?):
                let delta = abs(nu - ou)
                guard delta > options.utilisationTolerance + Self.slack else { return nil }
                guard delta >= options.minUtilisationChange - Self.slack else { hiddenShifts += 1; return nil }
            case (nil, nil):
                return nil  // without blocks on both sides: no utilisation moved (its forecast shows what did)
            default:
                break  // blocks gained or lost for all of its load: more than any threshold
            }
            return CellUtilisationShift(cell: n.id, old: o.knownUtilisation, new: n.knownUtilisation, loadWithoutBlocks: without)
        }
    }

    private func utilisationShifts(_ links: [LinkChange]) -> [UtilisationShift] {
        links.compactMap { l in
            guard let o = l.utilisation.old, let n = l.utilisation.new, abs(n - o) > options.utilisationTolerance + Self.slack else {
                return nil
            }
            return UtilisationShift(link: l.id, old: o, new: n)
        }
    }

    // MARK: Constraints

    private func violations(_ document: PolicyDocument, comparedWith old: PolicyDocument) -> [ConstraintViolation] {
        let before = Set(Self.violations(of: old).map { "\($0.kind.rawValue) \($0.subject)" })
        return Self.violations(of: document).map {
            var v = $0
            v.isNew = !before.contains("\(v.kind.rawValue) \(v.subject)")
            return v
        }
    }

    /// What OLD broke and NEW no longer does. A subject NEW does not plan at all (a cell or demand
    /// removed) fixed nothing: the diff lists it as removed, not here.
    /// `newConstraints`: what NEW breaks (`violations(new, comparedWith: old)`, already made).
    private func resolvedViolations(_ old: PolicyDocument, _ new: PolicyDocument,
                                    newConstraints: [ConstraintViolation]) -> [ConstraintViolation] {
        let after = Set(newConstraints.map { "\($0.kind.rawValue) \($0.subject)" })
        let planned = Set(new.predicted.links.map(\.id) + new.predicted.cells.map(\.id) + new.spectrum.cells.map(\.id)
                          + new.routing.demands.map(\.id))
        func stillPlanned(_ subject: String) -> Bool { subject.split(separator: "+").allSatisfy { planned.contains(String($0)) } }
        return Self.violations(of: old).filter { !after.contains("\($0.kind.rawValue) \($0.subject)") && stillPlanned($0.subject) }.map {
            var v = $0
            v.isNew = false
            return v
        }
    }

    /// Every constraint a document breaks, in a stable order (kind, then subject).
    public static func violations(of document: PolicyDocument) -> [ConstraintViolation] {
        var out: [ConstraintViolation] = []
        for l in document.predicted.links where l.utilisation > 1 {
            out.append(.init(kind: .linkOverloaded, subject: l.id, message:
                "\(l.id) is predicted at \(DiffFormat.percent(l.utilisation)) of its \(DiffFormat.rate(l.capacity))", isNew: true))
        }
        let spectrum = keyed(document.spectrum.cells, by: \.id)
        for c in document.predicted.cells where c.utilisation > 1 || c.loadWithoutBlocks != nil {
            let unmet = spectrum[c.id].map { ", \(DiffFormat.rate($0.unmetDemand)) of P90 unmet" } ?? ""
            let level = c.loadWithoutBlocks.map { "has \(DiffFormat.noBlocks($0))" }
                ?? "is predicted at \(DiffFormat.percent(c.utilisation)) of its allocation"
            out.append(.init(kind: .cellOverloaded, subject: c.id, message: "\(c.id) \(level)\(unmet)", isNew: true))
        }
        for c in document.spectrum.cells where c.blocks.count < c.requiredBlocks {
            out.append(.init(kind: .cellShortOfBlocks, subject: c.id, message:
                "\(c.id) has \(c.blocks.count) blocks, its forecast needs \(c.requiredBlocks)", isNew: true))
        }
        for c in document.spectrum.cells {
            for nid in c.neighbours where Natural(c.id) < Natural(nid) {
                guard let n = spectrum[nid], n.band == c.band else { continue }
                let shared = Set(c.blocks).intersection(n.blocks).sorted()
                if !shared.isEmpty {
                    out.append(.init(kind: .neighboursShareBlock, subject: "\(c.id)+\(nid)", message:
                        "neighbours \(c.id) and \(nid) share \(c.band) blocks \(DiffFormat.blockRanges(shared))", isNew: true))
                }
            }
        }
        for split in document.partialSplits {
            out.append(.init(kind: .weightsDoNotSumToOne, subject: split.id, message:
                "\(split.id)'s path weights sum to \(DiffFormat.number(split.sum, decimals: 4)), not 1", isNew: true))
        }
        return out.sorted { ($0.kind.rawValue, Natural($0.subject)) < ($1.kind.rawValue, Natural($1.subject)) }
    }

    // MARK: Provenance

    private func provenanceChanges(_ o: Provenance, _ n: Provenance) -> [ProvenanceChange] {
        func window(_ w: PlanWindow?) -> String? { w.map { "\($0.start)/\($0.end)" } }  // ISO 8601 interval
        let fields: [(String, String?, String?)] = [
            ("inputDigest", o.inputDigest, n.inputDigest), ("topologyDigest", o.topologyDigest, n.topologyDigest),
            ("modelId", o.modelId, n.modelId), ("modelDigest", o.modelDigest, n.modelDigest),
            ("window", window(o.window), window(n.window)), ("generator", o.generator, n.generator),
        ]
        return fields.filter { $0.1 != $0.2 }.map { ProvenanceChange(field: $0.0, old: $0.1, new: $0.2) }
    }

    // MARK: Helpers

    static func round(_ x: Double) -> Double { (x * 10_000).rounded() / 10_000 }
}

/// First entry per key (a document with a duplicated id is refused when read: `checkUnique`).
func keyed<T>(_ items: [T], by key: (T) -> String) -> [String: T] {
    var out: [String: T] = [:]
    for item in items where out[key(item)] == nil { out[key(item)] = item }
    return out
}

func sortedUnion(_ a: some Sequence<String>, _ b: some Sequence<String>) -> [String] {
    Set(a).union(b).sorted { Natural($0) < Natural($1) }
}

/// Orders strings with digit runs compared as numbers, so `cell-2` sorts before `cell-10`.
struct Natural: Comparable {
    let text: String
    init(_ text: String) { self.text = text }

    static func < (lhs: Natural, rhs: Natural) -> Bool {
        let a = chunks(lhs.text), b = chunks(rhs.text)
        for (x, y) in zip(a, b) where x != y {
            switch (UInt64(x), UInt64(y)) {
            case let (i?, j?) where i != j: return i < j
            default: return x < y
            }
        }
        return a.count != b.count ? a.count < b.count : lhs.text < rhs.text
    }

    private static func chunks(_ s: String) -> [String] {
        var out: [String] = [], current = "", digits = false
        for ch in s {
            let isDigit = ch.isASCII && ch.isNumber
            if !current.isEmpty && isDigit != digits { out.append(current); current = "" }
            current.append(ch)
            digits = isDigit
        }
        if !current.isEmpty { out.append(current) }
        return out
    }
}
