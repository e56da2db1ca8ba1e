/// A reviewed-or-proposed network policy: routing splits and spectrum blocks, with why.
///
/// Deterministic by construction: arrays are in topology order, numbers are rounded, and the
/// only time-dependent field (`provenance.window`) describes the input, not the run.
public struct PolicyDocument: Codable, Hashable, Sendable {
    /// Version of this document format; bump on incompatible change.
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    public var provenance: Provenance
    public var routing: RoutingPlan
    public var spectrum: SpectrumPlan
    public var predicted: PredictedLoad

    public init(schemaVersion: Int = PolicyDocument.currentSchemaVersion, provenance: Provenance, routing: RoutingPlan,
                spectrum: SpectrumPlan, predicted: PredictedLoad) {
        self.schemaVersion = schemaVersion
        self.provenance = provenance
        self.routing = routing
        self.spectrum = spectrum
        self.predicted = predicted
    }
}

/// Where a policy came from.
public struct Provenance: Codable, Hashable, Sendable {
    /// `sha256:<hex>` of the forecasts (or series) input.
    public var inputDigest: String
    /// `sha256:<hex>` of the topology file.
    public var topologyDigest: String
    /// Id of the model behind the forecasts, when known.
    public var modelId: String?
    /// `sha256:<hex>` of the model file, when known.
    public var modelDigest: String?
    public var window: PlanWindow?
    /// The program that wrote the policy.
    public var generator: String
    /// Tap sites (`flowcast planner --sites`) whose windows were missing when the interval was
    /// planned after `--lateness`; absent when every site's windows were in.
    public var missingSites: [String]?
    /// `sha256:<hex>` of the policy this one was planned against (the current policy whose churn
    /// and least-change spectrum it weighed), as Flowcast writes it (`jsonData()`: a file
    /// Flowcast wrote has these bytes); absent when it was planned with none. `flowcast diff` says
    /// by it whether NEW's reasons compare with OLD (they were guessed from the windows: an
    /// audit's plan against OLD itself was labelled "vs the policy before NEW, not OLD").
    public var currentDigest: String?

    public init(inputDigest: String, topologyDigest: String, modelId: String? = nil, modelDigest: String? = nil,
                window: PlanWindow? = nil, generator: String = "flowcast") {
        self.inputDigest = inputDigest
        self.topologyDigest = topologyDigest
        self.modelId = modelId
        self.modelDigest = modelDigest
        self.window = window
        self.generator = generator
    }
}

/// The forecast that drove a decision (bit/s).
public struct ForecastRef: Codable, Hashable, Sendable {
    public var point: Double
    public var upper: Double
    public var spectralEfficiency: Double?
    public var source: String

    public init(point: Double, upper: Double, spectralEfficiency: Double? = nil, source: String) {
        self.point = point
        self.upper = upper
        self.spectralEfficiency = spectralEfficiency
        self.source = source
    }

    /// A demand or cell the planner had no forecast for: planned for no traffic.
    public static let none = ForecastRef(point: 0, upper: 0, source: "no forecast")

    /// Whether this is `none`: what `plan` names on stderr.
    public var isNone: Bool { source == Self.none.source && point == 0 && upper == 0 }
}

/// How traffic is split over paths.
public struct RoutingPlan: Codable, Hashable, Sendable {
    /// `exact-lp` (Cbc/Clp) — the only method so far.
    public var method: String
    public var status: SolveOutcome
    /// Predicted max link utilisation under the upper-quantile forecasts.
    public var maxUtilisation: Double
    /// Number of demand matrices the plan is robust over (1 = the forecast only).
    public var scenarios: Int
    /// Churn penalty per unit of weight moved against the current policy (0 = none).
    public var churnPenalty: Double
    /// The link utilisation the plan keeps traffic on least-cost paths under (0: pure min-max
    /// utilisation); absent in documents written before 7 December 2026, when only the reasons'
    /// text said it (an audit).
    public var targetUtilisation: Double?
    public var demands: [DemandDecision]

    public init(method: String, status: SolveOutcome, maxUtilisation: Double, scenarios: Int, churnPenalty: Double,
                demands: [DemandDecision]) {
        self.method = method
        self.status = status
        self.maxUtilisation = maxUtilisation
        self.scenarios = scenarios
        self.churnPenalty = churnPenalty
        self.demands = demands
    }
}

/// The split chosen for one demand.
public struct DemandDecision: Codable, Hashable, Sendable {
    public var id: String
    public var source: String
    public var destination: String
    /// Destination prefix routed for this demand, when the topology gives one.
    public var prefix: String?
    public var forecast: ForecastRef
    public var paths: [PathWeight]
    public var reason: String

    public init(id: String, source: String, destination: String, prefix: String? = nil, forecast: ForecastRef,
                paths: [PathWeight], reason: String) {
        self.id = id
        self.prefix = prefix
        self.source = source
        self.destination = destination
        self.forecast = forecast
        self.paths = paths
        self.reason = reason
    }
}

/// One path of a demand and the share of its traffic.
public struct PathWeight: Codable, Hashable, Sendable {
    /// Link ids from source to destination.
    public var links: [String]
    /// Node ids visited, source first.
    public var nodes: [String]
    /// Address of the first hop after the source, when the topology gives one.
    public var nextHop: String?
    /// Share of the demand, 0…1; a demand's shares sum to 1.
    public var weight: Double

    public init(links: [String], nodes: [String], nextHop: String? = nil, weight: Double) {
        self.nextHop = nextHop
        self.links = links
        self.nodes = nodes
        self.weight = weight
    }
}

/// Which spectrum blocks each cell gets.
public struct SpectrumPlan: Codable, Hashable, Sendable {
    /// `exact-mip` or `greedy-heuristic`.
    public var method: String
    public var status: SolveOutcome
    /// Relative gap between this allocation's objective and the LP relaxation bound (0 when proven optimal).
    public var gapToLPRelaxation: Double
    /// Headroom multiplier applied to the required blocks.
    public var headroom: Double
    /// Why the method was chosen (size, time limit, fallback).
    public var note: String
    public var cells: [CellDecision]

    public init(method: String, status: SolveOutcome, gapToLPRelaxation: Double, headroom: Double, note: String,
                cells: [CellDecision]) {
        self.method = method
        self.status = status
        self.gapToLPRelaxation = gapToLPRelaxation
        self.headroom = headroom
        self.note = note
        self.cells = cells
    }
}

/// The blocks chosen for one cell.
public struct CellDecision: Codable, Hashable, Sendable {
    public var id: String
    public var band: String
    /// Block indices within the band, ascending (block 0 starts at the band's low edge).
    public var blocks: [Int]
    /// Blocks the P90 forecast needs at the cell's efficiency × headroom (before bounds): what
    /// request sizing asks for. A replay or live plan sized on recent windows as scenarios (the
    /// `reason` says which) gives blocks by the scenario MIP instead; this stays for comparison.
    public var requiredBlocks: Int
    public var bandwidthMHz: Double
    /// Each contiguous run of blocks as [low, high] MHz, lowest first.
    public var carriersMHz: [[Double]]
    /// Ids of interfering neighbour cells (for steering exporters).
    public var neighbours: [String]
    /// Capacity of the allocation at the forecast spectrum efficiency, bit/s.
    public var capacity: Double
    /// Upper-quantile (P90 forecast) demand the allocation cannot carry at the cell's efficiency,
    /// bit/s, however the blocks were sized.
    public var unmetDemand: Double
    public var forecast: ForecastRef
    public var reason: String
    /// The cell's global identity from the topology (`ecgi:MCC-MNC-ECI` or `ncgi:MCC-MNC-NCI`),
    /// for exporters that name cells as the RAN does (A1).
    public var globalId: String? = nil
    /// The slice the cell's steering policies are scoped to, from the topology.
    public var slice: SliceRef? = nil

    public init(id: String, band: String, blocks: [Int], requiredBlocks: Int, bandwidthMHz: Double, carriersMHz: [[Double]],
                neighbours: [String], capacity: Double, unmetDemand: Double, forecast: ForecastRef, reason: String) {
        self.carriersMHz = carriersMHz
        self.neighbours = neighbours
        self.id = id
        self.band = band
        self.blocks = blocks
        self.requiredBlocks = requiredBlocks
        self.bandwidthMHz = bandwidthMHz
        self.capacity = capacity
        self.unmetDemand = unmetDemand
        self.forecast = forecast
        self.reason = reason
    }
}

/// A network slice (S-NSSAI): slice/service type and optional differentiator (six hex digits).
public struct SliceRef: Codable, Hashable, Sendable {
    public var sst: Int
    public var sd: String?

    public init(sst: Int, sd: String? = nil) {
        self.sst = sst
        self.sd = sd
    }
}

/// Predicted utilisation per link and per cell under the plan.
public struct PredictedLoad: Codable, Hashable, Sendable {
    public var links: [LinkLoad]
    public var cells: [CellLoad]

    public init(links: [LinkLoad], cells: [CellLoad]) {
        self.links = links
        self.cells = cells
    }
}

/// Predicted load on one link (the busier direction).
public struct LinkLoad: Codable, Hashable, Sendable {
    public var id: String
    /// bit/s in the busier direction, each demand's forecast (its cells' traffic, both ways)
    /// counted in its path's direction, as the routing LP counts it.
    public var load: Double
    public var capacity: Double
    public var utilisation: Double

    public init(id: String, load: Double, capacity: Double, utilisation: Double) {
        self.id = id
        self.load = load
        self.capacity = capacity
        self.utilisation = utilisation
    }
}

/// Predicted load on one cell.
public struct CellLoad: Codable, Hashable, Sendable {
    public var id: String
    public var load: Double
    public var capacity: Double
    public var utilisation: Double

    public init(id: String, load: Double, capacity: Double, utilisation: Double) {
        self.id = id
        self.load = load
        self.capacity = capacity
        self.utilisation = utilisation
    }
}
