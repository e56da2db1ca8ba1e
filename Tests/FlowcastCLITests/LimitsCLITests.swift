import FlowcastTestSupport
import Foundation
import Testing

/// Command-line bounds (docs/limits.md), as a user meets them.
@Suite("Limits on the command line")
struct LimitsCLITests {
    @Test("--max-flows beyond the flow table's largest bound is a usage error, for every command that takes it",
          arguments: [["replay", "captures/demo/demo.pcapng", "--out", "/nonexistent/out"],
                      ["flows", "captures/demo/demo.pcapng"],
                      ["live", "-i", "lo", "--topology", "captures/demo/topology.yaml", "--out", "/nonexistent/out"]])
    func maxFlowsBeyondTheBound(_ command: [String]) throws {
        for value in ["0", "268435457"] {
            let run = try Fixtures.runFlowcast(command + ["--max-flows", value])
            #expect(run.status == 64, "\(command[0]) --max-flows \(value): \(run.stderr)")
            #expect(run.stderr.contains("--max-flows must be between 1 and 268435456"), "\(run.stderr)")
        }
    }

    @Test("--trees and --upper-trees beyond the largest a model file holds are usage errors")
    func treesBeyondTheBound() throws {
        let base = ["train", "--series", "data/abilene/link_load_ospf_public.csv", "--out", "/nonexistent/model.json"]
        let trees = try Fixtures.runFlowcast(base + ["--trees", "4097"])
        #expect(trees.status == 64 && trees.stderr.contains("--trees must be between 0 and 4096"), "\(trees.stderr)")
        let upper = try Fixtures.runFlowcast(base + ["--trees", "64", "--upper-trees", "4097"])
        #expect(upper.status == 64 && upper.stderr.contains("--upper-trees must be at most 4096"), "\(upper.stderr)")
    }
}
