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
                                            "--out", plannerOut, "--sites", "edge-1", "--plan-every", "1s", "--window", "200ms", "--exit-when-done",
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

/// A publishing tap cut off from its server by a silent partition (packets dropped both ways, no
/// reset, no ICMP), in a network namespace of its own.
@Suite("a publishing tap behind a silent partition", .serialized)
struct PartitionedTapTests {
    /// Until 7 December 2026 the client's flusher blocked in send() on the full socket holding the
    /// connection's lock, so no ping could find the link dead, and a replay tap ran until the
    /// network healed (an audit: over 120 s with --publish-wait 5; 60 s here before the fix). The
    /// client now has a 10 s write deadline.
    @Test("the tap gives up after the write deadline and --publish-wait: exit status 3, its spool kept",
          .enabled(if: LiveTests.canReplay && NATSServer.isAvailable, "needs root, ip and nats-server"))
    func silentPartition() throws {
        let server = try NATSServer(listensOnEveryAddress: true)
        let pair = try LiveTests.VethPair()
        defer { pair.cleanUp() }
        let (host, tap) = ("10.213.77.1", "10.213.77.2")
        _ = try LiveTests.run("ip", ["addr", "add", host + "/30", "dev", pair.capture])
        _ = try LiveTests.run("ip", ["netns", "exec", pair.namespace, "ip", "addr", "add", tap + "/30", "dev", pair.feed])
        _ = try LiveTests.run("ip", ["netns", "exec", pair.namespace, "ip", "link", "set", "lo", "up"])
        let out = LiveTests.temporaryDirectory()
        // 100 ms windows of the demo: about 78,000 messages, still being sent when the link goes.
        let started = Date()
        let child = try ChildProcess("/usr/sbin/ip", ["netns", "exec", pair.namespace, Fixtures.flowcastExecutable.path,
                                                      "replay", "captures/demo/demo.pcapng", "--topology", LiveTests.demoTopology,
                                                      "--out", out, "--window", "100ms", "--quiet",
                                                      "--publish", "nats://\(host):\(server.port)", "--site", "a",
                                                      "--spool-limit", "1", "--publish-wait", "5"],
                                     currentDirectory: Fixtures.repositoryRoot.path, stdout: .capture, stderr: .standardOutput)
        defer { if child.isRunning { child.signal(SIGKILL) } }  // a tap that hangs must not outlive the test
        usleep(1_000_000)
        _ = try LiveTests.run("ip", ["route", "add", "blackhole", tap + "/32"])
        defer { _ = try? LiveTests.run("ip", ["route", "del", "blackhole", tap + "/32"]) }
        _ = try LiveTests.run("ip", ["netns", "exec", pair.namespace, "ip", "route", "add", "blackhole", host + "/32"])
        let ended = try child.wait(timeout: 90)
        let seconds = Date().timeIntervalSince(started)
        #expect(ended == .exit(3), "\(ended) after \(seconds) s: \(child.stdout.suffix(2000))")
        // About 20–40 s alone, 70 s once beside the NATS suites on two cores; before the fix the tap
        // was still running at 90 s (it ran until the network healed).
        #expect(seconds < 80, "the tap took \(seconds) s")
        #expect(child.stdout.contains("were not taken by the stream (exit status 3)"), "\(child.stdout.suffix(2000))")
        #expect(FileManager.default.fileExists(atPath: out + "/summary.json"))
    }
}
