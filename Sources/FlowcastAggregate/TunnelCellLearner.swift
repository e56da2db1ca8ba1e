public import FlowcastCore
public import FlowcastDecode

/// Learns which GTP-U tunnels belong to which cell from the GTPv2-C signalling in the capture.
///
/// A session is followed across messages by its control-plane TEIDs: a request names the
/// sender's control F-TEID, the response is addressed to it and names the responder's, and later
/// requests (Modify Bearer, Create Bearer) are addressed to one of them. User Location
/// Information (ECGI) gives the session's cell; every user-plane F-TEID of the session (S1-U
/// eNodeB and SGW, S5/S8 SGW and PGW …) then maps to that cell, and a later ULI (handover)
/// moves them. A TEID claimed by two sessions in different cells is a conflict: it is counted,
/// and the newer session wins (TEIDs are reused after a session ends).
///
/// What it learns is bounded (docs/limits.md): at most `maximumTEIDs` user-plane TEIDs mapped,
/// control TEIDs followed, sessions and node addresses, and `maximumPerSession` TEIDs and
/// addresses per session. What a full table cannot take is not learned and is counted in
/// `refused`; its packets stay unmatched (counted there too). Nothing is forgotten to make room:
/// a mapping that changed under a hostile capture would misplace traffic silently.
/// One end of a GTP-U tunnel: its TEID and the address of the node that chose it. A TEID is
/// allocated by the receiving end (TS 29.281 §5.1), so two eNodeBs may both choose 0x1000: keyed
/// by the TEID alone, an audit's two cells' traffic all went to the one signalled last. Packets
/// reach an end as their outer destination and TEID. The address is kept as 32 bits: an IPv4
/// address itself, an IPv6 address folded (two IPv6 ends folding alike and sharing a TEID too is
/// a chance of one in 2³² per pair), so the key is one word.
public struct TunnelEnd: Hashable, Sendable {
    public var key: UInt64

    @inlinable public init(addressTag: UInt32, teid: UInt32) { key = UInt64(addressTag) << 32 | UInt64(teid) }
    @inlinable public init(_ address: IPAddress, teid: UInt32) { self.init(addressTag: Self.tag(address), teid: teid) }

    public var teid: UInt32 { UInt32(truncatingIfNeeded: key) }

    @inlinable public static func tag(_ address: IPAddress) -> UInt32 {
        let a = address.unmapped
        guard a.isIPv6 else { return UInt32(truncatingIfNeeded: a.low) }
        let x = (a.high &* 0x9E37_79B9_7F4A_7C15) ^ a.low
        return UInt32(truncatingIfNeeded: x ^ (x >> 32))
    }
}

extension FullyQualifiedTEID {
    /// The tunnel ends it names: one per address it gives (none without an address, which no
    /// packet could be matched to).
    public var ends: [TunnelEnd] {
        [ipv4.map { TunnelEnd(IPAddress(ipv4: $0), teid: teid) }, ipv6.map { TunnelEnd($0, teid: teid) }].compactMap { $0 }
    }
}

public struct TunnelCellLearner: Sendable {
    /// 1,048,576 (2²⁰): far above the sessions one capture point sees (a large SGW serves some
    /// hundreds of thousands of bearers), and at the bound the tables hold some hundreds of MB
    /// (docs/limits.md), where unbounded they grew with every Create Session a capture carried.
    public static let defaultMaximumTEIDs = 1 << 20
    /// 64 TEIDs (and as many node addresses) per session: a PDN connection has at most 11 EPS
    /// bearers (EBI 5–15) with a handful of F-TEIDs each on one capture point.
    public static let maximumPerSession = 64

    struct Session: Sendable {
        var cell: CellIdentity?
        var userEnds: [TunnelEnd] = []
        var userAddresses: [IPAddress] = []
    }

    private var sessions: [Session] = []
    private var sessionByControlTEID: [UInt32: Int] = [:]
    private var owner: [TunnelEnd: Int] = [:]
    /// Tunnel end (address and TEID) → cell, as learned so far.
    public private(set) var cellByTunnel: [TunnelEnd: CellIdentity] = [:]
    /// Tunnel ends that receive uplink traffic (the core side: S1-U SGW, S12 SGW, S5/S8 PGW, S4
    /// SGW, S11 SGW, S2a/S2b PGW, SGW for UL data forwarding); packets to any other learned end
    /// travel downlink, toward the radio.
    public private(set) var uplinkTunnels: Set<TunnelEnd> = []
    /// eNodeB/gNodeB user-plane address → cell (from S1-U eNodeB / N3 F-TEIDs), kept only while
    /// an address serves a single cell.
    public private(set) var cellByAddress: [IPAddress: CellIdentity] = [:]
    private var ambiguousAddresses: Set<IPAddress> = []
    /// GTPv2-C messages read, and mapping conflicts seen.
    public private(set) var messages = 0
    public private(set) var conflicts = 0
    /// Bumped whenever a mapping changes, so per-packet caches know to refresh.
    public private(set) var generation = 0
    /// TEIDs (and node addresses) not learned because a table was at its bound.
    public private(set) var refused = 0
    /// The bound on each table (`defaultMaximumTEIDs` unless a test asks for less).
    public let maximumTEIDs: Int

    public init(maximumTEIDs: Int = TunnelCellLearner.defaultMaximumTEIDs) {
        self.maximumTEIDs = max(1, maximumTEIDs)
    }

    /// Learns from one GTPv2-C message.
    public mutating func learn(_ m: GTPv2Message) {
        messages += 1
        var index: Int? = nil
        if let teid = m.teid, teid != 0 { index = sessionByControlTEID[teid] }
        if index == nil {
            guard !m.fteids.isEmpty || !m.cells.isEmpty else { return }
            guard sessions.count < maximumTEIDs else { refused += max(1, m.fteids.count); return }
            sessions.append(Session())
            index = sessions.count - 1
            if let teid = m.teid, teid != 0 { followControl(teid, index!) }
        }
        let s = index!
        for f in m.fteids where !f.isUserPlane && !f.inBearerContext {
            followControl(f.teid, s)
        }
        for f in m.fteids where f.isUserPlane {
            // An F-TEID names the end by its IPv4 address, its IPv6 address or both: one end each.
            for end in f.ends {
                if !sessions[s].userEnds.contains(end) {
                    guard sessions[s].userEnds.count < Self.maximumPerSession else { refused += 1; continue }
                    sessions[s].userEnds.append(end)
                }
                if f.receivesUplink {
                    if uplinkTunnels.count < maximumTEIDs || uplinkTunnels.contains(end) { uplinkTunnels.insert(end) } else { refused += 1 }
                } else {
                    uplinkTunnels.remove(end)
                }
            }
            // S1-U eNodeB (0) and N3 gNB-side types name the radio node's address.
            if f.interfaceType == 0, let address = f.address, !sessions[s].userAddresses.contains(address) {
                if sessions[s].userAddresses.count < Self.maximumPerSession {
                    sessions[s].userAddresses.append(address)
                } else {
                    refused += 1
                }
            }
        }
        // The E-UTRAN cell of ULI anchors the session; an NR cell (PSCell ID of a dual
        // connection) names it only when signalling gives no E-UTRAN cell.
        if let cell = m.cells.last(where: { $0.kind == .ecgi }) ?? m.cells.last { sessions[s].cell = cell }
        guard let cell = sessions[s].cell else { return }
        for end in sessions[s].userEnds {
            if owner[end] == nil && owner.count >= maximumTEIDs { refused += 1; continue }
            if let previous = owner[end], previous != s, cellByTunnel[end] != cell { conflicts += 1 }
            if cellByTunnel[end] != cell { cellByTunnel[end] = cell; generation += 1 }
            owner[end] = s
        }
        for address in sessions[s].userAddresses where !ambiguousAddresses.contains(address) {
            if let known = cellByAddress[address], known != cell {
                // Moves an entry from one table to the other: the sum stays within the bound.
                cellByAddress[address] = nil
                ambiguousAddresses.insert(address)
                generation += 1
            } else if cellByAddress[address] == nil {
                guard cellByAddress.count + ambiguousAddresses.count < maximumTEIDs else { refused += 1; continue }
                cellByAddress[address] = cell
                generation += 1
            }
        }
    }

    /// Follows a control TEID to its session, unless the table is full.
    private mutating func followControl(_ teid: UInt32, _ session: Int) {
        if sessionByControlTEID[teid] == nil && sessionByControlTEID.count >= maximumTEIDs { refused += 1; return }
        sessionByControlTEID[teid] = session
    }
}
