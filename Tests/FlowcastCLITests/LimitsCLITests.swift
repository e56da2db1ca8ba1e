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
}
