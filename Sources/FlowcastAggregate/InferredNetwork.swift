public import FlowcastCore
public import FlowcastDecode
public import FlowcastTopology

/// The network an `EndpointDiscovery` saw, decided: which tunnel endpoints are radio nodes
/// (each a cell, named by its address), which are the core side (UPF/SGW/PGW), which cell
/// identities signalling taught, and which links the outer VLANs and MPLS labels are.
///
/// The radio end of a GTP-U endpoint pair (the eNB/gNB: the outer source of uplink packets, the
/// destination of downlink ones) is decided pair by pair, first rule that tells wins:
/// 1. signalling: an address a GTPv2-C F-TEID names on the radio side (S1-U eNodeB, S12 RNC)
///    or on the core side (S1-U/S12 SGW, S5/S8 SGW or PGW); a pair of two core addresses
///    (S5/S8) has no radio end and gives no cell;
/// 2. peers: a UPF serves many radio nodes, so the end with fewer GTP-U peers is the radio end;
/// 3. connections: the end whose side sends more inner TCP SYNs (without ACK) is the radio end
///    (UEs open most connections);
/// 4. otherwise the sender of the pair's first packet is the radio end (the first packet of a
///    session is usually uplink).
///
/// Bounds: at most `maximumCells` cells (radio endpoints first, then identities) and
/// `maximumLinks` links; what is left out is counted (`cellsOverLimit`, `linksOverLimit`).
public struct InferredNetwork: Sendable {
    public static let maximumCells = 4_096
    public static let maximumLinks = 4_096

    public enum Reason: String, Sendable {
        case signalling = "named by a GTPv2-C F-TEID"
        case peers = "fewer GTP-U peers than the other end"
        case connections = "its side opens the inner TCP connections"
        case firstPacket = "sent the first packet of its tunnel pair"
    }
    /// An eNB/gNB address: one cell.
    public struct RadioEndpoint: Sendable {
        public var address: IPAddress
        /// The cell identity signalling places all of this address's tunnels in, if one.
        public var identity: CellIdentity?
        public var reason: Reason
        public var peers: Int
        public var packets: UInt64, bytes: UInt64
        /// The cell's name: the address as text (RFC 5952 for IPv6).
        public var cellName: String { address.description }
        public var nodeName: String { "ran-" + address.description }
    }
    /// A UPF/SGW/PGW address.
    public struct CoreEndpoint: Sendable {
        public var address: IPAddress
        public var reason: Reason
        public var peers: Int
        public var nodeName: String { "upf-" + address.description }
    }
    /// A link rule: the packets with this VLAN and/or MPLS label cross these links.
    public struct LinkRule: Sendable {
        public var vlan: UInt16?
        public var mpls: UInt32?
        public var links: [Int]
        public var packets: UInt64, bytes: UInt64
    }

    public var radio: [RadioEndpoint] = []
    public var core: [CoreEndpoint] = []
    /// Identities signalling named that no radio endpoint carries alone: cells of their own.
    public var identityCells: [CellIdentity] = []
    /// Link ids (`vlan:100`, `mpls:16`) in order of first sight.
    public var links: [String] = []
    public var linkPackets: [UInt64] = []
    public var linkRules: [LinkRule] = []
    public var packets: UInt64 = 0, gtpUPackets: UInt64 = 0, gtpUBytes: UInt64 = 0
    public var signallingMessages = 0
    /// The capture filter the packets were read through, and how many it skipped (nil: none).
    public var filter: (expression: String, skipped: UInt64)?
    /// Radio endpoints and identities beyond `maximumCells`; link ids beyond `maximumLinks`.
    public var cellsOverLimit = 0, linksOverLimit = 0
    /// Packets left out by a bound: of endpoint pairs and VLAN/MPLS combinations beyond
    /// `EndpointDiscovery`'s tables, or of cells and links beyond the caps above.
    public var packetsOverLimit: UInt64 = 0, bytesOverLimit: UInt64 = 0

    /// True when the capture showed neither GTP-U endpoints nor cell identities.
    public var hasNoGTP: Bool { radio.isEmpty && core.isEmpty && identityCells.isEmpty }
    public var cellCount: Int { radio.count + identityCells.count }

    public init(_ d: EndpointDiscovery) {
        packets = d.packets; gtpUPackets = d.gtpUPackets; gtpUBytes = d.gtpUBytes
        signallingMessages = d.learner.messages
        packetsOverLimit = d.overflowPairPackets &+ d.overflowLinkPackets
        bytesOverLimit = d.overflowPairBytes &+ d.overflowLinkBytes
        let pairs = d.pairs.sorted { $0.value.order < $1.value.order }
        var peers: [IPAddress: Int] = [:]
        for (p, _) in pairs { peers[p.a, default: 0] += 1; peers[p.b, default: 0] += 1 }

        // The radio end of each pair.
        var radioIndex: [IPAddress: Int] = [:]
        var coreReasons: [(IPAddress, Reason)] = []
        var droppedRadio: Set<IPAddress> = []
        var radioOfPair: [(EndpointDiscovery.Pair, IPAddress?)] = []
        for (p, stats) in pairs {
            let decided = Self.radioEnd(p, stats, d, peers)
            radioOfPair.append((p, decided?.0))
            guard let (end, reason) = decided else { continue }
            let other = end == p.a ? p.b : p.a
            coreReasons.append((other, reason))
            if let i = radioIndex[end] {
                radio[i].packets &+= stats.packets; radio[i].bytes &+= stats.bytes
            } else if droppedRadio.contains(end) {
                continue
            } else if radio.count < Self.maximumCells {
                radioIndex[end] = radio.count
                radio.append(RadioEndpoint(address: end, identity: nil, reason: reason, peers: peers[end] ?? 0,
                                           packets: stats.packets, bytes: stats.bytes))
            } else {
                droppedRadio.insert(end)
                cellsOverLimit += 1
            }
        }
        for (p, end) in radioOfPair {
            // Packets no cell rule will match: pairs whose radio end fell over the cap.
            guard let end, droppedRadio.contains(end), radioIndex[p.a] == nil, radioIndex[p.b] == nil else { continue }
            let stats = d.pairs[p]!
            packetsOverLimit &+= stats.packets; bytesOverLimit &+= stats.bytes
        }
        var coreSeen: Set<IPAddress> = []
        for (address, reason) in coreReasons where radioIndex[address] == nil && !droppedRadio.contains(address) {
            if coreSeen.insert(address).inserted {
                core.append(CoreEndpoint(address: address, reason: reason, peers: peers[address] ?? 0))
            }
        }
        // Identities: a radio endpoint that signalling places wholly in one cell carries that
        // cell's identity, when no other endpoint claims it too; every other identity is a cell
        // of its own (it receives the tunnels signalling places in it that no address rule takes).
        var claims: [CellIdentity: Int] = [:]
        for r in radio { if let id = d.identityByRadioAddress[r.address] { claims[id, default: 0] += 1 } }
        var carried: Set<CellIdentity> = []
        for i in radio.indices {
            if let id = d.identityByRadioAddress[radio[i].address], claims[id] == 1 {
                radio[i].identity = id
                carried.insert(id)
            }
        }
        for id in d.identities where !carried.contains(id) {
            if cellCount < Self.maximumCells { identityCells.append(id) } else { cellsOverLimit += 1 }
        }

        // Links: one per VLAN id and per MPLS label; a rule per combination seen.
        var linkIndex: [String: Int] = [:]
        let combinations = d.linkCombinations.sorted { $0.value.order < $1.value.order }
        var both: [LinkRule] = [], single: [LinkRule] = []
        for (key, stats) in combinations {
            let vlan = key.vlan == EndpointDiscovery.noVLAN ? nil : UInt16(key.vlan)
            let mpls = key.mpls == EndpointDiscovery.noLabel ? nil : key.mpls
            let names = [vlan.map { "vlan:\($0)" }, mpls.map { "mpls:\($0)" }].compactMap { $0 }
            let missing = names.filter { linkIndex[$0] == nil }
            guard links.count + missing.count <= Self.maximumLinks else {
                linksOverLimit += missing.count
                packetsOverLimit &+= stats.packets; bytesOverLimit &+= stats.bytes
                continue
            }
            for name in missing {
                linkIndex[name] = links.count
                links.append(name)
                linkPackets.append(0)
            }
            let indices = names.map { linkIndex[$0]! }
            for i in indices { linkPackets[i] &+= stats.packets }
            let rule = LinkRule(vlan: vlan, mpls: mpls, links: indices, packets: stats.packets, bytes: stats.bytes)
            if indices.count == 2 { both.append(rule) } else { single.append(rule) }
        }
        // A rule naming both criteria goes first: the first rule with links decides a packet's links.
        linkRules = both + single
    }

    static func radioEnd(_ p: EndpointDiscovery.Pair, _ s: EndpointDiscovery.PairStats, _ d: EndpointDiscovery,
                         _ peers: [IPAddress: Int]) -> (IPAddress, Reason)? {
        let aRadio = d.radioAddresses.contains(p.a), bRadio = d.radioAddresses.contains(p.b)
        let aCore = d.coreAddresses.contains(p.a), bCore = d.coreAddresses.contains(p.b)
        if aRadio != bRadio { return (aRadio ? p.a : p.b, .signalling) }
        if aCore != bCore { return (aCore ? p.b : p.a, .signalling) }
        if aCore && bCore && !aRadio && !bRadio { return nil }
        let pa = peers[p.a] ?? 0, pb = peers[p.b] ?? 0
        if pa != pb { return (pa < pb ? p.a : p.b, .peers) }
        if s.synsFromA != s.synsFromB { return (s.synsFromA > s.synsFromB ? p.a : p.b, .connections) }
        return (s.firstFromA ? p.a : p.b, .firstPacket)
    }

    /// The topology a replay without `--topology` runs with: the cells, nodes, links and match
    /// rules above, with nothing the capture cannot tell (no band, capacity or efficiency; one
    /// placeholder band), so it serves attribution only, not planning.
    public var topology: Topology {
        var t = Topology()
        if cellCount > 0 { t.bands = [Band(id: "unknown", lowMHz: 0, highMHz: 0, blockMHz: 0)] }
        t.nodes = radio.map { TopologyNode(id: $0.nodeName, kind: "site", address: $0.address) }
            + core.map { TopologyNode(id: $0.nodeName, kind: "core", address: $0.address) }
        for (i, r) in radio.enumerated() {
            var cell = Cell(id: r.cellName, band: 0, minBlocks: 0, maxBlocks: 0, peakSpectralEfficiency: nil, site: i)
            cell.globalID = r.identity?.description
            t.cells.append(cell)
        }
        for id in identityCells {
            var cell = Cell(id: id.description, band: 0, minBlocks: 0, maxBlocks: 0, peakSpectralEfficiency: nil)
            cell.globalID = id.description
            t.cells.append(cell)
        }
        t.links = links.map { Link(id: $0, a: 0, b: 0, capacity: 0) }
        t.rules = radio.indices.map { MatchRule(cell: $0, gtpAddress: radio[$0].address) }
        for r in linkRules {
            var rule = MatchRule(links: r.links, vlan: r.vlan)
            rule.mpls = r.mpls
            t.rules.append(rule)
        }
        return t
    }
}
