import FlowcastCore
import FlowcastTestSupport
import Foundation
import Testing

/// The direct JSON parser used for schema validation gives what `JSONDecoder` gives, and refuses
/// what it refuses.
private func direct(_ text: String) -> JSONValue? { Data(text.utf8).withUnsafeBytes { JSONValue.parse($0) } }

@Test(arguments: [
    #"{"a": [1, 2.5, -3e2, 0, -0.0, 1E+3], "b": {"c": null, "d": true, "e": false}, "f": ""}"#,
    #"["\"\\\/\b\f\n\r\t", "\u00e9\u20ac\ud83d\ude00", "plain é €", 12345678901234567890]"#,
    "[]", "{}", "0.1", #""x""#,
])
func directParserMatchesJSONDecoder(text: String) throws {
    #expect(direct(text) == (try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))))
}

@Test(arguments: ["", #"{"dup": 1, "dup": 2}"#, #"[{"a": {"b": 1, "b": 1}}]"#, "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "+1", "[1 2]", "{\"a\" 1}", "\"\u{01}\"",
                  #""\x""#, #""\ud800""#, "tru", "nul", "[", "{\"a\":1} x", "NaN", "1e999"])
func directParserRejectsInvalidJSON(text: String) {
    #expect(direct(text) == nil)
}

/// Every policy document the repository ships (the same list the policy schema tests use).
@Test(arguments: ["policies/examples/demo-policy.json", "policies/baseline/demo.json",
                  "Tests/FlowcastPolicyTests/Golden/policy.json"])
func directParserReadsShippedPolicies(path: String) throws {
    let data = try Data(contentsOf: Fixtures.repositoryRoot.appendingPathComponent(path))
    #expect(data.withUnsafeBytes { JSONValue.parse($0) } == (try JSONDecoder().decode(JSONValue.self, from: data)))
}

/// A key given twice in one object is refused, and the failure names it where it appears the second
/// time: JSON readers differ on which value they keep (Python's json and jq the last, JSONDecoder
/// the first), so a policy with a second "blocks" meant one thing to `diff` and another to them.
@Test func repeatedKeyIsNamedWhereItRepeats() throws {
    let text = "{\n  \"a\": 1,\n  \"b\": {\"c\": 2,\n    \"c\": 3}\n}"
    let failure = try #require(Data(text.utf8).withUnsafeBytes { JSONValue.failure($0) })
    #expect(failure.line == 4 && failure.column == 5 && failure.repeatedKey == "c", "\(failure)")
    #expect(Data("{\"a\": 1}".utf8).withUnsafeBytes { JSONValue.failure($0) } == nil)
}
