import FlowcastTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `flowcast live --publish` feeding `flowcast planner` through a real nats-server: the demo capture
/// replayed into a veth pair (as LiveTests do), the planner then reading the live tap's windows.
@Suite("flowcast live --publish", .serialized)
struct LivePublishTests {
    @Test("a live tap's windows reach the planner, which plans what the tap planned itself",
          .enabled(if: LiveTests.canReplay && NATSServer.isAvailable, "needs root, ip, tcpreplay and nats-server"))
    func liveTapFeedsThePlanner() throws {
        let server = try NATSServer()
        let pair = try LiveTests.VethPair()
        defer { pair.cleanUp() }
        let out = LiveTests.temporaryDirectory()
        let live = try LiveTests.LiveProcess(interface: pair.capture, out: out,
                                             extra: ["--window", "200ms", "--plan-every", "1s", "--publish", server.url, "--site", "edge-1",
                                                     "--target-utilisation", "0"])
        live.expectMetricsUp()
        LiveTests.feedDemo(pair)
        #expect(live.waitFor(60) { (live.metric("flowcast_packets_total") ?? 0) >= 42_789 }, "\(live.stderr)")
        #expect(live.terminate() == 0, "\(live.stderr)")
        #expect(live.stderr.contains("as site edge-1"), "\(live.stderr)")

        let plannerOut = LiveTests.temporaryDirectory()
        // Both with their default headroom and churn penalty (live had none until 5 December 2026,
        // the planner 0.01, so a tap planned apart from its planner), and pure min-max routing,
        // which moves traffic every plan, so the churn penalty shapes every routing.
        let run = try Fixtures.runFlowcast(["planner", "--nats", server.url, "--topology", LiveTests.demoTopology,
                                            "--out", plannerOut, "--sites", "edge-1", "--plan-every", "1s", "--exit-when-done",
                                            "--target-utilisation", "0"])
        #expect(run.status == 0, "\(run.stderr)")
        let tapLines = try String(contentsOfFile: out + "/windows.jsonl", encoding: .utf8).split(separator: "\n").count
        let summary = try LiveTests.json(plannerOut + "/planner-summary.json")
        #expect((summary["windowLinesBySite"] as? [String: Int])?["edge-1"] == tapLines)
        func policies(_ folder: String) throws -> [String: NSDictionary] {
            var result: [String: NSDictionary] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasPrefix("policy-") {
                var object = try LiveTests.json(folder + "/" + name)
                object["provenance"] = nil
                result[name] = object as NSDictionary
            }
            return result
        }
        let want = try policies(out + "/policies"), got = try policies(plannerOut + "/policies")
        #expect(!want.isEmpty)
        #expect(got == want)
    }
}
