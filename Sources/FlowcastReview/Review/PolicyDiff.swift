public import FlowcastPolicy
internal import FlowcastTopology
/// The semantic difference between two policy documents, keyed by cell, demand and link id.
///
/// Built by `PolicyDiffer`; rendered as text, Markdown or JSON by the `PolicyComparison` extensions. Entries are
/// sorted by id (numbers inside ids compare as numbers), so neither document's order shows.
public struct PolicyDiff: Codable, Hashable, Sendable {
    /// Version of the JSON rendering; bump on incompatible change.
    public static let formatVersion = 2

    /// Cells whose spectrum changed, appeared or disappeared (visible ones only).
    public var cells: [CellChange]
    /// Demands whose split changed, appeared or disappeared (visible ones only).
    public var demands: [DemandChange]
    /// Links whose predicted utilisation changed, appeared or disappeared (visible ones only).
    public var links: [LinkChange]
    /// Cells and demands present in both documents with no change (hidden ones not included).
    public var unchanged: Int
    /// The link with the highest predicted utilisation, old → new (a link's load over its capacity).
    public var peakLink: Change<UtilisationPeak>
    /// The cell with the highest predicted spectrum utilisation, old → new (its load over its
    /// allocation's capacity): a different measure from a link's, so never mixed with it.
    public var peakCell: Change<UtilisationPeak>
    /// Cells a side plans no blocks for while they have demand, with that demand (bit/s), in
    /// natural order: they have no utilisation, so `peakCell` is over the other cells and these
    /// are said beside it (both sides always present, empty when there are none).
    public var cellsWithoutBlocks: Change<[CellWithoutBlocks]>
    /// Changes left out because they are below a threshold.
    public var hidden: HiddenChanges
    public var impact: Impact
    /// Provenance fields that differ (not decisions, so they never make documents "different").
    public var provenance: [ProvenanceChange]
    /// What the exporters deploy that changed where the blocks or the split did not: a cell's
    /// carriers, bandwidth, global identity or slice, a demand's endpoints or prefix, a path's
    /// next hop or nodes. Never hidden by a threshold.
    public var settings: [SettingChange]

    public init(cells: [CellChange], demands: [DemandChange], links: [LinkChange], unchanged: Int,
                peakLink: Change<UtilisationPeak>, peakCell: Change<UtilisationPeak>, hidden: HiddenChanges, impact: Impact,
                provenance: [ProvenanceChange], settings: [SettingChange] = [],
                cellsWithoutBlocks: Change<[CellWithoutBlocks]> = Change(old: [], new: [])) {
        self.settings = settings
        self.cellsWithoutBlocks = cellsWithoutBlocks
        self.cells = cells
        self.demands = demands
        self.links = links
        self.unchanged = unchanged
        self.peakLink = peakLink
        self.peakCell = peakCell
        self.hidden = hidden
        self.impact = impact
        self.provenance = provenance
    }

    /// True when no visible change remains (hidden changes do not count) and NEW breaks no
    /// constraint OLD kept: a new overload is never hidden, even when the plan itself is the same
    /// (the blocks and weights kept, the forecast grown past them). A cell whose predicted
    /// utilisation moved past the threshold is a change, as a link's is (it read "No changes."
    /// beside "Busier cells: cell-5 63.7% → 74.2%", exit status 0: an audit).
    public var isEmpty: Bool { planUnchanged && newViolations == 0 && cellsShifted == 0 }

    /// No cell, demand, link or setting change is shown (hidden ones do not count).
    public var planUnchanged: Bool { cells.isEmpty && demands.isEmpty && links.isEmpty && settings.isEmpty }

    /// Constraints NEW breaks that OLD did not.
    public var newViolations: Int { impact.violations.filter(\.isNew).count }

    /// Cells whose predicted utilisation moved past the threshold (in the impact's lists).
    public var cellsShifted: Int { impact.busierCells.count + impact.quieterCells.count }

    /// What heads the plan line: "No changes. " for equal documents; for a plan kept as it was
    /// while its forecast now breaks a constraint, or moved cells' utilisation, says so; empty
    /// otherwise.
    public var headline: String {
        guard planUnchanged else { return "" }
        let n = newViolations, k = cellsShifted
        if n > 0 { return "No plan changes, but NEW breaks \(n) constraint\(n == 1 ? "" : "s") OLD did not. " }
        if k > 0 { return "No plan changes, but the forecast moves \(k) cell\(k == 1 ? "'s" : "s'") predicted utilisation. " }
        // "No changes." beside a plan line whose peak read 115.4% → 153.8% (a block hidden by
        // --min-blocks) contradicted itself (an audit): say that the thresholds hid them.
        let h = hidden.total
        if h > 0 { return "No changes past the thresholds (\(h) hidden). " }
        return "No changes. "
    }

    /// Cells in both documents whose blocks changed. Until 6 December 2026 added and removed cells
    /// were counted here too: a policy that dropped every cell read "6 cells reallocated".
    public var cellsReallocated: Int { cells.count { $0.action == .changed } }
    /// Cells only in NEW, and only in OLD.
    public var cellsAdded: Int { cells.count { $0.action == .added } }
    public var cellsRemoved: Int { cells.count { $0.action == .removed } }
    /// Demands in both documents whose traffic moved between paths (added and removed ones apart,
    /// as for cells).
    public var demandsRerouted: Int { demands.count { $0.action == .changed && $0.moved > 0 } }
    /// Demands in both documents of which only the share routed changed (weights whose total
    /// moved, nothing moved between paths). Until 7 December 2026 they were counted as rerouted, and
    /// listed as "0.0% of traffic moved".
    public var demandsRoutedShareChanged: Int { demands.count { $0.action == .changed && $0.moved == 0 } }
    public var demandsAdded: Int { demands.count { $0.action == .added } }
    public var demandsRemoved: Int { demands.count { $0.action == .removed } }
    /// Cells and demands listed as changed, added or removed: what the plan decided differently.
    public var decisionsChanged: Int { cells.count + demands.count }
}

/// The busiest element of one kind in a document: its id and predicted utilisation.
public struct UtilisationPeak: Codable, Hashable, Sendable {
    public var id: String
    public var utilisation: Double

    public init(id: String, utilisation: Double) {
        self.id = id
        self.utilisation = utilisation
    }
}

/// A cell given no blocks (no capacity) while it has demand: its predicted load in bit/s.
public struct CellWithoutBlocks: Codable, Hashable, Sendable {
    public var id: String
    public var load: Double

    public init(id: String, load: Double) {
        self.id = id
        self.load = load
    }
}

/// What happened to one keyed entry.
public enum ChangeAction: String, Codable, Hashable, Sendable, CaseIterable {
    case added, removed, changed

    /// `+`, `-` or `~`, as in `terraform plan`.
    public var symbol: String {
        switch self {
        case .added: "+"
        case .removed: "-"
        case .changed: "~"
        }
    }

    /// The action seen from the other side (added ↔ removed).
    public var mirrored: ChangeAction {
        switch self {
        case .added: .removed
        case .removed: .added
        case .changed: .changed
        }
    }
}

/// An old and a new value; either is nil when the entry exists on one side only.
public struct Change<Value: Codable & Hashable & Sendable>: Codable, Hashable, Sendable {
    public var old: Value?
    public var new: Value?

    public init(old: Value?, new: Value?) {
        self.old = old
        self.new = new
    }

    /// The same change seen from the other side.
    public var mirrored: Change { Change(old: new, new: old) }
}

/// A deployed setting of a cell or demand, old → new, as text (`carriersMHz`: `3500-3600`).
public struct SettingChange: Codable, Hashable, Sendable {
    /// `cell` or `demand`.
    public var kind: String
    public var id: String
    /// The field, with the path it belongs to for a path's (`path l1 l2: nextHop`).
    public var field: String
    public var old: String?
    public var new: String?

    public init(kind: String, id: String, field: String, old: String?, new: String?) {
        self.kind = kind
        self.id = id
        self.field = field
        self.old = old
        self.new = new
    }
}

/// A cell's spectrum, old → new.
public struct CellChange: Codable, Hashable, Sendable {
    public var id: String
    public var action: ChangeAction
    public var band: Change<String>
    public var blocks: Change<[Int]>
    public var bandwidthMHz: Change<Double>
    /// Predicted utilisation of the cell's allocation (from `predicted.cells`); absent on a side
    /// where the cell has no blocks for its load (`loadWithoutBlocks` says that load instead).
    public var utilisation: Change<Double>
    /// The predicted load (bit/s) on a side where the cell has no blocks (no capacity) for it;
    /// absent on a side with capacity, and on a side without the cell (nil, and left out of the
    /// JSON, when neither side is without blocks).
    public var loadWithoutBlocks: Change<Double>?
    /// Blocks in the new allocation that were not in the old one.
    public var blocksGained: Int
    /// Blocks in the old allocation that are not in the new one.
    public var blocksLost: Int
    /// The forecast behind the new allocation (the old one's when the cell was removed).
    public var forecast: ForecastRef
    /// The forecast behind the other side's allocation, when there is one.
    public var previousForecast: ForecastRef?
    /// Why the new allocation is what it is (the old reason when removed).
    public var reason: String
    /// The policy `reason` compares with (its planner's current policy), e.g. "OLD" or
    /// "the policy before NEW, not OLD": a reason's "no change" is relative to that policy only.
    public var reasonComparedWith: String

    public init(id: String, action: ChangeAction, band: Change<String>, blocks: Change<[Int]>, bandwidthMHz: Change<Double>,
                utilisation: Change<Double>, blocksGained: Int, blocksLost: Int, forecast: ForecastRef,
                previousForecast: ForecastRef?, reason: String, reasonComparedWith: String,
                loadWithoutBlocks: Change<Double>? = nil) {
        self.loadWithoutBlocks = loadWithoutBlocks?.old == nil && loadWithoutBlocks?.new == nil ? nil : loadWithoutBlocks
        self.id = id
        self.action = action
        self.band = band
        self.blocks = blocks
        self.bandwidthMHz = bandwidthMHz
        self.utilisation = utilisation
        self.blocksGained = blocksGained
        self.blocksLost = blocksLost
        self.forecast = forecast
        self.previousForecast = previousForecast
        self.reason = reason
        self.reasonComparedWith = reasonComparedWith
    }

    /// Size of the change: blocks retuned (gained plus lost).
    public var blocksChanged: Int { blocksGained + blocksLost }
}

/// A demand's split over paths, old → new.
public struct DemandChange: Codable, Hashable, Sendable {
    public var id: String
    public var action: ChangeAction
    /// Every path carrying traffic on either side, busiest first.
    public var paths: [PathChange]
    /// Share of the demand's traffic that moves to another path, 0…1: half the sum of |Δweight|
    /// less the change in their total, which is not a move.
    public var moved: Double
    /// Share of the demand's traffic NEW routes no longer (its weights' total fell; negative when
    /// it rose), only where the totals differ: weights summing to 0.5 read "25.0% of traffic moved"
    /// where half was dropped (an audit). The violation names the bad sum too.
    public var unrouted: Double?
    public var forecast: ForecastRef
    public var previousForecast: ForecastRef?
    public var reason: String
    /// The policy `reason` compares with (see `CellChange.reasonComparedWith`).
    public var reasonComparedWith: String

    public init(id: String, action: ChangeAction, paths: [PathChange], moved: Double, unrouted: Double? = nil, forecast: ForecastRef,
                previousForecast: ForecastRef?, reason: String, reasonComparedWith: String) {
        self.id = id
        self.action = action
        self.paths = paths
        self.moved = moved
        self.unrouted = unrouted
        self.forecast = forecast
        self.previousForecast = previousForecast
        self.reason = reason
        self.reasonComparedWith = reasonComparedWith
    }
}

/// One path's share of a demand, old → new (nil on a side whose demand does not list the path).
public struct PathChange: Codable, Hashable, Sendable {
    /// Link ids from source to destination; the path's identity.
    public var links: [String]
    public var weight: Change<Double>

    public init(links: [String], weight: Change<Double>) {
        self.links = links
        self.weight = weight
    }

    /// New minus old weight, absent sides counting as 0.
    public var delta: Double { (weight.new ?? 0) - (weight.old ?? 0) }
}

/// A link's predicted load, old → new.
public struct LinkChange: Codable, Hashable, Sendable {
    public var id: String
    public var action: ChangeAction
    public var utilisation: Change<Double>
    /// bit/s in the busier direction.
    public var load: Change<Double>
    public var capacity: Change<Double>
    /// Demands over the link whose forecast changed and whose P90 through it (P90 × the weight of
    /// their paths over the link) changed with it, either side, the largest change first (the text
    /// shows three and says how many more); absent when none. A link newly at 122.8 % with "0 demands rerouted" and no demand named left a reviewer
    /// without its cause (an audit: one demand's P90 five times larger).
    public var forecastShifts: [DemandLoadShift]?

    public init(id: String, action: ChangeAction, utilisation: Change<Double>, load: Change<Double>, capacity: Change<Double>,
                forecastShifts: [DemandLoadShift]? = nil) {
        self.id = id
        self.action = action
        self.utilisation = utilisation
        self.load = load
        self.capacity = capacity
        self.forecastShifts = forecastShifts
    }
}

/// A demand's P90 over one link, old → new, and its whole P90 either side.
public struct DemandLoadShift: Codable, Hashable, Sendable {
    public var demand: String
    /// bit/s of the demand's P90 the link carries.
    public var load: Change<Double>
    /// The demand's P90 forecast, bit/s.
    public var upper: Change<Double>

    public init(demand: String, load: Change<Double>, upper: Change<Double>) {
        self.demand = demand; self.load = load; self.upper = upper
    }
}

/// How many changes each threshold hid.
public struct HiddenChanges: Codable, Hashable, Sendable {
    /// Demands whose moved share is below `--min-weight-change`.
    public var demands: Int
    /// Cells with fewer retuned blocks than `--min-blocks`.
    public var cells: Int
    /// Links whose utilisation moved less than `--min-utilisation-change`.
    public var links: Int
    /// Cells (their blocks unchanged or hidden) whose predicted utilisation moved less than
    /// `--min-utilisation-change`, left out of the impact.
    public var cellUtilisations: Int

    public init(demands: Int = 0, cells: Int = 0, links: Int = 0, cellUtilisations: Int = 0) {
        self.demands = demands
        self.cells = cells
        self.links = links
        self.cellUtilisations = cellUtilisations
    }

    public var total: Int { demands + cells + links + cellUtilisations }
}

/// What the change does to the network.
public struct Impact: Codable, Hashable, Sendable {
    /// Cells with more spectrum than before, most gained first.
    public var spectrumGained: [SpectrumShift]
    /// Cells with less spectrum than before, most lost first.
    public var spectrumLost: [SpectrumShift]
    /// Cells with as much spectrum as before on other blocks (a retune: in neither list above),
    /// most blocks moved first.
    public var spectrumRetuned: [SpectrumRetune]
    /// Links whose predicted utilisation rises, largest rise first.
    public var busierLinks: [UtilisationShift]
    /// Links whose predicted utilisation falls, largest fall first.
    public var quieterLinks: [UtilisationShift]
    /// Cells whose predicted spectrum utilisation rises, largest rise first: with their blocks
    /// kept too (a forecast that grew), which no cell change shows.
    public var busierCells: [CellUtilisationShift]
    /// Cells whose predicted spectrum utilisation falls, largest fall first.
    public var quieterCells: [CellUtilisationShift]
    /// Constraints the new document breaks.
    public var violations: [ConstraintViolation]
    /// Constraints the old document broke and the new one no longer does.
    public var resolved: [ConstraintViolation]

    public init(spectrumGained: [SpectrumShift], spectrumLost: [SpectrumShift], busierLinks: [UtilisationShift],
                quieterLinks: [UtilisationShift], busierCells: [CellUtilisationShift] = [], quieterCells: [CellUtilisationShift] = [],
                violations: [ConstraintViolation], resolved: [ConstraintViolation] = [], spectrumRetuned: [SpectrumRetune] = []) {
        self.spectrumRetuned = spectrumRetuned
        self.busierCells = busierCells
        self.quieterCells = quieterCells
        self.resolved = resolved
        self.spectrumGained = spectrumGained
        self.spectrumLost = spectrumLost
        self.busierLinks = busierLinks
        self.quieterLinks = quieterLinks
        self.violations = violations
    }
}

/// A cell whose blocks moved with their number and bandwidth kept.
public struct SpectrumRetune: Codable, Hashable, Sendable {
    public var cell: String
    /// Blocks given up for as many new ones.
    public var blocksMoved: Int

    public init(cell: String, blocksMoved: Int) {
        self.cell = cell
        self.blocksMoved = blocksMoved
    }
}

/// A cell's net change in spectrum.
public struct SpectrumShift: Codable, Hashable, Sendable {
    public var cell: String
    /// Net block count change (positive when gained).
    public var blocks: Int
    public var mhz: Double

    public init(cell: String, blocks: Int, mhz: Double) {
        self.cell = cell
        self.blocks = blocks
        self.mhz = mhz
    }
}

/// A link's utilisation, old → new.
public struct UtilisationShift: Codable, Hashable, Sendable {
    public var link: String
    public var old: Double
    public var new: Double

    public init(link: String, old: Double, new: Double) {
        self.link = link
        self.old = old
        self.new = new
    }
}

/// A cell's predicted spectrum utilisation, old → new (made by `PolicyDiffer` only, so its
/// memberwise initialiser stays internal). A side where the cell has no blocks for its load has
/// no utilisation (`old` or `new` absent) and its load in `loadWithoutBlocks` instead.
public struct CellUtilisationShift: Codable, Hashable, Sendable {
    public var cell: String
    public var old: Double?
    public var new: Double?
    public var loadWithoutBlocks: Change<Double>?

    /// The rise in utilisation, a side without blocks counting as infinitely busy (so a cell
    /// that lost its last blocks heads the busier cells).
    var rise: Double { (new ?? .infinity) - (old ?? .infinity) }
}

/// A constraint the new document breaks.
public struct ConstraintViolation: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Hashable, Sendable {
        /// A link's predicted load exceeds its capacity.
        case linkOverloaded
        /// A cell's predicted load exceeds its allocation's capacity.
        case cellOverloaded
        /// A cell has fewer blocks than its forecast needs.
        case cellShortOfBlocks
        /// Two neighbouring cells on one band share a block.
        case neighboursShareBlock
        /// A demand's path weights do not sum to 1.
        case weightsDoNotSumToOne
    }

    public var kind: Kind
    /// The cell, link or demand concerned (for neighbours, "a+b").
    public var subject: String
    public var message: String
    /// True when the old document did not break this constraint (for `resolved`: always false).
    public var isNew: Bool

    public init(kind: Kind, subject: String, message: String, isNew: Bool) {
        self.kind = kind
        self.subject = subject
        self.message = message
        self.isNew = isNew
    }
}

/// A provenance field that differs.
public struct ProvenanceChange: Codable, Hashable, Sendable {
    public var field: String
    public var old: String?
    public var new: String?

    public init(field: String, old: String?, new: String?) {
        self.field = field
        self.old = old
        self.new = new
    }
}
