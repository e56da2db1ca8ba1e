import FlowcastTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A tap whose server is up but does not answer in time. On a loaded two-core CI machine a tap
/// failed at once with "cannot publish to …: Timeout" while the taps started with it got through,
/// and the planner waited for its site until the test's timeout. A timeout is now tried again.
@Suite("a tap starting against a server that does not answer yet", .enabled(if: NATSServer.isAvailable, "needs nats-server (Debian: nats-server)"))
struct TapStartTests {
    /// Freezes (SIGSTOP) or thaws (SIGCONT) the test's nats-server: frozen, the kernel still takes
    /// connections on its port but nothing answers, as a server too busy to answer in time.
    static func signalServer(_ server: NATSServer, _ signal: String) throws {
        let run = try ChildProcess.run("/usr/bin/pkill", ["-\(signal)", "-f", "nats-server .*-p \(server.port) "])
        guard run.status == 0 else { throw TestFailure("pkill -\(signal): \(run.status) \(run.stderr)") }
    }

    @Test("connecting times out while the server is silent; the tap tries again, says so, and publishes once it answers")
    func timeoutIsTriedAgain() throws {
        let server = try NATSServer()
        // The planner first: it reads what is published after it starts.
        let plans = try Scenario.temporaryFolder("planner-slow")
        let planner = try RunningFlowcast(Scenario.plannerArguments(server, out: plans, sites: ["a"], extra: ["--exit-when-done"]))
        usleep(1_000_000)
        try Self.signalServer(server, "STOP")
        let out = try Scenario.temporaryFolder("tap-slow")
        let tap = try RunningFlowcast(Scenario.replayArguments(Scenario.demo, out: out, extra: ["--publish", server.url, "--site", "a"]))
        // Two connection timeouts (2 s each) at least, then the server answers again.
        usleep(4_500_000)
        try Self.signalServer(server, "CONT")
        let run = tap.wait()
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("no answer in time; trying again"), "\(run.stderr)")
        #expect(!run.stderr.contains("cannot publish"), "\(run.stderr)")
        // Exit 0 means every message was taken by the stream (else 3); a planner of that one site
        // plans from them.
        let planned = planner.wait()
        #expect(planned.status == 0, "\(planned.stderr)")
        #expect(FileManager.default.fileExists(atPath: plans.appendingPathComponent("policies/policy-0001.json").path))
    }

    /// The planner and `flowcast policies` start the same way as a tap (connect, streams, a
    /// consumer): started while the server is frozen, each says it is trying again, and runs once
    /// the server answers. Without the retry both exit 2 with "connect to nats://…: Timeout".
    @Test("the planner and the policy reader, started while the server is silent, try again and run once it answers")
    func plannerAndPolicyReaderTryAgain() throws {
        let server = try NATSServer()
        try Self.signalServer(server, "STOP")
        let plans = try Scenario.temporaryFolder("planner-frozen")
        let planner = try RunningFlowcast(Scenario.plannerArguments(server, out: plans, sites: ["a"], extra: ["--exit-when-done"]))
        let read = try Scenario.temporaryFolder("policies-frozen")
        let reader = try RunningFlowcast(["policies", "--nats", server.url, "--out", read.path, "--durable", "reader", "--once"])
        usleep(4_500_000)
        try Self.signalServer(server, "CONT")
        let first = reader.wait()
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("flowcast policies: connect to nats://"), "\(first.stderr)")
        #expect(first.stderr.contains("no answer in time; trying again"), "\(first.stderr)")

        let out = try Scenario.temporaryFolder("tap-after-frozen")
        let tap = try RunningFlowcast(Scenario.replayArguments(Scenario.demo, out: out, extra: ["--publish", server.url, "--site", "a"]))
        #expect(tap.wait().status == 0)
        let planned = planner.wait()
        #expect(planned.status == 0, "\(planned.stderr)")
        #expect(planned.stderr.contains("flowcast planner: connect to nats://"), "\(planned.stderr)")
        #expect(planned.stderr.contains("no answer in time; trying again"), "\(planned.stderr)")
        #expect(FileManager.default.fileExists(atPath: plans.appendingPathComponent("policies/policy-0001.json").path))
        // The consumer the retried start made reads what the planner published.
        let second = try RunningFlowcast(["policies", "--nats", server.url, "--out", read.path, "--durable", "reader", "--once"]).wait()
        #expect(second.status == 0, "\(second.stderr)")
        #expect(FileManager.default.fileExists(atPath: read.appendingPathComponent("policy-0001.json").path), "\(second.stderr)")
    }
}
