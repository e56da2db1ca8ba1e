import FlowcastTopology
import FlowcastTestSupport
import Foundation
import Testing

/// A cell's global identity and slice, as the A1 export names cells and scopes policies.
let identifiedYAML = minimalYAML
    .replacingOccurrences(of: "nodes:\n", with: "slice: { sst: 1 }\nnodes:\n")
    .replacingOccurrences(of: "neighbours: [c2] }", with: "neighbours: [c2], globalId: ecgi:001-01-65793, slice: { sst: 2, sd: 00a0B1 } }")
    .replacingOccurrences(of: "neighbours: [c1] }", with: "neighbours: [c1], globalId: ncgi:310-410-68719476735 }")

@Test func globalIdentitiesAndSlicesLoad() throws {
    let t = try Topology(yaml: identifiedYAML)
    #expect(t.cells[0].globalIdentity == GlobalCellID("ecgi:001-01-65793"))
    #expect(t.cells[0].globalIdentity?.kind == .ecgi && t.cells[0].globalIdentity?.cellIdentity == 65793)
    #expect(t.cells[1].globalIdentity?.kind == .ncgi && t.cells[1].globalIdentity?.mnc == "410")
    #expect(t.slice(ofCell: 0) == NetworkSlice(sst: 2, sd: "00a0B1"))
    #expect(t.slice(ofCell: 1) == NetworkSlice(sst: 1))  // the topology's default
}

@Test func aGlobalIdentityBeyondItsBitsIsRefusedAtItsLine() {
    // ECI is 28 bits (≤ 268435455), NCI 36 bits (≤ 68719476735).
    let yaml = identifiedYAML.replacingOccurrences(of: "ecgi:001-01-65793", with: "ecgi:001-01-268435456")
    #expect(problems(yaml).map(\.description) == [
        "t.yaml:9: cell 'c1': globalId 'ecgi:001-01-268435456' is not ecgi:MCC-MNC-ECI (ECI 0–268435455) or ncgi:MCC-MNC-NCI (NCI 0–68719476735)"])
    #expect(GlobalCellID("ncgi:001-01-68719476736") == nil)
    #expect(GlobalCellID("ecgi:01-01-1") == nil)
}

@Test func twoCellsWithOneGlobalIdentityAreRefused() {
    let yaml = identifiedYAML.replacingOccurrences(of: "ncgi:310-410-68719476735", with: "ecgi:001-01-65793")
    #expect(problems(yaml).map(\.description) == [
        "t.yaml:10: cell 'c2' has globalId 'ecgi:001-01-65793', as cell 'c1' does; a global identity names one cell"])
}

@Test func aBadSliceIsRefusedAtItsLine() {
    let sst = identifiedYAML.replacingOccurrences(of: "slice: { sst: 1 }", with: "slice: { sst: 256 }")
    #expect(problems(sst).map(\.description) == ["t.yaml:3: the slice of the topology has sst 256; expected 0–255"])
    let sd = identifiedYAML.replacingOccurrences(of: "sd: 00a0B1", with: "sd: 12345")
    #expect(problems(sd).map(\.description) == [
        "t.yaml:9: the slice of cell 'c1' has sd '12345'; expected six hexadecimal digits such as \"000001\""])
    let missing = identifiedYAML.replacingOccurrences(of: "slice: { sst: 1 }", with: "slice: { sd: \"000001\" }")
    #expect(problems(missing).map(\.description) == ["t.yaml:3: the slice of the topology is missing required 'sst'"])
}

/// Ids reach policies, diffs and reports one per line: a newline or an escape sequence in one
/// would forge lines there, so a topology holding one is refused at its line.
@Test func aControlCharacterInAnIdIsRefusedAtItsLine() {
    let newline = minimalYAML.replacingOccurrences(of: "- { id: l3,", with: "- { id: \"l3\\nfake\",")
    #expect(problems(newline).map(\.description).first == "t.yaml:13: 'id' in link contains a control character (U+000A)",
            "\(problems(newline))")
    let escape = minimalYAML.replacingOccurrences(of: "- { id: core }", with: "- { id: \"core\\e[31m\" }")
    #expect(problems(escape).map(\.description).contains { $0.hasPrefix("t.yaml:6: ") && $0.contains("contains a control character (U+001B)") },
            "\(problems(escape))")
    // A right-to-left override makes "c1" then "2c" read as "c1c2": refused, as is an isolate.
    let override = minimalYAML.replacingOccurrences(of: "- { id: l3,", with: "- { id: \"l3\\u202E4l\",")
    #expect(problems(override).map(\.description).first
            == "t.yaml:13: 'id' in link contains a bidirectional formatting character (U+202E), which reorders how the text around it reads",
            "\(problems(override))")
    let isolate = minimalYAML.replacingOccurrences(of: "- { id: core }", with: "- { id: \"core\\u2067x\" }")
    #expect(problems(isolate).map(\.description).contains { $0.hasPrefix("t.yaml:6: ") && $0.contains("(U+2067)") }, "\(problems(isolate))")
    // A zero-width space or a no-break space makes "c\u200B1" print as "c1": refused, named.
    let zeroWidth = minimalYAML.replacingOccurrences(of: "- { id: core }", with: "- { id: \"co\\u200Bre\" }")
    #expect(problems(zeroWidth).map(\.description).contains { $0.hasPrefix("t.yaml:6: ")
        && $0.hasSuffix("contains an invisible character (U+200B), which makes the text read as other text") }, "\(problems(zeroWidth))")
    let noBreak = minimalYAML.replacingOccurrences(of: "- { id: core }", with: "- { id: \"co\\u00A0re\" }")
    #expect(problems(noBreak).map(\.description).contains { $0.hasPrefix("t.yaml:6: ") && $0.contains("(U+00A0)") }, "\(problems(noBreak))")
    // Punctuation and letters beyond ASCII, right-to-left scripts included, are ids like any other;
    // so are combining marks (a decomposed é), which draw.
    #expect(problems(minimalYAML.replacingOccurrences(of: "c1", with: "\"zürich|1`<b>&\"")).isEmpty)
    #expect(problems(minimalYAML.replacingOccurrences(of: "c1", with: "\"zu\\u0308rich\"")).isEmpty)
    #expect(problems(minimalYAML.replacingOccurrences(of: "c1", with: "\"תא-1\"")).isEmpty)
}

/// A band range or a cell bound too large to count in blocks trapped converting to Int (found by
/// fuzzing, 5 December 2026; the input is tools/fuzz/regressions/topology/crash-band-range-beyond-int).
@Test func bandsAndBoundsBeyondIntAreProblemsNotTraps() {
    let reversed = minimalYAML.replacingOccurrences(of: "lowMHz: 3300", with: "lowMHz: 4e83")
    #expect(problems(reversed).contains { $0.description.hasPrefix("t.yaml:2: band 'n78' range 4e+83–3800.0 MHz is empty or negative") },
            "\(problems(reversed))")
    let huge = minimalYAML.replacingOccurrences(of: "highMHz: 3800, blockMHz: 10", with: "highMHz: 1e300, blockMHz: 1e-300")
    #expect(problems(huge).contains { $0.description.contains("more than the bound of") }, "\(problems(huge))")
    let bound = minimalYAML.replacingOccurrences(of: "minBlocks: 1, maxBlocks: 5, peakSpectralEfficiency: 5, neighbours: [c2]",
                                                 with: "minMHz: 10, maxMHz: 1e300, peakSpectralEfficiency: 5, neighbours: [c2]")
    #expect(problems(bound).contains { $0.description.contains("cell 'c1' allows") }, "\(problems(bound))")
}

/// A problem with the whole file has no line: it printed `FILE:0:`, a line no editor opens.
@Test func aFileThatCannotBeReadHasNoLineZero() {
    #expect(TopologyProblem(file: "/no/such.yaml", line: 0, message: "cannot read file: No such file or directory").description
            == "/no/such.yaml: cannot read file: No such file or directory")
    #expect(TopologyProblem(file: "t.yaml", line: 3, message: "x").description == "t.yaml:3: x")
}

/// docs/topology.md's "Complete example" says it is captures/demo/topology.yaml: it had drifted
/// (another band, other block bounds, no radio KPI logs), so a reader planning with it got none of
/// the documented policies. The block must be the file.
@Test func theDocumentedExampleIsTheDemoTopology() throws {
    let doc = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("docs/topology.md"), encoding: .utf8)
    let section = try #require(doc.range(of: "## Complete example"))
    let open = try #require(doc.range(of: "```yaml\n", range: section.upperBound..<doc.endIndex))
    let close = try #require(doc.range(of: "```", range: open.upperBound..<doc.endIndex))
    let file = try String(contentsOf: Fixtures.captures.appendingPathComponent("demo/topology.yaml"), encoding: .utf8)
    #expect(String(doc[open.upperBound..<close.lowerBound]) == file)
}

/// Every problem at once, as docs/topology.md says: a slice with a bad sst and a bad sd, and a
/// match rule with a bad VLAN naming an unknown cell, each had its second problem left unsaid.
@Test func everyProblemOfOneEntryIsListed() {
    let found = problems("""
    bands:
      - { id: n78, lowMHz: 3400, highMHz: 3600, blockMHz: 10 }
    cells:
      - { id: c1, band: n78, peakSpectralEfficiency: 5, slice: { sst: 256, sd: "xyz" } }
    match:
      - { vlan: 5000, cell: c9 }
    """).map(\.message)
    #expect(found.contains("the slice of cell 'c1' has sst 256; expected 0–255"), "\(found)")
    #expect(found.contains("the slice of cell 'c1' has sd 'xyz'; expected six hexadecimal digits such as \"000001\""), "\(found)")
    #expect(found.contains("VLAN 5000 in match rule is outside 0…4095"), "\(found)")
    #expect(found.contains("unknown cell 'c9' in match rule"), "\(found)")
}
