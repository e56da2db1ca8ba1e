import FlowcastTestSupport
import FlowcastTopology
import Foundation
import Testing

/// A topology beyond its bounds (docs/limits.md) is refused with a problem naming the file and line.
@Suite("Topology limits")
struct TopologyLimitTests {
    static func temporaryFile() -> String {
        Scratch.root.appendingPathComponent("flowcast-topology-\(UUID().uuidString).yaml").path
    }

    func problems(file path: String) -> [TopologyProblem] {
        do { _ = try Topology(contentsOfFile: path); return [] } catch { return error.problems }
    }

    @Test("a file larger than the bound is refused before it is read")
    func fileBeyondTheBound() throws {
        let path = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        #expect(truncate(path, off_t(TopologyLimits.maximumFileBytes + 1)) == 0)  // sparse: no disk
        let found = problems(file: path)
        #expect(found.map(\.line) == [0])
        #expect(found.first?.description == "\(path): the topology file is \(TopologyLimits.maximumFileBytes + 1) bytes, "
            + "more than the bound of \(TopologyLimits.maximumFileBytes) bytes (docs/limits.md)")
    }

    @Test("a line longer than the bound is a problem at that line")
    func lineBeyondTheBound() throws {
        let path = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let yaml = "bands:\n  - { id: n78 }\ncells: [" + String(repeating: "x", count: TopologyLimits.maximumLineBytes) + "]\n"
        try yaml.write(toFile: path, atomically: false, encoding: .utf8)
        let found = problems(file: path)
        #expect(found.map(\.line) == [3])
        #expect(found.first?.message.hasPrefix("line longer than \(TopologyLimits.maximumLineBytes) bytes") == true)
    }

    @Test("more cells or links than the bound is a problem at the first entry beyond it", arguments: ["cells", "links"])
    func countBeyondTheBound(_ key: String) throws {
        let bound = key == "cells" ? TopologyLimits.maximumCells : TopologyLimits.maximumLinks
        // Bare entries keep the file small; the ones under the bound are problems of their own.
        let yaml = "\(key):\n" + String(repeating: "  - x\n", count: bound + 1)
        let found: [TopologyProblem]
        do { _ = try Topology(yaml: yaml, file: "big.yaml"); found = [] } catch { found = error.problems }
        let beyond = found.filter { $0.message.hasPrefix("more than") }
        #expect(beyond.map(\.description) == [
            "big.yaml:\(bound + 2): more than \(bound) entries in '\(key)' (the bound, docs/limits.md); this is entry \(bound + 1)",
        ])
    }

    @Test("a band of more blocks than the bound is a problem at its line; one at the bound is not")
    func blocksPerBandBeyondTheBound() throws {
        func bandProblems(blocks: Int) -> [TopologyProblem] {
            // 0.1 MHz blocks from 3400 MHz: the demo topology's n78 at a finer grid.
            let yaml = "bands:\n  - { id: n78, lowMHz: 3400, highMHz: \(3400 + Double(blocks) / 10), blockMHz: 0.1 }\n"
            do { _ = try Topology(yaml: yaml, file: "b.yaml"); return [] } catch { return error.problems.filter { $0.message.contains("blocks") } }
        }
        let bound = TopologyLimits.maximumBlocksPerBand
        #expect(bandProblems(blocks: bound).isEmpty)
        #expect(bandProblems(blocks: bound + 1).map(\.description) == [
            "b.yaml:2: band 'n78' has \(bound + 1) blocks of 0.1 MHz, more than the bound of \(bound) (docs/limits.md)",
        ])
    }
}
