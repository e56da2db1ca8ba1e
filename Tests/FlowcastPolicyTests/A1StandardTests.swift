@testable import FlowcastPolicy
import FlowcastTestSupport
import FlowcastTopology
import Foundation
import Testing

/// The A1 export against the O-RAN standard's own schemas (../shared/schemas/oran-a1), validated
/// by Python's `jsonschema`: every export the repository ships or makes from a shipped policy.
@Suite(.enabled(if: ORANA1Schemas.available, "needs ../shared/schemas/oran-a1 (the published O-RAN A1 schemas); skipped"))
struct A1StandardSchemaTests {
    func exportToFile(_ path: String) throws -> String {
        let document = try PolicyDocument(contentsOf: Fixtures.repositoryRoot.appendingPathComponent(path))
        let url = Scratch.root.appendingPathComponent("flowcast-a1-\(UUID().uuidString).json")
        try PolicyExporter.export(document, as: .a1).write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func committedAndFreshExportsConformToTrafficSteeringPreference() throws {
        let committed = ["policies/examples/demo-policy.a1.json", "Tests/FlowcastPolicyTests/Golden/a1.json"]
            .map { Fixtures.repositoryRoot.appendingPathComponent($0).path }
        let fresh = try shippedPolicies.map(exportToFile)
        defer { for path in fresh { try? FileManager.default.removeItem(atPath: path) } }
        let (policies, problems) = try ORANA1Schemas.check(exports: committed + fresh)
        #expect(problems == [])
        #expect(policies >= committed.count + fresh.count)  // every file steers at least one hot cell
    }

    @Test func theValidatorRejectsCellsNamedByText() throws {
        // The export as it was before: scope by a cell name, no slice. The standard refuses it.
        let old = """
            {"policyTypeId": "ORAN_TrafficSteeringPreference_2.0.0", "policies": [{"policyId": "flowcast-cell-1",
              "reason": "r", "policyObject": {"scope": {"cellId": {"cId": "cell-1"}},
              "tspResources": [{"cellIdList": [{"cId": "cell-2"}], "preference": "AVOID"}]}}]}
            """
        let url = Scratch.root.appendingPathComponent("flowcast-a1-old-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try old.write(to: url, atomically: true, encoding: .utf8)
        let (policies, problems) = try ORANA1Schemas.check(exports: [url.path])
        #expect(policies == 1)
        #expect(!problems.isEmpty)
    }
}

/// A cell the RAN cannot be told about stops the A1 export, naming the cell and the field.
@Test func a1ExportWithoutAGlobalIdentityNamesTheCellAndTheField() throws {
    var document = try PolicyDocument(contentsOf: goldenFolder.appendingPathComponent("policy.json"))
    document.spectrum.cells[2].globalId = nil
    #expect(throws: PolicyError.inconsistent("A1 export: cell 'cell-3' has no global identity; add 'globalId: ecgi:MCC-MNC-ECI' "
                                             + "(or ncgi:MCC-MNC-NCI) to cell 'cell-3' in the topology and plan again")) {
        try PolicyExporter.export(document, as: .a1)
    }
}

@Test func a1ExportWithoutASliceNamesTheCellAndTheField() throws {
    var document = try PolicyDocument(contentsOf: goldenFolder.appendingPathComponent("policy.json"))
    document.spectrum.cells[0].slice = nil
    do {
        _ = try PolicyExporter.export(document, as: .a1)
        Issue.record("exported without a slice")
    } catch {
        #expect("\(error)".contains("cell 'cell-1' has no slice"))
        #expect("\(error)".contains("slice: { sst: 1 }"))
    }
}

@Test func a1ScopesBySliceAndNamesCellsByPLMNAndCellIdentity() throws {
    let text = try PolicyExporter.export(try PolicyDocument(contentsOf: goldenFolder.appendingPathComponent("policy.json")), as: .a1)
    let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    let policy = try #require((root["policies"] as? [[String: Any]])?.first)
    let object = try #require(policy["policyObject"] as? [String: Any])
    let scope = try #require(object["scope"] as? [String: Any])
    let slice = try #require(scope["sliceId"] as? [String: Any])
    #expect(slice["sst"] as? Int == 1 && slice["sd"] as? String == "00A0B1")
    #expect((slice["plmnId"] as? [String: String]) == ["mcc": "001", "mnc": "01"])
    let cell = try #require(scope["cellId"] as? [String: Any])
    #expect((cell["cId"] as? [String: Int]) == ["ecI": 65793])
    // cell-6 is an NR cell: ncgi:001-01-4294968833 → ncI.
    let listed = (object["tspResources"] as? [[String: Any]] ?? []).flatMap { $0["cellIdList"] as? [[String: Any]] ?? [] }
    #expect(listed.contains { ($0["cId"] as? [String: Int]) == ["ncI": 4_294_968_833] })
}

/// Abilene is routing only: with no cells there is nothing to steer or configure, and neither
/// export asks for identities it has no use for.
@Test func aTopologyWithoutCellsExportsEmptyA1AndNRCellDU() throws {
    let t = try abileneTopology()
    let input = ForecastSet(forecasts: t.demands.map { Forecast(id: $0.id, kind: .demand, point: 1e6, upper: 2e6, source: "test") })
    let zero = "sha256:" + String(repeating: "0", count: 64)
    let document = try PolicyPlanner(topology: t).plan(input, provenance: Provenance(inputDigest: zero, topologyDigest: zero))
    #expect(document.spectrum.cells.isEmpty)
    let a1 = try #require(try JSONSerialization.jsonObject(with: Data(PolicyExporter.export(document, as: .a1).utf8)) as? [String: Any])
    #expect((a1["policies"] as? [Any])?.isEmpty == true)
    let nr = try #require(try JSONSerialization.jsonObject(with: Data(PolicyExporter.export(document, as: .nrcelldu).utf8)) as? [String: [Any]])
    #expect(nr["NRCellDU"]?.isEmpty == true && nr["NRSectorCarrier"]?.isEmpty == true)
}
