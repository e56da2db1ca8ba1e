public import FlowcastCore
/// A band: a contiguous frequency range cut into equal spectrum blocks.
public struct Band: Hashable, Sendable {
    /// Identifier such as `n78`.
    public var id: String
    /// Lower edge of the band in MHz.
    public var lowMHz: Double
    /// Upper edge of the band in MHz.
    public var highMHz: Double
    /// Width of one allocatable block in MHz.
    public var blockMHz: Double
    /// Line of the band's entry in the topology file (0 when built in code).
    public var line: Int

    public init(id: String, lowMHz: Double, highMHz: Double, blockMHz: Double, line: Int = 0) {
        self.id = id
        self.lowMHz = lowMHz
        self.highMHz = highMHz
        self.blockMHz = blockMHz
        self.line = line
    }

    /// Number of whole blocks in the band. The validator accepts a range within 1e-9 blocks of a
    /// whole number (43.2 / 1.44 is 29.999999999999876 in binary floating point); so does this.
    /// 0 for a band the validator refuses (empty, reversed, or too many blocks to count: a number
    /// past Int's range trapped here on a hostile file, found by fuzzing).
    public var blockCount: Int {
        guard blockMHz > 0 else { return 0 }
        let n = ((highMHz - lowMHz) / blockMHz + 1e-9).rounded(.down)
        return n.isFinite && n > 0 ? Int(min(n, 1e15)) : 0
    }

    /// Lower and upper edge of block `index` in MHz.
    public func blockRangeMHz(_ index: Int) -> (low: Double, high: Double) {
        (lowMHz + Double(index) * blockMHz, lowMHz + Double(index + 1) * blockMHz)
    }
}

/// A radio cell: draws blocks from one band and interferes with its neighbours.
public struct Cell: Hashable, Sendable {
    /// Identifier such as `cell-1`.
    public var id: String
    /// Index into `Topology.bands`.
    public var band: Int
    /// Fewest blocks the cell may be given.
    public var minBlocks: Int
    /// Most blocks the cell may be given.
    public var maxBlocks: Int
    /// Peak spectrum efficiency in bit/s/Hz, when stated in the topology.
    public var peakSpectralEfficiency: Double?
    /// Where a measured spectrum efficiency comes from, when stated: a radio KPI log (CSV with
    /// `Timestamp`, `CQI` and `DL_bitrate` columns, e.g. G-NetTrack's), possibly still being
    /// appended to. A relative path in the topology file is resolved against the file's folder.
    public var kpiSource: String?
    /// The CQI table the cell's reports use (`table1`, or `table2-256qam` for TS 38.214 Table
    /// 5.2.2.1-3); nil means table 1. Only with `kpiSource`.
    public var cqiTable: String? = nil
    /// Indices into `Topology.cells` of cells that interfere with this one (symmetric).
    public var neighbours: [Int]
    /// True when the cell's blocks must be adjacent.
    public var contiguous: Bool
    /// Index into `Topology.nodes` of the site that backhauls the cell, when stated.
    public var site: Int?
    /// The cell's global identity as signalling names it (`ecgi:001-01-4660`), when stated:
    /// GTP-U tunnels that GTPv2-C places in this cell are attributed to it.
    public var globalID: String? = nil
    /// The slice the cell's traffic-steering policies are scoped to, when stated (else the
    /// topology's `defaultSlice`).
    public var slice: NetworkSlice? = nil
    /// The one tap site whose window lines count for this cell in `flowcast planner`, when stated
    /// (`observer:`): other sites' lines for it are counted and ignored.
    public var observer: String? = nil
    public var line: Int

    public init(id: String, band: Int, minBlocks: Int, maxBlocks: Int, peakSpectralEfficiency: Double?,
                kpiSource: String? = nil, neighbours: [Int] = [], contiguous: Bool = false, site: Int? = nil,
                line: Int = 0) {
        self.id = id
        self.band = band
        self.minBlocks = minBlocks
        self.maxBlocks = maxBlocks
        self.peakSpectralEfficiency = peakSpectralEfficiency
        self.kpiSource = kpiSource
        self.neighbours = neighbours
        self.contiguous = contiguous
        self.site = site
        self.line = line
    }
}

/// A network node: a cell site, router or core gateway.
public struct TopologyNode: Hashable, Sendable {
    /// Identifier such as `agg-1`.
    public var id: String
    /// Free-form role (`site`, `aggregation`, `core` …).
    public var kind: String?
    /// The router's address, used as a next hop by route exporters.
    public var address: IPAddress?
    public var line: Int

    public init(id: String, kind: String? = nil, address: IPAddress? = nil, line: Int = 0) {
        self.id = id
        self.kind = kind
        self.address = address
        self.line = line
    }
}

/// A full-duplex link between two nodes; `capacity` applies to each direction.
public struct Link: Hashable, Sendable {
    /// Identifier such as `l-site1-agg1`.
    public var id: String
    /// Index into `Topology.nodes` of endpoint a.
    public var a: Int
    /// Index into `Topology.nodes` of endpoint b.
    public var b: Int
    /// Capacity per direction in bit/s.
    public var capacity: Double
    /// Routing weight (as an IGP metric); used to break ties between equally short paths.
    public var weight: Double
    /// The one tap site whose window lines count for this link in `flowcast planner`, when stated.
    public var observer: String? = nil
    /// End a's interface address on this link (`addresses` in the file), when given: the next hop
    /// for traffic from b to a over this link, in place of node a's `address`.
    public var aAddress: IPAddress? = nil
    /// End b's interface address on this link, when given.
    public var bAddress: IPAddress? = nil
    public var line: Int

    public init(id: String, a: Int, b: Int, capacity: Double, weight: Double = 1, line: Int = 0) {
        self.id = id
        self.a = a
        self.b = b
        self.capacity = capacity
        self.weight = weight
        self.line = line
    }

    /// The endpoint opposite `node`, or nil if `node` is not an endpoint.
    public func otherEnd(from node: Int) -> Int? {
        node == a ? b : (node == b ? a : nil)
    }

    /// The interface address of end `node` on this link, when the topology gives one.
    public func address(of node: Int) -> IPAddress? {
        node == a ? aAddress : (node == b ? bAddress : nil)
    }
}

/// Traffic from one node to another, optionally with the candidate paths it may take.
public struct Demand: Hashable, Sendable {
    /// Identifier such as `d-site1-core`.
    public var id: String
    /// Index into `Topology.nodes`.
    public var source: Int
    /// Index into `Topology.nodes`.
    public var destination: Int
    /// Indices into `Topology.cells` whose traffic this demand carries (for cell-level forecasts).
    public var cells: [Int]
    /// Candidate paths as link indices from source to destination; empty means "compute them".
    public var paths: [[Int]]
    /// Destination prefix the demand's traffic is routed to (for route exporters).
    public var prefix: IPPrefix?
    public var line: Int

    public init(id: String, source: Int, destination: Int, cells: [Int] = [], paths: [[Int]] = [], prefix: IPPrefix? = nil,
                line: Int = 0) {
        self.prefix = prefix
        self.id = id
        self.source = source
        self.destination = destination
        self.cells = cells
        self.paths = paths
        self.line = line
    }
}

/// A static rule attributing traffic to a cell and/or links. Every criterion present must match.
public struct MatchRule: Hashable, Sendable {
    /// Index into `Topology.cells` the traffic belongs to, if any.
    public var cell: Int?
    /// Indices into `Topology.links` the traffic crosses.
    public var links: [Int]
    /// GTP-U outer address (eNB/gNB or UPF); matches either outer source or destination.
    public var gtpAddress: IPAddress?
    /// Inclusive TEID range.
    public var teid: ClosedRange<UInt32>?
    /// 802.1Q VLAN id (outermost tag).
    public var vlan: UInt16?
    /// MPLS label (outermost label stack entry), 0–1048575.
    public var mpls: UInt32? = nil
    /// Prefix matching either outer source or destination.
    public var prefix: IPPrefix?
    /// Capture interface name.
    public var interface: String?
    public var line: Int

    public init(cell: Int? = nil, links: [Int] = [], gtpAddress: IPAddress? = nil, teid: ClosedRange<UInt32>? = nil,
                vlan: UInt16? = nil, prefix: IPPrefix? = nil, interface: String? = nil, line: Int = 0) {
        self.cell = cell
        self.links = links
        self.gtpAddress = gtpAddress
        self.teid = teid
        self.vlan = vlan
        self.prefix = prefix
        self.interface = interface
        self.line = line
    }
}

/// The validated network: bands, cells, nodes, links, demands and match rules. References are indices.
public struct Topology: Hashable, Sendable {
    public var bands: [Band]
    public var cells: [Cell]
    public var nodes: [TopologyNode]
    public var links: [Link]
    public var demands: [Demand]
    public var rules: [MatchRule]
    /// The slice of cells that state none (top-level `slice`), when stated.
    public var defaultSlice: NetworkSlice? = nil

    public init(bands: [Band] = [], cells: [Cell] = [], nodes: [TopologyNode] = [], links: [Link] = [],
                demands: [Demand] = [], rules: [MatchRule] = []) {
        self.bands = bands
        self.cells = cells
        self.nodes = nodes
        self.links = links
        self.demands = demands
        self.rules = rules
    }

    /// Index of the band with `id`.
    public func bandIndex(_ id: String) -> Int? { bands.firstIndex { $0.id == id } }
    /// Index of the cell with `id`.
    public func cellIndex(_ id: String) -> Int? { cells.firstIndex { $0.id == id } }
    /// Index of the node with `id`.
    public func nodeIndex(_ id: String) -> Int? { nodes.firstIndex { $0.id == id } }
    /// Index of the link with `id`.
    public func linkIndex(_ id: String) -> Int? { links.firstIndex { $0.id == id } }
    /// Index of the demand with `id`.
    public func demandIndex(_ id: String) -> Int? { demands.firstIndex { $0.id == id } }

    /// Node sequence visited by `path` (link indices) starting at `source`; nil if not connected.
    public func nodesAlong(_ path: [Int], from source: Int) -> [Int]? {
        var visited = [source]
        var here = source
        for l in path {
            guard links.indices.contains(l), let next = links[l].otherEnd(from: here) else { return nil }
            here = next
            visited.append(next)
        }
        return visited
    }

    /// The next hop's address for traffic over `link` toward its end `node`: that end's interface
    /// address on the link when the topology gives one, else the node's `address`.
    public func nextHopAddress(over link: Int, to node: Int) -> IPAddress? {
        guard links.indices.contains(link), nodes.indices.contains(node) else { return nil }
        return links[link].address(of: node) ?? nodes[node].address
    }

    /// A one-line summary for people: counts of each section.
    public var summary: String {
        let paths = demands.reduce(0) { $0 + $1.paths.count }
        return "\(bands.count) bands, \(cells.count) cells, \(nodes.count) nodes, \(links.count) links, "
            + "\(demands.count) demands (\(paths) candidate paths), \(rules.count) match rules"
    }
}
