@testable import FlowcastPolicy
import FlowcastCore
import FlowcastTestSupport
import Foundation
import Testing

/// Every policy document the repository ships, and every A1 export made from them, conforms to
/// its JSON Schema; and the A1 schema rejects what the O-RAN type does not allow.
let shippedPolicies = ["policies/examples/demo-policy.json", "policies/baseline/demo.json",
                       "Tests/FlowcastPolicyTests/Golden/policy.json"]

func jsonValue(_ text: String) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }

@Test(arguments: shippedPolicies)
func shippedPolicyValidatesAgainstThePolicySchema(path: String) throws {
    let text = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent(path), encoding: .utf8)
    let validator = SchemaValidator(schema: try jsonValue(PolicyDocument.jsonSchema))
    #expect(validator.violations(of: try jsonValue(text)) == [])
}

@Test(arguments: shippedPolicies)
func a1ExportValidatesAgainstTheA1Schema(path: String) throws {
    let document = try PolicyDocument(contentsOf: Fixtures.repositoryRoot.appendingPathComponent(path))
    let text = try PolicyExporter.export(document, as: .a1)
    #expect(A1Schema.violations(of: text) == [])
    #expect(text.contains("ORAN_TrafficSteeringPreference_2.0.0"))
}

@Test func committedA1ExamplesValidate() throws {
    for path in ["policies/examples/demo-policy.a1.json", "Tests/FlowcastPolicyTests/Golden/a1.json"] {
        let text = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent(path), encoding: .utf8)
        #expect(A1Schema.violations(of: text) == [], "\(path)")
    }
}

@Test func a1SchemaRejectsAnUnknownPreferenceAndAnEmptyCellList() throws {
    let bad = """
    {"policyTypeId": "ORAN_TrafficSteeringPreference_2.0.0", "policies": [{"policyId": "flowcast-c1", "reason": "r",
      "policyObject": {"scope": {"cellId": {"cId": "c1"}},
        "tspResources": [{"cellIdList": [{"cId": "c2"}], "preference": "LIKE"}, {"cellIdList": [], "preference": "AVOID"}]}}]}
    """
    let fields = A1Schema.violations(of: bad).map(\.field)
    #expect(fields == ["$.policies[0].policyObject.tspResources[0].preference",
                       "$.policies[0].policyObject.tspResources[1].cellIdList"])
}
