import FlowcastTopology

/// O-RAN A1 traffic-steering policies (ORAN_TrafficSteeringPreference_2.0.0, O-RAN.WG2.A1TD): for
/// each cell predicted hot, which neighbours to PREFER (spare capacity) and which to AVOID (also
/// hot) for the load of its slice.
///
/// Each `policyObject` is what the standard type defines: a slice-scoped `scope` (`sliceId` with
/// the cell's PLMN, and the hot cell as `cellId`) and `tspResources`; cells are
/// `{plmnId: {mcc, mnc}, cId: {ecI | ncI}}` from their `globalId`. A cell without a global identity
/// or a slice cannot be named to a RAN, so the export fails naming the cell and the topology field.
enum A1Exporter {
    /// A cell at or above this predicted utilisation gets a steering policy.
    static let hot = 0.8
    /// Neighbours below this are preferred for shifted load.
    static let spare = 0.7
    /// Neighbours at or above this are avoided.
    static let avoid = 0.9

    struct Document: Encodable {
        var policyTypeId = "ORAN_TrafficSteeringPreference_2.0.0"
        var policies: [Policy]
        /// Hot cells that get no policy, and why (absent when every hot cell has one).
        var unsteered: [Unsteered]?
    }
    /// A cell predicted hot with no neighbour to prefer (all at 70 % or more) nor to avoid (all
    /// under 90 %): the standard type has nothing to say for it, but the reviewer should know.
    struct Unsteered: Encodable {
        var cell: String
        var reason: String
    }
    struct Policy: Encodable {
        var policyId: String
        var policyObject: PolicyObject
        var reason: String
    }
    struct PolicyObject: Encodable {
        var scope: Scope
        var tspResources: [Resource]
    }
    struct Scope: Encodable {
        var sliceId: SliceID
        var cellId: CellID
    }
    struct PLMNID: Encodable, Hashable {
        var mcc: String
        var mnc: String
    }
    struct SliceID: Encodable {
        var sst: Int
        var sd: String?
        var plmnId: PLMNID
    }
    struct CellID: Encodable {
        var plmnId: PLMNID
        var cId: CID
    }
    /// Exactly one of `ecI` (E-UTRA) and `ncI` (NR).
    struct CID: Encodable {
        var ecI: UInt64?
        var ncI: UInt64?
    }
    struct Resource: Encodable {
        var cellIdList: [CellID]
        var preference: String
    }

    static func policies(_ document: PolicyDocument) throws(PolicyError) -> Document {
        // Every cell's scope (its slice in its PLMN, and itself), checked before any policy is made.
        var scopes: [String: Scope] = [:]
        for cell in document.spectrum.cells {
            guard let text = cell.globalId else {
                throw .inconsistent("A1 export: cell '\(cell.id)' has no global identity; add 'globalId: ecgi:MCC-MNC-ECI' "
                                    + "(or ncgi:MCC-MNC-NCI) to cell '\(cell.id)' in the topology and plan again")
            }
            guard let global = GlobalCellID(text) else {
                throw .inconsistent("A1 export: cell '\(cell.id)' has globalId '\(text)', not ecgi:MCC-MNC-ECI or ncgi:MCC-MNC-NCI")
            }
            guard let slice = cell.slice else {
                throw .inconsistent("A1 export: cell '\(cell.id)' has no slice; add 'slice: { sst: 1 }' (and sd if the slice has one) "
                                    + "to cell '\(cell.id)' or at the top of the topology as the default, and plan again")
            }
            let plmn = PLMNID(mcc: global.mcc, mnc: global.mnc)
            let cId = global.kind == .ecgi ? CID(ecI: global.cellIdentity) : CID(ncI: global.cellIdentity)
            scopes[cell.id] = Scope(sliceId: SliceID(sst: slice.sst, sd: slice.sd, plmnId: plmn), cellId: CellID(plmnId: plmn, cId: cId))
        }
        func cellID(_ id: String) throws(PolicyError) -> CellID {
            guard let known = scopes[id]?.cellId else {
                throw .inconsistent("A1 export: neighbour '\(id)' is not a cell of the policy's spectrum plan")
            }
            return known
        }

        let utilisation = Dictionary(document.predicted.cells.map { ($0.id, $0.utilisation) }, uniquingKeysWith: { a, _ in a })
        // Cells given no spectrum: `--to nrcelldu` locks them, so they take no UE. Such a cell read
        // as 0 % used (no load on no capacity) and was PREFERred, and a loaded one got a policy
        // "predicted at 100000000%" (the planner's sentinel for load on no capacity).
        let off = Set(document.spectrum.cells.filter { $0.blocks.isEmpty }.map(\.id))
        var out: [Policy] = []
        var unsteered: [Unsteered] = []
        for cell in document.spectrum.cells {
            let u = utilisation[cell.id] ?? 0
            guard u >= hot else { continue }
            if off.contains(cell.id) {
                unsteered.append(Unsteered(cell: cell.id, reason: "has no spectrum in this plan (its NR cell is locked): its UEs are "
                    + "not served here to be steered"))
                continue
            }
            // Only neighbours in the cell's own slice and PLMN: a policy scoped to slice S of
            // operator P that PREFERs another operator's cell, or a cell without S, would move UEs
            // where they have no service.
            let scope = scopes[cell.id]!
            let outside = cell.neighbours.sorted().filter { n in
                guard let other = scopes[n] else { return false }  // cellID(_:) names it below
                return other.sliceId.plmnId != scope.sliceId.plmnId || other.sliceId.sst != scope.sliceId.sst
                    || other.sliceId.sd != scope.sliceId.sd
            }
            let neighbours = cell.neighbours.sorted().filter { !outside.contains($0) && !off.contains($0) }
            let prefer = neighbours.filter { (utilisation[$0] ?? 1) < spare }
            let avoided = neighbours.filter { (utilisation[$0] ?? 0) >= avoid }
            var left: [String] = []
            if !outside.isEmpty { left.append("\(outside.joined(separator: ", ")) in another slice or PLMN") }
            let idle = cell.neighbours.sorted().filter { off.contains($0) && !outside.contains($0) }
            if !idle.isEmpty { left.append("\(idle.joined(separator: ", ")) with no spectrum") }
            let leftOut = left.isEmpty ? "" : "; neighbours left out: " + left.joined(separator: "; ")
            var resources: [Resource] = []
            if !prefer.isEmpty { resources.append(Resource(cellIdList: try prefer.map(cellID), preference: "PREFER")) }
            if !avoided.isEmpty { resources.append(Resource(cellIdList: try avoided.map(cellID), preference: "AVOID")) }
            guard !resources.isEmpty else {
                let levels = neighbours.map { "\($0) \(Int(((utilisation[$0] ?? 0) * 100).rounded()))%" }.joined(separator: ", ")
                unsteered.append(Unsteered(cell: cell.id, reason: "predicted at \(Int((u * 100).rounded()))% of its allocated capacity, "
                    + (neighbours.isEmpty ? (cell.neighbours.isEmpty ? "and it has no neighbours" : "and no neighbour it can steer to")
                       : "but no neighbour is under \(Int(spare * 100))% to prefer or at \(Int(avoid * 100))% or more to avoid (\(levels))")
                    + leftOut))
                continue
            }
            out.append(Policy(
                policyId: "flowcast-\(cell.id)",
                policyObject: PolicyObject(scope: scope, tspResources: resources),
                reason: "cell \(cell.id) (\(cell.globalId ?? "")) predicted at \(Int((u * 100).rounded()))% of its allocated capacity" + leftOut))
        }
        return Document(policies: out, unsteered: unsteered.isEmpty ? nil : unsteered)
    }
}
