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
public struct TunnelCellLearner: Sendable {
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

    public init() {}

    /// Learns from one GTPv2-C message.
    public mutating func learn(_ m: GTPv2Message) {
        messages += 1
        var index: Int? = nil
        if let teid = m.teid, teid != 0 { index = sessionByControlTEID[teid] }
        if index == nil {
            guard !m.fteids.isEmpty || !m.cells.isEmpty else { return }
            sessions.append(Session())
            index = sessions.count - 1
            if let teid = m.teid, teid != 0 { sessionByControlTEID[teid] = index }
        }
        let s = index!
        for f in m.fteids where !f.isUserPlane && !f.inBearerContext {
            sessionByControlTEID[f.teid] = s
        }
        for f in m.fteids where f.isUserPlane {
            if !sessions[s].userTEIDs.contains(f.teid) { sessions[s].userTEIDs.append(f.teid) }
            if [1, 3, 5, 13].contains(f.interfaceType) { uplinkTEIDs.insert(f.teid) } else { uplinkTEIDs.remove(f.teid) }
            // S1-U eNodeB (0) and N3 gNB-side types name the radio node's address.
            if f.interfaceType == 0, let address = f.address, !sessions[s].userAddresses.contains(address) {
                sessions[s].userAddresses.append(address)
            }
        }
        // The E-UTRAN cell of ULI anchors the session; an NR cell (PSCell ID of a dual
        // connection) names it only when signalling gives no E-UTRAN cell.
        if let cell = m.cells.last(where: { $0.kind == .ecgi }) ?? m.cells.last { sessions[s].cell = cell }
        guard let cell = sessions[s].cell else { return }
        for teid in sessions[s].userTEIDs {
            if let previous = owner[teid], previous != s, cellByTEID[teid] != cell { conflicts += 1 }
            if cellByTEID[teid] != cell { cellByTEID[teid] = cell; generation += 1 }
            owner[teid] = s
        }
        for address in sessions[s].userAddresses where !ambiguousAddresses.contains(address) {
            if let known = cellByAddress[address], known != cell {
                cellByAddress[address] = nil
                ambiguousAddresses.insert(address)
                generation += 1
            } else if cellByAddress[address] == nil {
                cellByAddress[address] = cell
                generation += 1
            }
        }
    }
}
