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
        var userTEIDs: [UInt32] = []
        var uplinkTEIDs: Set<UInt32> = []
        var userAddresses: [IPAddress] = []
    }

    private var sessions: [Session] = []
    private var sessionByControlTEID: [UInt32: Int] = [:]
    private var owner: [UInt32: Int] = [:]
    /// TEID → cell, as learned so far.
    public private(set) var cellByTEID: [UInt32: CellIdentity] = [:]
    /// TEIDs that receive uplink traffic (the SGW/PGW/UPF side of a tunnel: S1-U SGW, S5/S8 PGW,
    /// S12 SGW …); packets carrying any other learned TEID travel downlink, toward the radio.
    public private(set) var uplinkTEIDs: Set<UInt32> = []
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
            if !sessions[s].userTEIDs.contains(f.teid) {
                guard sessions[s].userTEIDs.count < Self.maximumPerSession else { refused += 1; continue }
                sessions[s].userTEIDs.append(f.teid)
            }
            if [1, 3, 5, 13].contains(f.interfaceType) {
                if uplinkTEIDs.count < maximumTEIDs || uplinkTEIDs.contains(f.teid) { uplinkTEIDs.insert(f.teid) } else { refused += 1 }
            } else {
                uplinkTEIDs.remove(f.teid)
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
        for teid in sessions[s].userTEIDs {
            if owner[teid] == nil && owner.count >= maximumTEIDs { refused += 1; continue }
            if let previous = owner[teid], previous != s, cellByTEID[teid] != cell { conflicts += 1 }
            if cellByTEID[teid] != cell { cellByTEID[teid] = cell; generation += 1 }
            owner[teid] = s
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
