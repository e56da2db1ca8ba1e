internal import FlowcastCore
public import FlowcastDecode

/// What a capture shows of its network when no topology describes it: the GTP-U tunnel
/// endpoints (which are eNBs/gNBs, which UPFs/SGWs), the cell identities GTPv2-C signalling
/// names, and the outer VLANs and MPLS labels. `InferredNetwork` turns it into a topology (for a
/// replay without `--topology`) or a draft topology file (`flowcast topology infer`).
///
/// Fed once per packet, in capture order, with no allocation except on the first sight of a
/// tunnel endpoint pair or a VLAN/MPLS combination; both tables are bounded (`maximumPairs`,
/// `maximumLinkCombinations`), and packets of pairs or combinations beyond them are counted.
public struct EndpointDiscovery: Sendable {
    /// Most GTP-U endpoint pairs (unordered outer address pairs) remembered.
    public static let maximumPairs = 65_536
    /// Most distinct (outer VLAN, outer MPLS label) combinations remembered.
    public static let maximumLinkCombinations = 8_192

    /// An unordered pair of outer addresses, the lower first.
    struct Pair: Hashable, Sendable { var a: IPAddress; var b: IPAddress }
    struct PairStats: Sendable {
        var order: Int
        var packets: UInt64 = 0, bytes: UInt64 = 0
        /// Inner TCP SYNs (without ACK) sent from a and from b: the side that opens connections
        /// is the side of the UEs, the radio side.
        var synsFromA: UInt64 = 0, synsFromB: UInt64 = 0
        var firstFromA: Bool
    }
    /// A VLAN id (`noVLAN` for none) and an MPLS label (`noLabel` for none).
    struct LinkKey: Hashable, Sendable { var vlan: UInt32; var mpls: UInt32 }
    struct LinkStats: Sendable { var order: Int; var packets: UInt64 = 0, bytes: UInt64 = 0 }
    static let noVLAN = UInt32.max, noLabel = UInt32.max

    private(set) var pairs: [Pair: PairStats] = [:]
    private(set) var linkCombinations: [LinkKey: LinkStats] = [:]
    /// Signalling, learned in capture order as in a replay.
    public private(set) var learner = TunnelCellLearner()
    /// Addresses F-TEIDs name on the radio side (S1-U eNodeB, S12 RNC) and on the core side
    /// (S1-U/S12 SGW, S5/S8 SGW and PGW).
    private(set) var radioAddresses: Set<IPAddress> = []
    private(set) var coreAddresses: Set<IPAddress> = []
    /// Radio address → the one cell identity signalling placed its tunnels in; an address
    /// placed in two moves to `multiCellRadioAddresses`.
    private(set) var identityByRadioAddress: [IPAddress: CellIdentity] = [:]
    private(set) var multiCellRadioAddresses: Set<IPAddress> = []
    /// Every cell identity signalling named, in order of first mention.
    private(set) var identities: [CellIdentity] = []
    private var identitySet: Set<CellIdentity> = []

    public private(set) var packets: UInt64 = 0
    /// GTP-U G-PDUs (message type 255 with a TEID) and their wire bytes.
    public private(set) var gtpUPackets: UInt64 = 0, gtpUBytes: UInt64 = 0
    /// GTP-U packets of endpoint pairs beyond `maximumPairs`, and VLAN/MPLS packets of
    /// combinations beyond `maximumLinkCombinations`.
    public private(set) var overflowPairPackets: UInt64 = 0, overflowPairBytes: UInt64 = 0
    public private(set) var overflowLinkPackets: UInt64 = 0, overflowLinkBytes: UInt64 = 0

    public init() {}

    /// Learns from a GTPv2-C message seen in the capture.
    public mutating func learn(_ m: GTPv2Message) {
        learner.learn(m)
        for cell in m.cells where !identitySet.contains(cell) {
            identitySet.insert(cell)
            identities.append(cell)
        }
        for f in m.fteids where f.isUserPlane {
            guard let address = f.address?.unmapped else { continue }
            switch f.interfaceType {
            case 0, 2:  // S1-U eNodeB, S12 RNC
                radioAddresses.insert(address)
                // The cell this tunnel was just placed in (the learner maps it from the session's ULI).
                if let cell = f.ends.first.flatMap({ learner.cellByTunnel[$0] }), !multiCellRadioAddresses.contains(address) {
                    if let known = identityByRadioAddress[address], known != cell {
                        identityByRadioAddress[address] = nil
                        multiCellRadioAddresses.insert(address)
                    } else {
                        identityByRadioAddress[address] = cell
                    }
                }
            case 1, 3, 4, 5:  // S1-U SGW, S12 SGW, S5/S8 SGW, S5/S8 PGW
                coreAddresses.insert(address)
            default:
                break
            }
        }
    }

    /// Looks at one decoded packet.
    @inline(__always)
    public mutating func add(_ s: PacketSummary) {
        packets &+= 1
        guard let source = s.outerSource?.unmapped, let destination = s.outerDestination?.unmapped else { return }
        let wire = UInt64(s.wireLength)
        if s.vlan != nil || s.mplsLabel != nil {
            let key = LinkKey(vlan: s.vlan.map { UInt32($0) } ?? Self.noVLAN, mpls: s.mplsLabel ?? Self.noLabel)
            if linkCombinations[key] != nil {
                linkCombinations[key]!.packets &+= 1
                linkCombinations[key]!.bytes &+= wire
            } else if linkCombinations.count < Self.maximumLinkCombinations {
                linkCombinations[key] = LinkStats(order: linkCombinations.count, packets: 1, bytes: wire)
            } else {
                overflowLinkPackets &+= 1
                overflowLinkBytes &+= wire
            }
        }
        guard s.teid != nil, s.gtpMessageType == 0xFF, source != destination else { return }
        gtpUPackets &+= 1
        gtpUBytes &+= wire
        let fromA = source < destination
        let pair = fromA ? Pair(a: source, b: destination) : Pair(a: destination, b: source)
        let syn = (s.tcpFlags ?? 0) & 0x12 == 0x02
        if pairs[pair] == nil {
            guard pairs.count < Self.maximumPairs else {
                overflowPairPackets &+= 1
                overflowPairBytes &+= wire
                return
            }
            pairs[pair] = PairStats(order: pairs.count, firstFromA: fromA)
        }
        pairs[pair]!.packets &+= 1
        pairs[pair]!.bytes &+= wire
        if syn { if fromA { pairs[pair]!.synsFromA &+= 1 } else { pairs[pair]!.synsFromB &+= 1 } }
    }
}
