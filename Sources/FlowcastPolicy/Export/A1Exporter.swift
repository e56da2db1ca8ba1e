/// O-RAN A1 traffic-steering policies: for each cell predicted hot, which neighbours to PREFER
/// (spare capacity) and which to AVOID (also hot) for load shifted away from it.
///
/// Shaped like ORAN_TrafficSteeringPreference_2.0.0 (`scope.cellId`, `tspResources[]` with
/// `cellIdList` and `preference`). Cells are identified by their topology ids (`cId`) because the
/// topology carries no PLMN / NCI numbering.
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
    struct Scope: Encodable { var cellId: CellID }
    struct CellID: Encodable { var cId: String }
    struct Resource: Encodable {
        var cellIdList: [CellID]
        var preference: String
    }

    static func policies(_ document: PolicyDocument) -> Document {
        let utilisation = Dictionary(document.predicted.cells.map { ($0.id, $0.utilisation) }, uniquingKeysWith: { a, _ in a })
        var out: [Policy] = []
        for cell in document.spectrum.cells {
            let u = utilisation[cell.id] ?? 0
            guard u >= hot else { continue }
            let neighbours = cell.neighbours.sorted()
            let prefer = neighbours.filter { (utilisation[$0] ?? 1) < spare }
            let avoided = neighbours.filter { (utilisation[$0] ?? 0) >= avoid }
            var resources: [Resource] = []
            if !prefer.isEmpty { resources.append(Resource(cellIdList: prefer.map(CellID.init), preference: "PREFER")) }
            if !avoided.isEmpty { resources.append(Resource(cellIdList: avoided.map(CellID.init), preference: "AVOID")) }
            guard !resources.isEmpty else { continue }
            out.append(Policy(
                policyId: "flowcast-\(cell.id)",
                policyObject: PolicyObject(scope: Scope(cellId: CellID(cId: cell.id)), tspResources: resources),
                reason: "cell \(cell.id) predicted at \(Int((u * 100).rounded()))% of its allocated capacity"))
        }
        return Document(policies: out)
    }
}
