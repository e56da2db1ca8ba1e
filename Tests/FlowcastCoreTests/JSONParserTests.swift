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

/// A non-zero number too small for a double read as 0 here while JSONDecoder refused the file
/// naming no place (an audit's weight of 1e-400): refused, at its line and column, saying why.
/// Zero written any way, and the smallest subnormal, still read.
@Test func numbersThatUnderflowToZeroAreRefusedWhereTheyStand() throws {
    let failure = try #require(Data("{\n  \"weight\": 1e-400\n}".utf8).withUnsafeBytes { JSONValue.failure($0) })
    #expect(failure.line == 2 && failure.reason == "a number too small for a 64-bit floating-point value (it would read as 0)", "\(failure)")
    #expect(direct("[-0.00001e-400]") == nil)
    #expect(direct("[0, 0.0, -0e-400, 0.000e5, 4.9406564584124654e-324]") == .array([.number(0), .number(0), .number(0), .number(0), .number(Double.leastNonzeroMagnitude)]))
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

/// Every failure says why, not only where: an empty file, a byte-order mark from a Windows editor
/// and a Latin-1 string all read "not valid JSON at line 1, column 1" before, and each needs a
/// different fix.
@Test(arguments: [
    ([UInt8](), 1, 1, "the file is empty"),
    (Array(" \n ".utf8), 2, 2, "the file holds only white space"),
    ([0xEF, 0xBB, 0xBF] + Array("{}".utf8), 1, 1, "it starts with a UTF-8 byte-order mark (EF BB BF), which JSON does not allow; save the file without it"),
    (Array("{\"id\": \"caf".utf8) + [0xE9] + Array("\"}".utf8), 1, 12, "a string that is not valid UTF-8 (byte 0xE9); save the file as UTF-8"),
    (Array((String(repeating: "[", count: 600) + String(repeating: "]", count: 600)).utf8), 1, 513, "nested deeper than 512 levels"),
    (Array("{\"a\": \"open\n}".utf8), 1, 12, "a line break inside a string (a string that is never closed, or a newline to write as \\n)"),
    (Array("{\"a\": \"x\ty\"}".utf8), 1, 9, "a control character (byte 0x09) inside a string; write it as an escape"),
    (Array("{\"a\": \"open".utf8), 1, 12, "a string that is never closed (no closing '\"')"),
    (Array("{\"a\": 1,}".utf8), 1, 9, "expected a key in double quotes, found '}'"),
    (Array("{'a': 1}".utf8), 1, 2, "expected a key in double quotes, found '''"),
    (Array("{\"a\" 1}".utf8), 1, 6, "expected ':' after a key, found '1'"),
    (Array("{\"a\": 1 \"b\": 2}".utf8), 1, 9, "expected ',' or '}' in an object, found '\"'"),
    (Array("[1 2]".utf8), 1, 4, "expected ',' or ']' in an array, found '2'"),
    (Array("[1,]".utf8), 1, 4, "expected a value, found ']'"),
    (Array("{\"a\": 01}".utf8), 1, 8, "a number with a leading zero"),
    (Array("{\"a\": 1.}".utf8), 1, 9, "expected a digit after the decimal point, found '}'"),
    (Array("{\"a\": 1e}".utf8), 1, 9, "expected a digit in the exponent, found '}'"),
    (Array("{\"a\": 1e999}".utf8), 1, 12, "a number beyond what a 64-bit floating-point value holds"),
    (Array("{\"a\": NaN}".utf8), 1, 7, "expected a value, found 'N'"),
    (Array("{\"a\": tru}".utf8), 1, 7, "expected true, found 't'"),
    (Array("{\"a\": \"\\x\"}".utf8), 1, 9, "an unknown escape: a backslash before 'x' in a string (JSON has \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)"),
    (Array("{\"a\": \"\\ud800\"}".utf8), 1, 14, "a \\u escape of half a UTF-16 surrogate pair, with no second half after it"),
    (Array("{\"a\": \"\\u12\"}".utf8), 1, 12, "expected four hex digits after \\u, found '\"'"),
    (Array("{\"a\": 1} {}".utf8), 1, 10, "text after the end of the JSON value, found '{'"),
    (Array("{\"a\": 1,\n \"a\": 2}".utf8), 2, 2, "key \"a\" given twice in one object"),
    (Array("{\"a\": [1,\n".utf8), 2, 1, "the file ends where a value should start"),
] as [([UInt8], Int, Int, String)])
func everyFailureSaysWhy(bytes: [UInt8], line: Int, column: Int, reason: String) throws {
    let failure = try #require(bytes.withUnsafeBytes { JSONValue.failure($0) })
    #expect(failure.reason == reason)
    #expect(failure.line == line && failure.column == column, "\(failure)")
    #expect(bytes.withUnsafeBytes { JSONValue.parse($0) } == nil)
}
