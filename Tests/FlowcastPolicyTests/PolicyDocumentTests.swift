@testable import FlowcastPolicy
import FlowcastTestSupport
import FlowcastTopology
import Foundation
import Testing

func demoPlan() throws -> (Topology, PolicyDocument) {
    let topologyURL = Fixtures.captures.appendingPathComponent("demo/topology.yaml")
    let forecastsURL = Fixtures.repositoryRoot.appendingPathComponent("policies/examples/demo-forecasts.json")
    let t = try Topology(contentsOfFile: topologyURL.path)
    let input = try ForecastSet(contentsOf: forecastsURL)
    let provenance = Provenance(inputDigest: Provenance.digest(try Data(contentsOf: forecastsURL)),
                                topologyDigest: Provenance.digest(try Data(contentsOf: topologyURL)),
                                modelId: input.modelId, window: input.window, generator: "flowcast 0.1.0")
    return (t, try PolicyPlanner(topology: t).plan(input, provenance: provenance))
}

@Test func planningTwiceGivesIdenticalBytes() throws {
    let a = try demoPlan().1.jsonData()
    let b = try demoPlan().1.jsonData()
    #expect(a == b)
}

@Test func theCommittedDemoPolicyIsReproduced() throws {
    let committed = try Data(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("policies/examples/demo-policy.json"))
    #expect(try demoPlan().1.jsonData() == committed)
}

@Test func embeddedSchemaEqualsTheCommittedFile() throws {
    let file = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("policies/schema/policy.schema.json"), encoding: .utf8)
    #expect(file.trimmingCharacters(in: .whitespacesAndNewlines) == PolicyDocument.jsonSchema.trimmingCharacters(in: .whitespacesAndNewlines))
}

@Test func writeThenReadRoundTrips() throws {
    let doc = try demoPlan().1
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("flowcast-policy-\(UUID().uuidString).json")
    defer { try? FileManager.default.removeItem(at: url) }
    try doc.write(to: url)
    try doc.write(to: url)  // replacing an existing file is atomic too
    #expect(try PolicyDocument(contentsOf: url) == doc)
}

/// Edits a demo policy's JSON object tree and returns the first schema error.
func schemaError(_ edit: (inout [String: Any]) -> Void) throws -> PolicyError? {
    var object = try JSONSerialization.jsonObject(with: try demoPlan().1.jsonData()) as! [String: Any]
    edit(&object)
    let data = try JSONSerialization.data(withJSONObject: object)
    do {
        _ = try PolicyDocument(jsonData: data, path: "p.json")
        return nil
    } catch {
        return error
    }
}

@Test func missingReasonIsNamed() throws {
    let error = try schemaError { o in
        var routing = o["routing"] as! [String: Any]
        var demands = routing["demands"] as! [[String: Any]]
        demands[1]["reason"] = nil
        routing["demands"] = demands
        o["routing"] = routing
    }
    #expect(error == .schemaViolation(path: "p.json", field: "$.routing.demands[1].reason", message: "required field is missing"))
}

@Test func outOfRangeWeightIsNamed() throws {
    let error = try schemaError { o in
        var routing = o["routing"] as! [String: Any]
        var demands = routing["demands"] as! [[String: Any]]
        var paths = demands[0]["paths"] as! [[String: Any]]
        paths[0]["weight"] = 1.5
        demands[0]["paths"] = paths
        routing["demands"] = demands
        o["routing"] = routing
    }
    #expect(error == .schemaViolation(path: "p.json", field: "$.routing.demands[0].paths[0].weight", message: "must be at most 1, found 1.5"))
}

@Test func badDigestWrongTypeAndUnknownFieldsAreNamed() throws {
    let digest = try schemaError { o in
        var p = o["provenance"] as! [String: Any]
        p["topologyDigest"] = "md5:abc"
        o["provenance"] = p
    }
    #expect(digest == .schemaViolation(path: "p.json", field: "$.provenance.topologyDigest", message: "must match ^sha256:[0-9a-f]{64}$"))
    let version = try schemaError { o in o["schemaVersion"] = "1" }
    #expect(version == .schemaViolation(path: "p.json", field: "$.schemaVersion", message: "expected integer, found string"))
    let extra = try schemaError { o in o["surprise"] = true }
    #expect(extra == .schemaViolation(path: "p.json", field: "$.surprise", message: "unknown field"))
}

@Test func notJSONIsABadInputNotACrash() {
    #expect(throws: PolicyError.self) { try PolicyDocument(jsonData: Data("{\"schemaVersion\": ".utf8), path: "p.json") }
}
