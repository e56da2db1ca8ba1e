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

// The committed example (policies/examples/demo-policy.json) sizes the demo's cells by their radio
// KPI logs, which FlowcastPipeline reads for `flowcast plan`; FlowcastCLITests reproduces it with the
// command that wrote it ("the committed demo example and baseline are what flowcast plan writes").

@Test func embeddedSchemaEqualsTheCommittedFile() throws {
    let file = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("policies/schema/policy.schema.json"), encoding: .utf8)
    #expect(file.trimmingCharacters(in: .whitespacesAndNewlines) == PolicyDocument.jsonSchema.trimmingCharacters(in: .whitespacesAndNewlines))
}

@Test func writeThenReadRoundTrips() throws {
    let doc = try demoPlan().1
    let url = Scratch.root.appendingPathComponent("flowcast-policy-\(UUID().uuidString).json")
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

/// A cell's efficiency: its forecast's, else the one measured from its radio KPIs, else the
/// configured peak; the decision's reason says which, and a cell with none of them is an error.
@Test func spectrumEfficiencyComesFromTheForecastThenRadioKPIsThenThePeak() throws {
    let (topology, _) = try demoPlan()
    var input = try ForecastSet(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("policies/examples/demo-forecasts.json"))
    #expect(input.forecasts.first { $0.id == "cell-2" }?.spectralEfficiency == 5.2)
    input.measuredEfficiencies = [MeasuredEfficiency(cell: "cell-1", bitsPerSecondPerHertz: 2.75, source: "radio KPIs: test"),
                                  MeasuredEfficiency(cell: "cell-2", bitsPerSecondPerHertz: 1.0, source: "radio KPIs: ignored")]
    let provenance = Provenance(inputDigest: "x", topologyDigest: "y", modelId: nil, window: nil, generator: "test")
    let doc = try PolicyPlanner(topology: topology).plan(input, provenance: provenance)
    let cells = Dictionary(uniqueKeysWithValues: doc.spectrum.cells.map { ($0.id, $0) })
    // 400 Mbit/s at 2.75 bit/s/Hz × 1.2 in 10 MHz blocks: 17.5 → 18 blocks, capped at 10.
    #expect(cells["cell-1"]?.reason.hasPrefix("P90 400.0 Mbit/s at 2.75 bit/s/Hz (radio KPIs: test) with ×1.2 headroom needs 18 blocks") == true)
    #expect(cells["cell-1"]?.forecast.spectralEfficiency == 2.75)
    #expect(cells["cell-2"]?.reason.contains("at 5.20 bit/s/Hz (forecast)") == true)
    #expect(cells["cell-3"]?.reason.contains("at 5.50 bit/s/Hz (configured peak)") == true)
    #expect(cells["cell-3"]?.forecast.spectralEfficiency == nil)

    var noPeak = topology
    noPeak.cells[2].peakSpectralEfficiency = nil
    noPeak.cells[2].kpiSource = "/data/cell-3.csv"
    #expect(throws: PolicyError.inconsistent("cell 'cell-3' has no spectrum efficiency: its forecast gives none, its radio KPIs gave none, and the topology states no peakSpectralEfficiency")) {
        try PolicyPlanner(topology: noPeak).plan(input, provenance: provenance)
    }
}

/// A cell whose radio KPIs measure 0 bit/s/Hz (every CQI 0, out of range): its reason says no
/// number of blocks carries its P90, where it said it needs 0 blocks beside the whole P90 unmet.
@Test func aCellAtZeroEfficiencyIsNotSaidToNeedNoBlocks() throws {
    let topologyURL = Fixtures.captures.appendingPathComponent("demo/topology.yaml")
    let t = try Topology(contentsOfFile: topologyURL.path)
    var input = try ForecastSet(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("policies/examples/demo-forecasts.json"))
    input.forecasts = input.forecasts.filter { $0.kind != .cell || $0.id != "cell-3" || $0.spectralEfficiency == nil }
    input.measuredEfficiencies = [MeasuredEfficiency(cell: "cell-3", bitsPerSecondPerHertz: 0, source: "radio KPIs: every CQI 0")]
    let provenance = Provenance(inputDigest: "sha256:0", topologyDigest: "sha256:0", modelId: nil, window: nil, generator: "test")
    let doc = try PolicyPlanner(topology: t).plan(input, provenance: provenance)
    let cell = try #require(doc.spectrum.cells.first { $0.id == "cell-3" })
    #expect(cell.reason.contains("at 0.00 bit/s/Hz (radio KPIs: every CQI 0) with ×1.2 headroom no number of blocks carries it"), "\(cell.reason)")
    #expect(!cell.reason.contains("needs 0 blocks"))
    #expect(cell.unmetDemand > 0)
}

/// `schemaViolations` and `validate` read bytes with the same strict parser, so they give one
/// verdict on every document: valid, the same schema violation first, or not JSON at the same place.
@Test("schemaViolations gives validate's verdict on valid, invalid and malformed documents", arguments: [
    "", "{", #"{"schemaVersion": 1e400}"#, #"{"a": [1, 2,]}"#, #"{"a": NaN}"#, #"{"a": "\ud800"}"#, "[1] [2]", #"{"schemaVersion": 1}"#,
])
func schemaViolationsAgreeWithValidate(_ text: String) throws {
    let data = Data(text.utf8)
    let violations = PolicyDocument.schemaViolations(data)
    do {
        try PolicyDocument.validate(data, path: "p.json")
        #expect(violations.isEmpty, "\(violations)")
    } catch .badInput(_, let message) {
        #expect(violations.count == 1 && violations[0].field == "$" && violations[0].message == message, "\(violations) against \(message)")
    } catch .schemaViolation(_, let field, let message) {
        #expect(violations.first?.field == field && violations.first?.message == message, "\(violations) against \(field): \(message)")
    } catch {
        Issue.record("unexpected \(error)")
    }
}

@Test("schemaViolations finds nothing in the golden policy")
func goldenPolicyHasNoViolations() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/policy.json")
    #expect(PolicyDocument.schemaViolations(try Data(contentsOf: url)).isEmpty)
}

/// A policy whose cell gives "blocks" twice is refused, naming the key and where it repeats: read
/// first-wins, `diff` saw the first list while Python's json and jq see the second.
@Test("a policy with a key given twice is refused, naming the key")
func repeatedKeyIsRefused() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/policy.json")
    let text = try String(contentsOf: url, encoding: .utf8)
    let range = try #require(text.range(of: "\"blocks\" : ["))
    let doubled = text.replacingCharacters(in: range, with: "\"blocks\" : [40, 41], \"blocks\" : [")
    // Where the second "blocks" begins: 1-based line and column.
    let before = doubled[..<doubled.index(range.lowerBound, offsetBy: "\"blocks\" : [40, 41], ".count)]
    let line = before.filter { $0 == "\n" }.count + 1
    let column = before.count - (before.lastIndex(of: "\n").map { before.distance(from: before.startIndex, to: $0) + 1 } ?? 0) + 1
    #expect(throws: PolicyError.badInput(path: "p.json", message: "not valid JSON at line \(line), column \(column): key \"blocks\" given twice in one object")) {
        _ = try PolicyDocument(jsonData: Data(doubled.utf8), path: "p.json")
    }
}
