import FlowcastTestSupport
import FlowcastTopology
import Foundation
import Testing

/// A minimal valid topology; tests splice faults into copies of it.
let minimalYAML = """
bands:
  - { id: n78, lowMHz: 3300, highMHz: 3800, blockMHz: 10 }
nodes:
  - { id: s1 }
  - { id: s2 }
  - { id: core }
cells:
  - { id: c1, band: n78, minBlocks: 1, maxBlocks: 5, peakSpectralEfficiency: 5, neighbours: [c2] }
  - { id: c2, band: n78, minBlocks: 1, maxBlocks: 5, peakSpectralEfficiency: 5, neighbours: [c1] }
links:
  - { id: l1, a: s1, b: core, capacity: 1G }
  - { id: l2, a: s2, b: core, capacity: 1G }
  - { id: l3, a: s1, b: s2, capacity: 100M, weight: 3 }
demands:
  - { id: d1, source: s1, destination: core, cells: [c1], paths: [[l1], [l3, l2]] }
match:
  - { gtpAddress: 10.10.0.1, cell: c1 }
  - { vlan: 101, links: [l1] }

"""

func problems(_ yaml: String) -> [TopologyProblem] {
    do {
        _ = try Topology(yaml: yaml, file: "t.yaml")
        return []
    } catch {
        return error.problems
    }
}

@Test func minimalTopologyLoads() throws {
    let t = try Topology(yaml: minimalYAML)
    #expect(t.cells.count == 2)
    #expect(t.bands[0].blockCount == 50)
    #expect(t.links[0].capacity == 1e9)
    #expect(t.links[2].weight == 3)
    #expect(t.demands[0].paths == [[0], [2, 1]])
    #expect(t.cells[0].neighbours == [1])
}

@Test func demoTopologyLoads() throws {
    let path = Fixtures.captures.appendingPathComponent("demo/topology.yaml").path
    let t = try Topology(contentsOfFile: path)
    #expect(t.cells.count == 6)
    #expect(t.nodes.count == 9)
    #expect(t.demands.allSatisfy { (2...4).contains($0.paths.count) })
    #expect(t.cells[3].minBlocks == 2 && t.cells[3].maxBlocks == 18)
    #expect(t.bands[0].blockCount == 20)
    // Every cell's radio KPI log, resolved against the topology's folder.
    #expect(t.cells.map { $0.kpiSource.map { URL(fileURLWithPath: $0).standardizedFileURL.path } }
        == (1...6).map { Fixtures.captures.appendingPathComponent("demo/radio-cell-\($0).csv").standardizedFileURL.path })
}

@Test func everyProblemIsReportedWithItsLine() {
    let yaml = """
    bands:
      - { id: n78, lowMHz: 3300, highMHz: 3800, blockMHz: 10 }
      - { id: n77, lowMHz: 3700, highMHz: 4000, blockMHz: 10 }
    nodes:
      - { id: s1 }
      - { id: s1 }
      - { id: core }
    cells:
      - { id: c1, band: n78, peakSpectralEfficiency: 5, neighbours: [c2] }
      - { id: c2, band: n78, peakSpectralEfficiency: 5 }
      - { id: c3, band: n99, peakSpectralEfficiency: 5 }
    links:
      - { id: l1, a: s1, b: core, capacity: -5 }
      - { id: l2, a: s1, b: core, capacity: 1G }
    demands:
      - { id: d1, source: s1, destination: core, paths: [[l1, l2]] }
    match:
      - { gtpAddress: 10.10.0.1, cell: nope }
      - { prefix: 10.0.0.1/8, links: [l1] }
      - { vlan: 5000, links: [l9] }

    """
    let found = problems(yaml)
    let lines = found.map(\.line)
    #expect(found.contains { $0.line == 3 && $0.message.contains("overlaps band 'n78'") })
    #expect(found.contains { $0.line == 6 && $0.message.contains("duplicate node id 's1'") })
    #expect(found.contains { $0.line == 9 && $0.message.contains("asymmetric") })
    #expect(found.contains { $0.line == 11 && $0.message.contains("unknown band 'n99'") })
    #expect(found.contains { $0.line == 13 && $0.message.contains("negative capacity") })
    #expect(found.contains { $0.line == 16 && $0.message.contains("path 1 of demand 'd1'") })
    #expect(found.contains { $0.line == 18 && $0.message.contains("unknown cell 'nope'") })
    #expect(found.contains { $0.line == 19 && $0.message.contains("bad prefix") })
    #expect(found.contains { $0.line == 20 && $0.message.contains("VLAN 5000") })
    #expect(lines == lines.sorted())
    #expect(found.allSatisfy { $0.description.hasPrefix("t.yaml:\($0.line): ") })
}

@Test("a demand that lists the same path twice is a problem on the second one's line")
func samePathTwice() {
    let yaml = """
    nodes:
      - { id: s1 }
      - { id: core }
    links:
      - { id: l1, a: s1, b: core, capacity: 1G }
      - { id: l2, a: s1, b: core, capacity: 1G }
    demands:
      - id: d1
        source: s1
        destination: core
        paths:
          - [l1]
          - [l2]
          - [l1]

    """
    let found = problems(yaml)
    #expect(found.count == 1 && found.first?.line == 14, "\(found)")
    #expect(found.first?.message == "path 3 of demand 'd1' has the same links as its path 1", "\(found)")
}

@Test func yamlSyntaxErrorNamesTheLine() {
    let found = problems("bands:\n  - { id: n78, lowMHz: 3300\nnodes: [\n")
    #expect(found.count == 1)
    #expect((found.first?.line ?? 0) >= 2)
    #expect(found.first?.message.hasPrefix("YAML syntax") == true)
}

@Test func unknownKeysAreProblems() {
    let found = problems(minimalYAML.replacingOccurrences(of: "weight: 3", with: "wieght: 3"))
    #expect(found.contains { $0.message.contains("unknown key 'wieght'") && $0.line == 13 })
}

@Test func disconnectedPathIsReported() {
    let found = problems(minimalYAML.replacingOccurrences(of: "[[l1], [l3, l2]]", with: "[[l2], [l3, l2]]"))
    #expect(found.map(\.message) == ["path 1 of demand 'd1' is not connected: link 'l2' does not touch node 's1'"])
}

@Test func bandwidthBoundsBeyondTheBandAreReported() {
    let found = problems(minimalYAML.replacingOccurrences(
        of: "minBlocks: 1, maxBlocks: 5, peakSpectralEfficiency: 5, neighbours: [c2]",
        with: "minBlocks: 7, maxBlocks: 60, peakSpectralEfficiency: 5, neighbours: [c2]"))
    #expect(found.contains { $0.message.contains("has only 50") })
    let inverted = problems(minimalYAML.replacingOccurrences(
        of: "minBlocks: 1, maxBlocks: 5, peakSpectralEfficiency: 5, neighbours: [c2]",
        with: "minBlocks: 7, maxBlocks: 6, peakSpectralEfficiency: 5, neighbours: [c2]"))
    #expect(inverted.contains { $0.message.contains("above maximum") })
}

@Test func missingSpectrumEfficiencyIsReported() {
    let found = problems(minimalYAML.replacingOccurrences(
        of: "maxBlocks: 5, peakSpectralEfficiency: 5, neighbours: [c1]", with: "maxBlocks: 5, neighbours: [c1]"))
    #expect(found.map(\.message) == ["cell 'c2' needs 'peakSpectralEfficiency' or 'kpiSource'"])
}

@Test func emptyOrMisshapenFilesAreProblemsNotCrashes() {
    #expect(problems("").count == 1)
    #expect(problems("- 1\n- 2\n").count >= 1)
    #expect(problems("bands: 3\n").first?.message == "'bands' must be a list")
}

@Test func radioKPISourceAndCQITable() throws {
    let yaml = minimalYAML.replacingOccurrences(
        of: "{ id: c1, band: n78, minBlocks: 1, maxBlocks: 5, peakSpectralEfficiency: 5, neighbours: [c2] }",
        with: "{ id: c1, band: n78, minBlocks: 1, maxBlocks: 5, kpiSource: kpi/c1.csv, cqiTable: table2-256qam, neighbours: [c2] }")
    // A relative log is found beside the topology file; an absolute one is kept.
    let t = try Topology(yaml: yaml, file: "/etc/flowcast/site.yaml")
    #expect(t.cells[0].kpiSource == "/etc/flowcast/kpi/c1.csv" && t.cells[0].cqiTable == "table2-256qam")
    #expect(t.cells[0].peakSpectralEfficiency == nil && t.cells[1].cqiTable == nil)
    let absolute = try Topology(yaml: yaml.replacingOccurrences(of: "kpi/c1.csv", with: "/data/c1.csv"), file: "/etc/site.yaml")
    #expect(absolute.cells[0].kpiSource == "/data/c1.csv")
    // A table that TS 38.214 does not have, or a table with no log to read, is a problem on its line.
    #expect(problems(yaml.replacingOccurrences(of: "table2-256qam", with: "table3")).map(\.description)
        == ["t.yaml:8: cell 'c1': cqiTable 'table3' is not table1 or table2-256qam"])
    #expect(problems(minimalYAML.replacingOccurrences(of: "peakSpectralEfficiency: 5, neighbours: [c1]",
                                                      with: "peakSpectralEfficiency: 5, cqiTable: table1, neighbours: [c1]")).map(\.description)
        == ["t.yaml:9: cell 'c2': cqiTable is given without a kpiSource"])
}

@Test("capacities outside 1 bit/s to 1 Pbit/s and weights above IS-IS's largest metric are problems at their lines; the bounds themselves load")
func capacityAndWeightBounds() throws {
    func yaml(_ links: String) -> String {
        "nodes:\n  - { id: s1 }\n  - { id: core }\nlinks:\n" + links + "\n"
    }
    // Before these bounds: 1e30 and 1e-300 ended a backtest in "unexpected solver status 4/0",
    // 1e-9 in "the model is infeasible", and a weight of 1e300 aborted the process inside Clp.
    let bad = yaml("""
      - { id: huge, a: s1, b: core, capacity: 1e30 }
      - { id: tiny, a: s1, b: core, capacity: 1e-9 }
      - { id: heavy, a: s1, b: core, capacity: 1G, weight: 1e300 }
      - { id: over, a: s1, b: core, capacity: 1000T, weight: 16777216 }
    """)
    let found = problems(bad).map(\.description)
    #expect(found == [
        "t.yaml:5: link 'huge' has capacity 1e+30 bit/s, above 1 Pbit/s (1e15): capacities are in bit/s (2.5G is 2.5e9)",
        "t.yaml:6: link 'tiny' has capacity 1e-09 bit/s, under 1 bit/s: capacities are in bit/s (2.5G is 2.5e9)",
        "t.yaml:7: link 'heavy' has weight 1e+300, above 16777215, the largest IS-IS wide metric (OSPF's is 65535)",
        "t.yaml:8: link 'over' has weight 16777216.0, above 16777215, the largest IS-IS wide metric (OSPF's is 65535)",
    ], "\(found)")
    let edges = try Topology(yaml: yaml("""
      - { id: one, a: s1, b: core, capacity: 1, weight: 0 }
      - { id: peta, a: s1, b: core, capacity: 1e15, weight: 16777215 }
    """))
    #expect(edges.links.map(\.capacity) == [1, 1e15] && edges.links.map(\.weight) == [0, 16_777_215])
}

/// Tags were ignored: `!secret 10.0.0.1` read as the address after it, `!!binary 1G` as 1 Gbit/s.
/// YAML's core tags are only what the loader reads anyway; any other is a problem at its line.
@Test("tags other than YAML's core ones are problems at their lines")
func unknownTagsAreProblems() throws {
    let yaml = """
    nodes:
      - { id: s1, address: !secret 10.0.0.1 }
      - { id: !!str core }
    links:
      - { id: l1, a: s1, b: core, capacity: !!binary 1G }
      - !foo { id: l2, a: s1, b: core, capacity: !!int 1000 }
    """
    let tail = " is not one Flowcast reads (only YAML's core tags: !!str, !!int, !!float, !!bool, !!null, !!map, !!seq)"
    #expect(problems(yaml).map(\.description) == ["t.yaml:2: tag '!secret'" + tail, "t.yaml:5: tag '!!binary'" + tail, "t.yaml:6: tag '!foo'" + tail])
    let core = try Topology(yaml: yaml.replacingOccurrences(of: "!secret ", with: "").replacingOccurrences(of: "!!binary ", with: "")
        .replacingOccurrences(of: "!foo ", with: ""))
    #expect(core.links.map(\.capacity) == [1e9, 1000] && core.nodes.map(\.id) == ["s1", "core"])
}

/// `1K` was taken and `1g` refused: the decimal suffixes are one each in either case, but m,
/// milli in SI, is refused with what to write instead.
@Test("rate suffixes: k/K, M, G/g, T/t; m is refused, naming M")
func rateSuffixes() throws {
    func yaml(_ capacity: String) -> String {
        "nodes:\n  - { id: s1 }\n  - { id: core }\nlinks:\n  - { id: l1, a: s1, b: core, capacity: \(capacity) }\n"
    }
    for (text, value) in [("1k", 1e3), ("1K", 1e3), ("10M", 1e7), ("2.5G", 2.5e9), ("2.5g", 2.5e9), ("1T", 1e12), ("1t", 1e12), ("10_000", 1e4)] {
        #expect(try Topology(yaml: yaml(text)).links.map(\.capacity) == [value], "\(text)")
    }
    #expect(problems(yaml("10m")).map(\.description) == ["t.yaml:5: 'capacity' in link 'l1' must be a number, got '10m': m is milli; write 10M for mega"])
    #expect(problems(yaml("10x")).map(\.description) == ["t.yaml:5: 'capacity' in link 'l1' must be a number, got '10x'"])
}

@Test("a peak spectrum efficiency outside 0.001 to 100 bit/s/Hz is a problem at its line (1e-25 aborted plan inside Clp)")
func peakEfficiencyBounds() {
    func yaml(_ se: String) -> String {
        "bands:\n  - { id: n78, lowMHz: 3400, highMHz: 3500, blockMHz: 10 }\ncells:\n  - { id: c1, band: n78, peakSpectralEfficiency: \(se) }\n"
    }
    for se in ["1e-25", "0", "-1", "1000", "1.7976931348623157e308"] {
        let found = problems(yaml(se)).map(\.description)
        #expect(found.count == 1 && found[0].hasPrefix("t.yaml:4: cell 'c1' has peak spectrum efficiency ")
                && found[0].hasSuffix(" bit/s/Hz; expected 0.001 to 100"), "\(se): \(found)")
    }
    for se in ["0.001", "100", "5.5"] { #expect(problems(yaml(se)).isEmpty, "\(se)") }
}

/// An id listed twice in a list of ids is refused at the repeat, naming the first: a rule listing
/// a link twice would have counted that link's traffic twice, a demand listing a cell twice that
/// cell's load twice.
@Test func anIdListedTwiceIsRefusedAtTheRepeat() {
    let neighbours = minimalYAML.replacingOccurrences(of: "neighbours: [c2] }", with: "neighbours: [c2, c2] }")
    #expect(problems(neighbours).map(\.description) == ["t.yaml:8: 'neighbours' in cell 'c1' lists 'c2' twice (first at line 8)"])
    let cells = minimalYAML.replacingOccurrences(of: "cells: [c1], paths", with: "cells: [c1, c1], paths")
    #expect(problems(cells).map(\.description) == ["t.yaml:15: 'cells' in demand 'd1' lists 'c1' twice (first at line 15)"])
    let rule = minimalYAML.replacingOccurrences(of: "- { vlan: 101, links: [l1] }", with: """
        - vlan: 101
            links:
              - l1
              - l2
              - l1
        """)
    #expect(problems(rule).map(\.description) == ["t.yaml:22: 'links' in match rule lists 'l1' twice (first at line 20)"])
    // The same id in two different lists is fine: c1 is both a neighbour of c2 and a demand's cell.
    #expect(problems(minimalYAML).isEmpty)
}

/// Hostile and odd files from the topology audit (6 December 2026): each one line at its line,
/// nothing printed raw, nothing rewritten without a word.
@Suite("Topology files from the audit")
struct TopologyAuditTests {
    /// A control character (libyaml refuses it) was a three-line message quoting the raw line: an
    /// ESC in a comment reached the terminal. A value quoted in a problem shows its code points.
    @Test("control characters: one line at their line, as code points, never raw")
    func controlCharactersAreOneLineAndVisible() {
        let comment = problems(minimalYAML.replacingOccurrences(of: "nodes:", with: "# \u{1B}[2J comment\nnodes:"))
        #expect(comment.map(\.description) == ["t.yaml:3: YAML: control characters are not allowed (U+001B)"], "\(comment)")
        let value = problems(minimalYAML.replacingOccurrences(of: "capacity: 100M", with: "capacity: \"100M\u{202E}\""))
        #expect(value.count == 1 && value[0].description.contains("got '100M⟨U+202E⟩'"), "\(value.map(\.description))")
        #expect(!value[0].description.unicodeScalars.contains("\u{202E}"))
    }

    /// YAML 1.1 reads NEL, LS and PS as line breaks and folded one inside an id to a space: "l 3".
    @Test("a NEL, LS or PS is refused at its line", arguments: ["\u{85}", "\u{2028}", "\u{2029}"])
    func yamlOneOneLineBreaksAreRefused(_ scalar: String) {
        let found = problems(minimalYAML.replacingOccurrences(of: "id: l3", with: "id: l\(scalar)3"))
        #expect(found.count == 1 && found[0].line == 13 && found[0].message.contains("is a line break to YAML 1.1"), "\(found)")
    }

    /// A UTF-8 byte order mark (a Windows editor's) was "did not find expected <document start>" at line 3.
    @Test("a byte order mark is read past")
    func aByteOrderMarkIsReadPast() throws {
        let t = try Topology(yaml: "\u{FEFF}" + minimalYAML)
        #expect(t.cells.count == 2 && t.links.count == 3)
    }

    /// A list or a lone value was said to be empty as well as not a mapping.
    @Test("a list or a lone value is one problem: not a mapping", arguments: ["- a\n- b\n", "just text\n"])
    func notAMappingIsSaidOnce(_ yaml: String) {
        #expect(problems(yaml).map(\.description) == ["t.yaml:1: topology must be a mapping (key: value)"])
    }

    /// `id: null` named a link "null" (and `band: null` matched a band of that name); " l3 " and
    /// "l3" read as one id wherever shown. Quoted, "null" is the text.
    @Test("a plain null id is refused, a quoted one is text; ids with edge spaces are refused")
    func nullAndSpacedIds() throws {
        #expect(problems(minimalYAML.replacingOccurrences(of: "id: l3", with: "id: null")).first?.description
                == "t.yaml:13: 'id' in link is null (YAML's null); quote it if it is the text")
        #expect(problems(minimalYAML.replacingOccurrences(of: "id: l3", with: "id: ~")).first?.message.contains("is null (YAML's ~)") == true)
        let quoted = try Topology(yaml: minimalYAML.replacingOccurrences(of: "l3", with: "\"null\""))
        #expect(quoted.links.map(\.id).contains("null"))
        #expect(problems(minimalYAML.replacingOccurrences(of: "id: l3", with: "id: \" l3 \"")).first?.description
                == "t.yaml:13: 'id' in link begins or ends with a space: ' l3 '")
    }

    /// Two neighbours whose minimums add up past their band passed the check, and every plan then
    /// failed naming no cell.
    @Test("neighbours whose minimum blocks cannot both fit in their band are named")
    func neighboursThatCannotBeKeptApart() {
        let tight = minimalYAML.replacingOccurrences(of: "lowMHz: 3300, highMHz: 3800, blockMHz: 10", with: "lowMHz: 3300, highMHz: 3500, blockMHz: 10")
            .replacingOccurrences(of: "minBlocks: 1, maxBlocks: 5", with: "minBlocks: 11, maxBlocks: 15")
        #expect(problems(tight).map(\.description) == [
            "t.yaml:8: neighbours 'c1' and 'c2' (line 9) need at least 11 + 11 blocks of band 'n78', which has 20: they cannot be kept apart"])
        let fits = tight.replacingOccurrences(of: "minBlocks: 11", with: "minBlocks: 10")
        #expect(problems(fits).isEmpty)
    }
}
